//! Who looked at what: the privacy officer's and the auditor's view of the consultations in
//! the ledger (`waarborg_app::consult::consultations`), as a page and as JSON. Asking is
//! itself logged by the use case.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::{Extension, Json};
use waarborg_app::consult::{self, Ask};

use crate::auth::Principal;
use crate::i18n::{t, Lang};
use crate::problem::Problem;
use crate::ui::{lang_of, problem_page, render, LangQuery, Layout};
use crate::{api, AppState};

/// `GET /api/consultations`: the reads asked for, flagged.
pub async fn list(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Query(ask): Query<Ask>,
) -> Result<Json<api::ConsultationsAnswer>, Problem> {
    let actor = p.actor();
    let found =
        crate::blocking(&state, move |app| consult::consultations(app, &actor, &ask)).await?;
    Ok(Json(api::ConsultationsAnswer {
        consultations: serde_json::to_value(found).unwrap_or_default(),
    }))
}

/// One read on the page (also the data subject's page's).
pub(crate) struct Row {
    pub(crate) when: String,
    pub(crate) who: String,
    pub(crate) what: String,
    pub(crate) records: String,
    pub(crate) why: String,
    pub(crate) flags: Vec<&'static str>,
}

/// The page (`templates/consultations.html`).
#[derive(askama::Template)]
#[template(path = "consultations.html")]
struct ConsultationsPage {
    layout: Layout,
    subject: String,
    user: String,
    from: String,
    to: String,
    rows: Vec<Row>,
    flagged: usize,
    size: u64,
    subjects_threshold: usize,
    window_minutes: i64,
}

/// The most records of one read the page shows (the JSON has them all).
const SHOWN_RECORDS: usize = 6;

/// `GET /ui/consultations`: the question's form and the reads that answer it.
pub async fn view(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(ask): Query<Ask>,
) -> Response {
    let lang = lang_of(
        &headers,
        &LangQuery {
            lang: ask.lang.clone(),
        },
    );
    crate::page_blocking(&state, move |state| {
        let found = match consult::consultations(state, &p.actor(), &ask) {
            Ok(found) => found,
            Err(e) => return problem_page(lang, Some(&p), &e.into()),
        };
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let rows = found.reads.iter().rev().map(|r| row(lang, r)).collect();
        render(
            lang,
            &ConsultationsPage {
                layout: Layout::new(lang, t(lang, "consultations"), Some(&p)),
                subject: text(&ask.subject),
                user: text(&ask.user),
                from: text(&ask.from),
                to: text(&ask.to),
                rows,
                flagged: found.flagged,
                size: found.size,
                subjects_threshold: found.thresholds.subjects,
                window_minutes: found.thresholds.window_seconds / 60,
            },
        )
    })
    .await
}

/// A record kind in the reader's words (an unknown one as recorded).
fn kind_text(lang: Lang, kind: &str) -> String {
    let key = match kind {
        "search" => "kind_search",
        "search_list" => "kind_search_list",
        "probe" => "kind_probe",
        "reference_image" => "kind_reference_image",
        "reference_records" => "kind_reference_records",
        "case" => "kind_case",
        "person" => "kind_person",
        "report" => "kind_report",
        "consultations" => "kind_consultations",
        other => return other.to_string(),
    };
    t(lang, key).to_string()
}

/// Read `r` in the reader's words.
pub(crate) fn row(lang: Lang, r: &waarborg_report::consultations::Read) -> Row {
    let mut records: Vec<&str> = r
        .records
        .iter()
        .take(SHOWN_RECORDS)
        .map(String::as_str)
        .collect();
    let more = r.records.len().saturating_sub(SHOWN_RECORDS);
    let more = (more > 0).then(|| format!("+{more}"));
    records.extend(more.as_deref());
    let purpose = match r.purpose.as_str() {
        "investigation" => t(lang, "purpose_investigation"),
        "verification" => t(lang, "purpose_verification"),
        "oversight" => t(lang, "purpose_oversight"),
        "reference_management" => t(lang, "purpose_reference_management"),
        "data_subject_rights" => t(lang, "purpose_data_subject_rights"),
        other => other,
    };
    let why = match &r.case {
        Some(case) => format!("{purpose} — {} {case}", t(lang, "case")),
        None => purpose.to_string(),
    };
    let when = waarborg_govern::Timestamp::parse(&r.time)
        .map_or_else(|_| r.time.clone(), |at| crate::i18n::date_time(lang, at));
    let role = waarborg_govern::Role::parse(&r.role)
        .map_or(r.role.as_str(), |role| crate::i18n::role_name(lang, role));
    Row {
        when,
        who: format!("{} ({role}, {})", r.user, r.unit),
        what: kind_text(lang, &r.record_kind),
        records: records.join(", "),
        why,
        flags: r
            .flags
            .iter()
            .map(|f| match *f {
                "no_case" => t(lang, "flag_no_case"),
                _ => t(lang, "flag_many_subjects"),
            })
            .collect(),
    }
}
