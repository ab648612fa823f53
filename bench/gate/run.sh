#!/usr/bin/env bash
# What the sharing rules and the audit log cost on reads (issue 4): GET objects throughput of
# the node as built (every object decided by the gate, every request recorded in the audit log
# with group commit) against the same node built with the `bench-gate-bypass` feature (no
# decisions, no audit), both on loopback, same data, measured alternately in one run with wrk.
# Also the server CPU time per request of each, read from /proc (steadier on a shared machine).
# Writes bench/gate/RESULTS.md.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
COUNT="${COUNT:-10000}"          # objects in the channel collection
LIMIT="${LIMIT:-100}"            # page size requested
DURATION="${DURATION:-10}"       # seconds per measurement
ROUNDS="${ROUNDS:-6}"            # alternations gated / bypassed
CONNECTIONS="${CONNECTIONS:-8}"
WORK="${WORK:-/tmp/entente-bench-gate}"
if [ "${VISIBLE:-0}" = 1 ]; then
  RESULTS="${RESULTS:-$HERE/RESULTS-visible.md}"
else
  RESULTS="${RESULTS:-$HERE/RESULTS.md}"
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

log() { printf '== %s\n' "$*" >&2; }
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

command -v wrk >/dev/null || { log "installing wrk"; apt-get install -y wrk >/dev/null; }
mkdir -p "$WORK"
if [ -z "${ENTENTE_PREBUILT:-}" ]; then
  log "building entente (release), gated and bypassed"
  (cd "$ROOT" && cargo build --release -p entente --quiet)
  cp "$CARGO_TARGET_DIR/release/entente" "$WORK/entente-gated"
  (cd "$ROOT" && cargo build --release -p entente --features bench-gate-bypass --quiet)
  cp "$CARGO_TARGET_DIR/release/entente" "$WORK/entente-bypass"
  # Leave the ordinary binary in place.
  (cd "$ROOT" && cargo build --release -p entente --quiet)
fi

# VISIBLE=1: leave out the TLP:RED objects (they name no recipient, so the reader may not see
# them): then both builds serve the same objects, and the difference is the gate and the log
# alone; by default the gated build also pays for skipping what it withholds.
VISIBLE="${VISIBLE:-0}"
python3 "$ROOT/bench/gen/objects.py" --count "$COUNT" --seed 1 --out "$WORK/all.jsonl"
if [ "$VISIBLE" = 1 ]; then
  grep -v 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1' "$WORK/all.jsonl" >"$WORK/objects.jsonl"
else
  cp "$WORK/all.jsonl" "$WORK/objects.jsonl"
fi
OBJECTS="$(wc -l <"$WORK/objects.jsonl")"

# A node with a partner, a channel under an agreement, a collection exposing it, the
# partner's objects in it, and an analyst of the home organisation who reads them.
setup() {
  local bin="$1" data="$2"
  rm -rf "$data"
  "$bin" --data "$data" init >/dev/null
  "$bin" --data "$data" org add partner-a >/dev/null
  "$bin" --data "$data" channel add ab --member home --member partner-a \
    --legal-basis "bench" --purpose investigation --max-marking red >/dev/null
  COLL="$("$bin" --data "$data" collection add --title shared --alias shared | tail -n 1)"
  "$bin" --data "$data" collection bind shared --channel ab >/dev/null
  "$bin" --data "$data" import "$WORK/objects.jsonl" -c shared --originator partner-a >/dev/null 2>&1
  "$bin" --data "$data" user add reader --purpose investigation >/dev/null
  "$bin" --data "$data" user grant reader --collection shared --read >/dev/null
  TOKEN="$("$bin" --data "$data" user token reader | tail -n 1 | tr -d '[:space:]')"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start() {
  local bin="$1" data="$2" port="$3"
  "$bin" --data "$data" --log warn serve --listen "127.0.0.1:$port" >"$data.log" 2>&1 &
  PIDS+=("$!")
  for _ in $(seq 1 300); do curl -fsS -o /dev/null "http://127.0.0.1:$port/health" && return 0; sleep 0.1; done
  return 1
}

declare -A URL TOK PID
for kind in gated bypass; do
  setup "$WORK/entente-$kind" "$WORK/data-$kind"
  port="$(free_port)"
  start "$WORK/entente-$kind" "$WORK/data-$kind" "$port"
  PID[$kind]="${PIDS[-1]}"
  URL[$kind]="http://127.0.0.1:$port/api1/collections/$COLL/objects/?limit=$LIMIT"
  TOK[$kind]="$TOKEN"
  n="$(curl -fsS -H "Authorization: Bearer $TOKEN" -H 'Accept: application/taxii+json;version=2.1' "${URL[$kind]}" \
    | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["objects"]))')"
  [ "$n" = "$LIMIT" ] || { log "$kind: expected $LIMIT objects, got $n"; exit 1; }
done

CLK="$(getconf CLK_TCK)"
cpu() { awk -v hz="$CLK" '{ printf "%.3f\n", ($14 + $15) / hz }' "/proc/$1/stat"; }
RAW="$WORK/raw.txt"; : >"$RAW"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$ROUNDS"); do
  # Alternate which build goes first, so that a drift of the machine's load favours neither.
  if (( round % 2 )); then order="gated bypass"; else order="bypass gated"; fi
  for kind in $order; do
    c0="$(cpu "${PID[$kind]}")"
    out="$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -H "Authorization: Bearer ${TOK[$kind]}" \
      -H 'Accept: application/taxii+json;version=2.1' "${URL[$kind]}")"
    c1="$(cpu "${PID[$kind]}")"
    rps="$(printf '%s\n' "$out" | awk '/Requests\/sec/ { print $2 }')"
    reqs="$(printf '%s\n' "$out" | awk '/requests in/ { print $1 }')"
    p50="$(printf '%s\n' "$out" | awk '/Latency/ { print $2 }')"
    echo "$round $kind $rps $reqs $c0 $c1 $p50" | tee -a "$RAW" >&2
  done
done

LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$RAW" "$RESULTS" "$OBJECTS" "$LIMIT" "$DURATION" "$CONNECTIONS" "$VISIBLE" \
  "$LOAD_BEFORE" "$LOAD_AFTER" <<'PY'
import statistics, sys, datetime
raw, out, count, limit, dur, conns, visible, load_before, load_after = sys.argv[1:]
rows = [l.split() for l in open(raw) if l.strip()]
by = {"gated": [], "bypass": []}
for r, kind, rps, reqs, c0, c1, p50 in rows:
    by[kind].append((float(rps), int(reqs), float(c1) - float(c0), p50))
def med(kind, i): return statistics.median(x[i] for x in by[kind])
g_rps, b_rps = med("gated", 0), med("bypass", 0)
g_cpu = statistics.median(x[2] / x[1] * 1e6 for x in by["gated"])
b_cpu = statistics.median(x[2] / x[1] * 1e6 for x in by["bypass"])
# Each round's two measurements are adjacent in time: their ratios are steadier than the
# ratio of medians when the machine's load drifts.
pairs = list(zip(by["gated"], by["bypass"]))
tput = sorted(g[0] / b[0] for g, b in pairs)
cpu = sorted((g[2] / g[1]) / (b[2] / b[1]) for g, b in pairs)
lines = [
    "# Cost of the sharing rules and the audit log on reads",
    "",
    f"Measured {datetime.date.today()} by `bench/gate/run.sh` (VISIBLE={visible}): GET objects",
    f"(`limit={limit}`) of a channel collection holding {count} objects of a partner, read by an",
    "analyst of a member organisation" + (", every object visible to the reader" if visible == "1"
        else ", about 9% of them TLP:RED not naming the reader (withheld by the gate)") + ";",
    f"wrk, {conns} connections, {dur} s per measurement, gated and bypassed alternately",
    "(medians of the rounds; each round in the other order than the one before).",
    "",
    "| build | requests/s | server CPU per request (µs) |",
    "|---|---:|---:|",
    f"| gated (rules + audit log) | {g_rps:,.0f} | {g_cpu:,.0f} |",
    f"| bypassed (`bench-gate-bypass`) | {b_rps:,.0f} | {b_cpu:,.0f} |",
    "",
    f"Throughput cost of the gate and the audit log: {(1 - g_rps / b_rps) * 100:.1f}% "
    f"(gated / bypassed = {g_rps / b_rps:.3f}); CPU per request: {(g_cpu / b_cpu - 1) * 100:+.1f}%.",
    "",
    f"Per round (gated / bypassed, adjacent measurements): throughput median "
    f"{statistics.median(tput):.3f} (range {tput[0]:.3f}-{tput[-1]:.3f}), a cost of "
    f"{(1 - statistics.median(tput)) * 100:.1f}%; CPU per request median "
    f"{statistics.median(cpu):.3f} (range {cpu[0]:.3f}-{cpu[-1]:.3f}).",
    "",
    f"Load average (1, 5, 15 min) before: {load_before}; after: {load_after}.",
    "",
    "Rounds (round, build, requests/s, requests, server CPU s before/after, median latency):",
    "",
    "```",
    *[" ".join(r) for r in rows],
    "```",
    "",
]
open(out, "w").write("\n".join(lines))
print("\n".join(lines))
PY
