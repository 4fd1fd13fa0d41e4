#!/usr/bin/env bash
# Quick start, command one: set up, build, install the verified models, run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --locked -p waarborg-cli
exec "${CARGO_TARGET_DIR:-target}/release/waarborg" demo "$@"
