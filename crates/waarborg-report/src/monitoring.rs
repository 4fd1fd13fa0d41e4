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
