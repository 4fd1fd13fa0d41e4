//! Proficiency testing (ENFSI BPM-DI-01; ISO/IEC 17025 7.7): known-answer cases planted in
//! examiners' and verifiers' work, indistinguishable to them, scored against the truth.
//!
//! A planted case's candidates come from a test gallery, never the operational reference
//! database; its truth is the candidate that shows the probe's person, or none. A
//! conclusion is scored:
//!
//! | conclusion               | truth: candidate X | truth: none            |
//! |--------------------------|--------------------|------------------------|
//! | candidate X              | correct            | —                      |
//! | another candidate        | false identification | false identification |
//! | none of the candidates   | missed             | correct                |
//! | inconclusive             | inconclusive       | inconclusive           |

use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Role};
use crate::identification::Conclusion;
use crate::rule::Rule;
use crate::GovernError;

/// How a conclusion on a planted case scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Score {
    /// The truth.
    Correct,
    /// Named a candidate that is not the person (the error that matters most).
    FalseIdentification,
    /// Excluded every candidate although one was the person.
    Missed,
    /// Neither.
    Inconclusive,
}

impl Score {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Score::Correct => "correct",
            Score::FalseIdentification => "false_identification",
            Score::Missed => "missed",
            Score::Inconclusive => "inconclusive",
        }
    }
}

/// Scores `conclusion` against `mated` (the candidate that is the person, or none).
pub fn score(mated: Option<u64>, conclusion: &Conclusion) -> Score {
    match (conclusion, mated) {
        (Conclusion::Candidate { reference }, Some(m)) if *reference == m => Score::Correct,
        (Conclusion::Candidate { .. }, _) => Score::FalseIdentification,
        (Conclusion::NoIdentification, None) => Score::Correct,
        (Conclusion::NoIdentification, Some(_)) => Score::Missed,
        (Conclusion::Inconclusive, _) => Score::Inconclusive,
    }
}

/// Who may plant a case: a coordinator, for someone else.
pub fn may_plant(actor: &Actor, examiner: &str) -> Result<(), GovernError> {
    if actor.role != Role::Coordinator {
        return Err(GovernError::Refused(Rule::WrongRole {
            role: actor.role,
            step: "plant a proficiency test",
            needs: &[Role::Coordinator],
        }));
    }
    if actor.user == examiner {
        return Err(GovernError::Refused(Rule::OwnProficiencyTest));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cell_of_the_scoring_table() {
        let c = |r| Conclusion::Candidate { reference: r };
        let rows = [
            (c(7), Some(7), Score::Correct),
            (c(8), Some(7), Score::FalseIdentification),
            (c(8), None, Score::FalseIdentification),
            (Conclusion::NoIdentification, Some(7), Score::Missed),
            (Conclusion::NoIdentification, None, Score::Correct),
            (Conclusion::Inconclusive, Some(7), Score::Inconclusive),
            (Conclusion::Inconclusive, None, Score::Inconclusive),
        ];
        for (conclusion, mated, expected) in rows {
            assert_eq!(
                score(mated, &conclusion),
                expected,
                "{conclusion:?} {mated:?}"
            );
        }
        let coordinator = Actor::new("c", Role::Coordinator, "bc");
        assert!(may_plant(&coordinator, "examiner-1").is_ok());
        assert!(may_plant(&coordinator, "c").is_err());
        assert!(may_plant(&Actor::new("e", Role::Examiner, "bc"), "examiner-1").is_err());
    }
}
