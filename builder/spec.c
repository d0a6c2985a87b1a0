// SPDX-License-Identifier: MIT
/* Image spec parsing: every field checked, unknown fields and wrong types named. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "macros.h"

#include "spec.h"

#define SPEC_MAX_SIZE (1024 * 1024)

struct ctx {
	char *err;
	size_t err_len;
};

_printf_(2, 3) static int fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->err_len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *type_name(enum json_type t)
{
	switch (t) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
	case json_type_int:
		return "a number";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	}
	return "?";
}

static void field_name(char *buf, size_t len, const char *where, const char *key)
{
	if (where && *where)
		snprintf(buf, len, "%s.%s", where, key);
	else
		snprintf(buf, len, "%s", key);
}

/* Every key of o must be in known (NULL-terminated). */
static int check_keys(struct ctx *c, struct json_object *o, const char *where,
		      const char *const *known)
{
	json_object_object_foreach(o, key, val)
	{
		bool ok = false;

		(void)val;
		for (size_t i = 0; known[i]; i++)
			if (strcmp(key, known[i]) == 0)
				ok = true;
		if (!ok)
			return where && *where ? fail(c, "%s: unknown field '%s'", where, key)
					       : fail(c, "unknown field '%s'", key);
	}
	return 0;
}

static int get(struct ctx *c, struct json_object *o, const char *where, const char *key,
	       enum json_type type, bool required, struct json_object **ret)
{
	struct json_object *v = NULL;
	char name[256];

	field_name(name, sizeof(name), where, key);
	if (!json_object_object_get_ex(o, key, &v) || !v) {
		*ret = NULL;
		return required ? fail(c, "%s: missing (required)", name) : 0;
	}
	if (json_object_get_type(v) != type)
		return fail(c, "%s: expected %s, got %s", name, type_name(type),
			    type_name(json_object_get_type(v)));
	*ret = v;
	return 0;
}

static int get_string(struct ctx *c, struct json_object *o, const char *where, const char *key,
		      bool required, char **ret)
{
	struct json_object *v;
	char name[256];
	int r;

	r = get(c, o, where, key, json_type_string, required, &v);
	if (r < 0 || !v)
		return r;
	field_name(name, sizeof(name), where, key);
	if (json_object_get_string_len(v) == 0)
		return fail(c, "%s: must not be empty", name);
	if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
		return fail(c, "%s: contains a NUL byte", name);
	*ret = strdup(json_object_get_string(v));
	return *ret ? 0 : -ENOMEM;
}

static int get_bool(struct ctx *c, struct json_object *o, const char *where, const char *key,
		    bool *ret)
{
	struct json_object *v;
	int r;

	r = get(c, o, where, key, json_type_boolean, false, &v);
	if (r < 0 || !v)
		return r;
	*ret = json_object_get_boolean(v);
	return 0;
}

static void strv_free_n(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int get_strings(struct ctx *c, struct json_object *o, const char *where, const char *key,
		       char ***ret, size_t *ret_n)
{
	struct json_object *v;
	char name[256];
	char **list;
	size_t n;
	int r;

	r = get(c, o, where, key, json_type_array, false, &v);
	if (r < 0 || !v)
		return r;
	field_name(name, sizeof(name), where, key);
	n = json_object_array_length(v);
	list = calloc(n + 1, sizeof(*list));
	if (!list)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);

		if (json_object_get_type(e) != json_type_string || !json_object_get_string_len(e)) {
			strv_free_n(list, i);
			return fail(c, "%s[%zu]: expected a non-empty string, got %s", name, i,
				    json_object_get_type(e) == json_type_string
					    ? "an empty string"
					    : type_name(json_object_get_type(e)));
		}
		list[i] = strdup(json_object_get_string(e));
		if (!list[i]) {
			strv_free_n(list, i);
			return -ENOMEM;
		}
	}
	strv_free_n(*ret, *ret_n);
	*ret = list;
	*ret_n = n;
	return 0;
}

int spec_parse_size(const char *s, uint64_t *ret)
{
	static const struct {
		const char *suffix;
		unsigned shift;
	} units[] = {
		{"", 0},     {"B", 0},	{"K", 10},   {"KiB", 10}, {"M", 20},
		{"MiB", 20}, {"G", 30}, {"GiB", 30}, {"T", 40},	  {"TiB", 40},
	};
	uint64_t v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	for (size_t i = 0; i < ELEMENTSOF(units); i++) {
		if (strcmp(p, units[i].suffix) != 0)
			continue;
		if (units[i].shift && v > (UINT64_MAX >> units[i].shift))
			return -EINVAL;
		*ret = v << units[i].shift;
		return 0;
	}
	return -EINVAL;
}

static bool is_sha256_hex(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 64;
}

static int parse_base(struct ctx *c, struct json_object *o, struct spec *s)
{
	static const char *const known[] = {"url", "path", "sha256", "notes", NULL};
	int r;

	r = check_keys(c, o, "base", known);
	if (r == 0)
		r = get_string(c, o, "base", "url", false, &s->base_url);
	if (r == 0)
		r = get_string(c, o, "base", "path", false, &s->base_path);
	if (r == 0)
		r = get_string(c, o, "base", "sha256", false, &s->base_sha256);
	if (r == 0)
		r = get_string(c, o, "base", "notes", false, &s->base_notes);
	if (r < 0)
		return r;
	if (!!s->base_url == !!s->base_path)
		return fail(c, "base: give exactly one of 'url' and 'path'");
	if (s->base_url && strncmp(s->base_url, "https://", 8) != 0 &&
	    strncmp(s->base_url, "http://", 7) != 0 && strncmp(s->base_url, "file://", 7) != 0)
		return fail(c, "base.url: must start with https://, http:// or file://");
	if (s->base_url && !s->base_sha256)
		return fail(c, "base.sha256: missing (required with base.url)");
	if (s->base_sha256 && !is_sha256_hex(s->base_sha256))
		return fail(c, "base.sha256: expected 64 lowercase hex digits");
	return 0;
}

static int parse_packages(struct ctx *c, struct json_object *o, struct spec *s)
{
	static const char *const known[] = {"apt", "debs", "updates", NULL};
	int r;

	r = check_keys(c, o, "packages", known);
	if (r == 0)
		r = get_strings(c, o, "packages", "apt", &s->apt, &s->n_apt);
	if (r == 0)
		r = get_strings(c, o, "packages", "debs", &s->debs, &s->n_debs);
	if (r == 0)
		r = get_bool(c, o, "packages", "updates", &s->updates);
	if (r < 0)
		return r;
	for (size_t i = 0; i < s->n_apt; i++)
		if (strspn(s->apt[i], "abcdefghijklmnopqrstuvwxyz0123456789+-.:=~") !=
		    strlen(s->apt[i]))
			return fail(c, "packages.apt[%zu]: '%s' is not a package name", i,
				    s->apt[i]);
	for (size_t i = 0; i < s->n_debs; i++) {
		size_t n = strlen(s->debs[i]);

		if (n < 5 || strcmp(s->debs[i] + n - 4, ".deb") != 0)
			return fail(c, "packages.debs[%zu]: '%s' does not end in .deb", i,
				    s->debs[i]);
	}
	return 0;
}

static int parse_agent(struct ctx *c, struct json_object *o, struct spec *s)
{
	static const char *const known[] = {"binary",	   "unit",    "config",
					    "config_dest", "modules", NULL};
	int r;

	r = check_keys(c, o, "agent", known);
	if (r == 0)
		r = get_string(c, o, "agent", "binary", false, &s->agent_binary);
	if (r == 0)
		r = get_string(c, o, "agent", "unit", false, &s->agent_unit);
	if (r == 0)
		r = get_string(c, o, "agent", "config", false, &s->agent_config);
	if (r == 0)
		r = get_string(c, o, "agent", "config_dest", false, &s->agent_config_dest);
	if (r == 0)
		r = get_strings(c, o, "agent", "modules", &s->modules, &s->n_modules);
	if (r < 0)
		return r;
	if (s->agent_config_dest && s->agent_config_dest[0] != '/')
		return fail(c, "agent.config_dest: must be an absolute path");
	for (size_t i = 0; i < s->n_modules; i++)
		if (strspn(s->modules[i], "abcdefghijklmnopqrstuvwxyz0123456789_-") !=
		    strlen(s->modules[i]))
			return fail(c, "agent.modules[%zu]: '%s' is not a module name", i,
				    s->modules[i]);
	return 0;
}

static int parse_mode(struct ctx *c, struct json_object *v, const char *name, unsigned *ret)
{
	const char *str;
	char *end;
	unsigned long m;

	if (json_object_get_type(v) != json_type_string)
		return fail(c, "%s: expected a string of octal digits like \"0644\", got %s", name,
			    type_name(json_object_get_type(v)));
	str = json_object_get_string(v);
	errno = 0;
	m = strtoul(str, &end, 8);
	if (!*str || *end || errno || m > 07777)
		return fail(c, "%s: '%s' is not an octal mode like \"0644\"", name, str);
	*ret = (unsigned)m;
	return 0;
}

static int parse_files(struct ctx *c, struct json_object *a, struct spec *s)
{
	static const char *const known[] = {"path", "source", "content", "mode", NULL};
	size_t n = json_object_array_length(a);

	s->files = calloc(n ? n : 1, sizeof(*s->files));
	if (!s->files)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(a, i), *m;
		struct spec_file *f = &s->files[i];
		char where[64], name[80];
		int r;

		snprintf(where, sizeof(where), "files[%zu]", i);
		if (json_object_get_type(e) != json_type_object)
			return fail(c, "%s: expected an object, got %s", where,
				    type_name(json_object_get_type(e)));
		s->n_files = i + 1;
		f->mode = 0644;
		r = check_keys(c, e, where, known);
		if (r == 0)
			r = get_string(c, e, where, "path", true, &f->path);
		if (r == 0)
			r = get_string(c, e, where, "source", false, &f->source);
		if (r == 0 && json_object_object_get_ex(e, "content", &m)) {
			if (json_object_get_type(m) != json_type_string)
				return fail(c, "%s.content: expected a string, got %s", where,
					    type_name(json_object_get_type(m)));
			f->content = strdup(json_object_get_string(m));
			if (!f->content)
				return -ENOMEM;
		}
		if (r == 0 && json_object_object_get_ex(e, "mode", &m)) {
			snprintf(name, sizeof(name), "%s.mode", where);
			r = parse_mode(c, m, name, &f->mode);
		}
		if (r < 0)
			return r;
		if (f->path[0] != '/' || strstr(f->path, "/../") ||
		    strcmp(f->path + strlen(f->path) - 1, "/") == 0)
			return fail(c, "%s.path: '%s' must be an absolute file path", where,
				    f->path);
		if (!!f->source == !!f->content)
			return fail(c, "%s: give exactly one of 'source' and 'content'", where);
	}
	return 0;
}

static int parse_outputs(struct ctx *c, struct json_object *o, struct spec *s)
{
	_cleanup_free_ char **list = NULL;
	size_t n = 0;
	int r;

	r = get_strings(c, o, "", "outputs", &list, &n);
	if (r < 0 || !list)
		return r;
	s->outputs = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i], "raw") == 0)
			s->outputs |= SPEC_OUT_RAW;
		else if (strcmp(list[i], "qcow2") == 0)
			s->outputs |= SPEC_OUT_QCOW2;
		else if (strcmp(list[i], "vhd") == 0)
			s->outputs |= SPEC_OUT_VHD;
		else
			r = fail(c, "outputs[%zu]: '%s' is not one of raw, qcow2, vhd", i, list[i]);
		free(list[i]);
	}
	if (r == 0 && s->outputs == 0)
		r = fail(c, "outputs: must name at least one format");
	return r;
}

static int parse_gallery(struct ctx *c, struct json_object *o, struct spec *s)
{
	static const char *const known[] = {
		"subscription_id", "resource_group", "gallery", "image_definition",
		"publisher",	   "offer",	     "sku",	"hyper_v_generation",
		"architecture",	   "version",	     "regions", NULL};
	struct spec_gallery *g = &s->gallery;
	const char *w = "gallery";
	int r;

	r = check_keys(c, o, w, known);
	if (r == 0)
		r = get_string(c, o, w, "subscription_id", false, &g->subscription_id);
	if (r == 0)
		r = get_string(c, o, w, "resource_group", false, &g->resource_group);
	if (r == 0)
		r = get_string(c, o, w, "gallery", false, &g->gallery);
	if (r == 0)
		r = get_string(c, o, w, "image_definition", false, &g->image_definition);
	if (r == 0)
		r = get_string(c, o, w, "publisher", false, &g->publisher);
	if (r == 0)
		r = get_string(c, o, w, "offer", false, &g->offer);
	if (r == 0)
		r = get_string(c, o, w, "sku", false, &g->sku);
	if (r == 0)
		r = get_string(c, o, w, "hyper_v_generation", false, &g->hyper_v_generation);
	if (r == 0)
		r = get_string(c, o, w, "architecture", false, &g->architecture);
	if (r == 0)
		r = get_string(c, o, w, "version", false, &g->version);
	if (r == 0)
		r = get_strings(c, o, w, "regions", &g->regions, &g->n_regions);
	if (r < 0)
		return r;
	if (g->hyper_v_generation && strcmp(g->hyper_v_generation, "V1") != 0 &&
	    strcmp(g->hyper_v_generation, "V2") != 0)
		return fail(c, "gallery.hyper_v_generation: '%s' is not V1 or V2",
			    g->hyper_v_generation);
	if (g->architecture && strcmp(g->architecture, "x64") != 0 &&
	    strcmp(g->architecture, "Arm64") != 0)
		return fail(c, "gallery.architecture: '%s' is not x64 or Arm64", g->architecture);
	return 0;
}

static int set_defaults(struct spec *s)
{
	if (!s->agent_config_dest) {
		s->agent_config_dest = strdup("/etc/wgagent/wg0.conf");
		if (!s->agent_config_dest)
			return -ENOMEM;
	}
	if (!s->modules) {
		s->modules = calloc(2, sizeof(char *));
		if (!s->modules)
			return -ENOMEM;
		s->modules[0] = strdup("wireguard");
		if (!s->modules[0])
			return -ENOMEM;
		s->n_modules = 1;
	}
	return 0;
}

int spec_parse(const char *text, size_t len, const char *dir, struct spec *ret, char *err,
	       size_t err_len)
{
	static const char *const known[] = {
		"$schema",     "name",	   "description", "os",	   "release", "base",
		"disk_size",   "packages", "agent",	  "files", "outputs", "generalize_skip",
		"lint_strict", "gallery",  NULL};
	struct ctx c = {.err = err, .err_len = err_len};
	struct json_tokener *tok;
	struct json_object *root, *o;
	struct spec s = {.updates = false, .outputs = SPEC_OUT_QCOW2, .lint_strict = true};
	char *size = NULL;
	int r;

	if (err_len)
		err[0] = '\0';
	if (len > SPEC_MAX_SIZE)
		return fail(&c, "larger than %d bytes", SPEC_MAX_SIZE);
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (!root || json_tokener_get_parse_end(tok) < len) {
		enum json_tokener_error e = json_tokener_get_error(tok);
		size_t at = json_tokener_get_parse_end(tok);
		size_t line = 1;

		for (size_t i = 0; i < at && i < len; i++)
			line += text[i] == '\n';
		json_tokener_free(tok);
		json_object_put(root);
		return fail(&c, "line %zu: invalid JSON: %s", line,
			    root ? "trailing data" : json_tokener_error_desc(e));
	}
	json_tokener_free(tok);
	s.json = root;
	if (json_object_get_type(root) != json_type_object) {
		r = fail(&c, "expected a JSON object at the top");
		goto out;
	}
	r = check_keys(&c, root, "", known);
	if (r == 0)
		r = get_string(&c, root, "", "name", true, &s.name);
	if (r == 0)
		r = get_string(&c, root, "", "description", false, &s.description);
	if (r == 0)
		r = get_string(&c, root, "", "os", true, &s.os);
	if (r == 0)
		r = get_string(&c, root, "", "release", false, &s.release);
	if (r == 0 && strcmp(s.os, "debian") != 0 && strcmp(s.os, "ubuntu") != 0)
		r = fail(&c, "os: '%s' is not debian or ubuntu", s.os);
	if (r == 0 && strspn(s.name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "0123456789._-") != strlen(s.name))
		r = fail(&c, "name: '%s' may only hold letters, digits, '.', '_' and '-'", s.name);
	if (r == 0)
		r = get(&c, root, "", "base", json_type_object, true, &o);
	if (r == 0)
		r = parse_base(&c, o, &s);
	if (r == 0)
		r = get_string(&c, root, "", "disk_size", false, &size);
	if (r == 0 && size &&
	    (spec_parse_size(size, &s.disk_size) < 0 || s.disk_size == 0 || s.disk_size % 512))
		r = fail(&c, "disk_size: '%s' is not a size like \"8G\" or \"2048M\"", size);
	if (r == 0)
		r = get(&c, root, "", "packages", json_type_object, false, &o);
	if (r == 0 && o)
		r = parse_packages(&c, o, &s);
	if (r == 0)
		r = get(&c, root, "", "agent", json_type_object, false, &o);
	if (r == 0 && o)
		r = parse_agent(&c, o, &s);
	if (r == 0)
		r = get(&c, root, "", "files", json_type_array, false, &o);
	if (r == 0 && o)
		r = parse_files(&c, o, &s);
	if (r == 0)
		r = parse_outputs(&c, root, &s);
	if (r == 0)
		r = get_strings(&c, root, "", "generalize_skip", &s.generalize_skip,
				&s.n_generalize_skip);
	if (r == 0)
		r = get_bool(&c, root, "", "lint_strict", &s.lint_strict);
	if (r == 0)
		r = get(&c, root, "", "gallery", json_type_object, false, &o);
	if (r == 0 && o)
		r = parse_gallery(&c, o, &s);
	if (r == 0)
		r = set_defaults(&s);
	if (r == 0) {
		s.dir = strdup(dir ? dir : ".");
		if (!s.dir)
			r = -ENOMEM;
	}
out:
	free(size);
	if (r < 0) {
		if (r == -ENOMEM)
			snprintf(err, err_len, "out of memory");
		spec_free(&s);
		return r;
	}
	*ret = s;
	return 0;
}

int spec_load(const char *path, struct spec *ret, char *err, size_t err_len)
{
	_cleanup_free_ char *buf = NULL, *dir = NULL;
	_cleanup_close_ int fd = -1;
	char msg[512];
	struct stat st;
	size_t len = 0;
	char *slash;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(err, err_len, "%s: %s", path, strerror(-r));
		return r;
	}
	if (st.st_size > SPEC_MAX_SIZE) {
		snprintf(err, err_len, "%s: larger than %d bytes", path, SPEC_MAX_SIZE);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			snprintf(err, err_len, "%s: %s", path, strerror(-r));
			return r;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		strcpy(dir, ".");
	r = spec_parse(buf, len, dir, ret, msg, sizeof(msg));
	if (r < 0)
		snprintf(err, err_len, "%s: %s", path, msg);
	return r;
}

void spec_free(struct spec *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->description);
	free(s->os);
	free(s->release);
	free(s->base_url);
	free(s->base_path);
	free(s->base_sha256);
	free(s->base_notes);
	strv_free_n(s->apt, s->n_apt);
	strv_free_n(s->debs, s->n_debs);
	free(s->agent_binary);
	free(s->agent_unit);
	free(s->agent_config);
	free(s->agent_config_dest);
	strv_free_n(s->modules, s->n_modules);
	for (size_t i = 0; i < s->n_files; i++) {
		free(s->files[i].path);
		free(s->files[i].source);
		free(s->files[i].content);
	}
	free(s->files);
	strv_free_n(s->generalize_skip, s->n_generalize_skip);
	free(s->gallery.subscription_id);
	free(s->gallery.resource_group);
	free(s->gallery.gallery);
	free(s->gallery.image_definition);
	free(s->gallery.publisher);
	free(s->gallery.offer);
	free(s->gallery.sku);
	free(s->gallery.hyper_v_generation);
	free(s->gallery.architecture);
	free(s->gallery.version);
	strv_free_n(s->gallery.regions, s->gallery.n_regions);
	free(s->dir);
	json_object_put(s->json);
	*s = (struct spec){0};
}

char *spec_path(const struct spec *s, const char *path)
{
	char *r;

	if (path[0] == '/')
		return strdup(path);
	if (asprintf(&r, "%s/%s", s->dir ? s->dir : ".", path) < 0)
		return NULL;
	return r;
}
