// SPDX-License-Identifier: MIT
/* wgagent up / down: load and check a config fully, then touch the kernel. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply.h"
#include "commands.h"
#include "conf.h"
#include "identity.h"
#include "key.h"
#include "log.h"
#include "resolve.h"

/* How long a temporarily failing name lookup is retried, as wg(8) does. */
#define RESOLVE_RETRY_SECONDS 15

static const char up_usage[] =
	"Usage: wgagent up [options] CONFIG|IFNAME\n"
	"\n"
	"Creates the WireGuard interface and configures it through netlink: keys,\n"
	"port, fwmark, peers, addresses, MTU, link up and routes for AllowedIPs.\n"
	"CONFIG is a wg-quick .conf file or the JSON form (see wgagent.conf(5)).\n"
	"A bare IFNAME is looked up as /etc/wgagent/IFNAME.conf, /etc/wgagent/IFNAME.json\n"
	"and /etc/wireguard/IFNAME.conf. Without a private key in the config, one is\n"
	"generated once and kept (mode 0600) as STATE_DIR/IFNAME.key.\n"
	"\n"
	"Options:\n"
	"  -i, --interface NAME   interface name (default: from the config)\n"
	"      --state-dir DIR    where generated keys live (default " DEFAULT_STATE_DIR ")\n"
	"  -q, --quiet            print nothing on success\n"
	"  -h, --help             this text\n"
	"\n"
	"Exit status: 0 up; 1 bad config or failure (nothing is left behind); 2 usage.\n";

static const char down_usage[] =
	"Usage: wgagent down [options] CONFIG|IFNAME\n"
	"\n"
	"Deletes the interface, with its routes and the policy-routing rules wgagent\n"
	"added for a full tunnel.\n"
	"\n"
	"Options:\n"
	"  -i, --interface NAME   interface name (default: from the argument)\n"
	"  -h, --help             this text\n"
	"\n"
	"Exit status: 0 removed; 1 failure; 2 usage.\n";

struct up_args {
	const char *ifname;
	const char *state_dir;
	const char *target;
	bool quiet;
};

static int parse_args(int argc, char *argv[], const char *usage, bool is_up, struct up_args *a)
{
	static const struct option options[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	*a = (struct up_args){ .state_dir = DEFAULT_STATE_DIR };
	optind = 0;
	while ((c = getopt_long(argc, argv, "+i:qh", options, NULL)) != -1) {
		switch (c) {
		case 'i':
			a->ifname = optarg;
			break;
		case 'S':
			if (!is_up)
				goto bad;
			a->state_dir = optarg;
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		default:
			goto bad;
		}
	}
	if (optind != argc - 1) {
		log_error("%s: expected exactly one CONFIG or IFNAME argument", argv[0]);
		return -EINVAL;
	}
	a->target = argv[optind];
	if (a->ifname && !conf_ifname_valid(a->ifname)) {
		log_error("%s: invalid interface name '%s'", argv[0], a->ifname);
		return -EINVAL;
	}
	return 0;
bad:
	log_error("%s: bad option (see 'wgagent %s --help')", argv[0], argv[0]);
	return -EINVAL;
}

static bool looks_like_path(const char *s)
{
	size_t len = strlen(s);

	return strchr(s, '/') || (len > 5 && !strcmp(s + len - 5, ".conf")) ||
	       (len > 5 && !strcmp(s + len - 5, ".json"));
}

/* Finds the config for a bare interface name; NULL if there is none. */
static char *find_config(const char *ifname)
{
	static const struct {
		const char *dir, *suffix;
	} places[] = { { "/etc/wgagent", ".conf" }, { "/etc/wgagent", ".json" },
		       { "/etc/wireguard", ".conf" } };
	char *path;

	for (size_t i = 0; i < ELEMENTSOF(places); i++) {
		if (asprintf(&path, "%s/%s%s", places[i].dir, ifname, places[i].suffix) < 0)
			return NULL;
		if (access(path, F_OK) == 0)
			return path;
		free(path);
	}
	return NULL;
}

static void warn_cb(void *userdata, const char *msg)
{
	log_warn("%s", msg);
}

static int load_config(const struct up_args *a, struct wg_config **ret)
{
	struct conf_ctx ctx = { .read_key = key_read_file, .warn = warn_cb };
	_cleanup_free_ char *found = NULL;
	struct wg_config *cfg = NULL;
	const char *path = a->target;
	int r;

	if (!looks_like_path(a->target)) {
		if (!conf_ifname_valid(a->target)) {
			log_error("up: '%s' is neither a config file nor an interface name", a->target);
			return -EINVAL;
		}
		found = find_config(a->target);
		if (!found) {
			log_error("up: no config for '%s' in /etc/wgagent or /etc/wireguard",
				  a->target);
			return -ENOENT;
		}
		path = found;
	}
	r = config_load_file(&ctx, path, &cfg);
	if (r < 0) {
		log_error("%s", ctx.err);
		return r;
	}
	if (a->ifname)
		snprintf(cfg->ifname, sizeof(cfg->ifname), "%s", a->ifname);
	else if (!cfg->ifname[0] && !conf_ifname_from_path(path, cfg->ifname)) {
		log_error("up: cannot take an interface name from '%s'; use --interface", path);
		config_free(cfg);
		return -EINVAL;
	}
	*ret = cfg;
	return 0;
}

/*
 * The key that this machine generated for the interface, made on first use
 * and bound to this machine (identity.c; `up` knows the SMBIOS UUID only).
 */
static int ensure_private_key(struct wg_config *cfg, const char *state_dir)
{
	struct identity id = { { 0 }, { 0 } };

	identity_read_product_uuid(DMI_PRODUCT_UUID, &id);
	return identity_ensure_key(cfg, state_dir, &id, NULL);
}

int cmd_up_main(int argc, char *argv[])
{
	_cleanup_config_ struct wg_config *cfg = NULL;
	char err[512], pub64[WG_KEY_B64_LEN];
	struct wg_key pub;
	struct up_args a;
	int r;

	r = parse_args(argc, argv, up_usage, true, &a);
	if (r != 0)
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	log_set_quiet(a.quiet);
	r = load_config(&a, &cfg);
	if (r < 0)
		return EXIT_ERROR;
	r = resolve_endpoints(cfg, RESOLVE_RETRY_SECONDS, err, sizeof(err));
	if (r < 0) {
		log_error("%s", err);
		return EXIT_ERROR;
	}
	r = ensure_private_key(cfg, a.state_dir);
	if (r < 0)
		return EXIT_ERROR;
	r = apply_up(cfg);
	if (r < 0)
		return EXIT_ERROR;
	if (key_public_from_private(&pub, &cfg->private_key)) {
		key_to_base64(pub64, &pub);
		log_info("%s: up, %zu peer%s, public key %s", cfg->ifname, cfg->n_peers,
			 cfg->n_peers == 1 ? "" : "s", pub64);
	}
	return EXIT_OK;
}

int cmd_down_main(int argc, char *argv[])
{
	char ifname[IFNAMSIZ];
	struct up_args a;
	int r;

	r = parse_args(argc, argv, down_usage, false, &a);
	if (r != 0)
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	if (a.ifname)
		snprintf(ifname, sizeof(ifname), "%s", a.ifname);
	else if (!looks_like_path(a.target) && conf_ifname_valid(a.target))
		snprintf(ifname, sizeof(ifname), "%s", a.target);
	else if (!conf_ifname_from_path(a.target, ifname)) {
		log_error("down: cannot take an interface name from '%s'; use --interface",
			  a.target);
		return EXIT_USAGE;
	}
	return apply_down(ifname) < 0 ? EXIT_ERROR : EXIT_OK;
}

static const char check_usage[] =
	"Usage: wgagent check [-i IFNAME] CONFIG|IFNAME\n"
	"\n"
	"Parses and validates a config exactly as 'up' does, without touching the kernel:\n"
	"for CI jobs and cloud-init templates. Prints nothing when it is valid.\n"
	"\n"
	"Options:\n"
	"  -i, --interface NAME   interface name (default: from the config)\n"
	"  -h, --help             this text\n"
	"\n"
	"Exit status: 0 valid; 1 invalid (the error names file, line and field); 2 usage.\n";

int cmd_check_main(int argc, char *argv[])
{
	_cleanup_config_ struct wg_config *cfg = NULL;
	struct up_args a;
	int r;

	r = parse_args(argc, argv, check_usage, false, &a);
	if (r != 0)
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	return load_config(&a, &cfg) < 0 ? EXIT_ERROR : EXIT_OK;
}
