// SPDX-License-Identifier: MIT
/* The pure HTTP helpers and MD5 behind the page-blob upload. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../../builder/httputil.h"
#include "../../builder/md5.h"

TEST(http_status_mapping)
{
	CHECK_EQ(http_status_to_errno(201), 0);
	CHECK_EQ(http_status_to_errno(401), -EACCES);
	CHECK_EQ(http_status_to_errno(403), -EACCES);
	CHECK_EQ(http_status_to_errno(404), -ENOENT);
	CHECK_EQ(http_status_to_errno(409), -EEXIST);
	CHECK_EQ(http_status_to_errno(429), -EAGAIN);
	CHECK_EQ(http_status_to_errno(503), -EAGAIN);
	CHECK_EQ(http_status_to_errno(400), -EPROTO);
	CHECK(http_status_retryable(408));
	CHECK(http_status_retryable(500));
	CHECK(!http_status_retryable(501));
	CHECK(!http_status_retryable(403));
	CHECK(!http_status_retryable(412));
}

TEST(http_retry_after)
{
	time_t now = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */

	CHECK_EQ(http_retry_after_ms("1", now, 30000), 1000);
	CHECK_EQ(http_retry_after_ms(" 7 ", now, 30000), 7000);
	CHECK_EQ(http_retry_after_ms("3600", now, 30000), 30000);
	CHECK_EQ(http_retry_after_ms("99999999999999999999", now, 30000), -1);
	CHECK_EQ(http_retry_after_ms("Sun, 06 Nov 1994 08:49:40 GMT", now, 30000), 3000);
	CHECK_EQ(http_retry_after_ms("Sun, 06 Nov 1994 08:49:00 GMT", now, 30000), 0);
	CHECK_EQ(http_retry_after_ms("soon", now, 30000), -1);
	CHECK_EQ(http_retry_after_ms("-5", now, 30000), -1);
	CHECK_EQ(http_retry_after_ms(NULL, now, 30000), -1);
}

TEST(http_backoff_grows_with_jitter_and_cap)
{
	for (uint32_t rnd = 0; rnd < 5000; rnd += 97) {
		long long a0 = http_backoff_ms(0, 100, 30000, rnd);
		long long a3 = http_backoff_ms(3, 100, 30000, rnd);
		long long a20 = http_backoff_ms(20, 100, 30000, rnd);

		CHECK(a0 >= 50 && a0 <= 100);
		CHECK(a3 >= 400 && a3 <= 800);
		CHECK(a20 >= 15000 && a20 <= 30000);
	}
}

TEST(http_dates)
{
	char buf[30];
	time_t t = 0;

	http_date(784111777, buf);
	CHECK_STREQ(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
	CHECK(http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", &t));
	CHECK_EQ(t, 784111777);
	CHECK(http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT", &t));
	CHECK_EQ(t, 784111777);
	CHECK(http_date_parse("Sun Nov  6 08:49:37 1994", &t));
	CHECK_EQ(t, 784111777);
	CHECK(!http_date_parse("yesterday", &t));
}

TEST(http_url_parse_forms)
{
	struct http_url u;

	CHECK_EQ(http_url_parse("http://127.0.0.1:10000/devstoreaccount1/vhds/a.vhd", &u), 0);
	CHECK_STREQ(u.scheme, "http");
	CHECK_STREQ(u.host, "127.0.0.1");
	CHECK_STREQ(u.port, "10000");
	CHECK_STREQ(u.path, "/devstoreaccount1/vhds/a.vhd");
	CHECK(u.query == NULL);
	CHECK(http_host_is_loopback(u.host));
	http_url_free(&u);
	CHECK_EQ(http_url_parse("HTTPS://acct.blob.core.windows.net/c/b.vhd?comp=page", &u), 0);
	CHECK_STREQ(u.scheme, "https");
	CHECK_STREQ(u.query, "comp=page");
	CHECK(!http_host_is_loopback(u.host));
	http_url_free(&u);
	CHECK_EQ(http_url_parse("http://[::1]:8080", &u), 0);
	CHECK_STREQ(u.host, "::1");
	CHECK_STREQ(u.path, "/");
	http_url_free(&u);
	CHECK_EQ(http_url_parse("ftp://x/y", &u), -EINVAL);
	CHECK_EQ(http_url_parse("https:///y", &u), -EINVAL);
	CHECK_EQ(http_url_parse("https://x:port/y", &u), -EINVAL);
	CHECK_EQ(http_url_parse("https://x/y z", &u), -EINVAL);
	CHECK_EQ(http_url_parse("https://x/y#frag", &u), -EINVAL);
	CHECK_EQ(http_url_parse("nonsense", &u), -EINVAL);
}

TEST(http_unescape_forms)
{
	char out[32];

	CHECK(http_unescape("a%2Fb+c", 7, out));
	CHECK_STREQ(out, "a/b c");
	CHECK(!http_unescape("a%2", 3, out));
	CHECK(!http_unescape("%zz", 3, out));
}

static void md5_hex(const char *s, char out[33])
{
	uint8_t d[16];

	md5(s, strlen(s), d);
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

TEST(md5_rfc1321_vectors)
{
	char h[33];

	md5_hex("", h);
	CHECK_STREQ(h, "d41d8cd98f00b204e9800998ecf8427e");
	md5_hex("abc", h);
	CHECK_STREQ(h, "900150983cd24fb0d6963f7d28e17f72");
	md5_hex("message digest", h);
	CHECK_STREQ(h, "f96b697d7cb7938d525a2f31aaf161d0");
	md5_hex("12345678901234567890123456789012345678901234567890123456789012345678901234567890",
		h);
	CHECK_STREQ(h, "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(md5_incremental_equals_one_shot)
{
	static uint8_t buf[10000];
	uint8_t a[16], b[16];
	struct md5 m;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	md5(buf, sizeof(buf), a);
	md5_init(&m);
	for (size_t off = 0, step = 1; off < sizeof(buf); off += step, step = step * 3 % 200 + 1)
		md5_update(&m, buf + off, off + step > sizeof(buf) ? sizeof(buf) - off : step);
	md5_final(&m, b);
	CHECK_MEMEQ(a, b, 16);
}
