# Sourced by callgraph.sh and writes.sh, after they set E (B's binary), A_E (A's binary) and W
# (the work folder bench/federation/run.sh left node A in): serves node A on a free loopback
# port and sets up a fresh node B that pulls A's shared collection, as run.sh does.
# shellcheck shell=bash disable=SC1091
. "$W/a.env"
. "$(dirname "${BASH_SOURCE[0]}")/processes.sh"

# serve_a LOG: node A serving on PORT, its pid in APID.
serve_a() {
  PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  "$A_E" --data "$W/a" serve --listen "127.0.0.1:$PORT" >"$1" 2>&1 &
  APID="$!"
  PIDS+=("$APID")
  for _ in $(seq 1 600); do curl -s -o /dev/null "http://127.0.0.1:$PORT/health" && break; sleep 0.1; done
}

# fresh_b DIR: an empty node B in DIR with peer `fr` (node A on PORT) ready to pull.
fresh_b() {
  local b="$1"
  rm -rf "$b"
  "$E" --data "$b" init --organisation be-vsse >/dev/null
  "$E" --data "$b" org add fr-dgsi >/dev/null
  "$E" --data "$b" channel add fr-be --member fr-dgsi --member be-vsse \
    --legal-basis "Bilateral memorandum of understanding" --purpose investigation >/dev/null
  "$E" --data "$b" collection add --title "From FR" --alias from-fr >/dev/null
  "$E" --data "$b" collection bind from-fr --channel fr-be >/dev/null
  "$E" --data "$b" org key add fr-dgsi "$A_KEY" >/dev/null
  printf '%s' "$B_SERVICE_TOKEN" >"$W/fr.token"
  "$E" --data "$b" peer add fr --url "http://127.0.0.1:$PORT/api1/" --organisation fr-dgsi \
    --channel fr-be --pull "$SHARED" --into from-fr --token-file "$W/fr.token" --interval 1 >/dev/null
}
