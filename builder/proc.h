/* SPDX-License-Identifier: MIT */
#ifndef WGBAKE_PROC_H
#define WGBAKE_PROC_H

#include <stddef.h>

/*
 * Runs argv (argv[0] looked up in PATH) and waits. stdin is /dev/null. With ret_out, stdout
 * is captured (up to 16 MiB, NUL-terminated; caller frees); stderr is captured too and
 * its last line is logged when the command fails. Returns 0, or -EIO when the command ran
 * and failed (logged with what), or another -errno when it could not run (logged).
 */
int proc_run(const char *what, char *const argv[], char **ret_out);

#endif
