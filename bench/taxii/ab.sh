#!/usr/bin/env bash
# Side by side: two (or more) entente binaries, each serving a fresh copy of its own data folder,
# loaded in turn with the same wrk requests, round after round. Prints requests/s (objects/s for
# POST) and the server's CPU time per request (per object for POST) of each.
#
#   bench/taxii/ab.sh post ROUNDS BIN:DATA BIN:DATA ...
#   QUERY='objects/indicator--.../' bench/taxii/ab.sh get ROUNDS BIN:DATA BIN:DATA ...
#
# DATA is a data folder made by `entente init` (and `user purpose admin investigation`), with
# the output of `init` saved beside it as DATA.init.txt (the collection id is read from there).
# A binary that needs a newer schema migrates its copy when it opens it; migrate DATA once
# beforehand (any CLI command opens the store) so that no round measures a migration.
# Environment: SECS (load per measurement, 10), CONNS (2 for post, 8 for get), BATCH (objects
# per POST, 1000), QUERY (get: the path under the collection, or @FILE of paths), WORK
# (/tmp/entente-bench-ab). All traffic stays on 127.0.0.1.
set -euo pipefail
MODE="$1"; ROUNDS="$2"; shift 2
HERE="$(cd "$(dirname "$0")" && pwd)"
SECS="${SECS:-10}"; BATCH="${BATCH:-1000}"; WORK="${WORK:-/tmp/entente-bench-ab}"
if [ "$MODE" = post ]; then CONNS="${CONNS:-2}"; else CONNS="${CONNS:-8}"; fi
QUERY="${QUERY:-}"
HZ="$(getconf CLK_TCK)"
cpu() { awk -v hz="$HZ" '{ printf "%.3f\n", ($14 + $15) / hz }' "/proc/$1/stat"; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
mkdir -p "$WORK"
for r in $(seq 1 "$ROUNDS"); do
  for spec in "$@"; do
    bin="${spec%%:*}"; data="${spec#*:}"
    coll="$(sed -n 's/^ *collection: *\([^ ]*\).*/\1/p' "$data.init.txt")"
    copy="$WORK/data"; rm -rf "$copy"; cp -a "$data" "$copy"
    token="$("$bin" --data "$copy" user token admin | tail -n 1 | tr -d '[:space:]')"
    port="$(free_port)"
    "$bin" --data "$copy" --log warn serve --listen "127.0.0.1:$port" >"$WORK/serve.log" 2>&1 &
    pid="$!"
    for _ in $(seq 1 3000); do
      if curl -fsS "http://127.0.0.1:$port/health" 2>/dev/null | grep -q '"correlation_index":"ready"'; then break; fi
      sleep 0.1
    done
    base="http://127.0.0.1:$port/api1/collections/$coll"
    url="$base/objects/"; paths=""
    if [ "$MODE" = get ]; then
      if [ "${QUERY:0:1}" = "@" ]; then paths="${QUERY:1}"; else url="$base/$QUERY"; fi
    fi
    c0="$(cpu "$pid")"
    out="$(BENCH_AUTH="Bearer $token" BENCH_MODE="$MODE" BENCH_BATCH="$BATCH" BENCH_PATHS="$paths" \
      BENCH_NONCE="$(printf '%08x' $((RANDOM * 32768 + RANDOM)))" \
      timeout $((SECS + 120)) wrk -t1 -c"$CONNS" -d"${SECS}s" --timeout 60s -s "$HERE/taxii.lua" "$url" 2>&1 \
      | sed -n 's/^RESULT //p')"
    c1="$(cpu "$pid")"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    python3 - "$MODE" "$r" "$bin" "$out" "$c0" "$c1" <<'PY'
import json, sys
mode, rnd, binary, line, c0, c1 = sys.argv[1:7]
r = json.loads(line or '{"requests": 0, "rps": 0, "p99_ms": 0}')
cpu = float(c1) - float(c0)
if mode == "post":
    n = r.get("objects_ok", 0)
    print(f"round {rnd} {binary}: {r.get('objects_per_s', 0):,.0f} objects/s, "
          f"{cpu / max(n, 1) * 1e6:.1f} us CPU per object, p99 {r['p99_ms']:.1f} ms")
else:
    print(f"round {rnd} {binary}: {r['rps']:,.0f} requests/s, "
          f"{cpu / max(r['requests'], 1) * 1e6:.1f} us CPU per request, p99 {r['p99_ms']:.2f} ms, "
          f"{r.get('errors_status', 0)} errors")
PY
  done
done
