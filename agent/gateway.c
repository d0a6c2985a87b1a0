// SPDX-License-Identifier: MIT
/* Gateway role: forwarding and masquerade through one nftables transaction (see gateway.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "format.h"
#include "gateway.h"
#include "log.h"
#include "macros.h"
#include "rtnl.h"

extern char **environ;

#define FWD4 "/proc/sys/net/ipv4/ip_forward"
#define FWD6 "/proc/sys/net/ipv6/conf/all/forwarding"

/* Names go into the ruleset quoted: allow only what interface names really use. */
static bool nft_name_ok(const char *s)
{
	if (!s || !*s || strlen(s) >= IFNAMSIZ)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("_-.@+", *s)))
			return false;
	return true;
}

char *gateway_ruleset(const char *wg_if, const char *out_if, const struct ip_prefix *addrs,
		      size_t n_addrs)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f;

	if (!nft_name_ok(wg_if) || !nft_name_ok(out_if))
		return NULL;
	f = open_memstream(&buf, &size);
	if (!f)
		return NULL;
	/* Create (a no-op if it exists), delete, create: one transaction, idempotent. */
	fprintf(f, "table inet wgagent-%s\n", wg_if);
	fprintf(f, "delete table inet wgagent-%s\n", wg_if);
	fprintf(f, "table inet wgagent-%s {\n", wg_if);
	fprintf(f, "\tchain forward {\n");
	fprintf(f, "\t\ttype filter hook forward priority filter; policy accept;\n");
	fprintf(f, "\t\tiifname \"%s\" oifname \"%s\" accept\n", wg_if, out_if);
	fprintf(f, "\t\tiifname \"%s\" oifname \"%s\" ct state established,related accept\n",
		out_if, wg_if);
	fprintf(f, "\t\tiifname \"%s\" oifname \"%s\" drop\n", out_if, wg_if);
	fprintf(f, "\t}\n");
	fprintf(f, "\tchain postrouting {\n");
	fprintf(f, "\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
	for (size_t i = 0; i < n_addrs; i++) {
		struct ip_prefix p = addrs[i];

		ip_prefix_mask(&p);
		fprintf(f, "\t\toifname \"%s\" %s saddr %s masquerade\n", out_if,
			p.family == AF_INET6 ? "ip6" : "ip", ip_prefix_to_string(&p).s);
	}
	fprintf(f, "\t}\n}\n");
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Runs `nft -f -` with text on stdin. 0, or -EIO with nft's own message on stderr. */
static int run_nft(const char *text)
{
	char *argv[] = { (char *)GATEWAY_NFT, (char *)"-f", (char *)"-", NULL };
	posix_spawn_file_actions_t fa;
	int pipefd[2], status, r;
	size_t len = strlen(text), done = 0;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[0], STDIN_FILENO);
	r = posix_spawn(&pid, GATEWAY_NFT, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[0]);
	if (r != 0) {
		close(pipefd[1]);
		return -r;
	}
	while (done < len) {
		ssize_t n = write(pipefd[1], text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(pipefd[1]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 && done == len ? 0 : -EIO;
}

static int read_sysctl(const char *path, char *ret)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	*ret = (char)fgetc(f);
	return *ret == '0' || *ret == '1' ? 0 : -EBADMSG;
}

static int write_sysctl(const char *path, char v)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	char buf[2] = { v, '\n' };

	if (fd < 0)
		return -errno;
	return write(fd, buf, 2) == 2 ? 0 : -errno;
}

static char *marker_path(const char *run_dir, const char *wg_if)
{
	char *p = NULL;

	return asprintf(&p, "%s/%s.gateway", run_dir, wg_if) < 0 ? NULL : p;
}

static int out_interface(const struct wg_config *cfg, char ret[IFNAMSIZ])
{
	union wg_sockaddr any = { .in = { .sin_family = AF_INET } };
	struct rtnl_route_info via;
	struct rtnl *rt = NULL;
	int r;

	r = rtnl_open(&rt);
	if (r < 0)
		return r;
	inet_pton(AF_INET, "192.0.2.1", &any.in.sin_addr); /* any address out there */
	r = rtnl_route_get(rt, &any, cfg->has_fwmark ? cfg->fwmark : 0, &via);
	rtnl_close(rt);
	if (r < 0)
		return r;
	if (via.oif == 0 || !if_indextoname(via.oif, ret))
		return -ENETUNREACH;
	return 0;
}

int gateway_up(const struct wg_config *cfg, const char *out_if, const char *run_dir)
{
	_cleanup_free_ char *text = NULL, *marker = NULL;
	char out[IFNAMSIZ], v4 = '0', v6 = '0';
	bool has6 = false;
	int r;

	if (!out_if) {
		r = out_interface(cfg, out);
		if (r < 0)
			return log_errno(r, "gateway: %s: finding the primary interface (the default "
					    "route)", cfg->ifname);
		out_if = out;
	}
	text = gateway_ruleset(cfg->ifname, out_if, cfg->addresses, cfg->n_addresses);
	marker = marker_path(run_dir, cfg->ifname);
	if (!text || !marker)
		return log_errno(-EINVAL, "gateway: %s: cannot make a ruleset for '%s'", cfg->ifname,
				 out_if);
	for (size_t i = 0; i < cfg->n_addresses; i++)
		has6 |= cfg->addresses[i].family == AF_INET6;
	/* Keep what forwarding was before the first gateway_up(), for gateway_down(). */
	if (access(marker, F_OK) < 0) {
		_cleanup_fclose_ FILE *f = NULL;

		(void)read_sysctl(FWD4, &v4);
		(void)read_sysctl(FWD6, &v6);
		if (mkdir(run_dir, 0755) < 0 && errno != EEXIST)
			return log_errno(-errno, "gateway: creating '%s'", run_dir);
		f = fopen(marker, "we");
		if (!f || fprintf(f, "out=%s\nipv4_forward=%c\nipv6_forward=%c\n", out_if, v4, v6) < 0)
			return log_errno(-errno ? -errno : -EIO, "gateway: writing '%s'", marker);
	}
	r = run_nft(text);
	if (r < 0)
		return log_errno(r, "gateway: %s: '" GATEWAY_NFT " -f -' failed (is nftables "
				    "installed?)", cfg->ifname);
	r = write_sysctl(FWD4, '1');
	if (r == 0 && has6)
		r = write_sysctl(FWD6, '1');
	if (r < 0)
		return log_errno(r, "gateway: %s: turning on IP forwarding", cfg->ifname);
	return 0;
}

int gateway_down(const char *wg_if, const char *run_dir)
{
	_cleanup_free_ char *marker = marker_path(run_dir, wg_if), *text = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	char line[64];
	int r = 0;

	if (!marker || !nft_name_ok(wg_if))
		return 0;
	f = fopen(marker, "re");
	if (!f)
		return 0; /* gateway_up() never ran for it */
	if (asprintf(&text, "table inet wgagent-%s\ndelete table inet wgagent-%s\n", wg_if,
		     wg_if) < 0)
		return log_errno(-ENOMEM, "gateway");
	r = run_nft(text);
	if (r < 0)
		log_errno(r, "gateway: %s: deleting the nftables table", wg_if);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "ipv4_forward=", 13) && (line[13] == '0' || line[13] == '1'))
			(void)write_sysctl(FWD4, line[13]);
		if (!strncmp(line, "ipv6_forward=", 13) && (line[13] == '0' || line[13] == '1'))
			(void)write_sysctl(FWD6, line[13]);
	}
	(void)unlink(marker);
	return r;
}
