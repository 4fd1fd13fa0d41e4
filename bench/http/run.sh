#!/usr/bin/env bash
# HTTP throughput on loopback: 32 concurrent clients (keep-alive, one session each) against
# `waarborg serve` holding the demo organisation plus 100,000 synthetic reference templates.
# Measures public register reads, ledger checkpoint reads (logged in), and whole searches
# (probe upload + search with its first face: gate, detection, template, index, ledger).
#
#   bash bench/http/run.sh [--clients 32] [--seconds 10] [--templates 100000]
set -euo pipefail
cd "$(dirname "$0")/../.."
clients=32; seconds=10; templates=100000
while [ $# -gt 0 ]; do
  case "$1" in
    --clients) clients=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --templates) templates=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
bash scripts/setup.sh
cargo build --release --locked -p waarborg-cli >&2
W="${CARGO_TARGET_DIR:-target}/release/waarborg"
"$W" models install >/dev/null
data=$(mktemp -d)
unset WAARBORG_LEDGER_KEY
"$W" demo --no-serve --data "$data" >/dev/null
if [ "$templates" -gt 0 ]; then
  "$W" bench index-scale --data "$data" --n "$templates" --segment-rows "$templates" \
    --first-id 10000000 --queries 3 >&2
fi
samples=$("$W" models check | sed -n 's/^model cache: //p')/samples
out=$(mktemp)
"$W" serve --data "$data" --bind 127.0.0.1:0 >"$out" 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$data" "$out"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$out" && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$out")
pw() { awk -v u="$1" '$1 == u { print $3 }' "$data/demo-accounts.txt"; }
echo "server $url, $clients clients, $seconds s per operation, demo + $templates synthetic templates"
"$W" bench http --url "$url" --clients "$clients" --seconds "$seconds" --get /api/public/register
"$W" bench http --url "$url" --clients "$clients" --seconds "$seconds" \
  --login "auditor-1:$(pw auditor-1):auditor" --get /api/ledger/checkpoint
"$W" bench http --url "$url" --clients "$clients" --seconds "$seconds" \
  --login "examiner-1:$(pw examiner-1):examiner" --search-probe "$samples/yaoming.jpg"

# The public register page (its figures from the kept verification: waarborg_app::audit)
# alone, then while the ledger grows under two examiners' searches: no request waits on
# whole-ledger work, so its p99 should stay of the same order.
echo "public register page, alone, then while the ledger grows (2 clients searching):"
"$W" bench http --url "$url" --clients "$clients" --seconds "$seconds" --get /register
grow=$(mktemp)
"$W" bench http --url "$url" --clients 2 --seconds "$seconds" \
  --login "examiner-1:$(pw examiner-1):examiner" --search-probe "$samples/yaoming.jpg" >"$grow" &
grower=$!
"$W" bench http --url "$url" --clients "$clients" --seconds "$seconds" --get /register
wait $grower
cat "$grow"; rm -f "$grow"
