// SPDX-License-Identifier: MIT
/* wgbake fetch URL SHA256: the build's fetch stage on its own. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "log.h"
#include "macros.h"

#include "commands.h"
#include "fetch.h"

int cmd_fetch_main(int argc, char *argv[])
{
	static const struct option options[] = {
		{"cache", required_argument, NULL, 'c'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	const char *cache = getenv("WGBAKE_CACHE") ? getenv("WGBAKE_CACHE") : ".cache/wgbake";
	_cleanup_free_ char *path = NULL;
	bool quiet = false;
	size_t n;
	int c, r;

	while ((c = getopt_long(argc, argv, "c:qh", options, NULL)) != -1) {
		switch (c) {
		case 'c':
			cache = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			printf("Usage: wgbake fetch [--cache DIR] [-q] URL SHA256\n\n"
			       "Downloads URL (https, http or file) into the cache as SHA256.img,\n"
			       "resuming a partial download, and checks its sha256; prints the "
			       "path.\n"
			       "A mismatch deletes the download. Default cache: $WGBAKE_CACHE, "
			       "else\n"
			       ".cache/wgbake.\n");
			return EXIT_SUCCESS;
		default:
			return 2;
		}
	}
	if (optind + 2 != argc) {
		log_error("expected URL and SHA256");
		return 2;
	}
	n = strspn(argv[optind + 1], "0123456789abcdef");
	if (n != SHA256_HEX || argv[optind + 1][n]) {
		log_error("'%s' is not a sha256 (64 lowercase hex digits)", argv[optind + 1]);
		return 2;
	}
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		log_error("library initialization failed");
		return EXIT_FAILURE;
	}
	r = fetch_base(argv[optind], argv[optind + 1], cache, !quiet && isatty(2), &path);
	curl_global_cleanup();
	if (r < 0)
		return EXIT_FAILURE;
	puts(path);
	return EXIT_SUCCESS;
}
