#!/usr/bin/env bash
# TAXII 2.1 benchmark: entente against the OASIS reference server medallion (memory backend),
# both on loopback with the same generated objects, measured in one run with wrk. Then entente
# alone at a large store. Writes bench/taxii/RESULTS.md. See bench/taxii/README.md.
#
# Every loop below is bounded in count and time; all traffic stays on 127.0.0.1.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

SMALL="${SMALL:-1000}"                  # objects stored for the comparison with medallion
LARGE="${LARGE:-1000000}"               # objects stored for entente alone (0: skip)
DURATION="${DURATION:-10}"              # seconds of load per entente measurement
MEDALLION_SECONDS="${MEDALLION_SECONDS:-30}"     # medallion: stop after this many seconds...
MEDALLION_REQUESTS="${MEDALLION_REQUESTS:-50}"   # ...or this many requests...
MEDALLION_MIN_REQUESTS="${MEDALLION_MIN_REQUESTS:-3}"  # ...but not before this many
POST_DURATION="${POST_DURATION:-10}"    # seconds of POST load (each server)
THREADS="${THREADS:-1}"                 # wrk threads (the load generator shares the cores)
CONNECTIONS="${CONNECTIONS:-8}"         # wrk connections against entente
POST_CONNECTIONS="${POST_CONNECTIONS:-2}"
BATCH="${BATCH:-1000}"                  # objects per POSTed envelope
SEED="${SEED:-1}"
WORK="${WORK:-/tmp/entente-bench-taxii}"
REUSE_LARGE="${REUSE_LARGE:-0}"         # 1: keep an existing large data folder (skip import)
RESULTS="${RESULTS:-$HERE/RESULTS.md}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
ENTENTE="${ENTENTE:-$CARGO_TARGET_DIR/release/entente}"

ACCEPT="Accept: application/taxii+json;version=2.1"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

log() { printf '== %s\n' "$*" >&2; }

mkdir -p "$WORK"
RAW="$WORK/results.jsonl"
: > "$RAW"

# --- tools ------------------------------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
  log "installing wrk (Debian package)"
  apt-get install -y wrk >/dev/null
fi
if [ ! -x "$WORK/venv/bin/medallion" ]; then
  log "installing medallion from PyPI into $WORK/venv"
  python3 -m venv "$WORK/venv"
  "$WORK/venv/bin/pip" install --quiet --disable-pip-version-check medallion
fi
MEDALLION_VERSION="$("$WORK/venv/bin/pip" show medallion | sed -n 's/^Version: //p')"

if [ -z "${ENTENTE_PREBUILT:-}" ]; then
  log "building entente (release)"
  (cd "$ROOT" && cargo build --release -p entente --quiet)
fi

# --- helpers ----------------------------------------------------------------------------------
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL [curl args...]: until URL answers 2xx, at most 60 s.
wait_http() {
  local url="$1"; shift
  for _ in $(seq 1 600); do
    if curl -fsS -o /dev/null "$@" "$url" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "no answer from $url within 60 s" >&2
  return 1
}

generate() { # generate COUNT FILE
  local count="$1" out="$2"
  if [ -s "$out" ]; then return 0; fi
  log "generating $count objects -> $out"
  if [ -f "$ROOT/bench/gen/objects.py" ]; then
    python3 "$ROOT/bench/gen/objects.py" --count "$count" --format lines --seed "$SEED" --out "$out.tmp"
  else
    python3 "$HERE/gen_objects.py" --count "$count" --format lines --seed "$SEED" --out "$out.tmp"
  fi
  mv "$out.tmp" "$out"
}

# start_entente DATA PORT: serve in the background, wait for /health, then (at most 300 s)
# for the correlation index that a node builds when it starts: measuring during the build
# would measure the build (7-8 s per million stored versions).
start_entente() {
  local data="$1" port="$2"
  "$ENTENTE" --data "$data" --log warn serve --listen "127.0.0.1:$port" >"$data/serve.log" 2>&1 &
  ENTENTE_PID="$!"
  PIDS+=("$ENTENTE_PID")
  wait_http "http://127.0.0.1:$port/health"
  for _ in $(seq 1 3000); do
    if curl -fsS "http://127.0.0.1:$port/health" 2>/dev/null | grep -q '"correlation_index":"ready"'; then
      return 0
    fi
    sleep 0.1
  done
  echo "the correlation index was not built within 300 s" >&2
  return 1
}

# init_entente DATA: fresh data folder; sets COLLECTION and TOKEN.
init_entente() {
  local data="$1"
  rm -rf "$data"
  "$ENTENTE" --data "$data" init >"$data.init.txt"
  # wrk sends no Entente-Purpose header: the admin credential gets a default purpose.
  "$ENTENTE" --data "$data" user purpose admin investigation >/dev/null
  COLLECTION="$(sed -n 's/^ *collection: *\([^ ]*\).*/\1/p' "$data.init.txt")"
  TOKEN="$("$ENTENTE" --data "$data" user token admin | tail -n 1 | tr -d '[:space:]')"
}

# existing_entente DATA: sets COLLECTION and a new TOKEN for an existing folder.
existing_entente() {
  local data="$1"
  COLLECTION="$(sed -n 's/^ *collection: *\([^ ]*\).*/\1/p' "$data.init.txt")"
  TOKEN="$("$ENTENTE" --data "$data" user token admin | tail -n 1 | tr -d '[:space:]')"
}

# cpu_seconds SERVER: CPU time (user + system) used so far by the server process.
CLK_TCK="$(getconf CLK_TCK)"
cpu_seconds() {
  local pid
  if [ "$1" = medallion ]; then pid="$MEDALLION_PID"; else pid="$ENTENTE_PID"; fi
  awk -v hz="$CLK_TCK" '{ printf "%.3f\n", ($14 + $15) / hz }' "/proc/$pid/stat" 2>/dev/null || echo 0
}

# record LABEL SERVER OBJECTS JSON [SERVER_CPU_SECONDS]: append one measurement to $RAW.
record() {
  python3 - "$@" >>"$RAW" <<'EOF'
import json, sys
label, server, stored, line = sys.argv[1:5]
r = json.loads(line)
r.update(label=label, server=server, stored=int(stored))
if len(sys.argv) > 5:
    r["server_cpu_s"] = float(sys.argv[5])
print(json.dumps(r))
EOF
  tail -n 1 "$RAW" >&2
}

# measure LABEL SERVER OBJECTS DURATION CONNECTIONS AUTH URL [MODE] [PATHS]
measure() {
  local label="$1" server="$2" stored="$3" duration="$4" conns="$5" auth="$6" url="$7"
  local mode="${8:-get}" paths="${9:-}"
  log "$server @ $stored objects: $label (${duration}s, $conns connections)"
  local out cpu0
  cpu0="$(cpu_seconds "$server")"
  out="$(BENCH_AUTH="$auth" BENCH_MODE="$mode" BENCH_PATHS="$paths" BENCH_BATCH="$BATCH" \
    BENCH_NONCE="$(printf '%08x' $((RANDOM * 32768 + RANDOM)))" \
    timeout $((duration + 120)) wrk -t"$THREADS" -c"$conns" -d"${duration}s" --timeout 60s \
    -s "$HERE/taxii.lua" "$url" 2>&1)" || true
  local line
  line="$(printf '%s\n' "$out" | sed -n 's/^RESULT //p' | tail -n 1)"
  if [ -z "$line" ]; then
    printf '%s\n' "$out" >&2
    line='{"requests":0,"rps":0,"error":"wrk produced no result"}'
  fi
  record "$label" "$server" "$stored" "$line" \
    "$(awk -v a="$cpu0" -v b="$(cpu_seconds "$server")" 'BEGIN { print b - a }')"
}

# measure_seq LABEL SERVER OBJECTS AUTH URL [post]: sequential requests, bounded in count and
# time (see seq_load.py), for a server too slow for wrk's fixed duration.
measure_seq() {
  local label="$1" server="$2" stored="$3" auth="$4" url="$5" mode="${6:-get}"
  log "$server @ $stored objects: $label (sequential, <= $MEDALLION_REQUESTS requests, ~${MEDALLION_SECONDS}s)"
  local flags=()
  if [ "$mode" = post ]; then flags=(--post --batch "$BATCH"); fi
  local line cpu0
  cpu0="$(cpu_seconds "$server")"
  line="$(timeout $((MEDALLION_SECONDS * 10 + 300)) python3 "$HERE/seq_load.py" --url "$url" --auth "$auth" \
    --min-requests "$MEDALLION_MIN_REQUESTS" --max-requests "$MEDALLION_REQUESTS" \
    --max-seconds "$MEDALLION_SECONDS" "${flags[@]}" | sed -n 's/^RESULT //p' | tail -n 1)" || true
  if [ -z "$line" ]; then line='{"requests":0,"rps":0,"error":"no result"}'; fi
  record "$label" "$server" "$stored" "$line" \
    "$(awk -v a="$cpu0" -v b="$(cpu_seconds "$server")" 'BEGIN { print b - a }')"
}

# check LABEL URL AUTH EXPECTED_OBJECTS: one request, verify status 200 and the object count.
check() {
  local label="$1" url="$2" auth="$3" expected="$4"
  local body
  body="$(curl -fsS -H "$ACCEPT" -H "Authorization: $auth" "$url")" || {
    echo "check failed: $label ($url)" >&2; return 1; }
  python3 - "$label" "$expected" "$body" <<'EOF'
import json, sys
label, expected, body = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
n = len(body.get("objects", []))
assert n == expected, f"{label}: {n} objects, expected {expected}"
print(f"   check {label}: {n} objects", file=sys.stderr)
EOF
}

# --- data -------------------------------------------------------------------------------------
SMALL_FILE="$WORK/objects-$SMALL-seed$SEED.jsonl"
generate "$SMALL" "$SMALL_FILE"
read -r FIRST_INDICATOR < <(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["type"] == "indicator":
        print(o["id"]); break' "$SMALL_FILE")

# --- entente @ SMALL --------------------------------------------------------------------------
log "entente: init and import $SMALL objects"
init_entente "$WORK/entente-small"
"$ENTENTE" --data "$WORK/entente-small" import "$SMALL_FILE" --collection home --json >"$WORK/import-small.json"
E_PORT="$(free_port)"
start_entente "$WORK/entente-small" "$E_PORT"
E_AUTH="Bearer $TOKEN"
E_COLL="http://127.0.0.1:$E_PORT/api1/collections/$COLLECTION"

# --- medallion @ SMALL ------------------------------------------------------------------------
M_PORT="$(free_port)"
M_PASSWORD="bench-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
M_COLLECTION="9c6f2a4e-1f0e-4d8b-a5c1-3f2b7d9e0a11"
python3 "$HERE/medallion_data.py" --objects "$SMALL_FILE" --out "$WORK/medallion.json" \
  --user bench --password "$M_PASSWORD" --collection-id "$M_COLLECTION" --port "$M_PORT"
"$WORK/venv/bin/medallion" --host 127.0.0.1 --port "$M_PORT" --log-level ERROR \
  "$WORK/medallion.json" >"$WORK/medallion.log" 2>&1 &
MEDALLION_PID="$!"
PIDS+=("$MEDALLION_PID")
M_AUTH="Basic $(printf 'bench:%s' "$M_PASSWORD" | base64 -w0)"
wait_http "http://127.0.0.1:$M_PORT/taxii2/" -H "$ACCEPT" -H "Authorization: $M_AUTH"
M_COLL="http://127.0.0.1:$M_PORT/api1/collections/$M_COLLECTION"

OBJECTS_Q="objects/?match%5Btype%5D=indicator&limit=100"
MANIFEST_Q="manifest/?limit=100"
BYID_Q="objects/$FIRST_INDICATOR/"

log "checking both servers answer the same requests"
for s in entente medallion; do
  if [ "$s" = entente ]; then c="$E_COLL"; a="$E_AUTH"; else c="$M_COLL"; a="$M_AUTH"; fi
  check "$s GET objects" "$c/$OBJECTS_Q" "$a" 100
  check "$s GET object by id" "$c/$BYID_Q" "$a" 1
  check "$s GET manifest" "$c/$MANIFEST_Q" "$a" 100
done

GET_OBJECTS="GET objects (match[type]=indicator, limit=100)"
GET_BYID="GET object by id"
GET_MANIFEST="GET manifest (limit=100)"
POST_LABEL="POST envelope of $BATCH objects"
measure "$GET_OBJECTS" entente "$SMALL" "$DURATION" "$CONNECTIONS" "$E_AUTH" "$E_COLL/$OBJECTS_Q"
measure_seq "$GET_OBJECTS" medallion "$SMALL" "$M_AUTH" "$M_COLL/$OBJECTS_Q"
# The same request with HTTP Basic, the scheme medallion uses (entente verifies the password
# with argon2id once and caches the result).
E_PASSWORD="$(sed -n 's/^ *password: *//p' "$WORK/entente-small.init.txt")"
E_BASIC="Basic $(printf 'admin:%s' "$E_PASSWORD" | base64 -w0)"
measure "$GET_OBJECTS, HTTP Basic" entente "$SMALL" "$DURATION" "$CONNECTIONS" "$E_BASIC" "$E_COLL/$OBJECTS_Q"
measure "$GET_BYID" entente "$SMALL" "$DURATION" "$CONNECTIONS" "$E_AUTH" "$E_COLL/$BYID_Q"
measure_seq "$GET_BYID" medallion "$SMALL" "$M_AUTH" "$M_COLL/$BYID_Q"
measure "$GET_MANIFEST" entente "$SMALL" "$DURATION" "$CONNECTIONS" "$E_AUTH" "$E_COLL/$MANIFEST_Q"
measure_seq "$GET_MANIFEST" medallion "$SMALL" "$M_AUTH" "$M_COLL/$MANIFEST_Q"
# POST last: it grows the stores.
measure "$POST_LABEL" entente "$SMALL" "$POST_DURATION" "$POST_CONNECTIONS" "$E_AUTH" "$E_COLL/objects/" post
measure_seq "$POST_LABEL" medallion "$SMALL" "$M_AUTH" "$M_COLL/objects/" post
cleanup
PIDS=()

# --- entente alone @ LARGE --------------------------------------------------------------------
if [ "$LARGE" -gt 0 ]; then
  LARGE_FILE="$WORK/objects-$LARGE-seed$SEED.jsonl"
  generate "$LARGE" "$LARGE_FILE"
  DATA="$WORK/entente-large"
  if [ "$REUSE_LARGE" = 1 ] && [ -f "$DATA.init.txt" ] && [ -f "$WORK/import-large.window" ]; then
    log "reusing $DATA"
    existing_entente "$DATA"
  else
    log "entente: init and import $LARGE objects"
    init_entente "$DATA"
    START_TS="$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)"
    START_NS="$(date +%s%N)"
    "$ENTENTE" --data "$DATA" import "$LARGE_FILE" --collection home --json >"$WORK/import-large.json"
    END_NS="$(date +%s%N)"
    END_TS="$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)"
    echo "$START_TS $END_TS $START_NS $END_NS" >"$WORK/import-large.window"
  fi
  read -r START_TS END_TS START_NS END_NS <"$WORK/import-large.window"
  python3 - "$LARGE" "$START_NS" "$END_NS" "$WORK/import-large.json" >>"$RAW" <<'EOF'
import json, sys
n, start, end, path = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
summary = json.load(open(path))
seconds = (end - start) / 1e9
print(json.dumps({"label": "import (entente import)", "server": "entente", "stored": n,
                  "seconds": seconds, "objects_per_s": summary.get("stored", 0) / seconds,
                  "imported": summary.get("stored", 0), "duplicates": summary.get("duplicates", 0),
                  "rejected": summary.get("rejected", 0)}))
EOF
  tail -n 1 "$RAW" >&2

  # Request paths for pages at random depths (added_after spread over the import window) and
  # for objects by id (indicators sampled over the whole file).
  python3 - "$START_TS" "$END_TS" "$LARGE_FILE" "$WORK" "$COLLECTION" <<'EOF'
import datetime, json, random, sys
start, end, data_file, work, coll = sys.argv[1:6]
parse = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")
a, b = parse(start), parse(end)
rng = random.Random(7)
base = f"/api1/collections/{coll}"
with open(f"{work}/paths-pages.txt", "w") as f:
    for _ in range(1000):
        t = a + (b - a) * rng.random()
        f.write(f"{base}/objects/?match%5Btype%5D=indicator&limit=100&added_after="
                f"{t.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}\n")
ids = []
with open(data_file) as src:
    for i, line in enumerate(src):
        if i % 997 == 0 and '"type":"indicator"' in line.replace(" ", ""):
            ids.append(json.loads(line)["id"])
with open(f"{work}/paths-ids.txt", "w") as f:
    for oid in ids[:1000]:
        f.write(f"{base}/objects/{oid}/\n")
EOF
  L_PORT="$(free_port)"
  start_entente "$DATA" "$L_PORT"
  L_AUTH="Bearer $TOKEN"
  L_COLL="http://127.0.0.1:$L_PORT/api1/collections/$COLLECTION"
  check "entente large GET objects" "$L_COLL/$OBJECTS_Q" "$L_AUTH" 100
  check "entente large GET object by id" "http://127.0.0.1:$L_PORT$(head -n 1 "$WORK/paths-ids.txt")" "$L_AUTH" 1
  measure "GET objects, first page (match[type]=indicator, limit=100)" entente "$LARGE" "$DURATION" "$CONNECTIONS" "$L_AUTH" "$L_COLL/$OBJECTS_Q"
  measure "GET objects, pages at random depth (added_after)" entente "$LARGE" "$DURATION" "$CONNECTIONS" "$L_AUTH" "$L_COLL/$OBJECTS_Q" get "$WORK/paths-pages.txt"
  measure "GET object by id (random)" entente "$LARGE" "$DURATION" "$CONNECTIONS" "$L_AUTH" "$L_COLL/$BYID_Q" get "$WORK/paths-ids.txt"
  measure "GET manifest (limit=100)" entente "$LARGE" "$DURATION" "$CONNECTIONS" "$L_AUTH" "$L_COLL/$MANIFEST_Q"
  measure "POST envelope of $BATCH objects" entente "$LARGE" "$POST_DURATION" "$POST_CONNECTIONS" "$L_AUTH" "$L_COLL/objects/" post
  cleanup
  PIDS=()
fi

# --- report -----------------------------------------------------------------------------------
python3 "$HERE/report.py" --raw "$RAW" --out "$RESULTS" --small "$SMALL" --large "$LARGE" \
  --medallion-version "$MEDALLION_VERSION" --threads "$THREADS" --connections "$CONNECTIONS" \
  --post-connections "$POST_CONNECTIONS" --medallion-seconds "$MEDALLION_SECONDS" \
  --medallion-requests "$MEDALLION_REQUESTS" --medallion-min-requests "$MEDALLION_MIN_REQUESTS" \
  --commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
log "results: $RESULTS"
cat "$RESULTS"
