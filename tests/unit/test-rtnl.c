// SPDX-License-Identifier: MIT
/* rtnetlink builders parsed back attribute by attribute; rtnl_parse_link(). Pure. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdalign.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "check.h"
#include "rtnl.h"

#define TB_MAX 64

/* Every attribute by type; dup counts repeats, unknown counts types >= TB_MAX. */
struct tb {
	const struct nlattr *a[TB_MAX];
	unsigned count, dup, unknown;
};

static int tb_cb(const struct nlattr *attr, void *data)
{
	struct tb *tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	tb->count++;
	if (type >= TB_MAX) {
		tb->unknown++;
		return MNL_CB_OK;
	}
	if (tb->a[type])
		tb->dup++;
	tb->a[type] = attr;
	return MNL_CB_OK;
}

static bool parse_tb(const void *buf, int len, size_t extra, struct tb *tb)
{
	const struct nlmsghdr *nlh = buf;

	memset(tb, 0, sizeof(*tb));
	if (len <= 0 || nlh->nlmsg_len != (uint32_t)len)
		return false;
	return mnl_attr_parse(nlh, extra, tb_cb, tb) == MNL_CB_OK && tb->dup == 0 &&
	       tb->unknown == 0;
}

static bool nested_tb(const struct nlattr *nest, struct tb *tb)
{
	memset(tb, 0, sizeof(*tb));
	return nest && mnl_attr_parse_nested(nest, tb_cb, tb) == MNL_CB_OK && tb->dup == 0;
}

static struct ip_prefix prefix(const char *addr, uint8_t cidr)
{
	struct ip_prefix p = { .cidr = cidr };

	if (inet_pton(AF_INET, addr, &p.addr.ip4) == 1)
		p.family = AF_INET;
	else if (inet_pton(AF_INET6, addr, &p.addr.ip6) == 1)
		p.family = AF_INET6;
	return p;
}

TEST(rtnl_build_newlink_with_kind)
{
	alignas(struct nlmsghdr) uint8_t buf[256] = { 0 };
	const struct nlmsghdr *nlh = (const void *)buf;
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload((const struct nlmsghdr *)buf);
	struct rtnl_link_info info;
	struct tb tb, li;
	int r;

	r = rtnl_build_newlink(buf, sizeof(buf), 11, "wg0", "wireguard", 1420);
	CHECK(parse_tb(buf, r, sizeof(struct ifinfomsg), &tb));
	CHECK_EQ(nlh->nlmsg_type, RTM_NEWLINK);
	CHECK_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	CHECK_EQ(nlh->nlmsg_seq, 11);
	CHECK_EQ(ifi->ifi_family, AF_UNSPEC);
	CHECK_EQ(ifi->ifi_index, 0);
	CHECK_EQ(tb.count, 3);
	CHECK(tb.a[IFLA_IFNAME] && !mnl_attr_validate(tb.a[IFLA_IFNAME], MNL_TYPE_NUL_STRING));
	CHECK_STREQ(mnl_attr_get_str(tb.a[IFLA_IFNAME]), "wg0");
	CHECK(tb.a[IFLA_MTU] && !mnl_attr_validate(tb.a[IFLA_MTU], MNL_TYPE_U32));
	CHECK_EQ(mnl_attr_get_u32(tb.a[IFLA_MTU]), 1420);
	CHECK(nested_tb(tb.a[IFLA_LINKINFO], &li));
	CHECK_EQ(li.count, 1);
	CHECK(li.a[IFLA_INFO_KIND] != NULL);
	CHECK_STREQ(mnl_attr_get_str(li.a[IFLA_INFO_KIND]), "wireguard");

	/* The kernel's RTM_NEWLINK answers have the same shape: parse it back. */
	ifi->ifi_index = 7;
	CHECK_EQ(rtnl_parse_link(nlh, &info), 0);
	CHECK_EQ(info.ifindex, 7);
	CHECK_STREQ(info.ifname, "wg0");
	CHECK_STREQ(info.kind, "wireguard");

	/* mtu 0: the kernel's default, no IFLA_MTU. */
	r = rtnl_build_newlink(buf, sizeof(buf), 12, "dummy7", "dummy", 0);
	CHECK(parse_tb(buf, r, sizeof(struct ifinfomsg), &tb));
	CHECK(tb.a[IFLA_MTU] == NULL);
	CHECK_EQ(tb.count, 2);
}

TEST(rtnl_build_link_by_name)
{
	alignas(struct nlmsghdr) uint8_t buf[128] = { 0 };
	const struct nlmsghdr *nlh = (const void *)buf;
	struct tb tb;
	int r;

	r = rtnl_build_dellink(buf, sizeof(buf), 3, "wg9");
	CHECK(parse_tb(buf, r, sizeof(struct ifinfomsg), &tb));
	CHECK_EQ(nlh->nlmsg_type, RTM_DELLINK);
	CHECK_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	CHECK_EQ(tb.count, 1);
	CHECK_STREQ(mnl_attr_get_str(tb.a[IFLA_IFNAME]), "wg9");

	r = rtnl_build_getlink(buf, sizeof(buf), 4, "wg9");
	CHECK(parse_tb(buf, r, sizeof(struct ifinfomsg), &tb));
	CHECK_EQ(nlh->nlmsg_type, RTM_GETLINK);
	CHECK_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	CHECK_STREQ(mnl_attr_get_str(tb.a[IFLA_IFNAME]), "wg9");

	r = rtnl_build_getlink(buf, sizeof(buf), 5, NULL);
	CHECK(parse_tb(buf, r, sizeof(struct ifinfomsg), &tb));
	CHECK_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP);
	CHECK_EQ(tb.count, 0);

	CHECK_EQ(rtnl_build_dellink(buf, sizeof(buf), 3, NULL), -EINVAL);
	CHECK_EQ(rtnl_build_dellink(buf, sizeof(buf), 3, ""), -EINVAL);
	CHECK_EQ(rtnl_build_dellink(buf, sizeof(buf), 3, "0123456789abcdef"), -EINVAL);
	CHECK_EQ(rtnl_build_newlink(buf, sizeof(buf), 3, "wg0", "", 0), -EINVAL);
	CHECK_EQ(rtnl_build_newlink(buf, 40, 3, "wg0", "wireguard", 0), -EMSGSIZE);
	CHECK_EQ(rtnl_build_dellink(buf, 16, 3, "wg0"), -EMSGSIZE);
}

TEST(rtnl_build_setlink_up_down)
{
	alignas(struct nlmsghdr) uint8_t buf[128] = { 0 };
	const struct nlmsghdr *nlh = (const void *)buf;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload((const struct nlmsghdr *)buf);
	struct tb tb;
	int r;

	r = rtnl_build_setlink(buf, sizeof(buf), 6, 42, 1380, true);
	CHECK(parse_tb(buf, r, sizeof(*ifi), &tb));
	CHECK_EQ(nlh->nlmsg_type, RTM_SETLINK);
	CHECK_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	CHECK_EQ(ifi->ifi_index, 42);
	CHECK_EQ(ifi->ifi_change, IFF_UP);
	CHECK_EQ(ifi->ifi_flags, IFF_UP);
	CHECK_EQ(mnl_attr_get_u32(tb.a[IFLA_MTU]), 1380);

	r = rtnl_build_setlink(buf, sizeof(buf), 7, 42, 0, false);
	CHECK(parse_tb(buf, r, sizeof(*ifi), &tb));
	CHECK_EQ(ifi->ifi_change, IFF_UP);
	CHECK_EQ(ifi->ifi_flags, 0);
	CHECK_EQ(tb.count, 0);
	CHECK_EQ(rtnl_build_setlink(buf, sizeof(buf), 7, 0, 0, true), -EINVAL);
}

TEST(rtnl_build_addr_v4_v6)
{
	alignas(struct nlmsghdr) uint8_t buf[128] = { 0 };
	const struct nlmsghdr *nlh = (const void *)buf;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload((const struct nlmsghdr *)buf);
	struct ip_prefix v4 = prefix("10.8.0.2", 24), v6 = prefix("fd00::2", 64);
	struct tb tb;
	int r;

	r = rtnl_build_addr(buf, sizeof(buf), 8, RTM_NEWADDR, 5, &v4);
	CHECK(parse_tb(buf, r, sizeof(*ifa), &tb));
	CHECK_EQ(nlh->nlmsg_type, RTM_NEWADDR);
	CHECK_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	CHECK_EQ(ifa->ifa_family, AF_INET);
	CHECK_EQ(ifa->ifa_prefixlen, 24);
	CHECK_EQ(ifa->ifa_index, 5);
	CHECK_EQ(ifa->ifa_scope, RT_SCOPE_UNIVERSE);
	CHECK_EQ(tb.count, 2);
	CHECK(tb.a[IFA_LOCAL] && mnl_attr_get_payload_len(tb.a[IFA_LOCAL]) == 4);
	CHECK(tb.a[IFA_ADDRESS] && mnl_attr_get_payload_len(tb.a[IFA_ADDRESS]) == 4);
	CHECK_MEMEQ(mnl_attr_get_payload(tb.a[IFA_LOCAL]), &v4.addr.ip4, 4);
	CHECK_MEMEQ(mnl_attr_get_payload(tb.a[IFA_ADDRESS]), &v4.addr.ip4, 4);

	r = rtnl_build_addr(buf, sizeof(buf), 9, RTM_NEWADDR, 5, &v6);
	CHECK(parse_tb(buf, r, sizeof(*ifa), &tb));
	CHECK_EQ(ifa->ifa_family, AF_INET6);
	CHECK_EQ(ifa->ifa_prefixlen, 64);
	CHECK_EQ(tb.count, 1);
	CHECK(tb.a[IFA_LOCAL] && mnl_attr_get_payload_len(tb.a[IFA_LOCAL]) == 16);
	CHECK_MEMEQ(mnl_attr_get_payload(tb.a[IFA_LOCAL]), &v6.addr.ip6, 16);

	r = rtnl_build_addr(buf, sizeof(buf), 10, RTM_DELADDR, 5, &v6);
	CHECK(parse_tb(buf, r, sizeof(*ifa), &tb));
	CHECK_EQ(nlh->nlmsg_type, RTM_DELADDR);
	CHECK_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);

	v4.cidr = 33;
	CHECK_EQ(rtnl_build_addr(buf, sizeof(buf), 8, RTM_NEWADDR, 5, &v4), -EINVAL);
	v4.cidr = 24;
	CHECK_EQ(rtnl_build_addr(buf, sizeof(buf), 8, RTM_NEWADDR, 0, &v4), -EINVAL);
	CHECK_EQ(rtnl_build_addr(buf, sizeof(buf), 8, RTM_NEWROUTE, 5, &v4), -EINVAL);
	CHECK_EQ(rtnl_build_addr(buf, 32, 8, RTM_NEWADDR, 5, &v4), -EMSGSIZE);
}

TEST(rtnl_build_route_table_protocol)
{
	alignas(struct nlmsghdr) uint8_t buf[128] = { 0 };
	const struct nlmsghdr *nlh = (const void *)buf;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload((const struct nlmsghdr *)buf);
	struct ip_prefix dst = prefix("10.1.2.3", 16), any6 = prefix("::", 0);
	struct in_addr net;
	struct tb tb;
	int r;

	r = rtnl_build_route(buf, sizeof(buf), 12, RTM_NEWROUTE, 9, &dst, 51820);
	CHECK(parse_tb(buf, r, sizeof(*rtm), &tb));
	CHECK_EQ(nlh->nlmsg_type, RTM_NEWROUTE);
	CHECK_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	CHECK_EQ(rtm->rtm_family, AF_INET);
	CHECK_EQ(rtm->rtm_dst_len, 16);
	CHECK_EQ(rtm->rtm_src_len, 0);
	CHECK_EQ(rtm->rtm_table, RT_TABLE_UNSPEC);
	CHECK_EQ(rtm->rtm_protocol, RTPROT_WGAGENT);
	CHECK_EQ(rtm->rtm_scope, RT_SCOPE_LINK);
	CHECK_EQ(rtm->rtm_type, RTN_UNICAST);
	CHECK_EQ(tb.count, 3);
	CHECK(tb.a[RTA_TABLE] && !mnl_attr_validate(tb.a[RTA_TABLE], MNL_TYPE_U32));
	CHECK_EQ(mnl_attr_get_u32(tb.a[RTA_TABLE]), 51820);
	CHECK(tb.a[RTA_OIF] && !mnl_attr_validate(tb.a[RTA_OIF], MNL_TYPE_U32));
	CHECK_EQ(mnl_attr_get_u32(tb.a[RTA_OIF]), 9);
	/* Host bits cleared: 10.1.2.3/16 goes in as 10.1.0.0/16. */
	inet_pton(AF_INET, "10.1.0.0", &net);
	CHECK(tb.a[RTA_DST] && mnl_attr_get_payload_len(tb.a[RTA_DST]) == 4);
	CHECK_MEMEQ(mnl_attr_get_payload(tb.a[RTA_DST]), &net, 4);

	/* Table 0 and tables below 256 travel in rtm_table alone. */
	r = rtnl_build_route(buf, sizeof(buf), 13, RTM_NEWROUTE, 9, &dst, 0);
	CHECK(parse_tb(buf, r, sizeof(*rtm), &tb));
	CHECK_EQ(rtm->rtm_table, RT_TABLE_MAIN);
	CHECK(tb.a[RTA_TABLE] == NULL);
	r = rtnl_build_route(buf, sizeof(buf), 13, RTM_NEWROUTE, 9, &dst, 255);
	CHECK(parse_tb(buf, r, sizeof(*rtm), &tb));
	CHECK_EQ(rtm->rtm_table, 255);
	CHECK(tb.a[RTA_TABLE] == NULL);
	r = rtnl_build_route(buf, sizeof(buf), 13, RTM_NEWROUTE, 9, &dst, 256);
	CHECK(parse_tb(buf, r, sizeof(*rtm), &tb));
	CHECK_EQ(rtm->rtm_table, RT_TABLE_UNSPEC);
	CHECK_EQ(mnl_attr_get_u32(tb.a[RTA_TABLE]), 256);

	/* IPv6 default route */
	r = rtnl_build_route(buf, sizeof(buf), 14, RTM_NEWROUTE, 9, &any6, 51820);
	CHECK(parse_tb(buf, r, sizeof(*rtm), &tb));
	CHECK_EQ(rtm->rtm_family, AF_INET6);
	CHECK_EQ(rtm->rtm_dst_len, 0);
	CHECK_EQ(rtm->rtm_scope, RT_SCOPE_UNIVERSE);
	CHECK(tb.a[RTA_DST] && mnl_attr_get_payload_len(tb.a[RTA_DST]) == 16);
	CHECK_MEMEQ(mnl_attr_get_payload(tb.a[RTA_DST]), &any6.addr.ip6, 16);

	/* Delete: any scope, only our protocol, no create flags. */
	r = rtnl_build_route(buf, sizeof(buf), 15, RTM_DELROUTE, 9, &dst, 51820);
	CHECK(parse_tb(buf, r, sizeof(*rtm), &tb));
	CHECK_EQ(nlh->nlmsg_type, RTM_DELROUTE);
	CHECK_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	CHECK_EQ(rtm->rtm_scope, RT_SCOPE_NOWHERE);
	CHECK_EQ(rtm->rtm_protocol, RTPROT_WGAGENT);
	CHECK_EQ(mnl_attr_get_u32(tb.a[RTA_TABLE]), 51820);

	dst.cidr = 129;
	CHECK_EQ(rtnl_build_route(buf, sizeof(buf), 12, RTM_NEWROUTE, 9, &dst, 0), -EINVAL);
	dst.family = AF_UNSPEC;
	dst.cidr = 0;
	CHECK_EQ(rtnl_build_route(buf, sizeof(buf), 12, RTM_NEWROUTE, 9, &dst, 0), -EINVAL);
}

TEST(rtnl_build_route_masks_ipv6)
{
	alignas(struct nlmsghdr) uint8_t buf[128] = { 0 };
	struct ip_prefix dst = prefix("fd12:3456:789a:bcde::1", 52);
	struct in6_addr net;
	struct tb tb;
	int r;

	r = rtnl_build_route(buf, sizeof(buf), 1, RTM_NEWROUTE, 3, &dst, 0);
	CHECK(parse_tb(buf, r, sizeof(struct rtmsg), &tb));
	inet_pton(AF_INET6, "fd12:3456:789a:b000::", &net);
	CHECK_MEMEQ(mnl_attr_get_payload(tb.a[RTA_DST]), &net, 16);
}

TEST(rtnl_build_rule_invert_fwmark)
{
	alignas(struct nlmsghdr) uint8_t buf[128] = { 0 };
	const struct nlmsghdr *nlh = (const void *)buf;
	const struct fib_rule_hdr *frh = mnl_nlmsg_get_payload((const struct nlmsghdr *)buf);
	/* ip rule add not fwmark 51820 table 51820 */
	struct rtnl_rule rule = { .family = AF_INET, .table = 51820, .fwmark = 51820,
				  .has_fwmark = true, .invert = true, .suppress_prefixlen = -1,
				  .protocol = RTPROT_WGAGENT };
	struct tb tb;
	int r;

	r = rtnl_build_rule(buf, sizeof(buf), 20, RTM_NEWRULE, &rule);
	CHECK(parse_tb(buf, r, sizeof(*frh), &tb));
	CHECK_EQ(nlh->nlmsg_type, RTM_NEWRULE);
	CHECK_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	CHECK_EQ(frh->family, AF_INET);
	CHECK_EQ(frh->flags, FIB_RULE_INVERT);
	CHECK_EQ(frh->action, FR_ACT_TO_TBL);
	CHECK_EQ(frh->table, RT_TABLE_UNSPEC);
	CHECK_EQ(frh->dst_len, 0);
	CHECK_EQ(frh->src_len, 0);
	CHECK_EQ(tb.count, 3);
	CHECK(tb.a[FRA_TABLE] && !mnl_attr_validate(tb.a[FRA_TABLE], MNL_TYPE_U32));
	CHECK_EQ(mnl_attr_get_u32(tb.a[FRA_TABLE]), 51820);
	CHECK(tb.a[FRA_FWMARK] && !mnl_attr_validate(tb.a[FRA_FWMARK], MNL_TYPE_U32));
	CHECK_EQ(mnl_attr_get_u32(tb.a[FRA_FWMARK]), 51820);
	CHECK(tb.a[FRA_PROTOCOL] && !mnl_attr_validate(tb.a[FRA_PROTOCOL], MNL_TYPE_U8));
	CHECK_EQ(mnl_attr_get_u8(tb.a[FRA_PROTOCOL]), RTPROT_WGAGENT);
	CHECK(tb.a[FRA_SUPPRESS_PREFIXLEN] == NULL);
	CHECK(tb.a[FRA_PRIORITY] == NULL);

	r = rtnl_build_rule(buf, sizeof(buf), 21, RTM_DELRULE, &rule);
	CHECK(parse_tb(buf, r, sizeof(*frh), &tb));
	CHECK_EQ(nlh->nlmsg_type, RTM_DELRULE);
	CHECK_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	CHECK_EQ(frh->flags, FIB_RULE_INVERT);
}

TEST(rtnl_build_rule_suppress_prefixlen)
{
	alignas(struct nlmsghdr) uint8_t buf[128] = { 0 };
	const struct fib_rule_hdr *frh = mnl_nlmsg_get_payload((const struct nlmsghdr *)buf);
	/* ip -6 rule add table main suppress_prefixlength 0 priority 32000 */
	struct rtnl_rule rule = { .family = AF_INET6, .table = RT_TABLE_MAIN,
				  .suppress_prefixlen = 0, .priority = 32000 };
	struct tb tb;
	int r;

	r = rtnl_build_rule(buf, sizeof(buf), 22, RTM_NEWRULE, &rule);
	CHECK(parse_tb(buf, r, sizeof(*frh), &tb));
	CHECK_EQ(frh->family, AF_INET6);
	CHECK_EQ(frh->flags, 0);
	CHECK_EQ(frh->table, RT_TABLE_MAIN);
	CHECK_EQ(tb.count, 3);
	CHECK(tb.a[FRA_SUPPRESS_PREFIXLEN] != NULL);
	CHECK_EQ(mnl_attr_get_u32(tb.a[FRA_SUPPRESS_PREFIXLEN]), 0);
	CHECK_EQ(mnl_attr_get_u32(tb.a[FRA_TABLE]), RT_TABLE_MAIN);
	CHECK_EQ(mnl_attr_get_u32(tb.a[FRA_PRIORITY]), 32000);
	CHECK(tb.a[FRA_FWMARK] == NULL);
	CHECK(tb.a[FRA_PROTOCOL] == NULL);

	rule.suppress_prefixlen = -2;
	CHECK_EQ(rtnl_build_rule(buf, sizeof(buf), 22, RTM_NEWRULE, &rule), -EINVAL);
	rule.suppress_prefixlen = 0;
	rule.family = AF_UNSPEC;
	CHECK_EQ(rtnl_build_rule(buf, sizeof(buf), 22, RTM_NEWRULE, &rule), -EINVAL);
	rule.family = AF_INET;
	CHECK_EQ(rtnl_build_rule(buf, 40, 22, RTM_NEWRULE, &rule), -EMSGSIZE);
}

TEST(rtnl_parse_link_rejects_bad_input)
{
	alignas(struct nlmsghdr) uint8_t buf[256] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	struct rtnl_link_info info;
	char name[IFNAMSIZ];

	nlh->nlmsg_type = RTM_NEWLINK;
	CHECK_EQ(rtnl_parse_link(nlh, &info), -EBADMSG); /* no ifinfomsg */
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	CHECK_EQ(rtnl_parse_link(nlh, &info), -EBADMSG); /* ifindex 0 */
	ifi->ifi_index = 3;
	CHECK_EQ(rtnl_parse_link(nlh, &info), 0);
	CHECK(info.ifname == NULL);
	CHECK(info.kind == NULL);
	memset(name, 'e', sizeof(name));
	mnl_attr_put(nlh, IFLA_IFNAME, sizeof(name), name); /* no NUL */
	CHECK_EQ(rtnl_parse_link(nlh, &info), -EBADMSG);
	nlh->nlmsg_type = RTM_DELLINK;
	CHECK_EQ(rtnl_parse_link(nlh, &info), -EBADMSG);
}
