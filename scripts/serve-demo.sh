# Sourced by the test scripts: the demo organisation on a fresh data directory and the
# service on a free loopback port. After `serve_demo WAARBORG_BINARY`: $data (the data
# directory, with demo-accounts.txt), $url, $key (the ledger's public key, for the
# independent verifier), and a trap that stops the service and removes the directory on
# exit.
serve_demo() {
  local W=$1
  data=$(mktemp -d)
  out=$(mktemp)
  unset WAARBORG_LEDGER_KEY
  "$W" demo --no-serve --data "$data" >/dev/null 2>"$out" || { cat "$out" >&2; exit 1; }
  key=$(sed -n 's/.*(public key \(.*\))$/\1/p' "$out")
  "$W" serve --data "$data" --bind 127.0.0.1:0 >"$out" 2>/dev/null &
  server=$!
  trap 'kill $server 2>/dev/null; rm -rf "$data" "$out"' EXIT
  for _ in $(seq 100); do grep -q "listening on" "$out" && break; sleep 0.1; done
  url=$(sed -n 's/^listening on //p' "$out")
  [ -n "$url" ] || { echo "the server did not start" >&2; exit 1; }
}
