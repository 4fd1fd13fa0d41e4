#!/usr/bin/env bash
# Browser end-to-end tests: the demo organisation on a fresh data directory, the server on
# a free loopback port, and tests/browser/e2e.mjs driving Debian's chromium headless.
#
#   bash scripts/browser-test.sh [SCREENSHOT_DIR]
#
# Needs a release build (`cargo build --release -p waarborg-cli`), the model cache, node and
# npm; installs chromium with apt-get and playwright-core with npm when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
shots=${1:-}
W=${WAARBORG:-${CARGO_TARGET_DIR:-target}/release/waarborg}
if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then
  echo "browser tests: installing chromium and poppler-utils with apt-get" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core poppler-utils >/dev/null
fi
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
. scripts/serve-demo.sh
serve_demo "$W"
samples=$("$W" models check | sed -n 's/^model cache: //p')/samples
# A recorded video for the frames step: three seconds of a sample photo (ffmpeg, from setup).
ffmpeg -nostdin -v error -y -loop 1 -i "$samples/yaoming.jpg" -t 3 -r 5 \
  -vf 'scale=trunc(iw/2)*2:trunc(ih/2)*2' -pix_fmt yuv420p -c:v libx264 "$data/clip.mp4"
node tests/browser/e2e.mjs "$url" "$data/demo-accounts.txt" "$samples/gdp.jpg" "$shots" "$samples/yaoming.jpg" "$data/clip.mp4" "$data/case-report.json"
# The case report the examiner downloaded: its proofs checked by the independent verifier,
# with the ledger's public key only.
python3 tools/auditor/waarborg_verify.py report --key "$key" "$data/case-report.json"
pdftoppm -png -r 60 -f 1 -l 2 "$data/case-report-nl.pdf" "$data/case-report-nl"
[ -n "$shots" ] && cp "$data"/case-report-nl-*.png "$shots/"

# Reports as PDF, printed by chromium and rendered back to PNG pages: each report prints,
# its pages are real images, and its JSON verifies against the ledger it came from.
pdfs=$(mktemp -d)
trap 'kill $server 2>/dev/null; rm -rf "$data" "$out" "$pdfs"' EXIT
year=$(date -u +%Y)
"$W" report figures --from "$year-01-01" --to "$((year + 1))-01-01" --data "$data" --lang nl \
  --out "$pdfs/figures.json" --pdf "$pdfs/figures-nl.pdf" 2>/dev/null
"$W" report annual --year "$year" --data "$data" --lang en \
  --out "$pdfs/annual.json" --pdf "$pdfs/annual-en.pdf" 2>/dev/null
"$W" report framework --from "$year-01-01" --to "$((year + 1))-01-01" --data "$data" --lang nl \
  --out "$pdfs/framework.json" --pdf "$pdfs/framework-nl.pdf" 2>/dev/null
for report in figures-nl annual-en framework-nl; do
  pdftoppm -png -r 60 "$pdfs/$report.pdf" "$pdfs/$report"
  pages=$(ls "$pdfs/$report"-*.png | wc -l)
  first=$(ls "$pdfs/$report"-*.png | head -1)
  size=$(stat -c %s "$first")
  [ "$pages" -ge 1 ] && [ "$size" -gt 8000 ] || { echo "report $report: PDF rendered to $pages page(s), first $size bytes" >&2; exit 1; }
  echo "ok report $report.pdf: $pages page(s) rendered to PNG"
  [ -n "$shots" ] && cp "$pdfs/$report"-*.png "$shots/"
done
for json in figures annual framework; do
  "$W" report verify "$pdfs/$json.json" --data "$data" >/dev/null || { echo "report $json does not verify" >&2; exit 1; }
done
echo "ok reports verify against the ledger"
