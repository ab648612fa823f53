#!/usr/bin/env bash
# Screening through a node: what the store adds to the engine figures of `cargo bench -p
# entente-screening`. Runs the release binary on a fresh SQLite data folder and measures, side by
# side in one run:
#
#   import_first     `entente lists import --list un` of the 2015-03-27 UN list into an empty store
#   batch_no_record  `entente screen --no-record` over QUERIES stdin lines (JSON lines out)
#   batch_record     `entente screen` over the same lines, storing every subject and hit
#   import_rescreen  `entente lists import` of the 2026-02-27 list with those QUERIES subjects
#                    stored: diff, store, re-screen every subject, record new/vanished hits
#   http_single      POST /screening/v1/screen with one query, sequentially (REQUESTS times):
#                    median and p99 latency, including the audit record (fsync) and the hit record
#   http_single_no_record  the same with "record": false (audit record only), alternated with
#                    http_single request by request
#   http_single_keepalive[_no_record]  the same two, alternated, over one kept-alive connection
#   http_batch       POST /screening/v1/screen with 1,000 queries (the API maximum)
#
# Knobs: QUERIES (default 20000), REQUESTS (default 300), RUNS (default 3; the best and the median
# wall time are reported), ENTENTE_BIN (default target/release/entente). Queries: the 683 treated
# UN persons of the yente fixtures, then names of negatives_global.csv, cycled to QUERIES lines.
# Prints a Markdown table; wall-clock seconds and, for batch runs, user+sys CPU seconds.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DATA=${SANCTIONS_DATA:-$ROOT/../shared/data/sanctions}
BIN=${ENTENTE_BIN:-$ROOT/target/release/entente}
QUERIES=${QUERIES:-20000}
REQUESTS=${REQUESTS:-300}
RUNS=${RUNS:-3}
WORK=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
SERVER=
export ENTENTE_LOG=warn

python3 - "$DATA" "$QUERIES" > "$WORK/queries.txt" <<'PY'
import csv, sys, itertools
data, n = sys.argv[1], int(sys.argv[2])
names = []
for f in ("positives_un_treated.csv", "negatives_global.csv"):
    with open(f"{data}/yente_screening_fixtures/{f}", newline="", encoding="utf-8") as fh:
        names += [r["full_name"].replace("\n", " ") for r in csv.DictReader(fh) if r["full_name"].strip()]
for name in itertools.islice(itertools.cycle(names), n):
    print(name)
PY

# seconds of wall clock and user+sys CPU of one command (stdin from $2 when given)
measure() {
  local out=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  ( TIMEFORMAT='%U %S'; { time "$@" > "$out" ; } 2> "$WORK/cpu" )
  t1=$(date +%s.%N)
  python3 -c "import sys; u,s=open('$WORK/cpu').read().split()[-2:]; print(f'{$t1-$t0:.3f} {float(u)+float(s):.3f}')"
}

summary() { # label lines of "wall cpu" -> best/median wall, median cpu
  python3 - "$@" <<'PY'
import sys, statistics
label, per = sys.argv[1], float(sys.argv[2])
rows = [tuple(map(float, l.split())) for l in sys.argv[3:]]
walls = sorted(r[0] for r in rows); cpus = sorted(r[1] for r in rows)
med = statistics.median(walls)
extra = f" | {per/walls[0]:,.0f} / {per/med:,.0f}" if per > 0 else " | "
print(f"| {label} | {walls[0]:.3f} / {med:.3f} | {statistics.median(cpus):.3f}{extra} |")
PY
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "| workload | wall s (best / median of $RUNS) | CPU s (median) | per second (best / median) |"
echo "|---|---|---|---|"

declare -a IMP NOREC REC RESCREEN
for run in $(seq "$RUNS"); do
  D="$WORK/data$run"
  "$BIN" --data "$D" init > /dev/null
  IMP+=("$(measure /dev/null "$BIN" --data "$D" lists import --list un "$DATA/un_consolidated_2015-03-27.xml")")
  NOREC+=("$(measure /dev/null sh -c "\"$BIN\" --data \"$D\" screen --no-record < \"$WORK/queries.txt\"")")
  REC+=("$(measure "$WORK/out$run.jsonl" sh -c "\"$BIN\" --data \"$D\" screen < \"$WORK/queries.txt\"")")
  RESCREEN+=("$(measure "$WORK/import$run.txt" "$BIN" --data "$D" lists import --list un "$DATA/un_consolidated_2026-02-27.xml")")
done
summary "import_first (UN 2015, 1,046 entries, empty store)" 0 "${IMP[@]}"
summary "batch_no_record ($QUERIES queries, CLI, index loaded from the store)" "$QUERIES" "${NOREC[@]}"
summary "batch_record ($QUERIES queries, subjects and hits stored)" "$QUERIES" "${REC[@]}"
summary "import_rescreen (UN 2026 + diff + re-screen of $QUERIES subjects)" 0 "${RESCREEN[@]}"
echo >&2 "lines out: $(wc -l < "$WORK/out1.jsonl"); import report: $(grep -c 'hit:' "$WORK/import1.txt" || true) hit changes"

# HTTP: one node, one analyst token.
D="$WORK/data1"
TOKEN=$("$BIN" --data "$D" user add bench --role analyst --token-only | awk '/token:/ {print $2}')
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" --data "$D" serve --listen "127.0.0.1:$PORT" > /dev/null 2>&1 &
SERVER=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/health" && break; sleep 0.1; done
post() {
  curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" \
    -H 'Entente-Purpose: benchmark' -H 'Content-Type: application/json' \
    --data-binary "$1" "http://127.0.0.1:$PORT/screening/v1/screen"
}
post '{"query":{"name":"warm up"}}' > /dev/null
head -n "$REQUESTS" "$WORK/queries.txt" | python3 -c '
import json, sys
for l in sys.stdin: print(json.dumps({"query": {"name": l.strip()}}))' > "$WORK/single.jsonl"
sed 's/}}$/}, "record": false}/' "$WORK/single.jsonl" > "$WORK/single_norecord.jsonl"
# alternate the two kinds of request so that both see the same load
paste -d '\n' "$WORK/single.jsonl" "$WORK/single_norecord.jsonl" | while read -r body; do post "$body"; done > "$WORK/lat_both.txt"
awk 'NR % 2 == 1' "$WORK/lat_both.txt" > "$WORK/lat.txt"
awk 'NR % 2 == 0' "$WORK/lat_both.txt" > "$WORK/lat_norecord.txt"
python3 - "$WORK/lat.txt" "$WORK/lat_norecord.txt" "$REQUESTS" <<'PY'
import sys, statistics
for f, label in ((sys.argv[1], "http_single"), (sys.argv[2], "http_single_no_record")):
    v = sorted(float(x) * 1000 for x in open(f))
    p99 = v[min(len(v) - 1, int(len(v) * 0.99))]
    print(f"| {label} ({sys.argv[3]} sequential requests) | median {statistics.median(v):.2f} ms, p99 {p99:.2f} ms | | {1000/statistics.median(v):,.0f} req/s sequential |")
PY
# The same requests over one kept-alive connection (as an integrated client, such as an
# accreditation system, sends them): the latency of the node itself, without the client's
# connection set-up that every curl process above pays (about 0.5 ms on loopback).
python3 - "$PORT" "$TOKEN" "$WORK/single.jsonl" "$WORK/single_norecord.jsonl" "$REQUESTS" <<'PY'
import http.client, statistics, sys, time
port, token, rec, norec, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
conn = http.client.HTTPConnection("127.0.0.1", int(port))
headers = {"Authorization": f"Bearer {token}", "Entente-Purpose": "benchmark",
           "Content-Type": "application/json"}
def post(body):
    t = time.perf_counter()
    conn.request("POST", "/screening/v1/screen", body=body, headers=headers)
    r = conn.getresponse()
    r.read()
    assert r.status == 200, r.status
    return (time.perf_counter() - t) * 1000
post(open(norec).readline())
lat = {"rec": [], "norec": []}
for a, b in zip(open(rec), open(norec)):
    lat["rec"].append(post(a))
    lat["norec"].append(post(b))
for key, label in (("rec", "http_single_keepalive"), ("norec", "http_single_keepalive_no_record")):
    v = sorted(lat[key])
    p99 = v[min(len(v) - 1, int(len(v) * 0.99))]
    print(f"| {label} ({n} sequential requests, one connection) | median {statistics.median(v):.2f} ms, p99 {p99:.2f} ms | | {1000/statistics.median(v):,.0f} req/s sequential |")
PY
head -n 1000 "$WORK/queries.txt" | python3 -c '
import json, sys
print(json.dumps({"queries": [{"name": l.strip()} for l in sys.stdin]}))' > "$WORK/batch.json"
: > "$WORK/batch.txt"
for _ in $(seq "$RUNS"); do post "@$WORK/batch.json" >> "$WORK/batch.txt"; done
python3 - "$WORK/batch.txt" <<'PY'
import sys, statistics
v = sorted(float(x) for x in open(sys.argv[1]))
print(f"| http_batch (1,000 queries per request) | {v[0]:.3f} / {statistics.median(v):.3f} | | {1000/v[0]:,.0f} / {1000/statistics.median(v):,.0f} queries/s |")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
