/* SPDX-License-Identifier: MIT */
/*
 * Azure Instance Metadata Service client (libcurl): userData, vmId and the
 * attested document. Requests carry `Metadata: true`, never use a proxy, and
 * are retried as Azure advises (410 for up to 70 s, 429, 5xx, connection
 * refused while the network comes up) with backoff, at most 5 per second.
 * Pure response parsers are separate (and fuzzed). imds_* I/O logs once.
 */
#ifndef WGAGENT_IMDS_H
#define WGAGENT_IMDS_H

#include <stdbool.h>
#include <stddef.h>

#define IMDS_DEFAULT_ENDPOINT "http://169.254.169.254"
#define IMDS_DEFAULT_API_VERSION "2021-02-01"
/* Azure's SMBIOS chassis asset tag: how cloud-init and waagent recognise Azure. */
#define AZURE_ASSET_TAG "7783-7084-3265-9085-8269-3286-77"
#define DMI_CHASSIS_ASSET_TAG "/sys/class/dmi/id/chassis_asset_tag"
/* userData is at most 64 KiB of base64 (Azure's limit); leave room. */
#define IMDS_BODY_MAX (256u * 1024u)

struct imds_opts {
	const char *endpoint;	 /* NULL: IMDS_DEFAULT_ENDPOINT */
	const char *api_version; /* NULL: IMDS_DEFAULT_API_VERSION */
	unsigned timeout_ms;	 /* one request; 0: 2000 */
	unsigned budget_ms;	 /* all retries of one call (410 lasts up to 70 s); 0: 70000 */
	/*
	 * How long "connection refused", "network unreachable" and connect
	 * timeouts are retried before IMDS counts as absent; 0: 15000 on Azure.
	 */
	unsigned connect_budget_ms;
	unsigned min_interval_ms; /* between two requests; 0: 200 (5 per second) */
	bool quiet;		  /* don't log (probes) */
};

struct imds;

/* NULL on OOM. */
struct imds *imds_new(const struct imds_opts *opts);
void imds_free(struct imds *c); /* NULL ok */

/*
 * GET endpoint + path (path starts with '/'; "?api-version=..." is added).
 * Returns 0 with a NUL-terminated *ret_body (free it), -ENOENT (404),
 * -EHOSTUNREACH (IMDS not reachable within connect_budget_ms: not on
 * Azure), -ETIMEDOUT (budget spent on retryable answers), -EACCES (400:
 * Azure says the Metadata header is missing), -EBADMSG (a body too big),
 * -ENOMEM, -EIO. Logs the failure once unless opts->quiet.
 */
int imds_get(struct imds *c, const char *path, const char *query, char **ret_body,
	     size_t *ret_len);

/* Requests made so far (tests check the rate and the retry counts). */
unsigned imds_requests(const struct imds *c);

/*
 * Convenience calls. user data: decoded (*ret_text, *ret_len), 0 with
 * *ret_text == NULL if the VM has none. vm id: lower case.
 */
int imds_get_user_data(struct imds *c, char **ret_text, size_t *ret_len);
int imds_get_vm_id(struct imds *c, char ret[64]);
/* The attested document's JSON, as IMDS sent it (after checking it has a signature). */
int imds_get_attested(struct imds *c, const char *nonce, char **ret_json);

/* True if the SMBIOS chassis asset tag at path is Azure's. */
bool imds_on_azure(const char *asset_tag_path);

/* ---------------------------------------------------------------- pure parsers */

/*
 * userData body (base64, whitespace and line breaks allowed) -> text.
 * Returns 0 (*ret_text NUL-terminated, NULL for an empty body), -EBADMSG
 * with a reason in *ret_why (not base64; NUL bytes or invalid UTF-8 in the
 * decoded text) or -ENOMEM. The decoded text may hold keys: wipe it.
 */
int imds_parse_user_data(const char *body, size_t len, char **ret_text, size_t *ret_len,
			 const char **ret_why);
/* vmId body: a UUID (36 characters, hex and dashes). 0 or -EBADMSG. */
int imds_parse_vm_id(const char *body, size_t len, char ret[64]);
/* Attested document: a JSON object with string "signature" (and "encoding"). 0 or -EBADMSG. */
int imds_parse_attested(const char *body, size_t len);
/* HTTP status -> 0, or the errno the caller sees; *ret_retry says whether to try again. */
int imds_status_to_errno(long status, bool *ret_retry);

#endif
