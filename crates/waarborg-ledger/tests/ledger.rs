//! The ledger on a real directory: appends, checkpoints, proofs, rotation, crashes'
//! leftovers and every kind of tampering an auditor must catch.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use waarborg_ledger::merkle::{leaf_hash, verify_consistency, verify_inclusion};
use waarborg_ledger::{
    verify, Checkpoint, Event, GovernanceDecision, KeySource, Ledger, LedgerError, NoteSigner,
    Place, Refusal, Verifier, CHECKPOINTS_FILE, ENTRIES_FILE,
};

const ORIGIN: &str = "police.example/waarborg-test";

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("waarborg-ledger-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn key(seed: u8) -> NoteSigner {
    NoteSigner::from_seed(ORIGIN, [seed; 32]).unwrap()
}

fn decision(n: usize) -> Event {
    Event::GovernanceDecision(GovernanceDecision {
        actor: format!("member-{n}"),
        role: "review_committee".into(),
        action: "assess".into(),
        subject: format!("deployment proposal {n}"),
        reason: "proportionate; preconditions met".into(),
        framework_version: Some("inzetkader-2024.1".into()),
        about: None,
    })
}

/// A ledger with genesis + `n` decisions and a checkpoint every `every` entries.
fn filled(name: &str, n: usize, every: usize) -> PathBuf {
    let d = dir(name);
    let (ledger, _) = Ledger::open(&d, key(1)).unwrap();
    for i in 0..n {
        ledger.append(decision(i)).unwrap();
        if (i + 1) % every == 0 {
            ledger.checkpoint().unwrap();
        }
    }
    ledger.checkpoint().unwrap();
    d
}

/// The framed records of a file, re-framed after `edit` (as a tamperer would, CRCs fixed).
fn rewrite(path: &Path, edit: impl FnOnce(&mut Vec<Vec<u8>>)) {
    let bytes = std::fs::read(path).unwrap();
    let mut records = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        records.push(bytes[at + 8..at + 8 + len].to_vec());
        at += 8 + len;
    }
    edit(&mut records);
    let mut out = Vec::new();
    for r in &records {
        out.extend_from_slice(&(r.len() as u32).to_le_bytes());
        out.extend_from_slice(&crc32(r).to_le_bytes());
        out.extend_from_slice(r);
    }
    std::fs::write(path, out).unwrap();
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn first_problem(d: &Path) -> (Place, String) {
    let report = verify(d, Some(&key(1).verifier())).unwrap();
    assert!(!report.is_ok(), "tampering went unnoticed");
    let p = &report.problems[0];
    (p.place, p.message.clone())
}

#[test]
fn an_honest_ledger_verifies_from_the_trusted_key() {
    let d = filled("honest", 40, 7);
    let report = verify(&d, Some(&key(1).verifier())).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.entries, 41);
    assert_eq!(report.checkpoints, 6);
    assert_eq!(report.key_source, KeySource::Trusted);
    // Without a trusted key it still checks, but says where trust came from.
    assert_eq!(verify(&d, None).unwrap().key_source, KeySource::Genesis);
    // A key the auditor trusts that is not the ledger's is a finding.
    assert!(!verify(&d, Some(&key(9).verifier())).unwrap().is_ok());
}

#[test]
fn reopening_keeps_everything_and_refuses_a_foreign_key() {
    let d = filled("reopen", 10, 100);
    let (ledger, report) = Ledger::open(&d, key(1)).unwrap();
    assert_eq!((report.entries, report.truncated_entry_bytes), (11, 0));
    assert_eq!(ledger.size(), 11);
    assert_eq!(ledger.latest_checkpoint().unwrap().checkpoint.size, 11);
    drop(ledger);
    match Ledger::open(&d, key(2)) {
        Err(LedgerError::WrongKey { .. }) => {}
        other => panic!("expected WrongKey, got {other:?}"),
    }
}

#[test]
fn proofs_from_the_ledger_verify_against_signed_checkpoints() {
    let d = dir("proofs");
    let (ledger, _) = Ledger::open(&d, key(1)).unwrap();
    for i in 0..5 {
        ledger.append(decision(i)).unwrap();
    }
    let first = ledger.checkpoint().unwrap();
    for i in 5..23 {
        ledger.append(decision(i)).unwrap();
    }
    let second = ledger.checkpoint().unwrap();
    let verifier = key(1).verifier();
    let cp1 = Checkpoint::open(&first.note, &verifier, ORIGIN).unwrap();
    let cp2 = Checkpoint::open(&second.note, &verifier, ORIGIN).unwrap();
    for index in 0..cp2.size {
        let entry = ledger.entry(index).unwrap();
        let proof = ledger.inclusion_proof(index, cp2.size).unwrap();
        verify_inclusion(&leaf_hash(&entry), index, cp2.size, &proof, &cp2.root).unwrap();
    }
    let proof = ledger.consistency_proof(cp1.size, cp2.size).unwrap();
    verify_consistency(cp1.size, cp2.size, &cp1.root, &cp2.root, &proof).unwrap();
    assert!(ledger.inclusion_proof(3, 99).is_err());
}

#[test]
fn key_rotation_is_announced_by_the_old_key_and_verifies_across() {
    let d = dir("rotation");
    let (ledger, _) = Ledger::open(&d, key(1)).unwrap();
    ledger.append(decision(0)).unwrap();
    ledger.checkpoint().unwrap();
    ledger.rotate_key(key(2)).unwrap();
    ledger.append(decision(1)).unwrap();
    let cp = ledger.checkpoint().unwrap();
    assert!(Checkpoint::open(&cp.note, &key(2).verifier(), ORIGIN).is_ok());
    assert!(Checkpoint::open(&cp.note, &key(1).verifier(), ORIGIN).is_err());
    drop(ledger);
    let report = verify(&d, Some(&key(1).verifier())).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.keys.len(), 2);
    // After rotation the old key no longer opens the ledger for writing.
    assert!(matches!(
        Ledger::open(&d, key(1)),
        Err(LedgerError::WrongKey { .. })
    ));
    let (ledger, _) = Ledger::open(&d, key(2)).unwrap();
    ledger.append(decision(2)).unwrap();
    drop(ledger);

    // A rotation signed by someone else is caught.
    rewrite(&d.join(ENTRIES_FILE), |r| {
        let text = String::from_utf8(r[2].clone()).unwrap();
        assert!(text.contains("key_rotation"));
        let forged = text.replace(
            &key(2).verifier().to_string(),
            &key(3).verifier().to_string(),
        );
        r[2] = forged.into_bytes();
    });
    let report = verify(&d, Some(&key(1).verifier())).unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.message.contains("not signed by the previous key")),
        "{:?}",
        report.problems
    );
}

#[test]
fn concurrent_appends_all_land_once() {
    let d = dir("concurrent");
    let (ledger, _) = Ledger::open(&d, key(1)).unwrap();
    let ledger = Arc::new(ledger);
    let receipts: Vec<u64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|t| {
                let l = Arc::clone(&ledger);
                s.spawn(move || {
                    (0..50)
                        .map(|i| l.append(decision(t * 100 + i)).unwrap().index)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut sorted = receipts.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (1..=800).collect::<Vec<u64>>());
    ledger.checkpoint().unwrap();
    assert!(verify(&d, Some(&key(1).verifier())).unwrap().is_ok());
}

#[test]
fn a_torn_tail_is_cut_off_and_reported_on_open() {
    let d = filled("torn", 5, 100);
    let path = d.join(ENTRIES_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    let good = bytes.len();
    bytes.extend_from_slice(&[200, 1, 0, 0, 1, 2, 3, 4, b'{', b'"']); // half an entry
    std::fs::write(&path, &bytes).unwrap();
    let report = verify(&d, None).unwrap();
    assert_eq!(
        report.problems[0].place,
        Place::Entry(6),
        "{:?}",
        report.problems
    );
    let (ledger, open) = Ledger::open(&d, key(1)).unwrap();
    assert_eq!((open.entries, open.truncated_entry_bytes), (6, 10));
    assert_eq!(std::fs::metadata(&path).unwrap().len(), good as u64);
    ledger.append(decision(99)).unwrap();
    ledger.checkpoint().unwrap();
    drop(ledger);
    assert!(verify(&d, Some(&key(1).verifier())).unwrap().is_ok());
}

#[test]
fn damage_in_the_middle_refuses_to_open() {
    let d = filled("midcorrupt", 5, 100);
    let path = d.join(ENTRIES_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[40] ^= 0x20; // inside entry 0, not fixing the checksum
    std::fs::write(&path, &bytes).unwrap();
    let err = Ledger::open(&d, key(1)).unwrap_err().to_string();
    assert!(
        err.contains("corrupt") && err.contains("waarborg audit verify"),
        "{err}"
    );
    assert_eq!(first_problem(&d).0, Place::Entry(0));
}

#[test]
fn invalid_events_are_refused_and_nothing_is_written() {
    let d = dir("invalid");
    let (ledger, _) = Ledger::open(&d, key(1)).unwrap();
    let bad = Event::Refusal(Refusal {
        user: "spaces are not allowed".into(),
        role: "examiner".into(),
        attempted: "search".into(),
        reason: "no case authorisation".into(),
        deployment_revision: None,
        case_authorisation: None,
        count: None,
    });
    assert!(matches!(ledger.append(bad), Err(LedgerError::Invalid(_))));
    let genesis = Event::Genesis {
        origin: ORIGIN.into(),
        key: key(5).verifier().to_string(),
    };
    assert!(
        ledger.append(genesis).is_err(),
        "only the ledger writes key entries"
    );
    assert_eq!(ledger.size(), 1);
}

// --- Mutation tests: every edit is caught and the first bad place is named. ---

#[test]
fn a_changed_entry_is_named() {
    let d = filled("changed", 20, 5);
    rewrite(&d.join(ENTRIES_FILE), |r| {
        r[7] = String::from_utf8(r[7].clone())
            .unwrap()
            .replace("member-6", "member-X")
            .into_bytes();
    });
    let (place, msg) = first_problem(&d);
    assert_eq!(place, Place::Entry(7), "{msg}");
}

#[test]
fn a_changed_last_entry_is_named_through_the_checkpoint() {
    let d = filled("changedlast", 9, 100);
    rewrite(&d.join(ENTRIES_FILE), |r| {
        let last = r.len() - 1;
        r[last] = String::from_utf8(r[last].clone())
            .unwrap()
            .replace("assess", "advise")
            .into_bytes();
    });
    let (place, msg) = first_problem(&d);
    assert_eq!(place, Place::Entry(9), "{msg}");
}

#[test]
fn a_deleted_entry_is_named() {
    let d = filled("deleted", 20, 5);
    rewrite(&d.join(ENTRIES_FILE), |r| {
        r.remove(11);
    });
    assert_eq!(first_problem(&d).0, Place::Entry(11));
}

#[test]
fn reordered_entries_are_named() {
    let d = filled("reordered", 20, 5);
    rewrite(&d.join(ENTRIES_FILE), |r| r.swap(4, 12));
    assert_eq!(first_problem(&d).0, Place::Entry(4));
}

#[test]
fn an_inserted_entry_is_named() {
    let d = filled("inserted", 20, 5);
    rewrite(&d.join(ENTRIES_FILE), |r| {
        let copy = r[3].clone();
        r.insert(6, copy);
    });
    let (place, msg) = first_problem(&d);
    assert_eq!(place, Place::Entry(3).max(place), "{msg}");
    assert!(place <= Place::Entry(6), "{place} {msg}");
}

#[test]
fn truncated_entries_are_named() {
    let d = filled("truncated", 20, 5);
    rewrite(&d.join(ENTRIES_FILE), |r| r.truncate(14));
    let (place, msg) = first_problem(&d);
    assert_eq!(place, Place::Entry(14), "{msg}");
    assert!(msg.contains("removed"), "{msg}");
}

#[test]
fn an_altered_checkpoint_is_named() {
    let d = filled("checkpoint", 20, 5);
    rewrite(&d.join(CHECKPOINTS_FILE), |r| {
        let text = String::from_utf8(r[2].clone()).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines[1] = "14".into(); // claim another size without re-signing
        r[2] = format!("{}\n", lines.join("\n")).into_bytes();
    });
    let report = verify(&d, Some(&key(1).verifier())).unwrap();
    assert_eq!(
        report.problems[0].place,
        Place::Checkpoint(2),
        "{:?}",
        report.problems
    );
    assert_eq!(
        report.first_bad_entry(),
        None,
        "the entries themselves are fine"
    );
}

#[test]
fn a_rewritten_history_with_a_recomputed_chain_is_still_caught() {
    // The strongest forger without the key: edits entry 12 and rebuilds every later
    // entry's chain field and checksum. Only the signed checkpoints stand in the way.
    let d = filled("rechained", 20, 5);
    rewrite(&d.join(ENTRIES_FILE), |records| {
        let mut tree = waarborg_ledger::merkle::Tree::new();
        for (i, r) in records.iter_mut().enumerate() {
            if i >= 12 {
                let mut entry = waarborg_ledger::Entry::from_bytes(r).unwrap();
                if i == 12 {
                    entry.event = decision(999);
                }
                use base64::Engine;
                entry.prev_root =
                    base64::engine::general_purpose::STANDARD.encode(tree.root(i as u64).unwrap());
                *r = entry.to_bytes();
            }
            tree.push(leaf_hash(r));
        }
    });
    let report = verify(&d, Some(&key(1).verifier())).unwrap();
    assert!(!report.is_ok());
    // Every entry check passes; the first checkpoint over entry 12 (size 16) catches it,
    // naming its last entry and the range the forgery must lie in.
    let first = &report.problems[0];
    assert_eq!(first.place, Place::Entry(15), "{:?}", report.problems);
    assert!(first.message.contains("11..16"), "{}", first.message);
}

#[test]
fn scheduled_checkpoints_cover_new_entries_and_are_all_kept() {
    let d = dir("schedule");
    let (ledger, _) = Ledger::open(&d, key(1)).unwrap();
    let ledger = Arc::new(ledger);
    let schedule = ledger.checkpoint_every(std::time::Duration::from_millis(20));
    for i in 0..3 {
        ledger.append(decision(i)).unwrap();
        let wanted = ledger.size();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while ledger.latest_checkpoint().map(|c| c.checkpoint.size) != Some(wanted) {
            assert!(
                std::time::Instant::now() < deadline,
                "no scheduled checkpoint of size {wanted}"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
    let before_idle = verify(&d, None).unwrap().checkpoints;
    std::thread::sleep(std::time::Duration::from_millis(150));
    drop(schedule);
    let report = verify(&d, Some(&key(1).verifier())).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    // Sizes 2, 3 and 4 each got one (size 1 may too); an idle schedule signs nothing new.
    assert!(
        (3..=4).contains(&report.checkpoints),
        "{}",
        report.checkpoints
    );
    assert_eq!(report.checkpoints, before_idle);
}

#[test]
fn a_batch_is_appended_in_order_or_not_at_all_when_invalid() {
    let d = dir("batch");
    let (ledger, _) = Ledger::open(&d, key(1)).unwrap();
    let batch: Vec<Event> = (0..5).map(decision).collect();
    let receipts = ledger.append_all(&batch).unwrap();
    assert_eq!(
        receipts.iter().map(|r| r.index).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    assert!(ledger.append_all(&[]).unwrap().is_empty());
    // One invalid event refuses the whole batch before anything is written.
    let mut bad = decision(9);
    if let Event::GovernanceDecision(g) = &mut bad {
        g.actor = "not an id".into();
    }
    assert!(ledger.append_all(&[decision(6), bad]).is_err());
    assert!(ledger
        .append_all(&[Event::Genesis {
            origin: ORIGIN.into(),
            key: key(2).verifier().to_string(),
        }])
        .is_err());
    assert_eq!(ledger.size(), 6);
    ledger.checkpoint().unwrap();
    drop(ledger);
    let report = verify(&d, Some(&key(1).verifier())).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert_eq!(report.entries, 6);
}

/// A verification carried forward in steps while the ledger grows ends where a full one
/// does: the same entries, root, checkpoints and latest verified checkpoint — and each step
/// reads only what was appended.
#[test]
fn an_incremental_verification_agrees_with_a_full_one_at_every_step() {
    let d = dir("incremental");
    let (ledger, _) = Ledger::open(&d, key(1)).unwrap();
    let mut v = Verifier::new(Some(&key(1).verifier()));
    for step in 0..5 {
        for i in 0..7 {
            ledger.append(decision(step * 10 + i)).unwrap();
        }
        if step % 2 == 0 {
            ledger.checkpoint().unwrap();
        }
        let live = v.advance(&d, Some(ledger.size())).unwrap();
        let full = verify(&d, Some(&key(1).verifier())).unwrap();
        assert!(
            live.is_ok() && full.is_ok(),
            "{:?} {:?}",
            live.problems,
            full.problems
        );
        assert_eq!(
            (live.entries, live.root, live.checkpoints, live.key_source),
            (full.entries, full.root, full.checkpoints, full.key_source)
        );
        assert_eq!(
            live.latest_verified_checkpoint.map(|c| c.size),
            full.latest_verified_checkpoint.map(|c| c.size)
        );
        assert_eq!(v.size(), ledger.size());
    }
}

/// While the writer is at work, a half-written record after the durable entries is not a
/// problem; it is read once whole. At rest it is.
#[test]
fn a_record_being_written_is_no_problem_while_the_ledger_is_live() {
    let d = filled("incremental-live", 5, 100);
    let mut v = Verifier::new(None);
    let size = v.advance(&d, None).unwrap().entries;
    let entries = d.join(ENTRIES_FILE);
    let whole = std::fs::read(&entries).unwrap();
    let (ledger, _) = Ledger::open(&d, key(1)).unwrap();
    ledger.append(decision(99)).unwrap();
    let grown = std::fs::read(&entries).unwrap();
    drop(ledger);
    std::fs::write(&entries, &grown[..whole.len() + 5]).unwrap();
    let live = v.advance(&d, Some(size + 1)).unwrap();
    assert!(live.is_ok(), "{:?}", live.problems);
    assert_eq!(live.entries, size);
    std::fs::write(&entries, &grown).unwrap();
    let live = v.advance(&d, Some(size + 1)).unwrap();
    assert!(live.is_ok(), "{:?}", live.problems);
    assert_eq!(live.entries, size + 1);
}

/// What an incremental verification catches between two steps: a changed new entry, a
/// rewritten last verified entry, a cut log. Once failed, it stays failed.
#[test]
fn an_incremental_verification_catches_tampering_with_what_came_since() {
    // A new entry changed before it was read.
    let d = filled("incremental-new", 6, 100);
    let mut v = Verifier::new(Some(&key(1).verifier()));
    assert!(v.advance(&d, None).unwrap().is_ok());
    let (ledger, _) = Ledger::open(&d, key(1)).unwrap();
    for i in 0..4 {
        ledger.append(decision(100 + i)).unwrap();
    }
    ledger.checkpoint().unwrap();
    drop(ledger);
    rewrite(&d.join(ENTRIES_FILE), |r| {
        let last = r.len() - 2;
        let text = String::from_utf8(r[last].clone()).unwrap();
        r[last] = text.replace("member-102", "member-666").into_bytes();
    });
    let report = v.advance(&d, None).unwrap();
    assert!(!report.is_ok());
    assert!(!v.advance(&d, None).unwrap().is_ok(), "a failure stays");

    // The last verified entry rewritten afterwards.
    let d = filled("incremental-last", 6, 100);
    let mut v = Verifier::new(None);
    let size = v.advance(&d, None).unwrap().entries;
    rewrite(&d.join(ENTRIES_FILE), |r| {
        let last = r.len() - 1;
        let text = String::from_utf8(r[last].clone()).unwrap();
        r[last] = text.replace("member-5", "member-9").into_bytes();
    });
    let report = v.advance(&d, None).unwrap();
    assert_eq!(report.problems[0].place, Place::Entry(size - 1));

    // The log cut below what was verified.
    let d = filled("incremental-cut", 6, 100);
    let mut v = Verifier::new(None);
    let size = v.advance(&d, None).unwrap().entries;
    rewrite(&d.join(ENTRIES_FILE), |r| r.truncate(3));
    let report = v.advance(&d, None).unwrap();
    assert!(!report.is_ok());
    assert!(
        report.problems.iter().any(
            |p| p.message.contains("changed (or was removed)") || p.place == Place::Entry(size)
        ),
        "{:?}",
        report.problems
    );
}

/// Issue 22 item 2: damage under a signed checkpoint is never taken for a torn tail. A
/// flipped bit in a record's length field (which makes the rest look like one unfinished
/// record) and a file cut short both refuse to open, name the record and byte, and leave
/// the file as it was — nothing cut, no smaller tree signed.
#[test]
fn damage_under_a_signed_checkpoint_is_refused_never_cut() {
    for (name, damage) in [("length-bit", 0usize), ("cut", 1)] {
        let d = filled(&format!("floor-{name}"), 8, 100); // a checkpoint over all 9 entries
        let path = d.join(ENTRIES_FILE);
        let mut bytes = std::fs::read(&path).unwrap();
        // The offset of record 4: walk the frames.
        let mut at = 0usize;
        for _ in 0..4 {
            let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
            at += 8 + len;
        }
        if damage == 0 {
            bytes[at + 3] ^= 0x40; // the length's high byte: far beyond the end of the file
        } else {
            bytes.truncate(at + 20);
        }
        std::fs::write(&path, &bytes).unwrap();
        let err = Ledger::open(&d, key(1)).unwrap_err().to_string();
        assert!(
            err.contains("signed over 9 entries")
                && err.contains(&format!("record 4 at byte {at}"))
                && err.contains("Nothing was cut"),
            "{name}: {err}"
        );
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "{name}: the file is untouched"
        );
    }
}

/// The last record of `path` with its `"time"` replaced by `time` (CRCs fixed).
fn retime_last(path: &Path, time: &str) {
    rewrite(path, |records| {
        let last = records.last_mut().unwrap();
        let text = String::from_utf8(last.clone()).unwrap();
        let at = text.find("\"time\":\"").unwrap() + 8;
        let end = at + text[at..].find('"').unwrap();
        *last = format!("{}{time}{}", &text[..at], &text[end..]).into_bytes();
    });
}

/// Issue 22 item 4: time only moves forward. The verifier names an entry timed before
/// the one before it; the ledger refuses to open (or to write) when the clock is more than
/// the tolerance behind its last entry; new entries never go back in time.
#[test]
fn time_only_moves_forward() {
    let d = dir("time-back");
    let (ledger, _) = Ledger::open(&d, key(1)).unwrap();
    for i in 0..3 {
        ledger.append(decision(i)).unwrap();
    }
    drop(ledger);
    let path = d.join(ENTRIES_FILE);
    retime_last(&path, "2001-01-01T00:00:00.000Z");
    let report = verify(&d, None).unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.place == Place::Entry(3) && p.message.contains("the clock went back")),
        "{:?}",
        report.problems
    );

    let d = dir("time-ahead");
    let (ledger, _) = Ledger::open(&d, key(1)).unwrap();
    ledger.append(decision(0)).unwrap();
    drop(ledger);
    retime_last(&d.join(ENTRIES_FILE), "2999-01-01T00:00:00.000Z");
    let err = Ledger::open(&d, key(1)).unwrap_err().to_string();
    assert!(err.contains("behind the ledger's last entry"), "{err}");

    // A live ledger's entries: each at or after the one before.
    let d = dir("time-order");
    let (ledger, _) = Ledger::open(&d, key(1)).unwrap();
    let times: Vec<String> = (0..50)
        .map(|i| ledger.append(decision(i)).unwrap().time)
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
}

/// One writer: while a ledger is open, a second open of its directory is refused (a second
/// service, or a command-line write while the service runs); once closed, it opens.
#[test]
fn a_second_writer_is_refused_while_the_ledger_is_open() {
    let d = dir("one-writer");
    let (ledger, _) = Ledger::open(&d, key(1)).unwrap();
    let err = Ledger::open(&d, key(1))
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(err.contains("open in another process"), "{err}");
    drop(ledger);
    assert!(Ledger::open(&d, key(1)).is_ok());
}
