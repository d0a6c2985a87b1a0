#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A small Azure Blob client for the tests, Python stdlib only, written from Microsoft's
Shared Key and SAS docs independently of builder/cred.c (so it is also a second opinion).

  blobtool.py ENDPOINT mkcontainer CONTAINER
  blobtool.py ENDPOINT download CONTAINER/BLOB FILE
  blobtool.py ENDPOINT ranges CONTAINER/BLOB            (JSON list of [start, end_exclusive])
  blobtool.py ENDPOINT props CONTAINER/BLOB             (JSON of the headers)
  blobtool.py ENDPOINT put-block-blob CONTAINER/BLOB FILE
  blobtool.py ENDPOINT put-page CONTAINER/BLOB OFFSET FILE   (status code on stdout)
  blobtool.py ENDPOINT delete CONTAINER/BLOB
  blobtool.py ENDPOINT sas CONTAINER/BLOB EXPIRY_OFFSET_SECONDS [PERMS]   (account SAS URL)

ENDPOINT is http://127.0.0.1:PORT/ACCOUNT (emulator style). The key comes from
AZURE_STORAGE_KEY.
"""
import base64
import datetime
import hashlib
import hmac
import http.client
import json
import os
import sys
import urllib.parse

VERSION = "2021-08-06"


def now_rfc1123():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")


class Client:
    def __init__(self, endpoint, key):
        u = urllib.parse.urlsplit(endpoint)
        self.host, self.port = u.hostname, u.port
        self.base = u.path.rstrip("/")  # /devstoreaccount1
        self.account = self.base.strip("/").split("/")[0]
        self.key = base64.b64decode(key)

    def sign(self, method, path, query, headers):
        std = ["Content-Encoding", "Content-Language", "Content-Length", "Content-MD5",
               "Content-Type", "Date", "If-Modified-Since", "If-Match", "If-None-Match",
               "If-Unmodified-Since", "Range"]
        low = {k.lower(): v for k, v in headers.items()}
        parts = [method]
        for h in std:
            v = low.get(h.lower(), "")
            if h == "Content-Length" and v == "0":
                v = ""
            parts.append(v)
        xms = sorted((k, v.strip()) for k, v in low.items() if k.startswith("x-ms-"))
        canon_h = "".join(f"{k}:{v}\n" for k, v in xms)
        res = f"/{self.account}{path}"
        q = urllib.parse.parse_qs(query, keep_blank_values=True)
        for k in sorted(q, key=str.lower):
            res += f"\n{k.lower()}:{','.join(sorted(q[k]))}"
        sts = "\n".join(parts) + "\n" + canon_h + res
        sig = base64.b64encode(hmac.new(self.key, sts.encode(), hashlib.sha256).digest()).decode()
        return f"SharedKey {self.account}:{sig}"

    def request(self, method, name, query="", headers=None, body=b""):
        headers = dict(headers or {})
        path = f"{self.base}/{name}"
        headers["x-ms-date"] = now_rfc1123()
        headers["x-ms-version"] = VERSION
        headers["Content-Length"] = str(len(body))
        headers["Authorization"] = self.sign(method, path, query, headers)
        c = http.client.HTTPConnection(self.host, self.port, timeout=120)
        c.request(method, path + ("?" + query if query else ""), body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, dict(r.getheaders()), data

    def account_sas(self, expiry_offset, perms="racwdl"):
        start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=15)
        expiry = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=expiry_offset)
        fmt = "%Y-%m-%dT%H:%M:%SZ"
        sv, ss, srt = "2019-12-12", "b", "sco"
        st, se = start.strftime(fmt), expiry.strftime(fmt)
        sts = "\n".join([self.account, perms, ss, srt, st, se, "", "http,https", sv]) + "\n"
        sig = base64.b64encode(hmac.new(self.key, sts.encode(), hashlib.sha256).digest()).decode()
        q = {"sv": sv, "ss": ss, "srt": srt, "sp": perms, "st": st, "se": se,
             "spr": "http,https", "sig": sig}
        return urllib.parse.urlencode(q)


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    c = Client(argv[1], os.environ["AZURE_STORAGE_KEY"])
    cmd, name = argv[2], argv[3] if len(argv) > 3 else ""
    if cmd == "mkcontainer":
        s, _, d = c.request("PUT", name, "restype=container")
        ok = s in (201, 409)
    elif cmd == "download":
        s, h, d = c.request("GET", name)
        ok = s == 200
        if ok:
            with open(argv[4], "wb") as f:
                f.write(d)
    elif cmd == "ranges":
        s, _, d = c.request("GET", name, "comp=pagelist")
        ok = s == 200
        if ok:
            import xml.etree.ElementTree as ET
            root = ET.fromstring(d)
            out = [[int(pr.find("Start").text), int(pr.find("End").text) + 1]
                   for pr in root.iter("PageRange")]
            print(json.dumps(out))
    elif cmd == "props":
        s, h, d = c.request("HEAD", name)
        ok = s == 200
        if ok:
            print(json.dumps(h))
    elif cmd == "put-block-blob":
        with open(argv[4], "rb") as f:
            body = f.read()
        s, _, d = c.request("PUT", name, headers={"x-ms-blob-type": "BlockBlob"}, body=body)
        ok = s == 201
    elif cmd == "put-page":
        with open(argv[5], "rb") as f:
            body = f.read()
        off = int(argv[4])
        s, _, d = c.request("PUT", name, "comp=page", body=body, headers={
            "x-ms-page-write": "update", "x-ms-range": f"bytes={off}-{off + len(body) - 1}"})
        print(s)
        return 0
    elif cmd == "delete":
        s, _, d = c.request("DELETE", name)
        ok = s in (202, 404)
    elif cmd == "sas":
        perms = argv[5] if len(argv) > 5 else "racwdl"
        print(f"{argv[1]}/{name}?{c.account_sas(int(argv[4]), perms)}")
        return 0
    else:
        print(f"blobtool: unknown command {cmd!r}", file=sys.stderr)
        return 2
    if not ok:
        print(f"blobtool: {cmd} {name}: HTTP {s}: {d[:300]!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
