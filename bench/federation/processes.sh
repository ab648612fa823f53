# Sourced by the federation benchmark scripts: the nodes' environment, and the background
# processes they start (their pids in PIDS), stopped when the script exits.
# shellcheck shell=bash
export ENTENTE_LOG=warn
unset ENTENTE_DATA ENTENTE_STORE_URL
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
trap cleanup EXIT
