//! The counts the monitoring indicators are made of (AI Act Art. 26(5)), per deployment and
//! month, and the organisation's own per month — counted in the same pass as every other
//! figure, so a supervisor recomputes them. What they mean and when they raise an alert is
//! the framework's (`waarborg_govern::monitoring`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Figures;

/// One deployment's counts in one month.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Monitored {
    /// Probes submitted.
    pub probes: u64,
    /// Of those, judged of insufficient quality.
    pub insufficient_quality: u64,
    /// Searches.
    pub searches: u64,
    /// Identifications.
    pub identifications: u64,
    /// Proposals concluded by verification (identification, not confirmed, no
    /// identification, inconclusive).
    pub concluded: u64,
    /// Of those, not confirmed.
    pub not_confirmed: u64,
    /// Refusals.
    pub refusals: u64,
    /// Urgent case requests.
    pub urgent_uses: u64,
    /// Case requests decided.
    pub decided: u64,
    /// The longest time from a case's request to its decision, whole hours.
    pub longest_decision_hours: u64,
    /// Searches by their best score in hundredths (−100 to 100), whatever the threshold:
    /// the score distribution whose drift the oversight page shows.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub best_scores: BTreeMap<i16, u64>,
}

/// The 25th, 50th and 75th percentile of a histogram of scores in hundredths, as scores
/// (the lower of two middle values; `None` when it is empty).
pub fn quartiles(histogram: &BTreeMap<i16, u64>) -> Option<[f32; 3]> {
    let n: u64 = histogram.values().sum();
    if n == 0 {
        return None;
    }
    let at = |q: u64| {
        // The rank (1-based) of the q-th quartile: ceil(q·n/4), at least 1.
        let rank = (q * n).div_ceil(4).max(1);
        let mut seen = 0;
        for (&score, &count) in histogram {
            seen += count;
            if seen >= rank {
                return f32::from(score) / 100.0;
            }
        }
        0.0
    };
    Some([at(1), at(2), at(3)])
}

/// How many of a histogram's searches scored at or above `threshold`.
pub fn at_or_above(histogram: &BTreeMap<i16, u64>, threshold: f32) -> u64 {
    histogram
        .iter()
        .filter(|(&s, _)| f32::from(s) / 100.0 >= threshold - 0.005)
        .map(|(_, &c)| c)
        .sum()
}

impl Monitored {
    /// The counts a month's figures give (the rest come from the cases).
    pub(crate) fn take_figures(&mut self, f: &Figures) {
        self.probes = f.probes_submitted;
        self.insufficient_quality = f.insufficient_quality;
        self.searches = f.searches;
        self.identifications = f.identifications;
        self.not_confirmed = f.not_confirmed;
        self.concluded = f.identifications + f.not_confirmed + f.no_identification + f.inconclusive;
        self.refusals = f.refusals.values().sum();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_of_a_histogram() {
        assert_eq!(quartiles(&BTreeMap::new()), None);
        // 1..=8 hundredths once each: ranks 2, 4 and 6.
        let h: BTreeMap<i16, u64> = (1..=8).map(|s| (s, 1)).collect();
        assert_eq!(quartiles(&h), Some([0.02, 0.04, 0.06]));
        let one: BTreeMap<i16, u64> = [(-30, 5)].into();
        assert_eq!(quartiles(&one), Some([-0.3, -0.3, -0.3]));
        let skewed: BTreeMap<i16, u64> = [(10, 1), (50, 3)].into();
        assert_eq!(quartiles(&skewed), Some([0.1, 0.5, 0.5]));
        assert_eq!(at_or_above(&skewed, 0.5), 3);
        assert_eq!(at_or_above(&skewed, 0.1), 4);
        assert_eq!(at_or_above(&skewed, 0.51), 0);
    }
}

/// The organisation's counts in one month.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationMonitored {
    /// Reads of records about people under no case, for a duty that needs one.
    pub consultations_without_case: u64,
    /// Proficiency-test conclusions scored.
    pub proficiency_scored: u64,
    /// Of those, wrong (a false identification or a miss).
    pub proficiency_wrong: u64,
}

/// The monitoring counts of a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Monitoring {
    /// Deployment → month (`YYYY-MM`) → counts.
    pub per_deployment: BTreeMap<String, BTreeMap<String, Monitored>>,
    /// Month → the organisation's counts.
    pub organisation: BTreeMap<String, OrganisationMonitored>,
}
