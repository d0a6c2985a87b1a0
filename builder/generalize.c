// SPDX-License-Identifier: MIT
/* Generalization: what makes one VM differ from another is removed from the template. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <guestfs.h>

#include "log.h"
#include "macros.h"

#include "bakeutil.h"
#include "generalize.h"
#include "guest.h"

static int remove_glob(guestfs_h *g, const char *pattern, unsigned *count)
{
	char **paths = guestfs_glob_expand(g, pattern);

	if (!paths)
		return gfs_fail(g, "expanding '%s'", pattern);
	for (size_t i = 0; paths[i]; i++) {
		size_t n = strlen(paths[i]);

		/* glob marks directories (and symlinks to them) with a '/': removing
		 * "link/" would empty the target and keep the link */
		while (n > 1 && paths[i][n - 1] == '/')
			paths[i][--n] = '\0';
		if (guestfs_rm_rf(g, paths[i]) < 0) {
			int r = gfs_fail(g, "removing '%s'", paths[i]);

			strv_free(paths);
			return r;
		}
		(*count)++;
	}
	strv_free(paths);
	return 0;
}

/* Removes every file, symlink and socket below dir; keeps the directories, which
 * services expect (/var/log/apt, /var/log/journal). */
static int remove_files_below(guestfs_h *g, const char *dir, unsigned *count)
{
	char **names;
	int r = 0;

	if (guestfs_is_dir_opts(g, dir, GUESTFS_IS_DIR_OPTS_FOLLOWSYMLINKS, 0, -1) <= 0)
		return 0;
	names = guestfs_find(g, dir);
	if (!names)
		return gfs_fail(g, "listing '%s'", dir);
	for (size_t i = 0; names[i] && r == 0; i++) {
		_cleanup_free_ char *p = NULL;

		if (asprintf(&p, "%s/%s", dir, names[i]) < 0) {
			r = log_errno(-ENOMEM, "generalize");
			break;
		}
		if (guestfs_is_dir_opts(g, p, GUESTFS_IS_DIR_OPTS_FOLLOWSYMLINKS, 0, -1) > 0)
			continue;
		if (guestfs_rm_f(g, p) < 0)
			r = gfs_fail(g, "removing '%s'", p);
		else
			(*count)++;
	}
	strv_free(names);
	return r;
}

static int op_machine_id(guestfs_h *g, unsigned *count)
{
	/* An empty file, not a missing one: systemd then makes a new id on first boot and
	 * treats the boot as the first one (ConditionFirstBoot, preset). */
	if (guestfs_exists(g, "/etc/machine-id") > 0) {
		char *s = guestfs_cat(g, "/etc/machine-id");

		if (!s)
			return gfs_fail(g, "reading /etc/machine-id");
		if (*s)
			(*count)++;
		free(s);
	} else {
		(*count)++;
	}
	if (guestfs_write(g, "/etc/machine-id", "", 0) < 0)
		return gfs_fail(g, "emptying /etc/machine-id");
	return 0;
}

static int op_root_password(guestfs_h *g, unsigned *count)
{
	_cleanup_free_ char *out = NULL;
	size_t len = 0;
	char *in;
	bool changed = false;
	int r;

	if (guestfs_is_file(g, "/etc/shadow") <= 0)
		return 0;
	in = guestfs_read_file(g, "/etc/shadow", &len);
	if (!in)
		return gfs_fail(g, "reading /etc/shadow");
	r = shadow_lock_root(in, &out, &changed);
	free(in);
	if (r == -EBADMSG)
		return log_errno(-EBADMSG, "/etc/shadow has no root entry");
	if (r < 0)
		return log_errno(r, "locking root's password");
	if (changed) {
		if (guestfs_write(g, "/etc/shadow", out, strlen(out)) < 0)
			return gfs_fail(g, "writing /etc/shadow");
		(*count)++;
	}
	return 0;
}

static int op_logs(guestfs_h *g, unsigned *count)
{
	return remove_files_below(g, "/var/log", count);
}

static int remove_key_files_in(guestfs_h *g, const char *dir, unsigned *count)
{
	char **names;
	int r = 0;

	if (guestfs_is_dir_opts(g, dir, GUESTFS_IS_DIR_OPTS_FOLLOWSYMLINKS, 0, -1) <= 0)
		return 0;
	names = guestfs_find(g, dir);
	if (!names)
		return gfs_fail(g, "listing '%s'", dir);
	for (size_t i = 0; names[i] && r == 0; i++) {
		_cleanup_free_ char *p = NULL;
		size_t n = strlen(names[i]), len = 0;
		bool secret;
		char *text;

		if (asprintf(&p, "%s/%s", dir, names[i]) < 0) {
			r = log_errno(-ENOMEM, "generalize");
			break;
		}
		if (guestfs_is_file_opts(g, p, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 0, -1) <= 0)
			continue;
		secret = (n > 4 && strcmp(names[i] + n - 4, ".key") == 0) ||
			 strstr(names[i], "private");
		if (!secret) {
			text = guestfs_read_file(g, p, &len);
			if (!text) {
				r = gfs_fail(g, "reading '%s'", p);
				break;
			}
			secret = text_has_private_key(text);
			free(text);
		}
		if (!secret)
			continue;
		if (guestfs_rm(g, p) < 0)
			r = gfs_fail(g, "removing '%s'", p);
		else
			(*count)++;
	}
	strv_free(names);
	return r;
}

static int op_wireguard_keys(guestfs_h *g, unsigned *count)
{
	int r = remove_key_files_in(g, "/etc/wireguard", count);

	if (r == 0)
		r = remove_key_files_in(g, "/etc/wgagent", count);
	return r;
}

static int op_hostname(guestfs_h *g, unsigned *count)
{
	char *s;

	if (guestfs_is_file(g, "/etc/hostname") <= 0)
		return 0;
	s = guestfs_cat(g, "/etc/hostname");
	if (!s)
		return gfs_fail(g, "reading /etc/hostname");
	if (strcmp(s, "localhost\n") != 0) {
		(*count)++;
		free(s);
		if (guestfs_write(g, "/etc/hostname", "localhost\n", 10) < 0)
			return gfs_fail(g, "writing /etc/hostname");
		return 0;
	}
	free(s);
	return 0;
}

#define GLOBS(...) ((const char *const[]){__VA_ARGS__, NULL})

const struct gen_op gen_ops[] = {
	{"machine-id",
	 "Empty /etc/machine-id and remove /var/lib/dbus/machine-id: every VM gets its own id "
	 "on first boot (systemd-machine-id-setup), and DHCP client ids derived from it differ.",
	 GLOBS("/var/lib/dbus/machine-id"), op_machine_id},
	{"ssh-hostkeys",
	 "Remove /etc/ssh/ssh_host_*: cloud-init (or sshd-keygen) makes new host keys on first "
	 "boot, so no two VMs share one.",
	 GLOBS("/etc/ssh/ssh_host_*"), NULL},
	{"ssh-userdir",
	 "Remove ~/.ssh of root and every user (authorized_keys, known_hosts): access is "
	 "given at provisioning time.",
	 GLOBS("/root/.ssh", "/home/*/.ssh"), NULL},
	{"cloud-init",
	 "Remove cloud-init's instance state, semaphores, seeds and logs (/var/lib/cloud/*, "
	 "/var/log/cloud-init*.log), as `cloud-init clean --logs --seed` does, so it runs as on a "
	 "first boot.",
	 GLOBS("/var/lib/cloud/*", "/var/log/cloud-init.log", "/var/log/cloud-init-output.log"),
	 NULL},
	{"cloud-init-network",
	 "Remove network configuration cloud-init generated for the build machine: "
	 "/etc/netplan/50-cloud-init.yaml, /etc/systemd/network/10-cloud-init-*, "
	 "/etc/network/interfaces.d/50-cloud-init*, NetworkManager cloud-init-* connections.",
	 GLOBS("/etc/netplan/50-cloud-init.yaml", "/etc/systemd/network/10-cloud-init-*",
	       "/etc/network/interfaces.d/50-cloud-init*",
	       "/etc/NetworkManager/system-connections/cloud-init-*"),
	 NULL},
	{"waagent",
	 "Remove the Azure Linux agent's state and log (/var/lib/waagent/*, "
	 "/var/log/waagent.log) and its sudoers drop-in, as `waagent -deprovision` does.",
	 GLOBS("/var/lib/waagent/*", "/var/log/waagent.log", "/etc/sudoers.d/waagent"), NULL},
	{"dhcp-leases",
	 "Remove DHCP leases (dhclient, dhcpcd, NetworkManager, systemd-networkd), so a VM "
	 "does not ask for the build machine's address.",
	 GLOBS("/var/lib/dhcp/*", "/var/lib/dhclient/*", "/var/lib/dhcpcd/*", "/var/lib/dhcpcd5/*",
	       "/var/lib/NetworkManager/*.lease", "/var/lib/NetworkManager/dhclient-*",
	       "/var/lib/systemd/network/*"),
	 NULL},
	{"logs",
	 "Remove every file below /var/log (journal, syslog, apt and dpkg logs, wtmp, btmp, "
	 "lastlog); directories stay, and systemd-tmpfiles recreates wtmp/btmp at boot.",
	 NULL, op_logs},
	{"shell-history",
	 "Remove shell and tool histories of root and every user (.bash_history, "
	 ".zsh_history, .python_history, .lesshst, .viminfo, .wget-hsts).",
	 GLOBS("/root/.bash_history", "/home/*/.bash_history", "/root/.zsh_history",
	       "/home/*/.zsh_history", "/root/.ash_history", "/root/.python_history",
	       "/home/*/.python_history", "/root/.lesshst", "/home/*/.lesshst", "/root/.viminfo",
	       "/home/*/.viminfo", "/root/.wget-hsts", "/home/*/.wget-hsts"),
	 NULL},
	{"root-password",
	 "Lock root's password in /etc/shadow ('!' in front of the hash, as `passwd -l`): "
	 "nobody logs in as root with a password baked into the image.",
	 NULL, op_root_password},
	{"backup-files",
	 "Remove the shadow utilities' backups (/etc/passwd-, /etc/shadow-, /etc/group-, "
	 "/etc/gshadow-, /etc/subuid-, /etc/subgid-), which keep old password hashes.",
	 GLOBS("/etc/passwd-", "/etc/shadow-", "/etc/group-", "/etc/gshadow-", "/etc/subuid-",
	       "/etc/subgid-"),
	 NULL},
	{"tmp-files", "Empty /tmp and /var/tmp.",
	 GLOBS("/tmp/*", "/tmp/.[!.]*", "/var/tmp/*", "/var/tmp/.[!.]*"), NULL},
	{"apt-cache",
	 "Remove apt's package lists and downloaded packages (/var/lib/apt/lists/*, "
	 "/var/cache/apt/*.bin, /var/cache/apt/archives/*.deb): stale, and large. VMs run "
	 "`apt-get update` before installing.",
	 GLOBS("/var/lib/apt/lists/*_*", "/var/lib/apt/lists/partial/*", "/var/cache/apt/*.bin",
	       "/var/cache/apt/archives/*.deb", "/var/cache/apt/archives/partial/*"),
	 NULL},
	{"persistent-net",
	 "Remove udev's persistent network rules (70-persistent-net.rules and the generator), "
	 "which would pin eth0 to the build machine's MAC address.",
	 GLOBS("/etc/udev/rules.d/70-persistent-net.rules",
	       "/etc/udev/rules.d/75-persistent-net-generator.rules"),
	 NULL},
	{"random-seed",
	 "Remove the saved random seed (/var/lib/systemd/random-seed, /var/lib/urandom/"
	 "random-seed), so VMs do not start their entropy pool from the same bytes.",
	 GLOBS("/var/lib/systemd/random-seed", "/var/lib/urandom/random-seed",
	       "/var/lib/random-seed"),
	 NULL},
	{"hostname",
	 "Reset /etc/hostname to 'localhost'; the platform (cloud-init, waagent) names the VM.",
	 NULL, op_hostname},
	{"mail-spool", "Remove local mail (/var/spool/mail/*, /var/mail/*).",
	 GLOBS("/var/spool/mail/*", "/var/mail/*"), NULL},
	{"crash-data", "Remove crash dumps (/var/crash/*, /var/lib/systemd/coredump/*).",
	 GLOBS("/var/crash/*", "/var/lib/systemd/coredump/*"), NULL},
	{"wireguard-keys",
	 "Remove every WireGuard private key: files under /etc/wireguard and /etc/wgagent "
	 "named *.key or *private*, or holding a PrivateKey / private_key setting. Each VM "
	 "makes its own key at first boot.",
	 NULL, op_wireguard_keys},
	{"wgagent-state",
	 "Remove wgagent's state (/var/lib/wgagent/*: generated keys, VM binding).",
	 GLOBS("/var/lib/wgagent/*", "/var/lib/wgagent/.[!.]*"), NULL},
};

const size_t gen_n_ops = ELEMENTSOF(gen_ops);

int gen_op_known(const char *name)
{
	for (size_t i = 0; i < gen_n_ops; i++)
		if (strcmp(gen_ops[i].name, name) == 0)
			return 1;
	return 0;
}

int generalize_run(guestfs_h *g, char *const *skip, size_t n_skip, struct gen_result *results)
{
	for (size_t i = 0; i < gen_n_ops; i++) {
		const struct gen_op *op = &gen_ops[i];
		struct gen_result *res = &results[i];
		int r = 0;

		*res = (struct gen_result){.name = op->name};
		for (size_t j = 0; j < n_skip; j++)
			if (strcmp(skip[j], op->name) == 0)
				res->skipped = 1;
		if (res->skipped)
			continue;
		for (size_t j = 0; op->globs && op->globs[j] && r == 0; j++)
			r = remove_glob(g, op->globs[j], &res->count);
		if (r == 0 && op->fn)
			r = op->fn(g, &res->count);
		if (r < 0)
			return log_errno(r, "generalize: operation '%s' failed", op->name);
	}
	return 0;
}

int generalize_trim(guestfs_h *g)
{
	char **mps = guestfs_mountpoints(g);
	int r = 0;

	if (!mps)
		return gfs_fail(g, "listing mountpoints");
	/* mountpoints() returns device, mountpoint pairs. */
	for (size_t i = 0; mps[i] && mps[i + 1]; i += 2) {
		if (guestfs_fstrim(g, mps[i + 1], -1) < 0) {
			if (guestfs_last_errno(g) == EOPNOTSUPP) {
				/* e.g. an old vfat driver: that filesystem stays as it is */
				log_warn("fstrim '%s': not supported", mps[i + 1]);
				continue;
			}
			r = gfs_fail(g, "fstrim '%s'", mps[i + 1]);
			break;
		}
	}
	strv_free(mps);
	return r;
}
