/* SPDX-License-Identifier: MIT */
#ifndef WGBAKE_PROGRESS_H
#define WGBAKE_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* A one-line progress bar (bytes, rate, ETA) for a terminal; silent otherwise. */
struct progress {
	FILE *out;
	bool enabled;
	const char *label;
	uint64_t total;
	long long start_ms;
	long long last_draw_ms;
	bool drawn;
};

void progress_start(struct progress *p, FILE *out, bool enabled, const char *label, uint64_t total);
void progress_update(struct progress *p, uint64_t done);
/* Clears the bar so that the summary line starts on a clean line. */
void progress_end(struct progress *p);
/* "1.5 GiB", "300.0 MiB", "512 B": buf needs 32 bytes. */
const char *format_bytes(uint64_t n, char buf[static 32]);

#endif
