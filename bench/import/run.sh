#!/usr/bin/env bash
# Import benchmark: `entente import` of generated STIX objects into a fresh embedded store
# (release build), measuring objects/s and peak RSS with /usr/bin/time -v; then the same file
# again into the same store (every object a duplicate). Writes bench/import/RESULTS.md.
# See bench/import/README.md.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

COUNT="${COUNT:-1000000}"
SEED="${SEED:-1}"
WORK="${WORK:-/tmp/entente-bench-import}"
BATCH="${BATCH:-}"                      # objects per durable write (default: entente's own)
CORRELATION="${CORRELATION:-on}"        # off: the store does not correlate (to measure its cost)
RESULTS="${RESULTS:-$HERE/RESULTS.md}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
ENTENTE="${ENTENTE:-$CARGO_TARGET_DIR/release/entente}"

log() { printf '== %s\n' "$*" >&2; }
mkdir -p "$WORK"

if [ ! -x /usr/bin/time ]; then
  log "installing GNU time (Debian package)"
  apt-get install -y time >/dev/null
fi
if [ -z "${ENTENTE_PREBUILT:-}" ]; then
  log "building entente (release)"
  (cd "$ROOT" && cargo build --release -p entente --quiet)
fi

FILE="$WORK/objects-$COUNT-seed$SEED.jsonl"
if [ ! -s "$FILE" ]; then
  log "generating $COUNT objects -> $FILE"
  if [ -f "$ROOT/bench/gen/objects.py" ]; then
    python3 "$ROOT/bench/gen/objects.py" --count "$COUNT" --format lines --seed "$SEED" --out "$FILE.tmp"
  else
    python3 "$ROOT/bench/taxii/gen_objects.py" --count "$COUNT" --format lines --seed "$SEED" --out "$FILE.tmp"
  fi
  mv "$FILE.tmp" "$FILE"
fi
BYTES="$(stat -c %s "$FILE")"

DATA="$WORK/data"
rm -rf "$DATA"
"$ENTENTE" --data "$DATA" init >/dev/null
if [ "$CORRELATION" = off ]; then
  "$ENTENTE" --data "$DATA" hits settings --disable >/dev/null
fi

# run_import NAME: one timed import of $FILE into $DATA; writes $WORK/NAME.{json,time}.
run_import() {
  local name="$1"
  local extra=()
  if [ -n "$BATCH" ]; then extra=(--batch "$BATCH"); fi
  log "import ($name): $COUNT objects, $((BYTES / 1048576)) MiB"
  local rc=0
  timeout 3600 /usr/bin/time -v -o "$WORK/$name.time" \
    "$ENTENTE" --data "$DATA" --log warn import "$FILE" --collection home --json "${extra[@]}" \
    >"$WORK/$name.json" 2>"$WORK/$name.stderr" || rc=$?
  # Exit status 2 means some objects were rejected (reported in the summary); anything else fails.
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
    cat "$WORK/$name.stderr" "$WORK/$name.time" >&2
    exit "$rc"
  fi
}

run_import first
run_import again

python3 - "$WORK" "$COUNT" "$BYTES" "$RESULTS" "$CORRELATION" \
  "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  "$(du -sb "$DATA" | cut -f1)" <<'EOF'
import datetime, json, os, re, sys

work, count, size, out, correlation, commit, store_bytes = sys.argv[1:8]
count, size, store_bytes = int(count), int(size), int(store_bytes)

try:
    load = " ".join(open("/proc/loadavg").read().split()[:3])
except OSError:
    load = "unknown"


def cpu():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"

def timing(name):
    text = open(f"{work}/{name}.time").read()
    def field(label):
        m = re.search(re.escape(label) + r":\s*(.+)", text)
        return m.group(1).strip() if m else None
    wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
    parts = [float(p) for p in wall.split(":")]
    seconds = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    return {
        "seconds": seconds,
        "rss_mb": int(field("Maximum resident set size (kbytes)")) / 1024,
        "cpu": field("Percent of CPU this job got"),
        "user": float(field("User time (seconds)")),
        "system": float(field("System time (seconds)")),
        "written_mb": int(field("File system outputs") or 0) * 512 / 1048576,
    }

rows = []
for name, title in (("first", "fresh store"), ("again", "same file again (all duplicates)")):
    summary = json.load(open(f"{work}/{name}.json"))
    t = timing(name)
    handled = summary.get("stored", 0) + summary.get("duplicates", 0) + summary.get("rejected", 0)
    rows.append((title, summary, t, handled / t["seconds"]))

lines = [
    "# Import benchmark results",
    "",
    f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC at commit `{commit}` "
    f"on {os.cpu_count()} cores ({cpu()}), by `bench/import/run.sh`: `entente import` (release "
    f"build) of {count:,} generated objects ({size / 1048576:,.0f} MiB of JSON lines, "
    "`bench/gen/objects.py`) into the embedded SQLite store; time and peak RSS from "
    f"`/usr/bin/time -v`. Correlation: {correlation}.",
    "",
    "| run | stored | duplicates | rejected | seconds | objects/s | MB/s | peak RSS MB | CPU (user + sys s) | written to disk MB | targets |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
]
for title, s, t, rate in rows:
    ok_rate = "met" if rate >= 100_000 else "**not met**"
    ok_rss = "met" if t["rss_mb"] < 500 else "**not met**"
    lines.append(
        f"| {title} | {s.get('stored', 0):,} | {s.get('duplicates', 0):,} | {s.get('rejected', 0):,} | "
        f"{t['seconds']:.1f} | {rate:,.0f} | {size / 1048576 / t['seconds']:,.1f} | {t['rss_mb']:,.0f} | "
        f"{t['cpu']} ({t['user']:.1f} + {t['system']:.1f}) | {t['written_mb']:,.0f} | "
        f">= 100,000 objects/s: {ok_rate}; < 500 MB RSS: {ok_rss} |")
lines += [
    "",
    f"Store size after both runs: {store_bytes / 1048576:,.0f} MiB. Load average when the "
    f"report was written: {load}. Objects/s counts every object handled (stored, duplicate or "
    "rejected) over the wall time of the whole command.",
    "",
]
open(out, "w").write("\n".join(lines))
EOF
log "results: $RESULTS"
cat "$RESULTS"
