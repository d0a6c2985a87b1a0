/* SPDX-License-Identifier: MIT */
#ifndef WGBAKE_CRED_H
#define WGBAKE_CRED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * Credentials for Azure Storage: a SAS, an account key (Shared Key), or an Entra ID bearer
 * token. Secrets come from files or environment variables, never from argv, and are wiped
 * when freed. Nothing here prints a secret.
 */
enum cred_kind {
	CRED_NONE,
	CRED_SAS,
	CRED_SHARED_KEY,
	CRED_BEARER,
};

#define CRED_KEY_MAX 64
#define CRED_ACCOUNT_MAX 64

struct cred {
	enum cred_kind kind;
	char account[CRED_ACCOUNT_MAX + 1];
	uint8_t key[CRED_KEY_MAX];
	size_t key_len;
	char *sas;   /* query string, without '?' */
	char *token; /* bearer token */
	char *token_file;
	time_t token_read;
	char source[128]; /* where it came from, for messages: never the secret */
};

struct cred_options {
	const char *account_key_file; /* --account-key-file */
	const char *sas_file;	      /* --sas-file: a SAS URL or a bare SAS token */
	const char *token_file;	      /* --token-file: an Entra ID access token */
	const char *account;	      /* --account: storage account name */
};

/*
 * Picks a credential: the options first (at most one of them), then the environment:
 * AZURE_STORAGE_SAS_URL, AZURE_STORAGE_SAS_TOKEN, AZURE_STORAGE_KEY (with
 * AZURE_STORAGE_ACCOUNT), AZURE_STORAGE_TOKEN_FILE. A SAS URL also names the blob or
 * container: *ret_url gets it without its query (NULL if the SAS had no URL). Logs.
 */
int cred_load(struct cred *c, const struct cred_options *o, char **ret_url);
/* The account for Shared Key, from --account, AZURE_STORAGE_ACCOUNT, or the URL. Logs. */
int cred_set_account_from_url(struct cred *c, const char *host, const char *path);
void cred_free(struct cred *c);
const char *cred_kind_name(enum cred_kind k);

/*
 * The header that authorizes a request, "Authorization: ..." (caller frees and wipes), or
 * NULL with 0 for a SAS, whose query the caller appends (cred->sas). headers are the
 * request's "Name: value" lines, path is the URL path as sent, query without '?'.
 */
int cred_authorization(struct cred *c, const char *method, const char *path, const char *query,
		       const char *const *headers, size_t n_headers, char **ret);

/* Pure: Shared Key's string-to-sign for a Blob service request (version 2015-02-21 on). */
char *sharedkey_string_to_sign(const char *method, const char *account, const char *path,
			       const char *query, const char *const *headers, size_t n_headers);
/* Pure: the expiry (se=) of a SAS query; false if it has none or it can't be read. */
bool sas_expiry(const char *sas, time_t *ret);
/* Pure: base64(HMAC-SHA256(key, string)), 44 characters + NUL. */
void sharedkey_sign(const uint8_t *key, size_t key_len, const char *string, char out[45]);
/* Pure: decodes a base64 account key; false if it is not base64 or too long. */
bool sharedkey_decode(const char *b64, uint8_t key[CRED_KEY_MAX], size_t *ret_len);

#endif
