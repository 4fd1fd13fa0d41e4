//! `waarborg admin create` and `waarborg serve` over real HTTP on loopback.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};

use support::{http, request};

#[test]
fn the_first_administrator_logs_in_over_http() {
    let data = std::env::temp_dir().join(format!("waarborg-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let exe = env!("CARGO_BIN_EXE_waarborg");
    let password = support::create_admin(&data, "admin-1");
    assert_eq!(password.len(), 24);
    // A weak password from stdin is refused.
    let mut child = Command::new(exe)
        .args([
            "admin",
            "create",
            "--user",
            "weak",
            "--role",
            "auditor",
            "--unit",
            "x",
            "--password-stdin",
            "--data",
        ])
        .arg(&data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let weak = child.wait_with_output().unwrap();
    assert!(
        !weak.status.success()
            && String::from_utf8_lossy(&weak.stderr).contains("at least 12 characters")
    );

    let service = support::Service::start(&data, &[]);
    let addr = service.addr.clone();

    // The service signs a checkpoint at start and on its schedule.
    let checkpoints = data.join("ledger").join(waarborg_ledger::CHECKPOINTS_FILE);
    for _ in 0..100 {
        if std::fs::metadata(&checkpoints)
            .map(|m| m.len())
            .unwrap_or(0)
            > 0
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        std::fs::metadata(&checkpoints)
            .map(|m| m.len())
            .unwrap_or(0)
            > 0,
        "no checkpoint signed"
    );
    let health = http(&addr, &request("GET", "/api/health", &[], ""));
    assert!(
        health.starts_with("HTTP/1.1 200") && health.contains("\"ok\""),
        "{health}"
    );
    let (cookie, _) = service.login_admin("admin-1", &password);
    let me = http(
        &addr,
        &request("GET", "/api/me", &[("Cookie", &cookie)], ""),
    );
    assert!(me.contains("\"role\":\"administrator\""), "{me}");
    // An oversized body is refused before it is read whole.
    let huge = "x".repeat(21 * 1024 * 1024);
    let too_big = http(&addr, &request("POST", "/api/login", &[], &huge));
    assert!(
        too_big.starts_with("HTTP/1.1 413"),
        "{}",
        &too_big[..too_big.len().min(200)]
    );
    // A wrong content type is refused with a problem document.
    let wrong_type = http(
        &addr,
        &request("POST", "/api/login", &[], "user=a").replace("application/json", "text/plain"),
    );
    assert!(
        wrong_type.starts_with("HTTP/1.1 415") && wrong_type.contains("application/problem+json"),
        "{wrong_type}"
    );
    // The contract the service publishes passes a standard OpenAPI validator
    // (openapi-spec-validator, installed with pip by scripts/test.sh).
    let spec = http(&addr, &request("GET", "/api/openapi.json", &[], ""));
    let json = spec.split("\r\n\r\n").nth(1).unwrap_or_default();
    let file = data.join("openapi.json");
    std::fs::write(&file, json).unwrap();
    let checked = Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "the OpenAPI document does not validate (install the validator with `python3 -m pip install openapi-spec-validator==0.9.0`):\n{}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
    service.kill();
    let _ = std::fs::remove_dir_all(&data);
}
