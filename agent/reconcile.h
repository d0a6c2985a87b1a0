/* SPDX-License-Identifier: MIT */
/*
 * The smallest change that brings a live interface to the desired state, as
 * pure functions: desired model + kernel model in, a model of changes out.
 * Nothing here logs or touches the kernel.
 */
#ifndef WGAGENT_RECONCILE_H
#define WGAGENT_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "rtnl.h"

struct reconcile_stats {
	size_t peers_added;
	size_t peers_removed;
	size_t peers_changed;	/* some attribute of an existing peer differs */
	size_t peers_unchanged; /* left alone: nothing about them is sent */
	bool device_changed;	/* private key, port or fwmark */
};

/*
 * WireGuard part: fills *ret_diff with a SET model (flags and all) that
 * turns dev (from wgnl_get_device()) into want:
 *  - device attributes only where they differ (no listen port in want means
 *    "keep the kernel's"; no fwmark means 0); never WGDEVICE_F_REPLACE_PEERS;
 *  - a peer missing from dev: everything, as for `up`;
 *  - a peer missing from want: its public key and WGPEER_F_REMOVE_ME;
 *  - a peer in both: its key, WGPEER_F_UPDATE_ONLY, and only the attributes
 *    that differ. Endpoints not resolved yet (AF_UNSPEC) are left alone.
 *    Allowed IPs are compared as sets; if they differ the peer gets
 *    WGPEER_F_REPLACE_ALLOWEDIPS with the full desired list;
 *  - unchanged peers are not in the diff at all.
 * ret_diff->n_peers == 0 && !stats.device_changed means there is nothing to
 * send. Returns 0, -EINVAL (want and dev name different interfaces) or
 * -ENOMEM. Free *ret_diff with config_free().
 */
int reconcile_wg(const struct wg_config *want, const struct wg_config *dev,
		 struct wg_config **ret_diff, struct reconcile_stats *ret_stats);

/* The interface's addresses, routes with protocol RTPROT_WGAGENT, and MTU. */
struct net_state {
	struct ip_prefix *addrs;
	size_t n_addrs;
	struct rt_route *routes;
	size_t n_routes;
	uint32_t mtu;
};

struct net_diff {
	struct ip_prefix *addrs_add, *addrs_del;
	size_t n_addrs_add, n_addrs_del;
	struct rt_route *routes_add, *routes_del;
	size_t n_routes_add, n_routes_del;
	uint32_t mtu; /* 0 = leave it */
};

void net_state_free(struct net_state *st); /* the arrays; st itself may be on the stack */
void net_diff_free(struct net_diff *d);

/*
 * The routes `up` adds for want (same rules as apply_up()): one per allowed
 * IP in the main table (Table = auto) or table N (Table = N); a /0 with
 * Table = auto goes into table want->fwmark instead (full tunnel);
 * Table = off: none. Duplicates are dropped. want->fwmark must already be
 * the full-tunnel table if there is one (reconcile_prepare()).
 */
int reconcile_routes(const struct wg_config *want, struct rt_route **ret, size_t *ret_n);

/*
 * Addresses, routes and MTU: what to add and delete so that cur matches
 * want. IPv6 link-local addresses of the kernel's own are kept. default_mtu
 * is used when want->mtu is 0. Returns 0 or -ENOMEM.
 */
int reconcile_net(const struct wg_config *want, const struct net_state *cur, uint32_t default_mtu,
		  struct net_diff *ret);

/* Full tunnel: Table = auto and some peer allows 0.0.0.0/0 (AF_INET) or ::/0 (AF_INET6). */
bool reconcile_full_tunnel(const struct wg_config *want, uint8_t family);

/*
 * The defaults `up` fills in before applying: a full tunnel without FwMark
 * gets fwmark (and table) 51820. Call it on the desired model before
 * reconcile_wg()/reconcile_routes().
 */
void reconcile_prepare(struct wg_config *want);

/* Ordering helpers, exposed for tests. */
int ip_prefix_cmp(const struct ip_prefix *a, const struct ip_prefix *b);
bool endpoint_equal(const union wg_sockaddr *a, const union wg_sockaddr *b);

#endif
