#!/usr/bin/env bash
# Correlation cost on import: `entente import` of the MITRE ATT&CK bundles (Enterprise 18.1,
# Mobile 17.1, ICS 18.1: ~50 MB, ~40,000 objects) into a fresh embedded store, with
# correlation on (the default) and off (`entente hits settings --disable`), alternating the
# order run by run so that both see the same machine. Then `entente hits rebuild` on the
# loaded store: the cost of building the index from stored objects (what a process pays at
# its first ingest). Prints a Markdown table; see bench/correlation/RESULTS.md.
#
# Knobs: RUNS (default 5), ENTENTE (the release binary), DATA (the STIX data folder),
# WORK (scratch folder).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RUNS="${RUNS:-5}"
DATA="${DATA:-$ROOT/../shared/data/stix}"
WORK="${WORK:-/tmp/entente-bench-correlation}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
ENTENTE="${ENTENTE:-$CARGO_TARGET_DIR/release/entente}"

log() { printf '== %s\n' "$*" >&2; }
mkdir -p "$WORK"
if [ -z "${ENTENTE_PREBUILT:-}" ]; then
  log "building entente (release)"
  (cd "$ROOT" && cargo build --release -p entente --quiet)
fi

# FILES (space-separated paths) replaces the ATT&CK bundles, e.g. a file from
# bench/gen/objects.py (30% indicators) to measure an indicator-heavy import.
if [ -n "${FILES:-}" ]; then
  read -r -a FILES <<< "$FILES"
  LABEL="${LABEL:-$(basename "${FILES[0]}")}"
else
  ENT="$WORK/enterprise-attack-18.1.json"
  [ -s "$ENT" ] || gzip -dc "$DATA/attack/enterprise-attack-18.1.json.gz" > "$ENT"
  FILES=("$ENT" "$DATA/attack/mobile-attack-17.1.json" "$DATA/attack/ics-attack-18.1.json")
  LABEL="ATT&CK Enterprise + Mobile + ICS"
fi

now() { date +%s.%N; }

# import_all MODE -> seconds
import_all() {
  local mode="$1" dir="$WORK/data-$1"
  rm -rf "$dir"
  "$ENTENTE" --data "$dir" init >/dev/null
  if [ "$mode" = off ]; then
    "$ENTENTE" --data "$dir" hits settings --disable >/dev/null
  fi
  local t0 t1 cpu=0 c
  t0=$(now)
  for f in "${FILES[@]}"; do
    # CPU time (user + system) of the import process, which load on the machine does not
    # inflate the way it inflates wall-clock time.
    c=$( { TIMEFORMAT='%U %S'; time ENTENTE_LOG=warn "$ENTENTE" --data "$dir" import "$f" --collection home >/dev/null; } 2>&1 | awk '{print $1 + $2}')
    cpu=$(echo "$cpu + $c" | bc -l)
  done
  t1=$(now)
  echo "$(echo "$t1 - $t0" | bc -l) $cpu"
}

ON=(); OFF=(); CON=(); COFF=()
for r in $(seq 1 "$RUNS"); do
  if [ $((r % 2)) -eq 1 ]; then order="on off"; else order="off on"; fi
  for m in $order; do
    read -r s c <<< "$(import_all "$m")"
    log "run $r correlation $m: $s s wall, $c s CPU"
    if [ "$m" = on ]; then ON+=("$s"); CON+=("$c"); else OFF+=("$s"); COFF+=("$c"); fi
  done
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mon=$(median "${ON[@]}"); moff=$(median "${OFF[@]}")
con=$(median "${CON[@]}"); coff=$(median "${COFF[@]}")
hits=$("$ENTENTE" --data "$WORK/data-on" hits since 2000-01-01T00:00:00Z --json --limit 1000000 2>/dev/null | wc -l)
objects=$(ENTENTE_LOG=warn "$ENTENTE" --data "$WORK/data-on" hits rebuild)

echo "| import of $LABEL | correlation off | correlation on | ratio |"
echo "|---|---|---|---|"
printf '| wall clock, median of %s runs (s) | %.2f | %.2f | %.3f |\n' "$RUNS" "$moff" "$mon" "$(echo "$mon / $moff" | bc -l)"
printf '| CPU time (user + system), median (s) | %.2f | %.2f | %.3f |\n' "$coff" "$con" "$(echo "$con / $coff" | bc -l)"
printf '| wall clock, all runs (s) | %s | %s | |\n' "${OFF[*]}" "${ON[*]}"
printf '| CPU time, all runs (s) | %s | %s | |\n' "${COFF[*]}" "${CON[*]}"
echo
echo "hits recorded on import: $hits"
echo "rebuild on the loaded store: $objects"
