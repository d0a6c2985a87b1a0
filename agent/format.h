/* SPDX-License-Identifier: MIT */
#ifndef WGAGENT_FORMAT_H
#define WGAGENT_FORMAT_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "config.h"

/* Text forms of addresses, returned by value so they can be used inline. */
struct prefix_str {
	char s[INET6_ADDRSTRLEN + 5];
};
struct endpoint_str {
	char s[INET6_ADDRSTRLEN + IF_NAMESIZE + 10];
};

struct prefix_str ip_prefix_to_string(const struct ip_prefix *p);
/* "1.2.3.4:51820", "[fd00::1]:51820" (with %scope when set), "(none)". */
struct endpoint_str endpoint_to_string(const union wg_sockaddr *addr);

/* Exactly `wg show <if> dump` (with_ifname: `wg show all dump`). Keys "(hidden)" unless show_keys. */
void format_dump(FILE *f, const struct wg_config *dev, bool show_keys, bool with_ifname);
/* The human form of `wg show`, without colours; `now` is the wall clock for handshake ages. */
void format_pretty(FILE *f, const struct wg_config *dev, bool show_keys, time_t now);

#endif
