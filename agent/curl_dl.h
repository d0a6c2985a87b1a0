/* SPDX-License-Identifier: MIT */
/*
 * libcurl, loaded only when wgagent talks HTTP (IMDS, the HTTPS report).
 * Linking it outright pulls some thirty libraries into every start of the
 * boot agent, which costs more than the whole of `wgagent up` from a file.
 */
#ifndef WGAGENT_CURL_DL_H
#define WGAGENT_CURL_DL_H

#include <stddef.h>

#include <curl/curl.h>

struct curl_fns {
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_perform)(CURL *curl);
	CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
	void (*easy_reset)(CURL *curl);
	void (*easy_cleanup)(CURL *curl);
	const char *(*easy_strerror)(CURLcode code);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
};

/* Valid after curl_fns_load() returned 0. */
extern struct curl_fns curl_fns;

/*
 * Loads libcurl.so.4 and runs curl_global_init() once per process. Returns 0,
 * or -ENOPKG with the loader's reason in err. Logs nothing.
 */
int curl_fns_load(char *err, size_t errlen);

#endif
