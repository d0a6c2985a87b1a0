// SPDX-License-Identifier: MIT
/*
 * Key binding. The state folder remembers which machine its keys were made
 * on; a different machine (a clone of the disk, or an image captured with
 * keys inside) never gets to use them.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "identity.h"
#include "key.h"
#include "log.h"
#include "macros.h"

#define IDENTITY_FILE "identity"

static bool id_known(const char *s)
{
	bool zero = true, eff = true;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s == '-')
			continue;
		zero &= *s == '0';
		eff &= *s == 'f';
	}
	return !zero && !eff;
}

static bool differs(const char *a, const char *b)
{
	return id_known(a) && id_known(b) && strcmp(a, b) != 0;
}

bool identity_is_other_machine(const struct identity *stored, const struct identity *now)
{
	return differs(stored->product_uuid, now->product_uuid) || differs(stored->vm_id, now->vm_id);
}

int identity_format(const struct identity *id, char *buf, size_t len)
{
	int n = snprintf(buf, len, "product_uuid=%s\nvm_id=%s\n", id->product_uuid, id->vm_id);

	return n < 0 || (size_t)n >= len ? -ENOBUFS : n;
}

/* Copies an identifier: printable, no spaces, lower-cased; false if it is not one. */
static bool copy_id(char dst[IDENTITY_ID_MAX], const char *src, size_t len)
{
	if (len >= IDENTITY_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];

		if (!isalnum(c) && c != '-')
			return false;
		dst[i] = (char)tolower(c);
	}
	dst[len] = '\0';
	return true;
}

int identity_parse(const char *text, struct identity *ret)
{
	struct identity id;

	memset(&id, 0, sizeof(id));
	while (*text) {
		const char *eol = strchrnul(text, '\n');
		const char *eq = memchr(text, '=', (size_t)(eol - text));

		if (eol > text) {
			size_t klen, vlen;
			char *dst;

			if (!eq)
				return -EBADMSG;
			klen = (size_t)(eq - text);
			vlen = (size_t)(eol - eq - 1);
			if (klen == 12 && !memcmp(text, "product_uuid", 12))
				dst = id.product_uuid;
			else if (klen == 5 && !memcmp(text, "vm_id", 5))
				dst = id.vm_id;
			else
				dst = NULL; /* newer fields: ignored */
			if (dst && !copy_id(dst, eq + 1, vlen))
				return -EBADMSG;
		}
		text = *eol ? eol + 1 : eol;
	}
	*ret = id;
	return 0;
}

void identity_read_product_uuid(const char *path, struct identity *id)
{
	_cleanup_fclose_ FILE *f = NULL;
	char line[IDENTITY_ID_MAX + 2];
	size_t n;

	id->product_uuid[0] = '\0';
	f = fopen(path, "re");
	if (!f || !fgets(line, sizeof(line), f))
		return;
	n = strcspn(line, "\r\n");
	if (!copy_id(id->product_uuid, line, n))
		id->product_uuid[0] = '\0';
}

/* Overwrites a key file with zeroes before unlinking it: the old key must not survive. */
static int wipe_file(int dirfd, const char *name)
{
	static const char zeroes[64];
	_cleanup_close_ int fd = -1;
	struct stat st;

	fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		for (off_t done = 0; done < st.st_size; done += (off_t)sizeof(zeroes)) {
			size_t n = (size_t)(st.st_size - done) < sizeof(zeroes)
					   ? (size_t)(st.st_size - done)
					   : sizeof(zeroes);

			if (pwrite(fd, zeroes, n, done) != (ssize_t)n)
				return -errno;
		}
		if (fsync(fd) < 0)
			return -errno;
	}
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static bool is_key_name(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && !strcmp(name + n - 4, ".key");
}

/* Wipes every *.key in state_dir; *ret_n = how many there were. */
static int wipe_keys(const char *state_dir, unsigned *ret_n)
{
	DIR *d = opendir(state_dir);
	struct dirent *de;
	int r = 0, q;

	*ret_n = 0;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (!is_key_name(de->d_name))
			continue;
		q = wipe_file(dirfd(d), de->d_name);
		if (q < 0 && r == 0)
			r = q;
		(*ret_n)++;
	}
	closedir(d);
	return r;
}

static int any_keys(const char *state_dir)
{
	DIR *d = opendir(state_dir);
	struct dirent *de;
	bool found = false;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (!found && (de = readdir(d)))
		found = is_key_name(de->d_name);
	closedir(d);
	return found;
}

static int read_identity(const char *path, struct identity *ret)
{
	_cleanup_fclose_ FILE *f = NULL;
	char buf[512];
	size_t n;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	if (ferror(f))
		return -EIO;
	buf[n] = '\0';
	return identity_parse(buf, ret);
}

static int write_identity(const char *path, const struct identity *id)
{
	char buf[256];
	int n;

	n = identity_format(id, buf, sizeof(buf));
	if (n < 0)
		return n;
	return write_file_atomic(path, buf, (size_t)n, 0600);
}

/* Makes sure the state folder belongs to this machine; discards keys if it does not. */
static int check_binding(const char *state_dir, const struct identity *now, bool *ret_rotated)
{
	_cleanup_free_ char *path = NULL;
	struct identity stored;
	unsigned n = 0;
	int r;

	*ret_rotated = false;
	if (asprintf(&path, "%s/" IDENTITY_FILE, state_dir) < 0)
		return log_errno(-ENOMEM, "identity");
	r = read_identity(path, &stored);
	if (r == 0 && !identity_is_other_machine(&stored, now)) {
		/* Same machine; learn identifiers that were unknown before (IMDS came up later). */
		if ((!id_known(stored.vm_id) && id_known(now->vm_id)) ||
		    (!id_known(stored.product_uuid) && id_known(now->product_uuid))) {
			struct identity merged = stored;

			if (!id_known(stored.vm_id))
				memcpy(merged.vm_id, now->vm_id, sizeof(merged.vm_id));
			if (!id_known(stored.product_uuid))
				memcpy(merged.product_uuid, now->product_uuid,
				       sizeof(merged.product_uuid));
			r = write_identity(path, &merged);
			if (r < 0)
				return log_errno(r, "identity: writing '%s'", path);
		}
		return 0;
	}
	if (r < 0 && r != -ENOENT && r != -EBADMSG)
		return log_errno(r, "identity: reading '%s'", path);
	if (r == -ENOENT) {
		r = any_keys(state_dir);
		if (r < 0)
			return log_errno(r, "identity: reading '%s'", state_dir);
	} else
		r = 1; /* another machine, or a damaged record: the keys can't be trusted */
	if (r > 0) {
		r = wipe_keys(state_dir, &n);
		if (r < 0)
			return log_errno(r, "identity: discarding the keys in '%s'", state_dir);
		if (n > 0) {
			log_warn("identity: '%s' holds keys made on another machine (this is a copy of "
				 "its disk; vmId '%s', product UUID '%s'): %u discarded, new ones are made",
				 state_dir, now->vm_id[0] ? now->vm_id : "unknown",
				 now->product_uuid[0] ? now->product_uuid : "unknown", n);
			*ret_rotated = true;
		}
	}
	if (mkdir(state_dir, 0700) < 0 && errno != EEXIST)
		return log_errno(-errno, "identity: creating '%s'", state_dir);
	r = write_identity(path, now);
	if (r < 0)
		return log_errno(r, "identity: writing '%s'", path);
	return 0;
}

int identity_ensure_key(struct wg_config *cfg, const char *state_dir, const struct identity *now,
			bool *ret_rotated)
{
	_cleanup_free_ char *path = NULL;
	bool world_readable = false, rotated = false;
	int r;

	r = check_binding(state_dir, now, &rotated);
	if (r < 0)
		return r;
	if (ret_rotated)
		*ret_rotated = rotated;
	if (cfg->has_private_key)
		return 0;
	if (asprintf(&path, "%s/%s.key", state_dir, cfg->ifname) < 0)
		return log_errno(-ENOMEM, "identity");
	r = key_read_file(path, &cfg->private_key, &world_readable);
	if (r == 0) {
		if (world_readable)
			log_warn("'%s' is world-readable; it holds a private key", path);
		cfg->has_private_key = true;
		return 0;
	}
	if (r != -ENOENT)
		return log_errno(r, "identity: reading the generated key '%s'", path);
	key_generate_private(&cfg->private_key);
	r = key_write_file(path, &cfg->private_key);
	if (r < 0) {
		key_wipe(&cfg->private_key);
		return log_errno(r, "identity: storing the generated key in '%s'", path);
	}
	cfg->has_private_key = true;
	log_info("%s: generated a private key, kept in '%s'", cfg->ifname, path);
	return 0;
}
