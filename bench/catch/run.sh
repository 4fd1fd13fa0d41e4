#!/usr/bin/env bash
# The reference database at CATCH size: 1.3 million synthetic persons with 2 templates each
# (no images), then the retention plan twice, a retention run, the plan again, and the
# service's start until it listens — each timed.
#
#   bash bench/catch/run.sh [PERSONS] [DATA_DIR]
#
# Needs a release build (`cargo build --release -p waarborg-cli`) and about 10 GB of disk.
# Plan and apply run `--at` nothing: "now"; the synthetic provenance spreads offences and
# capture dates over 40 years, so part of the database is due at once.
set -euo pipefail
cd "$(dirname "$0")/../.."
persons=${1:-1300000}
data=${2:-$(mktemp -d)/catch}
W=${WAARBORG:-${CARGO_TARGET_DIR:-target}/release/waarborg}
rm -rf "$data"
timed() {
  local start end
  start=$(date +%s.%N)
  "$@"
  end=$(date +%s.%N)
  echo "TIME $(echo "$end - $start" | bc) s :: ${*:1:3}"
}
timed "$W" refdb synth --persons "$persons" --per-person 2 --data "$data"
du -sh "$data/index" "$data/waarborg.sqlite"
timed "$W" retention plan --json --limit 0 --data "$data"
timed "$W" retention plan --json --limit 0 --data "$data"
timed "$W" retention apply --json --data "$data"
du -sh "$data/index" "$data/waarborg.sqlite"
timed "$W" retention plan --json --limit 0 --data "$data"
out=$(mktemp)
start=$(date +%s.%N)
"$W" serve --data "$data" --bind 127.0.0.1:0 >"$out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 6000); do grep -q "listening on" "$out" && break; sleep 0.1; done
end=$(date +%s.%N)
echo "TIME $(echo "$end - $start" | bc) s :: serve start-up until listening"
ps -o rss= -p "$server" | awk '{printf "serve resident memory %.2f GiB\n", $1/1024/1024}'
