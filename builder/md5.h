/* SPDX-License-Identifier: MIT */
#ifndef WGBAKE_MD5_H
#define WGBAKE_MD5_H

#include <stddef.h>
#include <stdint.h>

/*
 * MD5 (RFC 1321), only because Azure's Content-MD5 asks for it: never for anything that
 * needs a secure hash. libsodium has no MD5 and the builder links no other crypto library.
 */
struct md5 {
	uint32_t h[4];
	uint64_t len;
	uint8_t buf[64];
};

void md5_init(struct md5 *m);
void md5_update(struct md5 *m, const void *data, size_t len);
void md5_final(struct md5 *m, uint8_t out[16]);
void md5(const void *data, size_t len, uint8_t out[16]);

#endif
