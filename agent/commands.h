/* SPDX-License-Identifier: MIT */
#ifndef WGAGENT_COMMANDS_H
#define WGAGENT_COMMANDS_H

/* Exit codes, documented in wgagent(8) and README.md. */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1, /* bad configuration or a failure while applying; nothing left half-done */
	EXIT_USAGE = 2, /* bad command line */
};

int cmd_up_main(int argc, char *argv[]);
int cmd_down_main(int argc, char *argv[]);
int cmd_check_main(int argc, char *argv[]);
int cmd_show_main(int argc, char *argv[]);
int cmd_genkey_main(int argc, char *argv[]);
int cmd_pubkey_main(int argc, char *argv[]);
int cmd_sync_main(int argc, char *argv[]);
int cmd_run_main(int argc, char *argv[]);
int cmd_identity_main(int argc, char *argv[]);

#endif
