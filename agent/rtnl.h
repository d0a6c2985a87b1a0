/* SPDX-License-Identifier: MIT */
/*
 * rtnetlink: what wg-quick(8) does with ip(8) (links, addresses, routes,
 * policy rules), as pure message builders plus thin I/O wrappers.
 * Nothing here logs. Every call returns 0 or -errno, the kernel's as is.
 */
#ifndef WGAGENT_RTNL_H
#define WGAGENT_RTNL_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>

#include "config.h"

/* rtm_protocol of the routes (and rules) wgagent owns. */
#define RTPROT_WGAGENT 87

struct rtnl;

int rtnl_open(struct rtnl **ret);
void rtnl_close(struct rtnl *rt); /* NULL ok */

/* NLM_F_CREATE|NLM_F_EXCL: -EEXIST if it exists. mtu 0 = kernel default. */
int rtnl_link_add(struct rtnl *rt, const char *ifname, const char *kind, uint32_t mtu);
int rtnl_link_del(struct rtnl *rt, const char *ifname); /* -ENODEV if missing */
int rtnl_link_index(struct rtnl *rt, const char *ifname, uint32_t *ret); /* -ENODEV */
int rtnl_link_set(struct rtnl *rt, uint32_t ifindex, uint32_t mtu, bool up); /* mtu 0 = unchanged */
/* Names of the links whose IFLA_INFO_KIND is kind, sorted; free(*ret_names). */
int rtnl_link_list_kind(struct rtnl *rt, const char *kind, char (**ret_names)[IFNAMSIZ],
			size_t *ret_n);

/*
 * IFA_LOCAL (+ IFA_ADDRESS for IPv4) with its prefix length. add: -EEXIST if
 * present; del: -EADDRNOTAVAIL if absent.
 */
int rtnl_addr_add(struct rtnl *rt, uint32_t ifindex, const struct ip_prefix *addr);
int rtnl_addr_del(struct rtnl *rt, uint32_t ifindex, const struct ip_prefix *addr);

/*
 * A unicast route through ifindex, rtm_protocol RTPROT_WGAGENT; table 0 means
 * main. Host bits of dst are cleared. add: -EEXIST if present; del only
 * matches routes with our protocol: -ESRCH if none.
 */
int rtnl_route_add(struct rtnl *rt, uint32_t ifindex, const struct ip_prefix *dst, uint32_t table);
int rtnl_route_del(struct rtnl *rt, uint32_t ifindex, const struct ip_prefix *dst, uint32_t table);

/*
 * A policy rule "[not] [fwmark M] lookup TABLE [suppress_prefixlength N]", as
 * in wg-quick's `ip rule add not fwmark T table T` and `ip rule add table
 * main suppress_prefixlength 0`. add: -EEXIST only for an equal rule with the
 * same explicit priority; with priority 0 the kernel picks a new one each
 * time and adds a duplicate, as `ip rule add` does. del removes the first
 * rule matching what is set here (0 = any) or returns -ENOENT.
 */
struct rtnl_rule {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint32_t table;
	uint32_t fwmark;
	bool has_fwmark;
	bool invert;		/* "not" */
	int suppress_prefixlen; /* -1 = none */
	uint32_t priority;	/* 0 = the kernel picks */
	uint8_t protocol;	/* 0 = none (del: any) */
	bool has_dst;		/* "to DST" */
	struct ip_prefix dst;
};

int rtnl_rule_add(struct rtnl *rt, const struct rtnl_rule *rule);
int rtnl_rule_del(struct rtnl *rt, const struct rtnl_rule *rule);

/*
 * Pure builders: the message for each call above, NLM_F_REQUEST|NLM_F_ACK.
 * They return its length, -EMSGSIZE if len is too small, or -EINVAL.
 */
int rtnl_build_newlink(void *buf, size_t len, uint32_t seq, const char *ifname, const char *kind,
		       uint32_t mtu);
int rtnl_build_dellink(void *buf, size_t len, uint32_t seq, const char *ifname);
/* RTM_GETLINK for one name, or a dump of all links with ifname NULL. */
int rtnl_build_getlink(void *buf, size_t len, uint32_t seq, const char *ifname);
int rtnl_build_setlink(void *buf, size_t len, uint32_t seq, uint32_t ifindex, uint32_t mtu,
		       bool up);
/* type: RTM_NEWADDR or RTM_DELADDR */
int rtnl_build_addr(void *buf, size_t len, uint32_t seq, uint16_t type, uint32_t ifindex,
		    const struct ip_prefix *addr);
/* type: RTM_NEWROUTE or RTM_DELROUTE */
int rtnl_build_route(void *buf, size_t len, uint32_t seq, uint16_t type, uint32_t ifindex,
		     const struct ip_prefix *dst, uint32_t table);
/* type: RTM_NEWRULE or RTM_DELRULE */
int rtnl_build_rule(void *buf, size_t len, uint32_t seq, uint16_t type,
		    const struct rtnl_rule *rule);

/* Pure parser for one RTM_NEWLINK message; the strings point into it (NULL if absent). */
struct rtnl_link_info {
	uint32_t ifindex;
	const char *ifname;
	const char *kind;
	uint32_t mtu; /* 0 if absent */
};
int rtnl_parse_link(const struct nlmsghdr *nlh, struct rtnl_link_info *ret); /* 0 or -EBADMSG */

/* ---------------------------------------------------------------- state dumps (reconcile) */

/* A route wgagent owns: a destination through the interface, in a table. */
struct rt_route {
	struct ip_prefix dst; /* host bits zeroed */
	uint32_t table;	      /* RT_TABLE_MAIN = 254 */
};

/* The link's MTU; -ENODEV if there is no such link. */
int rtnl_link_mtu(struct rtnl *rt, const char *ifname, uint32_t *ret);
/* Every address on ifindex (both families); free(*ret). */
int rtnl_addr_list(struct rtnl *rt, uint32_t ifindex, struct ip_prefix **ret, size_t *ret_n);
/* Unicast routes through ifindex with rtm_protocol == protocol, in all tables; free(*ret). */
int rtnl_route_list(struct rtnl *rt, uint32_t ifindex, uint8_t protocol, struct rt_route **ret,
		    size_t *ret_n);

/* Dump requests (NLM_F_DUMP) for one family, and the pure parsers of their replies. */
int rtnl_build_getaddr(void *buf, size_t len, uint32_t seq, uint8_t family);
int rtnl_build_getroute(void *buf, size_t len, uint32_t seq, uint8_t family);
/* 0, or -EBADMSG. */
int rtnl_parse_addr(const struct nlmsghdr *nlh, uint32_t *ret_ifindex, struct ip_prefix *ret);
struct rtnl_route_info {
	struct rt_route route;
	uint32_t oif; /* 0 if none (multipath, blackhole) */
	uint8_t protocol;
	uint8_t type;
	uint32_t gateway4; /* network order; 0 if none (IPv4 only) */
	uint32_t mtu;	   /* RTAX_MTU, 0 if none */
};
int rtnl_parse_route(const struct nlmsghdr *nlh, struct rtnl_route_info *ret);

/*
 * `ip route get DST [mark MARK]`: the route the kernel would use (RTM_GETROUTE
 * without NLM_F_DUMP). Returns 0, -ENETUNREACH (no route) or -errno.
 */
int rtnl_build_route_get(void *buf, size_t len, uint32_t seq, const union wg_sockaddr *dst,
			 uint32_t mark);
int rtnl_route_get(struct rtnl *rt, const union wg_sockaddr *dst, uint32_t mark,
		   struct rtnl_route_info *ret);
/*
 * A /32 or /128 route "DST [via GW4] dev OIF" with protocol RTPROT_WGAGENT
 * in table (0: main): `ip route add DST via GW dev OIF proto 87`. gw4 is
 * network order, 0 for none. del matches DST, table and our protocol only.
 */
int rtnl_route_add_via(struct rtnl *rt, const struct ip_prefix *dst, uint32_t gw4, uint32_t oif,
		       uint32_t table);
int rtnl_route_del_ours(struct rtnl *rt, const struct ip_prefix *dst, uint32_t table);
int rtnl_build_route_via(void *buf, size_t len, uint32_t seq, uint16_t type,
			 const struct ip_prefix *dst, uint32_t gw4, uint32_t oif, uint32_t table);

/* The MTU of link ifindex; -ENODEV if there is none. */
int rtnl_link_mtu_by_index(struct rtnl *rt, uint32_t ifindex, uint32_t *ret);

#endif
