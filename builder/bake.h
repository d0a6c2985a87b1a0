/* SPDX-License-Identifier: MIT */
#ifndef WGBAKE_BAKE_H
#define WGBAKE_BAKE_H

#include <stdbool.h>
#include <stdint.h>

#include "bakeutil.h"
#include "generalize.h"
#include "lint.h"
#include "spec.h"

#define BAKE_MAX_OPS 32

struct bake_opts {
	const struct spec *spec;
	const char *disk;	  /* the copy-on-write overlay (qcow2) to bake */
	const char *agent_binary; /* resolved host paths */
	const char *agent_unit;
	bool generalize;
	bool verbose;
};

struct bake_result {
	char *distro;  /* libguestfs inspection: "debian", "ubuntu" */
	char *version; /* "12.0", "22.4" */
	char *product; /* "Debian GNU/Linux 12 (bookworm)" */
	char *agent_version;
	struct pkg_list before, after;
	struct pkg_change *changes; /* what updates and installs changed (points into lists) */
	size_t n_changes;
	bool updated;
	struct gen_result ops[BAKE_MAX_OPS];
	size_t n_ops;
	struct lint_item lint[LINT_N];
	int lint_failed;
	uint64_t resized_from, resized_to;
	/* seconds per step */
	double t_launch, t_packages, t_agent, t_generalize, t_trim, t_total;
};

/*
 * Makes the copy-on-write overlay that bake works on: qcow2 over the base, with the
 * base's format named (never probed). size 0 keeps the base's size. Logs.
 */
int bake_overlay_create(const char *base, const char *base_format, uint64_t size,
			const char *overlay);

/* Everything in ONE appliance launch: resize, inspect, packages, updates, agent, module,
 * files, generalize, lint, trim. Logs; on failure the overlay is not finished. */
int bake_run(const struct bake_opts *o, struct bake_result *ret);
void bake_result_free(struct bake_result *r);

#endif
