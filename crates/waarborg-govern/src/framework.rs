//! Deployment frameworks as versioned data: the weighing factors and the hard
//! preconditions a review committee applies.
//!
//! A framework version is immutable once imported; every assessment and decision records
//! the version it used, so importing a new one never changes a past decision.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::revision::RevisionContent;
use crate::GovernError;

/// The five groups of hard preconditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PreconditionGroup {
    /// Reporting and review obligations.
    ReportingAndReview,
    /// System requirements.
    SystemRequirements,
    /// Human control and oversight.
    HumanControl,
    /// Privacy and data governance.
    PrivacyAndDataGovernance,
    /// Transparency and accountability.
    TransparencyAndAccountability,
}

/// A precondition the machine checks from the revision's own data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MachineCheck {
    /// At least two verifiers are required.
    AtLeastTwoVerifiers,
    /// A DPIA reference is present and the DPIA is approved.
    DpiaApproved,
    /// Every model is pinned by a SHA-256.
    ModelsPinned,
    /// Retention periods are set for probes and for results.
    RetentionSet,
    /// An algorithm-register text is drafted.
    AlgorithmRegisterDrafted,
    /// A review interval and an end of validity are set.
    ReviewDatesSet,
    /// Examiners are named.
    ExaminersNamed,
    /// The fundamental-rights impact assessment is complete and up to date (Art. 27(1)).
    FriaComplete,
    /// The market surveillance authority was notified of it (Art. 27(3)).
    FriaNotified,
    /// The use is registered in the EU database (Art. 26(8), 49(4)).
    Registered,
    /// Every model's licence permits operational use, unless the use is an experiment or a
    /// demonstration.
    ModelsLicensed,
    /// An accuracy evaluation with exactly these models on enough mated pairs, unless the
    /// use is an experiment or a demonstration.
    ModelsEvaluated,
}

impl MachineCheck {
    /// Whether it is done after the approval and checked at activation (the assessment's
    /// notification, the registration), not before the committee's advice.
    pub fn before_use(self) -> bool {
        matches!(
            self,
            MachineCheck::FriaNotified | MachineCheck::Registered | MachineCheck::ModelsLicensed
        )
    }

    /// Whether `content` meets this check; `Err` says what is missing.
    pub fn evaluate(self, content: &RevisionContent) -> Result<(), String> {
        let ok = |b: bool, why: &str| if b { Ok(()) } else { Err(why.to_string()) };
        match self {
            MachineCheck::AtLeastTwoVerifiers => ok(
                content.oversight.verifiers_required >= 2,
                "fewer than two verifiers are required",
            ),
            MachineCheck::DpiaApproved => ok(
                !content.dpia.reference.trim().is_empty() && content.dpia.approved,
                "no approved DPIA is referenced",
            ),
            MachineCheck::ModelsPinned => ok(
                !content.technology.model_sha256.is_empty()
                    && content.technology.model_sha256.iter().all(|h| is_sha256(h)),
                "the models are not all pinned by SHA-256",
            ),
            MachineCheck::RetentionSet => ok(
                content.retention.probe_days > 0 && content.retention.result_days > 0,
                "retention periods for probes and results are not set",
            ),
            MachineCheck::AlgorithmRegisterDrafted => ok(
                content.algorithm_register_text.trim().len() >= 40,
                "no algorithm-register text is drafted",
            ),
            MachineCheck::ReviewDatesSet => ok(
                content.review_interval_days > 0
                    && content.scope.valid_until > content.scope.valid_from,
                "review interval or validity window not set",
            ),
            MachineCheck::ExaminersNamed => ok(
                !content.oversight.examiners.is_empty(),
                "no examiners are named",
            ),
            MachineCheck::FriaComplete => content.fria.complete(),
            MachineCheck::FriaNotified => ok(
                crate::Timestamp::parse(content.fria.notified_on.trim()).is_ok()
                    && !content.fria.notification_reference.trim().is_empty(),
                "the market surveillance authority's notification of the fundamental-rights impact assessment (date and reference) is not recorded",
            ),
            MachineCheck::Registered => ok(
                !content.registration_reference.trim().is_empty(),
                "the use's registration in the EU database (its reference) is not recorded",
            ),
            MachineCheck::ModelsLicensed => {
                let unlicensed = content.technology.models_not_licensed_for_operational_use();
                match unlicensed.first() {
                    None => Ok(()),
                    Some(_) if content.kind_of_use() != crate::revision::KindOfUse::Operational => Ok(()),
                    Some((hash, licence)) => Err(format!(
                        "model {} is not licensed for operational use ({licence}); pin a model pair whose licence permits it (`waarborg models add`), or mark the use as an experiment or a demonstration",
                        hash.get(..12).unwrap_or(hash)
                    )),
                }
            }
            MachineCheck::ModelsEvaluated => match content.technology.evaluation_gap() {
                Some(_) if content.kind_of_use() != crate::revision::KindOfUse::Operational => {
                    Ok(())
                }
                Some(gap) => Err(gap),
                None => Ok(()),
            },
        }
    }
}

fn is_sha256(h: &str) -> bool {
    h.len() == 64
        && h.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// How a precondition is established.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "by")]
pub enum Establishment {
    /// Checked by the machine from the revision.
    Machine {
        /// Which check.
        check: MachineCheck,
    },
    /// Attested by a named person in the given role.
    Attested {
        /// The role whose attestation counts (e.g. `privacy_officer`).
        role: crate::Role,
    },
}

/// One weighing factor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Factor {
    /// Stable key (e.g. `subsidiarity`).
    pub key: String,
    /// Title.
    pub title: String,
    /// The question the committee answers.
    pub question: String,
}

/// One hard precondition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Precondition {
    /// Stable key.
    pub key: String,
    /// Its group.
    pub group: PreconditionGroup,
    /// What must hold.
    pub text: String,
    /// How it is established.
    pub established: Establishment,
}

/// A framework version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Framework {
    /// The framework's name (e.g. `inzetkader`).
    pub name: String,
    /// Its version; `name@version` identifies it.
    pub version: u32,
    /// Title.
    pub title: String,
    /// True for a template the organisation must replace with its official text.
    pub template: bool,
    /// The weighing factors.
    pub factors: Vec<Factor>,
    /// The hard preconditions.
    pub preconditions: Vec<Precondition>,
    /// The graded scale examiners and verifiers conclude on (ENFSI-style by default).
    #[serde(default)]
    pub conclusion_scale: crate::scale::ConclusionScale,
    /// The limits of the monitoring indicators; crossing one raises an alert (AI Act
    /// Art. 26(5); the defaults where a framework names none).
    #[serde(default = "crate::monitoring::Threshold::defaults")]
    pub monitoring: Vec<crate::monitoring::Threshold>,
}

impl Framework {
    /// The keys a committee member judges: every factor's, then every precondition's.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.factors
            .iter()
            .map(|f| &f.key)
            .chain(self.preconditions.iter().map(|p| &p.key))
    }

    /// `name@version`.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }

    /// Checks a framework before it is imported: keys unique and well-formed, something
    /// to weigh, every precondition group present.
    pub fn validate(&self) -> Result<(), GovernError> {
        let bad = |why: String| Err(GovernError::InvalidFramework(why));
        if !crate::is_key(&self.name) {
            return bad(format!("name {:?} must be a lowercase key", self.name));
        }
        if self.version == 0 {
            return bad("versions start at 1".into());
        }
        if self.factors.is_empty() {
            return bad("a framework needs weighing factors".into());
        }
        let mut keys = HashSet::new();
        for key in self
            .factors
            .iter()
            .map(|f| &f.key)
            .chain(self.preconditions.iter().map(|p| &p.key))
        {
            if !crate::is_key(key) {
                return bad(format!(
                    "key {key:?} must be lowercase letters, digits and '_'"
                ));
            }
            if !keys.insert(key) {
                return bad(format!("key {key:?} is used twice"));
            }
        }
        for f in &self.factors {
            if f.title.trim().is_empty() || f.question.trim().is_empty() {
                return bad(format!("factor {} needs a title and a question", f.key));
            }
        }
        self.conclusion_scale
            .validate()
            .map_err(GovernError::InvalidFramework)?;
        crate::monitoring::Threshold::validate_all(&self.monitoring)
            .map_err(GovernError::InvalidFramework)?;
        for group in [
            PreconditionGroup::ReportingAndReview,
            PreconditionGroup::SystemRequirements,
            PreconditionGroup::HumanControl,
            PreconditionGroup::PrivacyAndDataGovernance,
            PreconditionGroup::TransparencyAndAccountability,
        ] {
            if !self.preconditions.iter().any(|p| p.group == group) {
                return bad(format!("no precondition in group {group:?}"));
            }
        }
        Ok(())
    }

    /// Parses and validates a framework from JSON.
    pub fn from_json(text: &str) -> Result<Framework, GovernError> {
        let f: Framework =
            serde_json::from_str(text).map_err(|e| GovernError::InvalidFramework(e.to_string()))?;
        f.validate()?;
        Ok(f)
    }

    /// Parses and validates a framework from TOML (the form a committee edits by hand).
    pub fn from_toml(text: &str) -> Result<Framework, GovernError> {
        let f: Framework =
            toml::from_str(text).map_err(|e| GovernError::InvalidFramework(e.to_string()))?;
        f.validate()?;
        Ok(f)
    }

    /// The machine-checked preconditions that `content` fails, with what is missing.
    pub fn failed_machine_checks(&self, content: &RevisionContent) -> Vec<(String, String)> {
        self.failed_where(content, |_| true)
    }

    /// Those the committee's positive advice needs: all but what is done before use.
    pub fn failed_machine_checks_at_advice(
        &self,
        content: &RevisionContent,
    ) -> Vec<(String, String)> {
        self.failed_where(content, |c| !c.before_use())
    }

    /// Those done after the approval and needed before use (the assessment's
    /// notification, the registration): checked at activation.
    pub fn failed_machine_checks_before_use(
        &self,
        content: &RevisionContent,
    ) -> Vec<(String, String)> {
        self.failed_where(content, MachineCheck::before_use)
    }

    fn failed_where(
        &self,
        content: &RevisionContent,
        which: impl Fn(MachineCheck) -> bool,
    ) -> Vec<(String, String)> {
        self.preconditions
            .iter()
            .filter_map(|p| match p.established {
                Establishment::Machine { check } if which(check) => check
                    .evaluate(content)
                    .err()
                    .map(|why| (p.key.clone(), why)),
                _ => None,
            })
            .collect()
    }

    /// The default framework: a **template** built from public descriptions of the Dutch
    /// police's deployment framework (Inzetkader), to be replaced by the organisation's
    /// official text.
    pub fn default_template() -> Framework {
        let factor = |key: &str, title: &str, question: &str| Factor {
            key: key.into(),
            title: title.into(),
            question: question.into(),
        };
        let machine = |key: &str, group, text: &str, check| Precondition {
            key: key.into(),
            group,
            text: text.into(),
            established: Establishment::Machine { check },
        };
        let attested = |key: &str, group, text: &str, role| Precondition {
            key: key.into(),
            group,
            text: text.into(),
            established: Establishment::Attested { role },
        };
        use PreconditionGroup::*;
        Framework {
            name: "inzetkader-template".into(),
            version: 1,
            title: "Deployment framework for face recognition — TEMPLATE from public descriptions; replace with the official text".into(),
            template: true,
            factors: vec![
                factor("purpose_and_legal_basis", "Purpose and legal basis", "Is the purpose specific and is there a legal basis for this processing of biometric data?"),
                factor("seriousness_of_offences", "Seriousness of the offences", "Are the offences serious enough to justify face recognition?"),
                factor("subsidiarity", "Necessity and alternatives", "Can the purpose be reached with less intrusive means?"),
                factor("proportionality", "Proportionality and impact on bystanders", "Is the intrusion, including on people who are not suspects, proportionate to the purpose?"),
                factor("targeting", "Targeting", "Is the use limited in persons, place and duration?"),
                factor("reference_data", "Lawfulness and quality of the reference data", "Is the reference data lawfully held, current and of sufficient quality?"),
                factor("technical_performance", "Technical performance and demographic differentials", "Is the accuracy known and acceptable, also across demographic groups?"),
                factor("human_oversight", "Human oversight and follow-up", "Do trained people verify every result before any action follows?"),
                factor("fundamental_rights", "Fundamental-rights impact", "What is the impact on privacy, non-discrimination and freedom of assembly?"),
                factor("transparency_and_evaluation", "Transparency and evaluation", "Is the use published and will it be evaluated?"),
            ],
            preconditions: vec![
                machine("review_dates_set", ReportingAndReview, "Review intervals and an end date are set.", MachineCheck::ReviewDatesSet),
                attested("reporting_agreed", ReportingAndReview, "Reporting duties to the committee and the authority are agreed.", crate::Role::Applicant),
                machine("models_pinned", SystemRequirements, "Every model is pinned by its SHA-256.", MachineCheck::ModelsPinned),
                machine("models_licensed", SystemRequirements, "Every model's licence permits operational use (experiments and demonstrations may use research models).", MachineCheck::ModelsLicensed),
                machine("models_evaluated", SystemRequirements, "The models' accuracy is evaluated with exactly these models on at least 300 mated pairs (operational use; AI Act Art. 15, 26).", MachineCheck::ModelsEvaluated),
                attested("security_reviewed", SystemRequirements, "The system's security has been reviewed.", crate::Role::PrivacyOfficer),
                machine("two_verifiers", HumanControl, "At least two independent verifiers confirm every identification.", MachineCheck::AtLeastTwoVerifiers),
                machine("examiners_named", HumanControl, "Only named, trained examiners search.", MachineCheck::ExaminersNamed),
                machine("dpia_approved", PrivacyAndDataGovernance, "An approved DPIA is referenced.", MachineCheck::DpiaApproved),
                machine("fria_complete", PrivacyAndDataGovernance, "A fundamental-rights impact assessment covers points (a) to (f) of AI Act Art. 27(1) and is up to date for this revision.", MachineCheck::FriaComplete),
                machine("fria_notified", PrivacyAndDataGovernance, "The market surveillance authority is notified of the assessment (AI Act Art. 27(3)).", MachineCheck::FriaNotified),
                machine("registered", TransparencyAndAccountability, "The use is registered in the EU database's non-public section (AI Act Art. 26(8), 49(4)).", MachineCheck::Registered),
                machine("retention_set", PrivacyAndDataGovernance, "Retention periods for probes and results are set.", MachineCheck::RetentionSet),
                machine("register_text", TransparencyAndAccountability, "An algorithm-register text is drafted.", MachineCheck::AlgorithmRegisterDrafted),
                attested("accountability_named", TransparencyAndAccountability, "A responsible officer is named and accountable.", crate::Role::Applicant),
            ],
            conclusion_scale: crate::scale::ConclusionScale::enfsi(),
            monitoring: crate::monitoring::Threshold::defaults(),
        }
    }
}
