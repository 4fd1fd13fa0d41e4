//! The reference-database manager's view, as JSON and as a page: the database's size, the
//! retention plan (what is due for erasure, by which rule, since when), possible duplicate
//! persons awaiting review (cleared with a reason, in the ledger), bulk imports in counts,
//! and the records page by page (keyset paging: as quick on page 50,000 as on page 1).
//!
//! Auditors and the privacy officer read all of it; only the manager clears flags.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::{Extension, Form, Json};
use serde_json::json;
use waarborg_app::reference::{self, ClearFlag, Paging};
use waarborg_govern::Role;
use waarborg_refdb::retention::PlanItem;

use crate::api;
use crate::auth::Principal;
use crate::i18n::t;
use crate::problem::Problem;
use crate::ui::{form_answer, lang_of, problem_page, LangQuery, Layout};
use crate::AppState;

type Result<T> = std::result::Result<T, Problem>;

/// `GET /api/refdb`: size, plan (a page), flags, imports.
pub async fn summary(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Query(paging): Query<Paging>,
) -> Result<Json<api::RefdbSummary>> {
    let asked = paging.clone();
    let actor = p.actor();
    let o = crate::blocking(&state, move |app| reference::overview(app, &actor, &asked)).await?;
    Ok(Json(api::RefdbSummary {
        references: o.references,
        databases: o.databases,
        awaiting_compaction: o.awaiting_compaction,
        retention_plan: json!({"due": o.due, "offset": paging.plan_offset, "items": o.plan.iter().map(PlanItem::to_json).collect::<Vec<_>>()}),
        flags: o.flags,
        imports: o.imports,
    }))
}

/// `GET /api/refdb/references`: records with ids above `after`, `limit` at a time.
pub async fn references(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Query(paging): Query<Paging>,
) -> Result<Json<api::ReferencePage>> {
    let actor = p.actor();
    let (records, next_after) =
        crate::blocking(&state, move |app| reference::records(app, &actor, &paging)).await?;
    Ok(Json(api::ReferencePage {
        records,
        next_after,
    }))
}

/// `POST /api/refdb/references/{id}/clear-flag`.
pub async fn clear_flag(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    json: std::result::Result<Json<ClearFlag>, JsonRejection>,
) -> Result<Json<api::FlagCleared>> {
    let b = crate::handlers::body(json)?;
    let actor = p.actor();
    let cleared = id.clone();
    crate::blocking(&state, move |app| {
        reference::clear_flag(app, &actor, &id, &b.reason)
    })
    .await?;
    Ok(Json(api::FlagCleared { cleared }))
}

/// `POST /ui/refdb/references/{id}/clear-flag` (form).
pub async fn clear_flag_form(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<ClearFlag>,
) -> Response {
    form_answer(
        &headers,
        &p,
        reference::clear_flag(&state, &p.actor(), &id, &f.reason),
        "/ui/refdb#flags",
    )
}

/// `GET /ui/refdb`: the manager's page.
pub async fn view(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(paging): Query<Paging>,
) -> Response {
    let lang = lang_of(
        &headers,
        &LangQuery {
            lang: paging.lang.clone(),
        },
    );
    let asked = paging.clone();
    let actor = p.actor();
    let o = match crate::blocking(&state, move |app| reference::overview(app, &actor, &asked)).await
    {
        Ok(o) => o,
        Err(problem) => return problem_page(lang, Some(&p), &problem),
    };
    let limit = paging.limit();
    let plan = o
        .plan
        .iter()
        .map(|i| {
            (
                i.id,
                i.due.rule.clone(),
                i.due.reason.clone(),
                crate::i18n::date(lang, i.due.since),
            )
        })
        .collect();
    let mut plan_nav = Vec::new();
    if paging.plan_offset > 0 {
        plan_nav.push((
            format!(
                "/ui/refdb?plan_offset={}&after={}",
                paging.plan_offset.saturating_sub(limit),
                paging.after
            ),
            "previous_page",
        ));
    }
    if paging.plan_offset + o.plan.len() < o.due {
        plan_nav.push((
            format!(
                "/ui/refdb?plan_offset={}&after={}",
                paging.plan_offset + limit,
                paging.after
            ),
            "next_page",
        ));
    }
    let flags = o
        .flags
        .iter()
        .filter_map(|r| {
            let d = r.duplicate.as_ref()?;
            Some(FlagRow {
                id: r.id,
                person: r.provenance.person.clone(),
                similar_to: d.reference,
                other_person: d.person.clone(),
                score: format!("{:.3}", d.score),
            })
        })
        .collect();
    let records = o
        .records
        .iter()
        .map(|r| RecordRow {
            id: r.id,
            database: r.database.clone(),
            source_kind: r.provenance.source_kind.as_str(),
            person: r.provenance.person.clone(),
            offence: r.provenance.offence.clone(),
            captured: crate::i18n::date(lang, r.provenance.captured_at),
            capturing_unit: r.provenance.capturing_unit.clone(),
            enrolled: crate::i18n::date_time(lang, r.enrolled_at),
        })
        .collect();
    let mut record_nav = Vec::new();
    if paging.after > 0 {
        record_nav.push((
            format!("/ui/refdb?plan_offset={}#records", paging.plan_offset),
            "first_page",
        ));
    }
    if let (true, Some(last)) = (o.records.len() == limit, o.records.last()) {
        record_nav.push((
            format!(
                "/ui/refdb?plan_offset={}&after={}#records",
                paging.plan_offset, last.id
            ),
            "next_page",
        ));
    }
    crate::ui::render(
        lang,
        &RefdbPage {
            layout: Layout::new(lang, t(lang, "reference_database"), Some(&p)),
            plan_first: (paging.plan_offset + 1).min(o.due),
            plan_last: paging.plan_offset + o.plan.len(),
            plan,
            plan_nav,
            can_clear: p.role == Role::ReferenceDatabaseManager,
            flags,
            records,
            record_nav,
            o,
        },
    )
}

/// The reference-database manager's page (`templates/refdb.html`).
#[derive(askama::Template)]
#[template(path = "refdb.html")]
struct RefdbPage {
    layout: Layout,
    o: reference::Overview,
    plan_first: usize,
    plan_last: usize,
    /// (reference image, rule, reason, due since).
    plan: Vec<(u64, String, String, String)>,
    /// (link, label key).
    plan_nav: Vec<(String, &'static str)>,
    can_clear: bool,
    flags: Vec<FlagRow>,
    records: Vec<RecordRow>,
    record_nav: Vec<(String, &'static str)>,
}

/// A possible duplicate person awaiting review.
struct FlagRow {
    id: u64,
    person: String,
    similar_to: u64,
    other_person: String,
    score: String,
}

/// One reference record.
struct RecordRow {
    id: u64,
    database: String,
    source_kind: &'static str,
    person: String,
    offence: String,
    captured: String,
    capturing_unit: String,
    enrolled: String,
}
