/* SPDX-License-Identifier: MIT */
#ifndef WGBAKE_HTTPUTIL_H
#define WGBAKE_HTTPUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The pure half of the HTTP helpers: no libcurl, no I/O, no logging. */

/* 401/403 -> -EACCES, 404 -> -ENOENT, 409 -> -EEXIST, 412 -> -ESTALE, 408/429/5xx -> -EAGAIN. */
int http_status_to_errno(long status);
/* Worth another try: 408, 429, 500, 502, 503, 504. */
bool http_status_retryable(long status);

/*
 * Retry-After: delta-seconds or an HTTP date. Returns milliseconds to wait (capped at
 * cap_ms), or -1 if the value is absent or unusable.
 */
long long http_retry_after_ms(const char *value, time_t now, long long cap_ms);

/*
 * Exponential backoff with full jitter: a delay drawn from [base/2, base * 2^attempt / 2 +
 * base/2], capped at cap_ms. rnd is any 32-bit random value (seam for tests).
 */
long long http_backoff_ms(unsigned attempt, long long base_ms, long long cap_ms, uint32_t rnd);

/* RFC 7231 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"); buf needs 30 bytes. */
void http_date(time_t t, char buf[static 30]);
/* Parses the three HTTP date forms; false if it can't. */
bool http_date_parse(const char *s, time_t *ret);

struct http_url {
	char *scheme; /* "http" or "https" */
	char *host;   /* without brackets */
	char *port;   /* NULL if absent */
	char *path;   /* as written, percent-encoding kept; at least "/" */
	char *query;  /* after '?', NULL if absent */
};

/* Splits an absolute http(s) URL; -EINVAL if malformed, -ENOMEM. */
int http_url_parse(const char *url, struct http_url *ret);
void http_url_free(struct http_url *u);
bool http_host_is_loopback(const char *host);

/*
 * Copies a URL or message with the value of every sig=, signature= or token-like query
 * parameter replaced by "REDACTED", so that SAS signatures never reach a log. NULL on OOM.
 */
char *http_redact(const char *s);

/* Decodes %XX and '+'; false on a malformed escape. out needs strlen(in) + 1 bytes. */
bool http_unescape(const char *in, size_t len, char *out);

#endif
