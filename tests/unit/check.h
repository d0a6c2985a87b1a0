/* SPDX-License-Identifier: MIT */
/*
 * A tiny test runner: plain check macros, tests registered by TEST(), no
 * framework. A test fails if any check fails or if it made no check at all.
 */
#ifndef WGBAKE_CHECK_H
#define WGBAKE_CHECK_H

#include <stdio.h>
#include <string.h>

extern unsigned check_failures;
extern unsigned check_count;

typedef void (*test_fn)(void);
void test_register(const char *file, const char *name, test_fn fn);

#define TEST(name)                                                                                 \
	static void name(void);                                                                    \
	__attribute__((constructor)) static void register_##name(void)                             \
	{                                                                                          \
		test_register(__FILE__, #name, name);                                              \
	}                                                                                          \
	static void name(void)

#define CHECK_FAIL_(...)                                                                           \
	do {                                                                                       \
		fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__);                                 \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fputc('\n', stderr);                                                               \
		check_failures++;                                                                  \
	} while (0)

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		check_count++;                                                                     \
		if (!(cond))                                                                       \
			CHECK_FAIL_("%s is false", #cond);                                         \
	} while (0)

#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long long a_ = (long long)(a), b_ = (long long)(b);                                \
		check_count++;                                                                     \
		if (a_ != b_)                                                                      \
			CHECK_FAIL_("%s == %lld, expected %lld", #a, a_, b_);                      \
	} while (0)

#define CHECK_STREQ(a, b)                                                                          \
	do {                                                                                       \
		const char *a_ = (a), *b_ = (b);                                                   \
		check_count++;                                                                     \
		if (!a_ || !b_ || strcmp(a_, b_) != 0)                                             \
			CHECK_FAIL_("%s == \"%s\", expected \"%s\"", #a, a_ ? a_ : "(null)",      \
				    b_ ? b_ : "(null)");                                           \
	} while (0)

/* Checks that haystack contains needle. */
#define CHECK_CONTAINS(haystack, needle)                                                           \
	do {                                                                                       \
		const char *h_ = (haystack), *n_ = (needle);                                       \
		check_count++;                                                                     \
		if (!h_ || !strstr(h_, n_))                                                        \
			CHECK_FAIL_("%s == \"%s\", expected it to contain \"%s\"", #haystack,     \
				    h_ ? h_ : "(null)", n_);                                       \
	} while (0)

#define CHECK_MEMEQ(a, b, len)                                                                     \
	do {                                                                                       \
		check_count++;                                                                     \
		if (memcmp((a), (b), (len)) != 0)                                                  \
			CHECK_FAIL_("%s differs from %s", #a, #b);                                 \
	} while (0)

#endif
