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
use crate::ui::{esc, form_answer, lang_of, page, problem_page, LangQuery};
use crate::AppState;

type Result<T> = std::result::Result<T, Problem>;

/// `GET /api/refdb`: size, plan (a page), flags, imports.
pub async fn summary(
    State(state): State<Arc<AppState>>,
    Query(paging): Query<Paging>,
) -> Result<Json<api::RefdbSummary>> {
    let asked = paging.clone();
    let o = crate::blocking(&state, move |app| reference::overview(app, &asked)).await?;
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
    Query(paging): Query<Paging>,
) -> Result<Json<api::ReferencePage>> {
    let (records, next_after) =
        crate::blocking(&state, move |app| reference::records(app, &paging)).await?;
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

/// A table; with no rows, one row that says `empty`.
fn table(head: &[&str], rows: String, empty: &str) -> String {
    let rows = if rows.is_empty() {
        format!("<tr><td colspan=\"{}\">{empty}</td></tr>", head.len())
    } else {
        rows
    };
    let head: String = head
        .iter()
        .map(|h| format!("<th scope=\"col\">{h}</th>"))
        .collect();
    format!("<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
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
    let o = match crate::blocking(&state, move |app| reference::overview(app, &asked)).await {
        Ok(o) => o,
        Err(problem) => return problem_page(lang, Some(&p), &problem),
    };
    let limit = paging.limit();
    let databases: String = o
        .databases
        .iter()
        .map(|(db, n)| format!("{}: {n}", esc(db)))
        .collect::<Vec<_>>()
        .join(", ");
    let size = format!(
        "<section><h2>{}</h2><dl><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd></dl></section>",
        t(lang, "refdb_size"),
        t(lang, "refdb_records"),
        o.references,
        t(lang, "refdb_templates"),
        if databases.is_empty() { "—".to_string() } else { databases },
        t(lang, "refdb_awaiting_compaction"),
        o.awaiting_compaction
    );
    let plan_rows: String = o
        .plan
        .iter()
        .map(|i| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                i.id,
                esc(&i.due.rule),
                esc(&i.due.reason),
                crate::i18n::date(lang, i.due.since)
            )
        })
        .collect();
    let mut plan_nav = Vec::new();
    if paging.plan_offset > 0 {
        plan_nav.push(format!(
            "<a href=\"/ui/refdb?plan_offset={}&amp;after={}\">{}</a>",
            paging.plan_offset.saturating_sub(limit),
            paging.after,
            t(lang, "previous_page")
        ));
    }
    if paging.plan_offset + o.plan.len() < o.due {
        plan_nav.push(format!(
            "<a href=\"/ui/refdb?plan_offset={}&amp;after={}\">{}</a>",
            paging.plan_offset + limit,
            paging.after,
            t(lang, "next_page")
        ));
    }
    let plan = format!(
        "<section id=\"plan\"><h2>{}</h2><p>{}</p><p><strong>{}</strong>: {}{}</p>{}<p>{}</p></section>",
        t(lang, "retention_plan"),
        t(lang, "retention_plan_note"),
        t(lang, "due_now"),
        o.due,
        if o.due > 0 {
            format!(
                " ({}–{})",
                (paging.plan_offset + 1).min(o.due),
                paging.plan_offset + o.plan.len()
            )
        } else {
            String::new()
        },
        table(
            &[
                t(lang, "reference_image"),
                t(lang, "rule"),
                t(lang, "reason"),
                t(lang, "due_since"),
            ],
            plan_rows,
            t(lang, "nothing_due")
        ),
        plan_nav.join(" · ")
    );
    let can_clear = p.role == Role::ReferenceDatabaseManager;
    let flag_rows: String = o
        .flags
        .iter()
        .filter_map(|r| r.duplicate.as_ref().map(|d| (r, d)))
        .map(|(r, d)| {
            let form = if can_clear {
                format!(
                    "<form method=\"post\" action=\"/ui/refdb/references/{id}/clear-flag?csrf={csrf}\"><label for=\"reason-{id}\">{label}</label><input id=\"reason-{id}\" name=\"reason\" required><button>{clear}</button></form>",
                    id = r.id,
                    csrf = esc(&p.csrf),
                    label = t(lang, "review_finding"),
                    clear = t(lang, "clear_flag")
                )
            } else {
                String::new()
            };
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.3}</td><td>{form}</td></tr>",
                r.id,
                esc(&r.provenance.person),
                d.reference,
                esc(&d.person),
                d.score
            )
        })
        .collect();
    let flags = format!(
        "<section id=\"flags\"><h2>{}</h2><p>{}</p>{}</section>",
        t(lang, "duplicate_flags"),
        t(lang, "duplicate_flags_note"),
        table(
            &[
                t(lang, "reference_image"),
                t(lang, "person"),
                t(lang, "similar_to"),
                t(lang, "other_person"),
                t(lang, "score"),
                t(lang, "review"),
            ],
            flag_rows,
            t(lang, "no_flags")
        )
    );
    let import_rows: String = o
        .imports
        .iter()
        .map(|i| {
            format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&i.import[..i.import.len().min(16)]),
                i.rows,
                i.accepted,
                i.rejected,
                i.erased
            )
        })
        .collect();
    let imports = format!(
        "<section id=\"imports\"><h2>{}</h2>{}</section>",
        t(lang, "imports"),
        table(
            &[
                t(lang, "manifest_sha256"),
                t(lang, "rows"),
                t(lang, "accepted"),
                t(lang, "rejected"),
                t(lang, "erased"),
            ],
            import_rows,
            t(lang, "no_imports")
        )
    );
    let record_rows: String = o
        .records
        .iter()
        .map(|r| {
            let prov = &r.provenance;
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                r.id,
                esc(&r.database),
                esc(prov.source_kind.as_str()),
                esc(&prov.person),
                esc(&prov.offence),
                esc(&prov.captured_at.to_string()),
                esc(&prov.capturing_unit),
                esc(&r.enrolled_at.to_string())
            )
        })
        .collect();
    let mut record_nav = Vec::new();
    if paging.after > 0 {
        record_nav.push(format!(
            "<a href=\"/ui/refdb?plan_offset={}#records\">{}</a>",
            paging.plan_offset,
            t(lang, "first_page")
        ));
    }
    if let (true, Some(last)) = (o.records.len() == limit, o.records.last()) {
        record_nav.push(format!(
            "<a href=\"/ui/refdb?plan_offset={}&amp;after={}#records\">{}</a>",
            paging.plan_offset,
            last.id,
            t(lang, "next_page")
        ));
    }
    let records = format!(
        "<section id=\"records\"><h2>{}</h2>{}<p>{}</p></section>",
        t(lang, "refdb_records"),
        table(
            &[
                t(lang, "reference_image"),
                t(lang, "database"),
                t(lang, "source_kind"),
                t(lang, "person"),
                t(lang, "offence"),
                t(lang, "captured"),
                t(lang, "capturing_unit"),
                t(lang, "enrolled"),
            ],
            record_rows,
            t(lang, "no_records")
        ),
        record_nav.join(" · ")
    );
    let body = format!("{size}{plan}{flags}{imports}{records}");
    page(lang, t(lang, "reference_database"), Some(&p), &body)
}
