// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "macros.h"

#include "blob.h"
#include "md5.h"

static const long quiet_404[] = {404, 0};
static const long quiet_409[] = {409, 0};

static void copy_hex(char *dst, size_t dst_size, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	dst[0] = '\0';
	if (!src || n != dst_size - 1)
		return;
	for (size_t i = 0; i < n; i++)
		if (!((src[i] >= '0' && src[i] <= '9') || (src[i] >= 'a' && src[i] <= 'f')))
			return;
	memcpy(dst, src, n + 1);
}

int blob_get_props(struct blob_client *b, struct http_xfer *x, struct blob_props *ret)
{
	struct blob_props p = {0};
	const char *v;
	int r;

	r = http_request(x, b->cred, &b->retry, "reading blob properties", "HEAD", b->url, NULL, 0,
			 NULL, 0, quiet_404);
	if (r == -ENOENT) {
		*ret = p;
		return 0;
	}
	if (r < 0)
		return r;
	p.exists = true;
	v = http_xfer_header(x, "x-ms-blob-type");
	p.page_blob = v && strncmp(v, "PageBlob", 8) == 0;
	v = http_xfer_header(x, "Content-Length");
	p.size = v ? strtoull(v, NULL, 10) : 0;
	copy_hex(p.upload_id, sizeof(p.upload_id), http_xfer_header(x, BLOB_META_ID));
	copy_hex(p.digest, sizeof(p.digest), http_xfer_header(x, BLOB_META_DIGEST));
	*ret = p;
	return 0;
}

int blob_create(struct blob_client *b, struct http_xfer *x, uint64_t size, const char *upload_id,
		bool overwrite)
{
	char len_h[64], id_h[96];
	const char *h[6];
	size_t n = 0;

	snprintf(len_h, sizeof(len_h), "x-ms-blob-content-length: %" PRIu64, size);
	snprintf(id_h, sizeof(id_h), BLOB_META_ID ": %s", upload_id);
	h[n++] = "x-ms-blob-type: PageBlob";
	h[n++] = len_h;
	h[n++] = id_h;
	h[n++] = "Content-Length: 0";
	if (!overwrite)
		h[n++] = "If-None-Match: *";
	return http_request(x, b->cred, &b->retry, "creating the page blob", "PUT", b->url, h, n,
			    NULL, 0, overwrite ? NULL : quiet_409);
}

int blob_set_metadata(struct blob_client *b, struct http_xfer *x, const char *upload_id,
		      const char *digest)
{
	_cleanup_free_ char *url = NULL;
	char id_h[96], dg_h[128];
	const char *h[3] = {id_h, dg_h, "Content-Length: 0"};

	if (asprintf(&url, "%s?comp=metadata", b->url) < 0)
		return log_errno(-ENOMEM, "setting blob metadata");
	snprintf(id_h, sizeof(id_h), BLOB_META_ID ": %s", upload_id);
	snprintf(dg_h, sizeof(dg_h), BLOB_META_DIGEST ": %s", digest);
	return http_request(x, b->cred, &b->retry, "setting blob metadata", "PUT", url, h, 3, NULL,
			    0, NULL);
}

int blob_page_ranges(struct blob_client *b, struct http_xfer *x, struct extents *ret)
{
	struct extents all = {0};
	_cleanup_free_ char *marker = NULL;
	int r;

	for (;;) {
		_cleanup_free_ char *url = NULL, *next = NULL;
		struct extents part = {0};

		if (marker)
			r = asprintf(&url, "%s?comp=pagelist&marker=%s", b->url, marker);
		else
			r = asprintf(&url, "%s?comp=pagelist", b->url);
		if (r < 0) {
			extents_free(&all);
			return log_errno(-ENOMEM, "listing page ranges");
		}
		r = http_request(x, b->cred, &b->retry, "listing page ranges", "GET", url, NULL, 0,
				 NULL, 0, NULL);
		if (r < 0) {
			extents_free(&all);
			return r;
		}
		r = x->body_truncated
			    ? -EFBIG
			    : page_ranges_parse(x->body ? x->body : "", x->body_len, &part, &next);
		if (r < 0) {
			extents_free(&all);
			return log_errno(r, "listing page ranges: unexpected answer");
		}
		for (size_t i = 0; i < part.n && r >= 0; i++)
			r = extents_push(&all, part.v[i].off, part.v[i].len);
		extents_free(&part);
		if (r < 0) {
			extents_free(&all);
			return log_errno(r, "listing page ranges");
		}
		free(marker);
		marker = TAKE_PTR(next);
		if (!marker)
			break;
	}
	extents_normalize(&all);
	*ret = all;
	return 0;
}

/* ------------------------------------------------------------------ the engine */

struct job {
	uint64_t off;
	uint64_t len;
	unsigned attempts;
	long long not_before;
};

struct slot {
	struct http_xfer x;
	uint8_t *buf;
	size_t job; /* index into jobs, valid while busy */
	bool busy;
	uint8_t md5[16];
};

struct engine {
	struct blob_client *b;
	const struct disk *d;
	enum blob_op op;
	CURLM *multi;
	struct slot *slots;
	unsigned n_slots;
	struct job *jobs;
	size_t n_jobs;
	size_t next_fresh;
	size_t *retry; /* job indices waiting for a retry */
	size_t n_retry;
	size_t n_done;
	struct blob_stats *stats;
};

static void range_header(char *out, size_t size, const struct job *j)
{
	snprintf(out, size, "x-ms-range: bytes=%" PRIu64 "-%" PRIu64, j->off, j->off + j->len - 1);
}

static int start_job(struct engine *e, struct slot *s, size_t ji)
{
	struct job *j = &e->jobs[ji];
	_cleanup_free_ char *url = NULL;
	char range_h[80], md5_h[64], len_h[48], b64[32];
	const char *h[6];
	size_t n = 0;
	int r;

	if (!s->buf) {
		s->buf = malloc(PUT_PAGE_MAX);
		if (!s->buf)
			return log_errno(-ENOMEM, "allocating upload buffers");
	}
	if (j->len > PUT_PAGE_MAX || j->off % PAGE_SIZE_BLOB || j->len % PAGE_SIZE_BLOB)
		return log_errno(-EINVAL, "internal error: bad page range %" PRIu64 "+%" PRIu64,
				 j->off, j->len);
	/* Read (again, on a retry): the file is the source of truth, buffers are per slot. */
	r = disk_read(e->d, j->off, s->buf, (size_t)j->len);
	if (r < 0)
		return r;
	md5(s->buf, (size_t)j->len, s->md5);
	sodium_bin2base64(b64, sizeof(b64), s->md5, sizeof(s->md5), sodium_base64_VARIANT_ORIGINAL);
	range_header(range_h, sizeof(range_h), j);
	h[n++] = range_h;
	if (e->op == BLOB_PUT_PAGES) {
		if (asprintf(&url, "%s?comp=page", e->b->url) < 0)
			return log_errno(-ENOMEM, "Put Page");
		snprintf(md5_h, sizeof(md5_h), "Content-MD5: %s", b64);
		snprintf(len_h, sizeof(len_h), "Content-Length: %" PRIu64, j->len);
		h[n++] = "x-ms-page-write: update";
		h[n++] = md5_h;
		h[n++] = len_h;
		h[n++] = "Content-Type: application/octet-stream";
		r = http_xfer_setup(&s->x, e->b->cred, "PUT", url, h, n, s->buf, (size_t)j->len,
				    64 * 1024, e->b->low_speed_seconds);
		e->stats->bytes_sent += j->len;
	} else {
		h[n++] = "x-ms-range-get-content-md5: true";
		r = http_xfer_setup(&s->x, e->b->cred, "GET", e->b->url, h, n, NULL, 0,
				    PUT_PAGE_MAX + 1, e->b->low_speed_seconds);
	}
	if (r < 0)
		return log_errno(r, "preparing a request for '%s'", e->b->url);
	curl_easy_setopt(s->x.curl, CURLOPT_PRIVATE, s);
	if (curl_multi_add_handle(e->multi, s->x.curl) != CURLM_OK)
		return log_errno(-EIO, "starting a transfer");
	s->busy = true;
	s->job = ji;
	j->attempts++;
	e->stats->requests++;
	return 0;
}

/* Next job to start: a retry whose time has come, else a fresh one; or none. */
static bool pick_job(struct engine *e, long long now, size_t *ret)
{
	for (size_t i = 0; i < e->n_retry; i++)
		if (e->jobs[e->retry[i]].not_before <= now) {
			*ret = e->retry[i];
			e->retry[i] = e->retry[--e->n_retry];
			return true;
		}
	if (e->next_fresh < e->n_jobs) {
		*ret = e->next_fresh++;
		return true;
	}
	return false;
}

static int check_verify(struct engine *e, struct slot *s)
{
	struct job *j = &e->jobs[s->job];
	const char *server_md5 = http_xfer_header(&s->x, "Content-MD5");
	uint8_t got[16];
	char b64[32];

	e->stats->bytes_read += s->x.body_len;
	if (s->x.body_len != j->len || s->x.body_truncated)
		return log_errno(-EBADMSG,
				 "verify: bytes %" PRIu64 "-%" PRIu64 " of '%s': got %zu "
				 "bytes back",
				 j->off, j->off + j->len - 1, e->b->url, s->x.body_len);
	md5(s->x.body, s->x.body_len, got);
	sodium_bin2base64(b64, sizeof(b64), s->md5, sizeof(s->md5), sodium_base64_VARIANT_ORIGINAL);
	if (sodium_memcmp(got, s->md5, 16) != 0 ||
	    (server_md5 && strncmp(server_md5, b64, strlen(b64)) != 0))
		return log_errno(-EBADMSG,
				 "verify: bytes %" PRIu64 "-%" PRIu64 " of '%s' differ "
				 "from the image (MD5 mismatch)",
				 j->off, j->off + j->len - 1, e->b->url);
	return 0;
}

static int finish(struct engine *e, struct slot *s, CURLcode rc, blob_done_fn done, void *userdata)
{
	struct job *j = &e->jobs[s->job];
	const char *what = e->op == BLOB_PUT_PAGES ? "Put Page" : "verify";
	int r;

	curl_multi_remove_handle(e->multi, s->x.curl);
	http_xfer_done(&s->x, rc);
	s->busy = false;
	if (rc == CURLE_OK && s->x.status / 100 == 2) {
		if (e->op == BLOB_VERIFY_PAGES) {
			r = check_verify(e, s);
			if (r < 0)
				return r;
		}
		e->stats->bytes_done += j->len;
		e->n_done++;
		if (done)
			done(userdata, j->off, j->len);
		return 0;
	}
	if (rc != CURLE_OK)
		e->stats->transport_errors++;
	if (!http_xfer_retryable(&s->x) || j->attempts >= e->b->retry.max_attempts) {
		_cleanup_free_ char *why = http_xfer_describe(&s->x);

		r = http_xfer_errno(&s->x);
		if (r == -EACCES)
			log_error("%s bytes=%" PRIu64 "-%" PRIu64
				  " of '%s' failed: %s (check the %s: "
				  "%s)",
				  what, j->off, j->off + j->len - 1, e->b->url, why ? why : "?",
				  cred_kind_name(e->b->cred->kind), e->b->cred->source);
		else
			log_error("%s bytes=%" PRIu64 "-%" PRIu64 " of '%s' failed: %s%s", what,
				  j->off, j->off + j->len - 1, e->b->url, why ? why : "?",
				  j->attempts > 1 ? " (gave up after retries)" : "");
		return r;
	}
	e->stats->retries++;
	j->not_before = http_now_ms() + http_xfer_delay_ms(&s->x, j->attempts, &e->b->retry);
	e->retry[e->n_retry++] = s->job;
	return 0;
}

int blob_run(struct blob_client *b, const struct disk *d, enum blob_op op,
	     const struct extents *reqs, blob_done_fn done, blob_tick_fn tick, void *userdata,
	     struct blob_stats *stats)
{
	struct engine e = {.b = b, .d = d, .op = op, .stats = stats};
	int r = 0;

	if (reqs->n == 0)
		return 0;
	e.n_slots = b->concurrency ? b->concurrency : 1;
	if (e.n_slots > reqs->n)
		e.n_slots = (unsigned)reqs->n;
	e.n_jobs = reqs->n;
	e.jobs = calloc(e.n_jobs, sizeof(*e.jobs));
	e.retry = calloc(e.n_jobs, sizeof(*e.retry));
	e.slots = calloc(e.n_slots, sizeof(*e.slots));
	e.multi = curl_multi_init();
	if (!e.jobs || !e.retry || !e.slots || !e.multi) {
		r = log_errno(-ENOMEM, "starting the upload");
		goto out;
	}
	for (size_t i = 0; i < e.n_jobs; i++) {
		e.jobs[i].off = reqs->v[i].off;
		e.jobs[i].len = reqs->v[i].len;
		stats->bytes_total += reqs->v[i].len;
	}
	for (unsigned i = 0; i < e.n_slots; i++) {
		r = http_xfer_init(&e.slots[i].x);
		if (r < 0)
			goto out;
	}
	/* Each easy handle keeps its own connection; no need for the multi's pipelining. */
	curl_multi_setopt(e.multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)e.n_slots);

	while (e.n_done < e.n_jobs) {
		long long now = http_now_ms(), wait_ms = 1000;
		CURLMsg *msg;
		int running = 0, left;

		for (unsigned i = 0; i < e.n_slots; i++) {
			size_t ji;

			if (e.slots[i].busy || !pick_job(&e, now, &ji))
				continue;
			r = start_job(&e, &e.slots[i], ji);
			if (r < 0)
				goto out;
		}
		if (curl_multi_perform(e.multi, &running) != CURLM_OK) {
			r = log_errno(-EIO, "curl_multi_perform failed");
			goto out;
		}
		while ((msg = curl_multi_info_read(e.multi, &left))) {
			struct slot *s = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			r = finish(&e, s, msg->data.result, done, userdata);
			if (r < 0)
				goto out;
		}
		if (tick)
			tick(userdata, stats);
		if (e.n_done >= e.n_jobs)
			break;
		for (size_t i = 0; i < e.n_retry; i++) {
			long long until = e.jobs[e.retry[i]].not_before - now;

			if (until < wait_ms)
				wait_ms = until < 1 ? 1 : until;
		}
		if (running == 0 && e.n_retry > 0) {
			http_sleep_ms(wait_ms);
			continue;
		}
		curl_multi_poll(e.multi, NULL, 0, (int)(wait_ms > 200 ? 200 : wait_ms), NULL);
	}
out:
	for (unsigned i = 0; e.slots && i < e.n_slots; i++) {
		if (e.slots[i].busy)
			curl_multi_remove_handle(e.multi, e.slots[i].x.curl);
		http_xfer_free(&e.slots[i].x);
		free(e.slots[i].buf);
	}
	if (e.multi)
		curl_multi_cleanup(e.multi);
	free(e.slots);
	free(e.jobs);
	free(e.retry);
	return r;
}
