// SPDX-License-Identifier: MIT
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "resolve.h"

static int resolve_one(struct wg_peer *peer, unsigned retry_seconds, int *ret_gai)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM,
				  .ai_protocol = IPPROTO_UDP };
	struct timespec start, now, pause = { .tv_sec = 1 };
	struct addrinfo *res = NULL;
	char port[8];
	int gai;

	snprintf(port, sizeof(port), "%u", peer->endpoint.port);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		gai = getaddrinfo(peer->endpoint.host, port, &hints, &res);
		if (gai != EAI_AGAIN)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= (time_t)retry_seconds)
			break;
		nanosleep(&pause, NULL);
	}
	*ret_gai = gai;
	if (gai != 0)
		return gai == EAI_SYSTEM ? -errno : -EHOSTUNREACH;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		if ((ai->ai_family == AF_INET && ai->ai_addrlen == sizeof(struct sockaddr_in)) ||
		    (ai->ai_family == AF_INET6 && ai->ai_addrlen == sizeof(struct sockaddr_in6))) {
			memset(&peer->endpoint.addr, 0, sizeof(peer->endpoint.addr));
			memcpy(&peer->endpoint.addr, ai->ai_addr, ai->ai_addrlen);
			freeaddrinfo(res);
			return 0;
		}
	}
	freeaddrinfo(res);
	*ret_gai = EAI_ADDRFAMILY;
	return -EHOSTUNREACH;
}

int resolve_endpoints(struct wg_config *cfg, unsigned retry_seconds, char *err, size_t errlen)
{
	for (size_t i = 0; i < cfg->n_peers; i++) {
		struct wg_peer *peer = &cfg->peers[i];
		int r, gai = 0;

		if (!peer->endpoint.host || peer->endpoint.addr.sa.sa_family != AF_UNSPEC)
			continue;
		r = resolve_one(peer, retry_seconds, &gai);
		if (r < 0) {
			snprintf(err, errlen, "%s:%u: Endpoint '%s:%u': cannot resolve: %s",
				 cfg->source ? cfg->source : "config", peer->line, peer->endpoint.host,
				 peer->endpoint.port,
				 gai == EAI_SYSTEM ? strerror(-r) : gai_strerror(gai));
			return r;
		}
	}
	return 0;
}

int resolve_peer_once(struct wg_peer *peer, int *ret_gai)
{
	int gai = 0, r;

	if (!peer->endpoint.host || peer->endpoint.addr.sa.sa_family != AF_UNSPEC)
		return 0;
	r = resolve_one(peer, 0, &gai);
	if (ret_gai)
		*ret_gai = gai;
	return r;
}
