//! Publication and accountability: the texts an organisation publishes about each use (the
//! algorithm register's fields and the EU database registration, in Dutch, kept with the
//! deployment), the organisation's own details, and the reports made from the ledger —
//! figures for any period, the AI Act's yearly report, the register export and the EU
//! registration data. One set of functions serves the JSON API, the oversight pages and the
//! CLI.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form, Json};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use waarborg_report::annual::{EuRegistration, EuRegistrationText};
use waarborg_report::{Period, Report};

pub use waarborg_app::publication::*;

use crate::api;
use crate::auth::Principal;
use crate::i18n::{t, Lang};
use crate::problem::Problem;
use crate::ui::{lang_of, problem_page, LangQuery, Layout};
use crate::AppState;

type Result<T> = std::result::Result<T, Problem>;

/// The published texts' fields as the web form shows them: (form name, label, long text).
const TEXT_FIELDS: &[(&str, &str, bool)] = &[
    ("name", "Naam", false),
    ("description_short", "Korte omschrijving", true),
    ("organization", "Organisatie", false),
    ("category", "Thema (kommagescheiden)", false),
    ("contact_email", "Contactgegevens", false),
    ("website", "Link naar publiekspagina", false),
    ("publication_category", "Publicatiecategorie", false),
    ("url", "Link naar bronregistratie", false),
    ("goal", "Doel en impact", true),
    ("proportionality", "Afwegingen", true),
    ("human_intervention", "Menselijke tussenkomst", true),
    ("risks", "Risicobeheer", true),
    ("lawful_basis", "Wettelijke basis", true),
    (
        "lawful_basis_grouping",
        "Verwijzingen wettelijke basis (per regel: titel | link)",
        true,
    ),
    ("process_index_url", "Link naar verwerkingsregister", false),
    (
        "impacttoetsen_grouping",
        "Verwijzingen impacttoetsen (per regel: titel | link)",
        true,
    ),
    ("impacttoetsen", "Toelichting op impacttoetsen", true),
    ("source_data", "Gegevens", true),
    (
        "source_data_grouping",
        "Verwijzingen gegevensbronnen (per regel: titel | link)",
        true,
    ),
    ("methods_and_models", "Technische werking", true),
    ("provider", "Leverancier", false),
    ("publiccode", "Link naar broncode", false),
    ("tags", "Zoektermen", false),
    (
        "eu_provider_entry_url",
        "EU-databank: link naar de registratie van de aanbieder (bijlage VIII C.3)",
        false,
    ),
    (
        "eu_fria_summary",
        "EU-databank: samenvatting grondrechtentoets (C.4)",
        true,
    ),
    (
        "eu_dpia_summary",
        "EU-databank: samenvatting DPIA (C.5)",
        true,
    ),
];

/// The texts as form values, and back: JSON keys map one to one, lists are written one
/// item per line (themes comma-separated), links as `title | link`.
fn form_values(p: &Publication) -> Vec<(&'static str, String)> {
    let register = serde_json::to_value(&p.register).unwrap_or_default();
    let links = |v: &Value| {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|l| {
                        format!(
                            "{} | {}",
                            l["title"].as_str().unwrap_or(""),
                            l["link"].as_str().unwrap_or("")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    };
    TEXT_FIELDS
        .iter()
        .map(|(key, _, _)| {
            let value = match *key {
                "category" => p.register.category.join(", "),
                "eu_provider_entry_url" => p.eu.provider_entry_url.clone(),
                "eu_fria_summary" => p.eu.fria_summary.clone(),
                "eu_dpia_summary" => p.eu.dpia_summary.clone(),
                k if k.ends_with("_grouping") => links(&register[k]),
                k => register[k].as_str().unwrap_or_default().to_string(),
            };
            (*key, value)
        })
        .collect()
}

fn from_form(fields: &[(String, String)]) -> Result<Publication> {
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
            .trim()
            .to_string()
    };
    let mut register = serde_json::Map::new();
    for (key, label, _) in TEXT_FIELDS.iter().filter(|(k, _, _)| !k.starts_with("eu_")) {
        let value = get(key);
        let json = match *key {
            "category" => json!(value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()),
            k if k.ends_with("_grouping") => {
                let mut links = Vec::new();
                for line in value.lines().map(str::trim).filter(|l| !l.is_empty()) {
                    let (title, link) = line.split_once('|').ok_or_else(|| {
                        Problem::bad_request(format!(
                            "{label}: write each as `title | link`, not {line:?}"
                        ))
                    })?;
                    links.push(json!({"title": title.trim(), "link": link.trim()}));
                }
                json!(links)
            }
            _ => json!(value),
        };
        register.insert(key.to_string(), json);
    }
    Ok(Publication {
        register: serde_json::from_value(Value::Object(register))
            .map_err(|e| Problem::bad_request(e.to_string()))?,
        eu: EuRegistrationText {
            provider_entry_url: get("eu_provider_entry_url"),
            fria_summary: get("eu_fria_summary"),
            dpia_summary: get("eu_dpia_summary"),
        },
    })
}

/// The deployment page's section on its published texts: what the register and the EU
/// database would still refuse, and (for an applicant or the privacy officer) the form.
pub fn texts_section(state: &AppState, p: &Principal, lang: Lang, id: &str) -> Result<String> {
    let (text, version) = publication(&state.store, id)?;
    let (d, _) = waarborg_app::register::deployment(state, id)?;
    let facts = use_facts(&d, state.now());
    let problems = refused(
        &waarborg_report::register::registration(&text.register, &facts),
        None::<&std::result::Result<EuRegistration, _>>,
    );
    let fields = PUBLICATION_WRITERS.contains(&p.role).then(|| {
        form_values(&text)
            .into_iter()
            .zip(TEXT_FIELDS)
            .map(|((key, value), (_, label, long))| (key, *label, value, *long))
            .collect()
    });
    let section = TextsSection {
        layout: Layout::new(lang, "", Some(p)),
        id: id.to_string(),
        version,
        problems,
        fields,
    };
    askama::Template::render(&section)
        .map_err(|e| Problem::internal(format!("the texts section could not be made: {e}")))
}

/// A deployment's published texts, and the form to write them (`templates/texts.html`).
#[derive(askama::Template)]
#[template(path = "texts.html")]
struct TextsSection {
    layout: Layout,
    id: String,
    version: u64,
    /// What the register would still refuse.
    problems: Vec<String>,
    /// For a writer: (key, Dutch label, value, long text).
    fields: Option<Vec<(&'static str, &'static str, String, bool)>>,
}

/// `POST /ui/deployments/{id}/publication` (form).
pub async fn texts_form(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let version = fields
        .iter()
        .find(|(k, _)| k == "version")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let to = format!("/ui/deployments/{id}#texts");
    let done = match from_form(&fields) {
        Ok(text) => {
            let actor = p.actor();
            crate::blocking(&state, move |app| {
                save_publication(app, &actor, &id, &text, version).map(|_| ())
            })
            .await
        }
        Err(problem) => Err(problem),
    };
    crate::ui::form_answer(&headers, &p, done, &to)
}

// ---- HTTP ----

/// `GET /api/deployments/{id}/publication`.
pub async fn get_publication(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<api::VersionedPublication>> {
    let (publication, version) = crate::blocking(&state, move |app| {
        waarborg_app::publication::publication(&app.store, &id)
    })
    .await?;
    Ok(Json(api::VersionedPublication {
        version,
        publication,
    }))
}

/// `POST /api/deployments/{id}/publication`: `{"version": N, "publication": {...}}`.
pub async fn post_publication(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    body: std::result::Result<
        Json<api::PublicationChange>,
        axum::extract::rejection::JsonRejection,
    >,
) -> Result<Json<api::Written>> {
    let Json(b) = body.map_err(|e| Problem::bad_request(e.body_text()))?;
    let actor = p.actor();
    let version = crate::blocking(&state, move |app| {
        save_publication(app, &actor, &id, &b.publication, b.version)
    })
    .await?;
    Ok(Json(api::Written { version }))
}

/// `GET /api/organisation`.
pub async fn get_organisation(
    State(state): State<Arc<AppState>>,
) -> Result<Json<api::VersionedOrganisation>> {
    let (organisation, version) = crate::blocking(&state, |app| {
        waarborg_app::publication::organisation(&app.store)
    })
    .await?;
    Ok(Json(api::VersionedOrganisation {
        version,
        organisation,
    }))
}

/// `POST /api/organisation`.
pub async fn post_organisation(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    body: std::result::Result<
        Json<api::OrganisationChange>,
        axum::extract::rejection::JsonRejection,
    >,
) -> Result<Json<api::Written>> {
    let Json(b) = body.map_err(|e| Problem::bad_request(e.body_text()))?;
    let actor = p.actor();
    let version = crate::blocking(&state, move |app| {
        save_organisation(app, &actor, &b.organisation, b.version)
    })
    .await?;
    Ok(Json(api::Written { version }))
}

/// What a report download asks for.
#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    year: Option<i32>,
    format: Option<String>,
    lang: Option<String>,
}

fn attachment(ctype: &str, name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, ctype.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

fn html_inline(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

/// The page itself, or (`format=pdf`) the page printed by headless Chromium; without a
/// Chromium on the server, a 503 that says what to install.
pub(crate) fn page_or_pdf(html: String, format: &str, name: &str) -> Result<Response> {
    if format != "pdf" {
        return Ok(html_inline(html));
    }
    let file = std::env::temp_dir().join(format!("waarborg-{}-{name}", std::process::id()));
    let printed = waarborg_report::pdf::print(&html, &file).and_then(|()| {
        std::fs::read(&file).map_err(|e| waarborg_report::ReportError::Pdf(e.to_string()))
    });
    let _ = std::fs::remove_file(&file);
    let bytes = printed.map_err(|e| {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "pdf_unavailable",
            e.to_string(),
        )
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

fn to_json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string_pretty(v).map_err(|e| Problem::internal(e.to_string()))
}

/// Makes report `kind` (`figures`, `annual`, `register`, `eu-registration`) as asked.
pub fn make_report(state: &AppState, kind: &str, q: &ReportQuery, lang: Lang) -> Result<Response> {
    let now = state.now();
    let format = q.format.as_deref().unwrap_or("html");
    let this_year: i32 = year_of(now);
    match (kind, format) {
        (k @ ("figures" | "framework"), f @ ("html" | "json" | "pdf")) => {
            let period = Period::new(
                q.from.as_deref().unwrap_or_default(),
                q.to.as_deref().unwrap_or_default(),
            )
            .map_err(report_problem)?;
            let report = figures(state.ledger.dir(), &period)?;
            let name = format!("{k}-{}-{}", period.from, period.to);
            if f == "json" {
                return Ok(attachment("application/json", &format!("{name}.json"), to_json(&report)?));
            }
            let render = if k == "figures" {
                waarborg_report::html::render
            } else {
                waarborg_report::html::render_framework
            };
            page_or_pdf(render(&report, lang), f, &format!("{name}.pdf"))
        }
        ("annual", f @ ("html" | "json" | "pdf")) => {
            let year = q.year.unwrap_or(this_year - 1);
            let report = annual(&state.store, state.ledger.dir(), year, now)?;
            let name = format!("ai-act-yearly-report-{year}");
            if f == "json" {
                return Ok(attachment("application/json", &format!("{name}.json"), to_json(&report)?));
            }
            page_or_pdf(waarborg_report::html::render_annual(&report, lang), f, &format!("{name}.pdf"))
        }
        ("register", f @ ("json" | "csv")) => {
            let regs = all_valid(registrations(&state.store, now)?)?;
            Ok(if f == "json" {
                attachment("application/json", "algoritmeregister.json", to_json(&regs)?)
            } else {
                let csv = waarborg_report::register::to_csv(&regs).map_err(|e| Problem::internal(e.to_string()))?;
                attachment("text/csv; charset=utf-8", "algoritmeregister.csv", csv)
            })
        }
        ("eu-registration", "json") => {
            let regs = all_valid(eu_registrations(&state.store, now)?)?;
            Ok(attachment("application/json", "eu-database-registration.json", to_json(&regs)?))
        }
        _ => Err(Problem::bad_request(format!(
            "no report {kind:?} as {format:?}: figures, framework, annual (html, json, pdf), register (json, csv), eu-registration (json)"
        ))),
    }
}

/// `GET /ui/reports/{kind}`: a report, made now from the verified ledger, to read or
/// download.
pub async fn download(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(kind): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Response {
    let lang = lang_of(
        &headers,
        &LangQuery {
            lang: q.lang.clone(),
        },
    );
    // A report reads (and may print) the whole ledger: on the blocking pool.
    crate::page_blocking(&state, move |state| {
        // Made, then its download in the ledger before it is answered (LED art. 25: a
        // report or export is a disclosure of police data, if only of figures).
        let made = make_report(state, &kind, &q, lang).and_then(|r| {
            let read = waarborg_app::consult::Read::of("report", vec![format!("report:{kind}")]);
            waarborg_app::consult::log(state, &p.actor(), read)?;
            Ok(r)
        });
        match made {
            Ok(r) => r,
            Err(problem) => problem_page(lang, Some(&p), &problem),
        }
    })
    .await
}

/// Recomputes `report` (a figures report or a yearly report, as JSON) from the ledger.
pub fn verify_report(
    ledger: &std::path::Path,
    text: &str,
) -> Result<Vec<waarborg_report::Mismatch>> {
    let report = Report::from_json(text).map_err(|e| Problem::bad_request(e.to_string()))?;
    Ok(waarborg_app::publication::verify_report(ledger, &report)?)
}

/// `POST /api/reports/verify` (the report as the body).
pub async fn verify_api(
    State(state): State<Arc<AppState>>,
    body: String,
) -> Result<Json<api::ReportChecked>> {
    // A whole-ledger check the caller asked for: on the blocking pool.
    let dir = state.ledger.dir().to_path_buf();
    let mismatches = crate::pool(move || verify_report(&dir, &body)).await??;
    Ok(Json(api::ReportChecked {
        matches: mismatches.is_empty(),
        mismatches,
    }))
}

/// The verify form.
#[derive(Debug, Deserialize)]
pub struct VerifyForm {
    report: String,
}

/// `POST /ui/reports/verify`.
pub async fn verify_form(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Form(f): Form<VerifyForm>,
) -> Response {
    let lang = lang_of(&headers, &LangQuery::default());
    let dir = state.ledger.dir().to_path_buf();
    let checked = crate::pool(move || verify_report(&dir, &f.report))
        .await
        .and_then(|checked| checked);
    match checked {
        Ok(mismatches) => {
            let differs = !mismatches.is_empty();
            let mut r = crate::ui::render(
                lang,
                &ReportChecked {
                    layout: Layout::new(lang, t(lang, "reports"), Some(&p)),
                    mismatches,
                },
            );
            if differs {
                *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            }
            r
        }
        Err(problem) => problem_page(lang, Some(&p), &problem),
    }
}

/// A report checked against the ledger (`templates/report_checked.html`).
#[derive(askama::Template)]
#[template(path = "report_checked.html")]
struct ReportChecked {
    layout: Layout,
    mismatches: Vec<waarborg_report::Mismatch>,
}

/// `GET /ui/reports`: the oversight page — make figures for a period, the yearly report,
/// the register export and the EU registration data; verify a report against the ledger;
/// and which published texts the register would still refuse.
pub async fn view(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = lang_of(&headers, &q);
    crate::page_blocking(&state, move |state| {
        let clocks = match crate::incidents::running_clocks(state, &p.actor(), lang) {
            Ok(c) => c,
            Err(e) => return problem_page(lang, Some(&p), &e.into()),
        };
        let (watched, alerts) = match crate::monitoring::view(state, lang) {
            Ok(m) => m,
            Err(e) => return problem_page(lang, Some(&p), &e.into()),
        };
        match checks(state) {
            Ok(checks) => crate::ui::render(
                lang,
                &ReportsPage {
                    layout: Layout::new(lang, t(lang, "reports"), Some(&p)),
                    year: year_of(state.now()),
                    checks,
                    clocks,
                    acknowledges: waarborg_app::monitoring::addressed(p.role),
                    watched,
                    alerts,
                },
            ),
            Err(problem) => problem_page(lang, Some(&p), &problem),
        }
    })
    .await
}

/// What the register and the EU database would still refuse of each use's texts.
fn checks(state: &AppState) -> Result<Vec<(String, Vec<String>)>> {
    let now = state.now();
    let eu = eu_registrations(&state.store, now)?;
    Ok(registrations(&state.store, now)?
        .into_iter()
        .map(|(id, c)| {
            let eu = eu.iter().find(|(d, _)| *d == id).map(|(_, c)| c);
            let problems = refused(&c, eu);
            (id, problems)
        })
        .collect())
}

/// The oversight page (`templates/reports.html`).
#[derive(askama::Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    layout: Layout,
    year: i32,
    /// Per deployment: what the register would refuse (empty: ready for export).
    checks: Vec<(String, Vec<String>)>,
    /// The serious incidents' deadlines still running.
    clocks: Vec<crate::incidents::RunningClock>,
    /// Whether the reader acknowledges monitoring alerts.
    acknowledges: bool,
    /// Each deployment's indicators, charted.
    watched: Vec<crate::monitoring::WatchedView>,
    /// The monitoring alerts raised.
    alerts: Vec<crate::monitoring::AlertRow>,
}
