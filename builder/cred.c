// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "macros.h"

#include "cred.h"
#include "httputil.h"

#define SECRET_FILE_MAX 16384
/* Re-read a token file this often: whatever refreshes it (a sidecar, a CI step) wins. */
#define TOKEN_REREAD_SECONDS 60

static void wipe_free(char *s)
{
	if (!s)
		return;
	sodium_memzero(s, strlen(s));
	free(s);
}

void cred_free(struct cred *c)
{
	if (!c)
		return;
	wipe_free(c->sas);
	wipe_free(c->token);
	free(c->token_file);
	sodium_memzero(c, sizeof(*c));
}

const char *cred_kind_name(enum cred_kind k)
{
	switch (k) {
	case CRED_SAS:
		return "SAS";
	case CRED_SHARED_KEY:
		return "Shared Key";
	case CRED_BEARER:
		return "bearer token";
	case CRED_NONE:
		break;
	}
	return "none";
}

/* Reads a small secret file, trimmed. Warns when others can read it, as `wg` does. */
static int read_secret_file(const char *path, char **ret)
{
	_cleanup_close_ int fd = -1;
	char *buf;
	struct stat st;
	size_t have = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_errno(-errno, "reading '%s'", path);
	if (fstat(fd, &st) < 0)
		return log_errno(-errno, "reading '%s'", path);
	if (S_ISREG(st.st_mode) && (st.st_mode & 0077))
		log_warn("'%s' is readable by others; consider chmod 600", path);
	buf = malloc(SECRET_FILE_MAX + 1);
	if (!buf)
		return log_errno(-ENOMEM, "reading '%s'", path);
	for (;;) {
		ssize_t n = read(fd, buf + have, SECRET_FILE_MAX - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			sodium_memzero(buf, SECRET_FILE_MAX);
			free(buf);
			return log_errno(r, "reading '%s'", path);
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (have == SECRET_FILE_MAX) {
			sodium_memzero(buf, SECRET_FILE_MAX);
			free(buf);
			return log_errno(-EFBIG, "reading '%s'", path);
		}
	}
	while (have > 0 && isspace((unsigned char)buf[have - 1]))
		have--;
	buf[have] = '\0';
	if (strlen(buf) != have || have == 0) {
		sodium_memzero(buf, SECRET_FILE_MAX);
		free(buf);
		return log_errno(-EBADMSG, "'%s' is empty or not text", path);
	}
	*ret = buf;
	return 0;
}

static char *strdup_trimmed(const char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return strndup(s, n);
}

bool sharedkey_decode(const char *b64, uint8_t key[CRED_KEY_MAX], size_t *ret_len)
{
	size_t len = 0;
	const char *end = NULL;

	if (sodium_base642bin(key, CRED_KEY_MAX, b64, strlen(b64), NULL, &len, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    *end || len == 0)
		return false;
	*ret_len = len;
	return true;
}

bool sas_expiry(const char *sas, time_t *ret)
{
	const char *p = sas;

	while (p && *p) {
		if (strncmp(p, "se=", 3) == 0) {
			size_t n = strcspn(p + 3, "&");
			char v[64];
			struct tm tm = {0};
			const char *end;
			time_t t;

			if (n >= sizeof(v) || !http_unescape(p + 3, n, v))
				return false;
			end = strptime(v, "%Y-%m-%dT%H:%M:%S", &tm);
			if (!end) {
				memset(&tm, 0, sizeof(tm));
				end = strptime(v, "%Y-%m-%d", &tm);
			}
			if (!end)
				return false;
			t = timegm(&tm);
			if (t == (time_t)-1)
				return false;
			*ret = t;
			return true;
		}
		p = strchr(p, '&');
		if (p)
			p++;
	}
	return false;
}

/* A SAS is "sv=...&sig=..." with or without a leading '?', or a URL carrying one. */
static int set_sas(struct cred *c, const char *value, const char *what, char **ret_url)
{
	const char *q = value;
	time_t expiry;

	if (strstr(value, "://")) {
		q = strchr(value, '?');
		if (!q || !q[1])
			return log_errno(-EINVAL, "%s: the SAS URL has no query", what);
		if (ret_url) {
			*ret_url = strndup(value, (size_t)(q - value));
			if (!*ret_url)
				return log_errno(-ENOMEM, "%s", what);
		}
	}
	if (*q == '?')
		q++;
	if (!strstr(q, "sig=")) {
		if (ret_url) {
			free(*ret_url);
			*ret_url = NULL;
		}
		return log_errno(-EINVAL, "%s: not a SAS (no sig= parameter)", what);
	}
	c->sas = strdup(q);
	if (!c->sas)
		return log_errno(-ENOMEM, "%s", what);
	c->kind = CRED_SAS;
	if (sas_expiry(c->sas, &expiry) && expiry < time(NULL)) {
		char when[32];
		struct tm tm;

		gmtime_r(&expiry, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (ret_url) {
			free(*ret_url);
			*ret_url = NULL;
		}
		return log_errno(-EKEYEXPIRED, "%s: the SAS expired at %s (se=)", what, when);
	}
	return 0;
}

static int set_key(struct cred *c, const char *b64, const char *what)
{
	if (!sharedkey_decode(b64, c->key, &c->key_len))
		return log_errno(-EINVAL, "%s: the account key is not base64", what);
	c->kind = CRED_SHARED_KEY;
	return 0;
}

static int read_token(struct cred *c)
{
	char *tok = NULL;
	int r;

	r = read_secret_file(c->token_file, &tok);
	if (r < 0)
		return r;
	if (strpbrk(tok, " \t\r\n")) {
		wipe_free(tok);
		return log_errno(-EINVAL, "'%s': not a bearer token", c->token_file);
	}
	wipe_free(c->token);
	c->token = tok;
	c->token_read = time(NULL);
	return 0;
}

static const char *getenv_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

int cred_load(struct cred *c, const struct cred_options *o, char **ret_url)
{
	const char *env_sas_url = getenv_nonempty("AZURE_STORAGE_SAS_URL");
	const char *env_sas_token = getenv_nonempty("AZURE_STORAGE_SAS_TOKEN");
	const char *env_key = getenv_nonempty("AZURE_STORAGE_KEY");
	const char *env_token_file = getenv_nonempty("AZURE_STORAGE_TOKEN_FILE");
	const char *env;
	char *secret = NULL;
	int n_opts = !!o->account_key_file + !!o->sas_file + !!o->token_file;
	int r;

	*c = (struct cred){0};
	if (ret_url)
		*ret_url = NULL;
	if (n_opts > 1)
		return log_errno(-EINVAL, "use only one of --account-key-file, --sas-file and "
					  "--token-file");
	if (o->account) {
		if (strlen(o->account) > CRED_ACCOUNT_MAX || !*o->account)
			return log_errno(-EINVAL, "bad account name '%s'", o->account);
		strcpy(c->account, o->account);
	} else {
		env = getenv("AZURE_STORAGE_ACCOUNT");
		if (env && *env && strlen(env) <= CRED_ACCOUNT_MAX)
			strcpy(c->account, env);
	}

	if (o->sas_file) {
		r = read_secret_file(o->sas_file, &secret);
		if (r < 0)
			return r;
		snprintf(c->source, sizeof(c->source), "SAS from '%s'", o->sas_file);
		r = set_sas(c, secret, o->sas_file, ret_url);
	} else if (o->account_key_file) {
		r = read_secret_file(o->account_key_file, &secret);
		if (r < 0)
			return r;
		snprintf(c->source, sizeof(c->source), "account key from '%s'",
			 o->account_key_file);
		r = set_key(c, secret, o->account_key_file);
	} else if (o->token_file) {
		snprintf(c->source, sizeof(c->source), "token from '%s'", o->token_file);
		c->token_file = strdup(o->token_file);
		c->kind = CRED_BEARER;
		r = c->token_file ? read_token(c) : log_errno(-ENOMEM, "token");
	} else if (env_sas_url) {
		secret = strdup_trimmed(env_sas_url);
		snprintf(c->source, sizeof(c->source), "AZURE_STORAGE_SAS_URL");
		r = secret ? set_sas(c, secret, "AZURE_STORAGE_SAS_URL", ret_url) : -ENOMEM;
	} else if (env_sas_token) {
		secret = strdup_trimmed(env_sas_token);
		snprintf(c->source, sizeof(c->source), "AZURE_STORAGE_SAS_TOKEN");
		r = secret ? set_sas(c, secret, "AZURE_STORAGE_SAS_TOKEN", NULL) : -ENOMEM;
	} else if (env_key) {
		secret = strdup_trimmed(env_key);
		snprintf(c->source, sizeof(c->source), "AZURE_STORAGE_KEY");
		r = secret ? set_key(c, secret, "AZURE_STORAGE_KEY") : -ENOMEM;
	} else if (env_token_file) {
		snprintf(c->source, sizeof(c->source), "AZURE_STORAGE_TOKEN_FILE");
		c->token_file = strdup(env_token_file);
		c->kind = CRED_BEARER;
		r = c->token_file ? read_token(c) : log_errno(-ENOMEM, "token");
	} else {
		log_error("no storage credentials: set AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_URL or "
			  "AZURE_STORAGE_TOKEN_FILE, or pass --account-key-file, --sas-file or "
			  "--token-file");
		r = -ENOKEY;
	}
	wipe_free(secret);
	if (r < 0) {
		if (ret_url) {
			free(*ret_url);
			*ret_url = NULL;
		}
		cred_free(c);
	}
	return r;
}

int cred_set_account_from_url(struct cred *c, const char *host, const char *path)
{
	size_t n;

	if (c->account[0])
		return 0;
	if (http_host_is_loopback(host) || isdigit((unsigned char)host[0])) {
		/* Emulator style: http://127.0.0.1:10000/devstoreaccount1/container/blob */
		const char *p = path[0] == '/' ? path + 1 : path;

		n = strcspn(p, "/");
		if (n == 0 || n > CRED_ACCOUNT_MAX)
			return log_errno(-EINVAL, "cannot tell the storage account from the URL; "
						  "pass --account");
		memcpy(c->account, p, n);
		c->account[n] = '\0';
		return 0;
	}
	n = strcspn(host, ".");
	if (n == 0 || n > CRED_ACCOUNT_MAX)
		return log_errno(-EINVAL,
				 "cannot tell the storage account from host '%s'; pass "
				 "--account",
				 host);
	memcpy(c->account, host, n);
	c->account[n] = '\0';
	return 0;
}

/* ------------------------------------------------------------------ Shared Key */

struct kv {
	char *name;
	char *value;
};

static int cmp_kv(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	return r ? r : strcmp(x->value, y->value);
}

static void kv_free(struct kv *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

/* Value of a standard header, or "" (Content-Length: "" when it is 0). */
static const char *header_value(const char *const *headers, size_t n, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < n; i++) {
		const char *h = headers[i];

		if (strncasecmp(h, name, len) == 0 && h[len] == ':') {
			h += len + 1;
			while (*h == ' ' || *h == '\t')
				h++;
			if (strcasecmp(name, "Content-Length") == 0 && strcmp(h, "0") == 0)
				return "";
			return h;
		}
	}
	return "";
}

/* Appends to a growing string; false on OOM (and frees it). */
static bool append(char **s, size_t *len, const char *add, size_t n)
{
	char *t = realloc(*s, *len + n + 1);

	if (!t) {
		free(*s);
		*s = NULL;
		return false;
	}
	memcpy(t + *len, add, n);
	*len += n;
	t[*len] = '\0';
	*s = t;
	return true;
}

static bool appends(char **s, size_t *len, const char *add)
{
	return append(s, len, add, strlen(add));
}

/* "x-ms-foo:value\n" for every x-ms- header, names lowercased, sorted, values unfolded. */
static bool canonical_headers(char **s, size_t *len, const char *const *headers, size_t n)
{
	struct kv *v = calloc(n ? n : 1, sizeof(*v));
	size_t m = 0;
	bool ok = true;

	if (!v)
		return false;
	for (size_t i = 0; i < n && ok; i++) {
		const char *h = headers[i], *colon = strchr(h, ':');
		char *val, *w;

		if (!colon || strncasecmp(h, "x-ms-", 5) != 0)
			continue;
		v[m].name = strndup(h, (size_t)(colon - h));
		val = strdup_trimmed(colon + 1);
		v[m].value = val;
		if (!v[m].name || !val) {
			ok = false;
			m++;
			break;
		}
		for (char *c = v[m].name; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		/* Unfold: runs of whitespace become one space. */
		w = val;
		for (const char *c = val; *c; c++) {
			if (isspace((unsigned char)*c)) {
				if (w > val && w[-1] != ' ')
					*w++ = ' ';
			} else {
				*w++ = *c;
			}
		}
		*w = '\0';
		m++;
	}
	if (ok)
		qsort(v, m, sizeof(*v), cmp_kv);
	for (size_t i = 0; i < m && ok; i++)
		ok = appends(s, len, v[i].name) && appends(s, len, ":") &&
		     appends(s, len, v[i].value) && appends(s, len, "\n");
	kv_free(v, m);
	return ok;
}

/* "/account/path" then "\nname:value" per query parameter, names lowercased and sorted. */
static bool canonical_resource(char **s, size_t *len, const char *account, const char *path,
			       const char *query)
{
	struct kv *v = NULL;
	size_t m = 0, cap = 0;
	bool ok = appends(s, len, "/") && appends(s, len, account) && appends(s, len, path);
	const char *p = query;

	while (ok && p && *p) {
		size_t n = strcspn(p, "&"), eq = strcspn(p, "=");
		size_t name_len = eq < n ? eq : n;

		if (n > 0) {
			if (m == cap) {
				struct kv *t = reallocarray(v, cap ? cap * 2 : 8, sizeof(*v));

				if (!t) {
					ok = false;
					break;
				}
				v = t;
				cap = cap ? cap * 2 : 8;
			}
			v[m].name = malloc(name_len + 1);
			v[m].value = malloc(n + 1);
			m++;
			if (!v[m - 1].name || !v[m - 1].value ||
			    !http_unescape(p, name_len, v[m - 1].name) ||
			    !http_unescape(p + name_len + (eq < n), n - name_len - (eq < n),
					   v[m - 1].value)) {
				ok = false;
				break;
			}
			for (char *c = v[m - 1].name; *c; c++)
				*c = (char)tolower((unsigned char)*c);
		}
		p += n;
		if (*p == '&')
			p++;
	}
	if (ok && m)
		qsort(v, m, sizeof(*v), cmp_kv);
	for (size_t i = 0; i < m && ok; i++) {
		/* Repeated names join their sorted values with commas. */
		if (i > 0 && strcmp(v[i].name, v[i - 1].name) == 0)
			ok = appends(s, len, ",") && appends(s, len, v[i].value);
		else
			ok = appends(s, len, "\n") && appends(s, len, v[i].name) &&
			     appends(s, len, ":") && appends(s, len, v[i].value);
	}
	kv_free(v, m);
	return ok;
}

char *sharedkey_string_to_sign(const char *method, const char *account, const char *path,
			       const char *query, const char *const *headers, size_t n_headers)
{
	static const char *const standard[] = {
		"Content-Encoding",
		"Content-Language",
		"Content-Length",
		"Content-MD5",
		"Content-Type",
		"Date",
		"If-Modified-Since",
		"If-Match",
		"If-None-Match",
		"If-Unmodified-Since",
		"Range",
	};
	char *s = NULL;
	size_t len = 0;

	if (!appends(&s, &len, method) || !appends(&s, &len, "\n"))
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(standard); i++)
		if (!appends(&s, &len, header_value(headers, n_headers, standard[i])) ||
		    !appends(&s, &len, "\n"))
			return NULL;
	if (!canonical_headers(&s, &len, headers, n_headers) ||
	    !canonical_resource(&s, &len, account, path, query)) {
		free(s);
		return NULL;
	}
	return s;
}

void sharedkey_sign(const uint8_t *key, size_t key_len, const char *string, char out[45])
{
	crypto_auth_hmacsha256_state st;
	uint8_t mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256_init(&st, key, key_len);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)string, strlen(string));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2base64(out, 45, mac, sizeof(mac), sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(&st, sizeof(st));
}

int cred_authorization(struct cred *c, const char *method, const char *path, const char *query,
		       const char *const *headers, size_t n_headers, char **ret)
{
	char *out = NULL;
	int r;

	switch (c->kind) {
	case CRED_SAS:
		*ret = NULL;
		return 0;
	case CRED_BEARER:
		if (c->token_file && time(NULL) - c->token_read >= TOKEN_REREAD_SECONDS) {
			r = read_token(c);
			if (r < 0)
				return r;
		}
		if (asprintf(&out, "Authorization: Bearer %s", c->token) < 0)
			return -ENOMEM;
		*ret = out;
		return 0;
	case CRED_SHARED_KEY: {
		_cleanup_free_ char *sts = NULL;
		char sig[45];

		if (!c->account[0])
			return -EINVAL;
		sts = sharedkey_string_to_sign(method, c->account, path, query, headers, n_headers);
		if (!sts)
			return -ENOMEM;
		sharedkey_sign(c->key, c->key_len, sts, sig);
		if (asprintf(&out, "Authorization: SharedKey %s:%s", c->account, sig) < 0)
			return -ENOMEM;
		*ret = out;
		return 0;
	}
	case CRED_NONE:
		break;
	}
	return -ENOKEY;
}
