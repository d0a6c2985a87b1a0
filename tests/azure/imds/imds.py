#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A stand-in for the Azure Instance Metadata Service (IMDS), for tests. Python stdlib only.

    imds.py [--bind ADDR] [--port N] [--port-file FILE] [--user-data FILE] [--vm-id UUID]
            [--tags 'k:v;k2:v2'] [--fault MODE[:COUNT]]

Answers like the real service (https://learn.microsoft.com/azure/virtual-machines/instance-metadata-service):
  GET /metadata/instance?api-version=V                          the instance document (JSON)
  GET /metadata/instance/compute/userData?api-version=V&format=text   userData, base64 (text/plain)
  GET /metadata/instance/compute/vmId?api-version=V&format=text       the vmId
  GET /metadata/instance/compute/tags?api-version=V&format=text       "k:v;k2:v2"
  GET /metadata/attested/document?api-version=V[&nonce=N]       {"encoding":"pkcs7","signature":...}
Errors as IMDS gives them: 400 without "Metadata: true", with X-Forwarded-For, without or with
an unknown api-version ("newest-versions" listed); 404 for unknown paths; 405 for other methods.
userData of a VM without any is an empty 200 body.

Fault modes (--fault, or POST /_control): 404, 410, 429, 500, 503, timeout (no answer for 30 s),
truncated (Content-Length larger than the body, then the connection closes), garbage (userData
that is not base64, a vmId that is not a UUID, an attested document that is not JSON), reset
(close without an answer). MODE:COUNT faults only the next COUNT metadata requests; without
COUNT every request is faulted until the fault is changed.

Test control (no Metadata header needed, loopback only):
  POST /_control   JSON {"fault": "410", "count": 3, "vm_id": "...", "user_data": "<base64>"}
  GET  /_requests  JSON list of {"t": seconds, "path": ..., "status": ..., "metadata": bool}
The port actually bound is written to --port-file (use --port 0 for a free one).
"""

import argparse
import base64
import json
import socketserver
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

API_VERSIONS = [
    "2017-03-01", "2017-04-02", "2017-08-01", "2017-10-01", "2017-12-01", "2018-02-01",
    "2018-04-02", "2018-10-01", "2019-02-01", "2019-03-11", "2019-04-30", "2019-06-01",
    "2019-06-04", "2019-08-01", "2019-08-15", "2019-11-01", "2020-06-01", "2020-07-15",
    "2020-09-01", "2020-10-01", "2020-12-01", "2021-01-01", "2021-02-01", "2021-03-01",
    "2021-05-01", "2021-08-01", "2021-10-01", "2021-11-01", "2021-11-15", "2021-12-13",
    "2022-02-01", "2022-03-01", "2022-05-01", "2022-07-01", "2022-08-01", "2022-11-01",
    "2023-07-01", "2023-11-15", "2024-03-15", "2024-07-17", "2025-04-07",
]
# userData exists from 2021-01-01 on.
USER_DATA_SINCE = "2021-01-01"


class State:
    def __init__(self, args):
        self.lock = threading.RLock()
        self.user_data = b""
        if args.user_data:
            with open(args.user_data, "rb") as f:
                self.user_data = base64.b64encode(f.read())
        self.vm_id = args.vm_id
        self.tags = args.tags
        self.fault = None
        self.count = None
        if args.fault:
            self.set_fault(args.fault)
        self.requests = []
        self.start = time.monotonic()

    def set_fault(self, spec):
        mode, _, count = str(spec).partition(":")
        self.fault = mode or None
        self.count = int(count) if count else None

    def take_fault(self):
        with self.lock:
            if not self.fault:
                return None
            if self.count is not None:
                if self.count <= 0:
                    self.fault = None
                    return None
                self.count -= 1
            return self.fault


def instance_doc(st):
    return {
        "compute": {
            "azEnvironment": "AzurePublicCloud",
            "location": "westeurope",
            "name": "wgbake-test-vm",
            "osType": "Linux",
            "provider": "Microsoft.Compute",
            "resourceGroupName": "wgbake-test",
            "subscriptionId": "00000000-0000-0000-0000-000000000000",
            "tags": st.tags,
            "tagsList": [{"name": k, "value": v} for k, _, v in
                         (t.partition(":") for t in st.tags.split(";") if t)],
            "userData": st.user_data.decode(),
            "vmId": st.vm_id,
            "vmSize": "Standard_B1s",
        },
        "network": {"interface": [{"ipv4": {"ipAddress": [{"privateIpAddress": "10.1.0.4",
                                                           "publicIpAddress": ""}],
                                            "subnet": [{"address": "10.1.0.0", "prefix": "24"}]},
                                   "macAddress": "000D3A000001"}]},
    }


class Handler(BaseHTTPRequestHandler):
    server_version = "Microsoft-IIS/10.0"  # what IMDS says; nobody should rely on it
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def record(self, status):
        st = self.server.state
        with st.lock:
            st.requests.append({"t": round(time.monotonic() - st.start, 4), "path": self.path,
                                "status": status,
                                "metadata": self.headers.get("Metadata") == "true"})

    def send(self, status, body, ctype="application/json; charset=utf-8", length=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.record(status)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        if status == 429:
            self.send_header("Retry-After", "1")
        self.end_headers()
        self.wfile.write(body)
        if length is not None:
            self.close_connection = True

    def text(self, status, s):
        self.send(status, s, "text/plain; charset=utf-8")

    def do_POST(self):
        if self.path == "/_control":
            n = int(self.headers.get("Content-Length", "0"))
            req = json.loads(self.rfile.read(n) or b"{}")
            st = self.server.state
            with st.lock:
                if "fault" in req:
                    st.fault = req["fault"] or None
                    st.count = req.get("count")
                if "vm_id" in req:
                    st.vm_id = req["vm_id"]
                if "user_data" in req:
                    st.user_data = req["user_data"].encode()
                if req.get("clear_requests"):
                    st.requests = []
            self.send(200, {"ok": True})
            return
        self.send(405, {"error": "Method not allowed"})

    def do_PUT(self):
        self.send(405, {"error": "Method not allowed"})

    def do_GET(self):
        st = self.server.state
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        if url.path == "/_requests":
            with st.lock:
                reqs = list(st.requests)
            self.send(200, reqs)
            return
        if self.headers.get("X-Forwarded-For"):
            self.send(400, {"error": "Bad request. Request contains the X-Forwarded-For header"})
            return
        if self.headers.get("Metadata") != "true":
            self.send(400, {"error": "Bad request. Required metadata header not specified"})
            return
        if not url.path.startswith("/metadata/"):
            self.send(404, {"error": "Not found"})
            return
        ver = q.get("api-version", [None])[0]
        if not ver:
            self.send(400, {"error": "Bad request. api-version was not specified in the request. "
                                     "For more information refer to aka.ms/azureimds",
                            "newest-versions": API_VERSIONS[-3:][::-1]})
            return
        if ver not in API_VERSIONS:
            self.send(400, {"error": "Bad request. api-version is invalid or was not specified "
                                     "in the request. For more information refer to aka.ms/azureimds",
                            "newest-versions": API_VERSIONS[-3:][::-1]})
            return

        fault = st.take_fault()
        if fault in ("404", "410", "429", "500", "503"):
            msgs = {"404": "Not found", "410": "Gone", "429": "Too many requests",
                    "500": "Internal server error", "503": "Service unavailable"}
            self.send(int(fault), {"error": msgs[fault]})
            return
        if fault == "timeout":
            self.record(0)
            time.sleep(30)
            self.close_connection = True
            return
        if fault == "reset":
            self.record(0)
            self.close_connection = True
            return

        fmt = q.get("format", ["json"])[0]
        path = url.path.rstrip("/")
        if path == "/metadata/instance":
            body = json.dumps(instance_doc(st))
        elif path == "/metadata/instance/compute/userData":
            if ver < USER_DATA_SINCE:
                self.send(400, {"error": "Bad request. userData requires api-version "
                                         f"{USER_DATA_SINCE} or later"})
                return
            if fmt != "text":
                self.send(400, {"error": "Bad request. Query parameter format must be text"})
                return
            body = "###not base64###" if fault == "garbage" else st.user_data.decode()
        elif path == "/metadata/instance/compute/vmId":
            body = "not-a-uuid" if fault == "garbage" else st.vm_id
        elif path == "/metadata/instance/compute/tags":
            body = st.tags
        elif path == "/metadata/attested/document":
            nonce = q.get("nonce", [str(int(time.time()))])[0]
            doc = {"nonce": nonce, "vmId": st.vm_id, "subscriptionId":
                   "00000000-0000-0000-0000-000000000000", "sku": "22_04-lts-gen2"}
            sig = base64.b64encode(b"PKCS7-STAND-IN:" + json.dumps(doc).encode()).decode()
            body = json.dumps({"encoding": "pkcs7", "signature": sig})
            if fault == "garbage":
                body = "<html>not json</html>"
        else:
            self.send(404, {"error": "Not found"})
            return
        if fault == "truncated":
            data = body.encode()
            self.send(200, data[: len(data) // 2], length=len(data))
            return
        if fmt == "text" or path.startswith("/metadata/instance/compute/"):
            self.text(200, body)
        else:
            self.send(200, body)


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--user-data")
    p.add_argument("--vm-id", default="d2b7a1c4-0f4e-4b8a-9d51-2f8e6c3a7b10")
    p.add_argument("--tags", default="role:wireguard;env:test")
    p.add_argument("--fault")
    args = p.parse_args()
    srv = Server((args.bind, args.port), Handler)
    srv.state = State(args)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(f"{srv.server_address[1]}\n")
        import os
        os.rename(args.port_file + ".tmp", args.port_file)
    print(f"imds: listening on {args.bind}:{srv.server_address[1]}", file=sys.stderr, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
