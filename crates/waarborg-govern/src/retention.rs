//! Retention of reference images as data (invariant 6): periods by source kind and offence
//! class, and events that end the lawful basis earlier.
//!
//! Defaults (from the public descriptions of CATCH): 20 years; 30 years for offences with a
//! maximum sentence of 6 years or more; 80 years for sexual offences; removal once a person
//! is no longer a suspect (acquittal, dismissal) unless they have a conviction or another
//! open case; aliens' images when the alien status ends.

use serde::{Deserialize, Serialize};

use crate::actor::Timestamp;

/// Which offences a rule covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "class")]
pub enum OffenceClass {
    /// Any offence.
    Any,
    /// Offences with at least this maximum sentence.
    MaxSentenceAtLeast {
        /// Years.
        years: u32,
    },
    /// Sexual offences.
    Sexual,
}

/// A retention period rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodRule {
    /// Stable key, named in deletion receipts.
    pub key: String,
    /// The source kind it applies to (e.g. `custody_photo`).
    pub source_kind: String,
    /// The offences it covers.
    pub offences: OffenceClass,
    /// Years kept after capture.
    pub years: u32,
}

/// Something that happened to the person or their case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonEvent {
    /// Acquitted.
    Acquittal,
    /// Case dismissed.
    Dismissal,
    /// Convicted.
    Conviction,
    /// Alien status ended.
    EndOfAlienStatus,
}

impl PersonEvent {
    /// All events, for messages and forms.
    pub const ALL: [PersonEvent; 4] = [
        PersonEvent::Acquittal,
        PersonEvent::Dismissal,
        PersonEvent::Conviction,
        PersonEvent::EndOfAlienStatus,
    ];

    /// The stable name (`acquittal`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            PersonEvent::Acquittal => "acquittal",
            PersonEvent::Dismissal => "dismissal",
            PersonEvent::Conviction => "conviction",
            PersonEvent::EndOfAlienStatus => "end_of_alien_status",
        }
    }

    /// Parses a stable name; the error lists the events there are.
    pub fn parse(name: &str) -> Result<PersonEvent, String> {
        PersonEvent::ALL
            .into_iter()
            .find(|e| e.as_str() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = PersonEvent::ALL.iter().map(|e| e.as_str()).collect();
                format!(
                    "unknown event {name:?}; the events are {}",
                    known.join(", ")
                )
            })
    }
}

/// What the retention engine needs to know about one reference image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceFacts {
    /// Source kind.
    pub source_kind: String,
    /// The offence's maximum sentence in years.
    pub max_sentence_years: u32,
    /// Whether it is a sexual offence.
    pub sexual_offence: bool,
    /// When the image was captured.
    pub captured_at: Timestamp,
    /// Events about the person, in order, with their times.
    pub events: Vec<(PersonEvent, Timestamp)>,
    /// Whether the person has another open case.
    pub other_open_case: bool,
}

/// A decision that an image is due for erasure, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueForErasure {
    /// The rule (a period rule's key, or the event rule's name).
    pub rule: String,
    /// Why, in words.
    pub reason: String,
    /// Since when it is due.
    pub since: Timestamp,
}

/// The retention rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionRules {
    /// Period rules; the longest applicable period wins.
    pub periods: Vec<PeriodRule>,
}

const YEAR: i64 = 365 * Timestamp::DAY + Timestamp::DAY / 4;

impl Default for RetentionRules {
    fn default() -> Self {
        let rule = |key: &str, kind: &str, offences, years| PeriodRule {
            key: key.into(),
            source_kind: kind.into(),
            offences,
            years,
        };
        RetentionRules {
            periods: vec![
                rule("custody_20y", "custody_photo", OffenceClass::Any, 20),
                rule(
                    "custody_30y_serious",
                    "custody_photo",
                    OffenceClass::MaxSentenceAtLeast { years: 6 },
                    30,
                ),
                rule(
                    "custody_80y_sexual",
                    "custody_photo",
                    OffenceClass::Sexual,
                    80,
                ),
                rule("alien_20y", "alien_registration", OffenceClass::Any, 20),
            ],
        }
    }
}

impl RetentionRules {
    /// The period rule that governs `facts` (the longest applicable), if any.
    pub fn governing(&self, facts: &ReferenceFacts) -> Option<&PeriodRule> {
        self.periods
            .iter()
            .filter(|r| r.source_kind == facts.source_kind)
            .filter(|r| match r.offences {
                OffenceClass::Any => true,
                OffenceClass::MaxSentenceAtLeast { years } => facts.max_sentence_years >= years,
                OffenceClass::Sexual => facts.sexual_offence,
            })
            .max_by_key(|r| r.years)
    }

    /// The period rule that keeps the image and until when (none: no rule covers it).
    pub fn kept_until(&self, facts: &ReferenceFacts) -> Option<(String, Timestamp)> {
        self.governing(facts).map(|rule| {
            (
                rule.key.clone(),
                facts.captured_at.plus(i64::from(rule.years) * YEAR),
            )
        })
    }

    /// Whether the image is due for erasure at `now`, and by which rule. An image of a
    /// source kind no rule covers is due at once: nothing is kept without a rule.
    pub fn due(&self, facts: &ReferenceFacts, now: Timestamp) -> Option<DueForErasure> {
        let convicted = facts
            .events
            .iter()
            .any(|(e, _)| *e == PersonEvent::Conviction);
        for &(event, at) in &facts.events {
            match event {
                PersonEvent::Acquittal | PersonEvent::Dismissal
                    if !convicted && !facts.other_open_case && at <= now =>
                {
                    return Some(DueForErasure {
                        rule: "no_longer_suspect".into(),
                        reason: format!(
                            "{event:?}: no longer a suspect, no conviction and no other open case"
                        ),
                        since: at,
                    });
                }
                PersonEvent::EndOfAlienStatus
                    if facts.source_kind == "alien_registration" && at <= now =>
                {
                    return Some(DueForErasure {
                        rule: "end_of_alien_status".into(),
                        reason: "the alien status ended".into(),
                        since: at,
                    });
                }
                _ => {}
            }
        }
        let Some(rule) = self.governing(facts) else {
            return Some(DueForErasure {
                rule: "no_rule".into(),
                reason: format!("no retention rule covers source kind {}", facts.source_kind),
                since: facts.captured_at,
            });
        };
        let until = facts.captured_at.plus(i64::from(rule.years) * YEAR);
        (now >= until).then(|| DueForErasure {
            rule: rule.key.clone(),
            reason: format!("the {}-year retention period has passed", rule.years),
            since: until,
        })
    }
}

/// The parts of a search's material that a deployment revision keeps for a period of its
/// own (`retention.probe_days`, `retention.result_days`), each erased when its period has
/// run out since the probe was submitted. The search's ledger entries and its counts stay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchPart {
    /// The probe image and the faces found in it.
    Probe,
    /// The candidate list, the proposal, the verifications and their texts.
    SearchResult,
}

impl SearchPart {
    /// Both parts.
    pub const ALL: [SearchPart; 2] = [SearchPart::Probe, SearchPart::SearchResult];

    /// The record kind a deletion receipt names (`probe`, `search_result`).
    pub fn as_str(self) -> &'static str {
        match self {
            SearchPart::Probe => "probe",
            SearchPart::SearchResult => "search_result",
        }
    }

    /// The rule that erases it (`probe_period`, `result_period`).
    pub fn rule(self) -> &'static str {
        match self {
            SearchPart::Probe => "probe_period",
            SearchPart::SearchResult => "result_period",
        }
    }

    /// Whether part `self` of a search submitted at `created`, under a revision keeping
    /// probes and results for `periods`, is due for erasure at `now`, and since when. A case
    /// under a legal hold keeps everything (`held`): its material is never due while held.
    pub fn due(
        self,
        periods: &crate::revision::Retention,
        created: Timestamp,
        held: bool,
        now: Timestamp,
    ) -> Option<DueForErasure> {
        let days = match self {
            SearchPart::Probe => periods.probe_days,
            SearchPart::SearchResult => periods.result_days,
        };
        let until = created.plus(i64::from(days) * Timestamp::DAY);
        (!held && now >= until).then(|| DueForErasure {
            rule: self.rule().into(),
            reason: format!("the revision keeps it {days} days"),
            since: until,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revision::Retention;

    #[test]
    fn search_material_is_due_when_its_own_period_has_run_out_and_never_under_a_hold() {
        let periods = Retention {
            probe_days: 30,
            result_days: 365,
        };
        let created = Timestamp(1_800_000_000);
        let day = |n: i64| created.plus(n * Timestamp::DAY);
        let due = |part: SearchPart, at, held| part.due(&periods, created, held, at);
        assert_eq!(due(SearchPart::Probe, day(29), false), None);
        let probe = due(SearchPart::Probe, day(30), false).unwrap();
        assert_eq!(
            (probe.rule.as_str(), probe.since),
            ("probe_period", day(30))
        );
        assert_eq!(due(SearchPart::SearchResult, day(300), false), None);
        assert_eq!(
            due(SearchPart::SearchResult, day(365), false).unwrap().rule,
            "result_period"
        );
        for part in SearchPart::ALL {
            assert_eq!(due(part, day(10_000), true), None, "held: {part:?}");
        }
    }
}
