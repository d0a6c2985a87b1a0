// SPDX-License-Identifier: MIT
/* wgbake upload: arguments and output; the work is upload_image(). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "log.h"
#include "macros.h"

#include "commands.h"
#include "progress.h"
#include "upload.h"

struct cmd_opts {
	struct upload_opts up;
	bool json;
	bool quiet;
	int progress; /* -1 auto, 0 off, 1 on */
};

static void usage(FILE *f)
{
	fputs("Usage: wgbake upload [options] IMAGE [BLOB_URL]\n"
	      "\n"
	      "Uploads IMAGE (raw, qcow2, VHD, VHDX or VMDK) as an Azure fixed VHD into the page\n"
	      "blob BLOB_URL (https://ACCOUNT.blob.core.windows.net/CONTAINER/NAME.vhd). Holes and\n"
	      "zero pages are skipped; the rest goes in Put Page requests of at most 4 MiB, in\n"
	      "parallel, then the footer. A killed upload resumes where it stopped. At the end\n"
	      "the blob's page ranges and a sample of its content are checked.\n"
	      "\n"
	      "Credentials (never on the command line; the first found is used):\n"
	      "      --sas-file FILE          a SAS URL (then BLOB_URL may be left out) or token\n"
	      "      --account-key-file FILE  the storage account key (Shared Key)\n"
	      "      --token-file FILE        an Entra ID access token for "
	      "https://storage.azure.com\n"
	      "  or the environment: AZURE_STORAGE_SAS_URL, AZURE_STORAGE_SAS_TOKEN,\n"
	      "  AZURE_STORAGE_KEY, AZURE_STORAGE_TOKEN_FILE (a file, re-read as it changes)\n"
	      "      --account NAME           account for Shared Key (default: from the URL, or\n"
	      "                               AZURE_STORAGE_ACCOUNT)\n"
	      "\n"
	      "Options:\n"
	      "  -f, --format FMT         input format: auto (default), raw, qcow2, vhd, vhdx, vmdk\n"
	      "  -j, --concurrency N      requests in flight (default 8, at most 64)\n"
	      "      --overwrite          replace a blob that holds something else\n"
	      "      --verify             read back every page written, not just a sample\n"
	      "      --state FILE         resume state (default IMAGE.wgbake-upload)\n"
	      "      --retries N          tries per request (default 8)\n"
	      "      --retry-delay MS     first backoff (default 500, doubling, with jitter)\n"
	      "      --timeout SECONDS    fail a request slower than 1 KiB/s this long (60)\n"
	      "      --max-request BYTES  Put Page size limit (default and most 4194304)\n"
	      "      --json               print the result as JSON on stdout\n"
	      "      --progress, --no-progress   force the progress bar on or off\n"
	      "  -q, --quiet              no summary line\n"
	      "  -h, --help               this text\n",
	      f);
}

static bool parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*ret = v;
	return true;
}

static int parse_args(int argc, char *argv[], struct cmd_opts *c)
{
	enum {
		OPT_SAS = 256,
		OPT_KEY,
		OPT_TOKEN,
		OPT_ACCOUNT,
		OPT_OVERWRITE,
		OPT_VERIFY,
		OPT_STATE,
		OPT_RETRIES,
		OPT_RETRY_DELAY,
		OPT_TIMEOUT,
		OPT_MAX_REQUEST,
		OPT_JSON,
		OPT_PROGRESS,
		OPT_NO_PROGRESS,
	};
	static const struct option opts[] = {
		{"sas-file", required_argument, NULL, OPT_SAS},
		{"account-key-file", required_argument, NULL, OPT_KEY},
		{"token-file", required_argument, NULL, OPT_TOKEN},
		{"account", required_argument, NULL, OPT_ACCOUNT},
		{"format", required_argument, NULL, 'f'},
		{"concurrency", required_argument, NULL, 'j'},
		{"overwrite", no_argument, NULL, OPT_OVERWRITE},
		{"verify", no_argument, NULL, OPT_VERIFY},
		{"state", required_argument, NULL, OPT_STATE},
		{"retries", required_argument, NULL, OPT_RETRIES},
		{"retry-delay", required_argument, NULL, OPT_RETRY_DELAY},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"max-request", required_argument, NULL, OPT_MAX_REQUEST},
		{"json", no_argument, NULL, OPT_JSON},
		{"progress", no_argument, NULL, OPT_PROGRESS},
		{"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct upload_opts *o;
	uint64_t v;
	int opt;

	*c = (struct cmd_opts){.progress = -1};
	upload_opts_init(&c->up);
	o = &c->up;
	while ((opt = getopt_long(argc, argv, "f:j:qh", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_SAS:
			o->cred.sas_file = optarg;
			break;
		case OPT_KEY:
			o->cred.account_key_file = optarg;
			break;
		case OPT_TOKEN:
			o->cred.token_file = optarg;
			break;
		case OPT_ACCOUNT:
			o->cred.account = optarg;
			break;
		case 'f':
			if (disk_format_parse(optarg, &o->format) < 0)
				return log_errno(-EINVAL,
						 "unknown format '%s' (auto, raw, qcow2, vhd, "
						 "vhdx or vmdk)",
						 optarg);
			break;
		case 'j':
			if (!parse_uint(optarg, 1, UPLOAD_MAX_CONCURRENCY, &v))
				return log_errno(-EINVAL, "--concurrency wants 1 to %d, not '%s'",
						 UPLOAD_MAX_CONCURRENCY, optarg);
			o->concurrency = (unsigned)v;
			break;
		case OPT_OVERWRITE:
			o->overwrite = true;
			break;
		case OPT_VERIFY:
			o->verify_all = true;
			break;
		case OPT_STATE:
			o->state_path = optarg;
			break;
		case OPT_RETRIES:
			if (!parse_uint(optarg, 1, 100, &v))
				return log_errno(-EINVAL, "--retries wants 1 to 100, not '%s'",
						 optarg);
			o->retry.max_attempts = (unsigned)v;
			break;
		case OPT_RETRY_DELAY:
			if (!parse_uint(optarg, 1, 60000, &v))
				return log_errno(-EINVAL,
						 "--retry-delay wants 1 to 60000 ms, not '%s'",
						 optarg);
			o->retry.base_ms = (long long)v;
			break;
		case OPT_TIMEOUT:
			if (!parse_uint(optarg, 1, 3600, &v))
				return log_errno(-EINVAL, "--timeout wants 1 to 3600 s, not '%s'",
						 optarg);
			o->timeout = (long)v;
			break;
		case OPT_MAX_REQUEST:
			if (!parse_uint(optarg, PAGE_SIZE_BLOB, PUT_PAGE_MAX, &v) ||
			    v % PAGE_SIZE_BLOB)
				return log_errno(-EINVAL,
						 "--max-request wants a multiple of 512 up "
						 "to 4194304, not '%s'",
						 optarg);
			o->max_request = v;
			break;
		case OPT_JSON:
			c->json = true;
			break;
		case OPT_PROGRESS:
			c->progress = 1;
			break;
		case OPT_NO_PROGRESS:
			c->progress = 0;
			break;
		case 'q':
			c->quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return log_errno(-EINVAL, "try 'wgbake upload --help'");
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		return log_errno(-EINVAL, "expected IMAGE [BLOB_URL]; try 'wgbake upload --help'");
	o->image = argv[optind];
	o->url = argc - optind == 2 ? argv[optind + 1] : NULL;
	return 0;
}

static void report(const struct cmd_opts *o, const struct upload_result *u)
{
	char a[32], b[32], c[32], d[32], rate[32], secs[32];

	if (o->json) {
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "status", json_object_new_string(u->status));
		json_object_object_add(j, "image", json_object_new_string(o->up.image));
		json_object_object_add(j, "format",
				       json_object_new_string(disk_format_name(u->format)));
		json_object_object_add(j, "blob", json_object_new_string(u->blob));
		json_object_object_add(j, "virtual_size",
				       json_object_new_int64((int64_t)u->virtual_size));
		json_object_object_add(
			j, "blob_size",
			json_object_new_int64((int64_t)(u->virtual_size + VHD_FOOTER_SIZE)));
		json_object_object_add(j, "data_bytes",
				       json_object_new_int64((int64_t)u->data_bytes));
		json_object_object_add(j, "bytes_sent",
				       json_object_new_int64((int64_t)u->bytes_sent));
		json_object_object_add(j, "bytes_resumed",
				       json_object_new_int64((int64_t)u->bytes_resumed));
		json_object_object_add(j, "requests", json_object_new_int((int)u->requests));
		json_object_object_add(j, "retries", json_object_new_int((int)u->retries));
		json_object_object_add(j, "verified_bytes",
				       json_object_new_int64((int64_t)u->verified_bytes));
		json_object_object_add(j, "verify",
				       json_object_new_string(o->up.verify_all ? "all" : "sample"));
		snprintf(secs, sizeof(secs), "%.3f", u->seconds);
		json_object_object_add(j, "seconds", json_object_new_double_s(u->seconds, secs));
		json_object_object_add(j, "digest", json_object_new_string(u->digest));
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
		return;
	}
	if (o->quiet)
		return;
	printf("upload: %s: '%s' -> '%s': %s disk, %s of data; sent %s in %u requests "
	       "(%u retried%s%s), %.1f s, %s/s; verified %s\n",
	       u->status, o->up.image, u->blob, format_bytes(u->virtual_size, a),
	       format_bytes(u->data_bytes, b), format_bytes(u->bytes_sent, c), u->requests,
	       u->retries, u->bytes_resumed ? ", resumed after " : "",
	       u->bytes_resumed ? format_bytes(u->bytes_resumed, d) : "", u->seconds,
	       format_bytes(u->seconds > 0 ? (uint64_t)((double)u->bytes_sent / u->seconds) : 0,
			    rate),
	       o->up.verify_all ? "everything" : "a sample");
}

int cmd_upload_main(int argc, char *argv[])
{
	struct cmd_opts o;
	struct upload_result res = {0};
	int r;

	r = parse_args(argc, argv, &o);
	if (r != 0)
		return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	o.up.progress =
		o.progress < 0 ? isatty(STDERR_FILENO) && !o.json && !o.quiet : o.progress > 0;
	o.up.quiet = o.quiet || o.json;
	if (http_global_init() < 0) {
		log_error("cannot initialize libcurl");
		return EXIT_FAILURE;
	}
	if (sodium_init() < 0) {
		log_error("cannot initialize libsodium");
		http_global_cleanup();
		return EXIT_FAILURE;
	}
	r = upload_image(&o.up, &res);
	if (r >= 0)
		report(&o, &res);
	upload_result_free(&res);
	http_global_cleanup();
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
