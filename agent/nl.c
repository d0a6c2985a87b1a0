// SPDX-License-Identifier: MIT
#include <errno.h>
#include <limits.h>
#include <stdalign.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>

#include "key.h"
#include "nl.h"

/* Errors in NLMSG_ERROR and NLMSG_DONE are -errno; the kernel never goes past this. */
#define NL_MAX_ERRNO 4095

bool nl_msg_lengths_valid(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	/* Headers are read in place, so they must be aligned. */
	if (!buf || len == 0 || len > INT_MAX || (uintptr_t)buf % alignof(struct nlmsghdr))
		return false;
	while (len > 0) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)p;
		size_t n;

		if (len < sizeof(*nlh))
			return false;
		n = nlh->nlmsg_len;
		if (n < sizeof(*nlh) || n > len || n > INT_MAX)
			return false;
		n = NLMSG_ALIGN(n);
		if (n >= len)
			break; /* the last message may lack its padding */
		p += n;
		len -= n;
	}
	return true;
}

/* Only on a buffer that passed nl_msg_lengths_valid(). */
static const struct nlmsghdr *msg_next(const struct nlmsghdr *nlh, size_t *rem)
{
	size_t n = NLMSG_ALIGN(nlh->nlmsg_len);

	if (n >= *rem) {
		*rem = 0;
		return NULL;
	}
	*rem -= n;
	return (const struct nlmsghdr *)((const uint8_t *)nlh + n);
}

static bool msg_is_ours(const struct nlmsghdr *nlh, uint32_t seq, uint32_t portid)
{
	if (seq != 0 && nlh->nlmsg_seq != seq)
		return false; /* a late reply to an earlier request: skip it, as iproute2 does */
	return portid == 0 || nlh->nlmsg_pid == 0 || nlh->nlmsg_pid == portid;
}

static int msg_error(const struct nlmsghdr *nlh)
{
	struct nlmsgerr err;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(err))
		return -EBADMSG;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err.error > 0 || err.error < -NL_MAX_ERRNO)
		return -EBADMSG;
	return err.error;
}

static int msg_done(const struct nlmsghdr *nlh)
{
	int error;

	/* Dumps end with the dump callback's result; older kernels may send no payload. */
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(error))
		return 0;
	memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof(error));
	if (error < -NL_MAX_ERRNO)
		return -EBADMSG;
	return error < 0 ? error : 0;
}

int nl_parse_reply(const void *buf, size_t len, uint32_t seq, uint32_t portid, nl_msg_fn fn,
		   void *data)
{
	const struct nlmsghdr *nlh;
	size_t rem = len;
	int r;

	if (!nl_msg_lengths_valid(buf, len))
		return -EBADMSG;
	for (nlh = buf; nlh; nlh = msg_next(nlh, &rem)) {
		if (!msg_is_ours(nlh, seq, portid))
			continue;
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			return -EINTR;
		switch (nlh->nlmsg_type) {
		case NLMSG_ERROR:
			return msg_error(nlh); /* 0 = ACK */
		case NLMSG_DONE:
			return msg_done(nlh);
		default:
			if (nlh->nlmsg_type < NLMSG_MIN_TYPE || !fn)
				break; /* NLMSG_NOOP, NLMSG_OVERRUN */
			r = fn(nlh, data);
			if (r < 0)
				return r;
		}
	}
	return 1;
}

int nl_check_reply(const void *buf, size_t len, uint32_t seq, uint32_t portid)
{
	int r = nl_parse_reply(buf, len, seq, portid, NULL, NULL);

	return r == 1 ? -EAGAIN : r;
}

/* Does this batch end the exchange? Malformed input counts as an end: we can't resync. */
static bool reply_has_end(const void *buf, size_t len, uint32_t seq, uint32_t portid)
{
	const struct nlmsghdr *nlh;
	size_t rem = len;

	if (!nl_msg_lengths_valid(buf, len))
		return true;
	for (nlh = buf; nlh; nlh = msg_next(nlh, &rem))
		if (msg_is_ours(nlh, seq, portid) &&
		    (nlh->nlmsg_type == NLMSG_ERROR || nlh->nlmsg_type == NLMSG_DONE))
			return true;
	return false;
}

int nl_sock_open(struct nl_sock *s, int bus)
{
	struct mnl_socket *mnl;
	int one = 1, r;

	mnl = mnl_socket_open2(bus, SOCK_CLOEXEC);
	if (!mnl)
		return -errno;
	/* Error replies then don't echo our request back, private keys included. */
	(void)mnl_socket_setsockopt(mnl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(mnl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		mnl_socket_close(mnl);
		return r;
	}
	*s = (struct nl_sock){
		.mnl = mnl,
		.portid = mnl_socket_get_portid(mnl),
		.seq = (uint32_t)time(NULL),
	};
	return 0;
}

void nl_sock_close(struct nl_sock *s)
{
	if (s && s->mnl) {
		mnl_socket_close(s->mnl);
		s->mnl = NULL;
	}
}

uint32_t nl_sock_next_seq(struct nl_sock *s)
{
	if (++s->seq == 0)
		s->seq = 1; /* 0 would match any reply */
	return s->seq;
}

static ssize_t recv_batch(struct nl_sock *s, void *buf, size_t len)
{
	ssize_t n;

	do
		n = mnl_socket_recvfrom(s->mnl, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

int nl_transact(struct nl_sock *s, const void *req, size_t len, nl_msg_fn fn, void *data)
{
	alignas(struct nlmsghdr) uint8_t buf[NL_BUF_SIZE];
	const struct nlmsghdr *nlh = req;
	bool end = false;
	uint32_t seq;
	ssize_t n;
	int r;

	if (len < sizeof(*nlh) || nlh->nlmsg_len != len)
		return -EINVAL;
	seq = nlh->nlmsg_seq;
	n = mnl_socket_sendto(s->mnl, req, len);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	do {
		n = recv_batch(s, buf, sizeof(buf));
		if (n < 0)
			return (int)n;
		r = nl_parse_reply(buf, (size_t)n, seq, s->portid, fn, data);
		if (r < 0)
			end = reply_has_end(buf, (size_t)n, seq, s->portid);
		secret_wipe(buf, (size_t)n);
	} while (r == 1);

	/* Read the rest of an abandoned reply: a dump left running makes the next one -EBUSY. */
	while (r < 0 && !end) {
		n = recv_batch(s, buf, sizeof(buf));
		if (n < 0)
			break;
		end = reply_has_end(buf, (size_t)n, seq, s->portid);
		secret_wipe(buf, (size_t)n);
	}
	return r;
}
