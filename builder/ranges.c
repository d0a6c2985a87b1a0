// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ranges.h"

void extents_free(struct extents *e)
{
	free(e->v);
	*e = (struct extents){0};
}

int extents_push(struct extents *e, uint64_t off, uint64_t len)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 64;
		struct extent *v = reallocarray(e->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		e->v = v;
		e->cap = cap;
	}
	e->v[e->n++] = (struct extent){.off = off, .len = len};
	return 0;
}

int extents_add(struct extents *e, uint64_t off, uint64_t len)
{
	if (len == 0)
		return 0;
	if (e->n > 0 && e->v[e->n - 1].off + e->v[e->n - 1].len == off) {
		e->v[e->n - 1].len += len;
		return 0;
	}
	return extents_push(e, off, len);
}

static int cmp_extent(const void *a, const void *b)
{
	const struct extent *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->len < y->len ? -1 : x->len > y->len;
}

void extents_normalize(struct extents *e)
{
	size_t w = 0;

	if (e->n == 0)
		return;
	qsort(e->v, e->n, sizeof(*e->v), cmp_extent);
	for (size_t i = 1; i < e->n; i++) {
		struct extent *last = &e->v[w];
		uint64_t end = last->off + last->len;

		if (e->v[i].off <= end) {
			uint64_t new_end = e->v[i].off + e->v[i].len;

			if (new_end > end)
				last->len = new_end - last->off;
		} else {
			e->v[++w] = e->v[i];
		}
	}
	e->n = w + 1;
}

uint64_t extents_bytes(const struct extents *e)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < e->n; i++)
		sum += e->v[i].len;
	return sum;
}

bool extents_equal(const struct extents *a, const struct extents *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].off != b->v[i].off || a->v[i].len != b->v[i].len)
			return false;
	return true;
}

/* Index of the last extent starting at or before off, or -1. */
static long find_le(const struct extents *e, uint64_t off)
{
	size_t lo = 0, hi = e->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e->v[mid].off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

bool extents_cover(const struct extents *e, uint64_t off, uint64_t len)
{
	long i = find_le(e, off);

	return i >= 0 && off + len <= e->v[i].off + e->v[i].len;
}

bool extents_overlap(const struct extents *e, uint64_t off, uint64_t len)
{
	long i = find_le(e, off);

	if (len == 0)
		return false;
	if (i >= 0 && e->v[i].off + e->v[i].len > off)
		return true;
	return (size_t)(i + 1) < e->n && e->v[i + 1].off < off + len;
}

int ranges_plan(const struct extents *data, uint64_t max_req, uint64_t max_gap, uint64_t gap_budget,
		struct extents *ret)
{
	struct extents out = {0};
	uint64_t cur_off = 0, cur_end = 0;
	bool open = false;
	int r;

	if (max_req == 0 || max_req % PAGE_SIZE_BLOB || max_req > PUT_PAGE_MAX)
		return -EINVAL;
	for (size_t i = 0; i < data->n; i++) {
		uint64_t off = data->v[i].off, end = off + data->v[i].len;

		if (off % PAGE_SIZE_BLOB || end % PAGE_SIZE_BLOB || (open && off < cur_end)) {
			extents_free(&out);
			return -EINVAL;
		}
		while (off < end) {
			/* Requests stay inside one max_req-aligned window: a stable plan. */
			uint64_t window_end = (off / max_req + 1) * max_req;
			uint64_t piece_end = end < window_end ? end : window_end;

			if (open && off / max_req == (cur_end - 1) / max_req &&
			    off - cur_end <= max_gap && off - cur_end <= gap_budget) {
				gap_budget -= off - cur_end;
				cur_end = piece_end;
			} else {
				if (open) {
					r = extents_push(&out, cur_off, cur_end - cur_off);
					if (r < 0)
						goto fail;
				}
				cur_off = off;
				cur_end = piece_end;
				open = true;
			}
			off = piece_end;
		}
	}
	if (open) {
		r = extents_push(&out, cur_off, cur_end - cur_off);
		if (r < 0)
			goto fail;
	}
	*ret = out;
	return 0;
fail:
	extents_free(&out);
	return r;
}

/* Finds <tag>digits</tag> at or after p, before limit; returns a pointer past it. */
static const char *parse_number_elem(const char *p, const char *limit, const char *tag,
				     uint64_t *ret)
{
	char open[32], close[32];
	const char *s, *e;
	uint64_t v = 0;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	s = memmem(p, (size_t)(limit - p), open, strlen(open));
	if (!s)
		return NULL;
	s += strlen(open);
	e = memmem(s, (size_t)(limit - s), close, strlen(close));
	if (!e || e == s)
		return NULL;
	for (const char *c = s; c < e; c++) {
		if (*c < '0' || *c > '9' || v > (UINT64_MAX - 9) / 10)
			return NULL;
		v = v * 10 + (uint64_t)(*c - '0');
	}
	*ret = v;
	return e + strlen(close);
}

int page_ranges_parse(const char *xml, size_t len, struct extents *ret, char **ret_marker)
{
	struct extents out = {0};
	const char *p = xml, *limit = xml + len, *marker;
	char *next = NULL;
	int r = -EBADMSG;

	if (!memmem(xml, len, "<PageList", 9))
		return -EBADMSG;
	for (;;) {
		const char *pr = memmem(p, (size_t)(limit - p), "<PageRange>", 11);
		const char *pr_end;
		uint64_t start, end;

		if (!pr)
			break;
		pr_end = memmem(pr, (size_t)(limit - pr), "</PageRange>", 12);
		if (!pr_end)
			goto fail;
		if (!parse_number_elem(pr, pr_end, "Start", &start) ||
		    !parse_number_elem(pr, pr_end, "End", &end) || end < start ||
		    start % PAGE_SIZE_BLOB || (end + 1) % PAGE_SIZE_BLOB)
			goto fail;
		r = extents_add(&out, start, end - start + 1);
		if (r < 0)
			goto fail;
		r = -EBADMSG;
		p = pr_end + 12;
	}
	marker = memmem(xml, len, "<NextMarker>", 12);
	if (marker) {
		const char *m_end;

		marker += 12;
		m_end = memmem(marker, (size_t)(limit - marker), "</NextMarker>", 13);
		if (!m_end)
			goto fail;
		if (m_end > marker) {
			next = strndup(marker, (size_t)(m_end - marker));
			if (!next) {
				r = -ENOMEM;
				goto fail;
			}
		}
	}
	extents_normalize(&out);
	*ret = out;
	*ret_marker = next;
	return 0;
fail:
	extents_free(&out);
	return r;
}

int extents_subtract(const struct extents *a, const struct extents *b, struct extents *ret)
{
	struct extents out = {0};
	size_t j = 0;
	int r;

	for (size_t i = 0; i < a->n; i++) {
		uint64_t off = a->v[i].off, end = off + a->v[i].len;

		/* b is normalized and a ascends, so j never goes back. */
		while (j < b->n && b->v[j].off + b->v[j].len <= off)
			j++;
		for (size_t k = j; k < b->n && b->v[k].off < end && off < end; k++) {
			if (b->v[k].off > off) {
				r = extents_push(&out, off, b->v[k].off - off);
				if (r < 0)
					goto fail;
			}
			if (b->v[k].off + b->v[k].len > off)
				off = b->v[k].off + b->v[k].len;
		}
		if (off < end) {
			r = extents_push(&out, off, end - off);
			if (r < 0)
				goto fail;
		}
	}
	*ret = out;
	return 0;
fail:
	extents_free(&out);
	return r;
}
