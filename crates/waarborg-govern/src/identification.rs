//! From candidate list to identification (invariant 3; AI Act Art. 14(5)).
//!
//! ```text
//! searched → proposed (examiner: a level on the conclusion scale — candidate X supported /
//!            inconclusive / none of the candidates — with reasons)
//!   → verifiers assigned (by the examiner or a coordinator: of the deployment's verifying
//!     units, competent, never the examiner)
//!   → the required number of independent verifications (distinct people, none the examiner):
//!     each assigned verifier first records their own conclusion, blind to the examiner's
//!     (ACE-V, ENFSI BPM-DI-01, AI Act Art. 14(5)), then sees the proposal and records their
//!     verdict on it, before seeing the others'
//!   → all agree: concluded — identification (an investigative lead, never proof) /
//!     no identification / inconclusive
//!   → not all agree: disputed, resolved by a further independent verifier assigned for it
//!     (their verdict decides) or by a coordinator's recorded consultation (everyone's
//!     position with reasons) → concluded
//!   → reported to the requesting officer
//! ```

use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Role, Timestamp};
use crate::comparison::FeatureComparison;
use crate::competence::Lack;
use crate::rule::Rule;
use crate::scale::ConclusionScale;
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

impl Verdict {
    /// The stable name (`agree`, `disagree`, `inconclusive`).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Agree => "agree",
            Verdict::Disagree => "disagree",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

/// A conclusion as someone states it: a level on the framework's conclusion scale and the
/// candidate it names, if any ([`crate::scale`]), with reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judgement {
    /// The level's key on the scale.
    pub level: String,
    /// The reference image named (supporting levels only).
    #[serde(default)]
    pub reference: Option<u64>,
    /// Why.
    #[serde(alias = "reasoning")]
    pub reasons: String,
    /// The feature-by-feature comparison the conclusion rests on, if one was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<FeatureComparison>,
}

impl Judgement {
    /// The judgement's comparison, checked: every feature marked once, of the candidate the
    /// conclusion names (if it names one).
    fn checked_comparison(&self) -> Result<Option<FeatureComparison>, GovernError> {
        let Some(c) = &self.comparison else {
            return Ok(None);
        };
        let checked = FeatureComparison::new(c.reference, c.features.clone())
            .and_then(|c| c.check_names(self.reference).map(|()| c))
            .map_err(GovernError::Refused)?;
        Ok(Some(checked))
    }
}

/// The examiner's proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proposal {
    /// What it concludes.
    pub conclusion: Conclusion,
    /// On the scale (empty for a proposal recorded before the scale existed).
    pub level: String,
    /// The examiner's reasoning.
    pub reasoning: String,
    /// The comparison form the proposal rests on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<FeatureComparison>,
}

impl<'de> Deserialize<'de> for Proposal {
    /// Also reads the `[conclusion, reasoning]` pair earlier versions stored.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Full {
            conclusion: Conclusion,
            #[serde(default)]
            level: String,
            reasoning: String,
            #[serde(default)]
            comparison: Option<FeatureComparison>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Full(Full),
            Pair(Conclusion, String),
        }
        Ok(match Either::deserialize(d)? {
            Either::Full(f) => Proposal {
                conclusion: f.conclusion,
                level: f.level,
                reasoning: f.reasoning,
                comparison: f.comparison,
            },
            Either::Pair(conclusion, reasoning) => Proposal {
                conclusion,
                level: String::new(),
                reasoning,
                comparison: None,
            },
        })
    }
}

/// A verifier's own conclusion, reached before the examiner's proposal is shown to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnConclusion {
    /// The verifier.
    pub verifier: String,
    /// What they concluded themselves.
    pub conclusion: Conclusion,
    /// On the scale.
    #[serde(default)]
    pub level: String,
    /// Their reasons.
    pub reasons: String,
    /// The comparison form their conclusion rests on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<FeatureComparison>,
    /// When.
    pub at: Timestamp,
}

/// How a dispute (not every verifier agreed) was resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "by")]
pub enum Resolution {
    /// A further independent verifier, assigned for it, whose verdict decided.
    FurtherVerifier {
        /// Who.
        verifier: String,
    },
    /// A consultation of the examiner and the verifiers, recorded by a coordinator.
    Consultation {
        /// The coordinator.
        coordinator: String,
        /// Everyone's position, with reasons.
        positions: Vec<Position>,
        /// Whether the proposal was confirmed.
        confirmed: bool,
        /// The coordinator's reasons for the outcome.
        reasons: String,
        /// When.
        at: Timestamp,
    },
}

/// One participant's position in a consultation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Who.
    pub person: String,
    /// Whether, after the consultation, they hold the proposal right (for the examiner:
    /// whether they keep it).
    pub agrees: bool,
    /// Their position and reasons.
    pub reasons: String,
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
    /// Every verification is in and not all agree: awaiting resolution.
    Disputed,
    /// Every verification is in (and any dispute resolved).
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
    /// The proposal, its level and reasoning.
    pub proposal: Option<Proposal>,
    /// The verifiers assigned, in order (a further one for a dispute last).
    #[serde(default)]
    pub assigned: Vec<String>,
    /// The verifiers' own conclusions, each recorded blind to the proposal.
    #[serde(default)]
    pub own_conclusions: Vec<OwnConclusion>,
    /// Verifications so far.
    pub verifications: Vec<Verification>,
    /// How a dispute was resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
    /// The outcome.
    pub outcome: Option<Outcome>,
    /// What the investigation found of an identification, as its requester recorded it
    /// (the latest counts; earlier ones are kept).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub feedback: Vec<LeadFeedback>,
}

/// What the investigation found of an identification (the lead), as the requester says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Finding {
    /// The investigation confirmed the lead.
    LeadConfirmed,
    /// The investigation found it was not the person.
    LeadNotConfirmed,
    /// The lead was not followed up.
    LeadNotFollowed,
    /// Not (yet) known.
    Unknown,
}

impl Finding {
    /// Every finding.
    pub const ALL: [Finding; 4] = [
        Finding::LeadConfirmed,
        Finding::LeadNotConfirmed,
        Finding::LeadNotFollowed,
        Finding::Unknown,
    ];

    /// The stable name (`lead_confirmed`, …), also the ledger's and the reports'.
    pub fn as_str(self) -> &'static str {
        match self {
            Finding::LeadConfirmed => "lead_confirmed",
            Finding::LeadNotConfirmed => "lead_not_confirmed",
            Finding::LeadNotFollowed => "lead_not_followed",
            Finding::Unknown => "unknown",
        }
    }

    /// Reads a stable name.
    pub fn parse(s: &str) -> Option<Finding> {
        Finding::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// One record of what the investigation found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadFeedback {
    /// What it found.
    pub finding: Finding,
    /// When it found it (a date, as the requester gives it).
    pub found_on: Timestamp,
    /// Who recorded it (the case's requester).
    pub by: String,
    /// When it was recorded.
    pub at: Timestamp,
}

fn refuse<T>(rule: Rule) -> Result<T, GovernError> {
    Err(GovernError::Refused(rule))
}

/// Whether `actor` may withdraw a search examined by `examiner` — one that will not be
/// pursued (wrong material, the case solved otherwise, a duplicate) — whose identification
/// stands at `stage` (`None`: no candidate list yet), with `reasons`: its examiner or a
/// coordinator, once, before the outcome (a concluded identification stands).
pub fn may_withdraw(
    actor: &Actor,
    examiner: &str,
    stage: Option<Stage>,
    withdrawn: bool,
    reasons: &str,
) -> Result<(), GovernError> {
    let own_examiner = actor.role == Role::Examiner && actor.user == examiner;
    if !own_examiner && actor.role != Role::Coordinator {
        return refuse(Rule::NotWithdrawing);
    }
    if withdrawn {
        return refuse(Rule::AlreadyWithdrawn);
    }
    if matches!(stage, Some(Stage::Concluded | Stage::Reported)) {
        return refuse(Rule::WithdrawAfterOutcome);
    }
    if reasons.trim().len() < 3 {
        return refuse(Rule::NeedsReasons {
            step: "withdraw a search",
        });
    }
    Ok(())
}

/// A verifier to assign, as the account shows them.
#[derive(Debug, Clone)]
pub struct Candidacy<'a> {
    /// The person.
    pub user: &'a str,
    /// Whether they hold the verifier role.
    pub verifier: bool,
    /// Their unit.
    pub unit: &'a str,
    /// Whether they are competent to verify under the deployment now.
    pub competent: Result<(), Lack>,
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
            assigned: Vec::new(),
            own_conclusions: Vec::new(),
            verifications: Vec::new(),
            feedback: Vec::new(),
            resolution: None,
            outcome: None,
        }
    }

    /// Whether `actor` has recorded their own conclusion.
    pub fn concluded_by(&self, actor: &Actor) -> bool {
        self.own_conclusions
            .iter()
            .any(|c| c.verifier == actor.user)
    }

    /// Whether `actor` has recorded their verdict on the proposal.
    pub fn judged_by(&self, actor: &Actor) -> bool {
        self.verifications.iter().any(|v| v.verifier == actor.user)
    }

    /// Whether `actor` is assigned to verify.
    pub fn assigned_to(&self, actor: &Actor) -> bool {
        self.assigned.contains(&actor.user)
    }

    /// Whether a verifier's judgement is awaited now (a proposal, or a dispute).
    pub fn awaiting_verification(&self) -> bool {
        matches!(self.stage, Stage::Proposed | Stage::Disputed)
    }

    /// Whether `actor` judges this search as a verifier: acting as one, or assigned to it
    /// whatever role they act in now (someone who is also a coordinator or an auditor does
    /// not read around their own blindness).
    pub fn judging(&self, actor: &Actor) -> bool {
        actor.role == Role::Verifier || self.assigned.contains(&actor.user)
    }

    /// Whether `actor` may see the examiner's proposal (and the candidates' scores and
    /// ranks): the examiner and oversight always; whoever judges it as a verifier only once
    /// their own conclusion is recorded.
    pub fn proposal_visible_to(&self, actor: &Actor) -> bool {
        !self.judging(actor) || self.concluded_by(actor)
    }

    /// Whether another verifier may be assigned: fewer than required before the outcome,
    /// or one further to resolve a dispute.
    pub fn room_to_assign(&self) -> bool {
        match self.stage {
            Stage::Searched | Stage::Proposed => {
                self.assigned.len() < self.verifiers_required as usize
            }
            Stage::Disputed => self.assigned.len() <= self.verifications.len(),
            Stage::Concluded | Stage::Reported => false,
        }
    }

    /// Assigns `verifier` by `actor`: the search's examiner or a coordinator, before the
    /// outcome; a competent verifier of one of `units` (the deployment's verifying units),
    /// never the examiner, once. While disputed, one further verifier may be assigned.
    pub fn assign(
        &mut self,
        actor: &Actor,
        verifier: Candidacy,
        units: &[String],
    ) -> Result<(), GovernError> {
        let own_examiner = actor.role == Role::Examiner && actor.user == self.examiner;
        if !own_examiner && actor.role != Role::Coordinator {
            return refuse(Rule::NotAssigning);
        }
        if matches!(self.stage, Stage::Concluded | Stage::Reported) {
            return refuse(Rule::AssignAfterOutcome);
        }
        if verifier.user == self.examiner {
            return refuse(Rule::VerifyOwnProposal);
        }
        if !verifier.verifier {
            return refuse(Rule::NotAVerifier {
                person: verifier.user.into(),
            });
        }
        if !units.iter().any(|u| u == verifier.unit) {
            return refuse(Rule::VerifierUnit {
                unit: verifier.unit.into(),
            });
        }
        if self.assigned.iter().any(|a| a == verifier.user) {
            return refuse(Rule::AlreadyAssigned {
                person: verifier.user.into(),
            });
        }
        if !self.room_to_assign() {
            return refuse(Rule::EnoughAssigned);
        }
        verifier
            .competent
            .map_err(|lack| GovernError::Refused(Rule::NotQualified { lack }))?;
        self.assigned.push(verifier.user.into());
        Ok(())
    }

    /// Withdraws `verifier`'s assignment (they are away, or conflicted), by the search's
    /// examiner or a coordinator, before the outcome and before the verifier has recorded
    /// anything: another may then be assigned in their place.
    pub fn unassign(&mut self, actor: &Actor, verifier: &str) -> Result<(), GovernError> {
        let own_examiner = actor.role == Role::Examiner && actor.user == self.examiner;
        if !own_examiner && actor.role != Role::Coordinator {
            return refuse(Rule::NotAssigning);
        }
        if matches!(self.stage, Stage::Concluded | Stage::Reported) {
            return refuse(Rule::AssignAfterOutcome);
        }
        if !self.assigned.iter().any(|a| a == verifier) {
            return refuse(Rule::NotAssignedToSearch {
                person: verifier.into(),
            });
        }
        let acted = self.own_conclusions.iter().any(|c| c.verifier == verifier)
            || self.verifications.iter().any(|v| v.verifier == verifier);
        if acted {
            return refuse(Rule::AssignmentActedOn {
                person: verifier.into(),
            });
        }
        self.assigned.retain(|a| a != verifier);
        Ok(())
    }

    /// Whether `actor` may withdraw `verifier`'s assignment now (the page's button asks;
    /// [`Identification::unassign`] decides).
    pub fn may_unassign(&self, actor: &Actor, verifier: &str) -> bool {
        self.clone().unassign(actor, verifier).is_ok()
    }

    /// A verifier's own conclusion, blind to the proposal: an assigned, competent verifier
    /// (not the examiner), once there is a proposal to verify, once each, on the scale, with
    /// reasons. The caller checks that a candidate named is on the list.
    pub fn conclude_independently(
        &mut self,
        actor: &Actor,
        judgement: &Judgement,
        scale: &ConclusionScale,
        competent: Result<(), Lack>,
        now: Timestamp,
    ) -> Result<(), GovernError> {
        self.may_verify(actor, competent)?;
        if self.concluded_by(actor) {
            return refuse(Rule::ConcludedTwice);
        }
        let conclusion = scale
            .conclusion(&judgement.level, judgement.reference)
            .map_err(GovernError::Refused)?;
        if judgement.reasons.trim().len() < 3 {
            return refuse(Rule::VerificationWithoutReasons);
        }
        let comparison = judgement.checked_comparison()?;
        self.own_conclusions.push(OwnConclusion {
            verifier: actor.user.clone(),
            conclusion,
            level: judgement.level.clone(),
            reasons: judgement.reasons.clone(),
            comparison,
            at: now,
        });
        Ok(())
    }

    /// Whether `actor` may take a verifier's step on this search now.
    fn may_verify(&self, actor: &Actor, competent: Result<(), Lack>) -> Result<(), GovernError> {
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
        if !self.awaiting_verification() {
            return refuse(Rule::NoProposal);
        }
        if !self.assigned_to(actor) {
            return refuse(Rule::NotAssignedVerifier);
        }
        competent.map_err(|lack| GovernError::Refused(Rule::NotQualified { lack }))
    }

    /// The examiner proposes a conclusion on the scale, with reasoning.
    pub fn propose(
        &mut self,
        actor: &Actor,
        judgement: &Judgement,
        scale: &ConclusionScale,
    ) -> Result<(), GovernError> {
        if actor.role != Role::Examiner || actor.user != self.examiner {
            return refuse(Rule::NotSearchingExaminer);
        }
        if self.stage != Stage::Searched {
            return refuse(Rule::AlreadyProposed);
        }
        let conclusion = scale
            .conclusion(&judgement.level, judgement.reference)
            .map_err(GovernError::Refused)?;
        if judgement.reasons.trim().len() < 3 {
            return refuse(Rule::ProposalWithoutReasoning);
        }
        let comparison = judgement.checked_comparison()?;
        self.proposal = Some(Proposal {
            conclusion,
            level: judgement.level.clone(),
            reasoning: judgement.reasons.clone(),
            comparison,
        });
        self.stage = Stage::Proposed;
        Ok(())
    }

    /// What the proposal becomes when confirmed.
    fn confirmed(&self) -> Outcome {
        match self.proposal.as_ref().map(|p| &p.conclusion) {
            Some(Conclusion::Candidate { reference }) => Outcome::Identification {
                reference: *reference,
            },
            Some(Conclusion::NoIdentification) => Outcome::NoIdentification,
            Some(Conclusion::Inconclusive) => Outcome::Inconclusive,
            None => Outcome::NotConfirmed,
        }
    }

    /// How many verifications agree with the proposal.
    fn agreeing(&self) -> usize {
        self.verifications
            .iter()
            .filter(|v| v.verdict == Verdict::Agree)
            .count()
    }

    fn conclude(&mut self, outcome: Outcome) -> Option<Outcome> {
        self.outcome = Some(outcome.clone());
        self.stage = Stage::Concluded;
        Some(outcome)
    }

    /// An assigned verifier records their verdict on the proposal, after their own
    /// conclusion. The last required one concludes when all agree, or opens a dispute; the
    /// further verifier's verdict resolves a dispute.
    pub fn verify(
        &mut self,
        actor: &Actor,
        verdict: Verdict,
        reasons: &str,
        competent: Result<(), Lack>,
        now: Timestamp,
    ) -> Result<Option<Outcome>, GovernError> {
        self.may_verify(actor, competent)?;
        if !self.concluded_by(actor) {
            return refuse(Rule::OwnConclusionFirst);
        }
        if self.judged_by(actor) {
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
        if self.stage == Stage::Disputed {
            self.resolution = Some(Resolution::FurtherVerifier {
                verifier: actor.user.clone(),
            });
            // Still as many agreeing verifications as required, the further one included.
            let outcome = if self.agreeing() >= self.verifiers_required as usize {
                self.confirmed()
            } else {
                Outcome::NotConfirmed
            };
            return Ok(self.conclude(outcome));
        }
        if self.verifications.len() < self.verifiers_required as usize {
            return Ok(None);
        }
        if self
            .verifications
            .iter()
            .all(|v| v.verdict == Verdict::Agree)
        {
            let outcome = self.confirmed();
            return Ok(self.conclude(outcome));
        }
        self.stage = Stage::Disputed;
        Ok(None)
    }

    /// A coordinator resolves a dispute by a recorded consultation: the position of the
    /// examiner and of every verifier who judged, each with reasons. The proposal stands
    /// only when its examiner keeps it and at least as many verifiers as required agree
    /// after the consultation; otherwise it is not confirmed.
    pub fn resolve_by_consultation(
        &mut self,
        actor: &Actor,
        positions: Vec<Position>,
        reasons: &str,
        now: Timestamp,
    ) -> Result<Outcome, GovernError> {
        if actor.role != Role::Coordinator {
            return refuse(Rule::WrongRole {
                role: actor.role,
                step: "resolve a dispute",
                needs: &[Role::Coordinator],
            });
        }
        if self.stage != Stage::Disputed {
            return refuse(Rule::NotDisputed);
        }
        let participants: Vec<&String> = std::iter::once(&self.examiner)
            .chain(self.verifications.iter().map(|v| &v.verifier))
            .collect();
        for p in &participants {
            let given = positions
                .iter()
                .find(|x| &&x.person == p)
                .is_some_and(|x| x.reasons.trim().len() >= 3);
            if !given {
                return refuse(Rule::PositionMissing {
                    person: (*p).clone(),
                });
            }
        }
        if reasons.trim().len() < 3 {
            return refuse(Rule::NeedsReasons {
                step: "resolve a dispute",
            });
        }
        let agrees = |person: &String| positions.iter().any(|x| &x.person == person && x.agrees);
        let verifiers_agreeing = self
            .verifications
            .iter()
            .filter(|v| agrees(&v.verifier))
            .count();
        let confirmed =
            agrees(&self.examiner) && verifiers_agreeing >= self.verifiers_required as usize;
        self.resolution = Some(Resolution::Consultation {
            coordinator: actor.user.clone(),
            positions,
            confirmed,
            reasons: reasons.to_string(),
            at: now,
        });
        let outcome = if confirmed {
            self.confirmed()
        } else {
            Outcome::NotConfirmed
        };
        self.conclude(outcome.clone());
        Ok(outcome)
    }

    /// What `actor` may see of the other verifications: nothing until their own is recorded
    /// (so judgements stay independent); the examiner, coordinators and auditors see them
    /// once concluded or disputed.
    pub fn visible_verifications(&self, actor: &Actor) -> Vec<&Verification> {
        let settled = matches!(
            self.stage,
            Stage::Disputed | Stage::Concluded | Stage::Reported
        );
        let may = match actor.role {
            _ if self.judging(actor) => self.judged_by(actor),
            Role::Examiner | Role::Auditor | Role::Coordinator => settled,
            _ => false,
        };
        if may {
            self.verifications.iter().collect()
        } else {
            Vec::new()
        }
    }

    /// The case's requester records what the investigation found of the identification
    /// (AI Act Art. 26(5) monitoring; the framework's periodic review weighs it): only on an
    /// identification, never on a date after `now`. `requester` is the case's requester.
    pub fn record_feedback(
        &mut self,
        actor: &Actor,
        requester: &str,
        finding: Finding,
        found_on: Timestamp,
        now: Timestamp,
    ) -> Result<(), GovernError> {
        self.may_take_feedback(actor, requester)
            .map_err(GovernError::Refused)?;
        if found_on > now {
            return refuse(Rule::FeedbackFromTheFuture);
        }
        self.feedback.push(LeadFeedback {
            finding,
            found_on,
            by: actor.user.clone(),
            at: now,
        });
        Ok(())
    }

    /// Whether `actor` may record what the investigation found (see
    /// [`record_feedback`](Self::record_feedback)); `Err` says why not.
    pub fn may_take_feedback(&self, actor: &Actor, requester: &str) -> Result<(), Rule> {
        if actor.role != Role::Requester || actor.user != requester {
            return Err(Rule::NotCaseRequester);
        }
        if !matches!(self.outcome, Some(Outcome::Identification { .. })) {
            return Err(Rule::FeedbackWithoutIdentification);
        }
        Ok(())
    }

    /// What the investigation found, as last recorded.
    pub fn finding(&self) -> Option<&LeadFeedback> {
        self.feedback.last()
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
