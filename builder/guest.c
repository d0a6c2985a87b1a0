// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guestfs.h>

#include "log.h"
#include "macros.h"

#include "bakeutil.h"
#include "guest.h"

int gfs_fail(guestfs_h *g, const char *fmt, ...)
{
	const char *e = g ? guestfs_last_error(g) : NULL;
	int err = g ? guestfs_last_errno(g) : 0;
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	log_error("%s: %s", what, e ? e : "libguestfs error");
	return err > 0 ? -err : -EIO;
}

static guestfs_h *make_handle(bool force_tcg, bool network)
{
	guestfs_h *g = guestfs_create_flags(GUESTFS_CREATE_NO_ENVIRONMENT);

	if (!g)
		return NULL;
	guestfs_set_error_handler(g, NULL, NULL);
	/* The environment picks the backend (LIBGUESTFS_BACKEND=direct on CI, _SETTINGS for
	 * TCG); read it on purpose, after turning off the stderr error handler. */
	(void)guestfs_parse_environment(g);
	if (force_tcg) {
		char *settings[] = { (char *)"force_tcg", NULL };

		(void)guestfs_set_backend_settings(g, settings);
	}
	if (network)
		(void)guestfs_set_network(g, 1);
	/* Room for apt and dpkg inside the appliance. */
	(void)guestfs_set_memsize(g, 1024);
	return g;
}

static bool tcg_forced(guestfs_h *g)
{
	char *v = guestfs_get_backend_setting(g, "force_tcg");
	bool forced = v != NULL;

	free(v);
	return forced;
}

static int try_launch(guestfs_h *g, const struct guest_disk *d)
{
	if (guestfs_add_drive_opts(g, d->path, GUESTFS_ADD_DRIVE_OPTS_FORMAT, d->format,
				   GUESTFS_ADD_DRIVE_OPTS_READONLY, d->readonly ? 1 : 0,
				   GUESTFS_ADD_DRIVE_OPTS_DISCARD, "besteffort",
				   GUESTFS_ADD_DRIVE_OPTS_CACHEMODE, "unsafe", -1) < 0)
		return -1;
	return guestfs_launch(g);
}

int guest_launch(const struct guest_disk *disk, bool network, guestfs_h **ret)
{
	_cleanup_free_ char *first = NULL;
	guestfs_h *g = make_handle(false, network);

	if (!g)
		return log_errno(-ENOMEM, "creating a libguestfs handle");
	if (try_launch(g, disk) == 0) {
		*ret = g;
		return 0;
	}
	if (tcg_forced(g)) {
		int r = gfs_fail(g, "launching the appliance for '%s' (TCG)", disk->path);

		guestfs_close(g);
		return r;
	}
	first = strdup(guestfs_last_error(g) ? guestfs_last_error(g) : "unknown error");
	guestfs_close(g);
	log_warn("appliance launch failed (%s); retrying once without KVM (force_tcg)",
		 first ? first : "?");
	g = make_handle(true, network);
	if (!g)
		return log_errno(-ENOMEM, "creating a libguestfs handle");
	if (try_launch(g, disk) == 0) {
		*ret = g;
		return 0;
	}
	log_error("launching the appliance for '%s' failed with KVM (%s) and with TCG (%s)",
		  disk->path, first ? first : "?",
		  guestfs_last_error(g) ? guestfs_last_error(g) : "?");
	guestfs_close(g);
	return -EIO;
}

int guest_inspect(guestfs_h *g, const char *disk, char **ret_root)
{
	char **roots = guestfs_inspect_os(g);
	size_t n = 0;

	if (!roots)
		return gfs_fail(g, "inspecting '%s'", disk);
	while (roots[n])
		n++;
	if (n != 1) {
		strv_free(roots);
		log_error("'%s': expected exactly one operating system, found %zu", disk, n);
		return -ENOTSUP;
	}
	*ret_root = roots[0];
	free(roots);
	return 0;
}

static int cmp_mp(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;
	size_t lx = strlen(x[0]), ly = strlen(y[0]);

	return lx < ly ? -1 : lx > ly ? 1 : strcmp(x[0], y[0]);
}

int guest_mount(guestfs_h *g, const char *root, bool readonly)
{
	char **mps = guestfs_inspect_get_mountpoints(g, root);
	size_t n = 0;
	int r = 0;

	if (!mps)
		return gfs_fail(g, "listing the guest's mountpoints");
	while (mps[n])
		n++;
	/* pairs of (mountpoint, device): sort by mountpoint length so / comes first */
	qsort(mps, n / 2, 2 * sizeof(char *), cmp_mp);
	for (size_t i = 0; i + 1 < n; i += 2) {
		int q = readonly ? guestfs_mount_ro(g, mps[i + 1], mps[i])
				 : guestfs_mount(g, mps[i + 1], mps[i]);

		if (q < 0) {
			/* /boot/efi and friends may be missing from a broken fstab; / may not */
			if (strcmp(mps[i], "/") == 0) {
				r = gfs_fail(g, "mounting '%s' on /", mps[i + 1]);
				break;
			}
			log_warn("cannot mount '%s' on '%s': %s", mps[i + 1], mps[i],
				 guestfs_last_error(g));
		}
	}
	strv_free(mps);
	return r;
}

int guest_finish(guestfs_h *g, bool flush)
{
	int r = 0;

	if (!g)
		return 0;
	if (flush && (guestfs_umount_all(g) < 0 || guestfs_shutdown(g) < 0))
		r = gfs_fail(g, "flushing the image");
	guestfs_close(g);
	return r;
}

#define GUEST_LOG "/var/tmp/.wgbake-cmd.log"

int guest_sh(guestfs_h *g, const char *what, const char *cmd, char **ret_out)
{
	_cleanup_free_ char *wrapped = NULL;
	char *out;

	/* Without a caller for the output, keep it in a log and show only its end when the
	 * command fails (libguestfs puts stderr, not stdout, in the error). */
	if (!ret_out && asprintf(&wrapped,
				 "( %s ) >" GUEST_LOG " 2>&1; rc=$?; "
				 "[ $rc -eq 0 ] || tail -n 15 " GUEST_LOG " >&2; "
				 "rm -f " GUEST_LOG "; exit $rc",
				 cmd) < 0)
		return log_errno(-ENOMEM, "%s", what);
	out = guestfs_sh(g, wrapped ? wrapped : cmd);

	if (!out)
		return gfs_fail(g, "%s", what);
	if (ret_out)
		*ret_out = out;
	else
		free(out);
	return 0;
}
