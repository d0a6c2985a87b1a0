// SPDX-License-Identifier: MIT
/*
 * Runs a libFuzzer harness over files without libFuzzer, so `make check`
 * replays every committed corpus under ASan+UBSan with gcc. A crash or a
 * sanitizer report aborts the process, which the suite counts as failed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rbe");
	uint8_t *buf = NULL;
	long len;
	int r = -1;

	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		/* A copy of exactly the file's size, so ASan sees reads past its end. */
		buf = malloc(len ? (size_t)len : 1);
		if (buf && fread(buf, 1, (size_t)len, f) == (size_t)len) {
			LLVMFuzzerTestOneInput(buf, (size_t)len);
			r = 0;
		}
	}
	free(buf);
	fclose(f);
	return r;
}

int main(int argc, char *argv[])
{
	unsigned passed = 0, failed = 0;

	for (int i = 2; i < argc; i++) {
		if (replay_file(argv[i]) == 0)
			passed++;
		else {
			fprintf(stderr, "replay: cannot read '%s'\n", argv[i]);
			failed++;
		}
	}
	printf("%s: %u passed, %u failed\n", argc > 1 ? argv[1] : "fuzz", passed, failed);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
