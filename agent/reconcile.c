// SPDX-License-Identifier: MIT
/*
 * Minimal-change reconcile. WireGuard resets a peer's session state when its
 * endpoint or keys are set again and drops all of its allowed IPs on
 * REPLACE_ALLOWEDIPS, so the diff names only what really differs. Peers are
 * matched by public key through sorted index arrays: O(n log n) for any n.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/rtnetlink.h>
#include <linux/wireguard.h>

#include "apply.h"
#include "conf.h"
#include "key.h"
#include "macros.h"
#include "reconcile.h"

int ip_prefix_cmp(const struct ip_prefix *a, const struct ip_prefix *b)
{
	size_t len = a->family == AF_INET ? sizeof(a->addr.ip4) : sizeof(a->addr.ip6);
	int r;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->cidr != b->cidr)
		return a->cidr < b->cidr ? -1 : 1;
	r = memcmp(&a->addr, &b->addr, len);
	return r < 0 ? -1 : r > 0;
}

static int cmp_prefix_qsort(const void *a, const void *b)
{
	return ip_prefix_cmp(a, b);
}

bool endpoint_equal(const union wg_sockaddr *a, const union wg_sockaddr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	switch (a->sa.sa_family) {
	case AF_INET:
		return a->in.sin_port == b->in.sin_port &&
		       a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	case AF_INET6:
		return a->in6.sin6_port == b->in6.sin6_port &&
		       a->in6.sin6_scope_id == b->in6.sin6_scope_id &&
		       !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, sizeof(a->in6.sin6_addr));
	default:
		return true; /* both unset */
	}
}

bool reconcile_full_tunnel(const struct wg_config *want, uint8_t family)
{
	if (want->table_mode != TABLE_AUTO)
		return false;
	for (size_t i = 0; i < want->n_peers; i++)
		for (size_t j = 0; j < want->peers[i].n_allowed_ips; j++)
			if (want->peers[i].allowed_ips[j].family == family &&
			    want->peers[i].allowed_ips[j].cidr == 0)
				return true;
	return false;
}

void reconcile_prepare(struct wg_config *want)
{
	bool full = reconcile_full_tunnel(want, AF_INET) || reconcile_full_tunnel(want, AF_INET6);

	if (full && (!want->has_fwmark || want->fwmark == 0)) {
		want->fwmark = WG_DEFAULT_TABLE;
		want->has_fwmark = true;
	}
}

/* ---------------------------------------------------------------- peers */

static int cmp_peer_ptr(const void *a, const void *b)
{
	const struct wg_peer *x = *(const struct wg_peer *const *)a;
	const struct wg_peer *y = *(const struct wg_peer *const *)b;

	/* Public keys are not secret: memcmp is fine for ordering. */
	return memcmp(x->public_key.b, y->public_key.b, sizeof(x->public_key.b));
}

static const struct wg_peer **sorted_peers(const struct wg_config *cfg)
{
	const struct wg_peer **v = calloc(cfg->n_peers ? cfg->n_peers : 1, sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < cfg->n_peers; i++)
		v[i] = &cfg->peers[i];
	qsort(v, cfg->n_peers, sizeof(*v), cmp_peer_ptr);
	return v;
}

static struct ip_prefix *copy_prefixes(const struct ip_prefix *src, size_t n)
{
	struct ip_prefix *p = malloc((n ? n : 1) * sizeof(*p));

	if (p && n)
		memcpy(p, src, n * sizeof(*p));
	return p;
}

/* Same set of prefixes, in any order? */
static int allowed_ips_equal(const struct wg_peer *a, const struct wg_peer *b, bool *ret)
{
	_cleanup_free_ struct ip_prefix *x = NULL, *y = NULL;
	size_t n = a->n_allowed_ips;

	if (n != b->n_allowed_ips) {
		*ret = false;
		return 0;
	}
	/* Usually the kernel gives them back in the configured order: no copies then. */
	*ret = true;
	for (size_t i = 0; i < n && *ret; i++)
		*ret = ip_prefix_cmp(&a->allowed_ips[i], &b->allowed_ips[i]) == 0;
	if (*ret)
		return 0;
	x = copy_prefixes(a->allowed_ips, n);
	y = copy_prefixes(b->allowed_ips, n);
	if (!x || !y)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		x[i].line = y[i].line = 0;
	qsort(x, n, sizeof(*x), cmp_prefix_qsort);
	qsort(y, n, sizeof(*y), cmp_prefix_qsort);
	*ret = true;
	for (size_t i = 0; i < n && *ret; i++)
		*ret = ip_prefix_cmp(&x[i], &y[i]) == 0;
	return 0;
}

/* Appends to diff->peers; diff->peers has room for every possible entry. */
static struct wg_peer *diff_peer(struct wg_config *diff, const struct wg_key *pub)
{
	struct wg_peer *p = &diff->peers[diff->n_peers++];

	*p = (struct wg_peer){ .public_key = *pub };
	return p;
}

static int set_allowed_ips(struct wg_peer *p, const struct wg_peer *want)
{
	p->allowed_ips = copy_prefixes(want->allowed_ips, want->n_allowed_ips);
	if (!p->allowed_ips)
		return -ENOMEM;
	p->n_allowed_ips = want->n_allowed_ips;
	p->flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
	return 0;
}

static int add_new_peer(struct wg_config *diff, const struct wg_peer *want)
{
	struct wg_peer *p = diff_peer(diff, &want->public_key);

	p->has_preshared_key = want->has_preshared_key;
	p->preshared_key = want->preshared_key;
	p->endpoint.addr = want->endpoint.addr;
	p->endpoint.port = want->endpoint.port;
	p->has_persistent_keepalive = want->has_persistent_keepalive;
	p->persistent_keepalive = want->persistent_keepalive;
	p->line = want->line;
	return set_allowed_ips(p, want);
}

/* 1 if the peer went into the diff, 0 if nothing differs, or -ENOMEM. */
static int change_peer(struct wg_config *diff, const struct wg_peer *want,
		       const struct wg_peer *cur)
{
	struct wg_peer upd = { .public_key = want->public_key, .line = want->line };
	bool psk_want = want->has_preshared_key && !key_is_zero(&want->preshared_key);
	bool psk_cur = cur->has_preshared_key && !key_is_zero(&cur->preshared_key);
	uint16_t ka_want = want->has_persistent_keepalive ? want->persistent_keepalive : 0;
	uint16_t ka_cur = cur->has_persistent_keepalive ? cur->persistent_keepalive : 0;
	bool changed = false, same_ips;
	struct wg_peer *p;
	int r;

	if (psk_want != psk_cur || (psk_want && !key_equal(&want->preshared_key, &cur->preshared_key))) {
		/* An all-zero key is how the kernel is told "no preshared key". */
		upd.has_preshared_key = true;
		upd.preshared_key = want->preshared_key;
		if (!psk_want)
			key_wipe(&upd.preshared_key);
		changed = true;
	}
	if (want->endpoint.addr.sa.sa_family != AF_UNSPEC &&
	    !endpoint_equal(&want->endpoint.addr, &cur->endpoint.addr)) {
		upd.endpoint.addr = want->endpoint.addr;
		upd.endpoint.port = want->endpoint.port;
		changed = true;
	}
	if (ka_want != ka_cur) {
		upd.has_persistent_keepalive = true;
		upd.persistent_keepalive = ka_want;
		changed = true;
	}
	r = allowed_ips_equal(want, cur, &same_ips);
	if (r < 0) {
		key_wipe(&upd.preshared_key);
		return r;
	}
	if (!changed && same_ips)
		return 0;
	p = diff_peer(diff, &want->public_key);
	*p = upd;
	key_wipe(&upd.preshared_key);
	/* Never create a peer from a partial update if it went away meanwhile. */
	p->flags = WGPEER_F_UPDATE_ONLY;
	if (!same_ips)
		return set_allowed_ips(p, want) < 0 ? -ENOMEM : 1;
	return 1;
}

static void device_diff(struct wg_config *diff, const struct wg_config *want,
			const struct wg_config *dev, struct reconcile_stats *st)
{
	uint32_t fwmark = want->has_fwmark ? want->fwmark : 0;
	uint32_t dev_fwmark = dev->has_fwmark ? dev->fwmark : 0;

	if (want->has_private_key) {
		struct wg_key clamped = want->private_key;

		key_clamp(&clamped);
		if (!dev->has_private_key || !key_equal(&clamped, &dev->private_key)) {
			diff->private_key = clamped;
			diff->has_private_key = true;
			st->device_changed = true;
		}
		key_wipe(&clamped);
	}
	if (want->has_listen_port && (!dev->has_listen_port || dev->listen_port != want->listen_port)) {
		diff->listen_port = want->listen_port;
		diff->has_listen_port = true;
		st->device_changed = true;
	}
	if (fwmark != dev_fwmark) {
		diff->fwmark = fwmark;
		diff->has_fwmark = true;
		st->device_changed = true;
	}
}

int reconcile_wg(const struct wg_config *want, const struct wg_config *dev,
		 struct wg_config **ret_diff, struct reconcile_stats *ret_stats)
{
	_cleanup_config_ struct wg_config *diff = NULL;
	_cleanup_free_ const struct wg_peer **w = NULL, **d = NULL;
	struct reconcile_stats st = { 0 };
	size_t i = 0, j = 0;
	int r = 0;

	if (want->ifname[0] && dev->ifname[0] && strcmp(want->ifname, dev->ifname) != 0)
		return -EINVAL;
	diff = calloc(1, sizeof(*diff));
	if (!diff)
		return -ENOMEM;
	memcpy(diff->ifname, dev->ifname[0] ? dev->ifname : want->ifname, sizeof(diff->ifname));
	diff->ifindex = dev->ifindex;
	diff->peers = calloc(want->n_peers + dev->n_peers + 1, sizeof(*diff->peers));
	w = sorted_peers(want);
	d = sorted_peers(dev);
	if (!diff->peers || !w || !d)
		return -ENOMEM;

	device_diff(diff, want, dev, &st);
	while (r >= 0 && (i < want->n_peers || j < dev->n_peers)) {
		int c;

		if (i == want->n_peers)
			c = 1;
		else if (j == dev->n_peers)
			c = -1;
		else
			c = cmp_peer_ptr(&w[i], &d[j]);
		if (c < 0) {
			r = add_new_peer(diff, w[i++]);
			st.peers_added++;
		} else if (c > 0) {
			struct wg_peer *p = diff_peer(diff, &d[j++]->public_key);

			p->flags = WGPEER_F_REMOVE_ME;
			st.peers_removed++;
		} else {
			r = change_peer(diff, w[i++], d[j++]);
			if (r > 0)
				st.peers_changed++;
			else if (r == 0)
				st.peers_unchanged++;
		}
	}
	if (r < 0)
		return r;
	*ret_diff = TAKE_PTR(diff);
	if (ret_stats)
		*ret_stats = st;
	return 0;
}

/* ---------------------------------------------------------------- addresses, routes, MTU */

void net_state_free(struct net_state *st)
{
	if (!st)
		return;
	free(st->addrs);
	free(st->routes);
	*st = (struct net_state){ 0 };
}

void net_diff_free(struct net_diff *d)
{
	if (!d)
		return;
	free(d->addrs_add);
	free(d->addrs_del);
	free(d->routes_add);
	free(d->routes_del);
	*d = (struct net_diff){ 0 };
}

static int cmp_route(const void *a, const void *b)
{
	const struct rt_route *x = a, *y = b;

	if (x->table != y->table)
		return x->table < y->table ? -1 : 1;
	return ip_prefix_cmp(&x->dst, &y->dst);
}

/* Longest prefix first, as apply_up() adds them (and wg-quick does). */
static int cmp_route_add_order(const void *a, const void *b)
{
	const struct rt_route *x = a, *y = b;

	if (x->dst.cidr != y->dst.cidr)
		return x->dst.cidr > y->dst.cidr ? -1 : 1;
	return cmp_route(a, b);
}

int reconcile_routes(const struct wg_config *want, struct rt_route **ret, size_t *ret_n)
{
	struct rt_route *v;
	size_t total = 0, n = 0;
	uint32_t table;

	for (size_t i = 0; i < want->n_peers; i++)
		total += want->peers[i].n_allowed_ips;
	v = calloc(total ? total : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (want->table_mode != TABLE_OFF) {
		table = want->table_mode == TABLE_ID ? want->table : RT_TABLE_MAIN;
		for (size_t i = 0; i < want->n_peers; i++)
			for (size_t j = 0; j < want->peers[i].n_allowed_ips; j++) {
				struct rt_route *rt = &v[n++];

				rt->dst = want->peers[i].allowed_ips[j];
				rt->dst.line = 0;
				ip_prefix_mask(&rt->dst);
				rt->table = table;
				if (rt->dst.cidr == 0 && want->table_mode == TABLE_AUTO)
					rt->table = want->fwmark; /* full tunnel */
			}
	}
	qsort(v, n, sizeof(*v), cmp_route);
	/* Drop duplicates (the same prefix on two peers is rejected, but be safe). */
	if (n > 1) {
		size_t k = 1;

		for (size_t i = 1; i < n; i++)
			if (cmp_route(&v[i], &v[k - 1]) != 0)
				v[k++] = v[i];
		n = k;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static bool link_local6(const struct ip_prefix *p)
{
	return p->family == AF_INET6 && p->addr.ip6.s6_addr[0] == 0xfe &&
	       (p->addr.ip6.s6_addr[1] & 0xc0) == 0x80;
}

/* Elements of a (sorted) not in b (sorted): set difference by a merge walk. */
#define SET_MINUS(a, na, b, nb, cmp, out, nout)                                                    \
	do {                                                                                       \
		size_t i_ = 0, j_ = 0;                                                             \
		while (i_ < (na)) {                                                                \
			int c_ = j_ < (nb) ? cmp(&(a)[i_], &(b)[j_]) : -1;                         \
			if (c_ < 0)                                                                \
				(out)[(nout)++] = (a)[i_++];                                       \
			else if (c_ > 0)                                                           \
				j_++;                                                              \
			else {                                                                     \
				i_++;                                                              \
				j_++;                                                              \
			}                                                                          \
		}                                                                                  \
	} while (0)

int reconcile_net(const struct wg_config *want, const struct net_state *cur, uint32_t default_mtu,
		  struct net_diff *ret)
{
	_cleanup_free_ struct ip_prefix *wa = NULL, *ca = NULL;
	_cleanup_free_ struct rt_route *wr = NULL, *cr = NULL;
	struct net_diff d = { 0 };
	size_t nwr = 0, nca = 0;
	uint32_t mtu = want->mtu ? want->mtu : default_mtu;
	int r;

	wa = copy_prefixes(want->addresses, want->n_addresses);
	ca = malloc((cur->n_addrs ? cur->n_addrs : 1) * sizeof(*ca));
	cr = malloc((cur->n_routes ? cur->n_routes : 1) * sizeof(*cr));
	if (!wa || !ca || !cr)
		return -ENOMEM;
	for (size_t i = 0; i < want->n_addresses; i++)
		wa[i].line = 0;
	for (size_t i = 0; i < cur->n_addrs; i++)
		if (!link_local6(&cur->addrs[i])) {
			ca[nca] = cur->addrs[i];
			ca[nca++].line = 0;
		}
	qsort(wa, want->n_addresses, sizeof(*wa), cmp_prefix_qsort);
	qsort(ca, nca, sizeof(*ca), cmp_prefix_qsort);
	if (cur->n_routes)
		memcpy(cr, cur->routes, cur->n_routes * sizeof(*cr));
	for (size_t i = 0; i < cur->n_routes; i++)
		cr[i].dst.line = 0;
	qsort(cr, cur->n_routes, sizeof(*cr), cmp_route);
	r = reconcile_routes(want, &wr, &nwr);
	if (r < 0)
		return r;

	d.addrs_add = calloc(want->n_addresses + 1, sizeof(*d.addrs_add));
	d.addrs_del = calloc(nca + 1, sizeof(*d.addrs_del));
	d.routes_add = calloc(nwr + 1, sizeof(*d.routes_add));
	d.routes_del = calloc(cur->n_routes + 1, sizeof(*d.routes_del));
	if (!d.addrs_add || !d.addrs_del || !d.routes_add || !d.routes_del) {
		net_diff_free(&d);
		return -ENOMEM;
	}
	SET_MINUS(wa, want->n_addresses, ca, nca, ip_prefix_cmp, d.addrs_add, d.n_addrs_add);
	SET_MINUS(ca, nca, wa, want->n_addresses, ip_prefix_cmp, d.addrs_del, d.n_addrs_del);
	SET_MINUS(wr, nwr, cr, cur->n_routes, cmp_route, d.routes_add, d.n_routes_add);
	SET_MINUS(cr, cur->n_routes, wr, nwr, cmp_route, d.routes_del, d.n_routes_del);
	qsort(d.routes_add, d.n_routes_add, sizeof(*d.routes_add), cmp_route_add_order);
	if (mtu != cur->mtu)
		d.mtu = mtu;
	*ret = d;
	return 0;
}
