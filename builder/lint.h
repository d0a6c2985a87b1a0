/* SPDX-License-Identifier: MIT */
#ifndef WGBAKE_LINT_H
#define WGBAKE_LINT_H

#include <stdbool.h>
#include <stdio.h>

#include <guestfs.h>
#include <json-c/json.h>

/*
 * Azure readiness: what a Linux image needs to boot and provision on Azure. Each check
 * passes or fails with a detail line saying what was found.
 *
 *   hyperv-drivers  hv_vmbus, hv_storvsc and hv_netvsc built into the kernel or in its
 *                   initramfs, for every installed kernel (else: no root disk on Azure)
 *   provisioning    cloud-init with the Azure datasource allowed, or walinuxagent with
 *                   provisioning on (else: the VM never reports ready)
 *   serial-console  console=ttyS0 on the kernel command line in the boot loader's config
 *                   (Azure's serial console and boot diagnostics read ttyS0)
 *   no-swap         no swap partition, swap file or fstab swap entry (Azure wants swap
 *                   on the resource disk, set up by cloud-init or waagent)
 *   udf             the udf module exists and is not blacklisted (Azure hands the
 *                   provisioning data over on a UDF-formatted virtual DVD)
 */
enum lint_check {
	LINT_HYPERV,
	LINT_PROVISIONING,
	LINT_SERIAL,
	LINT_SWAP,
	LINT_UDF,
	LINT_N,
};

struct lint_item {
	const char *name;
	bool ok;
	char detail[512];
};

/* Runs every check on a guest mounted at / (read-only is enough). filesystems is
 * guestfs_list_filesystems()' answer when the caller has it (NULL: asked again). Returns the
 * number of failed checks, or -errno when the guest could not be read (logged). */
int lint_run(guestfs_h *g, char *const *filesystems, struct lint_item items[LINT_N]);
/* Prints "ok   name: detail" / "FAIL name: detail" lines. */
void lint_print(const struct lint_item items[LINT_N], FILE *f);
struct json_object *lint_to_json(const struct lint_item items[LINT_N]);

#endif
