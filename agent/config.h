/* SPDX-License-Identifier: MIT */
/*
 * The one model of a WireGuard interface that every part of wgagent shares:
 * the parsers fill it, wgnl/rtnl apply it, and kernel dumps read back into it.
 */
#ifndef WGAGENT_CONFIG_H
#define WGAGENT_CONFIG_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "key.h"

/* An address with prefix length: Address= entries and AllowedIPs. */
struct ip_prefix {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t cidr;
	union {
		struct in_addr ip4;
		struct in6_addr ip6;
	} addr;
	unsigned line; /* source line, for messages; 0 if unknown */
};

union wg_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

struct wg_endpoint {
	char *host;	      /* host part as written (no brackets); NULL if no endpoint */
	uint16_t port;
	union wg_sockaddr addr; /* sa_family == AF_UNSPEC until resolved */
};

enum table_mode {
	TABLE_AUTO = 0, /* routes in the main table; /0 through fwmark policy routing */
	TABLE_OFF,	/* no routes */
	TABLE_ID,	/* routes in table `table` */
};

struct wg_peer {
	struct wg_key public_key;
	struct wg_key preshared_key;
	bool has_preshared_key;
	struct wg_endpoint endpoint;
	uint16_t persistent_keepalive; /* seconds, 0 = off */
	bool has_persistent_keepalive;
	struct ip_prefix *allowed_ips;
	size_t n_allowed_ips;
	uint32_t flags; /* WGPEER_F_* to send with this peer (sets only) */
	unsigned line;	/* line of the [Peer] header; 0 if unknown */

	/* Read back from the kernel only. */
	struct timespec last_handshake;
	uint64_t rx_bytes;
	uint64_t tx_bytes;
};

struct wg_config {
	char ifname[IFNAMSIZ];
	struct wg_key private_key;
	bool has_private_key;
	uint16_t listen_port;
	bool has_listen_port;
	uint32_t fwmark;
	bool has_fwmark;
	uint32_t mtu; /* 0 = default */
	enum table_mode table_mode;
	uint32_t table; /* with TABLE_ID */
	struct ip_prefix *addresses;
	size_t n_addresses;
	struct wg_peer *peers;
	size_t n_peers;
	uint32_t flags; /* WGDEVICE_F_* to send (sets only) */

	/* Where the configuration came from, for messages. */
	char *source;

	/* Read back from the kernel only. */
	struct wg_key public_key;
	bool has_public_key;
	uint32_t ifindex;
};

/* Frees everything and wipes every key. Accepts NULL. */
void config_free(struct wg_config *cfg);
static inline void config_freep(struct wg_config **cfg)
{
	config_free(*cfg);
}
#define _cleanup_config_ __attribute__((cleanup(config_freep)))

#endif
