//! The comparison view in the web interface (`templates/compare.html`): the probe face and
//! one candidate side by side at the same scale, their key points on demand, and the
//! feature-by-feature comparison form whose conclusion becomes the examiner's proposal or a
//! verifier's own conclusion. Everything it shows and records comes from
//! [`waarborg_app::compare`]; the script (`static/waarborg.js`) only adds zoom, pan,
//! overlay, wipe, flicker and keys — the page works without it.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::{Extension, Form};
use base64::Engine;
use waarborg_app::compare::{self, ComparedFace};
use waarborg_app::search::JudgingStep;
use waarborg_govern::comparison::FEATURES;

use crate::auth::Principal;
use crate::i18n::{t, Lang};
use crate::ui::{lang_of, path_segment, problem_page, render, search_step_to, LangQuery, Layout};
use crate::AppState;

/// One face of the pair, ready for the page.
struct FaceView {
    /// `data:image/jpeg;base64,…` (the read is logged once, with the page).
    src: String,
    width: u32,
    height: u32,
    /// Key points (x, y), when aligned.
    landmarks: Vec<(String, String)>,
    aligned: bool,
}

impl FaceView {
    fn of(f: &ComparedFace) -> FaceView {
        FaceView {
            src: format!(
                "data:image/jpeg;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(&f.jpeg)
            ),
            width: f.size[0],
            height: f.size[1],
            landmarks: f
                .landmarks
                .iter()
                .flatten()
                .map(|[x, y]| (format!("{x:.1}"), format!("{y:.1}")))
                .collect(),
            aligned: f.landmarks.is_some(),
        }
    }
}

/// The comparison form, for the one who may record a judgement now.
struct FormView {
    /// The button's message key.
    button: &'static str,
    /// (level key, its text).
    levels: Vec<(String, String)>,
    /// (feature key, its name).
    features: Vec<(&'static str, &'static str)>,
}

#[derive(askama::Template)]
#[template(path = "compare.html")]
struct ComparePage {
    layout: Layout,
    id: String,
    reference: u64,
    person: Option<String>,
    database: String,
    /// Absent when read blind.
    rank: Option<usize>,
    score: Option<String>,
    probe: FaceView,
    candidate: FaceView,
    previous: Option<u64>,
    next: Option<u64>,
    /// (label key, value) lines of the reference image's provenance.
    provenance: Vec<(&'static str, String)>,
    form: Option<FormView>,
}

/// `GET /ui/searches/{id}/compare/{reference}`.
pub async fn page(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path((id, reference)): Path<(String, String)>,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = lang_of(&headers, &q);
    crate::page_blocking(&state, move |state| {
        compare_page(state, &p, lang, &id, &reference)
    })
    .await
}

fn compare_page(
    state: &AppState,
    p: &Principal,
    lang: Lang,
    id: &str,
    reference: &str,
) -> Response {
    let actor = p.actor();
    let c = match compare::comparison(state, &actor, id, reference) {
        Ok(c) => c,
        Err(e) => return problem_page(lang, Some(p), &e.into()),
    };
    let blind = waarborg_app::search::blind(&actor, &c.search);
    let form = match c.step {
        Some(step) => {
            let scale = match waarborg_app::search::scale_of(state, &c.search) {
                Ok(scale) => scale,
                Err(e) => return problem_page(lang, Some(p), &e.into()),
            };
            Some(FormView {
                button: match step {
                    JudgingStep::Propose => "propose",
                    JudgingStep::OwnConclusion => "record_own_conclusion",
                },
                levels: scale
                    .levels
                    .iter()
                    .map(|l| (l.key.clone(), l.text(lang.code()).to_string()))
                    .collect(),
                features: FEATURES
                    .iter()
                    .map(|k| (*k, t(lang, &format!("feature_{k}"))))
                    .collect(),
            })
        }
        None => None,
    };
    let provenance = c
        .record
        .as_ref()
        .map(|r| crate::ui::provenance_lines(lang, r))
        .unwrap_or_default();
    render(
        lang,
        &ComparePage {
            layout: Layout::new(
                lang,
                &format!("{} {}", t(lang, "comparison_title"), c.candidate.reference),
                Some(p),
            ),
            id: c.search.id.clone(),
            reference: c.candidate.reference,
            person: c.record.as_ref().map(|r| r.provenance.person.clone()),
            database: c.candidate.database.clone(),
            rank: (!blind).then_some(c.candidate.rank),
            score: (!blind).then(|| crate::ui::number(lang, c.candidate.score, 3)),
            probe: FaceView::of(&c.probe),
            candidate: FaceView::of(&c.reference),
            previous: c.previous,
            next: c.next,
            provenance,
            form,
        },
    )
}

/// `POST /ui/searches/{id}/compare/{reference}`: the comparison form — every feature
/// marked, a level, reasons — recorded as the proposal or one's own conclusion.
pub async fn judge(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path((id, reference)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let lang = lang_of(&headers, &LangQuery::default());
    let step =
        move |app: &_, actor: &_, id: &str| compare::judge(app, actor, id, &reference, &fields);
    search_step_to(&state, &p, lang, &id, step, |s| {
        format!("/ui/searches/{}#proposal-made", path_segment(&s.id))
    })
    .await
}

/// A recorded comparison as a page shows it: a line that counts the marks, and each
/// feature's mark and note.
pub(crate) struct MarksView {
    pub(crate) summary: String,
    /// (feature, mark, note).
    pub(crate) marks: waarborg_report::case::Marks,
}

impl MarksView {
    pub(crate) fn of(lang: Lang, c: &waarborg_govern::comparison::FeatureComparison) -> MarksView {
        use waarborg_govern::comparison::Assessment;
        let count = |a: Assessment| c.count(a);
        MarksView {
            summary: format!(
                "{} {}: {} {}, {} {}, {} {}",
                t(lang, "compared_with_reference"),
                c.reference,
                count(Assessment::Similar),
                t(lang, "assessment_similar"),
                count(Assessment::Dissimilar),
                t(lang, "assessment_dissimilar"),
                count(Assessment::NotAssessable),
                t(lang, "assessment_not_assessable"),
            ),
            marks: c
                .features
                .iter()
                .map(|f| {
                    (
                        t(lang, &format!("feature_{}", f.feature)).to_string(),
                        t(lang, &format!("assessment_{}", f.assessment.as_str())).to_string(),
                        f.notes.clone(),
                    )
                })
                .collect(),
        }
    }
}
