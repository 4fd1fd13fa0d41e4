//! Case authorisations (AI Act Art. 26(10)): each use of post-remote biometric
//! identification is authorised by a judicial or binding administrative authority, before
//! the search or — where the revision allows urgent use — within 48 hours after it.

use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Role, Timestamp};
use crate::revision::URGENT_WINDOW_HOURS;
use crate::rule::Rule;
use crate::GovernError;

/// Who authorises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorityKind {
    /// The public prosecutor (officier van justitie).
    PublicProsecutor,
    /// The investigating judge (rechter-commissaris).
    InvestigatingJudge,
}

impl AuthorityKind {
    /// Both kinds.
    pub const ALL: [AuthorityKind; 2] = [
        AuthorityKind::PublicProsecutor,
        AuthorityKind::InvestigatingJudge,
    ];

    /// Its stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorityKind::PublicProsecutor => "public_prosecutor",
            AuthorityKind::InvestigatingJudge => "investigating_judge",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<AuthorityKind> {
        AuthorityKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// The authority's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorityDecision {
    /// Granted or refused.
    pub granted: bool,
    /// Who decided (user id of the competent authority).
    pub by: String,
    /// When.
    pub at: Timestamp,
    /// Why.
    pub reason: String,
}

/// A request to search for one case, and the authority's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseAuthorisation {
    /// Case number.
    pub case_number: String,
    /// The deployment it is requested under.
    pub deployment: String,
    /// The offence, in words.
    pub offence: String,
    /// Its category (as the revision's scope names them).
    pub offence_category: String,
    /// The offence's maximum sentence in years.
    pub max_sentence_years: u32,
    /// The requesting officer.
    pub requested_by: String,
    /// When requested.
    pub requested_at: Timestamp,
    /// Who must decide.
    pub authority: AuthorityKind,
    /// Whether the requester asks to search before the decision (urgent use).
    pub urgent: bool,
    /// Why face recognition is needed in this case, as the requester wrote it for the
    /// authority ([`CaseAuthorisation::justify`]).
    #[serde(default)]
    pub justification: String,
    /// The decision, once made.
    pub decision: Option<AuthorityDecision>,
    /// A legal hold: the case's search material is kept past its periods until released.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_hold: Option<LegalHold>,
}

/// A legal hold on a case (set by the competent authority, with reasons): its probes and
/// results are kept past the revision's periods, for proceedings, until it is released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalHold {
    /// Who set it.
    pub by: String,
    /// When.
    pub at: Timestamp,
    /// Why.
    pub reason: String,
}

/// Only the competent authority takes `step`.
fn authority(actor: &Actor, step: &'static str) -> Result<(), GovernError> {
    if actor.role != Role::CompetentAuthority {
        return Err(GovernError::Refused(Rule::WrongRole {
            role: actor.role,
            step,
            needs: &[Role::CompetentAuthority],
        }));
    }
    Ok(())
}

/// A decision needs its reasons.
fn needs_reasons(step: &'static str, reason: &str) -> Result<(), GovernError> {
    // As for the steps of the review chain: a word or two is not a reason.
    if reason.trim().chars().count() < 3 {
        return Err(GovernError::Refused(Rule::NeedsReasons { step }));
    }
    Ok(())
}

/// Where an authorisation stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Granted.
    Authorised,
    /// Urgent use: searching allowed until the decision or the deadline.
    UrgentPending {
        /// When the authorisation must have come.
        deadline: Timestamp,
    },
    /// Waiting for the decision; no searching.
    Pending,
    /// Refused.
    Refused,
    /// Urgent use whose authorisation did not come within 48 hours.
    Late,
}

/// How much of a case's folder a reader sees ([`CaseAuthorisation::folder_view`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderView {
    /// Every search with its work, and the notes: those who coordinate and oversee.
    Full,
    /// An examiner: their own searches in the case with their work, and the notes; of the
    /// others' searches only where they stand.
    Examiner,
    /// Where each search ended, as a statement — never a candidate, a score or a note: the
    /// requester of the case and the competent authority.
    Outcome,
}

impl CaseAuthorisation {
    /// What `actor` sees of this case's folder, if anything. A verifier has none: their
    /// work reaches them assigned, search by search, and blind.
    pub fn folder_view(&self, actor: &Actor) -> Option<FolderView> {
        match actor.role {
            Role::Coordinator | Role::Auditor | Role::PrivacyOfficer => Some(FolderView::Full),
            Role::Examiner => Some(FolderView::Examiner),
            Role::CompetentAuthority => Some(FolderView::Outcome),
            Role::Requester if self.requested_by == actor.user => Some(FolderView::Outcome),
            _ => None,
        }
    }

    /// A new request by a requester.
    #[allow(clippy::too_many_arguments)]
    pub fn request(
        actor: &Actor,
        case_number: &str,
        deployment: &str,
        offence: &str,
        offence_category: &str,
        max_sentence_years: u32,
        authority: AuthorityKind,
        urgent: bool,
        now: Timestamp,
    ) -> Result<CaseAuthorisation, GovernError> {
        if actor.role != Role::Requester {
            return Err(GovernError::Refused(Rule::WrongRole {
                role: actor.role,
                step: "request",
                needs: &[Role::Requester],
            }));
        }
        crate::ids::check(crate::ids::Kind::CaseNumber, case_number)?;
        if offence.trim().is_empty() {
            return Err(GovernError::Invalid(
                "a case number and an offence are needed".into(),
            ));
        }
        Ok(CaseAuthorisation {
            case_number: case_number.to_string(),
            deployment: deployment.to_string(),
            offence: offence.to_string(),
            offence_category: offence_category.to_string(),
            max_sentence_years,
            requested_by: actor.user.clone(),
            requested_at: now,
            authority,
            urgent,
            justification: String::new(),
            decision: None,
            legal_hold: None,
        })
    }

    /// The fewest characters of a justification.
    pub const MIN_JUSTIFICATION: usize = 20;

    /// The requester's justification: why face recognition is needed in this case (and, for
    /// urgent use, why it cannot wait) — what the authority weighs.
    pub fn justify(&mut self, justification: &str) -> Result<(), GovernError> {
        let text = justification.trim();
        if text.chars().count() < Self::MIN_JUSTIFICATION {
            return Err(GovernError::Refused(Rule::CaseUnjustified {
                min: Self::MIN_JUSTIFICATION as u64,
            }));
        }
        self.justification = text.to_string();
        Ok(())
    }

    /// Records the authority's decision.
    pub fn decide(
        &mut self,
        actor: &Actor,
        granted: bool,
        reason: &str,
        now: Timestamp,
    ) -> Result<(), GovernError> {
        authority(actor, "decide")?;
        if actor.authority != Some(self.authority) {
            return Err(GovernError::Refused(Rule::AuthorityKindMismatch {
                asked: self.authority.as_str(),
                acting: actor.authority.map_or("none", AuthorityKind::as_str),
            }));
        }
        if self.decision.is_some() {
            return Err(GovernError::Refused(Rule::CaseDecided {
                case: self.case_number.clone(),
            }));
        }
        if actor.user == self.requested_by {
            return Err(GovernError::Refused(Rule::OwnRequest));
        }
        self.decision = Some(AuthorityDecision {
            granted,
            by: actor.user.clone(),
            at: now,
            reason: reason.to_string(),
        });
        Ok(())
    }

    /// Sets a legal hold (the competent authority, with reasons; not while one holds).
    pub fn hold(&mut self, actor: &Actor, reason: &str, now: Timestamp) -> Result<(), GovernError> {
        authority(actor, "legal_hold")?;
        needs_reasons("legal_hold", reason)?;
        if self.legal_hold.is_some() {
            return Err(GovernError::Refused(Rule::AlreadyHeld {
                case: self.case_number.clone(),
            }));
        }
        self.legal_hold = Some(LegalHold {
            by: actor.user.clone(),
            at: now,
            reason: reason.trim().to_string(),
        });
        Ok(())
    }

    /// Releases the legal hold (the competent authority, with reasons): the periods apply
    /// again, and what they passed meanwhile is erased at the next retention run.
    pub fn release(&mut self, actor: &Actor, reason: &str) -> Result<(), GovernError> {
        authority(actor, "release_legal_hold")?;
        needs_reasons("release_legal_hold", reason)?;
        if self.legal_hold.take().is_none() {
            return Err(GovernError::Refused(Rule::NotHeld {
                case: self.case_number.clone(),
            }));
        }
        Ok(())
    }

    /// The urgent-use deadline: 48 hours after the request.
    pub fn deadline(&self) -> Timestamp {
        self.requested_at
            .plus(URGENT_WINDOW_HOURS * Timestamp::HOUR)
    }

    /// The status at `now`, for a revision that does or does not allow urgent use.
    pub fn status(&self, urgent_use_allowed: bool, now: Timestamp) -> CaseStatus {
        let urgent = self.urgent && urgent_use_allowed;
        match &self.decision {
            Some(d) if !d.granted => CaseStatus::Refused,
            Some(d) if urgent && d.at > self.deadline() => CaseStatus::Late,
            Some(_) => CaseStatus::Authorised,
            None if urgent && now <= self.deadline() => CaseStatus::UrgentPending {
                deadline: self.deadline(),
            },
            None if urgent => CaseStatus::Late,
            None => CaseStatus::Pending,
        }
    }

    /// Of the searches done for this case at the given times, those whose results must be
    /// deleted: searches made before a decision that was then refused or came too late (or
    /// has not come by the deadline).
    pub fn searches_to_delete(
        &self,
        urgent_use_allowed: bool,
        searches: &[Timestamp],
        now: Timestamp,
    ) -> Vec<usize> {
        match self.status(urgent_use_allowed, now) {
            CaseStatus::Refused | CaseStatus::Late => {
                let decided = self.decision.as_ref().map_or(Timestamp(i64::MAX), |d| d.at);
                let all =
                    matches!(self.decision, Some(ref d) if !d.granted) || self.decision.is_none();
                searches
                    .iter()
                    .enumerate()
                    .filter(|(_, &at)| all || at < decided)
                    .map(|(i, _)| i)
                    .collect()
            }
            _ => Vec::new(),
        }
    }
}
