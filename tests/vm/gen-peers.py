#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write a large WireGuard config exactly as `wg showconf` prints it.

    gen-peers.py [--peers N] [--big-peers N] [--big-prefixes N] [--seed S]
                 [--table VALUE] [--fwmark N] OUT

Deterministic for a given seed. Public and preshared keys are random 32-byte strings, the
private key is random and clamped (the kernel hands back the clamped key). AllowedIPs are
distinct, do not overlap and are canonical (host bits zero), so the kernel keeps them as they
are, and in the order given. Most peers get 1-3 host routes (/32 or /128); --big-peers of them
get --big-prefixes prefixes of mixed length and family. Some peers get endpoints (documentation
ranges only), keepalives and preshared keys.

The layout follows wireguard-tools' showconf.c: [Interface] with ListenPort, FwMark (0x%x),
PrivateKey, then a blank line; each [Peer] with PublicKey, PresharedKey, AllowedIPs (", "
between), Endpoint ([v6]:port), PersistentKeepalive, and a blank line between peers.
With --table, a "Table = VALUE" line ends the [Interface] section: that line is for wgagent
(and wg-quick) only, so strip it before comparing with `wg showconf`.
"""

import argparse
import base64
import ipaddress
import random
import sys


def key(rng):
    return bytearray(rng.getrandbits(8) for _ in range(32))


def b64(k):
    return base64.b64encode(bytes(k)).decode()


def clamp(k):
    k[0] &= 248
    k[31] = (k[31] & 127) | 64
    return k


class Pools:
    """Disjoint address pools; every allocation is unique and nothing overlaps."""

    V4_HOSTS = int(ipaddress.IPv4Address("10.0.0.0"))        # 10.0.0.0/10: /32s
    V4_BLOCKS = int(ipaddress.IPv4Address("10.128.0.0"))     # 10.128.0.0/9: one /24 each
    V6_HOSTS = int(ipaddress.IPv6Address("fd00:0:0:1::"))    # fd00:0:0:1::/64: /128s
    V6_BLOCKS = int(ipaddress.IPv6Address("fd10::"))         # fd10::/16: one /48 each

    def __init__(self, rng):
        self.rng = rng
        self.used = set()

    def _fresh(self, kind, space):
        while True:
            n = self.rng.randrange(space)
            if (kind, n) not in self.used:
                self.used.add((kind, n))
                return n

    def v4_host(self):
        n = self._fresh("v4h", 1 << 22)
        return f"{ipaddress.IPv4Address(self.V4_HOSTS + n)}/32"

    def v6_host(self):
        # Half small suffixes (so "::" compression shows up), half random 64-bit ones.
        if self.rng.random() < 0.5:
            n = self._fresh("v6h", 1 << 64)
        else:
            n = self._fresh("v6h", 1 << 20)
        return f"{ipaddress.IPv6Address(self.V6_HOSTS + n)}/128"

    def v4_prefix(self):
        block = self._fresh("v4b", 1 << 15)
        cidr = self.rng.randint(24, 32)
        host = self.rng.getrandbits(8) & ~((1 << (32 - cidr)) - 1) & 0xFF
        return f"{ipaddress.IPv4Address(self.V4_BLOCKS + (block << 8) + host)}/{cidr}"

    def v6_prefix(self):
        block = self._fresh("v6b", 1 << 32)
        cidr = self.rng.choice([48, 52, 56, 60, 64, 64, 64, 72, 96, 112, 120, 127, 128])
        bits = 128 - 48
        host = self.rng.getrandbits(bits) & ~((1 << (128 - cidr)) - 1) & ((1 << bits) - 1)
        addr = self.V6_BLOCKS + (block << bits) + host
        return f"{ipaddress.IPv6Address(addr)}/{cidr}"


def endpoint(rng):
    port = rng.randint(1024, 65535)
    if rng.random() < 0.7:
        net = rng.choice(["192.0.2.", "198.51.100.", "203.0.113."])
        return f"{net}{rng.randint(1, 254)}:{port}"
    # 2001:db8::/32, some with zero runs so the compressed form varies.
    groups = [rng.choice([0, 0, rng.getrandbits(16)]) for _ in range(6)]
    addr = ipaddress.IPv6Address((0x20010DB8 << 96) | int("".join(f"{g:04x}" for g in groups), 16))
    return f"[{addr}]:{port}"


def generate(args):
    rng = random.Random(args.seed)
    pools = Pools(rng)
    out = ["[Interface]", f"ListenPort = {args.listen_port}"]
    if args.fwmark:
        out.append(f"FwMark = 0x{args.fwmark:x}")
    out.append(f"PrivateKey = {b64(clamp(key(rng)))}")
    if args.table:
        out.append(f"Table = {args.table}")
    out.append("")

    big = set(rng.sample(range(args.peers), args.big_peers))
    # Keepalive only with endpoints on a few peers: once the link is up, each such peer sends
    # handshakes (into the void: the guest has no route there), which costs CPU under TCG.
    seen_keys = set()
    for i in range(args.peers):
        pub = b64(key(rng))
        while pub in seen_keys:
            pub = b64(key(rng))
        seen_keys.add(pub)
        out.append("[Peer]")
        out.append(f"PublicKey = {pub}")
        if rng.random() < 0.2:
            out.append(f"PresharedKey = {b64(key(rng))}")
        if i in big:
            ips = [pools.v4_prefix() if rng.random() < 0.6 else pools.v6_prefix()
                   for _ in range(args.big_prefixes)]
        else:
            ips = [pools.v4_host() if rng.random() < 0.7 else pools.v6_host()
                   for _ in range(rng.choice([1, 1, 1, 2, 2, 3]))]
        out.append("AllowedIPs = " + ", ".join(ips))
        r = rng.random()
        if r < 0.3:
            out.append(f"Endpoint = {endpoint(rng)}")
            if r < 0.003:
                out.append(f"PersistentKeepalive = {rng.randint(1, 65535)}")
        elif r < 0.4:
            # Keepalive without an endpoint: stored, but never sent.
            out.append(f"PersistentKeepalive = {rng.randint(1, 65535)}")
        if i != args.peers - 1:
            out.append("")
    return "\n".join(out) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--peers", type=int, default=10000)
    p.add_argument("--big-peers", type=int, default=20)
    p.add_argument("--big-prefixes", type=int, default=300)
    p.add_argument("--seed", default="wgbake-bigconfig-1")
    p.add_argument("--listen-port", type=int, default=51820)
    p.add_argument("--fwmark", type=lambda s: int(s, 0), default=0)
    p.add_argument("--table", default="")
    p.add_argument("out")
    args = p.parse_args()
    if args.big_peers > args.peers:
        p.error("--big-peers exceeds --peers")
    text = generate(args)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="ascii") as f:
            f.write(text)


if __name__ == "__main__":
    main()
