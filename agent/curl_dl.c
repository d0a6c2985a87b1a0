// SPDX-License-Identifier: MIT
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>

#include "curl_dl.h"

struct curl_fns curl_fns;

static int load_result = 1; /* 1 = not tried yet */

int curl_fns_load(char *err, size_t errlen)
{
	static const struct {
		const char *name;
		size_t offset;
	} symbols[] = {
		{ "curl_easy_init", offsetof(struct curl_fns, easy_init) },
		{ "curl_easy_setopt", offsetof(struct curl_fns, easy_setopt) },
		{ "curl_easy_perform", offsetof(struct curl_fns, easy_perform) },
		{ "curl_easy_getinfo", offsetof(struct curl_fns, easy_getinfo) },
		{ "curl_easy_reset", offsetof(struct curl_fns, easy_reset) },
		{ "curl_easy_cleanup", offsetof(struct curl_fns, easy_cleanup) },
		{ "curl_easy_strerror", offsetof(struct curl_fns, easy_strerror) },
		{ "curl_slist_append", offsetof(struct curl_fns, slist_append) },
		{ "curl_slist_free_all", offsetof(struct curl_fns, slist_free_all) },
	};
	CURLcode (*global_init)(long flags);
	void *lib;

	if (load_result <= 0) {
		if (load_result < 0)
			snprintf(err, errlen, "libcurl.so.4 could not be loaded earlier");
		return load_result;
	}
	load_result = -ENOPKG;
	/* Never unloaded: libcurl's global state lives for the whole process. */
	lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(err, errlen, "cannot load libcurl.so.4 (install libcurl4): %s", dlerror());
		return load_result;
	}
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		void *sym = dlsym(lib, symbols[i].name);

		if (!sym) {
			snprintf(err, errlen, "libcurl.so.4 lacks %s", symbols[i].name);
			return load_result;
		}
		*(void **)((char *)&curl_fns + symbols[i].offset) = sym;
	}
	*(void **)&global_init = dlsym(lib, "curl_global_init");
	if (!global_init || global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "curl_global_init failed");
		return load_result;
	}
	load_result = 0;
	return 0;
}
