// SPDX-License-Identifier: MIT
/* genkey and pubkey, as wg(8) has them, so no second tool is needed on a VM. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "key.h"
#include "log.h"

static bool wants_help(int argc, char *argv[], const char *usage)
{
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage, stdout);
		return true;
	}
	return false;
}

int cmd_genkey_main(int argc, char *argv[])
{
	static const char usage[] = "Usage: wgagent genkey\n\n"
				    "Writes a new, clamped Curve25519 private key in base64 to stdout.\n";
	char b64[WG_KEY_B64_LEN];
	struct wg_key key;
	struct stat st;
	int r = EXIT_OK;

	if (wants_help(argc, argv, usage))
		return EXIT_OK;
	if (argc != 1) {
		log_error("genkey: takes no arguments");
		return EXIT_USAGE;
	}
	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IRWXO))
		log_warn("writing a private key to a world-accessible file");
	key_generate_private(&key);
	key_to_base64(b64, &key);
	if (printf("%s\n", b64) < 0 || fflush(stdout) != 0) {
		log_error("genkey: cannot write to stdout");
		r = EXIT_ERROR;
	}
	secret_wipe(b64, sizeof(b64));
	key_wipe(&key);
	return r;
}

int cmd_pubkey_main(int argc, char *argv[])
{
	static const char usage[] = "Usage: wgagent pubkey < private.key\n\n"
				    "Reads a base64 private key on stdin, writes its public key.\n";
	char line[WG_KEY_B64_LEN + 2], pub64[WG_KEY_B64_LEN];
	struct wg_key priv, pub;
	size_t len;
	int r = EXIT_ERROR;

	if (wants_help(argc, argv, usage))
		return EXIT_OK;
	if (argc != 1) {
		log_error("pubkey: takes no arguments");
		return EXIT_USAGE;
	}
	len = fread(line, 1, sizeof(line) - 1, stdin);
	line[len] = '\0';
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	if (!key_from_base64(&priv, line))
		log_error("pubkey: stdin does not hold a base64 WireGuard key");
	else if (!key_public_from_private(&pub, &priv))
		log_error("pubkey: the private key is invalid");
	else {
		key_to_base64(pub64, &pub);
		r = printf("%s\n", pub64) < 0 || fflush(stdout) != 0 ? EXIT_ERROR : EXIT_OK;
	}
	secret_wipe(line, sizeof(line));
	key_wipe(&priv);
	return r;
}
