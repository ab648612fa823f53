#!/usr/bin/env bash
# Federation benchmark (issue 6): two entente nodes on loopback, A (fr-dgsi) and B (be-vsse),
# sharing channel fr-be. Measures the initial synchronisation of COUNT objects from A to B
# (`entente peer sync` on B, signatures made by A and verified by B included), the steady-state
# latency from a create on A to the object being visible on B with a 1-second pull interval,
# and, to see where the time goes, the same data read page by page from A's TAXII API without
# B, and optionally CPU profiles of both nodes during a sync (perf). Writes
# bench/federation/RESULTS.md. See bench/federation/README.md.
#
#   bench/federation/run.sh [PATH_TO_ENTENTE_BINARY]
#
# Every wait is bounded in time; all traffic stays on 127.0.0.1; every process started here is
# stopped when the script exits.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

COUNT="${COUNT:-1000000}"               # objects imported into A and synchronised to B
SEED="${SEED:-1}"
SYNC_RUNS="${SYNC_RUNS:-2}"             # timed initial synchronisations (a fresh B each)
PAGE_RUNS="${PAGE_RUNS:-2}"             # reads of every page of A without B (per credential)
LATENCY_RUNS="${LATENCY_RUNS:-2}"       # latency series
TRIALS="${TRIALS:-50}"                  # creates per latency series
INTERVAL="${INTERVAL:-1}"               # B's pull interval, seconds
PERF="${PERF:-auto}"                    # auto: profile one more sync when perf is installed; 0: never
WORK="${WORK:-/tmp/entente-bench-federation}"
REUSE_A="${REUSE_A:-0}"                 # 1: keep node A of a previous run (skip its import)
B_CORRELATION="${B_CORRELATION:-on}"    # off: B does not correlate (to measure what correlation costs)
APPEND="${APPEND:-0}"                   # 1: add to the raw figures of previous runs in WORK
WARMUP="${WARMUP:-1}"                   # creates before the latency series, reported apart
RESULTS="${RESULTS:-$HERE/RESULTS.md}"
# The commit the binary was built from, for the report (default: the checkout's HEAD).
BUILD_COMMIT="${BUILD_COMMIT:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target-bench}"
ENTENTE="${1:-${ENTENTE:-}}"
if [ -z "$ENTENTE" ]; then
  ENTENTE="$CARGO_TARGET_DIR/release/entente"
  printf '== building entente (release) in %s\n' "$CARGO_TARGET_DIR" >&2
  (cd "$ROOT" && nice cargo build --release -p entente --quiet)
fi
ENTENTE="$(realpath "$ENTENTE")"
# The binary node B runs (default: the same as A). With the same node A (REUSE_A=1), runs of two
# builds of B can be compared side by side against one and the same source.
B_ENTENTE="$(realpath "${B_ENTENTE:-$ENTENTE}")"
B_LABEL="${B_LABEL:-}"                   # a prefix for the labels of B's timed synchronisations
# shellcheck source=bench/federation/processes.sh
. "$HERE/processes.sh"

log() { printf '== %s\n' "$*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
now_ns() { date +%s%N; }
CLK_TCK="$(getconf CLK_TCK)"
# cpu_of PID: CPU seconds (user + system) used so far by the process.
cpu_of() { awk -v hz="$CLK_TCK" '{ printf "%.2f\n", ($14 + $15) / hz }' "/proc/$1/stat"; }

mkdir -p "$WORK"
RAW="$WORK/results.jsonl"
if [ "$APPEND" != 1 ]; then : >"$RAW"; fi
# record JSON: append one measurement (with the load average and the time) to $RAW.
record() {
  python3 -c 'import json, sys; r = json.loads(sys.argv[1]); r["load"] = sys.argv[2]; r["at"] = sys.argv[3]; r["build"] = sys.argv[4]; print(json.dumps(r))' \
    "$1" "$(load)" "$(date -u +%H:%M)" "$BUILD_COMMIT" >>"$RAW"
  tail -n 1 "$RAW" >&2
}

if [ ! -x /usr/bin/time ]; then
  log "installing GNU time (Debian package)"
  apt-get install -y time >/dev/null
fi
if [ "$PERF" = auto ]; then
  if command -v perf >/dev/null 2>&1 && perf stat -e task-clock true >/dev/null 2>&1; then PERF=1; else PERF=0; fi
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL: until URL answers (any HTTP status), at most 60 s.
wait_http() {
  for _ in $(seq 1 600); do
    if curl -sS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "no answer from $1 within 60 s" >&2
  return 1
}

# serve DATA PORT [BINARY]: start a node in the background; sets SERVED_PID.
serve() {
  "${3:-$ENTENTE}" --data "$1" serve --listen "127.0.0.1:$2" >"$1.serve.log" 2>&1 &
  SERVED_PID="$!"
  PIDS+=("$SERVED_PID")
  wait_http "http://127.0.0.1:$2/health"
}

# token_of OUTPUT: the token printed by `entente user add ... --token-only`.
token_of() { sed -n 's/^token: *//p' <<<"$1" | tr -d '[:space:]'; }

# versions DATA ALIAS [BINARY]: the versions `entente collection list` counts in a collection.
versions() {
  "${3:-$ENTENTE}" --data "$1" collection list | awk -F'\t' -v a="$2" '$3 == a { sub(/ versions$/, "", $NF); print $NF }'
}

channel() { # channel DATA [BINARY]
  "${2:-$ENTENTE}" --data "$1" channel add fr-be --member fr-dgsi --member be-vsse \
    --legal-basis "Bilateral memorandum of understanding" --purpose investigation >/dev/null
}

# --- data -------------------------------------------------------------------------------------
FILE="$WORK/objects-$COUNT-seed$SEED.jsonl"
if [ ! -s "$FILE" ]; then
  log "generating $COUNT objects -> $FILE"
  python3 "$ROOT/bench/gen/objects.py" --count "$COUNT" --format lines --seed "$SEED" --out "$FILE.tmp"
  mv "$FILE.tmp" "$FILE"
fi
# The generator marks about 9% of the objects TLP:AMBER+STRICT and 9% TLP:RED, which the sharing
# rules never let go to another organisation (AMBER+STRICT: the organisation only; RED: named
# recipients only; and the channel carries at most AMBER). A partner would receive 82% of the
# file. For a synchronisation of exactly COUNT objects those two markings are rewritten to
# TLP:AMBER (one marking reference per generated object; nothing else changes).
SHAREABLE="$WORK/shareable-$COUNT-seed$SEED.jsonl"
if [ ! -s "$SHAREABLE" ]; then
  log "rewriting TLP:AMBER+STRICT and TLP:RED to TLP:AMBER -> $SHAREABLE"
  sed -e 's/marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003/marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421/g' \
    -e 's/marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1/marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421/g' \
    "$FILE" >"$SHAREABLE.tmp"
  mv "$SHAREABLE.tmp" "$SHAREABLE"
fi
FILE="$SHAREABLE"

# --- node A: fr-dgsi, exposes channel fr-be in collection `shared` --------------------------
A="$WORK/a"
if [ "$REUSE_A" = 1 ] && [ -s "$WORK/a.env" ]; then
  log "reusing node A in $A"
  # shellcheck disable=SC1091
  . "$WORK/a.env"
else
  rm -rf "$A" "$WORK/a.env"
  "$ENTENTE" --data "$A" init --organisation fr-dgsi >"$WORK/a.init.txt"
  "$ENTENTE" --data "$A" org add be-vsse >/dev/null
  channel "$A"
  SHARED="$("$ENTENTE" --data "$A" collection add --title FR-BE --alias shared | tr -d '[:space:]')"
  "$ENTENTE" --data "$A" collection bind shared --channel fr-be >/dev/null
  B_SERVICE_TOKEN="$(token_of "$("$ENTENTE" --data "$A" user add be-node --organisation be-vsse \
    --role service --token-only --purpose investigation)")"
  "$ENTENTE" --data "$A" user grant be-node -c shared --read >/dev/null
  A_ANALYST_TOKEN="$(token_of "$("$ENTENTE" --data "$A" user add fr-analyst --organisation fr-dgsi \
    --role analyst --token-only --purpose investigation)")"
  "$ENTENTE" --data "$A" user grant fr-analyst -c shared --read --write >/dev/null
  A_KEY="$("$ENTENTE" --data "$A" identity | sed -n 's/^public key: *//p' | tr -d '[:space:]')"

  log "import of $COUNT objects into A (timed separately; not part of the sync figure)"
  load0="$(load)"
  t0="$(now_ns)"
  rc=0
  timeout 3600 /usr/bin/time -v -o "$WORK/import.time" "$ENTENTE" --data "$A" import "$FILE" \
    -c shared --originator fr-dgsi --json >"$WORK/import.json" 2>"$WORK/import.stderr" || rc=$?
  t1="$(now_ns)"
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then cat "$WORK/import.stderr" >&2; exit "$rc"; fi
  record "$(python3 - "$WORK" "$t0" "$t1" "$load0" <<'EOF'
import json, re, sys
work, t0, t1, load0 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
s = json.load(open(f"{work}/import.json"))
t = open(f"{work}/import.time").read()
f = lambda k: float(re.search(re.escape(k) + r":\s*([0-9.]+)", t).group(1))
sec = (t1 - t0) / 1e9
print(json.dumps({"kind": "import", "seconds": sec, "stored": s.get("stored", 0),
                  "objects_per_s": s.get("stored", 0) / sec,
                  "cpu_s": f("User time (seconds)") + f("System time (seconds)"),
                  "load_before": load0}))
EOF
)"
  cat >"$WORK/a.env" <<EOF
SHARED='$SHARED'
B_SERVICE_TOKEN='$B_SERVICE_TOKEN'
A_ANALYST_TOKEN='$A_ANALYST_TOKEN'
A_KEY='$A_KEY'
EOF
fi
A_VERSIONS="$(versions "$A" shared)"
log "A holds $A_VERSIONS versions in shared ($SHARED)"

A_PORT="$(free_port)"
serve "$A" "$A_PORT"
A_PID="$SERVED_PID"
A_URL="http://127.0.0.1:$A_PORT/api1/"

# --- A alone: every page read over TAXII, as B's service credential (signed) and as A's analyst
for i in $(seq 1 "$PAGE_RUNS"); do
  for who in service analyst; do
    if [ "$who" = service ]; then tok="$B_SERVICE_TOKEN"; else tok="$A_ANALYST_TOKEN"; fi
    log "read every page of A as $who ($i/$PAGE_RUNS)"
    load0="$(load)"
    c0="$(cpu_of "$A_PID")"
    line="$(timeout 1800 python3 "$HERE/pages.py" --url "${A_URL}collections/$SHARED/" --token "$tok" \
      | sed -n 's/^RESULT //p')"
    c1="$(cpu_of "$A_PID")"
    record "$(python3 -c 'import json, sys
r = json.loads(sys.argv[1]); r.update(kind="pages", credential=sys.argv[2], run=int(sys.argv[3]),
  server_cpu_s=float(sys.argv[5]) - float(sys.argv[4]), load_before=sys.argv[6]); print(json.dumps(r))' \
      "$line" "$who" "$i" "$c0" "$c1" "$load0")"
  done
done

# --- node B: be-vsse, pulls channel fr-be from A into `from-fr` ------------------------------
B="$WORK/b"
new_b() {
  rm -rf "$B"
  "$B_ENTENTE" --data "$B" init --organisation be-vsse >"$WORK/b.init.txt"
  "$B_ENTENTE" --data "$B" org add fr-dgsi >/dev/null
  channel "$B" "$B_ENTENTE"
  FROM_FR="$("$B_ENTENTE" --data "$B" collection add --title "From FR" --alias from-fr | tr -d '[:space:]')"
  "$B_ENTENTE" --data "$B" collection bind from-fr --channel fr-be >/dev/null
  "$B_ENTENTE" --data "$B" org key add fr-dgsi "$A_KEY" >/dev/null
  if [ "${B_CORRELATION:-on}" = off ]; then
    "$B_ENTENTE" --data "$B" hits settings --disable >/dev/null
  fi
  printf '%s' "$B_SERVICE_TOKEN" >"$WORK/fr.token"
  "$B_ENTENTE" --data "$B" peer add fr --url "$A_URL" --organisation fr-dgsi --channel fr-be \
    --pull "$SHARED" --into from-fr --token-file "$WORK/fr.token" --interval "$INTERVAL" >/dev/null
  B_ANALYST_TOKEN="$(token_of "$("$B_ENTENTE" --data "$B" user add be-analyst --organisation be-vsse \
    --role analyst --token-only --purpose investigation)")"
  "$B_ENTENTE" --data "$B" user grant be-analyst -c from-fr --read >/dev/null
}

# sync_run LABEL [perf]: a fresh B, then one timed `entente peer sync fr`.
sync_run() {
  local label="$1" profile="${2:-}"
  new_b
  log "initial synchronisation of $A_VERSIONS versions A -> B ($label)"
  local load0 c0 c1 t0 t1 rc=0 perf_pid=""
  if [ -n "$profile" ]; then
    perf record -F 499 -o "$WORK/perf-a.data" -p "$A_PID" >"$WORK/perf-a.log" 2>&1 &
    perf_pid="$!"
    PIDS+=("$perf_pid")
    sleep 1
  fi
  load0="$(load)"
  c0="$(cpu_of "$A_PID")"
  t0="$(now_ns)"
  if [ -n "$profile" ]; then
    timeout 3600 /usr/bin/time -v -o "$WORK/sync-$label.time" \
      perf record -F 499 -o "$WORK/perf-b.data" -- "$B_ENTENTE" --data "$B" peer sync fr \
      >"$WORK/sync-$label.out" 2>"$WORK/sync-$label.stderr" || rc=$?
  else
    timeout 3600 /usr/bin/time -v -o "$WORK/sync-$label.time" "$B_ENTENTE" --data "$B" peer sync fr \
      >"$WORK/sync-$label.out" 2>"$WORK/sync-$label.stderr" || rc=$?
  fi
  t1="$(now_ns)"
  c1="$(cpu_of "$A_PID")"
  if [ -n "$perf_pid" ]; then
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ]; then cat "$WORK/sync-$label.out" "$WORK/sync-$label.stderr" >&2; exit "$rc"; fi
  local got
  got="$(versions "$B" from-fr "$B_ENTENTE")"
  record "$(python3 - "$WORK" "$label" "$t0" "$t1" "$c0" "$c1" "$got" "$A_VERSIONS" "$load0" "$profile" <<'EOF'
import json, re, sys
work, label, t0, t1, c0, c1, got, expected, load0, profile = sys.argv[1:11]
t = open(f"{work}/sync-{label}.time").read()
f = lambda k: float(re.search(re.escape(k) + r":\s*([0-9.]+)", t).group(1))
sec = (int(t1) - int(t0)) / 1e9
print(json.dumps({"kind": "sync", "label": label, "profiled": bool(profile), "seconds": sec,
                  "objects_per_s": int(expected) / sec, "b_versions": int(got),
                  "expected": int(expected), "exact": int(got) == int(expected),
                  "a_cpu_s": float(c1) - float(c0),
                  "b_cpu_s": f("User time (seconds)") + f("System time (seconds)"),
                  "b_rss_mb": f("Maximum resident set size (kbytes)") / 1024,
                  "summary": open(f"{work}/sync-{label}.out").read().strip(),
                  "load_before": load0}))
EOF
)"
}

for i in $(seq 1 "$SYNC_RUNS"); do sync_run "${B_LABEL:-}run$i"; done
if [ "$PERF" = 1 ]; then
  sync_run profiled perf
  for n in a b; do
    perf report -i "$WORK/perf-$n.data" --stdio --no-children --sort dso,sym --percent-limit 0.7 \
      2>/dev/null | grep -v '^$' | head -70 >"$WORK/perf-$n.txt" || true
    python3 "$HERE/profile.py" "$WORK/perf-$n.data" "$([ "$n" = a ] && echo "A, serving" || echo "B, peer sync")" \
      >"$WORK/perf-$n-groups.md" || true
  done
fi

# --- steady state: B serves (its scheduler pulls every INTERVAL s); creates on A, polls B ------
B_PORT="$(free_port)"
serve "$B" "$B_PORT" "$B_ENTENTE"
B_URL="http://127.0.0.1:$B_PORT/api1/"
sleep 2
for i in $(seq 1 "$LATENCY_RUNS"); do
  log "latency series $i/$LATENCY_RUNS: $TRIALS creates on A, B polled every 20 ms"
  load0="$(load)"
  line="$(timeout $((TRIALS * 40 + 60)) python3 "$HERE/latency.py" \
    --a-collection "${A_URL}collections/$SHARED/" --a-token "$A_ANALYST_TOKEN" \
    --b-collection "${B_URL}collections/$FROM_FR/" --b-token "$B_ANALYST_TOKEN" \
    --trials "$TRIALS" --warmup "$([ "$i" = 1 ] && echo "$WARMUP" || echo 0)" --seed "$i" 2>"$WORK/latency-$i.log" | sed -n 's/^RESULT //p')"
  if [ -z "$line" ]; then tail -n 5 "$WORK/latency-$i.log" >&2; exit 1; fi
  record "$(python3 -c 'import json, sys
r = json.loads(sys.argv[1]); r.update(kind="latency", run=int(sys.argv[2]), interval_s=int(sys.argv[3]),
  load_before=sys.argv[4]); print(json.dumps(r))' "$line" "$i" "$INTERVAL" "$load0")"
done
cleanup

# --- report -----------------------------------------------------------------------------------
python3 "$HERE/report.py" --raw "$RAW" --out "$RESULTS" --work "$WORK" --count "$COUNT" \
  --file "$FILE" --commit "$BUILD_COMMIT" \
  --binary "$ENTENTE"
log "results: $RESULTS"
