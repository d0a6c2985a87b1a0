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

/*
 * One getaddrinfo() for a peer whose endpoint is a host name not resolved
 * yet; no retries (callers retry in the background). 0 (resolved, or nothing
 * to do), or a negative errno with the resolver's EAI_* code in *ret_gai
 * (EAI_AGAIN, EAI_NONAME, ...). Logs nothing.
 */
int resolve_peer_once(struct wg_peer *peer, int *ret_gai);

#endif
