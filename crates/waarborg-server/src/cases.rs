//! Case authorisations in the web interface. The requester (investigating officer) asks
//! for a search for a case under an active deployment and sees where the request stands and
//! what came of it — the outcome only, never the candidate list; the competent authority
//! sees every request and grants or refuses it with reasons (never their own). Each step is
//! a ledger entry, written before the change is kept.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::{Extension, Form};
use waarborg_govern::case::CaseStatus;
use waarborg_govern::revision::State as RevisionState;
use waarborg_govern::Role;

pub use waarborg_app::cases::*;

use crate::auth::Principal;
use crate::i18n::{t, Lang};
use crate::problem::Problem;
use crate::ui::{form_answer, lang_of, outcome_text, LangQuery};
use crate::AppState;

type Result<T> = std::result::Result<T, Problem>;

/// Where a case authorisation stands, as the page says it.
enum CaseState {
    Authorised,
    UrgentUntil(String),
    Pending,
    Refused,
    Late,
}

impl CaseState {
    fn of(lang: Lang, status: CaseStatus) -> CaseState {
        match status {
            CaseStatus::Authorised => CaseState::Authorised,
            CaseStatus::UrgentPending { deadline } => {
                CaseState::UrgentUntil(crate::i18n::date_time(lang, deadline))
            }
            CaseStatus::Pending => CaseState::Pending,
            CaseStatus::Refused => CaseState::Refused,
            CaseStatus::Late => CaseState::Late,
        }
    }
}

/// The authority's decision on a case: made (by whom, why), due from this reader, or not
/// theirs to make.
enum Decision {
    Made(String, String),
    Due,
    None,
}

/// One case on the page.
struct CaseRow {
    number: String,
    deployment: String,
    offence: String,
    category: String,
    max_sentence: u32,
    status: CaseState,
    decision: Decision,
    outcomes: Vec<String>,
    /// The legal hold, if one is set: (by, since, reason).
    hold: Option<(String, String, String)>,
    /// The reader may set or release the hold (the competent authority).
    hold_form: bool,
}

/// The cases page (`templates/cases.html`).
#[derive(askama::Template)]
#[template(path = "cases.html")]
struct CasesPage {
    layout: crate::ui::Layout,
    rows: Vec<CaseRow>,
    /// For a requester: the deployments in use a search can be asked under (id, name).
    request_form: Option<Named>,
}

/// `GET /ui/cases`: a requester's own requests with their outcomes and the request form;
/// for the competent authority, every request with a decision form where one is due.
pub async fn view(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = lang_of(&headers, &q);
    crate::page_blocking(&state, move |state| match rows(state, &p, lang) {
        Ok((rows, request_form)) => crate::ui::render(
            lang,
            &CasesPage {
                layout: crate::ui::Layout::new(lang, t(lang, "cases"), Some(&p)),
                rows,
                request_form,
            },
        ),
        Err(problem) => crate::ui::problem_page(lang, Some(&p), &problem),
    })
    .await
}

/// Deployments by (id, name).
type Named = Vec<(String, String)>;

/// The cases `p` may see, and (for a requester) the deployments a search can be asked under.
fn rows(state: &AppState, p: &Principal, lang: Lang) -> Result<(Vec<CaseRow>, Option<Named>)> {
    let now = state.now();
    let deployments = waarborg_app::register::deployments(state)?;
    let urgent_allowed = |id: &str| {
        deployments
            .iter()
            .find(|d| d.id == id)
            .is_some_and(allows_urgent_use)
    };
    let actor = p.actor();
    let rows = with_searches(state, &actor)?
        .into_iter()
        .map(|(c, searches)| {
            let outcomes = searches
                .iter()
                .map(|s| match &s.identification {
                    Some(i) if i.outcome.is_some() => outcome_text(lang, i.outcome.as_ref()),
                    _ => format!(
                        "{} ({})",
                        t(lang, "search_in_progress"),
                        crate::ui::search_stage(lang, s)
                    ),
                })
                .collect();
            let decision = match &c.decision {
                Some(d) => Decision::Made(d.by.clone(), d.reason.clone()),
                None if decision_due_from(&actor, &c) => Decision::Due,
                None => Decision::None,
            };
            CaseRow {
                hold: c.legal_hold.as_ref().map(|h| {
                    (
                        h.by.clone(),
                        crate::i18n::date_time(lang, h.at),
                        h.reason.clone(),
                    )
                }),
                hold_form: actor.role == Role::CompetentAuthority,
                status: CaseState::of(lang, c.status(urgent_allowed(&c.deployment), now)),
                number: c.case_number,
                deployment: c.deployment,
                offence: c.offence,
                category: c.offence_category,
                max_sentence: c.max_sentence_years,
                decision,
                outcomes,
            }
        })
        .collect();
    let request_form = (p.role == Role::Requester).then(|| {
        deployments
            .iter()
            .filter(|d| {
                d.revisions
                    .last()
                    .is_some_and(|r| r.effective_state(now) == RevisionState::Active)
            })
            .map(|d| (d.id.clone(), d.name.clone()))
            .collect()
    });
    Ok((rows, request_form))
}

/// `POST /ui/cases` (form): a requester's request.
pub async fn request_form(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Form(r): Form<CaseRequest>,
) -> Response {
    let actor = p.actor();
    let done = crate::blocking(&state, move |app| request(app, &actor, &r)).await;
    form_answer(&headers, &p, done, "/ui/cases")
}

/// `POST /ui/cases/{number}/legal-hold` (form): the competent authority sets or releases a
/// legal hold, with reasons.
pub async fn legal_hold_step(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Form(f): Form<LegalHoldStep>,
) -> Response {
    let actor = p.actor();
    let done = crate::blocking(&state, move |app| legal_hold_form(app, &actor, &number, &f)).await;
    form_answer(&headers, &p, done, "/ui/cases")
}

/// `POST /ui/cases/{number}/decision` (form): the competent authority's decision.
pub async fn decide_form(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Form(d): Form<CaseDecision>,
) -> Response {
    let actor = p.actor();
    let done = crate::blocking(&state, move |app| decide(app, &actor, &number, &d)).await;
    form_answer(&headers, &p, done, "/ui/cases")
}
