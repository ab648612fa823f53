#!/usr/bin/env python3
"""Reads every page of a TAXII 2.1 collection's objects, one request after the other, the way a
pulling node does (limit=1000, match[version]=all, following `next`), and prints one line
`RESULT {json}`: pages, objects, bytes, seconds, objects/s and the CPU time of this client.

The client does as little as it can: it finds `more` and `next` with a regular expression in
the head of each body and counts objects by their `spec_version` member, so that the figure
is the server's (and the transfer's), not a JSON parser's. Standard library only.
"""

import argparse
import http.client
import json
import re
import resource
import sys
import time
import urllib.parse

NEXT = re.compile(rb'"next"\s*:\s*"([^"]*)"')
MORE = re.compile(rb'"more"\s*:\s*(true|false)')
SPEC = re.compile(rb'"spec_version"\s*:')


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--url", required=True, help="collection URL ending in /collections/{id}/")
    ap.add_argument("--token", required=True, help="bearer token")
    ap.add_argument("--purpose", default="investigation")
    ap.add_argument("--limit", type=int, default=1000)
    ap.add_argument("--max-seconds", type=float, default=1800.0)
    a = ap.parse_args()

    u = urllib.parse.urlsplit(a.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    headers = {
        "Accept": "application/taxii+json;version=2.1",
        "Authorization": f"Bearer {a.token}",
        "Entente-Purpose": a.purpose,
    }
    base = u.path.rstrip("/") + "/objects/"
    query = {"limit": str(a.limit), "match[version]": "all"}
    pages = objects = size = 0
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    while True:
        conn.request("GET", base + "?" + urllib.parse.urlencode(query), headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            print(f"HTTP {resp.status}: {body[:300]!r}", file=sys.stderr)
            sys.exit(1)
        pages += 1
        size += len(body)
        objects += len(SPEC.findall(body))
        head = body[:4096]
        more = MORE.search(head)
        nxt = NEXT.search(head)
        if not more or more.group(1) != b"true":
            break
        if not nxt:
            print("more objects follow but no next token", file=sys.stderr)
            sys.exit(1)
        query = {"limit": str(a.limit), "match[version]": "all", "next": nxt.group(1).decode()}
        if time.monotonic() - t0 > a.max_seconds:
            print("stopped: --max-seconds reached", file=sys.stderr)
            break
    seconds = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    print("RESULT " + json.dumps({
        "pages": pages,
        "objects": objects,
        "bytes": size,
        "seconds": seconds,
        "objects_per_s": objects / seconds if seconds else 0,
        "client_cpu_s": client_cpu,
    }))


if __name__ == "__main__":
    main()
