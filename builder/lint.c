// SPDX-License-Identifier: MIT
/* Azure readiness checks, run on a mounted guest. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <guestfs.h>
#include <json-c/json.h>

#include "log.h"
#include "macros.h"

#include "bakeutil.h"
#include "guest.h"
#include "lint.h"
#include "proc.h"

static const char *const hv_modules[] = {"hv_vmbus", "hv_storvsc", "hv_netvsc"};

_printf_(3, 4) static void set(struct lint_item *it, bool ok, const char *fmt, ...)
{
	va_list ap;

	it->ok = ok;
	va_start(ap, fmt);
	vsnprintf(it->detail, sizeof(it->detail), fmt, ap);
	va_end(ap);
}

static bool has_word_line(const char *list, const char *mod)
{
	/* modules.builtin / initrd listings: one path per line, match ".../mod.ko" */
	char pat[64];
	const char *p = list;

	snprintf(pat, sizeof(pat), "/%s.ko", mod);
	while ((p = strstr(p, pat))) {
		char c = p[strlen(pat)];

		if (c == '\0' || c == '\n' || c == '.')
			return true;
		p++;
	}
	return false;
}

/* The initrd's file list. The host's lsinitramfs (native speed; gzip, zstd, early microcode
 * in front) on a downloaded copy is quicker than unpacking it inside a TCG appliance;
 * libguestfs' initrd_list (gzip only) when the host has none. */
static char *initrd_listing(guestfs_h *g, const char *path)
{
	char tmp[] = "/tmp/wgbake-initrd-XXXXXX";
	char **files;
	char *out = NULL;
	size_t len = 0;
	int fd;

	if (access("/usr/bin/lsinitramfs", X_OK) == 0 ||
	    access("/usr/sbin/lsinitramfs", X_OK) == 0) {
		fd = mkostemp(tmp, O_CLOEXEC);
		if (fd >= 0) {
			(void)close(fd);
			if (guestfs_download(g, path, tmp) == 0) {
				char *argv[] = {(char *)"lsinitramfs", tmp, NULL};

				if (proc_run("listing the initramfs", argv, &out) < 0)
					out = NULL;
			}
			(void)unlink(tmp);
			if (out)
				return out;
		}
	}
	files = guestfs_initrd_list(g, path);
	if (!files)
		return NULL;
	for (size_t i = 0; files[i]; i++)
		len += strlen(files[i]) + 2;
	out = malloc(len + 1);
	if (out) {
		char *o = out;

		for (size_t i = 0; files[i]; i++)
			o += sprintf(o, "/%s\n", files[i]);
		*o = '\0';
	}
	strv_free(files);
	return out;
}

static int check_hyperv(guestfs_h *g, struct lint_item *it)
{
	char **kernels;
	size_t n_ok = 0, n = 0;
	char missing[256] = "";

	if (guestfs_is_dir(g, "/lib/modules") <= 0) {
		set(it, false, "no kernel modules in /lib/modules");
		return 0;
	}
	kernels = guestfs_ls(g, "/lib/modules");
	if (!kernels)
		return gfs_fail(g, "listing /lib/modules");
	for (size_t k = 0; kernels[k]; k++) {
		_cleanup_free_ char *builtin_path = NULL, *builtin = NULL, *initrd = NULL,
				    *listing = NULL, *vmlinuz = NULL;
		bool ok = true;

		if (asprintf(&vmlinuz, "/boot/vmlinuz-%s", kernels[k]) < 0 ||
		    asprintf(&builtin_path, "/lib/modules/%s/modules.builtin", kernels[k]) < 0 ||
		    asprintf(&initrd, "/boot/initrd.img-%s", kernels[k]) < 0)
			break;
		if (guestfs_exists(g, vmlinuz) <= 0)
			continue; /* modules left from a removed kernel */
		n++;
		builtin = guest_read_text(g, builtin_path);
		if (guestfs_exists(g, initrd) <= 0) {
			free(initrd);
			if (asprintf(&initrd, "/boot/initramfs-%s.img", kernels[k]) < 0)
				break;
		}
		if (guestfs_exists(g, initrd) > 0)
			listing = initrd_listing(g, initrd);
		for (size_t m = 0; m < ELEMENTSOF(hv_modules); m++) {
			if ((builtin && has_word_line(builtin, hv_modules[m])) ||
			    (listing && has_word_line(listing, hv_modules[m])))
				continue;
			ok = false;
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
				 "%s%s (%s)", *missing ? ", " : "", hv_modules[m], kernels[k]);
		}
		if (ok)
			n_ok++;
	}
	strv_free(kernels);
	if (n == 0)
		set(it, false, "no kernel in /boot");
	else if (n_ok == n)
		set(it, true,
		    "hv_vmbus, hv_storvsc, hv_netvsc in the initramfs or built in (%zu kernel%s)",
		    n, n == 1 ? "" : "s");
	else
		set(it, false, "missing from the initramfs: %s", missing);
	return 0;
}

/* Updates *result with the datasource_list a cloud-init config file sets, if it does. */
static void scan_datasource_list(const char *text, char **result)
{
	const char *p;

	for (p = text; (p = strstr(p, "datasource_list")); p++) {
		const char *start, *end;

		if (p != text && p[-1] != '\n')
			continue;
		start = p + strlen("datasource_list");
		while (*start == ' ' || *start == ':')
			start++;
		if (*start == '[') {
			end = strchrnul(start, ']');
			if (*end)
				end++;
		} else {
			/* a block list: "- Azure" lines */
			end = start;
			while (*end) {
				const char *eol = strchrnul(end, '\n');
				const char *q = end;

				while (*q == ' ' || *q == '\n')
					q++;
				if (end != start && *q != '-')
					break;
				end = *eol ? eol + 1 : eol;
			}
		}
		free(*result);
		*result = strndup(start, (size_t)(end - start));
	}
}

/* The datasource_list cloud-init ends up with: the last file that sets it wins.
 * NULL when none does (cloud-init's default list includes Azure). */
static char *datasource_list(guestfs_h *g)
{
	char **cfgs = guestfs_glob_expand(g, "/etc/cloud/cloud.cfg.d/*.cfg");
	char *result = NULL, *text;

	text = guest_read_text(g, "/etc/cloud/cloud.cfg");
	if (text)
		scan_datasource_list(text, &result);
	free(text);
	for (size_t i = 0; cfgs && cfgs[i]; i++) {
		text = guest_read_text(g, cfgs[i]);
		if (text)
			scan_datasource_list(text, &result);
		free(text);
	}
	strv_free(cfgs);
	return result;
}

static int check_provisioning(guestfs_h *g, struct lint_item *it)
{
	bool cloud_init = guestfs_exists(g, "/usr/bin/cloud-init") > 0;
	bool waagent = guestfs_exists(g, "/usr/sbin/waagent") > 0;
	_cleanup_free_ char *list = NULL, *wa_conf = NULL;
	char **azure_ds = NULL;
	bool ds_code = false, wa_prov = false;

	if (cloud_init) {
		azure_ds = guestfs_glob_expand(
			g, "/usr/lib/python3*/*-packages/cloudinit/sources/DataSourceAzure.py");
		ds_code = azure_ds && azure_ds[0];
		strv_free(azure_ds);
		list = datasource_list(g);
	}
	if (waagent) {
		wa_conf = guest_read_text(g, "/etc/waagent.conf");
		wa_prov = wa_conf && (strstr(wa_conf, "\nProvisioning.Enabled=y") ||
				      strstr(wa_conf, "\nProvisioning.Agent=waagent") ||
				      strstr(wa_conf, "\nProvisioning.Agent=auto") ||
				      strstr(wa_conf, "\nProvisioning.Agent=cloud-init"));
	}
	if (cloud_init && ds_code && (!list || strstr(list, "Azure"))) {
		set(it, true, "cloud-init with the Azure datasource%s%s",
		    list ? " in datasource_list" : " (default datasource list)",
		    waagent ? "; walinuxagent installed" : "");
		return 0;
	}
	if (waagent && wa_prov) {
		set(it, true, "walinuxagent with provisioning on (/etc/waagent.conf)");
		return 0;
	}
	if (cloud_init && !ds_code)
		set(it, false, "cloud-init has no Azure datasource (DataSourceAzure.py missing)%s",
		    waagent ? "; walinuxagent has provisioning off" : "; no walinuxagent");
	else if (cloud_init)
		set(it, false, "cloud-init's datasource_list leaves out Azure: %.200s%s", list,
		    waagent ? "; walinuxagent has provisioning off" : "; no walinuxagent");
	else if (waagent)
		set(it, false, "walinuxagent has provisioning off and there is no cloud-init");
	else
		set(it, false, "neither cloud-init nor walinuxagent is installed");
	return 0;
}

static bool cfg_has_serial(const char *text, const char *key)
{
	const char *p = text;

	while ((p = strstr(p, key))) {
		const char *eol = strchrnul(p, '\n');
		_cleanup_free_ char *line = strndup(p, (size_t)(eol - p));

		if (line && cmdline_has_serial_console(line))
			return true;
		p = eol;
	}
	return false;
}

static int check_serial(guestfs_h *g, struct lint_item *it)
{
	static const char *const cfgs[] = {"/boot/grub/grub.cfg", "/boot/grub2/grub.cfg"};
	char **entries;

	for (size_t i = 0; i < ELEMENTSOF(cfgs); i++) {
		_cleanup_free_ char *text = guest_read_text(g, cfgs[i]);
		const char *p;

		if (!text)
			continue;
		/* the first "linux" line is the default entry's */
		for (p = text; (p = strstr(p, "linux")); p++) {
			const char *bol = p;
			const char *eol = strchrnul(p, '\n');
			_cleanup_free_ char *line = NULL;

			while (bol > text && (bol[-1] == ' ' || bol[-1] == '\t'))
				bol--;
			if ((bol != text && bol[-1] != '\n') || (p[5] != ' ' && p[5] != '\t'))
				continue;
			line = strndup(p, (size_t)(eol - p));
			if (line && cmdline_has_serial_console(line)) {
				set(it, true, "console=ttyS on the kernel command line in %s",
				    cfgs[i]);
				return 0;
			}
			set(it, false,
			    "%s: the default entry's kernel command line has no "
			    "console=ttyS0",
			    cfgs[i]);
			return 0;
		}
	}
	entries = guestfs_glob_expand(g, "/boot/loader/entries/*.conf");
	for (size_t i = 0; entries && entries[i]; i++) {
		_cleanup_free_ char *text = guest_read_text(g, entries[i]);

		if (text && cfg_has_serial(text, "options")) {
			set(it, true, "console=ttyS on the kernel command line in %s", entries[i]);
			strv_free(entries);
			return 0;
		}
	}
	strv_free(entries);
	set(it, false,
	    "no boot loader entry with console=ttyS0 (GRUB's grub.cfg or "
	    "/boot/loader/entries)");
	return 0;
}

static int check_swap(guestfs_h *g, char *const *known_fs, struct lint_item *it)
{
	static const char *const files[] = {"/swapfile", "/swap.img", "/swap"};
	_cleanup_free_ char *fstab = guest_read_text(g, "/etc/fstab");
	char **own = known_fs ? NULL : guestfs_list_filesystems(g);
	char *const *fs = known_fs ? known_fs : own;
	char found[256] = "";

	if (!fs)
		return gfs_fail(g, "listing filesystems");
	for (size_t i = 0; fs[i] && fs[i + 1]; i += 2)
		if (strcmp(fs[i + 1], "swap") == 0)
			snprintf(found + strlen(found), sizeof(found) - strlen(found),
				 "%sswap partition %s", *found ? ", " : "", fs[i]);
	strv_free(own);
	if (fstab && fstab_has_swap(fstab))
		snprintf(found + strlen(found), sizeof(found) - strlen(found),
			 "%sswap entry in /etc/fstab", *found ? ", " : "");
	for (size_t i = 0; i < ELEMENTSOF(files); i++)
		if (guestfs_is_file_opts(g, files[i], GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 0, -1) >
		    0)
			snprintf(found + strlen(found), sizeof(found) - strlen(found),
				 "%sswap file %s", *found ? ", " : "", files[i]);
	if (*found)
		set(it, false, "%s", found);
	else
		set(it, true, "no swap partition, swap file or fstab swap entry");
	return 0;
}

static int check_udf(guestfs_h *g, struct lint_item *it)
{
	static const char *const dirs[] = {"/etc/modprobe.d/*.conf", "/lib/modprobe.d/*.conf",
					   "/usr/lib/modprobe.d/*.conf", "/run/modprobe.d/*.conf"};
	char **mods;
	bool present = false;

	for (size_t d = 0; d < ELEMENTSOF(dirs); d++) {
		char **files = guestfs_glob_expand(g, dirs[d]);

		for (size_t i = 0; files && files[i]; i++) {
			_cleanup_free_ char *text = guest_read_text(g, files[i]);

			if (text && modprobe_blocks(text, "udf")) {
				set(it, false, "%s blocks the udf module", files[i]);
				strv_free(files);
				return 0;
			}
		}
		strv_free(files);
	}
	mods = guestfs_glob_expand(g, "/lib/modules/*/kernel/fs/udf/udf.ko*");
	present = mods && mods[0];
	strv_free(mods);
	if (!present) {
		mods = guestfs_glob_expand(g, "/lib/modules/*/modules.builtin");
		for (size_t i = 0; mods && mods[i] && !present; i++) {
			_cleanup_free_ char *text = guest_read_text(g, mods[i]);

			present = text && has_word_line(text, "udf");
		}
		strv_free(mods);
	}
	if (!present)
		set(it, false, "the kernel has no udf module");
	else
		set(it, true, "udf module present and not blacklisted");
	return 0;
}

int lint_run(guestfs_h *g, char *const *filesystems, struct lint_item items[LINT_N])
{
	static const char *const names[LINT_N] = {"hyperv-drivers", "provisioning",
						  "serial-console", "no-swap", "udf"};
	int (*const fns[LINT_N])(guestfs_h *, struct lint_item *) = {
		check_hyperv, check_provisioning, check_serial, NULL, check_udf,
	};
	int failed = 0;

	for (size_t i = 0; i < LINT_N; i++) {
		int r;

		items[i] = (struct lint_item){.name = names[i]};
		r = i == LINT_SWAP ? check_swap(g, filesystems, &items[i]) : fns[i](g, &items[i]);
		if (r < 0)
			return r;
		failed += !items[i].ok;
	}
	return failed;
}
