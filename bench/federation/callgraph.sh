#!/usr/bin/env bash
# Call-graph profile of B's `entente peer sync` (perf with DWARF unwinding), to attribute B's
# CPU time to the stages of a pull: fetching, checking (parsing, validation, signatures),
# the gate, storing, correlation. Run after bench/federation/run.sh, which leaves node A
# and its settings in WORK. Samples 25 s in the middle of a synchronisation into a fresh
# node B (WORK/b2), then stops it; prints the inclusive share of the main stages.
#
#   bench/federation/callgraph.sh PATH_TO_ENTENTE_BINARY
#
# A_ENTENTE names another binary for node A (default: the same), so that node A stays at the
# schema of the build that imported it.
set -euo pipefail
E="$(realpath "${1:?path to the entente binary}")"
A_E="$(realpath "${A_ENTENTE:-$E}")"
W="${WORK:-/tmp/entente-bench-federation}"
SECONDS_SAMPLED="${SECONDS_SAMPLED:-25}"
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=bench/federation/fresh-b.sh
. "$HERE/fresh-b.sh"
serve_a "$W/a-callgraph.serve.log"
B="$W/b2"
fresh_b "$B"
"$E" --data "$B" peer sync fr >"$W/b2-sync.out" 2>&1 &
BPID="$!"
PIDS+=("$BPID")
sleep 15
perf record --call-graph dwarf,16384 -F 149 -p "$BPID" -o "$W/perf-b-dwarf.data" \
  -- sleep "$SECONDS_SAMPLED" >"$W/perf-b-dwarf.log" 2>&1
cleanup
PIDS=()
perf report -i "$W/perf-b-dwarf.data" --stdio --children --sort sym -g none --percent-limit 0.3 2>/dev/null \
  | grep -E '\] (entente_store::sqlite::add_objects_blocking|entente_server::federation::check_page|entente_server::federation::signing::verify|entente_stix::provenance::split_signature|entente_stix::provenance::signing_input|entente_server::validation::validate|entente_server::correlation::index_added|entente_correlate::engine::Engine::ingest|entente_server::sharing::facts_at_ingest|unixSync|serde_json::de::from_trait|rusqlite::Connection::execute_batch)' \
  | awk '{ printf "%8s  %s\n", $1, $4 }' | sort -u -k2,2 | sort -rn
echo "(add_hits of the correlation store: the callers of rusqlite::Connection::execute_batch above)"
