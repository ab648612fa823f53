#!/usr/bin/env bash
# One initial synchronisation into a fresh node B, measuring what B writes: the bytes it hands
# to write(2) (`wchar` in /proc/<pid>/io: the SQLite logs, their checkpoints and the database
# files), its write calls and its CPU time, per version. Bytes written do not depend on the
# machine's load, so two builds of B can be compared on a shared machine. Run after
# bench/federation/run.sh, which leaves node A and its settings in WORK.
#
#   bench/federation/writes.sh PATH_TO_ENTENTE_BINARY [LABEL]
#
# BY_FILE=1 runs B under strace and also breaks the bytes down by file (each SQLite log and
# database file); strace slows B, so the rate and CPU figures of such a run mean nothing.
#
# A_ENTENTE names another binary for node A (default: the same), so that node A stays at the
# schema of the build that imported it.
set -euo pipefail
E="$(realpath "${1:?path to the entente binary}")"
LABEL="${2:-$(basename "$E")}"
A_E="$(realpath "${A_ENTENTE:-$E}")"
W="${WORK:-/tmp/entente-bench-federation}"
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=bench/federation/fresh-b.sh
. "$HERE/fresh-b.sh"
serve_a "$W/a-writes.serve.log"
B="$W/b3"
fresh_b "$B"
A0="$(awk '{print $14 + $15}' "/proc/$APID/stat")"
T0="$(date +%s.%N)"
if [ "${BY_FILE:-0}" = 1 ]; then
  strace -f -y -e trace=pwrite64,write,pwritev,writev -e signal=none -o "$W/writes-$LABEL.strace" \
    "$E" --data "$B" peer sync fr >"$W/writes-$LABEL.out" 2>&1 &
else
  "$E" --data "$B" peer sync fr >"$W/writes-$LABEL.out" 2>&1 &
fi
BPID="$!"
PIDS+=("$BPID")
# The last reading before B exits (its counters go with it). Under strace, B is its child.
SYNC_PID="$BPID"
if [ "${BY_FILE:-0}" = 1 ]; then
  sleep 1
  SYNC_PID="$(pgrep -P "$BPID" | head -1)"
fi
while kill -0 "$SYNC_PID" 2>/dev/null; do
  { cat "/proc/$SYNC_PID/io"; awk '{print "cpu_ticks: " $14 + $15}' "/proc/$SYNC_PID/stat"; } \
    >"$W/writes-$LABEL.io.tmp" 2>/dev/null && mv "$W/writes-$LABEL.io.tmp" "$W/writes-$LABEL.io"
  sleep 0.2
done
wait "$BPID"
T1="$(date +%s.%N)"
A1="$(awk '{print $14 + $15}' "/proc/$APID/stat")"
python3 - "$LABEL" "$T0" "$T1" "$A0" "$A1" "$W/writes-$LABEL.io" "$W/writes-$LABEL.out" <<'PY'
import os, re, sys
label, t0, t1, a0, a1, io, out = sys.argv[1:]
counters = dict(line.split(": ") for line in open(io).read().splitlines() if ": " in line)
report = open(out).read().strip()
m = re.search(r"stored (\d+)", report)
n = int(m.group(1)) if m else 0
if n == 0:
    sys.exit(f"{label}: nothing stored: {report}")
hz = os.sysconf("SC_CLK_TCK")
seconds = float(t1) - float(t0)
print(
    f"{label}: {n:,} versions in {seconds:.1f} s = {n / seconds:,.0f}/s; per version: "
    f"{int(counters['wchar']) / n:,.0f} bytes written, {int(counters['syscw']) / n:.2f} write "
    f"calls, B {int(counters['cpu_ticks']) / hz / n * 1e6:.1f} us of CPU (to its last reading), "
    f"A {(float(a1) - float(a0)) / hz / n * 1e6:.1f} us; "
    f"load {' '.join(open('/proc/loadavg').read().split()[:3])}"
)
PY
if [ "${BY_FILE:-0}" = 1 ]; then
  python3 - "$W/writes-$LABEL.strace" "$W/writes-$LABEL.out" <<'PY'
import collections, re, sys
trace, out = sys.argv[1:]
n = int(re.search(r"stored (\d+)", open(out).read()).group(1))
done = re.compile(r"^(\d+)\s+\w+\(\d+<([^>]*)>.*\)\s+=\s+(\d+)")
started = re.compile(r"^(\d+)\s+\w+\(\d+<([^>]*)>.*<unfinished")
resumed = re.compile(r"^(\d+)\s+<\.\.\. \w+ resumed>.*=\s+(\d+)")
def name(path):
    return "sockets and pipes" if ":" in path and not path.startswith("/") else path.rsplit("/", 1)[-1]
written, calls, pending = collections.Counter(), collections.Counter(), {}
for line in open(trace, errors="replace"):
    if m := done.match(line):
        pid, path, count = m.groups()
    elif m := started.match(line):
        pending[m.group(1)] = m.group(2)
        continue
    elif (m := resumed.match(line)) and m.group(1) in pending:
        path, count = pending.pop(m.group(1)), m.group(2)
    else:
        continue
    written[name(path)] += int(count)
    calls[name(path)] += 1
for f, b in written.most_common(6):
    print(f"  {f}: {b / n:,.0f} bytes and {calls[f] / n:.2f} calls per version")
PY
fi
