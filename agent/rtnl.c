// SPDX-License-Identifier: MIT
/*
 * rtnetlink requests shaped like the ones ip(8) sends for wg-quick(8):
 * `ip link add/del/set`, `ip address add`, `ip route add`, `ip rule add`.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "macros.h"
#include "nl.h"
#include "rtnl.h"

struct rtnl {
	struct nl_sock sock;
};

/* Every request here is a few hundred bytes at most. */
#define RTNL_REQ_SIZE 512
#define RTNL_DUMP_RETRIES 8

static bool ifname_ok(const char *ifname)
{
	size_t n = ifname ? strnlen(ifname, IFNAMSIZ) : 0;

	return n > 0 && n < IFNAMSIZ;
}

static size_t addr_len(uint8_t family)
{
	switch (family) {
	case AF_INET:
		return sizeof(struct in_addr);
	case AF_INET6:
		return sizeof(struct in6_addr);
	default:
		return 0;
	}
}

static bool prefix_ok(const struct ip_prefix *p)
{
	size_t n = addr_len(p->family);

	return n > 0 && p->cidr <= n * 8;
}

static struct nlmsghdr *put_header(void *buf, size_t len, uint16_t type, uint16_t flags,
				   uint32_t seq, size_t extra, void **ret_extra)
{
	struct nlmsghdr *nlh;

	if (len < MNL_NLMSG_HDRLEN + MNL_ALIGN(extra) || len > UINT32_MAX)
		return NULL;
	memset(buf, 0, len);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = seq;
	*ret_extra = mnl_nlmsg_put_extra_header(nlh, extra);
	return nlh;
}

/* ---------------------------------------------------------------- builders */

int rtnl_build_newlink(void *buf, size_t len, uint32_t seq, const char *ifname, const char *kind,
		       uint32_t mtu)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct nlattr *linkinfo;

	if (!ifname_ok(ifname) || !kind || !*kind)
		return -EINVAL;
	nlh = put_header(buf, len, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, seq, sizeof(*ifi),
			 (void **)&ifi);
	if (!nlh)
		return -EMSGSIZE;
	ifi->ifi_family = AF_UNSPEC;
	if (!mnl_attr_put_strz_check(nlh, len, IFLA_IFNAME, ifname))
		return -EMSGSIZE;
	if (mtu && !mnl_attr_put_u32_check(nlh, len, IFLA_MTU, mtu))
		return -EMSGSIZE;
	linkinfo = mnl_attr_nest_start_check(nlh, len, IFLA_LINKINFO);
	if (!linkinfo || !mnl_attr_put_strz_check(nlh, len, IFLA_INFO_KIND, kind))
		return -EMSGSIZE;
	mnl_attr_nest_end(nlh, linkinfo);
	return (int)nlh->nlmsg_len;
}

static int build_link_by_name(void *buf, size_t len, uint32_t seq, uint16_t type, uint16_t flags,
			      const char *ifname)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	if (ifname && !ifname_ok(ifname))
		return -EINVAL;
	nlh = put_header(buf, len, type, flags, seq, sizeof(*ifi), (void **)&ifi);
	if (!nlh)
		return -EMSGSIZE;
	ifi->ifi_family = AF_UNSPEC;
	if (ifname && !mnl_attr_put_strz_check(nlh, len, IFLA_IFNAME, ifname))
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}

int rtnl_build_dellink(void *buf, size_t len, uint32_t seq, const char *ifname)
{
	if (!ifname)
		return -EINVAL;
	return build_link_by_name(buf, len, seq, RTM_DELLINK, 0, ifname);
}

int rtnl_build_getlink(void *buf, size_t len, uint32_t seq, const char *ifname)
{
	return build_link_by_name(buf, len, seq, RTM_GETLINK, ifname ? 0 : NLM_F_DUMP, ifname);
}

int rtnl_build_setlink(void *buf, size_t len, uint32_t seq, uint32_t ifindex, uint32_t mtu,
		       bool up)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	if (ifindex == 0 || ifindex > INT32_MAX)
		return -EINVAL;
	nlh = put_header(buf, len, RTM_SETLINK, 0, seq, sizeof(*ifi), (void **)&ifi);
	if (!nlh)
		return -EMSGSIZE;
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	if (mtu && !mnl_attr_put_u32_check(nlh, len, IFLA_MTU, mtu))
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}

int rtnl_build_addr(void *buf, size_t len, uint32_t seq, uint16_t type, uint32_t ifindex,
		    const struct ip_prefix *addr)
{
	size_t alen = addr_len(addr->family);
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	if ((type != RTM_NEWADDR && type != RTM_DELADDR) || ifindex == 0 || !prefix_ok(addr))
		return -EINVAL;
	nlh = put_header(buf, len, type, type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_EXCL : 0, seq,
			 sizeof(*ifa), (void **)&ifa);
	if (!nlh)
		return -EMSGSIZE;
	ifa->ifa_family = addr->family;
	ifa->ifa_prefixlen = addr->cidr;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	if (!mnl_attr_put_check(nlh, len, IFA_LOCAL, alen, &addr->addr))
		return -EMSGSIZE;
	/* ip(8) sends both for IPv4 without a peer; IPv6 takes IFA_LOCAL alone. */
	if (addr->family == AF_INET &&
	    !mnl_attr_put_check(nlh, len, IFA_ADDRESS, alen, &addr->addr))
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}

int rtnl_build_route(void *buf, size_t len, uint32_t seq, uint16_t type, uint32_t ifindex,
		     const struct ip_prefix *dst, uint32_t table)
{
	size_t alen = addr_len(dst->family);
	uint8_t net[sizeof(struct in6_addr)];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	if ((type != RTM_NEWROUTE && type != RTM_DELROUTE) || ifindex == 0 || !prefix_ok(dst))
		return -EINVAL;
	if (table == 0)
		table = RT_TABLE_MAIN;
	/* IPv4 refuses host bits past the prefix (-EINVAL); clear them, as ip(8) users do. */
	memcpy(net, &dst->addr, alen);
	for (size_t i = 0; i < alen; i++) {
		unsigned bits = dst->cidr > i * 8 ? dst->cidr - i * 8 : 0;

		if (bits < 8)
			net[i] &= (uint8_t)(0xff00 >> bits);
	}
	nlh = put_header(buf, len, type, type == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_EXCL : 0, seq,
			 sizeof(*rtm), (void **)&rtm);
	if (!nlh)
		return -EMSGSIZE;
	rtm->rtm_family = dst->family;
	rtm->rtm_dst_len = dst->cidr;
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = RTPROT_WGAGENT;
	rtm->rtm_type = RTN_UNICAST;
	/* As ip(8): link scope for an IPv4 route without gateway, "any scope" to delete. */
	if (type == RTM_DELROUTE)
		rtm->rtm_scope = RT_SCOPE_NOWHERE;
	else
		rtm->rtm_scope = dst->family == AF_INET ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
	if (!mnl_attr_put_check(nlh, len, RTA_DST, alen, net) ||
	    !mnl_attr_put_u32_check(nlh, len, RTA_OIF, ifindex))
		return -EMSGSIZE;
	if (table >= 256 && !mnl_attr_put_u32_check(nlh, len, RTA_TABLE, table))
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}

int rtnl_build_rule(void *buf, size_t len, uint32_t seq, uint16_t type,
		    const struct rtnl_rule *rule)
{
	struct nlmsghdr *nlh;
	struct fib_rule_hdr *frh;

	if ((type != RTM_NEWRULE && type != RTM_DELRULE) || addr_len(rule->family) == 0 ||
	    rule->suppress_prefixlen < -1 || rule->suppress_prefixlen > 128)
		return -EINVAL;
	nlh = put_header(buf, len, type, type == RTM_NEWRULE ? NLM_F_CREATE | NLM_F_EXCL : 0, seq,
			 sizeof(*frh), (void **)&frh);
	if (!nlh)
		return -EMSGSIZE;
	frh->family = rule->family;
	frh->table = rule->table < 256 ? (uint8_t)rule->table : RT_TABLE_UNSPEC;
	frh->action = FR_ACT_TO_TBL;
	frh->flags = rule->invert ? FIB_RULE_INVERT : 0;
	if (rule->table && !mnl_attr_put_u32_check(nlh, len, FRA_TABLE, rule->table))
		return -EMSGSIZE;
	if (rule->has_fwmark && !mnl_attr_put_u32_check(nlh, len, FRA_FWMARK, rule->fwmark))
		return -EMSGSIZE;
	if (rule->suppress_prefixlen >= 0 &&
	    !mnl_attr_put_u32_check(nlh, len, FRA_SUPPRESS_PREFIXLEN,
				    (uint32_t)rule->suppress_prefixlen))
		return -EMSGSIZE;
	if (rule->priority && !mnl_attr_put_u32_check(nlh, len, FRA_PRIORITY, rule->priority))
		return -EMSGSIZE;
	if (rule->protocol && !mnl_attr_put_u8_check(nlh, len, FRA_PROTOCOL, rule->protocol))
		return -EMSGSIZE;
	if (rule->has_dst) {
		if (rule->dst.family != rule->family || !prefix_ok(&rule->dst))
			return -EINVAL;
		frh->dst_len = rule->dst.cidr;
		if (!mnl_attr_put_check(nlh, len, FRA_DST, addr_len(rule->family), &rule->dst.addr))
			return -EMSGSIZE;
	}
	return (int)nlh->nlmsg_len;
}

/* ---------------------------------------------------------------- parser */

static int linkinfo_attr(const struct nlattr *attr, void *data)
{
	struct rtnl_link_info *info = data;

	if (mnl_attr_get_type(attr) != IFLA_INFO_KIND)
		return MNL_CB_OK;
	if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
		return MNL_CB_ERROR;
	info->kind = mnl_attr_get_str(attr);
	return MNL_CB_OK;
}

static int link_attr(const struct nlattr *attr, void *data)
{
	struct rtnl_link_info *info = data;

	switch (mnl_attr_get_type(attr)) {
	case IFLA_IFNAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0 ||
		    !ifname_ok(mnl_attr_get_str(attr)))
			return MNL_CB_ERROR;
		info->ifname = mnl_attr_get_str(attr);
		break;
	case IFLA_LINKINFO:
		return mnl_attr_parse_nested(attr, linkinfo_attr, info);
	case IFLA_MTU:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		info->mtu = mnl_attr_get_u32(attr);
		break;
	}
	return MNL_CB_OK;
}

int rtnl_parse_link(const struct nlmsghdr *nlh, struct rtnl_link_info *ret)
{
	struct rtnl_link_info info = { 0 };
	const struct ifinfomsg *ifi;

	if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return -EBADMSG;
	ifi = mnl_nlmsg_get_payload(nlh);
	if (ifi->ifi_index <= 0)
		return -EBADMSG;
	info.ifindex = (uint32_t)ifi->ifi_index;
	if (mnl_attr_parse(nlh, sizeof(*ifi), link_attr, &info) != MNL_CB_OK)
		return -EBADMSG;
	*ret = info;
	return 0;
}

/* ---------------------------------------------------------------- I/O */

int rtnl_open(struct rtnl **ret)
{
	struct rtnl *rt;
	int r;

	rt = calloc(1, sizeof(*rt));
	if (!rt)
		return -ENOMEM;
	r = nl_sock_open(&rt->sock, NETLINK_ROUTE);
	if (r < 0) {
		free(rt);
		return r;
	}
	*ret = rt;
	return 0;
}

void rtnl_close(struct rtnl *rt)
{
	if (!rt)
		return;
	nl_sock_close(&rt->sock);
	free(rt);
}

/* Sends what a builder made (r = its result) and waits for the ACK. */
static int request(struct rtnl *rt, void *buf, int r)
{
	if (r < 0)
		return r;
	return nl_transact(&rt->sock, buf, (size_t)r, NULL, NULL);
}

int rtnl_link_add(struct rtnl *rt, const char *ifname, const char *kind, uint32_t mtu)
{
	alignas(struct nlmsghdr) uint8_t buf[RTNL_REQ_SIZE];

	return request(rt, buf,
		       rtnl_build_newlink(buf, sizeof(buf), nl_sock_next_seq(&rt->sock), ifname,
					  kind, mtu));
}

int rtnl_link_del(struct rtnl *rt, const char *ifname)
{
	alignas(struct nlmsghdr) uint8_t buf[RTNL_REQ_SIZE];

	return request(rt, buf,
		       rtnl_build_dellink(buf, sizeof(buf), nl_sock_next_seq(&rt->sock), ifname));
}

int rtnl_link_set(struct rtnl *rt, uint32_t ifindex, uint32_t mtu, bool up)
{
	alignas(struct nlmsghdr) uint8_t buf[RTNL_REQ_SIZE];

	return request(rt, buf,
		       rtnl_build_setlink(buf, sizeof(buf), nl_sock_next_seq(&rt->sock), ifindex,
					  mtu, up));
}

/* The ifindex and MTU of one link, from an RTM_GETLINK answer. */
struct link_numbers {
	uint32_t ifindex;
	uint32_t mtu;
};

static int link_numbers_msg(const struct nlmsghdr *nlh, void *data)
{
	struct link_numbers *out = data;
	struct rtnl_link_info info;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return 0;
	if (rtnl_parse_link(nlh, &info) < 0)
		return -EBADMSG;
	out->ifindex = info.ifindex;
	out->mtu = info.mtu;
	return 0;
}

static int link_numbers_get(struct rtnl *rt, const char *ifname, struct link_numbers *ret)
{
	alignas(struct nlmsghdr) uint8_t buf[RTNL_REQ_SIZE];
	struct link_numbers numbers = { 0 };
	int r;

	if (!ifname)
		return -EINVAL; /* NULL would build a dump */
	r = rtnl_build_getlink(buf, sizeof(buf), nl_sock_next_seq(&rt->sock), ifname);
	if (r >= 0)
		r = nl_transact(&rt->sock, buf, (size_t)r, link_numbers_msg, &numbers);
	if (r < 0)
		return r;
	if (numbers.ifindex == 0)
		return -ENODEV;
	*ret = numbers;
	return 0;
}

int rtnl_link_index(struct rtnl *rt, const char *ifname, uint32_t *ret)
{
	struct link_numbers numbers;
	int r = link_numbers_get(rt, ifname, &numbers);

	if (r == 0)
		*ret = numbers.ifindex;
	return r;
}

struct kind_list {
	const char *kind;
	char (*names)[IFNAMSIZ];
	size_t n;
};

static int kind_msg(const struct nlmsghdr *nlh, void *data)
{
	struct kind_list *list = data;
	struct rtnl_link_info info;
	char(*names)[IFNAMSIZ];

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return 0;
	if (rtnl_parse_link(nlh, &info) < 0)
		return -EBADMSG;
	if (!info.ifname || !info.kind || strcmp(info.kind, list->kind) != 0)
		return 0;
	names = reallocarray(list->names, list->n + 1, sizeof(*names));
	if (!names)
		return -ENOMEM;
	list->names = names;
	strcpy(list->names[list->n++], info.ifname); /* rtnl_parse_link() checked its length */
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

int rtnl_link_list_kind(struct rtnl *rt, const char *kind, char (**ret_names)[IFNAMSIZ],
			size_t *ret_n)
{
	alignas(struct nlmsghdr) uint8_t buf[RTNL_REQ_SIZE];
	struct kind_list list = { .kind = kind };
	int r = -EAGAIN;

	if (!kind)
		return -EINVAL;
	for (unsigned attempt = 0; attempt < RTNL_DUMP_RETRIES; attempt++) {
		free(list.names);
		list.names = NULL;
		list.n = 0;
		r = rtnl_build_getlink(buf, sizeof(buf), nl_sock_next_seq(&rt->sock), NULL);
		if (r < 0)
			break;
		r = nl_transact(&rt->sock, buf, (size_t)r, kind_msg, &list);
		if (r != -EINTR)
			break; /* -EINTR: links changed during the dump; start over */
		r = -EAGAIN;
	}
	if (r < 0) {
		free(list.names);
		return r;
	}
	if (list.n > 1)
		qsort(list.names, list.n, sizeof(*list.names), cmp_name);
	*ret_names = list.names;
	*ret_n = list.n;
	return 0;
}

int rtnl_addr_add(struct rtnl *rt, uint32_t ifindex, const struct ip_prefix *addr)
{
	alignas(struct nlmsghdr) uint8_t buf[RTNL_REQ_SIZE];

	return request(rt, buf,
		       rtnl_build_addr(buf, sizeof(buf), nl_sock_next_seq(&rt->sock), RTM_NEWADDR,
				       ifindex, addr));
}

int rtnl_addr_del(struct rtnl *rt, uint32_t ifindex, const struct ip_prefix *addr)
{
	alignas(struct nlmsghdr) uint8_t buf[RTNL_REQ_SIZE];

	return request(rt, buf,
		       rtnl_build_addr(buf, sizeof(buf), nl_sock_next_seq(&rt->sock), RTM_DELADDR,
				       ifindex, addr));
}

int rtnl_route_add(struct rtnl *rt, uint32_t ifindex, const struct ip_prefix *dst, uint32_t table)
{
	alignas(struct nlmsghdr) uint8_t buf[RTNL_REQ_SIZE];

	return request(rt, buf,
		       rtnl_build_route(buf, sizeof(buf), nl_sock_next_seq(&rt->sock),
					RTM_NEWROUTE, ifindex, dst, table));
}

int rtnl_route_del(struct rtnl *rt, uint32_t ifindex, const struct ip_prefix *dst, uint32_t table)
{
	alignas(struct nlmsghdr) uint8_t buf[RTNL_REQ_SIZE];

	return request(rt, buf,
		       rtnl_build_route(buf, sizeof(buf), nl_sock_next_seq(&rt->sock),
					RTM_DELROUTE, ifindex, dst, table));
}

int rtnl_rule_add(struct rtnl *rt, const struct rtnl_rule *rule)
{
	alignas(struct nlmsghdr) uint8_t buf[RTNL_REQ_SIZE];

	return request(rt, buf,
		       rtnl_build_rule(buf, sizeof(buf), nl_sock_next_seq(&rt->sock), RTM_NEWRULE,
				       rule));
}

int rtnl_rule_del(struct rtnl *rt, const struct rtnl_rule *rule)
{
	alignas(struct nlmsghdr) uint8_t buf[RTNL_REQ_SIZE];

	return request(rt, buf,
		       rtnl_build_rule(buf, sizeof(buf), nl_sock_next_seq(&rt->sock), RTM_DELRULE,
				       rule));
}

/* ---------------------------------------------------------------- state dumps */

static int build_dump(void *buf, size_t len, uint32_t seq, uint16_t type, uint8_t family)
{
	struct nlmsghdr *nlh;
	void *hdr;
	size_t extra = type == RTM_GETADDR ? sizeof(struct ifaddrmsg) : sizeof(struct rtmsg);

	if (family != AF_INET && family != AF_INET6)
		return -EINVAL;
	nlh = put_header(buf, len, type, NLM_F_DUMP, seq, extra, &hdr);
	if (!nlh)
		return -EMSGSIZE;
	nlh->nlmsg_flags &= (uint16_t)~NLM_F_ACK; /* a dump ends with NLMSG_DONE */
	/* Both headers start with the family byte. */
	*(uint8_t *)hdr = family;
	return (int)nlh->nlmsg_len;
}

int rtnl_build_getaddr(void *buf, size_t len, uint32_t seq, uint8_t family)
{
	return build_dump(buf, len, seq, RTM_GETADDR, family);
}

int rtnl_build_getroute(void *buf, size_t len, uint32_t seq, uint8_t family)
{
	return build_dump(buf, len, seq, RTM_GETROUTE, family);
}

struct addr_attrs {
	const struct nlattr *local, *address;
};

static int addr_attr(const struct nlattr *attr, void *data)
{
	struct addr_attrs *a = data;

	if (mnl_attr_get_type(attr) == IFA_LOCAL)
		a->local = attr;
	else if (mnl_attr_get_type(attr) == IFA_ADDRESS)
		a->address = attr;
	return MNL_CB_OK;
}

int rtnl_parse_addr(const struct nlmsghdr *nlh, uint32_t *ret_ifindex, struct ip_prefix *ret)
{
	struct addr_attrs a = { 0 };
	const struct ifaddrmsg *ifa;
	const struct nlattr *use;
	struct ip_prefix p = { 0 };
	size_t alen;

	if (nlh->nlmsg_type != RTM_NEWADDR || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa))
		return -EBADMSG;
	ifa = mnl_nlmsg_get_payload(nlh);
	alen = addr_len(ifa->ifa_family);
	if (alen == 0 || ifa->ifa_prefixlen > alen * 8)
		return -EBADMSG;
	if (mnl_attr_parse(nlh, sizeof(*ifa), addr_attr, &a) != MNL_CB_OK)
		return -EBADMSG;
	/* IFA_LOCAL is the address itself; IFA_ADDRESS is the peer's on point-to-point links. */
	use = a.local ? a.local : a.address;
	if (!use || mnl_attr_get_payload_len(use) != alen)
		return -EBADMSG;
	p.family = ifa->ifa_family;
	p.cidr = ifa->ifa_prefixlen;
	memcpy(&p.addr, mnl_attr_get_payload(use), alen);
	*ret_ifindex = ifa->ifa_index;
	*ret = p;
	return 0;
}

struct route_attrs {
	struct rtnl_route_info *info;
	size_t alen;
	bool bad;
};

static int route_metric(const struct nlattr *attr, void *data)
{
	struct rtnl_route_info *info = data;

	if (mnl_attr_get_type(attr) == RTAX_MTU && mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
		info->mtu = mnl_attr_get_u32(attr);
	return MNL_CB_OK;
}

static int route_attr(const struct nlattr *attr, void *data)
{
	struct route_attrs *ra = data;
	struct rtnl_route_info *info = ra->info;

	switch (mnl_attr_get_type(attr)) {
	case RTA_DST:
		if (mnl_attr_get_payload_len(attr) != ra->alen)
			ra->bad = true;
		else
			memcpy(&info->route.dst.addr, mnl_attr_get_payload(attr), ra->alen);
		break;
	case RTA_OIF:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			ra->bad = true;
		else
			info->oif = mnl_attr_get_u32(attr);
		break;
	case RTA_TABLE:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			ra->bad = true;
		else
			info->route.table = mnl_attr_get_u32(attr);
		break;
	case RTA_GATEWAY:
		if (ra->alen == sizeof(uint32_t) && mnl_attr_get_payload_len(attr) == ra->alen)
			memcpy(&info->gateway4, mnl_attr_get_payload(attr), sizeof(uint32_t));
		break;
	case RTA_METRICS:
		if (mnl_attr_parse_nested(attr, route_metric, info) != MNL_CB_OK)
			ra->bad = true;
		break;
	}
	return MNL_CB_OK;
}

int rtnl_parse_route(const struct nlmsghdr *nlh, struct rtnl_route_info *ret)
{
	struct rtnl_route_info info = { 0 };
	struct route_attrs ra = { .info = &info };
	const struct rtmsg *rtm;

	if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return -EBADMSG;
	rtm = mnl_nlmsg_get_payload(nlh);
	ra.alen = addr_len(rtm->rtm_family);
	if (ra.alen == 0 || rtm->rtm_dst_len > ra.alen * 8)
		return -EBADMSG;
	info.route.dst.family = rtm->rtm_family;
	info.route.dst.cidr = rtm->rtm_dst_len;
	info.route.table = rtm->rtm_table;
	info.protocol = rtm->rtm_protocol;
	info.type = rtm->rtm_type;
	if (mnl_attr_parse(nlh, sizeof(*rtm), route_attr, &ra) != MNL_CB_OK || ra.bad)
		return -EBADMSG;
	*ret = info;
	return 0;
}

int rtnl_link_mtu(struct rtnl *rt, const char *ifname, uint32_t *ret)
{
	struct link_numbers numbers;
	int r = link_numbers_get(rt, ifname, &numbers);

	if (r == 0)
		*ret = numbers.mtu;
	return r;
}

struct list_ctx {
	uint32_t ifindex;
	uint8_t protocol;
	void *items;
	size_t n, size;
};

static void *list_append(struct list_ctx *l)
{
	void *v;

	/* Grow in powers of two; the lists are small except for big route tables. */
	if ((l->n & (l->n - 1)) == 0) {
		v = reallocarray(l->items, l->n ? l->n * 2 : 1, l->size);
		if (!v)
			return NULL;
		l->items = v;
	}
	return (uint8_t *)l->items + l->size * l->n++;
}

static int addr_msg(const struct nlmsghdr *nlh, void *data)
{
	struct list_ctx *l = data;
	struct ip_prefix p, *slot;
	uint32_t ifindex;

	if (nlh->nlmsg_type != RTM_NEWADDR)
		return 0;
	if (rtnl_parse_addr(nlh, &ifindex, &p) < 0)
		return -EBADMSG;
	if (ifindex != l->ifindex)
		return 0;
	slot = list_append(l);
	if (!slot)
		return -ENOMEM;
	*slot = p;
	return 0;
}

static int route_msg(const struct nlmsghdr *nlh, void *data)
{
	struct list_ctx *l = data;
	struct rtnl_route_info info;
	struct rt_route *slot;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return 0;
	if (rtnl_parse_route(nlh, &info) < 0)
		return -EBADMSG;
	if (info.oif != l->ifindex || info.protocol != l->protocol || info.type != RTN_UNICAST)
		return 0;
	slot = list_append(l);
	if (!slot)
		return -ENOMEM;
	*slot = info.route;
	return 0;
}

static int list_dump(struct rtnl *rt, uint16_t type, struct list_ctx *l)
{
	static const uint8_t families[] = { AF_INET, AF_INET6 };
	alignas(struct nlmsghdr) uint8_t buf[RTNL_REQ_SIZE];
	int r = 0;

	for (size_t i = 0; i < ELEMENTSOF(families); i++) {
		size_t start = l->n;

		for (unsigned attempt = 0;; attempt++) {
			l->n = start;
			r = type == RTM_GETADDR
				    ? rtnl_build_getaddr(buf, sizeof(buf), nl_sock_next_seq(&rt->sock),
							 families[i])
				    : rtnl_build_getroute(buf, sizeof(buf),
							  nl_sock_next_seq(&rt->sock), families[i]);
			if (r < 0)
				return r;
			r = nl_transact(&rt->sock, buf, (size_t)r,
					type == RTM_GETADDR ? addr_msg : route_msg, l);
			if (r != -EINTR)
				break;
			if (attempt + 1 >= RTNL_DUMP_RETRIES)
				return -EAGAIN;
		}
		/* A kernel without IPv6 answers the IPv6 dump with -EAFNOSUPPORT: nothing there. */
		if (r == -EAFNOSUPPORT && families[i] == AF_INET6)
			r = 0;
		if (r < 0)
			return r;
	}
	return 0;
}

int rtnl_addr_list(struct rtnl *rt, uint32_t ifindex, struct ip_prefix **ret, size_t *ret_n)
{
	struct list_ctx l = { .ifindex = ifindex, .size = sizeof(struct ip_prefix) };
	int r = list_dump(rt, RTM_GETADDR, &l);

	if (r < 0) {
		free(l.items);
		return r;
	}
	*ret = l.items;
	*ret_n = l.n;
	return 0;
}

int rtnl_route_list(struct rtnl *rt, uint32_t ifindex, uint8_t protocol, struct rt_route **ret,
		    size_t *ret_n)
{
	struct list_ctx l = { .ifindex = ifindex, .protocol = protocol,
			      .size = sizeof(struct rt_route) };
	int r = list_dump(rt, RTM_GETROUTE, &l);

	if (r < 0) {
		free(l.items);
		return r;
	}
	*ret = l.items;
	*ret_n = l.n;
	return 0;
}

/* ---------------------------------------------------------------- route lookup */

int rtnl_build_route_get(void *buf, size_t len, uint32_t seq, const union wg_sockaddr *dst,
			 uint32_t mark)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	const void *addr;
	size_t alen;

	if (dst->sa.sa_family == AF_INET)
		addr = &dst->in.sin_addr;
	else if (dst->sa.sa_family == AF_INET6)
		addr = &dst->in6.sin6_addr;
	else
		return -EINVAL;
	alen = addr_len((uint8_t)dst->sa.sa_family);
	nlh = put_header(buf, len, RTM_GETROUTE, 0, seq, sizeof(*rtm), (void **)&rtm);
	if (!nlh)
		return -EMSGSIZE;
	rtm->rtm_family = (uint8_t)dst->sa.sa_family;
	rtm->rtm_dst_len = (uint8_t)(alen * 8);
	if (!mnl_attr_put_check(nlh, len, RTA_DST, alen, addr))
		return -EMSGSIZE;
	if (mark && !mnl_attr_put_u32_check(nlh, len, RTA_MARK, mark))
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}

struct route_get_ctx {
	struct rtnl_route_info info;
	bool found;
};

static int route_get_msg(const struct nlmsghdr *nlh, void *data)
{
	struct route_get_ctx *c = data;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return 0;
	if (rtnl_parse_route(nlh, &c->info) < 0)
		return -EBADMSG;
	c->found = true;
	return 0;
}

int rtnl_route_get(struct rtnl *rt, const union wg_sockaddr *dst, uint32_t mark,
		   struct rtnl_route_info *ret)
{
	alignas(struct nlmsghdr) uint8_t buf[RTNL_REQ_SIZE];
	struct route_get_ctx c = { .found = false };
	int r;

	r = rtnl_build_route_get(buf, sizeof(buf), nl_sock_next_seq(&rt->sock), dst, mark);
	if (r < 0)
		return r;
	/* The route comes first, then the ACK. */
	r = nl_transact(&rt->sock, buf, (size_t)r, route_get_msg, &c);
	if (r == 0 && !c.found)
		return -ENETUNREACH;
	if (r < 0)
		return r;
	*ret = c.info;
	return 0;
}

int rtnl_link_mtu_by_index(struct rtnl *rt, uint32_t ifindex, uint32_t *ret)
{
	alignas(struct nlmsghdr) uint8_t buf[RTNL_REQ_SIZE];
	struct link_numbers numbers = { 0 };
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int r;

	if (ifindex == 0 || ifindex > INT32_MAX)
		return -EINVAL;
	nlh = put_header(buf, sizeof(buf), RTM_GETLINK, 0, nl_sock_next_seq(&rt->sock),
			 sizeof(*ifi), (void **)&ifi);
	if (!nlh)
		return -EMSGSIZE;
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	r = nl_transact(&rt->sock, buf, nlh->nlmsg_len, link_numbers_msg, &numbers);
	if (r < 0)
		return r;
	if (numbers.mtu == 0)
		return -ENODEV;
	*ret = numbers.mtu;
	return 0;
}

int rtnl_build_route_via(void *buf, size_t len, uint32_t seq, uint16_t type,
			 const struct ip_prefix *dst, uint32_t gw4, uint32_t oif, uint32_t table)
{
	size_t alen = addr_len(dst->family);
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	if ((type != RTM_NEWROUTE && type != RTM_DELROUTE) || !prefix_ok(dst) ||
	    dst->cidr != alen * 8 || (type == RTM_NEWROUTE && oif == 0) ||
	    (gw4 && dst->family != AF_INET))
		return -EINVAL;
	if (table == 0)
		table = RT_TABLE_MAIN;
	nlh = put_header(buf, len, type, type == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_EXCL : 0, seq,
			 sizeof(*rtm), (void **)&rtm);
	if (!nlh)
		return -EMSGSIZE;
	rtm->rtm_family = dst->family;
	rtm->rtm_dst_len = dst->cidr;
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = RTPROT_WGAGENT;
	rtm->rtm_type = RTN_UNICAST;
	if (type == RTM_DELROUTE)
		rtm->rtm_scope = RT_SCOPE_NOWHERE;
	else
		rtm->rtm_scope = gw4 || dst->family == AF_INET6 ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	if (!mnl_attr_put_check(nlh, len, RTA_DST, alen, &dst->addr))
		return -EMSGSIZE;
	if (gw4 && !mnl_attr_put_check(nlh, len, RTA_GATEWAY, sizeof(gw4), &gw4))
		return -EMSGSIZE;
	if (oif && !mnl_attr_put_u32_check(nlh, len, RTA_OIF, oif))
		return -EMSGSIZE;
	if (table >= 256 && !mnl_attr_put_u32_check(nlh, len, RTA_TABLE, table))
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}

int rtnl_route_add_via(struct rtnl *rt, const struct ip_prefix *dst, uint32_t gw4, uint32_t oif,
		       uint32_t table)
{
	alignas(struct nlmsghdr) uint8_t buf[RTNL_REQ_SIZE];

	return request(rt, buf,
		       rtnl_build_route_via(buf, sizeof(buf), nl_sock_next_seq(&rt->sock),
					    RTM_NEWROUTE, dst, gw4, oif, table));
}

int rtnl_route_del_ours(struct rtnl *rt, const struct ip_prefix *dst, uint32_t table)
{
	alignas(struct nlmsghdr) uint8_t buf[RTNL_REQ_SIZE];

	return request(rt, buf,
		       rtnl_build_route_via(buf, sizeof(buf), nl_sock_next_seq(&rt->sock),
					    RTM_DELROUTE, dst, 0, 0, table));
}
