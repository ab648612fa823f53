#!/usr/bin/env python3
"""Turns the raw measurements of bench/taxii/run.sh (JSON lines) into RESULTS.md."""

import argparse
import datetime
import json
import os
import platform


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load():
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "unknown"


def fmt(value, digits=0):
    if value is None:
        return "n/a"
    if digits == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def per_core(r):
    """Cores the server used during the measurement, and requests/s per core used."""
    if not r or not r.get("server_cpu_s") or not r.get("seconds"):
        return ["n/a", "n/a"]
    cores = r["server_cpu_s"] / r["seconds"]
    return [f"{cores:.2f}", fmt(r.get("rps", 0) / cores) if cores > 0 else "n/a"]


def verdict(ok):
    return "met" if ok else "**not met**"


def errors(r):
    n = r.get("errors_status", 0) + r.get("errors_socket", 0)
    return "" if n == 0 else f" ({n} errors)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--small", type=int, required=True)
    ap.add_argument("--large", type=int, required=True)
    ap.add_argument("--medallion-version", default="?")
    ap.add_argument("--threads", default="?")
    ap.add_argument("--connections", default="?")
    ap.add_argument("--medallion-seconds", default="?")
    ap.add_argument("--medallion-requests", default="?")
    ap.add_argument("--medallion-min-requests", default="?")
    ap.add_argument("--post-connections", default="?")
    ap.add_argument("--commit", default="?")
    args = ap.parse_args()

    rows = [json.loads(line) for line in open(args.raw) if line.strip()]
    small = {(r["server"], r["label"]): r for r in rows if r["stored"] == args.small}
    large = [r for r in rows if r["stored"] == args.large and r["server"] == "entente"]

    out = []
    out.append("# TAXII 2.1 benchmark results")
    out.append("")
    out.append(
        f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC at commit "
        f"`{args.commit}` on {os.cpu_count()} cores ({cpu_model()}), by `bench/taxii/run.sh`. "
        f"entente (release build, embedded SQLite store, bearer token) is loaded with wrk, "
        f"{args.threads} thread(s), {args.connections} connections for GET and "
        f"{args.post_connections} for POST. medallion {args.medallion_version} (memory backend, "
        "HTTP Basic, its only scheme) takes seconds per request at this size, longer than a wrk "
        "run reports usefully, so it gets sequential requests from `seq_load.py`: at most "
        f"{args.medallion_requests} requests or about {args.medallion_seconds} s per line, at "
        f"least {args.medallion_min_requests}. The load generators run on the same cores as "
        f"the servers; the load average when the report was written: {load()}."
    )
    out.append("")
    out.append(f"## entente and medallion, {args.small:,} stored objects")
    out.append("")
    out.append(
        "| request | medallion req/s | medallion p50 / p99 ms | entente req/s | "
        "entente p50 / p99 ms | entente / medallion | target | entente cores used | "
        "entente req/s per core |"
    )
    out.append("|---|---:|---:|---:|---:|---:|---|---:|---:|")
    labels = []
    for r in rows:
        if r["stored"] == args.small and r["label"] not in labels:
            labels.append(r["label"])
    for label in labels:
        # A variant of a request (", HTTP Basic") is compared with medallion's plain request.
        m = small.get(("medallion", label)) or small.get(("medallion", label.split(", ")[0]))
        e = small.get(("entente", label))
        ratio = None
        if m and e and m.get("rps"):
            ratio = e["rps"] / m["rps"]
        is_get = label.startswith("GET")
        target = ""
        if is_get and ratio is not None:
            target = f">= 1000x: {verdict(ratio >= 1000)}"
        cells = [label]
        for r in (m, e):
            if r is None:
                cells += ["n/a", "n/a"]
            else:
                rps = fmt(r.get("rps"), 1 if r.get("rps", 0) < 100 else 0) + errors(r)
                if r.get("objects_per_s"):
                    rps += f" ({fmt(r['objects_per_s'])} objects/s)"
                cells += [rps, f"{fmt(r.get('p50_ms'), 2)} / {fmt(r.get('p99_ms'), 2)}"]
        cells.append(f"{ratio:,.0f}x" if ratio is not None else "n/a")
        cells.append(target)
        cells += per_core(e)
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    if large:
        out.append(f"## entente alone, {args.large:,} stored objects")
        out.append("")
        out.append(
            "| measurement | req/s | objects/s | p50 ms | p90 ms | p99 ms | max ms | target | "
            "cores used | req/s per core |"
        )
        out.append("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|")
        for r in large:
            label = r["label"]
            target = ""
            if label.startswith("GET objects"):
                target = (
                    f"p99 < 10 ms: {verdict(r.get('p99_ms', 1e9) < 10)}; "
                    f">= 5,000 req/s: {verdict(r.get('rps', 0) >= 5000)}"
                )
            elif label.startswith("POST"):
                target = f">= 50,000 objects/s: {verdict(r.get('objects_per_s', 0) >= 50000)}"
            elif label.startswith("import"):
                target = f">= 100,000 objects/s: {verdict(r.get('objects_per_s', 0) >= 100000)}"
            if label.startswith("import"):
                out.append(
                    f"| {label}: {r.get('imported', 0):,} stored in {r['seconds']:.1f} s | | "
                    f"{fmt(r.get('objects_per_s'))} | | | | | {target} | | |"
                )
                continue
            out.append(
                f"| {label}{errors(r)} | {fmt(r.get('rps'))} | "
                f"{fmt(r.get('objects_per_s')) if r.get('objects_per_s') else ''} | "
                f"{fmt(r.get('p50_ms'), 2)} | {fmt(r.get('p90_ms'), 2)} | {fmt(r.get('p99_ms'), 2)} | "
                f"{fmt(r.get('max_ms'), 2)} | {target} | " + " | ".join(per_core(r)) + " |"
            )
        out.append("")
    out.append(
        "Cores used: CPU time (user + system) of the server process during the "
        "measurement divided by its duration; req/s per core is what the server did with "
        "the CPU it got, the rest going to the load generator and to other processes."
    )
    out.append("")
    out.append(
        "Raw figures (one JSON object per measurement) are written to `$WORK/results.jsonl`. "
        "POST objects/s counts the objects the server reported stored (`success_count` of "
        "the status resources); `not_complete` in the raw figures counts status resources "
        "that were not `complete` when returned."
    )
    out.append("")
    with open(args.out, "w") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
