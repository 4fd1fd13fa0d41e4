//! `waarborg report figures` and `report verify` on a real data directory: the figures come
//! from the ledger, a supervisor's recomputation matches, a changed figure is named.

use std::process::Command;

fn waarborg() -> Command {
    Command::new(env!("CARGO_BIN_EXE_waarborg"))
}

#[test]
fn a_report_is_made_from_the_ledger_and_a_changed_figure_is_caught() {
    let root = std::env::temp_dir().join(format!("wb-report-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let data = root.join("data");
    let run = |args: &[&str]| {
        let out = waarborg()
            .args(args)
            .arg("--data")
            .arg(&data)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };
    let (code, text) = run(&["refdb", "synth", "--persons", "500", "--per-person", "2"]);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = run(&["retention", "apply", "--json"]);
    assert_eq!(code, Some(0), "{text}");
    let erased: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    let erased = erased["erased"].as_u64().unwrap();
    assert!(erased > 0, "{text}");

    let file = root.join("report.json");
    let year: i32 = waarborg_ledger_year();
    let (from, to) = (format!("{year}-01-01"), format!("{}-01-01", year + 1));
    let (code, text) = run(&[
        "report",
        "figures",
        "--from",
        &from,
        "--to",
        &to,
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{text}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let receipts: u64 = report["overall"]["erasures"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(
        receipts, erased,
        "one deletion receipt per erased image, counted from the ledger"
    );
    assert_eq!(
        report["reference_databases"]["not recorded"].as_u64(),
        Some(1000 - erased),
        "the database's size at the period's end: synthesised minus erased"
    );
    let (code, text) = run(&["report", "verify", file.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("every figure matches"), "{text}");

    let mut forged = report.clone();
    let rules = forged["overall"]["erasures"].as_object_mut().unwrap();
    let first = rules.values_mut().next().unwrap();
    *first = serde_json::json!(first.as_u64().unwrap() - 1);
    std::fs::write(&file, forged.to_string()).unwrap();
    let (code, text) = run(&["report", "verify", file.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("MISMATCH overall.erasures."), "{text}");

    let (code, text) = run(&["report", "figures", "--from", &to, "--to", &from]);
    assert_ne!(code, Some(0));
    assert!(text.contains("the second after the first"), "{text}");

    // The organisation's details: written by the privacy officer, refused to an examiner,
    // read back; texts of a deployment that does not exist are refused.
    let org = root.join("org.json");
    std::fs::write(
        &org,
        r#"{"deployer": {"name": "Politie", "address": "Postbus 1", "contact": "privacy@politie.example"}}"#,
    )
    .unwrap();
    let (code, text) = run(&[
        "report",
        "organisation",
        "--file",
        org.to_str().unwrap(),
        "--as",
        "ex-1:examiner:unit",
    ]);
    assert_ne!(code, Some(0), "{text}");
    assert!(
        text.contains("only the privacy officer or an administrator"),
        "{text}"
    );
    let (code, text) = run(&[
        "report",
        "organisation",
        "--file",
        org.to_str().unwrap(),
        "--as",
        "po-1:privacy_officer:unit",
    ]);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = run(&["report", "organisation"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("Postbus 1"), "{text}");
    let (code, text) = run(&["report", "publication", "nowhere"]);
    assert_ne!(code, Some(0));
    assert!(text.contains("no deployment nowhere"), "{text}");
    std::fs::remove_dir_all(&root).ok();
}

/// This year, from the clock (the ledger dates its entries by it).
fn waarborg_ledger_year() -> i32 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    // Days since 1970 → civil year (good to the day for the test's purpose: a whole year).
    let days = secs.div_euclid(86_400);
    let mut year = 1970;
    let mut left = days;
    loop {
        let len = if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 {
            366
        } else {
            365
        };
        if left < len {
            return year;
        }
        left -= len;
        year += 1;
    }
}
