//! From candidate list to identification (invariant 3; AI Act Art. 14(5)).
//!
//! ```text
//! searched → proposed (examiner: candidate X / no identification / inconclusive, reasons)
//!   → the required number of independent verifications (distinct people, none the examiner):
//!     each verifier first records their own conclusion, blind to the examiner's (ACE-V,
//!     ENFSI BPM-DI-01, AI Act Art. 14(5)), then sees the proposal and records their verdict
//!     on it, before seeing the others'
//!   → concluded: identification (an investigative lead, never proof) / not confirmed /
//!     no identification / inconclusive → reported to the requesting officer
//! ```

use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Role, Timestamp};
use crate::rule::Rule;
use crate::GovernError;

/// The examiner's proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "conclusion")]
pub enum Conclusion {
    /// The probe shows this reference candidate.
    Candidate {
        /// The reference image (template owner) proposed.
        reference: u64,
    },
    /// None of the candidates is the person.
    NoIdentification,
    /// Cannot be decided.
    Inconclusive,
}

/// A verifier's judgement of the proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Agrees with the proposal.
    Agree,
    /// Disagrees.
    Disagree,
    /// Cannot judge.
    Inconclusive,
}

/// A verifier's own conclusion, reached before the examiner's proposal is shown to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnConclusion {
    /// The verifier.
    pub verifier: String,
    /// What they concluded themselves.
    pub conclusion: Conclusion,
    /// Their reasons.
    pub reasons: String,
    /// When.
    pub at: Timestamp,
}

/// One verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// The verifier.
    pub verifier: String,
    /// Their verdict.
    pub verdict: Verdict,
    /// Their reasons.
    pub reasons: String,
    /// When.
    pub at: Timestamp,
}

/// The outcome once every verification is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Outcome {
    /// Confirmed: an investigative lead, never proof.
    Identification {
        /// The reference image.
        reference: u64,
    },
    /// The verifiers did not all confirm the proposal.
    NotConfirmed,
    /// Confirmed that none of the candidates is the person.
    NoIdentification,
    /// Confirmed inconclusive.
    Inconclusive,
}

/// Where a case's search stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Candidate list produced.
    Searched,
    /// The examiner proposed.
    Proposed,
    /// Every verification is in.
    Concluded,
    /// Reported to the requesting officer.
    Reported,
}

/// One search's path to an identification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identification {
    /// The search (its ledger entry or id).
    pub search: String,
    /// The case.
    pub case_number: String,
    /// The examiner who searched and proposes.
    pub examiner: String,
    /// Verifications required (from the revision, at least 2).
    pub verifiers_required: u32,
    /// Stage.
    pub stage: Stage,
    /// The proposal and its reasoning.
    pub proposal: Option<(Conclusion, String)>,
    /// The verifiers' own conclusions, each recorded blind to the proposal.
    #[serde(default)]
    pub own_conclusions: Vec<OwnConclusion>,
    /// Verifications so far.
    pub verifications: Vec<Verification>,
    /// The outcome.
    pub outcome: Option<Outcome>,
}

fn refuse<T>(rule: Rule) -> Result<T, GovernError> {
    Err(GovernError::Refused(rule))
}

impl Identification {
    /// A candidate list produced by `examiner`'s search.
    pub fn searched(
        search: &str,
        case_number: &str,
        examiner: &str,
        verifiers_required: u32,
    ) -> Identification {
        Identification {
            search: search.to_string(),
            case_number: case_number.to_string(),
            examiner: examiner.to_string(),
            verifiers_required: verifiers_required.max(2),
            stage: Stage::Searched,
            proposal: None,
            own_conclusions: Vec::new(),
            verifications: Vec::new(),
            outcome: None,
        }
    }

    /// Whether `actor` has recorded their own conclusion.
    pub fn concluded_by(&self, actor: &Actor) -> bool {
        self.own_conclusions
            .iter()
            .any(|c| c.verifier == actor.user)
    }

    /// Whether `actor` may see the examiner's proposal (and the candidates' scores and
    /// ranks): the examiner and oversight always; a verifier only once their own conclusion
    /// is recorded.
    pub fn proposal_visible_to(&self, actor: &Actor) -> bool {
        actor.role != Role::Verifier || self.concluded_by(actor)
    }

    /// A verifier's own conclusion, blind to the proposal: a verifier (not the examiner),
    /// once there is a proposal to verify, once each, with reasons. The caller checks that
    /// a candidate named is on the list.
    pub fn conclude_independently(
        &mut self,
        actor: &Actor,
        conclusion: Conclusion,
        reasons: &str,
        now: Timestamp,
    ) -> Result<(), GovernError> {
        self.may_verify(actor)?;
        if self.concluded_by(actor) {
            return refuse(Rule::ConcludedTwice);
        }
        if reasons.trim().len() < 3 {
            return refuse(Rule::VerificationWithoutReasons);
        }
        self.own_conclusions.push(OwnConclusion {
            verifier: actor.user.clone(),
            conclusion,
            reasons: reasons.to_string(),
            at: now,
        });
        Ok(())
    }

    /// Whether `actor` may take a verifier's step on this search now.
    fn may_verify(&self, actor: &Actor) -> Result<(), GovernError> {
        if actor.role != Role::Verifier {
            return refuse(Rule::WrongRole {
                role: actor.role,
                step: "verify",
                needs: &[Role::Verifier],
            });
        }
        if actor.user == self.examiner {
            return refuse(Rule::VerifyOwnProposal);
        }
        if self.stage != Stage::Proposed {
            return refuse(Rule::NoProposal);
        }
        Ok(())
    }

    /// The examiner proposes a conclusion with reasoning.
    pub fn propose(
        &mut self,
        actor: &Actor,
        conclusion: Conclusion,
        reasoning: &str,
    ) -> Result<(), GovernError> {
        if actor.role != Role::Examiner || actor.user != self.examiner {
            return refuse(Rule::NotSearchingExaminer);
        }
        if self.stage != Stage::Searched {
            return refuse(Rule::AlreadyProposed);
        }
        if reasoning.trim().len() < 3 {
            return refuse(Rule::ProposalWithoutReasoning);
        }
        self.proposal = Some((conclusion, reasoning.to_string()));
        self.stage = Stage::Proposed;
        Ok(())
    }

    /// A verifier records their own judgement; the last one concludes.
    pub fn verify(
        &mut self,
        actor: &Actor,
        verdict: Verdict,
        reasons: &str,
        now: Timestamp,
    ) -> Result<Option<Outcome>, GovernError> {
        self.may_verify(actor)?;
        if !self.concluded_by(actor) {
            return refuse(Rule::OwnConclusionFirst);
        }
        if self.verifications.iter().any(|v| v.verifier == actor.user) {
            return refuse(Rule::VerifiedTwice);
        }
        if reasons.trim().len() < 3 {
            return refuse(Rule::VerificationWithoutReasons);
        }
        self.verifications.push(Verification {
            verifier: actor.user.clone(),
            verdict,
            reasons: reasons.to_string(),
            at: now,
        });
        if self.verifications.len() < self.verifiers_required as usize {
            return Ok(None);
        }
        let all_agree = self
            .verifications
            .iter()
            .all(|v| v.verdict == Verdict::Agree);
        let outcome = match (&self.proposal, all_agree) {
            (Some((Conclusion::Candidate { reference }, _)), true) => Outcome::Identification {
                reference: *reference,
            },
            (Some((Conclusion::NoIdentification, _)), true) => Outcome::NoIdentification,
            (Some((Conclusion::Inconclusive, _)), true) => Outcome::Inconclusive,
            _ => Outcome::NotConfirmed,
        };
        self.outcome = Some(outcome.clone());
        self.stage = Stage::Concluded;
        Ok(Some(outcome))
    }

    /// What `actor` may see of the other verifications: nothing until their own is recorded
    /// (so judgements stay independent); the examiner and auditors see them once concluded.
    pub fn visible_verifications(&self, actor: &Actor) -> Vec<&Verification> {
        let own = self.verifications.iter().any(|v| v.verifier == actor.user);
        let concluded = matches!(self.stage, Stage::Concluded | Stage::Reported);
        let may = match actor.role {
            Role::Verifier => own,
            Role::Examiner | Role::Auditor => concluded,
            _ => false,
        };
        if may {
            self.verifications.iter().collect()
        } else {
            Vec::new()
        }
    }

    /// The examiner reports the outcome to the requesting officer.
    pub fn report(&mut self, actor: &Actor) -> Result<&Outcome, GovernError> {
        if actor.role != Role::Examiner || actor.user != self.examiner {
            return refuse(Rule::NotReportingExaminer);
        }
        if self.stage != Stage::Concluded {
            return refuse(Rule::NotConcluded);
        }
        self.stage = Stage::Reported;
        self.outcome
            .as_ref()
            .ok_or(GovernError::Refused(Rule::NotConcluded))
    }
}
