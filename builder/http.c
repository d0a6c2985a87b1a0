// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "log.h"
#include "macros.h"

#include "http.h"

#define HTTP_HEADERS_MAX 256
#define HTTP_CONNECT_TIMEOUT 30L

int http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

void http_global_cleanup(void)
{
	curl_global_cleanup();
}

long long http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void http_sleep_ms(long long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

	while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int http_xfer_init(struct http_xfer *x)
{
	*x = (struct http_xfer){0};
	x->curl = curl_easy_init();
	if (!x->curl)
		return log_errno(-ENOMEM, "creating a curl handle");
	return 0;
}

static void wipe_slist(struct curl_slist *l)
{
	/* The list may hold a bearer token: wipe before freeing. */
	for (struct curl_slist *i = l; i; i = i->next)
		sodium_memzero(i->data, strlen(i->data));
	curl_slist_free_all(l);
}

void http_xfer_reset(struct http_xfer *x)
{
	if (x->curl)
		curl_easy_reset(x->curl);
	wipe_slist(x->slist);
	x->slist = NULL;
	if (x->url) {
		sodium_memzero(x->url, strlen(x->url));
		free(x->url);
		x->url = NULL;
	}
	free(x->body);
	x->body = NULL;
	x->body_len = 0;
	x->body_cap = 0;
	x->body_truncated = false;
	for (size_t i = 0; i < x->n_headers; i++)
		free(x->headers[i]);
	free(x->headers);
	x->headers = NULL;
	x->n_headers = 0;
	x->status = 0;
	x->rc = CURLE_OK;
	x->errbuf[0] = '\0';
}

void http_xfer_free(struct http_xfer *x)
{
	if (!x)
		return;
	http_xfer_reset(x);
	if (x->curl)
		curl_easy_cleanup(x->curl);
	x->curl = NULL;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct http_xfer *x = userdata;
	size_t n = size * nmemb, take = n;
	char *b;

	if (x->body_len + take > x->body_max) {
		take = x->body_max - x->body_len;
		x->body_truncated = true;
	}
	if (take == 0)
		return n;
	if (x->body_len + take + 1 > x->body_cap) {
		size_t cap = x->body_cap ? x->body_cap : 16384;

		while (cap < x->body_len + take + 1)
			cap *= 2;
		b = realloc(x->body, cap);
		if (!b)
			return 0; /* curl fails the transfer with CURLE_WRITE_ERROR */
		x->body = b;
		x->body_cap = cap;
	}
	memcpy(x->body + x->body_len, data, take);
	x->body_len += take;
	x->body[x->body_len] = '\0';
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct http_xfer *x = userdata;
	size_t n = size * nmemb, len = n;
	char **h, *line;

	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* A new response (after 100 Continue or a redirect): forget the last. */
		for (size_t i = 0; i < x->n_headers; i++)
			free(x->headers[i]);
		x->n_headers = 0;
		return n;
	}
	while (len > 0 && (data[len - 1] == '\r' || data[len - 1] == '\n'))
		len--;
	if (len == 0 || !memchr(data, ':', len) || x->n_headers >= HTTP_HEADERS_MAX)
		return n;
	h = reallocarray(x->headers, x->n_headers + 1, sizeof(*h));
	if (!h)
		return 0;
	x->headers = h;
	line = strndup(data, len);
	if (!line)
		return 0;
	x->headers[x->n_headers++] = line;
	return n;
}

const char *http_xfer_header(const struct http_xfer *x, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < x->n_headers; i++) {
		const char *h = x->headers[i];

		if (strncasecmp(h, name, len) == 0 && h[len] == ':') {
			h += len + 1;
			while (*h == ' ' || *h == '\t')
				h++;
			return h;
		}
	}
	return NULL;
}

static bool has_header(const char *const *headers, size_t n, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < n; i++)
		if (strncasecmp(headers[i], name, len) == 0 && headers[i][len] == ':')
			return true;
	return false;
}

int http_xfer_setup(struct http_xfer *x, struct cred *c, const char *method, const char *url,
		    const char *const *headers, size_t n_headers, const void *body, size_t body_len,
		    size_t body_max, long low_speed_seconds)
{
	const char *all[HTTP_MAX_HEADERS + 5];
	char date[30], date_h[48];
	_cleanup_free_ char *auth = NULL;
	struct http_url u = {0};
	size_t n = 0;
	int r;

	http_xfer_reset(x);
	if (n_headers > HTTP_MAX_HEADERS)
		return -E2BIG;
	r = http_url_parse(url, &u);
	if (r < 0)
		return r;
	if (strcmp(u.scheme, "http") == 0 && !http_host_is_loopback(u.host)) {
		/* A SAS or token would cross the network in clear text. */
		http_url_free(&u);
		return -EPROTONOSUPPORT;
	}

	http_date(time(NULL), date);
	snprintf(date_h, sizeof(date_h), "x-ms-date: %s", date);
	for (size_t i = 0; i < n_headers; i++)
		all[n++] = headers[i];
	if (c) {
		/* Azure Storage: signed date and API version on every request. */
		all[n++] = date_h;
		all[n++] = "x-ms-version: " HTTP_STORAGE_VERSION;
	}

	r = c ? cred_authorization(c, method, u.path, u.query, all, n, &auth) : 0;
	if (r < 0)
		goto out;
	if (c && c->kind == CRED_SAS) {
		if (asprintf(&x->url, "%s%c%s", url, u.query ? '&' : '?', c->sas) < 0)
			x->url = NULL;
	} else {
		x->url = strdup(url);
	}
	if (!x->url) {
		r = -ENOMEM;
		goto out;
	}
	if (auth)
		all[n++] = auth;
	all[n++] = "Expect:"; /* no 100-continue round trip per Put Page */
	if (!has_header(headers, n_headers, "Content-Type"))
		all[n++] = "Content-Type:"; /* not curl's form type for POSTFIELDS: it is signed */
	for (size_t i = 0; i < n; i++) {
		struct curl_slist *l = curl_slist_append(x->slist, all[i]);

		if (!l) {
			r = -ENOMEM;
			goto out;
		}
		x->slist = l;
	}

	x->body_max = body_max;
	curl_easy_setopt(x->curl, CURLOPT_URL, x->url);
	curl_easy_setopt(x->curl, CURLOPT_PROTOCOLS_STR,
			 strcmp(u.scheme, "http") == 0 ? "http" : "https");
	curl_easy_setopt(x->curl, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, x->slist);
	curl_easy_setopt(x->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(x->curl, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(x->curl, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(x->curl, CURLOPT_CONNECTTIMEOUT, HTTP_CONNECT_TIMEOUT);
	curl_easy_setopt(x->curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(x->curl, CURLOPT_LOW_SPEED_TIME, low_speed_seconds);
	curl_easy_setopt(x->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(x->curl, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(x->curl, CURLOPT_HTTPGET, 1L);
	} else {
		/* PUT or DELETE with the body in memory (POSTFIELDS), verb overridden. */
		curl_easy_setopt(x->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
		curl_easy_setopt(x->curl, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(x->curl, CURLOPT_CUSTOMREQUEST, method);
	}
out:
	if (auth)
		sodium_memzero(auth, strlen(auth));
	http_url_free(&u);
	return r;
}

void http_xfer_done(struct http_xfer *x, CURLcode rc)
{
	x->rc = rc;
	x->status = 0;
	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &x->status);
}

bool http_xfer_retryable(const struct http_xfer *x)
{
	if (x->rc != CURLE_OK)
		return x->rc != CURLE_OUT_OF_MEMORY && x->rc != CURLE_UNSUPPORTED_PROTOCOL &&
		       x->rc != CURLE_URL_MALFORMAT && x->rc != CURLE_WRITE_ERROR &&
		       x->rc != CURLE_SSL_CACERT_BADFILE && x->rc != CURLE_PEER_FAILED_VERIFICATION;
	return http_status_retryable(x->status);
}

long long http_xfer_delay_ms(const struct http_xfer *x, unsigned attempt,
			     const struct http_retry *policy)
{
	long long ra = -1;

	if (x->rc == CURLE_OK)
		ra = http_retry_after_ms(http_xfer_header(x, "Retry-After"), time(NULL),
					 policy->cap_ms);
	if (ra >= 0)
		return ra;
	return http_backoff_ms(attempt > 0 ? attempt - 1 : 0, policy->base_ms, policy->cap_ms,
			       randombytes_random());
}

int http_xfer_errno(const struct http_xfer *x)
{
	if (x->rc != CURLE_OK)
		return x->rc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -EIO;
	return http_status_to_errno(x->status);
}

/* The <Message> of an Azure error body, first line only. */
static char *error_message(const struct http_xfer *x)
{
	const char *s, *e;

	if (!x->body)
		return NULL;
	s = strstr(x->body, "<Message>");
	if (!s)
		return NULL;
	s += 9;
	e = strstr(s, "</Message>");
	if (!e)
		return NULL;
	return strndup(s,
		       strcspn(s, "\r\n") < (size_t)(e - s) ? strcspn(s, "\r\n") : (size_t)(e - s));
}

char *http_xfer_describe(const struct http_xfer *x)
{
	_cleanup_free_ char *msg = NULL, *raw = NULL;
	const char *code;
	int r;

	if (x->rc != CURLE_OK) {
		r = asprintf(&raw, "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(x->rc));
	} else {
		code = http_xfer_header(x, "x-ms-error-code");
		msg = error_message(x);
		r = asprintf(&raw, "HTTP %ld%s%s%s%s", x->status, code ? " " : "", code ? code : "",
			     msg ? ": " : "", msg ? msg : "");
	}
	if (r < 0)
		return NULL;
	return http_redact(raw);
}

int http_request(struct http_xfer *x, struct cred *c, const struct http_retry *policy,
		 const char *what, const char *method, const char *url, const char *const *headers,
		 size_t n_headers, const void *body, size_t body_len, const long *quiet)
{
	unsigned max = policy->max_attempts ? policy->max_attempts : 1;
	int r;

	for (unsigned attempt = 1;; attempt++) {
		r = http_xfer_setup(x, c, method, url, headers, n_headers, body, body_len,
				    64u * 1024 * 1024, 60);
		if (r == -EPROTONOSUPPORT)
			return log_errno(r, "%s: plain http is only allowed to a loopback address",
					 what);
		if (r < 0)
			return log_errno(r, "%s", what);
		http_xfer_done(x, curl_easy_perform(x->curl));
		if (x->rc == CURLE_OK && x->status / 100 == 2)
			return 0;
		if (x->rc == CURLE_OK && quiet)
			for (const long *q = quiet; *q; q++)
				if (*q == x->status)
					return http_xfer_errno(x);
		if (!http_xfer_retryable(x) || attempt >= max) {
			_cleanup_free_ char *why = http_xfer_describe(x), *where = http_redact(url);

			r = http_xfer_errno(x);
			if (r == -EACCES && c)
				log_error("%s: %s '%s' failed: %s (check the %s: %s)", what, method,
					  where ? where : "?", why ? why : "?",
					  cred_kind_name(c->kind), c->source);
			else
				log_error("%s: %s '%s' failed: %s%s", what, method,
					  where ? where : "?", why ? why : "?",
					  attempt > 1 ? " (gave up after retries)" : "");
			return r;
		}
		http_sleep_ms(http_xfer_delay_ms(x, attempt, policy));
	}
}
