/* SPDX-License-Identifier: MIT */
/*
 * WireGuard generic netlink (<linux/wireguard.h>): set and read a device.
 * Builders and parsers are pure; wgnl_open/set/get are thin I/O on top.
 * Nothing here logs.
 */
#ifndef WGAGENT_WGNL_H
#define WGAGENT_WGNL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/*
 * A SET message is at most min(page size, 8192) bytes, as wg(8) sends them;
 * WG_SET_BUF_SIZE is the upper bound, for buffers.
 */
#define WG_SET_BUF_SIZE 8192
size_t wgnl_set_msg_max(void);
#define WG_SET_MSG_MAX (wgnl_set_msg_max())

/* How often a dump flagged NLM_F_DUMP_INTR is restarted before giving up with -EAGAIN. */
#define WGNL_DUMP_RETRIES 8

struct wgnl;

/*
 * Opens a genetlink socket and resolves the "wireguard" family. Returns 0,
 * -EPROTONOSUPPORT if the kernel has no such family (module not loaded and
 * not loadable), or -errno.
 */
int wgnl_open(struct wgnl **ret);
void wgnl_close(struct wgnl *nl); /* NULL ok */

/*
 * Sends cfg in as many SET messages as needed (each ACKed), split the way
 * wg(8) does. Only the first carries the device attributes and cfg->flags.
 * Not atomic: if a later message fails, the earlier ones stay applied.
 * Returns 0 or -errno (the kernel's: -ENODEV, -EOPNOTSUPP if not WireGuard, ...).
 */
int wgnl_set_device(struct wgnl *nl, const struct wg_config *cfg);

/* What went to the kernel: messages, bytes, peer nests, attributes (nested ones included). */
struct wgnl_stats {
	size_t messages;
	size_t bytes;
	size_t peers;
	size_t attributes;
};

/* wgnl_set_device() that also adds what it sent to *stats (may be NULL). */
int wgnl_set_device_stats(struct wgnl *nl, const struct wg_config *cfg, struct wgnl_stats *stats);

/* Pure: adds one built SET message (from wgnl_build_set_device()) to *st. */
void wgnl_count_set_message(const void *buf, size_t len, struct wgnl_stats *st);

/*
 * Reads a device: ifindex, ifname, keys, port, fwmark, peers with their
 * allowed IPs in kernel order. Retries inconsistent dumps, then -EAGAIN.
 * Returns 0, -ENODEV, -EOPNOTSUPP (not a WireGuard device), or -errno.
 * Free *ret with config_free().
 */
int wgnl_get_device(struct wgnl *nl, const char *ifname, struct wg_config **ret);

/* Pure builders and parsers. */

/* Where wgnl_build_set_device() goes on with the next message. Start zeroed. */
struct wgnl_cursor {
	size_t peer;	   /* next peer to send */
	size_t allowed_ip; /* next allowed IP of that peer */
	bool started;	   /* the first message (device attributes) is built */
	bool peer_open;	   /* that peer's first chunk went out already */
};

/*
 * Builds the next SET message into buf (len bytes at most; use
 * WG_SET_MSG_MAX). Returns its length, 0 once everything has been built,
 * -EMSGSIZE if not even one item fits, -EINVAL for a bad ifname or address
 * family. The private key is clamped in the message. A peer whose allowed
 * IPs don't fit goes on in the next message with its public key, its flags
 * minus REPLACE_ALLOWEDIPS (if any are left) and the remaining allowed IPs.
 */
int wgnl_build_set_device(void *buf, size_t len, uint16_t family, uint32_t seq,
			  const struct wg_config *cfg, struct wgnl_cursor *cur);

/* NLM_F_DUMP request for one device. Returns the length or -EMSGSIZE / -EINVAL. */
int wgnl_build_get_device(void *buf, size_t len, uint16_t family, uint32_t seq,
			  const char *ifname);

/* CTRL_CMD_GETFAMILY for "wireguard". Returns the length or -EMSGSIZE. */
int wgnl_build_get_family(void *buf, size_t len, uint32_t seq);

/*
 * Feeds one recv() worth of a GETFAMILY reply. *family must start at 0 and
 * is set when the family message is seen. Returns 1 = need more, 0 = done
 * (ACK; *family != 0 unless the kernel misbehaved), -EPROTONOSUPPORT if
 * there is no such family, -EBADMSG or -errno.
 */
int wgnl_parse_family(const void *buf, size_t len, uint32_t seq, uint32_t portid,
		      uint16_t *family);

/*
 * Feeds one recv() worth of a GET_DEVICE dump into dev, which must start
 * zeroed and be filled by nothing else (its arrays grow in powers of two).
 * A peer continued in the next message (same public key as the last peer) is
 * merged. Returns 1 = need more, 0 = done (NLMSG_DONE), -EINTR on
 * NLM_F_DUMP_INTR (start over with a fresh dev), -EBADMSG for malformed
 * input, -ENOMEM, or the kernel's -errno. Every nlmsg_len is checked first.
 * On error, dev is partly filled: config_free() it.
 */
int wgnl_parse_dump(const void *buf, size_t len, uint32_t seq, uint32_t portid,
		    struct wg_config *dev);

#endif
