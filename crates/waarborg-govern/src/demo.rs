//! A demo organisation's first deployment, taken through the real review chain by the
//! people whose role each step is. Used by the demo, the walkthrough and tests; nothing
//! here bypasses a rule.

use crate::actor::{Actor, Portfolio, Role, Timestamp};
use crate::framework::{Establishment, Framework};
use crate::revision::*;
use crate::GovernError;

/// The demo's people: (user, role, unit).
pub const PEOPLE: &[(&str, Role, &str)] = &[
    ("applicant-1", Role::Applicant, "biometrics-centre"),
    ("member-1", Role::ReviewCommitteeMember, "committee"),
    ("member-2", Role::ReviewCommitteeMember, "committee"),
    ("member-3", Role::ReviewCommitteeMember, "committee"),
    ("chief-1", Role::ChiefOfPolice, "leadership"),
    (
        "prosecutor-1",
        Role::CompetentAuthority,
        "public-prosecution",
    ),
    ("privacy-1", Role::PrivacyOfficer, "privacy"),
    ("examiner-1", Role::Examiner, "biometrics-centre"),
    // Named in the revision, but their facial-comparison qualification has expired.
    ("examiner-2", Role::Examiner, "biometrics-centre"),
    ("verifier-1", Role::Verifier, "biometrics-centre"),
    ("verifier-2", Role::Verifier, "biometrics-centre"),
    ("verifier-3", Role::Verifier, "biometrics-centre"),
    ("coordinator-1", Role::Coordinator, "biometrics-centre"),
    ("competence-1", Role::CompetenceAdministrator, "training"),
    ("officer-1", Role::Requester, "investigation"),
    (
        "manager-1",
        Role::ReferenceDatabaseManager,
        "biometrics-centre",
    ),
    ("digital-1", Role::PortfolioHolder, "board"),
    ("auditor-1", Role::Auditor, "audit"),
    ("admin-1", Role::Administrator, "it"),
];

fn actor(user: &str) -> Actor {
    let (u, role, unit) =
        PEOPLE
            .iter()
            .find(|p| p.0 == user)
            .copied()
            .unwrap_or((user, Role::Auditor, "unknown"));
    Actor {
        portfolio: (role == Role::PortfolioHolder).then_some(Portfolio::Digitalisation),
        authority: (role == Role::CompetentAuthority)
            .then_some(crate::case::AuthorityKind::PublicProsecutor),
        ..Actor::new(u, role, unit)
    }
}

/// A retrospective search deployment like CATCH's, marked as a demonstration, pinned to
/// `model_sha256`, valid for a year from `from`.
pub fn catch_like_content(model_sha256: Vec<String>, from: Timestamp) -> RevisionContent {
    let template = RevisionContent::template(model_sha256);
    RevisionContent {
        purpose: "Identify suspects of offences with a maximum sentence of four years or more from recorded images".into(),
        scope: Scope {
            valid_from: from,
            valid_until: from.plus(366 * Timestamp::DAY),
            ..template.scope
        },
        technology: Technology {
            score_threshold: 0.2,
            candidate_list_length: 20,
            ..template.technology
        },
        oversight: Oversight {
            examiners: vec!["examiner-1".into(), "examiner-2".into()],
            ..template.oversight
        },
        reporting_duties: "Half-yearly to the review committee; yearly to the supervisory authorities".into(),
        dpia: Dpia {
            reference: "DPIA-DEMO-001".into(),
            approved: true,
        },
        algorithm_register_text: "Retrospectieve gezichtsherkenning op opgenomen beelden bij misdrijven met een strafmaximum van vier jaar of meer (demo).".into(),
        fria: Fria {
            risks: "A wrong lead against an innocent person found in the reference database; differences in accuracy between demographic groups; a chilling effect if used beyond its scope.".into(),
            measures_and_complaints: "The use is suspended by the chief of police or the privacy officer; incidents are registered and notified; complaints go to the privacy officer and the national ombudsman.".into(),
            up_to_date: true,
            notified_on: "2026-01-15".into(),
            notification_reference: "MSA-DEMO-2026-001".into(),
            ..template.fria
        },
        registration_reference: "EU-LE-DEMO-0001".into(),
        // The demo runs on the research-only models, on demo data.
        demonstration: true,
        ..template
    }
}

/// The demo's framework: the template under its own name, its monitoring thresholds set low
/// so that a short demo shows the alerts (a single refusal, rejected probe or urgent use
/// crosses one). Never for real use.
pub fn demo_framework() -> Framework {
    use crate::monitoring::{Bound, Indicator, Threshold};
    let template = Framework::default_template();
    let low = |indicator, limit| Threshold {
        indicator,
        bound: Bound::Above,
        limit,
        min_observations: 1,
    };
    Framework {
        name: "inzetkader-demo".into(),
        title: format!("{} — DEMO: monitoring thresholds set low", template.title),
        monitoring: Indicator::ALL
            .into_iter()
            .map(|i| {
                low(
                    i,
                    if i == Indicator::IdentificationRate {
                        50
                    } else {
                        0
                    },
                )
            })
            .collect(),
        ..template
    }
}

/// Takes revision `number` of `d` from draft to active at `now`, every step by its role;
/// returns the events for the ledger.
pub fn approve_through_chain(
    d: &mut Deployment,
    number: u32,
    framework: &Framework,
    now: Timestamp,
) -> Result<Vec<Event>, GovernError> {
    let mut events = Vec::new();
    for (a, c, why) in chain_steps(framework) {
        events.extend(d.apply(number, &a, c, why, framework, now)?);
    }
    Ok(events)
}

/// The steps from draft to active under `framework`, each by the demo's person in its role,
/// with the reasons given: submission, three favourable assessments, the attestations, the
/// advice, the ratification, the authority's approval, the activation.
pub fn chain_steps(framework: &Framework) -> Vec<(Actor, Command, &'static str)> {
    let judgements: Vec<Judgement> = framework
        .keys()
        .map(|key| Judgement {
            key: key.clone(),
            weighing: Weighing::Favourable,
            reasons: format!("demo: {key} considered and satisfied"),
        })
        .collect();
    let mut steps: Vec<(Actor, Command, &str)> = vec![(actor("applicant-1"), Command::Submit, "")];
    for m in ["member-1", "member-2", "member-3"] {
        steps.push((
            actor(m),
            Command::Assess {
                judgements: judgements.clone(),
            },
            "",
        ));
    }
    for p in &framework.preconditions {
        if let Establishment::Attested { role } = p.established {
            let who = PEOPLE
                .iter()
                .find(|x| x.1 == role)
                .map_or("applicant-1", |x| x.0);
            steps.push((
                actor(who),
                Command::Attest {
                    precondition: p.key.clone(),
                },
                "",
            ));
        }
    }
    steps.push((
        actor("member-1"),
        Command::Advise {
            outcome: AdviceOutcome::Positive,
        },
        "demo: all factors favourable",
    ));
    steps.push((
        actor("chief-1"),
        Command::Ratify,
        "demo: ratified on positive advice",
    ));
    steps.push((
        actor("prosecutor-1"),
        Command::AuthorityDecision { approve: true },
        "demo: no objection",
    ));
    steps.push((actor("applicant-1"), Command::Activate, ""));
    steps
}
