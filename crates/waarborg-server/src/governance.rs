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
use axum::response::Response;
use axum::{Extension, Form};
use waarborg_govern::framework::{Establishment, Framework};
use waarborg_govern::revision::{Domain, Mode, RevisionContent, Weighing};
use waarborg_govern::{Role, Timestamp};
use waarborg_store::Store;

pub use waarborg_app::governance::*;

use crate::auth::Principal;
use crate::i18n::{t, Lang};
use crate::problem::Problem;
use crate::ui::{esc, form_answer, lang_of, page, problem_page, LangQuery};
use crate::AppState;

type Result<T> = std::result::Result<T, Problem>;

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
    let framework = framework_of(&state.store, &d, r.number)?;
    let now = state.now();
    let c = &r.content;
    let review_due = r
        .review_due()
        .map_or_else(|| "—".to_string(), |due| crate::i18n::date(lang, due));
    let overdue = r.review_due().is_some_and(|due| now > due);
    let mut body = format!(
        "<section><h2>{rev} {n}</h2><dl><dt>{state_l}</dt><dd><strong>{state}</strong></dd><dt>{fw_l}</dt><dd>{fw}</dd><dt>{system_l}</dt><dd>{system}</dd><dt>{purpose_l}</dt><dd>{purpose}</dd><dt>{dbs_l}</dt><dd>{dbs}</dd><dt>{valid_l}</dt><dd>{from} – {until}</dd><dt>{review_l}</dt><dd>{review}{late}</dd><dt>{advice_l}</dt><dd>{advice}</dd></dl></section>",
        rev = t(lang, "revision"),
        n = r.number,
        state_l = t(lang, "state"),
        state = crate::i18n::state_name(lang, r.effective_state(now)),
        fw_l = t(lang, "framework"),
        fw = esc(&r.framework.clone().unwrap_or_else(|| format!("{} ({})", framework.id(), t(lang, "not_yet_submitted")))),
        system_l = t(lang, "system"),
        system = esc(&c.system),
        purpose_l = t(lang, "purpose"),
        purpose = esc(&c.purpose),
        dbs_l = t(lang, "reference_database"),
        dbs = esc(&c.scope.reference_databases.join(", ")),
        valid_l = t(lang, "valid"),
        from = crate::i18n::date(lang, c.scope.valid_from),
        until = crate::i18n::date(lang, c.scope.valid_until),
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
                crate::i18n::date_time(lang, h.at),
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
    body.push_str(&crate::publication::texts_section(state, p, lang, &d.id)?);
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
    let command = match command_from_form(p.role, &fields) {
        Ok(command) => command,
        Err(e) => return problem_page(lang, Some(&p), &e.into()),
    };
    let version = field("version").and_then(|v| v.parse().ok());
    let revision = field("revision").and_then(|v| v.parse().ok());
    let reason = field("reason").unwrap_or_default().to_string();
    let (actor, to) = (p.actor(), format!("/ui/deployments/{id}#history"));
    let done = crate::blocking(&state, move |app| {
        let step = Step {
            deployment: &id,
            version,
            revision,
            command,
            reason: &reason,
        };
        apply_step(app, &actor, step).map(|_| ())
    })
    .await;
    form_answer(&headers, &p, done, &to)
}

fn list(items: &[String]) -> String {
    items.join(", ")
}

/// `t` as a form's date value (`YYYY-MM-DD`, what `<input type="date">` takes).
fn iso_day(t: Timestamp) -> String {
    t.to_string().chars().take(10).collect()
}

/// One field of the proposal form: its name (also its label's key), value and input type.
type ProposalField = (&'static str, String, &'static str);

/// The proposal form's fields, filled from `c`.
fn proposal_fields(c: &RevisionContent) -> Vec<ProposalField> {
    let on = |b: bool| if b { "on".to_string() } else { String::new() };
    let (scope, tech) = (&c.scope, &c.technology);
    vec![
        ("id", String::new(), "text"),
        ("name", String::new(), "text"),
        ("purpose", c.purpose.clone(), "textarea"),
        ("system", c.system.clone(), "text"),
        (
            "reference_databases",
            list(&scope.reference_databases),
            "text",
        ),
        ("probe_sources", list(&scope.probe_sources), "text"),
        (
            "offence_categories",
            list(&scope.offence_categories),
            "text",
        ),
        (
            "min_max_sentence_years",
            scope.min_max_sentence_years.to_string(),
            "number",
        ),
        ("area", scope.area.clone(), "text"),
        ("valid_from", iso_day(scope.valid_from), "date"),
        ("valid_until", iso_day(scope.valid_until), "date"),
        ("model_sha256", list(&tech.model_sha256), "textarea"),
        ("detector_settings", tech.detector_settings.clone(), "text"),
        ("score_threshold", tech.score_threshold.to_string(), "text"),
        (
            "candidate_list_length",
            tech.candidate_list_length.to_string(),
            "number",
        ),
        (
            "verifiers_required",
            c.oversight.verifiers_required.to_string(),
            "number",
        ),
        ("examiners", list(&c.oversight.examiners), "text"),
        ("probe_days", c.retention.probe_days.to_string(), "number"),
        ("result_days", c.retention.result_days.to_string(), "number"),
        ("reporting_duties", c.reporting_duties.clone(), "textarea"),
        ("dpia_reference", c.dpia.reference.clone(), "text"),
        ("dpia_approved", on(c.dpia.approved), "checkbox"),
        (
            "algorithm_register_text",
            c.algorithm_register_text.clone(),
            "textarea",
        ),
        (
            "review_interval_days",
            c.review_interval_days.to_string(),
            "number",
        ),
        ("urgent_use_allowed", on(c.urgent_use_allowed), "checkbox"),
        ("experiment", on(c.experiment), "checkbox"),
        ("deploying_unit", c.deploying_unit.clone(), "text"),
    ]
}

/// `GET /ui/deployments/new`: the applicant's proposal form, with the framework's factors
/// and preconditions beside it (what the committee will weigh, what must hold).
pub async fn new_form(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = lang_of(&headers, &q);
    let hashes = match &state.engine {
        Some(engine) => {
            let fp = engine.fingerprint();
            vec![fp.detector_sha256.clone(), fp.recognizer_sha256.clone()]
        }
        None => Vec::new(),
    };
    let content = RevisionContent::template(hashes);
    let framework = match state
        .store
        .latest_framework(&Framework::default_template().name)
    {
        Ok(Some(f)) => f,
        Ok(None) => Framework::default_template(),
        Err(e) => return problem_page(lang, Some(&p), &e.into()),
    };
    let fields: String = proposal_fields(&content)
        .into_iter()
        .map(|(name, value, kind)| {
            let label = t(lang, &format!("field_{name}"));
            match kind {
                "textarea" => format!("<label for=\"{name}\">{label}</label><textarea id=\"{name}\" name=\"{name}\" required>{}</textarea>", esc(&value)),
                "checkbox" => format!("<p><input id=\"{name}\" name=\"{name}\" type=\"checkbox\"{}> <label for=\"{name}\" style=\"display:inline\">{label}</label></p>", if value.is_empty() { "" } else { " checked" }),
                kind => format!("<label for=\"{name}\">{label}</label><input id=\"{name}\" name=\"{name}\" type=\"{kind}\" value=\"{}\" required>", esc(&value)),
            }
        })
        .collect();
    let factors: String = framework
        .factors
        .iter()
        .map(|f| {
            format!(
                "<li><strong>{}</strong>: {}</li>",
                esc(&f.title),
                esc(&f.question)
            )
        })
        .collect();
    let preconditions: String = framework
        .preconditions
        .iter()
        .map(|pc| {
            let how = match &pc.established {
                Establishment::Machine { check } => match check.evaluate(&content) {
                    Ok(()) => format!("<span class=\"ok\">{}</span>", t(lang, "met_by_template")),
                    Err(why) => format!("<span class=\"bad\">{}</span>", esc(&why)),
                },
                Establishment::Attested { role } => {
                    format!("{} {}", t(lang, "attested_by"), role.as_str())
                }
            };
            format!("<li>{} — <small>{how}</small></li>", esc(&pc.text))
        })
        .collect();
    let body = format!(
        "<p class=\"note\">{intro}</p><div class=\"side\"><form class=\"card\" id=\"proposal\" method=\"post\" action=\"/ui/deployments?csrf={csrf}\" style=\"flex:2\">{fields}<p><button>{submit}</button></p></form><aside style=\"flex:1\"><section><h2>{factors_h}</h2><ul>{factors}</ul></section><section><h2>{pre_h}</h2><ul>{preconditions}</ul></section></aside></div>",
        intro = t(lang, "proposal_intro"),
        csrf = esc(&p.csrf),
        submit = t(lang, "propose_draft"),
        factors_h = t(lang, "factors"),
        pre_h = t(lang, "preconditions"),
    );
    page(lang, t(lang, "new_deployment"), Some(&p), &body)
}

/// The content of a proposal form; every field that does not parse is named.
fn content_from(fields: &[(String, String)], applicant: &str) -> Result<RevisionContent> {
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
            .trim()
            .to_string()
    };
    let items = |name: &str| -> Vec<String> {
        get(name)
            .split([',', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut bad = Vec::new();
    let mut number = |name: &str| -> u32 {
        get(name).parse().unwrap_or_else(|_| {
            bad.push(format!("{name}: a whole number is needed"));
            0
        })
    };
    let min_sentence = number("min_max_sentence_years");
    let list_length = number("candidate_list_length");
    let verifiers = number("verifiers_required");
    let probe_days = number("probe_days");
    let result_days = number("result_days");
    let review_days = number("review_interval_days");
    let score_threshold: f32 = get("score_threshold").parse().unwrap_or_else(|_| {
        bad.push("score_threshold: a number such as 0.3 is needed".into());
        0.0
    });
    let mut day = |name: &str| {
        Timestamp::parse(&get(name)).unwrap_or_else(|_| {
            bad.push(format!("{name}: a date (YYYY-MM-DD) is needed"));
            Timestamp(0)
        })
    };
    let (valid_from, valid_until) = (day("valid_from"), day("valid_until"));
    if !bad.is_empty() {
        return Err(Problem::bad_request(format!(
            "the proposal cannot be read: {}",
            bad.join("; ")
        )));
    }
    let checked = |name: &str| !get(name).is_empty();
    Ok(RevisionContent {
        purpose: get("purpose"),
        domain: Domain::CriminalInvestigation,
        mode: Mode::Retrospective,
        system: get("system"),
        scope: waarborg_govern::revision::Scope {
            reference_databases: items("reference_databases"),
            probe_sources: items("probe_sources"),
            offence_categories: items("offence_categories"),
            min_max_sentence_years: min_sentence,
            area: get("area"),
            valid_from,
            valid_until,
        },
        technology: waarborg_govern::revision::Technology {
            model_sha256: items("model_sha256"),
            detector_settings: get("detector_settings"),
            score_threshold,
            candidate_list_length: list_length,
        },
        oversight: waarborg_govern::revision::Oversight {
            verifiers_required: verifiers,
            examiners: items("examiners"),
        },
        retention: waarborg_govern::revision::Retention {
            probe_days,
            result_days,
        },
        reporting_duties: get("reporting_duties"),
        dpia: waarborg_govern::revision::Dpia {
            reference: get("dpia_reference"),
            approved: checked("dpia_approved"),
        },
        algorithm_register_text: get("algorithm_register_text"),
        review_interval_days: review_days,
        urgent_use_allowed: checked("urgent_use_allowed"),
        experiment: checked("experiment"),
        corrects_defect: false,
        applicant: applicant.to_string(),
        deploying_unit: get("deploying_unit"),
    })
}

/// `POST /ui/deployments` (form): register the proposal as a draft.
pub async fn propose_form(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or(String::new(), |(_, v)| v.trim().to_string())
    };
    let (id, name) = (field("id"), field("name"));
    let to = format!("/ui/deployments/{id}");
    let done = match content_from(&fields, &p.account.user) {
        Ok(content) => {
            let actor = p.actor();
            crate::blocking(&state, move |app| propose(app, &actor, &id, &name, content)).await
        }
        Err(problem) => Err(problem),
    };
    form_answer(&headers, &p, done, &to)
}
