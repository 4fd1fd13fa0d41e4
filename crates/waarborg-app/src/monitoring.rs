//! Monitoring the uses (issue 19 item 3; AI Act Art. 26(5)): the indicators of every
//! deployment per month, read from the kept figures of the ledger
//! ([`crate::audit::current`]), judged against the thresholds of the framework the
//! deployment's revision was reviewed under; a crossing raises an alert to the privacy
//! officer and the review committee, once per deployment, month and indicator, in the
//! ledger before it is kept. The organisation-wide indicators (consultations without a case,
//! proficiency errors) are judged against the thresholds of every framework in use.
//!
//! The check runs with the ledger's verification ([`crate::jobs`], every minute) and at
//! start; reading the indicators never writes.

use std::collections::BTreeMap;

use serde::Serialize;
use waarborg_govern::monitoring::{Alert, Indicator, Reading, Threshold};
use waarborg_govern::{Actor, Role};
use waarborg_report::monitoring::{Monitored, OrganisationMonitored};
use waarborg_store::{DocumentStore, Store};

use crate::{App, AppError, Result};

const KIND: &str = "monitoring_alert";

/// How many months the overview shows.
pub const MONTHS_SHOWN: usize = 12;

/// A deployment's readings in one month.
pub fn readings(m: &Monitored) -> Vec<(Indicator, Reading)> {
    vec![
        (
            Indicator::QualityRejectionRate,
            Reading::rate(m.insufficient_quality, m.probes),
        ),
        (
            Indicator::IdentificationRate,
            Reading::rate(m.identifications, m.searches),
        ),
        (
            Indicator::DisagreementRate,
            Reading::rate(m.not_confirmed, m.concluded),
        ),
        (Indicator::Refusals, Reading::count(m.refusals)),
        (
            Indicator::AuthorisationHours,
            Reading::count(m.longest_decision_hours),
        ),
        (Indicator::UrgentUses, Reading::count(m.urgent_uses)),
    ]
}

/// The organisation's readings in one month.
pub fn organisation_readings(o: &OrganisationMonitored) -> Vec<(Indicator, Reading)> {
    vec![
        (
            Indicator::ConsultationsWithoutCase,
            Reading::count(o.consultations_without_case),
        ),
        (
            Indicator::ProficiencyErrorRate,
            Reading::rate(o.proficiency_wrong, o.proficiency_scored),
        ),
    ]
}

/// One indicator in one month, judged.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Judged {
    /// The indicator's code.
    #[schema(value_type = String)]
    pub indicator: Indicator,
    /// The reading.
    #[schema(value_type = Object)]
    pub reading: Reading,
    /// Whether a threshold is crossed.
    pub crossed: bool,
}

/// One month of a deployment (or of the organisation).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Month {
    /// `YYYY-MM`.
    pub month: String,
    /// Each indicator.
    pub indicators: Vec<Judged>,
}

/// A deployment's indicators, the last months first to last.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Watched {
    /// The deployment; `None`: the organisation.
    pub deployment: Option<String>,
    /// The thresholds applied.
    #[schema(value_type = Vec<Object>)]
    pub thresholds: Vec<Threshold>,
    /// The months with figures, oldest first (at most [`MONTHS_SHOWN`]).
    pub months: Vec<Month>,
    /// The distribution of the searches' best scores per month beside the models'
    /// evaluation (issue 21 item 5); none for the organisation or before any search.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<Drift>,
}

/// Searches a month, and the months before it together, need before its shift is measured:
/// a model or population change shows as a shift of the whole distribution, not of a few
/// searches. How large a shift raises an alert is the framework's (`score_shift`).
pub const MIN_SCORED: u64 = 10;

/// The best scores of a deployment's searches per month.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Drift {
    /// The threshold of the revision in use (else the latest).
    pub threshold: f32,
    /// The accuracy evaluation that revision carries, with the non-mated scores to compare.
    #[schema(value_type = Option<Object>)]
    pub evaluation: Option<waarborg_govern::revision::ModelEvaluation>,
    /// The months with scored searches, oldest first.
    pub months: Vec<ScoreMonth>,
}

/// One month of best scores.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ScoreMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// Searches with a recorded best score.
    pub searches: u64,
    /// The 25th, 50th and 75th percentile of their best scores.
    pub quartiles: [f32; 3],
    /// Of those, at or above the threshold.
    pub at_or_above_threshold: u64,
    /// How far the median moved from the median of all the months before it, in
    /// hundredths; `None` with fewer than [`MIN_SCORED`] searches in either.
    pub shift: Option<u64>,
    /// Whether that shift crosses the framework's `score_shift` threshold.
    pub shifted: bool,
}

/// The score months of `months`, each measured against all the months before it and judged
/// by `thresholds`.
pub fn drift_months<'a>(
    months: impl Iterator<Item = (&'a String, &'a Monitored)>,
    threshold: f32,
    thresholds: &[Threshold],
) -> Vec<ScoreMonth> {
    let mut before: BTreeMap<i16, u64> = BTreeMap::new();
    let mut out = Vec::new();
    for (month, m) in months {
        let Some(quartiles) = waarborg_report::monitoring::quartiles(&m.best_scores) else {
            continue;
        };
        let searches: u64 = m.best_scores.values().sum();
        let earlier: u64 = before.values().sum();
        // In whole hundredths, as the histogram keeps them: exact, no float decides.
        let hundredths = |s: f32| (s * 100.0).round() as i64;
        let shift = (searches >= MIN_SCORED && earlier >= MIN_SCORED)
            .then(|| waarborg_report::monitoring::quartiles(&before))
            .flatten()
            .map(|b| hundredths(quartiles[1]).abs_diff(hundredths(b[1])));
        let shifted = shift.is_some_and(|s| {
            thresholds
                .iter()
                .any(|t| t.indicator == Indicator::ScoreShift && t.crossed(Reading::count(s)))
        });
        out.push(ScoreMonth {
            month: month.clone(),
            searches,
            quartiles,
            at_or_above_threshold: waarborg_report::monitoring::at_or_above(
                &m.best_scores,
                threshold,
            ),
            shift,
            shifted,
        });
        for (s, c) in &m.best_scores {
            *before.entry(*s).or_default() += c;
        }
    }
    out
}

/// What the oversight page and `GET /api/monitoring` show.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Overview {
    /// The ledger size the figures are from.
    pub ledger_size: u64,
    /// Per deployment, then the organisation.
    pub watched: Vec<Watched>,
    /// The alerts raised, the newest first.
    #[schema(value_type = Vec<Object>)]
    pub alerts: Vec<Alert>,
}

fn judge(readings: Vec<(Indicator, Reading)>, thresholds: &[Threshold]) -> Vec<Judged> {
    readings
        .into_iter()
        .map(|(indicator, reading)| Judged {
            indicator,
            reading,
            crossed: thresholds
                .iter()
                .any(|t| t.indicator == indicator && t.crossed(reading)),
        })
        .collect()
}

fn last_months<T>(months: &BTreeMap<String, T>) -> impl Iterator<Item = (&String, &T)> {
    months
        .iter()
        .skip(months.len().saturating_sub(MONTHS_SHOWN))
}

/// The thresholds deployment `id` is judged by: those of the framework its revision in use
/// (else its latest) was reviewed under; with that revision's technology.
fn thresholds_of(
    app: &App,
    id: &str,
) -> Result<Option<(Vec<Threshold>, waarborg_govern::revision::Technology)>> {
    let Some((d, _)) = app.store.deployment(id)? else {
        return Ok(None);
    };
    let number = match d.active_revision(app.now()) {
        Some(r) => r.number,
        None => match d.revisions.last() {
            Some(r) => r.number,
            None => return Ok(None),
        },
    };
    let framework = crate::governance::framework_of(&app.store, &d, number)?;
    let technology = d
        .revision(number)
        .map(|r| r.content.technology.clone())
        .map_err(|e| AppError::internal(e.to_string()))?;
    Ok(Some((framework.monitoring, technology)))
}

/// Every deployment's indicators and the organisation's, judged, from the kept figures of
/// all time (none while the ledger does not verify).
fn watch(app: &App) -> Result<(u64, Vec<Watched>)> {
    let verified = crate::audit::current(app)?;
    let Some(report) = verified.all_time.clone() else {
        return Ok((verified.report.entries, Vec::new()));
    };
    let mut watched = Vec::new();
    let mut in_use: Vec<Threshold> = Vec::new();
    for (deployment, months) in &report.monitoring.per_deployment {
        let Some((thresholds, technology)) = thresholds_of(app, deployment)? else {
            continue;
        };
        let scored = drift_months(last_months(months), technology.score_threshold, &thresholds);
        for t in thresholds
            .iter()
            .filter(|t| t.indicator.organisation_wide())
        {
            if !in_use.contains(t) {
                in_use.push(t.clone());
            }
        }
        watched.push(Watched {
            deployment: Some(deployment.clone()),
            months: last_months(months)
                .map(|(month, m)| {
                    // The shift needs the months before; a month without one reads 0.
                    let shift = scored
                        .iter()
                        .find(|s| &s.month == month)
                        .and_then(|s| s.shift)
                        .unwrap_or(0);
                    let mut r = readings(m);
                    r.push((Indicator::ScoreShift, Reading::count(shift)));
                    Month {
                        month: month.clone(),
                        indicators: judge(r, &thresholds),
                    }
                })
                .collect(),
            thresholds,
            drift: (!scored.is_empty()).then(|| Drift {
                threshold: technology.score_threshold,
                evaluation: technology.evaluation.clone(),
                months: scored,
            }),
        });
    }
    if !report.monitoring.organisation.is_empty() {
        watched.push(Watched {
            deployment: None,
            months: last_months(&report.monitoring.organisation)
                .map(|(month, o)| Month {
                    month: month.clone(),
                    indicators: judge(organisation_readings(o), &in_use),
                })
                .collect(),
            thresholds: in_use,
            drift: None,
        });
    }
    Ok((report.ledger.size, watched))
}

fn read(v: serde_json::Value) -> Result<Alert> {
    serde_json::from_value(v)
        .map_err(|e| AppError::internal(format!("a stored monitoring alert does not read: {e}")))
}

/// The alerts raised, the newest first.
pub fn alerts(app: &App) -> Result<Vec<Alert>> {
    let mut out = app
        .store
        .documents(KIND, None)?
        .into_iter()
        .map(read)
        .collect::<Result<Vec<_>>>()?;
    out.sort_by(|a, b| (b.raised_at, &b.id).cmp(&(a.raised_at, &a.id)));
    Ok(out)
}

/// The indicators, judged, and the alerts: what the oversight page shows.
pub fn overview(app: &App) -> Result<Overview> {
    let (ledger_size, watched) = watch(app)?;
    Ok(Overview {
        ledger_size,
        watched,
        alerts: alerts(app)?,
    })
}

/// The system, as the actor of the alerts it raises.
const SYSTEM: &str = "waarborg";

fn alert_entry(
    actor: &str,
    role: &str,
    action: &str,
    a: &Alert,
    reason: &str,
) -> waarborg_ledger::Event {
    waarborg_ledger::Event::GovernanceDecision(waarborg_ledger::GovernanceDecision {
        actor: actor.into(),
        role: role.into(),
        action: action.into(),
        subject: match &a.deployment {
            Some(d) => format!("monitoring of deployment {d} in {}", a.month),
            None => format!("monitoring of the organisation in {}", a.month),
        },
        reason: crate::short(reason),
        framework_version: None,
        about: Some(waarborg_ledger::About::Alert {
            alert: a.id.clone(),
            deployment: a.deployment.clone(),
            indicator: a.indicator.code().into(),
            month: a.month.clone(),
        }),
    })
}

/// Raises an alert for every indicator out of bounds that has none yet: each in the ledger
/// (by the system) before it is kept. Returns the alerts raised now.
pub fn check(app: &App) -> Result<Vec<Alert>> {
    let (_, watched) = watch(app)?;
    let now = app.now();
    let mut raised = Vec::new();
    for w in &watched {
        for month in &w.months {
            for j in month.indicators.iter().filter(|j| j.crossed) {
                let Some(t) = w
                    .thresholds
                    .iter()
                    .find(|t| t.indicator == j.indicator && t.crossed(j.reading))
                else {
                    continue;
                };
                let alert = Alert::raise(w.deployment.as_deref(), &month.month, j.reading, t, now);
                if app.store.document(KIND, &alert.id)?.is_some() {
                    continue;
                }
                let entry = alert_entry(
                    SYSTEM,
                    "system",
                    "raise_monitoring_alert",
                    &alert,
                    &alert.describe(),
                );
                let body =
                    serde_json::to_value(&alert).map_err(|e| AppError::internal(e.to_string()))?;
                let owner = alert.deployment.clone().unwrap_or_default();
                app.commit(&[entry], |log| {
                    app.store
                        .create_document(KIND, &alert.id, &owner, &body, log)
                })?;
                tracing::warn!(alert = %alert.id, "monitoring alert raised");
                raised.push(alert);
            }
        }
    }
    Ok(raised)
}

/// The privacy officer or a committee member acknowledges alert `id`, saying what was done.
pub fn acknowledge(app: &App, actor: &Actor, id: &str, note: &str) -> Result<Alert> {
    let (v, version) = app
        .store
        .document(KIND, id)?
        .ok_or_else(|| AppError::not_found(format!("no monitoring alert {id}")))?;
    let mut alert = read(v)?;
    let done = alert.acknowledge(actor, note, app.now());
    app.logged_refusal(actor, &format!("acknowledge monitoring alert {id}"), done)?;
    let entry = alert_entry(
        &actor.user,
        actor.role.as_str(),
        "acknowledge_monitoring_alert",
        &alert,
        note,
    );
    let body = serde_json::to_value(&alert).map_err(|e| AppError::internal(e.to_string()))?;
    app.commit(&[entry], |log| {
        app.store
            .save_document(KIND, id, &body, version, log)
            .map(|_| ())
    })?;
    Ok(alert)
}

/// What a periodic review weighs of deployment `id`: its figures of all time (searches,
/// identifications, what the investigations found of them; `None` before any use) and its
/// monitoring alerts, the newest first.
pub fn use_so_far(app: &App, id: &str) -> Result<(Option<waarborg_report::Figures>, Vec<Alert>)> {
    let figures = crate::audit::current(app)?
        .all_time
        .as_ref()
        .and_then(|r| r.deployment(id));
    let alerts = alerts(app)?
        .into_iter()
        .filter(|a| a.deployment.as_deref() == Some(id))
        .collect();
    Ok((figures, alerts))
}

/// Who is addressed by the alerts (the page marks them).
pub fn addressed(role: Role) -> bool {
    waarborg_govern::monitoring::ADDRESSEES.contains(&role)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(scores: &[(i16, u64)]) -> Monitored {
        Monitored {
            best_scores: scores.iter().copied().collect(),
            ..Default::default()
        }
    }

    #[test]
    fn a_month_whose_median_moves_from_the_months_before_is_marked() {
        let months: BTreeMap<String, Monitored> = [
            ("2026-01".to_string(), month(&[(30, 6), (35, 6)])),
            // Too few searches to measure, whatever the median.
            ("2026-02".to_string(), month(&[(80, 3)])),
            // Median 0.33 against 0.35 before (January and February together): a shift of
            // 2, within the limit of 4.
            ("2026-03".to_string(), month(&[(33, 12)])),
            // Median 0.45 against 0.33: 12, crossed.
            ("2026-04".to_string(), month(&[(45, 20)])),
            // No scored searches: no row.
            ("2026-05".to_string(), Monitored::default()),
        ]
        .into();
        let rows = drift_months(months.iter(), 0.4, &Threshold::defaults());
        // Month, searches, median, at or above the threshold, shift, shifted.
        type Row<'a> = (&'a str, u64, f32, u64, Option<u64>, bool);
        let got: Vec<Row> = rows
            .iter()
            .map(|r| {
                (
                    r.month.as_str(),
                    r.searches,
                    r.quartiles[1],
                    r.at_or_above_threshold,
                    r.shift,
                    r.shifted,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("2026-01", 12, 0.3, 0, None, false),
                ("2026-02", 3, 0.8, 3, None, false),
                ("2026-03", 12, 0.33, 0, Some(2), false),
                ("2026-04", 20, 0.45, 20, Some(12), true),
            ]
        );
        // Without a score_shift threshold nothing is marked; the shift is still measured.
        let rows = drift_months(months.iter(), 0.4, &[]);
        assert_eq!(rows[3].shift, Some(12));
        assert!(!rows[3].shifted);
    }
}
