//! Who looked at what (Law Enforcement Directive art. 25): the consultations the ledger
//! holds, asked by subject ("who consulted reference image R, case C, search S, person P,
//! and why") or by reader ("what did user U consult in a period"), with the unusual ones
//! flagged. Computed from the ledger's own entries up to a stated size, like every report
//! here, so a supervisor with a copy recomputes it.
//!
//! Flags (thresholds are the deployer's configuration, [`Thresholds`]):
//!
//! | flag | when |
//! |------|------|
//! | `no_case` | a read of records about people (a search, a probe, a reference image or record, a person) under no case, for a duty that needs one: anything but managing the reference database and answering a data subject |
//! | `many_subjects` | one reader consulted more than `subjects` distinct records within `window_seconds` (each reference image of a run counts) |
//!
//! A run of reference images (`reference-image:7..42`) names each image in it; a subject
//! asked as `reference-image:9` finds it.

use std::collections::{BTreeSet, VecDeque};

use serde::Serialize;
use waarborg_ledger::entry::{Entry, Event};
use waarborg_ledger::Snapshot;

use crate::{Period, ReportError};

/// When a pattern of reads is flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Thresholds {
    /// More distinct records than this by one reader within the window is flagged.
    pub subjects: usize,
    /// The window, in seconds.
    pub window_seconds: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            subjects: 500,
            window_seconds: 3600,
        }
    }
}

/// What is asked.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Reads naming any of these records (`reference-image:7`, `case:OM-…`, `search:S-…`,
    /// `person:…`; a case also finds every read under it: its searches, their images);
    /// none: every read.
    pub subjects: Vec<String>,
    /// Reads by this user only.
    pub user: Option<String>,
    /// Reads within this period only.
    pub period: Option<Period>,
}

/// One read, as the ledger holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Read {
    /// The entry.
    pub index: u64,
    /// When (RFC 3339, UTC).
    pub time: String,
    /// Who.
    pub user: String,
    /// In which role.
    pub role: String,
    /// Their unit.
    pub unit: String,
    /// What, as a kind.
    pub record_kind: String,
    /// The records.
    pub records: Vec<String>,
    /// Why.
    pub purpose: String,
    /// The case it was read under.
    pub case: Option<String>,
    /// To whom, for a disclosure.
    pub recipient: Option<String>,
    /// The flags it raised (`no_case`, `many_subjects`).
    pub flags: Vec<&'static str>,
}

/// The answer: the reads asked for, with their flags, and how many were flagged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consultations {
    /// Entries read (the ledger's size when asked).
    pub size: u64,
    /// The reads that answer the query, in order.
    pub reads: Vec<Read>,
    /// Of those, how many raised a flag.
    pub flagged: usize,
    /// The thresholds applied.
    pub thresholds: Thresholds,
}

/// Whether record `named` (as a consultation names it) names `record`: the same record, or
/// a run of reference images holding it.
pub fn names(named: &str, record: &str) -> bool {
    if named == record {
        return true;
    }
    let (Some((kind, range)), Some((record_kind, id))) =
        (named.split_once(':'), record.split_once(':'))
    else {
        return false;
    };
    let (Some((from, to)), Ok(id)) = (range.split_once(".."), id.parse::<u64>()) else {
        return false;
    };
    kind == record_kind
        && matches!((from.parse::<u64>(), to.parse::<u64>()), (Ok(a), Ok(b)) if (a..=b).contains(&id))
}

/// How many records `named` stands for (a run: its length).
fn weight(named: &str) -> usize {
    named
        .split_once(':')
        .and_then(|(_, r)| r.split_once(".."))
        .and_then(|(a, b)| Some(b.parse::<u64>().ok()?.checked_sub(a.parse::<u64>().ok()?)? + 1))
        .map_or(1, |n| n.min(1 << 20) as usize)
}

/// Record kinds that are about people (flagged when read under no case).
const ABOUT_PEOPLE: &[&str] = &[
    "search",
    "probe",
    "reference_image",
    "reference_records",
    "person",
];
/// Duties for which reading about people under no case is the duty itself.
const CASELESS_DUTIES: &[&str] = &["reference_management", "data_subject_rights"];

/// Whether `c` read records about people under no case, for a duty that needs one (the
/// `no_case` flag).
pub(crate) fn without_case(c: &waarborg_ledger::Consultation) -> bool {
    c.case_authorisation.is_none()
        && ABOUT_PEOPLE.contains(&c.record_kind.as_str())
        && !CASELESS_DUTIES.contains(&c.purpose.as_str())
}

fn seconds(time: &str) -> i64 {
    humantime::parse_rfc3339(time)
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs() as i64)
}

/// The consultations of the first `size` entries of `ledger` that answer `q`, flagged by
/// `thresholds` (the flags look at every read of the reader, asked for or not).
pub fn consultations(
    ledger: &Snapshot,
    size: u64,
    q: &Query,
    thresholds: Thresholds,
) -> Result<Consultations, ReportError> {
    if size > ledger.size() {
        return Err(ReportError::TooShort {
            wanted: size,
            have: ledger.size(),
        });
    }
    // Per reader: the records they read within the window, oldest first.
    let mut recent: std::collections::HashMap<String, VecDeque<(i64, String)>> = Default::default();
    let mut reads = Vec::new();
    for index in 0..size {
        let bytes = ledger.entry(index).unwrap_or_default();
        let entry =
            Entry::from_bytes(bytes).map_err(|e| ReportError::BadEntry(index, e.to_string()))?;
        let Event::Consultation(c) = entry.event else {
            continue;
        };
        let at = seconds(&entry.time);
        let mut flags = Vec::new();
        if without_case(&c) {
            flags.push("no_case");
        }
        let window = recent.entry(c.user.clone()).or_default();
        window.extend(c.records.iter().map(|r| (at, r.clone())));
        while window
            .front()
            .is_some_and(|(t, _)| *t <= at - thresholds.window_seconds)
        {
            window.pop_front();
        }
        let distinct: BTreeSet<&str> = window.iter().map(|(_, r)| r.as_str()).collect();
        if distinct.iter().map(|r| weight(r)).sum::<usize>() > thresholds.subjects {
            flags.push("many_subjects");
        }
        let asked = q.user.as_ref().is_none_or(|u| *u == c.user)
            && q.period.as_ref().is_none_or(|p| p.contains(&entry.time))
            && (q.subjects.is_empty()
                || q.subjects.iter().any(|s| {
                    c.records.iter().any(|named| names(named, s))
                        || c.case_authorisation
                            .as_ref()
                            .is_some_and(|case| *s == format!("case:{case}"))
                }));
        if asked {
            reads.push(Read {
                index,
                time: entry.time,
                user: c.user,
                role: c.role,
                unit: c.unit,
                record_kind: c.record_kind,
                records: c.records,
                purpose: c.purpose,
                case: c.case_authorisation,
                recipient: c.recipient,
                flags,
            });
        }
    }
    Ok(Consultations {
        size,
        flagged: reads.iter().filter(|r| !r.flags.is_empty()).count(),
        reads,
        thresholds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_names_each_image_in_it_and_counts_as_many() {
        assert!(names("reference-image:3..6", "reference-image:4"));
        assert!(names("case:OM-1", "case:OM-1"));
        assert!(!names("reference-image:3..6", "reference-image:7"));
        assert!(!names("search:3..6", "reference-image:4"));
        assert_eq!(weight("reference-image:3..6"), 4);
        assert_eq!(weight("search:S-1"), 1);
        assert_eq!(weight("reference-image:9..3"), 1);
    }
}
