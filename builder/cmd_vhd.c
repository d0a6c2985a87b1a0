// SPDX-License-Identifier: MIT
/* wgbake vhd: writes the fixed VHD that `wgbake upload` would put in the blob. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "log.h"
#include "macros.h"

#include "commands.h"
#include "disk.h"
#include "progress.h"

static void usage(FILE *f)
{
	fputs("Usage: wgbake vhd [options] INPUT OUTPUT\n"
	      "\n"
	      "Makes an Azure fixed VHD from a raw, qcow2, VHD, VHDX or VMDK image: the virtual\n"
	      "size rounded up to a whole MiB, then the 512-byte footer. OUTPUT is sparse: holes\n"
	      "and zero pages of the input are not written. The footer's time is the input's\n"
	      "mtime and its unique id comes from the content, so reruns give the same bytes.\n"
	      "\n"
	      "  -f, --format FMT   input format: auto (default), raw, qcow2, vhd, vhdx, vmdk\n"
	      "  -q, --quiet        no summary line\n"
	      "      --json         print the result as JSON on stdout\n"
	      "  -h, --help         this text\n",
	      f);
}

int cmd_vhd_main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"quiet", no_argument, NULL, 'q'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	enum disk_format fmt = DISK_AUTO;
	bool quiet = false, json = false;
	struct disk d = {.fd = -1};
	char a[32], b[32];
	int c, r;

	while ((c = getopt_long(argc, argv, "f:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (disk_format_parse(optarg, &fmt) < 0) {
				log_error("unknown format '%s' (auto, raw, qcow2, vhd, vhdx or vmdk)",
					  optarg);
				return EXIT_FAILURE;
			}
			break;
		case 'q':
			quiet = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			log_error("try 'wgbake vhd --help'");
			return EXIT_FAILURE;
		}
	}
	if (argc - optind != 2) {
		log_error("expected INPUT and OUTPUT; try 'wgbake vhd --help'");
		return EXIT_FAILURE;
	}
	if (sodium_init() < 0) {
		log_error("cannot initialize libsodium");
		return EXIT_FAILURE;
	}
	r = disk_open(argv[optind], fmt, &d);
	if (r == 0)
		r = disk_scan(&d);
	if (r == 0)
		r = disk_write_vhd(&d, argv[optind + 1]);
	if (r == 0 && json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "input", json_object_new_string(argv[optind]));
		json_object_object_add(o, "format",
				       json_object_new_string(disk_format_name(d.format)));
		json_object_object_add(o, "output", json_object_new_string(argv[optind + 1]));
		json_object_object_add(o, "virtual_size", json_object_new_int64((int64_t)d.size));
		json_object_object_add(o, "data_bytes",
				       json_object_new_int64((int64_t)d.data_bytes));
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else if (r == 0 && !quiet)
		printf("vhd: '%s' (%s) -> '%s': %s virtual, %s of data\n", argv[optind],
		       disk_format_name(d.format), argv[optind + 1], format_bytes(d.size, a),
		       format_bytes(d.data_bytes, b));
	disk_close(&d);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
