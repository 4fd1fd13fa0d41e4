//! Why the governance rules refuse a step: one closed list with stable codes.
//!
//! Every refusal of the review chain ([`crate::revision`]), of a case authorisation
//! ([`crate::case`]) and of the identification workflow ([`crate::identification`]) is a
//! [`Rule`]. Its `Display` is the English sentence that says which rule and what to do (the
//! command line and the API's `detail` show it); its [`Rule::code`] is stable for clients,
//! for the ledger's refusal entries and for the translations (`refusal_<code>` in the Fluent
//! files, filled in with [`Rule::args`]). The gate's own refusals are [`crate::gate::Refusal`].

use crate::revision::State;
use crate::Role;

/// A value a refusal names, typed so that a page can put it in the reader's words (a role
/// or a state by its translated name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Shown as it is (a precondition key, a case number, a unit).
    Text(String),
    /// A count.
    Number(u64),
    /// A role.
    Role(Role),
    /// Any of these roles.
    Roles(&'static [Role]),
    /// A revision's state.
    State(State),
}

/// A governance rule that refused a step. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rule {
    /// The step is a decision and the reasons are missing or too short.
    #[error("{step} is a decision: give its reasons")]
    NeedsReasons {
        /// The step.
        step: &'static str,
    },
    /// The actor's role may not take this step.
    #[error("{} may not {step}: that needs the role {}", .role.as_str(), roles(.needs))]
    WrongRole {
        /// The actor's role.
        role: Role,
        /// The step.
        step: &'static str,
        /// The roles that may.
        needs: &'static [Role],
    },
    /// Another revision of the deployment is still being decided.
    #[error("revision {number} is still {}; finish or withdraw it before proposing another", .state.as_str())]
    RevisionOpen {
        /// The open revision.
        number: u32,
        /// Its state.
        state: State,
    },
    /// Only a draft is edited.
    #[error("only a draft can be edited; propose a new revision instead")]
    EditOnlyDraft,
    /// The applicant of a revision is fixed.
    #[error("the applicant of a revision cannot be changed")]
    ApplicantFixed,
    /// Only a draft is submitted.
    #[error("only a draft can be submitted; this revision is {}", .state.as_str())]
    SubmitOnlyDraft {
        /// The revision's state.
        state: State,
    },
    /// Only the revision's own applicant submits or withdraws it.
    #[error("only the revision's own applicant may {step} it")]
    NotOwnApplicant {
        /// The step.
        step: &'static str,
    },
    /// An applicant writes the published texts of their own deployment only.
    #[error("an applicant writes the published texts of a deployment they applied for only")]
    TextsNotOwn,
    /// Conflicts are declared during the review.
    #[error("conflicts are declared while the revision is under review")]
    ConflictOutsideReview,
    /// The conflict is already on record.
    #[error("the conflict is already declared")]
    ConflictAlreadyDeclared,
    /// Assessments are made during the review.
    #[error("a revision that is {} is not under review", .state.as_str())]
    NotUnderReview {
        /// The revision's state.
        state: State,
    },
    /// One assessment per member.
    #[error("this member has already assessed this revision")]
    AlreadyAssessed,
    /// Preconditions are attested during the review.
    #[error("preconditions are attested while the revision is under review")]
    AttestOutsideReview,
    /// Another role attests this precondition.
    #[error("{precondition} is attested by the {}", .role.as_str())]
    AttestedByOtherRole {
        /// The precondition.
        precondition: String,
        /// The role that attests it.
        role: Role,
    },
    /// The machine checks this precondition; nobody attests it.
    #[error("{precondition} is checked by the machine, not attested")]
    MachineChecked {
        /// The precondition.
        precondition: String,
    },
    /// The precondition is already attested.
    #[error("{precondition} is already attested")]
    AlreadyAttested {
        /// The precondition.
        precondition: String,
    },
    /// Advice is given on a revision in review.
    #[error("advice is given on a revision in review; this one is {}", .state.as_str())]
    AdviceOutsideReview {
        /// The revision's state.
        state: State,
    },
    /// Only a member who assessed gives the advice.
    #[error("only a member who assessed the revision gives the advice")]
    NotAssessor,
    /// Too few independent assessments for the committee's advice.
    #[error("{members} independent assessments; the committee needs {needed} before it advises")]
    NoQuorum {
        /// Independent assessments so far.
        members: usize,
        /// The quorum.
        needed: usize,
    },
    /// Ratification follows the advice.
    #[error("ratification follows the committee's advice; this revision is {}", .state.as_str())]
    RatifyBeforeAdvice {
        /// The revision's state.
        state: State,
    },
    /// Negative advice is not ratified.
    #[error("a revision with negative advice cannot be ratified")]
    NegativeAdvice,
    /// Portfolio holders approve a ratified experiment only.
    #[error("portfolio holders approve a ratified experiment")]
    NotRatifiedExperiment,
    /// The actor holds no portfolio.
    #[error("the actor holds no portfolio")]
    NoPortfolio,
    /// This portfolio or person approved already.
    #[error("this portfolio (or person) has already approved")]
    AlreadyApproved,
    /// The authority decides on a ratified revision.
    #[error("the authority decides on a ratified revision; this one is {}", .state.as_str())]
    AuthorityBeforeRatification {
        /// The revision's state.
        state: State,
    },
    /// An experiment needs both portfolio holders' approval first.
    #[error("an experiment needs the approval of both portfolio holders first")]
    PortfolioApprovalsMissing,
    /// Only an approved revision is activated.
    #[error("only an approved revision is activated; this one is {}", .state.as_str())]
    ActivateOnlyApproved {
        /// The revision's state.
        state: State,
    },
    /// Activation outside the validity window.
    #[error("now is outside the revision's validity window")]
    OutsideValidity,
    /// Reviews during use are of a revision in use.
    #[error("reviews during use are of an active or suspended revision")]
    ReviewNotInUse,
    /// Only an active revision is suspended.
    #[error("only an active revision is suspended")]
    SuspendOnlyActive,
    /// Only a revision in use is ended.
    #[error("only a revision in use is ended")]
    EndOnlyInUse,
    /// Evaluation follows the end.
    #[error("evaluation follows the end of use")]
    EvaluateOnlyEnded,
    /// Withdrawal before the advice only.
    #[error("only a revision not yet advised can be withdrawn")]
    WithdrawOnlyBeforeAdvice,
    /// The review runs under the framework version recorded at submission.
    #[error(
        "this revision is reviewed under {recorded}; load that framework version, not {given}"
    )]
    OtherFramework {
        /// The version recorded at submission.
        recorded: String,
        /// The version given.
        given: String,
    },
    /// The revision was never submitted.
    #[error("the revision has not been submitted")]
    NotSubmitted,
    /// The applicant does not review their own proposal.
    #[error("the applicant cannot review their own proposal")]
    ReviewOwnProposal,
    /// A member of the deploying unit is not independent.
    #[error("a member of the deploying unit {unit} is not independent")]
    SameUnit {
        /// The deploying unit.
        unit: String,
    },
    /// The member declared a conflict of interest.
    #[error("this member declared a conflict of interest and is excluded")]
    ConflictExcluded,
    /// The assessment leaves a factor or precondition unjudged.
    #[error("the assessment does not judge {key}")]
    JudgementMissing {
        /// The factor or precondition.
        key: String,
    },
    /// The assessment judges something twice.
    #[error("the assessment judges {key} twice")]
    JudgementTwice {
        /// The factor or precondition.
        key: String,
    },
    /// The assessment judges something the framework does not have.
    #[error("{key} is not in the framework")]
    JudgementUnknown {
        /// What it names.
        key: String,
    },
    /// A judgement without reasons.
    #[error("the judgement of {key} gives no reasons")]
    JudgementWithoutReasons {
        /// The factor or precondition.
        key: String,
    },
    /// A machine-checked precondition fails.
    #[error("positive advice is impossible: precondition {key} fails ({why})")]
    PreconditionFails {
        /// The precondition.
        key: String,
        /// Why it fails.
        why: String,
    },
    /// An attested precondition is not attested yet.
    #[error("positive advice is impossible: precondition {key} is not attested")]
    PreconditionNotAttested {
        /// The precondition.
        key: String,
    },
    /// A member judged a precondition not met.
    #[error("positive advice is impossible: a member judged precondition {key} not met")]
    PreconditionJudgedUnmet {
        /// The precondition.
        key: String,
    },
    /// The case is decided already.
    #[error("case {case} is already decided")]
    CaseDecided {
        /// The case number.
        case: String,
    },
    /// Nobody authorises their own request.
    #[error("the requester cannot authorise their own request")]
    OwnRequest,
    /// A legal hold is already set on the case.
    #[error("case {case} is already under a legal hold; release it before setting another")]
    AlreadyHeld {
        /// The case number.
        case: String,
    },
    /// The person's records are restricted already.
    #[error("the records of person {person} are already restricted")]
    AlreadyRestricted {
        /// The person.
        person: String,
    },
    /// There is no restriction to lift.
    #[error("the records of person {person} are not restricted")]
    NotRestricted {
        /// The person.
        person: String,
    },
    /// A legal hold keeps material that shows the person.
    #[error("person {person} appears in the searches of case {case}, which is under a legal hold: erasure waits until it is released")]
    UnderLegalHold {
        /// The person.
        person: String,
        /// The held case.
        case: String,
    },
    /// There is no legal hold to release.
    #[error("case {case} is not under a legal hold")]
    NotHeld {
        /// The case number.
        case: String,
    },
    /// Only the examiner who searched proposes.
    #[error("only the examiner who searched proposes a conclusion")]
    NotSearchingExaminer,
    /// One proposal per search.
    #[error("a proposal has already been made")]
    AlreadyProposed,
    /// A proposal without reasoning.
    #[error("a proposal needs reasoning")]
    ProposalWithoutReasoning,
    /// Nobody verifies their own proposal.
    #[error("nobody verifies their own proposal")]
    VerifyOwnProposal,
    /// Nothing awaits verification.
    #[error("there is no proposal awaiting verification")]
    NoProposal,
    /// A verifier concludes independently once.
    #[error("your own conclusion on this search is recorded already")]
    ConcludedTwice,
    /// A verdict on the proposal comes after one's own conclusion.
    #[error("record your own conclusion first: the examiner's proposal is shown only after it")]
    OwnConclusionFirst,
    /// Each verification by a different person.
    #[error("each verification must be by a different person")]
    VerifiedTwice,
    /// A verification without reasons.
    #[error("a verification needs reasons")]
    VerificationWithoutReasons,
    /// Only the examiner who searched reports the outcome.
    #[error("the examiner reports the outcome")]
    NotReportingExaminer,
    /// Only a concluded identification is reported.
    #[error("only a concluded identification is reported")]
    NotConcluded,
    /// Only the search's examiner or a coordinator assigns verifiers.
    #[error("only the search's examiner or a coordinator assigns its verifiers")]
    NotAssigning,
    /// Verifiers are assigned before the outcome.
    #[error("the verification is concluded; no verifier can be assigned any more")]
    AssignAfterOutcome,
    /// Only a verifier verifies.
    #[error("{person} does not hold the verifier role")]
    NotAVerifier {
        /// The person.
        person: String,
    },
    /// A verifier of another unit than those the deployment names.
    #[error("a verifier of unit {unit} may not verify under this deployment: choose one of its verifying units")]
    VerifierUnit {
        /// The verifier's unit.
        unit: String,
    },
    /// Assigned already.
    #[error("{person} is assigned already")]
    AlreadyAssigned {
        /// The person.
        person: String,
    },
    /// As many verifiers are assigned as the verification needs.
    #[error("as many verifiers are assigned as the verification needs (a further one only to resolve a dispute)")]
    EnoughAssigned,
    /// The person is not competent for the step now.
    #[error("{lack}")]
    NotQualified {
        /// What they lack.
        lack: crate::competence::Lack,
    },
    /// A verifier verifies the searches assigned to them only.
    #[error("this search is not assigned to you for verification")]
    NotAssignedVerifier,
    /// Only a disputed verification is resolved.
    #[error("only a disputed verification is resolved")]
    NotDisputed,
    /// A consultation records every participant's position.
    #[error("the consultation must record the position of {person}, with reasons")]
    PositionMissing {
        /// The participant.
        person: String,
    },
    /// The level is not on the framework's conclusion scale.
    #[error("{level:?} is not a level of the conclusion scale")]
    NotOnScale {
        /// The level given.
        level: String,
    },
    /// A supporting level names the candidate it supports.
    #[error("a level of support for an identification names the candidate")]
    LevelNeedsCandidate,
    /// An inconclusive or excluding level speaks of the whole list.
    #[error("an inconclusive or excluding level names no candidate: it speaks of the whole list")]
    LevelNamesNoCandidate,
    /// Nobody changes their own competence record.
    #[error("nobody changes their own competence record")]
    OwnCompetence,
    /// The authorisation is held already.
    #[error("the authorisation under deployment {deployment} is held already")]
    AlreadyAuthorised {
        /// The deployment.
        deployment: String,
    },
    /// The person is not assigned to this search.
    #[error("{person} is not assigned to verify this search")]
    NotAssignedToSearch {
        /// The person.
        person: String,
    },
    /// A verifier who recorded a judgement stays on the search.
    #[error("{person} has recorded a judgement on this search; their assignment stays")]
    AssignmentActedOn {
        /// The person.
        person: String,
    },
    /// Only the search's examiner or a coordinator withdraws it.
    #[error("only the search's examiner or a coordinator withdraws it")]
    NotWithdrawing,
    /// A search is withdrawn once.
    #[error("the search is withdrawn already")]
    AlreadyWithdrawn,
    /// A concluded identification stands.
    #[error("the verification is concluded: its outcome stands and the search is not withdrawn")]
    WithdrawAfterOutcome,
    /// A case request for an offence outside the use in force.
    #[error("the offence ({category}, maximum {years} years) is outside the scope of the deployment's use in force: no search could run for it")]
    OffenceOutsideScope {
        /// The offence category asked for.
        category: String,
        /// Its maximum sentence.
        years: u64,
    },
    /// The assessment's notification and the registration are recorded before use.
    #[error("the notification and the registration are recorded before the use starts; this revision is {}", .state.as_str())]
    RecordOnlyBeforeUse {
        /// The revision's state.
        state: State,
    },
    /// What must be done after the approval and before use is not done.
    #[error("the use cannot start: precondition {key} fails ({why})")]
    NotReadyForUse {
        /// The precondition.
        key: String,
        /// What is missing.
        why: String,
    },
    /// The case asked another kind of authority than the one deciding.
    #[error("the case asks the {asked} to decide; this account acts as {acting}")]
    AuthorityKindMismatch {
        /// The kind the request names.
        asked: &'static str,
        /// The kind the decider's account is (`none`: not set).
        acting: &'static str,
    },
    /// A case request without a justification the authority can weigh.
    #[error("say why face recognition is needed in this case (at least {min} characters): the authority weighs it")]
    CaseUnjustified {
        /// The fewest characters.
        min: u64,
    },
    /// An incident's notification before its classification.
    #[error("classify the incident first (serious or not, and of which kind): the deadlines follow from it")]
    IncidentUnclassified,
    /// An incident or notification dated after today.
    #[error("the date lies in the future")]
    IncidentFromTheFuture,
    /// Only the case's requester records what the investigation found.
    #[error("only the requester of the case records what the investigation found")]
    NotCaseRequester,
    /// Feedback is on an identification only.
    #[error("the search did not end in an identification: there is no lead to give feedback on")]
    FeedbackWithoutIdentification,
    /// A finding dated after today.
    #[error("the date of the finding lies in the future")]
    FeedbackFromTheFuture,
    /// A comparison leaves a feature unmarked.
    #[error("mark the feature {feature} (similar, dissimilar or not assessable): every feature of the list is marked before a conclusion rests on the comparison")]
    FeatureUnmarked {
        /// The feature's key.
        feature: String,
    },
    /// A feature marked twice.
    #[error("the feature {feature} is marked twice; mark it once")]
    FeatureMarkedTwice {
        /// The feature's key.
        feature: String,
    },
    /// A feature not on the list.
    #[error("{feature} is not a feature of the comparison list")]
    FeatureUnknown {
        /// What was named.
        feature: String,
    },
    /// A feature's note too long.
    #[error("the note on {feature} is too long; keep it under 2000 characters")]
    FeatureNoteTooLong {
        /// The feature's key.
        feature: String,
    },
    /// The comparison is of another candidate than the conclusion names.
    #[error("the comparison is of reference image {compared}, the conclusion names {named}: compare the candidate you conclude on")]
    ComparisonOfAnotherCandidate {
        /// The candidate compared.
        compared: u64,
        /// The candidate the conclusion names.
        named: u64,
    },
    /// A coordinator plants proficiency tests for others only.
    #[error("a proficiency test is planted for someone else, never for oneself")]
    OwnProficiencyTest,
    /// A proficiency test's case is never reported or acted on as operational.
    #[error(
        "this is a proficiency test, never an operational case: it is not reported or acted on"
    )]
    ProficiencyCase,
    /// No such authorisation to withdraw.
    #[error("no such authorisation under deployment {deployment} is held")]
    NotAuthorisedToWithdraw {
        /// The deployment.
        deployment: String,
    },
}

fn roles(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(" or ")
}

impl Rule {
    /// Every code, for the tests that check a translation exists for each.
    pub const CODES: &'static [&'static str] = &[
        "needs_reasons",
        "wrong_role",
        "revision_open",
        "edit_only_draft",
        "applicant_fixed",
        "submit_only_draft",
        "not_own_applicant",
        "texts_not_own",
        "conflict_outside_review",
        "conflict_already_declared",
        "not_under_review",
        "already_assessed",
        "attest_outside_review",
        "attested_by_other_role",
        "machine_checked",
        "already_attested",
        "advice_outside_review",
        "not_assessor",
        "no_quorum",
        "ratify_before_advice",
        "negative_advice",
        "not_ratified_experiment",
        "no_portfolio",
        "already_approved",
        "authority_before_ratification",
        "portfolio_approvals_missing",
        "activate_only_approved",
        "outside_validity",
        "review_not_in_use",
        "suspend_only_active",
        "end_only_in_use",
        "evaluate_only_ended",
        "withdraw_only_before_advice",
        "other_framework",
        "not_submitted",
        "review_own_proposal",
        "same_unit",
        "conflict_excluded",
        "judgement_missing",
        "judgement_twice",
        "judgement_unknown",
        "judgement_without_reasons",
        "precondition_fails",
        "precondition_not_attested",
        "precondition_judged_unmet",
        "case_decided",
        "own_request",
        "already_held",
        "not_held",
        "already_restricted",
        "not_restricted",
        "under_legal_hold",
        "not_searching_examiner",
        "already_proposed",
        "proposal_without_reasoning",
        "verify_own_proposal",
        "no_proposal",
        "verified_twice",
        "concluded_twice",
        "own_conclusion_first",
        "verification_without_reasons",
        "not_reporting_examiner",
        "not_concluded",
        "not_assigning",
        "assign_after_outcome",
        "not_a_verifier",
        "verifier_unit",
        "already_assigned",
        "enough_assigned",
        "no_qualification",
        "qualification_expired",
        "no_ai_literacy",
        "ai_literacy_expired",
        "no_competence_authorisation",
        "not_assigned_verifier",
        "not_disputed",
        "position_missing",
        "not_on_scale",
        "level_needs_candidate",
        "level_names_no_candidate",
        "own_competence",
        "already_authorised",
        "not_authorised_to_withdraw",
        "own_proficiency_test",
        "proficiency_case",
        "not_assigned_to_search",
        "assignment_acted_on",
        "not_withdrawing",
        "already_withdrawn",
        "withdraw_after_outcome",
        "offence_outside_scope",
        "case_unjustified",
        "authority_kind_mismatch",
        "not_ready_for_use",
        "record_only_before_use",
        "incident_unclassified",
        "incident_from_the_future",
        "not_case_requester",
        "feedback_without_identification",
        "feedback_from_the_future",
        "feature_unmarked",
        "feature_marked_twice",
        "feature_unknown",
        "feature_note_too_long",
        "comparison_of_another_candidate",
    ];

    /// The stable code: snake case, one per rule.
    pub fn code(&self) -> &'static str {
        use Rule::*;
        match self {
            NeedsReasons { .. } => "needs_reasons",
            WrongRole { .. } => "wrong_role",
            RevisionOpen { .. } => "revision_open",
            EditOnlyDraft => "edit_only_draft",
            ApplicantFixed => "applicant_fixed",
            SubmitOnlyDraft { .. } => "submit_only_draft",
            NotOwnApplicant { .. } => "not_own_applicant",
            TextsNotOwn => "texts_not_own",
            ConflictOutsideReview => "conflict_outside_review",
            ConflictAlreadyDeclared => "conflict_already_declared",
            NotUnderReview { .. } => "not_under_review",
            AlreadyAssessed => "already_assessed",
            AttestOutsideReview => "attest_outside_review",
            AttestedByOtherRole { .. } => "attested_by_other_role",
            MachineChecked { .. } => "machine_checked",
            AlreadyAttested { .. } => "already_attested",
            AdviceOutsideReview { .. } => "advice_outside_review",
            NotAssessor => "not_assessor",
            NoQuorum { .. } => "no_quorum",
            RatifyBeforeAdvice { .. } => "ratify_before_advice",
            NegativeAdvice => "negative_advice",
            NotRatifiedExperiment => "not_ratified_experiment",
            NoPortfolio => "no_portfolio",
            AlreadyApproved => "already_approved",
            AuthorityBeforeRatification { .. } => "authority_before_ratification",
            PortfolioApprovalsMissing => "portfolio_approvals_missing",
            ActivateOnlyApproved { .. } => "activate_only_approved",
            OutsideValidity => "outside_validity",
            ReviewNotInUse => "review_not_in_use",
            SuspendOnlyActive => "suspend_only_active",
            EndOnlyInUse => "end_only_in_use",
            EvaluateOnlyEnded => "evaluate_only_ended",
            WithdrawOnlyBeforeAdvice => "withdraw_only_before_advice",
            OtherFramework { .. } => "other_framework",
            NotSubmitted => "not_submitted",
            ReviewOwnProposal => "review_own_proposal",
            SameUnit { .. } => "same_unit",
            ConflictExcluded => "conflict_excluded",
            JudgementMissing { .. } => "judgement_missing",
            JudgementTwice { .. } => "judgement_twice",
            JudgementUnknown { .. } => "judgement_unknown",
            JudgementWithoutReasons { .. } => "judgement_without_reasons",
            PreconditionFails { .. } => "precondition_fails",
            PreconditionNotAttested { .. } => "precondition_not_attested",
            PreconditionJudgedUnmet { .. } => "precondition_judged_unmet",
            CaseDecided { .. } => "case_decided",
            OwnRequest => "own_request",
            AlreadyHeld { .. } => "already_held",
            NotHeld { .. } => "not_held",
            AlreadyRestricted { .. } => "already_restricted",
            NotRestricted { .. } => "not_restricted",
            UnderLegalHold { .. } => "under_legal_hold",
            NotSearchingExaminer => "not_searching_examiner",
            AlreadyProposed => "already_proposed",
            ProposalWithoutReasoning => "proposal_without_reasoning",
            VerifyOwnProposal => "verify_own_proposal",
            NoProposal => "no_proposal",
            VerifiedTwice => "verified_twice",
            ConcludedTwice => "concluded_twice",
            OwnConclusionFirst => "own_conclusion_first",
            VerificationWithoutReasons => "verification_without_reasons",
            NotReportingExaminer => "not_reporting_examiner",
            NotConcluded => "not_concluded",
            NotAssigning => "not_assigning",
            AssignAfterOutcome => "assign_after_outcome",
            NotAVerifier { .. } => "not_a_verifier",
            VerifierUnit { .. } => "verifier_unit",
            AlreadyAssigned { .. } => "already_assigned",
            EnoughAssigned => "enough_assigned",
            NotQualified { lack } => lack.code(),
            NotAssignedVerifier => "not_assigned_verifier",
            NotDisputed => "not_disputed",
            PositionMissing { .. } => "position_missing",
            NotOnScale { .. } => "not_on_scale",
            LevelNeedsCandidate => "level_needs_candidate",
            LevelNamesNoCandidate => "level_names_no_candidate",
            OwnCompetence => "own_competence",
            AlreadyAuthorised { .. } => "already_authorised",
            NotAuthorisedToWithdraw { .. } => "not_authorised_to_withdraw",
            OwnProficiencyTest => "own_proficiency_test",
            ProficiencyCase => "proficiency_case",
            NotAssignedToSearch { .. } => "not_assigned_to_search",
            AssignmentActedOn { .. } => "assignment_acted_on",
            NotWithdrawing => "not_withdrawing",
            AlreadyWithdrawn => "already_withdrawn",
            WithdrawAfterOutcome => "withdraw_after_outcome",
            OffenceOutsideScope { .. } => "offence_outside_scope",
            CaseUnjustified { .. } => "case_unjustified",
            AuthorityKindMismatch { .. } => "authority_kind_mismatch",
            NotReadyForUse { .. } => "not_ready_for_use",
            RecordOnlyBeforeUse { .. } => "record_only_before_use",
            IncidentUnclassified => "incident_unclassified",
            IncidentFromTheFuture => "incident_from_the_future",
            NotCaseRequester => "not_case_requester",
            FeedbackWithoutIdentification => "feedback_without_identification",
            FeedbackFromTheFuture => "feedback_from_the_future",
            FeatureUnmarked { .. } => "feature_unmarked",
            FeatureMarkedTwice { .. } => "feature_marked_twice",
            FeatureUnknown { .. } => "feature_unknown",
            FeatureNoteTooLong { .. } => "feature_note_too_long",
            ComparisonOfAnotherCandidate { .. } => "comparison_of_another_candidate",
        }
    }

    /// The values the rule names, by the names its translations use (`$step`, `$state`, …).
    pub fn args(&self) -> Vec<(&'static str, Arg)> {
        use Rule::*;
        let text = |s: &str| Arg::Text(s.to_string());
        match self {
            NeedsReasons { step } | NotOwnApplicant { step } => vec![("step", text(step))],
            WrongRole { role, step, needs } => vec![
                ("role", Arg::Role(*role)),
                ("step", text(step)),
                ("needs", Arg::Roles(needs)),
            ],
            RevisionOpen { number, state } => vec![
                ("number", Arg::Number(u64::from(*number))),
                ("state", Arg::State(*state)),
            ],
            SubmitOnlyDraft { state }
            | NotUnderReview { state }
            | AdviceOutsideReview { state }
            | RatifyBeforeAdvice { state }
            | AuthorityBeforeRatification { state }
            | ActivateOnlyApproved { state }
            | RecordOnlyBeforeUse { state } => vec![("state", Arg::State(*state))],
            AttestedByOtherRole { precondition, role } => {
                vec![("key", text(precondition)), ("role", Arg::Role(*role))]
            }
            MachineChecked { precondition } | AlreadyAttested { precondition } => {
                vec![("key", text(precondition))]
            }
            NoQuorum { members, needed } => vec![
                ("members", Arg::Number(*members as u64)),
                ("needed", Arg::Number(*needed as u64)),
            ],
            OtherFramework { recorded, given } => {
                vec![("recorded", text(recorded)), ("given", text(given))]
            }
            SameUnit { unit } => vec![("unit", text(unit))],
            JudgementMissing { key }
            | JudgementTwice { key }
            | JudgementUnknown { key }
            | JudgementWithoutReasons { key }
            | PreconditionNotAttested { key }
            | PreconditionJudgedUnmet { key } => vec![("key", text(key))],
            PreconditionFails { key, why } | NotReadyForUse { key, why } => {
                vec![("key", text(key)), ("why", text(why))]
            }
            CaseDecided { case } | AlreadyHeld { case } | NotHeld { case } => {
                vec![("case", text(case))]
            }
            AlreadyRestricted { person }
            | NotRestricted { person }
            | NotAVerifier { person }
            | AlreadyAssigned { person }
            | PositionMissing { person }
            | NotAssignedToSearch { person }
            | AssignmentActedOn { person } => {
                vec![("person", text(person))]
            }
            VerifierUnit { unit } => vec![("unit", text(unit))],
            CaseUnjustified { min } => vec![("min", Arg::Number(*min))],
            AuthorityKindMismatch { asked, acting } => {
                vec![("asked", text(asked)), ("acting", text(acting))]
            }
            OffenceOutsideScope { category, years } => {
                vec![("category", text(category)), ("years", Arg::Number(*years))]
            }
            FeatureUnmarked { feature }
            | FeatureMarkedTwice { feature }
            | FeatureUnknown { feature }
            | FeatureNoteTooLong { feature } => vec![("feature", text(feature))],
            ComparisonOfAnotherCandidate { compared, named } => vec![
                ("compared", Arg::Number(*compared)),
                ("named", Arg::Number(*named)),
            ],
            NotQualified { lack } => lack.args(),
            NotOnScale { level } => vec![("level", text(level))],
            AlreadyAuthorised { deployment } | NotAuthorisedToWithdraw { deployment } => {
                vec![("deployment", text(deployment))]
            }
            UnderLegalHold { person, case } => {
                vec![("person", text(person)), ("case", text(case))]
            }
            EditOnlyDraft
            | TextsNotOwn
            | ApplicantFixed
            | ConflictOutsideReview
            | ConflictAlreadyDeclared
            | AlreadyAssessed
            | AttestOutsideReview
            | NotAssessor
            | NegativeAdvice
            | NotRatifiedExperiment
            | NoPortfolio
            | AlreadyApproved
            | PortfolioApprovalsMissing
            | OutsideValidity
            | ReviewNotInUse
            | SuspendOnlyActive
            | EndOnlyInUse
            | EvaluateOnlyEnded
            | WithdrawOnlyBeforeAdvice
            | NotSubmitted
            | ReviewOwnProposal
            | ConflictExcluded
            | OwnRequest
            | NotSearchingExaminer
            | AlreadyProposed
            | ProposalWithoutReasoning
            | VerifyOwnProposal
            | NoProposal
            | VerifiedTwice
            | ConcludedTwice
            | OwnConclusionFirst
            | VerificationWithoutReasons
            | NotReportingExaminer
            | NotConcluded
            | NotAssigning
            | AssignAfterOutcome
            | EnoughAssigned
            | NotAssignedVerifier
            | NotDisputed
            | LevelNeedsCandidate
            | LevelNamesNoCandidate
            | OwnCompetence
            | OwnProficiencyTest
            | ProficiencyCase
            | NotWithdrawing
            | AlreadyWithdrawn
            | WithdrawAfterOutcome
            | NotCaseRequester
            | IncidentUnclassified
            | IncidentFromTheFuture
            | FeedbackWithoutIdentification
            | FeedbackFromTheFuture => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_once_and_says_something() {
        let mut seen = std::collections::HashSet::new();
        for code in Rule::CODES {
            assert!(seen.insert(*code), "{code} twice");
            assert!(crate::is_key(code), "{code} is not a key");
        }
        let some = [
            Rule::WrongRole {
                role: Role::Auditor,
                step: "ratify",
                needs: &[Role::ChiefOfPolice],
            },
            Rule::NoQuorum {
                members: 1,
                needed: 3,
            },
            Rule::NotConcluded,
        ];
        for rule in some {
            assert!(Rule::CODES.contains(&rule.code()));
            assert!(rule.to_string().len() > 10);
        }
        assert_eq!(
            Rule::WrongRole {
                role: Role::Auditor,
                step: "ratify",
                needs: &[Role::ChiefOfPolice, Role::Administrator],
            }
            .to_string(),
            "auditor may not ratify: that needs the role chief_of_police or administrator"
        );
    }
}
