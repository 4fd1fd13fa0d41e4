//! The competence register over HTTP and on a page: each translates one use case of
//! `waarborg_app::competence` (the rules and the ledger are there).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::{Extension, Form, Json};
use waarborg_app::competence::{self, ChangeBody, Entry};
use waarborg_govern::competence::Subject;
use waarborg_govern::Role;

use crate::auth::Principal;
use crate::i18n::{date, role_name, t, Lang};
use crate::problem::Problem;
use crate::ui::{form_answer, lang_of, problem_page, render, LangQuery, Layout};
use crate::{api, AppState};

/// `GET /api/competence`.
pub async fn list(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> Result<Json<api::CompetenceRegister>, Problem> {
    let actor = p.actor();
    let people = crate::blocking(&state, move |app| competence::register(app, &actor)).await?;
    Ok(Json(api::CompetenceRegister { people }))
}

/// `POST /api/competence/{person}`.
pub async fn change(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path(person): Path<String>,
    body: Result<Json<ChangeBody>, JsonRejection>,
) -> Result<Json<api::CompetenceChanged>, Problem> {
    let b = crate::handlers::body(body)?;
    let actor = p.actor();
    let record = crate::blocking(&state, move |app| {
        competence::change(app, &actor, &person, &b)
    })
    .await?;
    Ok(Json(api::CompetenceChanged { record }))
}

/// One person on the page.
struct Row {
    person: String,
    unit: String,
    roles: String,
    /// Per subject: (subject in words, the latest qualification in words, its state class,
    /// its state in words).
    subjects: Vec<(&'static str, String, &'static str, &'static str)>,
    /// (role name, role key, deployment).
    authorisations: Vec<(&'static str, &'static str, String)>,
}

/// The page (`templates/competence.html`).
#[derive(askama::Template)]
#[template(path = "competence.html")]
struct CompetencePage {
    layout: Layout,
    rows: Vec<Row>,
    /// The competence administrator changes records; others read.
    editing: bool,
    notice_days: i64,
    expiring: usize,
}

fn row(lang: Lang, e: &Entry, now: waarborg_govern::Timestamp) -> Row {
    let subjects = Subject::ALL
        .into_iter()
        .map(|subject| {
            let latest = e.record.latest(subject, now);
            let name = t(lang, &format!("subject_{}", subject.as_str()));
            match latest {
                None => (name, String::new(), "bad", t(lang, "competence_missing")),
                Some(q) => {
                    let words = format!(
                        "{} — {} ({} – {})",
                        q.title,
                        q.issuer,
                        date(lang, q.obtained),
                        date(lang, q.expires)
                    );
                    let (class, state) = if q.expires <= now {
                        ("bad", t(lang, "competence_expired"))
                    } else if e.expiring.contains(q) {
                        ("warn", t(lang, "competence_expiring"))
                    } else {
                        ("ok", t(lang, "competence_current"))
                    };
                    (name, words, class, state)
                }
            }
        })
        .collect();
    Row {
        person: e.person.clone(),
        unit: e.unit.clone(),
        roles: e
            .roles
            .iter()
            .map(|r| role_name(lang, *r))
            .collect::<Vec<_>>()
            .join(", "),
        subjects,
        authorisations: e
            .record
            .authorisations
            .iter()
            .map(|a| {
                (
                    role_name(lang, a.role),
                    a.role.as_str(),
                    a.deployment.clone(),
                )
            })
            .collect(),
    }
}

/// `GET /ui/competence`.
pub async fn page(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = lang_of(&headers, &q);
    crate::page_blocking(&state, move |state| {
        let people = match competence::register(state, &p.actor()) {
            Ok(people) => people,
            Err(e) => return problem_page(lang, Some(&p), &e.into()),
        };
        let now = state.now();
        render(
            lang,
            &CompetencePage {
                layout: Layout::new(lang, t(lang, "competence_register"), Some(&p)),
                expiring: people.iter().filter(|e| !e.expiring.is_empty()).count(),
                rows: people.iter().map(|e| row(lang, e, now)).collect(),
                editing: p.role == Role::CompetenceAdministrator,
                notice_days: competence::EXPIRY_NOTICE_DAYS,
            },
        )
    })
    .await
}

/// `POST /ui/competence/{person}`: the form's fields as the API's change (`change` names
/// which: `qualify`, `authorise`, `withdraw`).
pub async fn form(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(person): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| f.get(k).cloned().unwrap_or_default();
    let body = match field("change").as_str() {
        "qualify" => ChangeBody::Qualify {
            subject: field("subject"),
            title: field("title"),
            issuer: field("issuer"),
            obtained: field("obtained"),
            expires: field("expires"),
        },
        "authorise" => ChangeBody::Authorise {
            role: field("role"),
            deployment: field("deployment"),
        },
        "withdraw" => ChangeBody::Withdraw {
            role: field("role"),
            deployment: field("deployment"),
        },
        other => {
            return form_answer(
                &headers,
                &p,
                Err(Problem::bad_request(format!(
                    "choose a change (qualify, authorise, withdraw); {other:?} is none"
                ))),
                "/ui/competence",
            )
        }
    };
    let actor = p.actor();
    let done = crate::blocking(&state, move |app| {
        competence::change(app, &actor, &person, &body).map(|_| ())
    })
    .await;
    form_answer(&headers, &p, done, "/ui/competence")
}
