/* SPDX-License-Identifier: MIT */
/*
 * Netlink plumbing shared by wgnl (WireGuard genetlink) and rtnl
 * (rtnetlink): reply validation, which is pure, and one blocking
 * request/reply exchange on a libmnl socket. Nothing here logs.
 */
#ifndef WGAGENT_NL_H
#define WGAGENT_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>

/* Receive buffer: the kernel sizes dump messages up to 32 KiB. */
#define NL_BUF_SIZE 32768

struct mnl_socket;

struct nl_sock {
	struct mnl_socket *mnl;
	uint32_t portid;
	uint32_t seq;
};

/* Called for every data message (type >= NLMSG_MIN_TYPE) answering our request. */
typedef int (*nl_msg_fn)(const struct nlmsghdr *nlh, void *data);

/*
 * True if buf holds one or more whole netlink messages: every nlmsg_len is at
 * least a header, at most the bytes left and at most INT_MAX, and no bytes
 * trail the last message. libmnl 1.0.4 doesn't check the INT_MAX part.
 */
bool nl_msg_lengths_valid(const void *buf, size_t len);

/*
 * Feeds one recv() worth of replies to our request (seq, portid; a portid of 0
 * matches any). Messages for other requests are skipped. Returns 1 if more
 * must be read, 0 on the ACK or NLMSG_DONE, -EINTR if the kernel flagged a dump
 * as inconsistent (NLM_F_DUMP_INTR), the kernel's -errno from NLMSG_ERROR (or
 * NLMSG_DONE), -EBADMSG for malformed input, or what fn returned if negative.
 * fn may be NULL.
 */
int nl_parse_reply(const void *buf, size_t len, uint32_t seq, uint32_t portid, nl_msg_fn fn,
		   void *data);

/* Like nl_parse_reply() for a request answered by an ACK only: -EAGAIN = keep reading. */
int nl_check_reply(const void *buf, size_t len, uint32_t seq, uint32_t portid);

/* Opens and binds a netlink socket (SOCK_CLOEXEC, NETLINK_CAP_ACK). Returns 0 or -errno. */
int nl_sock_open(struct nl_sock *s, int bus);
void nl_sock_close(struct nl_sock *s);
/* The sequence number for the next request; never 0. */
uint32_t nl_sock_next_seq(struct nl_sock *s);

/*
 * Sends one request (its nlmsg_seq names the exchange) and reads replies until
 * the ACK, NLMSG_DONE or an error, calling fn for each data message. After an
 * early error it still reads up to the end, so a dump never stays half-read
 * on the socket. Received bytes are wiped (they may carry keys). Returns 0 or
 * -errno as nl_parse_reply() does.
 */
int nl_transact(struct nl_sock *s, const void *req, size_t len, nl_msg_fn fn, void *data);

#endif
