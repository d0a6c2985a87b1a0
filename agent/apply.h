/* SPDX-License-Identifier: MIT */
#ifndef WGAGENT_APPLY_H
#define WGAGENT_APPLY_H

#include "config.h"
#include "rtnl.h"

/* wg-quick's default: 1500-byte underlay minus the worst-case (IPv6) overhead of 80. */
#define WG_DEFAULT_MTU 1420
/* wg-quick's first table for full-tunnel policy routing. */
#define WG_DEFAULT_TABLE 51820

/*
 * Creates cfg->ifname and applies all of cfg: WireGuard settings, addresses,
 * MTU, link up, routes (and fwmark policy rules for a /0 with Table=auto).
 * On any failure it removes everything this call created. Logs once per
 * failure. cfg->fwmark may be set when full-tunnel routing picks a table.
 */
int apply_up(struct wg_config *cfg);

/*
 * The two policy rules of a full tunnel through table (wg-quick's): "not
 * fwmark T table T" and "table main suppress_prefixlength 0".
 */
void apply_rules_for(uint8_t family, uint32_t table, struct rtnl_rule ret[2]);

/*
 * Azure's platform addresses, 168.63.129.16 (wireserver, DNS, health probes)
 * and 169.254.169.254 (IMDS), must stay on the primary NIC even with a full
 * tunnel: add: a /32 route for each in the main table through the NIC and
 * gateway that the kernel picks for wgagent's own (fwmark) traffic, unless
 * main has one already; the suppress_prefixlength rule of a full tunnel
 * then keeps them out of the tunnel whatever the rule priorities. Removes
 * only the routes it added (protocol 87). Logs a warning on failure.
 */
void apply_azure_safety(struct rtnl *rt, uint32_t wg_ifindex, uint32_t fwmark, bool add);

/*
 * The MTU for an interface without MTU=: like wg-quick, the largest MTU of
 * the routes to the peers' endpoints (the first 32; looked up with the fwmark, as
 * WireGuard's own packets are), else of the default route's device, minus
 * WireGuard's worst-case overhead (80); WG_DEFAULT_MTU if nothing is known.
 */
uint32_t apply_default_mtu(const struct wg_config *cfg);

/* Removes the interface and the policy rules wgagent added for it. Logs. */
int apply_down(const char *ifname);

#endif
