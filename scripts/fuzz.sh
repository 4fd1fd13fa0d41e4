#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets) for SECONDS each (default 10: the short run CI
# makes), from the committed seeds (fuzz/corpus) and every input that once failed
# (fuzz/regressions), and prints each target's executions. A crash fails the run and
# leaves its input under fuzz/artifacts/TARGET/: add it to fuzz/regressions/TARGET/ and a
# unit test beside the code that failed.
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]
#   FUZZ_RUNS=1000000 bash scripts/fuzz.sh     (a number of executions per target instead)
# Uses the nightly toolchain with AddressSanitizer where rustup has one, else the stable
# toolchain without a sanitizer. Installs cargo-fuzz (crates.io) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
shift || true
command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked --quiet cargo-fuzz@0.13.2
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  fuzz=(cargo +nightly fuzz)
  sanitizer=address
else
  fuzz=(cargo fuzz)
  sanitizer=none
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cd fuzz && "${fuzz[@]}" list)
fi
"${fuzz[@]}" build --fuzz-dir fuzz -O -s "$sanitizer" >&2
if [ -n "${FUZZ_RUNS:-}" ]; then limit=(-runs="$FUZZ_RUNS"); else limit=(-max_total_time="$seconds"); fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf '%-16s %12s %10s\n' target executions "per second"
for t in "${targets[@]}"; do
  mkdir -p "$work/$t" "fuzz/regressions/$t" "fuzz/artifacts/$t"
  cp -r "fuzz/corpus/$t/." "$work/$t/" 2>/dev/null || true
  log="$work/$t.log"
  if ! "${fuzz[@]}" run --fuzz-dir fuzz -O -s "$sanitizer" "$t" "$work/$t" "fuzz/regressions/$t" -- \
      "${limit[@]}" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
      -artifact_prefix="fuzz/artifacts/$t/" >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "fuzz: $t failed; its input is under fuzz/artifacts/$t/" >&2
    exit 1
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  printf '%-16s %12s %10s\n' "$t" "$execs" "$rate"
done
