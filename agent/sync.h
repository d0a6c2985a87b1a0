/* SPDX-License-Identifier: MIT */
/*
 * Brings one interface to its desired state with the smallest change: the
 * I/O around reconcile.c. Creates the interface (apply_up()) if it is
 * missing; otherwise dumps it, diffs, and sends only the difference.
 */
#ifndef WGAGENT_SYNC_H
#define WGAGENT_SYNC_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "reconcile.h"
#include "wgnl.h"

struct sync_result {
	bool created; /* the interface did not exist: apply_up() made it */
	struct reconcile_stats peers;
	struct wgnl_stats wg; /* WireGuard SET messages actually sent */
	size_t addrs_added, addrs_removed;
	size_t routes_added, routes_removed;
	uint32_t mtu_set; /* 0 = unchanged */
	unsigned rtnl_messages; /* rtnetlink change requests sent */
	size_t unresolved;	/* host-name endpoints that did not resolve (yet) */
	int last_gai;		/* the resolver's answer for the last of them */
};

struct sync_opts {
	uint32_t default_mtu; /* when want->mtu is 0 */
	bool dry_run;	      /* send nothing; the result says what would be sent */
	/*
	 * Host-name endpoints are resolved here, once, without waiting: a peer
	 * whose name doesn't resolve yet goes in without an endpoint (counted in
	 * unresolved) and the caller tries again later. A peer that had a
	 * handshake within recent_handshake_s keeps the endpoint it has (0: 180 s).
	 */
	unsigned recent_handshake_s;
};

/*
 * want must carry a private key. Logs failures once. Returns 0 or -errno.
 */
int sync_interface(struct wg_config *want, const struct sync_opts *o, struct sync_result *ret);

/* One line, "key=value" pairs, for --stats and the tests. */
void sync_result_print(FILE *f, const char *ifname, const struct sync_result *r);

#endif
