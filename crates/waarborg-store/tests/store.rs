//! The SQLite store on a real file: round trips, migrations, immutable frameworks, and
//! concurrent decisions resolved without lost updates.

use std::path::PathBuf;

use waarborg_govern::case::{AuthorityKind, CaseAuthorisation};
use waarborg_govern::framework::Framework;
use waarborg_govern::revision::{
    Command, Deployment, Domain, Dpia, Mode, Oversight, Retention, RevisionContent, Scope, State,
    Technology,
};
use waarborg_govern::{Actor, Role, Timestamp};
use waarborg_store::{SqliteStore, Store, StoreError};

fn file(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!(
        "waarborg-store-{name}-{}.sqlite",
        std::process::id()
    ));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
    }
    p
}

fn content() -> RevisionContent {
    RevisionContent {
        purpose: "Identify suspects".into(),
        domain: Domain::CriminalInvestigation,
        mode: Mode::Retrospective,
        system: "waarborg".into(),
        scope: Scope {
            reference_databases: vec!["criminal".into()],
            probe_sources: vec!["crime_scene_cctv".into()],
            offence_categories: vec![],
            min_max_sentence_years: 4,
            area: "national".into(),
            valid_from: Timestamp(0),
            valid_until: Timestamp(1 << 40),
        },
        technology: Technology {
            model_sha256: vec!["ab".repeat(32)],
            detector_settings: "scrfd".into(),
            score_threshold: 0.3,
            candidate_list_length: 50,
            licences: Vec::new(),
            evaluation: None,
        },
        oversight: Oversight {
            verifiers_required: 2,
            examiners: vec!["e".into()],
            verifier_units: vec![],
        },
        retention: Retention {
            probe_days: 1,
            result_days: 1,
        },
        reporting_duties: "yearly".into(),
        dpia: Dpia {
            reference: "D".into(),
            approved: true,
        },
        algorithm_register_text: "text".into(),
        review_interval_days: 30,
        urgent_use_allowed: false,
        experiment: false,
        demonstration: false,
        corrects_defect: false,
        applicant: "applicant-1".into(),
        deploying_unit: "bc".into(),
        fria: Default::default(),
        registration_reference: String::new(),
    }
}

fn ok() -> std::result::Result<Vec<waarborg_store::LedgerMark>, String> {
    Ok(Vec::new())
}

#[test]
fn aggregates_round_trip_through_a_reopened_file() {
    let path = file("roundtrip");
    let f = Framework::default_template();
    let d = Deployment::new("retro", "Retrospective search", content()).unwrap();
    let requester = Actor::new("officer", Role::Requester, "inv");
    let c = CaseAuthorisation::request(
        &requester,
        "OM-1",
        "retro",
        "robbery",
        "robbery",
        12,
        AuthorityKind::PublicProsecutor,
        true,
        Timestamp(5),
    )
    .unwrap();
    {
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            waarborg_store::SCHEMA_VERSION
        );
        store.import_framework(&f).unwrap();
        store.import_framework(&f).unwrap(); // idempotent
        store.create_deployment(&d).unwrap();
        assert!(matches!(
            store.create_deployment(&d),
            Err(StoreError::Exists(_))
        ));
        store.create_case(&c).unwrap();
    }
    let store = SqliteStore::open(&path).unwrap(); // migrations do not run twice
    assert_eq!(
        store.schema_version().unwrap(),
        waarborg_store::SCHEMA_VERSION
    );
    assert_eq!(store.framework(&f.id()).unwrap(), Some(f.clone()));
    assert_eq!(
        store.latest_framework("inzetkader-template").unwrap(),
        Some(f.clone())
    );
    assert_eq!(store.frameworks().unwrap().len(), 1);
    assert_eq!(store.deployment("retro").unwrap(), Some((d.clone(), 1)));
    assert_eq!(store.deployments().unwrap(), vec![d]);
    assert_eq!(store.case("OM-1").unwrap(), Some((c, 1)));
    assert_eq!(store.deployment("nope").unwrap(), None);
}

#[test]
fn framework_versions_are_immutable_and_new_versions_do_not_touch_old_ones() {
    let store = SqliteStore::open_in_memory().unwrap();
    let f1 = Framework::default_template();
    store.import_framework(&f1).unwrap();
    let mut changed = f1.clone();
    changed.factors[0].question = "Rewritten".into();
    assert!(matches!(
        store.import_framework(&changed),
        Err(StoreError::Exists(_))
    ));
    changed.version = 2;
    store.import_framework(&changed).unwrap();
    assert_eq!(store.framework("inzetkader-template@1").unwrap(), Some(f1));
    assert_eq!(
        store
            .latest_framework("inzetkader-template")
            .unwrap()
            .unwrap()
            .version,
        2
    );
}

#[test]
fn a_database_from_a_newer_waarborg_is_refused() {
    let path = file("newer");
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite_connection(&path);
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    match SqliteStore::open(&path) {
        Err(StoreError::TooNew {
            found: 99,
            known: waarborg_store::SCHEMA_VERSION,
        }) => {}
        other => panic!("{:?}", other.err()),
    }
}

/// Every search asks for the restricted persons' images: SQLite must start from the few
/// restricted persons (the partial index), never scan every reference image (which took
/// 1.8 s of each search at 6 million images). The question as `restricted_references` asks it.
#[test]
fn the_restricted_images_are_found_without_scanning_every_image() {
    let path = file("restricted-plan");
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite_connection(&path);
    let plan: Vec<String> = conn
        .prepare(
            "EXPLAIN QUERY PLAN SELECT i.id FROM reference_images i JOIN persons p \
             ON p.person = i.person WHERE p.restriction IS NOT NULL",
        )
        .unwrap()
        .query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert!(
        plan.iter().any(|s| s.contains("persons_restricted"))
            && !plan.iter().any(|s| s.starts_with("SCAN i")),
        "{plan:?}"
    );
}

fn rusqlite_connection(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

#[test]
fn two_chiefs_ratifying_at_once_make_one_decision() {
    let path = file("race");
    let f = Framework::default_template();
    let store = SqliteStore::open(&path).unwrap();
    // Bring a deployment to "advised" (the domain's own tests cover the chain).
    let mut d = Deployment::new("retro", "r", content()).unwrap();
    let app = Actor::new("applicant-1", Role::Applicant, "bc");
    d.apply(
        1,
        &app,
        Command::Submit,
        "on the evidence given",
        &f,
        Timestamp(10),
    )
    .unwrap();
    d.revisions[0].state = State::Advised;
    d.revisions[0].advice = Some(waarborg_govern::revision::AdviceOutcome::Positive);
    store.create_deployment(&d).unwrap();

    let results: Vec<Result<u64, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|i| {
                let path = path.clone();
                let f = f.clone();
                s.spawn(move || {
                    // Each chief works through their own connection, as two processes would.
                    let store = SqliteStore::open(&path).unwrap();
                    let chief = Actor::new(&format!("chief-{i}"), Role::ChiefOfPolice, "lead");
                    let (mut d, version) = store.deployment("retro").unwrap().unwrap();
                    std::thread::sleep(std::time::Duration::from_millis(50)); // both have read
                    d.apply(
                        1,
                        &chief,
                        Command::Ratify,
                        "on the evidence given",
                        &f,
                        Timestamp(20),
                    )
                    .map_err(|e| e.to_string())?;
                    store
                        .save_deployment(&d, version, &mut ok)
                        .map_err(|e| e.to_string())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let saved = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(saved, 1, "{results:?}");
    let lost = results.iter().find_map(|r| r.as_ref().err()).unwrap();
    assert!(lost.contains("changed by someone else"), "{lost}");
    let (d, version) = store.deployment("retro").unwrap().unwrap();
    assert_eq!(version, 2);
    let ratifications = d.revisions[0]
        .history
        .iter()
        .filter(|h| h.action == "ratify")
        .count();
    assert_eq!(ratifications, 1);
    // The loser reloads and finds it ratified: the domain refuses a second ratification.
    let (mut again, _) = store.deployment("retro").unwrap().unwrap();
    assert!(again
        .apply(
            1,
            &Actor::new("chief-1", Role::ChiefOfPolice, "lead"),
            Command::Ratify,
            "on the evidence given",
            &f,
            Timestamp(21)
        )
        .is_err());
}

#[test]
fn an_edit_racing_a_submission_loses_and_nothing_half_happens() {
    let store = SqliteStore::open_in_memory().unwrap();
    let f = Framework::default_template();
    let app = Actor::new("applicant-1", Role::Applicant, "bc");
    store
        .create_deployment(&Deployment::new("retro", "r", content()).unwrap())
        .unwrap();
    let (mut a, va) = store.deployment("retro").unwrap().unwrap();
    let (mut b, vb) = store.deployment("retro").unwrap().unwrap();
    a.apply(
        1,
        &app,
        Command::Submit,
        "on the evidence given",
        &f,
        Timestamp(1),
    )
    .unwrap();
    store.save_deployment(&a, va, &mut ok).unwrap();
    let mut edited = content();
    edited.purpose = "Something else".into();
    b.apply(
        1,
        &app,
        Command::Edit {
            content: Box::new(edited),
        },
        "on the evidence given",
        &f,
        Timestamp(2),
    )
    .unwrap();
    assert!(matches!(
        store.save_deployment(&b, vb, &mut ok),
        Err(StoreError::Conflict {
            expected: 1,
            found: 2,
            ..
        })
    ));
    let (stored, _) = store.deployment("retro").unwrap().unwrap();
    assert_eq!(stored.revisions[0].content.purpose, "Identify suspects");
    assert_eq!(stored.revisions[0].state, State::Submitted);
}

#[test]
fn a_failed_ledger_append_saves_nothing() {
    let store = SqliteStore::open_in_memory().unwrap();
    let f = Framework::default_template();
    let app = Actor::new("applicant-1", Role::Applicant, "bc");
    store
        .create_deployment(&Deployment::new("retro", "r", content()).unwrap())
        .unwrap();
    let (mut d, v) = store.deployment("retro").unwrap().unwrap();
    d.apply(
        1,
        &app,
        Command::Submit,
        "on the evidence given",
        &f,
        Timestamp(1),
    )
    .unwrap();
    let mut failing = || Err("the ledger cannot be written".to_string());
    match store.save_deployment(&d, v, &mut failing) {
        Err(StoreError::BeforeCommit(why)) => assert!(why.contains("ledger")),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        store.deployment("retro").unwrap().unwrap(),
        (Deployment::new("retro", "r", content()).unwrap(), 1)
    );
}

#[test]
fn an_older_database_is_migrated_and_keeps_its_data() {
    let path = file("upgrade");
    let f = Framework::default_template();
    {
        let store = SqliteStore::open(&path).unwrap();
        store.import_framework(&f).unwrap();
    }
    // Make it look like a database written before migration 2 existed.
    let conn = rusqlite_connection(&path);
    conn.execute_batch(
        "DROP TABLE ledger_marks; DROP TABLE counters; DROP TABLE import_rows; DROP TABLE reference_images; DROP TABLE person_events; DROP TABLE persons; \
         DROP TABLE documents; DROP TABLE sessions; DROP TABLE accounts; PRAGMA user_version = 1;",
    )
    .unwrap();
    drop(conn);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store.schema_version().unwrap(),
        waarborg_store::SCHEMA_VERSION
    );
    assert_eq!(store.framework(&f.id()).unwrap(), Some(f));
    use waarborg_store::{Account, AccountStore};
    let account = Account {
        display_name: "Admin".into(),
        ..Account::new("admin", vec![Role::Administrator], "it")
    };
    store
        .create_account(&account, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")
        .unwrap();
    assert_eq!(store.account("admin").unwrap(), Some((account, 1)));
}

#[test]
fn documents_are_versioned_and_logged_before_commit() {
    use waarborg_store::DocumentStore;
    let store = SqliteStore::open_in_memory().unwrap();
    let doc = serde_json::json!({"stage": "searched"});
    store
        .create_document("search", "s1", "examiner-1", &doc, &mut ok)
        .unwrap();
    assert!(matches!(
        store.create_document("search", "s1", "x", &doc, &mut ok),
        Err(StoreError::Exists(_))
    ));
    let mut failing = || Err("ledger down".to_string());
    assert!(store
        .create_document("search", "s2", "x", &doc, &mut failing)
        .is_err());
    assert_eq!(
        store.document("search", "s2").unwrap(),
        None,
        "nothing stored when the log fails"
    );
    let changed = serde_json::json!({"stage": "proposed"});
    assert_eq!(
        store
            .save_document("search", "s1", &changed, 1, &mut ok)
            .unwrap(),
        2
    );
    assert!(matches!(
        store.save_document("search", "s1", &doc, 1, &mut ok),
        Err(StoreError::Conflict { found: 2, .. })
    ));
    assert_eq!(store.document("search", "s1").unwrap(), Some((changed, 2)));
    store
        .create_document("search", "s3", "examiner-2", &doc, &mut ok)
        .unwrap();
    assert_eq!(
        store.documents("search", Some("examiner-2")).unwrap().len(),
        1
    );
    assert_eq!(store.documents("search", None).unwrap().len(), 2);
}

/// Issue 23 item 7: the database file (sessions, second-factor secrets) is private: created
/// 0600, and tightened to 0600 when found open to others.
#[test]
fn the_database_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("waarborg-store-private-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("waarborg.sqlite");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    drop(SqliteStore::open(&path).unwrap());
    assert_eq!(mode(&path), 0o600);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(mode(&path), 0o600);
    store.deployments().unwrap();
    let wal = dir.join("waarborg.sqlite-wal");
    if wal.exists() {
        assert_eq!(
            mode(&wal) & 0o077,
            0,
            "the WAL file follows the database's mode"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 23 item 9: expired sessions are purged; live ones stay.
#[test]
fn expired_sessions_are_purged_and_live_ones_stay() {
    use waarborg_store::{Account, AccountStore, Session};
    let store = SqliteStore::open(&file("sessions")).unwrap();
    store
        .create_account(
            &Account::new("examiner-1", vec![Role::Examiner], "unit"),
            "$hash",
        )
        .unwrap();
    for (token, expires) in [("old", 100), ("live", 10_000)] {
        let session = Session {
            user: "examiner-1".into(),
            role: Role::Examiner,
            csrf: "c".into(),
            expires,
        };
        store.create_session(token, &session).unwrap();
    }
    assert_eq!(store.purge_sessions(5_000).unwrap(), 1);
    assert!(store.session("live", 5_000).unwrap().is_some());
    assert!(
        store.session("old", 0).unwrap().is_none(),
        "gone, not just expired"
    );
    assert_eq!(store.purge_sessions(5_000).unwrap(), 0);
}
