//! `kill -9` during a bulk import and during a retention run: on restart, records, index
//! and image vault agree (reconciliation finds nothing left to repair), a rerun finishes the
//! job without duplicates or losses, and the ledger verifies.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn waarborg() -> Command {
    Command::new(env!("CARGO_BIN_EXE_waarborg"))
}

fn ok(cmd: &mut Command) -> String {
    let out: Output = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("wb-crash-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Runs `args` and kills it with SIGKILL after `after`; returns whether it had finished.
fn kill_after(args: &[&str], data: &Path, after: Duration) -> bool {
    let mut child = waarborg()
        .args(args)
        .arg("--data")
        .arg(data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let finished = child.try_wait().unwrap().is_some();
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
    finished
}

fn reconcile_finds_nothing(data: &Path) {
    // The first run repairs what the crash left; a second must find nothing.
    ok(waarborg().args(["refdb", "reconcile", "--data"]).arg(data));
    let text = ok(waarborg().args(["refdb", "reconcile", "--data"]).arg(data));
    assert!(
        text.contains("0 orphan templates and 0 orphan images removed; 0 erasures completed"),
        "{text}"
    );
}

fn count(data: &Path) -> usize {
    ok(waarborg()
        .args(["refdb", "list", "--limit", "100000000", "--data"])
        .arg(data))
    .lines()
    .count()
}

#[test]
fn kill_9_during_import_then_resume() {
    let root = tempdir("import");
    let set = root.join("set");
    ok(waarborg()
        .args(["refdb", "sample-set", "--variants", "6", "--threads", "2"])
        .arg(&set));
    let manifest = set.join("manifest.csv");
    let m = manifest.to_str().unwrap().to_string();
    let s = set.to_str().unwrap().to_string();
    let args = ["refdb", "import", &s, "--manifest", &m, "--threads", "2"];
    // The reference: one uninterrupted import.
    let clean = root.join("clean");
    ok(waarborg().args(args).arg("--data").arg(&clean));
    let expected = count(&clean);
    assert!(expected >= 12, "{expected}");
    // The same import, killed at different moments, then resumed.
    let data = root.join("killed");
    let mut finished = false;
    for round in 0..6u64 {
        finished = kill_after(&args, &data, Duration::from_millis(400 + 250 * round));
        assert!(
            round > 0 || !finished,
            "the first kill must interrupt the import"
        );
        if finished {
            break;
        }
        reconcile_finds_nothing(&data);
    }
    if !finished {
        ok(waarborg().args(args).arg("--data").arg(&data));
    }
    let text = ok(waarborg().args(args).arg("--data").arg(&data));
    assert!(text.contains("0 images analysed"), "{text}");
    assert_eq!(count(&data), expected, "no duplicates, no losses");
    reconcile_finds_nothing(&data);
    ok(waarborg().args(["audit", "verify", "--data"]).arg(&data));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn kill_9_during_retention_apply_then_finish() {
    let root = tempdir("retention");
    let data = root.join("data");
    ok(waarborg()
        .args([
            "refdb",
            "synth",
            "--persons",
            "60000",
            "--per-person",
            "2",
            "--data",
        ])
        .arg(&data));
    let at = ["--at", "2075-01-01T00:00:00Z"];
    let plan = ok(waarborg()
        .args(["retention", "plan", "--json", "--limit", "0"])
        .args(at)
        .arg("--data")
        .arg(&data));
    let due: serde_json::Value = serde_json::from_str(plan.trim()).unwrap();
    let due = due["due"].as_u64().unwrap() as usize;
    assert!(due > 10_000, "{plan}");
    let mut args = vec!["retention", "apply"];
    args.extend(at);
    for round in 0..3u64 {
        let finished = kill_after(&args, &data, Duration::from_millis(700 + 600 * round));
        assert!(
            round > 0 || !finished,
            "the first kill must interrupt the run"
        );
        if finished {
            break;
        }
        reconcile_finds_nothing(&data);
    }
    ok(waarborg().args(&args).arg("--data").arg(&data));
    let plan = ok(waarborg()
        .args(["retention", "plan", "--json", "--limit", "0"])
        .args(at)
        .arg("--data")
        .arg(&data));
    assert!(plan.contains("\"due\":0"), "{plan}");
    assert_eq!(count(&data), 120_000 - due);
    reconcile_finds_nothing(&data);
    let verify = ok(waarborg().args(["audit", "verify", "--data"]).arg(&data));
    // Every erasure left its receipt (a crash between a receipt and its commit can repeat
    // one, never lose one).
    let receipts = std::fs::read_dir(data.join("ledger"))
        .unwrap()
        .flatten()
        .map(|f| std::fs::read(f.path()).unwrap_or_default())
        .map(|b| {
            b.windows(b"deletion_receipt".len())
                .filter(|w| w == b"deletion_receipt")
                .count()
        })
        .sum::<usize>();
    assert!(
        receipts >= due,
        "{receipts} receipts for {due} erasures\n{verify}"
    );
    std::fs::remove_dir_all(&root).unwrap();
}

/// Data-key rotation through the CLI: before `rekey` the previous key is needed (take it
/// away and the encrypted index does not open); after it, the new key alone opens
/// everything and the previous key file is gone.
#[test]
fn data_key_rotation_reencrypts_templates_and_retires_the_old_key() {
    let root = tempdir("rotation");
    let data = root.join("data");
    ok(waarborg()
        .args([
            "refdb",
            "synth",
            "--persons",
            "300",
            "--per-person",
            "2",
            "--data",
        ])
        .arg(&data));
    let before = count(&data);
    let text = ok(waarborg().args(["refdb", "new-key", "--data"]).arg(&data));
    assert!(text.contains("new data key"), "{text}");
    let previous = data.join("vault.key.previous");
    let hidden = root.join("previous.key");
    std::fs::rename(&previous, &hidden).unwrap();
    let out = waarborg()
        .args(["refdb", "reconcile", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("which was not given"),
        "{err}"
    );
    std::fs::rename(&hidden, &previous).unwrap();
    let text = ok(waarborg().args(["refdb", "rekey", "--data"]).arg(&data));
    assert!(text.contains("the previous key is retired"), "{text}");
    assert!(!previous.exists());
    assert_eq!(count(&data), before);
    reconcile_finds_nothing(&data);
    std::fs::remove_dir_all(&root).ok();
}
