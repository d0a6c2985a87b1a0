#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A fault-injecting reverse proxy for the Azure tests (Python stdlib only).

  faultproxy.py --upstream 127.0.0.1:PORT --port-file FILE --log FILE
                [--rate R] [--kinds 503,500,429,reset,slow] [--only put|all] [--seed N]

Listens on a free loopback port (written to --port-file) and forwards every request,
headers untouched (so Shared Key signatures still hold), to the upstream, Azurite. With
probability R an eligible request gets a fault instead:

  503     answered 503 ServerBusy, not forwarded
  429     answered 429 with Retry-After: 1, not forwarded
  500     forwarded (the server applies it), then answered 500 InternalError
  reset   the body is read, then the connection is reset (RST)
  reset-late  forwarded (the server applies it), then the connection is reset
  slow    forwarded after a 0.3-0.8 s pause
  403     answered 403 AuthorizationFailure (not worth a retry), not forwarded

--only put (Put Pages, the default), all, or comp:NAME (e.g. comp:metadata) picks which
requests are eligible.

It also enforces Azure's Put Page rules that Azurite does not: a body of at most 4 MiB, a
512-aligned x-ms-range whose length equals the body's, and a Content-MD5. A violation is
answered 413 or 400, not forwarded, and recorded.

Put Pages without Content-MD5 are counted (md5_missing). Every request is logged as one JSON line (method, comp, range, body length, fault, status).
Control endpoints, never forwarded:
  GET  /__proxy/stats                 counters as JSON (requests, faults, inflight, ...)
  POST /__proxy/config?rate=&kinds=&only=&delay_ms=   change the fault plan
  POST /__proxy/reset                 zero the counters and truncate the log
"""
import argparse
import base64
import hashlib
import http.client
import json
import random
import re
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse

PUT_PAGE_MAX = 4 * 1024 * 1024
LOCK = threading.Lock()


class State:
    def __init__(self, args):
        self.upstream = args.upstream
        self.log_path = args.log
        self.rate = args.rate
        self.kinds = args.kinds.split(",") if args.kinds else []
        self.only = args.only
        self.delay_ms = 0
        self.rng = random.Random(args.seed)
        self.reset()

    def reset(self):
        self.stats = {
            "requests": 0, "put_pages": 0, "put_bytes": 0, "body_bytes": 0,
            "put_pages_ok": 0, "forwarded": 0, "faults": {}, "faulted": 0,
            "inflight": 0, "max_put": 0, "violations": [], "statuses": {}, "md5_missing": 0,
        }
        with open(self.log_path, "w"):
            pass

    def log(self, entry):
        with open(self.log_path, "a") as f:
            f.write(json.dumps(entry) + "\n")


def parse_range(value):
    m = re.fullmatch(r"bytes=(\d+)-(\d+)", value or "")
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)) + 1


class Handler(socketserver.StreamRequestHandler):
    def setup(self):
        super().setup()
        self.up = None

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        if self.up:
            self.up.close()

    def send(self, status, reason, headers, body=b""):
        lines = [f"HTTP/1.1 {status} {reason}"]
        lines += [f"{k}: {v}" for k, v in headers]
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        self.wfile.flush()

    def error(self, status, code, msg, extra=()):
        body = (f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code>'
                f"<Message>{msg}</Message></Error>").encode()
        self.send(status, code, [("Content-Type", "application/xml"),
                                 ("Content-Length", str(len(body))),
                                 ("x-ms-error-code", code), *extra], body)

    def read_request(self):
        line = self.rfile.readline(65536)
        if not line:
            return None
        method, target, _ = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
        headers = []
        while True:
            h = self.rfile.readline(65536).decode("latin-1").rstrip("\r\n")
            if not h:
                break
            k, v = h.split(":", 1)
            headers.append((k, v.strip()))
        hmap = {k.lower(): v for k, v in headers}
        n = int(hmap.get("content-length", "0"))
        body = self.rfile.read(n) if n else b""
        return method, target, headers, hmap, body

    def control(self, method, target):
        st = self.server.state
        u = urllib.parse.urlsplit(target)
        q = dict(urllib.parse.parse_qsl(u.query))
        with LOCK:
            if u.path == "/__proxy/reset":
                st.reset()
            elif u.path == "/__proxy/config":
                if "rate" in q:
                    st.rate = float(q["rate"])
                if "kinds" in q:
                    st.kinds = [k for k in q["kinds"].split(",") if k]
                if "only" in q:
                    st.only = q["only"]
                if "delay_ms" in q:
                    st.delay_ms = int(q["delay_ms"])
                if "seed" in q:
                    st.rng.seed(int(q["seed"]))
            body = json.dumps(st.stats).encode()
        self.send(200, "OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))], body)

    def forward(self, method, target, headers, body):
        if self.up is None:
            host, port = self.server.state.upstream.rsplit(":", 1)
            self.up = http.client.HTTPConnection(host, int(port), timeout=300)
        self.up.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for k, v in headers:
            self.up.putheader(k, v)
        self.up.endheaders(body if body else None)
        r = self.up.getresponse()
        data = r.read()
        out = [(k, v) for k, v in r.getheaders()
               if k.lower() not in ("transfer-encoding", "content-length", "connection")]
        if method != "HEAD" or "content-length" not in {k.lower() for k, _ in r.getheaders()}:
            out.append(("Content-Length", str(len(data))))
        else:
            out.append(("Content-Length", r.getheader("Content-Length")))
        return r.status, r.reason, out, data

    def handle(self):
        st = self.server.state
        while True:
            try:
                req = self.read_request()
            except (OSError, ValueError):
                return
            if req is None:
                return
            method, target, headers, hmap, body = req
            if target.startswith("/__proxy/"):
                self.control(method, target)
                continue
            q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(target).query))
            comp = q.get("comp", "")
            is_put = method == "PUT" and comp == "page" and \
                hmap.get("x-ms-page-write", "").lower() == "update"
            rng = parse_range(hmap.get("x-ms-range") or hmap.get("range"))
            entry = {"t": round(time.time(), 3), "method": method, "comp": comp,
                     "range": list(rng) if rng else None, "len": len(body), "fault": None,
                     # the scheme only ("SharedKey", "Bearer"), never the credential
                     "auth": (hmap.get("authorization") or "").split(" ")[0] or None,
                     "sas": "sig=" in target, "version": hmap.get("x-ms-version")}
            violation = None
            if is_put:
                if len(body) > PUT_PAGE_MAX:
                    violation = (413, "RequestBodyTooLarge", f"Put Page of {len(body)} bytes")
                elif not rng or rng[0] % 512 or rng[1] % 512 or rng[1] - rng[0] != len(body):
                    violation = (400, "InvalidPageRange", f"range {rng} for {len(body)} bytes")
                elif "content-md5" in hmap and base64.b64decode(hmap["content-md5"]) != \
                        hashlib.md5(body).digest():
                    violation = (400, "Md5Mismatch", "Content-MD5 does not match the body")
            with LOCK:
                st.stats["requests"] += 1
                st.stats["body_bytes"] += len(body)
                if is_put:
                    st.stats["put_pages"] += 1
                    st.stats["put_bytes"] += len(body)
                    st.stats["max_put"] = max(st.stats["max_put"], len(body))
                    if "content-md5" not in hmap:
                        st.stats["md5_missing"] += 1
                if violation:
                    st.stats["violations"].append(violation[2])
                eligible = st.only == "all" or (st.only == "put" and is_put) or \
                    (st.only.startswith("comp:") and comp == st.only[5:])
                fault = None
                if eligible and st.kinds and not violation and st.rng.random() < st.rate:
                    fault = st.rng.choice(st.kinds)
                    st.stats["faults"][fault] = st.stats["faults"].get(fault, 0) + 1
                    st.stats["faulted"] += 1
                delay_ms = st.delay_ms if is_put else 0
                st.stats["inflight"] += 1
                slow = st.rng.uniform(0.3, 0.8) if fault == "slow" else 0
            entry["fault"] = fault
            status = 0
            try:
                if violation:
                    status = violation[0]
                    self.error(violation[0], violation[1], violation[2])
                elif fault == "503":
                    status = 503
                    self.error(503, "ServerBusy", "Injected: the server is busy.")
                elif fault == "403":
                    status = 403
                    self.error(403, "AuthorizationFailure", "Injected: not allowed.")
                elif fault == "429":
                    status = 429
                    self.error(429, "TooManyRequests", "Injected: slow down.",
                               [("Retry-After", "1")])
                elif fault == "reset":
                    status = -1
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                               struct.pack("ii", 1, 0))
                    self.connection.close()
                    return
                else:
                    if slow or delay_ms:
                        time.sleep(slow + delay_ms / 1000)
                    status, reason, out, data = self.forward(method, target, headers, body)
                    with LOCK:
                        st.stats["forwarded"] += 1
                        if is_put and 200 <= status < 300:
                            st.stats["put_pages_ok"] += 1
                    if fault == "reset-late":
                        status = -2
                        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                                   struct.pack("ii", 1, 0))
                        self.connection.close()
                        return
                    if fault == "500":
                        status = 500
                        self.error(500, "InternalError", "Injected: applied, then failed.")
                    else:
                        self.send(status, reason, out, data)
            except (OSError, http.client.HTTPException) as e:
                entry["error"] = str(e)
                return
            finally:
                entry["status"] = status
                with LOCK:
                    st.stats["inflight"] -= 1
                    st.stats["statuses"][str(status)] = st.stats["statuses"].get(str(status), 0) + 1
                    st.log(entry)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--rate", type=float, default=0.0)
    ap.add_argument("--kinds", default="503,500,429,reset,slow")
    ap.add_argument("--only", default="put")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    srv.state = State(args)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(f"{srv.server_address[1]}\n")
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
