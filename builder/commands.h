/* SPDX-License-Identifier: MIT */
#ifndef WGBAKE_COMMANDS_H
#define WGBAKE_COMMANDS_H

int cmd_vhd_main(int argc, char *argv[]);
int cmd_upload_main(int argc, char *argv[]);
int cmd_build_main(int argc, char *argv[]);
int cmd_lint_main(int argc, char *argv[]);
int cmd_generalize_main(int argc, char *argv[]);
int cmd_fetch_main(int argc, char *argv[]);

#endif
