// SPDX-License-Identifier: MIT
/*
 * The boot agent's pure parts: IMDS response parsers and status mapping,
 * the identity record and clone decision, the report payload.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "check.h"
#include "gateway.h"
#include "identity.h"
#include "imds.h"
#include "key.h"
#include "report.h"
#include "rtnl.h"

TEST(imds_user_data_base64)
{
	const char *why = NULL;
	char *text = NULL;
	size_t len = 0;

	/* "[Interface]\nListenPort = 1\n", wrapped over two lines as some tools send it. */
	CHECK_EQ(imds_parse_user_data("W0ludGVyZmFjZV0KTGlz\r\ndGVuUG9ydCA9IDEK", 38, &text, &len,
				      &why),
		 0);
	CHECK_STREQ(text, "[Interface]\nListenPort = 1\n");
	CHECK_EQ(len, 27);
	free(text);

	CHECK_EQ(imds_parse_user_data("", 0, &text, &len, &why), 0);
	CHECK(text == NULL);
	CHECK_EQ(imds_parse_user_data(" \n", 2, &text, &len, &why), 0);
	CHECK(text == NULL);

	CHECK_EQ(imds_parse_user_data("###", 3, &text, &len, &why), -EBADMSG);
	CHECK_STREQ(why, "userData is not base64");
	CHECK_EQ(imds_parse_user_data("QUJD=", 5, &text, &len, &why), -EBADMSG);
	/* "A\0B" */
	CHECK_EQ(imds_parse_user_data("QQBC", 4, &text, &len, &why), -EBADMSG);
	CHECK_CONTAINS(why, "NUL");
	/* 0xff 0xfe: not UTF-8 */
	CHECK_EQ(imds_parse_user_data("//4=", 4, &text, &len, &why), -EBADMSG);
	CHECK_CONTAINS(why, "UTF-8");
	/* "é" in UTF-8 is fine */
	CHECK_EQ(imds_parse_user_data("w6k=", 4, &text, &len, &why), 0);
	CHECK_STREQ(text, "\xc3\xa9");
	free(text);
}

TEST(imds_vm_id)
{
	char id[64];

	CHECK_EQ(imds_parse_vm_id("D2B7A1C4-0F4E-4B8A-9D51-2F8E6C3A7B10\n", 37, id), 0);
	CHECK_STREQ(id, "d2b7a1c4-0f4e-4b8a-9d51-2f8e6c3a7b10");
	CHECK_EQ(imds_parse_vm_id("not-a-uuid", 10, id), -EBADMSG);
	CHECK_EQ(imds_parse_vm_id("d2b7a1c4x0f4e-4b8a-9d51-2f8e6c3a7b10", 36, id), -EBADMSG);
	CHECK_EQ(imds_parse_vm_id("g2b7a1c4-0f4e-4b8a-9d51-2f8e6c3a7b10", 36, id), -EBADMSG);
}

TEST(imds_attested)
{
	const char *good = "{\"encoding\":\"pkcs7\",\"signature\":\"MIIx\"}";

	CHECK_EQ(imds_parse_attested(good, strlen(good)), 0);
	CHECK_EQ(imds_parse_attested("{\"encoding\":\"pkcs7\"}", 20), -EBADMSG);
	CHECK_EQ(imds_parse_attested("{\"signature\":\"\"}", 16), -EBADMSG);
	CHECK_EQ(imds_parse_attested("{\"signature\":1}", 15), -EBADMSG);
	CHECK_EQ(imds_parse_attested("<html>", 6), -EBADMSG);
	CHECK_EQ(imds_parse_attested(good, strlen(good) - 1), -EBADMSG); /* truncated */
	CHECK_EQ(imds_parse_attested("{\"signature\":\"a\"} x", 19), -EBADMSG);
}

TEST(imds_status_mapping)
{
	bool retry;

	CHECK_EQ(imds_status_to_errno(200, &retry), 0);
	CHECK(!retry);
	CHECK_EQ(imds_status_to_errno(400, &retry), -EACCES);
	CHECK(!retry);
	CHECK_EQ(imds_status_to_errno(404, &retry), -ENOENT);
	CHECK(!retry);
	CHECK_EQ(imds_status_to_errno(410, &retry), -EAGAIN);
	CHECK(retry);
	CHECK_EQ(imds_status_to_errno(429, &retry), -EAGAIN);
	CHECK(retry);
	CHECK_EQ(imds_status_to_errno(500, &retry), -EAGAIN);
	CHECK(retry);
	CHECK_EQ(imds_status_to_errno(503, &retry), -EAGAIN);
	CHECK(retry);
	CHECK_EQ(imds_status_to_errno(302, &retry), -EIO);
	CHECK(!retry);
}

static struct identity ident(const char *uuid, const char *vm)
{
	struct identity id;

	memset(&id, 0, sizeof(id));
	strcpy(id.product_uuid, uuid);
	strcpy(id.vm_id, vm);
	return id;
}

TEST(identity_clone_decision)
{
	struct identity a = ident("4c4c4544-0042", "1111"), b;

	b = a;
	CHECK(!identity_is_other_machine(&a, &b));
	b = ident("4c4c4544-0042", "2222");
	CHECK(identity_is_other_machine(&a, &b));
	b = ident("4c4c4544-0043", "1111");
	CHECK(identity_is_other_machine(&a, &b));
	/* Unknown on one side (IMDS down, no SMBIOS): not a reason to throw keys away. */
	b = ident("4c4c4544-0042", "");
	CHECK(!identity_is_other_machine(&a, &b));
	b = ident("", "1111");
	CHECK(!identity_is_other_machine(&a, &b));
	/* All-zero and all-f UUIDs mean "no SMBIOS data". */
	a = ident("00000000-0000-0000-0000-000000000000", "");
	b = ident("4c4c4544-0042", "");
	CHECK(!identity_is_other_machine(&a, &b));
	a = ident("ffffffff-ffff-ffff-ffff-ffffffffffff", "");
	CHECK(!identity_is_other_machine(&a, &b));
}

TEST(identity_record_round_trip)
{
	struct identity a = ident("4c4c4544-0042", "d2b7a1c4-0f4e"), b;
	char buf[256];

	CHECK(identity_format(&a, buf, sizeof(buf)) > 0);
	CHECK_STREQ(buf, "product_uuid=4c4c4544-0042\nvm_id=d2b7a1c4-0f4e\n");
	CHECK_EQ(identity_parse(buf, &b), 0);
	CHECK_STREQ(b.product_uuid, a.product_uuid);
	CHECK_STREQ(b.vm_id, a.vm_id);
	CHECK_EQ(identity_parse("vm_id=ABC\nfuture=1\n", &b), 0);
	CHECK_STREQ(b.vm_id, "abc");
	CHECK_STREQ(b.product_uuid, "");
	CHECK_EQ(identity_parse("garbage\n", &b), -EBADMSG);
	CHECK_EQ(identity_parse("vm_id=a b\n", &b), -EBADMSG);
	CHECK_EQ(identity_format(&a, buf, 10), -ENOBUFS);
}

TEST(report_payload_fields)
{
	struct report r = {
		.ifname = "wg0",
		.listen_port = 51820,
		.source = "imds:userData",
		.id = ident("4c4c4544", "d2b7a1c4-0f4e-4b8a-9d51-2f8e6c3a7b10"),
		.n_peers = 3,
		.since_boot_ms = 4321,
		.since_agent_start_ms = 87,
		.attested_json = "{\"encoding\":\"pkcs7\",\"signature\":\"MIIx\"}",
		.nonce = "12345",
	};
	struct json_object *o, *v, *t;
	char *p, line[512], pub[WG_KEY_B64_LEN];

	memset(r.public_key.b, 0x42, sizeof(r.public_key.b));
	key_to_base64(pub, &r.public_key);
	p = report_payload(&r);
	CHECK(p != NULL);
	o = json_tokener_parse(p ? p : "");
	CHECK(o != NULL);
	CHECK(json_object_object_get_ex(o, "public_key", &v) && !strcmp(json_object_get_string(v), pub));
	CHECK(json_object_object_get_ex(o, "version", &v) && json_object_get_int(v) == 1);
	CHECK(json_object_object_get_ex(o, "interface", &v) && !strcmp(json_object_get_string(v), "wg0"));
	CHECK(json_object_object_get_ex(o, "vm_id", &v) &&
	      !strcmp(json_object_get_string(v), "d2b7a1c4-0f4e-4b8a-9d51-2f8e6c3a7b10"));
	CHECK(json_object_object_get_ex(o, "timings", &t) &&
	      json_object_object_get_ex(t, "since_boot_ms", &v) && json_object_get_int(v) == 4321);
	CHECK(json_object_object_get_ex(t, "since_agent_start_ms", &v) && json_object_get_int(v) == 87);
	CHECK(json_object_object_get_ex(o, "attested_document", &v) &&
	      json_object_object_get_ex(v, "signature", &t) && !strcmp(json_object_get_string(t), "MIIx"));
	CHECK(json_object_object_get_ex(o, "nonce", &v) && !strcmp(json_object_get_string(v), "12345"));
	json_object_put(o);
	free(p);

	/* Without IMDS: nulls, not empty strings. */
	r.attested_json = NULL;
	r.nonce = NULL;
	r.id.vm_id[0] = '\0';
	p = report_payload(&r);
	CHECK_CONTAINS(p, "\"vm_id\":null");
	CHECK_CONTAINS(p, "\"attested_document\":null");
	free(p);
	r.attested_json = "not json";
	CHECK(report_payload(&r) == NULL);

	report_console_line(&r, line, sizeof(line));
	CHECK_CONTAINS(line, "wgagent: wg0 public key ");
	CHECK_CONTAINS(line, pub);
	CHECK_CONTAINS(line, "4321 ms after boot");
}

TEST(gateway_ruleset_text)
{
	struct ip_prefix a[2] = { { .family = AF_INET, .cidr = 24 },
				  { .family = AF_INET6, .cidr = 64 } };
	char *t;

	a[0].addr.ip4.s_addr = htonl(0x0a070001); /* 10.7.0.1/24: masked to the subnet */
	a[1].addr.ip6.s6_addr[0] = 0xfd;
	a[1].addr.ip6.s6_addr[15] = 1;
	t = gateway_ruleset("wg0", "eth0", a, 2);
	CHECK(t != NULL);
	/* Idempotent and atomic: create, delete, create, in one `nft -f`. */
	CHECK_CONTAINS(t, "table inet wgagent-wg0\ndelete table inet wgagent-wg0\ntable inet wgagent-wg0 {\n");
	CHECK_CONTAINS(t, "iifname \"wg0\" oifname \"eth0\" accept\n");
	CHECK_CONTAINS(t, "iifname \"eth0\" oifname \"wg0\" ct state established,related accept\n");
	CHECK_CONTAINS(t, "iifname \"eth0\" oifname \"wg0\" drop\n");
	CHECK_CONTAINS(t, "type nat hook postrouting priority srcnat; policy accept;\n");
	CHECK_CONTAINS(t, "oifname \"eth0\" ip saddr 10.7.0.0/24 masquerade\n");
	CHECK_CONTAINS(t, "oifname \"eth0\" ip6 saddr fd00::/64 masquerade\n");
	free(t);
	CHECK(gateway_ruleset("wg0", "eth0\"; flush ruleset", a, 2) == NULL);
	CHECK(gateway_ruleset("", "eth0", a, 2) == NULL);
	t = gateway_ruleset("wg0", "eth0", NULL, 0);
	CHECK(t && !strstr(t, "masquerade"));
	free(t);
}

TEST(rtnl_route_get_message)
{
	alignas(struct nlmsghdr) uint8_t buf[256];
	union wg_sockaddr sa = { .in = { .sin_family = AF_INET } };
	const struct nlmsghdr *nlh = (const void *)buf;
	const struct rtmsg *rtm;
	int n;

	sa.in.sin_addr.s_addr = htonl(0xa9fea9fe);
	n = rtnl_build_route_get(buf, sizeof(buf), 7, &sa, 51820);
	CHECK(n > 0);
	CHECK_EQ(nlh->nlmsg_type, RTM_GETROUTE);
	CHECK(nlh->nlmsg_flags & NLM_F_ACK);
	CHECK(!(nlh->nlmsg_flags & NLM_F_DUMP));
	rtm = mnl_nlmsg_get_payload(nlh);
	CHECK_EQ(rtm->rtm_family, AF_INET);
	CHECK_EQ(rtm->rtm_dst_len, 32);
	CHECK_EQ(nlh->nlmsg_len, (unsigned)n);
	/* RTA_DST (8) + RTA_MARK (8) after the header */
	CHECK_EQ(n, (int)(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*rtm)) + 8 + 8));
	sa.sa.sa_family = AF_UNSPEC;
	CHECK_EQ(rtnl_build_route_get(buf, sizeof(buf), 7, &sa, 0), -EINVAL);
}
