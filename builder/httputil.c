// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "httputil.h"

int http_status_to_errno(long status)
{
	if (status / 100 == 2)
		return 0;
	switch (status) {
	case 401:
	case 403:
		return -EACCES;
	case 404:
		return -ENOENT;
	case 409:
		return -EEXIST;
	case 412:
		return -ESTALE;
	case 413:
		return -EFBIG;
	case 416:
		return -ERANGE;
	}
	if (http_status_retryable(status))
		return -EAGAIN;
	return -EPROTO;
}

bool http_status_retryable(long status)
{
	switch (status) {
	case 408:
	case 429:
	case 500:
	case 502:
	case 503:
	case 504:
		return true;
	}
	return false;
}

static const char *const MONTHS[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const DAYS[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

void http_date(time_t t, char buf[static 30])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	/* Not strftime(): its %a and %b follow the locale. */
	memcpy(buf, DAYS[tm.tm_wday % 7], 3);
	buf[3] = ',';
	buf[4] = ' ';
	buf[5] = (char)('0' + tm.tm_mday / 10 % 10);
	buf[6] = (char)('0' + tm.tm_mday % 10);
	buf[7] = ' ';
	memcpy(buf + 8, MONTHS[tm.tm_mon % 12], 3);
	snprintf(buf + 11, 19, " %04u %02u:%02u:%02u GMT", (unsigned)(tm.tm_year + 1900) % 10000,
		 (unsigned)tm.tm_hour % 100, (unsigned)tm.tm_min % 100, (unsigned)tm.tm_sec % 100);
}

static int month_index(const char *m)
{
	for (int i = 0; i < 12; i++)
		if (strncasecmp(m, MONTHS[i], 3) == 0)
			return i;
	return -1;
}

bool http_date_parse(const char *s, time_t *ret)
{
	struct tm tm = {0};
	char mon[4] = "", wday[10] = "";
	int day, year, h, mi, sec, n = 0;
	time_t t;

	/* IMF-fixdate, RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT"), asctime. */
	if (sscanf(s, "%3s, %d %3s %d %d:%d:%d GMT%n", wday, &day, mon, &year, &h, &mi, &sec, &n) ==
		    7 &&
	    n > 0) {
	} else if (sscanf(s, "%9[A-Za-z], %d-%3s-%d %d:%d:%d GMT%n", wday, &day, mon, &year, &h,
			  &mi, &sec, &n) == 7 &&
		   n > 0) {
		year += year < 70 ? 2000 : year < 100 ? 1900 : 0;
	} else if (sscanf(s, "%3s %3s %d %d:%d:%d %d%n", wday, mon, &day, &h, &mi, &sec, &year,
			  &n) == 7 &&
		   n > 0) {
	} else {
		return false;
	}
	tm.tm_mon = month_index(mon);
	if (tm.tm_mon < 0 || day < 1 || day > 31 || h > 23 || mi > 59 || sec > 60 || year < 1970)
		return false;
	tm.tm_mday = day;
	tm.tm_year = year - 1900;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return false;
	*ret = t;
	return true;
}

long long http_retry_after_ms(const char *value, time_t now, long long cap_ms)
{
	long long ms;
	time_t when;

	if (!value)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	if (isdigit((unsigned char)*value)) {
		char *end;
		unsigned long long s;

		errno = 0;
		s = strtoull(value, &end, 10);
		while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
			end++;
		if (errno || *end)
			return -1;
		ms = s > (unsigned long long)cap_ms / 1000 ? cap_ms : (long long)s * 1000;
	} else if (http_date_parse(value, &when)) {
		ms = when <= now ? 0 : ((long long)(when - now)) * 1000;
	} else {
		return -1;
	}
	return ms > cap_ms ? cap_ms : ms;
}

long long http_backoff_ms(unsigned attempt, long long base_ms, long long cap_ms, uint32_t rnd)
{
	long long span = base_ms;

	for (unsigned i = 0; i < attempt && span < cap_ms; i++)
		span *= 2;
	if (span > cap_ms)
		span = cap_ms;
	/* Half fixed, half jitter: never zero, and clients that failed together spread out. */
	return span / 2 + (long long)(rnd % (uint32_t)(span / 2 + 1));
}

void http_url_free(struct http_url *u)
{
	if (!u)
		return;
	free(u->scheme);
	free(u->host);
	free(u->port);
	free(u->path);
	free(u->query);
	*u = (struct http_url){0};
}

int http_url_parse(const char *url, struct http_url *ret)
{
	struct http_url u = {0};
	const char *p, *host, *host_end, *port = NULL, *path;
	size_t scheme_len;

	p = strstr(url, "://");
	if (!p)
		return -EINVAL;
	scheme_len = (size_t)(p - url);
	if (!((scheme_len == 4 && strncasecmp(url, "http", 4) == 0) ||
	      (scheme_len == 5 && strncasecmp(url, "https", 5) == 0)))
		return -EINVAL;
	host = p + 3;
	if (*host == '[') {
		host_end = strchr(host, ']');
		if (!host_end)
			return -EINVAL;
		host++;
		p = host_end + 1;
	} else {
		host_end = host + strcspn(host, ":/?#");
		p = host_end;
	}
	if (host_end == host)
		return -EINVAL;
	if (*p == ':') {
		port = p + 1;
		p = port + strspn(port, "0123456789");
		if (p == port || (*p && *p != '/' && *p != '?'))
			return -EINVAL;
	} else if (*p && *p != '/' && *p != '?') {
		return -EINVAL;
	}
	path = p;
	if (strchr(url, '#') || strpbrk(url, " \t\r\n"))
		return -EINVAL;
	u.scheme = strndup(url, scheme_len);
	u.host = strndup(host, (size_t)(host_end - host));
	if (port)
		u.port = strndup(port, strspn(port, "0123456789"));
	if (*path == '/')
		u.path = strndup(path, strcspn(path, "?"));
	else
		u.path = strdup("/");
	p = strchr(path, '?');
	if (p)
		u.query = strdup(p + 1);
	if (!u.scheme || !u.host || (port && !u.port) || !u.path || (p && !u.query)) {
		http_url_free(&u);
		return -ENOMEM;
	}
	for (char *c = u.scheme; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	*ret = u;
	return 0;
}

bool http_host_is_loopback(const char *host)
{
	return strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
	       strncmp(host, "127.", 4) == 0;
}

static bool secret_param(const char *name, size_t len)
{
	static const char *const names[] = {"sig",	    "signature",     "token",
					    "access_token", "client_secret", "code"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && strncasecmp(name, names[i], len) == 0)
			return true;
	return false;
}

char *http_redact(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(3 * n + 16), *o = out; /* "sig=&" grows to "sig=REDACTED&" */
	const char *p = s;

	if (!out)
		return NULL;
	while (*p) {
		/* A parameter starts after '?' or '&' (or at the start of a bare query). */
		bool start = p == s || p[-1] == '?' || p[-1] == '&';
		size_t name_len = strcspn(p, "=&? \t\r\n\"'");

		if (start && p[name_len] == '=' && secret_param(p, name_len)) {
			memcpy(o, p, name_len + 1);
			o += name_len + 1;
			p += name_len + 1;
			p += strcspn(p, "& \t\r\n\"'");
			memcpy(o, "REDACTED", 8);
			o += 8;
			continue;
		}
		*o++ = *p++;
	}
	*o = '\0';
	return out;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool http_unescape(const char *in, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++) {
		if (in[i] == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return false;
			hi = hexval(in[i + 1]);
			lo = hexval(in[i + 2]);
			if (hi < 0 || lo < 0)
				return false;
			*out++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (in[i] == '+') {
			*out++ = ' ';
		} else {
			*out++ = in[i];
		}
	}
	*out = '\0';
	return true;
}
