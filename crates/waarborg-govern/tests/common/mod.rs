//! A deployment, its people and the walk through the review chain, shared by the tests.
#![allow(dead_code)]

use waarborg_govern::framework::{Establishment, Framework};
use waarborg_govern::revision::*;
use waarborg_govern::{Actor, Portfolio, Role, Timestamp};

pub const T0: Timestamp = Timestamp(1_800_000_000);
pub const MODEL_A: &str = "a3562ef62592bf387f6ef19151282ac127518e51c77696e62e0661bee95ba1ad";
pub const MODEL_B: &str = "9cc6e4a75f0e2bf0b1aed94578f144d15175f357bdc05e815e5c4a02b319eb4f";

pub fn content() -> RevisionContent {
    RevisionContent {
        purpose: "Identify suspects of serious crimes from recorded images".into(),
        domain: Domain::CriminalInvestigation,
        mode: Mode::Retrospective,
        system: "waarborg".into(),
        scope: Scope {
            reference_databases: vec!["criminal".into()],
            probe_sources: vec!["crime_scene_cctv".into(), "seized_material".into()],
            offence_categories: vec![],
            min_max_sentence_years: 4,
            area: "national".into(),
            valid_from: T0,
            valid_until: T0.plus(365 * Timestamp::DAY),
        },
        technology: Technology {
            model_sha256: vec![MODEL_A.into(), MODEL_B.into()],
            detector_settings: "scrfd_500m det_size=640 threshold=0.5".into(),
            score_threshold: 0.3,
            candidate_list_length: 50,
            licences: [MODEL_A, MODEL_B]
                .map(|h| ModelLicence {
                    sha256: h.into(),
                    licence: "licensed to the police for operational use (test)".into(),
                    operational_use: true,
                })
                .to_vec(),
            evaluation: Some(evaluation(&[MODEL_A, MODEL_B], 364)),
        },
        oversight: Oversight {
            verifiers_required: 2,
            examiners: vec!["examiner-1".into(), "examiner-2".into()],
            verifier_units: vec![],
        },
        retention: Retention {
            probe_days: 365,
            result_days: 3650,
        },
        reporting_duties: "Half-yearly report to the committee".into(),
        dpia: Dpia {
            reference: "DPIA-2026-07".into(),
            approved: true,
        },
        algorithm_register_text:
            "Gezichtsherkenning achteraf op camerabeelden bij ernstige misdrijven.".into(),
        review_interval_days: 90,
        urgent_use_allowed: true,
        experiment: false,
        demonstration: false,
        corrects_defect: false,
        applicant: "applicant-1".into(),
        deploying_unit: "biometrics-centre".into(),
        fria: Fria {
            processes: "Searching the criminal reference database with images from crime scenes."
                .into(),
            period_and_frequency: "For a year, per authorised case, reviewed every ninety days."
                .into(),
            persons_affected: "Persons in the reference database and bystanders on probe images."
                .into(),
            risks: "A wrong lead against an innocent person; accuracy differences between groups."
                .into(),
            oversight_measures:
                "Every candidate list compared and confirmed by two independent verifiers.".into(),
            measures_and_complaints:
                "Suspension by the chief; incidents notified; complaints to the privacy officer."
                    .into(),
            up_to_date: true,
            notified_on: "2026-12-01".into(),
            notification_reference: "MSA-1".into(),
        },
        registration_reference: "EU-LE-1".into(),
    }
}

pub fn applicant() -> Actor {
    Actor::new("applicant-1", Role::Applicant, "biometrics-centre")
}
pub fn member(n: u32) -> Actor {
    Actor::new(
        &format!("member-{n}"),
        Role::ReviewCommitteeMember,
        "committee",
    )
}
pub fn chief() -> Actor {
    Actor::new("chief-1", Role::ChiefOfPolice, "leadership")
}
pub fn authority() -> Actor {
    Actor::new("prosecutor-1", Role::CompetentAuthority, "om")
        .acting_as(waarborg_govern::case::AuthorityKind::PublicProsecutor)
}
pub fn privacy() -> Actor {
    Actor::new("privacy-1", Role::PrivacyOfficer, "privacy")
}
pub fn portfolio(p: Portfolio) -> Actor {
    Actor {
        portfolio: Some(p),
        ..Actor::new(&format!("holder-{p:?}"), Role::PortfolioHolder, "board")
    }
}
pub fn examiner() -> Actor {
    Actor::new("examiner-1", Role::Examiner, "biometrics-centre")
}

/// A complete, favourable assessment under `f`.
pub fn assessment(f: &Framework) -> Command {
    let judgements = f
        .factors
        .iter()
        .map(|x| &x.key)
        .chain(f.preconditions.iter().map(|p| &p.key))
        .map(|key| Judgement {
            key: key.clone(),
            weighing: Weighing::Favourable,
            reasons: format!("{key} is satisfied on the evidence"),
        })
        .collect();
    Command::Assess { judgements }
}

/// The attestations `f` asks for, with the actor who gives each.
pub fn attestations(f: &Framework) -> Vec<(Actor, Command)> {
    f.preconditions
        .iter()
        .filter_map(|p| match p.established {
            Establishment::Attested { role } => {
                let actor = match role {
                    Role::PrivacyOfficer => privacy(),
                    Role::ChiefOfPolice => chief(),
                    Role::ReviewCommitteeMember => member(9),
                    _ => applicant(),
                };
                Some((
                    actor,
                    Command::Attest {
                        precondition: p.key.clone(),
                    },
                ))
            }
            Establishment::Machine { .. } => None,
        })
        .collect()
}

/// Every step from draft to active, in order.
pub fn full_chain(f: &Framework, experiment: bool) -> Vec<(Actor, Command)> {
    let mut steps = vec![(applicant(), Command::Submit)];
    for m in 1..=3 {
        steps.push((member(m), assessment(f)));
    }
    steps.extend(attestations(f));
    steps.push((
        member(1),
        Command::Advise {
            outcome: AdviceOutcome::Positive,
        },
    ));
    steps.push((chief(), Command::Ratify));
    if experiment {
        steps.push((
            portfolio(Portfolio::Digitalisation),
            Command::ApproveExperiment,
        ));
        steps.push((
            portfolio(Portfolio::EthicsAndPrivacy),
            Command::ApproveExperiment,
        ));
    }
    steps.push((authority(), Command::AuthorityDecision { approve: true }));
    steps.push((applicant(), Command::Activate));
    steps
}

/// A deployment taken through the whole chain at T0.
pub fn active_deployment() -> Deployment {
    let f = Framework::default_template();
    let mut d = Deployment::new("retro-search", "Retrospective search", content()).unwrap();
    for (actor, command) in full_chain(&f, false) {
        d.apply(1, &actor, command.clone(), "on the evidence given", &f, T0)
            .unwrap_or_else(|e| panic!("{} by {}: {e}", command.name(), actor.user));
    }
    d
}

/// `user`'s competence record: qualified and AI-literate through T0 + 2 years, authorised
/// as `role` under retro-search.
pub fn competent(user: &str, role: Role) -> waarborg_govern::competence::CompetenceRecord {
    let q = |subject| waarborg_govern::competence::Qualification {
        subject,
        title: "training".into(),
        issuer: "Police Academy".into(),
        obtained: T0.plus(-Timestamp::DAY),
        expires: T0.plus(730 * Timestamp::DAY),
    };
    waarborg_govern::competence::CompetenceRecord {
        person: user.into(),
        qualifications: vec![
            q(waarborg_govern::competence::Subject::FacialComparison),
            q(waarborg_govern::competence::Subject::AiLiteracy),
        ],
        authorisations: vec![waarborg_govern::competence::Authorisation {
            role,
            deployment: "retro-search".into(),
        }],
    }
}

/// An accuracy evaluation of `models` on a set with `mated_pairs` mated pairs.
pub fn evaluation(models: &[&str], mated_pairs: u64) -> waarborg_govern::revision::ModelEvaluation {
    waarborg_govern::revision::ModelEvaluation {
        models: models.iter().map(|m| m.to_string()).collect(),
        dataset_sha256: "d".repeat(64),
        evaluated_at: "2026-12-01T10:00:00Z".into(),
        images: 104,
        mated_pairs,
        non_mated_pairs: 4992,
        non_mated_mean: Some(0.054),
        non_mated_max: Some(0.651),
        at_fmr: vec![waarborg_govern::revision::ThresholdAtFmr {
            fmr_target: 1e-2,
            threshold: 0.56,
            fnmr: 0.0,
        }],
        gallery_size: 1_000_000,
        fpir_target: 0.01,
        recommended_threshold: None,
        recommended_not_computed: Some("needs more non-mated pairs".into()),
    }
}
