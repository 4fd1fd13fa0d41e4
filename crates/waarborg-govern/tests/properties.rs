//! Properties over random sequences of commands by random actors: whatever happens, no
//! revision becomes active without the full chain, no identification exists with fewer
//! distinct independent verifiers than required, nobody verifies their own proposal, no
//! search runs with other technology, and a refused command changes nothing.

mod common;

use common::*;
use waarborg_govern::case::{AuthorityKind, CaseAuthorisation, FolderView};
use waarborg_govern::competence::Lack;
use waarborg_govern::framework::Framework;
use waarborg_govern::gate::{check, Action, Request};
use waarborg_govern::identification::{Candidacy, Identification, Judgement, Outcome, Verdict};
use waarborg_govern::revision::*;
use waarborg_govern::scale::ConclusionScale;
use waarborg_govern::{Actor, Portfolio, Role, Timestamp};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize].clone()
    }
}

fn people() -> Vec<Actor> {
    let mut v = vec![
        applicant(),
        chief(),
        authority(),
        privacy(),
        examiner(),
        portfolio(Portfolio::Digitalisation),
        portfolio(Portfolio::EthicsAndPrivacy),
    ];
    for m in 1..=5 {
        v.push(member(m));
    }
    // People who must never count: the applicant as a member, a member of the deploying
    // unit, an administrator and an auditor.
    v.push(Actor::new(
        "applicant-1",
        Role::ReviewCommitteeMember,
        "committee",
    ));
    v.push(Actor::new(
        "insider",
        Role::ReviewCommitteeMember,
        "biometrics-centre",
    ));
    v.push(Actor::new("admin", Role::Administrator, "it"));
    // Another applicant, of the same unit: never acts on a revision that is not theirs.
    v.push(Actor::new(
        "applicant-2",
        Role::Applicant,
        "biometrics-centre",
    ));
    v.push(Actor::new("auditor", Role::Auditor, "audit"));
    v
}

fn commands(f: &Framework) -> Vec<Command> {
    let mut v = vec![
        Command::Submit,
        Command::DeclareConflict,
        assessment(f),
        Command::Advise {
            outcome: AdviceOutcome::Positive,
        },
        Command::Advise {
            outcome: AdviceOutcome::Negative,
        },
        Command::Ratify,
        Command::RefuseRatification,
        Command::ApproveExperiment,
        Command::AuthorityDecision { approve: true },
        Command::AuthorityDecision { approve: false },
        Command::Activate,
        Command::Review { continue_use: true },
        Command::Review {
            continue_use: false,
        },
        Command::Suspend,
        Command::End,
        Command::Withdraw,
    ];
    v.extend(attestations(f).into_iter().map(|(_, c)| c));
    v
}

#[test]
fn no_random_sequence_reaches_active_without_the_full_chain() {
    let f = Framework::default_template();
    let (people, cmds) = (people(), commands(&f));
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut reached_active = 0;
    for run in 0..3000 {
        let mut c = content();
        c.experiment = run % 3 == 0;
        let mut d = Deployment::new("d", "d", c).unwrap();
        // Interleave the chain's next step with random commands by random people, so that
        // many runs get far and every step is also tried out of order and by the wrong people.
        let chain = full_chain(&f, run % 3 == 0);
        let mut next = 0;
        for _ in 0..80 {
            let take_chain = rng.next().is_multiple_of(2) && next < chain.len();
            let (actor, cmd) = if take_chain {
                chain[next].clone()
            } else {
                (rng.pick(&people), rng.pick(&cmds))
            };
            let before = d.clone();
            let now = T0.plus((rng.next() % 5) as i64 * Timestamp::DAY);
            match d.apply(1, &actor, cmd, "on the evidence given", &f, now) {
                Ok(_) if take_chain => next += 1,
                Ok(_) => {}
                Err(_) => assert_eq!(d, before, "a refused command changed the deployment"),
            }
            let r = d.revision(1).unwrap();
            // Ownership: every applicant's step is the revision's own applicant's.
            assert!(
                r.history
                    .iter()
                    .filter(|h| h.role == Role::Applicant)
                    .all(|h| h.actor == r.content.applicant),
                "another applicant acted: {:?}",
                r.history
            );
            if r.state == State::Active {
                reached_active += 1;
                let did = |action: &str, role: Role| {
                    r.history
                        .iter()
                        .any(|h| h.action == action && h.role == role)
                };
                assert!(
                    did("submit", Role::Applicant) && did("advise", Role::ReviewCommitteeMember)
                );
                assert!(
                    did("ratify", Role::ChiefOfPolice)
                        && did("authority_approve", Role::CompetentAuthority)
                );
                assert!(did("activate", Role::Applicant));
                assert_ne!(r.advice, Some(AdviceOutcome::Negative));
                let independent: std::collections::BTreeSet<&str> = r
                    .assessments
                    .iter()
                    .map(|a| a.member.as_str())
                    .filter(|m| {
                        *m != "applicant-1"
                            && *m != "insider"
                            && !r.conflicts.iter().any(|c| c == m)
                    })
                    .collect();
                assert!(
                    independent.len() >= COMMITTEE_QUORUM,
                    "active with {independent:?}"
                );
                if r.content.experiment {
                    assert_eq!(r.portfolio_approvals.len(), 2);
                }
                break;
            }
        }
    }
    assert!(
        reached_active > 100,
        "the walk reached active only {reached_active} times: the property was barely exercised"
    );
}

#[test]
fn no_identification_without_enough_distinct_independent_verifiers() {
    let mut rng = Rng(0xfeed_beef);
    let mut pool: Vec<Actor> = (1..=4)
        .map(|i| Actor::new(&format!("verifier-{i}"), Role::Verifier, "bc"))
        .collect();
    pool.push(Actor::new("verifier-9", Role::Verifier, "elsewhere")); // of another unit
    pool.push(Actor::new("examiner-1", Role::Verifier, "bc")); // the examiner, as a verifier
    pool.push(examiner());
    pool.push(Actor::new("auditor", Role::Auditor, "audit"));
    pool.push(Actor::new("coordinator-1", Role::Coordinator, "bc"));
    let units = vec!["bc".to_string()];
    let scale = ConclusionScale::enfsi();
    let verdicts = [
        Verdict::Agree,
        Verdict::Agree,
        Verdict::Agree,
        Verdict::Disagree,
        Verdict::Inconclusive,
    ];
    let own = Judgement {
        level: "inconclusive".into(),
        reference: None,
        reasons: "own look".into(),
        comparison: None,
    };
    // verifier-4's qualification lapsed.
    let competent = |a: &Actor| match a.user.as_str() {
        "verifier-4" => Err(Lack::NoQualification(a.user.clone())),
        _ => Ok(()),
    };
    let mut identifications = 0;
    for run in 0..3000 {
        let required = 2 + (run % 3) as u32;
        let mut id = Identification::searched("s", "OM-1", "examiner-1", required);
        if !rng.next().is_multiple_of(4) {
            let _ = id.propose(
                &examiner(),
                &Judgement {
                    level: "identification_support_moderate".into(),
                    reference: Some(7),
                    reasons: "same ear shape and scar".into(),
                    comparison: None,
                },
                &scale,
            );
        }
        for _ in 0..24 {
            let actor = match rng.next() % 3 {
                0 => rng.pick(&pool),
                _ => pool[(rng.next() % 4) as usize].clone(),
            };
            // Someone assigns someone (most of the time).
            let before = id.clone();
            let by = rng.pick(&pool);
            // Mostly one of the four verifiers of the unit, else anyone.
            let whom = match rng.next() % 3 {
                0 => rng.pick(&pool),
                _ => pool[(rng.next() % 4) as usize].clone(),
            };
            if !rng.next().is_multiple_of(3)
                && id
                    .assign(
                        &by,
                        Candidacy {
                            user: &whom.user,
                            verifier: whom.role == Role::Verifier,
                            unit: &whom.unit,
                            competent: competent(&whom),
                        },
                        &units,
                    )
                    .is_err()
            {
                assert_eq!(id, before);
            }
            let before = id.clone();
            // A verifier sees nothing of the others before recording their own judgement.
            if actor.role == Role::Verifier && !id.judged_by(&actor) {
                assert!(id.visible_verifications(&actor).is_empty());
            }
            // Their own conclusion first, blind to the proposal (most of the time).
            if !rng.next().is_multiple_of(5)
                && id
                    .conclude_independently(&actor, &own, &scale, competent(&actor), T0)
                    .is_err()
            {
                assert_eq!(id, before);
            }
            let before = id.clone();
            if id
                .verify(
                    &actor,
                    rng.pick(&verdicts),
                    "compared features",
                    competent(&actor),
                    T0,
                )
                .is_err()
            {
                assert_eq!(id, before);
            }
            // No verdict without its verifier's own conclusion, nor by anyone unassigned.
            assert!(id.verifications.iter().all(|v| {
                id.own_conclusions.iter().any(|c| c.verifier == v.verifier)
                    && id.assigned.contains(&v.verifier)
            }));
        }
        if let Some(Outcome::Identification { .. }) = id.outcome {
            identifications += 1;
            let distinct: std::collections::BTreeSet<&str> = id
                .verifications
                .iter()
                .map(|v| v.verifier.as_str())
                .collect();
            assert_eq!(distinct.len(), id.verifications.len());
            assert!(!distinct.contains("examiner-1"), "self-verification");
            assert!(!distinct.contains("verifier-4"), "not qualified");
            assert!(!distinct.contains("verifier-9"), "another unit");
            let agreeing = id
                .verifications
                .iter()
                .filter(|v| v.verdict == Verdict::Agree)
                .count();
            assert!(agreeing >= required as usize, "{id:?}");
        }
    }
    assert!(identifications > 100, "{identifications}");
}

#[test]
fn no_search_runs_with_other_technology() {
    let d = active_deployment();
    let mut c = CaseAuthorisation::request(
        &Actor::new("o", Role::Requester, "i"),
        "OM-1",
        "retro-search",
        "robbery",
        "robbery",
        12,
        AuthorityKind::PublicProsecutor,
        false,
        T0,
    )
    .unwrap();
    c.decide(&authority(), true, "ok", T0).unwrap();
    let mut rng = Rng(77);
    let hashes = [
        MODEL_A.to_string(),
        MODEL_B.to_string(),
        "0".repeat(64),
        "f".repeat(64),
    ];
    let competence = competent("examiner-1", Role::Examiner);
    for _ in 0..2000 {
        let n = (rng.next() % 4) as usize;
        let presented: Vec<String> = (0..n).map(|_| rng.pick(&hashes)).collect();
        let result = check(&Request {
            actor: &examiner(),
            action: Action::Search,
            deployment: Ok(&d),
            case: Some(Ok(&c)),
            reference_databases: &["criminal".to_string()],
            probe_source: Some("seized_material"),
            model_sha256: &presented,
            competence: Some(&competence),
            now: T0,
        });
        let mut sorted = presented.clone();
        sorted.sort();
        let mut approved = vec![MODEL_A.to_string(), MODEL_B.to_string()];
        approved.sort();
        let exact = sorted == approved;
        assert_eq!(result.is_ok(), exact, "{presented:?}");
    }
}

#[test]
fn a_case_folder_shows_no_reader_more_than_their_part() {
    let mut rng = Rng(0x5eed_f01d);
    let users = [
        "officer-1",
        "officer-2",
        "examiner-1",
        "coordinator-1",
        "auditor-1",
    ];
    for _ in 0..2000 {
        let requester = Actor::new(rng.pick(&users), Role::Requester, "recherche");
        let c = CaseAuthorisation::request(
            &requester,
            "2026-001",
            "d1",
            "robbery",
            "robbery",
            12,
            AuthorityKind::PublicProsecutor,
            false,
            Timestamp(0),
        )
        .unwrap();
        let reader = Actor::new(rng.pick(&users), rng.pick(&Role::ALL), "unit");
        let view = c.folder_view(&reader);
        match reader.role {
            // The requester sees the outcome of their own case, never another's.
            Role::Requester if reader.user == c.requested_by => {
                assert_eq!(view, Some(FolderView::Outcome))
            }
            Role::Requester => assert_eq!(view, None, "{reader:?} read another's case"),
            Role::CompetentAuthority => assert_eq!(view, Some(FolderView::Outcome)),
            Role::Examiner => assert_eq!(view, Some(FolderView::Examiner)),
            Role::Coordinator | Role::Auditor | Role::PrivacyOfficer => {
                assert_eq!(view, Some(FolderView::Full))
            }
            // Verifiers (blind, assigned work), the governance roles, administrators: none.
            _ => assert_eq!(view, None, "{reader:?} opened a case folder"),
        }
        // Nobody but those who oversee sees every search's work.
        if view == Some(FolderView::Full) {
            assert!(matches!(
                reader.role,
                Role::Coordinator | Role::Auditor | Role::PrivacyOfficer
            ));
        }
    }
}
