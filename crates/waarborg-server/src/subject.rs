//! The data subject, as the privacy officer answers them: a person looked up by the
//! reference database's person id, and the decisions their rights call for
//! (`waarborg_app::subject`). Every look-up and decision is logged by the use case.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::{Extension, Form};
use serde::Deserialize;
use waarborg_app::subject::{self, DecisionForm, PersonView};

use crate::auth::Principal;
use crate::i18n::{date, date_time, t, Lang};
use crate::ui::{form_answer, lang_of, problem_page, render, LangQuery, Layout};
use crate::AppState;

/// `?person=` (and the page's language).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PersonQuery {
    /// The reference database's person id.
    pub person: Option<String>,
    /// The page's language.
    pub lang: Option<String>,
}

/// One image of the person.
struct ImageRow {
    id: u64,
    database: String,
    source: String,
    offence: String,
    captured: String,
    kept: String,
}

/// The page (`templates/persons.html`).
#[derive(askama::Template)]
#[template(path = "persons.html")]
struct PersonsPage {
    layout: Layout,
    person: String,
    found: Option<Found>,
}

/// A person found.
struct Found {
    person: String,
    images: Vec<ImageRow>,
    restriction: Option<String>,
    deferral: Option<String>,
    events: Vec<String>,
    /// (search, case, reference, rank, identified)
    appearances: Vec<(String, String, u64, usize, bool)>,
    consultations: Vec<crate::consultations::Row>,
}

/// `GET /ui/persons[?person=P]`: the look-up form, and the person asked for.
pub async fn view(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(q): Query<PersonQuery>,
) -> Response {
    let lang = lang_of(
        &headers,
        &LangQuery {
            lang: q.lang.clone(),
        },
    );
    crate::page_blocking(&state, move |state| {
        let person = q.person.clone().unwrap_or_default();
        let found = match person.trim() {
            "" => None,
            asked => match subject::lookup(state, &p.actor(), asked) {
                Ok(view) => Some(found(lang, view)),
                Err(e) => return problem_page(lang, Some(&p), &e.into()),
            },
        };
        render(
            lang,
            &PersonsPage {
                layout: Layout::new(lang, t(lang, "data_subjects"), Some(&p)),
                person,
                found,
            },
        )
    })
    .await
}

fn decision(lang: Lang, d: &Option<waarborg_govern::subject::PersonDecision>) -> Option<String> {
    d.as_ref()
        .map(|d| format!("{} — {}, {}", d.reason, d.by, date_time(lang, d.at)))
}

fn found(lang: Lang, v: PersonView) -> Found {
    let images = v
        .person
        .images
        .iter()
        .map(|r| {
            let kept = v.kept.iter().find(|k| k.reference == r.id);
            let kept = match kept {
                Some(waarborg_app::subject::Kept { due: Some(due), .. }) => {
                    format!("{} ({})", t(lang, "due_for_erasure"), due.rule)
                }
                Some(waarborg_app::subject::Kept {
                    until: Some((rule, until)),
                    ..
                }) => format!("{} {} ({rule})", t(lang, "kept_until"), date(lang, *until)),
                _ => t(lang, "due_for_erasure").to_string(),
            };
            ImageRow {
                id: r.id,
                database: r.database.clone(),
                source: r.provenance.source_kind.as_str().into(),
                offence: r.provenance.offence.clone(),
                captured: date(lang, r.provenance.captured_at),
                kept,
            }
        })
        .collect();
    Found {
        person: v.person.person.clone(),
        images,
        restriction: decision(lang, &v.person.restriction),
        deferral: decision(lang, &v.person.informing_deferred),
        events: v
            .person
            .events
            .iter()
            .map(|(e, at)| format!("{} {}", e.as_str(), date(lang, *at)))
            .collect(),
        appearances: v
            .appearances
            .iter()
            .map(|a| {
                (
                    a.search.clone(),
                    a.case.clone(),
                    a.reference,
                    a.rank,
                    a.identified,
                )
            })
            .collect(),
        consultations: v
            .consultations
            .reads
            .iter()
            .rev()
            .map(|r| crate::consultations::row(lang, r))
            .collect(),
    }
}

/// `POST /ui/persons/{person}/decisions` (form): restrict, lift, defer informing, erase.
pub async fn decide(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(person): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Response {
    let actor = p.actor();
    let back = format!(
        "/ui/persons?{}",
        serde_urlencoded::to_string([("person", &person)]).unwrap_or_default()
    );
    let done = crate::blocking(&state, move |app| {
        subject::decide_form(app, &actor, &person, &f)
    })
    .await;
    form_answer(&headers, &p, done, &back)
}

/// The explanation page (`templates/explanation.html`).
#[derive(askama::Template)]
#[template(path = "explanation.html")]
struct ExplanationPage {
    layout: Layout,
    e: subject::Explanation,
    searched_at: String,
    /// (who and which step, what, towards whom), in words.
    judgements: Vec<(String, String, String)>,
    outcome: Option<String>,
    finding: Option<String>,
    /// (reference image, rank, score), in words.
    on_the_list: Vec<(u64, usize, String)>,
}

fn towards_words(lang: Lang, t_: subject::Towards) -> &'static str {
    t(
        lang,
        match t_ {
            subject::Towards::ThisPerson => "towards_this_person",
            subject::Towards::AnotherCandidate => "towards_another_candidate",
            subject::Towards::NoCandidate => "towards_no_candidate",
        },
    )
}

/// `GET /ui/persons/{person}/searches/{search}`: the explanation of the system's part in
/// the search for the person (AI Act Art. 86), made by the privacy officer.
pub async fn explanation(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path((person, search)): Path<(String, String)>,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = lang_of(&headers, &q);
    crate::page_blocking(&state, move |state| {
        let e = match subject::explain(state, &p.actor(), &person, &search) {
            Ok(e) => e,
            Err(e) => return problem_page(lang, Some(&p), &e.into()),
        };
        let level = |key: &str| {
            e.scale
                .level(key)
                .map_or_else(|| key.to_string(), |l| l.text(lang.code()).to_string())
        };
        let judgements = e
            .judgements
            .iter()
            .map(|j| {
                (
                    format!("{} — {}", t(lang, &format!("explained_{}", j.step)), j.by),
                    match j.step {
                        "verdict" => t(lang, &j.level).to_string(),
                        _ => level(&j.level),
                    },
                    towards_words(lang, j.towards).to_string(),
                )
            })
            .collect();
        render(
            lang,
            &ExplanationPage {
                layout: Layout::new(
                    lang,
                    &format!("{} {}", t(lang, "explanation_title"), e.search),
                    Some(&p),
                ),
                searched_at: date_time(lang, e.searched_at),
                judgements,
                outcome: e.outcome.map(|o| {
                    t(
                        lang,
                        match o {
                            subject::Towards::ThisPerson => "outcome_this_person",
                            subject::Towards::AnotherCandidate => "outcome_another_candidate",
                            subject::Towards::NoCandidate => "outcome_no_candidate",
                        },
                    )
                    .to_string()
                }),
                on_the_list: e
                    .on_the_list
                    .iter()
                    .map(|(r, rank, score)| (*r, *rank, crate::ui::number(lang, *score, 3)))
                    .collect(),
                finding: e
                    .finding
                    .map(|f| t(lang, &format!("finding_{}", f.as_str())).to_string()),
                e,
            },
        )
    })
    .await
}

/// `GET /api/persons/{person}/searches/{search}/explanation`.
pub async fn explanation_json(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path((person, search)): Path<(String, String)>,
) -> Result<axum::Json<crate::api::ExplanationAnswer>, crate::problem::Problem> {
    let actor = p.actor();
    let explanation = crate::blocking(&state, move |app| {
        subject::explain(app, &actor, &person, &search)
    })
    .await?;
    Ok(axum::Json(crate::api::ExplanationAnswer { explanation }))
}
