//! `waarborg framework`: the shipped template, import of new versions from TOML or JSON,
//! immutable versions, clear errors for malformed frameworks.

use std::path::Path;
use std::process::{Command, Output};

fn waarborg(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_waarborg"))
        .args(args)
        .arg("--data")
        .arg(data)
        .env_remove("WAARBORG_LEDGER_KEY")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[test]
fn new_versions_import_from_toml_or_json_and_old_ones_stay() {
    let data = std::env::temp_dir().join(format!("waarborg-framework-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let list = waarborg(&data, &["framework", "list"]);
    assert!(
        stdout(&list).contains("inzetkader-template@1") && stdout(&list).contains("[TEMPLATE]"),
        "{}",
        stdout(&list)
    );

    // TOML: the organisation's version 2.
    let toml = stdout(&waarborg(&data, &["framework", "show", "--toml"]));
    assert!(toml.contains("[[factors]]"), "{toml}");
    let v2 = toml.replacen("version = 1", "version = 2", 1).replacen(
        "template = true",
        "template = false",
        1,
    );
    std::fs::write(data.join("v2.toml"), &v2).unwrap();
    let out = waarborg(
        &data,
        &[
            "framework",
            "import",
            data.join("v2.toml").to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("imported inzetkader-template@2"));

    // JSON: version 3.
    let json = stdout(&waarborg(
        &data,
        &["framework", "show", "inzetkader-template@2"],
    ));
    std::fs::write(
        data.join("v3.json"),
        json.replacen("\"version\": 2", "\"version\": 3", 1),
    )
    .unwrap();
    assert!(waarborg(
        &data,
        &[
            "framework",
            "import",
            data.join("v3.json").to_str().unwrap()
        ]
    )
    .status
    .success());
    let list = stdout(&waarborg(&data, &["framework", "list"]));
    assert_eq!(list.lines().count(), 3, "{list}");

    // A version is immutable: another text under @2 is refused.
    std::fs::write(
        data.join("v2b.toml"),
        v2.replacen("Purpose and legal basis", "Purpose", 1),
    )
    .unwrap();
    let out = waarborg(
        &data,
        &[
            "framework",
            "import",
            data.join("v2b.toml").to_str().unwrap(),
        ],
    );
    assert!(
        !out.status.success() && stderr(&out).contains("different text"),
        "{}",
        stderr(&out)
    );
    // Version 1 is unchanged.
    assert_eq!(
        stdout(&waarborg(
            &data,
            &["framework", "show", "inzetkader-template@1", "--toml"]
        )),
        toml
    );

    // Malformed frameworks get the reason.
    std::fs::write(
        data.join("bad.json"),
        json.replacen("\"version\": 2", "\"version\": 0", 1),
    )
    .unwrap();
    let out = waarborg(
        &data,
        &[
            "framework",
            "import",
            data.join("bad.json").to_str().unwrap(),
        ],
    );
    assert!(
        !out.status.success() && stderr(&out).contains("versions start at 1"),
        "{}",
        stderr(&out)
    );
    std::fs::write(data.join("bad.toml"), "name = 3\n").unwrap();
    let out = waarborg(
        &data,
        &[
            "framework",
            "import",
            data.join("bad.toml").to_str().unwrap(),
        ],
    );
    assert!(
        !out.status.success() && stderr(&out).contains("bad.toml is not a framework"),
        "{}",
        stderr(&out)
    );
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn unknown_roles_and_malformed_actors_are_explained() {
    let data = std::env::temp_dir().join(format!("waarborg-actor-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let out = waarborg(
        &data,
        &["deployment", "submit", "x", "--as", "someone:boss:unit"],
    );
    assert!(
        stderr(&out).contains("unknown role \"boss\"") && stderr(&out).contains("chief_of_police"),
        "{}",
        stderr(&out)
    );
    let out = waarborg(&data, &["deployment", "submit", "x", "--as", "someone"]);
    assert!(stderr(&out).contains("USER:ROLE:UNIT"), "{}", stderr(&out));
    let out = waarborg(
        &data,
        &["deployment", "submit", "nope", "--as", "a:applicant:u"],
    );
    assert!(
        stderr(&out).contains("no deployment nope"),
        "{}",
        stderr(&out)
    );
    let _ = std::fs::remove_dir_all(&data);
}

/// `gate check` takes the service's path: a deployment or case the register does not hold
/// is a refusal with exit code 3, and in the ledger, never an error that leaves no trace.
#[test]
fn the_gate_refuses_and_logs_an_unknown_deployment_or_case() {
    let data = std::env::temp_dir().join(format!("waarborg-gate-unknown-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let check = |deployment: &str, case: &str| {
        waarborg(
            &data,
            &[
                "gate",
                "check",
                "--deployment",
                deployment,
                "--case",
                case,
                "--probe-source",
                "crime_scene_cctv",
                "--as",
                "examiner-1:examiner:biometrics-centre",
            ],
        )
    };
    let out = check("nowhere", "OM-1");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("REFUSED (unknown_deployment)"),
        "{}",
        stdout(&out)
    );
    let out = check("nowhere", "");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let entries = String::from_utf8_lossy(&std::fs::read(data.join("ledger/entries.log")).unwrap())
        .to_string();
    assert_eq!(
        entries.matches("\"kind\":\"refusal\"").count(),
        2,
        "{entries}"
    );
    assert!(entries.contains("unknown_deployment: no deployment nowhere in the register"));
    let _ = std::fs::remove_dir_all(&data);
}

/// Issue 23 item 7: the data directory is created private (0700), and one found open to
/// others is tightened; the database in it is 0600.
#[test]
fn the_data_directory_and_database_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let data = std::env::temp_dir().join(format!("waarborg-private-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert!(waarborg(&data, &["framework", "list"]).status.success());
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("waarborg.sqlite")), 0o600);
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(waarborg(&data, &["framework", "list"]).status.success());
    assert_eq!(mode(&data), 0o700);
    let _ = std::fs::remove_dir_all(&data);
}
