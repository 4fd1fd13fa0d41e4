#!/usr/bin/env bash
# The reference database at CATCH size, in the service: the demo organisation (accounts, an
# approved deployment, a case), then 1.3 million synthetic persons with 2 templates each (no
# images), the retention plan twice, a retention run, the plan again, the service's start
# until it listens and its resident memory, and searches through HTTP by the demo's
# examiner — each timed.
#
#   bash bench/catch/run.sh [PERSONS] [DATA_DIR]
#
# PERSONS 5000000 gives 10 million templates (about 30 GB of disk; 10 GB at CATCH size).
# Plan and apply run `--at` nothing: "now"; the synthetic provenance spreads offences and
# capture dates over 40 years, so part of the database is due at once.
set -euo pipefail
cd "$(dirname "$0")/../.."
persons=${1:-1300000}
data=${2:-$(mktemp -d)/catch}
if [ -z "${WAARBORG:-}" ]; then
  bash scripts/setup.sh
  cargo build --release --locked -p waarborg-cli >&2
fi
W=${WAARBORG:-${CARGO_TARGET_DIR:-target}/release/waarborg}
"$W" models install >/dev/null
samples=$("$W" models check | sed -n 's/^model cache: //p')/samples
rm -rf "$data"
mkdir -p "$data"
timed() {
  local start end
  start=$(date +%s.%N)
  "$@"
  end=$(date +%s.%N)
  # On standard error: the timed command's own output may be sent away.
  echo "TIME $(echo "$end - $start" | bc) s :: ${*:1:3}" >&2
}
unset WAARBORG_LEDGER_KEY
"$W" demo --no-serve --data "$data" >/dev/null
timed "$W" refdb synth --persons "$persons" --per-person 2 --data "$data"
du -sh "$data/index" "$data/waarborg.sqlite"
timed "$W" retention plan --json --limit 0 --data "$data" >/dev/null
timed "$W" retention plan --json --limit 0 --data "$data" >/dev/null
timed "$W" retention apply --json --data "$data" >/dev/null
du -sh "$data/index" "$data/waarborg.sqlite"
timed "$W" retention plan --json --limit 0 --data "$data" >/dev/null
out=$(mktemp)
start=$(date +%s.%N)
"$W" serve --data "$data" --bind 127.0.0.1:0 >"$out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 6000); do grep -q "listening on" "$out" && break; sleep 0.1; done
end=$(date +%s.%N)
echo "TIME $(echo "$end - $start" | bc) s :: serve start-up until listening"
rss() { ps -o rss= -p "$server" | awk '{printf "%.2f GiB", $1/1024/1024}'; }
echo "serve resident memory after start: $(rss)"
url=$(sed -n 's/^listening on //p' "$out")
pw() { awk -v u="$1" '$1 == u { print $3 }' "$data/demo-accounts.txt"; }
# One examiner searching, one search at a time: each is a probe upload, the gate, detection,
# the template, the exact search over every template, and the ledger entries.
"$W" bench http --url "$url" --clients 1 --seconds 20 \
  --login "examiner-1:$(pw examiner-1):examiner" --search-probe "$samples/yaoming.jpg"
echo "serve resident memory after searching: $(rss)"
