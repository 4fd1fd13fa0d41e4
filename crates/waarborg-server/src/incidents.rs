//! The incident register in the web interface (`templates/incidents.html`): report an
//! incident; for the privacy officer and the chief of police, classify it, record the
//! notifications, and suspend the deployment from it; every clock with its deadline, an
//! overdue one flagged. The rules and the ledger are `waarborg_app::incidents`'.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::{Extension, Form, Json};
use waarborg_app::incidents::{self, ClassifyBody, NotifyBody, ReportBody};
use waarborg_govern::incident::{Recipient, SeriousKind, NOTIFIERS};
use waarborg_govern::Role;

use crate::auth::Principal;
use crate::i18n::{date, date_time, t, Lang};
use crate::ui::{form_answer, lang_of, path_segment, problem_page, render, LangQuery, Layout};
use crate::AppState;

/// One clock, in words.
struct ClockRow {
    to: &'static str,
    due: String,
    done: Option<String>,
    overdue: bool,
}

/// One incident, as the page shows it.
struct IncidentRow {
    id: String,
    deployment: String,
    description: String,
    searches: Vec<String>,
    reported: String,
    aware_since: String,
    classification: Option<String>,
    clocks: Vec<ClockRow>,
    notifications: Vec<String>,
    suspended: Option<String>,
    overdue: bool,
}

#[derive(askama::Template)]
#[template(path = "incidents.html")]
struct IncidentsPage {
    layout: Layout,
    incidents: Vec<IncidentRow>,
    /// The deployments one may name.
    deployments: Vec<String>,
    classifies: bool,
    notifies: bool,
    /// (key, words) of the classifications.
    classifications: Vec<(&'static str, &'static str)>,
    today: String,
}

fn recipient_words(lang: Lang, r: Recipient) -> &'static str {
    t(
        lang,
        match r {
            Recipient::Provider => "incident_to_provider",
            Recipient::Authority => "incident_to_authority",
        },
    )
}

/// `GET /ui/incidents`.
pub async fn page(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = lang_of(&headers, &q);
    crate::page_blocking(&state, move |state| {
        let actor = p.actor();
        let listed = match incidents::list(state, &actor) {
            Ok(l) => l,
            Err(e) => return problem_page(lang, Some(&p), &e.into()),
        };
        let deployments = match waarborg_app::register::deployments(state) {
            Ok(d) => d.into_iter().map(|d| d.id).collect(),
            Err(e) => return problem_page(lang, Some(&p), &e.into()),
        };
        let now = state.now();
        let classification_words = |k: Option<SeriousKind>| {
            t(
                lang,
                &format!("incident_class_{}", k.map_or("not_serious", |k| k.as_str())),
            )
        };
        let incidents = listed
            .into_iter()
            .rev()
            .map(|i| IncidentRow {
                overdue: i.overdue(now),
                clocks: i
                    .clocks()
                    .into_iter()
                    .map(|c| ClockRow {
                        to: recipient_words(lang, c.to),
                        due: date_time(lang, c.due),
                        done: c.done.map(|d| date_time(lang, d)),
                        overdue: c.overdue(now),
                    })
                    .collect(),
                classification: i.classification.as_ref().map(|c| {
                    format!(
                        "{} — {} ({}): {}",
                        classification_words(c.serious),
                        c.by,
                        date_time(lang, c.at),
                        c.reasons
                    )
                }),
                notifications: i
                    .notifications
                    .iter()
                    .map(|n| {
                        format!(
                            "{} {} ({}; {} {})",
                            recipient_words(lang, n.to),
                            date_time(lang, n.sent),
                            n.reference,
                            t(lang, "recorded_by"),
                            n.by
                        )
                    })
                    .collect(),
                suspended: i
                    .suspended
                    .as_ref()
                    .map(|(by, at)| format!("{by}, {}", date_time(lang, *at))),
                reported: format!("{}, {}", i.reported_by, date_time(lang, i.reported_at)),
                aware_since: date(lang, i.aware_since),
                id: i.id,
                deployment: i.deployment,
                description: i.description,
                searches: i.searches,
            })
            .collect();
        render(
            lang,
            &IncidentsPage {
                layout: Layout::new(lang, t(lang, "incidents"), Some(&p)),
                incidents,
                deployments,
                classifies: p.role == Role::PrivacyOfficer,
                notifies: NOTIFIERS.contains(&p.role),
                classifications: std::iter::once("not_serious")
                    .chain(SeriousKind::ALL.iter().map(|k| k.as_str()))
                    .map(|k| (k, t(lang, &format!("incident_class_{k}"))))
                    .collect(),
                today: now.to_string().chars().take(10).collect(),
            },
        )
    })
    .await
}

/// `POST /ui/incidents`: an incident reported.
pub async fn report(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Form(b): Form<ReportBody>,
) -> Response {
    let actor = p.actor();
    let done = crate::blocking(&state, move |app| {
        incidents::report(app, &actor, &b).map(|_| ())
    })
    .await;
    form_answer(&headers, &p, done, "/ui/incidents")
}

/// `POST /ui/incidents/{id}/classification`.
pub async fn classify(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(b): Form<ClassifyBody>,
) -> Response {
    let actor = p.actor();
    let to = format!("/ui/incidents#{}", path_segment(&id));
    let done = crate::blocking(&state, move |app| {
        incidents::classify(app, &actor, &id, &b).map(|_| ())
    })
    .await;
    form_answer(&headers, &p, done, &to)
}

/// `POST /ui/incidents/{id}/notifications`.
pub async fn notify(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(b): Form<NotifyBody>,
) -> Response {
    let actor = p.actor();
    let to = format!("/ui/incidents#{}", path_segment(&id));
    let done = crate::blocking(&state, move |app| {
        incidents::notify(app, &actor, &id, &b).map(|_| ())
    })
    .await;
    form_answer(&headers, &p, done, &to)
}

/// Why the deployment is suspended, as the form and the API send it.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct SuspendForm {
    /// Why.
    #[serde(default)]
    reasons: String,
}

/// `POST /ui/incidents/{id}/suspension`: the deployment suspended from the incident.
pub async fn suspend(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<SuspendForm>,
) -> Response {
    let actor = p.actor();
    let to = format!("/ui/incidents#{}", path_segment(&id));
    let done = crate::blocking(&state, move |app| {
        incidents::suspend_deployment(app, &actor, &id, &f.reasons).map(|_| ())
    })
    .await;
    form_answer(&headers, &p, done, &to)
}

/// A deadline of a serious incident still running, for the oversight page.
pub(crate) struct RunningClock {
    pub(crate) incident: String,
    pub(crate) deployment: String,
    pub(crate) to: &'static str,
    pub(crate) due: String,
    pub(crate) overdue: bool,
}

/// Every deadline `actor` oversees that is not yet met, the soonest first.
pub(crate) fn running_clocks(
    app: &waarborg_app::App,
    actor: &waarborg_govern::Actor,
    lang: Lang,
) -> waarborg_app::Result<Vec<RunningClock>> {
    let now = app.now();
    let mut open: Vec<(waarborg_govern::Timestamp, RunningClock)> = incidents::list(app, actor)?
        .into_iter()
        .flat_map(|i| {
            i.clocks()
                .into_iter()
                .filter(|c| c.done.is_none())
                .map(|c| {
                    (
                        c.due,
                        RunningClock {
                            incident: i.id.clone(),
                            deployment: i.deployment.clone(),
                            to: recipient_words(lang, c.to),
                            due: date_time(lang, c.due),
                            overdue: c.overdue(now),
                        },
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    open.sort_by_key(|(due, _)| *due);
    Ok(open.into_iter().map(|(_, c)| c).collect())
}

/// `GET /api/incidents`.
pub async fn list_api(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> Result<Json<crate::api::Incidents>, crate::problem::Problem> {
    let actor = p.actor();
    let (listed, now) = crate::blocking(&state, move |app| {
        incidents::list(app, &actor).map(|l| (l, app.now()))
    })
    .await?;
    Ok(Json(crate::api::Incidents {
        incidents: listed
            .iter()
            .map(|i| crate::api::IncidentView::of(i, now))
            .collect(),
    }))
}

/// One step on the register through the API: the use case, then the incident as it stands.
async fn api_step(
    state: Arc<AppState>,
    step: impl FnOnce(&waarborg_app::App) -> waarborg_app::Result<waarborg_govern::incident::Incident>
        + Send
        + 'static,
) -> Result<Json<crate::api::IncidentView>, crate::problem::Problem> {
    let (incident, now) =
        crate::blocking(&state, move |app| step(app).map(|i| (i, app.now()))).await?;
    Ok(Json(crate::api::IncidentView::of(&incident, now)))
}

/// `POST /api/incidents`: an incident reported.
pub async fn report_api(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    body: std::result::Result<Json<ReportBody>, JsonRejection>,
) -> Result<Json<crate::api::IncidentView>, crate::problem::Problem> {
    let b = crate::handlers::body(body)?;
    let actor = p.actor();
    api_step(state, move |app| incidents::report(app, &actor, &b)).await
}

/// `POST /api/incidents/{id}/classification`.
pub async fn classify_api(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    body: std::result::Result<Json<ClassifyBody>, JsonRejection>,
) -> Result<Json<crate::api::IncidentView>, crate::problem::Problem> {
    let b = crate::handlers::body(body)?;
    let actor = p.actor();
    api_step(state, move |app| incidents::classify(app, &actor, &id, &b)).await
}

/// `POST /api/incidents/{id}/notifications`.
pub async fn notify_api(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    body: std::result::Result<Json<NotifyBody>, JsonRejection>,
) -> Result<Json<crate::api::IncidentView>, crate::problem::Problem> {
    let b = crate::handlers::body(body)?;
    let actor = p.actor();
    api_step(state, move |app| incidents::notify(app, &actor, &id, &b)).await
}

/// `POST /api/incidents/{id}/suspension`.
pub async fn suspend_api(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    body: std::result::Result<Json<SuspendForm>, JsonRejection>,
) -> Result<Json<crate::api::IncidentView>, crate::problem::Problem> {
    let f = crate::handlers::body(body)?;
    let actor = p.actor();
    api_step(state, move |app| {
        incidents::suspend_deployment(app, &actor, &id, &f.reasons)
    })
    .await
}
