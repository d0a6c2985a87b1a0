/* SPDX-License-Identifier: MIT */
/*
 * Gateway role (VPN server VMs): forward tunnel clients' traffic and
 * masquerade it out of the primary interface. The rules are one nftables
 * table per WireGuard interface ("inet wgagent-IFNAME"), handed to
 * `nft -f -` as one complete ruleset, so it applies atomically or not at
 * all, and `down` deletes the table again. IP forwarding is switched on and
 * its previous value kept in RUN_DIR/IFNAME.gateway to be restored on down.
 */
#ifndef WGAGENT_GATEWAY_H
#define WGAGENT_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define GATEWAY_NFT "/usr/sbin/nft"

/*
 * Pure: the ruleset for wg_if forwarding to and masquerading out of out_if,
 * for the tunnel subnets (addresses, masked). Returns a malloc'ed string or
 * NULL (OOM, or invalid names).
 */
char *gateway_ruleset(const char *wg_if, const char *out_if, const struct ip_prefix *addrs,
		      size_t n_addrs);

/*
 * Applies it (nft -f -) and turns on forwarding for the families in use.
 * out_if NULL: the interface of the path that WireGuard's own packets take
 * (route lookup with the fwmark). Logs. Returns 0 or -errno.
 */
int gateway_up(const struct wg_config *cfg, const char *out_if, const char *run_dir);

/* Deletes the table and restores forwarding, if gateway_up() ran for wg_if. Logs. */
int gateway_down(const char *wg_if, const char *run_dir);

#endif
