//! Monitoring on the oversight page (`templates/reports.html`) and in the API: every
//! deployment's indicators per month as a small bar chart with its limit, the alerts raised,
//! and for the privacy officer and the committee the form that acknowledges one. The
//! indicators, thresholds and alerts are `waarborg_app::monitoring`'s.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::{Extension, Form, Json};
use waarborg_app::monitoring::{self, Overview, Watched};
use waarborg_govern::monitoring::{Alert, Bound, Reading};

use crate::auth::Principal;
use crate::i18n::{date_time, t, Lang};
use crate::ui::{form_answer, path_segment};
use crate::AppState;

/// Height of a chart's bars at their tallest, in pixels.
const CHART_HEIGHT: u64 = 40;
/// Width of one month's bar and its gap.
const BAR: u64 = 14;
const GAP: u64 = 4;

/// One month's bar.
pub(crate) struct Bar {
    pub(crate) x: u64,
    pub(crate) y: u64,
    pub(crate) h: u64,
    pub(crate) crossed: bool,
    pub(crate) title: String,
}

/// One indicator of one deployment over the months shown.
pub(crate) struct IndicatorRow {
    pub(crate) name: &'static str,
    pub(crate) width: u64,
    pub(crate) bars: Vec<Bar>,
    /// Where the limit's line lies, if a threshold applies.
    pub(crate) limit_y: Option<u64>,
    pub(crate) limit: String,
    pub(crate) latest: String,
    pub(crate) crossed: bool,
}

/// One deployment's (or the organisation's) charts.
pub(crate) struct WatchedView {
    pub(crate) title: String,
    pub(crate) months: String,
    pub(crate) rows: Vec<IndicatorRow>,
    pub(crate) drift: Option<DriftView>,
}

/// Width of a score box plot, for scores from −0.2 to 1.
const SCORE_WIDTH: f32 = 240.0;

fn score_x(s: f32) -> u32 {
    (((s.clamp(-0.2, 1.0) + 0.2) / 1.2) * SCORE_WIDTH).round() as u32
}

/// A deployment's best scores per month, as box plots beside the threshold and the models'
/// non-mated scores.
pub(crate) struct DriftView {
    pub(crate) threshold: String,
    pub(crate) threshold_x: u32,
    pub(crate) evaluation: String,
    pub(crate) non_mated_x: Option<u32>,
    pub(crate) months: Vec<DriftRow>,
}

/// One month's box plot.
pub(crate) struct DriftRow {
    pub(crate) month: String,
    pub(crate) searches: u64,
    pub(crate) quartiles: String,
    pub(crate) q1_x: u32,
    pub(crate) box_w: u32,
    pub(crate) median_x: u32,
    pub(crate) above: String,
    pub(crate) shifted: bool,
}

fn drift_view(lang: Lang, d: &waarborg_app::monitoring::Drift) -> DriftView {
    let evaluation = match &d.evaluation {
        Some(e) => crate::i18n::t_with(
            lang,
            "drift_evaluation",
            &[
                (
                    "dataset",
                    e.dataset_sha256.get(..12).unwrap_or("").to_string(),
                ),
                ("pairs", e.non_mated_pairs.to_string()),
                (
                    "mean",
                    e.non_mated_mean.map_or("—".into(), |m| format!("{m:.3}")),
                ),
                (
                    "max",
                    e.non_mated_max.map_or("—".into(), |m| format!("{m:.3}")),
                ),
            ],
        ),
        None => t(lang, "drift_no_evaluation").to_string(),
    };
    DriftView {
        threshold: format!("{:.2}", d.threshold),
        threshold_x: score_x(d.threshold),
        evaluation,
        non_mated_x: d
            .evaluation
            .as_ref()
            .and_then(|e| e.non_mated_max)
            .map(score_x),
        months: d
            .months
            .iter()
            .map(|m| {
                let [q1, q2, q3] = m.quartiles;
                DriftRow {
                    month: m.month.clone(),
                    searches: m.searches,
                    quartiles: format!("{q1:.2} · {q2:.2} · {q3:.2}"),
                    q1_x: score_x(q1),
                    box_w: (score_x(q3) - score_x(q1)).max(2),
                    median_x: score_x(q2),
                    above: format!(
                        "{} ({} %)",
                        m.at_or_above_threshold,
                        m.at_or_above_threshold * 100 / m.searches.max(1)
                    ),
                    shifted: m.shifted,
                }
            })
            .collect(),
    }
}

/// One alert, in words.
pub(crate) struct AlertRow {
    pub(crate) id: String,
    pub(crate) about: String,
    pub(crate) month: String,
    pub(crate) indicator: &'static str,
    pub(crate) reading: String,
    pub(crate) limit: String,
    pub(crate) raised: String,
    pub(crate) acknowledged: Option<String>,
}

fn reading_words(r: Reading, rate: bool) -> String {
    match (r.value(), r.of) {
        (None, _) => "—".into(),
        (Some(v), Some(whole)) if rate => format!("{v} % ({}/{whole})", r.count),
        (Some(v), _) => v.to_string(),
    }
}

fn limit_words(lang: Lang, bound: Bound, limit: u64, rate: bool) -> String {
    format!(
        "{} {limit}{}",
        t(
            lang,
            match bound {
                Bound::Above => "monitoring_above",
                Bound::Below => "monitoring_below",
            }
        ),
        if rate { " %" } else { "" }
    )
}

fn organisation_or(lang: Lang, deployment: Option<&str>) -> String {
    deployment.map_or_else(
        || t(lang, "monitoring_organisation").to_string(),
        str::to_string,
    )
}

fn watched_view(lang: Lang, w: &Watched) -> WatchedView {
    let indicators: Vec<_> = w
        .months
        .first()
        .map(|m| m.indicators.iter().map(|j| j.indicator).collect())
        .unwrap_or_default();
    let rows = indicators
        .into_iter()
        .enumerate()
        .map(|(i, indicator)| {
            let rate = indicator.is_rate();
            let threshold = w.thresholds.iter().find(|t| t.indicator == indicator);
            let cells: Vec<_> = w
                .months
                .iter()
                .filter_map(|m| m.indicators.get(i).map(|j| (m.month.as_str(), j)))
                .collect();
            let top = cells
                .iter()
                .filter_map(|(_, j)| j.reading.value())
                .chain(threshold.map(|t| t.limit))
                .max()
                .unwrap_or(0)
                .max(1);
            let scale = |v: u64| v.min(top) * CHART_HEIGHT / top;
            let bars = cells
                .iter()
                .enumerate()
                .map(|(n, (month, j))| {
                    let h = j.reading.value().map_or(0, scale);
                    Bar {
                        x: n as u64 * (BAR + GAP),
                        y: CHART_HEIGHT - h,
                        h,
                        crossed: j.crossed,
                        title: format!("{month}: {}", reading_words(j.reading, rate)),
                    }
                })
                .collect();
            let last = cells.last().map(|(_, j)| *j);
            IndicatorRow {
                name: t(lang, &format!("indicator_{}", indicator.code())),
                width: (cells.len() as u64 * (BAR + GAP)).max(BAR),
                bars,
                limit_y: threshold.map(|t| CHART_HEIGHT - scale(t.limit)),
                limit: threshold.map_or_else(
                    || "—".into(),
                    |th| {
                        let mut s = limit_words(lang, th.bound, th.limit, rate);
                        if th.min_observations > 0 {
                            s.push_str(&format!(
                                " ({} {})",
                                t(lang, "monitoring_at_least"),
                                th.min_observations
                            ));
                        }
                        s
                    },
                ),
                latest: last.map_or_else(|| "—".into(), |j| reading_words(j.reading, rate)),
                crossed: last.is_some_and(|j| j.crossed),
            }
        })
        .collect();
    WatchedView {
        title: organisation_or(lang, w.deployment.as_deref()),
        months: match (w.months.first(), w.months.last()) {
            (Some(a), Some(b)) => format!("{} – {}", a.month, b.month),
            _ => String::new(),
        },
        rows,
        drift: w.drift.as_ref().map(|d| drift_view(lang, d)),
    }
}

fn alert_row(lang: Lang, a: &Alert) -> AlertRow {
    let rate = a.indicator.is_rate();
    AlertRow {
        id: a.id.clone(),
        about: organisation_or(lang, a.deployment.as_deref()),
        month: a.month.clone(),
        indicator: t(lang, &format!("indicator_{}", a.indicator.code())),
        reading: reading_words(a.reading, rate),
        limit: limit_words(lang, a.threshold.bound, a.threshold.limit, rate),
        raised: date_time(lang, a.raised_at),
        acknowledged: a.acknowledged.as_ref().map(|k| {
            format!(
                "{} ({}, {}): {}",
                k.by,
                t(lang, &format!("role_{}", k.role.as_str())),
                date_time(lang, k.at),
                k.note
            )
        }),
    }
}

/// The oversight page's monitoring: the charts and the alerts.
pub(crate) fn view(
    app: &waarborg_app::App,
    lang: Lang,
) -> waarborg_app::Result<(Vec<WatchedView>, Vec<AlertRow>)> {
    let o = monitoring::overview(app)?;
    Ok((
        o.watched.iter().map(|w| watched_view(lang, w)).collect(),
        o.alerts.iter().map(|a| alert_row(lang, a)).collect(),
    ))
}

/// What was done about an alert, as the form and the API send it.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct AcknowledgeBody {
    /// What was done or decided.
    #[serde(default)]
    pub note: String,
}

/// `POST /ui/monitoring/alerts/{id}/acknowledgement`.
pub async fn acknowledge_form(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(b): Form<AcknowledgeBody>,
) -> Response {
    let actor = p.actor();
    let to = format!("/ui/reports#{}", path_segment(&id));
    let done = crate::blocking(&state, move |app| {
        monitoring::acknowledge(app, &actor, &id, &b.note).map(|_| ())
    })
    .await;
    form_answer(&headers, &p, done, &to)
}

/// `GET /api/monitoring`: every deployment's indicators per month, judged, and the alerts.
pub async fn overview(
    State(state): State<Arc<AppState>>,
) -> Result<Json<Overview>, crate::problem::Problem> {
    Ok(Json(crate::blocking(&state, monitoring::overview).await?))
}

/// `POST /api/monitoring/alerts/{id}/acknowledgement`: the alert, acknowledged.
pub async fn acknowledge(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    body: std::result::Result<Json<AcknowledgeBody>, JsonRejection>,
) -> Result<Json<crate::api::AlertAcknowledged>, crate::problem::Problem> {
    let b = crate::handlers::body(body)?;
    let actor = p.actor();
    let alert = crate::blocking(&state, move |app| {
        monitoring::acknowledge(app, &actor, &id, &b.note)
    })
    .await?;
    let (by, at, note) = alert
        .acknowledged
        .map(|k| (k.by, k.at.to_string(), k.note))
        .unwrap_or_default();
    Ok(Json(crate::api::AlertAcknowledged {
        alert: alert.id,
        by,
        at,
        note,
    }))
}
