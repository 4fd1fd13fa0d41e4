//! Figures from a real ledger on disk: counted right, recomputed by `verify`, a changed
//! figure or another ledger named, a damaged ledger refused, an empty period all zeros.

use waarborg_ledger::{
    BiometricOperation, DeletionReceipt, Event, Ledger, NoteSigner, Operation, Refusal, Snapshot,
};
use waarborg_report::{figures, figures_of_verified, verify, Period};

fn op(operation: Operation, revision: &str, outcome: &str) -> Event {
    let now = waarborg_ledger::entry::now();
    Event::BiometricOperation(BiometricOperation {
        operation,
        started: now.clone(),
        ended: now,
        user: "examiner-1".into(),
        role: "examiner".into(),
        deployment_revision: Some(revision.into()),
        case_authorisation: Some("OM-1".into()),
        reference_database: None,
        input_sha256: None,
        verifiers: vec![],
        model_sha256: vec![],
        outcome: outcome.into(),
        best_score_milli: None,
    })
}

fn refusal(revision: &str, reason: &str) -> Event {
    Event::Refusal(Refusal {
        user: "examiner-1".into(),
        role: "examiner".into(),
        attempted: "search".into(),
        reason: reason.into(),
        deployment_revision: Some(revision.into()),
        case_authorisation: None,
        count: None,
    })
}

fn today_period() -> Period {
    let today = &waarborg_ledger::entry::now()[..10];
    // This year and last, whatever today is.
    let year: i32 = today[..4].parse().unwrap();
    Period::new(
        &format!("{}-01-01", year - 1),
        &format!("{}-01-01", year + 1),
    )
    .unwrap()
}

#[test]
fn figures_are_counted_from_the_entries_and_recomputed_by_anyone() {
    let dir = std::env::temp_dir().join(format!("wb-report-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (ledger, _) = Ledger::open(&dir, NoteSigner::generate("test/ledger").unwrap()).unwrap();
    let events = vec![
        op(
            Operation::Detect,
            "catch/1",
            "3 faces, 1 of sufficient quality",
        ),
        op(
            Operation::Search,
            "catch/1",
            "20 candidates (never an identification)",
        ),
        op(Operation::Proposal, "catch/1", "proposal: Candidate"),
        op(Operation::Verification, "catch/1", "verification Confirm"),
        op(
            Operation::Verification,
            "catch/1",
            "verification Confirm; outcome Identification { reference: 4 }",
        ),
        op(
            Operation::Detect,
            "catch/1",
            "1 faces, 0 of sufficient quality",
        ),
        op(
            Operation::Detect,
            "catch/1",
            "insufficient quality: no search; sharpness,too_dark",
        ),
        op(
            Operation::Detect,
            "west/2",
            "2 faces, 2 of sufficient quality",
        ),
        op(
            Operation::Search,
            "west/2",
            "20 candidates (never an identification)",
        ),
        op(
            Operation::Verification,
            "west/2",
            "verification Reject; outcome NotConfirmed",
        ),
        refusal(
            "catch/1",
            "no_case_authorisation: case OM-2 is not authorised",
        ),
        refusal("west/2", "suspended: the deployment is suspended"),
        refusal("west/2", "suspended: the deployment is suspended"),
        Event::DeletionReceipt(DeletionReceipt {
            record_kind: "reference_image".into(),
            record: "reference-image:7".into(),
            rule: "acquittal".into(),
        }),
    ];
    for e in events {
        ledger.append(e).unwrap();
    }
    let report = figures_of_verified(&dir, &today_period()).unwrap();
    let all = &report.overall;
    assert_eq!(
        (all.probes_submitted, all.insufficient_quality, all.searches),
        (3, 1, 2)
    );
    assert_eq!(
        (all.proposals, all.identifications, all.not_confirmed),
        (1, 1, 1)
    );
    assert_eq!(all.refusals.get("suspended"), Some(&2));
    assert_eq!(all.insufficient_reasons.get("too_dark"), Some(&1));
    assert_eq!(all.insufficient_reasons.len(), 2);
    assert_eq!(all.refusals.get("no_case_authorisation"), Some(&1));
    assert_eq!(all.erasures.get("acquittal"), Some(&1));
    let catch = &report.per_deployment["catch/1"];
    assert_eq!((catch.probes_submitted, catch.identifications), (2, 1));
    assert_eq!(report.per_deployment["west/2"].not_confirmed, 1);
    assert_eq!(report.ledger.size, ledger.size());

    // Anyone with the ledger recomputes it: every figure matches — also after the ledger
    // has grown, because the report states the size it covers.
    ledger
        .append(op(Operation::Search, "catch/1", "20 candidates"))
        .unwrap();
    let copy = Snapshot::read(&dir).unwrap();
    assert!(verify(&report, &copy).unwrap().is_empty());
    // A changed figure is named, with both values.
    let mut forged = report.clone();
    forged
        .per_deployment
        .get_mut("catch/1")
        .unwrap()
        .identifications = 5;
    let m = verify(&forged, &copy).unwrap();
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].figure, "per_deployment.catch/1.identifications");
    assert_eq!(
        (m[0].reported.as_str(), m[0].recomputed.as_str()),
        ("5", "1")
    );
    // Another ledger: the root differs, and says so.
    let other = std::env::temp_dir().join(format!("wb-report-other-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&other);
    let (l2, _) = Ledger::open(&other, NoteSigner::generate("test/ledger").unwrap()).unwrap();
    for _ in 0..report.ledger.size {
        l2.append(op(
            Operation::Detect,
            "catch/1",
            "1 faces, 1 of sufficient quality",
        ))
        .unwrap();
    }
    let m = verify(&report, &Snapshot::read(&other).unwrap()).unwrap();
    assert!(m.iter().any(|m| m.figure == "ledger.root"), "{m:?}");

    // A period without entries: every figure zero, the ledger point still stated.
    let empty = figures(
        &copy,
        copy.size(),
        &Period::new("1990-01-01", "1991-01-01").unwrap(),
    )
    .unwrap();
    assert_eq!(empty.overall, Default::default());
    assert!(empty.per_deployment.is_empty());

    // A damaged ledger gives no report, and says why.
    drop(ledger);
    let file = dir.join(waarborg_ledger::ENTRIES_FILE);
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x20;
    std::fs::write(&file, &bytes).unwrap();
    let err = figures_of_verified(&dir, &today_period())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("does not verify") || err.contains("corrupt"),
        "{err}"
    );
    assert!(Period::new("2027-01-01", "2026-01-01").is_err());
    assert!(Period::new("2026-1-1", "2027-01-01").is_err());
    std::fs::remove_dir_all(&dir).ok();
    std::fs::remove_dir_all(&other).ok();
}
