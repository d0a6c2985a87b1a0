// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"

#include "bakeutil.h"

void strv_free(char **v)
{
	if (!v)
		return;
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

int shadow_lock_root(const char *in, char **ret_out, bool *ret_changed)
{
	size_t len = strlen(in);
	char *out = malloc(len + 3), *o = out;
	const char *p = in;
	bool found = false, changed = false;

	if (!out)
		return -ENOMEM;
	while (*p) {
		const char *eol = strchrnul(p, '\n');
		size_t n = (size_t)(eol - p) + (*eol ? 1 : 0);

		if (!found && strncmp(p, "root:", 5) == 0) {
			const char *pw = p + 5, *end = strchrnul(pw, ':');

			found = true;
			if (end > eol)
				end = eol;
			memcpy(o, p, 5);
			o += 5;
			if (pw < end && *pw == '!') {
				/* already locked */
			} else if (pw == end || (end - pw == 1 && *pw == '*')) {
				memcpy(o, "!*", 2);
				o += 2;
				pw = end;
				changed = true;
			} else {
				*o++ = '!';
				changed = true;
			}
			memcpy(o, pw, n - (size_t)(pw - p));
			o += n - (size_t)(pw - p);
		} else {
			memcpy(o, p, n);
			o += n;
		}
		p += n;
	}
	*o = '\0';
	if (!found) {
		free(out);
		return -EBADMSG;
	}
	*ret_out = out;
	*ret_changed = changed;
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int unit_wanted_by(const char *unit_text, char ***ret)
{
	_cleanup_free_ char *copy = strdup(unit_text);
	char **v = NULL, *line, *save = NULL;
	bool install = false;
	size_t n = 0;

	if (!copy)
		return -ENOMEM;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *l = trim(line), *tok, *save2 = NULL;

		if (*l == '[') {
			install = strcmp(l, "[Install]") == 0;
			continue;
		}
		if (!install || strncmp(l, "WantedBy=", 9) != 0)
			continue;
		for (tok = strtok_r(l + 9, " \t", &save2); tok;
		     tok = strtok_r(NULL, " \t", &save2)) {
			char **nv = realloc(v, (n + 2) * sizeof(*v));

			if (!nv) {
				strv_free(v);
				return -ENOMEM;
			}
			v = nv;
			v[n] = strdup(tok);
			v[n + 1] = NULL;
			if (!v[n]) {
				strv_free(v);
				return -ENOMEM;
			}
			n++;
		}
	}
	if (n == 0)
		return -EBADMSG;
	*ret = v;
	return 0;
}

static int cmp_pkg(const void *a, const void *b)
{
	return strcmp(((const struct pkg *)a)->name, ((const struct pkg *)b)->name);
}

void pkg_list_free(struct pkg_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].version);
	}
	free(l->v);
	*l = (struct pkg_list){0};
}

int pkg_list_parse(const char *text, struct pkg_list *ret)
{
	_cleanup_free_ char *copy = strdup(text);
	struct pkg_list l = {0};
	char *line, *save = NULL;
	size_t cap = 0;

	if (!copy)
		return -ENOMEM;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *name = line, *ver = strchr(line, '\t'), *status = NULL;

		if (!ver) {
			pkg_list_free(&l);
			return -EBADMSG;
		}
		*ver++ = '\0';
		status = strchr(ver, '\t');
		if (status) {
			*status++ = '\0';
			/* "ii " installed; "rc" removed with config left: not installed */
			if (status[0] != 'i' || status[1] != 'i')
				continue;
		}
		if (!*name || !*ver) {
			pkg_list_free(&l);
			return -EBADMSG;
		}
		if (l.n == cap) {
			struct pkg *nv = realloc(l.v, (cap ? cap * 2 : 256) * sizeof(*nv));

			if (!nv) {
				pkg_list_free(&l);
				return -ENOMEM;
			}
			l.v = nv;
			cap = cap ? cap * 2 : 256;
		}
		l.v[l.n].name = strdup(name);
		l.v[l.n].version = strdup(ver);
		if (!l.v[l.n].name || !l.v[l.n].version) {
			free(l.v[l.n].name);
			free(l.v[l.n].version);
			pkg_list_free(&l);
			return -ENOMEM;
		}
		l.n++;
	}
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), cmp_pkg);
	*ret = l;
	return 0;
}

const struct pkg *pkg_list_find(const struct pkg_list *l, const char *name)
{
	struct pkg key = {.name = (char *)name};

	if (!l->n)
		return NULL;
	return bsearch(&key, l->v, l->n, sizeof(*l->v), cmp_pkg);
}

int pkg_list_diff(const struct pkg_list *before, const struct pkg_list *after,
		  struct pkg_change **ret, size_t *ret_n)
{
	struct pkg_change *v = calloc(before->n + after->n + 1, sizeof(*v));
	size_t i = 0, j = 0, n = 0;

	if (!v)
		return -ENOMEM;
	while (i < before->n || j < after->n) {
		int c = i >= before->n	? 1
			: j >= after->n ? -1
					: strcmp(before->v[i].name, after->v[j].name);

		if (c < 0) {
			v[n++] = (struct pkg_change){before->v[i].name, before->v[i].version, NULL};
			i++;
		} else if (c > 0) {
			v[n++] = (struct pkg_change){after->v[j].name, NULL, after->v[j].version};
			j++;
		} else {
			if (strcmp(before->v[i].version, after->v[j].version) != 0)
				v[n++] = (struct pkg_change){after->v[j].name, before->v[i].version,
							     after->v[j].version};
			i++;
			j++;
		}
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

bool cmdline_has_serial_console(const char *line)
{
	const char *p = line;

	while ((p = strstr(p, "console="))) {
		if ((p == line || isspace((unsigned char)p[-1])) &&
		    (strncmp(p + 8, "ttyS", 4) == 0 || strncmp(p + 8, "ttyAMA", 6) == 0))
			return true;
		p += 8;
	}
	return false;
}

/* Calls fn on each line's first words; stops when fn says so. */
static bool any_line(const char *text, bool (*fn)(char **w, size_t n, const void *arg),
		     const void *arg)
{
	const char *p = text;

	while (*p) {
		const char *eol = strchrnul(p, '\n');
		char line[1024], *words[8], *save = NULL, *t;
		size_t n = 0, len = (size_t)(eol - p);

		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		t = strchr(line, '#');
		if (t)
			*t = '\0';
		for (t = strtok_r(line, " \t", &save); t && n < ELEMENTSOF(words);
		     t = strtok_r(NULL, " \t", &save))
			words[n++] = t;
		if (n && fn(words, n, arg))
			return true;
		p = *eol ? eol + 1 : eol;
	}
	return false;
}

static bool blocks_line(char **w, size_t n, const void *arg)
{
	const char *mod = arg;

	if (n >= 2 && strcmp(w[0], "blacklist") == 0 && strcmp(w[1], mod) == 0)
		return true;
	if (n >= 3 && strcmp(w[0], "install") == 0 && strcmp(w[1], mod) == 0 &&
	    (strcmp(w[2], "/bin/false") == 0 || strcmp(w[2], "/bin/true") == 0 ||
	     strcmp(w[2], "/usr/bin/false") == 0 || strcmp(w[2], "/usr/bin/true") == 0 ||
	     strcmp(w[2], "false") == 0 || strcmp(w[2], "true") == 0))
		return true;
	return false;
}

bool modprobe_blocks(const char *text, const char *mod)
{
	return any_line(text, blocks_line, mod);
}

static bool swap_line(char **w, size_t n, const void *arg)
{
	(void)arg;
	return n >= 3 && strcmp(w[2], "swap") == 0;
}

bool fstab_has_swap(const char *text)
{
	return any_line(text, swap_line, NULL);
}

bool text_has_private_key(const char *text)
{
	return strstr(text, "PrivateKey") || strstr(text, "private_key") ||
	       strstr(text, "PRIVATE KEY");
}
