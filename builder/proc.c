// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "macros.h"

#include "proc.h"

#define PROC_MAX_OUT (16u * 1024 * 1024)

extern char **environ;

struct sink {
	char *buf;
	size_t len, cap;
};

static int sink_read(int fd, struct sink *s)
{
	char tmp[65536];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -errno;
	if (n == 0)
		return 0;
	if (s->len + (size_t)n + 1 > s->cap && s->len + (size_t)n < PROC_MAX_OUT) {
		size_t cap = s->cap ? s->cap * 2 : 65536;
		char *b;

		while (cap < s->len + (size_t)n + 1)
			cap *= 2;
		b = realloc(s->buf, cap);
		if (!b)
			return -ENOMEM;
		s->buf = b;
		s->cap = cap;
	}
	if (s->len + (size_t)n + 1 <= s->cap) {
		memcpy(s->buf + s->len, tmp, (size_t)n);
		s->len += (size_t)n;
		s->buf[s->len] = '\0';
	}
	return 1;
}

static const char *last_line(struct sink *s)
{
	char *p;

	if (!s->buf)
		return "";
	while (s->len && (s->buf[s->len - 1] == '\n' || s->buf[s->len - 1] == '\r'))
		s->buf[--s->len] = '\0';
	p = strrchr(s->buf, '\n');
	return p ? p + 1 : s->buf;
}

int proc_run(const char *what, char *const argv[], char **ret_out)
{
	posix_spawn_file_actions_t fa;
	int out[2] = {-1, -1}, err[2] = {-1, -1};
	struct sink so = {0}, se = {0};
	pid_t pid;
	int r, status;

	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		r = log_errno(-errno, "%s: pipe", what);
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	(void)close(out[1]);
	(void)close(err[1]);
	out[1] = err[1] = -1;
	if (r != 0) {
		r = log_errno(-r, "%s: cannot run '%s'", what, argv[0]);
		goto out;
	}
	for (int open_fds = 2; open_fds > 0;) {
		struct pollfd p[2] = {{.fd = out[0], .events = POLLIN},
				      {.fd = err[0], .events = POLLIN}};

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (sink_read(p[i].fd, i == 0 ? &so : &se) <= 0) {
				(void)close(i == 0 ? out[0] : err[0]);
				if (i == 0)
					out[0] = -1;
				else
					err[0] = -1;
				open_fds--;
			}
		}
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			r = log_errno(-errno, "%s: waitpid", what);
			goto out;
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		const char *l = last_line(&se);

		if (WIFEXITED(status))
			log_error("%s: '%s' failed with exit status %d%s%s", what, argv[0],
				  WEXITSTATUS(status), *l ? ": " : "", l);
		else
			log_error("%s: '%s' killed by signal %d", what, argv[0], WTERMSIG(status));
		r = -EIO;
		goto out;
	}
	r = 0;
	if (ret_out) {
		*ret_out = so.buf ? so.buf : strdup("");
		so.buf = NULL;
		if (!*ret_out)
			r = -ENOMEM;
	}
out:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			(void)close(out[i]);
		if (err[i] >= 0)
			(void)close(err[i]);
	}
	free(so.buf);
	free(se.buf);
	return r;
}
