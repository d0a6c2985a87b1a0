/* SPDX-License-Identifier: MIT */
#ifndef WGBAKE_UPLOAD_H
#define WGBAKE_UPLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "cred.h"
#include "disk.h"
#include "http.h"

/*
 * An image as a fixed VHD into a page blob: only non-zero pages travel, in Put Page requests
 * of at most 4 MiB sent in parallel, then the footer; a state file and Get Page Ranges let a
 * killed upload resume without sending again what the server holds; at the end the page
 * ranges and a sample (or all) of the content are checked. `wgbake upload` and the upload
 * stage of a build both call upload_image().
 */
#define UPLOAD_DEFAULT_CONCURRENCY 8
#define UPLOAD_MAX_CONCURRENCY 64

struct upload_opts {
	struct cred_options cred;
	enum disk_format format;
	const char *image;
	const char *url;	/* the blob, without query; NULL: the one a SAS URL names */
	const char *state_path; /* NULL: IMAGE.wgbake-upload */
	unsigned concurrency;
	uint64_t max_request;
	struct http_retry retry;
	long timeout;
	bool overwrite;
	bool verify_all;
	bool progress; /* a progress bar on stderr */
	bool quiet;    /* no "resuming" note */
};

struct upload_result {
	const char *status; /* "uploaded" or "unchanged" */
	char *blob;
	enum disk_format format;
	uint64_t virtual_size;
	uint64_t data_bytes;
	uint64_t bytes_sent;
	uint64_t bytes_resumed;
	uint64_t verified_bytes;
	unsigned requests;
	unsigned retries;
	double seconds;
	char digest[DISK_DIGEST_BYTES * 2 + 1];
};

void upload_opts_init(struct upload_opts *o);
/* Logs its errors. Needs http_global_init() and sodium_init() done. */
int upload_image(const struct upload_opts *o, struct upload_result *ret);
void upload_result_free(struct upload_result *r);

#endif
