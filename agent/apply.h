/* SPDX-License-Identifier: MIT */
#ifndef WGAGENT_APPLY_H
#define WGAGENT_APPLY_H

#include "config.h"

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

/* Removes the interface and the policy rules wgagent added for it. Logs. */
int apply_down(const char *ifname);

#endif
