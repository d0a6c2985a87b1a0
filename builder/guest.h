/* SPDX-License-Identifier: MIT */
#ifndef WGBAKE_GUEST_H
#define WGBAKE_GUEST_H

#include <stdbool.h>

#include <guestfs.h>

#include "macros.h"

/* libguestfs glue shared by bake, generalize, lint. Every function here logs once. */

struct guest_disk {
	const char *path;
	const char *format; /* always named: "raw", "qcow2", "vpc" */
	bool readonly;
};

/*
 * Creates a handle, adds the disk (discard on, so fstrim makes holes), launches the
 * appliance. KVM or TCG: libguestfs' own choice, or the LIBGUESTFS_BACKEND* environment;
 * when a launch fails and TCG was not forced, it is retried once with force_tcg, and the
 * first failure is reported as the cause.
 */
int guest_launch(const struct guest_disk *disk, bool network, guestfs_h **ret);
/* Inspects: exactly one OS, or an error that says how many. ret_root is freed by caller. */
int guest_inspect(guestfs_h *g, const char *disk, char **ret_root);
/* Mounts the OS's filesystems, shortest mountpoint first. */
int guest_mount(guestfs_h *g, const char *root, bool readonly);
/* Unmounts, shuts down (late write errors show up here), closes. g may be NULL. */
int guest_finish(guestfs_h *g, bool flush);
/* "guestfs: <what>: <last error>", returns -errno (EIO if unknown). */
_printf_(2, 3) int gfs_fail(guestfs_h *g, const char *fmt, ...);
/* Runs a shell command in the guest; stdout in *ret_out (may be NULL). */
int guest_sh(guestfs_h *g, const char *what, const char *cmd, char **ret_out);

#endif
