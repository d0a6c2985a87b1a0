// SPDX-License-Identifier: MIT
/* Pure parts of the page-blob upload: request planning, range sets, state files, XML. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../../builder/ranges.h"
#include "../../builder/state.h"

#define MIB (1024ull * 1024)

static struct extents make(const uint64_t (*v)[2], size_t n)
{
	struct extents e = {0};

	for (size_t i = 0; i < n; i++)
		extents_push(&e, v[i][0], v[i][1]);
	return e;
}

TEST(plan_splits_at_4mib_windows)
{
	static const uint64_t d[][2] = {{1 * MIB, 9 * MIB}};
	struct extents data = make(d, 1), plan = {0};

	CHECK_EQ(ranges_plan(&data, PUT_PAGE_MAX, 0, 0, &plan), 0);
	CHECK_EQ(plan.n, 3);
	CHECK_EQ(plan.v[0].off, 1 * MIB);
	CHECK_EQ(plan.v[0].len, 3 * MIB);
	CHECK_EQ(plan.v[1].off, 4 * MIB);
	CHECK_EQ(plan.v[1].len, 4 * MIB);
	CHECK_EQ(plan.v[2].off, 8 * MIB);
	CHECK_EQ(plan.v[2].len, 2 * MIB);
	extents_free(&data);
	extents_free(&plan);
}

TEST(plan_joins_small_gaps_within_budget)
{
	static const uint64_t d[][2] = {{0, 512}, {1024, 512}, {4096, 512}, {65536, 512}};
	struct extents data = make(d, 4), plan = {0};

	/* Gaps of 512 and 2560 fit max_gap 4096 and budget 3072; the 60 KiB one doesn't. */
	CHECK_EQ(ranges_plan(&data, PUT_PAGE_MAX, 4096, 3072, &plan), 0);
	CHECK_EQ(plan.n, 2);
	CHECK_EQ(plan.v[0].off, 0);
	CHECK_EQ(plan.v[0].len, 4608);
	CHECK_EQ(plan.v[1].off, 65536);
	extents_free(&plan);
	/* A budget of 1 KiB joins only the first gap. */
	CHECK_EQ(ranges_plan(&data, PUT_PAGE_MAX, 4096, 1024, &plan), 0);
	CHECK_EQ(plan.n, 3);
	CHECK_EQ(plan.v[0].len, 1536);
	extents_free(&plan);
	extents_free(&data);
}

TEST(plan_never_joins_across_a_window)
{
	static const uint64_t d[][2] = {{4 * MIB - 512, 512}, {4 * MIB, 512}};
	struct extents data = make(d, 2), plan = {0};

	CHECK_EQ(ranges_plan(&data, PUT_PAGE_MAX, 65536, 65536, &plan), 0);
	CHECK_EQ(plan.n, 2);
	extents_free(&plan);
	extents_free(&data);
}

TEST(plan_rejects_bad_input)
{
	static const uint64_t odd[][2] = {{100, 512}};
	static const uint64_t back[][2] = {{8192, 512}, {0, 512}};
	struct extents a = make(odd, 1), b = make(back, 2), plan = {0};

	CHECK_EQ(ranges_plan(&a, PUT_PAGE_MAX, 0, 0, &plan), -EINVAL);
	CHECK_EQ(ranges_plan(&b, PUT_PAGE_MAX, 0, 0, &plan), -EINVAL);
	CHECK_EQ(ranges_plan(&a, PUT_PAGE_MAX + 512, 0, 0, &plan), -EINVAL);
	CHECK_EQ(ranges_plan(&a, 1000, 0, 0, &plan), -EINVAL);
	extents_free(&a);
	extents_free(&b);
}

/* Random page maps: every request within limits, all data covered, few extra bytes. */
TEST(plan_properties_on_random_maps)
{
	unsigned seed = 12345;

	for (int round = 0; round < 50; round++) {
		struct extents data = {0}, plan = {0}, norm = {0};
		uint64_t pos = 0, max_req = 512ull * (1 + (unsigned)(rand_r(&seed) % 8192));
		uint64_t budget, extra, max_gap = 512ull * (unsigned)(rand_r(&seed) % 64);
		bool ok = true;

		for (int i = 0; i < 200; i++) {
			pos += 512ull * (unsigned)(rand_r(&seed) % 300);
			uint64_t len = 512ull * (1 + (unsigned)(rand_r(&seed) % 20000));

			extents_add(&data, pos, len);
			pos += len;
		}
		budget = extents_bytes(&data) / 200;
		CHECK_EQ(ranges_plan(&data, max_req, max_gap, budget, &plan), 0);
		for (size_t i = 0; i < plan.n; i++) {
			ok &= plan.v[i].len > 0 && plan.v[i].len <= max_req;
			ok &= plan.v[i].off % 512 == 0 && plan.v[i].len % 512 == 0;
			ok &= plan.v[i].off / max_req ==
			      (plan.v[i].off + plan.v[i].len - 1) / max_req;
			if (i > 0)
				ok &= plan.v[i - 1].off + plan.v[i - 1].len <= plan.v[i].off;
			extents_push(&norm, plan.v[i].off, plan.v[i].len);
		}
		CHECK(ok);
		extents_normalize(&norm);
		for (size_t i = 0; i < data.n; i++)
			ok &= extents_cover(&norm, data.v[i].off, data.v[i].len);
		CHECK(ok);
		extra = extents_bytes(&plan) - extents_bytes(&data);
		CHECK(extra <= budget);
		extents_free(&data);
		extents_free(&plan);
		extents_free(&norm);
	}
}

TEST(extents_normalize_cover_overlap)
{
	static const uint64_t v[][2] = {{4096, 512}, {0, 1024}, {1024, 512}, {512, 512}};
	struct extents e = make(v, 4);

	extents_normalize(&e);
	CHECK_EQ(e.n, 2);
	CHECK_EQ(e.v[0].off, 0);
	CHECK_EQ(e.v[0].len, 1536);
	CHECK(extents_cover(&e, 512, 1024));
	CHECK(!extents_cover(&e, 1024, 1024));
	CHECK(extents_overlap(&e, 1024, 1024));
	CHECK(!extents_overlap(&e, 1536, 2560));
	CHECK(extents_overlap(&e, 1536, 2561));
	CHECK(!extents_cover(&e, 8192, 512));
	extents_free(&e);
}

TEST(extents_subtract_leaves_what_is_missing)
{
	static const uint64_t a[][2] = {{0, 4096}, {4096, 4096}, {16384, 1024}};
	static const uint64_t b[][2] = {{1024, 1024}, {3072, 2048}, {16384, 1024}};
	struct extents x = make(a, 3), y = make(b, 3), out = {0};

	extents_normalize(&y);
	CHECK_EQ(extents_subtract(&x, &y, &out), 0);
	/* [0,1024) [2048,3072) from the first; [5120,8192) from the second; none of the third. */
	CHECK_EQ(out.n, 3);
	CHECK_EQ(out.v[0].off, 0);
	CHECK_EQ(out.v[0].len, 1024);
	CHECK_EQ(out.v[1].off, 2048);
	CHECK_EQ(out.v[1].len, 1024);
	CHECK_EQ(out.v[2].off, 5120);
	CHECK_EQ(out.v[2].len, 3072);
	extents_free(&out);
	/* Requests that touch stay separate. */
	extents_free(&y);
	CHECK_EQ(extents_subtract(&x, &y, &out), 0);
	CHECK_EQ(out.n, 3);
	extents_free(&out);
	extents_free(&x);
}

TEST(page_ranges_parse_get_page_ranges_xml)
{
	static const char xml[] = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<PageList>"
				  "<PageRange><Start>0</Start><End>511</End></PageRange>"
				  "<ClearRange><Start>512</Start><End>1023</End></ClearRange>"
				  "<PageRange><Start>1024</Start><End>4194303</End></PageRange>"
				  "<PageRange><Start>8388608</Start><End>8389119</End></PageRange>"
				  "<NextMarker>2!abc</NextMarker></PageList>";
	struct extents e = {0};
	char *marker = NULL;

	CHECK_EQ(page_ranges_parse(xml, strlen(xml), &e, &marker), 0);
	CHECK_EQ(e.n, 3);
	CHECK_EQ(e.v[0].len, 512);
	CHECK_EQ(e.v[1].off, 1024);
	CHECK_EQ(e.v[1].len, 4194304 - 1024);
	CHECK_EQ(e.v[2].off, 8388608);
	CHECK_STREQ(marker, "2!abc");
	free(marker);
	extents_free(&e);
}

TEST(page_ranges_parse_empty_and_broken)
{
	struct extents e = {0};
	char *marker = NULL;
	const char *empty = "<PageList><NextMarker /></PageList>";
	const char *none = "<PageList />";
	const char *bad[] = {
		"<PageList><PageRange><Start>0</Start></PageRange></PageList>",
		"<PageList><PageRange><Start>0</Start><End>100</End></PageRange></PageList>",
		"<PageList><PageRange><Start>512</Start><End>0</End></PageRange></PageList>",
		"<PageList><PageRange><Start>x</Start><End>511</End></PageRange></PageList>",
		"<PageList><PageRange><Start>0</Start><End>511</End>",
		"<Error><Code>AuthenticationFailed</Code></Error>",
	};

	CHECK_EQ(page_ranges_parse(empty, strlen(empty), &e, &marker), 0);
	CHECK_EQ(e.n, 0);
	CHECK(marker == NULL);
	CHECK_EQ(page_ranges_parse(none, strlen(none), &e, &marker), 0);
	CHECK_EQ(e.n, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(page_ranges_parse(bad[i], strlen(bad[i]), &e, &marker), -EBADMSG);
}

#define HEADER                                                                                     \
	"wgbake-upload-state 1\n"                                                                  \
	"blob https://acct.blob.core.windows.net/vhds/disk.vhd\n"                                  \
	"blob-size 68157952\n"                                                                     \
	"digest 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"                \
	"upload-id 00112233445566778899aabbccddeeff\n"

TEST(state_parse_good_and_torn)
{
	const char *s = HEADER "done 4194304 4194304\ndone 0 4194304\ndone 8388608 5";
	struct upload_state st = {0};

	CHECK_EQ(state_parse(s, strlen(s), &st), 0);
	CHECK_STREQ(st.blob, "https://acct.blob.core.windows.net/vhds/disk.vhd");
	CHECK_EQ(st.blob_size, 68157952);
	CHECK_STREQ(st.upload_id, "00112233445566778899aabbccddeeff");
	/* The torn last line is dropped; the rest is merged. */
	CHECK_EQ(st.done.n, 1);
	CHECK_EQ(st.done.v[0].off, 0);
	CHECK_EQ(st.done.v[0].len, 8388608);
	state_free(&st);
}

TEST(state_header_roundtrip)
{
	struct upload_state a = {.blob = (char *)"https://a.blob.core.windows.net/c/b.vhd",
				 .blob_size = 1049088},
			    b = {0};
	char *h;

	memset(a.digest, 'a', STATE_DIGEST_HEX);
	memset(a.upload_id, 'f', STATE_ID_HEX);
	h = state_format_header(&a);
	CHECK(h != NULL);
	CHECK_EQ(state_parse(h, strlen(h), &b), 0);
	CHECK_STREQ(b.blob, a.blob);
	CHECK_EQ(b.blob_size, 1049088);
	CHECK_STREQ(b.digest, a.digest);
	CHECK_EQ(b.done.n, 0);
	free(h);
	state_free(&b);
}

TEST(state_parse_rejects_bad_files)
{
	static const char *const bad[] = {
		"",
		"wgbake-upload-state 2\n",
		"wgbake-upload-state 1\nblob x\n",
		"wgbake-upload-state 1\ndone 0 512\n" HEADER,
		HEADER "done 100 512\n",
		HEADER "done 0 0\n",
		HEADER "done 0 68158464\n",
		HEADER "done 0 512 9\n",
		HEADER "done -512 512\n",
		HEADER "frobnicate 1\n",
		HEADER "upload-id 00112233445566778899aabbccddeeff\n",
		"wgbake-upload-state 1\nblob https://x/c/b?sig=1\nblob-size 512\n"
		"digest 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
		"upload-id 00112233445566778899aabbccddeeff\n",
		"wgbake-upload-state 1\nblob https://x/c/b\nblob-size 512\n"
		"digest 0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\n"
		"upload-id 00112233445566778899aabbccddeeff\n",
	};
	struct upload_state st = {0};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = state_parse(bad[i], strlen(bad[i]), &st);

		CHECK_EQ(r, -EBADMSG);
		if (r == 0)
			state_free(&st);
	}
	/* A NUL inside a line. */
	CHECK_EQ(state_parse(HEADER "done 0\0 512\n", sizeof(HEADER "done 0\0 512\n") - 1, &st),
		 -EBADMSG);
}

/* Mutated inputs: the parsers answer 0 or -EBADMSG, never crash (ASan watches). */
TEST(parsers_survive_mutations)
{
	static const char xml[] = "<PageList><PageRange><Start>0</Start><End>511</End></PageRange>"
				  "<NextMarker>m</NextMarker></PageList>";
	const char *state = HEADER "done 0 4194304\n";
	unsigned seed = 99, bad = 0;
	char buf[1024];

	for (int i = 0; i < 20000; i++) {
		const char *src = i % 2 ? xml : state;
		size_t len = strlen(src), n;
		struct extents e = {0};
		struct upload_state st = {0};
		char *marker = NULL;
		int r;

		memcpy(buf, src, len);
		for (int k = 0; k < 1 + i % 4; k++)
			buf[(unsigned)rand_r(&seed) % len] = (char)rand_r(&seed);
		n = (unsigned)rand_r(&seed) % (len + 1);
		if (i % 2) {
			r = page_ranges_parse(buf, n, &e, &marker);
			free(marker);
			extents_free(&e);
		} else {
			r = state_parse(buf, n, &st);
			state_free(&st);
		}
		if (r != 0 && r != -EBADMSG)
			bad++;
	}
	CHECK_EQ(bad, 0);
}
