// SPDX-License-Identifier: MIT
/*
 * wgagent sync / run / identity: the boot agent. Load the desired state from
 * its sources, bind the key to this VM, reconcile the kernel with the
 * smallest change, report the public key. `run` keeps doing that on a timer
 * and on SIGHUP.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <poll.h>
#include <unistd.h>

#include <sodium.h>

#include "apply.h"
#include "commands.h"
#include "conf.h"
#include "gateway.h"
#include "identity.h"
#include "key.h"
#include "log.h"
#include "report.h"
#include "source.h"
#include "sync.h"

#define RUN_DEFAULT_INTERVAL 60
/* Host names that don't resolve are tried again after 1, 2, 4 ... up to this many seconds. */
#define RESOLVE_BACKOFF_MAX 30
/*
 * EAI_AGAIN is always worth a quick retry. EAI_NONAME only while the system is
 * booting (DNS records and resolvers may still be coming up); later a name that
 * does not exist waits for the normal interval.
 */
#define BOOT_WINDOW_MS (5 * 60 * 1000)

static const char options_help[] =
	"  -i, --interface NAME       interface name (default: the argument, the JSON name, wg0)\n"
	"      --config-dir DIR       local configuration files (default " DEFAULT_CONFIG_DIR ")\n"
	"      --state-dir DIR        generated keys and their VM binding (default " DEFAULT_STATE_DIR
	")\n"
	"      --imds auto|yes|no     use Azure IMDS (auto: on Azure, or with --imds-endpoint)\n"
	"      --imds-endpoint URL    default " IMDS_DEFAULT_ENDPOINT " (or $WGAGENT_IMDS_ENDPOINT)\n"
	"      --imds-api-version V   default " IMDS_DEFAULT_API_VERSION "\n"
	"      --imds-timeout MS      one request (default 2000)\n"
	"      --imds-budget MS       retries of one request: 410/429/5xx (default 70000)\n"
	"      --imds-connect-budget MS  how long an unreachable IMDS is retried (default 15000\n"
	"                             on Azure, 2000 with --imds-endpoint elsewhere)\n"
	"      --run-dir DIR          where IFNAME.pub goes (default " DEFAULT_RUN_DIR ")\n"
	"      --report-url URL       POST the public key, timings and attested document (https)\n"
	"      --no-kmsg              don't print the public key on the kernel console\n"
	"      --gateway[=IFACE]      forward tunnel clients and masquerade them out of IFACE\n"
	"                             (default: the primary interface); undone by `down`\n"
	"      --mtu N                MTU when the config has none (default: route to the\n"
	"                             endpoints minus 80, else 1420)\n"
	"      --stats                print what was changed (key=value) on stdout\n"
	"      --dry-run              change nothing; --stats says what would change\n"
	"  -q, --quiet                print nothing on success\n"
	"  -h, --help                 this text\n";

static const char sync_usage[] =
	"Usage: wgagent sync [options] [CONFIG|IFNAME]\n"
	"\n"
	"Brings IFNAME to its configuration with the smallest change: peers that\n"
	"are new, gone or different, and only the attributes that differ; routes\n"
	"with wgagent's protocol (87); addresses; MTU. Creates the interface if it\n"
	"is missing. Without CONFIG the configuration comes from, in this order,\n"
	DEFAULT_CONFIG_DIR "/IFNAME.conf|.json, Azure IMDS userData, /etc/wireguard/IFNAME.conf.\n"
	"\n"
	"Options:\n";

static const char run_usage[] =
	"Usage: wgagent run [options] [--interval SECONDS] [CONFIG|IFNAME]\n"
	"\n"
	"`sync`, then again every SECONDS (default 60) and on SIGHUP, until SIGTERM.\n"
	"Host-name endpoints that don't resolve are retried in the background\n"
	"(1 s, 2 s, ... 30 s; a name that does not exist only in the first 5 minutes\n"
	"after boot) while the other peers work; names of peers without a\n"
	"recent handshake are resolved again on every pass. The interface stays up\n"
	"when run stops.\n"
	"\n"
	"Options:\n";

static const char identity_usage[] =
	"Usage: wgagent identity [options] [IFNAME]\n"
	"\n"
	"Makes sure STATE_DIR holds IFNAME's private key, made on this VM (bound to\n"
	"its SMBIOS product UUID and IMDS vmId; a copied disk gets a new key), and\n"
	"prints the public key. Touches no interface.\n"
	"\n"
	"Options:\n";

static const char exit_help[] =
	"\n"
	"Exit status: 0 done; 1 error (a bad configuration changes nothing; the\n"
	"last good one stays); 2 usage; 3 no source has a configuration.\n";

enum { EXIT_NO_CONFIG = 3 };

struct agent_args {
	struct source_opts src;
	const char *state_dir;
	const char *run_dir;
	const char *report_url;
	bool report_allow_http;
	bool kmsg;
	bool stats;
	bool dry_run;
	bool quiet;
	uint32_t mtu;
	unsigned interval;
	bool gateway;
	const char *gateway_if; /* NULL: the primary interface */
};

static bool parse_uint_arg(const char *s, unsigned long max, unsigned long *ret)
{
	uint64_t v;

	if (!conf_parse_uint(s, max, &v))
		return false;
	*ret = (unsigned long)v;
	return true;
}

static int parse_args(int argc, char *argv[], const char *usage, bool is_run,
		      struct agent_args *a)
{
	enum {
		O_CONFIG_DIR = 256,
		O_STATE_DIR,
		O_IMDS,
		O_IMDS_ENDPOINT,
		O_IMDS_API,
		O_IMDS_TIMEOUT,
		O_IMDS_BUDGET,
		O_IMDS_CONNECT,
		O_RUN_DIR,
		O_REPORT_URL,
		O_REPORT_HTTP,
		O_NO_KMSG,
		O_MTU,
		O_STATS,
		O_DRY_RUN,
		O_INTERVAL,
		O_DMI_DIR,
		O_GATEWAY,
	};
	static const struct option options[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "config-dir", required_argument, NULL, O_CONFIG_DIR },
		{ "state-dir", required_argument, NULL, O_STATE_DIR },
		{ "imds", required_argument, NULL, O_IMDS },
		{ "imds-endpoint", required_argument, NULL, O_IMDS_ENDPOINT },
		{ "imds-api-version", required_argument, NULL, O_IMDS_API },
		{ "imds-timeout", required_argument, NULL, O_IMDS_TIMEOUT },
		{ "imds-budget", required_argument, NULL, O_IMDS_BUDGET },
		{ "imds-connect-budget", required_argument, NULL, O_IMDS_CONNECT },
		{ "run-dir", required_argument, NULL, O_RUN_DIR },
		{ "report-url", required_argument, NULL, O_REPORT_URL },
		{ "report-allow-http", no_argument, NULL, O_REPORT_HTTP }, /* tests only */
		{ "no-kmsg", no_argument, NULL, O_NO_KMSG },
		{ "mtu", required_argument, NULL, O_MTU },
		{ "stats", no_argument, NULL, O_STATS },
		{ "dry-run", no_argument, NULL, O_DRY_RUN },
		{ "interval", required_argument, NULL, O_INTERVAL },
		{ "dmi-dir", required_argument, NULL, O_DMI_DIR }, /* tests: fake /sys/class/dmi/id */
		{ "gateway", optional_argument, NULL, O_GATEWAY },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	static char asset_path[4096], uuid_path[4096];
	const char *env = getenv("WGAGENT_IMDS_ENDPOINT");
	unsigned long v;
	int c;

	*a = (struct agent_args){ .state_dir = DEFAULT_STATE_DIR, .run_dir = DEFAULT_RUN_DIR,
				  .kmsg = true, .interval = RUN_DEFAULT_INTERVAL };
	if (env && *env)
		a->src.imds.endpoint = env;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+i:qh", options, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (!conf_ifname_valid(optarg))
				goto bad_value;
			a->src.ifname = optarg;
			break;
		case O_CONFIG_DIR:
			a->src.config_dir = optarg;
			break;
		case O_STATE_DIR:
			a->state_dir = optarg;
			break;
		case O_IMDS:
			if (!strcmp(optarg, "auto"))
				a->src.imds_mode = IMDS_AUTO;
			else if (!strcmp(optarg, "yes"))
				a->src.imds_mode = IMDS_ON;
			else if (!strcmp(optarg, "no"))
				a->src.imds_mode = IMDS_OFF;
			else
				goto bad_value;
			break;
		case O_IMDS_ENDPOINT:
			a->src.imds.endpoint = optarg;
			break;
		case O_IMDS_API:
			a->src.imds.api_version = optarg;
			break;
		case O_IMDS_TIMEOUT:
		case O_IMDS_BUDGET:
		case O_IMDS_CONNECT:
			if (!parse_uint_arg(optarg, 600000, &v) || v == 0)
				goto bad_value;
			if (c == O_IMDS_TIMEOUT)
				a->src.imds.timeout_ms = (unsigned)v;
			else if (c == O_IMDS_BUDGET)
				a->src.imds.budget_ms = (unsigned)v;
			else
				a->src.imds.connect_budget_ms = (unsigned)v;
			break;
		case O_RUN_DIR:
			a->run_dir = optarg;
			break;
		case O_REPORT_URL:
			a->report_url = optarg;
			break;
		case O_REPORT_HTTP:
			a->report_allow_http = true;
			break;
		case O_NO_KMSG:
			a->kmsg = false;
			break;
		case O_MTU:
			if (!parse_uint_arg(optarg, 65535, &v) || v < 576)
				goto bad_value;
			a->mtu = (uint32_t)v;
			break;
		case O_STATS:
			a->stats = true;
			break;
		case O_DRY_RUN:
			a->dry_run = true;
			break;
		case O_INTERVAL:
			if (!is_run || !parse_uint_arg(optarg, 86400, &v) || v == 0)
				goto bad_value;
			a->interval = (unsigned)v;
			break;
		case O_DMI_DIR:
			snprintf(asset_path, sizeof(asset_path), "%s/chassis_asset_tag", optarg);
			snprintf(uuid_path, sizeof(uuid_path), "%s/product_uuid", optarg);
			a->src.asset_tag_path = asset_path;
			a->src.product_uuid_path = uuid_path;
			break;
		case O_GATEWAY:
			if (optarg && !conf_ifname_valid(optarg))
				goto bad_value;
			a->gateway = true;
			a->gateway_if = optarg;
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'h':
			fputs(usage, stdout);
			fputs(options_help, stdout);
			if (is_run)
				fputs("      --interval SECONDS     time between passes (default 60)\n",
				      stdout);
			fputs(exit_help, stdout);
			return 1;
		default:
			log_error("%s: bad option (see 'wgagent %s --help')", argv[0], argv[0]);
			return -EINVAL;
		}
	}
	if (optind < argc - 1) {
		log_error("%s: unexpected argument '%s'", argv[0], argv[optind + 1]);
		return -EINVAL;
	}
	if (optind == argc - 1)
		a->src.target = argv[optind];
	return 0;
bad_value:
	log_error("%s: invalid value '%s' (see 'wgagent %s --help')", argv[0], optarg, argv[0]);
	return -EINVAL;
}

/* Everything one pass needs to remember between passes. */
struct agent {
	struct agent_args a;
	struct source src;
	uint64_t start_ms;
	bool reported;
	struct wg_key reported_pub;
	size_t unresolved;
	int last_gai;
};

static void do_report(struct agent *ag, const struct wg_config *cfg, const struct identity *id,
		      bool rotated)
{
	struct report rep = {
		.ifname = cfg->ifname,
		.listen_port = cfg->listen_port,
		.source = cfg->source,
		.id = *id,
		.key_rotated = rotated,
		.n_peers = cfg->n_peers,
		.since_boot_ms = report_uptime_ms(),
		.since_agent_start_ms = report_monotonic_ms() - ag->start_ms,
	};
	_cleanup_free_ char *attested = NULL, *payload = NULL;
	char nonce[21], pub64[WG_KEY_B64_LEN];

	if (!key_public_from_private(&rep.public_key, &cfg->private_key))
		return;
	if (ag->reported && key_equal(&rep.public_key, &ag->reported_pub))
		return; /* once per key */
	if (report_write_pub(ag->a.run_dir, &rep) < 0)
		return;
	if (ag->a.kmsg)
		report_kmsg(NULL, &rep);
	if (ag->a.report_url) {
		/* A fresh nonce, so the receiver can tell this document isn't replayed. */
		snprintf(nonce, sizeof(nonce), "%010u%010u", randombytes_uniform(1000000000u),
			 randombytes_uniform(1000000000u));
		if (ag->src.imds && !ag->src.imds_absent &&
		    imds_get_attested(ag->src.imds, nonce, &attested) == 0) {
			rep.attested_json = attested;
			rep.nonce = nonce;
		}
		payload = report_payload(&rep);
		if (!payload)
			log_error("report: cannot build the payload");
		else
			(void)report_post(ag->a.report_url, ag->a.report_allow_http, payload);
	}
	ag->reported = true;
	ag->reported_pub = rep.public_key;
	key_to_base64(pub64, &rep.public_key);
	log_info("%s: configured, public key %s (%" PRIu64 " ms after boot, %" PRIu64
		 " ms after start)",
		 cfg->ifname, pub64, rep.since_boot_ms, rep.since_agent_start_ms);
}

/* One pass: sources -> identity -> reconcile -> report. Returns an exit status. */
static int agent_pass(struct agent *ag)
{
	_cleanup_config_ struct wg_config *cfg = NULL;
	struct sync_opts so = { .default_mtu = ag->a.mtu, .dry_run = ag->a.dry_run };
	struct sync_result res = { 0 };
	struct identity id;
	bool rotated = false;
	int r;

	r = source_load(&ag->src, &cfg);
	if (r == -ENOENT)
		return EXIT_NO_CONFIG;
	if (r < 0)
		return EXIT_ERROR;
	source_identity(&ag->src, &id);
	r = identity_ensure_key(cfg, ag->a.state_dir, &id, &rotated);
	if (r < 0)
		return EXIT_ERROR;
	r = sync_interface(cfg, &so, &res);
	if (r < 0)
		return EXIT_ERROR;
	/* Say it when the number changes, not on every background retry. */
	if (res.unresolved && res.unresolved != ag->unresolved)
		log_warn("%s: %zu host-name endpoint%s did not resolve yet (%s); retrying in the "
			 "background",
			 cfg->ifname, res.unresolved, res.unresolved == 1 ? "" : "s",
			 gai_strerror(res.last_gai));
	ag->unresolved = res.unresolved;
	ag->last_gai = res.last_gai;
	if (ag->a.stats) {
		sync_result_print(stdout, cfg->ifname, &res);
		fflush(stdout);
	}
	if (ag->a.gateway && !ag->a.dry_run && gateway_up(cfg, ag->a.gateway_if, ag->a.run_dir) < 0)
		return EXIT_ERROR;
	if (!ag->a.dry_run)
		do_report(ag, cfg, &id, rotated);
	return EXIT_OK;
}

static int agent_init(struct agent *ag, int argc, char *argv[], const char *usage, bool is_run)
{
	int r;

	memset(ag, 0, sizeof(*ag));
	ag->start_ms = report_monotonic_ms();
	r = parse_args(argc, argv, usage, is_run, &ag->a);
	if (r != 0)
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	log_set_quiet(ag->a.quiet);
	r = source_init(&ag->src, &ag->a.src);
	return r < 0 ? EXIT_ERROR : -1;
}

static void agent_done(struct agent *ag)
{
	source_done(&ag->src);
	key_wipe(&ag->reported_pub);
}

int cmd_sync_main(int argc, char *argv[])
{
	struct agent ag;
	int r;

	r = agent_init(&ag, argc, argv, sync_usage, false);
	if (r >= 0)
		return r;
	r = agent_pass(&ag);
	agent_done(&ag);
	return r;
}

int cmd_run_main(int argc, char *argv[])
{
	struct agent ag;
	sigset_t mask;
	unsigned backoff = 1;
	int r, sfd;

	r = agent_init(&ag, argc, argv, run_usage, true);
	if (r >= 0)
		return r;
	if (ag.a.dry_run) {
		log_error("run: --dry-run is for sync");
		agent_done(&ag);
		return EXIT_USAGE;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (sfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
		r = log_errno(-errno, "run: signals");
		agent_done(&ag);
		return EXIT_ERROR;
	}
	for (;;) {
		struct pollfd pfd = { .fd = sfd, .events = POLLIN };
		struct signalfd_siginfo si;
		unsigned wait_s;
		int n;

		r = agent_pass(&ag);
		if (r == EXIT_NO_CONFIG)
			log_info("run: no configuration yet; looking again in %u s", ag.a.interval);
		/* A failed pass leaves the last good state in place; the next one may do better. */
		if (ag.unresolved && r == EXIT_OK &&
		    (ag.last_gai != EAI_NONAME || report_uptime_ms() < BOOT_WINDOW_MS)) {
			wait_s = backoff;
			backoff = backoff * 2 > RESOLVE_BACKOFF_MAX ? RESOLVE_BACKOFF_MAX : backoff * 2;
		} else {
			wait_s = ag.a.interval;
			backoff = 1;
		}
		do
			n = poll(&pfd, 1, (int)(wait_s * 1000));
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			r = log_errno(-errno, "run: poll");
			break;
		}
		if (n == 0)
			continue;
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGHUP) {
			log_info("run: SIGHUP, reading the configuration again");
			continue;
		}
		r = 0; /* SIGTERM, SIGINT: stop; the interface stays */
		break;
	}
	close(sfd);
	agent_done(&ag);
	return r < 0 ? EXIT_ERROR : EXIT_OK;
}

int cmd_identity_main(int argc, char *argv[])
{
	_cleanup_config_ struct wg_config *cfg = NULL;
	char pub64[WG_KEY_B64_LEN];
	struct wg_key pub;
	struct identity id;
	struct agent ag;
	bool rotated = false;
	int r;

	r = agent_init(&ag, argc, argv, identity_usage, false);
	if (r >= 0)
		return r;
	r = EXIT_ERROR;
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		goto out;
	snprintf(cfg->ifname, sizeof(cfg->ifname), "%s",
		 ag.a.src.ifname ? ag.a.src.ifname
				 : ag.a.src.target ? ag.a.src.target : DEFAULT_IFNAME);
	if (!conf_ifname_valid(cfg->ifname)) {
		log_error("identity: invalid interface name '%s'", cfg->ifname);
		r = EXIT_USAGE;
		goto out;
	}
	source_identity(&ag.src, &id);
	if (identity_ensure_key(cfg, ag.a.state_dir, &id, &rotated) < 0)
		goto out;
	if (!key_public_from_private(&pub, &cfg->private_key))
		goto out;
	key_to_base64(pub64, &pub);
	printf("%s\n", pub64);
	r = fflush(stdout) == 0 ? EXIT_OK : EXIT_ERROR;
out:
	agent_done(&ag);
	return r;
}
