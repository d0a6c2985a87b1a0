// SPDX-License-Identifier: MIT
/*
 * WireGuard genetlink: SET messages built and parsed back attribute by
 * attribute (splitting included), hand-made dump replies fed to the parser,
 * and the shared reply checks in nl.c. Pure: no sockets.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>

#include "check.h"
#include "config.h"
#include "key.h"
#include "nl.h"
#include "wgnl.h"

#define FAMILY 0x1c
#define PORTID 0x4242

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		abort();
	return p;
}

static void test_key(struct wg_key *k, unsigned seed)
{
	for (size_t i = 0; i < sizeof(k->b); i++)
		k->b[i] = (uint8_t)(seed * 131 + i * 7 + 1);
	/* Distinct for every seed, not just modulo 256. */
	k->b[1] = (uint8_t)(seed >> 8);
	k->b[2] = (uint8_t)(seed >> 16);
}

static void test_ip(struct ip_prefix *ip, unsigned seed)
{
	*ip = (struct ip_prefix){ 0 };
	if (seed % 3 == 2) {
		ip->family = AF_INET6;
		ip->addr.ip6.s6_addr[0] = 0xfd;
		ip->addr.ip6.s6_addr[14] = (uint8_t)(seed >> 8);
		ip->addr.ip6.s6_addr[15] = (uint8_t)seed;
		ip->cidr = 128;
	} else {
		ip->family = AF_INET;
		ip->addr.ip4.s_addr = htonl(0x0a000000u | seed);
		ip->cidr = (uint8_t)(24 + seed % 9);
	}
}

static void endpoint4(struct wg_endpoint *ep, const char *ip, uint16_t port)
{
	ep->addr.in.sin_family = AF_INET;
	ep->addr.in.sin_port = htons(port);
	inet_pton(AF_INET, ip, &ep->addr.in.sin_addr);
	ep->port = port;
}

static void endpoint6(struct wg_endpoint *ep, const char *ip, uint16_t port)
{
	ep->addr.in6.sin6_family = AF_INET6;
	ep->addr.in6.sin6_port = htons(port);
	inet_pton(AF_INET6, ip, &ep->addr.in6.sin6_addr);
	ep->port = port;
}

/* A config with n peers of n_ips allowed IPs each; free with free_test_config(). */
static struct wg_config *test_config(size_t n_peers, size_t n_ips)
{
	struct wg_config *cfg = xcalloc(1, sizeof(*cfg));

	strcpy(cfg->ifname, "wg0");
	cfg->peers = xcalloc(n_peers, sizeof(*cfg->peers));
	cfg->n_peers = n_peers;
	for (size_t i = 0; i < n_peers; i++) {
		struct wg_peer *p = &cfg->peers[i];

		test_key(&p->public_key, (unsigned)i + 100);
		p->flags = WGPEER_F_REPLACE_ALLOWEDIPS;
		if (i % 2 == 0) {
			test_key(&p->preshared_key, (unsigned)i + 5000);
			p->has_preshared_key = true;
			endpoint4(&p->endpoint, "192.0.2.1", (uint16_t)(10000 + i));
		} else if (i % 3 == 0) {
			endpoint6(&p->endpoint, "2001:db8::1", (uint16_t)(20000 + i));
			p->persistent_keepalive = 25;
			p->has_persistent_keepalive = true;
		}
		p->allowed_ips = xcalloc(n_ips, sizeof(*p->allowed_ips));
		p->n_allowed_ips = n_ips;
		for (size_t j = 0; j < n_ips; j++)
			test_ip(&p->allowed_ips[j], (unsigned)(i * n_ips + j));
	}
	return cfg;
}

static void free_test_config(struct wg_config *cfg)
{
	for (size_t i = 0; i < cfg->n_peers; i++)
		free(cfg->peers[i].allowed_ips);
	free(cfg->peers);
	free(cfg);
}

/* ---------------------------------------------------------------- SET decoder */

struct dec_ip {
	struct ip_prefix p;
	size_t addr_len;
	unsigned seen;
};

struct dec_peer {
	struct wg_key pub, psk;
	bool has_pub, has_flags, has_psk, has_endpoint, has_keepalive, has_ips;
	uint32_t flags;
	union wg_sockaddr ep;
	size_t ep_len;
	uint16_t keepalive;
	struct ip_prefix *ips;
	size_t n_ips;
};

struct dec_msg {
	char ifname[IFNAMSIZ];
	bool has_ifname, has_pk, has_port, has_fwmark, has_flags, has_peers;
	struct wg_key pk;
	uint16_t port;
	uint32_t fwmark, flags;
	struct dec_peer *peers;
	size_t n_peers;
};

static void dec_free(struct dec_msg *m)
{
	for (size_t i = 0; i < m->n_peers; i++)
		free(m->peers[i].ips);
	free(m->peers);
	memset(m, 0, sizeof(*m));
}

static int dec_ip_attr(const struct nlattr *attr, void *data)
{
	struct dec_ip *ip = data;

	switch (mnl_attr_get_type(attr)) {
	case WGALLOWEDIP_A_FAMILY:
		if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
			return MNL_CB_ERROR;
		ip->p.family = (uint8_t)mnl_attr_get_u16(attr);
		ip->seen |= 1;
		break;
	case WGALLOWEDIP_A_IPADDR:
		ip->addr_len = mnl_attr_get_payload_len(attr);
		if (ip->addr_len != 4 && ip->addr_len != 16)
			return MNL_CB_ERROR;
		memcpy(&ip->p.addr, mnl_attr_get_payload(attr), ip->addr_len);
		ip->seen |= 2;
		break;
	case WGALLOWEDIP_A_CIDR_MASK:
		if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
			return MNL_CB_ERROR;
		ip->p.cidr = mnl_attr_get_u8(attr);
		ip->seen |= 4;
		break;
	default:
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

static int dec_ip(const struct nlattr *nest, void *data)
{
	struct dec_peer *p = data;
	struct dec_ip ip = { 0 };

	if (mnl_attr_get_type(nest) != 0 ||
	    mnl_attr_parse_nested(nest, dec_ip_attr, &ip) != MNL_CB_OK || ip.seen != 7 ||
	    ip.addr_len != (ip.p.family == AF_INET ? 4u : 16u))
		return MNL_CB_ERROR;
	p->ips = realloc(p->ips, (p->n_ips + 1) * sizeof(*p->ips));
	if (!p->ips)
		abort();
	p->ips[p->n_ips++] = ip.p;
	return MNL_CB_OK;
}

static int dec_peer_attr(const struct nlattr *attr, void *data)
{
	struct dec_peer *p = data;
	size_t len = mnl_attr_get_payload_len(attr);

	switch (mnl_attr_get_type(attr)) {
	case WGPEER_A_PUBLIC_KEY:
		if (len != 32 || p->has_pub)
			return MNL_CB_ERROR;
		memcpy(p->pub.b, mnl_attr_get_payload(attr), 32);
		p->has_pub = true;
		break;
	case WGPEER_A_PRESHARED_KEY:
		if (len != 32 || p->has_psk)
			return MNL_CB_ERROR;
		memcpy(p->psk.b, mnl_attr_get_payload(attr), 32);
		p->has_psk = true;
		break;
	case WGPEER_A_FLAGS:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0 || p->has_flags)
			return MNL_CB_ERROR;
		p->flags = mnl_attr_get_u32(attr);
		p->has_flags = true;
		break;
	case WGPEER_A_ENDPOINT:
		if (len > sizeof(p->ep) || p->has_endpoint)
			return MNL_CB_ERROR;
		memcpy(&p->ep, mnl_attr_get_payload(attr), len);
		p->ep_len = len;
		p->has_endpoint = true;
		break;
	case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
		if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0 || p->has_keepalive)
			return MNL_CB_ERROR;
		p->keepalive = mnl_attr_get_u16(attr);
		p->has_keepalive = true;
		break;
	case WGPEER_A_ALLOWEDIPS:
		if (p->has_ips)
			return MNL_CB_ERROR;
		p->has_ips = true;
		return mnl_attr_parse_nested(attr, dec_ip, p);
	default:
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

static int dec_peer(const struct nlattr *nest, void *data)
{
	struct dec_msg *m = data;
	struct dec_peer *p;

	m->peers = realloc(m->peers, (m->n_peers + 1) * sizeof(*m->peers));
	if (!m->peers)
		abort();
	p = &m->peers[m->n_peers++];
	memset(p, 0, sizeof(*p));
	if (mnl_attr_get_type(nest) != 0 ||
	    mnl_attr_parse_nested(nest, dec_peer_attr, p) != MNL_CB_OK || !p->has_pub)
		return MNL_CB_ERROR;
	return MNL_CB_OK;
}

static int dec_device_attr(const struct nlattr *attr, void *data)
{
	struct dec_msg *m = data;

	switch (mnl_attr_get_type(attr)) {
	case WGDEVICE_A_IFNAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0 ||
		    mnl_attr_get_payload_len(attr) > IFNAMSIZ)
			return MNL_CB_ERROR;
		strcpy(m->ifname, mnl_attr_get_str(attr));
		m->has_ifname = true;
		break;
	case WGDEVICE_A_PRIVATE_KEY:
		if (mnl_attr_get_payload_len(attr) != 32)
			return MNL_CB_ERROR;
		memcpy(m->pk.b, mnl_attr_get_payload(attr), 32);
		m->has_pk = true;
		break;
	case WGDEVICE_A_LISTEN_PORT:
		if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
			return MNL_CB_ERROR;
		m->port = mnl_attr_get_u16(attr);
		m->has_port = true;
		break;
	case WGDEVICE_A_FWMARK:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		m->fwmark = mnl_attr_get_u32(attr);
		m->has_fwmark = true;
		break;
	case WGDEVICE_A_FLAGS:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		m->flags = mnl_attr_get_u32(attr);
		m->has_flags = true;
		break;
	case WGDEVICE_A_PEERS:
		if (m->has_peers)
			return MNL_CB_ERROR;
		m->has_peers = true;
		return mnl_attr_parse_nested(attr, dec_peer, m);
	default:
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

/* Parses one SET message back; false if anything is off. */
static bool decode_set(const void *buf, int len, uint32_t seq, struct dec_msg *m)
{
	const struct nlmsghdr *nlh = buf;
	const struct genlmsghdr *genl;

	memset(m, 0, sizeof(*m));
	if (len <= 0 || nlh->nlmsg_len != (uint32_t)len || nlh->nlmsg_type != FAMILY ||
	    nlh->nlmsg_flags != (NLM_F_REQUEST | NLM_F_ACK) || nlh->nlmsg_seq != seq)
		return false;
	genl = mnl_nlmsg_get_payload(nlh);
	if (genl->cmd != WG_CMD_SET_DEVICE || genl->version != WG_GENL_VERSION)
		return false;
	return mnl_attr_parse(nlh, sizeof(*genl), dec_device_attr, m) == MNL_CB_OK;
}

static bool ips_equal(const struct ip_prefix *a, const struct ip_prefix *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = a[i].family == AF_INET ? 4 : 16;

		if (a[i].family != b[i].family || a[i].cidr != b[i].cidr ||
		    memcmp(&a[i].addr, &b[i].addr, len) != 0)
			return false;
	}
	return true;
}

static bool endpoint_matches(const struct dec_peer *d, const struct wg_peer *p)
{
	sa_family_t family = p->endpoint.addr.sa.sa_family;

	if (family == AF_UNSPEC)
		return !d->has_endpoint;
	if (!d->has_endpoint)
		return false;
	if (family == AF_INET)
		return d->ep_len == sizeof(struct sockaddr_in) &&
		       !memcmp(&d->ep.in, &p->endpoint.addr.in, sizeof(d->ep.in));
	return d->ep_len == sizeof(struct sockaddr_in6) &&
	       !memcmp(&d->ep.in6, &p->endpoint.addr.in6, sizeof(d->ep.in6));
}

struct split_stats {
	size_t messages;
	size_t max_len;
	size_t peer_chunks;   /* peer nests sent */
	size_t continuations; /* of those, chunks after a peer's first */
	unsigned errors;
};

/*
 * Builds every SET message for cfg with buffers of buflen and checks the
 * sequence as a whole: device attributes only first, each peer once and
 * in order, allowed IPs in order, first-chunk-only attributes.
 */
static struct split_stats build_all(const struct wg_config *cfg, size_t buflen)
{
	struct split_stats st = { 0 };
	struct wgnl_cursor cur = { 0 };
	struct wg_key clamped = cfg->private_key;
	size_t pi = 0, ai = 0;
	bool open = false;
	uint8_t *buf = xcalloc(1, buflen);
	uint32_t seq = 1000;
	int r;

	key_clamp(&clamped);
	for (;; seq++) {
		struct dec_msg m;

		r = wgnl_build_set_device(buf, buflen, FAMILY, seq, cfg, &cur);
		if (r <= 0)
			break;
		if ((size_t)r > buflen || !decode_set(buf, r, seq, &m)) {
			st.errors++;
			dec_free(&m);
			break;
		}
		if ((size_t)r > st.max_len)
			st.max_len = (size_t)r;
		if (!m.has_ifname || strcmp(m.ifname, cfg->ifname) != 0)
			st.errors++;
		if (st.messages == 0) {
			if (m.has_pk != cfg->has_private_key ||
			    (m.has_pk && memcmp(m.pk.b, clamped.b, 32) != 0) ||
			    m.has_port != cfg->has_listen_port || m.port != cfg->listen_port ||
			    m.has_fwmark != cfg->has_fwmark || m.fwmark != cfg->fwmark ||
			    m.has_flags != (cfg->flags != 0) || m.flags != cfg->flags)
				st.errors++;
		} else if (m.has_pk || m.has_port || m.has_fwmark || m.has_flags || !m.has_peers)
			st.errors++;
		if (m.has_peers && m.n_peers == 0)
			st.errors++; /* no empty peers nest */
		for (size_t i = 0; i < m.n_peers; i++) {
			const struct dec_peer *d = &m.peers[i];
			const struct wg_peer *p;
			uint32_t want_flags;

			st.peer_chunks++;
			if (pi >= cfg->n_peers) {
				st.errors++;
				break;
			}
			p = &cfg->peers[pi];
			if (memcmp(d->pub.b, p->public_key.b, 32) != 0)
				st.errors++;
			want_flags = p->flags;
			if (open)
				want_flags &= ~(uint32_t)WGPEER_F_REPLACE_ALLOWEDIPS;
			if (d->has_flags != (want_flags != 0) || d->flags != want_flags)
				st.errors++;
			if (open) {
				st.continuations++;
				if (d->has_psk || d->has_endpoint || d->has_keepalive ||
				    d->n_ips == 0)
					st.errors++;
			} else {
				if (d->has_psk != p->has_preshared_key ||
				    (d->has_psk && memcmp(d->psk.b, p->preshared_key.b, 32) != 0) ||
				    !endpoint_matches(d, p) ||
				    d->has_keepalive != p->has_persistent_keepalive ||
				    d->keepalive != p->persistent_keepalive)
					st.errors++;
			}
			if (d->has_ips != (d->n_ips > 0) || ai + d->n_ips > p->n_allowed_ips ||
			    !ips_equal(d->ips, p->allowed_ips + ai, d->n_ips))
				st.errors++;
			ai += d->n_ips;
			if (ai >= p->n_allowed_ips) {
				pi++;
				ai = 0;
				open = false;
			} else
				open = true;
		}
		st.messages++;
		dec_free(&m);
	}
	if (r != 0 || pi != cfg->n_peers || open)
		st.errors++;
	free(buf);
	return st;
}

/* ---------------------------------------------------------------- SET tests */

TEST(wgnl_set_device_all_attributes)
{
	alignas(struct nlmsghdr) uint8_t buf[WG_SET_BUF_SIZE];
	struct wgnl_cursor cur = { 0 };
	struct wg_config *cfg = test_config(2, 3);
	struct wg_key clamped;
	struct dec_msg m;
	int r;

	memset(cfg->private_key.b, 0xff, 32); /* unclamped */
	cfg->has_private_key = true;
	cfg->listen_port = 51820;
	cfg->has_listen_port = true;
	cfg->fwmark = 0xca6c;
	cfg->has_fwmark = true;
	cfg->flags = WGDEVICE_F_REPLACE_PEERS;
	cfg->peers[1].flags = 0;

	r = wgnl_build_set_device(buf, sizeof(buf), FAMILY, 7, cfg, &cur);
	CHECK(r > 0);
	CHECK(decode_set(buf, r, 7, &m));
	CHECK_STREQ(m.ifname, "wg0");
	CHECK(m.has_pk);
	clamped = cfg->private_key;
	key_clamp(&clamped);
	CHECK_MEMEQ(m.pk.b, clamped.b, 32);
	CHECK_EQ(m.pk.b[0], 0xf8);
	CHECK_EQ(m.pk.b[31], 0x7f);
	CHECK_EQ(cfg->private_key.b[0], 0xff); /* clamped a copy, not the config */
	CHECK(m.has_port);
	CHECK_EQ(m.port, 51820);
	CHECK(m.has_fwmark);
	CHECK_EQ(m.fwmark, 0xca6c);
	CHECK(m.has_flags);
	CHECK_EQ(m.flags, WGDEVICE_F_REPLACE_PEERS);
	CHECK(m.has_peers);
	CHECK_EQ(m.n_peers, 2);
	if (m.n_peers == 2) {
		const struct dec_peer *p0 = &m.peers[0], *p1 = &m.peers[1];

		CHECK_MEMEQ(p0->pub.b, cfg->peers[0].public_key.b, 32);
		CHECK(p0->has_flags);
		CHECK_EQ(p0->flags, WGPEER_F_REPLACE_ALLOWEDIPS);
		CHECK(p0->has_psk);
		CHECK_MEMEQ(p0->psk.b, cfg->peers[0].preshared_key.b, 32);
		CHECK(p0->has_endpoint);
		CHECK_EQ(p0->ep_len, sizeof(struct sockaddr_in));
		CHECK_EQ(p0->ep.in.sin_family, AF_INET);
		CHECK_EQ(ntohs(p0->ep.in.sin_port), 10000);
		CHECK_EQ(ntohl(p0->ep.in.sin_addr.s_addr), 0xc0000201);
		CHECK(!p0->has_keepalive);
		CHECK_EQ(p0->n_ips, 3);
		CHECK(ips_equal(p0->ips, cfg->peers[0].allowed_ips, 3));
		CHECK_EQ(p0->ips[2].family, AF_INET6);

		CHECK_MEMEQ(p1->pub.b, cfg->peers[1].public_key.b, 32);
		CHECK(!p1->has_flags);
		CHECK(!p1->has_psk);
		CHECK(!p1->has_endpoint); /* peer 1: odd, not a multiple of 3 */
		CHECK(!p1->has_keepalive);
		CHECK_EQ(p1->n_ips, 3);
	}
	dec_free(&m);
	CHECK_EQ(wgnl_build_set_device(buf, sizeof(buf), FAMILY, 8, cfg, &cur), 0);
	free_test_config(cfg);
}

TEST(wgnl_set_device_ipv6_endpoint_keepalive)
{
	alignas(struct nlmsghdr) uint8_t buf[WG_SET_BUF_SIZE];
	struct wgnl_cursor cur = { 0 };
	struct wg_config *cfg = test_config(4, 0);
	struct dec_msg m;
	int r;

	r = wgnl_build_set_device(buf, sizeof(buf), FAMILY, 1, cfg, &cur);
	CHECK(decode_set(buf, r, 1, &m));
	CHECK(!m.has_pk);
	CHECK(!m.has_port);
	CHECK(!m.has_fwmark);
	CHECK(!m.has_flags);
	CHECK_EQ(m.n_peers, 4);
	if (m.n_peers == 4) {
		const struct dec_peer *p = &m.peers[3];

		CHECK(p->has_endpoint);
		CHECK_EQ(p->ep_len, sizeof(struct sockaddr_in6));
		CHECK_EQ(p->ep.in6.sin6_family, AF_INET6);
		CHECK_EQ(ntohs(p->ep.in6.sin6_port), 20003);
		CHECK_MEMEQ(&p->ep.in6.sin6_addr, &cfg->peers[3].endpoint.addr.in6.sin6_addr, 16);
		CHECK(p->has_keepalive);
		CHECK_EQ(p->keepalive, 25);
		/* A peer with no allowed IPs still goes out, without an empty nest. */
		CHECK(!p->has_ips);
		CHECK_EQ(p->n_ips, 0);
	}
	dec_free(&m);
	free_test_config(cfg);
}

TEST(wgnl_set_device_no_peers_sends_one_message)
{
	alignas(struct nlmsghdr) uint8_t buf[256];
	struct wgnl_cursor cur = { 0 };
	struct wg_config cfg = { .ifname = "wg-test" };
	struct dec_msg m;
	int r;

	cfg.flags = WGDEVICE_F_REPLACE_PEERS;
	r = wgnl_build_set_device(buf, sizeof(buf), FAMILY, 3, &cfg, &cur);
	CHECK(r > 0);
	CHECK(decode_set(buf, r, 3, &m));
	CHECK_STREQ(m.ifname, "wg-test");
	CHECK(m.has_flags);
	CHECK(!m.has_peers);
	dec_free(&m);
	CHECK_EQ(wgnl_build_set_device(buf, sizeof(buf), FAMILY, 4, &cfg, &cur), 0);
}

TEST(wgnl_set_device_splits_many_peers)
{
	struct wg_config *cfg = test_config(1000, 3);
	struct split_stats st;

	test_key(&cfg->private_key, 1);
	cfg->has_private_key = true;
	cfg->listen_port = 51820;
	cfg->has_listen_port = true;
	cfg->flags = WGDEVICE_F_REPLACE_PEERS;
	st = build_all(cfg, 2048);
	CHECK_EQ(st.errors, 0);
	CHECK(st.messages > 10);
	CHECK(st.max_len <= 2048);
	CHECK(st.peer_chunks >= 1000);
	free_test_config(cfg);
}

TEST(wgnl_set_device_splits_at_page_size)
{
	struct wg_config *cfg = test_config(1000, 3);
	struct split_stats st;

	cfg->flags = WGDEVICE_F_REPLACE_PEERS;
	CHECK(WG_SET_MSG_MAX >= 4096);
	CHECK(WG_SET_MSG_MAX <= WG_SET_BUF_SIZE);
	st = build_all(cfg, WG_SET_MSG_MAX);
	CHECK_EQ(st.errors, 0);
	CHECK(st.messages > 1);
	CHECK(st.max_len <= WG_SET_MSG_MAX);
	free_test_config(cfg);
}

TEST(wgnl_set_device_splits_allowed_ips)
{
	struct wg_config *cfg = test_config(1, 2000);
	struct split_stats st;

	cfg->flags = WGDEVICE_F_REPLACE_PEERS;
	/* build_all() checks REPLACE_ALLOWEDIPS (and psk, endpoint) on the first chunk only. */
	st = build_all(cfg, 4096);
	CHECK_EQ(st.errors, 0);
	CHECK(st.messages >= 2);
	CHECK_EQ(st.continuations, st.messages - 1);
	CHECK_EQ(st.peer_chunks, st.messages);
	free_test_config(cfg);
}

TEST(wgnl_set_device_continuation_keeps_update_only)
{
	struct wg_config *cfg = test_config(2, 500);
	struct split_stats st;

	/* build_all() expects every flag but REPLACE_ALLOWEDIPS on continuations. */
	cfg->peers[0].flags = WGPEER_F_REPLACE_ALLOWEDIPS | WGPEER_F_UPDATE_ONLY;
	st = build_all(cfg, 1024);
	CHECK_EQ(st.errors, 0);
	CHECK(st.continuations > 0);
	free_test_config(cfg);
}

TEST(wgnl_set_device_every_buffer_size)
{
	struct wg_config *cfg = test_config(7, 5);
	unsigned errors = 0;

	test_key(&cfg->private_key, 9);
	cfg->has_private_key = true;
	cfg->has_fwmark = true;
	cfg->fwmark = 1;
	cfg->flags = WGDEVICE_F_REPLACE_PEERS;
	cfg->peers[3].n_allowed_ips = 0;
	/* From "one peer chunk barely fits" up: every split point must come out right. */
	for (size_t len = 180; len <= 1200; len += 4) {
		struct split_stats st = build_all(cfg, len);

		errors += st.errors;
		if (st.max_len > len)
			errors++;
	}
	CHECK_EQ(errors, 0);
	free_test_config(cfg);
}

TEST(wgnl_set_device_too_small)
{
	alignas(struct nlmsghdr) uint8_t buf[512];
	struct wgnl_cursor cur = { 0 };
	struct wg_config *cfg = test_config(64, 1);

	/* Not even the header and the interface name. */
	CHECK_EQ(wgnl_build_set_device(buf, 16, FAMILY, 1, cfg, &cur), -EMSGSIZE);
	/* Header and name, but not the private key. */
	cfg->has_private_key = true;
	CHECK_EQ(wgnl_build_set_device(buf, 40, FAMILY, 1, cfg, &cur), -EMSGSIZE);
	CHECK(!cur.started);
	cfg->has_private_key = false;
	/* The first message goes out with device attributes only; no peer ever fits. */
	CHECK_EQ(wgnl_build_set_device(buf, 64, FAMILY, 1, cfg, &cur), 28);
	CHECK(cur.started);
	CHECK_EQ(cur.peer, 0);
	CHECK_EQ(wgnl_build_set_device(buf, 64, FAMILY, 2, cfg, &cur), -EMSGSIZE);
	free_test_config(cfg);
}

TEST(wgnl_set_device_rejects_bad_input)
{
	alignas(struct nlmsghdr) uint8_t buf[1024];
	struct wgnl_cursor cur = { 0 };
	struct wg_config *cfg = test_config(1, 1);

	cfg->peers[0].allowed_ips[0].family = AF_UNSPEC;
	CHECK_EQ(wgnl_build_set_device(buf, sizeof(buf), FAMILY, 1, cfg, &cur), -EINVAL);
	test_ip(&cfg->peers[0].allowed_ips[0], 1);
	cur = (struct wgnl_cursor){ 0 };
	cfg->peers[0].endpoint.addr.sa.sa_family = AF_UNIX;
	CHECK_EQ(wgnl_build_set_device(buf, sizeof(buf), FAMILY, 1, cfg, &cur), -EINVAL);
	cfg->peers[0].endpoint.addr.sa.sa_family = AF_UNSPEC;
	cur = (struct wgnl_cursor){ 0 };
	cfg->ifname[0] = '\0';
	CHECK_EQ(wgnl_build_set_device(buf, sizeof(buf), FAMILY, 1, cfg, &cur), -EINVAL);
	memset(cfg->ifname, 'x', sizeof(cfg->ifname)); /* not terminated */
	CHECK_EQ(wgnl_build_set_device(buf, sizeof(buf), FAMILY, 1, cfg, &cur), -EINVAL);
	free_test_config(cfg);
}

TEST(wgnl_build_get_requests)
{
	alignas(struct nlmsghdr) uint8_t buf[128] = { 0 };
	const struct nlmsghdr *nlh = (const void *)buf;
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	int r;

	r = wgnl_build_get_device(buf, sizeof(buf), FAMILY, 9, "wg1");
	CHECK_EQ(r, (int)nlh->nlmsg_len);
	CHECK_EQ(nlh->nlmsg_type, FAMILY);
	CHECK_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	CHECK_EQ(nlh->nlmsg_seq, 9);
	CHECK_EQ(genl->cmd, WG_CMD_GET_DEVICE);
	CHECK_EQ(genl->version, WG_GENL_VERSION);
	attr = mnl_nlmsg_get_payload_offset(nlh, sizeof(*genl));
	CHECK_EQ(mnl_attr_get_type(attr), WGDEVICE_A_IFNAME);
	CHECK_STREQ(mnl_attr_get_str(attr), "wg1");
	CHECK_EQ(wgnl_build_get_device(buf, sizeof(buf), FAMILY, 9, "0123456789abcdef"), -EINVAL);
	CHECK_EQ(wgnl_build_get_device(buf, 24, FAMILY, 9, "wg1"), -EMSGSIZE);

	r = wgnl_build_get_family(buf, sizeof(buf), 10);
	CHECK_EQ(r, (int)nlh->nlmsg_len);
	CHECK_EQ(nlh->nlmsg_type, GENL_ID_CTRL);
	CHECK_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	CHECK_EQ(genl->cmd, CTRL_CMD_GETFAMILY);
	attr = mnl_nlmsg_get_payload_offset(nlh, sizeof(*genl));
	CHECK_EQ(mnl_attr_get_type(attr), CTRL_ATTR_FAMILY_NAME);
	CHECK_STREQ(mnl_attr_get_str(attr), "wireguard");
}

/* ---------------------------------------------------------------- replies, by hand */

struct replies {
	alignas(struct nlmsghdr) uint8_t b[65536];
	size_t len;
};

static struct replies *replies_new(void)
{
	return xcalloc(1, sizeof(struct replies));
}

static struct nlmsghdr *msg_begin(struct replies *d, uint16_t type, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(d->b + d->len);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = PORTID;
	return nlh;
}

static void msg_end(struct replies *d, const struct nlmsghdr *nlh)
{
	d->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static struct nlmsghdr *wg_msg_begin(struct replies *d, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh = msg_begin(d, FAMILY, NLM_F_MULTI | flags, seq);
	struct genlmsghdr *genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));

	genl->cmd = WG_CMD_GET_DEVICE;
	genl->version = WG_GENL_VERSION;
	return nlh;
}

static void add_error(struct replies *d, uint32_t seq, int error)
{
	struct nlmsghdr *nlh = msg_begin(d, NLMSG_ERROR, 0, seq);
	struct nlmsgerr *err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));

	err->error = error;
	err->msg.nlmsg_seq = seq;
	msg_end(d, nlh);
}

static void add_done(struct replies *d, uint32_t seq, int error)
{
	struct nlmsghdr *nlh = msg_begin(d, NLMSG_DONE, NLM_F_MULTI, seq);
	int *p = mnl_nlmsg_put_extra_header(nlh, sizeof(int));

	*p = error;
	msg_end(d, nlh);
}

/* What the kernel's wg_get_device_dump() puts first. */
static void kput_device(struct nlmsghdr *nlh, const struct wg_config *dev)
{
	mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, dev->listen_port);
	mnl_attr_put_u32(nlh, WGDEVICE_A_FWMARK, dev->fwmark);
	mnl_attr_put_u32(nlh, WGDEVICE_A_IFINDEX, dev->ifindex);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, dev->ifname);
	if (dev->has_private_key) {
		mnl_attr_put(nlh, WGDEVICE_A_PRIVATE_KEY, 32, dev->private_key.b);
		mnl_attr_put(nlh, WGDEVICE_A_PUBLIC_KEY, 32, dev->public_key.b);
	}
}

/* The kernel's get_peer(): allowed IPs [from, to); the rest only when from == 0. */
static void kput_peer(struct nlmsghdr *nlh, const struct wg_peer *p, size_t from, size_t to)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, 0), *ips;
	struct wg_key zero = { { 0 } };

	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, 32, p->public_key.b);
	if (from == 0) {
		struct __kernel_timespec ts = {
			.tv_sec = p->last_handshake.tv_sec,
			.tv_nsec = p->last_handshake.tv_nsec,
		};

		mnl_attr_put(nlh, WGPEER_A_PRESHARED_KEY, 32,
			     p->has_preshared_key ? p->preshared_key.b : zero.b);
		mnl_attr_put(nlh, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(ts), &ts);
		mnl_attr_put_u16(nlh, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
				 p->persistent_keepalive);
		mnl_attr_put_u64(nlh, WGPEER_A_TX_BYTES, p->tx_bytes);
		mnl_attr_put_u64(nlh, WGPEER_A_RX_BYTES, p->rx_bytes);
		mnl_attr_put_u32(nlh, WGPEER_A_PROTOCOL_VERSION, 1);
		if (p->endpoint.addr.sa.sa_family == AF_INET)
			mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(p->endpoint.addr.in),
				     &p->endpoint.addr.in);
		else if (p->endpoint.addr.sa.sa_family == AF_INET6)
			mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(p->endpoint.addr.in6),
				     &p->endpoint.addr.in6);
	}
	if (to > from) {
		ips = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
		for (size_t i = from; i < to; i++) {
			const struct ip_prefix *ip = &p->allowed_ips[i];
			struct nlattr *one = mnl_attr_nest_start(nlh, 0);

			mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, ip->family);
			mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, ip->family == AF_INET ? 4 : 16,
				     &ip->addr);
			mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, ip->cidr);
			mnl_attr_nest_end(nlh, one);
		}
		mnl_attr_nest_end(nlh, ips);
	}
	mnl_attr_nest_end(nlh, nest);
}

static struct wg_config *kernel_like_device(size_t n_peers, size_t n_ips)
{
	struct wg_config *dev = test_config(n_peers, n_ips);

	dev->ifindex = 7;
	test_key(&dev->private_key, 1);
	test_key(&dev->public_key, 2);
	dev->has_private_key = dev->has_public_key = true;
	dev->listen_port = 51820;
	dev->has_listen_port = true;
	for (size_t i = 0; i < n_peers; i++) {
		dev->peers[i].last_handshake = (struct timespec){ 1700000000 + (time_t)i, 42 };
		dev->peers[i].rx_bytes = 1000 + i;
		dev->peers[i].tx_bytes = (uint64_t)1 << 40 | i;
	}
	return dev;
}

/* Compares what the parser produced with the device the replies were made from. */
static unsigned device_diff(const struct wg_config *got, const struct wg_config *want)
{
	unsigned d = 0;

	d += got->ifindex != want->ifindex;
	d += strcmp(got->ifname, want->ifname) != 0;
	d += got->has_private_key != want->has_private_key;
	d += memcmp(got->private_key.b, want->private_key.b, 32) != 0;
	d += got->has_public_key != want->has_public_key;
	d += memcmp(got->public_key.b, want->public_key.b, 32) != 0;
	d += got->has_listen_port != want->has_listen_port || got->listen_port != want->listen_port;
	d += got->fwmark != want->fwmark || got->has_fwmark != (want->fwmark != 0);
	d += got->n_peers != want->n_peers;
	for (size_t i = 0; i < got->n_peers && i < want->n_peers; i++) {
		const struct wg_peer *g = &got->peers[i], *w = &want->peers[i];

		d += memcmp(g->public_key.b, w->public_key.b, 32) != 0;
		d += g->has_preshared_key != w->has_preshared_key;
		d += w->has_preshared_key && memcmp(g->preshared_key.b, w->preshared_key.b, 32);
		d += g->endpoint.host != NULL || g->endpoint.port != w->endpoint.port;
		d += memcmp(&g->endpoint.addr, &w->endpoint.addr, sizeof(g->endpoint.addr)) != 0;
		d += g->persistent_keepalive != w->persistent_keepalive;
		d += g->has_persistent_keepalive != (w->persistent_keepalive != 0);
		d += g->last_handshake.tv_sec != w->last_handshake.tv_sec;
		d += g->last_handshake.tv_nsec != w->last_handshake.tv_nsec;
		d += g->rx_bytes != w->rx_bytes || g->tx_bytes != w->tx_bytes;
		d += g->n_allowed_ips != w->n_allowed_ips;
		if (g->n_allowed_ips == w->n_allowed_ips)
			d += !ips_equal(g->allowed_ips, w->allowed_ips, g->n_allowed_ips);
	}
	return d;
}

/* ---------------------------------------------------------------- dump tests */

TEST(wgnl_parse_dump_one_message)
{
	struct wg_config *want = kernel_like_device(3, 4);
	struct wg_config *got = xcalloc(1, sizeof(*got));
	struct replies *d = replies_new();
	struct nlmsghdr *nlh;
	struct nlattr *peers;

	want->fwmark = 0x51820;
	nlh = wg_msg_begin(d, 0, 5);
	kput_device(nlh, want);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	for (size_t i = 0; i < want->n_peers; i++)
		kput_peer(nlh, &want->peers[i], 0, want->peers[i].n_allowed_ips);
	mnl_attr_nest_end(nlh, peers);
	msg_end(d, nlh);
	add_done(d, 5, 0);

	CHECK_EQ(wgnl_parse_dump(d->b, d->len, 5, PORTID, got), 0);
	CHECK_EQ(device_diff(got, want), 0);
	CHECK(got->has_fwmark);
	CHECK(got->peers[0].has_preshared_key);
	CHECK(!got->peers[1].has_preshared_key);
	CHECK(got->peers[0].endpoint.addr.sa.sa_family == AF_INET);
	CHECK_EQ(got->peers[0].endpoint.port, 10000);
	CHECK(!got->peers[1].has_persistent_keepalive);
	config_free(got);
	free_test_config(want);
	free(d);
}

TEST(wgnl_parse_dump_merges_split_peer)
{
	struct wg_config *want = kernel_like_device(3, 6);
	struct wg_config *got = xcalloc(1, sizeof(*got));
	struct replies *d1 = replies_new(), *d2 = replies_new();
	struct nlmsghdr *nlh;
	struct nlattr *peers;

	want->peers[1].has_preshared_key = true;
	test_key(&want->peers[1].preshared_key, 77);
	/* recv 1: device, peer 0, peer 1 with allowed IPs 0-2 */
	nlh = wg_msg_begin(d1, 0, 5);
	kput_device(nlh, want);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	kput_peer(nlh, &want->peers[0], 0, 6);
	kput_peer(nlh, &want->peers[1], 0, 3);
	mnl_attr_nest_end(nlh, peers);
	msg_end(d1, nlh);
	/* recv 2: peer 1 goes on with just its key and IPs 3-5, then peer 2 in two parts */
	nlh = wg_msg_begin(d2, 0, 5);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	kput_peer(nlh, &want->peers[1], 3, 6);
	kput_peer(nlh, &want->peers[2], 0, 1);
	mnl_attr_nest_end(nlh, peers);
	msg_end(d2, nlh);
	nlh = wg_msg_begin(d2, 0, 5);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	kput_peer(nlh, &want->peers[2], 1, 6);
	mnl_attr_nest_end(nlh, peers);
	msg_end(d2, nlh);
	add_done(d2, 5, 0);

	CHECK_EQ(wgnl_parse_dump(d1->b, d1->len, 5, PORTID, got), 1);
	CHECK_EQ(got->n_peers, 2);
	CHECK_EQ(wgnl_parse_dump(d2->b, d2->len, 5, PORTID, got), 0);
	CHECK_EQ(got->n_peers, 3);
	CHECK_EQ(got->peers[1].n_allowed_ips, 6);
	/* The continuation carries no preshared key: the first chunk's must survive. */
	CHECK(got->peers[1].has_preshared_key);
	CHECK_EQ(device_diff(got, want), 0);
	config_free(got);
	free_test_config(want);
	free(d1);
	free(d2);
}

TEST(wgnl_parse_dump_many_peers_across_messages)
{
	struct wg_config *want = kernel_like_device(300, 10);
	struct wg_config *got = xcalloc(1, sizeof(*got));
	struct replies *d = replies_new();
	struct nlmsghdr *nlh = NULL;
	struct nlattr *peers = NULL;
	size_t in_msg = 0;
	int r = 1;

	/* 50 peers per message, each message split halfway through a peer: 4 recvs. */
	for (size_t i = 0; i < want->n_peers; i++) {
		if (!nlh) {
			nlh = wg_msg_begin(d, 0, 5);
			if (i == 0)
				kput_device(nlh, want);
			peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
			if (i > 0)
				kput_peer(nlh, &want->peers[i - 1], 4, 10);
		}
		in_msg++;
		kput_peer(nlh, &want->peers[i], 0, in_msg == 50 && i + 1 < want->n_peers ? 4 : 10);
		if (in_msg == 50 || i + 1 == want->n_peers) {
			mnl_attr_nest_end(nlh, peers);
			msg_end(d, nlh);
			nlh = NULL;
			in_msg = 0;
			if (i + 1 == want->n_peers)
				add_done(d, 5, 0);
			if (d->len > 12000 || i + 1 == want->n_peers) {
				r = wgnl_parse_dump(d->b, d->len, 5, PORTID, got);
				if (r != 1)
					break;
				memset(d->b, 0, d->len);
				d->len = 0;
			}
		}
	}
	CHECK_EQ(r, 0);
	CHECK_EQ(device_diff(got, want), 0);
	config_free(got);
	free_test_config(want);
	free(d);
}

TEST(wgnl_parse_dump_errors)
{
	struct wg_config *dev = xcalloc(1, sizeof(*dev));
	struct wg_config *want = kernel_like_device(1, 1);
	struct replies *d = replies_new();
	struct nlmsghdr *nlh;

	/* No such device: the kernel refuses the dump with NLMSG_ERROR. */
	add_error(d, 5, -ENODEV);
	CHECK_EQ(wgnl_parse_dump(d->b, d->len, 5, PORTID, dev), -ENODEV);
	/* A dump that failed half-way reports it in NLMSG_DONE. */
	d->len = 0;
	add_done(d, 5, -EMSGSIZE);
	CHECK_EQ(wgnl_parse_dump(d->b, d->len, 5, PORTID, dev), -EMSGSIZE);
	/* NLM_F_DUMP_INTR: the peer list changed under the dump. */
	d->len = 0;
	nlh = wg_msg_begin(d, NLM_F_DUMP_INTR, 5);
	kput_device(nlh, want);
	msg_end(d, nlh);
	add_done(d, 5, 0);
	CHECK_EQ(wgnl_parse_dump(d->b, d->len, 5, PORTID, dev), -EINTR);
	/* Replies to other requests are skipped, ours still count. */
	d->len = 0;
	add_error(d, 4, -EEXIST);
	add_done(d, 5, 0);
	CHECK_EQ(wgnl_parse_dump(d->b, d->len, 5, PORTID, dev), 0);
	/* A short NLMSG_ERROR is malformed. */
	d->len = 0;
	nlh = msg_begin(d, NLMSG_ERROR, 0, 5);
	mnl_nlmsg_put_extra_header(nlh, 2);
	msg_end(d, nlh);
	CHECK_EQ(wgnl_parse_dump(d->b, d->len, 5, PORTID, dev), -EBADMSG);
	config_free(dev);
	free_test_config(want);
	free(d);
}

static int parse_fresh(const struct replies *d, size_t len)
{
	struct wg_config *dev = xcalloc(1, sizeof(*dev));
	int r = wgnl_parse_dump(d->b, len, 5, PORTID, dev);

	config_free(dev);
	return r;
}

TEST(wgnl_parse_dump_rejects_bad_lengths)
{
	struct wg_config *want = kernel_like_device(4, 5);
	struct replies *d = replies_new();
	struct nlmsghdr *nlh, *first;
	struct nlattr *peers;
	size_t whole, first_len;
	unsigned bad = 0;

	nlh = first = wg_msg_begin(d, 0, 5);
	kput_device(nlh, want);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	for (size_t i = 0; i < 4; i++)
		kput_peer(nlh, &want->peers[i], 0, 5);
	mnl_attr_nest_end(nlh, peers);
	msg_end(d, nlh);
	first_len = d->len;
	add_done(d, 5, 0);
	whole = d->len;
	CHECK_EQ(parse_fresh(d, whole), 0);
	CHECK_EQ(parse_fresh(d, 0), -EBADMSG);

	/* Every truncation: malformed, or (on a message boundary) "need more". */
	for (size_t len = 1; len < whole; len++) {
		int r = parse_fresh(d, len);

		if (len == first_len ? r != 1 : r != -EBADMSG)
			bad++;
	}
	CHECK_EQ(bad, 0);

	/* Trailing bytes that aren't a message. */
	CHECK_EQ(parse_fresh(d, whole + 4), -EBADMSG);

	/* Lengths libmnl 1.0.4 would take: beyond the buffer, beyond INT_MAX, below a header. */
	first->nlmsg_len = (uint32_t)whole + 4;
	CHECK_EQ(parse_fresh(d, whole), -EBADMSG);
	first->nlmsg_len = 0xFFFFFFF0u;
	CHECK_EQ(parse_fresh(d, whole), -EBADMSG);
	first->nlmsg_len = 0x80000000u;
	CHECK_EQ(parse_fresh(d, whole), -EBADMSG);
	first->nlmsg_len = 15;
	CHECK_EQ(parse_fresh(d, whole), -EBADMSG);
	first->nlmsg_len = 0;
	CHECK_EQ(parse_fresh(d, whole), -EBADMSG);
	/* Too short for its genetlink header. */
	first->nlmsg_len = 18;
	CHECK_EQ(parse_fresh(d, 20), -EBADMSG);
	first->nlmsg_len = (uint32_t)first_len;

	/* Misaligned input is refused, not read. */
	memmove(d->b + 1, d->b, whole);
	CHECK(!nl_msg_lengths_valid(d->b + 1, whole));
	free_test_config(want);
	free(d);
}

TEST(wgnl_parse_dump_rejects_bad_attributes)
{
	struct wg_config *want = kernel_like_device(1, 1);
	struct replies *d = replies_new();
	struct nlmsghdr *nlh;
	struct nlattr *peers, *peer, *ips, *ip;
	uint8_t short_key[31] = { 0 };
	char name[IFNAMSIZ];

	/* IPv4 allowed IP with /33 */
	nlh = wg_msg_begin(d, 0, 5);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	peer = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, 32, want->peers[0].public_key.b);
	ips = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
	ip = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, AF_INET);
	mnl_attr_put_u32(nlh, WGALLOWEDIP_A_IPADDR, 0x0100000a);
	mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, 33);
	mnl_attr_nest_end(nlh, ip);
	mnl_attr_nest_end(nlh, ips);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, peers);
	msg_end(d, nlh);
	CHECK_EQ(parse_fresh(d, d->len), -EBADMSG);

	/* Peer without a public key */
	memset(d->b, 0, d->len);
	d->len = 0;
	nlh = wg_msg_begin(d, 0, 5);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	peer = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put_u16(nlh, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, 25);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, peers);
	msg_end(d, nlh);
	CHECK_EQ(parse_fresh(d, d->len), -EBADMSG);

	/* Private key of 31 bytes */
	memset(d->b, 0, d->len);
	d->len = 0;
	nlh = wg_msg_begin(d, 0, 5);
	mnl_attr_put(nlh, WGDEVICE_A_PRIVATE_KEY, sizeof(short_key), short_key);
	msg_end(d, nlh);
	CHECK_EQ(parse_fresh(d, d->len), -EBADMSG);

	/* Interface name without its NUL */
	memset(d->b, 0, d->len);
	d->len = 0;
	memset(name, 'a', sizeof(name));
	nlh = wg_msg_begin(d, 0, 5);
	mnl_attr_put(nlh, WGDEVICE_A_IFNAME, sizeof(name), name);
	msg_end(d, nlh);
	CHECK_EQ(parse_fresh(d, d->len), -EBADMSG);

	/* Endpoint of the wrong size for its family */
	memset(d->b, 0, d->len);
	d->len = 0;
	nlh = wg_msg_begin(d, 0, 5);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	peer = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, 32, want->peers[0].public_key.b);
	want->peers[0].endpoint.addr.in6.sin6_family = AF_INET6;
	mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(struct sockaddr_in),
		     &want->peers[0].endpoint.addr);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, peers);
	msg_end(d, nlh);
	CHECK_EQ(parse_fresh(d, d->len), -EBADMSG);

	/* Wrong genetlink command */
	memset(d->b, 0, d->len);
	d->len = 0;
	nlh = wg_msg_begin(d, 0, 5);
	((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd = WG_CMD_SET_DEVICE;
	msg_end(d, nlh);
	CHECK_EQ(parse_fresh(d, d->len), -EBADMSG);
	free_test_config(want);
	free(d);
}

/* ---------------------------------------------------------------- nl.c, GETFAMILY */

TEST(nl_check_reply_ack_error_seq)
{
	struct replies *d = replies_new();

	add_error(d, 9, 0);
	CHECK_EQ(nl_check_reply(d->b, d->len, 9, PORTID), 0);
	CHECK_EQ(nl_check_reply(d->b, d->len, 9, 0), 0); /* portid 0: any */
	/* Someone else's reply, or a late one for an earlier request: keep reading. */
	CHECK_EQ(nl_check_reply(d->b, d->len, 10, PORTID), -EAGAIN);
	CHECK_EQ(nl_check_reply(d->b, d->len, 9, PORTID + 1), -EAGAIN);

	d->len = 0;
	add_error(d, 9, -EEXIST);
	CHECK_EQ(nl_check_reply(d->b, d->len, 9, PORTID), -EEXIST);

	/* A stale error first, then our ACK. */
	d->len = 0;
	add_error(d, 8, -EPERM);
	add_error(d, 9, 0);
	CHECK_EQ(nl_check_reply(d->b, d->len, 9, PORTID), 0);

	/* Positive or absurd errors are malformed. */
	d->len = 0;
	add_error(d, 9, 5);
	CHECK_EQ(nl_check_reply(d->b, d->len, 9, PORTID), -EBADMSG);
	d->len = 0;
	add_error(d, 9, -100000);
	CHECK_EQ(nl_check_reply(d->b, d->len, 9, PORTID), -EBADMSG);

	/* Truncated: header claims more than we have. */
	d->len = 0;
	add_error(d, 9, 0);
	CHECK_EQ(nl_check_reply(d->b, d->len - 4, 9, PORTID), -EBADMSG);
	CHECK(nl_msg_lengths_valid(d->b, d->len));
	CHECK(!nl_msg_lengths_valid(d->b, 0));
	CHECK(!nl_msg_lengths_valid(NULL, 16));
	free(d);
}

TEST(wgnl_parse_family_reply)
{
	struct replies *d = replies_new();
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;
	uint16_t family = 0;

	nlh = msg_begin(d, GENL_ID_CTRL, 0, 3);
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = CTRL_CMD_NEWFAMILY;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "wireguard");
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 0x22);
	mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, 1);
	msg_end(d, nlh);
	CHECK_EQ(wgnl_parse_family(d->b, d->len, 3, PORTID, &family), 1);
	CHECK_EQ(family, 0x22);
	add_error(d, 3, 0);
	family = 0;
	CHECK_EQ(wgnl_parse_family(d->b, d->len, 3, PORTID, &family), 0);
	CHECK_EQ(family, 0x22);

	/* No wireguard module: genetlink answers -ENOENT. */
	d->len = 0;
	add_error(d, 3, -ENOENT);
	family = 0;
	CHECK_EQ(wgnl_parse_family(d->b, d->len, 3, PORTID, &family), -EPROTONOSUPPORT);
	CHECK_EQ(family, 0);
	free(d);
}
