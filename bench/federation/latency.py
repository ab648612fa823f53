#!/usr/bin/env python3
"""Steady-state federation latency: creates one indicator at a time on node A through A's
TAXII API (POST .../collections/{shared}/objects/) and polls node B's collection for it
(GET .../collections/{from-fr}/objects/?match[id]=ID) every --poll seconds until B serves
it. The latency of a trial runs from just before the POST to the first answer of B that
holds the object; it is also given from A's answer to the POST, which leaves out A's own
ingest. Trials are spaced by a random pause (uniform in [0, --spread] seconds) so that
creations fall at every phase of B's pull schedule.

Prints one line per trial on stderr and `RESULT {json}` (median, p95, max, every latency)
on stdout. Every wait is bounded (--timeout per trial). Standard library only.
"""

import argparse
import datetime
import http.client
import json
import random
import statistics
import sys
import time
import urllib.parse
import uuid

ACCEPT = "application/taxii+json;version=2.1"


class Api:
    def __init__(self, collection_url, token, purpose):
        u = urllib.parse.urlsplit(collection_url)
        self.host, self.port = u.hostname, u.port
        self.path = u.path.rstrip("/") + "/objects/"
        self.headers = {
            "Accept": ACCEPT,
            "Authorization": f"Bearer {token}",
            "Entente-Purpose": purpose,
        }
        self.conn = None

    def request(self, method, path, body=None, extra=None):
        headers = dict(self.headers, **(extra or {}))
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                return resp.status, resp.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


def indicator(n):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid4()}",
        "created": now,
        "modified": now,
        "name": f"federation latency probe {n}",
        "pattern": f"[ipv4-addr:value = '198.51.100.{n % 250}']",
        "pattern_type": "stix",
        "valid_from": now,
    }


def pct(values, p):
    s = sorted(values)
    k = (len(s) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--a-collection", required=True, help="A's collection URL (POST)")
    ap.add_argument("--a-token", required=True)
    ap.add_argument("--b-collection", required=True, help="B's collection URL (GET)")
    ap.add_argument("--b-token", required=True)
    ap.add_argument("--purpose", default="investigation")
    ap.add_argument("--trials", type=int, default=50)
    ap.add_argument("--poll", type=float, default=0.02, help="seconds between polls of B")
    ap.add_argument("--spread", type=float, default=1.0, help="largest pause between trials")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per trial at most")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=0,
                    help="trials run first and reported apart (not in the statistics)")
    a = ap.parse_args()

    rng = random.Random(a.seed)
    node_a = Api(a.a_collection, a.a_token, a.purpose)
    node_b = Api(a.b_collection, a.b_token, a.purpose)
    latencies, after_post, post_ms, polls, missed = [], [], [], [], 0
    warmup = []
    for n in range(a.warmup + a.trials):
        time.sleep(rng.uniform(0, a.spread))
        obj = indicator(n)
        body = json.dumps({"objects": [obj]})
        t0 = time.monotonic()
        status, answer = node_a.request(
            "POST", node_a.path, body, {"Content-Type": ACCEPT})
        t_post = time.monotonic()
        if status not in (200, 202):
            print(f"POST to A failed: HTTP {status}: {answer[:300]!r}", file=sys.stderr)
            sys.exit(1)
        if json.loads(answer).get("success_count", 0) != 1:
            print(f"A did not store the object: {answer[:300]!r}", file=sys.stderr)
            sys.exit(1)
        query = urllib.parse.urlencode({"match[id]": obj["id"]})
        seen, count = None, 0
        while time.monotonic() - t0 < a.timeout:
            status, answer = node_b.request("GET", node_b.path + "?" + query)
            count += 1
            if status == 200 and obj["id"].encode() in answer:
                seen = time.monotonic()
                break
            if status not in (200, 404):
                print(f"GET on B failed: HTTP {status}: {answer[:300]!r}", file=sys.stderr)
                sys.exit(1)
            time.sleep(a.poll)
        if n < a.warmup:
            warmup.append({"latency_s": None if seen is None else round(seen - t0, 4),
                           "post_ms": round((t_post - t0) * 1000, 1)})
            print(f"warm-up {n}: {warmup[-1]}", file=sys.stderr)
            continue
        if seen is None:
            missed += 1
            print(f"trial {n}: not visible on B within {a.timeout} s", file=sys.stderr)
            continue
        latencies.append(seen - t0)
        after_post.append(seen - t_post)
        post_ms.append((t_post - t0) * 1000)
        polls.append(count)
        print(f"trial {n}: {seen - t0:.3f} s (POST {1000 * (t_post - t0):.1f} ms, {count} polls)",
              file=sys.stderr)
    if not latencies:
        print("RESULT " + json.dumps({"trials": a.trials, "missed": missed, "warmup": warmup}))
        return
    print("RESULT " + json.dumps({
        "trials": a.trials,
        "visible": len(latencies),
        "missed": missed,
        "median_s": statistics.median(latencies),
        "p95_s": pct(latencies, 0.95),
        "max_s": max(latencies),
        "min_s": min(latencies),
        "post_median_ms": statistics.median(post_ms),
        "post_max_ms": max(post_ms),
        "after_post_median_s": statistics.median(after_post),
        "after_post_p95_s": pct(after_post, 0.95),
        "after_post_max_s": max(after_post),
        "polls_median": statistics.median(polls),
        "latencies_s": [round(x, 4) for x in latencies],
        "warmup": warmup,
    }))


if __name__ == "__main__":
    main()
