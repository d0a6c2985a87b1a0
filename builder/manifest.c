// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "manifest.h"

/* lint_print() and lint_to_json() live here, away from libguestfs, for the unit tests. */
void lint_print(const struct lint_item items[LINT_N], FILE *f)
{
	for (size_t i = 0; i < LINT_N; i++)
		fprintf(f, "%s %s: %s\n", items[i].ok ? "ok  " : "FAIL", items[i].name,
			items[i].detail);
}

struct json_object *lint_to_json(const struct lint_item items[LINT_N])
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; a && i < LINT_N; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "check", json_object_new_string(items[i].name));
		json_object_object_add(o, "ok", json_object_new_boolean(items[i].ok));
		json_object_object_add(o, "detail", json_object_new_string(items[i].detail));
		json_object_array_add(a, o);
	}
	return a;
}

int manifest_build_time(const char *sde, time_t now, time_t *ret)
{
	char *end;
	long long v;

	if (!sde || !*sde) {
		*ret = now;
		return 0;
	}
	errno = 0;
	v = strtoll(sde, &end, 10);
	if (*end || errno || v < 0 || sde[0] < '0' || sde[0] > '9')
		return -EINVAL;
	*ret = (time_t)v;
	return 0;
}

const char *manifest_format_time(time_t t, char buf[static 21])
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm))
		strcpy(buf, "1970-01-01T00:00:00Z");
	return buf;
}

static struct json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static void add(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

struct json_object *manifest_build(const struct manifest_in *in)
{
	struct json_object *m = json_object_new_object(), *o, *a;
	char when[21];

	if (!m)
		return NULL;
	add(m, "manifest_version", json_object_new_int(1));
	add(m, "wgbake_version", str_or_null(in->wgbake_version));
	add(m, "build_time", json_object_new_string(manifest_format_time(in->build_time, when)));
	add(m, "spec", in->spec ? json_object_get(in->spec) : NULL);
	add(m, "spec_sha256", str_or_null(in->spec_sha256));

	o = json_object_new_object();
	add(o, "source", str_or_null(in->base_source));
	add(o, "sha256", str_or_null(in->base_sha256));
	add(o, "format", str_or_null(in->base_format));
	add(m, "base", o);

	o = json_object_new_object();
	add(o, "product", str_or_null(in->os_product));
	add(o, "version", str_or_null(in->os_version));
	add(m, "os", o);

	add(m, "agent_version", str_or_null(in->agent_version));

	o = json_object_new_object();
	for (size_t i = 0; in->packages && i < in->packages->n; i++)
		add(o, in->packages->v[i].name, json_object_new_string(in->packages->v[i].version));
	add(m, "packages", o);

	o = json_object_new_object();
	add(o, "applied", json_object_new_boolean(in->updated));
	a = json_object_new_array();
	for (size_t i = 0; i < in->n_changes; i++) {
		struct json_object *c = json_object_new_object();

		add(c, "package", json_object_new_string(in->changes[i].name));
		add(c, "from", str_or_null(in->changes[i].from));
		add(c, "to", str_or_null(in->changes[i].to));
		json_object_array_add(a, c);
	}
	add(o, "changes", a);
	add(m, "package_changes", o);

	a = json_object_new_array();
	for (size_t i = 0; i < in->n_ops; i++) {
		struct json_object *c = json_object_new_object();

		add(c, "operation", json_object_new_string(in->ops[i].name));
		add(c, "skipped", json_object_new_boolean(in->ops[i].skipped));
		add(c, "changed", json_object_new_int64(in->ops[i].count));
		json_object_array_add(a, c);
	}
	add(m, "operations", a);

	add(m, "azure_readiness", in->lint ? lint_to_json(in->lint) : NULL);

	a = json_object_new_array();
	for (size_t i = 0; i < in->n_outputs; i++) {
		const struct manifest_output *out = &in->outputs[i];
		struct json_object *c = json_object_new_object();

		add(c, "format", json_object_new_string(out->format));
		add(c, "file", json_object_new_string(out->path));
		add(c, "sha256", str_or_null(out->sha256));
		add(c, "virtual_size", json_object_new_int64((int64_t)out->virtual_size));
		add(c, "allocated", json_object_new_int64((int64_t)out->allocated));
		json_object_array_add(a, c);
	}
	add(m, "outputs", a);
	return m;
}
