//! The data subject's rights over the reference database (LED arts. 13–16, AVG art. 18):
//! the privacy officer restricts a person's records (excluded from every search, with the
//! reason, until lifted), records the decision to defer informing them, and answers a
//! request for erasure — refused while a legal hold keeps material that shows them. Each is
//! a decision with its reasons, taken only by the privacy officer.

use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Role, Timestamp};
use crate::rule::Rule;
use crate::GovernError;

/// A decision about a person's records: who took it, when, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonDecision {
    /// The privacy officer.
    pub by: String,
    /// When.
    pub at: Timestamp,
    /// Why.
    pub reason: String,
}

/// A step on a person's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Restrict: the person's records are left out of every search until lifted.
    Restrict,
    /// Lift the restriction.
    Lift,
    /// Record the decision to defer informing the person (LED art. 13(3)).
    DeferInforming,
    /// Erase the person's reference images on their request.
    Erase,
}

impl Step {
    /// Every step, for forms and messages.
    pub const ALL: [Step; 4] = [
        Step::Restrict,
        Step::Lift,
        Step::DeferInforming,
        Step::Erase,
    ];

    /// The stable name (the ledger's action).
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Restrict => "restrict_processing",
            Step::Lift => "lift_restriction",
            Step::DeferInforming => "defer_informing",
            Step::Erase => "erase_on_request",
        }
    }

    /// Parses a form's value (`restrict`, `lift`, `defer_informing`, `erase`).
    pub fn parse(value: &str) -> Option<Step> {
        match value {
            "restrict" => Some(Step::Restrict),
            "lift" => Some(Step::Lift),
            "defer_informing" => Some(Step::DeferInforming),
            "erase" => Some(Step::Erase),
            _ => None,
        }
    }
}

/// What the rules need to know about a person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonState {
    /// The restriction in force, if any.
    pub restriction: Option<PersonDecision>,
    /// A case under a legal hold whose searches show one of the person's images.
    pub held_by: Option<String>,
}

/// Decides `step` on person `person` in state `state` by `actor` with `reason` at `now`:
/// the decision to record, or the rule that refuses it.
pub fn decide(
    actor: &Actor,
    person: &str,
    state: &PersonState,
    step: Step,
    reason: &str,
    now: Timestamp,
) -> Result<PersonDecision, GovernError> {
    if actor.role != Role::PrivacyOfficer {
        return Err(GovernError::Refused(Rule::WrongRole {
            role: actor.role,
            step: step.as_str(),
            needs: &[Role::PrivacyOfficer],
        }));
    }
    if reason.trim().chars().count() < 3 {
        return Err(GovernError::Refused(Rule::NeedsReasons {
            step: step.as_str(),
        }));
    }
    match step {
        Step::Restrict if state.restriction.is_some() => {
            return Err(GovernError::Refused(Rule::AlreadyRestricted {
                person: person.into(),
            }))
        }
        Step::Lift if state.restriction.is_none() => {
            return Err(GovernError::Refused(Rule::NotRestricted {
                person: person.into(),
            }))
        }
        Step::Erase => {
            if let Some(case) = &state.held_by {
                return Err(GovernError::Refused(Rule::UnderLegalHold {
                    person: person.into(),
                    case: case.clone(),
                }));
            }
        }
        _ => {}
    }
    Ok(PersonDecision {
        by: actor.user.clone(),
        at: now,
        reason: reason.trim().to_string(),
    })
}
