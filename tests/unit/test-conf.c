// SPDX-License-Identifier: MIT
/* The wg-quick INI parser, the shared value parsers, config_validate() and the bad-config corpus.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "conf.h"
#include "config.h"
#include "key.h"

#define PRIV "QQMZamy0+/px4vEu+65Q7YBjDBV7YEBjVzxWslW8VZk="
#define PUB1 "8qyrk9Sx9XN1wrMn5bmX1fx2I5vixyfR6alK3FHTxVs="
#define PUB2 "76Ss6Hhjy16UDXh2mNOI3BBWjiwMkvkfO9BBkMsbKrw="
#define PUB3 "0nrP1vPQWPYPlnt5FgzmUujFyrn3xRdfh2U8E7eUaWc="
#define PSK "Q5eREGtuuEMlp9c4ID/csUJEjcXo/Po/jOXmsA5/onI="

#define BAD_CONFIGS "tests/vm/bad-configs"

/* Parses text as "wg0.conf"; returns the result and leaves the message in ctx. */
static int parse(struct conf_ctx *ctx, const char *text, struct wg_config **ret)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->source = "wg0.conf";
	ctx->read_key = key_read_file;
	return conf_parse(ctx, text, strlen(text), ret);
}

/* The error message for text, or "" if it parsed. */
static const char *parse_err(struct conf_ctx *ctx, const char *text)
{
	struct wg_config *cfg = NULL;

	if (parse(ctx, text, &cfg) == 0) {
		config_free(cfg);
		return "";
	}
	return ctx->err;
}

static const char *prefix_str(const struct ip_prefix *p, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(p->family, &p->addr, ip, sizeof(ip));
	snprintf(buf, size, "%s/%u", ip, p->cidr);
	return buf;
}

static bool key_is(const struct wg_key *k, const char *b64)
{
	struct wg_key want;

	return key_from_base64(&want, b64) && key_equal(k, &want);
}

static const char full_ini[] = "# hub\n"
			       "[Interface]\n"
			       "PrivateKey = " PRIV "\n"
			       "ListenPort = 51820\n"
			       "FwMark = 0xca6c\n"
			       "Address = 10.0.0.1/24, fd00::1/64\n"
			       "Address = 192.168.7.9\n"
			       "MTU = 1420\n"
			       "Table = 1234\n"
			       "\n"
			       "[Peer]\n"
			       "PublicKey = " PUB1 "\n"
			       "PresharedKey = " PSK "\n"
			       "Endpoint = 192.0.2.1:51820\n"
			       "AllowedIPs = 10.0.0.2/32, 10.10.7.7/16\n"
			       "AllowedIPs = fd00::2/128\n"
			       "PersistentKeepalive = 25\n"
			       "\n"
			       "[Peer]\n"
			       "PublicKey = " PUB2 "\n"
			       "Endpoint = [2001:db8::1]:443\n"
			       "AllowedIPs = 10.0.0.3/32\n"
			       "PersistentKeepalive = off\n"
			       "\n"
			       "[Peer]\n"
			       "PublicKey = " PUB3 "\n"
			       "Endpoint = vpn.example.com:51820\n"
			       "AllowedIPs = 0.0.0.0/0, ::/0\n";

TEST(conf_ini_full_model)
{
	_cleanup_config_ struct wg_config *cfg = NULL;
	struct conf_ctx ctx;
	char buf[64];
	struct wg_peer *p;

	CHECK_EQ(parse(&ctx, full_ini, &cfg), 0);
	if (!cfg)
		return;
	CHECK_STREQ(cfg->source, "wg0.conf");
	CHECK_STREQ(cfg->ifname, "");
	CHECK(cfg->has_private_key);
	CHECK(key_is(&cfg->private_key, PRIV));
	CHECK(cfg->has_listen_port);
	CHECK_EQ(cfg->listen_port, 51820);
	CHECK(cfg->has_fwmark);
	CHECK_EQ(cfg->fwmark, 0xca6c);
	CHECK_EQ(cfg->mtu, 1420);
	CHECK_EQ(cfg->table_mode, TABLE_ID);
	CHECK_EQ(cfg->table, 1234);
	CHECK_EQ(cfg->n_addresses, 3);
	CHECK_STREQ(prefix_str(&cfg->addresses[0], buf, sizeof(buf)), "10.0.0.1/24");
	CHECK_EQ(cfg->addresses[0].line, 6);
	CHECK_STREQ(prefix_str(&cfg->addresses[1], buf, sizeof(buf)), "fd00::1/64");
	CHECK_EQ(cfg->addresses[1].family, AF_INET6);
	CHECK_STREQ(prefix_str(&cfg->addresses[2], buf, sizeof(buf)), "192.168.7.9/32");
	CHECK_EQ(cfg->addresses[2].line, 7);
	CHECK_EQ(cfg->n_peers, 3);

	p = &cfg->peers[0];
	CHECK_EQ(p->line, 11);
	CHECK(key_is(&p->public_key, PUB1));
	CHECK(p->has_preshared_key);
	CHECK(key_is(&p->preshared_key, PSK));
	CHECK_STREQ(p->endpoint.host, "192.0.2.1");
	CHECK_EQ(p->endpoint.port, 51820);
	CHECK_EQ(p->endpoint.addr.sa.sa_family, AF_INET);
	CHECK_EQ(p->endpoint.addr.in.sin_port, htons(51820));
	CHECK_EQ(p->endpoint.addr.in.sin_addr.s_addr, inet_addr("192.0.2.1"));
	CHECK(p->has_persistent_keepalive);
	CHECK_EQ(p->persistent_keepalive, 25);
	CHECK_EQ(p->n_allowed_ips, 3);
	CHECK_STREQ(prefix_str(&p->allowed_ips[0], buf, sizeof(buf)), "10.0.0.2/32");
	CHECK_STREQ(prefix_str(&p->allowed_ips[1], buf, sizeof(buf)), "10.10.0.0/16");
	CHECK_STREQ(prefix_str(&p->allowed_ips[2], buf, sizeof(buf)), "fd00::2/128");
	CHECK_EQ(p->allowed_ips[1].line, 15);
	CHECK_EQ(p->allowed_ips[2].line, 16);

	p = &cfg->peers[1];
	CHECK_EQ(p->line, 19);
	CHECK(key_is(&p->public_key, PUB2));
	CHECK(!p->has_preshared_key);
	CHECK(key_is_zero(&p->preshared_key));
	CHECK_STREQ(p->endpoint.host, "2001:db8::1");
	CHECK_EQ(p->endpoint.port, 443);
	CHECK_EQ(p->endpoint.addr.sa.sa_family, AF_INET6);
	CHECK_EQ(p->endpoint.addr.in6.sin6_port, htons(443));
	CHECK(p->has_persistent_keepalive);
	CHECK_EQ(p->persistent_keepalive, 0);
	CHECK_EQ(p->n_allowed_ips, 1);

	p = &cfg->peers[2];
	CHECK(key_is(&p->public_key, PUB3));
	CHECK_STREQ(p->endpoint.host, "vpn.example.com");
	CHECK_EQ(p->endpoint.port, 51820);
	CHECK_EQ(p->endpoint.addr.sa.sa_family, AF_UNSPEC);
	CHECK(!p->has_persistent_keepalive);
	CHECK_EQ(p->n_allowed_ips, 2);
	CHECK_STREQ(prefix_str(&p->allowed_ips[0], buf, sizeof(buf)), "0.0.0.0/0");
	CHECK_STREQ(prefix_str(&p->allowed_ips[1], buf, sizeof(buf)), "::/0");
}

TEST(conf_ini_minimal_without_private_key)
{
	_cleanup_config_ struct wg_config *cfg = NULL;
	struct conf_ctx ctx;

	CHECK_EQ(parse(&ctx, "[Interface]\nAddress = 10.0.0.1/24\n", &cfg), 0);
	if (!cfg)
		return;
	CHECK(!cfg->has_private_key);
	CHECK(!cfg->has_listen_port);
	CHECK(!cfg->has_fwmark);
	CHECK_EQ(cfg->mtu, 0);
	CHECK_EQ(cfg->table_mode, TABLE_AUTO);
	CHECK_EQ(cfg->n_peers, 0);
}

TEST(conf_ini_empty_text)
{
	_cleanup_config_ struct wg_config *cfg = NULL;
	struct conf_ctx ctx;

	CHECK_EQ(parse(&ctx, "", &cfg), 0);
	CHECK(cfg && cfg->n_peers == 0 && !cfg->has_private_key);
}

TEST(conf_ini_case_insensitive)
{
	_cleanup_config_ struct wg_config *cfg = NULL;
	struct conf_ctx ctx;
	const char *text = "[INTERFACE]\n"
			   "privatekey = " PRIV "\n"
			   "LISTENPORT = 1\n"
			   "fwmark = OFF\n"
			   "mtu = 1280\n"
			   "table = Off\n"
			   "[pEEr]\n"
			   "PUBLICKEY = " PUB1 "\n"
			   "allowedips = 10.0.0.2/32\n"
			   "persistentKEEPALIVE = 7\n"
			   "endPOINT = Host.Example.COM:1\n";

	CHECK_EQ(parse(&ctx, text, &cfg), 0);
	if (!cfg)
		return;
	CHECK(cfg->has_private_key);
	CHECK_EQ(cfg->listen_port, 1);
	CHECK(cfg->has_fwmark);
	CHECK_EQ(cfg->fwmark, 0);
	CHECK_EQ(cfg->mtu, 1280);
	CHECK_EQ(cfg->table_mode, TABLE_OFF);
	CHECK_EQ(cfg->n_peers, 1);
	CHECK_EQ(cfg->peers[0].persistent_keepalive, 7);
	CHECK_STREQ(cfg->peers[0].endpoint.host, "Host.Example.COM");
}

TEST(conf_ini_comments_whitespace_crlf)
{
	_cleanup_config_ struct wg_config *cfg = NULL;
	struct conf_ctx ctx;
	char buf[64];
	/* wg(8) drops whitespace anywhere in a line, so "Listen Port = 51 820" is fine. */
	const char *text = "\xef\xbb\xbf# comment at the top\r\n"
			   "   \t\r\n"
			   "  [ Interface ]   # trailing comment\r\n"
			   "Listen Port = 51 820\r\n"
			   "\tAddress=10.0.0.1/24,\tfd00::1/64   \r\n"
			   "#[Peer]\r\n"
			   "[Peer]\r\n"
			   "Public Key = " PUB1 " # the hub\r\n"
			   "AllowedIPs = 10.0.0.2/32 , 10.0.0.3/32#,10.0.0.4/32\r\n"
			   "\v\f\r\n"
			   "AllowedIPs =\r\n";

	CHECK_EQ(parse(&ctx, text, &cfg), 0);
	if (!cfg)
		return;
	CHECK_EQ(cfg->listen_port, 51820);
	CHECK_EQ(cfg->n_addresses, 2);
	CHECK_EQ(cfg->n_peers, 1);
	CHECK_EQ(cfg->peers[0].line, 7);
	CHECK_EQ(cfg->peers[0].n_allowed_ips, 2);
	CHECK_STREQ(prefix_str(&cfg->peers[0].allowed_ips[1], buf, sizeof(buf)), "10.0.0.3/32");
	CHECK_EQ(cfg->peers[0].allowed_ips[1].line, 9);
}

TEST(conf_ini_not_nul_terminated)
{
	_cleanup_config_ struct wg_config *cfg = NULL;
	const char text[] = "[Interface]\nListenPort = 123GARBAGE";
	size_t len = strlen("[Interface]\nListenPort = 123");
	struct conf_ctx ctx = {.source = "x"};
	char *copy = malloc(len);

	/* An exact-size heap copy: ASan catches any read past len. */
	CHECK(copy != NULL);
	if (!copy)
		return;
	memcpy(copy, text, len);
	CHECK_EQ(conf_parse(&ctx, copy, len, &cfg), 0);
	CHECK(cfg && cfg->listen_port == 123);
	free(copy);
}

TEST(conf_ini_rejects_nul_byte)
{
	struct wg_config *cfg = NULL;
	struct conf_ctx ctx = {.source = "wg0.conf"};
	const char text[] = "[Interface]\nListenPort = 1\n# x\0y\n";

	CHECK_EQ(conf_parse(&ctx, text, sizeof(text) - 1, &cfg), -EINVAL);
	CHECK_STREQ(ctx.err, "wg0.conf:3: NUL byte in the configuration");
	CHECK(cfg == NULL);
}

TEST(conf_ini_endpoints)
{
	_cleanup_config_ struct wg_config *cfg = NULL;
	struct conf_ctx ctx;
	const char *text = "[Peer]\nPublicKey = " PUB1 "\nEndpoint = [fd00::1]:51820\n"
			   "[Peer]\nPublicKey = " PUB2 "\nEndpoint = [fe80::1%eth0]:7\n"
			   "[Peer]\nPublicKey = " PUB3 "\nEndpoint = gw-1.example_net:65535\n";
	struct in6_addr want;

	CHECK_EQ(parse(&ctx, text, &cfg), 0);
	if (!cfg)
		return;
	inet_pton(AF_INET6, "fd00::1", &want);
	CHECK_EQ(cfg->peers[0].endpoint.addr.sa.sa_family, AF_INET6);
	CHECK_MEMEQ(&cfg->peers[0].endpoint.addr.in6.sin6_addr, &want, sizeof(want));
	CHECK_EQ(ntohs(cfg->peers[0].endpoint.addr.in6.sin6_port), 51820);
	CHECK_STREQ(cfg->peers[0].endpoint.host, "fd00::1");
	/* A scoped address is left for getaddrinfo() to map the interface. */
	CHECK_EQ(cfg->peers[1].endpoint.addr.sa.sa_family, AF_UNSPEC);
	CHECK_STREQ(cfg->peers[1].endpoint.host, "fe80::1%eth0");
	CHECK_EQ(cfg->peers[1].endpoint.port, 7);
	CHECK_EQ(cfg->peers[2].endpoint.addr.sa.sa_family, AF_UNSPEC);
	CHECK_STREQ(cfg->peers[2].endpoint.host, "gw-1.example_net");
	CHECK_EQ(cfg->peers[2].endpoint.port, 65535);
}

TEST(conf_parse_endpoint_direct)
{
	struct wg_endpoint ep = {0};
	static const char *const bad[] = {
		"",	      "host",		"host:",	  ":51820",
		"1.2.3.4:0",  "1.2.3.4:65536",	"1.2.3.4:-1",	  "1.2.3.4:1x",
		"[fd00::1]",  "[fd00::1]51820", "[fd00::1:51820", "fd00::1:1",
		"[nothex]:1", "1.2.3.256:1",	"bad host:1",	  "h\x01:1",
		"[]:1",	      "[fe80::1%]:1",	"1.2.3.4:000001",
	};

	CHECK_EQ(parse_endpoint("1.2.3.4:5", &ep), 0);
	CHECK_EQ(ep.addr.sa.sa_family, AF_INET);
	CHECK_EQ(ep.port, 5);
	CHECK_EQ(ep.addr.in.sin_port, htons(5));
	CHECK_STREQ(ep.host, "1.2.3.4");
	free(ep.host);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		memset(&ep, 0, sizeof(ep));
		if (parse_endpoint(bad[i], &ep) != -EINVAL) {
			CHECK_STREQ(bad[i], "(should have been rejected)");
			free(ep.host);
		}
		CHECK(ep.host == NULL);
	}
}

TEST(conf_parse_ip_prefix_direct)
{
	struct ip_prefix p;
	char buf[64];
	static const char *const bad[] = {
		"",	    "/24",	   "10.0.0.0/",	   "10.0.0.0/33", "fd00::/129",
		"10.0.0/8", "10.0.0.0/-1", "10.0.0.0/1/2", "10.0.0.0/ 8", "fd00::/0128",
		"banana",   "::/x",	   "1.2.3.4.5/32",
	};

	CHECK(parse_ip_prefix("10.1.2.3", true, &p));
	CHECK_STREQ(prefix_str(&p, buf, sizeof(buf)), "10.1.2.3/32");
	CHECK(!parse_ip_prefix("10.1.2.3", false, &p));
	CHECK(parse_ip_prefix("fd00::5", true, &p));
	CHECK_EQ(p.cidr, 128);
	CHECK(parse_ip_prefix("::ffff:1.2.3.4/96", false, &p));
	CHECK_EQ(p.family, AF_INET6);
	CHECK(parse_ip_prefix("0.0.0.0/0", false, &p));
	CHECK_EQ(p.cidr, 0);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (parse_ip_prefix(bad[i], true, &p))
			CHECK_STREQ(bad[i], "(should have been rejected)");
	CHECK(true);
}

TEST(conf_ip_prefix_mask)
{
	struct ip_prefix p;
	char buf[64];
	static const char *const cases[][2] = {
		{"10.1.2.3/8", "10.0.0.0/8"},	      {"10.1.2.3/32", "10.1.2.3/32"},
		{"10.1.2.3/0", "0.0.0.0/0"},	      {"10.1.2.255/25", "10.1.2.128/25"},
		{"fd00::1234/64", "fd00::/64"},	      {"fd00:ab:cd:ef::1/52", "fd00:ab:cd::/52"},
		{"fd00::ffff/127", "fd00::fffe/127"}, {"ff::/0", "::/0"},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		CHECK(parse_ip_prefix(cases[i][0], false, &p));
		ip_prefix_mask(&p);
		CHECK_STREQ(prefix_str(&p, buf, sizeof(buf)), cases[i][1]);
	}
}

TEST(conf_ini_masks_allowed_ips_not_addresses)
{
	_cleanup_config_ struct wg_config *cfg = NULL;
	struct conf_ctx ctx;
	char buf[64];

	CHECK_EQ(parse(&ctx,
		       "[Interface]\nAddress = 10.9.8.7/8\n[Peer]\nPublicKey = " PUB1
		       "\nAllowedIPs = 10.9.8.7/8, fd00::1:2:3/100\n",
		       &cfg),
		 0);
	if (!cfg)
		return;
	CHECK_STREQ(prefix_str(&cfg->addresses[0], buf, sizeof(buf)), "10.9.8.7/8");
	CHECK_STREQ(prefix_str(&cfg->peers[0].allowed_ips[0], buf, sizeof(buf)), "10.0.0.0/8");
	CHECK_STREQ(prefix_str(&cfg->peers[0].allowed_ips[1], buf, sizeof(buf)), "fd00::1:0:0/100");
}

TEST(conf_ini_values)
{
	_cleanup_config_ struct wg_config *a = NULL, *b = NULL, *c = NULL;
	struct conf_ctx ctx;

	CHECK_EQ(
		parse(&ctx, "[Interface]\nFwMark = 4294967295\nTable = auto\nListenPort = 0\n", &a),
		0);
	CHECK(a && a->fwmark == 0xffffffff && a->table_mode == TABLE_AUTO && a->has_listen_port);
	CHECK_EQ(parse(&ctx, "[Interface]\nFwMark = 0XFFFFFFFF\nTable = 4294967295\nMTU = 576\n",
		       &b),
		 0);
	CHECK(b && b->fwmark == 0xffffffff && b->table == 0xffffffff && b->mtu == 576);
	CHECK_EQ(parse(&ctx, "[Interface]\nFwMark = 0\nMTU = 65535\nTable = 254\n", &c), 0);
	CHECK(c && c->has_fwmark && c->fwmark == 0 && c->mtu == 65535 && c->table == 254);
}

TEST(conf_ini_error_formats)
{
	struct conf_ctx ctx;

	CHECK_STREQ(parse_err(&ctx, "[Interface]\nListenPort = 70000\n"),
		    "wg0.conf:2: ListenPort: invalid port '70000' (expected 0..65535)");
	CHECK_STREQ(parse_err(&ctx, "[Interface]\n\n\n\n\n\n[Peer]\nPublicKey = abc\n"),
		    "wg0.conf:8: PublicKey: invalid key 'abc'");
	CHECK_STREQ(parse_err(&ctx, "[Peer]\nPublicKey=" PUB1 "\nAllowedIPs=10.0.0.0/33\n"),
		    "wg0.conf:3: AllowedIPs: invalid CIDR '10.0.0.0/33'");
	CHECK_STREQ(parse_err(&ctx, "[Interface]\nFoo = 1\n"), "wg0.conf:2: unknown key 'Foo'");
	CHECK_STREQ(parse_err(&ctx, "[Interface]\nFoo\x1b[31m = 1\n"),
		    "wg0.conf:2: unknown key (8 characters, not shown)");
	CHECK_STREQ(parse_err(&ctx, "[Interface]\n[Bad\x1b]\n"),
		    "wg0.conf:2: unknown section '[Bad\\x1b]' (expected [Interface] or [Peer])");
	CHECK_STREQ(
		parse_err(&ctx, "Foo = 1\n"),
		"wg0.conf:1: Foo: key outside any section (put it under [Interface] or [Peer])");
	CHECK_STREQ(parse_err(&ctx, "[Interface]\n= 1\n"),
		    "wg0.conf:2: missing key name before '='");
	CHECK_STREQ(parse_err(&ctx, "[Interface]\nMTU = 1420\nmtu = 1400\n"),
		    "wg0.conf:3: MTU given twice (first at line 2)");
	CHECK_STREQ(parse_err(&ctx, "[Interface]\nPrivateKey = " PRIV "\nPrivateKeyFile = /k\n"),
		    "wg0.conf:3: PrivateKeyFile: cannot be used together with PrivateKey (line 2)");
	CHECK_STREQ(
		parse_err(&ctx, "[Peer]\nPublicKey=" PUB1 "\nPresharedKey=" PSK
				"\nPresharedKeyFile=/x\n"),
		"wg0.conf:4: PresharedKeyFile: cannot be used together with PresharedKey (line 3)");
	CHECK_STREQ(parse_err(&ctx, "[Interface]\nPrivateKeyFile = key\n"),
		    "wg0.conf:2: PrivateKeyFile: path must be absolute: 'key'");
	CHECK_STREQ(parse_err(&ctx, "[Interface]\nSaveConfig = true\n"),
		    "wg0.conf:2: SaveConfig: not supported by wgagent (it never writes the "
		    "configuration back)");
	CHECK_STREQ(parse_err(&ctx, "[Interface]\nListenPort = 1\n[Peer]\nListenPort = 2\n"),
		    "wg0.conf:4: ListenPort: belongs in [Interface], not in [Peer]");
	CHECK_STREQ(parse_err(&ctx, "[Interface]\n[Peer]\n[Peer]\nPublicKey = " PUB1 "\n"),
		    "wg0.conf:2: [Peer] has no PublicKey");
	CHECK_STREQ(parse_err(&ctx, "[Peer]\nPublicKey = " PUB1 "\n[Peer]\n"),
		    "wg0.conf:3: [Peer] has no PublicKey");
	CHECK_STREQ(parse_err(&ctx, "[Interface]\nAddress = 10.0.0.1/24,\n"),
		    "wg0.conf:2: Address: invalid address ''");
	CHECK_STREQ(parse_err(&ctx, "[Interface]\nFwMark = 010\n"),
		    "wg0.conf:2: FwMark: invalid fwmark '010' (expected off, a decimal or 0x hex "
		    "32-bit number)");
	CHECK_STREQ(parse_err(&ctx, "[Interface]\nTable = 0\n"),
		    "wg0.conf:2: Table: invalid table '0' (expected auto, off or a number "
		    "1..4294967295)");
	CHECK_STREQ(parse_err(&ctx, "[Peer]\nPublicKey=" PUB1 "\nPersistentKeepalive = 65536\n"),
		    "wg0.conf:3: PersistentKeepalive: invalid keepalive '65536' (expected off or "
		    "0..65535 seconds)");
	CHECK_STREQ(parse_err(&ctx, "[Peer]\nPublicKey=" PUB1 "\nEndpoint = a:1\nEndpoint = b:1\n"),
		    "wg0.conf:4: Endpoint given twice (first at line 3)");
	CHECK_STREQ(
		parse_err(&ctx, "[Interface]\nAddress = fd00::1/64\nMTU = 1279\n"),
		"wg0.conf:3: MTU: 1279 is too small for the IPv6 Address 'fd00::1/64' at line 2 "
		"(IPv6 needs at least 1280)");
	/* IPv4 only: 576 is fine. */
	CHECK_STREQ(parse_err(&ctx, "[Interface]\nAddress = 10.0.0.1/24\nMTU = 576\n"), "");
}

TEST(conf_ini_never_echoes_secrets)
{
	struct conf_ctx ctx;
	/* Not valid keys, but they must still not show up in messages. */
	static const char *const secrets[] = {
		"QQMZamy0+/px4vEu+65Q7YBjDBV7YEBjVzx!slW8VZk=",
		"QQMZamy0+/px4vEu+65Q7YBjDBV7YEBjVzxWslW8VZk",
		"QQMZamy0+/px4vEu+65Q7YBjDBV7YEBjVzxWslW8VZl=",
		"QQMZamy0+/px4vEu+65Q7YBjDBV7YEBjVzxWslW8VZk=QQMZ",
		"hunter2-hunter2",
	};
	char text[256];

	for (size_t i = 0; i < ELEMENTSOF(secrets); i++) {
		snprintf(text, sizeof(text), "[Interface]\nPrivateKey = %s\n", secrets[i]);
		CHECK_CONTAINS(parse_err(&ctx, text), "wg0.conf:2: PrivateKey: invalid key (");
		CHECK(!strstr(ctx.err, secrets[i]));
		CHECK(!strstr(ctx.err, "QQMZ"));
		CHECK(!strstr(ctx.err, "hunter"));
		snprintf(text, sizeof(text), "[Peer]\nPublicKey = " PUB1 "\nPresharedKey = %s\n",
			 secrets[i]);
		CHECK_CONTAINS(parse_err(&ctx, text), "wg0.conf:3: PresharedKey: invalid key (");
		CHECK(!strstr(ctx.err, "QQMZ"));
		CHECK(!strstr(ctx.err, "hunter"));
	}
	/* A key pasted on its own ends in '=': it must not come back as a key name. */
	CHECK_STREQ(parse_err(&ctx, "[Interface]\n" PRIV "\n"),
		    "wg0.conf:2: unknown key (43 characters, not shown)");
	CHECK_STREQ(parse_err(&ctx, PRIV "\n"),
		    "wg0.conf:1: key outside any section (put it under [Interface] or [Peer])");
	CHECK_STREQ(parse_err(&ctx, "[Interface]\nQQMZamy0+/px4vEu\n"),
		    "wg0.conf:2: missing '=' (expected 'Key = Value')");
}

TEST(conf_ini_validate_errors)
{
	struct conf_ctx ctx;

	CHECK_STREQ(
		parse_err(&ctx, "[Peer]\nPublicKey = " PUB1 "\nAllowedIPs = 10.0.0.0/24\n"
				"[Peer]\nPublicKey = " PUB2 "\nAllowedIPs = 10.0.0.7/24\n"),
		"wg0.conf:6: AllowedIPs: '10.0.0.0/24' is also allowed for the [Peer] at line 1 "
		"(line 3)");
	CHECK_STREQ(parse_err(&ctx, "[Peer]\nPublicKey = " PUB1 "\n[Peer]\nPublicKey = " PUB2
				    "\n[Peer]\nPublicKey = " PUB1 "\n"),
		    "wg0.conf:5: [Peer]: duplicate PublicKey '" PUB1 "' (first [Peer] at line 1)");
	/* Overlapping but different prefixes are fine, as in the kernel. */
	CHECK_STREQ(parse_err(&ctx, "[Peer]\nPublicKey = " PUB1 "\nAllowedIPs = 10.0.0.0/24\n"
				    "[Peer]\nPublicKey = " PUB2 "\nAllowedIPs = 10.0.0.0/25\n"),
		    "");
	/* The same address in both families is two prefixes. */
	CHECK_STREQ(parse_err(&ctx, "[Peer]\nPublicKey = " PUB1 "\nAllowedIPs = 0.0.0.0/0\n"
				    "[Peer]\nPublicKey = " PUB2 "\nAllowedIPs = ::/0\n"),
		    "");
}

TEST(conf_validate_reports_earliest_repeat)
{
	struct wg_config cfg = {.source = "direct"};
	struct wg_peer peers[4] = {0};
	struct ip_prefix a[2], b[1], c[2];
	char err[256] = "";

	CHECK(parse_ip_prefix("10.0.0.1/32", false, &a[0]));
	CHECK(parse_ip_prefix("10.0.0.2/32", false, &a[1]));
	CHECK(parse_ip_prefix("10.0.0.3/32", false, &b[0]));
	CHECK(parse_ip_prefix("10.0.0.3/32", false, &c[0]));
	CHECK(parse_ip_prefix("10.0.0.1/32", false, &c[1]));
	for (size_t i = 0; i < 4; i++)
		peers[i].public_key.b[0] = (uint8_t)(i + 1);
	peers[0].allowed_ips = a;
	peers[0].n_allowed_ips = 2;
	peers[1].allowed_ips = b;
	peers[1].n_allowed_ips = 1;
	peers[3].allowed_ips = c;
	peers[3].n_allowed_ips = 2;
	cfg.peers = peers;
	cfg.n_peers = 4;
	CHECK_EQ(config_validate(&cfg, err, sizeof(err)), -EINVAL);
	CHECK_STREQ(err, "direct: peers[3].allowed_ips[0]: '10.0.0.3/32' is also allowed for "
			 "peers[1] (allowed_ips[0])");
	c[0].addr.ip4.s_addr = inet_addr("10.0.0.9");
	CHECK_EQ(config_validate(&cfg, err, sizeof(err)), -EINVAL);
	CHECK_STREQ(err, "direct: peers[3].allowed_ips[1]: '10.0.0.1/32' is also allowed for "
			 "peers[0] (allowed_ips[0])");
	c[1] = c[0];
	CHECK_EQ(config_validate(&cfg, err, sizeof(err)), -EINVAL);
	CHECK_STREQ(err, "direct: peers[3].allowed_ips[1]: '10.0.0.9/32' given twice (first at "
			 "allowed_ips[0])");
	peers[3].n_allowed_ips = 1;
	CHECK_EQ(config_validate(&cfg, err, sizeof(err)), 0);
	peers[2].public_key = peers[0].public_key;
	CHECK_EQ(config_validate(&cfg, err, sizeof(err)), -EINVAL);
	CHECK_CONTAINS(err, "direct: peers[2].public_key: duplicate peer '");
	CHECK_CONTAINS(err, "(same as peers[0])");
}

static char warned[512];

static void record_warning(void *userdata, const char *msg)
{
	(*(unsigned *)userdata)++;
	snprintf(warned, sizeof(warned), "%s", msg);
}

TEST(conf_ini_key_files)
{
	_cleanup_config_ struct wg_config *cfg = NULL;
	char path[] = "/tmp/wgbake-test-conf-XXXXXX";
	unsigned warnings = 0;
	struct conf_ctx ctx = {.source = "wg0.conf",
			       .read_key = key_read_file,
			       .warn = record_warning,
			       .userdata = &warnings};
	char text[256], want[256];
	struct wg_key k;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	close(fd);
	CHECK(key_from_base64(&k, PSK));
	CHECK_EQ(key_write_file(path, &k), 0);
	snprintf(text, sizeof(text),
		 "[Interface]\nPrivateKeyFile = %s\n[Peer]\nPublicKey = " PUB1
		 "\nPresharedKeyFile = %s\n",
		 path, path);
	CHECK_EQ(conf_parse(&ctx, text, strlen(text), &cfg), 0);
	CHECK_EQ(warnings, 0);
	CHECK(cfg && cfg->has_private_key && key_equal(&cfg->private_key, &k));
	CHECK(cfg && cfg->peers[0].has_preshared_key &&
	      key_equal(&cfg->peers[0].preshared_key, &k));
	config_free(TAKE_PTR(cfg));

	CHECK_EQ(chmod(path, 0644), 0);
	CHECK_EQ(conf_parse(&ctx, text, strlen(text), &cfg), 0);
	CHECK_EQ(warnings, 2);
	snprintf(want, sizeof(want),
		 "wg0.conf:5: PresharedKeyFile: '%s' is readable by every user, but it holds a "
		 "secret key",
		 path);
	CHECK_STREQ(warned, want);
	config_free(TAKE_PTR(cfg));

	/* Without a reader (e.g. config from cloud user data) key files are refused. */
	ctx.read_key = NULL;
	CHECK_EQ(conf_parse(&ctx, text, strlen(text), &cfg), -EINVAL);
	CHECK_STREQ(ctx.err, "wg0.conf:2: PrivateKeyFile: key files are not allowed here");

	ctx.read_key = key_read_file;
	CHECK_EQ(truncate(path, 10), 0);
	CHECK_EQ(conf_parse(&ctx, text, strlen(text), &cfg), -EINVAL);
	snprintf(want, sizeof(want), "wg0.conf:2: PrivateKeyFile: '%s' does not hold a valid key",
		 path);
	CHECK_STREQ(ctx.err, want);
	unlink(path);
	key_wipe(&k);
}

TEST(conf_load_file)
{
	_cleanup_config_ struct wg_config *cfg = NULL;
	char path[] = "/tmp/wgbake-test-conf-XXXXXX";
	struct conf_ctx ctx = {0};
	const char *text = "[Interface]\nListenPort = 9\nMTU = 12\n";
	char want[256];
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_EQ(write(fd, text, strlen(text)), (long long)strlen(text));
	close(fd);
	CHECK_EQ(config_load_file(&ctx, path, &cfg), -EINVAL);
	snprintf(want, sizeof(want), "%s:3: MTU: invalid MTU '12' (expected 576..65535)", path);
	CHECK_STREQ(ctx.err, want);
	CHECK(ctx.source == NULL);

	ctx.source = "custom";
	CHECK_EQ(config_load_file(&ctx, path, &cfg), -EINVAL);
	CHECK_STREQ(ctx.err, "custom:3: MTU: invalid MTU '12' (expected 576..65535)");
	CHECK_STREQ(ctx.source, "custom");

	CHECK_EQ(truncate(path, (off_t)strlen("[Interface]\nListenPort = 9\n")), 0);
	ctx.source = NULL;
	CHECK_EQ(config_load_file(&ctx, path, &cfg), 0);
	CHECK(cfg && cfg->listen_port == 9);
	CHECK(cfg && !strcmp(cfg->source, path));
	unlink(path);

	CHECK_EQ(config_load_file(&ctx, "/nonexistent/wg0.conf", &cfg), -ENOENT);
	CHECK_STREQ(ctx.err, "/nonexistent/wg0.conf: cannot read: No such file or directory");
	CHECK_EQ(config_load_file(&ctx, "/tmp", &cfg), -EISDIR);
	CHECK_STREQ(ctx.err, "/tmp: cannot read: Is a directory");
	CHECK_EQ(config_load_file(&ctx, "/dev/null", &cfg), -EINVAL);
	CHECK_STREQ(ctx.err, "/dev/null: cannot read: not a regular file");
}

TEST(conf_ifnames)
{
	char name[IFNAMSIZ] = "unchanged";

	CHECK(conf_ifname_valid("wg0"));
	CHECK(conf_ifname_valid("a-very-long-n15"));
	CHECK(!conf_ifname_valid("a-very-long-n16x"));
	CHECK(!conf_ifname_valid(""));
	CHECK(!conf_ifname_valid("."));
	CHECK(!conf_ifname_valid(".."));
	CHECK(!conf_ifname_valid("wg/0"));
	CHECK(!conf_ifname_valid("wg:0"));
	CHECK(!conf_ifname_valid("wg 0"));
	CHECK(!conf_ifname_valid("wg\t0"));
	CHECK(conf_ifname_valid("..."));

	CHECK(conf_ifname_from_path("/etc/wireguard/wg0.conf", name));
	CHECK_STREQ(name, "wg0");
	CHECK(conf_ifname_from_path("hub.json", name));
	CHECK_STREQ(name, "hub");
	CHECK(conf_ifname_from_path("wg1", name));
	CHECK_STREQ(name, "wg1");
	CHECK(conf_ifname_from_path("/a.b/wg2.conf", name));
	CHECK_STREQ(name, "wg2");
	strcpy(name, "unchanged");
	CHECK(!conf_ifname_from_path("/etc/wireguard/", name));
	CHECK(!conf_ifname_from_path("/etc/wireguard/a-very-long-name.conf", name));
	CHECK(!conf_ifname_from_path("/x/...conf", name) || strcmp(name, "..") != 0);
	CHECK(!conf_ifname_from_path("/x/wg 0.conf", name));
	CHECK_STREQ(name, "unchanged");
}

/* ------------------------------------------------------------ the corpus */

static char *read_text(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, len = 0, n;

	if (!f)
		return NULL;
	do {
		if (cap - len < 4096) {
			char *t = realloc(buf, cap + 65536);

			if (!t) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = t;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	*ret_len = len;
	return buf;
}

/* The expectation: line 1 "# expect: ..." of a .conf, or the sibling .expect of a .json. */
static char *expectation(const char *path, const char *text)
{
	static const char tag[] = "# expect: ";
	const char *dot = strrchr(path, '.');
	char *s = NULL, *nl;
	size_t len;

	if (dot && !strcmp(dot, ".json")) {
		char *exp_path = NULL;

		if (asprintf(&exp_path, "%.*s.expect", (int)(dot - path), path) < 0)
			return NULL;
		s = read_text(exp_path, &len);
		free(exp_path);
	} else if (!strncmp(text, tag, strlen(tag))) {
		s = strdup(text + strlen(tag));
	}
	if (s) {
		nl = strchr(s, '\n');
		if (nl)
			*nl = '\0';
	}
	return s;
}

/* Values of PrivateKey/PresharedKey lines, which no message may contain. */
static void check_no_secret_echo(const char *path, const char *text, const char *err)
{
	static const char *const keys[] = {"PrivateKey", "PresharedKey"};

	for (const char *line = text; line && *line;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		while (*line == ' ' || *line == '\t')
			line++;
		for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
			size_t kl = strlen(keys[i]);
			char value[128];
			size_t n = 0;
			const char *v;

			if (strncasecmp(line, keys[i], kl) || (line[kl] != ' ' && line[kl] != '='))
				continue;
			v = strchr(line, '=');
			for (v = v ? v + 1 : line; *v && *v != '\n' && n < sizeof(value) - 1; v++)
				if (*v != ' ' && *v != '\t' && *v != '\r')
					value[n++] = *v;
			value[n] = '\0';
			if (n >= 8 && strstr(err, value)) {
				fprintf(stderr, "  %s: message shows the secret: %s\n", path, err);
				check_failures++;
			}
		}
	}
}

TEST(conf_bad_configs_corpus)
{
	DIR *dir = opendir(BAD_CONFIGS);
	struct dirent *de;
	unsigned files = 0;

	CHECK(dir != NULL);
	if (!dir) {
		fprintf(stderr, "  run the unit tests from the repository root\n");
		return;
	}
	while ((de = readdir(dir))) {
		const char *dot = strrchr(de->d_name, '.');
		struct conf_ctx ctx = {.read_key = key_read_file};
		struct wg_config *cfg = NULL;
		char *path = NULL, *text, *expect;
		size_t len = 0;
		int r;

		if (!dot || (strcmp(dot, ".conf") && strcmp(dot, ".json")))
			continue;
		files++;
		CHECK(asprintf(&path, "%s/%s", BAD_CONFIGS, de->d_name) > 0);
		text = read_text(path, &len);
		CHECK(text != NULL);
		if (!text) {
			free(path);
			continue;
		}
		expect = expectation(path, text);
		if (!expect || !*expect) {
			fprintf(stderr, "  %s: no expectation\n", path);
			check_failures++;
		}
		ctx.source = path;
		r = conf_parse(&ctx, text, len, &cfg);
		if (r != -EINVAL) {
			fprintf(stderr, "  %s: conf_parse() returned %d, expected -EINVAL\n", path,
				r);
			check_failures++;
			config_free(cfg);
		} else if (expect && *expect) {
			CHECK(!strncmp(ctx.err, path, strlen(path)));
			if (!strstr(ctx.err, expect)) {
				fprintf(stderr, "  %s:\n    error  %s\n    expect %s\n", path,
					ctx.err, expect);
				check_failures++;
			}
			check_count++;
			check_no_secret_echo(path, text, ctx.err);
		}
		free(expect);
		free(text);
		free(path);
	}
	closedir(dir);
	CHECK(files >= 24);
}

/* ------------------------------------------------------------ big configs */

struct textbuf {
	char *s;
	size_t len, cap;
	unsigned lines;
};

static void tb_add(struct textbuf *tb, const char *fmt, ...) _printf_(2, 3);
static void tb_add(struct textbuf *tb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (tb->cap - tb->len < 256) {
		size_t ncap = tb->cap ? tb->cap * 2 : 1 << 20;
		char *t = realloc(tb->s, ncap);

		if (!t)
			abort();
		tb->s = t;
		tb->cap = ncap;
	}
	va_start(ap, fmt);
	n = vsnprintf(tb->s + tb->len, tb->cap - tb->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= tb->cap - tb->len)
		abort();
	for (int i = 0; i < n; i++)
		tb->lines += tb->s[tb->len + (size_t)i] == '\n';
	tb->len += (size_t)n;
}

#define BIG_PEERS 10000

/*
 * 10,000 peers; every fourth has 300 more AllowedIPs (about 760,000 in all).
 * With dup_peer, that peer also gets peer 1234's first prefix; its line is
 * returned in *dup_line and peer 1234's header line in *first_line.
 */
static struct textbuf big_config(int dup_peer, unsigned *first_line, unsigned *dup_line)
{
	struct textbuf tb = {0};
	unsigned k = 0;

	tb_add(&tb, "[Interface]\nPrivateKey = " PRIV "\nListenPort = 51820\n"
		    "Address = 10.0.0.1/8, fd00::1/64\n");
	for (int i = 0; i < BIG_PEERS; i++) {
		struct wg_key pub = {{0}};
		char b64[WG_KEY_B64_LEN];

		pub.b[0] = (uint8_t)(i >> 8);
		pub.b[1] = (uint8_t)i;
		pub.b[31] = 0x42;
		key_to_base64(b64, &pub);
		if (i == 1234)
			*first_line = tb.lines + 2;
		tb_add(&tb, "\n[Peer]\nPublicKey = %s\nEndpoint = 192.0.2.%d:%d\n", b64,
		       i % 250 + 1, i + 1);
		tb_add(&tb, "AllowedIPs = 10.%d.%d.1/32\n", i >> 8, i & 255);
		if (i % 4 == 0) {
			for (int j = 0; j < 300; j++, k++) {
				if (j % 30 == 0)
					tb_add(&tb, "%sAllowedIPs = ", j ? "\n" : "");
				if (j % 2)
					tb_add(&tb, "%sfd01:%x:%x::/48", j % 30 ? ", " : "", i, j);
				else
					tb_add(&tb, "%s172.%u.%u.%u", j % 30 ? ", " : "",
					       16 + (k >> 16), (k >> 8) & 255, k & 255);
			}
			tb_add(&tb, "\n");
		}
		if (i == dup_peer) {
			*dup_line = tb.lines + 1;
			tb_add(&tb, "AllowedIPs = 10.4.210.1\n");
		}
	}
	return tb;
}

TEST(conf_big_config_parses)
{
	unsigned first = 0, dup = 0;
	struct textbuf tb = big_config(-1, &first, &dup);
	struct conf_ctx ctx = {.source = "big.conf"};
	_cleanup_config_ struct wg_config *cfg = NULL;
	size_t total = 0;

	CHECK_EQ(conf_parse(&ctx, tb.s, tb.len, &cfg), 0);
	if (!cfg) {
		fprintf(stderr, "  %s\n", ctx.err);
		free(tb.s);
		return;
	}
	CHECK_EQ(cfg->n_peers, BIG_PEERS);
	for (size_t i = 0; i < cfg->n_peers; i++)
		total += cfg->peers[i].n_allowed_ips;
	CHECK_EQ(total, BIG_PEERS + BIG_PEERS / 4 * 300);
	CHECK_EQ(cfg->peers[8].n_allowed_ips, 301);
	CHECK_EQ(cfg->peers[8].allowed_ips[300].family, AF_INET6);
	CHECK_EQ(cfg->peers[9999].endpoint.port, 10000);
	CHECK_EQ(config_validate(cfg, ctx.err, sizeof(ctx.err)), 0);
	free(tb.s);
}

TEST(conf_big_config_duplicate_deep)
{
	unsigned first = 0, dup = 0;
	struct textbuf tb = big_config(9876, &first, &dup);
	struct conf_ctx ctx = {.source = "big.conf"};
	struct wg_config *cfg = NULL;
	char want[256];

	CHECK_EQ(conf_parse(&ctx, tb.s, tb.len, &cfg), -EINVAL);
	snprintf(want, sizeof(want),
		 "big.conf:%u: AllowedIPs: '10.4.210.1/32' is also allowed for the [Peer] at line "
		 "%u (line %u)",
		 dup, first, first + 3);
	CHECK_STREQ(ctx.err, want);
	free(tb.s);
}
