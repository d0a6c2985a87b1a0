// SPDX-License-Identifier: MIT
/*
 * The model's life cycle: freeing (and wiping), the pure address and endpoint
 * parsers, the checks that span entries, reading a file, and interface names.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "config.h"
#include "key.h"
#include "macros.h"

#define CONFIG_MAX_SIZE (64u << 20)

void config_free(struct wg_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_peers; i++) {
		struct wg_peer *peer = &cfg->peers[i];

		free(peer->endpoint.host);
		free(peer->allowed_ips);
	}
	secret_wipe(cfg->peers, cfg->n_peers * sizeof(*cfg->peers));
	free(cfg->peers);
	free(cfg->addresses);
	free(cfg->source);
	secret_wipe(cfg, sizeof(*cfg));
	free(cfg);
}

/* ------------------------------------------------------ address parsers */

/* Decimal digits only: no sign, no spaces, no hex. */
bool conf_parse_uint(const char *s, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return false;
	}
	*ret = v;
	return true;
}

bool parse_ip_prefix(const char *s, bool allow_no_cidr, struct ip_prefix *ret)
{
	struct ip_prefix p = {0};
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t cidr;
	unsigned max;

	if (alen == 0 || alen >= sizeof(addr))
		return false;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (memchr(addr, ':', alen)) {
		p.family = AF_INET6;
		max = 128;
	} else {
		p.family = AF_INET;
		max = 32;
	}
	if (inet_pton(p.family, addr, &p.addr) != 1)
		return false;
	if (slash) {
		if (strlen(slash + 1) > 3 || !conf_parse_uint(slash + 1, max, &cidr))
			return false;
		p.cidr = (uint8_t)cidr;
	} else if (allow_no_cidr) {
		p.cidr = (uint8_t)max;
	} else {
		return false;
	}
	*ret = p;
	return true;
}

void ip_prefix_mask(struct ip_prefix *p)
{
	if (p->family == AF_INET) {
		uint32_t mask = p->cidr ? ~UINT32_C(0) << (32 - (p->cidr > 32 ? 32 : p->cidr)) : 0;

		p->addr.ip4.s_addr &= htonl(mask);
		return;
	}
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = p->cidr > i * 8 ? p->cidr - i * 8 : 0;

		if (bits < 8)
			p->addr.ip6.s6_addr[i] &= (uint8_t)(0xff00 >> bits);
	}
}

static bool is_hostname(const char *s, size_t len)
{
	bool only_digits_dots = true;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_')
			only_digits_dots = false;
		else if (!(c >= '0' && c <= '9') && c != '.')
			return false;
	}
	/* "1.2.3.256" is a broken address, not a name to look up. */
	return !only_digits_dots;
}

int conf_parse_endpoint(const char *s, struct wg_endpoint *ret, const char **ret_why)
{
	union wg_sockaddr sa = {.sa.sa_family = AF_UNSPEC};
	const char *host, *port_str;
	char addr[INET6_ADDRSTRLEN + 1 + IFNAMSIZ];
	size_t hlen;
	uint64_t port;
	char *dup;

	if (!*s) {
		*ret_why = "empty";
		return -EINVAL;
	}
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		const char *pct;

		if (!close) {
			*ret_why = "unclosed '['";
			return -EINVAL;
		}
		host = s + 1;
		hlen = (size_t)(close - host);
		if (close[1] != ':') {
			*ret_why = close[1] ? "expected ':' after ']'" : "missing port";
			return -EINVAL;
		}
		port_str = close + 2;
		if (hlen == 0 || hlen >= sizeof(addr)) {
			*ret_why = "invalid IPv6 address";
			return -EINVAL;
		}
		memcpy(addr, host, hlen);
		addr[hlen] = '\0';
		pct = strchr(addr, '%');
		if (pct) {
			struct in6_addr a6;

			/* fe80::1%eth0: getaddrinfo() maps the scope when the endpoint is resolved.
			 */
			addr[pct - addr] = '\0';
			if (inet_pton(AF_INET6, addr, &a6) != 1 || !conf_ifname_valid(pct + 1)) {
				*ret_why = "invalid IPv6 address";
				return -EINVAL;
			}
		} else if (inet_pton(AF_INET6, addr, &sa.in6.sin6_addr) == 1) {
			sa.in6.sin6_family = AF_INET6;
		} else {
			*ret_why = "invalid IPv6 address";
			return -EINVAL;
		}
	} else {
		const char *colon = strrchr(s, ':');

		if (!colon) {
			*ret_why = "missing port";
			return -EINVAL;
		}
		host = s;
		hlen = (size_t)(colon - s);
		port_str = colon + 1;
		if (hlen == 0) {
			*ret_why = "missing host";
			return -EINVAL;
		}
		if (memchr(host, ':', hlen)) {
			*ret_why = "an IPv6 address needs brackets, as in [fd00::1]:51820";
			return -EINVAL;
		}
		if (hlen < sizeof(addr)) {
			memcpy(addr, host, hlen);
			addr[hlen] = '\0';
			if (inet_pton(AF_INET, addr, &sa.in.sin_addr) == 1)
				sa.in.sin_family = AF_INET;
		}
		if (sa.sa.sa_family == AF_UNSPEC && !is_hostname(host, hlen)) {
			*ret_why = "invalid host name or IPv4 address";
			return -EINVAL;
		}
	}
	if (strlen(port_str) > 5 || !conf_parse_uint(port_str, 65535, &port) || port == 0) {
		*ret_why = *port_str ? "invalid port (expected 1..65535)" : "missing port";
		return -EINVAL;
	}
	dup = strndup(host, hlen);
	if (!dup)
		return -ENOMEM;
	if (sa.sa.sa_family == AF_INET)
		sa.in.sin_port = htons((uint16_t)port);
	else if (sa.sa.sa_family == AF_INET6)
		sa.in6.sin6_port = htons((uint16_t)port);
	ret->host = dup;
	ret->port = (uint16_t)port;
	ret->addr = sa;
	return 0;
}

int parse_endpoint(const char *s, struct wg_endpoint *ret)
{
	const char *why;

	return conf_parse_endpoint(s, ret, &why);
}

/* ------------------------------------------------------------- validate */

static void prefix_to_string(char *buf, size_t size, uint8_t family, const void *addr,
			     unsigned cidr)
{
	char ip[INET6_ADDRSTRLEN] = "";

	inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, ip, sizeof(ip));
	snprintf(buf, size, "%s/%u", ip, cidr);
}

struct prefix_entry {
	uint8_t key[18]; /* family, cidr, masked address */
	uint32_t peer;
	uint32_t idx;
};

static int cmp_prefix_entry(const void *a, const void *b)
{
	const struct prefix_entry *x = a, *y = b;
	int r = memcmp(x->key, y->key, sizeof(x->key));

	if (r)
		return r;
	if (x->peer != y->peer)
		return x->peer < y->peer ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Orders peer indexes by public key (not secret), then by position. */
static int cmp_peer_index(const void *a, const void *b, void *userdata)
{
	const struct wg_peer *peers = userdata;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int r = memcmp(peers[x].public_key.b, peers[y].public_key.b, WG_KEY_LEN);

	if (r)
		return r;
	return (x > y) - (x < y);
}

static bool before(uint32_t peer_a, uint32_t idx_a, uint32_t peer_b, uint32_t idx_b)
{
	return peer_a < peer_b || (peer_a == peer_b && idx_a < idx_b);
}

static int validate_own_key(const struct wg_config *cfg, const char *src, char *err, size_t errlen)
{
	char b64[WG_KEY_B64_LEN];
	struct wg_key pub;

	if (!cfg->has_private_key || !key_public_from_private(&pub, &cfg->private_key))
		return 0;
	for (size_t i = 0; i < cfg->n_peers; i++) {
		const struct wg_peer *peer = &cfg->peers[i];

		if (!key_equal(&peer->public_key, &pub))
			continue;
		key_to_base64(b64, &pub);
		if (peer->line)
			snprintf(err, errlen,
				 "%s:%u: [Peer]: PublicKey '%s' is the interface's own public key",
				 src, peer->line, b64);
		else
			snprintf(
				err, errlen,
				"%s: peers[%zu].public_key: '%s' is the interface's own public key",
				src, i, b64);
		return -EINVAL;
	}
	return 0;
}

static int validate_peers(const struct wg_config *cfg, const char *src, char *err, size_t errlen)
{
	_cleanup_free_ uint32_t *order = NULL;
	uint32_t first = 0, dup = UINT32_MAX;
	char b64[WG_KEY_B64_LEN];

	if (cfg->n_peers < 2)
		return 0;
	if (cfg->n_peers > UINT32_MAX) {
		snprintf(err, errlen, "%s: too many peers", src);
		return -EINVAL;
	}
	order = malloc(cfg->n_peers * sizeof(*order));
	if (!order) {
		snprintf(err, errlen, "%s: out of memory", src);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < cfg->n_peers; i++)
		order[i] = i;
	qsort_r(order, cfg->n_peers, sizeof(*order), cmp_peer_index, cfg->peers);
	/* Of all repeats, report the one that comes first in the input. */
	for (size_t i = 1, run = 0; i < cfg->n_peers; i++) {
		if (!key_equal(&cfg->peers[order[i]].public_key,
			       &cfg->peers[order[run]].public_key)) {
			run = i;
			continue;
		}
		if (order[i] < dup) {
			dup = order[i];
			first = order[run];
		}
	}
	if (dup == UINT32_MAX)
		return 0;
	key_to_base64(b64, &cfg->peers[dup].public_key);
	if (cfg->peers[dup].line)
		snprintf(err, errlen,
			 "%s:%u: [Peer]: duplicate PublicKey '%s' (first [Peer] at line %u)", src,
			 cfg->peers[dup].line, b64, cfg->peers[first].line);
	else
		snprintf(err, errlen,
			 "%s: peers[%u].public_key: duplicate peer '%s' (same as peers[%u])", src,
			 dup, b64, first);
	return -EINVAL;
}

static int validate_allowed_ips(const struct wg_config *cfg, const char *src, char *err,
				size_t errlen)
{
	_cleanup_free_ struct prefix_entry *e = NULL;
	const struct prefix_entry *d = NULL, *f = NULL;
	const struct wg_peer *dp, *fp;
	size_t n = 0, k = 0;
	char pfx[INET6_ADDRSTRLEN + 5];

	for (size_t i = 0; i < cfg->n_peers; i++)
		n += cfg->peers[i].n_allowed_ips;
	if (n < 2)
		return 0;
	e = calloc(n, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "%s: out of memory", src);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_peers; i++) {
		for (size_t j = 0; j < cfg->peers[i].n_allowed_ips; j++, k++) {
			struct ip_prefix p = cfg->peers[i].allowed_ips[j];

			ip_prefix_mask(&p);
			e[k].key[0] = p.family;
			e[k].key[1] = p.cidr;
			memcpy(e[k].key + 2, &p.addr,
			       p.family == AF_INET6 ? sizeof(p.addr.ip6) : sizeof(p.addr.ip4));
			e[k].peer = (uint32_t)i;
			e[k].idx = (uint32_t)j;
		}
	}
	qsort(e, n, sizeof(*e), cmp_prefix_entry);
	/* Of all repeats, report the one that comes first in the input. */
	for (size_t i = 1, run = 0; i < n; i++) {
		if (memcmp(e[i].key, e[run].key, sizeof(e[i].key))) {
			run = i;
			continue;
		}
		if (!d || before(e[i].peer, e[i].idx, d->peer, d->idx)) {
			d = &e[i];
			f = &e[run];
		}
	}
	if (!d)
		return 0;
	prefix_to_string(pfx, sizeof(pfx), d->key[0], d->key + 2, d->key[1]);
	dp = &cfg->peers[d->peer];
	fp = &cfg->peers[f->peer];
	if (dp->allowed_ips[d->idx].line && d->peer == f->peer)
		snprintf(err, errlen,
			 "%s:%u: AllowedIPs: '%s' given twice for the same [Peer] (first at line "
			 "%u)",
			 src, dp->allowed_ips[d->idx].line, pfx, fp->allowed_ips[f->idx].line);
	else if (dp->allowed_ips[d->idx].line)
		snprintf(err, errlen,
			 "%s:%u: AllowedIPs: '%s' is also allowed for the [Peer] at line %u "
			 "(line %u)",
			 src, dp->allowed_ips[d->idx].line, pfx, fp->line,
			 fp->allowed_ips[f->idx].line);
	else if (d->peer == f->peer)
		snprintf(err, errlen,
			 "%s: peers[%u].allowed_ips[%u]: '%s' given twice (first at "
			 "allowed_ips[%u])",
			 src, d->peer, d->idx, pfx, f->idx);
	else
		snprintf(err, errlen,
			 "%s: peers[%u].allowed_ips[%u]: '%s' is also allowed for peers[%u] "
			 "(allowed_ips[%u])",
			 src, d->peer, d->idx, pfx, f->peer, f->idx);
	return -EINVAL;
}

int config_validate(const struct wg_config *cfg, char *err, size_t errlen)
{
	const char *src = cfg->source ? cfg->source : "config";
	int r;

	r = validate_own_key(cfg, src, err, errlen);
	if (r >= 0)
		r = validate_peers(cfg, src, err, errlen);
	if (r >= 0)
		r = validate_allowed_ips(cfg, src, err, errlen);
	return r;
}

/* ----------------------------------------------------------------- load */

static int load_fail(struct conf_ctx *ctx, const char *path, int r, const char *why)
{
	snprintf(ctx->err, sizeof(ctx->err), "%s: cannot read: %s", path, why ? why : strerror(-r));
	return r;
}

int config_load_file(struct conf_ctx *ctx, const char *path, struct wg_config **ret)
{
	_cleanup_close_ int fd = -1;
	const char *saved_source = ctx->source;
	size_t cap, len = 0;
	struct stat st;
	char *buf;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return load_fail(ctx, path, -errno, NULL);
	if (fstat(fd, &st) < 0)
		return load_fail(ctx, path, -errno, NULL);
	if (S_ISDIR(st.st_mode))
		return load_fail(ctx, path, -EISDIR, NULL);
	if (!S_ISREG(st.st_mode))
		return load_fail(ctx, path, -EINVAL, "not a regular file");
	if (st.st_size > CONFIG_MAX_SIZE)
		return load_fail(ctx, path, -EFBIG, "larger than 64 MiB");
	/* One byte more than the size, so the read that sees EOF needs no growing. */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (!buf)
		return load_fail(ctx, path, -ENOMEM, NULL);
	for (;;) {
		ssize_t n;

		if (len == cap) {
			/* The file grew while we read it. */
			size_t ncap = cap * 2 > CONFIG_MAX_SIZE + 1 ? CONFIG_MAX_SIZE + 1 : cap * 2;
			char *nbuf;

			if (len > CONFIG_MAX_SIZE) {
				r = load_fail(ctx, path, -EFBIG, "larger than 64 MiB");
				goto out;
			}
			nbuf = malloc(ncap);
			if (!nbuf) {
				r = load_fail(ctx, path, -ENOMEM, NULL);
				goto out;
			}
			memcpy(nbuf, buf, len);
			secret_wipe(buf, cap);
			free(buf);
			buf = nbuf;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = load_fail(ctx, path, -errno, NULL);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (!ctx->source)
		ctx->source = path;
	r = conf_parse(ctx, buf, len, ret);
	ctx->source = saved_source;
out:
	/* The text may hold keys. */
	secret_wipe(buf, cap);
	free(buf);
	return r;
}

/* ---------------------------------------------------------------- names */

bool conf_ifname_valid(const char *name)
{
	size_t len = strnlen(name, IFNAMSIZ);

	if (len == 0 || len >= IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (const char *p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;

		/* The kernel refuses '/', ':' and whitespace; control bytes only confuse. */
		if (c <= ' ' || c == 0x7f || c == 0xa0 || c == '/' || c == ':')
			return false;
	}
	return true;
}

bool conf_ifname_from_path(const char *path, char ret[IFNAMSIZ])
{
	const char *base = strrchr(path, '/');
	char name[IFNAMSIZ];
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len > 5 && (!strcmp(base + len - 5, ".conf") || !strcmp(base + len - 5, ".json")))
		len -= 5;
	if (len == 0 || len >= IFNAMSIZ)
		return false;
	memcpy(name, base, len);
	name[len] = '\0';
	if (!conf_ifname_valid(name))
		return false;
	memcpy(ret, name, len + 1);
	return true;
}
