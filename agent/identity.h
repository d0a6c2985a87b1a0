/* SPDX-License-Identifier: MIT */
/*
 * The VM's own private keys, made on first use and bound to the machine they
 * were made on. A disk captured or cloned with keys inside boots on a VM
 * with another SMBIOS product UUID or IMDS vmId: its keys are wiped and new
 * ones made, so one key never serves two VMs.
 */
#ifndef WGAGENT_IDENTITY_H
#define WGAGENT_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define IDENTITY_ID_MAX 64
#define DEFAULT_STATE_DIR "/var/lib/wgagent"
#define DMI_PRODUCT_UUID "/sys/class/dmi/id/product_uuid"

/* What a VM is known by. Empty strings mean "unknown here". */
struct identity {
	char product_uuid[IDENTITY_ID_MAX]; /* lower case */
	char vm_id[IDENTITY_ID_MAX];	    /* lower case */
};

/*
 * Pure: is `stored` (from the state folder) another machine than `now`? True
 * if an identifier known in both differs. A UUID that is all zeroes or all
 * f's (no SMBIOS data, as some hypervisors give) counts as unknown.
 */
bool identity_is_other_machine(const struct identity *stored, const struct identity *now);

/* Pure: "product_uuid=...\nvm_id=...\n" <-> struct identity. Parse: 0 or -EBADMSG. */
int identity_format(const struct identity *id, char *buf, size_t len);
int identity_parse(const char *text, struct identity *ret);

/* Reads the SMBIOS product UUID from path (DMI_PRODUCT_UUID); "" if unreadable. */
void identity_read_product_uuid(const char *path, struct identity *id);

/*
 * Makes sure state_dir holds a key for cfg->ifname made on this machine and
 * puts it in cfg (unless the config has its own PrivateKey):
 *  - state_dir/identity records `now` when keys are made;
 *  - if it names another machine (or is missing while keys exist), every
 *    *.key in state_dir is overwritten with zeroes and removed first;
 *  - state_dir is created 0700, keys are written 0600 (key_write_file()).
 * *ret_rotated tells whether old keys were discarded. Logs what it did once
 * (never a key). Returns 0 or -errno.
 */
int identity_ensure_key(struct wg_config *cfg, const char *state_dir, const struct identity *now,
			bool *ret_rotated);

#endif
