// SPDX-License-Identifier: MIT
/*
 * WireGuard generic netlink. SET messages are split exactly as wg(8)'s
 * kernel_set_device() splits them; dumps are merged the way its
 * coalesce_peers() merges them.
 */
#include <errno.h>
#include <limits.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>

#include "key.h"
#include "macros.h"
#include "nl.h"
#include "wgnl.h"

struct wgnl {
	struct nl_sock sock;
	uint16_t family;
};

/* Small requests: GETFAMILY and the GET_DEVICE dump request. */
#define WGNL_SMALL_REQ 128

enum put_result {
	PUT_NONE, /* nothing of this peer fit */
	PUT_SOME, /* part of it fit; it goes on in the next message */
	PUT_ALL,
};

size_t wgnl_set_msg_max(void)
{
	long page = sysconf(_SC_PAGESIZE);

	if (page <= 0 || page > WG_SET_BUF_SIZE)
		return WG_SET_BUF_SIZE;
	return (size_t)page;
}

static bool ifname_ok(const char *ifname)
{
	size_t n = ifname ? strnlen(ifname, IFNAMSIZ) : 0;

	return n > 0 && n < IFNAMSIZ;
}

static struct nlmsghdr *put_genl_header(void *buf, size_t len, uint16_t type, uint16_t flags,
					uint32_t seq, uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	if (len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*genl)) || len > UINT32_MAX)
		return NULL;
	memset(buf, 0, len); /* no stale bytes (or keys) in the padding */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

/* ---------------------------------------------------------------- SET */

static int put_device_attrs(struct nlmsghdr *nlh, size_t len, const struct wg_config *cfg)
{
	if (cfg->has_private_key) {
		struct wg_key clamped = cfg->private_key;
		bool ok;

		/* The kernel compares against the clamped key, so send it clamped. */
		key_clamp(&clamped);
		ok = mnl_attr_put_check(nlh, len, WGDEVICE_A_PRIVATE_KEY, sizeof(clamped.b),
					clamped.b);
		key_wipe(&clamped);
		if (!ok)
			return -EMSGSIZE;
	}
	if (cfg->has_listen_port &&
	    !mnl_attr_put_u16_check(nlh, len, WGDEVICE_A_LISTEN_PORT, cfg->listen_port))
		return -EMSGSIZE;
	if (cfg->has_fwmark && !mnl_attr_put_u32_check(nlh, len, WGDEVICE_A_FWMARK, cfg->fwmark))
		return -EMSGSIZE;
	if (cfg->flags && !mnl_attr_put_u32_check(nlh, len, WGDEVICE_A_FLAGS, cfg->flags))
		return -EMSGSIZE;
	return 0;
}

static int put_allowed_ip(struct nlmsghdr *nlh, size_t len, const struct ip_prefix *ip)
{
	struct nlattr *nest;
	size_t addr_len;

	if (ip->family == AF_INET)
		addr_len = sizeof(ip->addr.ip4);
	else if (ip->family == AF_INET6)
		addr_len = sizeof(ip->addr.ip6);
	else
		return -EINVAL;
	nest = mnl_attr_nest_start_check(nlh, len, 0);
	if (!nest)
		return -EMSGSIZE;
	if (!mnl_attr_put_u16_check(nlh, len, WGALLOWEDIP_A_FAMILY, ip->family) ||
	    !mnl_attr_put_check(nlh, len, WGALLOWEDIP_A_IPADDR, addr_len, &ip->addr) ||
	    !mnl_attr_put_u8_check(nlh, len, WGALLOWEDIP_A_CIDR_MASK, ip->cidr)) {
		mnl_attr_nest_cancel(nlh, nest);
		return -EMSGSIZE;
	}
	mnl_attr_nest_end(nlh, nest);
	return 0;
}

/* What only a peer's first chunk carries, after the public key and flags. */
static int put_peer_settings(struct nlmsghdr *nlh, size_t len, const struct wg_peer *peer)
{
	const union wg_sockaddr *ep = &peer->endpoint.addr;

	if (peer->has_preshared_key &&
	    !mnl_attr_put_check(nlh, len, WGPEER_A_PRESHARED_KEY, sizeof(peer->preshared_key.b),
				peer->preshared_key.b))
		return -EMSGSIZE;
	if (ep->sa.sa_family == AF_INET) {
		if (!mnl_attr_put_check(nlh, len, WGPEER_A_ENDPOINT, sizeof(ep->in), &ep->in))
			return -EMSGSIZE;
	} else if (ep->sa.sa_family == AF_INET6) {
		if (!mnl_attr_put_check(nlh, len, WGPEER_A_ENDPOINT, sizeof(ep->in6), &ep->in6))
			return -EMSGSIZE;
	} else if (ep->sa.sa_family != AF_UNSPEC)
		return -EINVAL;
	if (peer->has_persistent_keepalive &&
	    !mnl_attr_put_u16_check(nlh, len, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
				    peer->persistent_keepalive))
		return -EMSGSIZE;
	return 0;
}

static int put_peer(struct nlmsghdr *nlh, size_t len, const struct wg_peer *peer,
		    struct wgnl_cursor *cur)
{
	bool first = !cur->peer_open;
	size_t before = cur->allowed_ip;
	struct nlattr *nest, *ips;
	uint32_t flags = peer->flags;
	int r;

	/*
	 * Like wg(8), a continuation keeps REMOVE_ME (and UPDATE_ONLY, so it can't
	 * create a peer the first chunk skipped) but never REPLACE_ALLOWEDIPS.
	 */
	if (!first)
		flags &= ~(uint32_t)WGPEER_F_REPLACE_ALLOWEDIPS;
	nest = mnl_attr_nest_start_check(nlh, len, 0);
	if (!nest)
		return PUT_NONE;
	if (!mnl_attr_put_check(nlh, len, WGPEER_A_PUBLIC_KEY, sizeof(peer->public_key.b),
				peer->public_key.b))
		goto cancel;
	if (flags && !mnl_attr_put_u32_check(nlh, len, WGPEER_A_FLAGS, flags))
		goto cancel;
	if (first) {
		r = put_peer_settings(nlh, len, peer);
		if (r == -EMSGSIZE)
			goto cancel;
		if (r < 0)
			return r;
	}
	if (peer->n_allowed_ips > 0) {
		ips = mnl_attr_nest_start_check(nlh, len, WGPEER_A_ALLOWEDIPS);
		if (!ips)
			goto partial;
		for (; cur->allowed_ip < peer->n_allowed_ips; cur->allowed_ip++) {
			r = put_allowed_ip(nlh, len, &peer->allowed_ips[cur->allowed_ip]);
			if (r == -EMSGSIZE)
				break;
			if (r < 0)
				return r;
		}
		if (cur->allowed_ip == before)
			mnl_attr_nest_cancel(nlh, ips);
		else
			mnl_attr_nest_end(nlh, ips);
		if (cur->allowed_ip < peer->n_allowed_ips)
			goto partial;
	}
	mnl_attr_nest_end(nlh, nest);
	return PUT_ALL;

partial:
	/* A first chunk made progress even without allowed IPs; a continuation did not. */
	if (!first && cur->allowed_ip == before)
		goto cancel;
	mnl_attr_nest_end(nlh, nest);
	cur->peer_open = true;
	return PUT_SOME;
cancel:
	mnl_attr_nest_cancel(nlh, nest);
	return PUT_NONE;
}

static int put_peers(struct nlmsghdr *nlh, size_t len, const struct wg_config *cfg,
		     struct wgnl_cursor *cur, bool *progress)
{
	struct nlattr *nest;
	int r = PUT_ALL;

	nest = mnl_attr_nest_start_check(nlh, len, WGDEVICE_A_PEERS);
	if (!nest)
		return 0;
	for (; cur->peer < cfg->n_peers; cur->peer++) {
		r = put_peer(nlh, len, &cfg->peers[cur->peer], cur);
		if (r < 0)
			return r;
		if (r != PUT_NONE)
			*progress = true;
		if (r != PUT_ALL)
			break;
		cur->allowed_ip = 0;
		cur->peer_open = false;
	}
	/* nla_len is only set by nest_end(): look at where the message ends instead. */
	if ((uint8_t *)mnl_nlmsg_get_payload_tail(nlh) == (uint8_t *)nest + MNL_ATTR_HDRLEN)
		mnl_attr_nest_cancel(nlh, nest);
	else
		mnl_attr_nest_end(nlh, nest);
	return 0;
}

int wgnl_build_set_device(void *buf, size_t len, uint16_t family, uint32_t seq,
			  const struct wg_config *cfg, struct wgnl_cursor *cur)
{
	struct nlmsghdr *nlh;
	bool progress;
	int r;

	if (cur->started && cur->peer >= cfg->n_peers)
		return 0;
	if (!ifname_ok(cfg->ifname))
		return -EINVAL;
	nlh = put_genl_header(buf, len, family, NLM_F_REQUEST | NLM_F_ACK, seq, WG_CMD_SET_DEVICE,
			      WG_GENL_VERSION);
	if (!nlh || !mnl_attr_put_strz_check(nlh, len, WGDEVICE_A_IFNAME, cfg->ifname))
		return -EMSGSIZE;
	/* The first message makes progress with the device attributes alone. */
	progress = !cur->started;
	if (!cur->started) {
		r = put_device_attrs(nlh, len, cfg);
		if (r < 0)
			return r;
	}
	if (cfg->n_peers > 0) {
		r = put_peers(nlh, len, cfg, cur, &progress);
		if (r < 0)
			return r;
	}
	if (!progress)
		return -EMSGSIZE;
	cur->started = true;
	return (int)nlh->nlmsg_len;
}

int wgnl_build_get_device(void *buf, size_t len, uint16_t family, uint32_t seq,
			  const char *ifname)
{
	struct nlmsghdr *nlh;

	if (!ifname_ok(ifname))
		return -EINVAL;
	nlh = put_genl_header(buf, len, family, NLM_F_REQUEST | NLM_F_DUMP, seq, WG_CMD_GET_DEVICE,
			      WG_GENL_VERSION);
	if (!nlh || !mnl_attr_put_strz_check(nlh, len, WGDEVICE_A_IFNAME, ifname))
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}

int wgnl_build_get_family(void *buf, size_t len, uint32_t seq)
{
	struct nlmsghdr *nlh;

	nlh = put_genl_header(buf, len, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, seq,
			      CTRL_CMD_GETFAMILY, 1);
	if (!nlh || !mnl_attr_put_strz_check(nlh, len, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME))
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}

/* ---------------------------------------------------------------- GETFAMILY reply */

static int family_attr(const struct nlattr *attr, void *data)
{
	uint16_t *family = data;

	if (mnl_attr_get_type(attr) != CTRL_ATTR_FAMILY_ID)
		return MNL_CB_OK;
	if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
		return MNL_CB_ERROR;
	*family = mnl_attr_get_u16(attr);
	return MNL_CB_OK;
}

static int family_msg(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *genl;

	if (nlh->nlmsg_type != GENL_ID_CTRL)
		return 0;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*genl))
		return -EBADMSG;
	genl = mnl_nlmsg_get_payload(nlh);
	if (genl->cmd != CTRL_CMD_NEWFAMILY)
		return 0;
	if (mnl_attr_parse(nlh, sizeof(*genl), family_attr, data) != MNL_CB_OK)
		return -EBADMSG;
	return 0;
}

static int family_result(int r)
{
	/* genetlink's answer for a family it doesn't know (and couldn't load). */
	return r == -ENOENT ? -EPROTONOSUPPORT : r;
}

int wgnl_parse_family(const void *buf, size_t len, uint32_t seq, uint32_t portid,
		      uint16_t *family)
{
	return family_result(nl_parse_reply(buf, len, seq, portid, family_msg, family));
}

/* ---------------------------------------------------------------- GET_DEVICE dump */

struct dump_ctx {
	struct wg_config *dev;
	struct wg_peer *peer;
	struct ip_prefix ip;
	uint8_t addr_family; /* from the length of WGALLOWEDIP_A_IPADDR */
	bool has_family, has_cidr;
	int error;
};

static int dump_fail(struct dump_ctx *ctx, int error)
{
	ctx->error = error;
	return MNL_CB_ERROR;
}

/* Arrays that dumps grow hold n elements in room for capacity(n): powers of two, 4 or more. */
static size_t capacity(size_t n)
{
	size_t c = 4;

	if (n == 0)
		return 0;
	while (c < n) {
		if (c > SIZE_MAX / 2)
			return SIZE_MAX;
		c *= 2;
	}
	return c;
}

static struct wg_peer *peer_append(struct wg_config *dev)
{
	size_t n = dev->n_peers;
	struct wg_peer *peers;

	if (n == capacity(n)) {
		/* Not realloc(): the old array holds preshared keys and must be wiped. */
		peers = calloc(capacity(n + 1), sizeof(*peers));
		if (!peers)
			return NULL;
		if (n > 0) {
			memcpy(peers, dev->peers, n * sizeof(*peers));
			secret_wipe(dev->peers, n * sizeof(*peers));
		}
		free(dev->peers);
		dev->peers = peers;
	}
	memset(&dev->peers[n], 0, sizeof(dev->peers[n]));
	dev->n_peers = n + 1;
	return &dev->peers[n];
}

static int allowed_ip_append(struct wg_peer *peer, const struct ip_prefix *ip)
{
	size_t n = peer->n_allowed_ips;
	struct ip_prefix *ips;

	if (n == capacity(n)) {
		ips = reallocarray(peer->allowed_ips, capacity(n + 1), sizeof(*ips));
		if (!ips)
			return -ENOMEM;
		peer->allowed_ips = ips;
	}
	peer->allowed_ips[n] = *ip;
	peer->n_allowed_ips = n + 1;
	return 0;
}

static bool key_attr(const struct nlattr *attr, struct wg_key *ret)
{
	if (mnl_attr_get_payload_len(attr) != sizeof(ret->b))
		return false;
	memcpy(ret->b, mnl_attr_get_payload(attr), sizeof(ret->b));
	return true;
}

static int allowed_ip_attr(const struct nlattr *attr, void *data)
{
	struct dump_ctx *ctx = data;
	size_t len = mnl_attr_get_payload_len(attr);

	switch (mnl_attr_get_type(attr)) {
	case WGALLOWEDIP_A_FAMILY:
		if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
			return dump_fail(ctx, -EBADMSG);
		ctx->ip.family = (uint8_t)mnl_attr_get_u16(attr);
		ctx->has_family = mnl_attr_get_u16(attr) == AF_INET ||
				  mnl_attr_get_u16(attr) == AF_INET6;
		break;
	case WGALLOWEDIP_A_IPADDR:
		if (len != sizeof(ctx->ip.addr.ip4) && len != sizeof(ctx->ip.addr.ip6))
			return dump_fail(ctx, -EBADMSG);
		memset(&ctx->ip.addr, 0, sizeof(ctx->ip.addr));
		memcpy(&ctx->ip.addr, mnl_attr_get_payload(attr), len);
		ctx->addr_family = len == sizeof(ctx->ip.addr.ip4) ? AF_INET : AF_INET6;
		break;
	case WGALLOWEDIP_A_CIDR_MASK:
		if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
			return dump_fail(ctx, -EBADMSG);
		ctx->ip.cidr = mnl_attr_get_u8(attr);
		ctx->has_cidr = true;
		break;
	}
	return MNL_CB_OK;
}

static int allowed_ip_nest(const struct nlattr *nest, void *data)
{
	struct dump_ctx *ctx = data;
	int r;

	ctx->ip = (struct ip_prefix){ 0 };
	ctx->addr_family = AF_UNSPEC;
	ctx->has_family = ctx->has_cidr = false;
	if (mnl_attr_parse_nested(nest, allowed_ip_attr, ctx) != MNL_CB_OK)
		return MNL_CB_ERROR;
	if (!ctx->has_family || !ctx->has_cidr || ctx->addr_family != ctx->ip.family ||
	    ctx->ip.cidr > (ctx->ip.family == AF_INET ? 32 : 128))
		return dump_fail(ctx, -EBADMSG);
	r = allowed_ip_append(ctx->peer, &ctx->ip);
	return r < 0 ? dump_fail(ctx, r) : MNL_CB_OK;
}

static int endpoint_attr(const struct nlattr *attr, struct wg_endpoint *ret)
{
	size_t len = mnl_attr_get_payload_len(attr);
	union wg_sockaddr sa = { 0 };

	if (len != sizeof(sa.in) && len != sizeof(sa.in6))
		return -EBADMSG;
	memcpy(&sa, mnl_attr_get_payload(attr), len);
	if (sa.sa.sa_family == AF_INET && len == sizeof(sa.in))
		ret->port = ntohs(sa.in.sin_port);
	else if (sa.sa.sa_family == AF_INET6 && len == sizeof(sa.in6))
		ret->port = ntohs(sa.in6.sin6_port);
	else
		return -EBADMSG;
	ret->addr = sa;
	return 0;
}

static int peer_attr(const struct nlattr *attr, void *data)
{
	struct dump_ctx *ctx = data;
	struct wg_peer *peer = ctx->peer;
	struct __kernel_timespec ts;

	switch (mnl_attr_get_type(attr)) {
	case WGPEER_A_PUBLIC_KEY:
		break; /* read by peer_nest() */
	case WGPEER_A_PRESHARED_KEY:
		if (!key_attr(attr, &peer->preshared_key))
			return dump_fail(ctx, -EBADMSG);
		/* The kernel reports all zeroes for "no preshared key". */
		peer->has_preshared_key = !key_is_zero(&peer->preshared_key);
		break;
	case WGPEER_A_ENDPOINT:
		if (endpoint_attr(attr, &peer->endpoint) < 0)
			return dump_fail(ctx, -EBADMSG);
		break;
	case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
		if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
			return dump_fail(ctx, -EBADMSG);
		peer->persistent_keepalive = mnl_attr_get_u16(attr);
		peer->has_persistent_keepalive = peer->persistent_keepalive != 0;
		break;
	case WGPEER_A_LAST_HANDSHAKE_TIME:
		if (mnl_attr_get_payload_len(attr) != sizeof(ts))
			return dump_fail(ctx, -EBADMSG);
		memcpy(&ts, mnl_attr_get_payload(attr), sizeof(ts));
		peer->last_handshake.tv_sec = (time_t)ts.tv_sec;
		peer->last_handshake.tv_nsec = (long)ts.tv_nsec;
		break;
	case WGPEER_A_RX_BYTES:
		if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
			return dump_fail(ctx, -EBADMSG);
		peer->rx_bytes = mnl_attr_get_u64(attr);
		break;
	case WGPEER_A_TX_BYTES:
		if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
			return dump_fail(ctx, -EBADMSG);
		peer->tx_bytes = mnl_attr_get_u64(attr);
		break;
	case WGPEER_A_ALLOWEDIPS:
		return mnl_attr_parse_nested(attr, allowed_ip_nest, ctx);
	}
	return MNL_CB_OK;
}

static int peer_nest(const struct nlattr *nest, void *data)
{
	struct dump_ctx *ctx = data;
	struct wg_config *dev = ctx->dev;
	const struct nlattr *attr, *pub = NULL;
	struct wg_key key;
	int r;

	mnl_attr_for_each_nested(attr, nest)
		if (mnl_attr_get_type(attr) == WGPEER_A_PUBLIC_KEY)
			pub = attr;
	if (!pub || !key_attr(pub, &key))
		return dump_fail(ctx, -EBADMSG);
	/* A peer too big for one message goes on in the next with just its key and allowed IPs. */
	if (dev->n_peers > 0 && key_equal(&dev->peers[dev->n_peers - 1].public_key, &key))
		ctx->peer = &dev->peers[dev->n_peers - 1];
	else {
		ctx->peer = peer_append(dev);
		if (!ctx->peer)
			return dump_fail(ctx, -ENOMEM);
		ctx->peer->public_key = key;
	}
	r = mnl_attr_parse_nested(nest, peer_attr, ctx);
	ctx->peer = NULL;
	return r;
}

static int device_attr(const struct nlattr *attr, void *data)
{
	struct dump_ctx *ctx = data;
	struct wg_config *dev = ctx->dev;

	switch (mnl_attr_get_type(attr)) {
	case WGDEVICE_A_IFINDEX:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return dump_fail(ctx, -EBADMSG);
		dev->ifindex = mnl_attr_get_u32(attr);
		break;
	case WGDEVICE_A_IFNAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0 ||
		    mnl_attr_get_payload_len(attr) > IFNAMSIZ ||
		    !ifname_ok(mnl_attr_get_str(attr)))
			return dump_fail(ctx, -EBADMSG);
		strcpy(dev->ifname, mnl_attr_get_str(attr));
		break;
	case WGDEVICE_A_PRIVATE_KEY:
		if (!key_attr(attr, &dev->private_key))
			return dump_fail(ctx, -EBADMSG);
		dev->has_private_key = true;
		break;
	case WGDEVICE_A_PUBLIC_KEY:
		if (!key_attr(attr, &dev->public_key))
			return dump_fail(ctx, -EBADMSG);
		dev->has_public_key = true;
		break;
	case WGDEVICE_A_LISTEN_PORT:
		if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
			return dump_fail(ctx, -EBADMSG);
		dev->listen_port = mnl_attr_get_u16(attr);
		dev->has_listen_port = true;
		break;
	case WGDEVICE_A_FWMARK:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return dump_fail(ctx, -EBADMSG);
		dev->fwmark = mnl_attr_get_u32(attr);
		dev->has_fwmark = dev->fwmark != 0;
		break;
	case WGDEVICE_A_PEERS:
		return mnl_attr_parse_nested(attr, peer_nest, ctx);
	}
	return MNL_CB_OK;
}

static int dump_msg(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx ctx = { .dev = data };
	const struct genlmsghdr *genl;

	if (mnl_nlmsg_get_payload_len(nlh) < MNL_ALIGN(sizeof(*genl)))
		return -EBADMSG;
	genl = mnl_nlmsg_get_payload(nlh);
	if (genl->cmd != WG_CMD_GET_DEVICE)
		return -EBADMSG;
	if (mnl_attr_parse(nlh, sizeof(*genl), device_attr, &ctx) != MNL_CB_OK)
		return ctx.error < 0 ? ctx.error : -EBADMSG;
	return 0;
}

int wgnl_parse_dump(const void *buf, size_t len, uint32_t seq, uint32_t portid,
		    struct wg_config *dev)
{
	return nl_parse_reply(buf, len, seq, portid, dump_msg, dev);
}

/* ---------------------------------------------------------------- I/O */

void wgnl_close(struct wgnl *nl)
{
	if (!nl)
		return;
	nl_sock_close(&nl->sock);
	free(nl);
}

static void wgnl_closep(struct wgnl **nl)
{
	wgnl_close(*nl);
}

int wgnl_open(struct wgnl **ret)
{
	_cleanup_(wgnl_closep) struct wgnl *nl = NULL;
	alignas(struct nlmsghdr) uint8_t req[WGNL_SMALL_REQ];
	uint16_t family = 0;
	int r;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	r = nl_sock_open(&nl->sock, NETLINK_GENERIC);
	if (r < 0)
		return r;
	r = wgnl_build_get_family(req, sizeof(req), nl_sock_next_seq(&nl->sock));
	if (r < 0)
		return r;
	r = family_result(nl_transact(&nl->sock, req, (size_t)r, family_msg, &family));
	if (r < 0)
		return r;
	if (family == 0)
		return -EBADMSG;
	nl->family = family;
	*ret = TAKE_PTR(nl);
	return 0;
}

int wgnl_set_device(struct wgnl *nl, const struct wg_config *cfg)
{
	return wgnl_set_device_stats(nl, cfg, NULL);
}

static void count_nested(const struct nlattr *nest, unsigned depth, struct wgnl_stats *st)
{
	const struct nlattr *attr;

	mnl_attr_for_each_nested(attr, nest) {
		st->attributes++;
		/* depth 0: a peer; 1: its attributes; 2: one allowed IP; 3: its attributes. */
		if (depth == 0)
			st->peers++;
		if (depth == 0 || depth == 2 ||
		    (depth == 1 && mnl_attr_get_type(attr) == WGPEER_A_ALLOWEDIPS))
			count_nested(attr, depth + 1, st);
	}
}

void wgnl_count_set_message(const void *buf, size_t len, struct wgnl_stats *st)
{
	const struct nlmsghdr *nlh = buf;
	const struct nlattr *attr;

	if (len < sizeof(*nlh) || nlh->nlmsg_len > len ||
	    nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct genlmsghdr)))
		return;
	st->messages++;
	st->bytes += nlh->nlmsg_len;
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		st->attributes++;
		if (mnl_attr_get_type(attr) == WGDEVICE_A_PEERS)
			count_nested(attr, 0, st);
	}
}

int wgnl_set_device_stats(struct wgnl *nl, const struct wg_config *cfg, struct wgnl_stats *stats)
{
	alignas(struct nlmsghdr) uint8_t buf[WG_SET_BUF_SIZE];
	struct wgnl_cursor cur = { 0 };
	size_t max = WG_SET_MSG_MAX;
	int r;

	for (;;) {
		r = wgnl_build_set_device(buf, max, nl->family, nl_sock_next_seq(&nl->sock), cfg,
					  &cur);
		if (r <= 0)
			break;
		if (stats)
			wgnl_count_set_message(buf, (size_t)r, stats);
		r = nl_transact(&nl->sock, buf, (size_t)r, NULL, NULL);
		if (r < 0)
			break;
	}
	secret_wipe(buf, sizeof(buf)); /* private and preshared keys */
	return r;
}

int wgnl_get_device(struct wgnl *nl, const char *ifname, struct wg_config **ret)
{
	alignas(struct nlmsghdr) uint8_t req[WGNL_SMALL_REQ];
	int r;

	for (unsigned attempt = 0; attempt < WGNL_DUMP_RETRIES; attempt++) {
		_cleanup_config_ struct wg_config *dev = calloc(1, sizeof(*dev));

		if (!dev)
			return -ENOMEM;
		r = wgnl_build_get_device(req, sizeof(req), nl->family,
					  nl_sock_next_seq(&nl->sock), ifname);
		if (r < 0)
			return r;
		r = nl_transact(&nl->sock, req, (size_t)r, dump_msg, dev);
		if (r == -EINTR)
			continue; /* peers changed during the dump: start over */
		if (r < 0)
			return r;
		if (dev->ifindex == 0)
			return -EBADMSG; /* the kernel always sends the device first */
		*ret = TAKE_PTR(dev);
		return 0;
	}
	return -EAGAIN;
}
