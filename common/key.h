/* SPDX-License-Identifier: MIT */
#ifndef WGBAKE_KEY_H
#define WGBAKE_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WG_KEY_LEN 32
/* 44 base64 characters plus NUL, as wg(8) prints them. */
#define WG_KEY_B64_LEN 45

struct wg_key {
	uint8_t b[WG_KEY_LEN];
};

/* Must be called once before any other key_*() (it calls sodium_init()). */
int key_init(void);

/* Accepts exactly the canonical 44-character form; whitespace is not allowed. */
bool key_from_base64(struct wg_key *ret, const char *b64);
void key_to_base64(char out[WG_KEY_B64_LEN], const struct wg_key *key);

void key_clamp(struct wg_key *key);
void key_generate_private(struct wg_key *ret);
/* Returns false if the private key yields the all-zero public key. */
bool key_public_from_private(struct wg_key *ret, const struct wg_key *private_key);

bool key_is_zero(const struct wg_key *key);
bool key_equal(const struct wg_key *a, const struct wg_key *b);
void key_wipe(struct wg_key *key);
/* Wipes any buffer that carried key material. */
void secret_wipe(void *p, size_t len);

/*
 * Reads one base64 key from a file (a trailing newline is allowed), as
 * wg(8) does for "private-key <file>". Returns 0, -EBADMSG for content that
 * is not a key, or -errno. *ret_world_readable tells whether the file is
 * readable by others (callers warn). Logs nothing.
 */
int key_read_file(const char *path, struct wg_key *ret, bool *ret_world_readable);

/*
 * Writes a key file with mode 0600, atomically (temporary file + rename).
 * Returns 0 or -errno. Logs nothing.
 */
int key_write_file(const char *path, const struct wg_key *key);

#endif
