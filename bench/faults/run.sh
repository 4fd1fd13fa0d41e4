#!/usr/bin/env bash
# The fault-injection suite (crates/waarborg-cli/tests/faults.rs) with more kill -9 rounds
# than CI runs, printing its figures: acknowledged changes vs. what the store and the
# ledger hold after each restart, entries voided by the reconciliation, the full-disk run.
#   bash bench/faults/run.sh [ROUNDS]      (default 15)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-15}"
WAARBORG_FAULT_ROUNDS="$rounds" cargo test --locked -p waarborg-cli --test faults -- \
  --nocapture --test-threads 1 2>&1 | grep -E "^(kill -9|full disk|test |test result)"
