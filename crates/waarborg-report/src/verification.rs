//! How verification went (AI Act Art. 14(5); ENFSI BPM-DI-01): every step's outcomes, the
//! disputes and how they were resolved, and the time from proposal to outcome — counted
//! from the ledger's entries alone, so `report verify` recomputes them.
//!
//! The entries' words that are read (written by `waarborg_app::search`):
//!
//! | step                 | outcome text                                                  |
//! |----------------------|---------------------------------------------------------------|
//! | proposal             | `proposal: {Conclusion:?} at {level}`                         |
//! | own conclusion       | `own conclusion, blind to the proposal: {Conclusion:?} at …`  |
//! | verdict              | `verification {Verdict:?}` [`; outcome {Outcome:?}`]          |
//! | a dispute opened     | `verification {Verdict:?}; disputed: …`                       |
//! | further verifier     | `verification {Verdict:?} by the further verifier; outcome …` |
//! | consultation         | `dispute resolved by consultation; outcome {Outcome:?}`       |
//!
//! A search is known by its case and its probe's SHA-256 (both on every entry of it).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use waarborg_ledger::entry::{BiometricOperation, Operation};

/// Verification in a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationFigures {
    /// Examiners' proposals by conclusion (`candidate`, `no_identification`,
    /// `inconclusive`).
    pub proposals: BTreeMap<String, u64>,
    /// Verifiers' own conclusions, reached blind, by conclusion.
    pub own_conclusions: BTreeMap<String, u64>,
    /// Of those, the ones that reached the examiner's conclusion independently.
    pub own_conclusions_as_proposed: u64,
    /// Verdicts on proposals (`agree`, `disagree`, `inconclusive`).
    pub verdicts: BTreeMap<String, u64>,
    /// Verifications that ended in a dispute (not every verifier agreed).
    pub disputes: u64,
    /// Disputes resolved by a further independent verifier.
    pub resolved_by_further_verifier: u64,
    /// Disputes resolved by a recorded consultation.
    pub resolved_by_consultation: u64,
    /// Searches whose outcome was reached in the period, with their proposal known.
    pub concluded: u64,
    /// Minutes from proposal to outcome: the median.
    pub minutes_to_outcome_median: u64,
    /// Minutes from proposal to outcome: the longest.
    pub minutes_to_outcome_max: u64,
}

/// A conclusion's name from an entry's `{Conclusion:?}` words.
pub(crate) fn conclusion_name(words: &str) -> Option<&'static str> {
    [
        ("Candidate", "candidate"),
        ("NoIdentification", "no_identification"),
        ("Inconclusive", "inconclusive"),
    ]
    .into_iter()
    .find(|(prefix, _)| words.starts_with(prefix))
    .map(|(_, name)| name)
}

/// What an entry says was concluded: the conclusion's words (`Candidate { reference: 7 }`),
/// without the level.
pub(crate) fn stated<'a>(outcome: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = outcome.strip_prefix(prefix)?.strip_prefix(": ")?;
    Some(rest.split(" at ").next().unwrap_or(rest))
}

/// The search an entry is about.
pub(crate) fn search_key(op: &BiometricOperation) -> Option<(String, String)> {
    Some((op.case_authorisation.clone()?, op.input_sha256.clone()?))
}

/// Proficiency tests in a period: every conclusion on a planted case, scored against its
/// truth, per person and overall (`correct`, `false_identification`, `missed`,
/// `inconclusive`). Planted cases are counted here and nowhere else.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProficiencyFigures {
    /// Cases planted.
    pub planted: u64,
    /// Scores of every conclusion.
    pub overall: BTreeMap<String, u64>,
    /// Scores per person.
    pub per_person: BTreeMap<String, BTreeMap<String, u64>>,
}

/// How a conclusion (its `{Conclusion:?}` words) scores against `mated`: the table of
/// `waarborg_govern::proficiency`.
fn score(words: &str, mated: Option<u64>) -> Option<&'static str> {
    let named = words
        .strip_prefix("Candidate { reference: ")
        .and_then(|r| r.split(' ').next())
        .and_then(|r| r.parse::<u64>().ok());
    Some(match (conclusion_name(words)?, named, mated) {
        ("candidate", Some(r), Some(m)) if r == m => "correct",
        ("candidate", _, _) => "false_identification",
        ("no_identification", _, None) => "correct",
        ("no_identification", _, Some(_)) => "missed",
        _ => "inconclusive",
    })
}

/// The planted cases the ledger announced, by case number: their truth.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProficiencyTally {
    figures: ProficiencyFigures,
    truth: HashMap<String, Option<u64>>,
}

impl ProficiencyTally {
    /// Learns a planted case from its entry (`plant_proficiency_test`: subject `proficiency
    /// test in case N`, reason `…; mated: reference R` or `…; mated: none`).
    pub(crate) fn planted(&mut self, subject: &str, reason: &str, in_period: bool) {
        let Some(case) = subject.strip_prefix("proficiency test in case ") else {
            return;
        };
        let mated = reason
            .rsplit("mated: reference ")
            .next()
            .filter(|_| reason.contains("mated: reference "))
            .and_then(|r| r.trim().parse::<u64>().ok());
        self.truth.insert(case.to_string(), mated);
        if in_period {
            self.figures.planted += 1;
        }
    }

    /// Whether `case` is a planted case's (its entries count here only).
    pub(crate) fn is_planted(&self, case: Option<&str>) -> bool {
        case.is_some_and(|c| self.truth.contains_key(c))
    }

    /// Scores a proposal or an own conclusion on a planted case; its score, if it was one.
    pub(crate) fn add(&mut self, op: &BiometricOperation, in_period: bool) -> Option<&'static str> {
        let mated = op
            .case_authorisation
            .as_deref()
            .and_then(|c| self.truth.get(c))?;
        let words = stated(&op.outcome, "proposal")
            .or_else(|| stated(&op.outcome, "own conclusion, blind to the proposal"));
        let s = words.and_then(|w| score(w, *mated))?;
        if in_period {
            *self.figures.overall.entry(s.into()).or_default() += 1;
            *self
                .figures
                .per_person
                .entry(op.user.clone())
                .or_default()
                .entry(s.into())
                .or_default() += 1;
        }
        Some(s)
    }

    /// The figures.
    pub(crate) fn finish(self) -> ProficiencyFigures {
        self.figures
    }
}

/// Counting state.
#[derive(Debug, Clone, Default)]
pub(crate) struct VerificationTally {
    figures: VerificationFigures,
    /// Each search's proposal: its conclusion's words and when (seconds).
    proposals: HashMap<(String, String), (String, Option<i64>)>,
    minutes: Vec<u64>,
}

impl VerificationTally {
    /// Reads one operation at `at` (seconds); `in_period` says whether it is counted.
    pub(crate) fn add(&mut self, op: &BiometricOperation, at: Option<i64>, in_period: bool) {
        let key = search_key(op);
        let f = &mut self.figures;
        let text = op.outcome.as_str();
        match op.operation {
            Operation::Proposal => {
                if let (Some(key), Some(words)) = (key, stated(text, "proposal")) {
                    if in_period {
                        if let Some(name) = conclusion_name(words) {
                            *f.proposals.entry(name.into()).or_default() += 1;
                        }
                    }
                    self.proposals.insert(key, (words.to_string(), at));
                }
            }
            Operation::Verification if in_period => {
                if let Some(words) = stated(text, "own conclusion, blind to the proposal") {
                    if let Some(name) = conclusion_name(words) {
                        *f.own_conclusions.entry(name.into()).or_default() += 1;
                    }
                    let proposed = key.and_then(|k| self.proposals.get(&k));
                    if proposed.is_some_and(|(p, _)| p == words) {
                        f.own_conclusions_as_proposed += 1;
                    }
                    return;
                }
                if let Some(rest) = text.strip_prefix("verification ") {
                    let verdict = rest
                        .split([';', ' '])
                        .next()
                        .unwrap_or_default()
                        .to_lowercase();
                    *f.verdicts.entry(verdict).or_default() += 1;
                    if rest.contains("; disputed") {
                        f.disputes += 1;
                    }
                    if rest.contains("by the further verifier; outcome") {
                        f.resolved_by_further_verifier += 1;
                    }
                }
                if text.starts_with("dispute resolved by consultation") {
                    f.resolved_by_consultation += 1;
                }
                if text.contains("outcome ") {
                    let since = key
                        .and_then(|k| self.proposals.get(&k))
                        .and_then(|(_, t)| *t);
                    if let (Some(since), Some(at)) = (since, at) {
                        f.concluded += 1;
                        self.minutes.push(((at - since).max(0) / 60) as u64);
                    }
                }
            }
            _ => {}
        }
    }

    /// The figures.
    pub(crate) fn finish(mut self) -> VerificationFigures {
        self.minutes.sort_unstable();
        if let Some(max) = self.minutes.last() {
            self.figures.minutes_to_outcome_max = *max;
            self.figures.minutes_to_outcome_median = self.minutes[self.minutes.len() / 2];
        }
        self.figures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(operation: Operation, user: &str, outcome: &str) -> BiometricOperation {
        BiometricOperation {
            operation,
            started: String::new(),
            ended: String::new(),
            user: user.into(),
            role: String::new(),
            deployment_revision: Some("d/1".into()),
            case_authorisation: Some("OM-1".into()),
            reference_database: None,
            input_sha256: Some("ab".into()),
            verifiers: Vec::new(),
            model_sha256: Vec::new(),
            outcome: outcome.into(),
            best_score_milli: None,
        }
    }

    #[test]
    fn each_step_a_dispute_its_resolution_and_the_time_to_outcome() {
        use Operation::{Proposal, Verification};
        let mut t = VerificationTally::default();
        let steps = [
            (Proposal, "e", "proposal: Candidate { reference: 7 } at identification_support_strong", 0),
            (Verification, "v1", "own conclusion, blind to the proposal: Candidate { reference: 7 } at identification_support_moderate", 60),
            (Verification, "v2", "own conclusion, blind to the proposal: NoIdentification at exclusion_support_limited", 120),
            (Verification, "v1", "verification Agree", 180),
            (Verification, "v2", "verification Disagree; disputed: not every verifier agrees", 240),
            (Verification, "v3", "own conclusion, blind to the proposal: Candidate { reference: 7 } at identification_support_strong", 300),
            (Verification, "v3", "verification Agree by the further verifier; outcome Identification { reference: 7 }", 3600),
        ];
        for (operation, user, text, at) in steps {
            t.add(&op(operation, user, text), Some(1_000_000 + at), true);
        }
        let f = t.finish();
        assert_eq!(f.proposals["candidate"], 1);
        assert_eq!(f.own_conclusions["candidate"], 2);
        assert_eq!(f.own_conclusions["no_identification"], 1);
        assert_eq!(f.own_conclusions_as_proposed, 2);
        assert_eq!((f.verdicts["agree"], f.verdicts["disagree"]), (2, 1));
        assert_eq!((f.disputes, f.resolved_by_further_verifier), (1, 1));
        assert_eq!(f.resolved_by_consultation, 0);
        assert_eq!((f.concluded, f.minutes_to_outcome_median), (1, 60));
    }

    #[test]
    fn planted_cases_are_scored_per_person() {
        let mut t = ProficiencyTally::default();
        t.planted(
            "proficiency test in case OM-1",
            "for examiner e; probe ab; 3 gallery images; mated: reference 7",
            true,
        );
        t.planted(
            "proficiency test in case OM-2",
            "for examiner e; probe cd; 3 gallery images; mated: none",
            true,
        );
        assert!(t.is_planted(Some("OM-1")) && !t.is_planted(Some("OM-3")) && !t.is_planted(None));
        let on = |case: &str, user: &str, text: &str| BiometricOperation {
            case_authorisation: Some(case.into()),
            ..op(Operation::Proposal, user, text)
        };
        for (case, user, text) in [
            ("OM-1", "e", "proposal: Candidate { reference: 7 } at identification_support_strong"),
            ("OM-1", "v1", "own conclusion, blind to the proposal: Candidate { reference: 8 } at identification_support_limited"),
            ("OM-1", "v2", "own conclusion, blind to the proposal: NoIdentification at exclusion_support_limited"),
            ("OM-2", "e", "proposal: NoIdentification at exclusion_support_strong"),
            ("OM-2", "v1", "own conclusion, blind to the proposal: Inconclusive at inconclusive"),
            ("OM-3", "v1", "proposal: Candidate { reference: 9 } at identification_support_strong"),
        ] {
            t.add(&on(case, user, text), true);
        }
        let f = t.finish();
        assert_eq!(f.planted, 2);
        assert_eq!(f.per_person["e"]["correct"], 2);
        assert_eq!(f.per_person["v1"]["false_identification"], 1);
        assert_eq!(f.per_person["v1"]["inconclusive"], 1);
        assert_eq!(f.per_person["v2"]["missed"], 1);
        assert_eq!(
            f.overall.values().sum::<u64>(),
            5,
            "OM-3 is no planted case"
        );
    }
}
