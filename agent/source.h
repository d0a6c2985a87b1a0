/* SPDX-License-Identifier: MIT */
/*
 * Where the desired configuration comes from, in this order (agent/CONFIG.md,
 * "Sources"):
 *   1. a CONFIG path given on the command line: that file only;
 *   2. CONFIG_DIR/IFNAME.conf, then CONFIG_DIR/IFNAME.json (/etc/wgagent);
 *   3. Azure IMDS userData (base64 of the .conf text or the JSON form);
 *   4. /etc/wireguard/IFNAME.conf.
 * A source that exists but is broken is an error: the next one is not tried,
 * so a bad userData never silently replaces a good configuration.
 * IFNAME is --interface, the IFNAME argument, or wg0.
 */
#ifndef WGAGENT_SOURCE_H
#define WGAGENT_SOURCE_H

#include <stdbool.h>

#include "config.h"
#include "identity.h"
#include "imds.h"

#define DEFAULT_CONFIG_DIR "/etc/wgagent"
#define DEFAULT_IFNAME "wg0"

enum imds_mode {
	IMDS_AUTO, /* only on Azure (SMBIOS asset tag), or when an endpoint is given */
	IMDS_ON,
	IMDS_OFF,
};

struct source_opts {
	const char *target;	/* CONFIG path or IFNAME; NULL: boot form */
	const char *ifname;	/* --interface */
	const char *config_dir; /* NULL: DEFAULT_CONFIG_DIR */
	enum imds_mode imds_mode;
	struct imds_opts imds;
	const char *asset_tag_path;   /* NULL: DMI_CHASSIS_ASSET_TAG */
	const char *product_uuid_path; /* NULL: DMI_PRODUCT_UUID */
};

struct source {
	struct source_opts o;
	struct imds *imds; /* NULL when IMDS is not used */
	bool imds_absent;  /* no answer: don't wait for it again */
	char vm_id[64];	   /* "" until known */
};

/* Decides whether IMDS is used (and makes the client). Returns 0 or -ENOMEM. Logs. */
int source_init(struct source *s, const struct source_opts *o);
void source_done(struct source *s);

/*
 * Loads, parses and validates the desired configuration from the first
 * source that has one. Returns 0, -ENOENT (no source has a configuration),
 * -EINVAL (bad configuration), or another -errno. Logs once; never a key.
 */
int source_load(struct source *s, struct wg_config **ret);

/* This machine's identity: SMBIOS product UUID, and the IMDS vmId when IMDS is there. */
void source_identity(struct source *s, struct identity *ret);

/* Whether a CONFIG argument names a file rather than an interface. */
bool source_looks_like_path(const char *s);

#endif
