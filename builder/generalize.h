/* SPDX-License-Identifier: MIT */
#ifndef WGBAKE_GENERALIZE_H
#define WGBAKE_GENERALIZE_H

#include <stddef.h>

#include <guestfs.h>

/*
 * Turns a configured guest into a template: every operation below is named, documented
 * (`wgbake generalize --list` prints the table, images/README.md explains it) and recorded
 * in the manifest with how many things it removed or changed. Together they cover
 * virt-sysprep's default operations for a Debian/Ubuntu guest, `waagent -deprovision` and
 * `cloud-init clean --logs --seed --machine-id`.
 */
struct gen_op {
	const char *name;
	const char *doc;
	const char *const *globs; /* removed (recursively) when they match */
	int (*fn)(guestfs_h *g, unsigned *count);
};

extern const struct gen_op gen_ops[];
extern const size_t gen_n_ops;

struct gen_result {
	const char *name;
	unsigned count;
	int skipped;
};

/* Pure: is name an operation? */
int gen_op_known(const char *name);

/*
 * Runs every operation not in skip (NULL-terminated or NULL) on a guest mounted read-write
 * at /. results gets gen_n_ops entries. Logs (once) and returns -errno on failure.
 */
int generalize_run(guestfs_h *g, char *const *skip, size_t n_skip, struct gen_result *results);

/* fstrim every mounted filesystem, so the freed blocks become holes. Logs. */
int generalize_trim(guestfs_h *g);

#endif
