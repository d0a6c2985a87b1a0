// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for what comes back from the kernel over genetlink:
 * wgnl_parse_dump() (GET_DEVICE dumps), wgnl_parse_family() and
 * nl_check_reply(), on arbitrary bytes.
 *
 *   clang -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *	-Icommon -Iagent tests/fuzz/fuzz-wgnl-dump.c AGENT_SRCS COMMON_SRCS \
 *	$(pkg-config --cflags --libs libmnl libsodium json-c)
 *   mkdir -p new; ./fuzz-wgnl-dump -max_total_time=60 new tests/fuzz/corpus/wgnl-dump
 *
 * (AGENT_SRCS without main.c: config_free() lives in config.c, which pulls in
 * the config parsers. The first directory receives new inputs; keep the
 * committed corpus second so it stays as generated.)
 *
 * Built with -DWGNL_DUMP_SEEDS (and without -fsanitize=fuzzer) it is instead a
 * program that writes the seed corpus, from wgnl_build_set_device() output
 * turned into dump replies: `./gen tests/fuzz/corpus/wgnl-dump`.
 */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>

#include "config.h"
#include "key.h"
#include "nl.h"
#include "wgnl.h"

#define SEQ 1
/* Any genetlink family id; the parser doesn't care which. */
#define SEED_FAMILY 0x1c

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* One recv() is at most NL_BUF_SIZE; the kernel's buffers are aligned, so copy. */
	static alignas(struct nlmsghdr) uint8_t buf[NL_BUF_SIZE];
	struct wg_config *dev;
	uint16_t family = 0;
	int r;

	if (size > sizeof(buf))
		return -1;
	memcpy(buf, data, size);

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return 0;
	r = wgnl_parse_dump(buf, size, SEQ, 0, dev);
	/* "Need more": feed the same bytes again, which exercises merging a continued peer. */
	if (r == 1)
		(void)wgnl_parse_dump(buf, size, SEQ, 0, dev);
	config_free(dev);

	(void)wgnl_parse_family(buf, size, SEQ, 0, &family);
	(void)nl_check_reply(buf, size, SEQ, 0);
	return 0;
}

#ifdef WGNL_DUMP_SEEDS
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>

#include <libmnl/libmnl.h>

int main(int argc, char *argv[]);

static alignas(struct nlmsghdr) uint8_t out[NL_BUF_SIZE];
static size_t out_len;

static struct nlmsghdr *append(uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(out + out_len);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = SEQ;
	return nlh;
}

static void append_done(int error)
{
	struct nlmsghdr *nlh = append(NLMSG_DONE, NLM_F_MULTI);
	int *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

	*e = error;
	out_len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static void append_error(int error)
{
	struct nlmsghdr *nlh = append(NLMSG_ERROR, 0);
	struct nlmsgerr *err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));

	err->error = error;
	out_len += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* CTRL_CMD_GETFAMILY's answer */
static void append_family(void)
{
	struct nlmsghdr *nlh = append(GENL_ID_CTRL, 0);
	struct genlmsghdr *genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));

	genl->cmd = CTRL_CMD_NEWFAMILY;
	genl->version = 2;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, SEED_FAMILY);
	mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, WG_GENL_VERSION);
	out_len += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* SET messages have the dump's layout: make them GET_DEVICE replies. */
static int append_config(const struct wg_config *cfg, size_t msg_len, uint16_t extra_flags)
{
	struct wgnl_cursor cur = { 0 };
	int r;

	for (;;) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)(out + out_len);
		struct genlmsghdr *genl;

		if (out_len + msg_len > sizeof(out))
			return -ENOSPC;
		r = wgnl_build_set_device(nlh, msg_len, SEED_FAMILY, SEQ, cfg, &cur);
		if (r <= 0)
			return r;
		nlh->nlmsg_flags = NLM_F_MULTI | extra_flags;
		genl = mnl_nlmsg_get_payload(nlh);
		genl->cmd = WG_CMD_GET_DEVICE;
		out_len += NLMSG_ALIGN((size_t)r);
	}
}

static int write_seed(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	if (fwrite(out, 1, out_len, f) != out_len) {
		fclose(f);
		return -EIO;
	}
	out_len = 0;
	memset(out, 0, sizeof(out));
	return fclose(f) == 0 ? 0 : -errno;
}

static void fill_peer(struct wg_peer *p, struct ip_prefix *ips, size_t n_ips, unsigned seed)
{
	memset(p->public_key.b, (int)seed, sizeof(p->public_key.b));
	p->allowed_ips = ips;
	p->n_allowed_ips = n_ips;
	for (size_t j = 0; j < n_ips; j++) {
		ips[j] = (struct ip_prefix){ .family = j % 2 ? AF_INET6 : AF_INET };
		if (ips[j].family == AF_INET) {
			ips[j].addr.ip4.s_addr = htonl(0x0a000000u | (seed << 8) | (unsigned)j);
			ips[j].cidr = 32;
		} else {
			ips[j].addr.ip6.s6_addr[0] = 0xfd;
			ips[j].addr.ip6.s6_addr[15] = (uint8_t)j;
			ips[j].cidr = 64;
		}
	}
}

int main(int argc, char *argv[])
{
	static struct ip_prefix ips[4][40];
	struct wg_peer peers[4] = { 0 };
	struct wg_config cfg = { .ifname = "wg0" };
	int r = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return EXIT_FAILURE;
	}
	for (unsigned i = 0; i < 4; i++)
		fill_peer(&peers[i], ips[i], i == 1 ? 40 : 3, i + 1);
	memset(cfg.private_key.b, 0x42, sizeof(cfg.private_key.b));
	cfg.has_private_key = true;
	cfg.listen_port = 51820;
	cfg.has_listen_port = true;
	cfg.fwmark = 0xca6c;
	cfg.has_fwmark = true;
	memset(peers[0].preshared_key.b, 0x77, sizeof(peers[0].preshared_key.b));
	peers[0].has_preshared_key = true;
	peers[0].endpoint.addr.in.sin_family = AF_INET;
	peers[0].endpoint.addr.in.sin_port = htons(51820);
	peers[0].endpoint.addr.in.sin_addr.s_addr = htonl(0xc0000201);
	peers[2].endpoint.addr.in6.sin6_family = AF_INET6;
	peers[2].endpoint.addr.in6.sin6_port = htons(443);
	peers[2].persistent_keepalive = 25;
	peers[2].has_persistent_keepalive = true;
	cfg.peers = peers;
	cfg.n_peers = 4;

	/* A whole dump in one recv() */
	r = r ? r : append_config(&cfg, 4096, 0);
	append_done(0);
	r = r ? r : write_seed(argv[1], "one-recv");
	/* Small messages: peer 1's allowed IPs continue across messages. */
	r = r ? r : append_config(&cfg, 600, 0);
	append_done(0);
	r = r ? r : write_seed(argv[1], "split-peer");
	/* The first message only, no NLMSG_DONE: "need more". */
	r = r ? r : append_config(&cfg, 4096, 0);
	r = r ? r : write_seed(argv[1], "need-more");
	/* NLM_F_DUMP_INTR */
	r = r ? r : append_config(&cfg, 4096, NLM_F_DUMP_INTR);
	append_done(0);
	r = r ? r : write_seed(argv[1], "dump-intr");
	/* The dump refused, and a dump that failed half-way */
	append_error(-ENODEV);
	r = r ? r : write_seed(argv[1], "error-enodev");
	append_done(-EMSGSIZE);
	r = r ? r : write_seed(argv[1], "done-error");
	append_error(0);
	r = r ? r : write_seed(argv[1], "ack");
	append_family();
	append_error(0);
	r = r ? r : write_seed(argv[1], "family");
	if (r < 0) {
		fprintf(stderr, "%s: writing seeds: %s\n", argv[0], strerror(-r));
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
#endif
