//! The review chain: the whole walk, and every refusal on the way.

mod common;

use common::*;
use waarborg_govern::framework::Framework;
use waarborg_govern::revision::*;
use waarborg_govern::{Actor, GovernError, Portfolio, Role, Timestamp};

fn refused(r: Result<Vec<Event>, GovernError>, says: &str) {
    match r {
        Err(e @ GovernError::Refused(_)) | Err(e @ GovernError::Invalid(_)) => {
            let why = e.to_string();
            assert!(
                why.contains(says),
                "refused for another reason: {why:?}, expected {says:?}"
            )
        }
        other => panic!("expected a refusal ({says}), got {other:?}"),
    }
}

#[test]
fn the_whole_chain_reaches_active_and_records_every_step() {
    let d = active_deployment();
    let r = d.revision(1).unwrap();
    assert_eq!(r.state, State::Active);
    let actions: Vec<&str> = r.history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(actions.first(), Some(&"submit"));
    assert!(
        actions.ends_with(&["advise", "ratify", "authority_approve", "activate"]),
        "{actions:?}"
    );
    assert!(r
        .history
        .iter()
        .all(|h| h.framework.as_deref() == Some("inzetkader-template@1")));
    assert_eq!(r.assessments.len(), 3);
    assert_eq!(d.active_revision(T0).map(|r| r.number), Some(1));
}

#[test]
fn each_step_refuses_the_wrong_actor_or_state() {
    let f = Framework::default_template();
    let fresh = || Deployment::new("retro-search", "Retrospective search", content()).unwrap();
    // Roles.
    let mut d = fresh();
    refused(
        d.apply(
            1,
            &member(1),
            Command::Submit,
            "on the evidence given",
            &f,
            T0,
        ),
        "needs the role applicant",
    );
    refused(
        d.apply(
            1,
            &chief(),
            Command::Ratify,
            "on the evidence given",
            &f,
            T0,
        ),
        "ratification follows the committee's advice",
    );
    refused(
        d.apply(
            1,
            &applicant(),
            Command::Ratify,
            "on the evidence given",
            &f,
            T0,
        ),
        "needs the role chief_of_police",
    );
    refused(
        d.apply(
            1,
            &Actor::new("other", Role::Applicant, "x"),
            Command::Submit,
            "on the evidence given",
            &f,
            T0,
        ),
        "own applicant",
    );
    // Issue 23: an input-derived size is bounded before it reaches an allocation.
    let mut huge = d.clone();
    huge.revisions[0].content.technology.candidate_list_length = u32::MAX;
    refused(
        huge.apply(
            1,
            &applicant(),
            Command::Submit,
            "on the evidence given",
            &f,
            T0,
        ),
        "at most 200",
    );
    d.apply(
        1,
        &applicant(),
        Command::Submit,
        "on the evidence given",
        &f,
        T0,
    )
    .unwrap();
    refused(
        d.apply(
            1,
            &applicant(),
            Command::Edit {
                content: Box::new(content()),
            },
            "on the evidence given",
            &f,
            T0,
        ),
        "only a draft can be edited",
    );
    // Independence.
    refused(
        d.apply(
            1,
            &Actor::new("applicant-1", Role::ReviewCommitteeMember, "committee"),
            assessment(&f),
            "on the evidence given",
            &f,
            T0,
        ),
        "own proposal",
    );
    refused(
        d.apply(
            1,
            &Actor::new("m", Role::ReviewCommitteeMember, "biometrics-centre"),
            assessment(&f),
            "on the evidence given",
            &f,
            T0,
        ),
        "not independent",
    );
    d.apply(
        1,
        &member(4),
        Command::DeclareConflict,
        "on the evidence given",
        &f,
        T0,
    )
    .unwrap();
    refused(
        d.apply(
            1,
            &member(4),
            assessment(&f),
            "on the evidence given",
            &f,
            T0,
        ),
        "conflict of interest",
    );
    // Completeness and reasons.
    let Command::Assess { judgements } = assessment(&f) else {
        unreachable!()
    };
    refused(
        d.apply(
            1,
            &member(1),
            Command::Assess {
                judgements: judgements[1..].to_vec(),
            },
            "on the evidence given",
            &f,
            T0,
        ),
        "does not judge",
    );
    let mut no_reason = judgements.clone();
    no_reason[2].reasons = " ".into();
    refused(
        d.apply(
            1,
            &member(1),
            Command::Assess {
                judgements: no_reason,
            },
            "on the evidence given",
            &f,
            T0,
        ),
        "gives no reasons",
    );
    d.apply(
        1,
        &member(1),
        assessment(&f),
        "on the evidence given",
        &f,
        T0,
    )
    .unwrap();
    refused(
        d.apply(
            1,
            &member(1),
            assessment(&f),
            "on the evidence given",
            &f,
            T0,
        ),
        "already assessed",
    );
    // Quorum.
    d.apply(
        1,
        &member(2),
        assessment(&f),
        "on the evidence given",
        &f,
        T0,
    )
    .unwrap();
    refused(
        d.apply(
            1,
            &member(1),
            Command::Advise {
                outcome: AdviceOutcome::Positive,
            },
            "on the evidence given",
            &f,
            T0,
        ),
        "needs 3",
    );
    d.apply(
        1,
        &member(3),
        assessment(&f),
        "on the evidence given",
        &f,
        T0,
    )
    .unwrap();
    // Positive advice needs the attestations.
    refused(
        d.apply(
            1,
            &member(1),
            Command::Advise {
                outcome: AdviceOutcome::Positive,
            },
            "on the evidence given",
            &f,
            T0,
        ),
        "not attested",
    );
    refused(
        d.apply(
            1,
            &member(5),
            Command::Advise {
                outcome: AdviceOutcome::Negative,
            },
            "on the evidence given",
            &f,
            T0,
        ),
        "who assessed",
    );
    for (a, c) in attestations(&f) {
        d.apply(1, &a, c, "on the evidence given", &f, T0).unwrap();
    }
    // Negative advice cannot be ratified.
    let mut neg = d.clone();
    neg.apply(
        1,
        &member(2),
        Command::Advise {
            outcome: AdviceOutcome::Negative,
        },
        "on the evidence given",
        &f,
        T0,
    )
    .unwrap();
    refused(
        neg.apply(
            1,
            &chief(),
            Command::Ratify,
            "on the evidence given",
            &f,
            T0,
        ),
        "negative advice",
    );
    neg.apply(
        1,
        &chief(),
        Command::RefuseRatification,
        "on the evidence given",
        &f,
        T0,
    )
    .unwrap();
    assert_eq!(neg.revision(1).unwrap().state, State::RatificationRefused);
    // The authority may decline.
    d.apply(
        1,
        &member(2),
        Command::Advise {
            outcome: AdviceOutcome::PositiveWithConditions,
        },
        "on the evidence given",
        &f,
        T0,
    )
    .unwrap();
    d.apply(
        1,
        &chief(),
        Command::Ratify,
        "on the evidence given",
        &f,
        T0,
    )
    .unwrap();
    refused(
        d.apply(
            1,
            &applicant(),
            Command::Activate,
            "on the evidence given",
            &f,
            T0,
        ),
        "only an approved revision",
    );
    let mut declined = d.clone();
    declined
        .apply(
            1,
            &authority(),
            Command::AuthorityDecision { approve: false },
            "on the evidence given",
            &f,
            T0,
        )
        .unwrap();
    assert_eq!(
        declined.revision(1).unwrap().state,
        State::AuthorityDeclined
    );
    refused(
        declined.apply(
            1,
            &applicant(),
            Command::Activate,
            "on the evidence given",
            &f,
            T0,
        ),
        "only an approved revision",
    );
    // Activation only within the validity window.
    d.apply(
        1,
        &authority(),
        Command::AuthorityDecision { approve: true },
        "on the evidence given",
        &f,
        T0,
    )
    .unwrap();
    refused(
        d.apply(
            1,
            &applicant(),
            Command::Activate,
            "on the evidence given",
            &f,
            T0.plus(-1),
        ),
        "validity window",
    );
    d.apply(
        1,
        &applicant(),
        Command::Activate,
        "on the evidence given",
        &f,
        T0,
    )
    .unwrap();
}

#[test]
fn a_failing_machine_precondition_makes_positive_advice_impossible() {
    let f = Framework::default_template();
    let mut c = content();
    c.dpia.approved = false;
    let mut d = Deployment::new("x", "x", c).unwrap();
    for (a, cmd) in full_chain(&f, false)
        .into_iter()
        .take(4 + attestations(&f).len())
    {
        d.apply(1, &a, cmd, "on the evidence given", &f, T0)
            .unwrap();
    }
    refused(
        d.apply(
            1,
            &member(1),
            Command::Advise {
                outcome: AdviceOutcome::Positive,
            },
            "on the evidence given",
            &f,
            T0,
        ),
        "dpia_approved",
    );
    d.apply(
        1,
        &member(1),
        Command::Advise {
            outcome: AdviceOutcome::Negative,
        },
        "on the evidence given",
        &f,
        T0,
    )
    .unwrap();
}

#[test]
fn fewer_than_two_verifiers_cannot_even_be_submitted() {
    let f = Framework::default_template();
    let mut c = content();
    c.oversight.verifiers_required = 1;
    let mut d = Deployment::new("x", "x", c).unwrap();
    refused(
        d.apply(
            1,
            &applicant(),
            Command::Submit,
            "on the evidence given",
            &f,
            T0,
        ),
        "at least two verifiers",
    );
}

#[test]
fn experiments_need_both_portfolio_holders() {
    let f = Framework::default_template();
    let mut c = content();
    c.experiment = true;
    let mut d = Deployment::new("trial", "Trial", c).unwrap();
    let steps = full_chain(&f, true);
    let before_portfolios = steps
        .iter()
        .position(|(_, c)| *c == Command::ApproveExperiment)
        .unwrap();
    for (a, cmd) in steps[..before_portfolios].iter().cloned() {
        d.apply(1, &a, cmd, "on the evidence given", &f, T0)
            .unwrap();
    }
    refused(
        d.apply(
            1,
            &authority(),
            Command::AuthorityDecision { approve: true },
            "on the evidence given",
            &f,
            T0,
        ),
        "both portfolio holders",
    );
    d.apply(
        1,
        &portfolio(Portfolio::Digitalisation),
        Command::ApproveExperiment,
        "on the evidence given",
        &f,
        T0,
    )
    .unwrap();
    refused(
        d.apply(
            1,
            &portfolio(Portfolio::Digitalisation),
            Command::ApproveExperiment,
            "on the evidence given",
            &f,
            T0,
        ),
        "already approved",
    );
    refused(
        d.apply(
            1,
            &authority(),
            Command::AuthorityDecision { approve: true },
            "on the evidence given",
            &f,
            T0,
        ),
        "both portfolio holders",
    );
    d.apply(
        1,
        &portfolio(Portfolio::EthicsAndPrivacy),
        Command::ApproveExperiment,
        "on the evidence given",
        &f,
        T0,
    )
    .unwrap();
    d.apply(
        1,
        &authority(),
        Command::AuthorityDecision { approve: true },
        "on the evidence given",
        &f,
        T0,
    )
    .unwrap();
}

#[test]
fn research_models_run_only_in_an_experiment_or_a_demonstration() {
    let f = Framework::default_template();
    let research = |c: &mut RevisionContent| {
        for l in &mut c.technology.licences {
            l.operational_use = false;
            l.licence = "non-commercial research only".into();
        }
    };
    for (name, experiment, demonstration, runs) in [
        ("operational", false, false, false),
        ("experiment", true, false, true),
        ("demonstration", false, true, true),
    ] {
        let mut c = content();
        research(&mut c);
        c.experiment = experiment;
        c.demonstration = demonstration;
        // An experiment or a demonstration may also run before the models are evaluated.
        if runs {
            c.technology.evaluation = None;
        }
        let mut d = Deployment::new("trial", "Trial", c).unwrap();
        let mut last = Ok(Vec::new());
        for (a, cmd) in full_chain(&f, experiment) {
            last = d.apply(1, &a, cmd, "on the evidence given", &f, T0);
            if last.is_err() {
                break;
            }
        }
        let state = d.revision(1).unwrap().state;
        if runs {
            assert!(last.is_ok(), "{name}: {last:?}");
            assert_eq!(state, State::Active, "{name}");
        } else {
            let e = last.unwrap_err().to_string();
            assert!(
                e.contains("models_licensed") && e.contains("research"),
                "{e}"
            );
            assert_eq!(state, State::AuthorityApproved, "{name}");
        }
    }
}

#[test]
fn an_overdue_review_suspends_and_a_review_resumes() {
    let f = Framework::default_template();
    let mut d = active_deployment();
    let due = d.revision(1).unwrap().review_due().unwrap();
    assert_eq!(due, T0.plus(90 * Timestamp::DAY));
    assert_eq!(d.revision(1).unwrap().effective_state(due), State::Active);
    let late = due.plus(1);
    assert_eq!(
        d.revision(1).unwrap().effective_state(late),
        State::Suspended
    );
    assert!(d.active_revision(late).is_none());
    refused(
        d.apply(
            1,
            &applicant(),
            Command::Review { continue_use: true },
            "on the evidence given",
            &f,
            late,
        ),
        "needs the role review_committee_member",
    );
    d.apply(
        1,
        &member(2),
        Command::Review { continue_use: true },
        "on the evidence given",
        &f,
        late,
    )
    .unwrap();
    assert_eq!(d.revision(1).unwrap().effective_state(late), State::Active);
    // Expiry ends it.
    let after = T0.plus(366 * Timestamp::DAY);
    assert_eq!(d.revision(1).unwrap().effective_state(after), State::Ended);
    d.apply(
        1,
        &chief(),
        Command::End,
        "on the evidence given",
        &f,
        after,
    )
    .unwrap();
    d.apply(
        1,
        &member(3),
        Command::Evaluate,
        "on the evidence given",
        &f,
        after,
    )
    .unwrap();
    assert_eq!(d.revision(1).unwrap().state, State::Evaluated);
}

#[test]
fn a_new_revision_supersedes_the_running_one_and_a_defect_fix_suspends_it_at_once() {
    let f = Framework::default_template();
    let now = T0.plus(Timestamp::DAY);
    // A change of scope: the running revision continues until the new one is activated.
    let mut d = active_deployment();
    let mut changed = content();
    changed.scope.reference_databases.push("aliens".into());
    refused(
        d.apply(
            1,
            &applicant(),
            Command::Edit {
                content: Box::new(changed.clone()),
            },
            "on the evidence given",
            &f,
            now,
        ),
        "only a draft",
    );
    let n = d.new_revision(&applicant(), changed.clone()).unwrap();
    assert_eq!(n, 2);
    // The changed use keeps its predecessor's assessment, marked for update (Art. 27(2)):
    // no positive advice until the applicant brings it up to date in the draft.
    let marked = &d.revision(2).unwrap().content.fria;
    assert!(!marked.up_to_date && marked.complete().is_err());
    let mut updated = changed.clone();
    updated.fria.up_to_date = true;
    d.apply(
        2,
        &applicant(),
        Command::Edit {
            content: Box::new(updated),
        },
        "",
        &f,
        now,
    )
    .unwrap();
    assert!(
        d.new_revision(&applicant(), changed.clone()).is_err(),
        "one open revision at a time"
    );
    for (a, cmd) in full_chain(&f, false) {
        assert_eq!(
            d.active_revision(now).map(|r| r.number),
            Some(1),
            "revision 1 keeps running during review"
        );
        let events = d
            .apply(2, &a, cmd, "on the evidence given", &f, now)
            .unwrap();
        if a.role == Role::Applicant && events[0].decision.action == "activate" {
            assert_eq!(
                events.len(),
                2,
                "activation reports the superseded revision too"
            );
        }
    }
    assert_eq!(d.revision(1).unwrap().state, State::Superseded);
    assert_eq!(d.active_revision(now).map(|r| r.number), Some(2));

    // A defect correction: the running revision is suspended when the fix is submitted.
    let mut d = active_deployment();
    let mut fix = content();
    fix.corrects_defect = true;
    fix.technology.score_threshold = 0.35;
    d.new_revision(&applicant(), fix).unwrap();
    let events = d
        .apply(
            2,
            &applicant(),
            Command::Submit,
            "on the evidence given",
            &f,
            now,
        )
        .unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(d.revision(1).unwrap().state, State::Suspended);
    assert!(d.active_revision(now).is_none());
}

#[test]
fn a_review_stays_under_the_framework_it_was_submitted_under() {
    let f1 = Framework::default_template();
    let mut f2 = f1.clone();
    f2.version = 2;
    f2.factors.pop();
    let mut d = Deployment::new("x", "x", content()).unwrap();
    d.apply(
        1,
        &applicant(),
        Command::Submit,
        "on the evidence given",
        &f1,
        T0,
    )
    .unwrap();
    refused(
        d.apply(
            1,
            &member(1),
            assessment(&f2),
            "on the evidence given",
            &f2,
            T0,
        ),
        "reviewed under inzetkader-template@1",
    );
    d.apply(
        1,
        &member(1),
        assessment(&f1),
        "on the evidence given",
        &f1,
        T0,
    )
    .unwrap();
    assert_eq!(
        d.revision(1).unwrap().assessments[0].framework,
        "inzetkader-template@1"
    );
}

#[test]
fn a_refused_command_changes_nothing() {
    let f = Framework::default_template();
    let mut d = active_deployment();
    let before = d.clone();
    for (actor, cmd) in [
        (chief(), Command::Ratify),
        (applicant(), Command::Submit),
        (member(1), Command::Evaluate),
        (authority(), Command::AuthorityDecision { approve: false }),
    ] {
        assert!(d
            .apply(1, &actor, cmd, "on the evidence given", &f, T0)
            .is_err());
        assert_eq!(d, before);
    }
}

#[test]
fn frameworks_validate_and_round_trip_as_json() {
    let f = Framework::default_template();
    f.validate().unwrap();
    assert!(f.template, "the shipped framework is marked as a template");
    assert_eq!(f.factors.len(), 10);
    let json = serde_json::to_string_pretty(&f).unwrap();
    assert_eq!(Framework::from_json(&json).unwrap(), f);
    let mut dup = f.clone();
    dup.factors[1].key = dup.factors[0].key.clone();
    assert!(dup
        .validate()
        .unwrap_err()
        .to_string()
        .contains("used twice"));
    let mut no_group = f.clone();
    no_group.preconditions.retain(|p| {
        !matches!(
            p.key.as_str(),
            "register_text" | "accountability_named" | "registered"
        )
    });
    assert!(no_group
        .validate()
        .unwrap_err()
        .to_string()
        .contains("TransparencyAndAccountability"));
    assert!(Framework::from_json("{\"name\": 3}").is_err());
}

#[test]
fn decisions_must_give_reasons_and_record_them() {
    let f = Framework::default_template();
    let mut d = active_deployment();
    refused(
        d.apply(1, &chief(), Command::Suspend, " ", &f, T0),
        "give its reasons",
    );
    d.apply(
        1,
        &chief(),
        Command::Suspend,
        "complaint about misidentification under investigation",
        &f,
        T0,
    )
    .unwrap();
    let last = d.revision(1).unwrap().history.last().unwrap().clone();
    assert_eq!(
        (last.action.as_str(), last.reason.as_str()),
        (
            "suspend",
            "complaint about misidentification under investigation"
        )
    );
    assert_eq!(
        (last.from, last.to, last.actor.as_str()),
        (State::Active, State::Suspended, "chief-1")
    );
}

#[test]
fn the_demo_deployment_passes_the_real_chain() {
    let f = Framework::default_template();
    let mut d = Deployment::new(
        "catch-demo",
        "demo",
        waarborg_govern::demo::catch_like_content(vec![MODEL_A.into(), MODEL_B.into()], T0),
    )
    .unwrap();
    let events = waarborg_govern::demo::approve_through_chain(&mut d, 1, &f, T0).unwrap();
    assert_eq!(d.revision(1).unwrap().state, State::Active);
    assert!(events.len() >= 10);
}

/// Issue 23: another applicant can neither edit, submit, withdraw nor end a revision that is
/// not theirs; the chief of police may end any use; published texts are written by the
/// deployment's own applicant or the privacy officer.
#[test]
fn only_the_revisions_own_applicant_acts_on_it_and_the_chief_may_end_it() {
    let f = Framework::default_template();
    let other = Actor::new("applicant-2", Role::Applicant, "biometrics-centre");
    let mut draft = Deployment::new("d", "d", content()).unwrap();
    for cmd in [
        Command::Edit {
            content: Box::new(content()),
        },
        Command::Submit,
        Command::Withdraw,
    ] {
        let before = draft.clone();
        refused(
            draft.apply(1, &other, cmd, "on the evidence given", &f, T0),
            "own applicant",
        );
        assert_eq!(draft, before);
    }
    let mut d = active_deployment();
    refused(
        d.apply(1, &other, Command::End, "on the evidence given", &f, T0),
        "own applicant",
    );
    assert_eq!(d.revision(1).unwrap().state, State::Active);
    d.apply(1, &chief(), Command::End, "on the evidence given", &f, T0)
        .unwrap();
    assert_eq!(d.revision(1).unwrap().state, State::Ended);

    assert!(d.may_write_texts(&applicant()).is_ok());
    assert!(d.may_write_texts(&privacy()).is_ok());
    for who in [other, chief(), examiner()] {
        assert!(
            matches!(d.may_write_texts(&who), Err(GovernError::Refused(_))),
            "{who:?}"
        );
    }
}

/// Issue 19 items 1–2: no positive advice — and so no use — without a complete, current
/// fundamental-rights impact assessment, its notification to the market surveillance
/// authority and the use's registration; one row per missing piece, each named.
#[test]
fn no_use_without_a_current_fria_its_notification_and_the_registration() {
    let f = Framework::default_template();
    type Change = fn(&mut RevisionContent);
    // One row per missing piece: the step refused (the assessment before the advice; the
    // notification and the registration, done after the approval, before use).
    let rows: Vec<(&str, Change, &str, &str)> = vec![
        (
            "no risks assessed",
            |c| c.fria.risks.clear(),
            "fria_complete",
            "advise",
        ),
        (
            "not brought up to date",
            |c| c.fria.up_to_date = false,
            "fria_complete",
            "advise",
        ),
        (
            "not notified",
            |c| c.fria.notified_on.clear(),
            "fria_notified",
            "activate",
        ),
        (
            "notified without a reference",
            |c| c.fria.notification_reference.clear(),
            "fria_notified",
            "activate",
        ),
        (
            "not registered",
            |c| c.registration_reference.clear(),
            "registered",
            "activate",
        ),
        (
            "a model licensed for research only",
            |c| c.technology.licences[1].operational_use = false,
            "models_licensed",
            "activate",
        ),
        (
            "no licence recorded for a model",
            |c| c.technology.licences.truncate(1),
            "models_licensed",
            "activate",
        ),
        (
            "no accuracy evaluation of the models",
            |c| c.technology.evaluation = None,
            "models_evaluated",
            "advise",
        ),
        (
            "an evaluation of other models",
            |c| {
                c.technology.evaluation = Some(common::evaluation(&[MODEL_A, &"c".repeat(64)], 364))
            },
            "models_evaluated",
            "advise",
        ),
        (
            "an evaluation on too few mated pairs",
            |c| c.technology.evaluation = Some(common::evaluation(&[MODEL_B, MODEL_A], 299)),
            "models_evaluated",
            "advise",
        ),
    ];
    for (name, change, key, step) in rows {
        let mut c = content();
        change(&mut c);
        let mut d = Deployment::new("retro-search", "Retrospective search", c).unwrap();
        let mut refused = None;
        for (actor, command) in full_chain(&f, false) {
            let this = command.name() == step;
            let done = d.apply(1, &actor, command, "on the evidence given", &f, T0);
            if this {
                refused = done.err();
                break;
            }
            done.unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        match refused {
            Some(waarborg_govern::GovernError::Refused(rule)) => {
                let code = if step == "advise" {
                    "precondition_fails"
                } else {
                    "not_ready_for_use"
                };
                assert_eq!(rule.code(), code, "{name}");
                assert!(rule.to_string().contains(key), "{name}: {rule}");
            }
            other => panic!("{name}: expected {step} refused, got {other:?}"),
        }
        assert_ne!(d.revision(1).unwrap().state, State::Active, "{name}");
    }
    // Recorded after the approval, the use starts; after that nothing more is recorded.
    let mut c = content();
    c.fria.notified_on.clear();
    c.registration_reference.clear();
    let mut d = Deployment::new("retro-search", "Retrospective search", c).unwrap();
    for (actor, command) in full_chain(&f, false) {
        if command == Command::Activate {
            break;
        }
        d.apply(1, &actor, command, "on the evidence given", &f, T0)
            .unwrap();
    }
    assert_eq!(d.revision(1).unwrap().state, State::AuthorityApproved);
    let po = Actor::new("privacy-1", Role::PrivacyOfficer, "privacy");
    let notify = |on: &str, reference: &str| Command::RecordFriaNotification {
        notified_on: on.into(),
        reference: reference.into(),
    };
    for (command, says) in [
        (notify("2999-01-01", "MSA-1"), "future"),
        (notify("someday", "MSA-1"), "notified"),
        (notify("2026-01-02", " "), "reference"),
    ] {
        let e = d.apply(1, &po, command, "", &f, T0).unwrap_err();
        assert!(e.to_string().contains(says), "{e}");
    }
    refused_with(
        d.apply(
            1,
            &member(1),
            Command::RecordRegistration {
                reference: "EU-1".into(),
            },
            "",
            &f,
            T0,
        ),
        "wrong_role",
    );
    d.apply(1, &po, notify("2026-01-02", "MSA-2026-7"), "", &f, T0)
        .unwrap();
    d.apply(
        1,
        &applicant(),
        Command::RecordRegistration {
            reference: "EU-DB-42".into(),
        },
        "",
        &f,
        T0,
    )
    .unwrap();
    d.apply(1, &applicant(), Command::Activate, "", &f, T0)
        .unwrap();
    let r = d.revision(1).unwrap();
    assert_eq!(r.state, State::Active);
    assert_eq!(r.content.registration_reference, "EU-DB-42");
    refused_with(
        d.apply(
            1,
            &po,
            Command::RecordRegistration {
                reference: "EU-2".into(),
            },
            "",
            &f,
            T0,
        ),
        "record_only_before_use",
    );
    // The revision's own words prefill what it says; the risks and measures are left open.
    let pre = Fria::prefilled(&content());
    assert!(pre.processes.contains("criminal") && pre.oversight_measures.contains('2'));
    assert!(pre.risks.is_empty() && pre.measures_and_complaints.is_empty());
}

/// Issue 19 item 7: a committee member judges blind — the others' assessments of a revision
/// under review are withheld (only their number shown) until the member records their own;
/// other roles, and everyone once the review is over, see them all.
#[test]
fn a_member_sees_the_others_assessments_only_after_recording_their_own() {
    let f = Framework::default_template();
    let mut d = Deployment::new("retro-search", "Retrospective search", content()).unwrap();
    d.apply(1, &applicant(), Command::Submit, "", &f, T0)
        .unwrap();
    for n in [1, 2] {
        d.apply(1, &member(n), assessment(&f), "", &f, T0).unwrap();
    }
    let seen = |d: &Deployment, actor: &Actor| {
        let r = d.clone().as_seen_by(actor).revisions[0].clone();
        (r.assessments.len(), r.assessments_withheld)
    };
    assert_eq!(seen(&d, &member(3)), (0, 2), "not yet assessed: blind");
    assert_eq!(seen(&d, &member(1)), (2, 0), "assessed: sees all");
    assert_eq!(seen(&d, &chief()), (2, 0), "another role sees all");
    let json = serde_json::to_string(&d.clone().as_seen_by(&member(3))).unwrap();
    assert!(!json.contains("judgements"), "{json}");
    d.apply(1, &member(3), assessment(&f), "", &f, T0).unwrap();
    assert_eq!(seen(&d, &member(3)), (3, 0));
    // After the review, a member who never assessed sees them too.
    assert_eq!(seen(&d, &member(5)), (0, 3));
    d.revisions[0].state = State::Advised;
    assert_eq!(seen(&d, &member(5)), (3, 0));
}

fn refused_with(r: Result<Vec<Event>, GovernError>, code: &str) {
    match r {
        Err(GovernError::Refused(rule)) => assert_eq!(rule.code(), code, "{rule}"),
        other => panic!("expected {code}, got {other:?}"),
    }
}

/// Issue 19 item 1: the assessment is written by the applicant and the privacy officer on
/// the draft; once submitted, what is reviewed stays as it is.
#[test]
fn the_applicant_and_the_privacy_officer_write_the_assessment_on_the_draft() {
    let f = Framework::default_template();
    let mut d = Deployment::new("retro-search", "Retrospective search", content()).unwrap();
    let po = Actor::new("privacy-1", Role::PrivacyOfficer, "privacy");
    let mut parts = content().fria.parts().map(|(_, t)| t.to_string());
    parts[3] = "  Risks as the privacy officer sees them.  ".into();
    let write = |parts: [String; 6]| Command::WriteFria {
        parts: Box::new(parts),
        up_to_date: true,
    };
    refused_with(
        d.apply(1, &member(1), write(parts.clone()), "", &f, T0),
        "wrong_role",
    );
    let mut long = parts.clone();
    long[0] = "x".repeat(MAX_FRIA_PART + 1);
    assert!(matches!(
        d.apply(1, &po, write(long), "", &f, T0),
        Err(GovernError::Invalid(_))
    ));
    d.apply(1, &po, write(parts.clone()), "", &f, T0).unwrap();
    assert_eq!(
        d.revision(1).unwrap().content.fria.risks,
        "Risks as the privacy officer sees them."
    );
    d.apply(1, &applicant(), Command::Submit, "", &f, T0)
        .unwrap();
    refused_with(
        d.apply(1, &applicant(), write(parts), "", &f, T0),
        "edit_only_draft",
    );
}
