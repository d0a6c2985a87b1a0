/* SPDX-License-Identifier: MIT */
#ifndef WGBAKE_BLOB_H
#define WGBAKE_BLOB_H

#include <stdbool.h>
#include <stdint.h>

#include "cred.h"
#include "disk.h"
#include "http.h"
#include "ranges.h"

/* Page blobs: create, inspect, and the parallel Put Page / verify engine (curl multi). */
#define BLOB_META_ID "x-ms-meta-wgbakeupload"
#define BLOB_META_DIGEST "x-ms-meta-wgbakedigest"

struct blob_client {
	struct cred *cred;
	const char *url; /* the blob, without SAS */
	struct http_retry retry;
	unsigned concurrency;
	long low_speed_seconds; /* a transfer slower than 1 KiB/s this long fails (and retries) */
};

struct blob_props {
	bool exists;
	bool page_blob;
	uint64_t size;
	char upload_id[33];
	char digest[65];
};

struct blob_stats {
	uint64_t bytes_total; /* of this run's plan */
	uint64_t bytes_done;  /* acknowledged */
	uint64_t bytes_sent;  /* request bodies, retries included */
	uint64_t bytes_read;  /* response bodies of verify requests */
	unsigned requests;
	unsigned retries;
	unsigned transport_errors;
};

enum blob_op {
	BLOB_PUT_PAGES,
	BLOB_VERIFY_PAGES,
};

typedef void (*blob_done_fn)(void *userdata, uint64_t off, uint64_t len);
typedef void (*blob_tick_fn)(void *userdata, const struct blob_stats *stats);

/* Each of these logs its own errors, once. */
int blob_get_props(struct blob_client *b, struct http_xfer *x, struct blob_props *ret);
/* Put Blob of a page blob of `size` bytes; without overwrite, -EEXIST (quietly) if it exists. */
int blob_create(struct blob_client *b, struct http_xfer *x, uint64_t size, const char *upload_id,
		bool overwrite);
int blob_page_ranges(struct blob_client *b, struct http_xfer *x, struct extents *ret);
int blob_set_metadata(struct blob_client *b, struct http_xfer *x, const char *upload_id,
		      const char *digest);

/*
 * Runs one request per extent of reqs (each at most PUT_PAGE_MAX, 512-aligned), up to
 * b->concurrency at once, retrying with backoff. PUT writes the disk's bytes with
 * Content-MD5; VERIFY reads them back and compares MD5s. done() runs for each request the
 * server acknowledged (or that matched), tick() on every turn of the loop. Stops at the
 * first error that retrying can't fix (401/403 at once, without a storm).
 */
int blob_run(struct blob_client *b, const struct disk *d, enum blob_op op,
	     const struct extents *reqs, blob_done_fn done, blob_tick_fn tick, void *userdata,
	     struct blob_stats *stats);

#endif
