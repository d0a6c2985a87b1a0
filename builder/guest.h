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
/* What inspection found: the one OS on the disk. */
struct guest_os {
	char *root;	    /* its root filesystem's device */
	char **mounts;	    /* (mountpoint, device) pairs, NULL-terminated */
	char **filesystems; /* list_filesystems(): (device, type) pairs, for lint */
	char *distro;	    /* os-release ID: "debian", "ubuntu" */
	char *version;	    /* VERSION_ID: "12", "22.04" */
	char *product;	    /* PRETTY_NAME */
};

/*
 * Finds exactly one OS (else an error that says how many). The quick way first: mount each
 * Linux filesystem, look for /etc/fstab and os-release, resolve the fstab's UUID=, LABEL=,
 * PARTUUID= and /dev names. Anything it cannot settle (LVM, btrfs subvolumes, no fstab, an
 * unresolvable entry) goes to libguestfs' full inspection, which is several times slower
 * under TCG.
 */
int guest_inspect(guestfs_h *g, const char *disk, struct guest_os *ret);
void guest_os_free(struct guest_os *os);
/* Mounts the OS's filesystems, shortest mountpoint first. */
int guest_mount(guestfs_h *g, const struct guest_os *os, bool readonly);
/* Unmounts, shuts down (late write errors show up here), closes. g may be NULL. */
int guest_finish(guestfs_h *g, bool flush);
/* "guestfs: <what>: <last error>", returns -errno (EIO if unknown). */
_printf_(2, 3) int gfs_fail(guestfs_h *g, const char *fmt, ...);
/* Runs a shell command in the guest; stdout in *ret_out (may be NULL). */
/* A file's text, NUL-terminated; NULL when it is missing or not a regular file. Logs nothing. */
char *guest_read_text(guestfs_h *g, const char *path);

int guest_sh(guestfs_h *g, const char *what, const char *cmd, char **ret_out);

#endif
