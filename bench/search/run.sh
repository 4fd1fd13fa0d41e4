#!/usr/bin/env bash
# Exact 1:N search, Waarborg beside FAISS IndexFlatIP, in one run: the same .fvecs data
# (1M random 512-d unit vectors, 100 queries near base vectors), the same thread count,
# the same machine. Prints latency and batch ratios, the exactness check, and Waarborg's
# single-query time against the memory-bandwidth limit.
#
#   bash bench/search/run.sh [--n 1000000] [--queries 100] [--k 50] [--threads N]
#
# Goals (issue 3): single query >= 2x faster than FAISS with identical results; batch no
# slower than FAISS; single query within 1.5x of the bandwidth limit.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=1000000; nq=100; k=50; threads=$(nproc)
while [ $# -gt 0 ]; do
  case "$1" in
    --n) n=$2; shift 2 ;;
    --queries) nq=$2; shift 2 ;;
    --k) k=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
bash scripts/setup.sh
cargo build --release --locked -p waarborg-cli >&2
venv=.venv-bench-search
if [ ! -x "$venv/bin/python" ] || ! cmp -s bench/search/requirements.txt "$venv/requirements.txt"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/search/requirements.txt >&2
  cp bench/search/requirements.txt "$venv/requirements.txt"
fi
data=bench/out/search-data-$n-$nq
[ -f "$data/queries.fvecs" ] || "$venv/bin/python" bench/search/make_data.py "$data" --n "$n" --queries "$nq" >&2
out=bench/out/search-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
"${CARGO_TARGET_DIR:-target}"/release/waarborg bench search --base "$data/base.fvecs" --queries "$data/queries.fvecs" \
  --k "$k" --threads "$threads" --json > "$out/waarborg.json"
"$venv/bin/python" bench/search/faiss_bench.py --base "$data/base.fvecs" --queries "$data/queries.fvecs" \
  --k "$k" --threads "$threads" > "$out/faiss.json"
"$venv/bin/python" bench/search/compare.py "$out/waarborg.json" "$out/faiss.json" "$data"
