#!/usr/bin/env bash
# Quick start, command two: set up and run every check and test, as CI does.
set -euo pipefail
cd "$(dirname "$0")/.."
# A clean build gains nothing from incremental state, and it costs disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
bash scripts/setup.sh
echo "== format" >&2
cargo fmt --all -- --check
echo "== lint" >&2
cargo clippy --locked --all-targets -- -D warnings
echo "== dependencies: sources, bans and licences (cargo deny)" >&2
command -v cargo-deny >/dev/null 2>&1 || cargo install --locked --quiet cargo-deny@0.20.2
# `cargo metadata`, which cargo deny reads, wants every platform's crates in the lock file, and
# a build fetches only this platform's: fetch the rest from the registry first.
cargo fetch --locked --quiet
cargo deny --offline check bans licenses sources
echo "== build and install the verified models" >&2
cargo build --locked -p waarborg-cli
"${CARGO_TARGET_DIR:-target}/debug/waarborg" models install
echo "== the OpenAPI validator the tests run (pip)" >&2
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "openapi-spec-validator==0.9.0" >&2
echo "== tests" >&2
cargo test --locked --workspace
echo "== API fuzzing: Schemathesis as every role (pip)" >&2
WAARBORG="${CARGO_TARGET_DIR:-target}/debug/waarborg" bash scripts/api-fuzz.sh 10
echo "== fuzz targets, a short run each (cargo fuzz)" >&2
bash scripts/fuzz.sh 10
echo "== browser end-to-end tests (headless chromium)" >&2
WAARBORG="${CARGO_TARGET_DIR:-target}/debug/waarborg" bash scripts/browser-test.sh
