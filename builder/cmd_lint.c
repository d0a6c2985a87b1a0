// SPDX-License-Identifier: MIT
/* wgbake lint IMAGE: the Azure readiness checks on any image; wgbake generalize IMAGE. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "log.h"
#include "macros.h"

#include "commands.h"
#include "generalize.h"
#include "guest.h"
#include "imgformat.h"
#include "lint.h"

static int open_image(const char *path, bool readonly, guestfs_h **ret_g, struct guest_os *ret_os)
{
	struct img_info info;
	struct guest_disk disk = {.path = path, .readonly = readonly};
	int r = img_probe(path, &info);

	if (r == -EBADMSG && info.format != IMG_UNKNOWN)
		return log_errno(-EINVAL, "'%s': a damaged %s header", path,
				 img_format_name(info.format));
	if (r < 0)
		return log_errno(r == -EBADMSG ? -EINVAL : r, "'%s'%s", path,
				 r == -EBADMSG ? ": not a disk image wgbake knows (raw, qcow2, vhd)"
					       : "");
	if (!img_format_is_disk(info.format))
		return log_errno(-EINVAL, "'%s' is a %s file, not a disk image", path,
				 img_format_name(info.format));
	disk.format = img_format_name(info.format);
	r = guest_launch(&disk, false, ret_g);
	if (r < 0)
		return r;
	r = guest_inspect(*ret_g, path, ret_os);
	if (r == 0)
		r = guest_mount(*ret_g, ret_os, readonly);
	if (r < 0) {
		(void)guest_finish(*ret_g, false);
		*ret_g = NULL;
		guest_os_free(ret_os);
	}
	return r;
}

int cmd_lint_main(int argc, char *argv[])
{
	static const struct option options[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct lint_item items[LINT_N];
	struct guest_os os = {0};
	guestfs_h *g = NULL;
	bool json = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			printf("Usage: wgbake lint [--json] IMAGE\n\n"
			       "Checks that a raw, qcow2 or VHD image is ready for Azure: Hyper-V\n"
			       "drivers in the initramfs, cloud-init's Azure datasource or "
			       "walinuxagent,\n"
			       "serial console on the kernel command line, no swap, UDF allowed.\n"
			       "The image is opened read-only. Exit status: 0 all pass, 1 a check\n"
			       "failed or the image could not be read, 2 usage.\n");
			return EXIT_SUCCESS;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc) {
		log_error("expected one IMAGE argument");
		return 2;
	}
	r = open_image(argv[optind], true, &g, &os);
	if (r < 0)
		return EXIT_FAILURE;
	r = lint_run(g, os.filesystems, items);
	(void)guest_finish(g, false);
	guest_os_free(&os);
	if (r < 0)
		return EXIT_FAILURE;
	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "image", json_object_new_string(argv[optind]));
		json_object_object_add(o, "ok", json_object_new_boolean(r == 0));
		json_object_object_add(o, "checks", lint_to_json(items));
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		lint_print(items, stdout);
		printf("lint: %d passed, %d failed\n", LINT_N - r, r);
	}
	return r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int cmd_generalize_main(int argc, char *argv[])
{
	static const struct option options[] = {
		{"list", no_argument, NULL, 'l'},
		{"skip", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct gen_result res[64];
	struct guest_os os = {0};
	char *skip[16];
	size_t n_skip = 0;
	guestfs_h *g = NULL;
	int c, r;

	while ((c = getopt_long(argc, argv, "hl", options, NULL)) != -1) {
		switch (c) {
		case 'l':
			for (size_t i = 0; i < gen_n_ops; i++)
				printf("%-20s %s\n", gen_ops[i].name, gen_ops[i].doc);
			return EXIT_SUCCESS;
		case 's':
			if (!gen_op_known(optarg)) {
				log_error("--skip: no operation '%s' (see --list)", optarg);
				return 2;
			}
			if (n_skip == ELEMENTSOF(skip)) {
				log_error("--skip: too many");
				return 2;
			}
			skip[n_skip++] = optarg;
			break;
		case 'h':
			printf("Usage: wgbake generalize [--skip OP]... IMAGE\n"
			       "       wgbake generalize --list\n\n"
			       "Generalizes an image in place (the same operations `wgbake build`\n"
			       "runs), then trims it so freed blocks become holes.\n");
			return EXIT_SUCCESS;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc) {
		log_error("expected one IMAGE argument");
		return 2;
	}
	if (gen_n_ops > ELEMENTSOF(res))
		return EXIT_FAILURE;
	r = open_image(argv[optind], false, &g, &os);
	if (r < 0)
		return EXIT_FAILURE;
	guest_os_free(&os);
	r = generalize_run(g, skip, n_skip, res);
	if (r == 0)
		r = generalize_trim(g);
	if (r == 0)
		r = guest_finish(g, true);
	else
		(void)guest_finish(g, false);
	if (r < 0)
		return EXIT_FAILURE;
	for (size_t i = 0; i < gen_n_ops; i++)
		printf("%-20s %s\n", res[i].name,
		       res[i].skipped ? "skipped"
		       : res[i].count ? "changed"
				      : "nothing to do");
	return EXIT_SUCCESS;
}
