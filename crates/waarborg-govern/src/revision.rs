//! The register of face-recognition uses: deployments, their revisions, and the review
//! chain every revision passes before it may run.
//!
//! ```text
//! draft → submitted → in review → advised → ratified ─(experiments: both portfolio holders)─→
//!   authority approved → active ⇄ suspended → ended → evaluated
//! refusals: ratification refused, authority declined; withdrawn; superseded
//! ```
//!
//! **Changes.** The content of a revision is fixed once it is submitted. Any change to the
//! technology or the scope makes a new revision of the same deployment, starting at draft.
//! The running revision continues until its own end, or until the new revision is
//! activated (it is then superseded) — unless the new revision corrects a defect
//! (`corrects_defect`), in which case the running revision is suspended as soon as the
//! correction is submitted: a known defect does not keep running while the fix is reviewed.

use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Portfolio, Role, Timestamp};
use crate::framework::{Establishment, Framework};
use crate::rule::Rule;
use crate::GovernError;

/// What the use is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Domain {
    /// Criminal investigation.
    CriminalInvestigation,
    /// Public order.
    PublicOrder,
    /// Assistance (e.g. missing persons).
    Assistance,
}

/// Retrospective (recorded images) or real-time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Recorded stills or frames of recorded footage.
    Retrospective,
    /// Live video. Can be registered and reviewed for another system; Waarborg never runs it.
    RealTime,
}

/// Where and when the use may happen, and on what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scope {
    /// Reference databases that may be searched (e.g. `criminal`).
    pub reference_databases: Vec<String>,
    /// Probe source kinds (e.g. `crime_scene_cctv`, `seized_material`).
    pub probe_sources: Vec<String>,
    /// Offence categories in scope (empty: any category meeting the sentence minimum).
    pub offence_categories: Vec<String>,
    /// Only offences whose maximum sentence is at least this many years.
    pub min_max_sentence_years: u32,
    /// Area, in words.
    pub area: String,
    /// Start of validity.
    pub valid_from: Timestamp,
    /// End of validity (exclusive).
    pub valid_until: Timestamp,
}

impl Scope {
    /// Whether an offence of `category` with a maximum sentence of `max_sentence_years`
    /// lies within this scope: the gate's test for a search, and the request's for a case.
    pub fn covers_offence(&self, category: &str, max_sentence_years: u32) -> bool {
        (self.offence_categories.is_empty()
            || self.offence_categories.iter().any(|c| c == category))
            && max_sentence_years >= self.min_max_sentence_years
    }
}

/// The technology the revision pins (invariant 5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Technology {
    /// SHA-256 of every model file, lowercase hex.
    pub model_sha256: Vec<String>,
    /// Detector settings in words (e.g. `scrfd_500m det_size=640 threshold=0.5`).
    pub detector_settings: String,
    /// Candidates scoring below this are not shown.
    pub score_threshold: f32,
    /// Longest candidate list.
    pub candidate_list_length: u32,
    /// The licence of each pinned model as the model cache recorded it (filled by the
    /// application from the cache whenever the content is written, never by the applicant).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licences: Vec<ModelLicence>,
    /// The accuracy evaluation made with exactly these models (filled by the application
    /// from the model cache whenever the content is written, never by the applicant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluation: Option<ModelEvaluation>,
}

/// Mated pairs an evaluation must rest on before an operational use may rely on it: an FNMR
/// near 10 % is stated only on 300 mated pairs by the rule of 30 (ISO/IEC 19795-1).
pub const MIN_MATED_PAIRS: u64 = 300;

/// An accuracy evaluation of a model pair, as `waarborg models evaluate` recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelEvaluation {
    /// SHA-256 of the models measured (detector, recogniser).
    pub models: Vec<String>,
    /// SHA-256 of the data set (every row and every image's bytes).
    pub dataset_sha256: String,
    /// When it was made (RFC 3339).
    pub evaluated_at: String,
    /// Images compared.
    pub images: u64,
    /// Same-identity comparisons.
    pub mated_pairs: u64,
    /// Different-identity comparisons.
    pub non_mated_pairs: u64,
    /// Their mean score (what an operational search's best scores are compared with).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub non_mated_mean: Option<f64>,
    /// Their highest score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub non_mated_max: Option<f32>,
    /// The threshold and FNMR at each target FMR the counts allowed.
    pub at_fmr: Vec<ThresholdAtFmr>,
    /// The gallery size the open-set figures are for.
    pub gallery_size: u64,
    /// The FPIR the recommended threshold is for.
    pub fpir_target: f64,
    /// The threshold that gives that FPIR at that gallery size, where the set allows it.
    pub recommended_threshold: Option<f32>,
    /// Why there is none, where there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommended_not_computed: Option<String>,
}

/// The threshold for a target FMR and the FNMR there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdAtFmr {
    /// The target FMR.
    pub fmr_target: f64,
    /// The lowest threshold whose FMR does not exceed it.
    pub threshold: f32,
    /// The FNMR there.
    pub fnmr: f64,
}

impl ModelEvaluation {
    /// Whether it measured exactly the models `pinned` (in any order).
    pub fn measured(&self, pinned: &[String]) -> bool {
        let mut a = self.models.clone();
        let mut b = pinned.to_vec();
        a.sort();
        b.sort();
        a == b
    }
}

/// What a model's licence permits, as the model cache recorded it with the model's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelLicence {
    /// The model file's SHA-256, lowercase hex.
    pub sha256: String,
    /// The licence terms, in words.
    pub licence: String,
    /// Whether the licence permits operational use (not only research or demonstration).
    pub operational_use: bool,
}

/// What kind of use a revision is: it decides which models it may run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KindOfUse {
    /// Real cases: the models' licence must permit operational use.
    Operational,
    /// An experiment (both portfolio holders approve).
    Experiment,
    /// A demonstration on demo data.
    Demonstration,
}

impl KindOfUse {
    /// Stable name (`operational`, `experiment`, `demonstration`).
    pub fn as_str(self) -> &'static str {
        match self {
            KindOfUse::Operational => "operational",
            KindOfUse::Experiment => "experiment",
            KindOfUse::Demonstration => "demonstration",
        }
    }
}

impl Technology {
    /// The distinct licences of the pinned models, in words, in the order pinned (a model
    /// with none recorded: "no licence recorded").
    pub fn licence_texts(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for h in &self.model_sha256 {
            let text = self
                .licences
                .iter()
                .find(|l| &l.sha256 == h)
                .map_or("no licence recorded", |l| l.licence.as_str());
            if !out.iter().any(|t| t == text) {
                out.push(text.to_string());
            }
        }
        out
    }

    /// Why the accuracy evidence does not suffice for operational use, if it does not.
    pub fn evaluation_gap(&self) -> Option<String> {
        match &self.evaluation {
            None => Some(
                "the models have no accuracy evaluation; run `waarborg models evaluate` on a \
                 labelled set with exactly these models, then save the revision again"
                    .into(),
            ),
            Some(e) if !e.measured(&self.model_sha256) => {
                Some("the accuracy evaluation was made with other models".into())
            }
            Some(e) if e.mated_pairs < MIN_MATED_PAIRS => Some(format!(
                "the accuracy evaluation rests on {} mated pairs; at least {MIN_MATED_PAIRS} are needed",
                e.mated_pairs
            )),
            Some(_) => None,
        }
    }

    /// The pinned models whose licence does not permit operational use (or is not
    /// recorded), with the licence's words; empty when every model may be used for real.
    pub fn models_not_licensed_for_operational_use(&self) -> Vec<(String, String)> {
        self.model_sha256
            .iter()
            .filter_map(|h| match self.licences.iter().find(|l| &l.sha256 == h) {
                Some(l) if l.operational_use => None,
                Some(l) => Some((h.clone(), l.licence.clone())),
                None => Some((h.clone(), "no licence recorded".to_string())),
            })
            .collect()
    }
}

/// Human oversight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Oversight {
    /// Independent verifications required before an identification exists (≥ 2).
    pub verifiers_required: u32,
    /// Users who may examine (search) under this revision.
    pub examiners: Vec<String>,
    /// The units whose verifiers may verify (empty: the deploying unit only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verifier_units: Vec<String>,
}

/// Retention of probes and results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// Days a probe image is kept.
    pub probe_days: u32,
    /// Days results (candidate lists, conclusions) are kept.
    pub result_days: u32,
}

/// The data protection impact assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dpia {
    /// Its reference.
    pub reference: String,
    /// Whether it is approved.
    pub approved: bool,
}

/// The fundamental-rights impact assessment of a use (AI Act Art. 27(1)(a)–(f)), kept with
/// the revision it assesses, and its notification to the market surveillance authority
/// (Art. 27(3)). Prefilled from the revision where the revision says it ((a), (b), (c),
/// (e)); the risks and the measures are the applicant's and the privacy officer's to write.
/// A revised use starts with its predecessor's assessment marked for update.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Fria {
    /// (a) The processes in which the system is used, in line with its purpose.
    pub processes: String,
    /// (b) The period within which, and the frequency with which, it is used.
    pub period_and_frequency: String,
    /// (c) The categories of persons and groups likely to be affected.
    pub persons_affected: String,
    /// (d) The specific risks of harm to them.
    pub risks: String,
    /// (e) The human-oversight measures.
    pub oversight_measures: String,
    /// (f) What is done if the risks materialise, including internal governance and
    /// complaints.
    pub measures_and_complaints: String,
    /// Brought up to date for this revision (a revised use clears it).
    pub up_to_date: bool,
    /// When the market surveillance authority was notified (`YYYY-MM-DD`).
    pub notified_on: String,
    /// The notification's reference.
    pub notification_reference: String,
}

/// The shortest a part of the assessment may be, in characters.
pub const MIN_FRIA_PART: usize = 40;

impl Fria {
    /// The six parts, by their keys and points of Art. 27(1).
    pub fn parts(&self) -> [(&'static str, &str); 6] {
        [
            ("processes", &self.processes),
            ("period_and_frequency", &self.period_and_frequency),
            ("persons_affected", &self.persons_affected),
            ("risks", &self.risks),
            ("oversight_measures", &self.oversight_measures),
            ("measures_and_complaints", &self.measures_and_complaints),
        ]
    }

    /// The form fields of the six parts, in the order of [`parts`](Self::parts).
    pub const FIELDS: [&'static str; 6] = [
        "fria_processes",
        "fria_period_and_frequency",
        "fria_persons_affected",
        "fria_risks",
        "fria_oversight_measures",
        "fria_measures_and_complaints",
    ];

    /// Sets the six parts, in the order of [`parts`](Self::parts).
    pub fn set_parts(&mut self, [a, b, c, d, e, f]: [String; 6]) {
        self.processes = a;
        self.period_and_frequency = b;
        self.persons_affected = c;
        self.risks = d;
        self.oversight_measures = e;
        self.measures_and_complaints = f;
    }

    /// What the revision itself says for points (a), (b), (c) and (e); (d) and (f) are left
    /// to the people who assess.
    pub fn prefilled(c: &RevisionContent) -> Fria {
        Fria {
            processes: format!(
                "{} — searching the reference databases {} with probe images from {}, for offences with a maximum sentence of at least {} years.",
                c.purpose,
                c.scope.reference_databases.join(", "),
                c.scope.probe_sources.join(", "),
                c.scope.min_max_sentence_years
            ),
            period_and_frequency: format!(
                "From {} until {}, per authorised case; reviewed every {} days.",
                c.scope.valid_from, c.scope.valid_until, c.review_interval_days
            ),
            persons_affected: "Persons whose images are in the reference databases; persons shown on probe images, including bystanders; the suspects named as a lead.".into(),
            oversight_measures: format!(
                "Every candidate list is compared by a named examiner and confirmed by at least {} independent verifiers before it is an identification; every step is in the audit log.",
                c.oversight.verifiers_required
            ),
            ..Fria::default()
        }
    }

    /// Whether it is complete and up to date: `Err` names what is missing.
    pub fn complete(&self) -> Result<(), String> {
        let missing: Vec<&str> = self
            .parts()
            .iter()
            .filter(|(_, text)| text.trim().chars().count() < MIN_FRIA_PART)
            .map(|(key, _)| *key)
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "the fundamental-rights impact assessment lacks {}",
                missing.join(", ")
            ));
        }
        if !self.up_to_date {
            return Err("the fundamental-rights impact assessment is not brought up to date for this revision".into());
        }
        Ok(())
    }
}

/// Everything a revision says about the use. Fixed once submitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevisionContent {
    /// Purpose.
    pub purpose: String,
    /// Domain.
    pub domain: Domain,
    /// Mode.
    pub mode: Mode,
    /// The system that runs it (`waarborg`, or another system this register governs).
    pub system: String,
    /// Scope.
    pub scope: Scope,
    /// Technology.
    pub technology: Technology,
    /// Oversight.
    pub oversight: Oversight,
    /// Retention.
    pub retention: Retention,
    /// Reporting duties, in words.
    pub reporting_duties: String,
    /// DPIA.
    pub dpia: Dpia,
    /// Text for the algorithm register.
    pub algorithm_register_text: String,
    /// Days between reviews while active.
    pub review_interval_days: u32,
    /// Whether a search may precede the case authorisation (which must then follow within 48 h).
    pub urgent_use_allowed: bool,
    /// An experiment (needs both portfolio holders' approval too).
    pub experiment: bool,
    /// A demonstration on demo data, never on real cases (marked as such wherever the use is
    /// shown); like an experiment it may use models licensed for research only.
    #[serde(default)]
    pub demonstration: bool,
    /// This revision corrects a defect in the running one (which is suspended on submission).
    #[serde(default)]
    pub corrects_defect: bool,
    /// The applicant (user id).
    pub applicant: String,
    /// The deploying unit.
    pub deploying_unit: String,
    /// The fundamental-rights impact assessment and its notification (Art. 27).
    #[serde(default)]
    pub fria: Fria,
    /// The use's registration in the EU database's non-public section (Art. 26(8), 49(4)):
    /// its reference.
    #[serde(default)]
    pub registration_reference: String,
}

impl RevisionContent {
    /// A starting point for a proposal: a retrospective criminal-investigation use with the
    /// framework's usual settings, the given model hashes, valid through 2027. Every field
    /// is the applicant's to change.
    pub fn template(model_sha256: Vec<String>) -> RevisionContent {
        let c = RevisionContent {
        purpose: "Identify suspects of serious offences from recorded images in criminal investigations".into(),
        domain: Domain::CriminalInvestigation,
        mode: Mode::Retrospective,
        system: "waarborg".into(),
        scope: Scope {
            reference_databases: vec!["criminal".into()],
            probe_sources: vec!["crime_scene_cctv".into(), "seized_material".into(), "bystander_photo".into()],
            offence_categories: vec![],
            min_max_sentence_years: 4,
            area: "national".into(),
            valid_from: Timestamp::parse("2027-01-01").unwrap_or(Timestamp(0)),
            valid_until: Timestamp::parse("2028-01-01").unwrap_or(Timestamp(0)),
        },
        technology: Technology {
            model_sha256,
            detector_settings: "scrfd_500m_bnkps det_size=640x640 score>=0.5 nms=0.4".into(),
            score_threshold: 0.3,
            candidate_list_length: 50,
            licences: Vec::new(),
            evaluation: None,
        },
        oversight: Oversight {
            verifiers_required: 2,
            examiners: vec!["examiner-1".into()],
            verifier_units: vec![],
        },
        retention: Retention {
            probe_days: 365,
            result_days: 3650,
        },
        reporting_duties: "Half-yearly to the review committee; yearly to the market surveillance and data protection authorities".into(),
        dpia: Dpia {
            reference: "DPIA-2026-001".into(),
            approved: true,
        },
        algorithm_register_text: "Retrospectieve gezichtsherkenning op opgenomen beelden bij misdrijven met een strafmaximum van vier jaar of meer.".into(),
        review_interval_days: 90,
        urgent_use_allowed: true,
        experiment: false,
        demonstration: false,
        corrects_defect: false,
        applicant: "applicant-1".into(),
        deploying_unit: "biometrics-centre".into(),
        fria: Fria::default(),
        registration_reference: String::new(),
    };
        RevisionContent {
            fria: Fria::prefilled(&c),
            ..c
        }
    }

    /// Operational, an experiment or a demonstration (an experiment on demo data is an
    /// experiment).
    pub fn kind_of_use(&self) -> KindOfUse {
        match (self.experiment, self.demonstration) {
            (true, _) => KindOfUse::Experiment,
            (false, true) => KindOfUse::Demonstration,
            (false, false) => KindOfUse::Operational,
        }
    }

    /// The units whose verifiers may verify under this revision.
    pub fn verifying_units(&self) -> Vec<String> {
        if self.oversight.verifier_units.is_empty() {
            vec![self.deploying_unit.clone()]
        } else {
            self.oversight.verifier_units.clone()
        }
    }

    /// Whether Waarborg itself runs this use.
    pub fn runs_in_waarborg(&self) -> bool {
        self.system == "waarborg"
    }
}

/// Where a revision stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Being written.
    Draft,
    /// Submitted for review; content fixed.
    Submitted,
    /// Committee members are assessing.
    InReview,
    /// The committee has advised.
    Advised,
    /// Ratified by the chief of police.
    Ratified,
    /// Approved by the competent authority.
    AuthorityApproved,
    /// In use.
    Active,
    /// Stopped until a review lets it continue.
    Suspended,
    /// Use ended.
    Ended,
    /// Evaluated after use.
    Evaluated,
    /// The chief of police refused to ratify.
    RatificationRefused,
    /// The competent authority declined.
    AuthorityDeclined,
    /// Withdrawn by the applicant.
    Withdrawn,
    /// Replaced by a later revision.
    Superseded,
}

impl State {
    /// Still being decided: from the draft to the authority's approval, not yet in use.
    pub fn being_decided(self) -> bool {
        matches!(
            self,
            State::Draft
                | State::Submitted
                | State::InReview
                | State::Advised
                | State::Ratified
                | State::AuthorityApproved
        )
    }

    /// Name for files, the ledger and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Submitted => "submitted",
            State::InReview => "in_review",
            State::Advised => "advised",
            State::Ratified => "ratified",
            State::AuthorityApproved => "authority_approved",
            State::Active => "active",
            State::Suspended => "suspended",
            State::Ended => "ended",
            State::Evaluated => "evaluated",
            State::RatificationRefused => "ratification_refused",
            State::AuthorityDeclined => "authority_declined",
            State::Withdrawn => "withdrawn",
            State::Superseded => "superseded",
        }
    }
}

/// A committee member's view of one factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weighing {
    /// Weighs in favour.
    Favourable,
    /// Weighs against, but not decisively.
    Concerns,
    /// Weighs decisively against.
    Unfavourable,
}

/// A committee member's judgement of one factor or precondition, with reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judgement {
    /// The factor's or precondition's key.
    pub key: String,
    /// For factors: how it weighs. For preconditions: `Favourable` = met, otherwise not met.
    pub weighing: Weighing,
    /// Why.
    pub reasons: String,
}

/// One member's complete assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// The member.
    pub member: String,
    /// When.
    pub at: Timestamp,
    /// The framework version applied.
    pub framework: String,
    /// One judgement per factor and precondition of that framework.
    pub judgements: Vec<Judgement>,
}

/// The committee's advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdviceOutcome {
    /// Positive.
    Positive,
    /// Positive with conditions (in the reasons).
    PositiveWithConditions,
    /// Negative.
    Negative,
}

/// A step in a revision's history: who did what, when, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// What was done (e.g. `ratify`).
    pub action: String,
    /// Who.
    pub actor: String,
    /// In which role.
    pub role: Role,
    /// When.
    pub at: Timestamp,
    /// Why, in their words.
    pub reason: String,
    /// State before.
    pub from: State,
    /// State after.
    pub to: State,
    /// The framework version applied, where one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework: Option<String>,
}

/// One revision of a deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revision {
    /// Its number within the deployment, from 1.
    pub number: u32,
    /// What it says.
    pub content: RevisionContent,
    /// Where it stands.
    pub state: State,
    /// Incremented on every change; the store refuses a write based on an older version.
    pub version: u64,
    /// The framework version it is reviewed under (fixed at submission).
    pub framework: Option<String>,
    /// Members who declared a conflict of interest (excluded from assessing).
    pub conflicts: Vec<String>,
    /// Assessments.
    pub assessments: Vec<Assessment>,
    /// Assessments withheld from this reader ([`Deployment::as_seen_by`]): how many there
    /// are, not what they say.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub assessments_withheld: u32,
    /// Attested preconditions: (key, user).
    pub attestations: Vec<(String, String)>,
    /// The committee's advice.
    pub advice: Option<AdviceOutcome>,
    /// Portfolios that approved (experiments).
    pub portfolio_approvals: Vec<(Portfolio, String)>,
    /// When it became active.
    pub activated_at: Option<Timestamp>,
    /// Last review during use (or activation).
    pub last_review_at: Option<Timestamp>,
    /// History.
    pub history: Vec<Decision>,
}

/// A use of face recognition in the register, with its revisions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    /// Stable key (e.g. `catch-retrospective`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Revisions, in order.
    pub revisions: Vec<Revision>,
}

/// What someone does to a revision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Command {
    /// Replace a draft's content (applicant).
    Edit {
        /// The new content.
        content: Box<RevisionContent>,
    },
    /// Submit for review under the current framework (applicant).
    Submit,
    /// Write the draft's fundamental-rights impact assessment, points (a)–(f), and whether it
    /// is brought up to date (the applicant or the privacy officer; a draft only — what is
    /// reviewed is fixed at submission).
    WriteFria {
        /// The six parts, in the order of [`Fria::parts`].
        parts: Box<[String; 6]>,
        /// Brought up to date for this revision.
        up_to_date: bool,
    },
    /// Record that the market surveillance authority was notified of the fundamental-rights
    /// impact assessment (Art. 27(3)): when and under which reference (applicant or privacy
    /// officer; any time before use — a record, not a change of what was reviewed).
    RecordFriaNotification {
        /// The day it was notified (`YYYY-MM-DD`).
        notified_on: String,
        /// The notification's reference.
        reference: String,
    },
    /// Record the use's registration in the EU database's non-public section (Art. 26(8),
    /// 49(4)): its reference (applicant or privacy officer; any time before use).
    RecordRegistration {
        /// The registration's reference.
        reference: String,
    },
    /// Declare a conflict of interest (committee member).
    DeclareConflict,
    /// Assess every factor and precondition (committee member).
    Assess {
        /// One per factor and precondition.
        judgements: Vec<Judgement>,
    },
    /// Attest a precondition (the role the framework names).
    Attest {
        /// The precondition.
        precondition: String,
    },
    /// Give the committee's advice (committee member who assessed).
    Advise {
        /// The advice.
        outcome: AdviceOutcome,
    },
    /// Ratify (chief of police).
    Ratify,
    /// Refuse ratification (chief of police).
    RefuseRatification,
    /// Approve an experiment for one portfolio (portfolio holder).
    ApproveExperiment,
    /// The competent authority's decision.
    AuthorityDecision {
        /// Approve or decline.
        approve: bool,
    },
    /// Start use within the validity window (applicant).
    Activate,
    /// Review during use (committee member): continue or suspend.
    Review {
        /// Continue (true) or suspend (false).
        continue_use: bool,
    },
    /// Suspend at once (chief of police or privacy officer).
    Suspend,
    /// End use (applicant or chief of police).
    End,
    /// Evaluate after use (committee member).
    Evaluate,
    /// Withdraw before a decision (applicant).
    Withdraw,
}

impl Command {
    /// The action's name in the history and the ledger.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Edit { .. } => "edit",
            Command::Submit => "submit",
            Command::WriteFria { .. } => "write_fria",
            Command::RecordFriaNotification { .. } => "record_fria_notification",
            Command::RecordRegistration { .. } => "record_registration",
            Command::DeclareConflict => "declare_conflict",
            Command::Assess { .. } => "assess",
            Command::Attest { .. } => "attest",
            Command::Advise { .. } => "advise",
            Command::Ratify => "ratify",
            Command::RefuseRatification => "refuse_ratification",
            Command::ApproveExperiment => "approve_experiment",
            Command::AuthorityDecision { approve: true } => "authority_approve",
            Command::AuthorityDecision { approve: false } => "authority_decline",
            Command::Activate => "activate",
            Command::Review { .. } => "review",
            Command::Suspend => "suspend",
            Command::End => "end",
            Command::Evaluate => "evaluate",
            Command::Withdraw => "withdraw",
        }
    }

    /// Whether the command is a decision that must give reasons.
    pub fn needs_reasons(&self) -> bool {
        !matches!(
            self,
            Command::Edit { .. }
                | Command::Submit
                | Command::Assess { .. }
                | Command::Attest { .. }
                | Command::Activate
                | Command::RecordFriaNotification { .. }
                | Command::RecordRegistration { .. }
                | Command::WriteFria { .. }
        )
    }

    /// The roles that may give this command.
    pub fn roles(&self) -> &'static [Role] {
        use Role::*;
        match self {
            Command::Edit { .. } | Command::Submit | Command::Activate | Command::Withdraw => {
                &[Applicant]
            }
            Command::DeclareConflict
            | Command::Assess { .. }
            | Command::Advise { .. }
            | Command::Review { .. }
            | Command::Evaluate => &[ReviewCommitteeMember],
            Command::Attest { .. } => &[
                Applicant,
                PrivacyOfficer,
                ChiefOfPolice,
                ReviewCommitteeMember,
            ],
            Command::Ratify | Command::RefuseRatification => &[ChiefOfPolice],
            Command::ApproveExperiment => &[PortfolioHolder],
            Command::AuthorityDecision { .. } => &[CompetentAuthority],
            Command::Suspend => &[ChiefOfPolice, PrivacyOfficer],
            Command::End => &[Applicant, ChiefOfPolice],
            Command::RecordFriaNotification { .. }
            | Command::RecordRegistration { .. }
            | Command::WriteFria { .. } => &[Applicant, PrivacyOfficer],
        }
    }
}

/// What a transition yields for the ledger: who did what to which revision, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The deployment.
    pub deployment: String,
    /// The revision number.
    pub revision: u32,
    /// The decision recorded.
    pub decision: Decision,
}

/// Committee members needed before advice can be given.
pub const COMMITTEE_QUORUM: usize = 3;
/// Hours after the urgent use within which the case authorisation must follow.
pub const URGENT_WINDOW_HOURS: i64 = 48;

impl Revision {
    /// A new draft.
    pub fn draft(number: u32, content: RevisionContent) -> Revision {
        Revision {
            number,
            content,
            state: State::Draft,
            version: 0,
            framework: None,
            conflicts: Vec::new(),
            assessments: Vec::new(),
            assessments_withheld: 0,
            attestations: Vec::new(),
            advice: None,
            portfolio_approvals: Vec::new(),
            activated_at: None,
            last_review_at: None,
            history: Vec::new(),
        }
    }

    /// When the next review is due, while active or suspended.
    pub fn review_due(&self) -> Option<Timestamp> {
        let since = self.last_review_at.or(self.activated_at)?;
        Some(since.plus(i64::from(self.content.review_interval_days) * Timestamp::DAY))
    }

    /// The state as it holds at `now`: an active revision whose review is overdue counts as
    /// suspended, one past its validity as ended.
    pub fn effective_state(&self, now: Timestamp) -> State {
        match self.state {
            State::Active | State::Suspended if now >= self.content.scope.valid_until => {
                State::Ended
            }
            State::Active if self.review_due().is_some_and(|due| now > due) => State::Suspended,
            s => s,
        }
    }

    /// Independent committee members who have assessed.
    fn independent_assessments(&self) -> impl Iterator<Item = &Assessment> {
        self.assessments
            .iter()
            .filter(|a| !self.conflicts.contains(&a.member))
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn refuse<T>(rule: Rule) -> Result<T, GovernError> {
    Err(GovernError::Refused(rule))
}

impl Deployment {
    /// A deployment with its first revision as a draft.
    pub fn new(id: &str, name: &str, content: RevisionContent) -> Result<Deployment, GovernError> {
        crate::ids::check(crate::ids::Kind::Deployment, id)?;
        Ok(Deployment {
            id: id.to_string(),
            name: name.to_string(),
            revisions: vec![Revision::draft(1, content)],
        })
    }

    /// Revision `number`.
    pub fn revision(&self, number: u32) -> Result<&Revision, GovernError> {
        self.revisions
            .iter()
            .find(|r| r.number == number)
            .ok_or_else(|| GovernError::NotFound(format!("revision {number} of {}", self.id)))
    }

    /// Starts a new revision as a draft (a change of technology or scope).
    pub fn new_revision(
        &mut self,
        actor: &Actor,
        content: RevisionContent,
    ) -> Result<u32, GovernError> {
        if actor.role != Role::Applicant {
            return refuse(Rule::WrongRole {
                role: actor.role,
                step: "propose",
                needs: &[Role::Applicant],
            });
        }
        if let Some(open) = self.revisions.iter().find(|r| r.state.being_decided()) {
            return refuse(Rule::RevisionOpen {
                number: open.number,
                state: open.state,
            });
        }
        let number = self.revisions.last().map_or(1, |r| r.number + 1);
        // A changed use with its predecessor's assessment unchanged: the assessment is
        // marked for update (Art. 27(2)); the applicant brings it up to date in the draft.
        let mut content = content;
        if let Some(previous) = self.revisions.last() {
            if content.fria == previous.content.fria {
                content.fria.up_to_date = false;
            }
        }
        self.revisions.push(Revision::draft(number, content));
        Ok(number)
    }

    /// The deployment as `actor` may read it: a committee member who has not yet recorded
    /// an assessment of a revision under review sees no other member's assessment of it —
    /// only how many there are — so that each judges blind (issue 19 item 7). Once their
    /// own is recorded, or the review is over, they see every one.
    pub fn as_seen_by(mut self, actor: &Actor) -> Deployment {
        if actor.role != Role::ReviewCommitteeMember {
            return self;
        }
        for r in &mut self.revisions {
            let under_review = matches!(r.state, State::Submitted | State::InReview);
            if under_review && !r.assessments.iter().any(|a| a.member == actor.user) {
                r.assessments_withheld = r.assessments.len() as u32;
                r.assessments.clear();
            }
        }
        self
    }

    /// The revision in use at `now`, if any.
    pub fn active_revision(&self, now: Timestamp) -> Option<&Revision> {
        self.revisions
            .iter()
            .rev()
            .find(|r| r.effective_state(now) == State::Active)
    }

    /// Moves every other revision that `affected` selects to `to`, recording why; returns
    /// the events.
    #[allow(clippy::too_many_arguments)]
    fn change_others(
        &mut self,
        number: u32,
        affected: impl Fn(&Revision) -> bool,
        to: State,
        action: &str,
        reason: &str,
        actor: &Actor,
        now: Timestamp,
    ) -> Vec<Event> {
        let mut events = Vec::new();
        for other in self
            .revisions
            .iter_mut()
            .filter(|r| r.number != number && affected(r))
        {
            let decision = Decision {
                action: action.to_string(),
                actor: actor.user.clone(),
                role: actor.role,
                at: now,
                reason: reason.to_string(),
                from: other.state,
                to,
                framework: None,
            };
            other.state = to;
            other.version += 1;
            other.history.push(decision.clone());
            events.push(Event {
                deployment: self.id.clone(),
                revision: other.number,
                decision,
            });
        }
        events
    }

    /// Applies `command` by `actor` to revision `number` at `now`, for the reasons given,
    /// under `framework` (the current framework; the one recorded at submission governs the
    /// review). Decisions must give reasons. On success the revision changed and the events
    /// for the ledger are returned; on refusal nothing changed.
    pub fn apply(
        &mut self,
        number: u32,
        actor: &Actor,
        command: Command,
        why: &str,
        framework: &Framework,
        now: Timestamp,
    ) -> Result<Vec<Event>, GovernError> {
        if command.needs_reasons() && why.trim().chars().count() < 3 {
            return refuse(Rule::NeedsReasons {
                step: command.name(),
            });
        }
        if !command.roles().contains(&actor.role) {
            return refuse(Rule::WrongRole {
                role: actor.role,
                step: command.name(),
                needs: command.roles(),
            });
        }
        let index = self
            .revisions
            .iter()
            .position(|r| r.number == number)
            .ok_or_else(|| GovernError::NotFound(format!("revision {number} of {}", self.id)))?;
        // Work on a copy: a refusal leaves everything as it was.
        let mut rev = self.revisions[index].clone();
        let from = rev.effective_state(now);
        let mut reason = String::new();
        let mut extra: Vec<Event> = Vec::new();
        let name = command.name();
        // Ownership: an applicant acts on their own revision only (edit, submit, attest,
        // activate, end, withdraw); the chief of police may end any use.
        if actor.role == Role::Applicant && actor.user != rev.content.applicant {
            return refuse(Rule::NotOwnApplicant { step: name });
        }
        let to = match command {
            Command::Edit { content } => {
                if from != State::Draft {
                    return refuse(Rule::EditOnlyDraft);
                }
                if content.applicant != rev.content.applicant {
                    return refuse(Rule::ApplicantFixed);
                }
                rev.content = *content;
                State::Draft
            }
            Command::Submit => {
                if from != State::Draft {
                    return refuse(Rule::SubmitOnlyDraft { state: from });
                }
                validate_content(&rev.content)?;
                rev.framework = Some(framework.id());
                if rev.content.corrects_defect {
                    // Suspend the running revision: its defect must not keep running.
                    extra.extend(self.change_others(
                        number,
                        |r| r.effective_state(now) == State::Active,
                        State::Suspended,
                        "suspend",
                        &format!("revision {number}, which corrects a defect, was submitted"),
                        actor,
                        now,
                    ));
                }
                State::Submitted
            }
            Command::DeclareConflict => {
                if !matches!(from, State::Submitted | State::InReview) {
                    return refuse(Rule::ConflictOutsideReview);
                }
                if rev.conflicts.contains(&actor.user) {
                    return refuse(Rule::ConflictAlreadyDeclared);
                }
                rev.conflicts.push(actor.user.clone());
                reason = "conflict of interest declared; excluded from this review".into();
                from
            }
            Command::Assess { judgements } => {
                if !matches!(from, State::Submitted | State::InReview) {
                    return refuse(Rule::NotUnderReview { state: from });
                }
                check_independent(&rev, actor)?;
                if rev.assessments.iter().any(|a| a.member == actor.user) {
                    return refuse(Rule::AlreadyAssessed);
                }
                let reviewed_under = reviewed_framework(&rev, framework)?;
                check_complete(&judgements, framework)?;
                rev.assessments.push(Assessment {
                    member: actor.user.clone(),
                    at: now,
                    framework: reviewed_under,
                    judgements,
                });
                State::InReview
            }
            Command::WriteFria { parts, up_to_date } => {
                if from != State::Draft {
                    return refuse(Rule::EditOnlyDraft);
                }
                if parts.iter().any(|p| p.chars().count() > MAX_FRIA_PART) {
                    return Err(GovernError::Invalid(format!(
                        "a part of the assessment holds at most {MAX_FRIA_PART} characters"
                    )));
                }
                rev.content
                    .fria
                    .set_parts((*parts).map(|p| p.trim().to_string()));
                rev.content.fria.up_to_date = up_to_date;
                reason = "wrote the fundamental-rights impact assessment".into();
                from
            }
            Command::RecordFriaNotification {
                notified_on,
                reference,
            } => {
                record_before_use(from)?;
                let on = Timestamp::parse(notified_on.trim()).map_err(|e| {
                    GovernError::Invalid(format!("the day the authority was notified: {e}"))
                })?;
                if on > now {
                    return Err(GovernError::Invalid(
                        "the day the authority was notified lies in the future".into(),
                    ));
                }
                let reference = record_reference(&reference)?;
                rev.content.fria.notified_on = notified_on.trim().to_string();
                rev.content.fria.notification_reference = reference.clone();
                reason = format!(
                    "the market surveillance authority notified of the assessment on {} ({reference})",
                    notified_on.trim()
                );
                from
            }
            Command::RecordRegistration { reference } => {
                record_before_use(from)?;
                let reference = record_reference(&reference)?;
                rev.content.registration_reference = reference.clone();
                reason = format!("registered in the EU database ({reference})");
                from
            }
            Command::Attest { precondition } => {
                if !matches!(from, State::Submitted | State::InReview) {
                    return refuse(Rule::AttestOutsideReview);
                }
                reviewed_framework(&rev, framework)?;
                let p = framework
                    .preconditions
                    .iter()
                    .find(|p| p.key == precondition)
                    .ok_or_else(|| GovernError::NotFound(format!("precondition {precondition}")))?;
                match p.established {
                    Establishment::Attested { role } if role == actor.role => {}
                    Establishment::Attested { role } => {
                        return refuse(Rule::AttestedByOtherRole { precondition, role })
                    }
                    Establishment::Machine { .. } => {
                        return refuse(Rule::MachineChecked { precondition })
                    }
                }
                if rev.attestations.iter().any(|(k, _)| k == &precondition) {
                    return refuse(Rule::AlreadyAttested { precondition });
                }
                rev.attestations
                    .push((precondition.clone(), actor.user.clone()));
                reason = format!("attests {precondition}");
                from
            }
            Command::Advise { outcome } => {
                if from != State::InReview {
                    return refuse(Rule::AdviceOutsideReview { state: from });
                }
                check_independent(&rev, actor)?;
                if !rev.assessments.iter().any(|a| a.member == actor.user) {
                    return refuse(Rule::NotAssessor);
                }
                reviewed_framework(&rev, framework)?;
                let members = rev.independent_assessments().count();
                if members < COMMITTEE_QUORUM {
                    return refuse(Rule::NoQuorum {
                        members,
                        needed: COMMITTEE_QUORUM,
                    });
                }
                if outcome != AdviceOutcome::Negative {
                    positive_allowed(&rev, framework)?;
                }
                rev.advice = Some(outcome);
                reason = format!("{outcome:?}");
                State::Advised
            }
            Command::Ratify | Command::RefuseRatification => {
                if from != State::Advised {
                    return refuse(Rule::RatifyBeforeAdvice { state: from });
                }
                if name == "ratify" {
                    if rev.advice == Some(AdviceOutcome::Negative) {
                        return refuse(Rule::NegativeAdvice);
                    }
                    State::Ratified
                } else {
                    State::RatificationRefused
                }
            }
            Command::ApproveExperiment => {
                if from != State::Ratified || !rev.content.experiment {
                    return refuse(Rule::NotRatifiedExperiment);
                }
                let Some(portfolio) = actor.portfolio else {
                    return refuse(Rule::NoPortfolio);
                };
                if rev
                    .portfolio_approvals
                    .iter()
                    .any(|(p, u)| *p == portfolio || *u == actor.user)
                {
                    return refuse(Rule::AlreadyApproved);
                }
                rev.portfolio_approvals
                    .push((portfolio, actor.user.clone()));
                reason = format!("approved for {portfolio:?}");
                from
            }
            Command::AuthorityDecision { approve } => {
                if from != State::Ratified {
                    return refuse(Rule::AuthorityBeforeRatification { state: from });
                }
                if rev.content.experiment && approve {
                    let both = [Portfolio::Digitalisation, Portfolio::EthicsAndPrivacy]
                        .iter()
                        .all(|p| rev.portfolio_approvals.iter().any(|(q, _)| q == p));
                    if !both {
                        return refuse(Rule::PortfolioApprovalsMissing);
                    }
                }
                if approve {
                    State::AuthorityApproved
                } else {
                    State::AuthorityDeclined
                }
            }
            Command::Activate => {
                if from != State::AuthorityApproved {
                    return refuse(Rule::ActivateOnlyApproved { state: from });
                }
                if now < rev.content.scope.valid_from || now >= rev.content.scope.valid_until {
                    return refuse(Rule::OutsideValidity);
                }
                // What must be done before use, after the approval: the assessment's
                // notification, the registration.
                if let Some((key, why)) = framework
                    .failed_machine_checks_before_use(&rev.content)
                    .first()
                {
                    return refuse(Rule::NotReadyForUse {
                        key: key.to_string(),
                        why: why.to_string(),
                    });
                }
                rev.activated_at = Some(now);
                rev.last_review_at = Some(now);
                extra.extend(self.change_others(
                    number,
                    |r| matches!(r.state, State::Active | State::Suspended),
                    State::Superseded,
                    "supersede",
                    &format!("revision {number} activated"),
                    actor,
                    now,
                ));
                State::Active
            }
            Command::Review { continue_use } => {
                if !matches!(from, State::Active | State::Suspended)
                    || !matches!(rev.state, State::Active | State::Suspended)
                {
                    return refuse(Rule::ReviewNotInUse);
                }
                check_independent(&rev, actor)?;
                rev.last_review_at = Some(now);
                if continue_use {
                    State::Active
                } else {
                    State::Suspended
                }
            }
            Command::Suspend => {
                if from != State::Active {
                    return refuse(Rule::SuspendOnlyActive);
                }
                State::Suspended
            }
            Command::End => {
                if !matches!(rev.state, State::Active | State::Suspended) {
                    return refuse(Rule::EndOnlyInUse);
                }
                State::Ended
            }
            Command::Evaluate => {
                if from != State::Ended {
                    return refuse(Rule::EvaluateOnlyEnded);
                }
                State::Evaluated
            }
            Command::Withdraw => {
                if !matches!(from, State::Draft | State::Submitted | State::InReview) {
                    return refuse(Rule::WithdrawOnlyBeforeAdvice);
                }
                State::Withdrawn
            }
        };
        let reason = match (reason.is_empty(), why.trim().is_empty()) {
            (true, _) => why.trim().to_string(),
            (false, true) => reason,
            (false, false) => format!("{reason}: {}", why.trim()),
        };
        let decision = Decision {
            action: name.to_string(),
            actor: actor.user.clone(),
            role: actor.role,
            at: now,
            reason,
            from,
            to,
            framework: rev.framework.clone(),
        };
        rev.state = to;
        rev.version += 1;
        rev.history.push(decision.clone());
        self.revisions[index] = rev;
        let mut events = vec![Event {
            deployment: self.id.clone(),
            revision: number,
            decision,
        }];
        events.append(&mut extra);
        Ok(events)
    }
}

impl Deployment {
    /// Whether `actor` may write this deployment's published texts (the public register's
    /// and the EU database's): the privacy officer, or an applicant of one of its revisions.
    pub fn may_write_texts(&self, actor: &Actor) -> Result<(), GovernError> {
        match actor.role {
            Role::PrivacyOfficer => Ok(()),
            Role::Applicant
                if self
                    .revisions
                    .iter()
                    .any(|r| r.content.applicant == actor.user) =>
            {
                Ok(())
            }
            Role::Applicant => refuse(Rule::TextsNotOwn),
            role => refuse(Rule::WrongRole {
                role,
                step: "write_texts",
                needs: &[Role::Applicant, Role::PrivacyOfficer],
            }),
        }
    }
}

/// The framework version a review uses: the one recorded at submission. A newer current
/// framework does not change a review in progress; the caller must pass the recorded one.
fn reviewed_framework(rev: &Revision, framework: &Framework) -> Result<String, GovernError> {
    match &rev.framework {
        Some(id) if *id == framework.id() => Ok(id.clone()),
        Some(id) => refuse(Rule::OtherFramework {
            recorded: id.clone(),
            given: framework.id(),
        }),
        None => refuse(Rule::NotSubmitted),
    }
}

fn check_independent(rev: &Revision, actor: &Actor) -> Result<(), GovernError> {
    if actor.user == rev.content.applicant {
        return refuse(Rule::ReviewOwnProposal);
    }
    if actor.unit == rev.content.deploying_unit {
        return refuse(Rule::SameUnit {
            unit: actor.unit.clone(),
        });
    }
    if rev.conflicts.contains(&actor.user) {
        return refuse(Rule::ConflictExcluded);
    }
    Ok(())
}

fn check_complete(judgements: &[Judgement], framework: &Framework) -> Result<(), GovernError> {
    let keys: Vec<&str> = framework
        .factors
        .iter()
        .map(|f| f.key.as_str())
        .chain(framework.preconditions.iter().map(|p| p.key.as_str()))
        .collect();
    for key in &keys {
        match judgements.iter().filter(|j| j.key == *key).count() {
            0 => {
                return refuse(Rule::JudgementMissing {
                    key: key.to_string(),
                })
            }
            1 => {}
            _ => {
                return refuse(Rule::JudgementTwice {
                    key: key.to_string(),
                })
            }
        }
    }
    if let Some(j) = judgements.iter().find(|j| !keys.contains(&j.key.as_str())) {
        return refuse(Rule::JudgementUnknown { key: j.key.clone() });
    }
    if let Some(j) = judgements.iter().find(|j| j.reasons.trim().len() < 3) {
        return refuse(Rule::JudgementWithoutReasons { key: j.key.clone() });
    }
    Ok(())
}

/// The longest part of a fundamental-rights impact assessment.
pub const MAX_FRIA_PART: usize = 5000;

/// The notification and the registration are recorded before use only.
fn record_before_use(from: State) -> Result<(), GovernError> {
    if from.being_decided() {
        Ok(())
    } else {
        refuse(Rule::RecordOnlyBeforeUse { state: from })
    }
}

fn record_reference(reference: &str) -> Result<String, GovernError> {
    let r = reference.trim();
    if r.is_empty() || r.chars().count() > 200 {
        return Err(GovernError::Invalid(
            "give the reference (1 to 200 characters)".into(),
        ));
    }
    Ok(r.to_string())
}

fn positive_allowed(rev: &Revision, framework: &Framework) -> Result<(), GovernError> {
    let failed = framework.failed_machine_checks_at_advice(&rev.content);
    if let Some((key, why)) = failed.first() {
        return refuse(Rule::PreconditionFails {
            key: key.to_string(),
            why: why.to_string(),
        });
    }
    for p in &framework.preconditions {
        if matches!(p.established, Establishment::Attested { .. })
            && !rev.attestations.iter().any(|(k, _)| *k == p.key)
        {
            return refuse(Rule::PreconditionNotAttested { key: p.key.clone() });
        }
        let unmet = rev.independent_assessments().any(|a| {
            a.judgements
                .iter()
                .any(|j| j.key == p.key && j.weighing != Weighing::Favourable)
        });
        if unmet {
            return refuse(Rule::PreconditionJudgedUnmet { key: p.key.clone() });
        }
    }
    Ok(())
}

/// The longest candidate list a revision may ask for: each candidate is compared by hand,
/// and the index allocates the list (an unbounded length is a memory hazard too).
pub const MAX_CANDIDATE_LIST_LENGTH: u32 = 200;

fn validate_content(c: &RevisionContent) -> Result<(), GovernError> {
    let bad = |why: &str| Err(GovernError::Invalid(why.to_string()));
    if c.purpose.trim().is_empty() {
        return bad("the purpose is empty");
    }
    if c.oversight.verifiers_required < 2 {
        return bad("at least two verifiers are required (AI Act Art. 14(5))");
    }
    if c.scope.valid_until <= c.scope.valid_from {
        return bad("the validity window is empty");
    }
    if c.technology.candidate_list_length == 0 || !c.technology.score_threshold.is_finite() {
        return bad("the candidate list length and score threshold must be set");
    }
    if c.technology.candidate_list_length > MAX_CANDIDATE_LIST_LENGTH {
        return Err(GovernError::Invalid(format!(
            "a candidate list of {} is more than an examiner can compare; at most {MAX_CANDIDATE_LIST_LENGTH}",
            c.technology.candidate_list_length
        )));
    }
    if c.scope.reference_databases.is_empty() {
        return bad("no reference database is in scope");
    }
    Ok(())
}
