// SPDX-License-Identifier: MIT
/*
 * Brings a configuration into the kernel the way wg-quick(8) does, but with
 * netlink messages instead of ip(8)/wg(8) processes: add link, set device,
 * addresses, MTU + up, routes. Anything created is undone on failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/rtnetlink.h>
#include <linux/wireguard.h>

#include "apply.h"
#include "format.h"
#include "gateway.h"
#include "log.h"
#include "report.h"
#include "rtnl.h"
#include "wgnl.h"

struct route_item {
	const struct ip_prefix *prefix;
};

static int cmp_route_item(const void *a, const void *b)
{
	const struct route_item *x = a, *y = b;

	/* Longest prefix first, as wg-quick sorts them; stable on input order. */
	if (x->prefix->cidr != y->prefix->cidr)
		return x->prefix->cidr > y->prefix->cidr ? -1 : 1;
	return x->prefix < y->prefix ? -1 : x->prefix > y->prefix;
}

static bool full_tunnel_family(const struct wg_config *cfg, uint8_t family)
{
	if (cfg->table_mode != TABLE_AUTO)
		return false;
	for (size_t i = 0; i < cfg->n_peers; i++)
		for (size_t j = 0; j < cfg->peers[i].n_allowed_ips; j++)
			if (cfg->peers[i].allowed_ips[j].family == family &&
			    cfg->peers[i].allowed_ips[j].cidr == 0)
				return true;
	return false;
}

void apply_rules_for(uint8_t family, uint32_t table, struct rtnl_rule ret[2])
{
	/* ip rule add not fwmark T table T; ip rule add table main suppress_prefixlength 0 */
	ret[0] = (struct rtnl_rule){ .family = family, .table = table, .fwmark = table,
				     .has_fwmark = true, .invert = true, .suppress_prefixlen = -1,
				     .protocol = RTPROT_WGAGENT };
	ret[1] = (struct rtnl_rule){ .family = family, .table = RT_TABLE_MAIN,
				     .suppress_prefixlen = 0, .protocol = RTPROT_WGAGENT };
}

static int enable_src_valid_mark(void)
{
	/* Lets rp_filter see the fwmark of the tunnel's own packets, as wg-quick does. */
	int fd = open("/proc/sys/net/ipv4/conf/all/src_valid_mark", O_WRONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, "1\n", 2) != 2)
		r = -errno;
	close(fd);
	return r;
}

static int add_routes(struct rtnl *rt, const struct wg_config *cfg, uint32_t ifindex)
{
	_cleanup_free_ struct route_item *items = NULL;
	size_t n = 0, total = 0;
	uint32_t table;
	int r;

	if (cfg->table_mode == TABLE_OFF)
		return 0;
	table = cfg->table_mode == TABLE_ID ? cfg->table : RT_TABLE_MAIN;
	for (size_t i = 0; i < cfg->n_peers; i++)
		total += cfg->peers[i].n_allowed_ips;
	if (total == 0)
		return 0;
	items = calloc(total, sizeof(*items));
	if (!items)
		return log_errno(-ENOMEM, "up: %s: adding routes", cfg->ifname);
	for (size_t i = 0; i < cfg->n_peers; i++)
		for (size_t j = 0; j < cfg->peers[i].n_allowed_ips; j++) {
			const struct ip_prefix *p = &cfg->peers[i].allowed_ips[j];

			if (p->cidr == 0 && cfg->table_mode == TABLE_AUTO)
				continue; /* full tunnel: policy routing below */
			items[n++].prefix = p;
		}
	qsort(items, n, sizeof(*items), cmp_route_item);
	for (size_t i = 0; i < n; i++) {
		r = rtnl_route_add(rt, ifindex, items[i].prefix, table);
		/* The kernel already has a prefix route for an Address; wg-quick skips those too. */
		if (r < 0 && r != -EEXIST)
			return log_errno(r, "up: %s: adding route for AllowedIPs %s", cfg->ifname,
					 ip_prefix_to_string(items[i].prefix).s);
	}
	return 0;
}

static int add_full_tunnel(struct rtnl *rt, const struct wg_config *cfg, uint32_t ifindex,
			   unsigned *ret_rules)
{
	static const uint8_t families[] = { AF_INET, AF_INET6 };
	int r;

	for (size_t i = 0; i < ELEMENTSOF(families); i++) {
		struct ip_prefix any = { .family = families[i], .cidr = 0 };
		struct rtnl_rule rules[2];

		if (!full_tunnel_family(cfg, families[i]))
			continue;
		r = rtnl_route_add(rt, ifindex, &any, cfg->fwmark);
		if (r < 0)
			return log_errno(r, "up: %s: adding default route to table %u", cfg->ifname,
					 cfg->fwmark);
		apply_rules_for(families[i], cfg->fwmark, rules);
		for (size_t j = 0; j < ELEMENTSOF(rules); j++) {
			/*
			 * Without a priority the kernel never answers EEXIST, it stacks
			 * copies: drop any left from an earlier run before adding.
			 */
			while (rtnl_rule_del(rt, &rules[j]) == 0)
				;
			r = rtnl_rule_add(rt, &rules[j]);
			if (r < 0)
				return log_errno(r, "up: %s: adding policy routing rule", cfg->ifname);
			(*ret_rules)++;
		}
		if (families[i] == AF_INET) {
			r = enable_src_valid_mark();
			if (r < 0)
				log_warn("up: %s: cannot set net.ipv4.conf.all.src_valid_mark: %s",
					 cfg->ifname, strerror(-r));
			apply_azure_safety(rt, ifindex, cfg->fwmark, true);
		}
	}
	return 0;
}

static void remove_rules(struct rtnl *rt, uint32_t table)
{
	static const uint8_t families[] = { AF_INET, AF_INET6 };

	for (size_t i = 0; i < ELEMENTSOF(families); i++) {
		struct rtnl_rule rules[2];

		apply_rules_for(families[i], table, rules);
		for (size_t j = 0; j < ELEMENTSOF(rules); j++)
			while (rtnl_rule_del(rt, &rules[j]) == 0)
				; /* duplicates from earlier runs go too */
	}
	apply_azure_safety(rt, 0, 0, false);
}

int apply_up(struct wg_config *cfg)
{
	struct rtnl *rt = NULL;
	struct wgnl *nl = NULL;
	bool created = false, full_tunnel;
	unsigned rules_added = 0;
	uint32_t ifindex = 0;
	int r;

	full_tunnel = full_tunnel_family(cfg, AF_INET) || full_tunnel_family(cfg, AF_INET6);
	if (full_tunnel && (!cfg->has_fwmark || cfg->fwmark == 0)) {
		cfg->fwmark = WG_DEFAULT_TABLE;
		cfg->has_fwmark = true;
	}

	r = rtnl_open(&rt);
	if (r < 0) {
		log_errno(r, "up: opening rtnetlink socket");
		goto out;
	}
	r = rtnl_link_add(rt, cfg->ifname, "wireguard", 0);
	if (r == -EEXIST) {
		log_error("up: interface '%s' already exists", cfg->ifname);
		goto out;
	}
	if (r < 0) {
		log_errno(r, "up: creating WireGuard interface '%s'%s", cfg->ifname,
			  r == -EOPNOTSUPP ? " (is the wireguard module available?)" : "");
		goto out;
	}
	created = true;
	r = rtnl_link_index(rt, cfg->ifname, &ifindex);
	if (r < 0) {
		log_errno(r, "up: looking up '%s'", cfg->ifname);
		goto out;
	}
	r = wgnl_open(&nl);
	if (r < 0) {
		log_errno(r, "up: opening WireGuard generic netlink");
		goto out;
	}
	cfg->flags |= WGDEVICE_F_REPLACE_PEERS;
	r = wgnl_set_device(nl, cfg);
	if (r < 0) {
		log_errno(r, "up: %s: setting WireGuard configuration", cfg->ifname);
		goto out;
	}
	for (size_t i = 0; i < cfg->n_addresses; i++) {
		r = rtnl_addr_add(rt, ifindex, &cfg->addresses[i]);
		if (r < 0) {
			log_errno(r, "up: %s: adding Address %s", cfg->ifname,
				  ip_prefix_to_string(&cfg->addresses[i]).s);
			goto out;
		}
	}
	r = rtnl_link_set(rt, ifindex, cfg->mtu ? cfg->mtu : WG_DEFAULT_MTU, true);
	if (r < 0) {
		log_errno(r, "up: %s: setting MTU and bringing the link up", cfg->ifname);
		goto out;
	}
	r = add_routes(rt, cfg, ifindex);
	if (r < 0)
		goto out;
	if (full_tunnel)
		r = add_full_tunnel(rt, cfg, ifindex, &rules_added);
out:
	if (r < 0 && rt) {
		if (rules_added)
			remove_rules(rt, cfg->fwmark);
		if (created)
			(void)rtnl_link_del(rt, cfg->ifname); /* routes and addresses go with it */
	}
	wgnl_close(nl);
	rtnl_close(rt);
	return r;
}

int apply_down(const char *ifname)
{
	_cleanup_config_ struct wg_config *dev = NULL;
	struct rtnl *rt = NULL;
	struct wgnl *nl = NULL;
	int r;

	r = rtnl_open(&rt);
	if (r < 0) {
		log_errno(r, "down: opening rtnetlink socket");
		goto out;
	}
	/* The fwmark names the policy-routing table that a full tunnel used. */
	r = wgnl_open(&nl);
	if (r == 0)
		r = wgnl_get_device(nl, ifname, &dev);
	if (r == -ENODEV || r == -EPROTONOSUPPORT || r == -EOPNOTSUPP) {
		log_error("down: '%s' is not a WireGuard interface", ifname);
		goto out;
	}
	if (r < 0) {
		log_errno(r, "down: reading '%s'", ifname);
		goto out;
	}
	if (dev->has_fwmark && dev->fwmark)
		remove_rules(rt, dev->fwmark);
	r = rtnl_link_del(rt, ifname);
	if (r < 0)
		log_errno(r, "down: deleting '%s'", ifname);
	else
		(void)gateway_down(ifname, DEFAULT_RUN_DIR); /* logs; the link is gone anyway */
out:
	wgnl_close(nl);
	rtnl_close(rt);
	return r;
}

#define MTU_PROBE_ENDPOINTS 32

static const char *const azure_platform[] = { "168.63.129.16", "169.254.169.254" };

void apply_azure_safety(struct rtnl *rt, uint32_t wg_ifindex, uint32_t fwmark, bool add)
{
	for (size_t i = 0; i < ELEMENTSOF(azure_platform); i++) {
		struct ip_prefix dst = { .family = AF_INET, .cidr = 32 };
		union wg_sockaddr sa = { .in = { .sin_family = AF_INET } };
		struct rtnl_route_info via;
		int r;

		inet_pton(AF_INET, azure_platform[i], &dst.addr.ip4);
		if (!add) {
			r = rtnl_route_del_ours(rt, &dst, RT_TABLE_MAIN);
			if (r < 0 && r != -ESRCH && r != -ENOENT)
				log_warn("removing the route for %s: %s", azure_platform[i],
					 strerror(-r));
			continue;
		}
		sa.in.sin_addr = dst.addr.ip4;
		/* With the fwmark, the lookup skips the tunnel: this is the primary NIC's path. */
		r = rtnl_route_get(rt, &sa, fwmark, &via);
		if (r < 0 || via.oif == 0 || via.oif == wg_ifindex)
			continue; /* no path outside the tunnel: nothing to keep */
		r = rtnl_route_add_via(rt, &dst, via.gateway4, via.oif, RT_TABLE_MAIN);
		/* EEXIST: main has one already (Azure's DHCP gives these routes); it stays theirs. */
		if (r < 0 && r != -EEXIST)
			log_warn("keeping %s on the primary interface: %s", azure_platform[i],
				 strerror(-r));
	}
}

static uint32_t path_mtu(struct rtnl *rt, const union wg_sockaddr *dst, uint32_t fwmark)
{
	struct rtnl_route_info via;
	uint32_t mtu = 0;

	if (rtnl_route_get(rt, dst, fwmark, &via) < 0 || via.oif == 0)
		return 0;
	if (via.mtu)
		return via.mtu;
	return rtnl_link_mtu_by_index(rt, via.oif, &mtu) < 0 ? 0 : mtu;
}

uint32_t apply_default_mtu(const struct wg_config *cfg)
{
	struct rtnl *rt = NULL;
	uint32_t mtu = 0, m;

	if (rtnl_open(&rt) < 0)
		return WG_DEFAULT_MTU;
	/* A route lookup each: enough endpoints to see every path, not 10,000 of them. */
	for (size_t i = 0, n = 0; i < cfg->n_peers && n < MTU_PROBE_ENDPOINTS; i++) {
		const union wg_sockaddr *ep = &cfg->peers[i].endpoint.addr;

		if (ep->sa.sa_family != AF_INET && ep->sa.sa_family != AF_INET6)
			continue;
		n++;
		m = path_mtu(rt, ep, cfg->has_fwmark ? cfg->fwmark : 0);
		if (m > mtu)
			mtu = m;
	}
	if (mtu == 0) {
		/* No endpoints (a server): the device of the default route, as wg-quick does. */
		union wg_sockaddr any = { .in = { .sin_family = AF_INET } };

		inet_pton(AF_INET, "192.0.2.1", &any.in.sin_addr); /* any non-local address */
		mtu = path_mtu(rt, &any, cfg->has_fwmark ? cfg->fwmark : 0);
	}
	rtnl_close(rt);
	/* WireGuard adds up to 80 bytes (IPv6 + UDP + its header); a tinier path is not believed. */
	if (mtu < 576 + 80)
		return WG_DEFAULT_MTU;
	return mtu - 80;
}
