// SPDX-License-Identifier: MIT
/*
 * Storage credentials: Shared Key's string-to-sign, laid out by hand from Microsoft's
 * "Authorize with Shared Key" page, and signatures computed independently (Python's hmac)
 * with Azurite's published account key; SAS handling and redaction.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "../../builder/cred.h"
#include "../../builder/httputil.h"

#define AZURITE_KEY                                                                                \
	"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

static const char *const PUT_PAGE_HEADERS[] = {
	"x-ms-range: bytes=0-4095",
	"x-ms-page-write: update",
	"Content-MD5: XrY7u+Ae7tCTyyK7j1rNww==",
	"Content-Length: 4096",
	"Content-Type: application/octet-stream",
	"x-ms-date: Fri, 27 Nov 2026 10:00:00 GMT",
	"x-ms-version: 2021-08-06",
};

TEST(sharedkey_string_to_sign_put_page)
{
	char *s = sharedkey_string_to_sign("PUT", "devstoreaccount1",
					   "/devstoreaccount1/vhds/disk.vhd", "comp=page",
					   PUT_PAGE_HEADERS, 7);

	CHECK_STREQ(s, "PUT\n"
		       "\n"			    /* Content-Encoding */
		       "\n"			    /* Content-Language */
		       "4096\n"			    /* Content-Length */
		       "XrY7u+Ae7tCTyyK7j1rNww==\n" /* Content-MD5 */
		       "application/octet-stream\n" /* Content-Type */
		       "\n\n\n\n\n\n"		    /* Date, If-*, Range */
		       "x-ms-date:Fri, 27 Nov 2026 10:00:00 GMT\n"
		       "x-ms-page-write:update\n"
		       "x-ms-range:bytes=0-4095\n"
		       "x-ms-version:2021-08-06\n"
		       "/devstoreaccount1/devstoreaccount1/vhds/disk.vhd\n"
		       "comp:page");
	free(s);
}

TEST(sharedkey_signature_known_vector)
{
	uint8_t key[CRED_KEY_MAX];
	size_t len = 0;
	char sig[45];
	char *s = sharedkey_string_to_sign("PUT", "devstoreaccount1",
					   "/devstoreaccount1/vhds/disk.vhd", "comp=page",
					   PUT_PAGE_HEADERS, 7);

	CHECK(sharedkey_decode(AZURITE_KEY, key, &len));
	CHECK_EQ(len, 64);
	sharedkey_sign(key, len, s, sig);
	CHECK_STREQ(sig, "Vqa5nuzcGhhxB3yuZA8aOBBTU3nHNdiCmlxWyAa19Ks=");
	free(s);
}

TEST(sharedkey_query_and_headers_canonical)
{
	static const char *const h[] = {
		"X-MS-Version:   2021-08-06 ",
		"x-ms-date: Fri, 27 Nov 2026 10:00:00 GMT",
		"Content-Length: 0",
		"Accept: */*",
	};
	uint8_t key[CRED_KEY_MAX];
	size_t len = 0;
	char sig[45];
	char *s = sharedkey_string_to_sign("GET", "myaccount", "/mycontainer",
					   "restype=container&comp=list", h, 4);

	/* Content-Length 0 signs as empty; names lowercased and sorted; values trimmed. */
	CHECK_STREQ(s, "GET\n\n\n\n\n\n\n\n\n\n\n\n"
		       "x-ms-date:Fri, 27 Nov 2026 10:00:00 GMT\n"
		       "x-ms-version:2021-08-06\n"
		       "/myaccount/mycontainer\ncomp:list\nrestype:container");
	CHECK(sharedkey_decode(AZURITE_KEY, key, &len));
	sharedkey_sign(key, len, s, sig);
	CHECK_STREQ(sig, "IOPrzy3EONlzAxRZlRft72nLiQAw41FbD8EXetm34os=");
	free(s);

	s = sharedkey_string_to_sign("GET", "a", "/c/b", "comp=pagelist&Marker=x%2Fy&b=2&b=1", h,
				     0);
	CHECK_CONTAINS(s, "\n/a/c/b\nb:1,2\ncomp:pagelist\nmarker:x/y");
	free(s);
}

TEST(sharedkey_decode_rejects_junk)
{
	uint8_t key[CRED_KEY_MAX];
	size_t len;

	CHECK(!sharedkey_decode("not base64!", key, &len));
	CHECK(!sharedkey_decode("", key, &len));
	/* 66 bytes: longer than any account key. */
	CHECK(!sharedkey_decode("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
				"K1SZFMxk6hLd6MuAU1p8ZPK6w==",
				key, &len));
	CHECK(sharedkey_decode("AAAA", key, &len));
	CHECK_EQ(len, 3);
}

TEST(sas_expiry_parses_se)
{
	time_t t = 0;

	CHECK(sas_expiry("sv=2019-12-12&se=2026-11-27T10%3A00%3A00Z&sig=x", &t));
	CHECK_EQ(t, 1795773600);
	CHECK(sas_expiry("se=2026-11-27&sig=x", &t));
	CHECK_EQ(t, 1795737600);
	CHECK(!sas_expiry("sv=1&sig=x", &t));
	CHECK(!sas_expiry("se=tomorrow&sig=x", &t));
}

static char *write_temp(const char *content)
{
	char *path = strdup("/tmp/wgbake-unit-XXXXXX");
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK_EQ(write(fd, content, strlen(content)), (long long)strlen(content));
		close(fd);
	}
	return path;
}

TEST(cred_load_sas_url_from_file)
{
	char *path = write_temp("https://acct.blob.core.windows.net/vhds/d.vhd?sv=2021-08-06&"
				"se=2099-01-01T00%3A00%3A00Z&sp=rcw&sig=abc%2Bdef\n");
	struct cred_options o = {.sas_file = path};
	struct cred c;
	char *url = NULL, *auth = (char *)"unset";

	CHECK_EQ(cred_load(&c, &o, &url), 0);
	CHECK_EQ(c.kind, CRED_SAS);
	CHECK_STREQ(url, "https://acct.blob.core.windows.net/vhds/d.vhd");
	CHECK_STREQ(c.sas, "sv=2021-08-06&se=2099-01-01T00%3A00%3A00Z&sp=rcw&sig=abc%2Bdef");
	CHECK_EQ(cred_authorization(&c, "PUT", "/vhds/d.vhd", NULL, NULL, 0, &auth), 0);
	CHECK(auth == NULL);
	cred_free(&c);
	free(url);
	unlink(path);
	free(path);
}

TEST(cred_load_expired_sas_fails_early)
{
	char *path = write_temp("?sv=2019-12-12&se=2001-01-01T00%3A00%3A00Z&sig=abc\n");
	struct cred_options o = {.sas_file = path};
	struct cred c;

	CHECK_EQ(cred_load(&c, &o, NULL), -EKEYEXPIRED);
	unlink(path);
	free(path);
}

TEST(cred_bearer_header)
{
	char *path = write_temp("eyJhbGciOi.e30.c2ln\n");
	struct cred_options o = {.token_file = path};
	struct cred c;
	char *auth = NULL;

	CHECK_EQ(cred_load(&c, &o, NULL), 0);
	CHECK_EQ(c.kind, CRED_BEARER);
	CHECK_EQ(cred_authorization(&c, "GET", "/c/b", NULL, NULL, 0, &auth), 0);
	CHECK_STREQ(auth, "Authorization: Bearer eyJhbGciOi.e30.c2ln");
	CHECK(strstr(c.source, "eyJ") == NULL);
	free(auth);
	cred_free(&c);
	unlink(path);
	free(path);
}

TEST(cred_shared_key_account_from_url)
{
	char *path = write_temp(AZURITE_KEY "\n");
	struct cred_options o = {.account_key_file = path};
	struct cred c;
	char *auth = NULL;

	CHECK_EQ(cred_load(&c, &o, NULL), 0);
	CHECK_EQ(cred_set_account_from_url(&c, "127.0.0.1", "/devstoreaccount1/vhds/d.vhd"), 0);
	CHECK_STREQ(c.account, "devstoreaccount1");
	CHECK_EQ(cred_authorization(&c, "PUT", "/devstoreaccount1/vhds/disk.vhd", "comp=page",
				    PUT_PAGE_HEADERS, 7, &auth),
		 0);
	CHECK_STREQ(auth, "Authorization: SharedKey devstoreaccount1:"
			  "Vqa5nuzcGhhxB3yuZA8aOBBTU3nHNdiCmlxWyAa19Ks=");
	free(auth);
	c.account[0] = '\0';
	CHECK_EQ(cred_set_account_from_url(&c, "myacct.blob.core.windows.net", "/c/b"), 0);
	CHECK_STREQ(c.account, "myacct");
	cred_free(&c);
	unlink(path);
	free(path);
}

TEST(cred_only_one_option)
{
	struct cred_options o = {.sas_file = "a", .token_file = "b"};
	struct cred c;

	CHECK_EQ(cred_load(&c, &o, NULL), -EINVAL);
}

TEST(redact_sas_signatures)
{
	char *s = http_redact("PUT 'https://a.blob.core.windows.net/c/b?sv=1&sig=abc%2B&se=2' "
			      "failed; token=xyz; design=ok");

	CHECK_STREQ(s, "PUT 'https://a.blob.core.windows.net/c/b?sv=1&sig=REDACTED&se=2' "
		       "failed; token=xyz; design=ok");
	free(s);
	s = http_redact("sig=abc&signature=def&x=1&access_token=q");
	CHECK_STREQ(s, "sig=REDACTED&signature=REDACTED&x=1&access_token=REDACTED");
	free(s);
	s = http_redact("?sig=&sig=&sig=");
	CHECK_STREQ(s, "?sig=REDACTED&sig=REDACTED&sig=REDACTED");
	free(s);
}
