#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A loopback HTTP server for the fetch tests: serves files from a folder with Range
support (206, "bytes=N-"), logs every request's path and Range to --log, and with
--cut-after N drops the connection after N body bytes on the first request for each file
(a download that breaks half-way). Prints its port, then serves until killed."""
import argparse
import http.server
import os
import socketserver
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--dir", required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--cut-after", type=int, default=0)
args = ap.parse_args()
cut_done = set()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def do_GET(self):
        rng = self.headers.get("Range", "-")
        with open(args.log, "a") as f:
            f.write("%s %s\n" % (self.path, rng))
        path = os.path.join(args.dir, os.path.basename(self.path))
        if not os.path.isfile(path):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        size = os.path.getsize(path)
        start = 0
        if rng.startswith("bytes="):
            start = int(rng[6:].split("-")[0])
            if start >= size:
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % size)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, size - 1, size))
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(size - start))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        limit = size - start
        if args.cut_after and path not in cut_done:
            cut_done.add(path)
            limit = min(limit, args.cut_after)
        with open(path, "rb") as f:
            f.seek(start)
            while limit > 0:
                b = f.read(min(65536, limit))
                if not b:
                    break
                self.wfile.write(b)
                limit -= len(b)
        if limit == 0 and args.cut_after and start == 0:
            self.wfile.flush()
            self.close_connection = True


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", 0), Handler)
print(srv.server_address[1], flush=True)
sys.stdout.close()
srv.serve_forever()
