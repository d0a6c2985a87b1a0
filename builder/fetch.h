/* SPDX-License-Identifier: MIT */
#ifndef WGBAKE_FETCH_H
#define WGBAKE_FETCH_H

#include <stdbool.h>

#define SHA256_HEX 64

/*
 * Downloads url (https, http or file) into cache_dir as <sha256>.img, resuming a
 * <sha256>.part left by an earlier run, with a progress bar on a TTY. The finished file is
 * checked against sha256 (64 lowercase hex): a mismatch deletes the download and fails.
 * A file already in the cache is checked again and used. *ret_path is the cached file.
 * Logs.
 */
int fetch_base(const char *url, const char *sha256, const char *cache_dir, bool progress,
	       char **ret_path);

/* sha256 of a file's contents as lowercase hex. Doesn't log. */
int sha256_file(const char *path, char ret_hex[SHA256_HEX + 1]);
/* sha256 of a buffer. Pure. */
void sha256_hex(const void *buf, size_t len, char ret_hex[SHA256_HEX + 1]);

#endif
