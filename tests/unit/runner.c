// SPDX-License-Identifier: MIT
/*
 * Runs every TEST() linked into this binary, or those whose name contains
 * argv[1]. Prints one line per test and ends with "unit: N passed, N failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "key.h"

unsigned check_failures;
unsigned check_count;

struct test_case {
	const char *file;
	const char *name;
	test_fn fn;
};

static struct test_case *tests;
static size_t n_tests;

void test_register(const char *file, const char *name, test_fn fn)
{
	struct test_case *t = realloc(tests, (n_tests + 1) * sizeof(*t));

	if (!t) {
		fputs("runner: out of memory\n", stderr);
		abort();
	}
	tests = t;
	tests[n_tests++] = (struct test_case){ .file = file, .name = name, .fn = fn };
}

static int cmp_test(const void *a, const void *b)
{
	const struct test_case *x = a, *y = b;
	int r = strcmp(x->file, y->file);

	return r ? r : strcmp(x->name, y->name);
}

int main(int argc, char *argv[])
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	unsigned passed = 0, failed = 0;

	if (key_init() < 0) {
		fputs("runner: sodium_init failed\n", stderr);
		return EXIT_FAILURE;
	}
	qsort(tests, n_tests, sizeof(*tests), cmp_test);
	for (size_t i = 0; i < n_tests; i++) {
		unsigned failures_before = check_failures;

		if (filter && !strstr(tests[i].name, filter) && !strstr(tests[i].file, filter))
			continue;
		check_count = 0;
		tests[i].fn();
		if (check_count == 0) {
			fprintf(stderr, "  %s: made no check\n", tests[i].name);
			check_failures++;
		}
		if (check_failures == failures_before) {
			printf("ok   %s\n", tests[i].name);
			passed++;
		} else {
			printf("FAIL %s (%s)\n", tests[i].name, tests[i].file);
			failed++;
		}
		fflush(stdout);
	}
	free(tests);
	printf("unit: %u passed, %u failed\n", passed, failed);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
