/* SPDX-License-Identifier: MIT */
#ifndef WGAGENT_RESOLVE_H
#define WGAGENT_RESOLVE_H

#include <stddef.h>

#include "config.h"

/*
 * Resolves every peer endpoint that was given as a host name, as wg(8) does:
 * the first IPv4 or IPv6 address getaddrinfo() returns, retrying a temporary
 * failure (EAI_AGAIN) for up to `retry_seconds`. Returns 0 or a negative
 * errno with "source:line: Endpoint 'host:port': why" in err. Logs nothing.
 */
int resolve_endpoints(struct wg_config *cfg, unsigned retry_seconds, char *err, size_t errlen);

#endif
