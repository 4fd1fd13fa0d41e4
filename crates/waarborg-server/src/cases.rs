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
use waarborg_govern::case::{CaseAuthorisation, CaseStatus};
use waarborg_govern::revision::State as RevisionState;
use waarborg_govern::Role;
use waarborg_store::Store;

pub use waarborg_app::cases::*;

use crate::auth::Principal;
use crate::i18n::{t, Lang};
use crate::problem::Problem;
use crate::ui::{esc, form_answer, lang_of, outcome_text, LangQuery};
use crate::AppState;

type Result<T> = std::result::Result<T, Problem>;

fn status_text(lang: Lang, status: CaseStatus) -> String {
    match status {
        CaseStatus::Authorised => {
            format!("<span class=\"ok\">{}</span>", t(lang, "case_authorised"))
        }
        CaseStatus::UrgentPending { deadline } => {
            format!(
                "{} {}",
                t(lang, "case_urgent_until"),
                crate::i18n::date_time(lang, deadline)
            )
        }
        CaseStatus::Pending => t(lang, "case_pending").to_string(),
        CaseStatus::Refused => format!("<span class=\"bad\">{}</span>", t(lang, "case_refused")),
        CaseStatus::Late => format!("<span class=\"bad\">{}</span>", t(lang, "case_late")),
    }
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
    crate::ui::page_or_problem(lang, t(lang, "cases"), &p, render(&state, &p, lang))
}

fn render(state: &AppState, p: &Principal, lang: Lang) -> Result<String> {
    let now = state.now();
    let deployments = state.store.deployments()?;
    let urgent_allowed = |id: &str| {
        deployments
            .iter()
            .find(|d| d.id == id)
            .is_some_and(allows_urgent_use)
    };
    let searches = crate::search::all_searches(state)?;
    let csrf = esc(&p.csrf);
    let cases: Vec<CaseAuthorisation> = state
        .store
        .cases()?
        .into_iter()
        .filter(|c| p.role == Role::CompetentAuthority || c.requested_by == p.account.user)
        .collect();
    let rows: String = cases
        .iter()
        .map(|c| {
            let outcomes: Vec<String> = searches
                .iter()
                .filter(|s| s.case_number == c.case_number)
                .map(|s| match &s.identification {
                    Some(i) if i.outcome.is_some() => esc(&outcome_text(lang, i.outcome.as_ref())),
                    _ => format!("{} ({})", t(lang, "search_in_progress"), esc(&s.stage)),
                })
                .collect();
            let decision = match &c.decision {
                Some(d) => format!("{} — {}", esc(&d.by), esc(&d.reason)),
                None if p.role == Role::CompetentAuthority && c.requested_by != p.account.user => format!(
                    "<form method=\"post\" action=\"/ui/cases/{n}/decision?csrf={csrf}\"><label for=\"reason-{n}\">{reasons}</label><input id=\"reason-{n}\" name=\"reason\" required><button name=\"decision\" value=\"grant\">{grant}</button> <button name=\"decision\" value=\"refuse\">{refuse}</button></form>",
                    n = esc(&c.case_number),
                    reasons = t(lang, "reasons"),
                    grant = t(lang, "grant"),
                    refuse = t(lang, "refuse"),
                ),
                None => "—".to_string(),
            };
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}<br><small>{} · {} {}</small></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&c.case_number),
                esc(&c.deployment),
                esc(&c.offence),
                esc(&c.offence_category),
                c.max_sentence_years,
                t(lang, "years_maximum"),
                status_text(lang, c.status(urgent_allowed(&c.deployment), now)),
                decision,
                if outcomes.is_empty() { "—".to_string() } else { outcomes.join("<br>") }
            )
        })
        .collect();
    let rows = if rows.is_empty() {
        format!("<tr><td colspan=\"6\">{}</td></tr>", t(lang, "no_cases"))
    } else {
        rows
    };
    let mut body = format!(
        "<p class=\"note\">{}</p><table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>{rows}</tbody></table>",
        t(lang, "cases_note"),
        t(lang, "case"),
        t(lang, "deployment"),
        t(lang, "offence"),
        t(lang, "state"),
        t(lang, "authority_decision"),
        t(lang, "outcome"),
    );
    if p.role == Role::Requester {
        let options: String = deployments
            .iter()
            .filter(|d| {
                d.revisions
                    .last()
                    .is_some_and(|r| r.effective_state(now) == RevisionState::Active)
            })
            .map(|d| {
                format!(
                    "<option value=\"{0}\">{1} ({0})</option>",
                    esc(&d.id),
                    esc(&d.name)
                )
            })
            .collect();
        body.push_str(&format!(
            "<form class=\"card\" id=\"request\" method=\"post\" action=\"/ui/cases?csrf={csrf}\"><h2>{title}</h2><label for=\"case_number\">{case}</label><input id=\"case_number\" name=\"case_number\" required><label for=\"deployment\">{deployment}</label><select id=\"deployment\" name=\"deployment\">{options}</select><label for=\"offence\">{offence}</label><input id=\"offence\" name=\"offence\" required><label for=\"offence_category\">{category}</label><input id=\"offence_category\" name=\"offence_category\" required><label for=\"max_sentence_years\">{sentence}</label><input id=\"max_sentence_years\" name=\"max_sentence_years\" type=\"number\" min=\"0\" max=\"99\" required><label for=\"authority\">{authority}</label><select id=\"authority\" name=\"authority\"><option value=\"public_prosecutor\">{prosecutor}</option><option value=\"investigating_judge\">{judge}</option></select><p><input id=\"urgent\" name=\"urgent\" type=\"checkbox\"> <label for=\"urgent\" style=\"display:inline\">{urgent}</label></p><p><button>{submit}</button></p></form>",
            title = t(lang, "request_search"),
            case = t(lang, "case"),
            deployment = t(lang, "deployment"),
            offence = t(lang, "offence"),
            category = t(lang, "offence_category"),
            sentence = t(lang, "max_sentence"),
            authority = t(lang, "competent_authority"),
            prosecutor = t(lang, "public_prosecutor"),
            judge = t(lang, "investigating_judge"),
            urgent = t(lang, "urgent_use"),
            submit = t(lang, "request"),
        ));
    }
    Ok(body)
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
