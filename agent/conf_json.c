// SPDX-License-Identifier: MIT
/*
 * The JSON form of the configuration (agent/CONFIG.md): the same model and
 * the same value rules as the INI form, with "interface.listen_port"-style
 * paths instead of line numbers in messages.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "conf.h"

#define QUOTE_MAX 200

static int json_oom(struct conf_ctx *ctx, const char *source)
{
	snprintf(ctx->err, sizeof(ctx->err), "%s: out of memory", source);
	return -ENOMEM;
}

static bool numeric_field(enum conf_field f)
{
	return f == CONF_LISTEN_PORT || f == CONF_FWMARK || f == CONF_MTU || f == CONF_TABLE ||
	       f == CONF_PERSISTENT_KEEPALIVE;
}

/* A JSON string as a C string; fails on an embedded "\u0000". */
static const char *json_cstr(struct json_object *val)
{
	const char *s = json_object_get_string(val);

	if (strlen(s) != (size_t)json_object_get_string_len(val))
		return NULL;
	return s;
}

static int json_value(struct conf_ctx *ctx, struct conf_where *w, struct wg_config *cfg,
		      struct wg_peer *peer, enum conf_field field, struct json_object *val)
{
	const char *s;
	char num[32];

	if (conf_fields[field].list) {
		size_t n;

		if (!json_object_is_type(val, json_type_array))
			return conf_fail(ctx, w, "expected an array of strings");
		n = json_object_array_length(val);
		for (size_t i = 0; i < n; i++) {
			struct json_object *el = json_object_array_get_idx(val, i);
			int r;

			w->index = (long)i;
			if (!json_object_is_type(el, json_type_string))
				return conf_fail(ctx, w, "expected a string");
			s = json_cstr(el);
			if (!s)
				return conf_fail(ctx, w, "contains a NUL character");
			r = conf_apply(ctx, w, cfg, peer, field, s);
			if (r < 0)
				return r;
		}
		w->index = -1;
		return 0;
	}
	if (json_object_is_type(val, json_type_string)) {
		s = json_cstr(val);
		if (!s)
			return conf_fail(ctx, w, "contains a NUL character");
		return conf_apply(ctx, w, cfg, peer, field, s);
	}
	if (!numeric_field(field))
		return conf_fail(ctx, w, "expected a string");
	if (!json_object_is_type(val, json_type_int))
		return conf_fail(ctx, w, "expected an integer or a string");
	/* Through the INI value parser, so ranges and messages are the same. */
	if (json_object_get_int64(val) < 0)
		snprintf(num, sizeof(num), "%" PRId64, json_object_get_int64(val));
	else
		snprintf(num, sizeof(num), "%" PRIu64, json_object_get_uint64(val));
	return conf_apply(ctx, w, cfg, peer, field, num);
}

/* Field of a section by its JSON name, or -1. */
static int json_field(const char *name, bool peer)
{
	for (int f = 0; f < _CONF_FIELD_MAX; f++)
		if (conf_fields[f].peer == peer && !strcmp(name, conf_fields[f].json_name))
			return f;
	return -1;
}

/* One JSON object: interface (peer == NULL) or peers[i]. */
static int json_section(struct conf_ctx *ctx, const char *source, const char *prefix,
			struct json_object *obj, struct wg_config *cfg, struct wg_peer *peer)
{
	bool seen[_CONF_FIELD_MAX] = {false};
	char q[QUOTE_MAX];
	int r;

	/* Before applying anything: a key file must not be read for nothing. */
	for (int f = 0; f < _CONF_FIELD_MAX; f++) {
		struct conf_where w = {.source = source, .prefix = prefix, .index = -1};
		int other = exclusive_field((enum conf_field)f);
		struct json_object *a, *b;

		if (other < f || conf_fields[f].peer != (peer != NULL))
			continue;
		if (json_object_object_get_ex(obj, conf_fields[f].json_name, &a) &&
		    !json_object_is_type(a, json_type_null) &&
		    json_object_object_get_ex(obj, conf_fields[other].json_name, &b) &&
		    !json_object_is_type(b, json_type_null)) {
			w.name = conf_fields[other].json_name;
			return conf_fail(ctx, &w, "cannot be used together with %s%s", prefix,
					 conf_fields[f].json_name);
		}
	}
	json_object_object_foreach(obj, name, val)
	{
		struct conf_where w = {.source = source, .prefix = prefix, .index = -1};
		int f;

		w.name = conf_quote(q, sizeof(q), name);
		/* null stands for "not given", as generators tend to write it. */
		if (json_object_is_type(val, json_type_null))
			continue;
		if (!peer && !strcmp(name, "name")) {
			const char *s =
				json_object_is_type(val, json_type_string) ? json_cstr(val) : NULL;
			char v[QUOTE_MAX];

			if (!s)
				return conf_fail(ctx, &w, "expected a string");
			if (!conf_ifname_valid(s))
				return conf_fail(ctx, &w,
						 "invalid interface name '%s' (1 to 15 characters, "
						 "no '/', ':' or whitespace)",
						 conf_quote(v, sizeof(v), s));
			snprintf(cfg->ifname, sizeof(cfg->ifname), "%s", s);
			continue;
		}
		f = json_field(name, peer != NULL);
		if (f < 0)
			return conf_fail(ctx, &w, "unknown field");
		w.name = conf_fields[f].json_name;
		seen[f] = true;
		r = json_value(ctx, &w, cfg, peer, (enum conf_field)f, val);
		if (r < 0)
			return r;
	}
	if (peer && !seen[CONF_PUBLIC_KEY]) {
		struct conf_where w = {.source = source, .index = -1};
		char path[32];

		/* prefix is "peers[N]."; drop the dot. */
		snprintf(path, sizeof(path), "%.*s", (int)strlen(prefix) - 1, prefix);
		w.name = path;
		return conf_fail(ctx, &w, "missing public_key");
	}
	return 0;
}

static int json_config(struct conf_ctx *ctx, const char *source, struct json_object *root,
		       struct wg_config *cfg)
{
	struct conf_where w = {.source = source, .index = -1};
	struct json_object *iface = NULL, *peers = NULL;
	char q[QUOTE_MAX];
	int r;

	if (!json_object_is_type(root, json_type_object))
		return conf_fail(ctx, &w, "expected a JSON object at the top level");
	json_object_object_foreach(root, name, val)
	{
		if (!strcmp(name, "interface")) {
			iface = val;
		} else if (!strcmp(name, "peers")) {
			peers = val;
		} else {
			w.name = conf_quote(q, sizeof(q), name);
			return conf_fail(ctx, &w, "unknown field");
		}
	}
	if (iface && !json_object_is_type(iface, json_type_null)) {
		w.name = "interface";
		if (!json_object_is_type(iface, json_type_object))
			return conf_fail(ctx, &w, "expected an object");
		r = json_section(ctx, source, "interface.", iface, cfg, NULL);
		if (r < 0)
			return r;
	}
	if (peers && !json_object_is_type(peers, json_type_null)) {
		size_t n;

		w.name = "peers";
		if (!json_object_is_type(peers, json_type_array))
			return conf_fail(ctx, &w, "expected an array of objects");
		n = json_object_array_length(peers);
		for (size_t i = 0; i < n; i++) {
			struct json_object *p = json_object_array_get_idx(peers, i);
			struct wg_peer *peer;
			char prefix[32];

			w.index = (long)i;
			if (!json_object_is_type(p, json_type_object))
				return conf_fail(ctx, &w, "expected an object");
			peer = conf_add_peer(cfg);
			if (!peer)
				return json_oom(ctx, source);
			snprintf(prefix, sizeof(prefix), "peers[%zu].", i);
			r = json_section(ctx, source, prefix, p, cfg, peer);
			if (r < 0)
				return r;
		}
	}
	w.name = "mtu";
	w.prefix = "interface.";
	w.index = -1;
	return conf_check_mtu(ctx, &w, cfg);
}

static void wipe_json_string(struct json_object *obj, const char *name)
{
	struct json_object *val;

	if (json_object_is_type(obj, json_type_object) &&
	    json_object_object_get_ex(obj, name, &val) &&
	    json_object_is_type(val, json_type_string))
		secret_wipe((char *)json_object_get_string(val),
			    (size_t)json_object_get_string_len(val));
}

/* json-c copies every string it parses; wipe the ones that were keys. */
static void wipe_secrets(struct json_object *root)
{
	struct json_object *iface, *peers;

	if (json_object_object_get_ex(root, "interface", &iface))
		wipe_json_string(iface, "private_key");
	if (json_object_object_get_ex(root, "peers", &peers) &&
	    json_object_is_type(peers, json_type_array))
		for (size_t i = 0; i < json_object_array_length(peers); i++)
			wipe_json_string(json_object_array_get_idx(peers, i), "preshared_key");
}

static unsigned line_at(const char *text, size_t offset)
{
	unsigned line = 1;

	for (size_t i = 0; i < offset; i++)
		line += text[i] == '\n';
	return line;
}

static void tokener_freep(struct json_tokener **tok)
{
	if (!*tok)
		return;
	/*
	 * The tokener's scratch buffer still holds the last strings it read,
	 * possibly a key. json-c has no API for it, so reach into the struct.
	 */
	if ((*tok)->pb && (*tok)->pb->buf)
		secret_wipe((*tok)->pb->buf, (size_t)(*tok)->pb->size);
	json_tokener_free(*tok);
}

static void json_putp(struct json_object **obj)
{
	if (!*obj)
		return;
	wipe_secrets(*obj);
	json_object_put(*obj);
}

int conf_parse_json(struct conf_ctx *ctx, const char *text, size_t len, struct wg_config **ret)
{
	const char *source = ctx->source ? ctx->source : "config";
	_cleanup_(tokener_freep) struct json_tokener *tok = NULL;
	_cleanup_(json_putp) struct json_object *root = NULL;
	_cleanup_config_ struct wg_config *cfg = NULL;
	struct conf_where w = {.source = source, .index = -1};
	enum json_tokener_error jerr;
	bool at_end = false;
	const char *nul;
	int r;

	nul = memchr(text, '\0', len);
	if (nul) {
		w.line = line_at(text, (size_t)(nul - text));
		return conf_fail(ctx, &w, "NUL byte in the configuration");
	}
	if (len > INT_MAX)
		return conf_fail(ctx, &w, "too large");
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {
		text += 3;
		len -= 3;
	}
	tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
	if (!tok)
		return json_oom(ctx, source);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue) {
		/* A NUL tells json-c the input ended ("null" or a bare number may be complete). */
		at_end = true;
		root = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
	}
	if (jerr != json_tokener_success) {
		w.line = line_at(text, at_end ? len : json_tokener_get_parse_end(tok));
		if (at_end || jerr == json_tokener_continue || jerr == json_tokener_error_parse_eof)
			return conf_fail(ctx, &w, "JSON syntax error: unexpected end of input");
		return conf_fail(ctx, &w, "JSON syntax error: %s", json_tokener_error_desc(jerr));
	}
	if (!root) /* the text was "null" */
		return conf_fail(ctx, &w, "expected a JSON object at the top level");
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return json_oom(ctx, source);
	r = json_config(ctx, source, root, cfg);
	if (r < 0)
		return r;
	r = conf_finish(ctx, cfg);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(cfg);
	return 0;
}
