/* SPDX-License-Identifier: MIT */
/*
 * Configuration files: the wg-quick INI form and its JSON equivalent, both
 * parsed into struct wg_config. agent/CONFIG.md documents both forms. Nothing
 * here logs: errors go to ctx->err, warnings to ctx->warn.
 */
#ifndef WGAGENT_CONF_H
#define WGAGENT_CONF_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "key.h"
#include "macros.h"

/* key_read_file() has this signature. */
typedef int (*conf_read_key_fn)(const char *path, struct wg_key *ret, bool *ret_world_readable);

struct conf_ctx {
	/* File name used in messages, e.g. "wg0.conf"; NULL means "config". */
	const char *source;
	/* For PrivateKeyFile/PresharedKeyFile; NULL makes those keys an error. */
	conf_read_key_fn read_key;
	/* May be NULL; gets "source:line: ..." warnings (world-readable key file). */
	void (*warn)(void *userdata, const char *msg);
	void *userdata;
	/* On failure: "source:line: Field: what is wrong" (JSON: "source: path: ..."). */
	char err[512];
};

/*
 * Detects the form by content (first non-blank character '{' means JSON,
 * anything else wg-quick INI), parses, and runs config_validate(). Returns 0,
 * -EINVAL with ctx->err set, or -ENOMEM. *ret is set only on success.
 */
int conf_parse(struct conf_ctx *ctx, const char *text, size_t len, struct wg_config **ret);
int conf_parse_ini(struct conf_ctx *ctx, const char *text, size_t len, struct wg_config **ret);
int conf_parse_json(struct conf_ctx *ctx, const char *text, size_t len, struct wg_config **ret);

/*
 * Checks across entries: duplicate peers, one AllowedIPs prefix on two
 * peers (or twice on one), a peer whose key is the interface's own public
 * key. Messages use cfg->source and the lines in the model (JSON paths when
 * the lines are 0). Returns 0, -EINVAL or -ENOMEM.
 */
int config_validate(const struct wg_config *cfg, char *err, size_t errlen);

/*
 * Reads a regular file of at most 64 MiB and hands it to conf_parse(), with
 * ctx->source = path unless the caller set one. Returns 0 or a negative
 * errno with ctx->err set ("PATH: cannot read: No such file or directory").
 */
int config_load_file(struct conf_ctx *ctx, const char *path, struct wg_config **ret);

/* "/etc/wireguard/wg0.conf" -> "wg0" (".conf" or ".json" removed); false if not a valid name. */
bool conf_ifname_from_path(const char *path, char ret[IFNAMSIZ]);
/* As the kernel's dev_valid_name(): 1..15 bytes, no '/', ':' or whitespace, not "." or "..". */
bool conf_ifname_valid(const char *name);

/* "10.0.0.1/24", "fd00::1/64"; without "/n" it is /32 or /128 if allow_no_cidr. */
bool parse_ip_prefix(const char *s, bool allow_no_cidr, struct ip_prefix *ret);
/* Zeroes the host bits, as the kernel does for allowed IPs. */
void ip_prefix_mask(struct ip_prefix *p);
/*
 * "host:port", "1.2.3.4:51820", "[fd00::1]:51820". ret->host is always set
 * (strdup'ed, no brackets); literal addresses also fill ret->addr, host names
 * leave ret->addr.sa.sa_family == AF_UNSPEC. Returns 0, -EINVAL or -ENOMEM.
 */
int parse_endpoint(const char *s, struct wg_endpoint *ret);

/*
 * Internal: shared by conf.c (INI) and conf_json.c. Each setting has an INI
 * name (the one used in messages) and a JSON name.
 */
enum conf_field {
	CONF_PRIVATE_KEY,
	CONF_PRIVATE_KEY_FILE,
	CONF_LISTEN_PORT,
	CONF_FWMARK,
	CONF_ADDRESS,
	CONF_MTU,
	CONF_TABLE,
	CONF_PUBLIC_KEY,
	CONF_PRESHARED_KEY,
	CONF_PRESHARED_KEY_FILE,
	CONF_ENDPOINT,
	CONF_ALLOWED_IPS,
	CONF_PERSISTENT_KEEPALIVE,
	_CONF_FIELD_MAX,
};

struct conf_field_info {
	const char *ini_name;
	const char *json_name;
	bool peer; /* belongs in [Peer] rather than [Interface] */
	bool list; /* Address, AllowedIPs: repeatable, one value per list element */
};

extern const struct conf_field_info conf_fields[_CONF_FIELD_MAX];

/*
 * Where a value came from: "source:line: name" (INI) or "source: prefix
 * name[index]" (JSON, line 0). name may be NULL; index < 0 means none.
 */
struct conf_where {
	const char *source;
	unsigned line;
	const char *prefix;
	const char *name;
	long index;
};

/* Decimal digits only (no sign, spaces or hex), at most max. */
bool conf_parse_uint(const char *s, uint64_t max, uint64_t *ret);
/* parse_endpoint(), with what was wrong in *ret_why (a static string). */
int conf_parse_endpoint(const char *s, struct wg_endpoint *ret, const char **ret_why);

/* Sets ctx->err to "<where>: <message>" and returns -EINVAL. */
_printf_(3, 4) int conf_fail(struct conf_ctx *ctx, const struct conf_where *w, const char *fmt,
			     ...);

/*
 * Quotes a user value for a message: non-printable bytes become \xNN and
 * long values are cut with "...". Returns buf.
 */
const char *conf_quote(char *buf, size_t size, const char *s);

/*
 * Parses one value (one list element for Address/AllowedIPs) into cfg, or
 * into peer for [Peer] fields. Returns 0, -EINVAL (ctx->err set) or -ENOMEM.
 */
int conf_apply(struct conf_ctx *ctx, const struct conf_where *w, struct wg_config *cfg,
	       struct wg_peer *peer, enum conf_field field, const char *value);

/* The field that cannot be combined with f (PrivateKey/PrivateKeyFile, ...), or -1. */
int exclusive_field(enum conf_field f);

/* Appends a zeroed peer to cfg->peers, growing it geometrically. NULL on OOM. */
struct wg_peer *conf_add_peer(struct wg_config *cfg);

/* Fails if an IPv6 Address is configured with an MTU below 1280. */
int conf_check_mtu(struct conf_ctx *ctx, const struct conf_where *mtu_where,
		   const struct wg_config *cfg);

/* Sets cfg->source and runs config_validate(): the common end of both parsers. */
int conf_finish(struct conf_ctx *ctx, struct wg_config *cfg);

#endif
