//! Use cases at the application layer's boundary, on a real SQLite store and a real ledger
//! on disk: what each answers, and what each leaves in the ledger — a refusal logged as a
//! refusal, a refused change leaving no entry at all.

use std::sync::Arc;

use waarborg_app::gate::{self, Ask};
use waarborg_app::{account, cases, governance, jobs, App, AppError};
use waarborg_govern::case::{AuthorityKind, CaseAuthorisation};
use waarborg_govern::framework::Framework;
use waarborg_govern::gate::Action;
use waarborg_govern::revision::{Command, Deployment};
use waarborg_govern::{Actor, Role, Timestamp};
use waarborg_ledger::{Ledger, NoteSigner};
use waarborg_store::{AccountStore, DocumentStore, SqliteStore, Store};

const NOW: i64 = 1_800_000_000;
const MODELS: [&str; 2] = [
    "9cc6e4a75f0e2bf0b1aed94578f144d15175f357bdc05e815e5c4a02b319eb4f",
    "a3562ef62592bf387f6ef19151282ac127518e51c77696e62e0661bee95ba1ad",
];

fn app(name: &str) -> App {
    let dir = std::env::temp_dir().join(format!("waarborg-app-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = SqliteStore::open(&dir.join("waarborg.sqlite")).unwrap();
    store
        .import_framework(&Framework::default_template())
        .unwrap();
    let signer = NoteSigner::generate("waarborg.test/ledger").unwrap();
    let (ledger, _) = Ledger::open(&dir.join("ledger"), signer).unwrap();
    App {
        store,
        ledger,
        clock: waarborg_app::fixed_clock(Timestamp(NOW)),
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
    }
}

/// `app` with an active CATCH-like deployment `catch-demo`, approved through the chain.
fn with_deployment(name: &str) -> App {
    let app = app(name);
    let content = waarborg_govern::demo::catch_like_content(
        MODELS.iter().map(|m| m.to_string()).collect(),
        Timestamp(NOW - 86_400),
    );
    let mut d = Deployment::new("catch-demo", "CATCH-like", content).unwrap();
    waarborg_govern::demo::approve_through_chain(
        &mut d,
        1,
        &Framework::default_template(),
        Timestamp(NOW),
    )
    .unwrap();
    app.store.create_deployment(&d).unwrap();
    // The examiner holds an account and a current competence record.
    use waarborg_store::AccountStore;
    app.store
        .create_account(
            &waarborg_store::Account::new("examiner-1", vec![Role::Examiner], "biometrics-centre"),
            "unused",
        )
        .unwrap();
    waarborg_app::competence::qualify(
        &app,
        &Actor::new("competence-1", Role::CompetenceAdministrator, "training"),
        "examiner-1",
        Role::Examiner,
        "catch-demo",
        [Timestamp(NOW + 86_400 * 365); 2],
    )
    .unwrap();
    app
}

fn examiner() -> Actor {
    let (user, role, unit) = waarborg_govern::demo::PEOPLE
        .iter()
        .find(|(_, r, _)| *r == Role::Examiner)
        .unwrap();
    Actor::new(user, *role, unit)
}

fn ask<'a>(deployment: &'a str, case: Option<&'a str>, models: &'a [String]) -> Ask<'a> {
    Ask {
        action: Action::Search,
        deployment,
        case_number: case,
        databases: None,
        probe_source: Some("crime_scene_cctv"),
        models,
    }
}

fn models() -> Vec<String> {
    MODELS.iter().map(|m| m.to_string()).collect()
}

/// The kinds of the ledger's entries from `from` on.
fn kinds_since(app: &App, from: u64) -> Vec<String> {
    (from..app.ledger.size())
        .map(|i| {
            let entry: serde_json::Value =
                serde_json::from_slice(&app.ledger.entry(i).unwrap()).unwrap();
            entry["event"]["kind"]
                .as_str()
                .or(entry["kind"].as_str())
                .unwrap_or("?")
                .to_string()
        })
        .collect()
}

#[test]
fn an_unknown_deployment_or_case_is_a_logged_refusal_of_the_gate() {
    let app = with_deployment("gate-unknown");
    let models = models();
    for (deployment, case, code) in [
        ("no-such-use", Some("OM-1"), "unknown_deployment"),
        ("catch-demo", Some("OM-NEVER-ASKED"), "no_case"),
        ("catch-demo", None, "no_case"),
    ] {
        let before = app.ledger.size();
        let answer = gate::check(&app, &examiner(), &ask(deployment, case, &models)).unwrap();
        let refusal = answer.decision.unwrap_err();
        assert_eq!(refusal.code(), code);
        assert_eq!(kinds_since(&app, before), ["refusal"], "{code}");
        // The same ask through `require` is Forbidden with the gate's code in the detail.
        match gate::require(&app, &examiner(), &ask(deployment, case, &models)) {
            Err(AppError::Forbidden {
                code: "gate_refused",
                detail,
            }) => {
                assert!(detail.starts_with(code), "{detail}")
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_granted_case_is_permitted_and_nothing_is_logged_by_the_gate() {
    let app = with_deployment("gate-permit");
    let officer = Actor::new("officer-1", Role::Requester, "investigation");
    let prosecutor = Actor::new("prosecutor-1", Role::CompetentAuthority, "om")
        .acting_as(waarborg_govern::case::AuthorityKind::PublicProsecutor);
    let c = CaseAuthorisation::request(
        &officer,
        "OM-1",
        "catch-demo",
        "armed robbery",
        "robbery",
        12,
        AuthorityKind::PublicProsecutor,
        false,
        Timestamp(NOW),
    )
    .unwrap();
    cases::record_request(&app, &officer, &c).unwrap();
    let models = models();
    let refused = gate::check(&app, &examiner(), &ask("catch-demo", Some("OM-1"), &models))
        .unwrap()
        .decision
        .unwrap_err();
    assert_eq!(refused.code(), "not_authorised");
    cases::record_decision(&app, &prosecutor, "OM-1", true, "proportionate").unwrap();
    let before = app.ledger.size();
    let answer = gate::check(&app, &examiner(), &ask("catch-demo", Some("OM-1"), &models)).unwrap();
    assert_eq!(answer.decision.unwrap().revision, "catch-demo/1");
    assert_eq!(answer.databases, ["criminal"]);
    assert_eq!(
        app.ledger.size(),
        before,
        "a permit is logged by the operation"
    );
}

#[test]
fn a_refused_governance_step_is_logged_as_a_refusal_and_changes_nothing() {
    let app = with_deployment("governance-refused");
    let (_, version) = app.store.deployment("catch-demo").unwrap().unwrap();
    let before = app.ledger.size();
    let auditor = Actor::new("auditor-1", Role::Auditor, "audit");
    let step = governance::Step {
        deployment: "catch-demo",
        version: None,
        revision: None,
        command: Command::Ratify,
        reason: "not mine to ratify",
    };
    let e = governance::apply_step(&app, &auditor, step).unwrap_err();
    assert!(e.is_refusal(), "{e:?}");
    assert_eq!(e.code(), "refused");
    assert_eq!(e.rule().map(|r| r.code()), Some("wrong_role"));
    assert_eq!(kinds_since(&app, before), ["refusal"]);
    let entry: serde_json::Value =
        serde_json::from_slice(&app.ledger.entry(before).unwrap()).unwrap();
    let reason = entry["event"]["reason"]
        .as_str()
        .or(entry["reason"].as_str())
        .unwrap_or_default();
    assert!(
        reason.starts_with("wrong_role: auditor may not ratify"),
        "{entry}"
    );
    let (_, after) = app.store.deployment("catch-demo").unwrap().unwrap();
    assert_eq!(after, version, "the store is unchanged");

    // An unknown deployment is not found, and leaves nothing (nothing was attempted on it).
    let before = app.ledger.size();
    let step = governance::Step {
        deployment: "nowhere",
        version: None,
        revision: None,
        command: Command::Ratify,
        reason: "x",
    };
    let e = governance::apply_step(&app, &auditor, step).unwrap_err();
    assert!(matches!(e, AppError::NotFound(_)), "{e:?}");
    assert_eq!(app.ledger.size(), before);
}

/// Issue 21: the licence a revision carries is the model cache's, not the applicant's; an
/// operational use on research models is refused at activation, logged, and stays approved;
/// the same content marked as a demonstration runs.
#[test]
fn the_model_caches_licence_decides_whether_a_use_may_run_operationally() {
    let mut app = app("licences");
    app.model_licences = MODELS
        .iter()
        .map(|h| waarborg_govern::revision::ModelLicence {
            sha256: h.to_string(),
            licence: "non-commercial research only".into(),
            operational_use: false,
        })
        .collect();
    app.model_evaluations = vec![evaluation(364)];
    let framework = Framework::default_template();
    for (id, demonstration) in [("ops", false), ("demo", true)] {
        let mut content =
            waarborg_govern::demo::catch_like_content(models(), Timestamp(NOW - 86_400));
        content.demonstration = demonstration;
        // What the applicant claims is overwritten by what the cache records.
        content.technology.licences = app
            .model_licences
            .iter()
            .map(|l| waarborg_govern::revision::ModelLicence {
                operational_use: true,
                licence: "all rights granted".into(),
                ..l.clone()
            })
            .collect();
        let applicant = Actor::new("applicant-1", Role::Applicant, "biometrics-centre");
        governance::propose(&app, &applicant, id, "Use", content).unwrap();
        let (d, _) = app.store.deployment(id).unwrap().unwrap();
        let licences = &d.revision(1).unwrap().content.technology.licences;
        assert_eq!(licences, &app.model_licences, "{id}");
        let before = app.ledger.size();
        let last = through_the_chain(&app, id, &framework);
        let (d, _) = app.store.deployment(id).unwrap().unwrap();
        let state = d.revision(1).unwrap().effective_state(Timestamp(NOW));
        if demonstration {
            assert!(last.is_ok(), "{last:?}");
            assert_eq!(state, waarborg_govern::revision::State::Active);
        } else {
            let e = last.unwrap_err();
            assert_eq!(e.rule().map(|r| r.code()), Some("not_ready_for_use"));
            assert!(e.to_string().contains("models_licensed"), "{e}");
            assert_eq!(state, waarborg_govern::revision::State::AuthorityApproved);
            assert_eq!(
                kinds_since(&app, before).last().map(String::as_str),
                Some("refusal")
            );
        }
    }
}

/// Takes deployment `id`'s draft through the demo's chain of steps, stopping at the first
/// one refused; the last step's outcome.
fn through_the_chain(
    app: &App,
    id: &str,
    framework: &Framework,
) -> Result<(u64, Vec<waarborg_govern::revision::Event>), AppError> {
    let mut last = Ok((0, Vec::new()));
    for (actor, command, why) in waarborg_govern::demo::chain_steps(framework) {
        let step = governance::Step {
            deployment: id,
            version: None,
            revision: None,
            command,
            reason: if why.is_empty() {
                "on the evidence"
            } else {
                why
            },
        };
        last = governance::apply_step(app, &actor, step);
        if last.is_err() {
            break;
        }
    }
    last
}

fn evaluation(mated_pairs: u64) -> waarborg_govern::revision::ModelEvaluation {
    waarborg_govern::revision::ModelEvaluation {
        models: MODELS.iter().rev().map(|m| m.to_string()).collect(),
        dataset_sha256: "d".repeat(64),
        evaluated_at: "2026-12-01T10:00:00Z".into(),
        images: 104,
        mated_pairs,
        non_mated_pairs: 4992,
        non_mated_mean: Some(0.054),
        non_mated_max: Some(0.651),
        at_fmr: Vec::new(),
        gallery_size: 1_000_000,
        fpir_target: 0.01,
        recommended_threshold: None,
        recommended_not_computed: None,
    }
}

/// Issue 21 item 2: the accuracy evidence a revision carries is the model cache's
/// evaluation of exactly its models; an operational use without enough of it gets no
/// positive advice (refused, logged), whatever the applicant wrote; with it, the use runs.
#[test]
fn the_model_caches_evaluation_is_the_evidence_an_operational_use_needs() {
    let mut app = app("evaluations");
    app.model_licences = MODELS
        .iter()
        .map(|h| waarborg_govern::revision::ModelLicence {
            sha256: h.to_string(),
            licence: "licensed for operational use".into(),
            operational_use: true,
        })
        .collect();
    // One evaluation of other models, one on too few pairs: neither counts.
    let mut other = evaluation(5000);
    other.models[0] = "e".repeat(64);
    app.model_evaluations = vec![other, evaluation(120)];
    let framework = Framework::default_template();
    let applicant = Actor::new("applicant-1", Role::Applicant, "biometrics-centre");
    let run = |app: &App, id: &str| {
        let mut content =
            waarborg_govern::demo::catch_like_content(models(), Timestamp(NOW - 86_400));
        content.demonstration = false;
        content.technology.evaluation = Some(evaluation(100_000));
        governance::propose(app, &applicant, id, "Use", content).unwrap();
        let last = through_the_chain(app, id, &framework);
        let (d, _) = app.store.deployment(id).unwrap().unwrap();
        let r = d.revision(1).unwrap();
        (
            last,
            r.content.technology.evaluation.clone(),
            r.effective_state(Timestamp(NOW)),
        )
    };
    let before = app.ledger.size();
    let (last, carried, state) = run(&app, "unevaluated");
    assert_eq!(
        carried.map(|e| e.mated_pairs),
        Some(120),
        "the applicant's claim replaced"
    );
    let e = last.unwrap_err();
    assert_eq!(e.rule().map(|r| r.code()), Some("precondition_fails"));
    assert!(
        e.to_string().contains("models_evaluated") && e.to_string().contains("120 mated pairs"),
        "{e}"
    );
    assert_ne!(state, waarborg_govern::revision::State::Active);
    assert_eq!(
        kinds_since(&app, before).last().map(String::as_str),
        Some("refusal")
    );

    app.model_evaluations.push(evaluation(364));
    let (last, carried, state) = run(&app, "evaluated");
    assert!(last.is_ok(), "{last:?}");
    assert_eq!(carried.map(|e| e.mated_pairs), Some(364));
    assert_eq!(state, waarborg_govern::revision::State::Active);
}

#[test]
fn a_stale_step_is_a_conflict_and_leaves_no_entry() {
    let app = with_deployment("governance-stale");
    let chief = Actor::new("chief-1", Role::ChiefOfPolice, "leadership");
    let before = app.ledger.size();
    let step = governance::Step {
        deployment: "catch-demo",
        version: Some(999),
        revision: None,
        command: Command::Suspend,
        reason: "on the evidence",
    };
    let e = governance::apply_step(&app, &chief, step).unwrap_err();
    assert_eq!(e.code(), "conflict");
    assert_eq!(app.ledger.size(), before);
}

#[test]
fn a_second_request_for_the_same_case_is_refused_before_it_is_logged() {
    let app = with_deployment("case-twice");
    let officer = Actor::new("officer-1", Role::Requester, "investigation");
    let c = CaseAuthorisation::request(
        &officer,
        "OM-2",
        "catch-demo",
        "robbery",
        "robbery",
        12,
        AuthorityKind::PublicProsecutor,
        false,
        Timestamp(NOW),
    )
    .unwrap();
    cases::record_request(&app, &officer, &c).unwrap();
    let before = app.ledger.size();
    let e = cases::record_request(&app, &officer, &c).unwrap_err();
    assert_eq!(e.code(), "conflict");
    assert_eq!(app.ledger.size(), before);
    // Even when the check before it is raced: the store's own refusal comes before the
    // ledger append (`create_case_logged`).
    let mut logged = false;
    let raced = app.store.create_case_logged(&c, &mut || {
        logged = true;
        Ok(Vec::new())
    });
    assert!(raced.is_err());
    assert!(!logged, "the ledger step ran for a case that was not kept");
}

/// Issue 19 item 7: a case request for an offence the use in force does not cover (a
/// shoplifting case under a use for offences of four years or more) is refused when it is
/// asked, logged, and no case is kept — not found out at the examiner's first search.
#[test]
fn a_request_outside_the_scope_in_force_is_refused_when_asked() {
    let app = with_deployment("case-scope");
    let officer = Actor::new("officer-1", Role::Requester, "investigation");
    let form = cases::CaseRequest {
        case_number: "OM-4".into(),
        deployment: "catch-demo".into(),
        offence: "shoplifting".into(),
        offence_category: "theft".into(),
        max_sentence_years: 1,
        authority: "public_prosecutor".into(),
        urgent: None,
        justification: "The shop's camera is the only lead in this case.".into(),
    };
    let before = app.ledger.size();
    let e = cases::request(&app, &officer, &form).unwrap_err();
    assert_eq!(
        e.rule().map(|r| r.code()),
        Some("offence_outside_scope"),
        "{e}"
    );
    assert!(app.store.case("OM-4").unwrap().is_none(), "nothing kept");
    assert_eq!(
        kinds_since(&app, before),
        ["refusal"],
        "the refusal, logged"
    );
    // Within scope it is taken.
    let within = cases::CaseRequest {
        case_number: "OM-5".into(),
        offence: "armed robbery".into(),
        offence_category: "robbery".into(),
        max_sentence_years: 12,
        ..form
    };
    // Issue 19 item 7: without a justification the authority can weigh, refused and logged.
    let before = app.ledger.size();
    let unjustified = cases::CaseRequest {
        justification: "needed".into(),
        ..within.clone()
    };
    let e = cases::request(&app, &officer, &unjustified).unwrap_err();
    assert_eq!(e.rule().map(|r| r.code()), Some("case_unjustified"), "{e}");
    assert_eq!(kinds_since(&app, before), ["refusal"]);
    assert!(app.store.case("OM-5").unwrap().is_none());
    cases::request(&app, &officer, &within).unwrap();
    assert!(app.store.case("OM-5").unwrap().is_some());
    assert!(app
        .store
        .case("OM-5")
        .unwrap()
        .unwrap()
        .0
        .justification
        .contains("only lead"));
}

#[test]
fn an_unknown_authority_in_a_request_form_is_refused_not_defaulted() {
    let app = with_deployment("case-authority");
    let officer = Actor::new("officer-1", Role::Requester, "investigation");
    let form = cases::CaseRequest {
        case_number: "OM-3".into(),
        deployment: "catch-demo".into(),
        offence: "robbery".into(),
        offence_category: "robbery".into(),
        max_sentence_years: 12,
        authority: "the mayor".into(),
        urgent: None,
        justification: "The shop's camera is the only lead in this case.".into(),
    };
    let e = cases::request(&app, &officer, &form).unwrap_err();
    assert_eq!(e.code(), "bad_request");
    assert!(app.store.case("OM-3").unwrap().is_none());
}

#[test]
fn a_refused_account_leaves_no_ledger_entry() {
    let app = app("accounts");
    let admin = Actor::new("admin-1", Role::Administrator, "it");
    let new = |user: &str, password: &str, roles: Vec<Role>| account::NewAccount {
        user: user.into(),
        display_name: user.into(),
        roles,
        unit: "x".into(),
        authority: None,
        password: password.into(),
    };
    let before = app.ledger.size();
    for (refused, why) in [
        (new("a", "short", vec![Role::Auditor]), "bad_request"),
        (new("b", "long enough password", vec![]), "bad_request"),
        // A competent authority's account says which authority the person is.
        (
            new("d", "long enough password", vec![Role::CompetentAuthority]),
            "bad_request",
        ),
    ] {
        let e = account::create_account_by(&app, &admin, refused).unwrap_err();
        assert_eq!(e.code(), why);
    }
    assert_eq!(app.ledger.size(), before);
    account::create_account_by(
        &app,
        &admin,
        new("c", "long enough password", vec![Role::Auditor]),
    )
    .unwrap();
    assert_eq!(kinds_since(&app, before), ["governance_decision"]);
    let e = account::create_account_by(
        &app,
        &admin,
        new("c", "another long password", vec![Role::Auditor]),
    )
    .unwrap_err();
    assert_eq!(e.code(), "conflict");
    assert_eq!(
        app.ledger.size(),
        before + 1,
        "a taken name leaves no entry"
    );
    assert!(app.store.account("c").unwrap().is_some());
}

#[test]
fn the_scheduled_duties_start_sign_a_checkpoint_and_stop() {
    let app = Arc::new(with_deployment("jobs"));
    let running = jobs::Jobs::start(app.clone()).unwrap();
    // The frequent duty runs at once: a checkpoint covering the deployment's entries.
    let mut signed = 0;
    for _ in 0..200 {
        signed = app
            .ledger
            .latest_checkpoint()
            .map_or(0, |c| c.checkpoint.size);
        if signed > 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    running.stop();
    assert_eq!(signed, app.ledger.size());
}

/// The kept verification follows the ledger at the cost of the new entries: its figures
/// equal a full recount, a reader after growth gets it current, and a ledger changed in
/// place is verified again from the start at once — and then publishes no figures.
#[test]
fn the_kept_verification_and_figures_follow_the_ledger() {
    let app = with_deployment("audit-watch");
    let first = waarborg_app::audit::current(&app).unwrap();
    assert!(first.report.is_ok(), "{:?}", first.report.problems);
    assert_eq!(first.report.entries, app.ledger.size());
    // Growth: refused gate checks append entries; the next reader sees them counted.
    let models = models();
    for _ in 0..3 {
        gate::check(&app, &examiner(), &ask("no-such-use", None, &models)).unwrap();
    }
    let grown = waarborg_app::audit::current(&app).unwrap();
    assert_eq!(grown.report.entries, app.ledger.size());
    let year = waarborg_app::publication::year_of(app.now());
    let kept = waarborg_app::audit::public_figures(&app, year).unwrap();
    let period = waarborg_report::Period::new(
        &format!("{year:04}-01-01"),
        &format!("{:04}-01-01", year + 1),
    )
    .unwrap();
    let recounted = waarborg_report::figures_of_verified(app.ledger.dir(), &period).unwrap();
    // (The entries are written at the wall clock's time, so the year's figures can be empty
    // when the app's clock is in another year; equal either way.)
    assert_eq!(*kept, recounted);
    let again = waarborg_app::audit::current(&app).unwrap();
    assert!(
        Arc::ptr_eq(&grown, &again),
        "unchanged: the kept result, not a new one"
    );

    // One byte changed in place: the entries file has the same length and a new time stamp.
    let entries = app.ledger.dir().join(waarborg_ledger::ENTRIES_FILE);
    let mut bytes = std::fs::read(&entries).unwrap();
    let at = bytes.windows(8).position(|w| w == b"\"reason\"").unwrap() + 11;
    bytes[at] ^= 0x01;
    std::fs::write(&entries, bytes).unwrap();
    // (A distinct time stamp, however coarse the file system's clock.)
    std::fs::File::options()
        .write(true)
        .open(&entries)
        .unwrap()
        .set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(10))
        .unwrap();
    let damaged = waarborg_app::audit::current(&app).unwrap();
    assert!(!damaged.report.is_ok());
    assert!(waarborg_app::audit::public_figures(&app, year)
        .unwrap_err()
        .contains("does not verify"));
}

/// Who sees which case, and from whom a decision is due: the requester their own requests,
/// the competent authority every one — deciding on none of their own.
#[test]
fn cases_are_seen_and_decided_by_the_right_people() {
    let app = with_deployment("case-visibility");
    let ask = |who: &Actor, number: &str| {
        let c = CaseAuthorisation::request(
            who,
            number,
            "catch-demo",
            "robbery",
            "robbery",
            12,
            AuthorityKind::PublicProsecutor,
            false,
            Timestamp(NOW),
        )
        .unwrap();
        cases::record_request(&app, who, &c).unwrap();
    };
    let officer = Actor::new("officer-1", Role::Requester, "investigation");
    let other = Actor::new("officer-2", Role::Requester, "investigation");
    ask(&officer, "OM-A");
    ask(&other, "OM-B");
    let numbers = |who: &Actor| -> Vec<String> {
        cases::overview(&app, who)
            .unwrap()
            .into_iter()
            .map(|(c, _)| c.case_number)
            .collect()
    };
    assert_eq!(numbers(&officer), ["OM-A"]);
    assert_eq!(numbers(&other), ["OM-B"]);
    let prosecutor = Actor::new("prosecutor-1", Role::CompetentAuthority, "om")
        .acting_as(waarborg_govern::case::AuthorityKind::PublicProsecutor);
    assert_eq!(numbers(&prosecutor), ["OM-A", "OM-B"]);
    // Examiners work on any case; a verifier's work reaches them search by search.
    assert_eq!(numbers(&examiner()), ["OM-A", "OM-B"]);
    assert!(numbers(&Actor::new(
        "verifier-1",
        Role::Verifier,
        "biometrics-centre"
    ))
    .is_empty());
    let cases: Vec<_> = cases::overview(&app, &prosecutor)
        .unwrap()
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    assert!(cases
        .iter()
        .all(|c| cases::decision_due_from(&prosecutor, c)));
    assert!(!cases::decision_due_from(&officer, &cases[0]));
    cases::record_decision(&app, &prosecutor, "OM-A", true, "proportionate").unwrap();
    let decided: Vec<_> = cases::overview(&app, &prosecutor)
        .unwrap()
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    assert!(
        !cases::decision_due_from(&prosecutor, &decided[0]),
        "decided once"
    );
}

/// A framework version is imported by an administrator, logged once: the same text again
/// changes nothing and logs nothing; another text under that version is a conflict.
#[test]
fn a_framework_import_is_logged_once_and_a_version_is_immutable() {
    let app = app("framework-import");
    let admin = Actor::new("operator", Role::Administrator, "operations");
    let mut v2 = Framework::default_template();
    v2.version = 2;
    let before = app.ledger.size();
    assert!(governance::import_framework(&app, &admin, &v2).unwrap());
    assert_eq!(kinds_since(&app, before), ["governance_decision"]);
    assert!(app.store.framework(&v2.id()).unwrap().is_some());

    let before = app.ledger.size();
    assert!(!governance::import_framework(&app, &admin, &v2).unwrap());
    let mut other = v2.clone();
    other.title.push_str(" (changed)");
    let e = governance::import_framework(&app, &admin, &other).unwrap_err();
    assert_eq!(e.code(), "conflict", "{e}");
    let e = governance::import_framework(&app, &examiner(), &v2).unwrap_err();
    assert_eq!(e.code(), "forbidden", "{e}");
    assert_eq!(app.ledger.size(), before, "nothing logged");
    assert_eq!(
        app.store.framework(&v2.id()).unwrap().unwrap().title,
        v2.title
    );
}

/// The register's reads: the uses a search can run under now, one deployment with the
/// framework its review runs under, and an unknown one not found.
#[test]
fn the_register_is_read_through_the_application_layer() {
    let app = with_deployment("register-reads");
    use waarborg_app::register;
    assert_eq!(
        register::in_use(&app).unwrap(),
        [("catch-demo".to_string(), "CATCH-like".to_string())]
    );
    let (d, version, framework) =
        register::deployment_under_review(&app, &examiner(), "catch-demo").unwrap();
    assert_eq!((d.id.as_str(), version), ("catch-demo", 1));
    assert_eq!(framework.id(), Framework::default_template().id());
    assert_eq!(
        register::deployment(&app, "nowhere").unwrap_err().code(),
        "not_found"
    );
    let published = register::published(&app).unwrap();
    assert_eq!(published.len(), 1);
    assert!(
        published[0].1.is_some(),
        "texts prefilled from the revision"
    );
}

/// Issue 23: another applicant cannot rewrite a deployment's published texts, nor end its
/// use; nothing of either reaches the ledger as done.
#[test]
fn another_applicant_neither_rewrites_the_texts_nor_ends_the_use() {
    let app = with_deployment("ownership");
    let other = Actor::new("applicant-2", Role::Applicant, "biometrics-centre");
    let (text, version) = waarborg_app::publication::publication(&app.store, "catch-demo").unwrap();
    let before = app.ledger.size();
    let e = waarborg_app::publication::save_publication(&app, &other, "catch-demo", &text, version)
        .unwrap_err();
    assert_eq!(e.code(), "forbidden", "{e}");
    assert_eq!(app.ledger.size(), before, "nothing logged");
    let step = governance::Step {
        deployment: "catch-demo",
        version: None,
        revision: None,
        command: Command::End,
        reason: "not mine to end",
    };
    let e = governance::apply_step(&app, &other, step).unwrap_err();
    assert_eq!(e.rule().map(|r| r.code()), Some("not_own_applicant"));
    assert_eq!(kinds_since(&app, before), ["refusal"]);
    let (d, _) = app.store.deployment("catch-demo").unwrap().unwrap();
    assert!(d.active_revision(Timestamp(NOW)).is_some(), "still in use");
}

/// Issue 23 item 1: a malformed identifier — a case number with path segments, a
/// deployment id or user name outside its rule — is bad input at every entry point,
/// refused before anything is looked up or logged; a well-formed unknown one is the gate's
/// logged refusal.
#[test]
fn malformed_identifiers_are_refused_at_every_entry_point_and_never_logged() {
    let app = with_deployment("identifiers");
    let before = app.ledger.size();
    let officer = Actor::new("officer-1", Role::Requester, "investigation");
    let form = cases::CaseRequest {
        case_number: "OM-X/../../cases/OM-Y".into(),
        deployment: "catch-demo".into(),
        offence: "robbery".into(),
        offence_category: "robbery".into(),
        max_sentence_years: 12,
        authority: "public_prosecutor".into(),
        urgent: None,
        justification: "The shop's camera is the only lead in this case.".into(),
    };
    let e = cases::request(&app, &officer, &form).unwrap_err();
    assert_eq!(e.code(), "bad_request", "{e}");
    assert!(e.to_string().contains("case number"), "{e}");

    let models = models();
    for (deployment, case) in [
        ("../catch-demo", Some("OM-1")),
        ("catch-demo", Some("OM 1\n")),
    ] {
        let e = gate::check(&app, &examiner(), &ask(deployment, case, &models)).unwrap_err();
        assert_eq!(e.code(), "bad_request", "{deployment} {case:?}: {e}");
    }
    let admin = Actor::new("admin-1", Role::Administrator, "it");
    let e = account::create_account_by(
        &app,
        &admin,
        account::NewAccount {
            user: "Admin/../x".into(),
            display_name: "x".into(),
            roles: vec![Role::Auditor],
            unit: "x".into(),
            authority: None,
            password: "correct horse battery staple".into(),
        },
    )
    .unwrap_err();
    assert_eq!(e.code(), "bad_request", "{e}");
    assert_eq!(app.ledger.size(), before, "nothing logged");

    // Well-formed but unknown: the gate refuses and logs it.
    let answer = gate::check(
        &app,
        &examiner(),
        &ask("elsewhere", Some("OM-404"), &models),
    );
    assert!(answer.unwrap().decision.is_err());
    assert_eq!(kinds_since(&app, before), ["refusal"]);
}

/// Issue 22 item 1: when the store's commit fails after the ledger entries were appended
/// (a full disk; injected here after the real append), the ledger says the change was not
/// kept (a `void` entry naming them), and every figure — the kept running ones and a
/// report counted afresh — counts it as never having happened.
#[test]
fn a_commit_that_fails_after_its_entries_are_appended_is_voided_and_never_counted() {
    let app = with_deployment("void");
    let refusals = |r: &waarborg_report::Report| r.overall.refusals.values().sum::<u64>();
    let all_time = |app: &App| {
        waarborg_app::audit::current(app)
            .unwrap()
            .all_time
            .clone()
            .unwrap()
    };
    let counted = refusals(&all_time(&app));
    let before = app.ledger.size();
    let attempt = waarborg_ledger::Event::Refusal(waarborg_ledger::Refusal {
        user: "examiner-1".into(),
        role: "examiner".into(),
        attempted: "search under catch-demo".into(),
        reason: "no_case: a test".into(),
        deployment_revision: None,
        case_authorisation: None,
        count: None,
    });
    let failed: Result<(), AppError> = app.commit(&[attempt], |log| {
        log().map_err(waarborg_store::StoreError::BeforeCommit)?;
        Err(waarborg_store::StoreError::BeforeCommit(
            "database or disk is full".into(),
        ))
    });
    assert!(failed.is_err());
    assert_eq!(kinds_since(&app, before), ["refusal", "void"]);
    let void: serde_json::Value =
        serde_json::from_slice(&app.ledger.entry(before + 1).unwrap()).unwrap();
    assert_eq!(void["event"]["entries"], serde_json::json!([before]));
    // The kept figures had counted the refusal before the void came: counted again.
    assert_eq!(refusals(&all_time(&app)), counted);
    // A report from the ledger, counted afresh.
    let period = waarborg_report::Period::new("2000-01-01", "2100-01-01").unwrap();
    let report = waarborg_report::figures_of_verified(app.ledger.dir(), &period).unwrap();
    assert_eq!(refusals(&report), counted);
    // What was kept is counted as before.
    app.log(waarborg_ledger::Event::Refusal(waarborg_ledger::Refusal {
        user: "examiner-1".into(),
        role: "examiner".into(),
        attempted: "search under catch-demo".into(),
        reason: "no_case: kept".into(),
        deployment_revision: None,
        case_authorisation: None,
        count: None,
    }))
    .unwrap();
    assert_eq!(refusals(&all_time(&app)), counted + 1);
}

/// Issue 22 item 1: a probe image left by a submission whose search was not kept is
/// removed before the service takes requests, with a deletion receipt first.
#[test]
fn orphan_probes_are_removed_with_a_receipt() {
    let app = app("orphans");
    let sha = "ab".repeat(32);
    app.probes.put(&sha, b"not kept").unwrap();
    let before = app.ledger.size();
    assert_eq!(waarborg_app::search::remove_orphan_probes(&app).unwrap(), 1);
    assert_eq!(kinds_since(&app, before), ["deletion_receipt"]);
    assert!(!app.probes.contains(&sha));
    assert_eq!(waarborg_app::search::remove_orphan_probes(&app).unwrap(), 0);
}

/// Issue 23 item 9: a flood of refused attempts does not flood the ledger, and no attempt
/// goes uncounted: twenty a minute per person and kind one by one, the rest of the minute as
/// one entry with their count (logged once the minute is over), and the figures count all.
#[test]
fn a_flood_of_refusals_is_logged_counted_not_one_by_one() {
    static CLOCK: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(NOW);
    let mut app = with_deployment("flood");
    app.clock = Arc::new(|| CLOCK.load(std::sync::atomic::Ordering::SeqCst));
    let refusals = |app: &App| {
        waarborg_app::audit::current(app)
            .unwrap()
            .all_time
            .clone()
            .unwrap()
            .overall
            .refusals
            .get("unknown_deployment")
            .copied()
            .unwrap_or(0)
    };
    let before = app.ledger.size();
    let models = models();
    for _ in 0..50 {
        let answer = gate::check(&app, &examiner(), &ask("elsewhere", None, &models)).unwrap();
        assert!(answer.decision.is_err());
    }
    assert_eq!(
        app.ledger.size() - before,
        20,
        "twenty one by one; thirty held"
    );
    CLOCK.fetch_add(61, std::sync::atomic::Ordering::SeqCst);
    gate::check(&app, &examiner(), &ask("elsewhere", None, &models)).unwrap();
    assert_eq!(
        app.ledger.size() - before,
        22,
        "the held count, then the new one"
    );
    let held: serde_json::Value =
        serde_json::from_slice(&app.ledger.entry(before + 20).unwrap()).unwrap();
    assert_eq!(held["event"]["count"], 30, "{held}");
    assert_eq!(refusals(&app), 51, "every attempt counted");
    // Another person is not held back by this one's flood.
    let other = Actor::new("examiner-2", Role::Examiner, "biometrics-centre");
    gate::check(&app, &other, &ask("elsewhere", None, &models)).unwrap();
    assert_eq!(app.ledger.size() - before, 23);
    // At shutdown, what is held is logged.
    for _ in 0..25 {
        gate::check(&app, &examiner(), &ask("elsewhere", None, &models)).unwrap();
    }
    let size = app.ledger.size();
    app.flush_refusals(true).unwrap();
    assert_eq!(app.ledger.size(), size + 1);
    assert_eq!(refusals(&app), 51 + 1 + 25);
}

/// Issue 23: a second-factor secret is sealed with the data key, never in the clear in the
/// database; after a data key rotation `refdb rekey` seals it under the new key, and the
/// old key can be retired without locking anyone out.
#[test]
fn second_factor_secrets_are_sealed_and_follow_a_key_rotation() {
    use waarborg_app::account::{self, FactorState, SecondFactorForm};
    let mut app = app("sealed-factor");
    let dir = app.probes.dir().to_path_buf();
    let old_key = waarborg_seal::Key::generate().unwrap();
    app.probes = waarborg_refdb::vault::Vault::open(
        &dir,
        waarborg_seal::Keyring::new(old_key.clone(), Vec::new()),
    )
    .unwrap();
    waarborg_app::account::create_account(
        &app,
        &Actor::new("operator", Role::Administrator, "operations"),
        waarborg_store::Account::new("examiner-1", vec![Role::Examiner], "unit"),
        "correct horse battery staple",
    )
    .unwrap();
    let who = examiner();
    let start = SecondFactorForm {
        action: "start".into(),
        code: String::new(),
    };
    account::change_second_factor(&app, &who, &start).unwrap();
    let FactorState::Pending { secret, .. } = account::second_factor_state(&app, &who).unwrap()
    else {
        panic!("pending expected")
    };
    let kept = app.store.second_factor("examiner-1").unwrap().unwrap();
    assert!(kept.secret_base32.starts_with("sealed:"), "{kept:?}");
    let db = app.ledger.dir().parent().unwrap().join("waarborg.sqlite");
    let bytes = [
        std::fs::read(&db).unwrap(),
        std::fs::read(db.with_extension("sqlite-wal")).unwrap_or_default(),
    ]
    .concat();
    assert!(
        !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "the secret is in the database in the clear"
    );

    // A rotation: the new key current, the old one still readable; reseal; retire the old.
    let new_key = waarborg_seal::Key::generate().unwrap();
    let both = waarborg_seal::Keyring::new(new_key.clone(), vec![old_key]);
    assert_eq!(
        account::reseal_second_factors(&app.store, &both).unwrap(),
        1
    );
    assert_eq!(
        account::reseal_second_factors(&app.store, &both).unwrap(),
        0
    );
    app.probes =
        waarborg_refdb::vault::Vault::open(&dir, waarborg_seal::Keyring::new(new_key, Vec::new()))
            .unwrap();
    assert_eq!(
        account::second_factor_state(&app, &who).unwrap(),
        FactorState::Pending {
            uri: match account::second_factor_state(&app, &who).unwrap() {
                FactorState::Pending { uri, .. } => uri,
                other => panic!("{other:?}"),
            },
            secret,
        }
    );
}

/// Issue 23 item 9: the service's own verification is pinned to the genesis key given from
/// outside (`ledger_public_key`): a ledger whose genesis names another key does not verify.
#[test]
fn the_kept_verification_is_pinned_to_the_configured_key() {
    let mut app = app("pinned");
    let right = app.ledger.current_key().unwrap();
    app.caches.ledger = waarborg_app::audit::Watch::pinned(right);
    let v = waarborg_app::audit::current(&app).unwrap();
    assert!(v.report.is_ok(), "{:?}", v.report.problems);
    assert_eq!(v.report.key_source, waarborg_ledger::KeySource::Trusted);

    let other = NoteSigner::generate("waarborg.test/ledger")
        .unwrap()
        .verifier();
    app.caches.ledger = waarborg_app::audit::Watch::pinned(other);
    let v = waarborg_app::audit::current(&app).unwrap();
    assert!(!v.report.is_ok());
    assert!(
        v.report
            .problems
            .iter()
            .any(|p| p.message.contains("is not the trusted key")),
        "{:?}",
        v.report.problems
    );
    let v = waarborg_app::audit::verify_fully(&app).unwrap();
    assert!(!v.report.is_ok(), "the full verification is pinned too");
}

/// A framework version `n` imported by an administrator: one logged change.
fn import_version(app: &App, n: u32) {
    let admin = Actor::new("operator", Role::Administrator, "operations");
    let mut f = Framework::default_template();
    f.version = n;
    assert!(governance::import_framework(app, &admin, &f).unwrap());
}

/// Issue 22 item 3: a change records in its own transaction which ledger entry it claims
/// (index and leaf hash), and the reconciliation at start finds store and ledger agreeing.
#[test]
fn a_change_records_the_entry_it_claims_and_the_two_agree() {
    let app = app("marks");
    let first = waarborg_app::consistency::reconcile(&app.store, &app.ledger).unwrap();
    assert!(first.voided.is_empty());
    let before = app.ledger.size();
    import_version(&app, 2);
    let marks = app.store.ledger_marks(before).unwrap();
    assert_eq!(marks.len(), 1);
    assert_eq!(marks[0].entry, before);
    assert_eq!(Some(marks[0].leaf), app.ledger.leaf(before));
    let again = waarborg_app::consistency::reconcile(&app.store, &app.ledger).unwrap();
    assert_eq!((again.from, again.marks), (first.to, 1));
    assert!(again.voided.is_empty());
    // Refusals claim nothing: no mark, and nothing to reconcile.
    let before = app.ledger.size();
    app.log_refusal(waarborg_ledger::Event::Refusal(waarborg_ledger::Refusal {
        user: "examiner-1".into(),
        role: "examiner".into(),
        attempted: "search".into(),
        reason: "no_case: a test".into(),
        deployment_revision: None,
        case_authorisation: None,
        count: None,
    }))
    .unwrap();
    assert!(app.store.ledger_marks(before).unwrap().is_empty());
    let r = waarborg_app::consistency::reconcile(&app.store, &app.ledger).unwrap();
    assert!(r.voided.is_empty());
}

/// Issue 22 item 3: the service died between a change's ledger entry and the store's
/// commit (the entry appended here as the commit's step would, the commit never made): the
/// next start voids that entry, reports count it as never having happened, and a second
/// start finds nothing more.
#[test]
fn an_entry_whose_commit_never_came_is_voided_at_the_next_start() {
    let app = app("crash-between");
    waarborg_app::consistency::reconcile(&app.store, &app.ledger).unwrap();
    import_version(&app, 2);
    let orphan = app
        .ledger
        .append(waarborg_ledger::Event::GovernanceDecision(
            waarborg_ledger::GovernanceDecision {
                actor: "operator".into(),
                role: "administrator".into(),
                action: "import_framework".into(),
                subject: "framework inzetkader@3".into(),
                reason: "never committed".into(),
                framework_version: None,
                about: None,
            },
        ))
        .unwrap()
        .index;
    let r = waarborg_app::consistency::reconcile(&app.store, &app.ledger).unwrap();
    assert_eq!(r.voided, vec![orphan]);
    assert_eq!(kinds_since(&app, orphan), ["governance_decision", "void"]);
    let r = waarborg_app::consistency::reconcile(&app.store, &app.ledger).unwrap();
    assert!(r.voided.is_empty(), "repaired once");
    let report = waarborg_ledger::verify(app.ledger.dir(), None).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
}

/// Issue 22 item 3: differences a crash cannot make stop the start, naming what differs,
/// and write nothing: an unclaimed change before a claimed one (a store restored from an
/// older copy), a claimed entry the ledger does not have, and a ledger shorter than when
/// the two last agreed (entries cut).
#[test]
fn differences_a_crash_cannot_make_stop_the_start() {
    use waarborg_app::consistency::{reconcile, RECONCILED_TO};
    let refused = |app: &App, needle: &str| {
        let size = app.ledger.size();
        let e = reconcile(&app.store, &app.ledger).unwrap_err();
        assert_eq!(e.code(), "ledger_store_disagree");
        assert!(e.to_string().contains(needle), "{e}");
        assert_eq!(app.ledger.size(), size, "nothing written");
    };

    let app = app("disagree-order");
    reconcile(&app.store, &app.ledger).unwrap();
    let stray = app
        .ledger
        .append(waarborg_ledger::Event::GovernanceDecision(
            waarborg_ledger::GovernanceDecision {
                actor: "operator".into(),
                role: "administrator".into(),
                action: "create_account".into(),
                subject: "account ghost".into(),
                reason: "no record".into(),
                framework_version: None,
                about: None,
            },
        ))
        .unwrap()
        .index;
    import_version(&app, 2);
    refused(&app, &format!("entries {stray})"));

    let app2 = self::app("disagree-missing");
    reconcile(&app2.store, &app2.ledger).unwrap();
    let size = app2.ledger.size();
    app2.store
        .record(&mut || {
            Ok(vec![waarborg_store::LedgerMark {
                entry: size + 3,
                leaf: [7; 32],
            }])
        })
        .unwrap();
    refused(&app2, &format!("entry {}", size + 3));

    let app3 = self::app("disagree-other");
    reconcile(&app3.store, &app3.ledger).unwrap();
    import_version(&app3, 2);
    let last = app3.ledger.size() - 1;
    app3.store
        .record(&mut || {
            Ok(vec![waarborg_store::LedgerMark {
                entry: last,
                leaf: [9; 32],
            }])
        })
        .unwrap();
    refused(&app3, "is another one");

    let app4 = self::app("disagree-cut");
    reconcile(&app4.store, &app4.ledger).unwrap();
    app4.store
        .set_counter(RECONCILED_TO, app4.ledger.size() + 5)
        .unwrap();
    refused(&app4, "entries were cut");
}

/// Issue 23 (ASVS 2.1.1/2.1.2): a password has 12 to 128 characters — any passphrase, not
/// megabytes for the hashing; a longer one at login fails like a wrong one, unhashed.
#[test]
fn passwords_have_12_to_128_characters_and_a_longer_login_is_a_plain_failure() {
    let app = app("password-bounds");
    let admin = Actor::new("operator", Role::Administrator, "operations");
    let new = |password: &str| account::NewAccount {
        user: "auditor-2".into(),
        display_name: "Auditor".into(),
        roles: vec![Role::Auditor],
        unit: "audit".into(),
        authority: None,
        password: password.into(),
    };
    let before = app.ledger.size();
    for (password, says) in [
        ("short", "at least 12"),
        (&"p".repeat(129)[..], "at most 128"),
    ] {
        let e = account::create_account_by(&app, &admin, new(password)).unwrap_err();
        assert!(e.to_string().contains(says), "{e}");
    }
    assert_eq!(app.ledger.size(), before, "refused accounts leave no entry");
    let passphrase = "word ".repeat(25) + "end";
    assert_eq!(passphrase.chars().count(), 128);
    account::create_account_by(&app, &admin, new(&passphrase)).unwrap();
    let e = account::login(
        &app,
        "10.0.0.1",
        "auditor-2",
        &"p".repeat(10_000),
        None,
        Role::Auditor,
    )
    .unwrap_err();
    assert_eq!(e.code(), "login_failed");
    assert!(account::login(
        &app,
        "10.0.0.1",
        "auditor-2",
        &passphrase,
        None,
        Role::Auditor
    )
    .is_ok());
}

/// Issue 22: a commit fails after its entry, and the `void` cannot be written either (the
/// disk full for it too): the void is held and written before anything else, so no later
/// entry is logged while the change that was not kept still looks kept; the next start's
/// reconciliation then finds the two agreeing.
#[test]
fn a_void_that_cannot_be_written_is_held_and_written_first() {
    let app = app("held-void");
    waarborg_app::consistency::reconcile(&app.store, &app.ledger).unwrap();
    let before = app.ledger.size();
    let failed: Result<(), AppError> = app.commit(
        &[waarborg_ledger::Event::GovernanceDecision(
            waarborg_ledger::GovernanceDecision {
                actor: "operator".into(),
                role: "administrator".into(),
                action: "create_account".into(),
                subject: "account never-kept".into(),
                reason: "roles auditor".into(),
                framework_version: None,
                about: None,
            },
        )],
        |log| {
            log().map_err(waarborg_store::StoreError::BeforeCommit)?;
            app.ledger.fail_next_write(); // the void's write
            Err(waarborg_store::StoreError::BeforeCommit(
                "database or disk is full".into(),
            ))
        },
    );
    assert!(failed.is_err());
    assert_eq!(
        kinds_since(&app, before),
        ["governance_decision"],
        "no void yet"
    );
    import_version(&app, 2);
    assert_eq!(
        kinds_since(&app, before),
        ["governance_decision", "void", "governance_decision"],
        "the held void went first"
    );
    let r = waarborg_app::consistency::reconcile(&app.store, &app.ledger).unwrap();
    assert!(r.voided.is_empty(), "nothing left to repair");
}

/// Issue 22: a change of many entries (a retention run's receipts) cut off by a crash is
/// voided whole at the next start, in as many `void` entries as the ledger's limit of
/// indexes per entry needs (a kill -9 during `retention apply` found this).
#[test]
fn a_large_change_cut_off_by_a_crash_is_voided_whole() {
    let app = app("crash-batch");
    waarborg_app::consistency::reconcile(&app.store, &app.ledger).unwrap();
    let receipts: Vec<_> = (0..40)
        .map(|i| {
            waarborg_ledger::Event::DeletionReceipt(waarborg_ledger::DeletionReceipt {
                record_kind: "reference_image".into(),
                record: format!("reference-image:{i}"),
                rule: "retention".into(),
            })
        })
        .collect();
    let first = app.ledger.append_all(&receipts).unwrap()[0].index;
    let r = waarborg_app::consistency::reconcile(&app.store, &app.ledger).unwrap();
    assert_eq!(r.voided, (first..first + 40).collect::<Vec<_>>());
    assert_eq!(
        kinds_since(&app, first + 40),
        ["void", "void", "void"],
        "16 + 16 + 8"
    );
    assert!(
        waarborg_app::consistency::reconcile(&app.store, &app.ledger)
            .unwrap()
            .voided
            .is_empty()
    );
}

/// A granted case `number` requested by officer-1 and decided by prosecutor-1.
fn granted_case(app: &App, number: &str) {
    let officer = Actor::new("officer-1", Role::Requester, "investigation");
    let c = CaseAuthorisation::request(
        &officer,
        number,
        "catch-demo",
        "robbery",
        "robbery",
        12,
        AuthorityKind::PublicProsecutor,
        false,
        Timestamp(NOW),
    )
    .unwrap();
    cases::record_request(app, &officer, &c).unwrap();
    cases::record_decision(app, &prosecutor(), number, true, "proportionate").unwrap();
}

fn prosecutor() -> Actor {
    Actor::new("prosecutor-1", Role::CompetentAuthority, "om")
        .acting_as(waarborg_govern::case::AuthorityKind::PublicProsecutor)
}

/// A search of case `case` made at `created`, on probe `probe` (kept in the vault), with a
/// candidate list and a proposal — as the search loop leaves it (no engine needed here).
fn stored_search(app: &App, id: &str, case: &str, probe: &str, created: Timestamp) {
    use waarborg_app::search::{Candidate, SearchRecord, SearchStage};
    use waarborg_govern::identification::{Identification, Judgement};
    app.probes
        .put(probe, format!("probe {probe}").as_bytes())
        .unwrap();
    let mut identification = Identification::searched(id, case, &examiner().user, 2);
    identification
        .propose(
            &examiner(),
            &Judgement {
                level: "inconclusive".into(),
                reference: None,
                reasons: "too blurred to tell".into(),
                comparison: None,
            },
            &waarborg_govern::scale::ConclusionScale::enfsi(),
        )
        .unwrap();
    let record = SearchRecord {
        id: id.into(),
        examiner: examiner().user,
        case_number: case.into(),
        deployment: "catch-demo".into(),
        revision: "catch-demo/1".into(),
        probe_sha256: probe.into(),
        probe_source: "crime_scene_cctv".into(),
        faces: serde_json::from_value(serde_json::json!([])).unwrap(),
        stage: SearchStage::Searched,
        probe_size: None,
        derivation: None,
        frame: None,
        chosen: Some(0),
        candidates: vec![Candidate {
            rank: 1,
            template: 7,
            reference: 7,
            database: "criminal".into(),
            score: 0.61,
        }],
        identification: Some(identification),
        created,
        erasures: Vec::new(),
        withdrawal: None,
        proficiency: None,
    };
    let doc = serde_json::to_value(&record).unwrap();
    app.store
        .create_document("search", id, &record.examiner, &doc, &mut || Ok(Vec::new()))
        .unwrap();
}

fn search(app: &App, id: &str) -> waarborg_app::search::SearchRecord {
    let (doc, _) = app.store.document("search", id).unwrap().unwrap();
    serde_json::from_value(doc).unwrap()
}

/// The deletion receipts from entry `from` on: (record kind, record, rule's code).
fn receipts_since(app: &App, from: u64) -> Vec<(String, String, String)> {
    (from..app.ledger.size())
        .filter_map(|i| {
            let entry: serde_json::Value =
                serde_json::from_slice(&app.ledger.entry(i).unwrap()).unwrap();
            let e = &entry["event"];
            (e["kind"] == "deletion_receipt").then(|| {
                let field = |k: &str| e[k].as_str().unwrap().to_string();
                let rule = field("rule");
                let code = rule.split([' ', ':', '(']).next().unwrap().to_string();
                (field("record_kind"), field("record"), code)
            })
        })
        .collect()
}

/// Issue 17 item 1: a search's probe (with its faces) and its results are erased when the
/// revision's periods run out (365 and 3,650 days here), each with a receipt naming the kind
/// and the rule; a probe another search still holds stays until that one's period runs out;
/// the record and its count stay; a legal hold keeps a case's material past its periods
/// until released, and its refusals are logged and change nothing.
#[test]
fn probes_and_results_are_erased_when_their_periods_run_out_unless_a_legal_hold_keeps_them() {
    use waarborg_app::retention;
    use waarborg_govern::retention::SearchPart;
    let mut app = with_deployment("search-retention");
    granted_case(&app, "OM-R1");
    granted_case(&app, "OM-R2");
    let (shared, own) = ("aa".repeat(32), "bb".repeat(32));
    let day = |n: i64| Timestamp(NOW).plus(n * Timestamp::DAY);
    stored_search(&app, "S-early", "OM-R1", &shared, day(0));
    stored_search(&app, "S-later", "OM-R1", &shared, day(100));
    stored_search(&app, "S-held", "OM-R2", &own, day(0));

    let at = |app: &mut App, t: Timestamp| app.clock = waarborg_app::fixed_clock(t);
    at(&mut app, day(364));
    let plan = retention::plan(&app.store, app.now()).unwrap();
    assert!(plan.searches.is_empty() && plan.held.is_empty());

    // A legal hold: refused without reasons or by another role, each refusal logged.
    let before = app.ledger.size();
    for (who, reason, code) in [
        (prosecutor(), "", "needs_reasons"),
        (examiner(), "appeal pending", "wrong_role"),
    ] {
        let e = cases::legal_hold(&app, &who, "OM-R2", true, reason).unwrap_err();
        assert_eq!(e.code(), "refused", "{e}");
        assert!(e.to_string().contains(if code == "wrong_role" {
            "may not"
        } else {
            "reasons"
        }));
    }
    assert_eq!(kinds_since(&app, before), ["refusal", "refusal"]);
    assert!(app
        .store
        .case("OM-R2")
        .unwrap()
        .unwrap()
        .0
        .legal_hold
        .is_none());
    assert!(matches!(
        cases::legal_hold(&app, &prosecutor(), "OM-NONE", true, "appeal"),
        Err(AppError::NotFound(_))
    ));
    cases::legal_hold(&app, &prosecutor(), "OM-R2", true, "appeal pending").unwrap();

    // Day 365: the early search's probe period is over; the later one still holds the file.
    at(&mut app, day(365));
    let plan = retention::plan(&app.store, app.now()).unwrap();
    let items = |list: &[retention::SearchItem]| -> Vec<(String, SearchPart)> {
        list.iter().map(|i| (i.search.clone(), i.part)).collect()
    };
    assert_eq!(
        items(&plan.searches),
        [("S-early".into(), SearchPart::Probe)]
    );
    assert_eq!(items(&plan.held), [("S-held".into(), SearchPart::Probe)]);
    let before = app.ledger.size();
    let applied = retention::apply(&app).unwrap();
    assert_eq!((applied.probes, applied.results, applied.held), (1, 0, 1));
    assert_eq!(
        receipts_since(&app, before),
        [(
            "probe".into(),
            "search:S-early".into(),
            "probe_period".into()
        )]
    );
    assert!(
        app.probes.contains(&shared),
        "S-later still holds the image"
    );
    let early = search(&app, "S-early");
    assert!(early.erased(SearchPart::Probe) && !early.erased(SearchPart::SearchResult));
    assert_eq!(
        early.candidates.len(),
        1,
        "the results have their own period"
    );
    assert_eq!(early.erasures[0].rule, "probe_period");
    // Applied again: nothing more.
    let again = retention::apply(&app).unwrap();
    assert_eq!((again.probes, again.results), (0, 0));

    // Day 465: the later search's period is over too: the shared file goes.
    at(&mut app, day(465));
    assert_eq!(retention::apply(&app).unwrap().probes, 1);
    assert!(!app.probes.contains(&shared));
    assert!(app.probes.contains(&own), "held");

    // Day 3650: the results go; the records stay, naming what went.
    at(&mut app, day(3650));
    let before = app.ledger.size();
    let applied = retention::apply(&app).unwrap();
    assert_eq!((applied.probes, applied.results, applied.held), (0, 1, 2));
    assert_eq!(
        receipts_since(&app, before),
        [(
            "search_result".into(),
            "search:S-early".into(),
            "result_period".into()
        )]
    );
    let early = search(&app, "S-early");
    assert!(early.candidates.is_empty() && early.identification.is_none());
    assert_eq!(early.case_number, "OM-R1", "the record stays");

    // The hold released (with reasons): everything past its period goes at the next run.
    let e = cases::legal_hold(&app, &prosecutor(), "OM-R1", false, "nothing held").unwrap_err();
    assert!(e.to_string().contains("not under a legal hold"), "{e}");
    cases::legal_hold(&app, &prosecutor(), "OM-R2", false, "appeal decided").unwrap();
    let applied = retention::apply(&app).unwrap();
    assert_eq!((applied.probes, applied.results, applied.held), (1, 1, 0));
    assert!(!app.probes.contains(&own));
    assert!(retention::plan(&app.store, app.now())
        .unwrap()
        .searches
        .is_empty());
}

/// A consultation entry: (user, record kind, records, purpose, case).
type Read = (String, String, Vec<String>, String, Option<String>);

/// The consultation entries from entry `from` on.
fn consultations_since(app: &App, from: u64) -> Vec<Read> {
    (from..app.ledger.size())
        .filter_map(|i| {
            let entry = waarborg_ledger::Entry::from_bytes(&app.ledger.entry(i).unwrap()).unwrap();
            match entry.event {
                waarborg_ledger::Event::Consultation(c) => Some((
                    c.user,
                    c.record_kind,
                    c.records,
                    c.purpose,
                    c.case_authorisation,
                )),
                _ => None,
            }
        })
        .collect()
}

/// Issue 17 item 2: every read of personal data writes its entry first — who, what (kind
/// and ids, never the data), why — and a page's images are covered by the page's one entry
/// for a while; a read whose entry cannot be written answers nothing.
#[test]
fn every_read_of_personal_data_is_in_the_ledger_first_one_entry_per_page() {
    use waarborg_app::search;
    let mut app = with_deployment("consultations");
    let vault_dir =
        std::env::temp_dir().join(format!("waarborg-app-consult-refs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&vault_dir);
    let vault = waarborg_refdb::vault::Vault::open(
        &vault_dir,
        waarborg_seal::Keyring::new(waarborg_seal::Key::generate().unwrap(), Vec::new()),
    )
    .unwrap();
    vault
        .put(&waarborg_refdb::vault_name(7), b"reference image 7")
        .unwrap();
    app.references = Some(vault);
    granted_case(&app, "OM-C1");
    stored_search(&app, "S-read", "OM-C1", &"cc".repeat(32), Timestamp(NOW));
    let auditor = Actor::new("auditor-1", Role::Auditor, "audit");

    // The examiner's page: one entry naming the search and its candidate, for the case.
    let before = app.ledger.size();
    let (s, _) = search::consult(&app, &examiner(), "S-read").unwrap();
    assert_eq!(s.id, "S-read");
    assert_eq!(
        consultations_since(&app, before),
        [(
            examiner().user,
            "search".into(),
            vec!["search:S-read".into(), "reference-image:7".into()],
            "investigation".into(),
            Some("OM-C1".into())
        )]
    );
    // The images the page loads are covered by it.
    let before = app.ledger.size();
    assert_eq!(
        search::candidate_image(&app, &examiner(), "S-read", "7").unwrap(),
        b"reference image 7"
    );
    assert_eq!(
        search::probe_image(&app, &examiner(), "S-read", search::Rendition::Original).unwrap(),
        b"probe cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
    );
    assert!(consultations_since(&app, before).is_empty());
    // Someone else's read of an image, without the page: its own entry, for oversight.
    search::candidate_image(&app, &auditor, "S-read", "7").unwrap();
    let read = consultations_since(&app, before);
    assert_eq!(read.len(), 1);
    assert_eq!(
        (read[0].1.as_str(), read[0].3.as_str()),
        ("reference_image", "oversight")
    );
    assert_eq!(read[0].2, ["search:S-read", "reference-image:7"]);
    // The cover runs out.
    app.clock = waarborg_app::fixed_clock(Timestamp(NOW + waarborg_app::consult::COVER_SECONDS));
    let before = app.ledger.size();
    search::probe_image(&app, &examiner(), "S-read", search::Rendition::Original).unwrap();
    assert_eq!(consultations_since(&app, before)[0].1, "probe");

    // A page with 50 candidates: one entry.
    let (doc, version) = app.store.document("search", "S-read").unwrap().unwrap();
    let mut many: search::SearchRecord = serde_json::from_value(doc).unwrap();
    many.candidates = (0..50)
        .map(|i| search::Candidate {
            rank: i + 1,
            template: 100 + i as u64,
            reference: 100 + i as u64,
            database: "criminal".into(),
            score: 0.5,
        })
        .collect();
    many.candidates[49].reference = 7;
    app.store
        .save_document(
            "search",
            "S-read",
            &serde_json::to_value(&many).unwrap(),
            version,
            &mut || Ok(Vec::new()),
        )
        .unwrap();
    let before = app.ledger.size();
    search::consult(&app, &auditor, "S-read").unwrap();
    let read = consultations_since(&app, before);
    assert_eq!(read.len(), 1, "one entry for the page");
    assert_eq!(
        read[0].2,
        [
            "search:S-read",
            "reference-image:7",
            "reference-image:100..148"
        ]
    );

    // Lists and cases.
    let before = app.ledger.size();
    assert_eq!(search::searches_for(&app, &auditor).unwrap().len(), 1);
    cases::overview(&app, &prosecutor()).unwrap();
    let read = consultations_since(&app, before);
    assert_eq!(
        read.iter()
            .map(|r| (r.1.as_str(), r.2.clone()))
            .collect::<Vec<_>>(),
        [
            ("search_list", vec!["search:S-read".to_string()]),
            ("case", vec!["case:OM-C1".to_string()])
        ]
    );

    // No entry, no data.
    app.ledger.fail_next_write();
    let e = search::consult(&app, &auditor, "S-read").unwrap_err();
    assert!(!matches!(e, AppError::NotFound(_)), "{e}");
    let officer = Actor::new("privacy-1", Role::PrivacyOfficer, "privacy");
    app.ledger.fail_next_write();
    assert!(
        search::candidate_image(&app, &officer, "S-read", "7").is_err(),
        "an image whose read cannot be logged is not answered"
    );
    assert!(search::candidate_image(&app, &officer, "S-read", "7").is_ok());

    // Issue 17 item 3: who consulted reference image 7, and case OM-C1 — from the ledger.
    use waarborg_app::consult::{self, Ask};
    let ask = |subject: &str, user: Option<&str>| Ask {
        subject: Some(subject.into()),
        user: user.map(str::to_string),
        ..Ask::default()
    };
    let found = consult::consultations(&app, &officer, &ask("reference-image:7", None)).unwrap();
    let readers: std::collections::BTreeSet<&str> =
        found.reads.iter().map(|r| r.user.as_str()).collect();
    assert_eq!(
        readers,
        ["auditor-1", examiner().user.as_str(), "privacy-1"].into()
    );
    let by_case = consult::consultations(&app, &officer, &ask("case:OM-C1", None)).unwrap();
    assert!(
        by_case.reads.len() > found.reads.len(),
        "every read under the case"
    );
    let examiners =
        consult::consultations(&app, &officer, &ask("case:OM-C1", Some(&examiner().user))).unwrap();
    assert!(examiners.reads.iter().all(|r| r.user == examiner().user));
    // The question itself is a logged read.
    let before = app.ledger.size();
    consult::consultations(&app, &officer, &ask("search:S-read", None)).unwrap();
    assert_eq!(
        consultations_since(&app, before)[0].1,
        "consultations",
        "asking is logged"
    );
    // Flags: a read about people under no case; many records in a short time.
    app.read_flags = waarborg_report::consultations::Thresholds {
        subjects: 40,
        window_seconds: 3600,
    };
    consult::log(
        &app,
        &examiner(),
        consult::Read::of("reference_image", vec!["reference-image:7".into()]),
    )
    .unwrap();
    let flagged = consult::consultations(&app, &officer, &ask("reference-image:7", None)).unwrap();
    let flags = |user: &str| -> Vec<&str> {
        flagged
            .reads
            .iter()
            .filter(|r| r.user == user)
            .flat_map(|r| r.flags.clone())
            .collect()
    };
    assert!(
        flags(&examiner().user).contains(&"no_case"),
        "{:?}",
        flagged.reads
    );
    assert!(
        flags("auditor-1").contains(&"many_subjects"),
        "50 candidates > 40"
    );
    assert!(flagged.flagged > 0);
    // Bad questions are refused before anything is read or logged.
    let before = app.ledger.size();
    for bad in [
        ask("<script>", None),
        Ask {
            from: Some("2026-13-01".into()),
            ..Ask::default()
        },
    ] {
        assert_eq!(
            consult::consultations(&app, &officer, &bad)
                .unwrap_err()
                .code(),
            "bad_request"
        );
    }
    assert_eq!(app.ledger.size(), before);
    let _ = std::fs::remove_dir_all(&vault_dir);
}

/// Issue 17 item 4: the data subject. The privacy officer looks a person up (their images
/// with retention, the searches they appeared in, who consulted them — the look-up itself
/// logged), restricts their records (left out of every search until lifted), records a
/// deferral of informing them, and erases them on request — refused while a legal hold keeps
/// a case that shows them; every refusal logged, nothing changed.
#[test]
fn a_data_subject_is_looked_up_restricted_and_erased_on_request() {
    use waarborg_app::subject;
    use waarborg_govern::subject::Step;
    use waarborg_store::{ReferenceRecord, ReferenceStore};
    let mut app = with_deployment("data-subject");
    let dir = std::env::temp_dir().join(format!("waarborg-app-subject-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let keys = waarborg_seal::Keyring::new(waarborg_seal::Key::generate().unwrap(), Vec::new());
    let vault = waarborg_refdb::vault::Vault::open(&dir.join("images"), keys).unwrap();
    let (index, _) =
        waarborg_index::Index::open(&dir.join("index"), waarborg_index::IndexConfig::default())
            .unwrap();
    app.index = Some(Arc::new(index));
    let now = Timestamp(NOW);
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
    for r in &records {
        vault
            .put(&waarborg_refdb::vault_name(r.id), b"image")
            .unwrap();
    }
    app.references = Some(vault);
    app.store
        .add_references(&records, &[], &mut || Ok(Vec::new()))
        .unwrap();
    let person = records[0].provenance.person.clone();
    granted_case(&app, "OM-S1");
    stored_search(&app, "S-subject", "OM-S1", &"dd".repeat(32), now);
    // Make the person's image 1 rank 1 of that search.
    let (doc, version) = app.store.document("search", "S-subject").unwrap().unwrap();
    let mut s: waarborg_app::search::SearchRecord = serde_json::from_value(doc).unwrap();
    s.candidates[0].reference = 1;
    app.store
        .save_document(
            "search",
            "S-subject",
            &serde_json::to_value(&s).unwrap(),
            version,
            &mut || Ok(Vec::new()),
        )
        .unwrap();
    let officer = Actor::new("privacy-1", Role::PrivacyOfficer, "privacy");

    let before = app.ledger.size();
    let view = subject::lookup(&app, &officer, &person).unwrap();
    assert_eq!(view.person.images.len(), 2);
    assert_eq!(view.kept.len(), 2);
    assert!(
        view.kept.iter().all(|k| k.until.is_some()),
        "{:?}",
        view.kept
    );
    assert_eq!(view.appearances.len(), 1);
    assert_eq!(
        (
            view.appearances[0].search.as_str(),
            view.appearances[0].rank
        ),
        ("S-subject", 1)
    );
    let read = consultations_since(&app, before);
    assert_eq!(read[0].1, "person");
    assert_eq!(read[0].3, "data_subject_rights");
    assert_eq!(read[0].2[0], format!("person:{person}"));
    // The look-up shows itself among the consultations of the person.
    let again = subject::lookup(&app, &officer, &person).unwrap();
    assert!(again
        .consultations
        .reads
        .iter()
        .any(|r| r.user == "privacy-1"));

    // Refusals: logged, nothing changed.
    let before = app.ledger.size();
    for (who, whom, step, reason, code) in [
        (
            &officer,
            "P-NOBODY",
            Step::Restrict,
            "asked by letter",
            "not_found",
        ),
        (&officer, person.as_str(), Step::Restrict, "", "refused"),
        (
            &examiner(),
            person.as_str(),
            Step::Restrict,
            "asked by letter",
            "refused",
        ),
        (
            &officer,
            person.as_str(),
            Step::Lift,
            "asked by letter",
            "refused",
        ),
    ] {
        let e = subject::decide(&app, who, whom, step, reason).unwrap_err();
        assert_eq!(e.code(), code, "{whom} {step:?}: {e}");
    }
    assert_eq!(kinds_since(&app, before), ["refusal"; 4]);
    assert!(app
        .store
        .person(&person)
        .unwrap()
        .unwrap()
        .restriction
        .is_none());

    // Restricted: a governance entry first, then kept; the images are left out of searches.
    subject::decide(
        &app,
        &officer,
        &person,
        Step::Restrict,
        "accuracy contested (art. 16)",
    )
    .unwrap();
    assert_eq!(app.store.restricted_references().unwrap(), [1, 2].into());
    let e = subject::decide(&app, &officer, &person, Step::Restrict, "again").unwrap_err();
    assert!(e.to_string().contains("already restricted"), "{e}");
    subject::decide(
        &app,
        &officer,
        &person,
        Step::DeferInforming,
        "would prejudice the investigation",
    )
    .unwrap();
    subject::decide(&app, &officer, &person, Step::Lift, "accuracy checked").unwrap();
    assert!(app.store.restricted_references().unwrap().is_empty());
    let record = app.store.person(&person).unwrap().unwrap();
    assert!(record.informing_deferred.is_some());

    // Erasure: refused under a legal hold on a case that shows the person, then done.
    cases::legal_hold(&app, &prosecutor(), "OM-S1", true, "appeal pending").unwrap();
    let e = subject::decide(&app, &officer, &person, Step::Erase, "erasure requested").unwrap_err();
    assert!(e.to_string().contains("legal hold"), "{e}");
    assert_eq!(app.store.person(&person).unwrap().unwrap().images.len(), 2);
    cases::legal_hold(&app, &prosecutor(), "OM-S1", false, "appeal decided").unwrap();
    let before = app.ledger.size();
    subject::decide(&app, &officer, &person, Step::Erase, "erasure requested").unwrap();
    assert_eq!(
        receipts_since(&app, before)
            .iter()
            .map(|(kind, record, rule)| (kind.as_str(), record.as_str(), rule.as_str()))
            .collect::<Vec<_>>(),
        [
            ("reference_image", "reference-image:1", "erasure_request"),
            ("reference_image", "reference-image:2", "erasure_request")
        ]
    );
    assert!(
        app.store.person(&person).unwrap().is_none(),
        "the person goes with their last image"
    );
    assert!(app.store.reference(3).unwrap().is_some(), "others stay");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 16 with issue 17's periods: a planted proficiency test's gallery images go with its
/// results; an image its own probe and gallery share stays while either part is kept; the
/// truth stays for the scores.
#[test]
fn a_planted_tests_gallery_goes_with_its_results_and_a_shared_image_stays_while_needed() {
    use waarborg_app::proficiency::ProficiencyCase;
    use waarborg_app::retention;
    let mut app = with_deployment("proficiency-retention");
    let day = |n: i64| Timestamp(NOW).plus(n * Timestamp::DAY);
    let (probe, other) = ("cc".repeat(32), "dd".repeat(32));
    stored_search(&app, "S-test", "OM-PT-1", &probe, day(0));
    app.probes.put(&other, b"gallery image").unwrap();
    let (doc, version) = app.store.document("search", "S-test").unwrap().unwrap();
    let mut planted: waarborg_app::search::SearchRecord = serde_json::from_value(doc).unwrap();
    planted.proficiency = Some(ProficiencyCase {
        planted_by: "coordinator-1".into(),
        mated: Some(7),
        // The probe's own image is in its gallery (the mated candidate).
        gallery: vec![(7, probe.clone()), (8, other.clone())],
    });
    app.store
        .save_document(
            "search",
            "S-test",
            &serde_json::to_value(&planted).unwrap(),
            version,
            &mut || Ok(Vec::new()),
        )
        .unwrap();
    let at = |app: &mut App, t: Timestamp| app.clock = waarborg_app::fixed_clock(t);
    // The probe's period ends: its faces go, its image stays (the gallery still shows it).
    at(&mut app, day(366));
    retention::apply(&app).unwrap();
    assert!(app.probes.contains(&probe) && app.probes.contains(&other));
    // The results' period ends: the gallery goes, the shared image with it; the truth stays.
    at(&mut app, day(3651));
    retention::apply(&app).unwrap();
    assert!(!app.probes.contains(&probe) && !app.probes.contains(&other));
    let kept = search(&app, "S-test");
    let case = kept.proficiency.unwrap();
    assert_eq!((case.mated, case.gallery.len()), (Some(7), 0));
}

/// Issue 18 item 1: a case folder holds every search of the case, as each reader may see
/// it — the requester the outcome as a statement (never a candidate, a score or a note),
/// an examiner their own searches with their work, those who oversee everything; a
/// verifier or another requester is refused and the refusal logged. Notes are written by
/// examiners and coordinators; the ledger keeps a note's hash, never its words.
#[test]
fn a_case_folder_shows_each_reader_their_part_and_keeps_the_notes() {
    use waarborg_app::cases::{Conclusion, Statement};
    let app = with_deployment("case-folder");
    granted_case(&app, "OM-F");
    stored_search(&app, "s-f1", "OM-F", &"f1".repeat(32), Timestamp(NOW));
    stored_search(&app, "s-f2", "OM-F", &"f2".repeat(32), Timestamp(NOW + 60));
    // s-f2 concluded: an identification of reference image 7, verified by verifier-1.
    let mut doc = serde_json::to_value(search(&app, "s-f2")).unwrap();
    let at = doc["created"].clone();
    doc["identification"]["verifications"] = serde_json::json!([{"verifier": "verifier-1", "verdict": "agree", "reasons": "the same ear", "at": at}]);
    doc["identification"]["outcome"] =
        serde_json::json!({"outcome": "identification", "reference": 7});
    doc["identification"]["stage"] = serde_json::json!("concluded");
    app.store
        .save_document("search", "s-f2", &doc, 1, &mut || Ok(Vec::new()))
        .unwrap();

    let officer = Actor::new("officer-1", Role::Requester, "investigation");
    let from = app.ledger.size();
    let f = cases::folder(&app, &officer, "OM-F").unwrap();
    assert_eq!(f.view, waarborg_govern::case::FolderView::Outcome);
    assert!(
        f.searches.iter().all(|s| s.record.is_none()),
        "no search's work"
    );
    assert!(f.notes.is_empty() && !f.may_work);
    assert_eq!(f.searches[0].statement, Statement::InProgress);
    match &f.searches[1].statement {
        Statement::Concluded {
            outcome: Conclusion::Identification { reference: 7, .. },
            verified_by,
            ..
        } => assert_eq!(verified_by, &["verifier-1"]),
        other => panic!("expected the identification, got {other:?}"),
    }
    // The read is in the ledger: the case and the reference record the statement names.
    let reads = consultations_since(&app, from);
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].2, ["case:OM-F", "reference-image:7"]);

    // Another requester and a verifier are refused, and the refusals logged.
    for reader in [
        Actor::new("officer-2", Role::Requester, "investigation"),
        Actor::new("verifier-1", Role::Verifier, "biometrics-centre"),
    ] {
        let from = app.ledger.size();
        let refused = cases::folder(&app, &reader, "OM-F");
        assert!(
            matches!(refused, Err(AppError::Forbidden { .. })),
            "{reader:?}"
        );
        assert_eq!(kinds_since(&app, from), ["refusal"], "{reader:?}");
    }
    assert!(matches!(
        cases::folder(&app, &officer, "OM-NONE"),
        Err(AppError::NotFound(_))
    ));

    // Notes: the examiner writes one; empty, too long, or by an auditor: refused, unkept.
    let note = cases::add_note(&app, &examiner(), "OM-F", "  CCTV frame 3 is sharper  ").unwrap();
    assert_eq!(note.text, "CCTV frame 3 is sharper");
    let entry =
        waarborg_ledger::Entry::from_bytes(&app.ledger.entry(app.ledger.size() - 1).unwrap())
            .unwrap();
    let words = serde_json::to_string(&entry.event).unwrap();
    assert!(
        words.contains("add_case_note") && !words.contains("sharper"),
        "{words}"
    );
    for (who, text) in [
        (examiner(), "   "),
        (examiner(), &"x".repeat(cases::MAX_NOTE_CHARS + 1)[..]),
        (Actor::new("auditor-1", Role::Auditor, "audit"), "a finding"),
    ] {
        let before = app.ledger.size();
        assert!(
            cases::add_note(&app, &who, "OM-F", text).is_err(),
            "{who:?}"
        );
        let logged = kinds_since(&app, before);
        assert!(logged.is_empty() || logged == ["refusal"], "{logged:?}");
    }

    // The examiner opens their own searches; an auditor every one; both read the note.
    let f = cases::folder(&app, &examiner(), "OM-F").unwrap();
    assert!(f.searches.iter().all(|s| s.record.is_some()) && f.may_work);
    assert_eq!(f.notes.len(), 1);
    let other = Actor::new("examiner-2", Role::Examiner, "biometrics-centre");
    let f = cases::folder(&app, &other, "OM-F").unwrap();
    assert!(f.searches.iter().all(|s| s.record.is_none()), "not theirs");
    let f = cases::folder(
        &app,
        &Actor::new("auditor-1", Role::Auditor, "audit"),
        "OM-F",
    )
    .unwrap();
    assert!(f.searches.iter().all(|s| s.record.is_some()) && !f.may_work);
    assert_eq!(f.notes.len(), 1);
}

/// Issue 21 item 5: the searches' best scores, as the ledger records them, show per month on
/// the monitoring overview beside the threshold and the models' evaluation.
#[test]
fn the_best_scores_of_searches_show_per_month_for_drift() {
    let app = with_deployment("drift");
    for milli in [200, 250, 300, 350, 700] {
        app.ledger
            .append(waarborg_ledger::Event::BiometricOperation(
                waarborg_ledger::BiometricOperation {
                    operation: waarborg_ledger::Operation::Search,
                    started: waarborg_ledger::entry::now(),
                    ended: waarborg_ledger::entry::now(),
                    user: "examiner-1".into(),
                    role: "examiner".into(),
                    deployment_revision: Some("catch-demo/1".into()),
                    case_authorisation: Some("OM-1".into()),
                    reference_database: Some("criminal".into()),
                    input_sha256: None,
                    verifiers: vec![],
                    model_sha256: vec![],
                    outcome: "20 candidates".into(),
                    best_score_milli: Some(milli),
                },
            ))
            .unwrap();
    }
    let overview = waarborg_app::monitoring::overview(&app).unwrap();
    let drift = overview
        .watched
        .iter()
        .find(|w| w.deployment.as_deref() == Some("catch-demo"))
        .and_then(|w| w.drift.clone())
        .expect("scored searches give a drift row");
    let month = &drift.months[0];
    assert_eq!(month.searches, 5);
    assert_eq!(month.quartiles, [0.25, 0.3, 0.35]);
    // The demo's threshold (0.2) lets all five through.
    assert_eq!(drift.threshold, 0.2);
    assert_eq!(month.at_or_above_threshold, 5);
    assert!(!month.shifted);
}

/// Issue 19 item 3: an indicator out of bounds raises one alert per deployment, month and
/// indicator, by the system, in the ledger before it is kept; only the privacy officer or a
/// committee member acknowledges it, saying what was done.
#[test]
fn a_crossed_threshold_raises_one_alert_that_its_addressees_acknowledge() {
    let app = with_deployment("monitoring");
    let models = models();
    assert!(waarborg_app::monitoring::check(&app).unwrap().is_empty());
    // The template's limit: more than 20 refusals in a month.
    for _ in 0..21 {
        let answer = gate::check(&app, &examiner(), &ask("catch-demo", None, &models)).unwrap();
        assert!(answer.decision.is_err());
    }
    app.flush_refusals(true).unwrap();
    let overview = waarborg_app::monitoring::overview(&app).unwrap();
    let catch = overview
        .watched
        .iter()
        .find(|w| w.deployment.as_deref() == Some("catch-demo"))
        .unwrap();
    let month = catch.months.last().unwrap();
    let refusals = month
        .indicators
        .iter()
        .find(|j| j.indicator == waarborg_govern::monitoring::Indicator::Refusals)
        .unwrap();
    assert_eq!((refusals.reading.count, refusals.crossed), (21, true));
    assert!(overview.alerts.is_empty(), "reading raises nothing");
    let before = app.ledger.size();
    let raised = waarborg_app::monitoring::check(&app).unwrap();
    assert_eq!(raised.len(), 1, "{raised:?}");
    let id = raised[0].id.clone();
    assert!(id.ends_with("-refusals-catch-demo"), "{id}");
    let entry: serde_json::Value =
        serde_json::from_slice(&app.ledger.entry(before).unwrap()).unwrap();
    assert_eq!(entry["event"]["action"], "raise_monitoring_alert");
    assert_eq!(entry["event"]["about"]["indicator"], "refusals");
    assert_eq!(app.ledger.size(), before + 1);
    // Checked again: nothing new.
    assert!(waarborg_app::monitoring::check(&app).unwrap().is_empty());
    assert_eq!(app.ledger.size(), before + 1);
    // An examiner may not acknowledge it: refused, logged, nothing changed.
    let err = waarborg_app::monitoring::acknowledge(&app, &examiner(), &id, "seen it").unwrap_err();
    assert!(matches!(err, AppError::Refused { .. }), "{err:?}");
    assert_eq!(kinds_since(&app, before + 1), ["refusal"]);
    let po = Actor::new("privacy-1", Role::PrivacyOfficer, "privacy");
    let done =
        waarborg_app::monitoring::acknowledge(&app, &po, &id, "asked the unit; a test account")
            .unwrap();
    assert_eq!(done.acknowledged.unwrap().by, "privacy-1");
    let alerts = waarborg_app::monitoring::alerts(&app).unwrap();
    assert!(alerts[0].acknowledged.is_some());
    assert!(matches!(
        waarborg_app::monitoring::acknowledge(&app, &po, "M-nothing", "x y z"),
        Err(AppError::NotFound(_))
    ));
}
