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
}
