//! One pass over the ledger's entries, in order, counting what a report says. Some figures
//! need what came before the period (a search's case and its offence category, the
//! reference images enrolled years ago, a revision taken into use last year), so every
//! entry is read; only those in the period are counted as events of the period.

use std::collections::{BTreeMap, HashMap};

use waarborg_ledger::entry::{About, BiometricOperation, Entry, Event, Operation};

use crate::{revision_of, Authorisations, Figures, FrameworkFigures, LedgerPoint, Period, Report};

/// The category under which uses are counted whose case recorded none.
pub const NOT_RECORDED: &str = "not recorded";

/// Hours after an urgent request within which the authorisation must come (the domain's
/// `URGENT_WINDOW_HOURS`; the report counts from the ledger alone, so it states it too).
const URGENT_WINDOW_SECONDS: i64 = 48 * 3600;

/// A case as the ledger's request entry recorded it.
#[derive(Debug, Clone)]
struct Case {
    category: String,
    urgent: bool,
    in_period: bool,
    requested_at: Option<i64>,
    decided_at: Option<i64>,
}

/// A revision as the ledger's steps left it.
#[derive(Debug, Clone)]
struct RevisionState {
    state: String,
    /// Last activation or review, in seconds.
    since: Option<i64>,
    review_interval_days: Option<u32>,
}

/// The counting state of one report.
#[derive(Debug, Clone)]
pub(crate) struct Tally {
    period: Period,
    end: Option<i64>,
    /// The time of the last entry read (parsed once, at the end).
    last_time: String,
    overall: Figures,
    per_deployment: BTreeMap<String, Figures>,
    per_month: BTreeMap<String, Figures>,
    per_category: BTreeMap<String, Figures>,
    authorisations: Authorisations,
    framework: FrameworkFigures,
    cases: HashMap<String, Case>,
    /// Enrolled reference images as id ranges: first id → (last id, database).
    enrolled: BTreeMap<u64, (u64, String)>,
    /// Reference images held per database at the end of the period.
    databases: BTreeMap<String, i64>,
    revisions: BTreeMap<(String, u32), RevisionState>,
    verification: crate::verification::VerificationTally,
    proficiency: crate::verification::ProficiencyTally,
    /// What the investigations found, the latest record per search in the period: search →
    /// (revision, finding, month).
    leads: BTreeMap<String, (String, String, String)>,
    /// Incidents classified in the period: incident → its latest classification.
    incident_classes: BTreeMap<String, String>,
    /// The figures per deployment (not revision) and month, for the monitoring counts.
    per_deployment_month: BTreeMap<(String, String), Figures>,
    monitoring: crate::monitoring::Monitoring,
}

fn seconds(time: &str) -> Option<i64> {
    let t = humantime::parse_rfc3339_weak(time.trim_end_matches('Z')).ok()?;
    t.duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs() as i64)
}

/// The reference image ids an enrolment entry's outcome names: `enrolled as reference image
/// N…` or, for synthetic scale data, `reference images A..=B`.
fn enrolled_ids(outcome: &str) -> Option<(u64, u64)> {
    if let Some(rest) = outcome.strip_prefix("enrolled as reference image ") {
        let id = rest
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()?;
        return Some((id, id));
    }
    let range = outcome.split("reference images ").nth(1)?;
    let (a, b) = range.split_once("..=")?;
    let b = b.split(|c: char| !c.is_ascii_digit()).next()?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

impl Tally {
    pub(crate) fn new(period: &Period) -> Tally {
        Tally {
            period: period.clone(),
            end: seconds(&format!("{}T00:00:00Z", period.to)),
            last_time: String::new(),
            overall: Figures::default(),
            per_deployment: BTreeMap::new(),
            per_month: BTreeMap::new(),
            per_category: BTreeMap::new(),
            authorisations: Authorisations::default(),
            framework: FrameworkFigures::default(),
            cases: HashMap::new(),
            enrolled: BTreeMap::new(),
            databases: BTreeMap::new(),
            revisions: BTreeMap::new(),
            verification: Default::default(),
            proficiency: Default::default(),
            leads: BTreeMap::new(),
            incident_classes: BTreeMap::new(),
            per_deployment_month: BTreeMap::new(),
            monitoring: Default::default(),
        }
    }

    /// The period counted.
    pub(crate) fn period(&self) -> &Period {
        &self.period
    }

    /// Counts one entry (entries come in ledger order).
    pub(crate) fn add(&mut self, entry: &Entry) {
        // Times are parsed only for the few entries that need one (cases, steps into use).
        let at = entry.time.as_str();
        self.last_time.clone_from(&entry.time);
        let in_period = self.period.contains(&entry.time);
        let before_end = entry.time.get(..10).unwrap_or_default() < self.period.to.as_str();
        if before_end {
            self.track_state(&entry.event, at);
        }
        self.track_cases(&entry.event, at, in_period);
        // A planted proficiency test counts in its own figures only.
        match &entry.event {
            Event::GovernanceDecision(d) if d.action == "plant_proficiency_test" => {
                self.proficiency.planted(&d.subject, &d.reason, in_period);
                return;
            }
            Event::BiometricOperation(op)
                if self
                    .proficiency
                    .is_planted(op.case_authorisation.as_deref()) =>
            {
                if let (true, Some(score), Some(month)) =
                    (in_period, self.proficiency.add(op, in_period), at.get(..7))
                {
                    let o = self
                        .monitoring
                        .organisation
                        .entry(month.to_string())
                        .or_default();
                    o.proficiency_scored += 1;
                    o.proficiency_wrong +=
                        u64::from(matches!(score, "false_identification" | "missed"));
                }
                return;
            }
            Event::Refusal(r) if self.proficiency.is_planted(r.case_authorisation.as_deref()) => {
                return;
            }
            _ => {}
        }
        if let Event::BiometricOperation(op) = &entry.event {
            if matches!(op.operation, Operation::Proposal | Operation::Verification) {
                self.verification.add(op, seconds(at), in_period);
            }
        }
        if !in_period {
            return;
        }
        let event = &entry.event;
        self.overall.count(event);
        if let Some(month) = entry.time.get(..7) {
            self.per_month
                .entry(month.to_string())
                .or_default()
                .count(event);
        }
        if let Some(revision) = revision_of(event) {
            self.per_deployment
                .entry(revision.to_string())
                .or_default()
                .count(event);
            let deployment = revision.split('/').next().unwrap_or(revision);
            let month = at.get(..7).unwrap_or_default();
            if let Event::BiometricOperation(BiometricOperation {
                operation: Operation::Search,
                best_score_milli: Some(score),
                ..
            }) = event
            {
                // Hundredths: the drift shows in the quartiles, not in the third decimal.
                let hundredths = (f32::from(*score) / 10.0).round() as i16;
                *self
                    .monitored(deployment, at)
                    .best_scores
                    .entry(hundredths)
                    .or_default() += 1;
            }
            self.per_deployment_month
                .entry((deployment.to_string(), month.to_string()))
                .or_default()
                .count(event);
        }
        if let (Event::Consultation(c), Some(month)) = (event, at.get(..7)) {
            if crate::consultations::without_case(c) {
                self.monitoring
                    .organisation
                    .entry(month.to_string())
                    .or_default()
                    .consultations_without_case += 1;
            }
        }
        let case = match event {
            Event::BiometricOperation(op) => op.case_authorisation.as_deref(),
            Event::Refusal(r) => r.case_authorisation.as_deref(),
            _ => None,
        };
        if let Some(case) = case {
            let category = self
                .cases
                .get(case)
                .map_or(NOT_RECORDED, |c| c.category.as_str());
            self.per_category
                .entry(category.to_string())
                .or_default()
                .count(event);
        }
        if let Event::GovernanceDecision(waarborg_ledger::GovernanceDecision {
            about:
                Some(waarborg_ledger::About::Lead {
                    search,
                    deployment_revision,
                    finding,
                    ..
                }),
            ..
        }) = event
        {
            let month = entry.time.get(..7).unwrap_or_default().to_string();
            self.leads.insert(
                search.clone(),
                (deployment_revision.clone(), finding.clone(), month),
            );
        }
        if let Event::GovernanceDecision(waarborg_ledger::GovernanceDecision {
            action,
            about:
                Some(waarborg_ledger::About::Incident {
                    incident,
                    classification,
                    ..
                }),
            ..
        }) = event
        {
            if action == "report_incident" {
                self.framework.incidents_reported += 1;
            }
            if let Some(c) = classification {
                self.incident_classes.insert(incident.clone(), c.clone());
            }
        }
        match event {
            Event::DeletionReceipt(d) if d.record_kind == "search" => {
                *self
                    .authorisations
                    .searches_erased
                    .entry(d.rule.clone())
                    .or_default() += 1;
            }
            Event::GovernanceDecision(waarborg_ledger::GovernanceDecision {
                action,
                about: Some(About::Alert { indicator, .. }),
                ..
            }) => match action.as_str() {
                "raise_monitoring_alert" => {
                    *self
                        .framework
                        .alerts_raised
                        .entry(indicator.clone())
                        .or_default() += 1
                }
                "acknowledge_monitoring_alert" => self.framework.alerts_acknowledged += 1,
                _ => {}
            },
            Event::GovernanceDecision(d) => self.count_framework(&d.action, &d.reason),
            _ => {}
        }
    }

    /// Cases: their facts from the request (whenever it was), decisions in the period.
    fn track_cases(&mut self, event: &Event, at: &str, in_period: bool) {
        let Event::GovernanceDecision(d) = event else {
            return;
        };
        let Some(About::Case {
            case_number,
            deployment,
            offence_category,
            urgent,
        }) = &d.about
        else {
            return;
        };
        match d.action.as_str() {
            "request_case_authorisation" => {
                self.cases.insert(
                    case_number.clone(),
                    Case {
                        category: offence_category.clone(),
                        urgent: *urgent,
                        in_period,
                        requested_at: seconds(at),
                        decided_at: None,
                    },
                );
                if in_period {
                    self.authorisations.requested += 1;
                    if *urgent {
                        self.authorisations.urgent_requested += 1;
                        self.monitored(deployment, at).urgent_uses += 1;
                    }
                }
            }
            "grant_case_authorisation" | "refuse_case_authorisation" => {
                let decided_at = seconds(at);
                let requested_at = self.cases.get_mut(case_number).and_then(|case| {
                    case.decided_at = decided_at;
                    case.requested_at
                });
                if in_period {
                    let hours = decided_at
                        .zip(requested_at)
                        .map_or(0, |(d, r)| (d - r).max(0) as u64 / 3600);
                    let m = self.monitored(deployment, at);
                    m.decided += 1;
                    m.longest_decision_hours = m.longest_decision_hours.max(hours);
                    if d.action.starts_with("grant") {
                        self.authorisations.granted += 1;
                    } else {
                        self.authorisations.refused += 1;
                    }
                }
            }
            _ => {}
        }
    }

    /// The monitoring counts of `deployment` in the month of `at`.
    fn monitored(&mut self, deployment: &str, at: &str) -> &mut crate::monitoring::Monitored {
        self.monitoring
            .per_deployment
            .entry(deployment.to_string())
            .or_default()
            .entry(at.get(..7).unwrap_or_default().to_string())
            .or_default()
    }

    /// What holds at the end of the period: reference images per database, revisions'
    /// states.
    fn track_state(&mut self, event: &Event, at: &str) {
        match event {
            Event::BiometricOperation(op) if op.operation == Operation::Enrol => {
                if let Some((first, last)) = enrolled_ids(&op.outcome) {
                    let database = op
                        .reference_database
                        .clone()
                        .unwrap_or_else(|| NOT_RECORDED.to_string());
                    *self.databases.entry(database.clone()).or_default() +=
                        (last - first + 1) as i64;
                    self.enrolled.insert(first, (last, database));
                }
            }
            Event::DeletionReceipt(d) if d.record_kind == "reference_image" => {
                let id = d
                    .record
                    .rsplit(':')
                    .next()
                    .and_then(|n| n.parse::<u64>().ok());
                let database = id.and_then(|id| {
                    self.enrolled
                        .range(..=id)
                        .next_back()
                        .filter(|(_, (last, _))| id <= *last)
                        .map(|(_, (_, db))| db.clone())
                });
                let database = database.unwrap_or_else(|| NOT_RECORDED.to_string());
                *self.databases.entry(database).or_default() -= 1;
            }
            Event::GovernanceDecision(d) => {
                if let Some(About::Revision {
                    deployment,
                    revision,
                    to,
                    review_interval_days,
                    ..
                }) = &d.about
                {
                    let state = self
                        .revisions
                        .entry((deployment.clone(), *revision))
                        .or_insert(RevisionState {
                            state: String::new(),
                            since: None,
                            review_interval_days: None,
                        });
                    if to == "active" {
                        state.since = seconds(at);
                        state.review_interval_days =
                            review_interval_days.or(state.review_interval_days);
                    }
                    state.state = to.clone();
                }
            }
            _ => {}
        }
    }

    fn count_framework(&mut self, action: &str, reason: &str) {
        let f = &mut self.framework;
        match action {
            "propose" | "revise" => f.drafted += 1,
            "submit" => f.submitted += 1,
            "advise" => {
                let outcome = reason.split(':').next().unwrap_or_default().trim();
                *f.advice.entry(outcome.to_string()).or_default() += 1;
            }
            "ratify" => f.ratified += 1,
            "refuse_ratification" => f.ratification_refused += 1,
            "authority_approve" => f.authority_approved += 1,
            "authority_decline" => f.authority_declined += 1,
            "activate" => f.activated += 1,
            "review" => f.reviews += 1,
            "suspend" => f.suspended += 1,
            "end" => f.ended += 1,
            "evaluate" => f.evaluations += 1,
            "withdraw" => f.withdrawn += 1,
            _ => {}
        }
    }

    pub(crate) fn finish(mut self, ledger: LedgerPoint) -> Report {
        self.framework.incidents_serious = self
            .incident_classes
            .values()
            .filter(|c| c.as_str() != "not_serious")
            .count() as u64;
        for ((deployment, month), f) in std::mem::take(&mut self.per_deployment_month) {
            self.monitoring
                .per_deployment
                .entry(deployment)
                .or_default()
                .entry(month)
                .or_default()
                .take_figures(&f);
        }
        for (revision, finding, month) in std::mem::take(&mut self.leads).into_values() {
            for f in [
                Some(&mut self.overall),
                self.per_deployment.get_mut(&revision),
                self.per_month.get_mut(&month),
            ]
            .into_iter()
            .flatten()
            {
                *f.lead_feedback.entry(finding.clone()).or_default() += 1;
            }
        }
        // The moment the report looks from: the period's end, or the last entry read if
        // that came earlier (a report on the current year).
        let cutoff = match (self.end, seconds(&self.last_time)) {
            (Some(end), Some(last)) => Some(end.min(last)),
            (end, last) => end.or(last),
        };
        for case in self.cases.values().filter(|c| c.in_period && c.urgent) {
            let Some(deadline) = case.requested_at.map(|t| t + URGENT_WINDOW_SECONDS) else {
                continue;
            };
            match case.decided_at {
                Some(decided) if decided > deadline => self.authorisations.urgent_late += 1,
                None if cutoff.is_some_and(|c| c > deadline) => {
                    self.authorisations.urgent_without_decision += 1
                }
                _ => {}
            }
        }
        for r in self.revisions.values().filter(|r| r.state == "active") {
            self.framework.active_at_end += 1;
            let due = r
                .since
                .zip(r.review_interval_days)
                .map(|(since, days)| since + i64::from(days) * 86_400);
            if due.zip(cutoff).is_some_and(|(due, c)| c > due) {
                self.framework.reviews_overdue_at_end += 1;
            }
        }
        Report {
            period: self.period,
            ledger,
            overall: self.overall,
            per_deployment: self.per_deployment,
            per_month: self.per_month,
            per_offence_category: self.per_category,
            authorisations: self.authorisations,
            verification: self.verification.finish(),
            proficiency: self.proficiency.finish(),
            reference_databases: self
                .databases
                .into_iter()
                .map(|(db, n)| (db, n.max(0) as u64))
                .collect(),
            framework: self.framework,
            monitoring: self.monitoring,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{enrolled_ids, Tally, NOT_RECORDED};
    use crate::{LedgerPoint, Period};
    use waarborg_ledger::entry::{
        About, BiometricOperation, DeletionReceipt, Entry, Event, GovernanceDecision, Operation,
    };

    fn entry(time: &str, event: Event) -> Entry {
        Entry {
            v: 1,
            index: 0,
            time: time.into(),
            prev_root: String::new(),
            event,
        }
    }

    fn case(action: &str, number: &str, category: &str, urgent: bool) -> Event {
        Event::GovernanceDecision(GovernanceDecision {
            actor: "someone".into(),
            role: "requester".into(),
            action: action.into(),
            subject: format!("case {number}"),
            reason: "because".into(),
            framework_version: None,
            about: Some(About::Case {
                case_number: number.into(),
                deployment: "catch".into(),
                offence_category: category.into(),
                urgent,
            }),
        })
    }

    fn step(action: &str, deployment: &str, to: &str, reason: &str, days: Option<u32>) -> Event {
        Event::GovernanceDecision(GovernanceDecision {
            actor: "someone".into(),
            role: "chief_of_police".into(),
            action: action.into(),
            subject: format!("deployment {deployment}"),
            reason: reason.into(),
            framework_version: None,
            about: Some(About::Revision {
                deployment: deployment.into(),
                revision: 1,
                from: "x".into(),
                to: to.into(),
                review_interval_days: days,
            }),
        })
    }

    fn op(operation: Operation, case: &str, database: Option<&str>, outcome: &str) -> Event {
        Event::BiometricOperation(BiometricOperation {
            operation,
            started: "2026-03-01T00:00:00Z".into(),
            ended: "2026-03-01T00:00:00Z".into(),
            user: "u".into(),
            role: "examiner".into(),
            deployment_revision: Some("catch/1".into()),
            case_authorisation: Some(case.into()).filter(|c: &String| !c.is_empty()),
            reference_database: database.map(Into::into),
            input_sha256: None,
            verifiers: vec![],
            model_sha256: vec![],
            outcome: outcome.into(),
            best_score_milli: None,
        })
    }

    fn receipt(kind: &str, record: &str, rule: &str) -> Event {
        Event::DeletionReceipt(DeletionReceipt {
            record_kind: kind.into(),
            record: record.into(),
            rule: rule.into(),
        })
    }

    /// Issue 21 item 5: each search's best score lands in its deployment's month, in
    /// hundredths; other operations and searches without one add nothing.
    #[test]
    fn best_scores_are_kept_per_deployment_and_month() {
        let period = Period::new("2026-03-01", "2026-05-01").unwrap();
        let mut tally = Tally::new(&period);
        let scored = |milli: Option<i16>, operation: Operation| {
            let mut e = op(operation, "OM-A", Some("criminal"), "20 candidates");
            if let Event::BiometricOperation(o) = &mut e {
                o.best_score_milli = milli;
            }
            e
        };
        let entries = [
            entry(
                "2026-03-02T00:00:00.000Z",
                scored(Some(734), Operation::Search),
            ),
            entry(
                "2026-03-03T00:00:00.000Z",
                scored(Some(731), Operation::Search),
            ),
            entry("2026-03-04T00:00:00.000Z", scored(None, Operation::Search)),
            entry(
                "2026-04-01T00:00:00.000Z",
                scored(Some(-25), Operation::Search),
            ),
            entry(
                "2026-04-01T00:00:00.000Z",
                scored(Some(999), Operation::Extract),
            ),
            entry(
                "2026-06-01T00:00:00.000Z",
                scored(Some(500), Operation::Search),
            ),
        ];
        for e in &entries {
            tally.add(e);
        }
        let r = tally.finish(LedgerPoint {
            size: entries.len() as u64,
            root: String::new(),
        });
        let months = &r.monitoring.per_deployment["catch"];
        assert_eq!(months["2026-03"].best_scores, [(73, 2)].into());
        assert_eq!(months["2026-03"].searches, 3);
        assert_eq!(
            months["2026-04"].best_scores,
            [(-3, 1)].into(),
            "rounded half away"
        );
        assert!(!months.contains_key("2026-06"), "after the period");
    }

    #[test]
    fn cases_urgent_uses_databases_and_the_framework_are_counted_from_the_entries() {
        let period = Period::new("2026-03-01", "2026-05-01").unwrap();
        let mut tally = Tally::new(&period);
        let entries = [
            // Before the period: enrolments and a deployment taken into use long ago.
            entry(
                "2025-01-01T00:00:00.000Z",
                op(
                    Operation::Enrol,
                    "",
                    Some("criminal"),
                    "enrolled as reference image 1",
                ),
            ),
            entry(
                "2025-01-01T00:00:00.000Z",
                op(
                    Operation::Enrol,
                    "",
                    Some("criminal"),
                    "enrolled as reference image 2",
                ),
            ),
            entry(
                "2025-01-01T00:00:00.000Z",
                op(
                    Operation::Enrol,
                    "",
                    None,
                    "synthetic scale data: reference images 10..=19 (no images)",
                ),
            ),
            entry(
                "2025-06-01T00:00:00.000Z",
                step("activate", "old", "active", "", Some(30)),
            ),
            entry(
                "2026-02-27T00:00:00.000Z",
                case("request_case_authorisation", "OM-0", "fraud", false),
            ),
            // In the period.
            entry(
                "2026-03-01T00:00:00.000Z",
                case("request_case_authorisation", "OM-A", "robbery", true),
            ),
            entry(
                "2026-03-01T01:00:00.000Z",
                op(Operation::Search, "OM-A", Some("criminal"), "20 candidates"),
            ),
            entry(
                "2026-03-01T02:00:00.000Z",
                op(Operation::Search, "OM-0", Some("criminal"), "20 candidates"),
            ),
            entry(
                "2026-03-01T03:00:00.000Z",
                op(Operation::Search, "OM-X", Some("criminal"), "20 candidates"),
            ),
            entry(
                "2026-03-01T10:00:00.000Z",
                case("refuse_case_authorisation", "OM-A", "robbery", true),
            ),
            entry(
                "2026-03-01T10:00:00.000Z",
                receipt("search", "search:7", "case authorisation refused"),
            ),
            entry(
                "2026-03-01T00:00:00.000Z",
                case("request_case_authorisation", "OM-B", "murder", true),
            ),
            entry(
                "2026-03-04T00:00:00.000Z",
                case("grant_case_authorisation", "OM-B", "murder", true),
            ),
            entry(
                "2026-03-01T00:00:00.000Z",
                case("request_case_authorisation", "OM-C", "murder", true),
            ),
            entry(
                "2026-03-02T00:00:00.000Z",
                case("request_case_authorisation", "OM-D", "murder", true),
            ),
            entry(
                "2026-03-02T12:00:00.000Z",
                case("grant_case_authorisation", "OM-D", "murder", true),
            ),
            entry(
                "2026-03-02T00:00:00.000Z",
                receipt("reference_image", "reference-image:2", "retention"),
            ),
            entry(
                "2026-03-02T00:00:00.000Z",
                receipt("reference_image", "reference-image:15", "retention"),
            ),
            entry(
                "2026-03-03T00:00:00.000Z",
                step("propose", "new", "draft", "a name", None),
            ),
            entry(
                "2026-03-03T00:00:00.000Z",
                step("submit", "new", "submitted", "", None),
            ),
            entry(
                "2026-03-03T00:00:00.000Z",
                step(
                    "advise",
                    "new",
                    "advised",
                    "PositiveWithConditions: only robbery",
                    None,
                ),
            ),
            entry(
                "2026-03-03T00:00:00.000Z",
                step("ratify", "new", "ratified", "ok", None),
            ),
            entry(
                "2026-03-03T00:00:00.000Z",
                step("authority_approve", "new", "authority_approved", "ok", None),
            ),
            entry(
                "2026-03-04T00:00:00.000Z",
                step("activate", "new", "active", "", Some(90)),
            ),
            entry(
                "2026-03-05T00:00:00.000Z",
                case("request_case_authorisation", "OM-E", "theft", false),
            ),
            entry(
                "2026-04-05T00:00:00.000Z",
                Event::Consultation(waarborg_ledger::Consultation {
                    user: "u".into(),
                    role: "examiner".into(),
                    unit: "x".into(),
                    record_kind: "search".into(),
                    records: vec!["search:S-1".into()],
                    purpose: "identification".into(),
                    case_authorisation: None,
                    recipient: None,
                }),
            ),
            // After the period: not counted, but it is the last entry read.
            entry(
                "2026-06-01T00:00:00.000Z",
                step("end", "new", "ended", "done", None),
            ),
            entry(
                "2026-06-01T00:00:00.000Z",
                op(
                    Operation::Enrol,
                    "",
                    Some("criminal"),
                    "enrolled as reference image 3",
                ),
            ),
        ];
        for e in &entries {
            tally.add(e);
        }
        let r = tally.finish(LedgerPoint {
            size: entries.len() as u64,
            root: String::new(),
        });
        let a = &r.authorisations;
        assert_eq!(
            (a.requested, a.urgent_requested),
            (5, 4),
            "OM-0 was requested before"
        );
        assert_eq!((a.granted, a.refused), (2, 1));
        assert_eq!(a.urgent_late, 1, "OM-B came after 48 hours, OM-D within");
        assert_eq!(a.urgent_without_decision, 1, "OM-C never decided");
        assert_eq!(
            a.searches_erased.get("case authorisation refused"),
            Some(&1)
        );
        assert_eq!(r.per_offence_category["robbery"].searches, 1);
        assert_eq!(
            r.per_offence_category["fraud"].searches, 1,
            "a request from before the period still gives the category"
        );
        assert_eq!(r.per_offence_category[NOT_RECORDED].searches, 1);
        assert_eq!(
            r.deployment("catch").map(|f| f.searches),
            Some(3),
            "its revisions added up"
        );
        assert_eq!(
            r.deployment("cat"),
            None,
            "a deployment without figures has none, not zeros"
        );
        assert_eq!(
            r.reference_databases.get("criminal"),
            Some(&1),
            "2 enrolled, 1 erased; 3 came after"
        );
        assert_eq!(r.reference_databases.get(NOT_RECORDED), Some(&9));
        let m = &r.monitoring.per_deployment["catch"]["2026-03"];
        assert_eq!((m.searches, m.urgent_uses, m.decided), (3, 4, 3));
        assert_eq!(m.longest_decision_hours, 72, "OM-B: three days");
        assert_eq!(
            r.monitoring.organisation["2026-04"].consultations_without_case,
            1
        );
        let f = &r.framework;
        assert_eq!(
            (
                f.drafted,
                f.submitted,
                f.ratified,
                f.authority_approved,
                f.activated
            ),
            (1, 1, 1, 1, 1)
        );
        assert_eq!(f.advice.get("PositiveWithConditions"), Some(&1));
        assert_eq!(f.ended, 0, "the end came after the period");
        assert_eq!(f.active_at_end, 2);
        assert_eq!(
            f.reviews_overdue_at_end, 1,
            "`old` was due 30 days after June 2025; `new` not before June"
        );
    }

    #[test]
    fn enrolment_outcomes_name_their_reference_images() {
        assert_eq!(
            enrolled_ids("enrolled as reference image 42; flagged as a possible duplicate person"),
            Some((42, 42))
        );
        assert_eq!(
            enrolled_ids("synthetic scale data: reference images 10..=19 (no images)"),
            Some((10, 19))
        );
        assert_eq!(enrolled_ids("rejected: no face"), None);
    }
}
