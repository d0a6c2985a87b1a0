// SPDX-License-Identifier: MIT
/* The JSON form: the same model as the INI form, and path-named errors. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "conf.h"
#include "config.h"
#include "key.h"

#define PRIV "QQMZamy0+/px4vEu+65Q7YBjDBV7YEBjVzxWslW8VZk="
#define PUB1 "8qyrk9Sx9XN1wrMn5bmX1fx2I5vixyfR6alK3FHTxVs="
#define PUB2 "76Ss6Hhjy16UDXh2mNOI3BBWjiwMkvkfO9BBkMsbKrw="
#define PUB3 "0nrP1vPQWPYPlnt5FgzmUujFyrn3xRdfh2U8E7eUaWc="
#define PSK "Q5eREGtuuEMlp9c4ID/csUJEjcXo/Po/jOXmsA5/onI="

static int parse_json(struct conf_ctx *ctx, const char *text, struct wg_config **ret)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->source = "wg0.json";
	ctx->read_key = key_read_file;
	return conf_parse(ctx, text, strlen(text), ret);
}

static const char *json_err(struct conf_ctx *ctx, const char *text)
{
	struct wg_config *cfg = NULL;

	if (parse_json(ctx, text, &cfg) == 0) {
		config_free(cfg);
		return "";
	}
	return ctx->err;
}

static const char ini_text[] = "[Interface]\n"
			       "PrivateKey = " PRIV "\n"
			       "ListenPort = 51820\n"
			       "FwMark = 0xca6c\n"
			       "Address = 10.0.0.1/24, fd00::1/64\n"
			       "MTU = 1420\n"
			       "Table = 1234\n"
			       "[Peer]\n"
			       "PublicKey = " PUB1 "\n"
			       "PresharedKey = " PSK "\n"
			       "Endpoint = 192.0.2.1:51820\n"
			       "AllowedIPs = 10.0.0.2/32, 10.10.7.7/16, fd00::2/128\n"
			       "PersistentKeepalive = 25\n"
			       "[Peer]\n"
			       "PublicKey = " PUB2 "\n"
			       "Endpoint = [2001:db8::1]:443\n"
			       "AllowedIPs = 10.0.0.3/32\n"
			       "PersistentKeepalive = off\n"
			       "[Peer]\n"
			       "PublicKey = " PUB3 "\n"
			       "Endpoint = vpn.example.com:51820\n"
			       "AllowedIPs = 0.0.0.0/0, ::/0\n";

static const char json_text[] =
	"  \n{\n"
	"  \"interface\": {\n"
	"    \"private_key\": \"" PRIV "\",\n"
	"    \"listen_port\": 51820,\n"
	"    \"fwmark\": \"0xca6c\",\n"
	"    \"address\": [\"10.0.0.1/24\", \"fd00::1/64\"],\n"
	"    \"mtu\": 1420,\n"
	"    \"table\": 1234\n"
	"  },\n"
	"  \"peers\": [\n"
	"    {\"public_key\": \"" PUB1 "\", \"preshared_key\": \"" PSK "\",\n"
	"     \"endpoint\": \"192.0.2.1:51820\",\n"
	"     \"allowed_ips\": [\"10.0.0.2/32\", \"10.10.7.7/16\", \"fd00::2/128\"],\n"
	"     \"persistent_keepalive\": 25},\n"
	"    {\"public_key\": \"" PUB2 "\", \"endpoint\": \"[2001:db8::1]:443\",\n"
	"     \"allowed_ips\": [\"10.0.0.3/32\"], \"persistent_keepalive\": \"off\"},\n"
	"    {\"public_key\": \"" PUB3 "\", \"endpoint\": \"vpn.example.com:51820\",\n"
	"     \"allowed_ips\": [\"0.0.0.0/0\", \"::/0\"], \"preshared_key_file\": null}\n"
	"  ]\n"
	"}\n";

static bool same_prefix(const struct ip_prefix *a, const struct ip_prefix *b)
{
	size_t n = a->family == AF_INET6 ? 16 : 4;

	return a->family == b->family && a->cidr == b->cidr && !memcmp(&a->addr, &b->addr, n);
}

/* Everything but lines and source. */
static void check_same_model(const struct wg_config *a, const struct wg_config *b)
{
	CHECK_STREQ(a->ifname, b->ifname);
	CHECK_EQ(a->has_private_key, b->has_private_key);
	CHECK(key_equal(&a->private_key, &b->private_key));
	CHECK_EQ(a->has_listen_port, b->has_listen_port);
	CHECK_EQ(a->listen_port, b->listen_port);
	CHECK_EQ(a->has_fwmark, b->has_fwmark);
	CHECK_EQ(a->fwmark, b->fwmark);
	CHECK_EQ(a->mtu, b->mtu);
	CHECK_EQ(a->table_mode, b->table_mode);
	CHECK_EQ(a->table, b->table);
	CHECK_EQ(a->n_addresses, b->n_addresses);
	for (size_t i = 0; i < a->n_addresses && i < b->n_addresses; i++)
		CHECK(same_prefix(&a->addresses[i], &b->addresses[i]));
	CHECK_EQ(a->n_peers, b->n_peers);
	for (size_t i = 0; i < a->n_peers && i < b->n_peers; i++) {
		const struct wg_peer *p = &a->peers[i], *q = &b->peers[i];

		CHECK(key_equal(&p->public_key, &q->public_key));
		CHECK_EQ(p->has_preshared_key, q->has_preshared_key);
		CHECK(key_equal(&p->preshared_key, &q->preshared_key));
		CHECK_STREQ(p->endpoint.host ? p->endpoint.host : "(none)",
			    q->endpoint.host ? q->endpoint.host : "(none)");
		CHECK_EQ(p->endpoint.port, q->endpoint.port);
		CHECK_MEMEQ(&p->endpoint.addr, &q->endpoint.addr, sizeof(p->endpoint.addr));
		CHECK_EQ(p->has_persistent_keepalive, q->has_persistent_keepalive);
		CHECK_EQ(p->persistent_keepalive, q->persistent_keepalive);
		CHECK_EQ(p->n_allowed_ips, q->n_allowed_ips);
		for (size_t j = 0; j < p->n_allowed_ips && j < q->n_allowed_ips; j++)
			CHECK(same_prefix(&p->allowed_ips[j], &q->allowed_ips[j]));
	}
}

TEST(conf_json_same_model_as_ini)
{
	_cleanup_config_ struct wg_config *ini = NULL, *json = NULL;
	struct conf_ctx ctx = {.source = "wg0.conf"};

	CHECK_EQ(conf_parse_ini(&ctx, ini_text, strlen(ini_text), &ini), 0);
	CHECK_EQ(parse_json(&ctx, json_text, &json), 0);
	if (!ini || !json) {
		fprintf(stderr, "  %s\n", ctx.err);
		return;
	}
	check_same_model(ini, json);
	CHECK_STREQ(json->source, "wg0.json");
	CHECK_EQ(json->peers[0].line, 0);
	CHECK_EQ(json->peers[0].allowed_ips[0].line, 0);
	CHECK_EQ(json->addresses[1].line, 0);
	CHECK_EQ(json->peers[0].allowed_ips[1].addr.ip4.s_addr, inet_addr("10.10.0.0"));
}

TEST(conf_json_values)
{
	_cleanup_config_ struct wg_config *cfg = NULL, *cfg2 = NULL;
	struct conf_ctx ctx;

	CHECK_EQ(parse_json(&ctx,
			    "{\"interface\": {\"name\": \"wg-hub\", \"fwmark\": 51820, \"table\": "
			    "\"off\", \"listen_port\": \"0\"}, \"peers\": []}",
			    &cfg),
		 0);
	if (!cfg)
		return;
	CHECK_STREQ(cfg->ifname, "wg-hub");
	CHECK(cfg->has_fwmark);
	CHECK_EQ(cfg->fwmark, 51820);
	CHECK_EQ(cfg->table_mode, TABLE_OFF);
	CHECK(cfg->has_listen_port);
	CHECK_EQ(cfg->listen_port, 0);
	CHECK_EQ(cfg->n_peers, 0);
	CHECK(!cfg->has_private_key);

	CHECK_EQ(parse_json(&ctx, "{\"interface\": {\"fwmark\": \"off\", \"table\": \"auto\"}}",
			    &cfg2),
		 0);
	CHECK(cfg2 && cfg2->has_fwmark && cfg2->fwmark == 0 && cfg2->table_mode == TABLE_AUTO);
	CHECK(cfg2 && cfg2->ifname[0] == '\0');
}

TEST(conf_json_empty_object)
{
	_cleanup_config_ struct wg_config *cfg = NULL;
	struct conf_ctx ctx;

	CHECK_EQ(parse_json(&ctx, "{}", &cfg), 0);
	CHECK(cfg && cfg->n_peers == 0);
}

TEST(conf_json_errors)
{
	struct conf_ctx ctx;

	CHECK_STREQ(json_err(&ctx, "{\"interface\": {\"listen_port\": 70000}}"),
		    "wg0.json: interface.listen_port: invalid port '70000' (expected 0..65535)");
	CHECK_STREQ(json_err(&ctx, "{\"interface\": {\"listen_port\": -1}}"),
		    "wg0.json: interface.listen_port: invalid port '-1' (expected 0..65535)");
	CHECK_STREQ(json_err(&ctx, "{\"interface\": {\"listen_port\": 1.5}}"),
		    "wg0.json: interface.listen_port: expected an integer or a string");
	CHECK_STREQ(json_err(&ctx, "{\"interface\": {\"mtu\": true}}"),
		    "wg0.json: interface.mtu: expected an integer or a string");
	CHECK_STREQ(json_err(&ctx, "{\"interface\": {\"private_key\": 5}}"),
		    "wg0.json: interface.private_key: expected a string");
	CHECK_STREQ(json_err(&ctx, "{\"interface\": {\"address\": \"10.0.0.1/24\"}}"),
		    "wg0.json: interface.address: expected an array of strings");
	CHECK_STREQ(json_err(&ctx, "{\"interface\": {\"address\": [\"10.0.0.1/24\", 7]}}"),
		    "wg0.json: interface.address[1]: expected a string");
	CHECK_STREQ(
		json_err(&ctx, "{\"interface\": {\"address\": [\"10.0.0.1/24\", \"x\\u0000\"]}}"),
		"wg0.json: interface.address[1]: contains a NUL character");
	CHECK_STREQ(
		json_err(&ctx, "{\"interface\": {\"address\": [\"fd00::1/64\"], \"mtu\": 1000}}"),
		"wg0.json: interface.mtu: 1000 is too small for the IPv6 address "
		"interface.address[0] 'fd00::1/64' (IPv6 needs at least 1280)");
	CHECK_STREQ(json_err(&ctx, "{\"interface\": []}"),
		    "wg0.json: interface: expected an object");
	CHECK_STREQ(json_err(&ctx, "{\"interface\": {\"PrivateKey\": \"" PRIV "\"}}"),
		    "wg0.json: interface.PrivateKey: unknown field");
	CHECK_STREQ(json_err(&ctx, "{\"interface\": {\"public_key\": \"" PUB1 "\"}}"),
		    "wg0.json: interface.public_key: unknown field");
	CHECK_STREQ(json_err(&ctx, "{\"interface\": {}, \"dns\": [\"1.1.1.1\"]}"),
		    "wg0.json: dns: unknown field");
	CHECK_STREQ(json_err(&ctx,
			     "{\"interface\": {\"private_key_file\": \"/x\", \"private_key\": "
			     "\"" PRIV "\"}}"),
		    "wg0.json: interface.private_key_file: cannot be used together with "
		    "interface.private_key");
	CHECK_STREQ(
		json_err(&ctx, "{\"interface\": {\"name\": \"a/b\"}}"),
		"wg0.json: interface.name: invalid interface name 'a/b' (1 to 15 characters, no "
		"'/', ':' or whitespace)");
	CHECK_STREQ(json_err(&ctx, "{\"peers\": {}}"),
		    "wg0.json: peers: expected an array of objects");
	CHECK_STREQ(json_err(&ctx, "{\"peers\": [{\"public_key\": \"" PUB1 "\"}, 3]}"),
		    "wg0.json: peers[1]: expected an object");
	CHECK_STREQ(json_err(&ctx, "{\"peers\": [{\"public_key\": \"" PUB1 "\"}, {}]}"),
		    "wg0.json: peers[1]: missing public_key");
	CHECK_STREQ(
		json_err(&ctx, "{\"peers\": [{\"public_key\": \"" PUB1 "\", \"name\": \"x\"}]}"),
		"wg0.json: peers[0].name: unknown field");
	CHECK_STREQ(json_err(&ctx,
			     "{\"peers\": [{\"public_key\": \"" PUB1 "\", \"endpoint\": \"h\"}]}"),
		    "wg0.json: peers[0].endpoint: invalid endpoint 'h': missing port");
	CHECK_STREQ(json_err(&ctx, "{\"peers\": [{\"public_key\": \"" PUB1
				   "\"}, {\"public_key\": \"" PUB1 "\"}]}"),
		    "wg0.json: peers[1].public_key: duplicate peer '" PUB1 "' (same as peers[0])");
	CHECK_STREQ(json_err(&ctx, "{\"peers\": [{\"public_key\": \"" PUB1
				   "\", \"allowed_ips\": [\"10.0.0.1\", \"10.0.0.1/32\"]}]}"),
		    "wg0.json: peers[0].allowed_ips[1]: '10.0.0.1/32' given twice (first at "
		    "allowed_ips[0])");
	CHECK_STREQ(
		json_err(&ctx,
			 "{\"interface\": {\"private_key\": "
			 "\"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=\"}, \"peers\": "
			 "[{\"public_key\": \"hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=\"}]}"),
		"wg0.json: peers[0].public_key: 'hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=' is "
		"the interface's own public key");
	/* Secrets are not echoed here either. */
	CHECK_STREQ(json_err(&ctx, "{\"peers\": [{\"public_key\": \"" PUB1
				   "\", \"preshared_key\": \"topsecret\"}]}"),
		    "wg0.json: peers[0].preshared_key: invalid key (9 characters, expected 44 of "
		    "base64; value not shown)");
}

TEST(conf_json_syntax_errors)
{
	struct conf_ctx ctx;

	CHECK_STREQ(json_err(&ctx, "{\n\"interface\": {\n\"mtu\": 1420,\n}\n}\n"),
		    "wg0.json:4: JSON syntax error: unexpected character");
	CHECK_STREQ(json_err(&ctx, "{\n\"interface\": {\n"),
		    "wg0.json:3: JSON syntax error: unexpected end of input");
	CHECK_STREQ(json_err(&ctx, "{}\n\n{}"),
		    "wg0.json:3: JSON syntax error: unexpected character");
	CHECK_STREQ(json_err(&ctx, "{\"a\": 'x'}"),
		    "wg0.json:1: JSON syntax error: unexpected character");
	CHECK_STREQ(json_err(&ctx, "{\"interface\": nul}"),
		    "wg0.json:1: JSON syntax error: null expected");
	CHECK_STREQ(json_err(&ctx, "\n\n{\"mtu\": 1420"),
		    "wg0.json:3: JSON syntax error: unexpected end of input");
	CHECK_CONTAINS(json_err(&ctx, "{\"a\": \"\xff\"}"), "wg0.json:1: JSON syntax error: ");
	/* Not '{' first: taken as INI. */
	CHECK_STREQ(json_err(&ctx, "[1]"),
		    "wg0.json:1: unknown section '[1]' (expected [Interface] or [Peer])");
}

TEST(conf_json_direct_entry_points)
{
	struct conf_ctx ctx = {.source = "x.json"};
	struct wg_config *cfg = NULL;
	const char nul[] = "{\n\"a\": 1\0}";

	CHECK_EQ(conf_parse_json(&ctx, "[1]", 3, &cfg), -EINVAL);
	CHECK_STREQ(ctx.err, "x.json: expected a JSON object at the top level");
	CHECK_EQ(conf_parse_json(&ctx, "null", 4, &cfg), -EINVAL);
	CHECK_STREQ(ctx.err, "x.json: expected a JSON object at the top level");
	CHECK_EQ(conf_parse_json(&ctx, nul, sizeof(nul) - 1, &cfg), -EINVAL);
	CHECK_STREQ(ctx.err, "x.json:2: NUL byte in the configuration");
	CHECK(cfg == NULL);
}

TEST(conf_json_not_nul_terminated)
{
	_cleanup_config_ struct wg_config *cfg = NULL;
	const char *text = "{\"interface\": {\"listen_port\": 7}}";
	struct conf_ctx ctx = {.source = "x.json"};
	size_t len = strlen(text);
	char *copy = malloc(len);

	CHECK(copy != NULL);
	if (!copy)
		return;
	memcpy(copy, text, len);
	CHECK_EQ(conf_parse(&ctx, copy, len, &cfg), 0);
	CHECK(cfg && cfg->listen_port == 7);
	free(copy);
}
