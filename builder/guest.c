// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
		char *settings[] = {(char *)"force_tcg", NULL};

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

/* The end of what qemu and the appliance printed during the launch: the cause of a failed
 * launch (qemu's "failed to set MSR ...") is there, not in guestfs_last_error(). */
struct launch_log {
	char buf[4096];
	size_t len;
};

static void on_appliance(guestfs_h *g, void *opaque, uint64_t event, int event_handle, int flags,
			 const char *text, size_t len, const uint64_t *array, size_t array_len)
{
	struct launch_log *l = opaque;

	(void)g;
	(void)event;
	(void)event_handle;
	(void)flags;
	(void)array;
	(void)array_len;
	if (len >= sizeof(l->buf)) {
		text += len - (sizeof(l->buf) - 1);
		len = sizeof(l->buf) - 1;
	}
	if (l->len + len >= sizeof(l->buf)) {
		size_t drop = l->len + len - (sizeof(l->buf) - 1);

		memmove(l->buf, l->buf + drop, l->len - drop);
		l->len -= drop;
	}
	memcpy(l->buf + l->len, text, len);
	l->len += len;
	l->buf[l->len] = '\0';
}

/* The most telling line of a failed launch; caller frees. */
static char *launch_cause(guestfs_h *g, const struct launch_log *l)
{
	static const char *const keys[] = {"qemu-system", "kvm", "KVM", "error", "failed"};
	const char *e = guestfs_last_error(g);

	for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
		const char *hit = NULL;

		for (const char *p = l->buf; (p = strstr(p, keys[k])); p++)
			hit = p;
		if (hit) {
			const char *bol = hit, *eol = strchrnul(hit, '\n');

			while (bol > l->buf && bol[-1] != '\n')
				bol--;
			return strndup(bol, (size_t)(eol - bol));
		}
	}
	return e ? strndup(e, strcspn(e, "\n")) : strdup("unknown error");
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
	_cleanup_free_ char *first = NULL, *second = NULL;
	struct launch_log log1 = {.len = 0}, log2 = {.len = 0};
	guestfs_h *g = make_handle(false, network);
	int ev;

	if (!g)
		return log_errno(-ENOMEM, "creating a libguestfs handle");
	ev = guestfs_set_event_callback(g, on_appliance, GUESTFS_EVENT_APPLIANCE, 0, &log1);
	if (try_launch(g, disk) == 0) {
		if (ev >= 0)
			guestfs_delete_event_callback(g, ev);
		*ret = g;
		return 0;
	}
	/* before anything else overwrites the handle's last error */
	first = launch_cause(g, &log1);
	if (tcg_forced(g)) {
		log_error("launching the appliance for '%s' (TCG) failed: %s", disk->path,
			  first ? first : "?");
		guestfs_close(g);
		return -EIO;
	}
	guestfs_close(g);
	log_warn("appliance launch failed (%s); retrying once with TCG (force_tcg)",
		 first ? first : "?");
	g = make_handle(true, network);
	if (!g)
		return log_errno(-ENOMEM, "creating a libguestfs handle");
	ev = guestfs_set_event_callback(g, on_appliance, GUESTFS_EVENT_APPLIANCE, 0, &log2);
	if (try_launch(g, disk) == 0) {
		if (ev >= 0)
			guestfs_delete_event_callback(g, ev);
		*ret = g;
		return 0;
	}
	second = launch_cause(g, &log2);
	log_error("launching the appliance for '%s' failed with KVM (%s) and with TCG (%s)",
		  disk->path, first ? first : "?", second ? second : "?");
	guestfs_close(g);
	return -EIO;
}

void guest_os_free(struct guest_os *os)
{
	if (!os)
		return;
	free(os->root);
	strv_free(os->mounts);
	strv_free(os->filesystems);
	free(os->distro);
	free(os->version);
	free(os->product);
	*os = (struct guest_os){0};
}

char *guest_read_text(guestfs_h *g, const char *path)
{
	size_t len = 0;
	char *s, *t;

	if (guestfs_is_file_opts(g, path, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1, -1) <= 0)
		return NULL;
	s = guestfs_read_file(g, path, &len);
	if (!s)
		return NULL;
	t = realloc(s, len + 1);
	if (!t) {
		free(s);
		return NULL;
	}
	t[len] = '\0';
	return t;
}

/* KEY=value or KEY="value" from an os-release file; caller frees. */
static char *os_release_get(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p;) {
		const char *eol = strchrnul(p, '\n');

		if ((size_t)(eol - p) > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			const char *v = p + klen + 1, *e = eol;

			if (e > v && (*v == '"' || *v == '\'') && e[-1] == *v) {
				v++;
				e--;
			}
			return strndup(v, (size_t)(e - v));
		}
		p = *eol ? eol + 1 : eol;
	}
	return NULL;
}

/* The device an fstab source names, or NULL when we cannot tell. */
static char *resolve_source(guestfs_h *g, const char *src, char *const *fs)
{
	static const char *const disk_prefixes[] = {"/dev/sd", "/dev/vd", "/dev/xvd", "/dev/hd"};

	if (strncmp(src, "UUID=", 5) == 0 || strncmp(src, "/dev/disk/by-uuid/", 18) == 0)
		return guestfs_findfs_uuid(g, src + (src[0] == 'U' ? 5 : 18));
	if (strncmp(src, "LABEL=", 6) == 0 || strncmp(src, "/dev/disk/by-label/", 19) == 0)
		return guestfs_findfs_label(g, src + (src[0] == 'L' ? 6 : 19));
	if (strncmp(src, "PARTUUID=", 9) == 0 || strncmp(src, "/dev/disk/by-partuuid/", 22) == 0) {
		const char *want = src + (src[0] == 'P' ? 9 : 22);

		for (size_t i = 0; fs[i] && fs[i + 1]; i += 2) {
			_cleanup_free_ char *dev = guestfs_part_to_dev(g, fs[i]);
			_cleanup_free_ char *guid = NULL;
			int n;

			if (!dev)
				continue;
			n = guestfs_part_to_partnum(g, fs[i]);
			guid = n > 0 ? guestfs_part_get_gpt_guid(g, dev, n) : NULL;
			if (guid && strcasecmp(guid, want) == 0)
				return strdup(fs[i]);
		}
		return NULL;
	}
	for (size_t i = 0; i < ELEMENTSOF(disk_prefixes); i++) {
		size_t n = strlen(disk_prefixes[i]);

		/* the appliance sees the only disk as /dev/sda */
		if (strncmp(src, disk_prefixes[i], n) == 0 && src[n] == 'a') {
			char *dev;

			if (asprintf(&dev, "/dev/sda%s", src + n + 1) < 0)
				return NULL;
			return dev;
		}
	}
	return NULL;
}

static bool fstab_wants(const char *mp, const char *type, const char *opts)
{
	static const char *const skip[] = {"swap",   "none",	"proc", "sysfs", "tmpfs",
					   "devpts", "nfs",	"nfs4", "cifs",	 "smbfs",
					   "auto",   "iso9660", "udf",	"bind"};

	if (mp[0] != '/' || strstr(opts, "bind"))
		return false;
	for (size_t i = 0; i < ELEMENTSOF(skip); i++)
		if (strcmp(type, skip[i]) == 0)
			return false;
	return true;
}

/* Parses fstab into (mountpoint, device) pairs. -ENOENT when an entry can't be resolved. */
static int mounts_from_fstab(guestfs_h *g, const char *root, const char *fstab, char *const *fs,
			     char ***ret)
{
	_cleanup_free_ char *copy = strdup(fstab);
	char **v = NULL, *line, *save = NULL;
	size_t n = 0;
	bool have_root = false;

	if (!copy)
		return -ENOMEM;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char src[512], mp[512], type[64], opts[512] = "";
		char *dev = NULL, **nv;

		if (line[strspn(line, " \t")] == '#' ||
		    sscanf(line, "%511s %511s %63s %511s", src, mp, type, opts) < 3)
			continue;
		if (!fstab_wants(mp, type, opts))
			continue;
		if (strcmp(mp, "/") == 0) {
			dev = strdup(root);
			have_root = true;
		} else {
			dev = resolve_source(g, src, fs);
		}
		if (!dev) {
			if (strstr(opts, "nofail"))
				continue;
			strv_free(v);
			return -ENOENT;
		}
		nv = realloc(v, (n + 3) * sizeof(*v));
		if (!nv) {
			free(dev);
			strv_free(v);
			return -ENOMEM;
		}
		v = nv;
		v[n] = strdup(mp);
		v[n + 1] = dev;
		v[n + 2] = NULL;
		n += 2;
		if (!v[n - 2]) {
			strv_free(v);
			return -ENOMEM;
		}
	}
	if (!have_root) {
		strv_free(v);
		return -ENOENT;
	}
	*ret = v;
	return 0;
}

/* The quick way. 0: *os filled; -EAGAIN: ask libguestfs; other: error (logged). */
static int quick_inspect(guestfs_h *g, struct guest_os *os)
{
	_cleanup_free_ char *fstab = NULL, *osr = NULL, *root = NULL;
	size_t found = 0;
	int r;

	os->filesystems = guestfs_list_filesystems(g);
	if (!os->filesystems)
		return gfs_fail(g, "listing filesystems");
	for (size_t i = 0; os->filesystems[i] && os->filesystems[i + 1]; i += 2) {
		const char *dev = os->filesystems[i], *type = os->filesystems[i + 1];
		char *t = NULL, *o = NULL;

		if (strcmp(type, "btrfs") == 0 || strncmp(dev, "/dev/sd", 7) != 0)
			return -EAGAIN; /* subvolumes, LVM, md: libguestfs knows them */
		if (strncmp(type, "ext", 3) != 0 && strcmp(type, "xfs") != 0)
			continue;
		if (guestfs_mount_ro(g, dev, "/") < 0)
			continue;
		t = guest_read_text(g, "/etc/fstab");
		o = guest_read_text(g, "/etc/os-release");
		if (!o)
			o = guest_read_text(g, "/usr/lib/os-release");
		(void)guestfs_umount_all(g);
		if (t && o) {
			found++;
			free(fstab);
			free(osr);
			free(root);
			fstab = t;
			osr = o;
			root = strdup(dev);
			if (!root)
				return log_errno(-ENOMEM, "inspection");
		} else {
			free(t);
			free(o);
		}
	}
	if (found != 1)
		return -EAGAIN; /* libguestfs says how many, in its own terms */
	r = mounts_from_fstab(g, root, fstab, os->filesystems, &os->mounts);
	if (r == -ENOMEM)
		return log_errno(r, "inspection");
	if (r < 0)
		return -EAGAIN;
	os->distro = os_release_get(osr, "ID");
	os->version = os_release_get(osr, "VERSION_ID");
	os->product = os_release_get(osr, "PRETTY_NAME");
	os->root = TAKE_PTR(root);
	return 0;
}

int guest_inspect(guestfs_h *g, const char *disk, struct guest_os *ret)
{
	struct guest_os os = {0};
	char **roots, **mps;
	size_t n = 0;
	int r;

	r = quick_inspect(g, &os);
	if (r == 0) {
		*ret = os;
		return 0;
	}
	if (r != -EAGAIN) {
		guest_os_free(&os);
		return r;
	}
	roots = guestfs_inspect_os(g);
	if (!roots) {
		guest_os_free(&os);
		return gfs_fail(g, "inspecting '%s'", disk);
	}
	while (roots[n])
		n++;
	if (n != 1) {
		strv_free(roots);
		guest_os_free(&os);
		log_error("'%s': expected exactly one operating system, found %zu", disk, n);
		return -ENOTSUP;
	}
	os.root = roots[0];
	free(roots);
	os.distro = guestfs_inspect_get_distro(g, os.root);
	os.product = guestfs_inspect_get_product_name(g, os.root);
	if (asprintf(&os.version, "%d.%d", guestfs_inspect_get_major_version(g, os.root),
		     guestfs_inspect_get_minor_version(g, os.root)) < 0)
		os.version = NULL;
	mps = guestfs_inspect_get_mountpoints(g, os.root);
	if (!mps) {
		guest_os_free(&os);
		return gfs_fail(g, "listing the guest's mountpoints");
	}
	os.mounts = mps;
	*ret = os;
	return 0;
}

static int cmp_mp(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;
	size_t lx = strlen(x[0]), ly = strlen(y[0]);

	return lx < ly ? -1 : lx > ly ? 1 : strcmp(x[0], y[0]);
}

int guest_mount(guestfs_h *g, const struct guest_os *os, bool readonly)
{
	char **mps = os->mounts;
	size_t n = 0;
	int r = 0;

	while (mps[n])
		n++;
	/* (mountpoint, device) pairs: shortest mountpoint first, so / comes first */
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
