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
use waarborg_govern::case::{AuthorityKind, CaseStatus};
use waarborg_govern::revision::State as RevisionState;
use waarborg_govern::Role;

pub use waarborg_app::cases::*;

use crate::auth::Principal;
use crate::i18n::{t, Lang};
use crate::problem::Problem;
use crate::ui::{form_answer, lang_of, LangQuery};
use crate::AppState;

type Result<T> = std::result::Result<T, Problem>;

/// Where a case authorisation stands, as the pages say it: a style (`ok`, `bad` or none)
/// and the words.
struct CaseState {
    class: &'static str,
    text: String,
}

impl CaseState {
    fn of(lang: Lang, status: CaseStatus) -> CaseState {
        let (class, text) = match status {
            CaseStatus::Authorised => ("ok", t(lang, "case_authorised").to_string()),
            CaseStatus::UrgentPending { deadline } => (
                "",
                format!(
                    "{} {}",
                    t(lang, "case_urgent_until"),
                    crate::i18n::date_time(lang, deadline)
                ),
            ),
            CaseStatus::Pending => ("", t(lang, "case_pending").to_string()),
            CaseStatus::Refused => ("bad", t(lang, "case_refused").to_string()),
            CaseStatus::Late => ("bad", t(lang, "case_late").to_string()),
        };
        CaseState { class, text }
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
    /// The requester's justification (empty for requests made before it was asked).
    justification: String,
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
    let rows = overview(state, &actor)?
        .into_iter()
        .map(|(c, searches)| {
            let outcomes = searches.iter().map(|s| statement_text(lang, s)).collect();
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
                justification: c.justification,
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

/// Where search `s` of a case ended, as a statement in the reader's language: never a
/// candidate, a score or a note.
pub(crate) fn statement_text(lang: Lang, s: &FolderSearch) -> String {
    let date = |at| crate::i18n::date_time(lang, at);
    let names = |v: &[String]| v.join(", ");
    match &s.statement {
        Statement::InProgress => {
            let stage = match &s.record {
                Some(r) => crate::ui::search_stage(lang, r),
                None => t(lang, &format!("stage_{}", s.stage.as_str())),
            };
            format!("{} — {stage}", t(lang, "statement_in_progress"))
        }
        Statement::InsufficientQuality => t(lang, "statement_insufficient_quality").to_string(),
        Statement::Withdrawn { at } => {
            crate::i18n::t_with(lang, "statement_withdrawn", &[("at", date(*at))])
        }
        Statement::Erased => t(lang, "statement_erased").to_string(),
        Statement::Concluded {
            outcome,
            verified_by,
            at,
        } => {
            let verified = crate::i18n::t_with(
                lang,
                "statement_verified",
                &[("by", names(verified_by)), ("at", date(*at))],
            );
            let what = match outcome {
                Conclusion::Identification {
                    reference,
                    database,
                    person,
                } => match (person, database) {
                    (Some(person), Some(database)) => crate::i18n::t_with(
                        lang,
                        "statement_identification",
                        &[
                            ("person", person.clone()),
                            ("database", database.clone()),
                            ("reference", reference.to_string()),
                        ],
                    ),
                    _ => crate::i18n::t_with(
                        lang,
                        "statement_identification_record_gone",
                        &[("reference", reference.to_string())],
                    ),
                },
                Conclusion::NoIdentification => t(lang, "statement_no_identification").to_string(),
                Conclusion::NotConfirmed => t(lang, "statement_not_confirmed").to_string(),
                Conclusion::Inconclusive => t(lang, "statement_inconclusive").to_string(),
            };
            format!("{what} {verified}")
        }
    }
}

/// One search in the folder, as the page shows it.
struct FolderRow {
    /// 1, 2, … in the order the probes came in.
    ordinal: usize,
    /// The search's id, where the reader may open it.
    link: Option<String>,
    examiner: String,
    submitted: String,
    statement: String,
    /// The probe (its number in the folder) this one was prepared from.
    prepared_from: Option<usize>,
    /// The video it is a frame of, in words.
    frame: Option<String>,
    /// What the investigation found, in words.
    finding: Option<String>,
    /// Whether the reader records what the investigation found (the search's id).
    feedback_form: Option<String>,
}

/// The case folder page (`templates/case.html`).
#[derive(askama::Template)]
#[template(path = "case.html")]
struct FolderPage {
    layout: crate::ui::Layout,
    number: String,
    deployment: String,
    offence: String,
    category: String,
    max_sentence: u32,
    authority: &'static str,
    requested_by: String,
    requested_at: String,
    status: CaseState,
    /// The decision: by whom, why.
    decision: Option<(String, String)>,
    /// The legal hold, if one is set: (by, since, reason).
    hold: Option<(String, String, String)>,
    /// Only the outcome (the requester, the competent authority).
    outcome_only: bool,
    searches: Vec<FolderRow>,
    /// The notes: (by, at, text).
    notes: Vec<(String, String, String)>,
    /// The reader may add a note; `add_probe`: and a probe (an examiner).
    may_note: bool,
    add_probe: bool,
    max_note: usize,
    /// The findings the feedback form offers: (key, words).
    findings: Vec<(&'static str, &'static str)>,
}

/// `GET /ui/cases/{number}`: the case folder — the authorisation, every search of the case
/// as the reader may see it, the notes; the outcome as a statement for the requester.
pub async fn folder_page(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = lang_of(&headers, &q);
    let actor = p.actor();
    match crate::blocking(&state, move |app| {
        let f = folder(app, &actor, &number)?;
        let urgent = waarborg_app::register::deployments(app)?
            .iter()
            .find(|d| d.id == f.case.deployment)
            .is_some_and(allows_urgent_use);
        Ok((f, urgent, app.now()))
    })
    .await
    {
        Ok((f, urgent, now)) => {
            let c = &f.case;
            let page = FolderPage {
                layout: crate::ui::Layout::new(
                    lang,
                    &format!("{} {}", t(lang, "case_folder"), c.case_number),
                    Some(&p),
                ),
                number: c.case_number.clone(),
                deployment: c.deployment.clone(),
                offence: c.offence.clone(),
                category: c.offence_category.clone(),
                max_sentence: c.max_sentence_years,
                authority: t(
                    lang,
                    match c.authority {
                        AuthorityKind::PublicProsecutor => "public_prosecutor",
                        AuthorityKind::InvestigatingJudge => "investigating_judge",
                    },
                ),
                requested_by: c.requested_by.clone(),
                requested_at: crate::i18n::date_time(lang, c.requested_at),
                status: CaseState::of(lang, c.status(urgent, now)),
                decision: c
                    .decision
                    .as_ref()
                    .map(|d| (d.by.clone(), d.reason.clone())),
                hold: c.legal_hold.as_ref().map(|h| {
                    (
                        h.by.clone(),
                        crate::i18n::date_time(lang, h.at),
                        h.reason.clone(),
                    )
                }),
                outcome_only: f.view == waarborg_govern::case::FolderView::Outcome,
                searches: f
                    .searches
                    .iter()
                    .enumerate()
                    .map(|(i, s)| FolderRow {
                        ordinal: i + 1,
                        link: s.record.as_ref().map(|r| r.id.clone()),
                        examiner: s.examiner.clone(),
                        submitted: crate::i18n::date_time(lang, s.created),
                        statement: statement_text(lang, s),
                        frame: s.frame.as_ref().map(|f| {
                            crate::i18n::t_with(
                                lang,
                                "folder_frame",
                                &[
                                    ("time", format!("{:.1}", f.time_ms as f64 / 1000.0)),
                                    ("sha", f.video_sha256.chars().take(12).collect()),
                                ],
                            )
                        }),
                        prepared_from: s.prepared_from.as_ref().and_then(|parent| {
                            f.searches
                                .iter()
                                .position(|p| &p.id == parent)
                                .map(|i| i + 1)
                        }),
                        finding: s.finding.as_ref().map(|l| {
                            format!(
                                "{}: {} ({}; {} {})",
                                t(lang, "investigation_found"),
                                t(lang, &format!("finding_{}", l.finding.as_str())),
                                crate::i18n::date(lang, l.found_on),
                                t(lang, "recorded_by"),
                                l.by
                            )
                        }),
                        feedback_form: s.takes_feedback.then(|| s.id.clone()),
                    })
                    .collect(),
                findings: waarborg_govern::identification::Finding::ALL
                    .iter()
                    .map(|f| (f.as_str(), t(lang, &format!("finding_{}", f.as_str()))))
                    .collect(),
                notes: f
                    .notes
                    .iter()
                    .map(|n| {
                        (
                            n.by.clone(),
                            crate::i18n::date_time(lang, n.at),
                            n.text.clone(),
                        )
                    })
                    .collect(),
                may_note: f.may_work,
                add_probe: p.role == Role::Examiner,
                max_note: MAX_NOTE_CHARS,
            };
            crate::ui::render(lang, &page)
        }
        Err(problem) => crate::ui::problem_page(lang, Some(&p), &problem),
    }
}

/// `POST /ui/cases/{number}/feedback` (form): the requester records what the investigation
/// found of a search's identification.
pub async fn feedback_form(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Form(f): Form<FeedbackForm>,
) -> Response {
    let actor = p.actor();
    let to = format!("/ui/cases/{}#outcome", crate::ui::path_segment(&number));
    let body = waarborg_app::search::FeedbackBody {
        finding: f.finding,
        found_on: f.found_on,
    };
    let done = crate::blocking(&state, move |app| {
        waarborg_app::search::record_feedback(app, &actor, &f.search, &body).map(|_| ())
    })
    .await;
    form_answer(&headers, &p, done, &to)
}

/// What the investigation found, as the folder's form sends it.
#[derive(serde::Deserialize)]
pub struct FeedbackForm {
    /// The search.
    #[serde(default)]
    pub search: String,
    /// The finding's key.
    #[serde(default)]
    pub finding: String,
    /// Its date.
    #[serde(default)]
    pub found_on: String,
}

/// A note, as the form sends it.
#[derive(serde::Deserialize)]
pub struct NoteForm {
    /// The note.
    pub text: String,
}

/// `POST /ui/cases/{number}/notes` (form): a note in the case folder.
pub async fn note_form(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Form(f): Form<NoteForm>,
) -> Response {
    let actor = p.actor();
    let to = format!("/ui/cases/{}#notes", crate::ui::path_segment(&number));
    let done = crate::blocking(&state, move |app| {
        add_note(app, &actor, &number, &f.text).map(|_| ())
    })
    .await;
    form_answer(&headers, &p, done, &to)
}

/// `GET /ui/cases/{number}/report.json`: the case report as a download (a logged
/// disclosure), for the police file and the court.
pub async fn report_download(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Response {
    use axum::response::IntoResponse;
    let lang = lang_of(&headers, &LangQuery::default());
    let actor = p.actor();
    let file = format!("case-report-{}.json", crate::ui::path_segment(&number));
    match crate::blocking(&state, move |app| {
        waarborg_app::case_report::report(app, &actor, &number)
    })
    .await
    {
        Ok(report) => (
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "application/json".to_string(),
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{file}\""),
                ),
            ],
            serde_json::to_string_pretty(&report).unwrap_or_default(),
        )
            .into_response(),
        Err(problem) => crate::ui::problem_page(lang, Some(&p), &problem),
    }
}

/// `GET /ui/cases/{number}/report.pdf?lang=`: the case report printed for the file, in the
/// language asked for (a logged disclosure, like the JSON).
pub async fn report_pdf(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = lang_of(&headers, &q);
    let actor = p.actor();
    let name = format!(
        "case-report-{}-{}.pdf",
        crate::ui::path_segment(&number),
        lang.code()
    );
    let done = crate::blocking(&state, move |app| {
        let report = waarborg_app::case_report::report(app, &actor, &number)?;
        let document = case_document(app, lang, &report)?;
        waarborg_report::case::render(lang, &document)
            .map_err(|e| waarborg_app::AppError::internal(e.to_string()))
    })
    .await;
    match done.and_then(|html| crate::publication::page_or_pdf(html, "pdf", &name)) {
        Ok(pdf) => pdf,
        Err(problem) => crate::ui::problem_page(lang, Some(&p), &problem),
    }
}

/// The case report in words, in `lang`: the document printed to PDF for the file
/// ([`waarborg_report::case`]). It says what the JSON report holds; the JSON stays the
/// document the independent verifier reads.
pub fn case_document(
    app: &waarborg_app::App,
    lang: Lang,
    r: &waarborg_app::case_report::CaseReport,
) -> waarborg_app::Result<waarborg_report::case::CaseDocument> {
    use waarborg_report::case::{CaseDocument, Judged, LedgerSection, SearchSection};
    let c = &r.case;
    let label = |key: &str| t(lang, key).to_string();
    let mut facts = vec![
        (
            label("case_report_made_by"),
            format!(
                "{} ({}), {}",
                r.made_by,
                crate::i18n::role_name(lang, r.maker.role),
                crate::i18n::date_time(lang, r.made)
            ),
        ),
        (label("case"), c.case_number.clone()),
        (label("deployment"), c.deployment.clone()),
        (
            label("offence"),
            format!(
                "{} ({}; {} {})",
                c.offence,
                c.offence_category,
                c.max_sentence_years,
                t(lang, "years_maximum")
            ),
        ),
        (
            label("requested_by"),
            format!(
                "{} ({})",
                c.requested_by,
                crate::i18n::date_time(lang, c.requested_at)
            ),
        ),
    ];
    if let Some(d) = &c.decision {
        let authority = match c.authority {
            AuthorityKind::PublicProsecutor => "public_prosecutor",
            AuthorityKind::InvestigatingJudge => "investigating_judge",
        };
        facts.push((
            label("case_report_decision"),
            format!(
                "{} — {} {} ({}{}): {}",
                t(
                    lang,
                    if d.granted {
                        "case_authorised"
                    } else {
                        "case_refused"
                    }
                ),
                t(lang, authority),
                d.by,
                crate::i18n::date_time(lang, d.at),
                if c.urgent {
                    format!("; {}", t(lang, "case_report_urgent"))
                } else {
                    String::new()
                },
                d.reason
            ),
        ));
    }
    let mut searches = Vec::new();
    for (n, reported) in r.searches.iter().enumerate() {
        let s = &reported.record;
        let scale = waarborg_app::search::scale_of(app, s)?;
        let mut facts = vec![
            (
                label("case_report_submitted"),
                format!(
                    "{} — {}",
                    crate::i18n::date_time(lang, s.created),
                    s.examiner
                ),
            ),
            (
                label("probe"),
                format!(
                    "SHA-256 {} — {}",
                    s.probe_sha256,
                    t(lang, &format!("source_{}", s.probe_source))
                ),
            ),
        ];
        if let Some(f) = &s.frame {
            facts.push((label("case_report_frame"), crate::ui::frame_words(lang, f)));
        }
        if let Some(d) = &s.derivation {
            facts.push((
                label("prepared_from"),
                format!(
                    "{} (SHA-256 {}): {}",
                    d.parent_search,
                    d.parent_sha256,
                    d.operations
                        .iter()
                        .map(|op| crate::ui::preparation_words(lang, op))
                        .collect::<Vec<_>>()
                        .join(" · ")
                ),
            ));
        }
        if let Some(face) = s.chosen {
            let manual = if s.faces.get(face).is_some_and(|f| f.manual.is_some()) {
                format!(" ({})", t(lang, "marked_by_hand"))
            } else {
                String::new()
            };
            facts.push((
                label("case_report_face"),
                format!(
                    "{} {} / {}{manual}",
                    t(lang, "face"),
                    face + 1,
                    s.faces.len()
                ),
            ));
        }
        facts.push((
            label("revision"),
            format!(
                "{} — {}: {} · {}: {} · {}: {}",
                reported.revision,
                t(lang, "case_report_threshold"),
                reported.score_threshold,
                t(lang, "case_report_list_length"),
                reported.candidate_list_length,
                t(lang, "candidates"),
                s.candidates.len()
            ),
        ));
        facts.push((
            label("case_report_models"),
            reported.model_sha256.join(" · "),
        ));
        if let Some(w) = &s.withdrawal {
            facts.push((
                label("withdrawn"),
                format!(
                    "{} ({}): {}",
                    w.by,
                    crate::i18n::date_time(lang, w.at),
                    w.reasons
                ),
            ));
        }
        for e in &s.erasures {
            facts.push((label("erased_parts"), crate::ui::erasure_text(lang, e)));
        }
        let marks = |c: &Option<waarborg_govern::comparison::FeatureComparison>| {
            c.as_ref().map(|c| {
                let m = crate::compare::MarksView::of(lang, c);
                (m.summary, m.marks)
            })
        };
        let mut judgements = Vec::new();
        if let Some(i) = &s.identification {
            if let Some(p) = &i.proposal {
                judgements.push(Judged {
                    who: format!("{} — {}", t(lang, "proposal"), i.examiner),
                    what: crate::ui::graded_text(lang, &scale, &p.conclusion, &p.level),
                    reasons: p.reasoning.clone(),
                    comparison: marks(&p.comparison),
                });
            }
            for o in &i.own_conclusions {
                judgements.push(Judged {
                    who: format!("{} {}", t(lang, "own_conclusion_of"), o.verifier),
                    what: crate::ui::graded_text(lang, &scale, &o.conclusion, &o.level),
                    reasons: o.reasons.clone(),
                    comparison: marks(&o.comparison),
                });
            }
            for v in &i.verifications {
                let verdict = v.verdict.as_str();
                judgements.push(Judged {
                    who: format!(
                        "{} {} ({})",
                        t(lang, "verdict_of"),
                        v.verifier,
                        crate::i18n::date_time(lang, v.at)
                    ),
                    what: t(lang, verdict).to_string(),
                    reasons: v.reasons.clone(),
                    comparison: None,
                });
            }
            if i.outcome.is_some() {
                judgements.push(Judged {
                    who: label("outcome"),
                    what: crate::ui::outcome_text(lang, i.outcome.as_ref()),
                    reasons: String::new(),
                    comparison: None,
                });
            }
        }
        searches.push(SearchSection {
            title: format!(
                "{} {} — {} ({})",
                t(lang, "probe"),
                n + 1,
                s.id,
                crate::ui::search_stage(lang, s)
            ),
            facts,
            judgements,
        });
    }
    Ok(CaseDocument {
        title: format!("{} {}", t(lang, "case_report_title"), c.case_number),
        lead_not_proof: label("lead_never_proof"),
        facts,
        searches,
        ledger: LedgerSection {
            how: label("case_report_how"),
            checkpoint: r.ledger.checkpoint.clone(),
            entries: r
                .ledger
                .entries
                .iter()
                .map(|e| (e.index, e.entry.clone(), e.inclusion_proof.clone()))
                .collect(),
        },
    })
}
