//! Bad input over HTTP: expired sessions, path traversal in ids and uploads, concurrent
//! decisions on the same proposal — clear errors, nothing lost, nothing half-written.

mod common;

use common::call;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use tower::ServiceExt;
use waarborg_govern::framework::Framework;
use waarborg_govern::revision::Deployment;
use waarborg_govern::{Role, Timestamp};
use waarborg_ledger::{Ledger, NoteSigner};
use waarborg_server::{app, AppState};
use waarborg_store::AccountStore;
use waarborg_store::{Account, SqliteStore, Store};

static NOW: AtomicI64 = AtomicI64::new(1_800_000_000);

fn clock() -> i64 {
    NOW.load(Ordering::SeqCst)
}

const PASSWORD: &str = "correct horse battery staple";

fn state() -> Arc<AppState> {
    let dir = std::env::temp_dir().join(format!("waarborg-server-bad-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = SqliteStore::open(&dir.join("waarborg.sqlite")).unwrap();
    let f = Framework::default_template();
    store.import_framework(&f).unwrap();
    let content = waarborg_govern::demo::catch_like_content(
        vec!["ab".repeat(32)],
        Timestamp(clock() - 86_400),
    );
    let mut d = Deployment::new("catch-demo", "demo", content).unwrap();
    waarborg_govern::demo::approve_through_chain(&mut d, 1, &f, Timestamp(clock() - 3600)).unwrap();
    store.create_deployment(&d).unwrap();
    for (user, role) in [
        ("chief-1", Role::ChiefOfPolice),
        ("chief-2", Role::ChiefOfPolice),
        ("auditor-1", Role::Auditor),
    ] {
        let a = Account::new(user, vec![role], "x");
        store
            .create_account(&a, &waarborg_app::account::hash_password(PASSWORD).unwrap())
            .unwrap();
    }
    let (ledger, _) = Ledger::open(
        &dir.join("ledger"),
        NoteSigner::generate("waarborg.test/ledger").unwrap(),
    )
    .unwrap();
    Arc::new(AppState {
        app: Arc::new(waarborg_server::App {
            store,
            ledger,
            clock: Arc::new(clock),
            engine: None,
            index: None,
            probes: waarborg_refdb::vault::Vault::open(
                &dir.join("probes"),
                waarborg_seal::Keyring::new(waarborg_seal::Key::generate().unwrap(), Vec::new()),
            )
            .unwrap(),
            references: None,
            caches: Default::default(),
            reserve: waarborg_app::space::Reserve::unchecked(),
            read_flags: Default::default(),
            model_licences: Vec::new(),
            model_evaluations: Vec::new(),
        }),
        secure_cookies: true,
    })
}

async fn login(app: &axum::Router, user: &str, role: &str) -> (String, String) {
    let req = Request::builder()
        .method("POST")
        .uri("/api/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(format!(
            r#"{{"user":"{user}","password":"{PASSWORD}","role":"{role}"}}"#
        )))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let cookie = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.contains("; Secure"), "Secure behind TLS: {cookie}");
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    (
        cookie.split(';').next().unwrap().to_string(),
        v["csrf"].as_str().unwrap().to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_sessions_traversal_and_concurrent_decisions() {
    let state = state();
    let app = app(state.clone());
    let auditor = login(&app, "auditor-1", "auditor").await;
    assert_eq!(
        call(&app, "GET", "/api/me", Some(&auditor), "").await.0,
        StatusCode::OK
    );

    // Path traversal in ids: ids are keys, never file names.
    for path in [
        "/api/searches/..%2F..%2Fetc%2Fpasswd",
        "/ui/searches/..%2F..%2Fetc%2Fpasswd/probe",
        "/api/deployments/..%2Fcatch-demo",
    ] {
        let (status, body) = call(&app, "GET", path, Some(&auditor), "").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    let (status, _) = call(
        &app,
        "GET",
        "/api/ledger/entries/..%2F1",
        Some(&auditor),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Two chiefs suspending the same deployment at once: one decision, one clear refusal.
    let c1 = login(&app, "chief-1", "chief_of_police").await;
    let c2 = login(&app, "chief-2", "chief_of_police").await;
    let body = r#"{"command":{"action":"suspend"},"reason":"concurrent test","version":1}"#;
    let (a, b) = tokio::join!(
        call(
            &app,
            "POST",
            "/api/deployments/catch-demo/decisions",
            Some(&c1),
            body
        ),
        call(
            &app,
            "POST",
            "/api/deployments/catch-demo/decisions",
            Some(&c2),
            body
        )
    );
    let statuses = [a.0, b.0];
    assert!(statuses.contains(&StatusCode::OK), "{a:?} {b:?}");
    assert!(
        statuses.contains(&StatusCode::CONFLICT)
            || statuses.contains(&StatusCode::UNPROCESSABLE_ENTITY),
        "{a:?} {b:?}"
    );
    let (d, version) = state.store.deployment("catch-demo").unwrap().unwrap();
    assert_eq!(version, 2, "exactly one save");
    assert_eq!(
        d.revisions[0]
            .history
            .iter()
            .filter(|h| h.action == "suspend")
            .count(),
        1
    );
    // A decision based on an old version is refused, not silently applied.
    let (status, text) = call(
        &app,
        "POST",
        "/api/deployments/catch-demo/decisions",
        Some(&c1),
        r#"{"command":{"action":"end"},"reason":"stale","version":1}"#,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{text}");

    // Eight hours later the session has expired.
    NOW.fetch_add(8 * 3600 + 1, Ordering::SeqCst);
    let (status, body) = call(&app, "GET", "/api/me", Some(&auditor), "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body.contains("log in first"));
}
