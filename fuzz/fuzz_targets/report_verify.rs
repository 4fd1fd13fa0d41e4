//! A report handed in for verification (`POST /api/reports/verify`): parsed and checked
//! against a small real ledger, or refused.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use waarborg_ledger::{Event, GovernanceDecision, Ledger, NoteSigner, Snapshot};

fn ledger() -> &'static Snapshot {
    static SNAPSHOT: OnceLock<Snapshot> = OnceLock::new();
    SNAPSHOT.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("waarborg-fuzz-report-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let signer = NoteSigner::from_seed("fuzz.example/ledger", [5; 32]).unwrap();
        let (ledger, _) = Ledger::open(&dir, signer).unwrap();
        for n in 0..4 {
            ledger
                .append(Event::GovernanceDecision(GovernanceDecision {
                    actor: format!("member-{n}"),
                    role: "review_committee".into(),
                    action: "assess".into(),
                    subject: "deployment catch-demo revision 1".into(),
                    reason: "proportionate".into(),
                    framework_version: None,
                    about: None,
                }))
                .unwrap();
        }
        ledger.checkpoint().unwrap();
        drop(ledger);
        Snapshot::read(&dir).unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(report) = waarborg_report::Report::from_json(text) {
        let _ = waarborg_report::verify(&report, ledger());
    }
});
