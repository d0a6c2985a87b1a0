// SPDX-License-Identifier: MIT
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "progress.h"

#define PROGRESS_INTERVAL_MS 200
#define BAR_WIDTH 24

const char *format_bytes(uint64_t n, char buf[static 32])
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	int u = -1;

	if (n < 1024) {
		snprintf(buf, 32, "%" PRIu64 " B", n);
		return buf;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(buf, 32, "%.1f %s", v, units[u]);
	return buf;
}

void progress_start(struct progress *p, FILE *out, bool enabled, const char *label, uint64_t total)
{
	*p = (struct progress){.out = out, .enabled = enabled, .label = label, .total = total};
	p->start_ms = http_now_ms();
}

void progress_update(struct progress *p, uint64_t done)
{
	long long now = http_now_ms(), elapsed;
	char bar[BAR_WIDTH + 1], a[32], b[32], rate[32], eta[32] = "--:--";
	unsigned fill;
	double bps;

	if (!p->enabled ||
	    (p->drawn && now - p->last_draw_ms < PROGRESS_INTERVAL_MS && done < p->total))
		return;
	elapsed = now - p->start_ms;
	fill = p->total ? (unsigned)(done * BAR_WIDTH / p->total) : BAR_WIDTH;
	memset(bar, '#', fill > BAR_WIDTH ? BAR_WIDTH : fill);
	memset(bar + (fill > BAR_WIDTH ? BAR_WIDTH : fill), ' ',
	       BAR_WIDTH - (fill > BAR_WIDTH ? BAR_WIDTH : fill));
	bar[BAR_WIDTH] = '\0';
	bps = elapsed > 0 ? (double)done * 1000.0 / (double)elapsed : 0;
	if (bps > 0 && done < p->total) {
		unsigned long long s = (unsigned long long)((double)(p->total - done) / bps);

		snprintf(eta, sizeof(eta), "%llu:%02llu", s / 60, s % 60);
	} else if (done >= p->total) {
		snprintf(eta, sizeof(eta), "0:00");
	}
	fprintf(p->out, "\r%s [%s] %s / %s  %s/s  ETA %s\033[K", p->label, bar,
		format_bytes(done, a), format_bytes(p->total, b), format_bytes((uint64_t)bps, rate),
		eta);
	fflush(p->out);
	p->drawn = true;
	p->last_draw_ms = now;
}

void progress_end(struct progress *p)
{
	if (p->enabled && p->drawn) {
		fputs("\r\033[K", p->out);
		fflush(p->out);
	}
	p->drawn = false;
}
