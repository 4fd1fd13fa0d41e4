#!/usr/bin/env bash
# Bulk import beside the bare face engine, on the same images, in one run: face crops of
# the sample photos with mirrored and rescaled variants (--variants, default 20: about 120
# images), the same thread count; alternating rounds; prints each round and the median
# ratio of import throughput to engine throughput.
#
#   bash bench/enrol/run.sh [--threads N] [--rounds R] [--variants V]
#
# Goal (issue 7): the import reaches >= 90% of the face engine's throughput.
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=$(nproc); rounds=3; variants=20
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --variants) variants=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
bash scripts/setup.sh
cargo build --release --locked -p waarborg-cli >&2
bin="${CARGO_TARGET_DIR:-target}"/release/waarborg
"$bin" models install >&2
set_dir=$(mktemp -d)
trap 'rm -rf "$set_dir"' EXIT
"$bin" refdb sample-set "$set_dir" --variants "$variants" --threads "$threads" >&2
mkdir -p bench/out
out=bench/out/enrol-$(date -u +%Y%m%dT%H%M%SZ).jsonl
"$bin" bench enrol "$set_dir" --rounds "$rounds" --threads "$threads" --json | tee "$out"
python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
r = statistics.median(x["import_over_engine"] for x in rows)
e = statistics.median(x["engine_images_per_s"] for x in rows)
i = statistics.median(x["import_images_per_s"] for x in rows)
print(f"median over {len(rows)} rounds: engine {e:.1f} images/s, import {i:.1f} images/s, "
      f"import/engine {r:.3} (goal >= 0.90)")
PY
