// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "fileio.h"
#include "key.h"
#include "macros.h"

int key_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

bool key_from_base64(struct wg_key *ret, const char *b64)
{
	struct wg_key key;
	char again[WG_KEY_B64_LEN];
	size_t len = 0;
	bool ok;

	if (strlen(b64) != WG_KEY_B64_LEN - 1 || b64[WG_KEY_B64_LEN - 2] != '=')
		return false;
	if (sodium_base642bin(key.b, sizeof(key.b), b64, WG_KEY_B64_LEN - 1, NULL, &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    len != sizeof(key.b)) {
		key_wipe(&key);
		return false;
	}
	/* Reject non-canonical encodings (stray low bits in the last digit). */
	key_to_base64(again, &key);
	ok = sodium_memcmp(again, b64, WG_KEY_B64_LEN - 1) == 0;
	sodium_memzero(again, sizeof(again));
	if (ok)
		*ret = key;
	key_wipe(&key);
	return ok;
}

void key_to_base64(char out[WG_KEY_B64_LEN], const struct wg_key *key)
{
	sodium_bin2base64(out, WG_KEY_B64_LEN, key->b, sizeof(key->b),
			  sodium_base64_VARIANT_ORIGINAL);
}

void key_clamp(struct wg_key *key)
{
	key->b[0] &= 248;
	key->b[31] = (key->b[31] & 127) | 64;
}

void key_generate_private(struct wg_key *ret)
{
	randombytes_buf(ret->b, sizeof(ret->b));
	key_clamp(ret);
}

bool key_public_from_private(struct wg_key *ret, const struct wg_key *private_key)
{
	struct wg_key clamped = *private_key;
	int r;

	key_clamp(&clamped);
	r = crypto_scalarmult_curve25519_base(ret->b, clamped.b);
	key_wipe(&clamped);
	return r == 0;
}

bool key_is_zero(const struct wg_key *key)
{
	return sodium_is_zero(key->b, sizeof(key->b)) == 1;
}

bool key_equal(const struct wg_key *a, const struct wg_key *b)
{
	return sodium_memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

void key_wipe(struct wg_key *key)
{
	sodium_memzero(key->b, sizeof(key->b));
}

void secret_wipe(void *p, size_t len)
{
	if (p)
		sodium_memzero(p, len);
}

int key_read_file(const char *path, struct wg_key *ret, bool *ret_world_readable)
{
	_cleanup_close_ int fd = -1;
	char buf[WG_KEY_B64_LEN + 2];
	struct stat st;
	ssize_t n;
	size_t len;
	int r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	len = (size_t)n;
	buf[len] = '\0';
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	if (!key_from_base64(ret, buf))
		r = -EBADMSG;
	else if (ret_world_readable)
		*ret_world_readable = (st.st_mode & S_IROTH) != 0;
	sodium_memzero(buf, sizeof(buf));
	return r;
}

int key_write_file(const char *path, const struct wg_key *key)
{
	char b64[WG_KEY_B64_LEN + 1];
	size_t len;
	int r;

	key_to_base64(b64, key);
	len = strlen(b64);
	b64[len++] = '\n';
	r = write_file_atomic(path, b64, len, 0600);
	sodium_memzero(b64, sizeof(b64));
	return r;
}
