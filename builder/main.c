// SPDX-License-Identifier: MIT
/* wgbake: only dispatches, like wireguard-tools' wg.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "version.h"

#include "commands.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char *argv[]);
	const char *help;
} subcommands[] = {
	{"vhd", cmd_vhd_main, "Make an Azure fixed VHD from a raw, qcow2 or VHD image"},
	{"upload", cmd_upload_main, "Upload an image as a fixed VHD into an Azure page blob"},
	{"build", cmd_build_main, "Bake WireGuard and wgagent into a cloud image (spec -> image)"},
	{"lint", cmd_lint_main, "Check that an image is ready for Azure"},
	{"generalize", cmd_generalize_main, "Generalize an image in place (--list: the operations)"},
	{"fetch", cmd_fetch_main, "Download a base image into the cache, resumable, sha256-checked"},
};

static void show_usage(FILE *f)
{
	fprintf(f, "Usage: wgbake <command> [<args>]\n\nAvailable commands:\n");
	for (size_t i = 0; i < ELEMENTSOF(subcommands); i++)
		fprintf(f, "  %-10s %s\n", subcommands[i].name, subcommands[i].help);
	fprintf(f, "\nEach command takes --help. wgbake --version prints the version.\n");
}

int main(int argc, char *argv[])
{
	log_set_program("wgbake");
	if (argc < 2) {
		show_usage(stderr);
		return EXIT_FAILURE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		show_usage(stdout);
		return EXIT_SUCCESS;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("wgbake %s\n", WGBAKE_VERSION);
		return EXIT_SUCCESS;
	}
	for (size_t i = 0; i < ELEMENTSOF(subcommands); i++) {
		if (strcmp(argv[1], subcommands[i].name) == 0) {
			static char prog[64];

			snprintf(prog, sizeof(prog), "wgbake %s", subcommands[i].name);
			log_set_program(prog);
			return subcommands[i].fn(argc - 1, argv + 1);
		}
	}
	log_error("invalid command '%s'; try 'wgbake --help'", argv[1]);
	return EXIT_FAILURE;
}
