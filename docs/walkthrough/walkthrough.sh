#!/usr/bin/env bash
# A deployment of face recognition from draft to active, then the gate — every step by the
# person whose role it is, every decision in the audit ledger. Run from the repository root:
#
#   bash docs/walkthrough/walkthrough.sh [DATA_DIR]
#
# It uses ./target/release/waarborg (or $WAARBORG) and a fresh data directory.
set -euo pipefail
W=${WAARBORG:-${CARGO_TARGET_DIR:-target}/release/waarborg}
DATA=${1:-$(mktemp -d)}
export WAARBORG_DATA=$DATA
unset WAARBORG_LEDGER_KEY
work=$(mktemp -d)
at() { echo "--at" "$1"; }
step() { printf '\n$ %s\n' "$*" | sed "s|$W|waarborg|; s|$work/||g"; "$@"; }

echo "# 1. The framework: the shipped template (replace it with the official text)"
step "$W" framework list

echo "# 2. The applicant registers the use with its first revision: the template, with the"
echo "#    fundamental-rights impact assessment completed (the template prefills points a, b, c"
echo "#    and e from the revision; AI Act Art. 27(1)). Its notification to the market"
echo "#    surveillance authority and the use's registration in the EU database follow the"
echo "#    approval (step 6). The shipped models are licensed for research only, so this use is"
echo "#    marked a demonstration: an operational use on them is refused at activation"
"$W" deployment template > "$work/template.json"
python3 - "$work/template.json" "$work/content.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["fria"].update(
    risks="A wrong lead against an innocent person in the reference database; accuracy differences between demographic groups.",
    measures_and_complaints="Suspension by the chief of police or the privacy officer; incidents registered and notified; complaints to the privacy officer.",
    up_to_date=True,
)
c["demonstration"] = True
json.dump(c, open(sys.argv[2], "w"), indent=2)
PY
step "$W" deployment propose --id retro-search --name "Retrospective search, serious crime" \
  --content "$work/content.json" --as applicant-1:applicant:biometrics-centre $(at 2026-12-01)
step "$W" deployment submit retro-search --as applicant-1:applicant:biometrics-centre $(at 2026-12-01)

echo "# 3. Three independent committee members assess every factor and precondition"
"$W" deployment assessment-template retro-search \
  | sed 's/TO FILL IN: /Considered: /' > "$work/assessment.json"
step "$W" deployment assess retro-search --judgements "$work/assessment.json" \
  --as applicant-1:review_committee_member:committee $(at 2026-12-02) || echo "(refused, as it must be: the applicant cannot review their own proposal)"
for m in 1 2 3; do
  step "$W" deployment assess retro-search --judgements "$work/assessment.json" \
    --as member-$m:review_committee_member:committee $(at 2026-12-0$((m + 1)))
done

echo "# 4. The attested preconditions"
step "$W" deployment attest retro-search --precondition reporting_agreed --as applicant-1:applicant:biometrics-centre $(at 2026-12-05)
step "$W" deployment attest retro-search --precondition accountability_named --as applicant-1:applicant:biometrics-centre $(at 2026-12-05)
step "$W" deployment attest retro-search --precondition security_reviewed --as privacy-1:privacy_officer:privacy $(at 2026-12-05)

echo "# 5. Advice, ratification, the authority's decision"
step "$W" deployment advise retro-search --outcome positive --reason "All factors favourable; preconditions met" \
  --as member-1:review_committee_member:committee $(at 2026-12-08)
step "$W" deployment ratify retro-search --reason "Ratified on the committee's positive advice" \
  --as chief-1:chief_of_police:leadership $(at 2026-12-10)
step "$W" deployment authority-approve retro-search --reason "No objection from the public prosecutor" \
  --as prosecutor-1:competent_authority:om:public_prosecutor $(at 2026-12-15)

echo "# 6. Before its validity window it cannot start; nor before the assessment's notification"
echo "#    and the registration are recorded (AI Act Art. 27(3), 26(8), 49(4)); then it can"
step "$W" deployment activate retro-search --as applicant-1:applicant:biometrics-centre $(at 2026-12-20) || echo "(refused: outside the validity window)"
step "$W" deployment activate retro-search --as applicant-1:applicant:biometrics-centre $(at 2027-01-02) || echo "(refused: not yet notified or registered)"
step "$W" deployment record-fria-notification retro-search --notified-on 2026-12-16 --reference MSA-2026-117 \
  --as privacy-1:privacy_officer:privacy $(at 2026-12-16)
step "$W" deployment record-registration retro-search --reference EU-LE-2026-0042 \
  --as applicant-1:applicant:biometrics-centre $(at 2026-12-18)
step "$W" deployment activate retro-search --as applicant-1:applicant:biometrics-centre $(at 2027-01-02)
step "$W" deployment list $(at 2027-01-02)

echo "# 7. The competence register: the examiner is trained and authorised (the gate asks)"
step "$W" competence qualify examiner-1 --subject facial_comparison --title "Forensic facial image comparison" \
  --issuer "Police Academy" --obtained 2026-06-01 --expires 2028-06-01 --as hr-1:competence_administrator:training $(at 2027-01-02)
step "$W" competence qualify examiner-1 --subject ai_literacy --title "AI literacy (AI Act Art. 4)" \
  --issuer "National biometrics centre" --obtained 2026-09-01 --expires 2027-09-01 --as hr-1:competence_administrator:training $(at 2027-01-02)
step "$W" competence authorise examiner-1 --role examiner --deployment retro-search \
  --as hr-1:competence_administrator:training $(at 2027-01-02)

echo "# 8. A case, and the gate"
step "$W" case request --case OM-2027-0042 --deployment retro-search --offence "Armed robbery of a jeweller" \
  --category robbery --max-sentence 12 --authority public-prosecutor \
  --justification "CCTV of the robbery shows the face; no other lead identifies the man" \
  --as officer-7:requester:investigation $(at 2027-01-03)
step "$W" gate check --deployment retro-search --case OM-2027-0042 --probe-source crime_scene_cctv \
  --as examiner-1:examiner:biometrics-centre $(at 2027-01-03) || echo "(refused: not yet authorised)"
step "$W" case decide --case OM-2027-0042 --grant --reason "Serious offence; targeted search proportionate" \
  --as prosecutor-1:competent_authority:om:public_prosecutor $(at 2027-01-03)
step "$W" gate check --deployment retro-search --case OM-2027-0042 --probe-source crime_scene_cctv \
  --as examiner-1:examiner:biometrics-centre $(at 2027-01-03)
step "$W" gate check --deployment retro-search --case OM-2027-0042 --probe-source internet \
  --as examiner-1:examiner:biometrics-centre $(at 2027-01-03) || echo "(refused: a probe from the internet is out of scope)"
step "$W" gate check --deployment retro-search --case OM-2027-0042 --probe-source crime_scene_cctv \
  --models 0000000000000000000000000000000000000000000000000000000000000000 \
  --as examiner-1:examiner:biometrics-centre $(at 2027-01-03) || echo "(refused: another model is another technology)"
step "$W" gate check --deployment retro-search --case OM-2027-0042 --probe-source crime_scene_cctv \
  --as examiner-1:examiner:biometrics-centre $(at 2027-04-05) || echo "(refused: the 90-day review is overdue)"

echo "# 9. Every decision and refusal is in the ledger, which verifies"
step "$W" audit checkpoint --new
step "$W" audit verify
