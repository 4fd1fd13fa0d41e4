//! Retention rules and the identification workflow, case by case.

mod common;

use common::*;
use waarborg_govern::identification::{Conclusion, Identification, Outcome, Stage, Verdict};
use waarborg_govern::retention::{PersonEvent, ReferenceFacts, RetentionRules};
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

/// `id` with verifier `n`'s own conclusion recorded (where the rules allow it), as each
/// verifier must before judging the proposal.
fn judged(id: &mut Identification, n: u32) -> &mut Identification {
    let _ = id.conclude_independently(&verifier(n), Conclusion::Inconclusive, "own look", T0);
    id
}

#[test]
fn identification_needs_every_independent_verification() {
    let mut id = Identification::searched("search-1", "OM-1", "examiner-1", 2);
    assert!(
        judged(&mut id, 1)
            .verify(&verifier(1), Verdict::Agree, "same", T0)
            .is_err(),
        "nothing to verify before a proposal"
    );
    assert!(id
        .propose(
            &Actor::new("examiner-2", Role::Examiner, "bc"),
            Conclusion::Inconclusive,
            "blurred"
        )
        .is_err());
    assert!(
        id.propose(&examiner(), Conclusion::Candidate { reference: 42 }, " ")
            .is_err(),
        "reasoning required"
    );
    id.propose(
        &examiner(),
        Conclusion::Candidate { reference: 42 },
        "matching scar and ear",
    )
    .unwrap();
    assert!(
        id.verify(
            &Actor::new("examiner-1", Role::Verifier, "bc"),
            Verdict::Agree,
            "mine",
            T0
        )
        .is_err(),
        "no self-verification"
    );
    assert!(id.verify(&examiner(), Verdict::Agree, "mine", T0).is_err());
    assert_eq!(
        judged(&mut id, 1)
            .verify(&verifier(1), Verdict::Agree, "ear and scar agree", T0)
            .unwrap(),
        None
    );
    // Blind: verifier 2 sees nothing yet; verifier 1 sees their own.
    assert!(id.visible_verifications(&verifier(2)).is_empty());
    assert_eq!(id.visible_verifications(&verifier(1)).len(), 1);
    assert!(
        id.visible_verifications(&examiner()).is_empty(),
        "the examiner sees verdicts once concluded"
    );
    assert!(
        judged(&mut id, 1)
            .verify(&verifier(1), Verdict::Agree, "again", T0)
            .is_err(),
        "distinct persons"
    );
    let outcome = judged(&mut id, 2)
        .verify(&verifier(2), Verdict::Agree, "agree", T0)
        .unwrap();
    assert_eq!(outcome, Some(Outcome::Identification { reference: 42 }));
    assert_eq!(id.visible_verifications(&examiner()).len(), 2);
    assert!(judged(&mut id, 3)
        .verify(&verifier(3), Verdict::Agree, "late", T0)
        .is_err());
    assert_eq!(
        id.report(&examiner()).unwrap(),
        &Outcome::Identification { reference: 42 }
    );
    assert_eq!(id.stage, Stage::Reported);

    // One disagreement: not confirmed.
    let mut id = Identification::searched("search-2", "OM-1", "examiner-1", 3);
    id.propose(
        &examiner(),
        Conclusion::Candidate { reference: 7 },
        "similar",
    )
    .unwrap();
    judged(&mut id, 1)
        .verify(&verifier(1), Verdict::Agree, "yes", T0)
        .unwrap();
    judged(&mut id, 2)
        .verify(&verifier(2), Verdict::Disagree, "different nose", T0)
        .unwrap();
    assert_eq!(
        judged(&mut id, 3)
            .verify(&verifier(3), Verdict::Agree, "yes", T0)
            .unwrap(),
        Some(Outcome::NotConfirmed)
    );
    // Blind first: a verdict before one's own conclusion is refused, the proposal is hidden
    // until then, and one's own conclusion is recorded once.
    let mut id = Identification::searched("search-3", "OM-1", "examiner-1", 2);
    id.propose(
        &examiner(),
        Conclusion::Candidate { reference: 9 },
        "similar",
    )
    .unwrap();
    assert!(!id.proposal_visible_to(&verifier(1)));
    assert!(id.proposal_visible_to(&examiner()));
    fn refused<T: std::fmt::Debug>(r: Result<T, waarborg_govern::GovernError>) -> &'static str {
        match r {
            Err(waarborg_govern::GovernError::Refused(rule)) => rule.code(),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
    assert_eq!(
        refused(id.verify(&verifier(1), Verdict::Agree, "looks right", T0)),
        "own_conclusion_first"
    );
    id.conclude_independently(
        &verifier(1),
        Conclusion::Candidate { reference: 9 },
        "ear",
        T0,
    )
    .unwrap();
    assert!(id.proposal_visible_to(&verifier(1)) && !id.proposal_visible_to(&verifier(2)));
    assert_eq!(
        refused(id.conclude_independently(&verifier(1), Conclusion::Inconclusive, "again", T0)),
        "concluded_twice"
    );
    assert_eq!(
        refused(id.conclude_independently(&verifier(2), Conclusion::Inconclusive, " ", T0)),
        "verification_without_reasons"
    );
    // A revision can never ask for fewer than two.
    assert_eq!(
        Identification::searched("s", "c", "e", 1).verifiers_required,
        2
    );
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
    let authority = Actor::new("prosecutor-1", Role::CompetentAuthority, "om");
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
