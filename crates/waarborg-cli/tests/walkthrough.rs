//! The governance walkthrough in docs/walkthrough runs as documented: draft to active, the
//! gate permitting an authorised search and refusing the rest, every decision and refusal
//! in a ledger that verifies. Keeps the documentation from drifting.

use std::path::Path;
use std::process::Command;

#[test]
fn the_documented_walkthrough_runs_and_the_gate_decides_as_it_says() {
    let data = std::env::temp_dir().join(format!("waarborg-walkthrough-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/walkthrough/walkthrough.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(&data)
        .env("WAARBORG", env!("CARGO_BIN_EXE_waarborg"))
        .env_remove("WAARBORG_LEDGER_KEY")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    for expected in [
        "error: refused: the applicant cannot review their own proposal",
        "activate by applicant-1 (applicant) — authority_approved -> active",
        "error: refused: now is outside the revision's validity window",
        "fria_notified",
        "record_registration by applicant-1 (applicant)",
        "REFUSED (not_authorised)",
        "PERMIT search retro-search/1 by examiner-1",
        "REFUSED (probe_source_out_of_scope)",
        "REFUSED (technology_mismatch)",
        "REFUSED (review_overdue)",
        "OK: every entry, checkpoint signature and consistency proof verifies",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    // Every refusal is itself in the ledger: the gate's four and the three refused
    // governance steps.
    let entries = std::fs::read(data.join("ledger/entries.log")).unwrap();
    let count = |needle: &[u8]| {
        entries
            .windows(needle.len())
            .filter(|w| *w == needle)
            .count()
    };
    assert_eq!(count(b"\"kind\":\"refusal\""), 7, "{text}");
    let decisions = count(b"\"kind\":\"governance_decision\"");
    assert!(decisions >= 14, "{decisions} decisions logged");
    let _ = std::fs::remove_dir_all(&data);
}
