//! Retention rules and the identification workflow, case by case.

mod common;

use common::*;
use waarborg_govern::identification::{
    Candidacy, Conclusion, Identification, Judgement, Outcome, Position, Resolution, Stage, Verdict,
};
use waarborg_govern::retention::{PersonEvent, ReferenceFacts, RetentionRules};
use waarborg_govern::scale::ConclusionScale;
use waarborg_govern::{Actor, Role, Timestamp};

const YEAR: i64 = 365 * Timestamp::DAY + Timestamp::DAY / 4;

fn facts(kind: &str, max: u32, sexual: bool) -> ReferenceFacts {
    ReferenceFacts {
        source_kind: kind.into(),
        max_sentence_years: max,
        sexual_offence: sexual,
        captured_at: T0,
        events: vec![],
        other_open_case: false,
    }
}

#[test]
fn retention_periods_follow_the_offence() {
    let rules = RetentionRules::default();
    for (f, years, rule) in [
        (facts("custody_photo", 4, false), 20, "custody_20y"),
        (facts("custody_photo", 6, false), 30, "custody_30y_serious"),
        (facts("custody_photo", 4, true), 80, "custody_80y_sexual"),
        (facts("custody_photo", 12, true), 80, "custody_80y_sexual"),
    ] {
        let end = T0.plus(years * YEAR);
        assert_eq!(rules.due(&f, end.plus(-1)), None, "{rule} not yet due");
        let due = rules.due(&f, end).unwrap();
        assert_eq!(due.rule, rule);
        assert_eq!(due.since, end);
    }
    // No rule for the source kind: nothing is kept without a rule.
    assert_eq!(
        rules
            .due(&facts("internet_scrape", 4, false), T0)
            .unwrap()
            .rule,
        "no_rule"
    );
}

#[test]
fn acquittal_erases_unless_convicted_or_another_case_is_open() {
    let rules = RetentionRules::default();
    let at = T0.plus(YEAR);
    let mut f = facts("custody_photo", 8, false);
    f.events.push((PersonEvent::Acquittal, at));
    assert_eq!(rules.due(&f, at.plus(-1)), None, "not before the event");
    let due = rules.due(&f, at).unwrap();
    assert_eq!((due.rule.as_str(), due.since), ("no_longer_suspect", at));
    let mut open = f.clone();
    open.other_open_case = true;
    assert_eq!(rules.due(&open, at), None);
    let mut convicted = f.clone();
    convicted.events.insert(0, (PersonEvent::Conviction, T0));
    assert_eq!(rules.due(&convicted, at), None);
    let mut dismissed = facts("custody_photo", 8, false);
    dismissed.events.push((PersonEvent::Dismissal, at));
    assert_eq!(rules.due(&dismissed, at).unwrap().rule, "no_longer_suspect");
    let mut alien = facts("alien_registration", 0, false);
    alien.events.push((PersonEvent::EndOfAlienStatus, at));
    assert_eq!(rules.due(&alien, at).unwrap().rule, "end_of_alien_status");
    // The rules are data: they round-trip.
    let json = serde_json::to_string(&rules).unwrap();
    assert_eq!(
        serde_json::from_str::<RetentionRules>(&json).unwrap(),
        rules
    );
}

fn verifier(n: u32) -> Actor {
    Actor::new(
        &format!("verifier-{n}"),
        Role::Verifier,
        "biometrics-centre",
    )
}

fn coordinator() -> Actor {
    Actor::new("coordinator-1", Role::Coordinator, "biometrics-centre")
}

fn judgement(level: &str, reference: Option<u64>, reasons: &str) -> Judgement {
    Judgement {
        level: level.into(),
        reference,
        reasons: reasons.into(),
        comparison: None,
    }
}

/// A complete comparison of candidate `reference`: every feature similar.
fn compared(reference: u64) -> waarborg_govern::comparison::FeatureComparison {
    use waarborg_govern::comparison::{Assessment, FeatureComparison, FeatureMark, FEATURES};
    let marks = FEATURES
        .iter()
        .map(|f| FeatureMark {
            feature: f.to_string(),
            assessment: Assessment::Similar,
            notes: String::new(),
        })
        .collect();
    FeatureComparison::new(reference, marks).unwrap()
}

fn refused<T: std::fmt::Debug>(r: Result<T, waarborg_govern::GovernError>) -> &'static str {
    match r {
        Err(waarborg_govern::GovernError::Refused(rule)) => rule.code(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

const UNITS: &[&str] = &["biometrics-centre"];

fn units() -> Vec<String> {
    UNITS.iter().map(|u| u.to_string()).collect()
}

/// A competent verifier of the deployment's unit, as the account shows them.
fn candidacy(actor: &Actor) -> Candidacy<'_> {
    Candidacy {
        user: &actor.user,
        verifier: actor.role == Role::Verifier,
        unit: &actor.unit,
        competent: Ok(()),
    }
}

/// A search proposing candidate `reference`, with verifiers `1..=n` assigned.
fn proposed(required: u32, reference: u64, n: u32) -> Identification {
    let mut id = Identification::searched("search-1", "OM-1", "examiner-1", required);
    id.propose(
        &examiner(),
        &judgement(
            "identification_support_strong",
            Some(reference),
            "matching scar and ear",
        ),
        &ConclusionScale::enfsi(),
    )
    .unwrap();
    for k in 1..=n {
        id.assign(&examiner(), candidacy(&verifier(k)), &units())
            .unwrap();
    }
    id
}

/// Verifier `n`'s own conclusion, then their verdict.
fn judge(id: &mut Identification, n: u32, verdict: Verdict) -> Option<Outcome> {
    let scale = ConclusionScale::enfsi();
    id.conclude_independently(
        &verifier(n),
        &judgement("inconclusive", None, "own look"),
        &scale,
        Ok(()),
        T0,
    )
    .unwrap();
    id.verify(&verifier(n), verdict, "compared", Ok(()), T0)
        .unwrap()
}

#[test]
fn identification_needs_every_independent_verification() {
    let scale = ConclusionScale::enfsi();
    let mut id = Identification::searched("search-1", "OM-1", "examiner-1", 2);
    assert_eq!(
        refused(id.verify(&verifier(1), Verdict::Agree, "same", Ok(()), T0)),
        "no_proposal",
        "nothing to verify before a proposal"
    );
    let ok = judgement("identification_support_strong", Some(42), "matching scar");
    assert_eq!(
        refused(id.propose(&Actor::new("examiner-2", Role::Examiner, "bc"), &ok, &scale)),
        "not_searching_examiner"
    );
    assert_eq!(
        refused(id.propose(
            &examiner(),
            &judgement("identification_support_strong", Some(42), " "),
            &scale
        )),
        "proposal_without_reasoning"
    );
    id.propose(&examiner(), &ok, &scale).unwrap();
    assert_eq!(
        id.proposal.as_ref().unwrap().conclusion,
        Conclusion::Candidate { reference: 42 }
    );
    for k in [1, 2] {
        id.assign(&examiner(), candidacy(&verifier(k)), &units())
            .unwrap();
    }
    let as_verifier = Actor::new("examiner-1", Role::Verifier, "bc");
    assert_eq!(
        refused(id.verify(&as_verifier, Verdict::Agree, "mine", Ok(()), T0)),
        "verify_own_proposal",
        "no self-verification, whatever the role"
    );
    assert_eq!(judge(&mut id, 1, Verdict::Agree), None);
    // Blind: verifier 2 sees nothing yet; verifier 1 sees their own.
    assert!(id.visible_verifications(&verifier(2)).is_empty());
    assert_eq!(id.visible_verifications(&verifier(1)).len(), 1);
    assert!(
        id.visible_verifications(&examiner()).is_empty(),
        "the examiner sees verdicts once concluded"
    );
    assert_eq!(
        refused(id.verify(&verifier(1), Verdict::Agree, "again", Ok(()), T0)),
        "verified_twice",
        "distinct persons"
    );
    let outcome = judge(&mut id, 2, Verdict::Agree);
    assert_eq!(outcome, Some(Outcome::Identification { reference: 42 }));
    assert_eq!(id.visible_verifications(&examiner()).len(), 2);
    assert_eq!(
        refused(id.assign(&examiner(), candidacy(&verifier(3)), &units())),
        "assign_after_outcome"
    );
    assert_eq!(
        id.report(&examiner()).unwrap(),
        &Outcome::Identification { reference: 42 }
    );
    assert_eq!(id.stage, Stage::Reported);

    // Blind first: a verdict before one's own conclusion is refused, the proposal is hidden
    // until then, and one's own conclusion is recorded once.
    let mut id = proposed(2, 9, 2);
    assert!(!id.proposal_visible_to(&verifier(1)));
    assert!(id.proposal_visible_to(&examiner()));
    assert_eq!(
        refused(id.verify(&verifier(1), Verdict::Agree, "looks right", Ok(()), T0)),
        "own_conclusion_first"
    );
    let own = judgement("identification_support_limited", Some(9), "ear");
    id.conclude_independently(&verifier(1), &own, &scale, Ok(()), T0)
        .unwrap();
    assert_eq!(
        id.own_conclusions[0].level,
        "identification_support_limited"
    );
    assert!(id.proposal_visible_to(&verifier(1)) && !id.proposal_visible_to(&verifier(2)));
    // Assigned, verifier 2 stays blind in any other role they hold (a coordinator too), and
    // sees no verdict of the others there either.
    let as_coordinator = Actor::new("verifier-2", Role::Coordinator, "biometrics-centre");
    assert!(!id.proposal_visible_to(&as_coordinator));
    id.verify(&verifier(1), Verdict::Agree, "ear", Ok(()), T0)
        .unwrap();
    assert!(id.visible_verifications(&as_coordinator).is_empty());
    assert_eq!(
        refused(id.conclude_independently(&verifier(1), &own, &scale, Ok(()), T0)),
        "concluded_twice"
    );
    assert_eq!(
        refused(id.conclude_independently(
            &verifier(2),
            &judgement("inconclusive", None, " "),
            &scale,
            Ok(()),
            T0
        )),
        "verification_without_reasons"
    );
    // A revision can never ask for fewer than two.
    assert_eq!(
        Identification::searched("s", "c", "e", 1).verifiers_required,
        2
    );
}

/// One row per refusal of the graded scale, the assignment and a verifier's competence:
/// each changes one thing from a step that is allowed, and leaves the search unchanged.
#[test]
fn every_refusal_of_scale_assignment_and_competence_has_a_row() {
    use waarborg_govern::competence::Lack;
    let scale = ConclusionScale::enfsi();
    let fresh = || Identification::searched("search-1", "OM-1", "examiner-1", 2);
    type Step = Box<dyn Fn(&mut Identification) -> Result<(), waarborg_govern::GovernError>>;
    let propose = |level: &'static str, reference: Option<u64>| -> Step {
        Box::new(move |id: &mut Identification| {
            id.propose(
                &examiner(),
                &judgement(level, reference, "reasons"),
                &ConclusionScale::enfsi(),
            )
        })
    };
    let assign = |by: Actor, whom: Actor, competent: Result<(), Lack>| -> Step {
        Box::new(move |id: &mut Identification| {
            id.assign(
                &by,
                Candidacy {
                    competent: competent.clone(),
                    ..candidacy(&whom)
                },
                &units(),
            )
        })
    };
    let conclude = |who: Actor, competent: Result<(), Lack>| -> Step {
        Box::new(move |id: &mut Identification| {
            id.conclude_independently(
                &who,
                &judgement("inconclusive", None, "own look"),
                &ConclusionScale::enfsi(),
                competent.clone(),
                T0,
            )
        })
    };
    let lapsed = || {
        Err(Lack::QualificationExpired {
            person: "verifier-1".into(),
            at: T0,
        })
    };
    let rows: Vec<(&str, Identification, Step, &str)> = vec![
        (
            "level not on the scale",
            fresh(),
            propose("probably_him", Some(1)),
            "not_on_scale",
        ),
        (
            "support without a candidate",
            fresh(),
            propose("identification_support_strong", None),
            "level_needs_candidate",
        ),
        (
            "exclusion naming a candidate",
            fresh(),
            propose("exclusion_support_strong", Some(1)),
            "level_names_no_candidate",
        ),
        (
            "inconclusive naming a candidate",
            fresh(),
            propose("inconclusive", Some(1)),
            "level_names_no_candidate",
        ),
        (
            "a comparison with a feature left open",
            fresh(),
            Box::new(|id: &mut Identification| {
                let mut j = judgement("identification_support_strong", Some(1), "ears alike");
                let mut c = compared(1);
                c.features.pop();
                j.comparison = Some(c);
                id.propose(&examiner(), &j, &ConclusionScale::enfsi())
            }),
            "feature_unmarked",
        ),
        (
            "a comparison of another candidate",
            fresh(),
            Box::new(|id: &mut Identification| {
                let mut j = judgement("identification_support_strong", Some(1), "ears alike");
                j.comparison = Some(compared(2));
                id.propose(&examiner(), &j, &ConclusionScale::enfsi())
            }),
            "comparison_of_another_candidate",
        ),
        (
            "a verifier's comparison with a feature left open",
            proposed(2, 1, 1),
            Box::new(|id: &mut Identification| {
                let mut j = judgement("inconclusive", None, "own look");
                let mut c = compared(1);
                c.features.remove(0);
                j.comparison = Some(c);
                id.conclude_independently(&verifier(1), &j, &ConclusionScale::enfsi(), Ok(()), T0)
            }),
            "feature_unmarked",
        ),
        (
            "a verifier assigns",
            proposed(2, 1, 0),
            assign(verifier(2), verifier(1), Ok(())),
            "not_assigning",
        ),
        (
            "another examiner assigns",
            proposed(2, 1, 0),
            assign(
                Actor::new("examiner-2", Role::Examiner, "biometrics-centre"),
                verifier(1),
                Ok(()),
            ),
            "not_assigning",
        ),
        (
            "the examiner assigned",
            proposed(2, 1, 0),
            assign(
                coordinator(),
                Actor::new("examiner-1", Role::Verifier, "biometrics-centre"),
                Ok(()),
            ),
            "verify_own_proposal",
        ),
        (
            "an auditor assigned",
            proposed(2, 1, 0),
            assign(
                examiner(),
                Actor::new("auditor-1", Role::Auditor, "biometrics-centre"),
                Ok(()),
            ),
            "not_a_verifier",
        ),
        (
            "a verifier of another unit",
            proposed(2, 1, 0),
            assign(
                examiner(),
                Actor::new("verifier-7", Role::Verifier, "elsewhere"),
                Ok(()),
            ),
            "verifier_unit",
        ),
        (
            "assigned twice",
            proposed(2, 1, 1),
            assign(coordinator(), verifier(1), Ok(())),
            "already_assigned",
        ),
        (
            "a third before any dispute",
            proposed(2, 1, 2),
            assign(coordinator(), verifier(3), Ok(())),
            "enough_assigned",
        ),
        (
            "an unqualified verifier assigned",
            proposed(2, 1, 0),
            assign(
                examiner(),
                verifier(1),
                Err(Lack::NoQualification("verifier-1".into())),
            ),
            "no_qualification",
        ),
        (
            "a verifier not assigned",
            proposed(2, 1, 1),
            conclude(verifier(2), Ok(())),
            "not_assigned_verifier",
        ),
        (
            "a verifier whose qualification lapsed",
            proposed(2, 1, 1),
            conclude(verifier(1), lapsed()),
            "qualification_expired",
        ),
        (
            "a verifier without AI literacy",
            proposed(2, 1, 1),
            conclude(verifier(1), Err(Lack::NoAiLiteracy("verifier-1".into()))),
            "no_ai_literacy",
        ),
        (
            "another examiner withdraws an assignment",
            proposed(2, 1, 1),
            Box::new(|id: &mut Identification| {
                let other = Actor::new("examiner-2", Role::Examiner, "biometrics-centre");
                id.unassign(&other, "verifier-1")
            }),
            "not_assigning",
        ),
        (
            "an assignment that is not there withdrawn",
            proposed(2, 1, 1),
            Box::new(|id: &mut Identification| id.unassign(&coordinator(), "verifier-2")),
            "not_assigned_to_search",
        ),
        (
            "a verifier who concluded withdrawn",
            {
                let mut id = proposed(2, 1, 1);
                conclude(verifier(1), Ok(()))(&mut id).unwrap();
                id
            },
            Box::new(|id: &mut Identification| id.unassign(&coordinator(), "verifier-1")),
            "assignment_acted_on",
        ),
        (
            "a consultation outside a dispute",
            proposed(2, 1, 2),
            Box::new(|id: &mut Identification| {
                id.resolve_by_consultation(&coordinator(), vec![], "agreed", T0)
                    .map(|_| ())
            }),
            "not_disputed",
        ),
    ];
    for (name, mut id, step, code) in rows {
        let before = id.clone();
        assert_eq!(refused(step(&mut id)), code, "{name}");
        assert_eq!(id, before, "{name}: refused, yet changed");
    }
    // An assignment withdrawn before the verifier acted: another takes their place.
    let mut id = proposed(2, 1, 2);
    id.unassign(&examiner(), "verifier-2").unwrap();
    id.assign(&coordinator(), candidacy(&verifier(3)), &units())
        .unwrap();
    assert_eq!(id.assigned, ["verifier-1", "verifier-3"]);
    // The coordinator assigns as well as the examiner; a graded exclusion concludes "no
    // identification".
    let mut id = fresh();
    id.propose(
        &examiner(),
        &judgement("exclusion_support_moderate", None, "other ears"),
        &scale,
    )
    .unwrap();
    assert_eq!(
        id.proposal.as_ref().unwrap().conclusion,
        Conclusion::NoIdentification
    );
    id.assign(&coordinator(), candidacy(&verifier(1)), &units())
        .unwrap();
    id.assign(&examiner(), candidacy(&verifier(2)), &units())
        .unwrap();
    judge(&mut id, 1, Verdict::Agree);
    assert_eq!(
        judge(&mut id, 2, Verdict::Agree),
        Some(Outcome::NoIdentification)
    );
}

#[test]
fn a_disagreement_is_resolved_by_a_further_verifier_or_a_consultation() {
    // Verifier 2 disagrees: disputed, no outcome yet.
    let mut id = proposed(2, 7, 2);
    assert_eq!(judge(&mut id, 1, Verdict::Agree), None);
    assert_eq!(judge(&mut id, 2, Verdict::Disagree), None);
    assert_eq!(id.stage, Stage::Disputed);
    assert_eq!(id.outcome, None);
    assert_eq!(
        id.visible_verifications(&coordinator()).len(),
        2,
        "the coordinator sees the dispute"
    );
    assert_eq!(
        refused(id.report(&examiner())),
        "not_concluded",
        "nothing to report while disputed"
    );
    // One further verifier, whose verdict decides.
    id.assign(&coordinator(), candidacy(&verifier(3)), &units())
        .unwrap();
    assert_eq!(
        refused(id.assign(&coordinator(), candidacy(&verifier(4)), &units())),
        "enough_assigned"
    );
    assert_eq!(
        judge(&mut id, 3, Verdict::Agree),
        Some(Outcome::Identification { reference: 7 })
    );
    assert_eq!(
        id.resolution,
        Some(Resolution::FurtherVerifier {
            verifier: "verifier-3".into()
        })
    );
    // The further verifier disagrees too: not confirmed.
    let mut id = proposed(2, 7, 2);
    judge(&mut id, 1, Verdict::Inconclusive);
    judge(&mut id, 2, Verdict::Agree);
    id.assign(&examiner(), candidacy(&verifier(3)), &units())
        .unwrap();
    assert_eq!(
        judge(&mut id, 3, Verdict::Disagree),
        Some(Outcome::NotConfirmed)
    );

    // Or a consultation: every participant's position, with reasons, then the outcome.
    let mut id = proposed(2, 7, 2);
    judge(&mut id, 1, Verdict::Agree);
    judge(&mut id, 2, Verdict::Disagree);
    let position = |p: &str, agrees: bool, r: &str| Position {
        person: p.into(),
        agrees,
        reasons: r.into(),
    };
    let positions = vec![
        position("examiner-1", true, "scar and ear match"),
        position("verifier-1", true, "agree: scar"),
    ];
    assert_eq!(
        refused(id.resolve_by_consultation(&examiner(), positions.clone(), "agreed", T0)),
        "wrong_role"
    );
    assert_eq!(
        refused(id.resolve_by_consultation(&coordinator(), positions.clone(), "agreed", T0)),
        "position_missing",
        "verifier 2's position is missing"
    );
    let mut all = positions;
    all.push(position(
        "verifier-2",
        true,
        "nose differs; after discussion, a pose effect",
    ));
    assert_eq!(
        refused(id.resolve_by_consultation(&coordinator(), all.clone(), " ", T0)),
        "needs_reasons"
    );
    // Verifier 2 holding to their disagreement leaves one agreeing verifier of two: not
    // confirmed; persuaded, the proposal stands.
    let mut held = all.clone();
    held[2].agrees = false;
    let mut other = id.clone();
    assert_eq!(
        other
            .resolve_by_consultation(&coordinator(), held, "verifier 2 maintains", T0)
            .unwrap(),
        Outcome::NotConfirmed
    );
    assert_eq!(
        id.resolve_by_consultation(&coordinator(), all, "the nose is a pose effect", T0)
            .unwrap(),
        Outcome::Identification { reference: 7 }
    );
    assert!(matches!(
        id.resolution,
        Some(Resolution::Consultation {
            confirmed: true,
            ..
        })
    ));
    assert_eq!(id.stage, Stage::Concluded);
}

#[test]
fn competence_is_current_qualified_literate_and_authorised() {
    use waarborg_govern::competence::{
        current, Authorisation, Change, CompetenceRecord, Qualification, Subject,
    };
    let admin = Actor::new("competence-admin-1", Role::CompetenceAdministrator, "hr");
    let mut r = CompetenceRecord::new("verifier-1");
    let lack = |r: &CompetenceRecord, at: Timestamp| {
        current("verifier-1", Some(r), Role::Verifier, "retro-search", at).map_err(|l| l.code())
    };
    assert_eq!(lack(&r, T0), Err("no_qualification"));
    let q = |subject, expires| Qualification {
        subject,
        title: "Facial comparison, level 2".into(),
        issuer: "Police Academy".into(),
        obtained: T0,
        expires,
    };
    let in_a_year = T0.plus(365 * Timestamp::DAY);
    // Only the competence administrator, never on their own record, changes a record.
    assert_eq!(
        refused(r.apply(
            &verifier(2),
            Change::Qualify(q(Subject::FacialComparison, in_a_year))
        )),
        "wrong_role"
    );
    let mut own = CompetenceRecord::new("competence-admin-1");
    assert_eq!(
        refused(own.apply(
            &admin,
            Change::Qualify(q(Subject::FacialComparison, in_a_year))
        )),
        "own_competence"
    );
    assert!(matches!(
        r.apply(&admin, Change::Qualify(q(Subject::FacialComparison, T0))),
        Err(waarborg_govern::GovernError::Invalid(_))
    ));
    r.apply(
        &admin,
        Change::Qualify(q(Subject::FacialComparison, in_a_year)),
    )
    .unwrap();
    assert_eq!(lack(&r, T0), Err("no_ai_literacy"));
    r.apply(&admin, Change::Qualify(q(Subject::AiLiteracy, in_a_year)))
        .unwrap();
    assert_eq!(lack(&r, T0), Err("no_competence_authorisation"));
    let auth = Authorisation {
        role: Role::Verifier,
        deployment: "retro-search".into(),
    };
    r.apply(&admin, Change::Authorise(auth.clone())).unwrap();
    assert_eq!(
        refused(r.apply(&admin, Change::Authorise(auth.clone()))),
        "already_authorised"
    );
    assert_eq!(lack(&r, T0), Ok(()));
    // Expiring within 60 days is shown ahead of time; expired, refused.
    assert_eq!(
        r.expiring(in_a_year.plus(-30 * Timestamp::DAY), 60).len(),
        2
    );
    assert!(r.expiring(T0, 60).is_empty());
    assert_eq!(lack(&r, in_a_year), Err("qualification_expired"));
    // Renewed: current again, and no longer listed as expiring.
    r.apply(
        &admin,
        Change::Qualify(q(
            Subject::FacialComparison,
            in_a_year.plus(730 * Timestamp::DAY),
        )),
    )
    .unwrap();
    assert_eq!(
        r.expiring(in_a_year.plus(-30 * Timestamp::DAY), 60).len(),
        1
    );
    assert_eq!(lack(&r, in_a_year), Err("ai_literacy_expired"));
    r.apply(&admin, Change::Withdraw(auth.clone())).unwrap();
    assert_eq!(
        refused(r.apply(&admin, Change::Withdraw(auth))),
        "not_authorised_to_withdraw"
    );
    assert_eq!(lack(&r, T0), Err("no_competence_authorisation"));
}

#[test]
fn times_are_written_as_rfc3339_and_read_from_either_form() {
    let t = Timestamp(1_800_000_000);
    assert_eq!(
        serde_json::to_string(&t).unwrap(),
        "\"2027-01-15T08:00:00Z\""
    );
    assert_eq!(
        serde_json::from_str::<Timestamp>("\"2027-01-15T08:00:00Z\"").unwrap(),
        t
    );
    assert_eq!(serde_json::from_str::<Timestamp>("1800000000").unwrap(), t);
    assert_eq!(
        Timestamp::parse("2027-01-15").unwrap(),
        Timestamp(1_800_000_000 - 8 * 3600)
    );
    assert!(Timestamp::parse("15/01/2027").is_err());
}

/// A legal hold: set and released by the competent authority only, with reasons, one at a
/// time; every refusal names its rule.
#[test]
fn a_legal_hold_is_the_competent_authoritys_decision_with_reasons() {
    use waarborg_govern::case::{AuthorityKind, CaseAuthorisation};
    let officer = Actor::new("officer-1", Role::Requester, "investigation");
    let authority = Actor::new("prosecutor-1", Role::CompetentAuthority, "om")
        .acting_as(waarborg_govern::case::AuthorityKind::PublicProsecutor);
    let mut c = CaseAuthorisation::request(
        &officer,
        "OM-2027-0009",
        "retro-search",
        "armed robbery",
        "robbery",
        12,
        AuthorityKind::PublicProsecutor,
        false,
        T0,
    )
    .unwrap();
    let refused = |r: Result<(), waarborg_govern::GovernError>| match r {
        Err(waarborg_govern::GovernError::Refused(rule)) => rule.code(),
        other => panic!("expected a refusal, got {other:?}"),
    };
    let mut before = c.clone();
    for (name, result, code) in [
        (
            "not the authority",
            before.hold(&officer, "for trial", T0),
            "wrong_role",
        ),
        (
            "no reasons",
            before.hold(&authority, "  ", T0),
            "needs_reasons",
        ),
        (
            "nothing to release",
            before.release(&authority, "trial over"),
            "not_held",
        ),
    ] {
        assert_eq!(refused(result), code, "{name}");
        assert_eq!(before, c, "{name}: nothing changed");
    }
    c.hold(&authority, "appeal pending", T0).unwrap();
    let hold = c.legal_hold.clone().unwrap();
    assert_eq!(
        (hold.by.as_str(), hold.reason.as_str()),
        ("prosecutor-1", "appeal pending")
    );
    assert_eq!(refused(c.hold(&authority, "again", T0)), "already_held");
    assert_eq!(refused(c.release(&officer, "done")), "wrong_role");
    c.release(&authority, "appeal decided").unwrap();
    assert!(c.legal_hold.is_none());
}

/// Issue 18 item 1: a search not pursued is withdrawn with reasons, by its examiner or a
/// coordinator, once, before the outcome.
#[test]
fn a_search_is_withdrawn_with_reasons_before_its_outcome() {
    use waarborg_govern::identification::may_withdraw;
    let code = |r: Result<(), waarborg_govern::GovernError>| match r {
        Ok(()) => "ok",
        Err(waarborg_govern::GovernError::Refused(rule)) => rule.code(),
        Err(e) => panic!("{e}"),
    };
    let other = Actor::new("examiner-2", Role::Examiner, "biometrics-centre");
    let rows = [
        (examiner(), None, false, "wrong material", "ok"),
        (
            coordinator(),
            Some(Stage::Disputed),
            false,
            "duplicate",
            "ok",
        ),
        (
            other,
            Some(Stage::Proposed),
            false,
            "not mine",
            "not_withdrawing",
        ),
        (
            verifier(1),
            Some(Stage::Proposed),
            false,
            "tired",
            "not_withdrawing",
        ),
        (
            examiner(),
            Some(Stage::Searched),
            true,
            "again",
            "already_withdrawn",
        ),
        (
            examiner(),
            Some(Stage::Concluded),
            false,
            "late",
            "withdraw_after_outcome",
        ),
        (
            examiner(),
            Some(Stage::Reported),
            false,
            "late",
            "withdraw_after_outcome",
        ),
        (
            examiner(),
            Some(Stage::Searched),
            false,
            " ",
            "needs_reasons",
        ),
    ];
    for (actor, stage, withdrawn, reasons, expected) in rows {
        let got = code(may_withdraw(
            &actor,
            "examiner-1",
            stage,
            withdrawn,
            reasons,
        ));
        assert_eq!(got, expected, "{} at {stage:?}", actor.user);
    }
}

/// One row per refusal of the investigation's feedback on a lead; the requester's record on
/// an identification is kept, the latest one counting.
#[test]
fn what_the_investigation_found_is_recorded_by_the_requester_on_an_identification_only() {
    use waarborg_govern::identification::Finding;
    let with = |outcome: Option<Outcome>| {
        let mut id = Identification::searched("search-1", "OM-1", "examiner-1", 2);
        id.stage = if outcome.is_some() {
            Stage::Concluded
        } else {
            Stage::Proposed
        };
        id.outcome = outcome;
        id
    };
    let identified = || with(Some(Outcome::Identification { reference: 7 }));
    let officer = Actor::new("officer-1", Role::Requester, "district-north");
    let rows: Vec<(&str, Identification, Actor, Timestamp, &str)> = vec![
        (
            "another requester",
            identified(),
            Actor::new("officer-2", Role::Requester, "district-north"),
            T0,
            "not_case_requester",
        ),
        (
            "the examiner",
            identified(),
            examiner(),
            T0,
            "not_case_requester",
        ),
        (
            "no identification",
            with(Some(Outcome::NoIdentification)),
            officer.clone(),
            T0,
            "feedback_without_identification",
        ),
        (
            "not yet concluded",
            with(None),
            officer.clone(),
            T0,
            "feedback_without_identification",
        ),
        (
            "a finding dated tomorrow",
            identified(),
            officer.clone(),
            Timestamp(T0.0 + 86_400),
            "feedback_from_the_future",
        ),
    ];
    for (name, mut id, actor, found_on, code) in rows {
        let before = id.clone();
        let done = id.record_feedback(&actor, "officer-1", Finding::LeadConfirmed, found_on, T0);
        assert_eq!(refused(done), code, "{name}");
        assert_eq!(id, before, "{name}: refused, yet changed");
    }
    let mut id = identified();
    id.record_feedback(&officer, "officer-1", Finding::Unknown, T0, T0)
        .unwrap();
    id.record_feedback(&officer, "officer-1", Finding::LeadConfirmed, T0, T0)
        .unwrap();
    assert_eq!(id.feedback.len(), 2, "earlier records kept");
    assert_eq!(id.finding().unwrap().finding, Finding::LeadConfirmed);
    for f in Finding::ALL {
        assert_eq!(Finding::parse(f.as_str()), Some(f));
    }
}
