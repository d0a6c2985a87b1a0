/* SPDX-License-Identifier: MIT */
#ifndef WGBAKE_BAKEUTIL_H
#define WGBAKE_BAKEUTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Pure text helpers for bake, generalize and lint: no libguestfs, unit-tested. */

/*
 * /etc/shadow with root's password locked the way `passwd -l` does it: a '!' in front of
 * the hash ("!*" for an empty or "*" field). Other lines are kept byte for byte.
 * *ret_changed says whether anything changed. -EBADMSG without a root line; -ENOMEM.
 */
int shadow_lock_root(const char *in, char **ret_out, bool *ret_changed);

/* The units named by WantedBy= in a unit's [Install] section; NULL-terminated, caller
 * frees with strv_free(). -EBADMSG when there is none; -ENOMEM. */
int unit_wanted_by(const char *unit_text, char ***ret);
void strv_free(char **v);

/* One installed package: "name\tversion" lines from dpkg-query. */
struct pkg {
	char *name;
	char *version;
};

struct pkg_list {
	struct pkg *v;
	size_t n;
};

/* Parses `dpkg-query -W -f '${Package}\t${Version}\t${db:Status-Abbrev}\n'` (or two
 * columns); only installed packages are kept; sorted by name. -EBADMSG, -ENOMEM. */
int pkg_list_parse(const char *text, struct pkg_list *ret);
void pkg_list_free(struct pkg_list *l);
const struct pkg *pkg_list_find(const struct pkg_list *l, const char *name);

/* What changed between two package lists: old version NULL when installed, new NULL when
 * removed. */
struct pkg_change {
	const char *name;
	const char *from;
	const char *to;
};
int pkg_list_diff(const struct pkg_list *before, const struct pkg_list *after,
		  struct pkg_change **ret, size_t *ret_n);

/* Does a kernel command line (or a grub.cfg "linux" line) put a console on a serial
 * port (console=ttyS<n> or console=ttyAMA<n>)? */
bool cmdline_has_serial_console(const char *line);
/* Does a modprobe.d file keep module `mod` from loading ("blacklist mod", "install mod
 * /bin/false", "install mod /bin/true")? */
bool modprobe_blocks(const char *text, const char *mod);
/* Does an fstab have an active swap entry? */
bool fstab_has_swap(const char *text);
/* Does a WireGuard or wgagent config (wg-quick or JSON) hold a private key? */
bool text_has_private_key(const char *text);

#endif
