// SPDX-License-Identifier: MIT
/*
 * wgagent sync, the I/O half: dump, diff (reconcile.c), send the difference.
 * Order of changes: WireGuard first (peers must exist before routes point at
 * them), then routes and addresses that go away, then what is new, the MTU
 * last. Rules of a full tunnel follow its default route.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdalign.h>
#include <string.h>
#include <time.h>

#include <linux/rtnetlink.h>

#include "apply.h"
#include "format.h"
#include "log.h"
#include "resolve.h"
#include "rtnl.h"
#include "sync.h"
#include "wgnl.h"

static void wgnl_closep(struct wgnl **nl)
{
	wgnl_close(*nl);
}

static void rtnl_closep(struct rtnl **rt)
{
	rtnl_close(*rt);
}

static bool diff_empty(const struct wg_config *diff)
{
	return diff->n_peers == 0 && !diff->has_private_key && !diff->has_listen_port &&
	       !diff->has_fwmark;
}

static void tunnel_rules(struct rtnl *rt, uint32_t ifindex, uint8_t family, uint32_t table,
			 bool add, struct sync_result *res)
{
	struct rtnl_rule rules[2];
	int r;

	apply_rules_for(family, table, rules);
	for (size_t j = 0; j < ELEMENTSOF(rules); j++) {
		while (rtnl_rule_del(rt, &rules[j]) == 0)
			res->rtnl_messages++; /* no duplicates from earlier runs */
		if (!add)
			continue;
		r = rtnl_rule_add(rt, &rules[j]);
		res->rtnl_messages++;
		if (r < 0)
			log_errno(r, "sync: adding a policy routing rule for table %" PRIu32, table);
	}
	if (family == AF_INET)
		apply_azure_safety(rt, ifindex, table, add);
}

static int sync_net(struct rtnl *rt, const struct wg_config *want, uint32_t ifindex,
		    uint32_t default_mtu, bool dry_run, struct sync_result *res)
{
	struct net_state cur = { 0 };
	struct net_diff d = { 0 };
	int r;

	r = rtnl_addr_list(rt, ifindex, &cur.addrs, &cur.n_addrs);
	if (r == 0)
		r = rtnl_route_list(rt, ifindex, RTPROT_WGAGENT, &cur.routes, &cur.n_routes);
	if (r == 0)
		r = rtnl_link_mtu(rt, want->ifname, &cur.mtu);
	if (r < 0) {
		log_errno(r, "sync: %s: reading addresses, routes and MTU", want->ifname);
		goto out;
	}
	r = reconcile_net(want, &cur, default_mtu, &d);
	if (r < 0) {
		log_errno(r, "sync: %s", want->ifname);
		goto out;
	}
	res->addrs_added = d.n_addrs_add;
	res->addrs_removed = d.n_addrs_del;
	res->routes_added = d.n_routes_add;
	res->routes_removed = d.n_routes_del;
	res->mtu_set = d.mtu;
	if (dry_run)
		goto out;

	for (size_t i = 0; i < d.n_routes_del; i++) {
		const struct rt_route *rte = &d.routes_del[i];

		r = rtnl_route_del(rt, ifindex, &rte->dst, rte->table);
		res->rtnl_messages++;
		if (r < 0 && r != -ESRCH) {
			log_errno(r, "sync: %s: removing route %s", want->ifname,
				  ip_prefix_to_string(&rte->dst).s);
			goto out;
		}
		/* A full tunnel that ends takes its policy rules along. */
		if (rte->dst.cidr == 0 && rte->table != RT_TABLE_MAIN)
			tunnel_rules(rt, ifindex, rte->dst.family, rte->table, false, res);
	}
	for (size_t i = 0; i < d.n_addrs_del; i++) {
		r = rtnl_addr_del(rt, ifindex, &d.addrs_del[i]);
		res->rtnl_messages++;
		if (r < 0 && r != -EADDRNOTAVAIL) {
			log_errno(r, "sync: %s: removing Address %s", want->ifname,
				  ip_prefix_to_string(&d.addrs_del[i]).s);
			goto out;
		}
	}
	for (size_t i = 0; i < d.n_addrs_add; i++) {
		r = rtnl_addr_add(rt, ifindex, &d.addrs_add[i]);
		res->rtnl_messages++;
		if (r < 0 && r != -EEXIST) {
			log_errno(r, "sync: %s: adding Address %s", want->ifname,
				  ip_prefix_to_string(&d.addrs_add[i]).s);
			goto out;
		}
	}
	if (d.mtu) {
		r = rtnl_link_set(rt, ifindex, d.mtu, true);
		res->rtnl_messages++;
		if (r < 0) {
			log_errno(r, "sync: %s: setting MTU %" PRIu32, want->ifname, d.mtu);
			goto out;
		}
	}
	for (size_t i = 0; i < d.n_routes_add; i++) {
		const struct rt_route *rte = &d.routes_add[i];

		r = rtnl_route_add(rt, ifindex, &rte->dst, rte->table);
		res->rtnl_messages++;
		/* The kernel's own prefix route for an Address is there already, as in `up`. */
		if (r < 0 && r != -EEXIST) {
			log_errno(r, "sync: %s: adding route for AllowedIPs %s", want->ifname,
				  ip_prefix_to_string(&rte->dst).s);
			goto out;
		}
		if (rte->dst.cidr == 0 && want->table_mode == TABLE_AUTO)
			tunnel_rules(rt, ifindex, rte->dst.family, rte->table, true, res);
	}
	r = 0;
out:
	net_diff_free(&d);
	net_state_free(&cur);
	return r;
}

static const struct wg_peer *find_peer(const struct wg_config *dev, const struct wg_key *pub)
{
	/* Linear: only called for host-name endpoints, which are few. */
	for (size_t i = 0; i < dev->n_peers; i++)
		if (!memcmp(dev->peers[i].public_key.b, pub->b, sizeof(pub->b)))
			return &dev->peers[i];
	return NULL;
}

static void resolve_hosts(struct wg_config *want, const struct wg_config *dev, unsigned recent_s,
			  struct sync_result *res)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	for (size_t i = 0; i < want->n_peers; i++) {
		struct wg_peer *p = &want->peers[i];
		const struct wg_peer *cur;
		int gai = 0;

		if (!p->endpoint.host || p->endpoint.addr.sa.sa_family != AF_UNSPEC)
			continue;
		cur = dev ? find_peer(dev, &p->public_key) : NULL;
		/* Talking fine: keep its endpoint (it may have roamed); re-resolve only the silent. */
		if (cur && cur->last_handshake.tv_sec &&
		    now.tv_sec - cur->last_handshake.tv_sec < (time_t)recent_s)
			continue;
		if (resolve_peer_once(p, &gai) < 0) {
			res->unresolved++;
			res->last_gai = gai;
		}
	}
}

int sync_interface(struct wg_config *want, const struct sync_opts *o, struct sync_result *ret)
{
	uint32_t default_mtu = o->default_mtu;
	bool dry_run = o->dry_run;
	_cleanup_(wgnl_closep) struct wgnl *nl = NULL;
	_cleanup_(rtnl_closep) struct rtnl *rt = NULL;
	_cleanup_config_ struct wg_config *dev = NULL, *diff = NULL;
	struct sync_result res = { 0 };
	int r;

	reconcile_prepare(want);
	r = wgnl_open(&nl);
	if (r == 0)
		r = wgnl_get_device(nl, want->ifname, &dev);
	/* Endpoints first: the MTU follows the path to them. */
	resolve_hosts(want, r == 0 ? dev : NULL, o->recent_handshake_s ? o->recent_handshake_s : 180,
		      &res);
	if (!want->mtu && !default_mtu)
		default_mtu = apply_default_mtu(want);
	if (r == -ENODEV || r == -EPROTONOSUPPORT) {
		/* Not there yet: create it whole, as `up` does. */
		res.created = true;
		res.peers.peers_added = want->n_peers;
		if (!dry_run) {
			if (!want->mtu)
				want->mtu = default_mtu;
			r = apply_up(want);
			if (r < 0)
				return r;
		}
		*ret = res;
		return 0;
	}
	if (r == -EOPNOTSUPP)
		return log_errno(r, "sync: '%s' exists but is not a WireGuard interface",
				 want->ifname);
	if (r < 0)
		return log_errno(r, "sync: reading '%s'", want->ifname);

	r = reconcile_wg(want, dev, &diff, &res.peers);
	if (r < 0)
		return log_errno(r, "sync: %s: computing the changes", want->ifname);
	if (!diff_empty(diff)) {
		if (dry_run) {
			struct wgnl_cursor cur = { 0 };
			alignas(struct nlmsghdr) uint8_t buf[WG_SET_BUF_SIZE];

			/* Build the very messages that would go out, and count them. */
			while ((r = wgnl_build_set_device(buf, WG_SET_MSG_MAX, 0, 1, diff, &cur)) > 0)
				wgnl_count_set_message(buf, (size_t)r, &res.wg);
			secret_wipe(buf, sizeof(buf));
			if (r < 0)
				return log_errno(r, "sync: %s: building the changes", want->ifname);
		} else {
			r = wgnl_set_device_stats(nl, diff, &res.wg);
			if (r < 0)
				return log_errno(r, "sync: %s: sending the WireGuard changes",
						 want->ifname);
		}
	}

	r = rtnl_open(&rt);
	if (r < 0)
		return log_errno(r, "sync: opening rtnetlink socket");
	r = sync_net(rt, want, dev->ifindex, default_mtu, dry_run, &res);
	if (r < 0)
		return r;
	*ret = res;
	return 0;
}

void sync_result_print(FILE *f, const char *ifname, const struct sync_result *r)
{
	fprintf(f,
		"%s: created=%d peers_added=%zu peers_removed=%zu peers_changed=%zu "
		"peers_unchanged=%zu device_changed=%d wg_messages=%zu wg_bytes=%zu wg_peers=%zu "
		"wg_attributes=%zu addrs_added=%zu addrs_removed=%zu routes_added=%zu "
		"routes_removed=%zu mtu_set=%" PRIu32 " rtnl_messages=%u unresolved=%zu\n",
		ifname, r->created, r->peers.peers_added, r->peers.peers_removed,
		r->peers.peers_changed, r->peers.peers_unchanged, r->peers.device_changed,
		r->wg.messages, r->wg.bytes, r->wg.peers, r->wg.attributes, r->addrs_added,
		r->addrs_removed, r->routes_added, r->routes_removed, r->mtu_set,
		r->rtnl_messages, r->unresolved);
}
