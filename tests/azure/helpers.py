#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Test helpers for tests/azure, Python stdlib only, independent of wgbake's C code.

  helpers.py mkimage OUT standard|small|fragmented    deterministic sparse test images
  helpers.py mkbench OUT VIRTUAL_BYTES DATA_BYTES     bench image: data spread in 1 MiB runs
  helpers.py footer OURS REF [--skip FIELD,...]       compare VHD footers field by field
  helpers.py geometry VHD                             check CHS against the spec's algorithm
  helpers.py nonzero FILE                             bytes in non-zero 512-byte pages
  helpers.py resent LOG1 LOG2                         Put Pages in LOG2 overlapping 2xx ones in LOG1
  helpers.py putstats LOG                             Put Page count, bytes, largest, as JSON
  helpers.py json KEY                                 print a key of the JSON on stdin (a.b.c)
"""
import json
import os
import random
import struct
import sys

MIB = 1024 * 1024
FIELDS = [  # name, offset, length (VHD spec, "Hard Disk Footer Format")
    ("cookie", 0, 8), ("features", 8, 4), ("version", 12, 4), ("data_offset", 16, 8),
    ("timestamp", 24, 4), ("creator_app", 28, 4), ("creator_version", 32, 4),
    ("creator_os", 36, 4), ("original_size", 40, 8), ("current_size", 48, 8),
    ("geometry", 56, 4), ("disk_type", 60, 4), ("checksum", 64, 4), ("unique_id", 68, 16),
    ("saved_state", 84, 1), ("reserved", 85, 427),
]
# What may differ between two tools' footers for the same disk.
FREE = {"timestamp", "creator_app", "creator_version", "unique_id", "checksum"}


def write_at(f, off, data):
    f.seek(off)
    f.write(data)


def mkimage(out, kind):
    rnd = random.Random(5)
    with open(out, "wb") as f:
        if kind == "small":
            size = 3 * MIB + 512 * 7  # not a whole MiB: rounds up to 4 MiB
            f.truncate(size)
            write_at(f, 4096, rnd.randbytes(8192))
            write_at(f, size - 512, b"\x01" + bytes(510) + b"\x02")
            return
        if kind == "fragmented":
            size = 24 * MIB
            f.truncate(size)
            # Many small runs: many requests, for the kill -9 test.
            for i in range(160):
                write_at(f, i * 128 * 1024, rnd.randbytes(rnd.choice([512, 4096, 65536])))
            return
        size = 48 * MIB + 3 * 512  # rounds up to 49 MiB
        f.truncate(size)
        write_at(f, 1 * MIB, rnd.randbytes(9 * MIB))       # crosses 4 MiB windows
        for _ in range(300):                                # scattered single pages
            write_at(f, rnd.randrange(16 * MIB, 32 * MIB, 512), rnd.randbytes(512))
        write_at(f, 40 * MIB, bytes(2 * MIB))               # written zeros, not a hole
        write_at(f, 44 * MIB + 1000, b"\x7f")               # one byte inside a page
        write_at(f, size - 4096, rnd.randbytes(4096))       # the last partial MiB


def mkbench(out, virtual, data):
    rnd = random.Random(7)
    chunk = rnd.randbytes(MIB)
    runs = data // MIB
    stride = (virtual // MIB) // runs
    with open(out, "wb") as f:
        f.truncate(virtual)
        for i in range(runs):
            # Vary each run a little so no two MiB are equal.
            write_at(f, i * stride * MIB, struct.pack("<Q", i) + chunk[8:])


def footer(path):
    with open(path, "rb") as f:
        f.seek(-512, os.SEEK_END)
        return f.read(512)


def checksum_ok(b):
    s = sum(b[:64]) + sum(b[68:])
    return (~s & 0xFFFFFFFF) == struct.unpack(">I", b[64:68])[0]


def cmd_footer(ours, ref, skip):
    a, b = footer(ours), footer(ref)
    bad = []
    if a[:8] != b"conectix" or not checksum_ok(a):
        bad.append("ours: bad cookie or checksum")
    if not checksum_ok(b):
        bad.append("ref: bad checksum")
    for name, off, n in FIELDS:
        if name in FREE or name in skip:
            continue
        if a[off:off + n] != b[off:off + n]:
            bad.append(f"{name}: ours {a[off:off+n][:16].hex()} ref {b[off:off+n][:16].hex()}")
    for line in bad:
        print(line)
    return 1 if bad else 0


def spec_geometry(total):
    # The VHD spec's appendix, transcribed separately from builder/vhd.c.
    total = min(total, 65535 * 16 * 255)
    if total >= 65535 * 16 * 63:
        spt, heads = 255, 16
        cth = total // spt
    else:
        spt = 17
        cth = total // spt
        heads = max((cth + 1023) // 1024, 4)
        if cth >= heads * 1024 or heads > 16:
            spt, heads = 31, 16
            cth = total // spt
        if cth >= heads * 1024:
            spt, heads = 63, 16
            cth = total // spt
    return cth // heads, heads, spt


def cmd_geometry(path):
    b = footer(path)
    size = struct.unpack(">Q", b[48:56])[0]
    got = struct.unpack(">HBB", b[56:60])
    c, h, s = spec_geometry(size // 512)
    want = (c, h, s) if c * h * s * 512 == size else (65535, 16, 255)
    if got != want:
        print(f"geometry {got}, expected {want} for {size} bytes")
        return 1
    return 0


def cmd_nonzero(path):
    n = 0
    zero = bytes(512)
    with open(path, "rb") as f:
        while True:
            buf = f.read(MIB)
            if not buf:
                break
            for i in range(0, len(buf), 512):
                if buf[i:i + 512] != zero[:len(buf[i:i + 512])]:
                    n += 512
    print(n)
    return 0


def puts(log):
    with open(log) as f:
        for line in f:
            line = line.strip()
            if line:
                e = json.loads(line)
                if e["method"] == "PUT" and e["comp"] == "page" and e["range"]:
                    yield e


def cmd_resent(log1, log2):
    done = sorted(tuple(e["range"]) for e in puts(log1) if 200 <= e["status"] < 300)
    resent = []
    for e in puts(log2):
        s, t = e["range"]
        for a, b in done:
            if a < t and s < b:
                resent.append((s, t))
                break
    print(json.dumps({"completed_before": len(done), "resent": resent}))
    return 1 if resent else 0


def cmd_putstats(log):
    ps = list(puts(log))
    print(json.dumps({"puts": len(ps), "bytes": sum(e["len"] for e in ps),
                      "largest": max((e["len"] for e in ps), default=0)}))
    return 0


def cmd_json(key):
    v = json.load(sys.stdin)
    for k in key.split("."):
        v = v[k] if not isinstance(v, list) else v[int(k)]
    print(json.dumps(v) if isinstance(v, (dict, list)) else v)
    return 0


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "mkimage":
        mkimage(*args)
        return 0
    if cmd == "mkbench":
        mkbench(args[0], int(args[1]), int(args[2]))
        return 0
    if cmd == "footer":
        skip = set(args[3].split(",")) if len(args) > 3 and args[2] == "--skip" else set()
        return cmd_footer(args[0], args[1], skip)
    if cmd == "geometry":
        return cmd_geometry(args[0])
    if cmd == "nonzero":
        return cmd_nonzero(args[0])
    if cmd == "resent":
        return cmd_resent(args[0], args[1])
    if cmd == "putstats":
        return cmd_putstats(args[0])
    if cmd == "json":
        return cmd_json(args[0])
    print(f"helpers: unknown command {cmd!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
