//! Governance of a deployment in the web interface: one page per deployment with its latest
//! revision, the framework's factors and preconditions with every committee member's
//! judgement, attestations, advice, the history of decisions (ratification, the competent
//! authority's decision, reviews), when the next review is due — and, for the governance
//! roles, the steps their role may take now, as forms. Every step goes through the same
//! [`decide`] as the JSON API: the domain checks it, the ledger records it, the store keeps
//! it only if it was based on the version the form was shown with.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use waarborg_govern::framework::{Establishment, Framework};
use waarborg_govern::revision::{AdviceOutcome, Command, Deployment, Judgement, Weighing};
use waarborg_govern::{Role, Timestamp};
use waarborg_store::Store;

use crate::auth::Principal;
use crate::i18n::{t, Lang};
use crate::problem::Problem;
use crate::ui::{esc, lang_of, page, problem_page, LangQuery};
use crate::AppState;

type Result<T> = std::result::Result<T, Problem>;

/// The framework a revision is reviewed under (the latest default before submission).
fn framework_of(state: &AppState, d: &Deployment, number: u32) -> Result<Framework> {
    match d.revision(number)?.framework.clone() {
        Some(id) => state.store.framework(&id)?,
        None => state
            .store
            .latest_framework(&Framework::default_template().name)?,
    }
    .ok_or_else(|| Problem::internal("no framework in the store"))
}

/// Applies one step by `p` to revision `revision` (default: the latest) of deployment `id`:
/// the domain decides, the events are appended to the ledger, and the store keeps the
/// result only if the deployment is still at `version` (when given). Returns the new
/// version and the events.
pub fn decide(
    state: &AppState,
    p: &Principal,
    id: &str,
    version: Option<u64>,
    revision: Option<u32>,
    command: Command,
    reason: &str,
) -> Result<(u64, Vec<waarborg_govern::revision::Event>)> {
    let (mut d, stored) = state
        .store
        .deployment(id)?
        .ok_or_else(|| Problem::not_found(format!("no deployment {id}")))?;
    if let Some(v) = version.filter(|v| *v != stored) {
        return Err(Problem::conflict(format!(
            "deployment {id} is at version {stored}, not {v}: someone decided meanwhile; reload and decide again"
        )));
    }
    let number = revision.unwrap_or_else(|| d.revisions.last().map_or(1, |r| r.number));
    let framework = framework_of(state, &d, number)?;
    let events = d.apply(
        number,
        &p.actor(),
        command,
        reason,
        &framework,
        Timestamp(state.now()),
    )?;
    let entries: Vec<waarborg_ledger::Event> = events.iter().map(crate::governance_entry).collect();
    let ledger = &state.ledger;
    let mut log = || {
        ledger
            .append_all(&entries)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let version = state.store.save_deployment(&d, stored, &mut log)?;
    Ok((version, events))
}

/// The steps a role may offer on the page (the domain still decides whether each is
/// allowed now).
fn steps_for(role: Role) -> &'static [&'static str] {
    match role {
        Role::Applicant => &["submit", "activate", "end", "withdraw"],
        Role::ReviewCommitteeMember => &[
            "declare_conflict",
            "advise_positive",
            "advise_positive_with_conditions",
            "advise_negative",
            "review_continue",
            "review_suspend",
            "evaluate",
        ],
        Role::ChiefOfPolice => &["ratify", "refuse_ratification", "suspend", "end"],
        Role::PortfolioHolder => &["approve_experiment"],
        Role::CompetentAuthority => &["authority_approve", "authority_decline"],
        Role::PrivacyOfficer => &["suspend"],
        _ => &[],
    }
}

fn command_of(step: &str) -> Option<Command> {
    Some(match step {
        "submit" => Command::Submit,
        "activate" => Command::Activate,
        "end" => Command::End,
        "withdraw" => Command::Withdraw,
        "declare_conflict" => Command::DeclareConflict,
        "advise_positive" => Command::Advise {
            outcome: AdviceOutcome::Positive,
        },
        "advise_positive_with_conditions" => Command::Advise {
            outcome: AdviceOutcome::PositiveWithConditions,
        },
        "advise_negative" => Command::Advise {
            outcome: AdviceOutcome::Negative,
        },
        "review_continue" => Command::Review { continue_use: true },
        "review_suspend" => Command::Review {
            continue_use: false,
        },
        "evaluate" => Command::Evaluate,
        "ratify" => Command::Ratify,
        "refuse_ratification" => Command::RefuseRatification,
        "suspend" => Command::Suspend,
        "approve_experiment" => Command::ApproveExperiment,
        "authority_approve" => Command::AuthorityDecision { approve: true },
        "authority_decline" => Command::AuthorityDecision { approve: false },
        _ => {
            let key = step.strip_prefix("attest:")?;
            Command::Attest {
                precondition: key.to_string(),
            }
        }
    })
}

fn weighing_name(lang: Lang, w: Weighing) -> &'static str {
    match w {
        Weighing::Favourable => t(lang, "weighing_favourable"),
        Weighing::Concerns => t(lang, "weighing_concerns"),
        Weighing::Unfavourable => t(lang, "weighing_unfavourable"),
    }
}

/// `GET /ui/deployments/{id}`.
pub async fn view(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = lang_of(&headers, &q);
    match render(&state, &p, lang, &id) {
        Ok(body) => body,
        Err(problem) => problem_page(lang, Some(&p), &problem),
    }
}

fn render(state: &AppState, p: &Principal, lang: Lang, id: &str) -> Result<Response> {
    let (d, version) = state
        .store
        .deployment(id)?
        .ok_or_else(|| Problem::not_found(format!("no deployment {id}")))?;
    let r = d
        .revisions
        .last()
        .ok_or_else(|| Problem::not_found(format!("deployment {id} has no revision")))?;
    let framework = framework_of(state, &d, r.number)?;
    let now = Timestamp(state.now());
    let c = &r.content;
    let review_due = r
        .review_due()
        .map_or_else(|| "—".to_string(), |due| due.to_string());
    let overdue = r.review_due().is_some_and(|due| now > due);
    let mut body = format!(
        "<section><h2>{rev} {n}</h2><dl><dt>{state_l}</dt><dd><strong>{state}</strong></dd><dt>{fw_l}</dt><dd>{fw}</dd><dt>{system_l}</dt><dd>{system}</dd><dt>{purpose_l}</dt><dd>{purpose}</dd><dt>{dbs_l}</dt><dd>{dbs}</dd><dt>{valid_l}</dt><dd>{from} – {until}</dd><dt>{review_l}</dt><dd>{review}{late}</dd><dt>{advice_l}</dt><dd>{advice}</dd></dl></section>",
        rev = t(lang, "revision"),
        n = r.number,
        state_l = t(lang, "state"),
        state = esc(r.effective_state(now).as_str()),
        fw_l = t(lang, "framework"),
        fw = esc(&r.framework.clone().unwrap_or_else(|| format!("{} ({})", framework.id(), t(lang, "not_yet_submitted")))),
        system_l = t(lang, "system"),
        system = esc(&c.system),
        purpose_l = t(lang, "purpose"),
        purpose = esc(&c.purpose),
        dbs_l = t(lang, "reference_database"),
        dbs = esc(&c.scope.reference_databases.join(", ")),
        valid_l = t(lang, "valid"),
        from = c.scope.valid_from,
        until = c.scope.valid_until,
        review_l = t(lang, "review_due"),
        review = esc(&review_due),
        late = if overdue { format!(" <span class=\"bad\">{}</span>", t(lang, "overdue")) } else { String::new() },
        advice_l = t(lang, "advice"),
        advice = r.advice.map_or_else(|| "—".to_string(), |a| format!("{a:?}")),
    );
    // Factors and preconditions, with every member's judgement.
    let judgements = |key: &str| -> String {
        r.assessments
            .iter()
            .filter_map(|a| a.judgements.iter().find(|j| j.key == key).map(|j| (a, j)))
            .map(|(a, j)| {
                format!(
                    "<li><strong>{}</strong>: {} — {}</li>",
                    esc(&a.member),
                    weighing_name(lang, j.weighing),
                    esc(&j.reasons)
                )
            })
            .collect::<String>()
    };
    let factors: String = framework
        .factors
        .iter()
        .map(|f| {
            format!(
                "<tr><td><strong>{}</strong><br><small>{}</small></td><td><ul>{}</ul></td></tr>",
                esc(&f.title),
                esc(&f.question),
                judgements(&f.key)
            )
        })
        .collect();
    let preconditions: String = framework
        .preconditions
        .iter()
        .map(|pc| {
            let how = match &pc.established {
                Establishment::Machine { .. } => t(lang, "checked_by_machine").to_string(),
                Establishment::Attested { role } => {
                    let by: Vec<&str> = r
                        .attestations
                        .iter()
                        .filter(|(k, _)| *k == pc.key)
                        .map(|(_, u)| u.as_str())
                        .collect();
                    format!(
                        "{} {} — {}",
                        t(lang, "attested_by"),
                        role.as_str(),
                        if by.is_empty() {
                            t(lang, "not_yet").to_string()
                        } else {
                            esc(&by.join(", "))
                        }
                    )
                }
            };
            format!(
                "<tr><td>{}<br><small>{:?} · {}</small></td><td><ul>{}</ul></td></tr>",
                esc(&pc.text),
                pc.group,
                how,
                judgements(&pc.key)
            )
        })
        .collect();
    body.push_str(&format!(
        "<section id=\"framework\"><h2>{}</h2><table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>{factors}</tbody></table><h3>{}</h3><table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>{preconditions}</tbody></table></section>",
        t(lang, "factors"),
        t(lang, "factor"),
        t(lang, "assessments"),
        t(lang, "preconditions"),
        t(lang, "precondition"),
        t(lang, "assessments"),
    ));
    // What this role may do now.
    let csrf = esc(&p.csrf);
    if crate::routes::GOVERNANCE_ROLES.contains(&p.role) {
        let mut options: Vec<(String, String)> = steps_for(p.role)
            .iter()
            .map(|s| (s.to_string(), t(lang, &format!("step_{s}")).to_string()))
            .collect();
        for pc in &framework.preconditions {
            if matches!(pc.established, Establishment::Attested { role } if role == p.role) {
                options.push((
                    format!("attest:{}", pc.key),
                    format!("{}: {}", t(lang, "step_attest"), pc.text),
                ));
            }
        }
        let options: String = options
            .iter()
            .map(|(v, l)| format!("<option value=\"{}\">{}</option>", esc(v), esc(l)))
            .collect();
        body.push_str(&format!(
            "<section id=\"decide\"><h2>{}</h2><form class=\"card\" method=\"post\" action=\"/ui/deployments/{id}/decisions?csrf={csrf}\"><input type=\"hidden\" name=\"version\" value=\"{version}\"><input type=\"hidden\" name=\"revision\" value=\"{n}\"><label for=\"step\">{}</label><select id=\"step\" name=\"step\">{options}</select><label for=\"reason\">{}</label><textarea id=\"reason\" name=\"reason\"></textarea><p><button>{}</button></p></form>",
            t(lang, "your_step"),
            t(lang, "step"),
            t(lang, "reasons"),
            t(lang, "decide"),
            id = esc(&d.id),
            n = r.number,
        ));
        if p.role == Role::ReviewCommitteeMember {
            let fields: String = framework
                .factors
                .iter()
                .map(|f| (f.key.as_str(), f.title.as_str()))
                .chain(framework.preconditions.iter().map(|pc| (pc.key.as_str(), pc.text.as_str())))
                .map(|(key, title)| {
                    format!(
                        "<fieldset><legend>{title}</legend><label for=\"w-{key}\">{w}</label><select id=\"w-{key}\" name=\"weigh:{key}\"><option value=\"favourable\">{fav}</option><option value=\"concerns\">{con}</option><option value=\"unfavourable\">{unf}</option></select><label for=\"r-{key}\">{reasons}</label><input id=\"r-{key}\" name=\"why:{key}\" required></fieldset>",
                        title = esc(title),
                        key = esc(key),
                        w = t(lang, "weighing"),
                        fav = t(lang, "weighing_favourable"),
                        con = t(lang, "weighing_concerns"),
                        unf = t(lang, "weighing_unfavourable"),
                        reasons = t(lang, "reasons"),
                    )
                })
                .collect();
            body.push_str(&format!(
                "<form class=\"card\" id=\"assess\" method=\"post\" action=\"/ui/deployments/{id}/decisions?csrf={csrf}\"><h3>{}</h3><input type=\"hidden\" name=\"version\" value=\"{version}\"><input type=\"hidden\" name=\"revision\" value=\"{n}\"><input type=\"hidden\" name=\"step\" value=\"assess\">{fields}<p><button>{}</button></p></form>",
                t(lang, "your_assessment"),
                t(lang, "step_assess"),
                id = esc(&d.id),
                n = r.number,
            ));
        }
        body.push_str("</section>");
    }
    let history: String = r
        .history
        .iter()
        .rev()
        .map(|h| {
            format!(
                "<tr><td>{}</td><td>{} <small>({})</small></td><td>{}</td><td>{} → {}</td><td>{}</td></tr>",
                h.at,
                esc(&h.actor),
                h.role.as_str(),
                esc(&h.action),
                h.from.as_str(),
                h.to.as_str(),
                esc(&h.reason)
            )
        })
        .collect();
    body.push_str(&format!(
        "<section id=\"history\"><h2>{}</h2><table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>{history}</tbody></table></section>",
        t(lang, "history"),
        t(lang, "when"),
        t(lang, "who"),
        t(lang, "step"),
        t(lang, "state"),
        t(lang, "reasons"),
    ));
    Ok(page(lang, &d.name, Some(p), &body))
}

/// `POST /ui/deployments/{id}/decisions` (form): one step, or a whole assessment.
pub async fn decide_form(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let lang = lang_of(&headers, &LangQuery::default());
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let step = field("step").unwrap_or_default();
    let command = if step == "assess" {
        let judgements = fields
            .iter()
            .filter_map(|(k, v)| {
                let key = k.strip_prefix("weigh:")?;
                let weighing = match v.as_str() {
                    "favourable" => Weighing::Favourable,
                    "concerns" => Weighing::Concerns,
                    _ => Weighing::Unfavourable,
                };
                let reasons = field(&format!("why:{key}")).unwrap_or_default().to_string();
                Some(Judgement {
                    key: key.to_string(),
                    weighing,
                    reasons,
                })
            })
            .collect();
        Some(Command::Assess { judgements })
    } else if steps_for(p.role).contains(&step) || step.starts_with("attest:") {
        command_of(step)
    } else {
        None
    };
    let Some(command) = command else {
        let problem = Problem::bad_request(format!(
            "{step:?} is not a step the role {} may take here",
            p.role.as_str()
        ));
        return problem_page(lang, Some(&p), &problem);
    };
    let version = field("version").and_then(|v| v.parse().ok());
    let revision = field("revision").and_then(|v| v.parse().ok());
    let reason = field("reason").unwrap_or_default();
    match decide(&state, &p, &id, version, revision, command, reason) {
        Ok(_) => Redirect::to(&format!("/ui/deployments/{id}#history")).into_response(),
        Err(problem) => problem_page(lang, Some(&p), &problem),
    }
}
