// SPDX-License-Identifier: MIT
/*
 * Azure IMDS over libcurl. One easy handle, reused, but a fresh connection
 * per request (see perform()). Transport errors and HTTP status are kept apart: a refused or
 * unreachable connection means "no IMDS (yet)", retried only for
 * connect_budget_ms; 410/429/5xx, timeouts and cut-off bodies mean "IMDS is
 * busy", retried for budget_ms. Every request waits min_interval_ms after
 * the previous one, so no path makes more than 5 requests per second.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <sodium.h>

#include "imds.h"
#include "curl_dl.h"
#include "key.h"
#include "log.h"
#include "macros.h"

struct imds {
	CURL *curl;
	struct imds_opts o;
	char *endpoint;
	char *api_version;
	unsigned requests;
};

struct body {
	char *data;
	size_t len;
	bool too_big;
};

/* Parsing a body that turned out malformed is retried this often (a proxy cut it?). */
#define IMDS_PARSE_ATTEMPTS 3
#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS 4000

static uint64_t ms_between(const struct timespec *a, const struct timespec *b)
{
	int64_t ms = (int64_t)(b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;

	return ms < 0 ? 0 : (uint64_t)ms;
}

static void now(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static size_t body_append(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct body *b = userdata;
	size_t n = size * nmemb;
	char *p;

	if (n > IMDS_BODY_MAX - b->len) {
		b->too_big = true;
		return 0; /* curl stops with CURLE_WRITE_ERROR */
	}
	p = realloc(b->data, b->len + n + 1);
	if (!p)
		return 0;
	memcpy(p + b->len, ptr, n);
	b->data = p;
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

struct imds *imds_new(const struct imds_opts *opts)
{
	struct imds *c;
	char err[256];

	if (curl_fns_load(err, sizeof(err)) < 0) {
		log_error("imds: %s", err);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->o = *opts;
	if (!c->o.timeout_ms)
		c->o.timeout_ms = 2000;
	if (!c->o.budget_ms)
		c->o.budget_ms = 70000;
	if (!c->o.connect_budget_ms)
		c->o.connect_budget_ms = 15000;
	if (!c->o.min_interval_ms)
		c->o.min_interval_ms = 200;
	c->endpoint = strdup(opts->endpoint ? opts->endpoint : IMDS_DEFAULT_ENDPOINT);
	c->api_version = strdup(opts->api_version ? opts->api_version : IMDS_DEFAULT_API_VERSION);
	c->curl = curl_fns.easy_init();
	if (!c->endpoint || !c->api_version || !c->curl) {
		imds_free(c);
		return NULL;
	}
	/* Trailing slashes would double up with our paths. */
	for (size_t n = strlen(c->endpoint); n > 0 && c->endpoint[n - 1] == '/'; n--)
		c->endpoint[n - 1] = '\0';
	return c;
}

void imds_free(struct imds *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_fns.easy_cleanup(c->curl);
	free(c->endpoint);
	free(c->api_version);
	free(c);
}

unsigned imds_requests(const struct imds *c)
{
	return c->requests;
}

int imds_status_to_errno(long status, bool *ret_retry)
{
	*ret_retry = false;
	if (status >= 200 && status < 300)
		return 0;
	switch (status) {
	case 400:
		return -EACCES; /* "Bad request": the Metadata header is missing, or a proxy added one */
	case 404:
		return -ENOENT;
	case 405:
		return -EINVAL;
	case 410: /* "Gone": IMDS is starting; Azure says retry for up to 70 s */
	case 429: /* too many requests */
		*ret_retry = true;
		return -EAGAIN;
	}
	if (status >= 500 && status < 600) {
		*ret_retry = true;
		return -EAGAIN;
	}
	return -EIO;
}

/*
 * Start of the previous request, for the whole process: IMDS limits a VM, not
 * a client, and several clients (config source, identity, report) may ask.
 */
static struct timespec last_request;

/* Waits until min_interval_ms have passed since the previous request started. */
static void rate_limit(struct imds *c)
{
	struct timespec t;
	uint64_t since;

	if (last_request.tv_sec == 0 && last_request.tv_nsec == 0)
		return;
	now(&t);
	since = ms_between(&last_request, &t);
	if (since < c->o.min_interval_ms)
		sleep_ms(c->o.min_interval_ms - since);
}

enum outcome {
	OUT_OK,
	OUT_CONNECT, /* no connection: refused, unreachable, connect timeout */
	OUT_RETRY,   /* IMDS answered "busy", or the answer was cut off */
	OUT_FAIL,
};

static enum outcome perform(struct imds *c, const char *url, struct body *b, long *ret_status,
			    long *ret_retry_after, int *ret_err, char *errbuf)
{
	struct curl_slist *hdrs = NULL, *h;
	curl_off_t connect_us = 0, retry_after = 0;
	long status = 0;
	CURLcode rc;
	bool retry;

	h = curl_fns.slist_append(hdrs, "Metadata: true");
	if (!h) {
		*ret_err = -ENOMEM;
		return OUT_FAIL;
	}
	hdrs = h;
	curl_fns.easy_reset(c->curl);
	curl_fns.easy_setopt(c->curl, CURLOPT_URL, url);
	curl_fns.easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	/* IMDS must never go through a proxy, whatever the environment says. */
	curl_fns.easy_setopt(c->curl, CURLOPT_PROXY, "");
	curl_fns.easy_setopt(c->curl, CURLOPT_NOPROXY, "*");
	curl_fns.easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_fns.easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
	/*
	 * A fresh connection each time: libcurl silently re-sends a request whose
	 * reused connection died, which would bypass the rate limit (and the retry
	 * count). IMDS is link-local; a connect costs nothing.
	 */
	curl_fns.easy_setopt(c->curl, CURLOPT_FRESH_CONNECT, 1L);
	curl_fns.easy_setopt(c->curl, CURLOPT_FORBID_REUSE, 1L);
	curl_fns.easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_fns.easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, (long)c->o.timeout_ms);
	curl_fns.easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(c->o.timeout_ms < 1000 ? c->o.timeout_ms : 1000));
	curl_fns.easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, body_append);
	curl_fns.easy_setopt(c->curl, CURLOPT_WRITEDATA, b);
	curl_fns.easy_setopt(c->curl, CURLOPT_ERRORBUFFER, errbuf);
	errbuf[0] = '\0';
	now(&last_request);
	c->requests++;
	rc = curl_fns.easy_perform(c->curl);
	curl_fns.easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_fns.easy_getinfo(c->curl, CURLINFO_CONNECT_TIME_T, &connect_us);
	curl_fns.easy_getinfo(c->curl, CURLINFO_RETRY_AFTER, &retry_after);
	curl_fns.easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_fns.easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
	curl_fns.easy_setopt(c->curl, CURLOPT_WRITEDATA, NULL);
	curl_fns.slist_free_all(hdrs);
	*ret_status = status;
	*ret_retry_after = retry_after > 0 && retry_after < 3600 ? (long)retry_after : 0;
	if (rc != CURLE_OK) {
		if (!errbuf[0])
			snprintf(errbuf, CURL_ERROR_SIZE, "%s", curl_fns.easy_strerror(rc));
		if (b->too_big) {
			*ret_err = -EBADMSG;
			snprintf(errbuf, CURL_ERROR_SIZE, "answer larger than %u bytes", IMDS_BODY_MAX);
			return OUT_FAIL;
		}
		switch (rc) {
		case CURLE_COULDNT_CONNECT:
		case CURLE_COULDNT_RESOLVE_HOST:
			*ret_err = -EHOSTUNREACH;
			return OUT_CONNECT;
		case CURLE_OPERATION_TIMEDOUT:
			*ret_err = -ETIMEDOUT;
			return connect_us == 0 ? OUT_CONNECT : OUT_RETRY;
		case CURLE_PARTIAL_FILE:
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_SEND_ERROR:
			*ret_err = -EIO;
			return OUT_RETRY;
		case CURLE_OUT_OF_MEMORY:
			*ret_err = -ENOMEM;
			return OUT_FAIL;
		default:
			*ret_err = -EIO;
			return OUT_FAIL;
		}
	}
	*ret_err = imds_status_to_errno(status, &retry);
	if (*ret_err == 0)
		return OUT_OK;
	snprintf(errbuf, CURL_ERROR_SIZE, "HTTP %ld", status);
	return retry ? OUT_RETRY : OUT_FAIL;
}

int imds_get(struct imds *c, const char *path, const char *query, char **ret_body,
	     size_t *ret_len)
{
	char errbuf[CURL_ERROR_SIZE];
	_cleanup_free_ char *url = NULL;
	struct timespec start, t;
	unsigned attempt = 0;
	int r;

	if (asprintf(&url, "%s%s?api-version=%s%s%s", c->endpoint, path, c->api_version,
		     query ? "&" : "", query ? query : "") < 0)
		return -ENOMEM;
	now(&start);
	for (;;) {
		struct body b = { 0 };
		long status = 0, retry_after = 0;
		enum outcome out;
		uint64_t elapsed, delay, budget;

		rate_limit(c);
		out = perform(c, url, &b, &status, &retry_after, &r, errbuf);
		if (out == OUT_OK) {
			if (!b.data) {
				b.data = strdup("");
				if (!b.data)
					return -ENOMEM;
			}
			*ret_body = b.data;
			if (ret_len)
				*ret_len = b.len;
			return 0;
		}
		secret_wipe(b.data, b.len);
		free(b.data);
		if (out == OUT_FAIL)
			break;
		now(&t);
		elapsed = ms_between(&start, &t);
		budget = out == OUT_CONNECT ? c->o.connect_budget_ms : c->o.budget_ms;
		delay = retry_after ? (uint64_t)retry_after * 1000
				    : (uint64_t)BACKOFF_FIRST_MS << (attempt < 5 ? attempt : 5);
		if (delay > BACKOFF_MAX_MS)
			delay = BACKOFF_MAX_MS;
		if (elapsed >= budget)
			break;
		if (elapsed + delay > budget)
			delay = budget - elapsed;
		sleep_ms(delay);
		attempt++;
	}
	if (r == -EAGAIN || (r == -ETIMEDOUT && attempt > 0) || (r == -EIO && attempt > 0)) {
		if (!c->o.quiet)
			log_error("imds: GET '%s' failed after %u attempts: %s", url, attempt + 1,
				  errbuf);
		return -ETIMEDOUT;
	}
	if (r == -ETIMEDOUT)
		r = -EHOSTUNREACH;
	if (!c->o.quiet && r != -ENOENT && r != -EHOSTUNREACH)
		log_error("imds: GET '%s' failed: %s", url, errbuf);
	return r;
}

/* ---------------------------------------------------------------- pure parsers */

static bool utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else
			return false;
		if (len - i <= n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

int imds_parse_user_data(const char *body, size_t len, char **ret_text, size_t *ret_len,
			 const char **ret_why)
{
	size_t bin_len = 0, n = 0;
	const char *end = NULL;
	char *b64, *text;

	*ret_why = NULL;
	b64 = malloc(len + 1);
	if (!b64)
		return -ENOMEM;
	/* Keep only base64 characters; line breaks and spaces are allowed anywhere. */
	for (size_t i = 0; i < len; i++) {
		char ch = body[i];

		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
			continue;
		b64[n++] = ch;
	}
	b64[n] = '\0';
	if (n == 0) {
		free(b64);
		*ret_text = NULL;
		*ret_len = 0;
		return 0;
	}
	text = malloc(n / 4 * 3 + 4);
	if (!text) {
		free(b64);
		return -ENOMEM;
	}
	if (sodium_base642bin((unsigned char *)text, n / 4 * 3 + 3, b64, n, NULL, &bin_len, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != b64 + n) {
		*ret_why = "userData is not base64";
		goto bad;
	}
	if (memchr(text, '\0', bin_len)) {
		*ret_why = "decoded userData holds NUL bytes (not a text configuration)";
		goto bad;
	}
	if (!utf8_valid((const unsigned char *)text, bin_len)) {
		*ret_why = "decoded userData is not UTF-8 text";
		goto bad;
	}
	text[bin_len] = '\0';
	secret_wipe(b64, n);
	free(b64);
	*ret_text = text;
	*ret_len = bin_len;
	return 0;
bad:
	secret_wipe(b64, n);
	secret_wipe(text, n / 4 * 3 + 4);
	free(b64);
	free(text);
	return -EBADMSG;
}

int imds_parse_vm_id(const char *body, size_t len, char ret[64])
{
	char id[37];

	/* IMDS sends the bare UUID with format=text; tolerate a trailing newline. */
	while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r'))
		len--;
	if (len != 36)
		return -EBADMSG;
	for (size_t i = 0; i < 36; i++) {
		char ch = body[i];
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? ch != '-' : !isxdigit((unsigned char)ch))
			return -EBADMSG;
		id[i] = (char)tolower((unsigned char)ch);
	}
	id[36] = '\0';
	memcpy(ret, id, sizeof(id));
	return 0;
}

int imds_parse_attested(const char *body, size_t len)
{
	struct json_tokener *tok;
	struct json_object *obj, *sig;
	int r = -EBADMSG;

	if (len > IMDS_BODY_MAX)
		return -EBADMSG;
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, body, (int)len);
	if (obj && json_tokener_get_error(tok) == json_tokener_success &&
	    (size_t)json_tokener_get_parse_end(tok) == len &&
	    json_object_is_type(obj, json_type_object) &&
	    json_object_object_get_ex(obj, "signature", &sig) &&
	    json_object_is_type(sig, json_type_string) && json_object_get_string_len(sig) > 0)
		r = 0;
	json_object_put(obj);
	json_tokener_free(tok);
	return r;
}

/* ---------------------------------------------------------------- convenience calls */

int imds_get_user_data(struct imds *c, char **ret_text, size_t *ret_len)
{
	const char *why = NULL;
	int r = 0;

	for (unsigned i = 0; i < IMDS_PARSE_ATTEMPTS; i++) {
		char *body = NULL;
		size_t len = 0;

		r = imds_get(c, "/metadata/instance/compute/userData", "format=text", &body, &len);
		if (r < 0)
			return r;
		r = imds_parse_user_data(body, len, ret_text, ret_len, &why);
		secret_wipe(body, len);
		free(body);
		if (r != -EBADMSG)
			return r;
	}
	if (!c->o.quiet)
		log_error("imds: %s (%u attempts)", why, IMDS_PARSE_ATTEMPTS);
	return r;
}

int imds_get_vm_id(struct imds *c, char ret[64])
{
	int r = 0;

	for (unsigned i = 0; i < IMDS_PARSE_ATTEMPTS; i++) {
		_cleanup_free_ char *body = NULL;
		size_t len = 0;

		r = imds_get(c, "/metadata/instance/compute/vmId", "format=text", &body, &len);
		if (r < 0)
			return r;
		r = imds_parse_vm_id(body, len, ret);
		if (r == 0)
			return 0;
	}
	if (!c->o.quiet)
		log_error("imds: vmId is not a UUID (%u attempts)", IMDS_PARSE_ATTEMPTS);
	return r;
}

int imds_get_attested(struct imds *c, const char *nonce, char **ret_json)
{
	_cleanup_free_ char *query = NULL;
	int r = 0;

	if (nonce && asprintf(&query, "nonce=%s", nonce) < 0)
		return -ENOMEM;
	for (unsigned i = 0; i < IMDS_PARSE_ATTEMPTS; i++) {
		char *body = NULL;
		size_t len = 0;

		r = imds_get(c, "/metadata/attested/document", query, &body, &len);
		if (r < 0)
			return r;
		r = imds_parse_attested(body, len);
		if (r == 0) {
			*ret_json = body;
			return 0;
		}
		free(body);
	}
	if (!c->o.quiet)
		log_error("imds: the attested document is not JSON with a signature (%u attempts)",
			  IMDS_PARSE_ATTEMPTS);
	return r;
}

bool imds_on_azure(const char *asset_tag_path)
{
	_cleanup_fclose_ FILE *f = fopen(asset_tag_path, "re");
	char line[64];

	if (!f || !fgets(line, sizeof(line), f))
		return false;
	line[strcspn(line, "\r\n")] = '\0';
	return strcmp(line, AZURE_ASSET_TAG) == 0;
}
