// SPDX-License-Identifier: MIT
/*
 * wgagent: configures a WireGuard interface straight through netlink.
 * main() only dispatches; each cmd_*_main() parses its own arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "key.h"
#include "log.h"
#include "version.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char *argv[]);
	const char *help;
} commands[] = {
	{ "up", cmd_up_main, "Create and configure an interface from a config file" },
	{ "down", cmd_down_main, "Remove an interface and what wgagent added for it" },
	{ "check", cmd_check_main, "Validate a config file without touching the kernel" },
	{ "sync", cmd_sync_main, "Bring an interface to its configuration with the smallest change" },
	{ "run", cmd_run_main, "sync now, then on a timer and on SIGHUP (the boot service)" },
	{ "identity", cmd_identity_main, "Make or check this VM's key and print the public key" },
	{ "show", cmd_show_main, "Show the kernel's state of WireGuard interfaces" },
	{ "genkey", cmd_genkey_main, "Generate a new private key and write it to stdout" },
	{ "pubkey", cmd_pubkey_main, "Read a private key from stdin, write its public key" },
};

static void show_usage(FILE *f)
{
	fprintf(f, "Usage: wgagent <command> [<args>]\n\n");
	fprintf(f, "Commands:\n");
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'wgagent <command> --help' describes each command.\n");
	fprintf(f, "Exit status: 0 success, 1 error (nothing left half-configured), 2 usage.\n");
}

int main(int argc, char *argv[])
{
	log_set_program("wgagent");
	if (argc < 2) {
		show_usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		show_usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("wgagent %s\n", WGBAKE_VERSION);
		return EXIT_OK;
	}
	if (key_init() < 0) {
		log_error("cannot initialise libsodium");
		return EXIT_ERROR;
	}
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	log_error("unknown command '%s' (see 'wgagent --help')", argv[1]);
	return EXIT_USAGE;
}
