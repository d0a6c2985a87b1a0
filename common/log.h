/* SPDX-License-Identifier: MIT */
#ifndef WGBAKE_LOG_H
#define WGBAKE_LOG_H

#include <stdbool.h>

#include "macros.h"

/*
 * Messages go to stderr as "<prog>: <text>". Pure code (parsers, message
 * builders, key code) never logs; commands and I/O wrappers do, once.
 */
void log_set_program(const char *name);
const char *log_program(void);
void log_set_quiet(bool quiet);

_printf_(1, 2) void log_error(const char *fmt, ...);
_printf_(1, 2) void log_warn(const char *fmt, ...);
_printf_(1, 2) void log_info(const char *fmt, ...);
/* Prints "<prog>: <text>: strerror(-r)" and returns r (a negative errno). */
_printf_(2, 3) int log_errno(int r, const char *fmt, ...);

#endif
