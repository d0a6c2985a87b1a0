/* SPDX-License-Identifier: MIT */
#ifndef WGBAKE_HTTP_H
#define WGBAKE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "cred.h"
#include "httputil.h"

/*
 * libcurl glue shared by every Azure client in wgbake: one reusable easy handle per worker
 * (connections are kept), credentials applied per request, an error buffer always set, HTTP
 * status kept apart from transport errors, retries with backoff and Retry-After.
 */
#define HTTP_STORAGE_VERSION "2021-08-06"
#define HTTP_MAX_HEADERS 24

struct http_retry {
	unsigned max_attempts; /* total tries, at least 1 */
	long long base_ms;     /* first backoff */
	long long cap_ms;      /* longest backoff or Retry-After honoured */
};

struct http_xfer {
	CURL *curl;
	struct curl_slist *slist;
	char errbuf[CURL_ERROR_SIZE];
	char *url; /* as sent: may carry a SAS, never log it */
	/* the response */
	long status;
	CURLcode rc;
	char *body;
	size_t body_len;
	size_t body_cap;
	size_t body_max;
	char **headers; /* "name: value", as received */
	size_t n_headers;
	bool body_truncated;
};

int http_global_init(void);
void http_global_cleanup(void);

/* Allocates the easy handle. Logs. */
int http_xfer_init(struct http_xfer *x);
/* Frees everything, the handle too. */
void http_xfer_free(struct http_xfer *x);
/* Drops the last request and response; keeps the handle and its connections. */
void http_xfer_reset(struct http_xfer *x);

/*
 * Prepares a request on x: with storage credentials c, adds x-ms-date and x-ms-version to
 * headers and authorizes it (header or SAS query); with c NULL, sends headers as they are
 * (for callers that bring their own Authorization header), sets the body (NULL/0 for none; method
 * "HEAD" for no response body). url must not carry a SAS. body_max caps the response body kept.
 * Doesn't log.
 */
int http_xfer_setup(struct http_xfer *x, struct cred *c, const char *method, const char *url,
		    const char *const *headers, size_t n_headers, const void *body, size_t body_len,
		    size_t body_max, long low_speed_seconds);
/* After the transfer: records rc and the status. */
void http_xfer_done(struct http_xfer *x, CURLcode rc);
/* Value of a response header (case-insensitive name), or NULL. */
const char *http_xfer_header(const struct http_xfer *x, const char *name);
/* Whether a finished transfer is worth retrying: transport errors, 408/429/5xx. */
bool http_xfer_retryable(const struct http_xfer *x);
/* How long to wait before try number `attempt` (1-based) after this failure. */
long long http_xfer_delay_ms(const struct http_xfer *x, unsigned attempt,
			     const struct http_retry *policy);
/*
 * One line saying why a finished transfer failed: "HTTP 403 AuthenticationFailed: Server
 * failed to authenticate the request..." or curl's message; redacted. Caller frees.
 */
char *http_xfer_describe(const struct http_xfer *x);
/* Negative errno for a finished transfer: -EIO for transport, else http_status_to_errno. */
int http_xfer_errno(const struct http_xfer *x);

/*
 * Runs one request synchronously with retries. Returns 0 on 2xx; on failure logs
 * "<what>: <description>" once and returns a negative errno. The response stays in x.
 * Statuses listed in quiet (0-terminated) return their errno without logging.
 */
int http_request(struct http_xfer *x, struct cred *c, const struct http_retry *policy,
		 const char *what, const char *method, const char *url, const char *const *headers,
		 size_t n_headers, const void *body, size_t body_len, const long *quiet);

/* Sleeps ms milliseconds, restarting on signals. */
void http_sleep_ms(long long ms);
/* Monotonic milliseconds. */
long long http_now_ms(void);

#endif
