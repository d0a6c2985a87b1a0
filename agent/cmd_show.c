// SPDX-License-Identifier: MIT
/* wgagent show: the kernel's view, read with one netlink dump per interface. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "conf.h"
#include "format.h"
#include "log.h"
#include "rtnl.h"
#include "wgnl.h"

static const char show_usage[] =
	"Usage: wgagent show [IFNAME|all|interfaces] [--dump] [--show-keys]\n"
	"\n"
	"Shows WireGuard interfaces as the kernel has them (default: all).\n"
	"  interfaces     list the names of WireGuard interfaces\n"
	"  --dump         tab-separated, the format of 'wg show IFNAME dump'\n"
	"  --show-keys    print private and preshared keys instead of (hidden)\n"
	"  -h, --help     this text\n"
	"\n"
	"Exit status: 0 shown; 1 no such interface or netlink failure; 2 usage.\n";

static int show_one(struct wgnl *nl, const char *ifname, bool dump, bool show_keys, bool many,
		    bool first)
{
	_cleanup_config_ struct wg_config *dev = NULL;
	int r;

	r = wgnl_get_device(nl, ifname, &dev);
	if (r == -ENODEV)
		return log_errno(r, "show: '%s'", ifname);
	if (r < 0)
		return log_errno(r, "show: reading '%s'", ifname);
	if (dump)
		format_dump(stdout, dev, show_keys, many);
	else {
		if (!first)
			putchar('\n');
		format_pretty(stdout, dev, show_keys, time(NULL));
	}
	return 0;
}

int cmd_show_main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "dump", no_argument, NULL, 'd' },
		{ "show-keys", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char(*names)[IFNAMSIZ] = NULL;
	const char *target = "all";
	bool dump = false, show_keys = false;
	struct rtnl *rt = NULL;
	struct wgnl *nl = NULL;
	size_t n = 0;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'd':
			dump = true;
			break;
		case 'k':
			show_keys = true;
			break;
		case 'h':
			fputs(show_usage, stdout);
			return EXIT_OK;
		default:
			log_error("show: bad option (see 'wgagent show --help')");
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		target = argv[optind++];
	if (optind < argc) {
		log_error("show: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (strcmp(target, "all") && strcmp(target, "interfaces") && !conf_ifname_valid(target)) {
		log_error("show: invalid interface name '%s'", target);
		return EXIT_USAGE;
	}

	if (!strcmp(target, "all") || !strcmp(target, "interfaces")) {
		r = rtnl_open(&rt);
		if (r == 0)
			r = rtnl_link_list_kind(rt, "wireguard", &names, &n);
		if (r < 0) {
			log_errno(r, "show: listing interfaces");
			goto out;
		}
		if (!strcmp(target, "interfaces")) {
			for (size_t i = 0; i < n; i++)
				printf("%s%c", names[i], i + 1 < n ? ' ' : '\n');
			goto out;
		}
		if (n == 0)
			goto out; /* nothing to show, and the module may not even be loaded */
	}
	r = wgnl_open(&nl);
	if (r < 0) {
		log_errno(r, "show: opening WireGuard generic netlink%s",
			  r == -EPROTONOSUPPORT ? " (no wireguard module loaded)" : "");
		goto out;
	}
	if (names) {
		for (size_t i = 0; i < n && r >= 0; i++)
			r = show_one(nl, names[i], dump, show_keys, true, i == 0);
	} else
		r = show_one(nl, target, dump, show_keys, false, true);
out:
	free(names);
	wgnl_close(nl);
	rtnl_close(rt);
	if (fflush(stdout) != 0 && r >= 0)
		r = log_errno(-EIO, "show: writing to stdout");
	return r < 0 ? EXIT_ERROR : EXIT_OK;
}
