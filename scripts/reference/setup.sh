#!/usr/bin/env bash
# A virtual environment with the reference implementation (insightface on onnxruntime CPU),
# for recording fidelity values and for the benchmark's side-by-side comparison.
# Not needed by the product or by the test suite, which use recorded values.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=.venv-reference
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/reference/requirements.txt
echo "$venv ready" >&2
