#!/usr/bin/env python3
"""Writes bench/federation/RESULTS.md from the raw figures of run.sh (one JSON object per
measurement). Everything after the analysis marker of an existing RESULTS.md (written by
hand) is kept. Standard library only."""

import argparse
import datetime
import json
import os
import statistics

MARKER = "<!-- analysis: written by hand below this line; report.py keeps it -->"
SYNC_TARGET = 30_000
LATENCY_TARGET = 2.0


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def rng(values, fmt):
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    lo, hi = min(values), max(values)
    return fmt.format(lo) if fmt.format(lo) == fmt.format(hi) else f"{fmt.format(lo)}-{fmt.format(hi)}"


def tag(r):
    """When and with which build a measurement was taken."""
    parts = [p for p in (r.get("at"), r.get("build") and f"`{r['build']}`") if p]
    return f" ({', '.join(parts)})" if parts else ""


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--raw", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--file", required=True)
    ap.add_argument("--commit", default="unknown")
    ap.add_argument("--binary", default="entente")
    a = ap.parse_args()

    rows = [json.loads(line) for line in open(a.raw) if line.strip()]
    imports = [r for r in rows if r["kind"] == "import"]
    pages = [r for r in rows if r["kind"] == "pages"]
    syncs = [r for r in rows if r["kind"] == "sync"]
    lats = [r for r in rows if r["kind"] == "latency"]
    size = os.path.getsize(a.file) if os.path.exists(a.file) else 0

    kept = ""
    if os.path.exists(a.out):
        text = open(a.out).read()
        if MARKER in text:
            kept = text.split(MARKER, 1)[1].lstrip("\n")

    out = []
    w = out.append
    w("# Federation benchmark results")
    w("")
    w(f"Report written {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC (each measurement gives its time); build "
      f"`{a.commit}` (the binary's source) on {os.cpu_count()} cores ({cpu_model()}), shared with other work, by "
      f"`bench/federation/run.sh {a.binary}`. Two entente nodes (release build, embedded SQLite "
      "stores) on loopback: A (fr-dgsi) exposes channel fr-be in collection `shared`, B "
      "(be-vsse) pulls it into `from-fr` with a service credential of A, verifying A's "
      f"Ed25519 signatures. Data: {a.count:,} objects from `bench/gen/objects.py` "
      f"({size / 1048576:,.0f} MiB of JSON lines), with the generator's TLP:AMBER+STRICT and "
      "TLP:RED markings (18% of the objects, which no partner may receive) rewritten to "
      "TLP:AMBER so that every object is shareable. The load average (1, 5, 15 min) is given "
      "before each measurement.")
    w("")
    w("## Initial synchronisation (target: >= 30,000 objects/s)")
    w("")
    w("`entente peer sync fr` on B against a fresh B store, A serving on loopback; wall clock "
      "from start to exit; objects/s = versions / seconds. A's CPU is read from /proc for the "
      "serving process, B's from `/usr/bin/time -v`.")
    w("")
    w("| run (UTC) | seconds | objects/s | versions on B | A CPU s | B CPU s | cores busy (A+B CPU / wall) | load before | target |")
    w("|---|---:|---:|---|---:|---:|---:|---|---|")
    for r in syncs:
        cores = (r["a_cpu_s"] + r["b_cpu_s"]) / r["seconds"]
        exact = f"{r['b_versions']:,} (exact)" if r["exact"] else f"**{r['b_versions']:,} of {r['expected']:,}**"
        label = r["label"] + (" (under perf record, both nodes)" if r.get("profiled") else "")
        label += tag(r)
        met = "met" if r["objects_per_s"] >= SYNC_TARGET else "**not met**"
        w(f"| {label} | {r['seconds']:.1f} | {r['objects_per_s']:,.0f} | {exact} | "
          f"{r['a_cpu_s']:.1f} | {r['b_cpu_s']:.1f} | {cores:.2f} | {r['load_before']} | {met} |")
    for r in syncs[:1]:
        w("")
        w(f"B's report of a sync: `{r['summary']}`")
    w("")
    w("## For comparison: the same data without federation")
    w("")
    w("| measurement | seconds | objects/s | server CPU s | client CPU s | load before |")
    w("|---|---:|---:|---:|---:|---|")
    for r in imports:
        w(f"| `entente import` into A ({r['stored']:,} stored; not part of the sync figure){tag(r)} | "
          f"{r['seconds']:.1f} | {r['objects_per_s']:,.0f} | {r['cpu_s']:.1f} (the import) | | {r['load_before']} |")
    for r in pages:
        who = ("B's service credential (every version signed by A)" if r["credential"] == "service"
               else "A's analyst (no signatures)")
        at = tag(r)
        w(f"| every page of A over TAXII (limit=1000), {who}, run {r['run']}{at}: "
          f"{r['objects']:,} objects, {r['bytes'] / 1048576:,.0f} MiB | {r['seconds']:.1f} | "
          f"{r['objects_per_s']:,.0f} | {r['server_cpu_s']:.1f} | {r['client_cpu_s']:.1f} | {r['load_before']} |")
    w("")
    w("## Steady-state latency (target: < 2 s with a 1-second pull interval)")
    w("")
    w("B serves (its scheduler pulls A every second); `latency.py` creates one indicator on A "
      "(TAXII POST as an analyst of A), then polls B (TAXII GET `match[id]` as an analyst of B) "
      "every 20 ms until B serves it; pauses of 0 to 1 s between trials spread the creates over "
      "the schedule's phase. Latency runs from just before the POST to B's first answer holding "
      "the object. B holds the synchronised versions at that point.")
    w("")
    w("| series (UTC) | visible / trials | median s | p95 s | max s | min s | POST on A, median / max ms | from A's answer: median / p95 / max s | load before | target |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---|---|")
    for r in lats:
        if "median_s" not in r:
            w(f"| {r['run']} | 0 / {r['trials']} | | | | | | | {r['load_before']} | **not met** |")
            continue
        met = "met" if r["p95_s"] < LATENCY_TARGET and r["max_s"] < LATENCY_TARGET and not r["missed"] else (
            "median and p95 met" if r["p95_s"] < LATENCY_TARGET and not r["missed"] else "**not met**")
        at = tag(r)
        w(f"| {r['run']}{at} | {r['visible']} / {r['trials']} | {r['median_s']:.3f} | {r['p95_s']:.3f} | "
          f"{r['max_s']:.3f} | {r['min_s']:.3f} | {r['post_median_ms']:.1f} / {r.get('post_max_ms', float('nan')):,.1f} | "
          f"{r.get('after_post_median_s', float('nan')):.3f} / {r.get('after_post_p95_s', float('nan')):.3f} / "
          f"{r.get('after_post_max_s', float('nan')):.3f} | {r['load_before']} | {met} |")
    for r in lats:
        for x in r.get("warmup", []):
            w("")
            w(f"Warm-up create before series {r['run']}{tag(r)} (the first create after both nodes "
              f"started; not in the statistics): visible on B after {x['latency_s']} s, of "
              f"which the POST on A took {x['post_ms']:,.1f} ms.")
    if lats and all("latencies_s" in r for r in lats):
        allv = [x for r in lats for x in r["latencies_s"]]
        s = sorted(allv)
        w("")
        w(f"All series together: {len(allv)} trials, median {statistics.median(allv):.3f} s, "
          f"p95 {s[int(0.95 * (len(s) - 1))]:.3f} s, max {max(allv):.3f} s.")
    w("")
    w("## Summary")
    w("")
    current = lambda r: r.get("build", a.commit) == a.commit
    unprofiled = [r for r in syncs if not r.get("profiled") and current(r)]
    lats = [r for r in lats if current(r)]
    w(f"Figures of the build `{a.commit}`; rows of other builds are for comparison.")
    w("")
    if unprofiled:
        w(f"- Initial synchronisation: {rng([r['objects_per_s'] for r in unprofiled], '{:,.0f}')} "
          f"objects/s over {len(unprofiled)} runs ({rng([r['seconds'] for r in unprofiled], '{:.1f}')} s "
          f"for {unprofiled[0]['expected']:,} versions), every run exact: "
          f"{'yes' if all(r['exact'] for r in unprofiled) else '**no**'}. Target 30,000 objects/s: "
          f"{'met' if all(r['objects_per_s'] >= SYNC_TARGET for r in unprofiled) else '**not met**'}.")
    if lats:
        good = [r for r in lats if "median_s" in r]
        w(f"- Steady-state latency: median {rng([r['median_s'] for r in good], '{:.2f}')} s, p95 "
          f"{rng([r['p95_s'] for r in good], '{:.2f}')} s, max {rng([r['max_s'] for r in good], '{:.2f}')} s "
          f"over {len(lats)} series of {lats[0]['trials']} trials; missed: "
          f"{sum(r.get('missed', 0) for r in lats)}. Target < 2 s: "
          f"{'met' if all(r.get('max_s', 99) < LATENCY_TARGET and not r.get('missed') for r in lats) else '**not met** for every trial'}.")
    for n, what in (("a", "A (serving, signing)"), ("b", "B (`peer sync`: fetching, verifying, storing)")):
        path = os.path.join(a.work, f"perf-{n}.txt")
        if os.path.exists(path) and os.path.getsize(path):
            w("")
            w(f"## CPU profile of {what}")
            w("")
            groups = os.path.join(a.work, f"perf-{n}-groups.md")
            if os.path.exists(groups) and os.path.getsize(groups):
                w("`perf record -F 499` during the profiled sync, samples grouped by `profile.py` "
                  "(by symbol name; approximate):")
                w("")
                for line in open(groups):
                    w(line.rstrip("\n"))
                w("")
            w("The hottest symbols (`perf report --no-children --sort dso,sym`):")
            w("")
            w("```")
            shown = 0
            for line in open(path):
                if line.startswith("#"):
                    continue
                w(line.rstrip("\n")[:150])
                shown += 1
                if shown == 20:
                    break
            w("```")
    w("")
    w("Raw figures: `$WORK/results.jsonl` (default `/tmp/entente-bench-federation`).")
    w("")
    w(MARKER)
    w("")
    text = "\n".join(out) + ("\n" + kept if kept else "")
    with open(a.out, "w") as f:
        f.write(text if text.endswith("\n") else text + "\n")


if __name__ == "__main__":
    main()
