/* SPDX-License-Identifier: MIT */
#ifndef WGBAKE_MANIFEST_H
#define WGBAKE_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <json-c/json.h>

#include "bakeutil.h"
#include "generalize.h"
#include "lint.h"

/* Everything the manifest says, gathered by `wgbake build`. */
struct manifest_output {
	const char *format; /* "raw", "qcow2", "vhd" */
	const char *path;   /* file name, relative to the manifest */
	const char *sha256;
	uint64_t virtual_size;
	uint64_t allocated;
};

struct manifest_in {
	struct json_object *spec; /* the spec document as given */
	const char *spec_sha256;
	const char *base_source; /* URL or path */
	const char *base_sha256;
	const char *base_format;
	const char *os_product;
	const char *os_version;
	const struct pkg_list *packages;
	const struct pkg_change *changes;
	size_t n_changes;
	int updated;
	const char *agent_version;
	const char *wgbake_version;
	const struct gen_result *ops;
	size_t n_ops;
	const struct lint_item *lint; /* LINT_N of them, or NULL */
	const struct manifest_output *outputs;
	size_t n_outputs;
	time_t build_time;
};

/* Pure: the manifest document. NULL on OOM. */
struct json_object *manifest_build(const struct manifest_in *in);

/* Pure: SOURCE_DATE_EPOCH's value when set and valid (decimal seconds), else now.
 * -EINVAL for a set but malformed value. */
int manifest_build_time(const char *source_date_epoch, time_t now, time_t *ret);
/* Pure: "2026-11-27T11:05:11Z"; buf needs 21 bytes. */
const char *manifest_format_time(time_t t, char buf[static 21]);

#endif
