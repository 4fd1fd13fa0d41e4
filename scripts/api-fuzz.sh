#!/usr/bin/env bash
# API fuzzing: Schemathesis (pip) generates requests from the service's own contract
# (/api/openapi.json) and sends them as every role of the demo organisation, bounded
# (EXAMPLES per operation, deterministic): no answer may be a server error (5xx) or
# differ from the contract's schema.
#
#   bash scripts/api-fuzz.sh [EXAMPLES]     (default 10)
#
# Logging out is left out (it would end the session the rest is sent in).
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-10}
W=${WAARBORG:-${CARGO_TARGET_DIR:-target}/debug/waarborg}
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "schemathesis==4.32.5" >&2
. scripts/serve-demo.sh
serve_demo "$W"
failed=0
while read -r user role password; do
  case "$user" in ''|'#'*) continue ;; esac
  login=$(curl -s -i -X POST -H 'Content-Type: application/json' \
    -d "{\"user\":\"$user\",\"password\":\"$password\",\"role\":\"$role\"}" "$url/api/login")
  cookie=$(printf '%s\n' "$login" | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | head -1)
  csrf=$(printf '%s\n' "$login" | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf"])')
  [ -n "$cookie" ] || { echo "api fuzz: $user could not log in" >&2; exit 1; }
  report=$(mktemp)
  if SCHEMATHESIS_HOOKS=scripts/schemathesis_hooks.py python3 -m schemathesis.cli run "$url/api/openapi.json" \
      -H "Cookie: $cookie" -H "X-CSRF-Token: $csrf" --exclude-path-regex 'logout' \
      -c not_a_server_error,response_schema_conformance -n "$examples" \
      --phases examples,fuzzing --generation-deterministic >"$report" 2>&1; then
    printf '%-14s %-28s %s\n' "$user" "$role" "$(grep -Eo '[0-9]+ generated, [0-9]+ passed' "$report" | tail -1)"
  else
    echo "api fuzz: failures as $user ($role):" >&2
    grep -v '^  - ' "$report" | tail -60 >&2
    failed=1
  fi
  rm -f "$report"
done < "$data/demo-accounts.txt"
exit $failed
