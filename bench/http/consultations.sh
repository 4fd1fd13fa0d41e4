#!/usr/bin/env bash
# What logging every read costs a page (issue 17): the search page with its candidate list
# (`GET /ui/searches/{id}`, which writes one consultation entry before it answers) under
# 32 clients, served by a build without consultation logging (BASELINE, a `waarborg` binary
# of an earlier commit) and by this one, on copies of the same demo organisation, in the
# same run. Reports p50 and p99 of each and their ratio.
#
#   bash bench/http/consultations.sh BASELINE [--clients 32] [--seconds 10]
#
# BASELINE: e.g. a release build of 84f3940 (before consultation logging):
#   git worktree add /tmp/base 84f3940 && (cd /tmp/base && cargo build --release -p waarborg-cli)
set -euo pipefail
cd "$(dirname "$0")/../.."
baseline=${1:?give the baseline waarborg binary}; shift
clients=32; seconds=10
while [ $# -gt 0 ]; do
  case "$1" in
    --clients) clients=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
bash scripts/setup.sh
cargo build --release --locked -p waarborg-cli >&2
W="${CARGO_TARGET_DIR:-target}/release/waarborg"
data=$(mktemp -d)
unset WAARBORG_LEDGER_KEY
# The demo made by the baseline (whose ledger the baseline can read; this build reads it too).
"$baseline" demo --no-serve --data "$data/base" >/dev/null
cp -a "$data/base" "$data/now"
search=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT id FROM documents WHERE kind='search' LIMIT 1\").fetchone()[0])" "$data/base/waarborg.sqlite")
pw() { awk -v u="$1" '$1 == u { print $3 }' "$data/base/demo-accounts.txt"; }
out=$(mktemp)
trap 'kill $server 2>/dev/null || true; rm -rf "$data" "$out"' EXIT
run() { # binary, data directory, label
  "$1" serve --data "$2" --bind 127.0.0.1:0 >"$out" 2>/dev/null &
  server=$!
  for _ in $(seq 100); do grep -q "listening on" "$out" && break; sleep 0.1; done
  url=$(sed -n 's/^listening on //p' "$out")
  echo "$3:"
  "$W" bench http --url "$url" --clients "$clients" --seconds "$seconds" \
    --login "examiner-1:$(pw examiner-1):examiner" --get "/ui/searches/$search"
  kill $server; wait $server 2>/dev/null || true
}
echo "search page /ui/searches/$search, $clients clients, $seconds s each"
run "$baseline" "$data/base" "without consultation logging (baseline)"
run "$W" "$data/now" "with consultation logging (this build)"
echo "(compare the two p50 and p99 lines: the ratio is the cost of the ledger entry each read writes first)"
