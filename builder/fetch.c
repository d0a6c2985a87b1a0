// SPDX-License-Identifier: MIT
/* Base image download: a cache keyed by sha256, resumable, verified. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "log.h"
#include "macros.h"

#include "fetch.h"
#include "progress.h"

#define FETCH_ATTEMPTS 4

static void to_hex(const unsigned char *h, char out[SHA256_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < crypto_hash_sha256_BYTES; i++) {
		out[2 * i] = digits[h[i] >> 4];
		out[2 * i + 1] = digits[h[i] & 15];
	}
	out[SHA256_HEX] = '\0';
}

void sha256_hex(const void *buf, size_t len, char ret_hex[SHA256_HEX + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, buf, len);
	to_hex(h, ret_hex);
}

int sha256_file(const char *path, char ret_hex[SHA256_HEX + 1])
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ unsigned char *buf = malloc(1 << 20);
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES];

	if (fd < 0)
		return -errno;
	if (!buf)
		return -ENOMEM;
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	crypto_hash_sha256_init(&st);
	for (;;) {
		ssize_t n = read(fd, buf, 1 << 20);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		crypto_hash_sha256_update(&st, buf, (size_t)n);
	}
	crypto_hash_sha256_final(&st, h);
	to_hex(h, ret_hex);
	return 0;
}

struct dl {
	int fd;
	uint64_t offset; /* bytes in the file before this transfer */
	uint64_t written;
	bool checked;
	int err;
	CURL *curl;
	struct progress bar;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct dl *d = arg;
	size_t len = size * nmemb, done = 0;

	if (!d->checked) {
		long status = 0;

		d->checked = true;
		curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, &status);
		if (d->offset && status == 200) {
			/* the server ignored the Range: start over */
			if (ftruncate(d->fd, 0) < 0 || lseek(d->fd, 0, SEEK_SET) < 0) {
				d->err = -errno;
				return 0;
			}
			d->offset = 0;
		}
	}
	while (done < len) {
		ssize_t n = write(d->fd, ptr + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			d->err = -errno;
			return 0;
		}
		done += (size_t)n;
	}
	d->written += len;
	return len;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct dl *d = arg;

	(void)ultotal;
	(void)ulnow;
	if (dltotal > 0) {
		d->bar.total = d->offset + (uint64_t)dltotal;
		progress_update(&d->bar, d->offset + (uint64_t)dlnow);
	}
	return 0;
}

/* One attempt: appends to part from its current size. 0, -EAGAIN (retry), -errno. */
static int download_once(const char *url, const char *part, bool show)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct dl d = {.fd = -1};
	struct stat st;
	long status = 0;
	CURLcode rc;
	int r = 0;

	d.fd = open(part, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (d.fd < 0)
		return log_errno(-errno, "cannot open '%s'", part);
	if (fstat(d.fd, &st) < 0) {
		r = log_errno(-errno, "'%s'", part);
		goto out;
	}
	d.offset = (uint64_t)st.st_size;
	d.curl = curl_easy_init();
	if (!d.curl) {
		r = log_errno(-ENOMEM, "curl_easy_init");
		goto out;
	}
	progress_start(&d.bar, stderr, show, "fetch", 0);
	curl_easy_setopt(d.curl, CURLOPT_URL, url);
	curl_easy_setopt(d.curl, CURLOPT_PROTOCOLS_STR, "https,http,file");
	curl_easy_setopt(d.curl, CURLOPT_REDIR_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(d.curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(d.curl, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(d.curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(d.curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(d.curl, CURLOPT_WRITEDATA, &d);
	curl_easy_setopt(d.curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(d.curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(d.curl, CURLOPT_XFERINFODATA, &d);
	curl_easy_setopt(d.curl, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)d.offset);
	curl_easy_setopt(d.curl, CURLOPT_CONNECTTIMEOUT, 30L);
	/* a stalled transfer (under 1 KiB/s for a minute) is retried with resume */
	curl_easy_setopt(d.curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(d.curl, CURLOPT_LOW_SPEED_TIME, 60L);
	rc = curl_easy_perform(d.curl);
	progress_end(&d.bar);
	curl_easy_getinfo(d.curl, CURLINFO_RESPONSE_CODE, &status);
	if (d.err) {
		r = log_errno(d.err, "writing '%s'", part);
	} else if (rc == CURLE_RANGE_ERROR || status == 416 ||
		   (rc == CURLE_BAD_DOWNLOAD_RESUME && d.offset)) {
		/* 416: nothing left to fetch (a complete .part); the sha256 decides */
		r = 0;
	} else if (rc != CURLE_OK) {
		bool transient =
			rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT ||
			rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR ||
			rc == CURLE_SEND_ERROR || rc == CURLE_GOT_NOTHING ||
			(rc == CURLE_HTTP_RETURNED_ERROR && (status == 429 || status >= 500));

		log_error("fetch '%s' failed: %s", url, *errbuf ? errbuf : curl_easy_strerror(rc));
		r = transient ? -EAGAIN : (status == 404 ? -ENOENT : -EIO);
	}
out:
	if (d.curl)
		curl_easy_cleanup(d.curl);
	if (d.fd >= 0 && close(d.fd) < 0 && r == 0)
		r = log_errno(-errno, "closing '%s'", part);
	return r;
}

int fetch_base(const char *url, const char *sha256, const char *cache_dir, bool progress,
	       char **ret_path)
{
	_cleanup_free_ char *final = NULL, *part = NULL;
	char got[SHA256_HEX + 1];
	int r = -EIO;

	if (mkdir(cache_dir, 0755) < 0 && errno != EEXIST)
		return log_errno(-errno, "cannot create cache folder '%s'", cache_dir);
	if (asprintf(&final, "%s/%s.img", cache_dir, sha256) < 0 ||
	    asprintf(&part, "%s/%s.part", cache_dir, sha256) < 0)
		return log_errno(-ENOMEM, "fetch");
	if (access(final, F_OK) == 0) {
		r = sha256_file(final, got);
		if (r < 0)
			return log_errno(r, "reading cached '%s'", final);
		if (strcmp(got, sha256) == 0) {
			*ret_path = TAKE_PTR(final);
			return 0;
		}
		log_warn("cached '%s' is damaged (sha256 %s); fetching again", final, got);
		(void)unlink(final);
	}
	for (unsigned attempt = 1; attempt <= FETCH_ATTEMPTS; attempt++) {
		r = download_once(url, part, progress);
		if (r != -EAGAIN)
			break;
		if (attempt < FETCH_ATTEMPTS) {
			log_info("retrying (%u of %u), resuming the partial download", attempt + 1,
				 FETCH_ATTEMPTS);
			sleep(attempt);
		}
	}
	if (r < 0)
		return r == -EAGAIN ? -EIO : r;
	r = sha256_file(part, got);
	if (r < 0)
		return log_errno(r, "reading '%s'", part);
	if (strcmp(got, sha256) != 0) {
		(void)unlink(part);
		log_error("fetch '%s': sha256 mismatch: expected %s, got %s; the download was "
			  "deleted",
			  url, sha256, got);
		return -EBADMSG;
	}
	if (rename(part, final) < 0)
		return log_errno(-errno, "renaming '%s'", part);
	*ret_path = TAKE_PTR(final);
	return 0;
}
