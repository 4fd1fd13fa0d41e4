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
use serde::Deserialize;
use waarborg_govern::case::{AuthorityKind, CaseAuthorisation, CaseStatus};
use waarborg_govern::revision::State as RevisionState;
use waarborg_govern::{Role, Timestamp};
use waarborg_refdb::vault::Vault;
use waarborg_store::{SqliteStore, Store};

use crate::auth::Principal;
use crate::i18n::{t, Lang};
use crate::problem::Problem;
use crate::ui::{esc, form_answer, lang_of, outcome_text, LangQuery};
use crate::AppState;

type Result<T> = std::result::Result<T, Problem>;

/// A requester's request, as the form sends it.
#[derive(Debug, Deserialize)]
pub struct CaseRequest {
    case_number: String,
    deployment: String,
    offence: String,
    offence_category: String,
    max_sentence_years: u32,
    authority: String,
    /// Present (`on`) when urgent use is asked for.
    urgent: Option<String>,
}

/// Records a requester's request for a case authorisation from the form.
pub fn request(state: &AppState, p: &Principal, r: &CaseRequest) -> Result<()> {
    let authority = match r.authority.as_str() {
        "investigating_judge" => AuthorityKind::InvestigatingJudge,
        _ => AuthorityKind::PublicProsecutor,
    };
    let c = CaseAuthorisation::request(
        &p.actor(),
        r.case_number.trim(),
        r.deployment.trim(),
        r.offence.trim(),
        r.offence_category.trim(),
        r.max_sentence_years,
        authority,
        r.urgent.is_some(),
        Timestamp(state.now()),
    )?;
    record_request(&state.store, &state.ledger, &p.actor(), &c)
}

/// Records request `c` (made by `actor` with [`CaseAuthorisation::request`]) — the one path
/// for the web and the CLI: the deployment must exist and the case have no request yet;
/// the request is in the ledger before it is kept.
pub fn record_request(
    store: &dyn Store,
    ledger: &waarborg_ledger::Ledger,
    actor: &waarborg_govern::Actor,
    c: &CaseAuthorisation,
) -> Result<()> {
    if store.deployment(&c.deployment)?.is_none() {
        return Err(Problem::bad_request(format!(
            "no deployment {:?} in the register",
            c.deployment
        )));
    }
    if store.case(&c.case_number)?.is_some() {
        return Err(Problem::conflict(format!(
            "case {} already has a request",
            c.case_number
        )));
    }
    ledger
        .append(crate::case_entry(
            actor,
            "request_case_authorisation",
            c,
            &c.offence,
        ))
        .map_err(|e| Problem::internal(e.to_string()))?;
    store.create_case(c)?;
    Ok(())
}

/// The competent authority's decision, as the form sends it.
#[derive(Debug, Deserialize)]
pub struct CaseDecision {
    /// `grant` or `refuse`.
    decision: String,
    reason: String,
}

/// Records the competent authority's decision on case `number` from the form (reasons
/// required).
pub fn decide(state: &AppState, p: &Principal, number: &str, d: &CaseDecision) -> Result<()> {
    let granted = match d.decision.as_str() {
        "grant" => true,
        "refuse" => false,
        other => {
            return Err(Problem::bad_request(format!(
                "{other:?} is neither grant nor refuse"
            )))
        }
    };
    if d.reason.trim().is_empty() {
        return Err(Problem::bad_request(
            "a decision on a case needs its reasons",
        ));
    }
    let now = Timestamp(state.now());
    record_decision(
        &state.store,
        &state.ledger,
        &state.probes,
        &p.actor(),
        number,
        granted,
        d.reason.trim(),
        now,
    )
}

/// Records `actor`'s decision on case `number` — the one path for the web and the CLI: the
/// domain decides (competent authority only, once, never on their own request), the ledger
/// records it, the store keeps it if no one decided meanwhile; a refusal (or a late
/// authorisation of an urgent use) erases the results of the searches it does not cover.
#[allow(clippy::too_many_arguments)]
pub fn record_decision(
    store: &SqliteStore,
    ledger: &waarborg_ledger::Ledger,
    probes: &Vault,
    actor: &waarborg_govern::Actor,
    number: &str,
    granted: bool,
    reason: &str,
    now: Timestamp,
) -> Result<()> {
    let (mut c, version) = store
        .case(number)?
        .ok_or_else(|| Problem::not_found(format!("no case {number}")))?;
    c.decide(actor, granted, reason, now)?;
    let entry = crate::case_entry(
        actor,
        if granted {
            "grant_case_authorisation"
        } else {
            "refuse_case_authorisation"
        },
        &c,
        reason,
    );
    let mut log = || {
        ledger
            .append(entry.clone())
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    store.save_case(&c, version, &mut log)?;
    let urgent = urgent_use_allowed(store, &c.deployment)?;
    crate::search::erase_unauthorised(store, ledger, probes, &[(c, urgent)], now)?;
    Ok(())
}

fn urgent_use_allowed(store: &dyn Store, deployment: &str) -> Result<bool> {
    Ok(store
        .deployment(deployment)?
        .is_some_and(|(d, _)| allows_urgent_use(&d)))
}

/// Whether deployment `d` (its latest revision) allows urgent use.
fn allows_urgent_use(d: &waarborg_govern::revision::Deployment) -> bool {
    d.revisions
        .last()
        .is_some_and(|r| r.content.urgent_use_allowed)
}

/// Erases the results of searches that no authorisation covers any more: those of refused
/// cases, and of urgent uses whose 48 hours passed without an authorisation. Returns how
/// many searches were erased.
///
/// `deadlines_after: None` looks at every case (the service's run at start, which also
/// finishes an erasure a crash interrupted). `Some(t)` looks only at undecided urgent uses
/// whose deadline came after `t` — the service's run every few minutes, which so does not
/// read every search again for cases settled long ago (a decision erases at once).
pub fn erase_uncovered_searches(
    store: &SqliteStore,
    ledger: &waarborg_ledger::Ledger,
    probes: &Vault,
    now: Timestamp,
    deadlines_after: Option<Timestamp>,
) -> Result<usize> {
    let deployments = store.deployments()?;
    let recent = |c: &CaseAuthorisation| {
        deadlines_after.is_none_or(|t| c.urgent && c.decision.is_none() && c.deadline() > t)
    };
    let cases: Vec<(CaseAuthorisation, bool)> = store
        .cases()?
        .into_iter()
        .filter(recent)
        .map(|c| {
            let urgent = deployments
                .iter()
                .find(|d| d.id == c.deployment)
                .is_some_and(allows_urgent_use);
            (c, urgent)
        })
        .collect();
    crate::search::erase_unauthorised(store, ledger, probes, &cases, now)
}

fn status_text(lang: Lang, status: CaseStatus) -> String {
    match status {
        CaseStatus::Authorised => {
            format!("<span class=\"ok\">{}</span>", t(lang, "case_authorised"))
        }
        CaseStatus::UrgentPending { deadline } => {
            format!("{} {deadline}", t(lang, "case_urgent_until"))
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
    let now = Timestamp(state.now());
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
    form_answer(&headers, &p, request(&state, &p, &r), "/ui/cases")
}

/// `POST /ui/cases/{number}/decision` (form): the competent authority's decision.
pub async fn decide_form(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Form(d): Form<CaseDecision>,
) -> Response {
    form_answer(&headers, &p, decide(&state, &p, &number, &d), "/ui/cases")
}
