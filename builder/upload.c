// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "macros.h"

#include "blob.h"
#include "progress.h"
#include "ranges.h"
#include "state.h"
#include "upload.h"

#define SAMPLE_REQUESTS 8
/* Join data across holes up to this size, for at most 0.5% more bytes in all. */
#define GAP_MAX (64u * 1024)
#define GAP_BUDGET_DIVISOR 200

struct upload_run {
	int state_fd;
	struct progress bar;
	uint64_t base_done; /* bytes counted before this blob_run() */
	bool state_error;
};

void upload_opts_init(struct upload_opts *o)
{
	*o = (struct upload_opts){
		.concurrency = UPLOAD_DEFAULT_CONCURRENCY,
		.max_request = PUT_PAGE_MAX,
		.retry = {.max_attempts = 8, .base_ms = 500, .cap_ms = 30000},
		.timeout = 60,
	};
}

void upload_result_free(struct upload_result *r)
{
	if (!r)
		return;
	free(r->blob);
	r->blob = NULL;
}

static void on_done(void *userdata, uint64_t off, uint64_t len)
{
	struct upload_run *u = userdata;

	if (u->state_fd >= 0 && state_append_done(u->state_fd, off, len) < 0 && !u->state_error) {
		/* Not fatal: the server's page ranges are the other half of the resume. */
		log_warn("cannot append to the state file: a resume may send more again");
		u->state_error = true;
	}
}

static void on_tick(void *userdata, const struct blob_stats *s)
{
	struct upload_run *u = userdata;

	progress_update(&u->bar, u->base_done + s->bytes_done);
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	sodium_bin2hex(out, n * 2 + 1, b, n);
}

/*
 * The verify sample: SAMPLE_REQUESTS requests spread over the plan, and the footer. All
 * requests with --verify.
 */
static int pick_sample(const struct extents *plan, uint64_t footer_off, bool all,
		       struct extents *ret)
{
	struct extents s = {0};
	size_t step = all || plan->n <= SAMPLE_REQUESTS ? 1 : plan->n / SAMPLE_REQUESTS;
	int r = 0;

	for (size_t i = 0; i < plan->n && r == 0; i += step)
		r = extents_push(&s, plan->v[i].off, plan->v[i].len);
	if (r == 0)
		r = extents_push(&s, footer_off, VHD_FOOTER_SIZE);
	if (r < 0) {
		extents_free(&s);
		return r;
	}
	*ret = s;
	return 0;
}

/* The server must hold every data page and the footer, and nothing outside the plan. */
static int check_page_ranges(const struct extents *server, const struct extents *data,
			     const struct extents *plan, uint64_t footer_off, const char *url)
{
	struct extents allowed = {0};
	int r = 0;

	for (size_t i = 0; i < data->n; i++)
		if (!extents_cover(server, data->v[i].off, data->v[i].len))
			return log_errno(-EBADMSG,
					 "verify: '%s' lacks bytes %" PRIu64 "-%" PRIu64
					 " of the image",
					 url, data->v[i].off, data->v[i].off + data->v[i].len - 1);
	if (!extents_cover(server, footer_off, VHD_FOOTER_SIZE))
		return log_errno(-EBADMSG, "verify: '%s' lacks the VHD footer", url);
	for (size_t i = 0; i < plan->n && r == 0; i++)
		r = extents_push(&allowed, plan->v[i].off, plan->v[i].len);
	if (r == 0)
		r = extents_push(&allowed, footer_off, VHD_FOOTER_SIZE);
	if (r < 0) {
		extents_free(&allowed);
		return log_errno(r, "verify");
	}
	extents_normalize(&allowed);
	for (size_t i = 0; i < server->n; i++)
		if (!extents_cover(&allowed, server->v[i].off, server->v[i].len)) {
			r = log_errno(-EBADMSG,
				      "verify: '%s' holds bytes %" PRIu64 "-%" PRIu64
				      " that the image doesn't have",
				      url, server->v[i].off,
				      server->v[i].off + server->v[i].len - 1);
			break;
		}
	extents_free(&allowed);
	return r;
}

int upload_image(const struct upload_opts *o, struct upload_result *ret)
{
	struct cred cred = {0};
	struct disk d = {.fd = -1};
	struct http_url u = {0};
	struct http_xfer x = {0};
	struct blob_client b = {0};
	struct blob_props props;
	struct upload_state st = {0}, old = {0};
	struct extents plan = {0}, server = {0}, todo = {0}, sample = {0}, footer = {0}, lost = {0};
	struct blob_stats put = {0}, ver = {0};
	struct upload_run run = {.state_fd = -1};
	_cleanup_free_ char *sas_url = NULL, *state_path = NULL;
	char digest_hex[DISK_DIGEST_BYTES * 2 + 1], id_hex[STATE_ID_HEX + 1];
	const char *url, *status = "uploaded";
	long long t0 = http_now_ms();
	uint64_t resumed = 0, blob_size;
	bool resume = false, unchanged = false;
	int r;

	r = cred_load(&cred, &o->cred, &sas_url);
	if (r < 0)
		goto out;
	url = o->url ? o->url : sas_url;
	if (!url) {
		r = log_errno(-EINVAL, "no BLOB_URL given, and the credentials name none");
		goto out;
	}
	if (strchr(url, '?')) {
		r = log_errno(-EINVAL, "BLOB_URL must not carry a query; put a SAS in --sas-file "
				       "or AZURE_STORAGE_SAS_URL");
		goto out;
	}
	r = http_url_parse(url, &u);
	if (r < 0) {
		r = log_errno(r, "bad BLOB_URL '%s'", url);
		goto out;
	}
	if (strcmp(u.scheme, "http") == 0 && !http_host_is_loopback(u.host)) {
		r = log_errno(-EPROTONOSUPPORT,
			      "'%s': plain http is only allowed to a loopback "
			      "address; use https",
			      url);
		goto out;
	}
	if (cred.kind == CRED_SHARED_KEY) {
		r = cred_set_account_from_url(&cred, u.host, u.path);
		if (r < 0)
			goto out;
	}

	r = disk_open(o->image, o->format, &d);
	if (r < 0)
		goto out;
	r = disk_scan(&d);
	if (r < 0)
		goto out;
	blob_size = d.size + VHD_FOOTER_SIZE;
	hex(d.digest, sizeof(d.digest), digest_hex);
	r = ranges_plan(&d.data, o->max_request, GAP_MAX, d.data_bytes / GAP_BUDGET_DIVISOR, &plan);
	if (r < 0) {
		r = log_errno(r, "planning the upload");
		goto out;
	}
	r = extents_push(&footer, d.size, VHD_FOOTER_SIZE);
	if (r < 0)
		goto out;

	if (o->state_path)
		state_path = strdup(o->state_path);
	else if (asprintf(&state_path, "%s.wgbake-upload", o->image) < 0)
		state_path = NULL;
	if (!state_path) {
		r = log_errno(-ENOMEM, "state file");
		goto out;
	}

	b = (struct blob_client){.cred = &cred,
				 .url = url,
				 .retry = o->retry,
				 .concurrency = o->concurrency,
				 .low_speed_seconds = o->timeout};
	r = http_xfer_init(&x);
	if (r < 0)
		goto out;
	r = blob_get_props(&b, &x, &props);
	if (r < 0)
		goto out;

	if (props.exists && !o->overwrite && props.page_blob && props.size == blob_size &&
	    strcmp(props.digest, digest_hex) == 0) {
		/* Already there from an earlier run: check it, send nothing. */
		status = "unchanged";
		unchanged = true;
		resume = true;
		memcpy(id_hex, props.upload_id, sizeof(id_hex));
	} else if (props.exists && state_load(state_path, &old) == 0 && old.blob &&
		   strcmp(old.blob, url) == 0 && strcmp(old.digest, digest_hex) == 0 &&
		   old.blob_size == blob_size && props.size == blob_size && props.page_blob &&
		   strcmp(old.upload_id, props.upload_id) == 0) {
		resume = true;
		memcpy(id_hex, old.upload_id, sizeof(id_hex));
	} else if (props.exists && !o->overwrite) {
		r = log_errno(-EEXIST,
			      "blob '%s' already exists and holds something else; pass "
			      "--overwrite to replace it",
			      url);
		goto out;
	}

	if (!resume) {
		uint8_t id[16];

		randombytes_buf(id, sizeof(id));
		hex(id, sizeof(id), id_hex);
		r = blob_create(&b, &x, blob_size, id_hex, props.exists);
		if (r == -EEXIST) {
			/* Our own create may have landed with its answer lost, then retried. */
			struct blob_props now;

			r = blob_get_props(&b, &x, &now);
			if (r < 0)
				goto out;
			r = now.exists && strcmp(now.upload_id, id_hex) == 0 ? 0 : -EEXIST;
		}
		if (r == -EEXIST) {
			r = log_errno(r,
				      "blob '%s' appeared meanwhile; pass --overwrite to "
				      "replace it",
				      url);
			goto out;
		}
		if (r < 0)
			goto out;
	}

	if (!unchanged) {
		if (resume) {
			r = blob_page_ranges(&b, &x, &server);
			if (r < 0)
				goto out;
			r = extents_subtract(&plan, &server, &todo);
			if (r < 0)
				goto out;
			resumed = extents_bytes(&plan) - extents_bytes(&todo);
			/* The state file's record, checked against what the server says it holds. */
			r = extents_subtract(&old.done, &server, &lost);
			if (r < 0)
				goto out;
			if (lost.n > 0)
				log_warn("%" PRIu64 " bytes that the state file lists as sent are not "
					 "in '%s'; sending them again",
					 extents_bytes(&lost), url);
			/* Killed after the footer but before the metadata: don't send it again. */
			if (extents_cover(&server, d.size, VHD_FOOTER_SIZE))
				footer.n = 0;
			if (!o->quiet)
				log_info("resuming: %" PRIu64 " of %" PRIu64 " bytes are already "
					 "in '%s'",
					 resumed, extents_bytes(&plan), url);
			run.state_fd = state_open_append(state_path);
		} else {
			st.blob = (char *)url;
			st.blob_size = blob_size;
			memcpy(st.digest, digest_hex, sizeof(st.digest));
			memcpy(st.upload_id, id_hex, sizeof(st.upload_id));
			run.state_fd = state_create(state_path, &st);
			st.blob = NULL;
			r = extents_subtract(&plan, &server, &todo);
			if (r < 0)
				goto out;
		}
		if (run.state_fd < 0) {
			r = log_errno(run.state_fd,
				      "cannot write state file '%s' (choose another "
				      "with --state)",
				      state_path);
			goto out;
		}

		progress_start(&run.bar, stderr, o->progress, "upload",
			       extents_bytes(&todo) + VHD_FOOTER_SIZE);
		r = blob_run(&b, &d, BLOB_PUT_PAGES, &todo, on_done, on_tick, &run, &put);
		if (r == 0) {
			/* The footer last: a blob with a footer is a whole disk. */
			run.base_done = put.bytes_done;
			r = blob_run(&b, &d, BLOB_PUT_PAGES, &footer, on_done, NULL, &run, &put);
			progress_update(&run.bar, put.bytes_done);
		}
		progress_end(&run.bar);
		if (r < 0)
			goto out;
	}

	extents_free(&server);
	r = blob_page_ranges(&b, &x, &server);
	if (r < 0)
		goto out;
	r = check_page_ranges(&server, &d.data, &plan, d.size, url);
	if (r < 0)
		goto out;
	r = pick_sample(&plan, d.size, o->verify_all, &sample);
	if (r < 0)
		goto out;
	r = blob_run(&b, &d, BLOB_VERIFY_PAGES, &sample, NULL, NULL, NULL, &ver);
	if (r < 0)
		goto out;
	if (!unchanged) {
		r = blob_set_metadata(&b, &x, id_hex, digest_hex);
		if (r < 0)
			goto out;
		if (run.state_fd >= 0)
			(void)close(run.state_fd);
		run.state_fd = -1;
		if (unlink(state_path) < 0 && errno != ENOENT)
			log_warn("cannot remove state file '%s': %s", state_path, strerror(errno));
	}
	*ret = (struct upload_result){
		.status = status,
		.blob = strdup(url),
		.format = d.format,
		.virtual_size = d.size,
		.data_bytes = d.data_bytes,
		.bytes_sent = put.bytes_sent,
		.bytes_resumed = resumed,
		.verified_bytes = ver.bytes_done,
		.requests = put.requests,
		.retries = put.retries + ver.retries,
		.seconds = (double)(http_now_ms() - t0) / 1000.0,
	};
	memcpy(ret->digest, digest_hex, sizeof(ret->digest));
	if (!ret->blob)
		r = log_errno(-ENOMEM, "upload");
out:
	if (run.state_fd >= 0)
		(void)close(run.state_fd);
	extents_free(&plan);
	extents_free(&server);
	extents_free(&todo);
	extents_free(&sample);
	extents_free(&footer);
	extents_free(&lost);
	state_free(&old);
	state_free(&st);
	http_xfer_free(&x);
	http_url_free(&u);
	disk_close(&d);
	cred_free(&cred);
	return r;
}
