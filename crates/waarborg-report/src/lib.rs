//! Reports from the ledger: every figure is computed from the ledger's own entries up to a
//! stated size (and the root hash at that size is printed with it), never from separate
//! counters — so a supervisor with a copy of the ledger recomputes the report and sees
//! whether every number matches ([`verify`]).
//!
//! * [`figures`]: the figures of one period, overall and per deployment revision, from a
//!   [`Snapshot`](waarborg_ledger::Snapshot) of a ledger that verified.
//! * [`verify`]: recomputes a report from a ledger copy; the root at the report's size must
//!   be the report's root, and every figure must match.
//!
//! The figures follow the police's yearly CATCH figures (probes submitted, of sufficient
//! quality, identifications) and the AI Act's yearly report on post-remote biometric
//! identification (refusals, authorisations).

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use waarborg_ledger::entry::{Entry, Event, Operation};
use waarborg_ledger::Snapshot;

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The ledger could not be read.
    #[error(transparent)]
    Ledger(#[from] waarborg_ledger::LedgerError),
    /// The ledger does not verify: no figure is computed from it.
    #[error("the ledger does not verify, so no report is made from it: {0}")]
    Unverified(String),
    /// A period that is not one.
    #[error("the period {from:?} – {to:?} is not one: give two real dates as YYYY-MM-DD, the second after the first (it is not included)")]
    BadPeriod {
        /// Start.
        from: String,
        /// End (exclusive).
        to: String,
    },
    /// The report asks for more entries than the ledger holds.
    #[error("the report covers {wanted} entries; this ledger holds {have}")]
    TooShort {
        /// Entries the report covers.
        wanted: u64,
        /// Entries in the ledger.
        have: u64,
    },
    /// The PDF could not be printed.
    #[error("{0}")]
    Pdf(String),
    /// Text that is not a report.
    #[error("not a Waarborg report: {0}")]
    NotAReport(String),
    /// An entry that does not parse.
    #[error("ledger entry {0} is not a valid entry: {1}")]
    BadEntry(u64, String),
}

/// A period: entries whose time is on or after `from` and before `to` (dates, UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Day after the last, `YYYY-MM-DD`.
    pub to: String,
}

impl Period {
    /// A period from two dates, checked.
    pub fn new(from: &str, to: &str) -> Result<Period, ReportError> {
        // RFC 3339's date part, strictly: `2026-1-01` and `2026-13-01` are no dates.
        let is_date = |d: &str| humantime::parse_rfc3339(&format!("{d}T00:00:00Z")).is_ok();
        if !is_date(from) || !is_date(to) || from >= to {
            return Err(ReportError::BadPeriod {
                from: from.into(),
                to: to.into(),
            });
        }
        Ok(Period {
            from: from.into(),
            to: to.into(),
        })
    }

    /// Whether an entry written at `time` (RFC 3339, UTC) falls in the period.
    fn contains(&self, time: &str) -> bool {
        let day = time.get(..10).unwrap_or_default();
        day >= self.from.as_str() && day < self.to.as_str()
    }
}

/// The figures of one deployment revision, or of all together.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    /// Probe images submitted (each analysed for faces and quality).
    pub probes_submitted: u64,
    /// Probes the examiner judged of insufficient quality (no search).
    pub insufficient_quality: u64,
    /// Why, by failed quality threshold (a probe can fail several).
    #[serde(default)]
    pub insufficient_reasons: BTreeMap<String, u64>,
    /// Searches of a reference database.
    pub searches: u64,
    /// Examiners' proposals.
    pub proposals: u64,
    /// Identifications confirmed by independent verification (leads, never proof).
    pub identifications: u64,
    /// Proposals the verifiers did not all confirm (verification disagreements).
    pub not_confirmed: u64,
    /// Confirmed: none of the candidates.
    pub no_identification: u64,
    /// Confirmed inconclusive.
    pub inconclusive: u64,
    /// Attempts the gate refused, by reason.
    pub refusals: BTreeMap<String, u64>,
    /// Reference images enrolled.
    pub enrolments: u64,
    /// Records erased, by retention rule.
    pub erasures: BTreeMap<String, u64>,
    /// What the investigations found of identifications, by finding (`lead_confirmed`, …;
    /// the latest record per search in the period).
    #[serde(default)]
    pub lead_feedback: BTreeMap<String, u64>,
}

/// Where a report stands in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerPoint {
    /// Entries covered (the tree size).
    pub size: u64,
    /// Base64 RFC 9162 root hash over those entries.
    pub root: String,
}

/// A report: the period, the ledger point, and the figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The period.
    pub period: Period,
    /// The ledger entries it is computed from.
    pub ledger: LedgerPoint,
    /// All deployments together.
    pub overall: Figures,
    /// Per deployment revision (`deployment/revision`).
    pub per_deployment: BTreeMap<String, Figures>,
    /// Per month (`YYYY-MM`) of the period, all deployments together.
    pub per_month: BTreeMap<String, Figures>,
    /// Per offence category of the case a use ran for (the category the case request
    /// recorded in the ledger; `not recorded` where none did).
    #[serde(default)]
    pub per_offence_category: BTreeMap<String, Figures>,
    /// Case authorisations: requests, decisions, urgent uses, and the erasures that
    /// followed a refused or late authorisation.
    #[serde(default)]
    pub authorisations: Authorisations,
    /// Reference images held per reference database at the end of the period (enrolled
    /// minus erased, from the start of the ledger).
    #[serde(default)]
    pub reference_databases: BTreeMap<String, u64>,
    /// The deployment framework's working: proposals, advice, decisions, reviews.
    #[serde(default)]
    pub framework: FrameworkFigures,
    /// Verification: each step's outcomes, disputes and their resolution, time to outcome.
    #[serde(default)]
    pub verification: verification::VerificationFigures,
    /// Proficiency tests: planted cases and every conclusion on them, scored (counted
    /// nowhere else).
    #[serde(default)]
    pub proficiency: verification::ProficiencyFigures,
    /// The monitoring indicators' counts per deployment and month (AI Act Art. 26(5)).
    #[serde(default)]
    pub monitoring: monitoring::Monitoring,
}

/// Case authorisations in a period (AI Act Art. 26(10): each use authorised before, or in
/// urgent cases within 48 hours after; refused or late: the use stops and its results are
/// erased).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorisations {
    /// Requests made.
    pub requested: u64,
    /// Of which urgent (searching before the decision).
    pub urgent_requested: u64,
    /// Authorisations granted.
    pub granted: u64,
    /// Authorisations refused.
    pub refused: u64,
    /// Urgent uses whose authorisation came after the 48 hours.
    pub urgent_late: u64,
    /// Urgent uses with no decision once the 48 hours had passed.
    pub urgent_without_decision: u64,
    /// Searches whose results were erased because their authorisation was refused or
    /// late, by rule.
    pub searches_erased: BTreeMap<String, u64>,
}

/// The deployment framework's working in a period — the material for the ministry's
/// half-yearly report to Parliament.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameworkFigures {
    /// Revisions drafted (new deployments and changes).
    pub drafted: u64,
    /// Revisions submitted to the review committee.
    pub submitted: u64,
    /// The committee's advice, by outcome (`Positive`, `PositiveWithConditions`,
    /// `Negative`).
    pub advice: BTreeMap<String, u64>,
    /// Ratified by the chief of police.
    pub ratified: u64,
    /// Ratification refused.
    pub ratification_refused: u64,
    /// Approved by the competent authority.
    pub authority_approved: u64,
    /// Declined by the competent authority.
    pub authority_declined: u64,
    /// Taken into use.
    pub activated: u64,
    /// Reviews during use.
    pub reviews: u64,
    /// Suspensions (by a review, the chief of police or the privacy officer).
    pub suspended: u64,
    /// Uses ended.
    pub ended: u64,
    /// Evaluations after use.
    pub evaluations: u64,
    /// Withdrawn by the applicant.
    pub withdrawn: u64,
    /// Revisions in use at the end of the period.
    pub active_at_end: u64,
    /// Of those, revisions whose review was overdue at the end of the period.
    pub reviews_overdue_at_end: u64,
    /// Incidents reported in the period.
    #[serde(default)]
    pub incidents_reported: u64,
    /// Incidents classified serious in the period (their latest classification).
    #[serde(default)]
    pub incidents_serious: u64,
    /// Monitoring alerts raised in the period, by indicator (AI Act Art. 26(5)).
    #[serde(default)]
    pub alerts_raised: BTreeMap<String, u64>,
    /// Monitoring alerts acknowledged in the period.
    #[serde(default)]
    pub alerts_acknowledged: u64,
}

/// Where an entry's outcome text says how an identification ended.
fn verification_outcome(outcome: &str) -> Option<&'static str> {
    let tail = outcome.split("outcome ").nth(1)?;
    [
        ("Identification", "identification"),
        ("NotConfirmed", "not_confirmed"),
        ("NoIdentification", "no_identification"),
        ("Inconclusive", "inconclusive"),
    ]
    .into_iter()
    .find(|(prefix, _)| tail.starts_with(prefix))
    .map(|(_, name)| name)
}

impl Figures {
    /// Adds `other`'s figures to these.
    pub fn add(&mut self, other: &Figures) {
        let add_map = |to: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>| {
            for (k, n) in from {
                *to.entry(k.clone()).or_default() += n;
            }
        };
        self.probes_submitted += other.probes_submitted;
        self.insufficient_quality += other.insufficient_quality;
        add_map(&mut self.insufficient_reasons, &other.insufficient_reasons);
        self.searches += other.searches;
        self.proposals += other.proposals;
        self.identifications += other.identifications;
        self.not_confirmed += other.not_confirmed;
        self.no_identification += other.no_identification;
        self.inconclusive += other.inconclusive;
        add_map(&mut self.refusals, &other.refusals);
        self.enrolments += other.enrolments;
        add_map(&mut self.erasures, &other.erasures);
        add_map(&mut self.lead_feedback, &other.lead_feedback);
    }

    /// Counts one entry's event.
    pub fn count(&mut self, event: &Event) {
        match event {
            Event::BiometricOperation(op) => match op.operation {
                Operation::Detect if op.outcome.starts_with("insufficient quality") => {
                    self.insufficient_quality += 1;
                    let reasons = op.outcome.split_once("; ").map_or("", |(_, r)| r);
                    for reason in reasons.split(',').filter(|r| !r.trim().is_empty()) {
                        *self
                            .insufficient_reasons
                            .entry(reason.trim().to_string())
                            .or_default() += 1;
                    }
                }
                Operation::Detect => self.probes_submitted += 1,
                Operation::Search => self.searches += 1,
                Operation::Proposal => self.proposals += 1,
                Operation::Enrol if op.outcome.starts_with("enrolled") => self.enrolments += 1,
                Operation::Verification => match verification_outcome(&op.outcome) {
                    Some("identification") => self.identifications += 1,
                    Some("not_confirmed") => self.not_confirmed += 1,
                    Some("no_identification") => self.no_identification += 1,
                    Some("inconclusive") => self.inconclusive += 1,
                    _ => {}
                },
                _ => {}
            },
            Event::Refusal(r) => {
                *self.refusals.entry(r.code().to_string()).or_default() += r.count.unwrap_or(1);
            }
            Event::DeletionReceipt(d) => {
                *self.erasures.entry(d.rule_code().to_string()).or_default() += 1
            }
            _ => {}
        }
    }
}

/// The deployment revision an event belongs to, if any.
pub fn revision_of(event: &Event) -> Option<&str> {
    match event {
        Event::BiometricOperation(op) => op.deployment_revision.as_deref(),
        Event::Refusal(r) => r.deployment_revision.as_deref(),
        _ => None,
    }
}

/// The figures of `period` from the first `size` entries of `ledger` (which the caller has
/// verified: see [`figures_of_verified`]).
pub fn figures(ledger: &Snapshot, size: u64, period: &Period) -> Result<Report, ReportError> {
    if size > ledger.size() {
        return Err(ReportError::TooShort {
            wanted: size,
            have: ledger.size(),
        });
    }
    let count = |mut running: RunningFigures| -> Result<RunningFigures, ReportError> {
        for index in 0..size {
            let bytes = ledger.entry(index).ok_or(ReportError::TooShort {
                wanted: size,
                have: index,
            })?;
            running.add(bytes)?;
        }
        Ok(running)
    };
    let mut running = count(RunningFigures::new(period))?;
    // A `void` came for entries already counted (rare: a commit failed after its entries):
    // counted once more, knowing them.
    if running.stale() {
        running = count(running.recount())?;
    }
    Ok(running.report(ledger.root(size)?))
}

/// The figures of a period counted as the ledger grows: each entry is added once, in ledger
/// order, and a report at any point equals [`figures`] over the entries added so far — so a
/// service keeps its published figures current at a cost that grows with the new entries.
#[derive(Debug, Clone)]
pub struct RunningFigures {
    tally: tally::Tally,
    size: u64,
    /// Entries voided by a later `void` entry: never counted.
    voided: std::collections::BTreeSet<u64>,
    /// A `void` came for entries already counted: these figures must be counted again
    /// ([`RunningFigures::recount`]).
    stale: bool,
}

impl RunningFigures {
    /// Nothing counted yet.
    pub fn new(period: &Period) -> RunningFigures {
        RunningFigures {
            tally: tally::Tally::new(period),
            size: 0,
            voided: Default::default(),
            stale: false,
        }
    }

    /// Whether a `void` entry came for entries already counted: the figures are wrong
    /// until counted again with [`RunningFigures::recount`].
    pub fn stale(&self) -> bool {
        self.stale
    }

    /// Figures of the same period counted from nothing again, knowing the voided entries
    /// found so far (rare: a void follows only a failed commit).
    pub fn recount(&self) -> RunningFigures {
        RunningFigures {
            tally: tally::Tally::new(self.tally.period()),
            size: 0,
            voided: self.voided.clone(),
            stale: false,
        }
    }

    /// Entries counted.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Counts the next entry (entry number [`RunningFigures::size`]), given as its bytes.
    pub fn add(&mut self, bytes: &[u8]) -> Result<(), ReportError> {
        let entry: Entry = serde_json::from_slice(bytes)
            .map_err(|e| ReportError::BadEntry(self.size, e.to_string()))?;
        if let Event::Void { entries, .. } = &entry.event {
            for e in entries {
                self.stale |= *e < self.size && !self.voided.contains(e);
                self.voided.insert(*e);
            }
        }
        if !self.voided.contains(&entry.index) {
            self.tally.add(&entry);
        }
        self.size += 1;
        Ok(())
    }

    /// The report over the entries counted, whose tree root is `root`.
    pub fn report(&self, root: waarborg_ledger::merkle::Hash) -> Report {
        self.tally.clone().finish(LedgerPoint {
            size: self.size,
            root: B64.encode(root),
        })
    }
}

/// The ledger in `dir` as a snapshot, if it verifies (with the number of entries that did);
/// a ledger that does not verify is refused, and the error says why.
pub fn verified_snapshot(dir: &std::path::Path) -> Result<(Snapshot, u64), ReportError> {
    let check = waarborg_ledger::verify(dir, None)?;
    if let Some(problem) = check.problems.first() {
        return Err(ReportError::Unverified(format!(
            "{} problem(s), the first at {:?}: {}",
            check.problems.len(),
            problem.place,
            problem.message
        )));
    }
    Ok((Snapshot::read(dir)?, check.entries))
}

/// Verifies the ledger in `dir` and computes the figures of `period` over all its entries.
/// A ledger that does not verify gives no report, and the error says why.
pub fn figures_of_verified(dir: &std::path::Path, period: &Period) -> Result<Report, ReportError> {
    let (snapshot, entries) = verified_snapshot(dir)?;
    figures(&snapshot, entries, period)
}

pub mod annual;
pub mod case;
pub mod consultations;
pub mod html;
pub mod monitoring;
pub mod pdf;
pub mod register;
mod tally;
pub mod verification;

impl Report {
    /// Deployment `id`'s figures: its revisions' added up; `None` where it has none in the
    /// period.
    pub fn deployment(&self, id: &str) -> Option<Figures> {
        let prefix = format!("{id}/");
        self.per_deployment
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(_, f)| f)
            .fold(None, |sum: Option<Figures>, f| {
                let mut sum = sum.unwrap_or_default();
                sum.add(f);
                Some(sum)
            })
    }

    /// Reads a report as JSON: a figures report, or a document that carries one (the
    /// yearly report's `figures`).
    pub fn from_json(text: &str) -> Result<Report, ReportError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| ReportError::NotAReport(e.to_string()))?;
        let inner = match value.get("figures") {
            Some(figures) if value.get("kind").is_some() => figures.clone(),
            _ => value,
        };
        serde_json::from_value(inner).map_err(|e| ReportError::NotAReport(e.to_string()))
    }
}

/// One figure of a report that the ledger does not give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// Which figure (`overall.searches`, `catch/1.identifications`, `ledger.root`, …).
    pub figure: String,
    /// What the report says.
    pub reported: String,
    /// What the ledger gives.
    pub recomputed: String,
}

fn flatten(prefix: &str, v: &serde_json::Value, out: &mut BTreeMap<String, String>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

/// Recomputes `report` from `ledger` (at the report's size) and lists every figure that
/// differs — including the root, which differs when the ledger is not the one the report
/// was made from. An empty list: every figure matches.
pub fn verify(report: &Report, ledger: &Snapshot) -> Result<Vec<Mismatch>, ReportError> {
    let again = figures(ledger, report.ledger.size, &report.period)?;
    let (mut reported, mut recomputed) = (BTreeMap::new(), BTreeMap::new());
    flatten(
        "",
        &serde_json::to_value(report).unwrap_or_default(),
        &mut reported,
    );
    flatten(
        "",
        &serde_json::to_value(&again).unwrap_or_default(),
        &mut recomputed,
    );
    let keys: std::collections::BTreeSet<&String> =
        reported.keys().chain(recomputed.keys()).collect();
    Ok(keys
        .into_iter()
        .filter(|k| reported.get(*k) != recomputed.get(*k))
        .map(|k| Mismatch {
            figure: k.clone(),
            reported: reported.get(k).cloned().unwrap_or_else(|| "—".into()),
            recomputed: recomputed.get(k).cloned().unwrap_or_else(|| "—".into()),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Adding figures to none gives the same figures: every field is summed (a field left
    /// out of `add` once dropped the outcome feedback from a deployment's figures).
    #[test]
    fn adding_figures_sums_every_field() {
        let map = || BTreeMap::from([("x".to_string(), 2u64)]);
        let f = Figures {
            probes_submitted: 1,
            insufficient_quality: 2,
            insufficient_reasons: map(),
            searches: 3,
            proposals: 4,
            identifications: 5,
            not_confirmed: 6,
            no_identification: 7,
            inconclusive: 8,
            refusals: map(),
            enrolments: 9,
            erasures: map(),
            lead_feedback: map(),
        };
        let mut sum = Figures::default();
        sum.add(&f);
        assert_eq!(sum, f);
        sum.add(&f);
        assert_eq!(sum.lead_feedback["x"], 4);
    }
}
