/* SPDX-License-Identifier: MIT */
#ifndef WGBAKE_RANGES_H
#define WGBAKE_RANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Byte ranges of a disk or blob, and how they become Put Page requests. Pure code. */
#define PAGE_SIZE_BLOB 512
#define PUT_PAGE_MAX (4u * 1024 * 1024)

struct extent {
	uint64_t off;
	uint64_t len;
};

struct extents {
	struct extent *v;
	size_t n;
	size_t cap;
};

void extents_free(struct extents *e);
/* Appends as a separate extent, even when it touches the last one. */
int extents_push(struct extents *e, uint64_t off, uint64_t len);
/* Appends, merging with the last extent when they touch. Extents must come in order. */
int extents_add(struct extents *e, uint64_t off, uint64_t len);
/* Sorts and merges overlapping or touching extents. */
void extents_normalize(struct extents *e);
uint64_t extents_bytes(const struct extents *e);
bool extents_equal(const struct extents *a, const struct extents *b);
/* True if [off, off+len) lies inside one extent of a normalized list. */
bool extents_cover(const struct extents *e, uint64_t off, uint64_t len);
/* True if [off, off+len) overlaps any extent of a normalized list. */
bool extents_overlap(const struct extents *e, uint64_t off, uint64_t len);

/*
 * The parts of each extent of a (ascending, disjoint) that no extent of b (normalized)
 * covers, each part a separate extent: what is left to send of a plan.
 */
int extents_subtract(const struct extents *a, const struct extents *b, struct extents *ret);

/*
 * Turns sorted, page-aligned data extents into Put Page requests of at most max_req bytes
 * (a multiple of 512, at most PUT_PAGE_MAX). Two extents are joined across a hole of at
 * most max_gap bytes while the zeros so added stay within gap_budget in total: fewer
 * requests for fragmented data, at a bounded cost in bytes. Requests never cross a
 * multiple of max_req, so that the plan of an image is the same on every run.
 */
int ranges_plan(const struct extents *data, uint64_t max_req, uint64_t max_gap, uint64_t gap_budget,
		struct extents *ret);

/*
 * Parses Get Page Ranges' XML into ret (PageRange elements only; End is inclusive there,
 * exclusive here). *ret_marker gets a copy of a non-empty NextMarker, else NULL.
 * -EBADMSG on malformed input.
 */
int page_ranges_parse(const char *xml, size_t len, struct extents *ret, char **ret_marker);

#endif
