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
use waarborg_govern::framework::Establishment;
use waarborg_govern::revision::{Domain, Mode, RevisionContent, Weighing};
use waarborg_govern::Timestamp;

pub use waarborg_app::governance::*;

use crate::auth::Principal;
use crate::i18n::{t, Lang};
use crate::problem::Problem;
use crate::ui::{form_answer, lang_of, problem_page, LangQuery, Layout};
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
    crate::page_blocking(&state, move |state| match render(state, &p, lang, &id) {
        Ok(page) => page,
        Err(problem) => problem_page(lang, Some(&p), &problem),
    })
    .await
}

fn render(state: &AppState, p: &Principal, lang: Lang, id: &str) -> Result<Response> {
    let actor = p.actor();
    let (d, version, framework) =
        waarborg_app::register::deployment_under_review(state, &actor, id)?;
    let r = d
        .revisions
        .last()
        .ok_or_else(|| Problem::not_found(format!("deployment {id} has no revision")))?;
    let now = state.now();
    let c = &r.content;
    // Every member's judgement of one factor or precondition.
    let judgements = |key: &str| -> Vec<(String, &'static str, String)> {
        r.assessments
            .iter()
            .filter_map(|a| a.judgements.iter().find(|j| j.key == key).map(|j| (a, j)))
            .map(|(a, j)| {
                (
                    a.member.clone(),
                    weighing_name(lang, j.weighing),
                    j.reasons.clone(),
                )
            })
            .collect()
    };
    let factors = framework
        .factors
        .iter()
        .map(|f| FactorRow {
            title: f.title.clone(),
            question: f.question.clone(),
            judgements: judgements(&f.key),
        })
        .collect();
    let preconditions = framework
        .preconditions
        .iter()
        .map(|pc| PreconditionRow {
            text: pc.text.clone(),
            group: format!("{:?}", pc.group),
            how: match &pc.established {
                Establishment::Machine { .. } => How::Machine,
                Establishment::Attested { role } => How::Attested {
                    role: role.as_str(),
                    by: r
                        .attestations
                        .iter()
                        .filter(|(k, _)| *k == pc.key)
                        .map(|(_, u)| u.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                },
            },
            judgements: judgements(&pc.key),
        })
        .collect();
    // What this role may do now: each step tried by the domain on a copy; the page offers
    // those it would take and names the rule for the others.
    let options = if crate::routes::GOVERNANCE_ROLES.contains(&p.role) {
        step_options(&d, r.number, &actor, &framework, now)
    } else {
        Vec::new()
    };
    let label = |step: &str| match step.strip_prefix("attest:") {
        Some(key) => format!(
            "{}: {}",
            t(lang, "step_attest"),
            framework
                .preconditions
                .iter()
                .find(|pc| pc.key == key)
                .map_or(key, |pc| pc.text.as_str())
        ),
        None => t(lang, &format!("step_{step}")).to_string(),
    };
    let why_not = |e: &waarborg_govern::GovernError| match e {
        waarborg_govern::GovernError::Refused(rule) => crate::ui::rule_text(lang, rule),
        other => other.to_string(),
    };
    let steps = crate::routes::GOVERNANCE_ROLES.contains(&p.role).then(|| {
        options
            .iter()
            .filter(|o| {
                o.now.is_ok()
                    && !matches!(o.step.as_str(), "assess" | "write_fria")
                    && !o.step.starts_with("record_")
            })
            .map(|o| (o.step.clone(), label(&o.step)))
            .collect::<Vec<_>>()
    });
    // The notification and the registration: forms of their own (a day, a reference).
    // The assessment's six parts: a form of its own, filled with what is written.
    let write_fria = options
        .iter()
        .any(|o| o.step == "write_fria" && o.now.is_ok())
        .then(|| {
            waarborg_govern::revision::Fria::FIELDS
                .iter()
                .zip(c.fria.parts())
                .map(|(name, (_, text))| {
                    (*name, t(lang, &format!("field_{name}")), text.to_string())
                })
                .collect::<Vec<_>>()
        });
    let records: Vec<(String, String)> = options
        .iter()
        .filter(|o| o.now.is_ok() && o.step.starts_with("record_"))
        .map(|o| (o.step.clone(), label(&o.step)))
        .collect();
    let not_now: Vec<(String, String)> = options
        .iter()
        .filter_map(|o| o.now.as_ref().err().map(|e| (label(&o.step), why_not(e))))
        .collect();
    let may_assess = options.iter().any(|o| o.step == "assess" && o.now.is_ok());
    let assess = may_assess.then(|| {
        framework
            .factors
            .iter()
            .map(|f| (f.key.clone(), f.title.clone()))
            .chain(
                framework
                    .preconditions
                    .iter()
                    .map(|pc| (pc.key.clone(), pc.text.clone())),
            )
            .collect()
    });
    let previous = d.revisions.iter().rev().nth(1);
    // What a periodic review weighs: the use so far and its alerts.
    let (figures, alerts) = waarborg_app::monitoring::use_so_far(state, &d.id)?;
    let use_so_far = figures.map(|f| {
        let mut lines = vec![
            (t(lang, "use_searches").to_string(), f.searches),
            (
                t(lang, "use_identifications").to_string(),
                f.identifications,
            ),
        ];
        lines.extend(f.lead_feedback.iter().map(|(finding, n)| {
            (
                format!(
                    "{}: {}",
                    t(lang, "use_feedback"),
                    t(lang, &format!("finding_{finding}"))
                ),
                *n,
            )
        }));
        let told: u64 = f.lead_feedback.values().sum();
        lines.push((
            t(lang, "use_without_feedback").to_string(),
            f.identifications.saturating_sub(told),
        ));
        lines
    });
    let use_alerts = alerts
        .iter()
        .map(|a| {
            format!(
                "{} — {} ({})",
                a.month,
                t(lang, &format!("indicator_{}", a.indicator.code())),
                if a.acknowledged.is_some() {
                    t(lang, "monitoring_acknowledged")
                } else {
                    t(lang, "monitoring_open")
                }
            )
        })
        .collect();
    let history = r
        .history
        .iter()
        .rev()
        .map(|h| HistoryRow {
            at: crate::i18n::date_time(lang, h.at),
            actor: h.actor.clone(),
            role: h.role.as_str(),
            action: h.action.clone(),
            from: h.from.as_str(),
            to: h.to.as_str(),
            reason: h.reason.clone(),
        })
        .collect();
    Ok(crate::ui::render(
        lang,
        &DeploymentPage {
            layout: Layout::new(lang, &d.name, Some(p)),
            id: d.id.clone(),
            version,
            revision: r.number,
            state: crate::i18n::state_name(lang, r.effective_state(now)),
            framework: r.framework.clone().unwrap_or_else(|| {
                format!("{} ({})", framework.id(), t(lang, "not_yet_submitted"))
            }),
            system: c.system.clone(),
            purpose: c.purpose.clone(),
            fria: c
                .fria
                .parts()
                .iter()
                .map(|(key, text)| (t(lang, &format!("field_fria_{key}")), text.to_string()))
                .chain([
                    (
                        t(lang, "field_fria_up_to_date"),
                        t(
                            lang,
                            if c.fria.up_to_date {
                                "fria_current"
                            } else {
                                "fria_marked_for_update"
                            },
                        )
                        .to_string(),
                    ),
                    (
                        t(lang, "field_fria_notified_on"),
                        format!("{} {}", c.fria.notified_on, c.fria.notification_reference),
                    ),
                    (
                        t(lang, "field_registration_reference"),
                        c.registration_reference.clone(),
                    ),
                ])
                .collect(),
            databases: c.scope.reference_databases.join(", "),
            from: crate::i18n::date(lang, c.scope.valid_from),
            until: crate::i18n::date(lang, c.scope.valid_until),
            review: r
                .review_due()
                .map_or_else(|| "—".to_string(), |due| crate::i18n::date(lang, due)),
            overdue: r.review_due().is_some_and(|due| now > due),
            advice: r
                .advice
                .map_or_else(|| "—".to_string(), |a| format!("{a:?}")),
            content: content_rows(lang, c, previous.map(|p| &p.content)),
            previous: previous.map(|p| p.number),
            withheld: r.assessments_withheld,
            use_so_far,
            use_alerts,
            records,
            write_fria,
            fria_up_to_date: c.fria.up_to_date,
            today: now.to_string().chars().take(10).collect(),
            not_now,
            factors,
            preconditions,
            steps,
            assess,
            history,
            texts: crate::publication::texts_section(state, p, lang, &d.id)?,
        },
    ))
}

/// A deployment's page (`templates/deployment.html`).
#[derive(askama::Template)]
#[template(path = "deployment.html")]
struct DeploymentPage {
    layout: crate::ui::Layout,
    id: String,
    version: u64,
    revision: u32,
    state: &'static str,
    framework: String,
    system: String,
    purpose: String,
    /// The fundamental-rights impact assessment, its notification and the registration:
    /// (label, text).
    fria: Vec<(&'static str, String)>,
    databases: String,
    from: String,
    until: String,
    review: String,
    overdue: bool,
    advice: String,
    /// The revision's whole content: (label, value, changed since the previous revision).
    content: Vec<(&'static str, String, bool)>,
    /// The previous revision's number, if there is one.
    previous: Option<u32>,
    /// Other members' assessments withheld until this member records theirs.
    withheld: u32,
    /// The use's figures so far (label, count); `None` before any use.
    use_so_far: Option<Vec<(String, u64)>>,
    /// Its monitoring alerts, in words.
    use_alerts: Vec<String>,
    /// The steps of this role the rules refuse now: (step, why).
    not_now: Vec<(String, String)>,
    /// The records this reader may make now (the notification, the registration): (step,
    /// label).
    records: Vec<(String, String)>,
    /// Today, for the notification's date field.
    today: String,
    /// For the applicant and the privacy officer on a draft: the assessment's six parts to
    /// write (field, label, text).
    write_fria: Option<Vec<(&'static str, &'static str, String)>>,
    /// Whether the assessment is marked up to date.
    fria_up_to_date: bool,
    factors: Vec<FactorRow>,
    preconditions: Vec<PreconditionRow>,
    /// For a governance role: the steps it may offer (value, label).
    steps: Option<Vec<(String, String)>>,
    /// For a committee member: what to weigh (key, title).
    assess: Option<Vec<(String, String)>>,
    history: Vec<HistoryRow>,
    /// The published texts' section (still built in `publication::texts_section`).
    texts: String,
}

/// A factor and every member's judgement of it: (member, weighing, reasons).
struct FactorRow {
    title: String,
    question: String,
    judgements: Vec<(String, &'static str, String)>,
}

/// A precondition, how it is established, and the judgements.
struct PreconditionRow {
    text: String,
    group: String,
    how: How,
    judgements: Vec<(String, &'static str, String)>,
}

/// How a precondition is established.
enum How {
    Machine,
    Attested { role: &'static str, by: String },
}

/// One step in the revision's history.
struct HistoryRow {
    at: String,
    actor: String,
    role: &'static str,
    action: String,
    from: &'static str,
    to: &'static str,
    reason: String,
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

/// The revision's content as the page shows it: every field of the proposal form but the
/// assessment's (shown in its own section), a change since `previous` marked.
fn content_rows(
    lang: Lang,
    c: &RevisionContent,
    previous: Option<&RevisionContent>,
) -> Vec<(&'static str, String, bool)> {
    let before = previous.map(proposal_fields);
    let licences = |c: &RevisionContent| {
        c.technology
            .model_sha256
            .iter()
            .map(|h| {
                let short = h.get(..12).unwrap_or(h);
                match c.technology.licences.iter().find(|l| &l.sha256 == h) {
                    Some(l) => format!(
                        "{short}…: {} ({})",
                        l.licence,
                        t(
                            lang,
                            if l.operational_use {
                                "licence_operational"
                            } else {
                                "licence_not_operational"
                            }
                        )
                    ),
                    None => format!("{short}…: {}", t(lang, "licence_unknown")),
                }
            })
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let licence_row = (
        t(lang, "field_model_licences"),
        licences(c),
        previous.is_some_and(|p| licences(p) != licences(c)),
    );
    let evaluation = |c: &RevisionContent| evaluation_text(lang, &c.technology);
    let evaluation_row = (
        t(lang, "field_model_evaluation"),
        evaluation(c),
        previous.is_some_and(|p| evaluation(p) != evaluation(c)),
    );
    proposal_fields(c)
        .into_iter()
        .enumerate()
        .filter(|(_, (name, _, _))| {
            !matches!(*name, "id" | "name")
                && !name.starts_with("fria_")
                && *name != "registration_reference"
        })
        .map(|(i, (name, value, kind))| {
            let changed = before
                .as_ref()
                .and_then(|b| b.get(i))
                .is_some_and(|(_, old, _)| *old != value);
            let value = match (kind, value.as_str()) {
                ("checkbox", "on") => t(lang, "yes").to_string(),
                ("checkbox", _) => t(lang, "no").to_string(),
                _ => value,
            };
            (t(lang, &format!("field_{name}")), value, changed)
        })
        .chain([licence_row, evaluation_row])
        .collect()
}

/// The accuracy evaluation a revision carries, in a sentence, with the recommended threshold
/// beside the one chosen.
fn evaluation_text(lang: Lang, tech: &waarborg_govern::revision::Technology) -> String {
    let Some(e) = &tech.evaluation else {
        return t(lang, "evaluation_none").to_string();
    };
    let at_fmr: Vec<String> = e
        .at_fmr
        .iter()
        .map(|a| {
            waarborg_i18n::t_with(
                lang,
                "evaluation_at_fmr",
                &[
                    ("fmr", format!("{:e}", a.fmr_target)),
                    ("threshold", format!("{:.3}", a.threshold)),
                    ("fnmr", format!("{:.3}", a.fnmr)),
                ],
            )
        })
        .collect();
    let recommended = match e.recommended_threshold {
        Some(r) => format!("{r:.3}"),
        None => t(lang, "evaluation_not_computable").to_string(),
    };
    waarborg_i18n::t_with(
        lang,
        "evaluation_summary",
        &[
            ("images", e.images.to_string()),
            ("mated", e.mated_pairs.to_string()),
            ("non_mated", e.non_mated_pairs.to_string()),
            (
                "dataset",
                e.dataset_sha256.get(..12).unwrap_or("").to_string(),
            ),
            ("date", e.evaluated_at.chars().take(10).collect()),
            ("at_fmr", at_fmr.join("; ")),
            ("fpir", e.fpir_target.to_string()),
            ("gallery", e.gallery_size.to_string()),
            ("recommended", recommended),
            ("chosen", format!("{:.3}", tech.score_threshold)),
        ],
    )
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
    let mut fields = vec![
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
        ("verifier_units", list(&c.verifying_units()), "text"),
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
        ("demonstration", on(c.demonstration), "checkbox"),
        ("deploying_unit", c.deploying_unit.clone(), "text"),
    ];
    // The assessment's six parts, then whether it is current, its notification, the
    // registration.
    fields.extend(
        waarborg_govern::revision::Fria::FIELDS
            .iter()
            .zip(c.fria.parts())
            .map(|(name, (_, text))| (*name, text.to_string(), "textarea-optional")),
    );
    fields.extend([
        ("fria_up_to_date", on(c.fria.up_to_date), "checkbox"),
        (
            "fria_notified_on",
            c.fria.notified_on.clone(),
            "date-optional",
        ),
        (
            "fria_notification_reference",
            c.fria.notification_reference.clone(),
            "text-optional",
        ),
        (
            "registration_reference",
            c.registration_reference.clone(),
            "text-optional",
        ),
    ]);
    fields
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
    crate::page_blocking(&state, move |state| proposal_page(state, &p, lang)).await
}

fn proposal_page(state: &AppState, p: &Principal, lang: Lang) -> Response {
    let hashes = match &state.engine {
        Some(engine) => {
            let fp = engine.fingerprint();
            vec![fp.detector_sha256.clone(), fp.recognizer_sha256.clone()]
        }
        None => Vec::new(),
    };
    let content = RevisionContent::template(hashes);
    let framework = match waarborg_app::register::framework_for_proposals(state) {
        Ok(f) => f,
        Err(e) => return problem_page(lang, Some(p), &e.into()),
    };
    let fields = proposal_fields(&content)
        .into_iter()
        .map(|(name, value, kind)| (name, t(lang, &format!("field_{name}")), value, kind))
        .collect();
    let factors = framework
        .factors
        .iter()
        .map(|f| (f.title.clone(), f.question.clone()))
        .collect();
    let preconditions = framework
        .preconditions
        .iter()
        .map(|pc| {
            let check = match &pc.established {
                Establishment::Machine { check } => match check.evaluate(&content) {
                    Ok(()) => Check::Met,
                    Err(why) => Check::Fails(why.to_string()),
                },
                Establishment::Attested { role } => Check::Attested(role.as_str()),
            };
            (pc.text.clone(), check)
        })
        .collect();
    crate::ui::render(
        lang,
        &ProposalPage {
            layout: Layout::new(lang, t(lang, "new_deployment"), Some(p)),
            fields,
            factors,
            preconditions,
        },
    )
}

/// The proposal form (`templates/proposal.html`), prefilled from the template, with the
/// framework's factors and preconditions beside it.
#[derive(askama::Template)]
#[template(path = "proposal.html")]
struct ProposalPage {
    layout: Layout,
    /// (name, label, value, input type).
    fields: Vec<(&'static str, &'static str, String, &'static str)>,
    /// (title, question).
    factors: Vec<(String, String)>,
    /// (text, how the template fares).
    preconditions: Vec<(String, Check)>,
}

/// How the template fares against a precondition.
enum Check {
    Met,
    Fails(String),
    Attested(&'static str),
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
            // The application writes them from the model cache.
            licences: Vec::new(),
            evaluation: None,
        },
        oversight: waarborg_govern::revision::Oversight {
            verifiers_required: verifiers,
            examiners: items("examiners"),
            verifier_units: items("verifier_units"),
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
        demonstration: checked("demonstration"),
        corrects_defect: false,
        applicant: applicant.to_string(),
        deploying_unit: get("deploying_unit"),
        fria: {
            let mut fria = waarborg_govern::revision::Fria {
                up_to_date: checked("fria_up_to_date"),
                notified_on: get("fria_notified_on"),
                notification_reference: get("fria_notification_reference"),
                ..Default::default()
            };
            fria.set_parts(waarborg_govern::revision::Fria::FIELDS.map(&get));
            fria
        },
        registration_reference: get("registration_reference"),
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
