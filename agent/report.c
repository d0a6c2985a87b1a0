// SPDX-License-Identifier: MIT
/* Reporting the public key: file, kernel log, HTTPS POST (see report.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "curl_dl.h"
#include "fileio.h"
#include "key.h"
#include "log.h"
#include "macros.h"
#include "report.h"
#include "version.h"

#define REPORT_ATTEMPTS 4

uint64_t report_uptime_ms(void)
{
	struct timespec ts;

	/* CLOCK_BOOTTIME is what /proc/uptime shows. */
	if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t report_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int add(struct json_object *o, const char *k, struct json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_object_add(o, k, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static struct json_object *str_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

char *report_payload(const struct report *r)
{
	struct json_object *o = json_object_new_object(), *t = json_object_new_object();
	struct json_object *att = NULL;
	char pub[WG_KEY_B64_LEN];
	char *out = NULL;
	int q = 0;

	if (!o || !t)
		goto out;
	if (r->attested_json) {
		att = json_tokener_parse(r->attested_json);
		if (!att || !json_object_is_type(att, json_type_object))
			goto out;
	}
	key_to_base64(pub, &r->public_key);
	q |= add(o, "version", json_object_new_int(REPORT_PAYLOAD_VERSION));
	q |= add(o, "agent", json_object_new_string("wgagent " WGBAKE_VERSION));
	q |= add(o, "interface", json_object_new_string(r->ifname));
	q |= add(o, "public_key", json_object_new_string(pub));
	q |= add(o, "listen_port", json_object_new_int(r->listen_port));
	q |= add(o, "peers", json_object_new_int64((int64_t)r->n_peers));
	q |= add(o, "source", json_object_new_string(r->source ? r->source : ""));
	q |= add(o, "key_rotated", json_object_new_boolean(r->key_rotated));
	/* Optional strings: null when unknown. */
	json_object_object_add(o, "vm_id", str_or_null(r->id.vm_id));
	json_object_object_add(o, "product_uuid", str_or_null(r->id.product_uuid));
	json_object_object_add(o, "nonce", str_or_null(r->nonce));
	q |= add(t, "since_boot_ms", json_object_new_int64((int64_t)r->since_boot_ms));
	q |= add(t, "since_agent_start_ms", json_object_new_int64((int64_t)r->since_agent_start_ms));
	q |= json_object_object_add(o, "timings", t) < 0 ? -ENOMEM : 0;
	if (q)
		goto out_put_t;
	t = NULL;
	json_object_object_add(o, "attested_document", att);
	att = NULL;
	out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	goto out;
out_put_t:
	json_object_put(t);
	t = NULL;
out:
	json_object_put(t);
	json_object_put(att);
	json_object_put(o);
	return out;
}

void report_console_line(const struct report *r, char *buf, size_t len)
{
	char pub[WG_KEY_B64_LEN];

	key_to_base64(pub, &r->public_key);
	snprintf(buf, len,
		 "wgagent: %s public key %s port %u peers %zu vmId %s (%" PRIu64
		 " ms after boot, %" PRIu64 " ms after agent start)",
		 r->ifname, pub, r->listen_port, r->n_peers, r->id.vm_id[0] ? r->id.vm_id : "-",
		 r->since_boot_ms, r->since_agent_start_ms);
}

int report_write_pub(const char *run_dir, const struct report *r)
{
	_cleanup_free_ char *path = NULL;
	char pub[WG_KEY_B64_LEN + 1];
	size_t n;
	int q;

	if (mkdir(run_dir, 0755) < 0 && errno != EEXIST)
		return log_errno(-errno, "report: creating '%s'", run_dir);
	if (asprintf(&path, "%s/%s.pub", run_dir, r->ifname) < 0)
		return log_errno(-ENOMEM, "report");
	key_to_base64(pub, &r->public_key);
	n = strlen(pub);
	pub[n++] = '\n';
	q = write_file_atomic(path, pub, n, 0644);
	if (q < 0)
		return log_errno(q, "report: writing '%s'", path);
	return 0;
}

void report_kmsg(const char *path, const struct report *r)
{
	char line[512], msg[530];
	int fd, n;

	fd = open(path ? path : "/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY | O_APPEND);
	if (fd < 0)
		return; /* not root, or no /dev/kmsg: the .pub file and stderr still have it */
	report_console_line(r, line, sizeof(line));
	/*
	 * Notice level: the console prints it with the default loglevel (7) that
	 * Azure's images boot with; only "quiet" (4) would hide it.
	 */
	n = snprintf(msg, sizeof(msg), "<5>%s\n", line);
	if (n > 0)
		(void)!write(fd, msg, (size_t)n);
	close(fd);
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	return size * nmemb;
}

int report_post(const char *url, bool allow_http, const char *payload)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	long status = 0;
	CURLcode rc = CURLE_OK;
	char err[256];
	CURL *curl;
	int r = -EIO;

	if (curl_fns_load(err, sizeof(err)) < 0)
		return log_errno(-ENOPKG, "report: POST to '%s': %s", url, err);
	curl = curl_fns.easy_init();
	if (!curl)
		return log_errno(-ENOMEM, "report: POST");
	hdrs = curl_fns.slist_append(NULL, "Content-Type: application/json");
	if (!hdrs) {
		curl_fns.easy_cleanup(curl);
		return log_errno(-ENOMEM, "report: POST");
	}
	for (unsigned attempt = 0; attempt < REPORT_ATTEMPTS; attempt++) {
		if (attempt > 0) {
			struct timespec ts = { .tv_sec = 1 << (attempt - 1) };

			nanosleep(&ts, NULL);
		}
		curl_fns.easy_reset(curl);
		curl_fns.easy_setopt(curl, CURLOPT_URL, url);
		curl_fns.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, allow_http ? "https,http" : "https");
		curl_fns.easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
		curl_fns.easy_setopt(curl, CURLOPT_POSTFIELDS, payload);
		curl_fns.easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
		curl_fns.easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
		curl_fns.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
		curl_fns.easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
		curl_fns.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
		errbuf[0] = '\0';
		rc = curl_fns.easy_perform(curl);
		status = 0;
		curl_fns.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		if (rc == CURLE_OK && status / 100 == 2) {
			r = 0;
			break;
		}
		if (rc == CURLE_UNSUPPORTED_PROTOCOL)
			break;
		if (rc == CURLE_OK && status != 429 && status / 100 != 5)
			break; /* the receiver refused it: asking again won't help */
	}
	curl_fns.easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
	curl_fns.easy_cleanup(curl);
	curl_fns.slist_free_all(hdrs);
	if (r == 0)
		return 0;
	if (rc != CURLE_OK)
		return log_errno(-EIO, "report: POST '%s' failed: %s", url,
				 errbuf[0] ? errbuf : curl_fns.easy_strerror(rc));
	return log_errno(-EIO, "report: POST '%s' failed: HTTP %ld", url, status);
}
