//! Monitoring a use (AI Act Art. 26(5)): indicators per deployment and month, thresholds as
//! framework data, and the alert a crossing raises to the privacy officer and the review
//! committee.
//!
//! The counts come from the ledger (the reports' figures, so a supervisor recomputes
//! them); this module says what they mean and when they are out of bounds. A rate is a
//! count over a count (`7 of 10`) and its limit a whole percentage, compared exactly in
//! integers (`7 · 100 > 50 · 10`), so no rounding decides whether an alert fires. A
//! threshold looks only at months with at least `min_observations` in the rate's
//! denominator (or of the count itself), so one rejected probe in a quiet month is no
//! alarm.
//!
//! | indicator | reading | default alert |
//! |-----------|---------|---------------|
//! | `quality_rejection_rate` | probes judged of insufficient quality of probes submitted | above 60 % (≥ 10 probes) |
//! | `identification_rate` | identifications of searches | above 80 % (≥ 10 searches): lists may be read too readily |
//! | `disagreement_rate` | proposals the verifiers did not confirm, of those concluded | above 20 % (≥ 5) |
//! | `refusals` | refusals of the gate and the rules, a count | above 20 in a month |
//! | `authorisation_hours` | the longest time from a case request to its decision, hours | above 48 |
//! | `urgent_uses` | urgent case requests, a count | above 5 in a month |
//! | `consultations_without_case` | reads of records about people under no case (organisation) | above 0 |
//! | `proficiency_error_rate` | false identifications and misses of scored proficiency conclusions (organisation) | above 10 % (≥ 5) |
//! | `score_shift` | how far the median of the searches' best scores moved from the months before, hundredths (judged from 10 searches in both) | above 4: a model or population change |
//!
//! An alert is raised once per deployment, month and indicator; the privacy officer or a
//! committee member acknowledges it with what was done.

use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Role, Timestamp};
use crate::rule::Rule;
use crate::GovernError;

/// What is watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    /// Probes judged of insufficient quality, of probes submitted.
    QualityRejectionRate,
    /// Identifications, of searches.
    IdentificationRate,
    /// Proposals not confirmed by the verifiers, of proposals concluded.
    DisagreementRate,
    /// Refusals (a count).
    Refusals,
    /// The longest time from a case request to its decision (hours).
    AuthorisationHours,
    /// Urgent case requests (a count).
    UrgentUses,
    /// Reads of records about people under no case (a count; the whole organisation).
    ConsultationsWithoutCase,
    /// Wrong conclusions on proficiency tests, of those scored (the whole organisation).
    ProficiencyErrorRate,
    /// How far the median of the searches' best scores moved from that of the months
    /// before, in hundredths (a count).
    ScoreShift,
}

impl Indicator {
    /// Every indicator, in the order pages show them.
    pub const ALL: [Indicator; 9] = [
        Indicator::QualityRejectionRate,
        Indicator::IdentificationRate,
        Indicator::DisagreementRate,
        Indicator::Refusals,
        Indicator::AuthorisationHours,
        Indicator::UrgentUses,
        Indicator::ConsultationsWithoutCase,
        Indicator::ProficiencyErrorRate,
        Indicator::ScoreShift,
    ];

    /// Its stable code (the Fluent key's tail: `indicator_<code>`).
    pub fn code(self) -> &'static str {
        match self {
            Indicator::QualityRejectionRate => "quality_rejection_rate",
            Indicator::IdentificationRate => "identification_rate",
            Indicator::DisagreementRate => "disagreement_rate",
            Indicator::Refusals => "refusals",
            Indicator::AuthorisationHours => "authorisation_hours",
            Indicator::UrgentUses => "urgent_uses",
            Indicator::ConsultationsWithoutCase => "consultations_without_case",
            Indicator::ProficiencyErrorRate => "proficiency_error_rate",
            Indicator::ScoreShift => "score_shift",
        }
    }

    /// The indicator whose code is `code`.
    pub fn parse(code: &str) -> Option<Indicator> {
        Indicator::ALL.into_iter().find(|i| i.code() == code)
    }

    /// Whether it is a rate (its limit a percentage).
    pub fn is_rate(self) -> bool {
        matches!(
            self,
            Indicator::QualityRejectionRate
                | Indicator::IdentificationRate
                | Indicator::DisagreementRate
                | Indicator::ProficiencyErrorRate
        )
    }

    /// Whether it is the organisation's, not a deployment's.
    pub fn organisation_wide(self) -> bool {
        matches!(
            self,
            Indicator::ConsultationsWithoutCase | Indicator::ProficiencyErrorRate
        )
    }
}

/// One month's reading of an indicator: a count, or a count of a whole (a rate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    /// The count (a rate's part).
    pub count: u64,
    /// A rate's whole; `None` for a count.
    pub of: Option<u64>,
}

impl Reading {
    /// A count.
    pub fn count(n: u64) -> Reading {
        Reading { count: n, of: None }
    }

    /// `part` of `whole`.
    pub fn rate(part: u64, whole: u64) -> Reading {
        Reading {
            count: part,
            of: Some(whole),
        }
    }

    /// How many observations it rests on: a rate's whole, a count itself.
    pub fn observations(self) -> u64 {
        self.of.unwrap_or(self.count)
    }

    /// Its value as a whole percentage (a rate, rounded down) or the count; `None` for a
    /// rate of nothing.
    pub fn value(self) -> Option<u64> {
        match self.of {
            Some(0) => None,
            Some(whole) => Some(self.count.saturating_mul(100) / whole),
            None => Some(self.count),
        }
    }
}

/// Which side of the limit is out of bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// A value above the limit raises an alert.
    #[default]
    Above,
    /// A value below the limit raises an alert.
    Below,
}

/// A limit on one indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Threshold {
    /// What it limits.
    pub indicator: Indicator,
    /// Which side is out of bounds.
    #[serde(default)]
    pub bound: Bound,
    /// The limit: a whole percentage for a rate, else a count or hours.
    pub limit: u64,
    /// Months with fewer observations than this are not judged.
    #[serde(default)]
    pub min_observations: u64,
}

impl Threshold {
    /// Whether `r` is out of bounds (exactly, in integers).
    pub fn crossed(&self, r: Reading) -> bool {
        if r.observations() < self.min_observations {
            return false;
        }
        // value > limit, as `count · 100 > limit · whole` for a rate.
        let (lhs, rhs) = match r.of {
            Some(0) => return false,
            Some(whole) => (
                u128::from(r.count) * 100,
                u128::from(self.limit) * u128::from(whole),
            ),
            None => (u128::from(r.count), u128::from(self.limit)),
        };
        match self.bound {
            Bound::Above => lhs > rhs,
            Bound::Below => lhs < rhs,
        }
    }

    /// The defaults of the framework template (see the module's table).
    pub fn defaults() -> Vec<Threshold> {
        let t = |indicator, limit, min_observations| Threshold {
            indicator,
            bound: Bound::Above,
            limit,
            min_observations,
        };
        vec![
            t(Indicator::QualityRejectionRate, 60, 10),
            t(Indicator::IdentificationRate, 80, 10),
            t(Indicator::DisagreementRate, 20, 5),
            t(Indicator::Refusals, 20, 0),
            t(Indicator::AuthorisationHours, 48, 0),
            t(Indicator::UrgentUses, 5, 0),
            t(Indicator::ConsultationsWithoutCase, 0, 0),
            t(Indicator::ProficiencyErrorRate, 10, 5),
            t(Indicator::ScoreShift, 4, 0),
        ]
    }

    /// Checks a framework's thresholds: one per indicator and side, a rate's limit a
    /// percentage.
    pub fn validate_all(thresholds: &[Threshold]) -> Result<(), String> {
        let mut seen = std::collections::HashSet::new();
        for t in thresholds {
            if !seen.insert((t.indicator, t.bound)) {
                return Err(format!(
                    "the monitoring threshold on {} ({:?}) is given twice",
                    t.indicator.code(),
                    t.bound
                ));
            }
            if t.indicator.is_rate() && t.limit > 100 {
                return Err(format!(
                    "{} is a rate: its limit is a percentage from 0 to 100, not {}",
                    t.indicator.code(),
                    t.limit
                ));
            }
        }
        Ok(())
    }
}

/// Who receives the alerts and acknowledges them.
pub const ADDRESSEES: &[Role] = &[Role::PrivacyOfficer, Role::ReviewCommitteeMember];

/// An indicator out of bounds in one month, raised to the privacy officer and the review
/// committee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Its id (one per deployment, month and indicator: [`Alert::id_for`]).
    pub id: String,
    /// The deployment, or `None` for an organisation-wide indicator.
    pub deployment: Option<String>,
    /// The month, `YYYY-MM`.
    pub month: String,
    /// The indicator.
    pub indicator: Indicator,
    /// The reading that crossed.
    pub reading: Reading,
    /// The threshold it crossed.
    pub threshold: Threshold,
    /// When it was raised.
    pub raised_at: Timestamp,
    /// Who acknowledged it, when, and what was done.
    #[serde(default)]
    pub acknowledged: Option<Acknowledgement>,
}

/// An alert acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    /// Who.
    pub by: String,
    /// In which role.
    pub role: Role,
    /// When.
    pub at: Timestamp,
    /// What was done or decided.
    pub note: String,
}

impl Alert {
    /// The id of the alert on `indicator` of `deployment` (none: the organisation) in
    /// `month`: `M-<month>-<indicator>[-<deployment>]`.
    pub fn id_for(deployment: Option<&str>, month: &str, indicator: Indicator) -> String {
        match deployment {
            Some(d) => format!("M-{month}-{}-{d}", indicator.code()),
            None => format!("M-{month}-{}", indicator.code()),
        }
    }

    /// A new alert: `reading` of `indicator` crossed `threshold` in `month`.
    pub fn raise(
        deployment: Option<&str>,
        month: &str,
        reading: Reading,
        threshold: &Threshold,
        now: Timestamp,
    ) -> Alert {
        Alert {
            id: Alert::id_for(deployment, month, threshold.indicator),
            deployment: deployment.map(str::to_string),
            month: month.to_string(),
            indicator: threshold.indicator,
            reading,
            threshold: threshold.clone(),
            raised_at: now,
            acknowledged: None,
        }
    }

    /// What crossed, in words for the ledger (`quality_rejection_rate 7 of 10 above 60 %`).
    pub fn describe(&self) -> String {
        let side = match self.threshold.bound {
            Bound::Above => "above",
            Bound::Below => "below",
        };
        let (reading, unit) = match self.reading.of {
            Some(whole) => (format!("{} of {whole}", self.reading.count), " %"),
            None => (self.reading.count.to_string(), ""),
        };
        format!(
            "{} {reading} {side} {}{unit} in {}",
            self.indicator.code(),
            self.threshold.limit,
            self.month
        )
    }

    /// The privacy officer or a committee member acknowledges it, saying what was done.
    pub fn acknowledge(
        &mut self,
        actor: &Actor,
        note: &str,
        now: Timestamp,
    ) -> Result<(), GovernError> {
        if !ADDRESSEES.contains(&actor.role) {
            return Err(GovernError::Refused(Rule::WrongRole {
                role: actor.role,
                step: "acknowledge a monitoring alert",
                needs: ADDRESSEES,
            }));
        }
        if note.trim().chars().count() < 3 {
            return Err(GovernError::Refused(Rule::NeedsReasons {
                step: "acknowledge a monitoring alert",
            }));
        }
        self.acknowledged = Some(Acknowledgement {
            by: actor.user.clone(),
            role: actor.role,
            at: now,
            note: note.trim().to_string(),
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn above(indicator: Indicator, limit: u64, min: u64) -> Threshold {
        Threshold {
            indicator,
            bound: Bound::Above,
            limit,
            min_observations: min,
        }
    }

    /// One row per case: the reading, the threshold, whether it crosses.
    #[test]
    fn a_threshold_is_crossed_exactly_and_only_on_enough_observations() {
        use Indicator::*;
        let rows: &[(Reading, Threshold, bool)] = &[
            (
                Reading::rate(7, 10),
                above(QualityRejectionRate, 60, 10),
                true,
            ),
            (
                Reading::rate(6, 10),
                above(QualityRejectionRate, 60, 10),
                false,
            ),
            // 60.0 % is not above 60 %; 60.1 % is, though it rounds down to 60.
            (
                Reading::rate(601, 1000),
                above(QualityRejectionRate, 60, 10),
                true,
            ),
            (
                Reading::rate(9, 9),
                above(QualityRejectionRate, 60, 10),
                false,
            ),
            (Reading::rate(0, 0), above(DisagreementRate, 0, 0), false),
            (Reading::count(21), above(Refusals, 20, 0), true),
            (Reading::count(20), above(Refusals, 20, 0), false),
            (
                Reading::count(1),
                above(ConsultationsWithoutCase, 0, 0),
                true,
            ),
            (
                Reading::rate(1, 10),
                Threshold {
                    bound: Bound::Below,
                    ..above(IdentificationRate, 20, 10)
                },
                true,
            ),
            (
                Reading::rate(u64::MAX, u64::MAX),
                above(IdentificationRate, 99, 0),
                true,
            ),
        ];
        for (i, (reading, threshold, crossed)) in rows.iter().enumerate() {
            assert_eq!(
                threshold.crossed(*reading),
                *crossed,
                "row {i}: {reading:?} {threshold:?}"
            );
        }
        assert_eq!(Reading::rate(601, 1000).value(), Some(60));
        assert_eq!(Reading::rate(1, 0).value(), None);
    }

    #[test]
    fn thresholds_are_checked_and_every_indicator_has_a_default() {
        let defaults = Threshold::defaults();
        assert!(Threshold::validate_all(&defaults).is_ok());
        for i in Indicator::ALL {
            assert_eq!(Indicator::parse(i.code()), Some(i));
            assert!(defaults.iter().any(|t| t.indicator == i), "{i:?}");
        }
        let twice = vec![defaults[0].clone(), defaults[0].clone()];
        assert!(Threshold::validate_all(&twice)
            .unwrap_err()
            .contains("twice"));
        let over = vec![above(Indicator::DisagreementRate, 101, 0)];
        assert!(Threshold::validate_all(&over)
            .unwrap_err()
            .contains("percentage"));
    }

    #[test]
    fn only_the_addressees_acknowledge_and_they_say_what_was_done() {
        let t = above(Indicator::Refusals, 0, 0);
        let mut a = Alert::raise(
            Some("catch"),
            "2027-03",
            Reading::count(3),
            &t,
            Timestamp(0),
        );
        assert_eq!(a.id, "M-2027-03-refusals-catch");
        assert_eq!(a.describe(), "refusals 3 above 0 in 2027-03");
        let examiner = Actor::new("e1", Role::Examiner, "u");
        assert!(matches!(
            a.acknowledge(&examiner, "seen", Timestamp(1)),
            Err(GovernError::Refused(Rule::WrongRole { .. }))
        ));
        let po = Actor::new("po", Role::PrivacyOfficer, "u");
        assert!(matches!(
            a.acknowledge(&po, " ", Timestamp(1)),
            Err(GovernError::Refused(Rule::NeedsReasons { .. }))
        ));
        assert!(a.acknowledged.is_none());
        a.acknowledge(&po, "asked the unit why", Timestamp(2))
            .unwrap();
        assert_eq!(a.acknowledged.as_ref().map(|k| k.by.as_str()), Some("po"));
        let org = Alert::raise(None, "2027-03", Reading::count(1), &t, Timestamp(0));
        assert_eq!(org.id, "M-2027-03-refusals");
    }
}
