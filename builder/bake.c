// SPDX-License-Identifier: MIT
/* The bake: one libguestfs appliance launch turns a base image into a golden image. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <guestfs.h>

#include "log.h"
#include "macros.h"

#include "bake.h"
#include "guest.h"
#include "proc.h"

#define DEB_DIR "/var/tmp/wgbake-debs"
#define POLICY_RC_D "/usr/sbin/policy-rc.d"
#define APT_ENV                                                                                    \
	"export DEBIAN_FRONTEND=noninteractive LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin; "
#define APT_OPTS "-y -q -o Dpkg::Options::=--force-confold -o Dpkg::Options::=--force-confdef "
#define DPKG_LIST "dpkg-query -W -f '${Package}\\t${Version}\\t${db:Status-Abbrev}\\n'"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int bake_overlay_create(const char *base, const char *base_format, uint64_t size,
			const char *overlay)
{
	_cleanup_free_ char *abs = realpath(base, NULL);
	char sz[32];
	char *argv[] = {(char *)"qemu-img",  (char *)"create", (char *)"-q",
			(char *)"-f",	     (char *)"qcow2",  (char *)"-F",
			(char *)base_format, (char *)"-b",     abs,
			(char *)overlay,     size ? sz : NULL, NULL};

	if (!abs)
		return log_errno(-errno, "base image '%s'", base);
	snprintf(sz, sizeof(sz), "%" PRIu64, size);
	return proc_run("creating the copy-on-write overlay", argv, NULL);
}

/* Shell-quotes s into a new string: 'it'\''s'. */
static char *shell_quote(const char *s)
{
	size_t n = 3;
	char *q, *o;

	for (const char *p = s; *p; p++)
		n += *p == '\'' ? 4 : 1;
	q = malloc(n);
	if (!q)
		return NULL;
	o = q;
	*o++ = '\'';
	for (const char *p = s; *p; p++) {
		if (*p == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *p;
		}
	}
	*o++ = '\'';
	*o = '\0';
	return q;
}

static int mkdir_parents(guestfs_h *g, const char *path)
{
	_cleanup_free_ char *dir = strdup(path);
	char *slash;

	if (!dir)
		return log_errno(-ENOMEM, "bake");
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (guestfs_mkdir_p(g, dir) < 0)
		return gfs_fail(g, "creating '%s' in the guest", dir);
	return 0;
}

static int put_file(guestfs_h *g, const char *local, const char *remote, int mode)
{
	int r = mkdir_parents(g, remote);

	if (r < 0)
		return r;
	if (guestfs_upload(g, local, remote) < 0)
		return gfs_fail(g, "copying '%s' to '%s' in the guest", local, remote);
	if (guestfs_chmod(g, mode, remote) < 0)
		return gfs_fail(g, "chmod '%s'", remote);
	return 0;
}

static int read_local(const char *path, char **ret)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, len = 0;

	if (!f)
		return log_errno(-errno, "cannot open '%s'", path);
	for (;;) {
		size_t n;

		if (len + 4097 > cap) {
			char *b = realloc(buf, cap + 65536);

			if (!b) {
				free(buf);
				return log_errno(-ENOMEM, "reading '%s'", path);
			}
			buf = b;
			cap += 65536;
		}
		n = fread(buf + len, 1, 4096, f);
		len += n;
		if (n < 4096)
			break;
	}
	if (ferror(f)) {
		free(buf);
		return log_errno(-EIO, "reading '%s'", path);
	}
	buf[len] = '\0';
	*ret = buf;
	return 0;
}

/* Grows the root filesystem's partition (it must be the last one) and the filesystem. */
static int resize_root(guestfs_h *g, const char *root, struct bake_result *res)
{
	_cleanup_free_ char *dev = NULL, *type = NULL, *parttype = NULL;
	struct guestfs_partition_list *parts;
	int64_t sectors;
	int partnum, last = 0;

	dev = guestfs_part_to_dev(g, root);
	if (!dev)
		return gfs_fail(g, "resize: '%s' is not a partition", root);
	partnum = guestfs_part_to_partnum(g, root);
	parts = guestfs_part_list(g, dev);
	if (partnum < 0 || !parts)
		return gfs_fail(g, "resize: reading the partition table of '%s'", dev);
	for (uint32_t i = 0; i < parts->len; i++)
		if (parts->val[i].part_num > last)
			last = parts->val[i].part_num;
	guestfs_free_partition_list(parts);
	if (partnum != last)
		return log_errno(-ENOTSUP,
				 "resize: the root filesystem '%s' is not on the last "
				 "partition",
				 root);
	parttype = guestfs_part_get_parttype(g, dev);
	if (!parttype)
		return gfs_fail(g, "resize: partition table type of '%s'", dev);
	if (strcmp(parttype, "gpt") == 0 && guestfs_part_expand_gpt(g, dev) < 0)
		return gfs_fail(g, "resize: moving the backup GPT of '%s'", dev);
	sectors = guestfs_blockdev_getsz(g, dev);
	if (sectors < 0)
		return gfs_fail(g, "resize: size of '%s'", dev);
	/* GPT keeps 33 sectors for its backup at the end. */
	if (guestfs_part_resize(g, dev, partnum,
				sectors - 1 - (strcmp(parttype, "gpt") == 0 ? 33 : 0)) < 0)
		return gfs_fail(g, "resize: growing partition %d of '%s'", partnum, dev);
	type = guestfs_vfs_type(g, root);
	if (!type)
		return gfs_fail(g, "resize: filesystem type of '%s'", root);
	if (strncmp(type, "ext", 3) == 0) {
		if (guestfs_e2fsck(g, root, GUESTFS_E2FSCK_FORCEALL, 1, -1) < 0 ||
		    guestfs_resize2fs(g, root) < 0)
			return gfs_fail(g, "resize: growing the ext filesystem on '%s'", root);
	} else if (strcmp(type, "xfs") != 0 && strcmp(type, "btrfs") != 0) {
		return log_errno(-ENOTSUP, "resize: cannot grow a '%s' filesystem", type);
	}
	/* xfs and btrfs grow once mounted: see grow_mounted() */
	res->resized_to = (uint64_t)sectors * 512;
	return 0;
}

static int grow_mounted(guestfs_h *g, const char *root)
{
	_cleanup_free_ char *type = guestfs_vfs_type(g, root);

	if (!type)
		return gfs_fail(g, "filesystem type of '%s'", root);
	if (strcmp(type, "xfs") == 0 && guestfs_xfs_growfs(g, "/", -1) < 0)
		return gfs_fail(g, "resize: xfs_growfs /");
	if (strcmp(type, "btrfs") == 0 && guestfs_btrfs_filesystem_resize(g, "/", -1) < 0)
		return gfs_fail(g, "resize: btrfs resize /");
	return 0;
}

static int list_packages(guestfs_h *g, struct pkg_list *ret)
{
	_cleanup_free_ char *out = NULL;
	int r;

	r = guest_sh(g, "listing the guest's packages (dpkg-query)", DPKG_LIST, &out);
	if (r < 0)
		return r;
	r = pkg_list_parse(out, ret);
	if (r < 0)
		return log_errno(r, "parsing the guest's dpkg-query output");
	return 0;
}

static int install_packages(guestfs_h *g, const struct bake_opts *o, bool network,
			    struct bake_result *res)
{
	const struct spec *s = o->spec;
	_cleanup_free_ char *cmd = NULL;
	size_t len = 0, n_upload = 0;
	FILE *f;
	int r;

	if (network) {
		r = guest_sh(g, "apt-get update in the guest", APT_ENV "apt-get -q update", NULL);
		if (r < 0)
			return r;
	}
	if (s->updates) {
		r = guest_sh(g, "applying pending updates in the guest",
			     APT_ENV "apt-get " APT_OPTS "dist-upgrade", NULL);
		if (r < 0)
			return r;
		res->updated = true;
	}
	for (size_t i = 0; i < s->n_debs; i++) {
		_cleanup_free_ char *local = spec_path(s, s->debs[i]), *remote = NULL, *info = NULL;
		char *argv[] = {(char *)"dpkg-deb", (char *)"--show",
				(char *)"--showformat=${Package}\t${Version}\n", local, NULL};
		const struct pkg *have;
		const char *base;
		char *tab;

		if (!local)
			return log_errno(-ENOMEM, "bake");
		/* A .deb the guest already has at the same version is left out, so a spec
		 * may name a whole dependency closure. */
		r = proc_run("reading a .deb", argv, &info);
		if (r < 0)
			return r;
		info[strcspn(info, "\n")] = '\0';
		tab = strchr(info, '\t');
		if (!tab)
			return log_errno(-EBADMSG, "'%s': not a Debian package", local);
		*tab = '\0';
		have = pkg_list_find(&res->before, info);
		if (have && strcmp(have->version, tab + 1) == 0)
			continue;
		base = strrchr(local, '/') ? strrchr(local, '/') + 1 : local;
		if (asprintf(&remote, DEB_DIR "/%s", base) < 0)
			return log_errno(-ENOMEM, "bake");
		if (n_upload == 0 && guestfs_mkdir_p(g, DEB_DIR) < 0)
			return gfs_fail(g, "creating " DEB_DIR);
		if (guestfs_upload(g, local, remote) < 0)
			return gfs_fail(g, "copying '%s' into the guest", local);
		n_upload++;
	}
	if (!n_upload && !s->n_apt)
		return 0;
	f = open_memstream(&cmd, &len);
	if (!f)
		return log_errno(-ENOMEM, "bake");
	fputs(APT_ENV, f);
	fputs("rc=0; ", f);
	if (n_upload)
		/* without network the .debs must bring everything they need */
		fputs("dpkg -i " DEB_DIR "/*.deb 2>&1 || rc=$?; ", f);
	if (s->n_apt || (n_upload && network)) {
		/* with network, apt fixes up what dpkg -i left unconfigured (-f) */
		fputs(network ? "rc=0; apt-get " APT_OPTS "--no-install-recommends -f install"
			      : "[ $rc -ne 0 ] || apt-get " APT_OPTS
				"--no-install-recommends install",
		      f);
		for (size_t i = 0; i < s->n_apt; i++)
			fprintf(f, " %s", s->apt[i]); /* checked against [a-z0-9+-.:=~] */
		if (!network)
			fputs(" --no-download", f);
		fputs(" 2>&1 || rc=$?; ", f);
	}
	fputs("rm -rf " DEB_DIR "; exit $rc", f);
	if (fclose(f) != 0)
		return log_errno(-ENOMEM, "bake");
	return guest_sh(g, "installing packages in the guest", cmd, NULL);
}

static int install_agent(guestfs_h *g, const struct bake_opts *o, struct bake_result *res)
{
	const struct spec *s = o->spec;
	_cleanup_free_ char *unit_text = NULL, *version = NULL;
	char **wanted = NULL;
	const char *unit_dir;
	char unit_path[PATH_MAX];
	int r;

	r = put_file(g, o->agent_binary, "/usr/sbin/wgagent", 0755);
	if (r < 0)
		return r;
	r = read_local(o->agent_unit, &unit_text);
	if (r < 0)
		return r;
	r = unit_wanted_by(unit_text, &wanted);
	if (r == -EBADMSG)
		return log_errno(-EINVAL, "'%s': no WantedBy= in [Install]", o->agent_unit);
	if (r < 0)
		return log_errno(r, "reading '%s'", o->agent_unit);
	unit_dir = guestfs_is_dir(g, "/usr/lib/systemd/system") > 0 ? "/usr/lib/systemd/system"
								    : "/lib/systemd/system";
	snprintf(unit_path, sizeof(unit_path), "%s/wgagent.service", unit_dir);
	r = put_file(g, o->agent_unit, unit_path, 0644);
	/* Enabled the way systemctl enable does it: a symlink in each WantedBy's .wants */
	for (size_t i = 0; r == 0 && wanted[i]; i++) {
		_cleanup_free_ char *wants = NULL, *link = NULL;

		if (asprintf(&wants, "/etc/systemd/system/%s.wants", wanted[i]) < 0 ||
		    asprintf(&link, "%s/wgagent.service", wants) < 0) {
			r = log_errno(-ENOMEM, "bake");
			break;
		}
		if (guestfs_mkdir_p(g, wants) < 0 || guestfs_ln_sf(g, unit_path, link) < 0)
			r = gfs_fail(g, "enabling wgagent.service for '%s'", wanted[i]);
	}
	strv_free(wanted);
	if (r < 0)
		return r;
	if (guestfs_mkdir_p(g, "/etc/wgagent") < 0 || guestfs_mkdir_p(g, "/var/lib/wgagent") < 0 ||
	    guestfs_chmod(g, 0700, "/var/lib/wgagent") < 0)
		return gfs_fail(g, "creating wgagent's folders");
	if (s->agent_config) {
		_cleanup_free_ char *local = spec_path(s, s->agent_config);

		if (!local)
			return log_errno(-ENOMEM, "bake");
		r = put_file(g, local, s->agent_config_dest, 0600);
		if (r < 0)
			return r;
	}
	/* Runs the agent inside the guest: proves its libraries are there. */
	r = guest_sh(g, "running the installed wgagent in the guest (missing libraries?)",
		     "/usr/sbin/wgagent --version", &version);
	if (r < 0)
		return r;
	version[strcspn(version, "\n")] = '\0';
	res->agent_version = TAKE_PTR(version);
	return 0;
}

static int install_modules(guestfs_h *g, const struct spec *s)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return log_errno(-ENOMEM, "bake");
	fputs("# Written by wgbake: loaded at boot by systemd-modules-load.\n", f);
	for (size_t i = 0; i < s->n_modules; i++)
		fprintf(f, "%s\n", s->modules[i]);
	if (fclose(f) != 0)
		return log_errno(-ENOMEM, "bake");
	for (size_t i = 0; i < s->n_modules; i++) {
		_cleanup_free_ char *cmd = NULL, *q = NULL;
		char *found = NULL;

		/* built in, or a module file for at least one installed kernel */
		q = shell_quote(s->modules[i]);
		if (!q ||
		    asprintf(&cmd,
			     "m=%s; for d in /lib/modules/*/; do "
			     "grep -qE \"/$m\\.ko\" \"$d/modules.builtin\" 2>/dev/null && echo y; "
			     "grep -qE \"/$m\\.ko(\\.[a-z]+)?:\" \"$d/modules.dep\" 2>/dev/null && "
			     "echo y; "
			     "done; true",
			     q) < 0)
			return log_errno(-ENOMEM, "bake");
		if (guest_sh(g, "looking for kernel modules", cmd, &found) < 0)
			return -EIO;
		if (!strchr(found, 'y')) {
			free(found);
			return log_errno(-ENOENT, "the guest's kernel has no '%s' module",
					 s->modules[i]);
		}
		free(found);
	}
	if (guestfs_mkdir_p(g, "/etc/modules-load.d") < 0 ||
	    guestfs_write(g, "/etc/modules-load.d/wgbake.conf", text, len) < 0)
		return gfs_fail(g, "writing /etc/modules-load.d/wgbake.conf");
	return 0;
}

static int install_files(guestfs_h *g, const struct spec *s)
{
	for (size_t i = 0; i < s->n_files; i++) {
		const struct spec_file *f = &s->files[i];
		int r = mkdir_parents(g, f->path);

		if (r < 0)
			return r;
		if (f->source) {
			_cleanup_free_ char *local = spec_path(s, f->source);

			if (!local)
				return log_errno(-ENOMEM, "bake");
			r = put_file(g, local, f->path, (int)f->mode);
			if (r < 0)
				return r;
			continue;
		}
		if (guestfs_write(g, f->path, f->content, strlen(f->content)) < 0 ||
		    guestfs_chmod(g, (int)f->mode, f->path) < 0)
			return gfs_fail(g, "writing '%s' in the guest", f->path);
	}
	return 0;
}

static int bake_mounted(guestfs_h *g, const struct bake_opts *o, bool network,
			char *const *filesystems, struct bake_result *res)
{
	const struct spec *s = o->spec;
	bool own_policy = false;
	double t;
	int r;

	if (guestfs_exists(g, POLICY_RC_D) == 0) {
		/* Nothing may start services inside the appliance. */
		if (guestfs_write(g, POLICY_RC_D, "#!/bin/sh\nexit 101\n", 19) < 0 ||
		    guestfs_chmod(g, 0755, POLICY_RC_D) < 0)
			return gfs_fail(g, "writing " POLICY_RC_D);
		own_policy = true;
	}
	t = now_s();
	r = list_packages(g, &res->before);
	if (r == 0)
		r = install_packages(g, o, network, res);
	if (r == 0)
		r = list_packages(g, &res->after);
	if (r == 0)
		r = pkg_list_diff(&res->before, &res->after, &res->changes, &res->n_changes);
	res->t_packages = now_s() - t;
	if (r < 0)
		return r == -ENOMEM ? log_errno(r, "bake") : r;
	t = now_s();
	r = install_agent(g, o, res);
	if (r == 0)
		r = install_modules(g, s);
	if (r == 0)
		r = install_files(g, s);
	if (r == 0 && own_policy && guestfs_rm(g, POLICY_RC_D) < 0)
		r = gfs_fail(g, "removing " POLICY_RC_D);
	res->t_agent = now_s() - t;
	if (r < 0)
		return r;
	t = now_s();
	if (o->generalize) {
		r = generalize_run(g, s->generalize_skip, s->n_generalize_skip, res->ops);
		res->n_ops = gen_n_ops;
		if (r < 0)
			return r;
	}
	r = lint_run(g, filesystems, res->lint);
	if (r < 0)
		return r;
	res->lint_failed = r;
	res->t_generalize = now_s() - t;
	t = now_s();
	r = generalize_trim(g);
	res->t_trim = now_s() - t;
	return r;
}

int bake_run(const struct bake_opts *o, struct bake_result *ret)
{
	const struct spec *s = o->spec;
	struct guest_disk disk = {.path = o->disk, .format = "qcow2"};
	struct bake_result res = {0};
	bool network = s->n_apt > 0 || s->updates;
	struct guest_os os = {0};
	guestfs_h *g = NULL;
	double t0 = now_s();
	int64_t size;
	int r;

	if (gen_n_ops > BAKE_MAX_OPS)
		return log_errno(-E2BIG, "bake: too many operations");
	r = guest_launch(&disk, network, &g);
	if (r < 0)
		return r;
	res.t_launch = now_s() - t0;
	r = guest_inspect(g, o->disk, &os);
	if (r < 0)
		goto out;
	res.distro = os.distro ? strdup(os.distro) : NULL;
	res.product = os.product ? strdup(os.product) : NULL;
	res.version = os.version ? strdup(os.version) : NULL;
	if (!res.distro || strcmp(res.distro, s->os) != 0) {
		r = log_errno(-EINVAL, "'%s' holds %s, but the spec says os '%s'", o->disk,
			      res.product ? res.product : "an unknown OS", s->os);
		goto out;
	}
	size = guestfs_blockdev_getsize64(g, "/dev/sda");
	if (size < 0) {
		r = gfs_fail(g, "size of the disk");
		goto out;
	}
	if (s->disk_size && s->disk_size > (uint64_t)size) {
		log_error("internal error: the overlay is smaller than the spec's disk_size");
		r = -EINVAL;
		goto out;
	}
	/* the overlay was created at disk_size: grow the root into it */
	if (s->disk_size) {
		int64_t part_end = 0;
		struct guestfs_partition_list *parts = guestfs_part_list(g, "/dev/sda");

		for (uint32_t i = 0; parts && i < parts->len; i++)
			if ((int64_t)parts->val[i].part_end > part_end)
				part_end = (int64_t)parts->val[i].part_end;
		guestfs_free_partition_list(parts);
		if (part_end + 1 + 16 * 1024 * 1024 < size) {
			res.resized_from = (uint64_t)part_end + 1;
			r = resize_root(g, os.root, &res);
			if (r < 0)
				goto out;
		}
	}
	r = guest_mount(g, &os, false);
	if (r == 0 && res.resized_to)
		r = grow_mounted(g, os.root);
	if (r == 0)
		r = bake_mounted(g, o, network, os.filesystems, &res);
	if (r < 0)
		goto out;
	r = guest_finish(g, true);
	g = NULL;
out:
	if (g)
		(void)guest_finish(g, false);
	guest_os_free(&os);
	res.t_total = now_s() - t0;
	if (r < 0) {
		bake_result_free(&res);
		return r;
	}
	*ret = res;
	return 0;
}

void bake_result_free(struct bake_result *r)
{
	if (!r)
		return;
	free(r->distro);
	free(r->version);
	free(r->product);
	free(r->agent_version);
	free(r->changes);
	pkg_list_free(&r->before);
	pkg_list_free(&r->after);
	*r = (struct bake_result){0};
}
