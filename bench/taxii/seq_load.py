#!/usr/bin/env python3
"""Sequential, count- and time-bounded load for a slow server (medallion at 1,000 objects).

wrk only counts requests that complete within its duration, and medallion's memory backend takes
seconds per GET objects request at 1,000 stored objects; a wrk run shorter than that reports
nothing. This client sends one request at a time (medallion is CPU-bound under one interpreter
lock, so concurrency does not raise its throughput), stops after --max-requests or once
--max-seconds have passed (but not before --min-requests), and prints the same RESULT line as
taxii.lua so that both kinds of measurement land in one table.

    seq_load.py --url URL --auth "Basic ..." [--post --batch 1000]
                [--min-requests 3] [--max-requests 50] [--max-seconds 30]
"""

import argparse
import json
import random
import time
import urllib.error
import urllib.request

TAXII = "application/taxii+json;version=2.1"


def envelope(run, serial, batch):
    objects = []
    for i in range(batch):
        ip = f"10.{serial % 256}.{(i // 256) % 256}.{i % 256}"
        objects.append(
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": f"indicator--{run:08x}-{serial % 65536:04x}-4000-8{i % 4096:03x}-{serial:012x}",
                "created": "2026-02-01T00:00:00.000Z",
                "modified": "2026-02-01T00:00:00.000Z",
                "name": f"Load test {ip}",
                "pattern": f"[ipv4-addr:value = '{ip}']",
                "pattern_type": "stix",
                "valid_from": "2026-02-01T00:00:00Z",
            }
        )
    return json.dumps({"objects": objects}).encode()


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, max(0, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--auth", required=True)
    ap.add_argument("--post", action="store_true")
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--min-requests", type=int, default=3)
    ap.add_argument("--max-requests", type=int, default=50)
    ap.add_argument("--max-seconds", type=float, default=30.0)
    ap.add_argument("--timeout", type=float, default=120.0)
    args = ap.parse_args()

    run = random.getrandbits(32)
    latencies, errors, objects_ok, not_complete, total_bytes = [], 0, 0, 0, 0
    start = time.monotonic()
    for n in range(args.max_requests):
        elapsed = time.monotonic() - start
        if n >= args.min_requests and elapsed >= args.max_seconds:
            break
        headers = {"Accept": TAXII, "Authorization": args.auth}
        data = None
        if args.post:
            headers["Content-Type"] = TAXII
            data = envelope(run, n + 1, args.batch)
        req = urllib.request.Request(
            args.url, data=data, headers=headers, method="POST" if args.post else "GET"
        )
        t0 = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=args.timeout) as resp:
                body = resp.read()
        except urllib.error.HTTPError as e:
            body = e.read()
            errors += 1
        except OSError:
            errors += 1
            body = b""
        latencies.append((time.monotonic() - t0) * 1000)
        total_bytes += len(body)
        if args.post and body:
            try:
                status = json.loads(body)
                objects_ok += int(status.get("success_count", 0))
                if status.get("status") != "complete":
                    not_complete += 1
            except ValueError:
                pass
    seconds = time.monotonic() - start
    lat = sorted(latencies)
    print(
        "RESULT "
        + json.dumps(
            {
                "requests": len(latencies),
                "seconds": round(seconds, 3),
                "rps": len(latencies) / seconds if seconds > 0 else 0.0,
                "p50_ms": percentile(lat, 50),
                "p90_ms": percentile(lat, 90),
                "p99_ms": percentile(lat, 99),
                "max_ms": lat[-1] if lat else 0.0,
                "mean_ms": sum(lat) / len(lat) if lat else 0.0,
                "errors_status": errors,
                "errors_socket": 0,
                "objects_ok": objects_ok,
                "objects_per_s": objects_ok / seconds if seconds > 0 else 0.0,
                "not_complete": not_complete,
                "bytes": total_bytes,
                "client": "sequential",
            }
        )
    )


if __name__ == "__main__":
    main()
