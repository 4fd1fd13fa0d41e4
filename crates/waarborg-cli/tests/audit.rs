//! `waarborg audit …` as auditors and operators use it: exit statuses, proofs that an
//! independent verifier (tools/auditor/waarborg_verify.py, Python standard library only)
//! accepts, key files, rotation, and an operation refused when the ledger cannot be written.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use waarborg_ledger::{keys, Event, GovernanceDecision, Ledger, NoteSigner};

const ORIGIN: &str = "waarborg.local/audit-ledger";

fn waarborg() -> Command {
    Command::new(env!("CARGO_BIN_EXE_waarborg"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("waarborg-audit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(cmd: &mut Command) -> (Output, String) {
    // The tests choose their keys explicitly; an operator's environment must not leak in.
    let out = cmd.env_remove(keys::KEY_ENV).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    (out, stdout)
}

fn audit(data: &Path, args: &[&str]) -> (Output, String) {
    run(waarborg().arg("audit").args(args).arg("--data").arg(data))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn decision(n: u64) -> Event {
    Event::GovernanceDecision(GovernanceDecision {
        actor: format!("chief-{}", n % 3),
        role: "chief_of_police".into(),
        action: "ratify".into(),
        subject: format!("deployment-{n}"),
        reason: "advice of the review committee followed".into(),
        framework_version: Some("inzetkader-template-1".into()),
        about: None,
    })
}

/// The independent verifier's verdict on `path`.
fn python_verify(what: &str, key: &str, path: &Path) -> (bool, String) {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/auditor/waarborg_verify.py");
    let out = Command::new("python3")
        .arg(script)
        .args([what, "--key", key])
        .arg(path)
        .output()
        .expect("python3 is needed (the project's setup installs models with it)");
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &stderr(&out);
    (out.status.success(), text)
}

/// A ledger of 41 entries, a key rotation at entry 25, checkpoints along the way.
fn populated(data: &Path) -> (NoteSigner, NoteSigner) {
    let first = NoteSigner::generate(ORIGIN).unwrap();
    let second = NoteSigner::generate(ORIGIN).unwrap();
    let (ledger, _) = Ledger::open(&data.join("ledger"), first.clone()).unwrap();
    for n in 1..25 {
        ledger.append(decision(n)).unwrap();
        if n % 7 == 0 {
            ledger.checkpoint().unwrap();
        }
    }
    ledger.rotate_key(second.clone()).unwrap();
    for n in 26..41 {
        ledger.append(decision(n)).unwrap();
        if n % 6 == 0 {
            ledger.checkpoint().unwrap();
        }
    }
    ledger.checkpoint().unwrap();
    assert_eq!(ledger.size(), 41);
    (first, second)
}

#[test]
fn proofs_printed_by_the_cli_verify_with_an_independent_implementation() {
    let data = scratch("proofs");
    let (first, second) = populated(&data);
    let first_key = first.verifier().to_string();
    let second_key = second.verifier().to_string();

    let (out, text) = audit(&data, &["verify", "--public-key", &first_key]);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    assert!(text.contains("entries:     41"), "{text}");
    assert!(
        text.contains(&format!("key from entry 25: {second_key}")),
        "{text}"
    );
    let (ok, said) = python_verify("ledger", &first_key, &data.join("ledger"));
    assert!(ok, "{said}");
    assert!(said.contains("41 entries re-derived"), "{said}");

    // The latest checkpoint is signed by the key announced at entry 25.
    let (out, note) = audit(&data, &["checkpoint"]);
    assert!(out.status.success());
    assert!(note.starts_with(&format!("{ORIGIN}\n41\n")), "{note}");
    let file = data.join("checkpoint.txt");
    std::fs::write(&file, &note).unwrap();
    assert!(python_verify("checkpoint", &second_key, &file).0);
    assert!(
        !python_verify("checkpoint", &first_key, &file).0,
        "the retired key must not verify it"
    );

    for index in [0, 1, 2, 24, 25, 26, 39, 40] {
        let (out, json) = audit(&data, &["prove", "--index", &index.to_string(), "--json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let file = data.join(format!("inclusion-{index}.json"));
        std::fs::write(&file, &json).unwrap();
        let (ok, said) = python_verify("inclusion", &second_key, &file);
        assert!(ok, "entry {index}: {said}");
        // A proof for an altered entry must fail.
        let altered = json.replacen("deployment-", "deployment-9", 1);
        if altered != json {
            std::fs::write(&file, altered).unwrap();
            assert!(
                !python_verify("inclusion", &second_key, &file).0,
                "altered entry {index} accepted"
            );
        }
    }
    for from in [1, 7, 8, 21, 25, 26, 40, 41] {
        let (out, json) = audit(
            &data,
            &["consistency", "--from", &from.to_string(), "--json"],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let file = data.join(format!("consistency-{from}.json"));
        std::fs::write(&file, &json).unwrap();
        let (ok, said) = python_verify("consistency", &second_key, &file);
        assert!(ok, "from {from}: {said}");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        if v["consistency_proof"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
        {
            let forged = json.replacen(
                v["from_root"].as_str().unwrap(),
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                1,
            );
            std::fs::write(&file, forged).unwrap();
            assert!(
                !python_verify("consistency", &second_key, &file).0,
                "forged root from {from} accepted"
            );
        }
    }

    // Out of range: a clear error and a failing status, no proof.
    let (out, text) = audit(&data, &["prove", "--index", "41"]);
    assert!(!out.status.success() && text.is_empty());
    assert!(
        stderr(&out).contains("not covered by the latest checkpoint"),
        "{}",
        stderr(&out)
    );
    let (out, _) = audit(&data, &["consistency", "--from", "42"]);
    assert!(!out.status.success());
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn verify_names_the_first_bad_entry_and_refuses_an_untrusted_key() {
    let data = scratch("tamper");
    let (first, _) = populated(&data);
    let other = NoteSigner::generate(ORIGIN).unwrap().verifier().to_string();
    let (out, text) = audit(&data, &["verify", "--public-key", &other]);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("FAILED"), "{text}");
    assert!(!python_verify("ledger", &other, &data.join("ledger")).0);

    // Change one character of entry 12's reason, keeping the frame's CRC valid, so only
    // the hash chain and the checkpoints can tell.
    let file = data.join("ledger").join(waarborg_ledger::ENTRIES_FILE);
    let mut bytes = std::fs::read(&file).unwrap();
    let mut pos = 0;
    for _ in 0..12 {
        let len = u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        pos += 8 + len;
    }
    let len = u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
    let payload = pos + 8..pos + 8 + len;
    let text = String::from_utf8(bytes[payload.clone()].to_vec()).unwrap();
    let altered = text.replace("committee followed", "committee FOLLOWED");
    assert_eq!(altered.len(), text.len());
    bytes[payload.clone()].copy_from_slice(altered.as_bytes());
    let crc = crc32fast::hash(&bytes[payload]);
    bytes[pos + 4..pos + 8].copy_from_slice(&crc.to_le_bytes());
    std::fs::write(&file, bytes).unwrap();

    let (out, text) = audit(
        &data,
        &["verify", "--public-key", &first.verifier().to_string()],
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("FAILED: the first bad entry is entry 12"),
        "{text}"
    );
    let (ok, said) = python_verify(
        "ledger",
        &first.verifier().to_string(),
        &data.join("ledger"),
    );
    assert!(
        !ok && said.contains("entry 13"),
        "the next entry's prev_root exposes it: {said}"
    );
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn keys_are_created_private_loose_ones_refused_and_rotation_hands_over_signing() {
    let data = scratch("keys");
    let key = data.join("ledger-signing.key");
    let (out, public) = run(waarborg().args(["audit", "keygen", "--out"]).arg(&key));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(public.starts_with(&format!("{ORIGIN}+")), "{public}");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // Never overwrite a key.
    let (out, _) = run(waarborg().args(["audit", "keygen", "--out"]).arg(&key));
    assert!(!out.status.success());
    assert_eq!(
        keys::load_file(&key).unwrap().verifier().to_string(),
        public.trim()
    );

    // Start the ledger with that key (as the server and the demo do), then checkpoint.
    let (ledger, _) = Ledger::open(&data.join("ledger"), keys::load_file(&key).unwrap()).unwrap();
    ledger.append(decision(1)).unwrap();
    drop(ledger);
    let (out, note) = audit(&data, &["checkpoint", "--new"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(note.starts_with(&format!("{ORIGIN}\n2\n")), "{note}");

    // A key file others can read is refused, and says how to fix it.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (out, _) = audit(&data, &["checkpoint", "--new"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("0600") || stderr(&out).contains("chmod"),
        "{}",
        stderr(&out)
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();

    // Rotate to a new key; afterwards only the new key may sign.
    let new_key = data.join("new.key");
    let (out, new_public) = run(waarborg().args(["audit", "keygen", "--out"]).arg(&new_key));
    assert!(out.status.success());
    let (out, text) = run(waarborg()
        .args(["audit", "rotate-key", "--new-key"])
        .arg(&new_key)
        .arg("--data")
        .arg(&data));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(text.contains("entry 2 announces"), "{text}");
    let (out, _) = audit(&data, &["checkpoint", "--new"]);
    assert!(
        !out.status.success(),
        "the retired key must not sign any more"
    );
    assert!(
        stderr(&out).contains("not the ledger's current key"),
        "{}",
        stderr(&out)
    );
    let (out, note) = run(waarborg()
        .args(["audit", "checkpoint", "--new", "--key"])
        .arg(&new_key)
        .arg("--data")
        .arg(&data));
    assert!(out.status.success(), "{}", stderr(&out));
    let file = data.join("cp.txt");
    std::fs::write(&file, &note).unwrap();
    assert!(python_verify("checkpoint", new_public.trim(), &file).0);
    let (out, text) = audit(&data, &["verify", "--public-key", public.trim()]);
    assert!(out.status.success(), "{text}");
    assert!(python_verify("ledger", public.trim(), &data.join("ledger")).0);

    // No ledger at all: a clear error.
    let (out, _) = audit(&data.join("nowhere"), &["verify"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no ledger at"), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn an_operation_whose_ledger_entry_cannot_be_written_shows_no_result() {
    let data = scratch("unwritable");
    // A first demo run creates the key and a ledger with entries.
    let (out, text) = run(waarborg().args(["demo", "--no-serve", "--data"]).arg(&data));
    assert!(out.status.success(), "{text}{}", stderr(&out));
    let entries = data.join("ledger").join(waarborg_ledger::ENTRIES_FILE);
    let before = std::fs::read(&entries).unwrap();
    let size_before = before.len() as u64;

    // Run it again with a file-size limit just above the ledger's size: appending the
    // analyses' entries fails (EFBIG; SIGXFSZ ignored so the write returns an error).
    let limit_kib = size_before.div_ceil(1024);
    let (out, text) = run(Command::new("bash")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {limit_kib}; exec \"$0\" demo --no-serve --data \"$1\""
        ))
        .arg(env!("CARGO_BIN_EXE_waarborg"))
        .arg(&data));
    assert!(
        !out.status.success(),
        "the demo must fail when its analyses cannot be logged:\n{text}"
    );
    assert!(
        !text.contains("face(s)") && !text.contains("box ["),
        "results shown without their log entry:\n{text}"
    );
    assert!(stderr(&out).contains("ledger"), "{}", stderr(&out));

    // Nothing acknowledged was lost: the ledger reopens, verifies, and starts with the
    // earlier entries unchanged.
    let (out, text) = audit(&data, &["verify"]);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    let after = std::fs::read(&entries).unwrap();
    assert_eq!(&after[..before.len()], &before[..]);
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn the_demo_organisation_is_set_up_once_and_its_ledger_verifies() {
    let data = scratch("demo-org");
    let mut key = String::new();
    for round in 0..2 {
        let (out, text) = run(waarborg().args(["demo", "--no-serve", "--data"]).arg(&data));
        if let Some(k) = (text.clone() + &stderr(&out))
            .split("(public key ")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
        {
            key = k.to_string();
        }
        assert!(
            out.status.success(),
            "round {round}: {text}{}",
            stderr(&out)
        );
        assert!(
            text.contains("case OM-DEMO-0001 went from probe to identification"),
            "{text}"
        );
        assert!(
            text.contains("examiner-1") && text.contains("auditor-1"),
            "{text}"
        );
        // Issue 23: the passwords stay in their owner-only file, never on standard output.
        let file = std::fs::read_to_string(data.join("demo-accounts.txt")).unwrap();
        for password in file
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_whitespace().nth(2))
        {
            assert!(!text.contains(password), "a password was printed");
        }
    }
    let mode = std::fs::metadata(data.join("demo-accounts.txt"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let (out, text) = audit(&data, &["verify"]);
    assert!(out.status.success(), "{text}");

    // Issue 18 item 6: the case report cites every entry of the worked case with its
    // inclusion proof, which the independent verifier accepts; a changed entry it refuses;
    // a requester may not make it (refused, exit 3).
    let report = data.join("case-report.json");
    let as_examiner = ["--as", "examiner-1:examiner:biometrics-centre", "--json"];
    let (out, text) = run(waarborg()
        .args(["case", "report", "OM-DEMO-0001"])
        .args(as_examiner)
        .arg(&report)
        .arg("--data")
        .arg(&data));
    assert!(out.status.success(), "{text}{}", stderr(&out));
    assert!(!key.is_empty(), "the demo printed its public key");
    let (ok, said) = python_verify("report", &key, &report);
    assert!(ok, "{said}");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let cited = doc["ledger"]["entries"].as_array().unwrap();
    let text_of = |op: &str| {
        cited
            .iter()
            .filter(|e| e["entry"].as_str().unwrap().contains(op))
            .count()
    };
    assert!(
        text_of("request_case_authorisation") == 1
            && text_of("\"operation\":\"verification\"") == 4,
        "{doc}"
    );
    assert!(doc["lead_not_proof"]
        .as_str()
        .unwrap()
        .contains("never proof"));
    assert!(
        doc["searches"][0]["search"]["candidates"].is_u64(),
        "the list's length, never its contents"
    );
    let mut forged = doc.clone();
    let first = forged["ledger"]["entries"][0]["entry"]
        .as_str()
        .unwrap()
        .replace("officer-1", "officer-9");
    forged["ledger"]["entries"][0]["entry"] = first.into();
    std::fs::write(&report, forged.to_string()).unwrap();
    let (ok, said) = python_verify("report", &key, &report);
    assert!(!ok && said.contains("is not in the tree"), "{said}");
    let (out, _) = run(waarborg()
        .args([
            "case",
            "report",
            "OM-DEMO-0001",
            "--as",
            "officer-1:requester:recherche",
            "--json",
        ])
        .arg(&report)
        .arg("--data")
        .arg(&data));
    assert_eq!(out.status.code(), Some(3), "a requester is refused");

    let log = std::fs::read(data.join("ledger").join(waarborg_ledger::ENTRIES_FILE)).unwrap();
    let log = String::from_utf8_lossy(&log);
    // Set up once: one worked case, one ratification.
    assert_eq!(log.matches("\"action\":\"ratify\"").count(), 1);
    // Two verifiers, each an own conclusion (blind) and a verdict.
    assert_eq!(log.matches("\"operation\":\"verification\"").count(), 4);
    // One enrolment entry per image of the demo's import set (accepted or rejected), once.
    let images = std::fs::read_to_string(data.join("demo-reference-set").join("manifest.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    assert!(images >= 4, "{images}");
    assert_eq!(log.matches("\"operation\":\"enrol\"").count(), images);

    // Issue 17: with the clock moved past the revision's periods outside the program
    // (libfaketime; the demo's revision keeps probes 365 days and results 3,650), a
    // retention run leaves no probe file and writes a receipt for each part.
    let files = |dir: &std::path::Path| -> usize {
        fn walk(d: &std::path::Path) -> usize {
            std::fs::read_dir(d).map_or(0, |r| {
                r.flatten()
                    .map(|e| {
                        if e.path().is_dir() {
                            walk(&e.path())
                        } else {
                            1
                        }
                    })
                    .sum()
            })
        }
        walk(dir)
    };
    assert!(files(&data.join("probes")) > 0);
    let receipts = |kind: &str| {
        let log = std::fs::read(data.join("ledger").join(waarborg_ledger::ENTRIES_FILE)).unwrap();
        String::from_utf8_lossy(&log)
            .matches(&format!("\"record_kind\":\"{kind}\""))
            .count()
    };
    for (shift, kind, said) in [
        ("+400d", "probe", "1 probes and 0 search results erased"),
        (
            "+3651d",
            "search_result",
            "0 probes and 1 search results erased",
        ),
    ] {
        let (out, text) = run(Command::new("faketime")
            .args(["-f", shift])
            .arg(env!("CARGO_BIN_EXE_waarborg"))
            .args(["retention", "apply", "--data"])
            .arg(&data));
        assert!(out.status.success(), "{shift}: {text}{}", stderr(&out));
        assert!(text.contains(said), "{shift}: {text}");
        assert_eq!(receipts(kind), 1, "{shift}");
    }
    assert_eq!(files(&data.join("probes")), 0, "no probe file is left");
    // Issue 17 item 3: "who consulted the demo's case" answers from the ledger: a read of
    // the case (as the operator) is found, and the question itself is logged.
    let shifted = |args: &[&str]| {
        run(Command::new("faketime")
            .args(["-f", "+3652d"])
            .arg(env!("CARGO_BIN_EXE_waarborg"))
            .args(args)
            .arg("--data")
            .arg(&data))
    };
    let (out, text) = shifted(&["case", "show", "OM-DEMO-0001"]);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    let (out, text) = shifted(&[
        "report",
        "consultations",
        "--subject",
        "case:OM-DEMO-0001",
        "--json",
    ]);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    let found: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    let reads = found["reads"].as_array().unwrap();
    assert!(
        reads
            .iter()
            .any(|r| r["user"] == "operator" && r["record_kind"] == "case"),
        "{text}"
    );
    let log = std::fs::read(data.join("ledger").join(waarborg_ledger::ENTRIES_FILE)).unwrap();
    assert!(String::from_utf8_lossy(&log).contains("\"record_kind\":\"consultations\""));
    let (out, text) = run(Command::new("faketime")
        .args(["-f", "+3652d"])
        .arg(env!("CARGO_BIN_EXE_waarborg"))
        .args(["audit", "verify", "--data"])
        .arg(&data));
    assert!(out.status.success(), "{text}");
    let _ = std::fs::remove_dir_all(&data);
}
