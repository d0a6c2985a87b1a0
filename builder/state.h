/* SPDX-License-Identifier: MIT */
#ifndef WGBAKE_STATE_H
#define WGBAKE_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "ranges.h"

/*
 * The upload state file: a header naming the blob and the image, then one line per Put Page
 * that the server acknowledged, appended as they complete:
 *
 *	wgbake-upload-state 1
 *	blob https://acct.blob.core.windows.net/vhds/disk.vhd
 *	blob-size 68157952
 *	digest <64 hex: BLAKE2b-256 of the blob's non-zero pages>
 *	upload-id <32 hex: also the blob's x-ms-meta-wgbakeupload>
 *	done 0 4194304
 *	done 8388608 1048576
 *
 * Appending one short line with O_APPEND is a single write, so a kill -9 leaves at worst a
 * torn last line, which the parser drops. Nothing secret is ever written here.
 */
#define STATE_MAGIC "wgbake-upload-state 1"
#define STATE_DIGEST_HEX 64
#define STATE_ID_HEX 32

struct upload_state {
	char *blob;
	uint64_t blob_size;
	char digest[STATE_DIGEST_HEX + 1];
	char upload_id[STATE_ID_HEX + 1];
	struct extents done; /* normalized */
};

void state_free(struct upload_state *s);
/* Pure: -EBADMSG for anything but a well-formed file (a torn last line is fine), -ENOMEM. */
int state_parse(const char *buf, size_t len, struct upload_state *ret);
/* Pure: the header lines; NULL on OOM. */
char *state_format_header(const struct upload_state *s);

/* I/O; these don't log. -ENOENT when there is no state file. */
int state_load(const char *path, struct upload_state *ret);
/* Writes the header to path.tmp, fsyncs, renames; returns an O_APPEND fd for state_append. */
int state_create(const char *path, const struct upload_state *s);
/* Opens an existing state file for appending. */
int state_open_append(const char *path);
int state_append_done(int fd, uint64_t off, uint64_t len);

#endif
