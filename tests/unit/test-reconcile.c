// SPDX-License-Identifier: MIT
/*
 * The minimal-change diff (reconcile.c): which peers and which attributes go
 * out, checked on the model and on the very SET messages built from it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/rtnetlink.h>
#include <linux/wireguard.h>

#include "check.h"
#include "config.h"
#include "key.h"
#include "reconcile.h"
#include "wgnl.h"

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		abort();
	return p;
}

static void pk(struct wg_key *k, unsigned seed)
{
	for (size_t i = 0; i < sizeof(k->b); i++)
		k->b[i] = (uint8_t)(seed * 131 + i * 7 + 1);
	k->b[1] = (uint8_t)(seed >> 8);
	k->b[2] = (uint8_t)(seed >> 16);
}

static void ip4(struct ip_prefix *p, uint32_t host, uint8_t cidr)
{
	*p = (struct ip_prefix){ .family = AF_INET, .cidr = cidr };
	p->addr.ip4.s_addr = htonl(host);
}

static void ep4(struct wg_peer *p, uint32_t host, uint16_t port)
{
	p->endpoint.addr.in.sin_family = AF_INET;
	p->endpoint.addr.in.sin_addr.s_addr = htonl(host);
	p->endpoint.addr.in.sin_port = htons(port);
	p->endpoint.port = port;
}

/* n peers: key i, allowed IPs 10.x.y.z/32 and fd00::i/128, endpoint on every third. */
static struct wg_config *make(size_t n)
{
	struct wg_config *c = xcalloc(1, sizeof(*c));

	strcpy(c->ifname, "wg0");
	pk(&c->private_key, 999999);
	c->has_private_key = true;
	c->listen_port = 51820;
	c->has_listen_port = true;
	c->peers = xcalloc(n, sizeof(*c->peers));
	c->n_peers = n;
	for (size_t i = 0; i < n; i++) {
		struct wg_peer *p = &c->peers[i];

		pk(&p->public_key, (unsigned)i + 1);
		p->allowed_ips = xcalloc(2, sizeof(*p->allowed_ips));
		p->n_allowed_ips = 2;
		ip4(&p->allowed_ips[0], 0x0a000000u + (uint32_t)i, 32);
		p->allowed_ips[1].family = AF_INET6;
		p->allowed_ips[1].cidr = 128;
		p->allowed_ips[1].addr.ip6.s6_addr[0] = 0xfd;
		p->allowed_ips[1].addr.ip6.s6_addr[14] = (uint8_t)(i >> 8);
		p->allowed_ips[1].addr.ip6.s6_addr[15] = (uint8_t)i;
		if (i % 3 == 0)
			ep4(p, 0xc0000200u + (uint32_t)(i % 250), (uint16_t)(50000 + i % 1000));
		if (i % 5 == 0) {
			p->persistent_keepalive = 25;
			p->has_persistent_keepalive = true;
		}
	}
	return c;
}

/* What the kernel gives back for c: clamped private key, reversed peer order. */
static struct wg_config *as_kernel(const struct wg_config *want)
{
	struct wg_config *d = make(want->n_peers);

	d->ifindex = 7;
	key_clamp(&d->private_key);
	for (size_t i = 0; i < d->n_peers / 2; i++) {
		struct wg_peer t = d->peers[i];

		d->peers[i] = d->peers[d->n_peers - 1 - i];
		d->peers[d->n_peers - 1 - i] = t;
	}
	return d;
}

static struct wgnl_stats count_messages(const struct wg_config *diff)
{
	alignas(struct nlmsghdr) uint8_t buf[WG_SET_BUF_SIZE];
	struct wgnl_cursor cur = { 0 };
	struct wgnl_stats st = { 0 };
	int r;

	while ((r = wgnl_build_set_device(buf, WG_SET_MSG_MAX, 0x1c, 1, diff, &cur)) > 0)
		wgnl_count_set_message(buf, (size_t)r, &st);
	CHECK_EQ(r, 0);
	return st;
}

TEST(reconcile_identical_is_empty)
{
	_cleanup_config_ struct wg_config *want = make(100), *dev = as_kernel(want), *diff = NULL;
	struct reconcile_stats st;

	CHECK_EQ(reconcile_wg(want, dev, &diff, &st), 0);
	CHECK_EQ(diff->n_peers, 0);
	CHECK(!diff->has_private_key);
	CHECK(!diff->has_listen_port);
	CHECK(!diff->has_fwmark);
	CHECK_EQ(diff->flags, 0);
	CHECK_EQ(st.peers_unchanged, 100);
	CHECK(!st.device_changed);
}

TEST(reconcile_one_of_10000_allowed_ips)
{
	_cleanup_config_ struct wg_config *want = make(10000), *dev = as_kernel(want), *diff = NULL;
	struct reconcile_stats st;
	struct wgnl_stats ws;
	struct wg_peer *p = &want->peers[4242];

	ip4(&p->allowed_ips[0], 0x0b000001u, 32);
	CHECK_EQ(reconcile_wg(want, dev, &diff, &st), 0);
	CHECK_EQ(st.peers_changed, 1);
	CHECK_EQ(st.peers_unchanged, 9999);
	CHECK_EQ(diff->n_peers, 1);
	CHECK(key_equal(&diff->peers[0].public_key, &p->public_key));
	CHECK_EQ(diff->peers[0].flags, WGPEER_F_REPLACE_ALLOWEDIPS | WGPEER_F_UPDATE_ONLY);
	CHECK_EQ(diff->peers[0].n_allowed_ips, 2);
	/* Unchanged endpoint, keepalive, preshared key: not sent (sessions stay). */
	CHECK_EQ(diff->peers[0].endpoint.addr.sa.sa_family, AF_UNSPEC);
	CHECK(!diff->peers[0].has_persistent_keepalive);
	CHECK(!diff->peers[0].has_preshared_key);
	CHECK_EQ(diff->flags & WGDEVICE_F_REPLACE_PEERS, 0);
	ws = count_messages(diff);
	CHECK_EQ(ws.messages, 1);
	CHECK_EQ(ws.peers, 1);
	/* ifname; peers nest; peer nest; key, flags, allowedips nest; 2 x (nest + 3). */
	CHECK_EQ(ws.attributes, 1 + 1 + 1 + 3 + 2 * 4);
}

TEST(reconcile_endpoint_only)
{
	_cleanup_config_ struct wg_config *want = make(10), *dev = as_kernel(want), *diff = NULL;
	struct reconcile_stats st;
	struct wgnl_stats ws;

	ep4(&want->peers[3], 0xc6336401u, 4444);
	CHECK_EQ(reconcile_wg(want, dev, &diff, &st), 0);
	CHECK_EQ(diff->n_peers, 1);
	CHECK_EQ(diff->peers[0].flags, WGPEER_F_UPDATE_ONLY);
	CHECK_EQ(diff->peers[0].n_allowed_ips, 0);
	CHECK_EQ(diff->peers[0].endpoint.addr.sa.sa_family, AF_INET);
	CHECK_EQ(ntohs(diff->peers[0].endpoint.addr.in.sin_port), 4444);
	ws = count_messages(diff);
	/* ifname; peers; peer; key, flags, endpoint */
	CHECK_EQ(ws.attributes, 6);
}

TEST(reconcile_unresolved_endpoint_left_alone)
{
	_cleanup_config_ struct wg_config *want = make(4), *dev = as_kernel(want), *diff = NULL;
	struct reconcile_stats st;

	/* Peer 0 has an endpoint in the kernel; the desired one is a host name not resolved yet. */
	memset(&want->peers[0].endpoint.addr, 0, sizeof(want->peers[0].endpoint.addr));
	CHECK_EQ(reconcile_wg(want, dev, &diff, &st), 0);
	CHECK_EQ(diff->n_peers, 0);
}

TEST(reconcile_add_remove_keepalive_psk)
{
	_cleanup_config_ struct wg_config *want = make(6), *dev = as_kernel(want), *diff = NULL;
	struct reconcile_stats st;
	bool seen_new = false, seen_gone = false, seen_ka = false, seen_psk = false;
	struct wg_key gone = want->peers[5].public_key;

	/* Replace peer 5 by a new one; keepalive off on peer 0; PSK on peer 1 removed in config. */
	pk(&want->peers[5].public_key, 777);
	want->peers[0].has_persistent_keepalive = false;
	want->peers[0].persistent_keepalive = 0;
	for (size_t i = 0; i < dev->n_peers; i++)
		if (key_equal(&dev->peers[i].public_key, &want->peers[1].public_key)) {
			pk(&dev->peers[i].preshared_key, 5);
			dev->peers[i].has_preshared_key = true;
		}
	CHECK_EQ(reconcile_wg(want, dev, &diff, &st), 0);
	CHECK_EQ(st.peers_added, 1);
	CHECK_EQ(st.peers_removed, 1);
	CHECK_EQ(st.peers_changed, 2);
	CHECK_EQ(diff->n_peers, 4);
	for (size_t i = 0; i < diff->n_peers; i++) {
		struct wg_peer *p = &diff->peers[i];

		if (key_equal(&p->public_key, &want->peers[5].public_key)) {
			seen_new = p->n_allowed_ips == 2 && !(p->flags & WGPEER_F_UPDATE_ONLY);
		} else if (key_equal(&p->public_key, &gone)) {
			seen_gone = p->flags == WGPEER_F_REMOVE_ME && p->n_allowed_ips == 0;
		} else if (key_equal(&p->public_key, &want->peers[0].public_key)) {
			seen_ka = p->has_persistent_keepalive && p->persistent_keepalive == 0 &&
				  p->endpoint.addr.sa.sa_family == AF_UNSPEC;
		} else if (key_equal(&p->public_key, &want->peers[1].public_key)) {
			seen_psk = p->has_preshared_key && key_is_zero(&p->preshared_key);
		}
	}
	CHECK(seen_new);
	CHECK(seen_gone);
	CHECK(seen_ka);
	CHECK(seen_psk);
}

TEST(reconcile_allowed_ips_order_does_not_matter)
{
	_cleanup_config_ struct wg_config *want = make(3), *dev = as_kernel(want), *diff = NULL;
	struct reconcile_stats st;
	struct ip_prefix t = want->peers[1].allowed_ips[0];

	want->peers[1].allowed_ips[0] = want->peers[1].allowed_ips[1];
	want->peers[1].allowed_ips[1] = t;
	want->peers[1].allowed_ips[1].line = 42;
	CHECK_EQ(reconcile_wg(want, dev, &diff, &st), 0);
	CHECK_EQ(diff->n_peers, 0);
}

TEST(reconcile_device_attributes)
{
	_cleanup_config_ struct wg_config *want = make(1), *dev = as_kernel(want), *diff = NULL;
	struct reconcile_stats st;

	/* No ListenPort in the config: keep the kernel's random one. FwMark 0 vs set: clear it. */
	want->has_listen_port = false;
	dev->listen_port = 40000;
	dev->fwmark = 0x1234;
	dev->has_fwmark = true;
	CHECK_EQ(reconcile_wg(want, dev, &diff, &st), 0);
	CHECK(!diff->has_private_key); /* the same key, once clamped */
	CHECK(!diff->has_listen_port);
	CHECK(diff->has_fwmark);
	CHECK_EQ(diff->fwmark, 0);
	CHECK(st.device_changed);
	config_free(diff);
	diff = NULL;

	pk(&want->private_key, 4);
	CHECK_EQ(reconcile_wg(want, dev, &diff, &st), 0);
	CHECK(diff->has_private_key);
	CHECK_EQ(diff->flags, 0);
}

TEST(reconcile_rejects_other_interface)
{
	_cleanup_config_ struct wg_config *want = make(1), *dev = as_kernel(want);
	struct wg_config *diff = NULL;
	struct reconcile_stats st;

	strcpy(dev->ifname, "wg1");
	CHECK_EQ(reconcile_wg(want, dev, &diff, &st), -EINVAL);
	CHECK(diff == NULL);
}

TEST(reconcile_routes_tables)
{
	_cleanup_config_ struct wg_config *want = make(2);
	struct rt_route *v = NULL;
	size_t n = 0;

	CHECK_EQ(reconcile_routes(want, &v, &n), 0);
	CHECK_EQ(n, 4);
	for (size_t i = 0; i < n; i++)
		CHECK_EQ(v[i].table, RT_TABLE_MAIN);
	free(v);

	/* A full tunnel: the /0 goes to the fwmark table that reconcile_prepare() picks. */
	ip4(&want->peers[0].allowed_ips[0], 0, 0);
	reconcile_prepare(want);
	CHECK(want->has_fwmark);
	CHECK_EQ(want->fwmark, 51820);
	CHECK_EQ(reconcile_routes(want, &v, &n), 0);
	CHECK_EQ(n, 4);
	for (size_t i = 0; i < n; i++)
		CHECK_EQ(v[i].table, v[i].dst.cidr == 0 ? 51820u : RT_TABLE_MAIN);
	free(v);

	want->table_mode = TABLE_OFF;
	CHECK_EQ(reconcile_routes(want, &v, &n), 0);
	CHECK_EQ(n, 0);
	free(v);
}

TEST(reconcile_net_diff)
{
	_cleanup_config_ struct wg_config *want = make(2);
	struct ip_prefix addrs[3];
	struct rt_route routes[2];
	struct net_state cur = { .addrs = addrs, .n_addrs = 3, .routes = routes, .n_routes = 2,
				 .mtu = 1420 };
	struct net_diff d;

	want->addresses = xcalloc(1, sizeof(*want->addresses));
	want->n_addresses = 1;
	ip4(&want->addresses[0], 0x0a0000fe, 24);
	ip4(&addrs[0], 0x0a0000fe, 24);	/* wanted: stays */
	ip4(&addrs[1], 0x0a0000fd, 24); /* not wanted: goes */
	addrs[2] = (struct ip_prefix){ .family = AF_INET6, .cidr = 64 };
	addrs[2].addr.ip6.s6_addr[0] = 0xfe;
	addrs[2].addr.ip6.s6_addr[1] = 0x80; /* link-local: the kernel's, left alone */
	routes[0] = (struct rt_route){ .dst = want->peers[0].allowed_ips[0], .table = 254 };
	ip4(&routes[1].dst, 0x0c000000, 8); /* ours, no longer wanted */
	routes[1].table = 254;
	CHECK_EQ(reconcile_net(want, &cur, 1420, &d), 0);
	CHECK_EQ(d.n_addrs_add, 0);
	CHECK_EQ(d.n_addrs_del, 1);
	CHECK_EQ(ntohl(d.addrs_del[0].addr.ip4.s_addr), 0x0a0000fd);
	CHECK_EQ(d.n_routes_add, 3);
	CHECK_EQ(d.n_routes_del, 1);
	CHECK_EQ(d.routes_del[0].dst.cidr, 8);
	CHECK_EQ(d.mtu, 0);
	/* Longest prefix first, as `up` adds them. */
	CHECK_EQ(d.routes_add[0].dst.cidr, 128);
	net_diff_free(&d);

	want->mtu = 1380;
	CHECK_EQ(reconcile_net(want, &cur, 1420, &d), 0);
	CHECK_EQ(d.mtu, 1380);
	net_diff_free(&d);

	/* Nothing on the link yet (empty arrays may be NULL). */
	cur = (struct net_state){ .mtu = 1420 };
	CHECK_EQ(reconcile_net(want, &cur, 1420, &d), 0);
	CHECK_EQ(d.n_addrs_add, 1);
	CHECK_EQ(d.n_routes_add, 4);
	CHECK_EQ(d.n_routes_del, 0);
	net_diff_free(&d);
}

TEST(reconcile_endpoint_equal)
{
	struct wg_peer a = { 0 }, b = { 0 };

	CHECK(endpoint_equal(&a.endpoint.addr, &b.endpoint.addr));
	ep4(&a, 0x01020304, 1);
	CHECK(!endpoint_equal(&a.endpoint.addr, &b.endpoint.addr));
	ep4(&b, 0x01020304, 1);
	CHECK(endpoint_equal(&a.endpoint.addr, &b.endpoint.addr));
	ep4(&b, 0x01020304, 2);
	CHECK(!endpoint_equal(&a.endpoint.addr, &b.endpoint.addr));
}

TEST(wgnl_count_set_message_counts)
{
	_cleanup_config_ struct wg_config *want = make(400);
	struct wgnl_stats st;

	/* A full `up` of 400 peers needs several messages; every peer nest is counted. */
	st = count_messages(want);
	CHECK(st.messages > 1);
	CHECK(st.peers >= 400);
	CHECK(st.bytes > 400 * 32);
}
