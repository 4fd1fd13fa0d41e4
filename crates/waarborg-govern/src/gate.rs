//! The gate (invariant 1): the one function every biometric operation asks first.
//!
//! It checks the whole chain — an active, retrospective revision of a deployment that runs
//! in Waarborg, within its validity and not overdue for review; an actor whose role and
//! assignment allow the action and, for an examiner, whose competence is current
//! ([`crate::competence`]); a case authorisation covering the search (or urgent use
//! within its window); offence, reference databases and probe source within scope; and the
//! technology the engine presents equal to what the revision pins. Handlers never
//! re-implement any of this.

use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Role, Timestamp};
use crate::case::{CaseAuthorisation, CaseStatus};
use crate::competence::{CompetenceRecord, Lack};
use crate::revision::{Deployment, Mode, State};

/// A biometric operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Face detection on a probe, for a search.
    DetectForSearch,
    /// Template extraction from a probe.
    Extract,
    /// A 1:N search.
    Search,
    /// Enrolment of a reference image.
    Enrol,
}

impl Action {
    /// The roles that may perform it.
    pub fn roles(self) -> &'static [Role] {
        match self {
            Action::DetectForSearch | Action::Extract | Action::Search => &[Role::Examiner],
            Action::Enrol => &[Role::ReferenceDatabaseManager],
        }
    }

    /// Whether it is done for a case (and so needs a case authorisation).
    pub fn needs_case(self) -> bool {
        !matches!(self, Action::Enrol)
    }

    /// Name for the ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::DetectForSearch => "detect",
            Action::Extract => "extract",
            Action::Search => "search",
            Action::Enrol => "enrol",
        }
    }
}

/// Everything the gate looks at.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// Who.
    pub actor: &'a Actor,
    /// What.
    pub action: Action,
    /// Under which deployment: the register's record, or the id asked for when the register
    /// holds none by that id (refused here like every other reason, so that the refusal is
    /// logged the same way).
    pub deployment: Result<&'a Deployment, &'a str>,
    /// For which case (search actions): its authorisation, or the number asked for when no
    /// authorisation was ever requested under it; `None` when no case was named.
    pub case: Option<Result<&'a CaseAuthorisation, &'a str>>,
    /// The reference databases the operation touches.
    pub reference_databases: &'a [String],
    /// The probe's source kind (search actions).
    pub probe_source: Option<&'a str>,
    /// SHA-256 of the models the engine has loaded (`FaceEngine::fingerprint`).
    pub model_sha256: &'a [String],
    /// The actor's competence record, if the register holds one.
    pub competence: Option<&'a CompetenceRecord>,
    /// Now.
    pub now: Timestamp,
}

/// Permission to run, with the settings the revision imposes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Permit {
    /// `deployment/revision`, for the ledger.
    pub revision: String,
    /// Candidates below this score are not shown.
    pub score_threshold: f32,
    /// Longest candidate list.
    pub candidate_list_length: u32,
    /// Verifications needed before an identification exists.
    pub verifiers_required: u32,
    /// The search precedes its authorisation (urgent use); the deadline.
    pub urgent_until: Option<Timestamp>,
}

/// Why the gate refused. Every variant is a distinct, tested reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Refusal {
    /// The register holds no deployment by this id.
    #[error("no deployment {0} in the register")]
    UnknownDeployment(String),
    /// No revision of the deployment is active.
    #[error("no active revision of deployment {deployment} (latest is {state})")]
    NotActive {
        /// The deployment.
        deployment: String,
        /// The latest revision's state.
        state: String,
    },
    /// The revision is suspended.
    #[error("the revision is suspended")]
    Suspended,
    /// The revision's review during use is overdue, which suspends it.
    #[error("the revision's review was due at {0}; it is suspended until reviewed")]
    ReviewOverdue(Timestamp),
    /// Real-time use is never run by Waarborg.
    #[error("real-time identification is never run by Waarborg")]
    RealTime,
    /// The deployment governs another system.
    #[error("this deployment governs the system {0}, not Waarborg")]
    OtherSystem(String),
    /// The actor's role may not do this.
    #[error("the role {role} may not {action}")]
    Role {
        /// The role.
        role: String,
        /// The action.
        action: String,
    },
    /// The actor is not assigned as an examiner of the revision.
    #[error("{0} is not an examiner named in the revision")]
    NotAssigned(String),
    /// The examiner is not competent now: no current qualification or AI-literacy
    /// training, or no authorisation under this deployment (the competence register).
    #[error("{0}")]
    NotQualified(Lack),
    /// A search without a case, or for a case number under which no authorisation was
    /// requested (the number, when one was named).
    #[error("{}", no_case(.0.as_deref()))]
    NoCase(Option<String>),
    /// The case is under another deployment.
    #[error("case {0} was authorised for another deployment")]
    WrongDeployment(String),
    /// The case awaits its authorisation and urgent use does not apply.
    #[error("case {0} is not (yet) authorised")]
    NotAuthorised(String),
    /// The authority refused.
    #[error("the authority refused case {0}")]
    AuthorisationRefused(String),
    /// Urgent use whose 48 hours passed without authorisation.
    #[error("the 48 hours for authorising urgent use in case {0} have passed")]
    AuthorisationLate(String),
    /// The offence is outside the revision's scope.
    #[error("the offence ({0}) is outside the revision's scope")]
    OffenceOutOfScope(String),
    /// A reference database outside the scope.
    #[error("reference database {0} is outside the revision's scope")]
    DatabaseOutOfScope(String),
    /// The probe source is outside the scope (or not given).
    #[error("probe source {0} is outside the revision's scope")]
    ProbeSourceOutOfScope(String),
    /// Now is before the revision's validity begins (a clock set back, or a revision put
    /// into use early by a clock that ran ahead).
    #[error("the revision is valid from {0} only")]
    NotYetValid(Timestamp),
    /// The engine's models differ from the revision's.
    #[error("the engine's models {presented:?} differ from the approved {approved:?}")]
    TechnologyMismatch {
        /// What the revision pins.
        approved: Vec<String>,
        /// What the engine presented.
        presented: Vec<String>,
    },
}

/// A search without a case, or for a case number no authorisation was requested under.
fn no_case(number: Option<&str>) -> String {
    match number {
        Some(n) => format!("a search needs a case authorisation; none was requested for case {n}"),
        None => "a search needs a case authorisation".into(),
    }
}

impl Refusal {
    /// Every code, for the tests that check each is translated.
    pub const CODES: &'static [&'static str] = &[
        "unknown_deployment",
        "not_active",
        "suspended",
        "review_overdue",
        "real_time",
        "other_system",
        "role",
        "not_assigned",
        "no_qualification",
        "qualification_expired",
        "no_ai_literacy",
        "ai_literacy_expired",
        "no_competence_authorisation",
        "no_case",
        "wrong_deployment",
        "not_authorised",
        "authorisation_refused",
        "authorisation_late",
        "offence_out_of_scope",
        "database_out_of_scope",
        "probe_source_out_of_scope",
        "technology_mismatch",
        "not_yet_valid",
    ];

    /// A short code for figures and the ledger (e.g. `not_active`).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::UnknownDeployment(_) => "unknown_deployment",
            Refusal::NotActive { .. } => "not_active",
            Refusal::Suspended => "suspended",
            Refusal::ReviewOverdue(_) => "review_overdue",
            Refusal::RealTime => "real_time",
            Refusal::OtherSystem(_) => "other_system",
            Refusal::Role { .. } => "role",
            Refusal::NotAssigned(_) => "not_assigned",
            Refusal::NotQualified(lack) => lack.code(),
            Refusal::NoCase(_) => "no_case",
            Refusal::WrongDeployment(_) => "wrong_deployment",
            Refusal::NotAuthorised(_) => "not_authorised",
            Refusal::AuthorisationRefused(_) => "authorisation_refused",
            Refusal::AuthorisationLate(_) => "authorisation_late",
            Refusal::OffenceOutOfScope(_) => "offence_out_of_scope",
            Refusal::DatabaseOutOfScope(_) => "database_out_of_scope",
            Refusal::ProbeSourceOutOfScope(_) => "probe_source_out_of_scope",
            Refusal::TechnologyMismatch { .. } => "technology_mismatch",
            Refusal::NotYetValid(_) => "not_yet_valid",
        }
    }
}

/// Decides whether the operation may run.
pub fn check(req: &Request) -> Result<Permit, Refusal> {
    let dep = req
        .deployment
        .map_err(|id| Refusal::UnknownDeployment(id.into()))?;
    let Some(rev) = dep.active_revision(req.now) else {
        let latest = dep.revisions.last();
        if let Some(r) = latest.filter(|r| r.effective_state(req.now) == State::Suspended) {
            return Err(match (r.state, r.review_due()) {
                (State::Active, Some(due)) => Refusal::ReviewOverdue(due),
                _ => Refusal::Suspended,
            });
        }
        return Err(Refusal::NotActive {
            deployment: dep.id.clone(),
            state: latest
                .map_or("none", |r| r.effective_state(req.now).as_str())
                .to_string(),
        });
    };
    let c = &rev.content;
    if req.now < c.scope.valid_from {
        return Err(Refusal::NotYetValid(c.scope.valid_from));
    }
    if c.mode == Mode::RealTime {
        return Err(Refusal::RealTime);
    }
    if !c.runs_in_waarborg() {
        return Err(Refusal::OtherSystem(c.system.clone()));
    }
    if !req.action.roles().contains(&req.actor.role) {
        return Err(Refusal::Role {
            role: req.actor.role.as_str().into(),
            action: req.action.as_str().into(),
        });
    }
    if req.actor.role == Role::Examiner && !c.oversight.examiners.contains(&req.actor.user) {
        return Err(Refusal::NotAssigned(req.actor.user.clone()));
    }
    if req.actor.role == Role::Examiner {
        crate::competence::current(
            &req.actor.user,
            req.competence,
            Role::Examiner,
            &dep.id,
            req.now,
        )
        .map_err(Refusal::NotQualified)?;
    }
    let mut urgent_until = None;
    if req.action.needs_case() {
        let case = match req.case {
            None => return Err(Refusal::NoCase(None)),
            Some(Err(number)) if number.trim().is_empty() => return Err(Refusal::NoCase(None)),
            Some(Err(number)) => return Err(Refusal::NoCase(Some(number.into()))),
            Some(Ok(case)) => case,
        };
        if case.deployment != dep.id {
            return Err(Refusal::WrongDeployment(case.case_number.clone()));
        }
        match case.status(c.urgent_use_allowed, req.now) {
            CaseStatus::Authorised => {}
            CaseStatus::UrgentPending { deadline } => urgent_until = Some(deadline),
            CaseStatus::Pending => return Err(Refusal::NotAuthorised(case.case_number.clone())),
            CaseStatus::Refused => {
                return Err(Refusal::AuthorisationRefused(case.case_number.clone()))
            }
            CaseStatus::Late => return Err(Refusal::AuthorisationLate(case.case_number.clone())),
        }
        if !c
            .scope
            .covers_offence(&case.offence_category, case.max_sentence_years)
        {
            return Err(Refusal::OffenceOutOfScope(format!(
                "{}, maximum {} years",
                case.offence_category, case.max_sentence_years
            )));
        }
        match req.probe_source {
            Some(s) if c.scope.probe_sources.iter().any(|p| p == s) => {}
            Some(other) => return Err(Refusal::ProbeSourceOutOfScope(format!("{other:?}"))),
            None => return Err(Refusal::ProbeSourceOutOfScope("(none given)".into())),
        }
    }
    if let Some(db) = req
        .reference_databases
        .iter()
        .find(|d| !c.scope.reference_databases.contains(d))
    {
        return Err(Refusal::DatabaseOutOfScope(db.clone()));
    }
    let mut approved = c.technology.model_sha256.clone();
    let mut presented = req.model_sha256.to_vec();
    approved.sort();
    presented.sort();
    if approved != presented {
        return Err(Refusal::TechnologyMismatch {
            approved,
            presented,
        });
    }
    Ok(Permit {
        revision: format!("{}/{}", dep.id, rev.number),
        score_threshold: c.technology.score_threshold,
        candidate_list_length: c.technology.candidate_list_length,
        verifiers_required: c.oversight.verifiers_required,
        urgent_until,
    })
}
