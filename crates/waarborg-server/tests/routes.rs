//! Every route × every role, through the real router: who is let through, who gets 403,
//! who gets 401. The expectations are written here, by hand, apart from the route table:
//! a route added without an entry below fails this test.

mod common;

use common::call;
use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use tower::ServiceExt;
use waarborg_govern::Role::{self, *};
use waarborg_ledger::{Ledger, NoteSigner};
use waarborg_server::routes::ROUTES;
use waarborg_server::{app, AppState};
use waarborg_store::{Account, AccountStore, SqliteStore};

const PASSWORD: &str = "correct horse battery staple";

fn clock() -> i64 {
    1_800_000_000
}

fn state(name: &str) -> Arc<AppState> {
    let dir = std::env::temp_dir().join(format!("waarborg-server-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = SqliteStore::open(&dir.join("waarborg.sqlite")).unwrap();
    let signer = NoteSigner::generate("waarborg.test/ledger").unwrap();
    let (ledger, _) = Ledger::open(&dir.join("ledger"), signer).unwrap();
    for role in Role::ALL {
        let account = Account {
            authority: (role == CompetentAuthority)
                .then_some(waarborg_govern::case::AuthorityKind::PublicProsecutor),
            ..Account::new(role.as_str(), vec![role], "unit")
        };
        store
            .create_account(
                &account,
                &waarborg_app::account::hash_password(PASSWORD).unwrap(),
            )
            .unwrap();
    }
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
        secure_cookies: false,
    })
}

async fn login(app: &axum::Router, role: Role) -> (String, String) {
    login_as(app, role.as_str(), role).await
}

async fn login_as(app: &axum::Router, user: &str, role: Role) -> (String, String) {
    let body = format!(
        r#"{{"user":"{user}","password":"{PASSWORD}","role":"{}"}}"#,
        role.as_str()
    );
    let req = Request::builder()
        .method("POST")
        .uri("/api/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "login as {}", role.as_str());
    let cookie = res
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let cookie = cookie.split(';').next().unwrap().to_string();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    (cookie, v["csrf"].as_str().unwrap().to_string())
}

/// Who may call each route: `None` = public, `Some(roles)`.
fn expectations() -> BTreeMap<(&'static str, &'static str), Option<Vec<Role>>> {
    let all = Role::ALL.to_vec();
    let governance = vec![
        Applicant,
        ReviewCommitteeMember,
        ChiefOfPolice,
        PortfolioHolder,
        CompetentAuthority,
        PrivacyOfficer,
    ];
    let oversight = vec![
        Auditor,
        PrivacyOfficer,
        ReviewCommitteeMember,
        ChiefOfPolice,
        Administrator,
    ];
    // Who reports incidents (`incident::REPORTERS`, written out here).
    let reporters = vec![
        Examiner,
        Verifier,
        Coordinator,
        PrivacyOfficer,
        ChiefOfPolice,
        Auditor,
        ReviewCommitteeMember,
        Applicant,
    ];
    // Who reads searches (`routes::SEARCH_READERS`, written out here).
    let search_readers = vec![Examiner, Verifier, Coordinator, Auditor, PrivacyOfficer];
    let case_readers = vec![
        Requester,
        CompetentAuthority,
        Examiner,
        Coordinator,
        Auditor,
        PrivacyOfficer,
    ];
    BTreeMap::from([
        (("GET", "/"), None),
        (("POST", "/login"), None),
        (("POST", "/logout"), Some(all.clone())),
        (("GET", "/register"), None),
        (("GET", "/ui/searches"), Some(search_readers.clone())),
        (("GET", "/ui/searches/new"), Some(vec![Examiner])),
        (("POST", "/ui/searches"), Some(vec![Examiner])),
        (("GET", "/ui/searches/{id}"), Some(search_readers.clone())),
        (
            ("GET", "/ui/searches/{id}/probe"),
            Some(search_readers.clone()),
        ),
        (
            ("GET", "/ui/searches/{id}/candidates/{reference}/image"),
            Some(search_readers.clone()),
        ),
        (("POST", "/ui/searches/{id}/choose"), Some(vec![Examiner])),
        (
            ("POST", "/ui/searches/{id}/insufficient"),
            Some(vec![Examiner]),
        ),
        (("POST", "/ui/searches/{id}/proposal"), Some(vec![Examiner])),
        (("POST", "/ui/searches/{id}/verify"), Some(vec![Verifier])),
        (
            ("POST", "/ui/searches/{id}/assign"),
            Some(vec![Examiner, Coordinator]),
        ),
        (
            ("POST", "/ui/searches/{id}/resolve"),
            Some(vec![Coordinator]),
        ),
        (
            ("POST", "/ui/searches/{id}/withdraw"),
            Some(vec![Examiner, Coordinator]),
        ),
        (
            ("POST", "/api/searches/{id}/withdrawal"),
            Some(vec![Examiner, Coordinator]),
        ),
        (
            ("POST", "/ui/searches/{id}/unassign"),
            Some(vec![Examiner, Coordinator]),
        ),
        (
            ("POST", "/api/searches/{id}/assignments/withdrawal"),
            Some(vec![Examiner, Coordinator]),
        ),
        (
            ("POST", "/api/searches/{id}/assignments"),
            Some(vec![Examiner, Coordinator]),
        ),
        (
            ("POST", "/api/searches/{id}/resolution"),
            Some(vec![Coordinator]),
        ),
        (
            ("GET", "/ui/competence"),
            Some(vec![CompetenceAdministrator, Coordinator, Auditor]),
        ),
        (
            ("POST", "/ui/competence/{person}"),
            Some(vec![CompetenceAdministrator]),
        ),
        (("GET", "/ui/proficiency"), Some(vec![Coordinator, Auditor])),
        (("POST", "/ui/proficiency"), Some(vec![Coordinator])),
        (
            ("GET", "/api/proficiency"),
            Some(vec![Coordinator, Auditor]),
        ),
        (("POST", "/api/proficiency"), Some(vec![Coordinator])),
        (
            ("GET", "/api/competence"),
            Some(vec![CompetenceAdministrator, Coordinator, Auditor]),
        ),
        (
            ("POST", "/api/competence/{person}"),
            Some(vec![CompetenceAdministrator]),
        ),
        (
            ("GET", "/ui/ledger"),
            Some(vec![
                Auditor,
                PrivacyOfficer,
                ReviewCommitteeMember,
                ChiefOfPolice,
                Administrator,
            ]),
        ),
        (("GET", "/ui/account"), Some(all.clone())),
        (("POST", "/ui/account/second-factor"), Some(all.clone())),
        (("GET", "/ui/cases"), Some(case_readers.clone())),
        (("GET", "/ui/cases/{number}"), Some(case_readers.clone())),
        (
            ("GET", "/ui/cases/{number}/report.json"),
            Some(vec![Examiner, Coordinator, Auditor, PrivacyOfficer]),
        ),
        (
            ("GET", "/ui/cases/{number}/report.pdf"),
            Some(vec![Examiner, Coordinator, Auditor, PrivacyOfficer]),
        ),
        (
            ("GET", "/ui/searches/{id}/compare/{reference}"),
            Some(search_readers.clone()),
        ),
        (
            ("POST", "/ui/searches/{id}/compare/{reference}"),
            Some(vec![Examiner, Verifier]),
        ),
        (
            ("GET", "/ui/persons/{person}/searches/{search}"),
            Some(vec![PrivacyOfficer]),
        ),
        (
            ("GET", "/api/persons/{person}/searches/{search}/explanation"),
            Some(vec![PrivacyOfficer]),
        ),
        (
            ("GET", "/ui/incidents"),
            Some(vec![
                Examiner,
                Verifier,
                Coordinator,
                PrivacyOfficer,
                ChiefOfPolice,
                Auditor,
                ReviewCommitteeMember,
                Applicant,
            ]),
        ),
        (
            ("POST", "/ui/incidents"),
            Some(vec![
                Examiner,
                Verifier,
                Coordinator,
                PrivacyOfficer,
                ChiefOfPolice,
                Auditor,
                ReviewCommitteeMember,
                Applicant,
            ]),
        ),
        (("GET", "/api/incidents"), Some(reporters.clone())),
        (("POST", "/api/incidents"), Some(reporters.clone())),
        (
            ("POST", "/ui/incidents/{id}/classification"),
            Some(vec![PrivacyOfficer]),
        ),
        (
            ("POST", "/api/incidents/{id}/classification"),
            Some(vec![PrivacyOfficer]),
        ),
        (
            ("POST", "/api/incidents/{id}/notifications"),
            Some(vec![PrivacyOfficer, ChiefOfPolice]),
        ),
        (
            ("POST", "/api/incidents/{id}/suspension"),
            Some(vec![ChiefOfPolice, PrivacyOfficer]),
        ),
        (
            ("POST", "/ui/incidents/{id}/notifications"),
            Some(vec![PrivacyOfficer, ChiefOfPolice]),
        ),
        (
            ("POST", "/ui/incidents/{id}/suspension"),
            Some(vec![ChiefOfPolice, PrivacyOfficer]),
        ),
        (
            ("POST", "/ui/cases/{number}/feedback"),
            Some(vec![Requester]),
        ),
        (
            ("POST", "/api/searches/{id}/feedback"),
            Some(vec![Requester]),
        ),
        (("POST", "/ui/searches/{id}/faces"), Some(vec![Examiner])),
        (("POST", "/ui/videos"), Some(vec![Examiner])),
        (("POST", "/api/videos"), Some(vec![Examiner])),
        (("POST", "/ui/searches/{id}/derive"), Some(vec![Examiner])),
        (("POST", "/api/searches/{id}/faces"), Some(vec![Examiner])),
        (("POST", "/api/searches/{id}/derived"), Some(vec![Examiner])),
        (
            ("POST", "/ui/cases/{number}/notes"),
            Some(vec![Examiner, Coordinator]),
        ),
        (("POST", "/ui/cases"), Some(vec![Requester])),
        (
            ("POST", "/ui/cases/{number}/decision"),
            Some(vec![CompetentAuthority]),
        ),
        (
            ("POST", "/ui/searches/{id}/own-conclusion"),
            Some(vec![Verifier]),
        ),
        (
            ("POST", "/api/searches/{id}/own-conclusion"),
            Some(vec![Verifier]),
        ),
        (
            ("POST", "/ui/cases/{number}/legal-hold"),
            Some(vec![CompetentAuthority]),
        ),
        (("GET", "/ui/persons"), Some(vec![PrivacyOfficer])),
        (
            ("POST", "/ui/persons/{person}/decisions"),
            Some(vec![PrivacyOfficer]),
        ),
        (
            ("GET", "/ui/consultations"),
            Some(vec![PrivacyOfficer, Auditor]),
        ),
        (
            ("GET", "/api/consultations"),
            Some(vec![PrivacyOfficer, Auditor]),
        ),
        (("GET", "/ui/deployments/new"), Some(vec![Applicant])),
        (("POST", "/ui/deployments"), Some(vec![Applicant])),
        (("GET", "/ui/deployments/{id}"), Some(all.clone())),
        (
            ("POST", "/ui/deployments/{id}/decisions"),
            Some(governance.clone()),
        ),
        (
            ("GET", "/ui/refdb"),
            Some(vec![ReferenceDatabaseManager, PrivacyOfficer, Auditor]),
        ),
        (
            ("POST", "/ui/refdb/references/{id}/clear-flag"),
            Some(vec![ReferenceDatabaseManager]),
        ),
        (
            ("GET", "/api/refdb"),
            Some(vec![ReferenceDatabaseManager, PrivacyOfficer, Auditor]),
        ),
        (
            ("GET", "/api/refdb/references"),
            Some(vec![ReferenceDatabaseManager, PrivacyOfficer, Auditor]),
        ),
        (
            ("POST", "/api/refdb/references/{id}/clear-flag"),
            Some(vec![ReferenceDatabaseManager]),
        ),
        (("GET", "/api/health"), None),
        (("GET", "/api/ready"), None),
        (("GET", "/api/openapi.json"), None),
        (("GET", "/metrics"), None),
        (("GET", "/static/waarborg.css"), None),
        (("GET", "/static/waarborg.js"), None),
        (("POST", "/api/login"), None),
        (("GET", "/api/public/register"), None),
        (("POST", "/api/logout"), Some(all.clone())),
        (("GET", "/api/me"), Some(all.clone())),
        (("GET", "/api/deployments"), Some(all.clone())),
        (("GET", "/api/deployments/{id}"), Some(all.clone())),
        (
            ("POST", "/api/deployments/{id}/decisions"),
            Some(governance),
        ),
        (("GET", "/api/ledger/checkpoint"), Some(all.clone())),
        (
            ("GET", "/api/ledger/entries/{index}"),
            Some(oversight.clone()),
        ),
        (("GET", "/api/ledger/verify"), Some(oversight.clone())),
        (("POST", "/api/searches"), Some(vec![Examiner])),
        (("GET", "/api/searches"), Some(search_readers.clone())),
        (("GET", "/api/searches/{id}"), Some(search_readers.clone())),
        (("POST", "/api/searches/{id}/choose"), Some(vec![Examiner])),
        (
            ("POST", "/api/searches/{id}/insufficient"),
            Some(vec![Examiner]),
        ),
        (
            ("POST", "/api/searches/{id}/proposal"),
            Some(vec![Examiner]),
        ),
        (
            ("POST", "/api/searches/{id}/verifications"),
            Some(vec![Verifier]),
        ),
        (
            ("POST", "/ui/deployments/{id}/publication"),
            Some(vec![Applicant, PrivacyOfficer]),
        ),
        (("GET", "/ui/reports"), Some(oversight.clone())),
        (("GET", "/ui/reports/{kind}"), Some(oversight.clone())),
        (("POST", "/ui/reports/verify"), Some(oversight.clone())),
        (("POST", "/api/reports/verify"), Some(oversight.clone())),
        (("GET", "/api/monitoring"), Some(oversight.clone())),
        (
            ("POST", "/ui/monitoring/alerts/{id}/acknowledgement"),
            Some(vec![PrivacyOfficer, ReviewCommitteeMember]),
        ),
        (
            ("POST", "/api/monitoring/alerts/{id}/acknowledgement"),
            Some(vec![PrivacyOfficer, ReviewCommitteeMember]),
        ),
        (
            ("GET", "/api/deployments/{id}/publication"),
            Some(all.clone()),
        ),
        (
            ("POST", "/api/deployments/{id}/publication"),
            Some(vec![Applicant, PrivacyOfficer]),
        ),
        (("GET", "/api/organisation"), Some(all.clone())),
        (
            ("POST", "/api/organisation"),
            Some(vec![PrivacyOfficer, Administrator]),
        ),
        (("GET", "/api/admin/accounts"), Some(vec![Administrator])),
        (("POST", "/api/admin/accounts"), Some(vec![Administrator])),
    ])
}

#[tokio::test]
async fn every_route_and_every_role() {
    let app = app(state("matrix"));
    let expected = expectations();
    for r in ROUTES {
        assert!(
            expected.contains_key(&(r.method, r.path)),
            "route {} {} has no expectation in this test",
            r.method,
            r.path
        );
    }
    assert_eq!(
        expected.len(),
        ROUTES.len(),
        "the test expects routes that do not exist"
    );
    let mut sessions = BTreeMap::new();
    for role in Role::ALL {
        sessions.insert(role, login(&app, role).await);
    }
    let mut checked = 0;
    for r in ROUTES {
        let path = r.path.replace("{id}", "retro").replace("{index}", "0");
        let allowed = &expected[&(r.method, r.path)];
        // Anonymous.
        let (status, body) = call(&app, r.method, &path, None, "{}").await;
        match allowed {
            None => assert_ne!(
                status,
                StatusCode::UNAUTHORIZED,
                "{} {path} is public",
                r.method
            ),
            Some(_) => assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{} {path} anonymously: {body}",
                r.method
            ),
        }
        for role in Role::ALL {
            if r.path == "/api/logout" || r.path == "/logout" {
                continue; // would end the session the rest of the test uses; checked below
            }
            let (status, body) = call(&app, r.method, &path, Some(&sessions[&role]), "{}").await;
            let may = allowed.as_ref().is_none_or(|roles| roles.contains(&role));
            if may {
                assert!(
                    status != StatusCode::FORBIDDEN
                        && status != StatusCode::UNAUTHORIZED
                        && status != StatusCode::NOT_IMPLEMENTED,
                    "{} {path} as {}: {status} {body}",
                    r.method,
                    role.as_str()
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{} {path} as {}: {body}",
                    r.method,
                    role.as_str()
                );
                if waarborg_server::routes::is_page(r.path) {
                    // A page's refusal is a page, in the reader's words, with what to do.
                    assert!(
                        body.contains("<html") && body.contains("the role you logged in with"),
                        "{} {path} as {}: {body}",
                        r.method,
                        role.as_str()
                    );
                } else {
                    assert!(body.contains("\"type\":\"forbidden\""), "{body}");
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 150, "{checked}");
    // Logout ends the session: the next request is anonymous.
    let auditor = sessions[&Auditor].clone();
    assert_eq!(
        call(&app, "POST", "/api/logout", Some(&auditor), "")
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        call(&app, "GET", "/api/me", Some(&auditor), "").await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn state_changes_need_the_csrf_token_and_sessions_their_cookie() {
    let app = app(state("csrf"));
    let (cookie, _) = login(&app, Administrator).await;
    let wrong = (cookie.clone(), "not-the-token".to_string());
    let (status, body) = call(&app, "POST", "/api/admin/accounts", Some(&wrong), "{}").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("CSRF"), "{body}");
    // GETs do not need it.
    assert_eq!(
        call(&app, "GET", "/api/admin/accounts", Some(&wrong), "")
            .await
            .0,
        StatusCode::OK
    );
    // Issue 23 item 8: a browser's form from this site needs no token; one that says
    // nothing of where it comes from needs it; a token in the URL is not looked at.
    let (status, body) = call(&app, "GET", "/ui/account", Some(&wrong), "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !body.contains("csrf="),
        "no token in any URL of a page: {body}"
    );
    for (origin, query, expected) in [
        (Some("http://waarborg.test"), "", StatusCode::SEE_OTHER),
        (None, "", StatusCode::FORBIDDEN),
        (None, "?csrf=whatever", StatusCode::FORBIDDEN),
    ] {
        let mut req = Request::builder()
            .method("POST")
            .uri(format!("/ui/account/second-factor{query}"))
            .header(header::HOST, "waarborg.test")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookie.as_str());
        if let Some(o) = origin {
            req = req.header(header::ORIGIN, o);
        }
        let res = app
            .clone()
            .oneshot(req.body(Body::from("action=start")).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), expected, "{origin:?} {query}");
    }
    // A forged cookie is nobody.
    let forged = ("waarborg_session=AAAA".to_string(), String::new());
    assert_eq!(
        call(&app, "GET", "/api/me", Some(&forged), "").await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn logins_are_throttled_and_errors_do_not_reveal_names() {
    let app = app(state("throttle"));
    let attempt = |user: &str, password: &str| {
        format!(r#"{{"user":"{user}","password":"{password}","role":"auditor"}}"#)
    };
    let (s1, b1) = call(
        &app,
        "POST",
        "/api/login",
        None,
        &attempt("nobody", "whatever-whatever"),
    )
    .await;
    let (s2, b2) = call(
        &app,
        "POST",
        "/api/login",
        None,
        &attempt("auditor", "whatever-whatever"),
    )
    .await;
    assert_eq!(
        (s1, s2),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(b1, b2, "an unknown name and a wrong password look the same");
    for _ in 0..4 {
        call(
            &app,
            "POST",
            "/api/login",
            None,
            &attempt("auditor", "whatever-whatever"),
        )
        .await;
    }
    // Locked now, even with the right password.
    let (status, body) = call(
        &app,
        "POST",
        "/api/login",
        None,
        &attempt("auditor", PASSWORD),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    // The wrong role for an account is refused.
    let (status, _) = call(
        &app,
        "POST",
        "/api/login",
        None,
        r#"{"user":"examiner","password":"correct horse battery staple","role":"auditor"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Malformed JSON gets a problem document.
    let (status, body) = call(&app, "POST", "/api/login", None, "{not json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("request body refused"), "{body}");
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let app = app(state("openapi"));
    let (status, body) = call(&app, "GET", "/api/openapi.json", None, "").await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["openapi"], "3.1.0");
    for r in ROUTES {
        assert!(
            v["paths"][r.path][r.method.to_lowercase()].is_object(),
            "{} {}",
            r.method,
            r.path
        );
    }
    let (status, body) = call(&app, "GET", "/api/nothing/here", None, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("openapi.json"));
}

/// The contract is typed: every `/api/` operation names the schema of its answer and every
/// write that reads a body the schema of that body; every schema named is defined; nothing
/// is an untyped `{}`.
#[tokio::test]
async fn every_api_operation_has_typed_schemas() {
    use waarborg_server::routes::Body;
    let app = app(state("openapi-typed"));
    let (_, body) = call(&app, "GET", "/api/openapi.json", None, "").await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let schemas = &v["components"]["schemas"];
    let defined = |reference: &serde_json::Value| {
        let name = reference["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .unwrap_or_default()
            .to_string();
        assert!(schemas[&name].is_object(), "{name} is not defined");
    };
    for r in ROUTES.iter().filter(|r| r.path.starts_with("/api/")) {
        let op = &v["paths"][r.path][r.method.to_lowercase()];
        let answer = &op["responses"]["200"]["content"]["application/json"]["schema"];
        assert!(
            answer["$ref"].is_string(),
            "{} {}: untyped answer",
            r.method,
            r.path
        );
        defined(answer);
        let reads_body = !matches!(r.body, Body::None);
        if r.method == "POST" && reads_body {
            let content = op["requestBody"]["content"].as_object().unwrap();
            for (_, media) in content {
                defined(&media["schema"]);
            }
        }
    }
    // The writes that read no body say so in the table, and are only these.
    let bodiless: Vec<&str> = ROUTES
        .iter()
        .filter(|r| r.method == "POST" && r.path.starts_with("/api/"))
        .filter(|r| matches!(r.body, Body::None))
        .map(|r| r.path)
        .collect();
    assert_eq!(bodiless, ["/api/logout", "/api/searches/{id}/insufficient"]);
    assert!(!body.contains("\"application/json\":{}"), "an untyped body");
}

/// The reference-database manager's view over real records: size, the retention plan with
/// the rule and reason, keyset paging, and flags cleared only by the manager, only with a
/// reason, only once, each clearing in the ledger.
#[tokio::test]
async fn the_reference_database_view_pages_plans_and_clears_flags_with_a_reason() {
    use waarborg_govern::retention::PersonEvent;
    use waarborg_govern::Timestamp;
    use waarborg_store::{DuplicateFlag, ReferenceRecord, ReferenceStore};

    let state = state("refdb-view");
    let now = Timestamp(clock());
    let records: Vec<ReferenceRecord> = (0..120u64)
        .map(|i| ReferenceRecord {
            id: i + 1,
            database: "criminal".into(),
            provenance: waarborg_refdb::synthetic::provenance(i / 2, now),
            image_sha256: String::new(),
            enrolled_at: now,
            enrolled_by: "manager".into(),
            quality: "synthetic".into(),
            duplicate: (i == 7).then(|| DuplicateFlag {
                person: "SYN-00000001".into(),
                reference: 3,
                score: 0.71,
            }),
            erasing: None,
        })
        .collect();
    state
        .store
        .add_references(&records, &[], &mut || Ok(Vec::new()))
        .unwrap();
    // Person 30 (images 61 and 62) is acquitted: both become due, by the event rule.
    state
        .store
        .record_person_event("SYN-00000030", PersonEvent::Acquittal, now, &mut || {
            Ok(Vec::new())
        })
        .unwrap();
    let app = app(state.clone());
    let manager = login(&app, ReferenceDatabaseManager).await;
    let auditor = login(&app, Auditor).await;

    let (status, body) = call(&app, "GET", "/api/refdb?limit=1000", Some(&manager), "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["references"], 120);
    let due: Vec<u64> = v["retention_plan"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reference"].as_u64().unwrap())
        .collect();
    assert!(due.contains(&61) && due.contains(&62), "{due:?}");
    assert_eq!(
        v["retention_plan"]["due"].as_u64().unwrap() as usize,
        due.len()
    );
    assert_eq!(v["flags"].as_array().unwrap().len(), 1);

    // Keyset paging: 50, 50, 20, then no next page.
    let mut after = 0;
    let mut seen = Vec::new();
    loop {
        let (status, body) = call(
            &app,
            "GET",
            &format!("/api/refdb/references?after={after}&limit=50"),
            Some(&auditor),
            "",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        seen.extend(
            v["records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_u64().unwrap()),
        );
        match v["next_after"].as_u64() {
            Some(next) => after = next,
            None => break,
        }
    }
    assert_eq!(seen, (1..=120).collect::<Vec<u64>>());

    // The page: the manager gets a clearing form, the auditor reads only.
    let (status, html) = call(&app, "GET", "/ui/refdb", Some(&manager), "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Retention plan") && html.contains("/ui/refdb/references/8/clear-flag"));
    let (_, html) = call(&app, "GET", "/ui/refdb?lang=nl", Some(&auditor), "").await;
    assert!(html.contains("Bewaarplan") && !html.contains("clear-flag"));

    let clear = "/api/refdb/references/8/clear-flag";
    let reason = r#"{"reason":"different persons: checked the custody records"}"#;
    let (status, _) = call(&app, "POST", clear, Some(&auditor), reason).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = call(&app, "POST", clear, Some(&manager), r#"{"reason":"  "}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = call(&app, "POST", clear, Some(&manager), reason).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = call(&app, "POST", clear, Some(&manager), reason).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = call(
        &app,
        "POST",
        "/api/refdb/references/999/clear-flag",
        Some(&manager),
        reason,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let ledger = String::from_utf8_lossy(
        &std::fs::read(state.ledger.dir().join(waarborg_ledger::ENTRIES_FILE)).unwrap(),
    )
    .to_string();
    assert_eq!(
        ledger.matches("clear_duplicate_flag").count(),
        1,
        "logged once"
    );
    assert!(ledger.contains("different persons"));
}

/// Posts a web form (urlencoded) as a browser does: from this site (`Origin` equal to
/// `Host`), the session in its cookie, no token in the URL.
async fn form(
    app: &axum::Router,
    path: &str,
    session: &(String, String),
    fields: &[(String, String)],
) -> (StatusCode, String) {
    let body: String = fields
        .iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let req = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::HOST, "waarborg.test")
        .header(header::ORIGIN, "http://waarborg.test")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, session.0.as_str())
        .body(Body::from(body))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 22)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&bytes).to_string())
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The governance page drives a deployment from draft to active, every step by its role
/// through the page's own forms: submission, three members' assessments of every factor and
/// precondition, attestations, advice, ratification, the competent authority's approval,
/// activation. A step outside one's role, a stale form, and an auditor are refused.
#[tokio::test]
async fn the_governance_page_takes_a_deployment_from_draft_to_active() {
    use waarborg_govern::framework::{Establishment, Framework};
    use waarborg_govern::revision::Deployment;
    use waarborg_govern::Timestamp;
    use waarborg_store::Store;

    let state = state("governance-page");
    let framework = Framework::default_template();
    state.store.import_framework(&framework).unwrap();
    let content = waarborg_govern::demo::catch_like_content(
        vec!["a".repeat(64), "b".repeat(64)],
        Timestamp(clock() - 86_400),
    );
    let d = Deployment::new("catch-web", "CATCH-like, decided on the web", content).unwrap();
    state.store.create_deployment(&d).unwrap();
    for (user, role) in [
        ("member-2", ReviewCommitteeMember),
        ("member-3", ReviewCommitteeMember),
        ("applicant-1", Applicant),
    ] {
        let account = Account::new(user, vec![role], "unit");
        state
            .store
            .create_account(
                &account,
                &waarborg_app::account::hash_password(PASSWORD).unwrap(),
            )
            .unwrap();
    }
    let app = app(state.clone());
    let page = "/ui/deployments/catch-web";
    let decide = "/ui/deployments/catch-web/decisions";
    let version = || {
        state
            .store
            .deployment("catch-web")
            .unwrap()
            .unwrap()
            .1
            .to_string()
    };
    let step = |step: &str, reason: &str, version: String| {
        vec![
            ("step".to_string(), step.to_string()),
            ("reason".to_string(), reason.to_string()),
            ("version".to_string(), version),
            ("revision".to_string(), "1".to_string()),
        ]
    };
    // The revision's own applicant (the content names applicant-1).
    let applicant = login_as(&app, "applicant-1", Applicant).await;
    let (status, html) = call(&app, "GET", page, Some(&applicant), "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("draft") && html.contains("value=\"submit\""),
        "{html}"
    );
    assert!(html.contains("Not used yet."), "the use so far: none");
    assert!(
        html.contains("id=\"write_fria\""),
        "the assessment is written on the draft"
    );
    // A step outside the role: refused, nothing changes.
    let (status, _) = form(&app, decide, &applicant, &step("ratify", "", version())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let stale = version();
    let (status, html) = form(&app, decide, &applicant, &step("submit", "", version())).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    // The same form again, shown before the submission: a conflict, not a second step.
    let (status, html) = form(&app, decide, &applicant, &step("withdraw", "oops", stale)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{html}");

    let members = [
        login(&app, ReviewCommitteeMember).await,
        login_as(&app, "member-2", ReviewCommitteeMember).await,
        login_as(&app, "member-3", ReviewCommitteeMember).await,
    ];
    // The chief's ratification does not apply yet: not offered, listed with why.
    let chief = login(&app, ChiefOfPolice).await;
    let (_, html) = call(&app, "GET", page, Some(&chief), "").await;
    assert!(
        !html.contains("<option value=\"ratify\"") && html.contains("id=\"not-now\""),
        "{html}"
    );
    for (n, member) in members.iter().enumerate() {
        let (_, html) = call(&app, "GET", page, Some(member), "").await;
        assert!(
            html.contains("id=\"assess\""),
            "the assessment form is offered"
        );
        // Issue 19 item 7: blind until their own is recorded; nothing preset.
        assert_eq!(html.contains("id=\"blind\""), n > 0, "{html}");
        assert!(!html.contains("considered, met"), "{html}");
        assert!(html.contains("<option value=\"\">"), "no weighing preset");
        let mut fields = step("assess", "", version());
        for key in framework
            .factors
            .iter()
            .map(|f| &f.key)
            .chain(framework.preconditions.iter().map(|p| &p.key))
        {
            assert!(
                html.contains(&format!("name=\"weigh:{key}\"")),
                "{key} on the form"
            );
            fields.push((format!("weigh:{key}"), "favourable".into()));
            fields.push((format!("why:{key}"), format!("{key}: considered, met")));
        }
        let mut unweighed = fields.clone();
        if let Some(w) = unweighed.iter_mut().find(|(k, _)| k.starts_with("weigh:")) {
            w.1 = String::new();
        }
        let (status, _) = form(&app, decide, member, &unweighed).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "nothing is preset");
        let (status, html) = form(&app, decide, member, &fields).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
        let (_, html) = call(&app, "GET", page, Some(member), "").await;
        assert!(html.contains("considered, met") && !html.contains("id=\"blind\""));
    }
    for p in &framework.preconditions {
        if let Establishment::Attested { role } = p.established {
            // An applicant attests for their own revision only.
            let who = match role {
                Applicant => applicant.clone(),
                _ => login(&app, role).await,
            };
            let (_, html) = call(&app, "GET", page, Some(&who), "").await;
            let option = format!("attest:{}", p.key);
            assert!(
                html.contains(&option),
                "{} may attest {}",
                role.as_str(),
                p.key
            );
            let (status, html) = form(&app, decide, &who, &step(&option, "", version())).await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
        }
    }
    for (role, s, why) in [
        (
            ReviewCommitteeMember,
            "advise_positive",
            "all factors favourable",
        ),
        (ChiefOfPolice, "ratify", "ratified on positive advice"),
        (CompetentAuthority, "authority_approve", "no objection"),
        (Applicant, "activate", ""),
    ] {
        let who = if role == Applicant {
            applicant.clone()
        } else {
            login(&app, role).await
        };
        let (status, html) = form(&app, decide, &who, &step(s, why, version())).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{s}: {html}");
    }
    let (_, html) = call(&app, "GET", page, Some(&applicant), "").await;
    assert!(html.contains("<strong>active</strong>"), "{html}");
    for action in [
        "submit",
        "assess",
        "attest",
        "advise",
        "ratify",
        "authority_approve",
        "activate",
    ] {
        assert!(
            html.contains(&format!("<td>{action}</td>")),
            "history shows {action}"
        );
    }
    assert!(
        html.contains("considered, met"),
        "judgements shown with their reasons"
    );
    let auditor = login(&app, Auditor).await;
    let (status, _) = form(&app, decide, &auditor, &step("suspend", "no", version())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let ledger = String::from_utf8_lossy(
        &std::fs::read(state.ledger.dir().join(waarborg_ledger::ENTRIES_FILE)).unwrap(),
    )
    .to_string();
    assert!(ledger.contains("\"action\":\"ratify\"") && ledger.contains("\"action\":\"activate\""));
}

/// Case authorisations on the web: the requester asks under an active deployment; the
/// competent authority grants with reasons (never without, never twice); another requester
/// does not see the case; every step is in the ledger.
#[tokio::test]
async fn a_requester_asks_and_the_competent_authority_decides_on_the_case_page() {
    use waarborg_govern::framework::Framework;
    use waarborg_govern::revision::Deployment;
    use waarborg_govern::Timestamp;
    use waarborg_store::Store;

    let state = state("cases-page");
    let framework = Framework::default_template();
    state.store.import_framework(&framework).unwrap();
    let content = waarborg_govern::demo::catch_like_content(
        vec!["a".repeat(64), "b".repeat(64)],
        Timestamp(clock() - 86_400),
    );
    let mut d = Deployment::new("catch-cases", "CATCH-like", content).unwrap();
    waarborg_govern::demo::approve_through_chain(&mut d, 1, &framework, Timestamp(clock() - 3600))
        .unwrap();
    state.store.create_deployment(&d).unwrap();
    let other = Account::new("requester-2", vec![Requester], "unit");
    state
        .store
        .create_account(
            &other,
            &waarborg_app::account::hash_password(PASSWORD).unwrap(),
        )
        .unwrap();
    let app = app(state.clone());
    let requester = login(&app, Requester).await;
    let (status, html) = call(&app, "GET", "/ui/cases", Some(&requester), "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("value=\"catch-cases\""),
        "the active deployment is offered"
    );
    let fields = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let ask = fields(&[
        ("case_number", "OM-2026-77"),
        ("deployment", "catch-cases"),
        ("offence", "armed robbery of a jeweller"),
        ("offence_category", "robbery"),
        ("max_sentence_years", "12"),
        ("authority", "public_prosecutor"),
        ("justification", "too short"),
    ]);
    // Issue 19 item 7: a request says why; a short justification is refused, and logged.
    let (status, html) = form(&app, "/ui/cases", &requester, &ask).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(state.store.case("OM-2026-77").unwrap().is_none());
    let mut ask = ask;
    ask.retain(|(k, _)| k != "justification");
    ask.push((
        "justification".into(),
        "The jeweller's camera is the only lead; witnesses saw no face.".into(),
    ));
    let (status, html) = form(&app, "/ui/cases", &requester, &ask).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let (status, _) = form(&app, "/ui/cases", &requester, &ask).await;
    assert_eq!(status, StatusCode::CONFLICT, "one request per case");
    let (_, html) = call(&app, "GET", "/ui/cases", Some(&requester), "").await;
    assert!(
        html.contains("OM-2026-77") && html.contains("awaiting the decision"),
        "{html}"
    );
    let stranger = login_as(&app, "requester-2", Requester).await;
    let (_, html) = call(&app, "GET", "/ui/cases", Some(&stranger), "").await;
    assert!(
        !html.contains("OM-2026-77"),
        "another requester's case is not shown"
    );
    // The case folder: the requester's own opens, with no search yet; another requester's
    // is refused with a page in their language that says what to do.
    let (status, html) = call(&app, "GET", "/ui/cases/OM-2026-77", Some(&requester), "").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("No probe has been searched for this case yet"),
        "{html}"
    );
    assert!(
        !html.contains("action=\"/ui/cases/OM-2026-77/notes\""),
        "no notes for the requester"
    );
    let (status, html) = call(
        &app,
        "GET",
        "/ui/cases/OM-2026-77?lang=nl",
        Some(&stranger),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        html.contains("<html") && html.contains("vraag het uw coördinator"),
        "{html}"
    );
    // An examiner writes a note in the folder.
    let examiner = login(&app, Examiner).await;
    let (status, html) = form(
        &app,
        "/ui/cases/OM-2026-77/notes",
        &examiner,
        &fields(&[("text", "asked the requester for the original recording")]),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let (_, html) = call(&app, "GET", "/ui/cases/OM-2026-77", Some(&examiner), "").await;
    assert!(
        html.contains("asked the requester for the original recording"),
        "{html}"
    );
    // The case report, downloaded (a logged disclosure), cites the case's entries.
    assert!(html.contains("/ui/cases/OM-2026-77/report.json"), "{html}");
    let (status, json) = call(
        &app,
        "GET",
        "/ui/cases/OM-2026-77/report.json",
        Some(&examiner),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(
        report["ledger"]["entries"].as_array().unwrap().len() >= 3,
        "request, grant, note: {report}"
    );
    let (_, html) = call(&app, "GET", "/ui/cases/OM-2026-77", Some(&requester), "").await;
    assert!(
        !html.contains("original recording"),
        "notes are not the requester's"
    );

    let decision = "/ui/cases/OM-2026-77/decision";
    let (status, _) = form(
        &app,
        decision,
        &requester,
        &fields(&[("decision", "grant"), ("reason", "mine")]),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let authority = login(&app, CompetentAuthority).await;
    let (_, html) = call(&app, "GET", "/ui/cases", Some(&authority), "").await;
    assert!(html.contains(&format!("action=\"{decision}\"")), "{html}");
    assert!(
        html.contains("witnesses saw no face"),
        "the authority reads why"
    );
    let (status, _) = form(
        &app,
        decision,
        &authority,
        &fields(&[("decision", "grant"), ("reason", "proportionate")]),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a decision is confirmed");
    let (status, _) = form(
        &app,
        decision,
        &authority,
        &fields(&[("decision", "grant"), ("reason", " ")]),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "reasons are required");
    let grant = fields(&[
        ("decision", "grant"),
        ("reason", "proportionate: serious violent offence"),
        ("confirm", "on"),
    ]);
    let (status, html) = form(&app, decision, &authority, &grant).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let (status, _) = form(
        &app,
        decision,
        &authority,
        &fields(&[
            ("decision", "refuse"),
            ("reason", "changed my mind"),
            ("confirm", "on"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "decided once");
    let (_, html) = call(&app, "GET", "/ui/cases", Some(&requester), "").await;
    assert!(
        html.contains("authorised") && html.contains("proportionate"),
        "{html}"
    );
    let (case, _) = state.store.case("OM-2026-77").unwrap().unwrap();
    assert!(case.decision.unwrap().granted);
    let ledger = String::from_utf8_lossy(
        &std::fs::read(state.ledger.dir().join(waarborg_ledger::ENTRIES_FILE)).unwrap(),
    )
    .to_string();
    assert!(
        ledger.contains("request_case_authorisation")
            && ledger.contains("grant_case_authorisation")
    );
    assert!(
        !ledger.contains("changed my mind"),
        "a refused step leaves no entry"
    );

    // Issue 17: a legal hold, set and released on the page with reasons.
    let hold = "/ui/cases/OM-2026-77/legal-hold";
    let (_, html) = call(&app, "GET", "/ui/cases", Some(&authority), "").await;
    assert!(html.contains(&format!("action=\"{hold}\"")), "{html}");
    let (status, _) = form(
        &app,
        hold,
        &requester,
        &fields(&[("step", "set"), ("reason", "mine")]),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = form(
        &app,
        hold,
        &authority,
        &fields(&[("step", "keep"), ("reason", "appeal")]),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "an unknown step is refused, not defaulted"
    );
    let (status, _) = form(
        &app,
        hold,
        &authority,
        &fields(&[("step", "set"), ("reason", " ")]),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "reasons are required"
    );
    let set = fields(&[("step", "set"), ("reason", "appeal lodged")]);
    let (status, html) = form(&app, hold, &authority, &set).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let (_, html) = call(&app, "GET", "/ui/cases", Some(&requester), "").await;
    assert!(
        html.contains("Legal hold") && html.contains("appeal lodged"),
        "{html}"
    );
    let (status, _) = form(&app, hold, &authority, &set).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "one hold at a time"
    );
    let release = fields(&[("step", "release"), ("reason", "appeal decided")]);
    let (status, _) = form(&app, hold, &authority, &release).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(state
        .store
        .case("OM-2026-77")
        .unwrap()
        .unwrap()
        .0
        .legal_hold
        .is_none());
    let ledger = String::from_utf8_lossy(
        &std::fs::read(state.ledger.dir().join(waarborg_ledger::ENTRIES_FILE)).unwrap(),
    )
    .to_string();
    assert!(ledger.contains("set_legal_hold") && ledger.contains("release_legal_hold"));
    assert!(
        ledger.contains("needs_reasons: legal_hold") && ledger.contains("already_held"),
        "refusals of the hold are logged"
    );
}

/// The applicant proposes a deployment with the form (prefilled from the template, the
/// framework's factors and preconditions beside it): a field that does not parse is named
/// and nothing is registered; a good proposal is a draft with its ledger entry; the same
/// key twice is a conflict.
#[tokio::test]
async fn the_applicant_proposes_a_deployment_with_the_form() {
    use waarborg_govern::framework::Framework;
    use waarborg_store::Store;

    let state = state("proposal-form");
    let framework = Framework::default_template();
    state.store.import_framework(&framework).unwrap();
    let app = app(state.clone());
    let applicant = login(&app, Applicant).await;
    let (status, html) = call(&app, "GET", "/ui/deployments/new", Some(&applicant), "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&framework.factors[0].question.replace('\'', "&#39;")),
        "factors shown"
    );
    // The form's own fields, as prefilled, plus a key and a name.
    let mut fields: Vec<(String, String)> = Vec::new();
    for cap in html.split("<input id=\"").skip(1) {
        let name = cap.split('"').next().unwrap().to_string();
        let value = cap
            .split("value=\"")
            .nth(1)
            .map(|v| v.split('"').next().unwrap().to_string());
        if cap.contains("type=\"checkbox\"") {
            if cap.split('>').next().unwrap().contains("checked") {
                fields.push((name, "on".into()));
            }
        } else if let Some(v) = value {
            fields.push((name, v.replace("&#39;", "'").replace("&amp;", "&")));
        }
    }
    for cap in html.split("<textarea id=\"").skip(1) {
        let name = cap.split('"').next().unwrap().to_string();
        let value = cap
            .split('>')
            .nth(1)
            .unwrap()
            .split("</textarea")
            .next()
            .unwrap();
        fields.push((name, value.replace("&#39;", "'").replace("&amp;", "&")));
    }
    let set = |fields: &mut Vec<(String, String)>, k: &str, v: &str| {
        fields.retain(|(name, _)| name != k);
        fields.push((k.to_string(), v.to_string()));
    };
    set(&mut fields, "id", "retro-west");
    set(&mut fields, "name", "Retrospective search, unit West");
    set(&mut fields, "offence_categories", "robbery, burglary");
    let mut broken = fields.clone();
    set(&mut broken, "probe_days", "a year");
    set(&mut broken, "valid_until", "soon");
    let (status, html) = form(&app, "/ui/deployments", &applicant, &broken).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        html.contains("probe_days") && html.contains("valid_until"),
        "{html}"
    );
    assert!(state.store.deployment("retro-west").unwrap().is_none());
    let (status, html) = form(&app, "/ui/deployments", &applicant, &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let (d, _) = state.store.deployment("retro-west").unwrap().unwrap();
    let content = &d.revisions[0].content;
    assert_eq!(
        content.scope.offence_categories,
        vec!["robbery", "burglary"]
    );
    assert_eq!(content.applicant, "applicant");
    let (status, _) = form(&app, "/ui/deployments", &applicant, &fields).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, html) = call(
        &app,
        "GET",
        "/ui/deployments/retro-west",
        Some(&applicant),
        "",
    )
    .await;
    assert!(html.contains("<strong>draft</strong>") && html.contains("value=\"submit\""));
    let ledger = String::from_utf8_lossy(
        &std::fs::read(state.ledger.dir().join(waarborg_ledger::ENTRIES_FILE)).unwrap(),
    )
    .to_string();
    assert_eq!(
        ledger
            .matches("deployment retro-west revision 1: draft")
            .count(),
        1
    );
}

/// The optional second factor: set up (secret shown), confirmed with a first code; from
/// then on a login needs the password and a current code, each code is accepted once, and
/// the factor is removed only with a current code. Both changes are in the ledger.
#[tokio::test]
async fn a_second_factor_is_set_up_confirmed_required_and_not_replayable() {
    let state = state("second-factor");
    let app = app(state.clone());
    let code_at = |secret: &str, t: i64| {
        totp_rs::Builder::new()
            .with_secret(totp_rs::Secret::try_from_base32(secret).unwrap())
            .build()
            .unwrap()
            .generate(t as u64)
            .to_string()
    };
    let login_with = |code: Option<String>| {
        let app = app.clone();
        async move {
            let body = match code {
                Some(c) => format!(
                    r#"{{"user":"auditor","password":"{PASSWORD}","role":"auditor","code":"{c}"}}"#
                ),
                None => format!(r#"{{"user":"auditor","password":"{PASSWORD}","role":"auditor"}}"#),
            };
            call(&app, "POST", "/api/login", None, &body).await.0
        }
    };
    let session = login(&app, Auditor).await;
    let start = vec![("action".to_string(), "start".to_string())];
    let (status, _) = form(&app, "/ui/account/second-factor", &session, &start).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = call(&app, "GET", "/ui/account", Some(&session), "").await;
    let secret = html
        .split("<code id=\"secret\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_string();
    assert!(html.contains("otpauth://totp/Waarborg:auditor?secret="));
    // Not yet confirmed: logins need no code.
    assert_eq!(login_with(None).await, StatusCode::OK);
    let confirm = |code: String| {
        vec![
            ("action".to_string(), "confirm".to_string()),
            ("code".to_string(), code),
        ]
    };
    let (status, _) = form(
        &app,
        "/ui/account/second-factor",
        &session,
        &confirm("000000".into()),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a wrong first code confirms nothing"
    );
    // The test clock stands still: step the codes through the skew window (previous,
    // current, next) so each is a fresh step.
    let now = clock();
    let (status, html) = form(
        &app,
        "/ui/account/second-factor",
        &session,
        &confirm(code_at(&secret, now - 30)),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    assert_eq!(
        login_with(None).await,
        StatusCode::UNAUTHORIZED,
        "a code is needed now"
    );
    assert_eq!(
        login_with(Some("123456".into())).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login_with(Some(code_at(&secret, now))).await,
        StatusCode::OK
    );
    assert_eq!(
        login_with(Some(code_at(&secret, now))).await,
        StatusCode::UNAUTHORIZED,
        "a code is accepted once"
    );
    let remove = vec![
        ("action".to_string(), "remove".to_string()),
        ("code".to_string(), code_at(&secret, now)),
    ];
    let (status, _) = form(&app, "/ui/account/second-factor", &session, &remove).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a used code removes nothing"
    );
    let remove = vec![
        ("action".to_string(), "remove".to_string()),
        ("code".to_string(), code_at(&secret, now + 30)),
    ];
    let (status, _) = form(&app, "/ui/account/second-factor", &session, &remove).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(login_with(None).await, StatusCode::OK);
    let ledger = String::from_utf8_lossy(
        &std::fs::read(state.ledger.dir().join(waarborg_ledger::ENTRIES_FILE)).unwrap(),
    )
    .to_string();
    assert!(ledger.contains("enable_second_factor") && ledger.contains("remove_second_factor"));
    assert!(!ledger.contains(&secret), "the secret is never logged");
}

/// The oversight pages make figures, the half-yearly overview and the yearly report from
/// the verified ledger; a report is verified against the ledger and a changed figure named;
/// the register and EU exports refuse incomplete texts, naming each field, and export
/// complete ones; the public register shows the texts and the figures — and no figures
/// from a ledger that does not verify.
#[tokio::test]
async fn reports_are_made_verified_and_published_from_the_ledger() {
    use waarborg_govern::framework::Framework;
    use waarborg_govern::revision::Deployment;
    use waarborg_govern::Timestamp;
    use waarborg_store::Store;

    let state = state("reports");
    let framework = Framework::default_template();
    state.store.import_framework(&framework).unwrap();
    let content = waarborg_govern::demo::catch_like_content(
        vec!["a".repeat(64), "b".repeat(64)],
        Timestamp(clock() - 86_400),
    );
    let mut d = Deployment::new("catch-web", "CATCH-like (reports)", content).unwrap();
    let events = waarborg_govern::demo::approve_through_chain(
        &mut d,
        1,
        &framework,
        Timestamp(clock() - 3600),
    )
    .unwrap();
    for e in &events {
        state
            .ledger
            .append(waarborg_app::entries::governance_entry(&d, e))
            .unwrap();
    }
    state.store.create_deployment(&d).unwrap();
    let now = waarborg_ledger::entry::now();
    state
        .ledger
        .append(waarborg_ledger::Event::BiometricOperation(
            waarborg_ledger::BiometricOperation {
                operation: waarborg_ledger::Operation::Search,
                started: now.clone(),
                ended: now.clone(),
                user: "examiner".into(),
                role: "examiner".into(),
                deployment_revision: Some("catch-web/1".into()),
                case_authorisation: Some("OM-1".into()),
                reference_database: Some("criminal".into()),
                input_sha256: None,
                verifiers: vec![],
                model_sha256: vec![],
                outcome: "20 candidates".into(),
                best_score_milli: None,
            },
        ))
        .unwrap();
    let app = app(state.clone());
    let officer = login(&app, PrivacyOfficer).await;

    // Incomplete texts: nothing exported, every missing field named.
    let (status, page) = call(&app, "GET", "/ui/reports", Some(&officer), "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("contact_email (Contactgegevens): required, and empty"),
        "{page}"
    );
    let (status, body) = call(
        &app,
        "GET",
        "/ui/reports/register?format=csv",
        Some(&officer),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("catch-web: contact_email (Contactgegevens): required, and empty"),
        "{body}"
    );
    let (status, body) = call(
        &app,
        "GET",
        "/ui/reports/eu-registration?format=json",
        Some(&officer),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("deployer.address"), "{body}");

    // Too long a text is refused at export too, with the limit.
    let mut publication: serde_json::Value = serde_json::from_str(
        &call(
            &app,
            "GET",
            "/api/deployments/catch-web/publication",
            Some(&officer),
            "",
        )
        .await
        .1,
    )
    .unwrap();
    assert_eq!(publication["version"], 0, "prefilled from the revision");
    let mut text = publication["publication"].take();
    text["register"]["organization"] = "Politie".into();
    text["register"]["contact_email"] = "algoritmes@politie.example".into();
    text["register"]["description_short"] = "x".repeat(351).into();
    text["eu"] = serde_json::json!({
        "provider_entry_url": "https://eu-database.example/entry/1",
        "fria_summary": "Grondrechten afgewogen; zie de toetsing.",
        "dpia_summary": "DPIA goedgekeurd door de privacy officer."
    });
    let (status, body) = call(
        &app,
        "POST",
        "/api/deployments/catch-web/publication",
        Some(&officer),
        &serde_json::json!({"version": 0, "publication": text}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = call(
        &app,
        "GET",
        "/ui/reports/register?format=json",
        Some(&officer),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("351 characters; the standard allows at most 350"),
        "{body}"
    );
    // A stale write is refused; the auditor writes nothing.
    let (status, _) = call(
        &app,
        "POST",
        "/api/deployments/catch-web/publication",
        Some(&officer),
        &serde_json::json!({"version": 0, "publication": text}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let auditor = login(&app, Auditor).await;
    let (status, _) = call(
        &app,
        "POST",
        "/api/deployments/catch-web/publication",
        Some(&auditor),
        &serde_json::json!({"version": 1, "publication": text}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    text["register"]["description_short"] =
        "Een examinator vergelijkt een beeld van een onbekende verdachte met foto's uit de strafrechtelijke databank.".into();
    let (status, body) = call(
        &app,
        "POST",
        "/api/deployments/catch-web/publication",
        Some(&officer),
        &serde_json::json!({"version": 1, "publication": text}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let party = serde_json::json!({"name": "Politie", "address": "Postbus 1, Den Haag", "contact": "privacy@politie.example"});
    let (status, body) = call(
        &app,
        "POST",
        "/api/organisation",
        Some(&officer),
        &serde_json::json!({"version": 0, "organisation": {"deployer": party, "submitter": party}})
            .to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The same texts through the deployment page's form: a link line without `|` is
    // refused and named; a complete form is saved and the page says it is ready.
    let (status, page) = form(
        &app,
        "/ui/deployments/catch-web/publication",
        &officer,
        &[
            ("version".into(), "2".into()),
            ("lawful_basis_grouping".into(), "Wet politiegegevens".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("title | link"), "{page}");
    let fields: Vec<(String, String)> = [
        ("version", "2"),
        ("name", "Gezichten vergelijken (web)"),
        ("description_short", "Een examinator vergelijkt een beeld van een onbekende verdachte met foto's uit de strafrechtelijke databank."),
        ("organization", "Politie"),
        ("category", "Openbare orde en veiligheid, Recht"),
        ("contact_email", "algoritmes@politie.example"),
        ("publication_category", "Hoog-risico AI-systeem"),
        ("lawful_basis_grouping", "Wet politiegegevens | https://wetten.example/BWBR0022463"),
        ("eu_provider_entry_url", "https://eu-database.example/entry/1"),
        ("eu_fria_summary", "Grondrechten afgewogen; zie de toetsing."),
        ("eu_dpia_summary", "DPIA goedgekeurd door de privacy officer."),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let (status, page) = form(
        &app,
        "/ui/deployments/catch-web/publication",
        &officer,
        &fields,
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let (_, page) = call(&app, "GET", "/ui/deployments/catch-web", Some(&officer), "").await;
    assert!(
        page.contains("ready for export") && page.contains("id=\"publication\""),
        "{page}"
    );
    assert!(
        page.contains("Wet politiegegevens | https://wetten.example/BWBR0022463"),
        "the links shown as written"
    );
    let (_, page) = call(&app, "GET", "/ui/deployments/catch-web", Some(&auditor), "").await;
    assert!(
        !page.contains("id=\"publication\""),
        "no form for the auditor"
    );

    // Complete: exported, as the standard's CSV and JSON, and the EU registration.
    let (status, csv) = call(
        &app,
        "GET",
        "/ui/reports/register?format=csv",
        Some(&officer),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    assert!(
        csv.starts_with("name,organization,description_short,category,status"),
        "{csv}"
    );
    assert!(
        csv.contains("In gebruik") && csv.contains("1.0.0") && csv.contains("catch-web"),
        "{csv}"
    );
    // Issue 17: the export's download is in the ledger (a refused export was not).
    let ledger = String::from_utf8_lossy(
        &std::fs::read(state.ledger.dir().join(waarborg_ledger::ENTRIES_FILE)).unwrap(),
    )
    .to_string();
    assert_eq!(
        ledger.matches("\"records\":[\"report:register\"]").count(),
        1
    );
    let (status, body) = call(
        &app,
        "GET",
        "/ui/reports/eu-registration?format=json",
        Some(&officer),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains("non-public") && body.contains("Postbus 1"),
        "{body}"
    );

    // Figures from the ledger; verified; a changed figure named.
    let (status, report) = call(
        &app,
        "GET",
        "/ui/reports/figures?from=2000-01-01&to=2100-01-01&format=json",
        Some(&auditor),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let mut value: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(value["framework"]["activated"], 1, "{report}");
    assert_eq!(value["framework"]["active_at_end"], 1, "{report}");
    assert_eq!(value["overall"]["searches"], 1);
    let (status, body) = call(&app, "POST", "/api/reports/verify", Some(&auditor), &report).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("\"matches\":true"), "{body}");
    value["framework"]["activated"] = 2.into();
    let (_, body) = call(
        &app,
        "POST",
        "/api/reports/verify",
        Some(&auditor),
        &value.to_string(),
    )
    .await;
    assert!(
        body.contains("\"matches\":false") && body.contains("framework.activated"),
        "{body}"
    );
    let (status, page) = form(
        &app,
        "/ui/reports/verify",
        &auditor,
        &[("report".into(), value.to_string())],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("framework.activated"), "{page}");
    let (status, _) = call(
        &app,
        "POST",
        "/api/reports/verify",
        Some(&auditor),
        "not json",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    for bad in [
        "from=2026-13-01&to=2027-01-01",
        "from=2027-01-01&to=2026-01-01",
        "from=&to=",
    ] {
        let (status, _) = call(
            &app,
            "GET",
            &format!("/ui/reports/figures?{bad}&format=json"),
            Some(&auditor),
            "",
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let (status, empty) = call(
        &app,
        "GET",
        "/ui/reports/figures?from=1990-01-01&to=1991-01-01&format=json",
        Some(&auditor),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        empty.contains("\"searches\": 0"),
        "an empty period is all zeros: {empty}"
    );
    let (status, html) = call(
        &app,
        "GET",
        "/ui/reports/annual?year=2026&format=html&lang=en",
        Some(&auditor),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Article 26(10)") && html.contains("Postbus 1"),
        "{html}"
    );
    // Issue 23 item 9: a year at the edge of its type is refused, not wrapped.
    for year in ["2147483647", "-2147483648", "0"] {
        let (status, body) = call(
            &app,
            "GET",
            &format!("/ui/reports/annual?year={year}&format=json"),
            Some(&auditor),
            "",
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{year}: {body}");
    }
    let (status, html) = call(
        &app,
        "GET",
        "/ui/reports/framework?from=2026-01-01&to=2027-07-01&lang=nl",
        Some(&auditor),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("De werking van het inzetkader"), "{html}");

    // The public register: the texts, and the figures of the year.
    let (status, public) = call(&app, "GET", "/register?lang=en", None, "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(public.contains("strafrechtelijke databank"), "{public}");
    let year: i32 = now[..4].parse().unwrap();
    if (2026..=2027).contains(&year) {
        assert!(public.contains("Probe images submitted"), "{public}");
    }

    // A damaged ledger gives no figures and says why.
    let entries = state.ledger.dir().join(waarborg_ledger::ENTRIES_FILE);
    let mut bytes = std::fs::read(&entries).unwrap();
    let at = bytes.windows(8).position(|w| w == b"\"reason\"").unwrap() + 11;
    bytes[at] ^= 0x01;
    std::fs::write(&entries, bytes).unwrap();
    let (status, body) = call(
        &app,
        "GET",
        "/ui/reports/figures?from=2000-01-01&to=2100-01-01&format=json",
        Some(&auditor),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("does not verify"), "{body}");
    let (_, public) = call(&app, "GET", "/register?lang=en", None, "").await;
    assert!(public.contains("No figures are shown"), "{public}");
}

/// The navigation is the route table's: a link is shown to a role exactly when the page's
/// route lets that role in; signed out, the login and the public register.
#[test]
fn the_navigation_follows_the_route_table() {
    use waarborg_server::routes::{navigation, NAVIGATION};
    for (path, _) in NAVIGATION {
        assert!(
            ROUTES.iter().any(|r| r.method == "GET" && r.path == *path),
            "{path} is no page"
        );
    }
    let paths = |role| {
        navigation(role)
            .into_iter()
            .map(|(p, _)| p)
            .collect::<Vec<_>>()
    };
    assert_eq!(paths(None), ["/", "/register"]);
    assert_eq!(navigation(None)[0].1, "login");
    assert_eq!(
        paths(Some(Examiner)),
        [
            "/",
            "/ui/searches",
            "/ui/searches/new",
            "/ui/cases",
            "/ui/incidents",
            "/register",
            "/ui/account"
        ]
    );
    for role in Role::ALL {
        let shown = paths(Some(role));
        for (path, _) in NAVIGATION {
            let route = ROUTES
                .iter()
                .find(|r| r.method == "GET" && r.path == *path)
                .unwrap();
            assert_eq!(
                shown.contains(path),
                route.access.allows(role),
                "{path} for {}",
                role.as_str()
            );
        }
    }
}

/// A case number is text in the page and one encoded segment in the decision form's
/// action: a number made to look like a path cannot aim the authority's decision at another
/// case.
#[tokio::test]
async fn a_case_number_cannot_redirect_the_decision_form() {
    use waarborg_govern::case::{AuthorityKind, CaseAuthorisation};
    use waarborg_govern::{Actor, Timestamp};
    use waarborg_store::Store;

    let state = state("cases-encoded");
    let officer = Actor::new("requester", Requester, "unit");
    let tricky = "OM-X/../../cases/OM-Y";
    let request = |number: &str| {
        CaseAuthorisation::request(
            &officer,
            number,
            "catch-cases",
            "robbery",
            "robbery",
            12,
            AuthorityKind::PublicProsecutor,
            false,
            Timestamp(clock()),
        )
    };
    // The first line (issue 23 item 1): such a number is no case number at all.
    assert!(request(tricky).is_err());
    // The second: one in the database all the same (written before the rule) is still
    // encoded wherever it enters a URL.
    let mut c = request("OM-X").unwrap();
    c.case_number = tricky.into();
    state.store.create_case(&c).unwrap();
    let app = app(state.clone());
    let authority = login(&app, CompetentAuthority).await;
    let (status, html) = call(&app, "GET", "/ui/cases", Some(&authority), "").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("action=\"/ui/cases/OM-X%2F..%2F..%2Fcases%2FOM-Y/decision\""),
        "{html}"
    );
    assert!(!html.contains("/ui/cases/OM-X/"), "{html}");
}

/// Issue 23 item 8: every answer carries the security headers; an answer to a signed-in
/// request is never stored by a cache; a public page may be.
#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let state = state("headers");
    let app = app(state.clone());
    let examiner = login(&app, Examiner).await;
    for (path, cookie) in [
        ("/register", None),
        ("/api/openapi.json", None),
        ("/no-such-route", None),
        ("/ui/searches", Some(examiner.0.as_str())),
    ] {
        let mut req = Request::builder().uri(path);
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let res = app
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let h = res.headers();
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert!(
            csp.contains("script-src 'self';"),
            "no script but this origin's own file: {csp}"
        );
        assert!(
            !csp.contains("unsafe-eval")
                && !csp
                    .split(';')
                    .any(|d| d.trim().starts_with("script-src") && d.contains("unsafe-inline")),
            "no inline or evaluated script: {csp}"
        );
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(h[header::REFERRER_POLICY], "same-origin", "{path}");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY", "{path}");
        let no_store = h
            .get(header::CACHE_CONTROL)
            .is_some_and(|v| v == "no-store");
        assert_eq!(no_store, cookie.is_some(), "{path}");
        assert!(
            h.get(header::STRICT_TRANSPORT_SECURITY).is_none(),
            "no TLS here"
        );
    }
}

/// Issue 23 item 8: a login (or any write) posted from another site is refused, whatever
/// it carries; the same login from this site, or without Origin (the command line), works.
#[tokio::test]
async fn a_login_from_another_site_is_refused() {
    let state = state("origin");
    let app = app(state.clone());
    let body = format!(r#"{{"user":"examiner","password":"{PASSWORD}","role":"examiner"}}"#);
    for (origin, fetch_site, expected) in [
        (Some("https://evil.example"), None, StatusCode::FORBIDDEN),
        (Some("null"), None, StatusCode::FORBIDDEN),
        (None, Some("cross-site"), StatusCode::FORBIDDEN),
        (
            Some("http://waarborg.test"),
            Some("same-origin"),
            StatusCode::OK,
        ),
        (None, None, StatusCode::OK),
    ] {
        let mut req = Request::builder()
            .method("POST")
            .uri("/api/login")
            .header(header::HOST, "waarborg.test")
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(o) = origin {
            req = req.header(header::ORIGIN, o);
        }
        if let Some(s) = fetch_site {
            req = req.header("sec-fetch-site", s);
        }
        let res = app
            .clone()
            .oneshot(req.body(Body::from(body.clone())).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), expected, "{origin:?} {fetch_site:?}");
    }
}

/// Issue 23 item 5: failures are throttled per source and name, so nobody is locked out by
/// someone else's failures, and a name without an account is throttled exactly like one
/// with an account.
#[tokio::test]
async fn a_lockout_from_one_source_locks_out_nobody_else_and_reveals_no_names() {
    let app = app(state("throttle-source"));
    let login_from = |ip: &'static str, user: &'static str, password: &'static str| {
        let app = app.clone();
        async move {
            let body = format!(r#"{{"user":"{user}","password":"{password}","role":"auditor"}}"#);
            let mut req = Request::builder()
                .method("POST")
                .uri("/api/login")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .unwrap();
            let addr: std::net::SocketAddr = format!("{ip}:40000").parse().unwrap();
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(addr));
            let res = app.oneshot(req).await.unwrap();
            let status = res.status();
            let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
                .await
                .unwrap();
            (status, String::from_utf8_lossy(&bytes).to_string())
        }
    };
    for _ in 0..5 {
        login_from("10.6.6.6", "auditor", "wrong-wrong-wrong").await;
        login_from("10.6.6.6", "nobody", "wrong-wrong-wrong").await;
    }
    let (known, known_body) = login_from("10.6.6.6", "auditor", PASSWORD).await;
    let (unknown, unknown_body) = login_from("10.6.6.6", "nobody", PASSWORD).await;
    assert_eq!(known, StatusCode::TOO_MANY_REQUESTS, "{known_body}");
    assert_eq!(
        (unknown, unknown_body),
        (known, known_body),
        "names are not revealed"
    );
    let (status, body) = login_from("10.0.0.1", "auditor", PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the auditor at their own desk: {body}"
    );
}

/// Issue 23 item 9: reading the checkpoint or an entry writes nothing: the kept checkpoint
/// is answered (signed at start, every five minutes and at shutdown), never a new one.
#[tokio::test]
async fn reading_the_checkpoint_writes_nothing() {
    let state = state("checkpoint-read");
    let app = app(state.clone());
    let auditor = login(&app, Auditor).await;
    let (status, body) = call(&app, "GET", "/api/ledger/checkpoint", Some(&auditor), "").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("no_checkpoint"), "{body}");
    let refusal = || {
        waarborg_ledger::Event::Refusal(waarborg_ledger::Refusal {
            user: "someone".into(),
            role: "auditor".into(),
            attempted: "something".into(),
            reason: "role: not theirs".into(),
            deployment_revision: None,
            case_authorisation: None,
            count: None,
        })
    };
    state.log(refusal()).unwrap();
    let signed = state.ledger.checkpoint().unwrap();
    state.log(refusal()).unwrap();
    let file = state.ledger.dir().join("checkpoints.log");
    let before = std::fs::metadata(&file).unwrap().len();
    for _ in 0..3 {
        let (status, body) = call(&app, "GET", "/api/ledger/checkpoint", Some(&auditor), "").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            v["size"], signed.checkpoint.size,
            "the kept one, not a new one"
        );
        let (status, _) = call(&app, "GET", "/api/ledger/entries/0", Some(&auditor), "").await;
        assert_eq!(status, StatusCode::OK);
    }
    assert_eq!(
        std::fs::metadata(&file).unwrap().len(),
        before,
        "nothing written"
    );
}

/// Issue 20 item 4: readiness names what is not ready (503) and, once the ledger is
/// verified, answers 200 with every part, the engine and the index reported but not needed.
#[tokio::test]
async fn readiness_names_the_parts_that_are_not_ready() {
    let state = state("ready");
    let app = app(state.clone());
    let (status, body) = call(&app, "GET", "/api/ready", None, "").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        body.contains("not_ready") && body.contains("ledger: not verified yet"),
        "{body}"
    );
    let before = state.ledger.size();
    waarborg_app::audit::refresh(&state.app).unwrap();
    let (status, body) = call(&app, "GET", "/api/ready", None, "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["ready"], true);
    let check = |name: &str| {
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(check("store")["ok"], true);
    assert_eq!(check("ledger")["ok"], true);
    assert_eq!(
        (
            check("engine")["ok"].clone(),
            check("engine")["required"].clone()
        ),
        (serde_json::json!(false), serde_json::json!(false)),
        "no engine in this test: reported, not required"
    );
    assert_eq!(state.ledger.size(), before, "asking writes nothing");
}

/// Issue 17 item 4 on the page: the privacy officer looks a person up, restricts their
/// records with reasons (refused without), and sees the restriction; an unknown person is a
/// page that says so; every look-up is in the ledger.
#[tokio::test]
async fn the_privacy_officer_looks_a_person_up_and_restricts_their_records() {
    use waarborg_govern::Timestamp;
    use waarborg_store::{ReferenceRecord, ReferenceStore};
    let state = state("data-subject");
    let now = Timestamp(clock());
    let records: Vec<ReferenceRecord> = (0..4u64)
        .map(|i| ReferenceRecord {
            id: i + 1,
            database: "criminal".into(),
            provenance: waarborg_refdb::synthetic::provenance(i / 2, now),
            image_sha256: String::new(),
            enrolled_at: now,
            enrolled_by: "manager".into(),
            quality: "synthetic".into(),
            duplicate: None,
            erasing: None,
        })
        .collect();
    state
        .store
        .add_references(&records, &[], &mut || Ok(Vec::new()))
        .unwrap();
    let person = records[0].provenance.person.clone();
    let app = app(state.clone());
    let officer = login(&app, PrivacyOfficer).await;
    let (status, html) = call(
        &app,
        "GET",
        &format!("/ui/persons?person={person}"),
        Some(&officer),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("Retention") && html.contains("<td>1</td>") && html.contains("<td>2</td>"),
        "{html}"
    );
    let (status, _) = call(
        &app,
        "GET",
        "/ui/persons?person=P-NOBODY",
        Some(&officer),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let fields = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let decisions = format!("/ui/persons/{person}/decisions");
    let (status, _) = form(
        &app,
        &decisions,
        &officer,
        &fields(&[("step", "restrict"), ("reason", " ")]),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "reasons are required"
    );
    let (status, _) = form(
        &app,
        &decisions,
        &officer,
        &fields(&[("step", "forget"), ("reason", "asked")]),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "an unknown step is refused, not defaulted"
    );
    let (status, _) = form(
        &app,
        &decisions,
        &officer,
        &fields(&[("step", "restrict"), ("reason", "accuracy contested")]),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = call(
        &app,
        "GET",
        &format!("/ui/persons?person={person}"),
        Some(&officer),
        "",
    )
    .await;
    assert!(
        html.contains("Restriction of processing") && html.contains("accuracy contested"),
        "{html}"
    );
    assert_eq!(state.store.restricted_references().unwrap(), [1, 2].into());
    let ledger = String::from_utf8_lossy(
        &std::fs::read(state.ledger.dir().join(waarborg_ledger::ENTRIES_FILE)).unwrap(),
    )
    .to_string();
    assert!(
        ledger.contains("\"record_kind\":\"person\"") && ledger.contains("restrict_processing")
    );
}

/// Issue 18 item 1: every error on a page's route is a page in the reader's language with
/// what to do next — the access check, a form that cannot be read, a route that does not
/// exist; the API keeps its problem+json.
#[tokio::test]
async fn errors_on_pages_are_pages_in_the_readers_language() {
    let app = app(state("error-pages"));
    let (status, html) = call(&app, "GET", "/ui/no-such-page", None, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        html.contains("<html") && html.contains("Check the address"),
        "{html}"
    );
    let (status, html) = call(&app, "GET", "/ui/cases?lang=nl", None, "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        html.contains("Log in en open de pagina opnieuw") && html.contains("Inloggen"),
        "{html}"
    );
    let verifier = login(&app, Verifier).await;
    let (status, html) = call(&app, "GET", "/ui/cases?lang=nl", Some(&verifier), "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("Dit staat niet voor u open"), "{html}");
    // A form the extractor cannot read (a field missing).
    let requester = login(&app, Requester).await;
    let (status, html) = form(
        &app,
        "/ui/cases",
        &requester,
        &[("case_number".to_string(), "OM-1".to_string())],
    )
    .await;
    assert!(status.is_client_error(), "{status}");
    assert!(
        html.contains("<html") && html.contains("correct what you entered"),
        "{html}"
    );
    // The API answers as before.
    let (status, body) = call(&app, "GET", "/api/no-such-thing", None, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("\"type\":\"not_found\""), "{body}");
}
