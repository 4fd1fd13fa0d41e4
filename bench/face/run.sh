#!/usr/bin/env bash
# Face engine throughput, Waarborg beside the insightface reference, in one run:
# the same images (the three sample photos, 28 faces), the same thread count, the same
# machine, alternating runs; prints each run and the median ratios.
#
#   bash bench/face/run.sh [--threads N] [--rounds R] [--repeats K]
#
# Goals (issue 2): Waarborg >= 1.5x insightface's images/s; Waarborg's whole pipeline
# within 1.2x of its model stage alone (the two ONNX Runtime models on prepared inputs).
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=$(nproc); rounds=10; repeats=3
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
bash scripts/setup.sh
cargo build --release --locked -p waarborg-cli >&2
"${CARGO_TARGET_DIR:-target}"/release/waarborg models install >&2
bash scripts/reference/setup.sh >&2
samples=$("${CARGO_TARGET_DIR:-target}"/release/waarborg models check | sed -n 's/^model cache: //p')/samples
images=("$samples"/gdp.jpg "$samples"/players.jpg "$samples"/yaoming.jpg)
mkdir -p bench/out
out=bench/out/face-$(date -u +%Y%m%dT%H%M%SZ).jsonl
for i in $(seq "$repeats"); do
  "${CARGO_TARGET_DIR:-target}"/release/waarborg bench face --json --threads "$threads" --rounds "$rounds" "${images[@]}" \
    | sed 's/^/{"engine":"waarborg",/; s/^{"engine":"waarborg",{/{"engine":"waarborg",/' >> "$out"
  .venv-reference/bin/python -W ignore bench/face/insightface_bench.py --threads "$threads" --rounds "$rounds" "${images[@]}" 2>/dev/null \
    | sed 's/^{/{"engine":"insightface",/' >> "$out"
done
python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
w = [r for r in rows if r["engine"] == "waarborg"]
p = [r for r in rows if r["engine"] == "insightface"]
for a, b in zip(w, p):
    print(f"waarborg {a['pipeline_images_per_s']:6.2f} img/s (model only {a['model_images_per_s']:6.2f}, "
          f"pipeline/model {a['pipeline_over_model']:.3f})  insightface {b['pipeline_images_per_s']:6.2f} img/s  "
          f"ratio {a['pipeline_images_per_s'] / b['pipeline_images_per_s']:.2f}x")
ratio = statistics.median(a["pipeline_images_per_s"] / b["pipeline_images_per_s"] for a, b in zip(w, p))
over = statistics.median(a["pipeline_over_model"] for a in w)
print(f"median: waarborg / insightface throughput = {ratio:.2f}x (goal >= 1.5); "
      f"waarborg pipeline / model-only time = {over:.3f} (goal <= 1.2)")
print(f"{w[0]['images']} images, {w[0]['faces']} faces per run, {w[0]['threads']} threads; raw runs in {sys.argv[1]}")
PY
