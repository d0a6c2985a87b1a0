/* SPDX-License-Identifier: MIT */
#ifndef WGBAKE_SPEC_H
#define WGBAKE_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* An image spec (images/NAME.json); every field is documented in images/README.md. */

enum spec_output {
	SPEC_OUT_RAW = 1 << 0,
	SPEC_OUT_QCOW2 = 1 << 1,
	SPEC_OUT_VHD = 1 << 2,
};

struct spec_file {
	char *path;    /* absolute path in the guest */
	char *source;  /* a local file (resolved against the spec's folder), or */
	char *content; /* inline text */
	unsigned mode;
};

struct spec_gallery {
	char *subscription_id;
	char *resource_group;
	char *gallery;
	char *image_definition;
	char *publisher, *offer, *sku;
	char *hyper_v_generation; /* "V2" (default) or "V1" */
	char *architecture;	  /* "x64" (default) */
	char *version;		  /* "1.0.0", or NULL: chosen at publish time */
	char **regions;
	size_t n_regions;
};

struct spec {
	char *name;
	char *description;
	char *os;      /* "debian" or "ubuntu" */
	char *release; /* "12", "22.04", ... */
	/* the base image: exactly one of url (http, https or file) and path */
	char *base_url;
	char *base_path;
	char *base_sha256; /* 64 lowercase hex; required with url */
	char *base_notes;
	uint64_t disk_size; /* 0: keep the base's size */
	char **apt;	    /* packages from the guest's own apt */
	size_t n_apt;
	char **debs; /* local .deb files */
	size_t n_debs;
	bool updates;	    /* apply pending updates */
	char *agent_binary; /* NULL: the wgagent next to wgbake's source, or --agent */
	char *agent_unit;
	char *agent_config;	 /* a local file installed as agent_config_dest */
	char *agent_config_dest; /* default /etc/wgagent/wg0.conf */
	char **modules;		 /* modules-load.d; default ["wireguard"] */
	size_t n_modules;
	struct spec_file *files;
	size_t n_files;
	unsigned outputs; /* enum spec_output bits; default qcow2 */
	char **generalize_skip;
	size_t n_generalize_skip;
	bool lint_strict; /* a failed Azure readiness check fails the build (default true) */
	struct spec_gallery gallery;
	char *dir;		  /* the spec file's folder: relative paths start here */
	struct json_object *json; /* the parsed document, for the manifest */
};

/*
 * Pure: parses and checks a spec document. dir is the folder relative paths are resolved
 * against. On error returns -EINVAL (or -ENOMEM) and writes a message naming the field into
 * err, e.g. "base.sha256: expected a string of 64 hex digits" or "packages: unknown field
 * 'aptt'".
 */
int spec_parse(const char *text, size_t len, const char *dir, struct spec *ret, char *err,
	       size_t err_len);
/* Reads and parses a file; messages start with the file name. Doesn't log. */
int spec_load(const char *path, struct spec *ret, char *err, size_t err_len);
void spec_free(struct spec *s);

/* Pure: "8G", "512M", "2048MiB", "10GiB", or plain bytes. -EINVAL otherwise. */
int spec_parse_size(const char *s, uint64_t *ret);
/* Resolves a spec-relative path; caller frees. NULL on OOM. */
char *spec_path(const struct spec *s, const char *path);

#endif
