/* SPDX-License-Identifier: MIT */
/*
 * Telling the world the VM's public key once the interface is configured:
 * RUN_DIR/IFNAME.pub, one line on the kernel log (the serial console that
 * Azure boot diagnostics shows), and optionally an HTTPS POST of a JSON
 * payload (agent/CONFIG.md, "Report") with the IMDS attested document.
 * Never a private key.
 */
#ifndef WGAGENT_REPORT_H
#define WGAGENT_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "identity.h"

#define DEFAULT_RUN_DIR "/run/wgagent"
#define REPORT_PAYLOAD_VERSION 1

struct report {
	const char *ifname;
	struct wg_key public_key;
	uint16_t listen_port;
	const char *source; /* where the configuration came from */
	struct identity id;
	bool key_rotated;
	size_t n_peers;
	uint64_t since_boot_ms;	       /* /proc/uptime when the interface was configured */
	uint64_t since_agent_start_ms; /* from the agent's start to the same moment */
	const char *attested_json;     /* IMDS attested document as sent, or NULL */
	const char *nonce;	       /* the nonce asked for in it, or NULL */
};

/* Pure: the JSON payload (free it). NULL on OOM or if attested_json is not JSON. */
char *report_payload(const struct report *r);
/* Pure: the console line, without a newline. */
void report_console_line(const struct report *r, char *buf, size_t len);

/* Writes RUN_DIR/IFNAME.pub (0644, atomically). Logs. Returns 0 or -errno. */
int report_write_pub(const char *run_dir, const struct report *r);
/* One line to /dev/kmsg (or path); silently nothing if it can't be opened. */
void report_kmsg(const char *path, const struct report *r);
/*
 * POSTs the payload to url (https only, unless allow_http for tests).
 * Retries 429/5xx/transport errors a few times with backoff. Logs once.
 */
int report_post(const char *url, bool allow_http, const char *payload);

/* Milliseconds since boot (/proc/uptime, CLOCK_BOOTTIME) and on CLOCK_MONOTONIC. */
uint64_t report_uptime_ms(void);
uint64_t report_monotonic_ms(void);

#endif
