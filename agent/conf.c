// SPDX-License-Identifier: MIT
/*
 * The wg-quick INI form, read the way wg(8) reads it: whitespace anywhere in a
 * line is dropped, '#' starts a comment, section and key names are matched
 * case-insensitively. Also what the JSON form shares with it: the field
 * table, messages, and conf_apply(), which turns one value into the model.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"

#define QUOTE_MAX 200

const struct conf_field_info conf_fields[_CONF_FIELD_MAX] = {
	[CONF_PRIVATE_KEY] = {"PrivateKey", "private_key", false, false},
	[CONF_PRIVATE_KEY_FILE] = {"PrivateKeyFile", "private_key_file", false, false},
	[CONF_LISTEN_PORT] = {"ListenPort", "listen_port", false, false},
	[CONF_FWMARK] = {"FwMark", "fwmark", false, false},
	[CONF_ADDRESS] = {"Address", "address", false, true},
	[CONF_MTU] = {"MTU", "mtu", false, false},
	[CONF_TABLE] = {"Table", "table", false, false},
	[CONF_PUBLIC_KEY] = {"PublicKey", "public_key", true, false},
	[CONF_PRESHARED_KEY] = {"PresharedKey", "preshared_key", true, false},
	[CONF_PRESHARED_KEY_FILE] = {"PresharedKeyFile", "preshared_key_file", true, false},
	[CONF_ENDPOINT] = {"Endpoint", "endpoint", true, false},
	[CONF_ALLOWED_IPS] = {"AllowedIPs", "allowed_ips", true, true},
	[CONF_PERSISTENT_KEEPALIVE] = {"PersistentKeepalive", "persistent_keepalive", true, false},
};

/* wg-quick settings that wgagent refuses rather than silently ignores. */
static const struct {
	const char *name;
	const char *why;
} unsupported[] = {
	{"DNS", "not supported by wgagent (a wg-quick setting; set resolvers in the image or "
		"with cloud-init)"},
	{"PreUp", "not supported by wgagent (wg-quick hook; wgagent runs no commands)"},
	{"PostUp", "not supported by wgagent (wg-quick hook; wgagent runs no commands)"},
	{"PreDown", "not supported by wgagent (wg-quick hook; wgagent runs no commands)"},
	{"PostDown", "not supported by wgagent (wg-quick hook; wgagent runs no commands)"},
	{"SaveConfig", "not supported by wgagent (it never writes the configuration back)"},
};

const char *conf_quote(char *buf, size_t size, const char *s)
{
	size_t o = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool esc = c < 0x20 || c >= 0x7f || c == '\'' || c == '\\';

		/* Keep room for "..." and the NUL. */
		if (o + (esc ? 4 : 1) + 4 > size) {
			memcpy(buf + o, "...", 4);
			return buf;
		}
		if (esc)
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

static size_t append(char *buf, size_t size, size_t o, const char *fmt, ...) _printf_(4, 5);
static size_t append(char *buf, size_t size, size_t o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o >= size)
		return o;
	va_start(ap, fmt);
	n = vsnprintf(buf + o, size - o, fmt, ap);
	va_end(ap);
	return n < 0 ? o : o + (size_t)n;
}

static size_t format_where(char *buf, size_t size, const struct conf_where *w)
{
	size_t o;

	if (w->line)
		o = append(buf, size, 0, "%s:%u: ", w->source, w->line);
	else
		o = append(buf, size, 0, "%s: ", w->source);
	if (w->name) {
		o = append(buf, size, o, "%s%s", w->prefix ? w->prefix : "", w->name);
		if (w->index >= 0)
			o = append(buf, size, o, "[%ld]", w->index);
		o = append(buf, size, o, ": ");
	}
	return o;
}

int conf_fail(struct conf_ctx *ctx, const struct conf_where *w, const char *fmt, ...)
{
	size_t o = format_where(ctx->err, sizeof(ctx->err), w);
	va_list ap;

	if (o < sizeof(ctx->err)) {
		va_start(ap, fmt);
		vsnprintf(ctx->err + o, sizeof(ctx->err) - o, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static void conf_warn(struct conf_ctx *ctx, const struct conf_where *w, const char *fmt, ...)
	_printf_(3, 4);
static void conf_warn(struct conf_ctx *ctx, const struct conf_where *w, const char *fmt, ...)
{
	char msg[512];
	size_t o;
	va_list ap;

	if (!ctx->warn)
		return;
	o = format_where(msg, sizeof(msg), w);
	if (o < sizeof(msg)) {
		va_start(ap, fmt);
		vsnprintf(msg + o, sizeof(msg) - o, fmt, ap);
		va_end(ap);
	}
	ctx->warn(ctx->userdata, msg);
}

static int conf_oom(struct conf_ctx *ctx, const char *source)
{
	snprintf(ctx->err, sizeof(ctx->err), "%s: out of memory", source);
	return -ENOMEM;
}

/*
 * The model's arrays carry no capacity. It is implied: the next power of two
 * at or above n (at least 4), so growing when n reaches one keeps appends
 * amortized O(1) for a million AllowedIPs. Returns the new capacity or 0.
 */
static size_t grow_to(size_t n)
{
	if (n == 0)
		return 4;
	if (n >= 4 && (n & (n - 1)) == 0)
		return n * 2;
	return 0;
}

static int push_prefix(struct ip_prefix **arr, size_t *n, const struct ip_prefix *p)
{
	size_t cap = grow_to(*n);

	if (cap) {
		struct ip_prefix *t = reallocarray(*arr, cap, sizeof(**arr));

		if (!t)
			return -ENOMEM;
		*arr = t;
	}
	(*arr)[(*n)++] = *p;
	return 0;
}

struct wg_peer *conf_add_peer(struct wg_config *cfg)
{
	size_t cap = grow_to(cfg->n_peers);
	struct wg_peer *peer;

	if (cap) {
		/* Not realloc(): the old block holds preshared keys and must be wiped. */
		struct wg_peer *t = calloc(cap, sizeof(*t));

		if (!t)
			return NULL;
		if (cfg->n_peers) {
			memcpy(t, cfg->peers, cfg->n_peers * sizeof(*t));
			secret_wipe(cfg->peers, cfg->n_peers * sizeof(*t));
		}
		free(cfg->peers);
		cfg->peers = t;
	}
	peer = &cfg->peers[cfg->n_peers++];
	memset(peer, 0, sizeof(*peer));
	return peer;
}

/* "off", decimal, or 0x hex. wg(8) also takes octal for a leading 0; refuse that instead. */
static bool parse_fwmark(const char *s, uint32_t *ret)
{
	uint64_t v = 0;

	if (!strcasecmp(s, "off")) {
		*ret = 0;
		return true;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		if (!*s || strlen(s) > 8)
			return false;
		for (; *s; s++) {
			int d;

			if (*s >= '0' && *s <= '9')
				d = *s - '0';
			else if (*s >= 'a' && *s <= 'f')
				d = *s - 'a' + 10;
			else if (*s >= 'A' && *s <= 'F')
				d = *s - 'A' + 10;
			else
				return false;
			v = v * 16 + (uint64_t)d;
		}
	} else if ((s[0] == '0' && s[1]) || !conf_parse_uint(s, UINT32_MAX, &v)) {
		return false;
	}
	*ret = (uint32_t)v;
	return true;
}

/* Keys that are secrets: never echo the value, say only what shape was wrong. */
static int apply_secret_key(struct conf_ctx *ctx, const struct conf_where *w, const char *value,
			    struct wg_key *key, bool *has)
{
	size_t len = strlen(value);

	if (!key_from_base64(key, value)) {
		if (len != WG_KEY_B64_LEN - 1)
			return conf_fail(ctx, w,
					 "invalid key (%zu characters, expected 44 of base64; "
					 "value not shown)",
					 len);
		return conf_fail(ctx, w,
				 "invalid key (not the base64 of 32 bytes; value not shown)");
	}
	*has = true;
	return 0;
}

static int apply_key_file(struct conf_ctx *ctx, const struct conf_where *w, const char *path,
			  struct wg_key *key, bool *has)
{
	char q[QUOTE_MAX];
	struct wg_key tmp = {{0}};
	bool world = false;
	int r;

	if (!ctx->read_key)
		return conf_fail(ctx, w, "key files are not allowed here");
	if (path[0] != '/')
		return conf_fail(ctx, w, "path must be absolute: '%s'",
				 conf_quote(q, sizeof(q), path));
	r = ctx->read_key(path, &tmp, &world);
	if (r == 0) {
		*key = tmp;
		*has = true;
	}
	key_wipe(&tmp);
	if (r == -ENOMEM)
		return conf_oom(ctx, w->source);
	if (r == -EBADMSG)
		return conf_fail(ctx, w, "'%s' does not hold a valid key",
				 conf_quote(q, sizeof(q), path));
	if (r == -EINVAL)
		return conf_fail(ctx, w, "cannot read '%s': not a regular file",
				 conf_quote(q, sizeof(q), path));
	if (r < 0)
		return conf_fail(ctx, w, "cannot read '%s': %s", conf_quote(q, sizeof(q), path),
				 strerror(-r));
	if (world)
		conf_warn(ctx, w, "'%s' is readable by every user, but it holds a secret key",
			  conf_quote(q, sizeof(q), path));
	return 0;
}

int conf_apply(struct conf_ctx *ctx, const struct conf_where *w, struct wg_config *cfg,
	       struct wg_peer *peer, enum conf_field field, const char *value)
{
	char q[QUOTE_MAX];
	struct ip_prefix p;
	const char *why;
	uint64_t v;
	uint32_t mark;
	int r;

#define QV conf_quote(q, sizeof(q), value)
	switch (field) {
	case CONF_PRIVATE_KEY:
		return apply_secret_key(ctx, w, value, &cfg->private_key, &cfg->has_private_key);
	case CONF_PRIVATE_KEY_FILE:
		return apply_key_file(ctx, w, value, &cfg->private_key, &cfg->has_private_key);
	case CONF_LISTEN_PORT:
		if (!conf_parse_uint(value, 65535, &v))
			return conf_fail(ctx, w, "invalid port '%s' (expected 0..65535)", QV);
		cfg->listen_port = (uint16_t)v;
		cfg->has_listen_port = true;
		return 0;
	case CONF_FWMARK:
		if (!parse_fwmark(value, &mark))
			return conf_fail(ctx, w,
					 "invalid fwmark '%s' (expected off, a decimal or 0x hex "
					 "32-bit number)",
					 QV);
		cfg->fwmark = mark;
		cfg->has_fwmark = true;
		return 0;
	case CONF_ADDRESS:
		if (!parse_ip_prefix(value, true, &p))
			return conf_fail(ctx, w, "invalid address '%s'", QV);
		p.line = w->line;
		if (push_prefix(&cfg->addresses, &cfg->n_addresses, &p) < 0)
			return conf_oom(ctx, w->source);
		return 0;
	case CONF_MTU:
		/*
		 * 576 is the smallest datagram every IPv4 host must accept (RFC 791,
		 * RFC 1122); a tunnel below it breaks ordinary IPv4 traffic. 65535 is
		 * the largest IP packet without jumbograms. IPv6 needs 1280 (RFC 8200):
		 * conf_check_mtu() enforces it when an IPv6 Address is configured.
		 */
		if (!conf_parse_uint(value, UINT32_MAX, &v) || v < 576 || v > 65535)
			return conf_fail(ctx, w, "invalid MTU '%s' (expected 576..65535)", QV);
		cfg->mtu = (uint32_t)v;
		return 0;
	case CONF_TABLE:
		if (!strcasecmp(value, "auto")) {
			cfg->table_mode = TABLE_AUTO;
			cfg->table = 0;
		} else if (!strcasecmp(value, "off")) {
			cfg->table_mode = TABLE_OFF;
			cfg->table = 0;
		} else if (conf_parse_uint(value, UINT32_MAX, &v) && v > 0) {
			cfg->table_mode = TABLE_ID;
			cfg->table = (uint32_t)v;
		} else {
			return conf_fail(ctx, w,
					 "invalid table '%s' (expected auto, off or a number "
					 "1..4294967295)",
					 QV);
		}
		return 0;
	case CONF_PUBLIC_KEY:
		if (!key_from_base64(&peer->public_key, value))
			return conf_fail(ctx, w, "invalid key '%s'", QV);
		return 0;
	case CONF_PRESHARED_KEY:
		return apply_secret_key(ctx, w, value, &peer->preshared_key,
					&peer->has_preshared_key);
	case CONF_PRESHARED_KEY_FILE:
		return apply_key_file(ctx, w, value, &peer->preshared_key,
				      &peer->has_preshared_key);
	case CONF_ENDPOINT:
		r = conf_parse_endpoint(value, &peer->endpoint, &why);
		if (r == -ENOMEM)
			return conf_oom(ctx, w->source);
		if (r < 0)
			return conf_fail(ctx, w, "invalid endpoint '%s': %s", QV, why);
		return 0;
	case CONF_ALLOWED_IPS:
		if (!parse_ip_prefix(value, true, &p))
			return conf_fail(ctx, w, "invalid CIDR '%s'", QV);
		ip_prefix_mask(&p);
		p.line = w->line;
		if (push_prefix(&peer->allowed_ips, &peer->n_allowed_ips, &p) < 0)
			return conf_oom(ctx, w->source);
		return 0;
	case CONF_PERSISTENT_KEEPALIVE:
		if (!strcasecmp(value, "off"))
			v = 0;
		else if (!conf_parse_uint(value, 65535, &v))
			return conf_fail(
				ctx, w, "invalid keepalive '%s' (expected off or 0..65535 seconds)",
				QV);
		peer->persistent_keepalive = (uint16_t)v;
		peer->has_persistent_keepalive = true;
		return 0;
	case _CONF_FIELD_MAX:
		break;
	}
#undef QV
	return -EINVAL;
}

int conf_check_mtu(struct conf_ctx *ctx, const struct conf_where *mtu_where,
		   const struct wg_config *cfg)
{
	char ip[INET6_ADDRSTRLEN];

	if (!cfg->mtu || cfg->mtu >= 1280)
		return 0;
	for (size_t i = 0; i < cfg->n_addresses; i++) {
		const struct ip_prefix *a = &cfg->addresses[i];

		if (a->family != AF_INET6)
			continue;
		inet_ntop(AF_INET6, &a->addr.ip6, ip, sizeof(ip));
		if (a->line)
			return conf_fail(ctx, mtu_where,
					 "%u is too small for the IPv6 Address '%s/%u' at line %u "
					 "(IPv6 needs at least 1280)",
					 cfg->mtu, ip, a->cidr, a->line);
		return conf_fail(ctx, mtu_where,
				 "%u is too small for the IPv6 address interface.address[%zu] "
				 "'%s/%u' (IPv6 needs at least 1280)",
				 cfg->mtu, i, ip, a->cidr);
	}
	return 0;
}

int conf_finish(struct conf_ctx *ctx, struct wg_config *cfg)
{
	const char *source = ctx->source ? ctx->source : "config";

	cfg->source = strdup(source);
	if (!cfg->source)
		return conf_oom(ctx, source);
	return config_validate(cfg, ctx->err, sizeof(ctx->err));
}

/* ------------------------------------------------------------------ INI */

enum ini_section {
	SECTION_NONE,
	SECTION_INTERFACE,
	SECTION_PEER,
};

struct ini {
	struct conf_ctx *ctx;
	struct wg_config *cfg;
	const char *source;
	enum ini_section section;
	unsigned interface_line;
	unsigned mtu_line;
	/* Line where each field was set in the current section, 0 if not yet. */
	unsigned seen[_CONF_FIELD_MAX];
};

int exclusive_field(enum conf_field f)
{
	switch (f) {
	case CONF_PRIVATE_KEY:
		return CONF_PRIVATE_KEY_FILE;
	case CONF_PRIVATE_KEY_FILE:
		return CONF_PRIVATE_KEY;
	case CONF_PRESHARED_KEY:
		return CONF_PRESHARED_KEY_FILE;
	case CONF_PRESHARED_KEY_FILE:
		return CONF_PRESHARED_KEY;
	default:
		return -1;
	}
}

/* A key name worth echoing: short and plain, so never a pasted key. */
static bool plain_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 32)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

static int ini_end_section(struct ini *st)
{
	struct conf_where w = {.source = st->source, .index = -1};

	if (st->section == SECTION_PEER && !st->seen[CONF_PUBLIC_KEY]) {
		w.line = st->cfg->peers[st->cfg->n_peers - 1].line;
		return conf_fail(st->ctx, &w, "[Peer] has no PublicKey");
	}
	memset(st->seen, 0, sizeof(st->seen));
	return 0;
}

static int ini_section(struct ini *st, char *line, unsigned lineno)
{
	struct conf_where w = {.source = st->source, .line = lineno, .index = -1};
	char q[QUOTE_MAX];
	struct wg_peer *peer;
	int r;

	if (!strcasecmp(line, "[Interface]")) {
		if (st->interface_line)
			return conf_fail(st->ctx, &w, "[Interface] given twice (first at line %u)",
					 st->interface_line);
		r = ini_end_section(st);
		if (r < 0)
			return r;
		st->interface_line = lineno;
		st->section = SECTION_INTERFACE;
		return 0;
	}
	if (!strcasecmp(line, "[Peer]")) {
		r = ini_end_section(st);
		if (r < 0)
			return r;
		peer = conf_add_peer(st->cfg);
		if (!peer)
			return conf_oom(st->ctx, st->source);
		peer->line = lineno;
		st->section = SECTION_PEER;
		return 0;
	}
	return conf_fail(st->ctx, &w, "unknown section '%s' (expected [Interface] or [Peer])",
			 conf_quote(q, sizeof(q), line));
}

static int ini_list(struct ini *st, const struct conf_where *w, struct wg_peer *peer,
		    enum conf_field field, char *value)
{
	char *p = value;
	int r;

	/* "AllowedIPs =" alone adds nothing, as in wg(8). */
	if (!*value)
		return 0;
	for (;;) {
		char *comma = strchr(p, ',');

		if (comma)
			*comma = '\0';
		r = conf_apply(st->ctx, w, st->cfg, peer, field, p);
		if (r < 0 || !comma)
			return r;
		p = comma + 1;
	}
}

static int ini_line(struct ini *st, char *line, unsigned lineno)
{
	struct conf_where w = {.source = st->source, .line = lineno, .index = -1};
	struct wg_peer *peer = NULL;
	const struct conf_field_info *fi;
	char *eq, *key, *value;
	char q[QUOTE_MAX];
	int f, other;

	if (line[0] == '[')
		return ini_section(st, line, lineno);
	eq = strchr(line, '=');
	if (!eq)
		return conf_fail(st->ctx, &w, "missing '=' (expected 'Key = Value')");
	*eq = '\0';
	key = line;
	value = eq + 1;
	if (!*key)
		return conf_fail(st->ctx, &w, "missing key name before '='");
	for (f = 0; f < _CONF_FIELD_MAX; f++)
		if (!strcasecmp(key, conf_fields[f].ini_name))
			break;
	w.name = f < _CONF_FIELD_MAX ? conf_fields[f].ini_name : plain_name(key) ? key : NULL;
	if (st->section == SECTION_NONE)
		return conf_fail(st->ctx, &w,
				 "key outside any section (put it under [Interface] or [Peer])");
	for (size_t i = 0; i < ELEMENTSOF(unsupported); i++) {
		if (!strcasecmp(key, unsupported[i].name)) {
			w.name = unsupported[i].name;
			return conf_fail(st->ctx, &w, "%s", unsupported[i].why);
		}
	}
	if (f == _CONF_FIELD_MAX) {
		w.name = NULL;
		if (!plain_name(key))
			return conf_fail(st->ctx, &w, "unknown key (%zu characters, not shown)",
					 strlen(key));
		return conf_fail(st->ctx, &w, "unknown key '%s'", conf_quote(q, sizeof(q), key));
	}
	fi = &conf_fields[f];
	if (fi->peer != (st->section == SECTION_PEER))
		return conf_fail(st->ctx, &w, "belongs in %s, not in %s",
				 fi->peer ? "[Peer]" : "[Interface]",
				 fi->peer ? "[Interface]" : "[Peer]");
	if (!fi->list && st->seen[f]) {
		w.name = NULL;
		return conf_fail(st->ctx, &w, "%s given twice (first at line %u)", fi->ini_name,
				 st->seen[f]);
	}
	other = exclusive_field((enum conf_field)f);
	if (other >= 0 && st->seen[other])
		return conf_fail(st->ctx, &w, "cannot be used together with %s (line %u)",
				 conf_fields[other].ini_name, st->seen[other]);
	if (!st->seen[f])
		st->seen[f] = lineno;
	if (f == CONF_MTU)
		st->mtu_line = lineno;
	if (fi->peer)
		peer = &st->cfg->peers[st->cfg->n_peers - 1];
	if (fi->list)
		return ini_list(st, &w, peer, (enum conf_field)f, value);
	return conf_apply(st->ctx, &w, st->cfg, peer, (enum conf_field)f, value);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static unsigned line_of(const char *text, size_t offset)
{
	unsigned line = 1;

	for (size_t i = 0; i < offset; i++)
		line += text[i] == '\n';
	return line;
}

/* Skips a UTF-8 byte order mark, which some editors put at the start. */
static size_t skip_bom(const char *text, size_t len)
{
	return len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3) ? 3 : 0;
}

int conf_parse_ini(struct conf_ctx *ctx, const char *text, size_t len, struct wg_config **ret)
{
	const char *source = ctx->source ? ctx->source : "config";
	_cleanup_config_ struct wg_config *cfg = NULL;
	struct ini st = {.ctx = ctx, .source = source};
	struct conf_where w = {.source = source, .index = -1};
	const char *p, *end = text + len, *nul;
	char *buf = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int r = 0;

	nul = memchr(text, '\0', len);
	if (nul) {
		w.line = line_of(text, (size_t)(nul - text));
		return conf_fail(ctx, &w, "NUL byte in the configuration");
	}
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return conf_oom(ctx, source);
	st.cfg = cfg;
	for (p = text + skip_bom(text, len); p < end && r == 0;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end;
		size_t n = 0;

		lineno++;
		if (!buf || (size_t)(le - p) >= cap) {
			/* The line may carry a key: wipe the old buffer, don't realloc(). */
			size_t ncap = (size_t)(le - p) * 2 + 64;
			char *nbuf = malloc(ncap);

			if (!nbuf) {
				r = conf_oom(ctx, source);
				break;
			}
			secret_wipe(buf, cap);
			free(buf);
			buf = nbuf;
			cap = ncap;
		}
		for (const char *c = p; c < le && *c != '#'; c++)
			if (!is_blank(*c))
				buf[n++] = *c;
		buf[n] = '\0';
		p = eol ? eol + 1 : end;
		if (n)
			r = ini_line(&st, buf, lineno);
	}
	secret_wipe(buf, cap);
	free(buf);
	if (r < 0)
		return r;
	r = ini_end_section(&st);
	if (r < 0)
		return r;
	w.line = st.mtu_line;
	w.name = "MTU";
	r = conf_check_mtu(ctx, &w, cfg);
	if (r < 0)
		return r;
	r = conf_finish(ctx, cfg);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(cfg);
	return 0;
}

int conf_parse(struct conf_ctx *ctx, const char *text, size_t len, struct wg_config **ret)
{
	for (size_t i = skip_bom(text, len); i < len; i++) {
		if (is_blank(text[i]))
			continue;
		if (text[i] == '{')
			return conf_parse_json(ctx, text, len, ret);
		break;
	}
	return conf_parse_ini(ctx, text, len, ret);
}
