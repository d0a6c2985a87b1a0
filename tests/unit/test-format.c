// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "format.h"

static char *render(void (*fn)(FILE *, const struct wg_config *, bool, bool),
		    const struct wg_config *dev, bool show_keys, bool with_ifname)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fn(f, dev, show_keys, with_ifname);
	fclose(f);
	return buf;
}

static void make_device(struct wg_config *dev, struct wg_peer *peer, struct ip_prefix ips[2])
{
	memset(dev, 0, sizeof(*dev));
	memset(peer, 0, sizeof(*peer));
	strcpy(dev->ifname, "wg0");
	key_from_base64(&dev->private_key, "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=");
	dev->has_private_key = true;
	key_from_base64(&dev->public_key, "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=");
	dev->has_public_key = true;
	dev->listen_port = 51820;
	dev->fwmark = 0xca6c;
	key_from_base64(&peer->public_key, "3p6yKZTjn7AV2gz6HCmAk3pGo+9P8h4+tL7j7PnIsh0=");
	peer->endpoint.addr.in6.sin6_family = AF_INET6;
	peer->endpoint.addr.in6.sin6_port = htons(51821);
	inet_pton(AF_INET6, "fd00::2", &peer->endpoint.addr.in6.sin6_addr);
	ips[0] = (struct ip_prefix){ .family = AF_INET, .cidr = 32 };
	inet_pton(AF_INET, "10.9.0.2", &ips[0].addr.ip4);
	ips[1] = (struct ip_prefix){ .family = AF_INET6, .cidr = 128 };
	inet_pton(AF_INET6, "fd09::2", &ips[1].addr.ip6);
	peer->allowed_ips = ips;
	peer->n_allowed_ips = 2;
	peer->last_handshake.tv_sec = 1700000000;
	peer->rx_bytes = 92;
	peer->tx_bytes = 148;
	peer->persistent_keepalive = 25;
	dev->peers = peer;
	dev->n_peers = 1;
}

TEST(format_dump_matches_wg_show_dump)
{
	struct wg_config dev;
	struct wg_peer peer;
	struct ip_prefix ips[2];
	char *out;

	make_device(&dev, &peer, ips);
	out = render(format_dump, &dev, true, false);
	CHECK_STREQ(out, "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=\t"
			 "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=\t51820\t0xca6c\n"
			 "3p6yKZTjn7AV2gz6HCmAk3pGo+9P8h4+tL7j7PnIsh0=\t(none)\t[fd00::2]:51821\t"
			 "10.9.0.2/32,fd09::2/128\t1700000000\t92\t148\t25\n");
	free(out);
}

TEST(format_dump_hides_secrets)
{
	struct wg_config dev;
	struct wg_peer peer;
	struct ip_prefix ips[2];
	char *out;

	make_device(&dev, &peer, ips);
	peer.has_preshared_key = true;
	peer.n_allowed_ips = 0;
	peer.persistent_keepalive = 0;
	peer.endpoint.addr.sa.sa_family = AF_UNSPEC;
	dev.fwmark = 0;
	out = render(format_dump, &dev, false, true);
	CHECK_STREQ(out, "wg0\t(hidden)\thSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=\t51820\toff\n"
			 "wg0\t3p6yKZTjn7AV2gz6HCmAk3pGo+9P8h4+tL7j7PnIsh0=\t(hidden)\t(none)\t"
			 "(none)\t1700000000\t92\t148\toff\n");
	CHECK(!strstr(out, "dwdtCnMY"));
	free(out);
}

TEST(format_pretty_hides_private_key)
{
	struct wg_config dev;
	struct wg_peer peer;
	struct ip_prefix ips[2];
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	make_device(&dev, &peer, ips);
	f = open_memstream(&buf, &len);
	format_pretty(f, &dev, false, 1700000000 + 3661);
	fclose(f);
	CHECK_CONTAINS(buf, "interface: wg0\n");
	CHECK_CONTAINS(buf, "  private key: (hidden)\n");
	CHECK_CONTAINS(buf, "  endpoint: [fd00::2]:51821\n");
	CHECK_CONTAINS(buf, "  allowed ips: 10.9.0.2/32, fd09::2/128\n");
	CHECK_CONTAINS(buf, "  latest handshake: 1 hour, 1 minute, 1 second ago\n");
	CHECK_CONTAINS(buf, "  transfer: 92 B received, 148 B sent\n");
	CHECK_CONTAINS(buf, "  persistent keepalive: every 25 seconds\n");
	CHECK(!strstr(buf, "dwdtCnMY"));
	free(buf);
}

TEST(format_prefix_and_endpoint)
{
	union wg_sockaddr sa = { 0 };
	struct ip_prefix p = { .family = AF_INET, .cidr = 0 };

	CHECK_STREQ(ip_prefix_to_string(&p).s, "0.0.0.0/0");
	CHECK_STREQ(endpoint_to_string(&sa).s, "(none)");
	sa.in.sin_family = AF_INET;
	sa.in.sin_port = htons(1);
	inet_pton(AF_INET, "192.0.2.1", &sa.in.sin_addr);
	CHECK_STREQ(endpoint_to_string(&sa).s, "192.0.2.1:1");
}
