#!/usr/bin/env bash
# Instructions per GET objects request through the gated and the bypassed builds, counted by
# callgrind: unlike requests/s, the count does not depend on what else the machine is doing.
# Uses the builds and data folders that `bench/gate/run.sh` left in WORK (run it first).
#
#   bench/gate/callgrind.sh            # 300 requests per build, twice each, alternated
#   N=500 RUNS=3 bench/gate/callgrind.sh
#   KEEP=/tmp/cg bench/gate/callgrind.sh   # also keeps each run's callgrind output, in
#                                          # /tmp/cg-gated and /tmp/cg-bypass (for callgrind_annotate)
#
# Each run starts the node under `valgrind --tool=callgrind`, sends 50 requests (warm-up),
# zeroes the counters (`callgrind_control -z`), sends N requests on one keep-alive connection
# (each answer checked: 200 with 100 objects), dumps the counters (`callgrind_control -d`) and
# divides. Counted: user-space instructions of every thread of the node (the audit journal's
# included); not counted: time in the kernel (the audit log's commits, at most one per 10 ms).
set -euo pipefail

WORK="${WORK:-/tmp/entente-bench-gate}"
N="${N:-300}"
RUNS="${RUNS:-2}"
log() { printf '== %s\n' "$*" >&2; }

command -v valgrind >/dev/null || apt-get install -y valgrind >/dev/null
for kind in gated bypass; do
  [ -x "$WORK/entente-$kind" ] && [ -d "$WORK/data-$kind" ] || {
    log "missing $WORK/entente-$kind or its data: run bench/gate/run.sh first"
    exit 1
  }
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# requests URL TOKEN COUNT: COUNT sequential GETs on one connection, each checked.
requests() {
  python3 - "$@" <<'PY'
import http.client, sys, urllib.parse
url, token, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
u = urllib.parse.urlsplit(url)
c = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
for _ in range(n):
    c.request("GET", f"{u.path}?{u.query}", headers={
        "Authorization": f"Bearer {token}", "Accept": "application/taxii+json;version=2.1"})
    r = c.getresponse()
    body = r.read()
    assert r.status == 200 and body.count(b'"spec_version"') >= 100, (r.status, len(body))
PY
}

# measure KIND: prints instructions per request.
measure() {
  local kind="$1" bin="$WORK/entente-$1" data="$WORK/data-$1"
  local token coll port out pid
  token="$("$bin" --data "$data" user token reader | tail -n 1 | tr -d '[:space:]')"
  coll="$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT id FROM collections WHERE alias = 'shared'\").fetchone()[0])" "$data/entente.db")"
  port="$(free_port)"
  out="$(mktemp -d)"
  valgrind --tool=callgrind --callgrind-out-file="$out/cg.%p" \
    "$bin" --data "$data" --log warn serve --listen "127.0.0.1:$port" >"$out/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do curl -fsS -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null && break; sleep 0.5; done
  local url="http://127.0.0.1:$port/api1/collections/$coll/objects/?limit=100"
  requests "$url" "$token" 50
  callgrind_control -z "$pid" >/dev/null
  requests "$url" "$token" "$N"
  callgrind_control -d "$pid" >/dev/null
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local dump
  dump="$(ls "$out"/cg.*.1)"
  awk -v n="$N" '/^summary:/ { printf "%.0f\n", $2 / n }' "$dump"
  if [ -n "${KEEP:-}" ]; then cp -r "$out" "$KEEP-$kind"; fi; rm -rf "$out"
}

declare -A per
for run in $(seq 1 "$RUNS"); do
  for kind in gated bypass; do
    v="$(measure "$kind")"
    log "run $run $kind: $v instructions per request"
    per[$kind]="${per[$kind]:-} $v"
  done
done
python3 - "${per[gated]}" "${per[bypass]}" <<'PY'
import statistics, sys
g = [int(x) for x in sys.argv[1].split()]
b = [int(x) for x in sys.argv[2].split()]
mg, mb = statistics.median(g), statistics.median(b)
print(f"gated: {', '.join(f'{x:,}' for x in g)} instructions per request (median {mg:,.0f})")
print(f"bypassed: {', '.join(f'{x:,}' for x in b)} (median {mb:,.0f})")
print(f"the gate and the audit log: {100 * (mg / mb - 1):+.1f}% instructions per request")
PY
