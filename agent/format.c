// SPDX-License-Identifier: MIT
/* Pure formatting of kernel state, matching wg(8)'s output where one exists. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "key.h"

struct prefix_str ip_prefix_to_string(const struct ip_prefix *p)
{
	struct prefix_str out = { "" };
	char ip[INET6_ADDRSTRLEN] = "";

	inet_ntop(p->family == AF_INET6 ? AF_INET6 : AF_INET, &p->addr, ip, sizeof(ip));
	snprintf(out.s, sizeof(out.s), "%s/%u", ip, p->cidr);
	return out;
}

struct endpoint_str endpoint_to_string(const union wg_sockaddr *addr)
{
	struct endpoint_str out = { "(none)" };
	char ip[INET6_ADDRSTRLEN] = "", scope[IF_NAMESIZE + 1] = "";

	if (addr->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &addr->in.sin_addr, ip, sizeof(ip));
		snprintf(out.s, sizeof(out.s), "%s:%u", ip, ntohs(addr->in.sin_port));
	} else if (addr->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &addr->in6.sin6_addr, ip, sizeof(ip));
		if (addr->in6.sin6_scope_id) {
			char name[IF_NAMESIZE];

			/* wg prints the interface name, or the number if it has none. */
			if (if_indextoname(addr->in6.sin6_scope_id, name))
				snprintf(scope, sizeof(scope), "%%%s", name);
			else
				snprintf(scope, sizeof(scope), "%%%u", addr->in6.sin6_scope_id);
		}
		snprintf(out.s, sizeof(out.s), "[%s%s]:%u", ip, scope, ntohs(addr->in6.sin6_port));
	}
	return out;
}

static void print_key(FILE *f, const struct wg_key *key, bool present, bool secret, bool show_keys)
{
	char b64[WG_KEY_B64_LEN];

	if (!present) {
		fputs("(none)", f);
		return;
	}
	if (secret && !show_keys) {
		fputs("(hidden)", f);
		return;
	}
	key_to_base64(b64, key);
	fputs(b64, f);
	secret_wipe(b64, sizeof(b64));
}

void format_dump(FILE *f, const struct wg_config *dev, bool show_keys, bool with_ifname)
{
	if (with_ifname)
		fprintf(f, "%s\t", dev->ifname);
	print_key(f, &dev->private_key, dev->has_private_key, true, show_keys);
	fputc('\t', f);
	print_key(f, &dev->public_key, dev->has_public_key, false, show_keys);
	fprintf(f, "\t%u\t", dev->listen_port);
	if (dev->fwmark)
		fprintf(f, "0x%x\n", dev->fwmark);
	else
		fputs("off\n", f);
	for (size_t i = 0; i < dev->n_peers; i++) {
		const struct wg_peer *p = &dev->peers[i];

		if (with_ifname)
			fprintf(f, "%s\t", dev->ifname);
		print_key(f, &p->public_key, true, false, show_keys);
		fputc('\t', f);
		print_key(f, &p->preshared_key, p->has_preshared_key, true, show_keys);
		fprintf(f, "\t%s\t", endpoint_to_string(&p->endpoint.addr).s);
		if (p->n_allowed_ips == 0)
			fputs("(none)", f);
		for (size_t j = 0; j < p->n_allowed_ips; j++)
			fprintf(f, "%s%s", j ? "," : "", ip_prefix_to_string(&p->allowed_ips[j]).s);
		fprintf(f, "\t%llu\t%" PRIu64 "\t%" PRIu64 "\t", (unsigned long long)p->last_handshake.tv_sec,
			p->rx_bytes, p->tx_bytes);
		if (p->persistent_keepalive)
			fprintf(f, "%u\n", p->persistent_keepalive);
		else
			fputs("off\n", f);
	}
}

static void print_ago(FILE *f, time_t seconds)
{
	static const struct {
		const char *unit;
		time_t length;
	} units[] = { { "day", 86400 }, { "hour", 3600 }, { "minute", 60 }, { "second", 1 } };
	bool first = true;

	if (seconds <= 0) {
		fputs("Now", f);
		return;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		time_t n = seconds / units[i].length;

		if (n == 0)
			continue;
		seconds %= units[i].length;
		fprintf(f, "%s%lld %s%s", first ? "" : ", ", (long long)n, units[i].unit,
			n == 1 ? "" : "s");
		first = false;
	}
	fputs(" ago", f);
}

static void print_bytes(FILE *f, uint64_t b)
{
	if (b < 1024)
		fprintf(f, "%" PRIu64 " B", b);
	else if (b < 1024ULL * 1024)
		fprintf(f, "%.2f KiB", (double)b / 1024);
	else if (b < 1024ULL * 1024 * 1024)
		fprintf(f, "%.2f MiB", (double)b / (1024 * 1024));
	else if (b < 1024ULL * 1024 * 1024 * 1024)
		fprintf(f, "%.2f GiB", (double)b / (1024 * 1024 * 1024));
	else
		fprintf(f, "%.2f TiB", (double)b / (1024.0 * 1024 * 1024 * 1024));
}

void format_pretty(FILE *f, const struct wg_config *dev, bool show_keys, time_t now)
{
	fprintf(f, "interface: %s\n", dev->ifname);
	if (dev->has_public_key) {
		fputs("  public key: ", f);
		print_key(f, &dev->public_key, true, false, show_keys);
		fputc('\n', f);
	}
	if (dev->has_private_key) {
		fputs("  private key: ", f);
		print_key(f, &dev->private_key, true, true, show_keys);
		fputc('\n', f);
	}
	if (dev->listen_port)
		fprintf(f, "  listening port: %u\n", dev->listen_port);
	if (dev->fwmark)
		fprintf(f, "  fwmark: 0x%x\n", dev->fwmark);
	for (size_t i = 0; i < dev->n_peers; i++) {
		const struct wg_peer *p = &dev->peers[i];

		fputs("\npeer: ", f);
		print_key(f, &p->public_key, true, false, show_keys);
		fputc('\n', f);
		if (p->has_preshared_key) {
			fputs("  preshared key: ", f);
			print_key(f, &p->preshared_key, true, true, show_keys);
			fputc('\n', f);
		}
		if (p->endpoint.addr.sa.sa_family != AF_UNSPEC)
			fprintf(f, "  endpoint: %s\n", endpoint_to_string(&p->endpoint.addr).s);
		fputs("  allowed ips: ", f);
		if (p->n_allowed_ips == 0)
			fputs("(none)", f);
		for (size_t j = 0; j < p->n_allowed_ips; j++)
			fprintf(f, "%s%s", j ? ", " : "", ip_prefix_to_string(&p->allowed_ips[j]).s);
		fputc('\n', f);
		if (p->last_handshake.tv_sec) {
			fputs("  latest handshake: ", f);
			print_ago(f, now - p->last_handshake.tv_sec);
			fputc('\n', f);
		}
		if (p->rx_bytes || p->tx_bytes) {
			fputs("  transfer: ", f);
			print_bytes(f, p->rx_bytes);
			fputs(" received, ", f);
			print_bytes(f, p->tx_bytes);
			fputs(" sent\n", f);
		}
		if (p->persistent_keepalive)
			fprintf(f, "  persistent keepalive: every %u seconds\n", p->persistent_keepalive);
	}
}
