// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macros.h"
#include "state.h"

#define STATE_MAX_SIZE (64u * 1024 * 1024)

void state_free(struct upload_state *s)
{
	if (!s)
		return;
	free(s->blob);
	extents_free(&s->done);
	*s = (struct upload_state){0};
}

static bool is_hex(const char *s, size_t len)
{
	if (strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool parse_u64(const char *s, const char **end, uint64_t *ret)
{
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*end = s;
	*ret = v;
	return true;
}

static int parse_line(struct upload_state *s, char *line)
{
	const char *end;
	uint64_t a, b;

	if (strncmp(line, "done ", 5) == 0) {
		if (!parse_u64(line + 5, &end, &a) || *end != ' ' ||
		    !parse_u64(end + 1, &end, &b) || *end || b == 0 || a % PAGE_SIZE_BLOB ||
		    b % PAGE_SIZE_BLOB || a + b < a || (s->blob_size && a + b > s->blob_size))
			return -EBADMSG;
		return extents_push(&s->done, a, b);
	}
	if (strncmp(line, "blob ", 5) == 0 && !s->blob) {
		if (!line[5] || strchr(line + 5, '?') || strchr(line + 5, ' '))
			return -EBADMSG;
		s->blob = strdup(line + 5);
		return s->blob ? 0 : -ENOMEM;
	}
	if (strncmp(line, "blob-size ", 10) == 0 && !s->blob_size) {
		if (!parse_u64(line + 10, &end, &a) || *end || a == 0 || a % PAGE_SIZE_BLOB)
			return -EBADMSG;
		s->blob_size = a;
		return 0;
	}
	if (strncmp(line, "digest ", 7) == 0 && !s->digest[0]) {
		if (!is_hex(line + 7, STATE_DIGEST_HEX))
			return -EBADMSG;
		memcpy(s->digest, line + 7, STATE_DIGEST_HEX + 1);
		return 0;
	}
	if (strncmp(line, "upload-id ", 10) == 0 && !s->upload_id[0]) {
		if (!is_hex(line + 10, STATE_ID_HEX))
			return -EBADMSG;
		memcpy(s->upload_id, line + 10, STATE_ID_HEX + 1);
		return 0;
	}
	return -EBADMSG;
}

int state_parse(const char *buf, size_t len, struct upload_state *ret)
{
	struct upload_state s = {0};
	size_t pos = 0, line_no = 0;
	int r = 0;

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n;
		char *line;

		if (!nl)
			break; /* torn by a kill: ignore */
		n = (size_t)(nl - (buf + pos));
		line = strndup(buf + pos, n);
		if (!line) {
			r = -ENOMEM;
			goto fail;
		}
		if (strlen(line) != n) /* a NUL inside */
			r = -EBADMSG;
		else if (line_no == 0)
			r = strcmp(line, STATE_MAGIC) == 0 ? 0 : -EBADMSG;
		else if (line_no < 5 && strncmp(line, "done ", 5) == 0)
			r = -EBADMSG; /* header first */
		else
			r = parse_line(&s, line);
		free(line);
		if (r < 0)
			goto fail;
		pos += n + 1;
		line_no++;
	}
	if (!s.blob || !s.blob_size || !s.digest[0] || !s.upload_id[0]) {
		r = -EBADMSG;
		goto fail;
	}
	extents_normalize(&s.done);
	*ret = s;
	return 0;
fail:
	state_free(&s);
	return r;
}

char *state_format_header(const struct upload_state *s)
{
	char *out = NULL;

	if (asprintf(&out, "%s\nblob %s\nblob-size %" PRIu64 "\ndigest %s\nupload-id %s\n",
		     STATE_MAGIC, s->blob, s->blob_size, s->digest, s->upload_id) < 0)
		return NULL;
	return out;
}

int state_load(const char *path, struct upload_state *ret)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t have = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size > STATE_MAX_SIZE)
		return -EBADMSG;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (have < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + have, (size_t)st.st_size - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		have += (size_t)n;
	}
	return state_parse(buf, have, ret);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int state_create(const char *path, const struct upload_state *s)
{
	_cleanup_free_ char *header = state_format_header(s), *tmp = NULL;
	int fd, r;

	struct stat st;

	if (!header || asprintf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	/* Replaced by rename(): never do that to a device, a FIFO or a symlink's target. */
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return -EINVAL;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	r = write_all(fd, header, strlen(header));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlink(tmp);
		return r;
	}
	return state_open_append(path);
}

int state_open_append(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int state_append_done(int fd, uint64_t off, uint64_t len)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "done %" PRIu64 " %" PRIu64 "\n", off, len);

	/* One write() per line: O_APPEND makes it land whole or, on a crash, torn at the end. */
	return write_all(fd, line, (size_t)n);
}
