//! Proficiency tests over HTTP and on the coordinator's page: each translates one use case
//! of `waarborg_app::proficiency` (the rules, the engine and the ledger are there).

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Multipart, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use base64::Engine as _;
use serde::Deserialize;
use waarborg_app::proficiency::{self, Plant};

use crate::auth::Principal;
use crate::i18n::t;
use crate::problem::Problem;
use crate::ui::{lang_of, problem_page, render, LangQuery, Layout};
use crate::{api, AppState};

/// `POST /api/proficiency`: a known-answer case to plant.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PlantBody {
    /// The deployment whose active revision it runs under.
    pub deployment: String,
    /// The case number it shows (never a real case's).
    pub case_number: String,
    /// The examiner whose work it joins.
    pub examiner: String,
    /// The probe image, base64.
    pub probe_base64: String,
    /// The test gallery's images, base64 (2 to 50).
    pub gallery_base64: Vec<String>,
    /// Which gallery image (from 0) shows the probe's person; absent: none does.
    #[serde(default)]
    pub mated: Option<usize>,
}

fn decoded(what: &str, text: &str) -> Result<Vec<u8>, Problem> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| Problem::bad_request(format!("{what} is not base64: {e}")))
}

/// `POST /api/proficiency`.
pub async fn plant(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    body: Result<Json<PlantBody>, JsonRejection>,
) -> Result<Json<api::SearchAnswer>, Problem> {
    let b = crate::handlers::body(body)?;
    let plant = Plant {
        probe: decoded("the probe", &b.probe_base64)?,
        gallery: b
            .gallery_base64
            .iter()
            .enumerate()
            .map(|(i, g)| decoded(&format!("gallery image {}", i + 1), g))
            .collect::<Result<_, _>>()?,
        deployment: b.deployment,
        case_number: b.case_number,
        examiner: b.examiner,
        mated: b.mated,
    };
    let actor = p.actor();
    let search = crate::blocking(&state, move |app| proficiency::plant(app, &actor, plant)).await?;
    Ok(Json(api::SearchAnswer { search }))
}

/// `GET /api/proficiency`: the planted cases and every conclusion on them, scored.
pub async fn list(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> Result<Json<api::ProficiencyResults>, Problem> {
    let actor = p.actor();
    let (planted, scored) =
        crate::blocking(&state, move |app| proficiency::results(app, &actor)).await?;
    Ok(Json(api::ProficiencyResults {
        planted: planted.into_iter().map(|s| s.id).collect(),
        scored,
    }))
}

/// The page (`templates/proficiency.html`).
#[derive(askama::Template)]
#[template(path = "proficiency.html")]
struct ProficiencyPage {
    layout: Layout,
    /// (search, case, examiner, stage, truth in words).
    planted: Vec<(String, String, String, String, String)>,
    /// (search, person, step, score in words, score class).
    scored: Vec<(String, String, String, &'static str, &'static str)>,
    planting: bool,
}

/// `GET /ui/proficiency`.
pub async fn page(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    use waarborg_govern::proficiency::Score;
    let lang = lang_of(&headers, &q);
    crate::page_blocking(&state, move |state| {
        let (planted, scored) = match proficiency::results(state, &p.actor()) {
            Ok(r) => r,
            Err(e) => return problem_page(lang, Some(&p), &e.into()),
        };
        render(
            lang,
            &ProficiencyPage {
                layout: Layout::new(lang, t(lang, "proficiency_tests"), Some(&p)),
                planted: planted
                    .iter()
                    .map(|s| {
                        let truth = match s.proficiency.as_ref().and_then(|c| c.mated) {
                            Some(r) => format!("{} {r}", t(lang, "reference")),
                            None => t(lang, "no_identification").to_string(),
                        };
                        (
                            s.id.clone(),
                            s.case_number.clone(),
                            s.examiner.clone(),
                            crate::ui::search_stage(lang, s).to_string(),
                            truth,
                        )
                    })
                    .collect(),
                scored: scored
                    .iter()
                    .map(|x| {
                        let (key, class) = match x.score {
                            Score::Correct => ("score_correct", "ok"),
                            Score::FalseIdentification => ("score_false_identification", "bad"),
                            Score::Missed => ("score_missed", "bad"),
                            Score::Inconclusive => ("score_inconclusive", "warn"),
                        };
                        (
                            x.search.clone(),
                            x.person.clone(),
                            x.step.clone(),
                            t(lang, key),
                            class,
                        )
                    })
                    .collect(),
                planting: p.role == waarborg_govern::Role::Coordinator,
            },
        )
    })
    .await
}

/// `POST /ui/proficiency` (multipart): `probe`, `gallery` (several files), `deployment`,
/// `case_number`, `examiner`, `mated` (a gallery file's position from 1, or empty: none).
pub async fn form(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    let lang = lang_of(&headers, &LangQuery::default());
    let (mut fields, mut files) =
        match crate::ui::multipart_form(multipart, &["probe", "gallery"]).await {
            Ok(read) => read,
            Err(problem) => return problem_page(lang, Some(&p), &problem),
        };
    let mut images = |k: &str| -> Vec<Vec<u8>> {
        files
            .remove(k)
            .unwrap_or_default()
            .into_iter()
            .map(|(_, bytes)| bytes)
            .collect()
    };
    let (probe, gallery) = (images("probe").pop().unwrap_or_default(), images("gallery"));
    let mut field = |k: &str| fields.remove(k).unwrap_or_default();
    let mated = match field("mated").as_str() {
        "" | "none" => None,
        n => match n.parse::<usize>() {
            Ok(k) if k >= 1 => Some(k - 1),
            _ => {
                let bad = Problem::bad_request(format!(
                    "the mated image is a gallery file's position from 1, or none; {n:?} is neither"
                ));
                return problem_page(lang, Some(&p), &bad);
            }
        },
    };
    let plant = Plant {
        deployment: field("deployment"),
        case_number: field("case_number"),
        examiner: field("examiner"),
        probe,
        gallery,
        mated,
    };
    let actor = p.actor();
    let done = crate::blocking(&state, move |app| proficiency::plant(app, &actor, plant)).await;
    match done {
        Ok(_) => Redirect::to("/ui/proficiency").into_response(),
        Err(e) => problem_page(lang, Some(&p), &e),
    }
}
