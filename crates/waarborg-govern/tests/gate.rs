//! The gate, table-driven: one permitted request, then one row per refusal reason, each
//! changing exactly one thing.

mod common;

use common::*;
use waarborg_govern::case::{AuthorityKind, CaseAuthorisation};
use waarborg_govern::competence::CompetenceRecord;
use waarborg_govern::framework::Framework;
use waarborg_govern::gate::{check, Action, Refusal, Request};
use waarborg_govern::revision::{Command, Deployment, Mode};
use waarborg_govern::{Actor, Role, Timestamp};

fn requester() -> Actor {
    Actor::new("officer-1", Role::Requester, "investigation")
}

fn case(urgent: bool, granted: Option<bool>, decided_at: Timestamp) -> CaseAuthorisation {
    let mut c = CaseAuthorisation::request(
        &requester(),
        "OM-2027-0001",
        "retro-search",
        "armed robbery",
        "robbery",
        12,
        AuthorityKind::PublicProsecutor,
        urgent,
        T0,
    )
    .unwrap();
    if let Some(g) = granted {
        c.decide(&authority(), g, "proportionate", decided_at)
            .unwrap();
    }
    c
}

struct Row {
    name: &'static str,
    deployment: Deployment,
    /// Ask under a deployment id the register does not hold.
    unknown_deployment: bool,
    /// Ask for a case number no authorisation was requested under.
    unknown_case: bool,
    actor: Actor,
    action: Action,
    case: Option<CaseAuthorisation>,
    databases: Vec<String>,
    probe_source: Option<&'static str>,
    models: Vec<String>,
    competence: Option<CompetenceRecord>,
    now: Timestamp,
}

fn ok_row() -> Row {
    Row {
        name: "permitted",
        deployment: active_deployment(),
        unknown_deployment: false,
        unknown_case: false,
        actor: examiner(),
        action: Action::Search,
        case: Some(case(false, Some(true), T0)),
        databases: vec!["criminal".into()],
        probe_source: Some("crime_scene_cctv"),
        models: vec![MODEL_B.into(), MODEL_A.into()],
        competence: Some(competent("examiner-1", Role::Examiner)),
        now: T0.plus(Timestamp::HOUR),
    }
}

fn run(r: &Row) -> Result<waarborg_govern::gate::Permit, Refusal> {
    check(&Request {
        actor: &r.actor,
        action: r.action,
        deployment: if r.unknown_deployment {
            Err("no-such-deployment")
        } else {
            Ok(&r.deployment)
        },
        case: if r.unknown_case {
            Some(Err("OM-NO-SUCH-CASE"))
        } else {
            r.case.as_ref().map(Ok)
        },
        reference_databases: &r.databases,
        probe_source: r.probe_source,
        model_sha256: &r.models,
        competence: r.competence.as_ref(),
        now: r.now,
    })
}

/// The examiner's competent record, edited.
fn edited(edit: impl FnOnce(&mut CompetenceRecord)) -> CompetenceRecord {
    let mut r = competent("examiner-1", Role::Examiner);
    edit(&mut r);
    r
}

fn with_content(edit: impl FnOnce(&mut waarborg_govern::revision::RevisionContent)) -> Deployment {
    let mut d = active_deployment();
    edit(&mut d.revisions[0].content);
    d
}

#[test]
fn every_refusal_reason_has_a_row() {
    let f = Framework::default_template();
    let permit = run(&ok_row()).unwrap();
    assert_eq!(permit.revision, "retro-search/1");
    assert_eq!(
        (permit.candidate_list_length, permit.verifiers_required),
        (50, 2)
    );
    assert_eq!(permit.urgent_until, None);

    let mut suspended = active_deployment();
    suspended
        .apply(
            1,
            &chief(),
            Command::Suspend,
            "on the evidence given",
            &f,
            T0,
        )
        .unwrap();
    let draft = Deployment::new("retro-search", "x", content()).unwrap();
    let rows: Vec<(Row, &str)> = vec![
        (
            Row {
                name: "unknown deployment",
                unknown_deployment: true,
                ..ok_row()
            },
            "unknown_deployment",
        ),
        (
            Row {
                name: "unknown case",
                unknown_case: true,
                ..ok_row()
            },
            "no_case",
        ),
        (
            Row {
                name: "draft",
                deployment: draft,
                ..ok_row()
            },
            "not_active",
        ),
        (
            Row {
                name: "suspended",
                deployment: suspended,
                ..ok_row()
            },
            "suspended",
        ),
        (
            Row {
                name: "review overdue",
                now: T0.plus(91 * Timestamp::DAY),
                case: Some(case(false, Some(true), T0)),
                ..ok_row()
            },
            "review_overdue",
        ),
        (
            Row {
                name: "expired",
                now: T0.plus(400 * Timestamp::DAY),
                ..ok_row()
            },
            "not_active",
        ),
        (
            Row {
                name: "clock before the validity window",
                now: T0.plus(-2 * Timestamp::DAY),
                case: Some(case(false, Some(true), T0.plus(-3 * Timestamp::DAY))),
                ..ok_row()
            },
            "not_yet_valid",
        ),
        (
            Row {
                name: "real time",
                deployment: with_content(|c| c.mode = Mode::RealTime),
                ..ok_row()
            },
            "real_time",
        ),
        (
            Row {
                name: "other system",
                deployment: with_content(|c| c.system = "catch".into()),
                ..ok_row()
            },
            "other_system",
        ),
        (
            Row {
                name: "verifier searches",
                actor: Actor::new("examiner-1", Role::Verifier, "biometrics-centre"),
                ..ok_row()
            },
            "role",
        ),
        (
            Row {
                name: "auditor searches",
                actor: Actor::new("auditor-1", Role::Auditor, "audit"),
                ..ok_row()
            },
            "role",
        ),
        (
            Row {
                name: "manager searches",
                actor: Actor::new("m", Role::ReferenceDatabaseManager, "x"),
                ..ok_row()
            },
            "role",
        ),
        (
            Row {
                name: "examiner enrols",
                action: Action::Enrol,
                ..ok_row()
            },
            "role",
        ),
        (
            Row {
                name: "unassigned examiner",
                actor: Actor::new("examiner-9", Role::Examiner, "biometrics-centre"),
                ..ok_row()
            },
            "not_assigned",
        ),
        (
            Row {
                name: "examiner with no competence record",
                competence: None,
                ..ok_row()
            },
            "no_qualification",
        ),
        (
            Row {
                name: "facial-comparison qualification expired",
                competence: Some(edited(|r| r.qualifications[0].expires = T0)),
                ..ok_row()
            },
            "qualification_expired",
        ),
        (
            Row {
                name: "no AI-literacy training",
                competence: Some(edited(|r| r.qualifications.truncate(1))),
                ..ok_row()
            },
            "no_ai_literacy",
        ),
        (
            Row {
                name: "AI-literacy training expired",
                competence: Some(edited(|r| r.qualifications[1].expires = T0)),
                ..ok_row()
            },
            "ai_literacy_expired",
        ),
        (
            Row {
                name: "authorised under another deployment only",
                competence: Some(edited(|r| r.authorisations[0].deployment = "other".into())),
                ..ok_row()
            },
            "no_competence_authorisation",
        ),
        (
            Row {
                name: "authorised as verifier only",
                competence: Some(competent("examiner-1", Role::Verifier)),
                ..ok_row()
            },
            "no_competence_authorisation",
        ),
        (
            Row {
                name: "no case",
                case: None,
                ..ok_row()
            },
            "no_case",
        ),
        (
            Row {
                name: "case of another deployment",
                case: Some(CaseAuthorisation {
                    deployment: "other".into(),
                    ..case(false, Some(true), T0)
                }),
                ..ok_row()
            },
            "wrong_deployment",
        ),
        (
            Row {
                name: "pending",
                case: Some(case(false, None, T0)),
                ..ok_row()
            },
            "not_authorised",
        ),
        (
            Row {
                name: "urgent not allowed",
                deployment: with_content(|c| c.urgent_use_allowed = false),
                case: Some(case(true, None, T0)),
                ..ok_row()
            },
            "not_authorised",
        ),
        (
            Row {
                name: "refused",
                case: Some(case(false, Some(false), T0)),
                ..ok_row()
            },
            "authorisation_refused",
        ),
        (
            Row {
                name: "urgent, 48 h passed",
                case: Some(case(true, None, T0)),
                now: T0.plus(49 * Timestamp::HOUR),
                ..ok_row()
            },
            "authorisation_late",
        ),
        (
            Row {
                name: "urgent, authorised late",
                case: Some(case(true, Some(true), T0.plus(50 * Timestamp::HOUR))),
                now: T0.plus(51 * Timestamp::HOUR),
                ..ok_row()
            },
            "authorisation_late",
        ),
        (
            Row {
                name: "minor offence",
                case: Some(CaseAuthorisation {
                    max_sentence_years: 2,
                    ..case(false, Some(true), T0)
                }),
                ..ok_row()
            },
            "offence_out_of_scope",
        ),
        (
            Row {
                name: "category out of scope",
                deployment: with_content(|c| c.scope.offence_categories = vec!["homicide".into()]),
                ..ok_row()
            },
            "offence_out_of_scope",
        ),
        (
            Row {
                name: "aliens database",
                databases: vec!["criminal".into(), "aliens".into()],
                ..ok_row()
            },
            "database_out_of_scope",
        ),
        (
            Row {
                name: "probe from the internet",
                probe_source: Some("internet"),
                ..ok_row()
            },
            "probe_source_out_of_scope",
        ),
        (
            Row {
                name: "no probe source",
                probe_source: None,
                ..ok_row()
            },
            "probe_source_out_of_scope",
        ),
        (
            Row {
                name: "other model",
                models: vec![MODEL_A.into(), "00".repeat(32)],
                ..ok_row()
            },
            "technology_mismatch",
        ),
        (
            Row {
                name: "missing model",
                models: vec![MODEL_A.into()],
                ..ok_row()
            },
            "technology_mismatch",
        ),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (row, code) in &rows {
        match run(row) {
            Err(refusal) => {
                assert_eq!(refusal.code(), *code, "{}: {refusal}", row.name);
                assert!(!refusal.to_string().is_empty());
                seen.insert(refusal.code());
            }
            Ok(p) => panic!("{}: permitted ({p:?}), expected {code}", row.name),
        }
    }
    // Every variant of Refusal appears in the table.
    assert_eq!(seen.len(), 23, "{seen:?}");
    let mut listed: Vec<&str> = Refusal::CODES.to_vec();
    listed.sort_unstable();
    let seen: Vec<&str> = seen.into_iter().collect();
    assert_eq!(
        seen, listed,
        "Refusal::CODES lists every code the table reaches"
    );
}

#[test]
fn urgent_use_is_permitted_within_48_hours_and_says_so() {
    let row = Row {
        case: Some(case(true, None, T0)),
        now: T0.plus(47 * Timestamp::HOUR),
        ..ok_row()
    };
    let permit = run(&row).unwrap();
    assert_eq!(permit.urgent_until, Some(T0.plus(48 * Timestamp::HOUR)));
    // Authorised in time: a normal permit afterwards.
    let row = Row {
        case: Some(case(true, Some(true), T0.plus(40 * Timestamp::HOUR))),
        now: T0.plus(60 * Timestamp::HOUR),
        ..ok_row()
    };
    assert_eq!(run(&row).unwrap().urgent_until, None);
}

#[test]
fn enrolment_needs_the_manager_and_no_case() {
    let manager = Actor::new(
        "manager-1",
        Role::ReferenceDatabaseManager,
        "biometrics-centre",
    );
    let row = Row {
        action: Action::Enrol,
        actor: manager.clone(),
        case: None,
        probe_source: None,
        ..ok_row()
    };
    assert!(run(&row).is_ok());
    let row = Row {
        action: Action::Enrol,
        actor: manager,
        case: None,
        probe_source: None,
        databases: vec!["aliens".into()],
        ..ok_row()
    };
    assert_eq!(run(&row).unwrap_err().code(), "database_out_of_scope");
}

#[test]
fn searches_before_a_refused_or_late_authorisation_are_marked_for_deletion() {
    let searches = [T0.plus(Timestamp::HOUR), T0.plus(2 * Timestamp::HOUR)];
    let refused = case(true, Some(false), T0.plus(10 * Timestamp::HOUR));
    assert_eq!(
        refused.searches_to_delete(true, &searches, T0.plus(11 * Timestamp::HOUR)),
        vec![0, 1]
    );
    let late = case(true, Some(true), T0.plus(50 * Timestamp::HOUR));
    assert_eq!(
        late.searches_to_delete(true, &searches, T0.plus(51 * Timestamp::HOUR)),
        vec![0, 1]
    );
    let never = case(true, None, T0);
    assert!(
        never
            .searches_to_delete(true, &searches, T0.plus(47 * Timestamp::HOUR))
            .is_empty(),
        "still within the window"
    );
    assert_eq!(
        never.searches_to_delete(true, &searches, T0.plus(49 * Timestamp::HOUR)),
        vec![0, 1]
    );
    let on_time = case(true, Some(true), T0.plus(20 * Timestamp::HOUR));
    assert!(on_time
        .searches_to_delete(true, &searches, T0.plus(60 * Timestamp::HOUR))
        .is_empty());
}

#[test]
fn case_decisions_check_the_actor() {
    let mut c = case(false, None, T0);
    assert!(c.decide(&examiner(), true, "x", T0).is_err());
    // Issue 19 item 7: the kind of authority the request asks decides it, no other; an
    // account whose kind is not set decides nothing.
    let judge = Actor::new("judge-1", Role::CompetentAuthority, "court")
        .acting_as(AuthorityKind::InvestigatingJudge);
    let unset = Actor::new("judge-2", Role::CompetentAuthority, "court");
    for who in [&judge, &unset] {
        match c.decide(who, true, "ok", T0) {
            Err(waarborg_govern::GovernError::Refused(rule)) => {
                assert_eq!(rule.code(), "authority_kind_mismatch", "{rule}")
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(c.decision.is_none());
    assert!(c.decide(&authority(), true, "ok", T0).is_ok());
    assert!(
        c.decide(&authority(), false, "again", T0).is_err(),
        "decided once"
    );
    assert!(CaseAuthorisation::request(
        &examiner(),
        "1",
        "d",
        "o",
        "c",
        4,
        AuthorityKind::InvestigatingJudge,
        false,
        T0
    )
    .is_err());
}
