//! The web interface: server-rendered HTML with plain forms (no JavaScript), in English
//! and Dutch. Pages call the same service functions as the JSON API.

use std::sync::Arc;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use waarborg_govern::identification::{Conclusion, Outcome, Verdict};
use waarborg_govern::{Role, Timestamp};

use crate::auth::{self, Principal};
use crate::i18n::{t, Lang};
use crate::problem::Problem;
use crate::search::{self, SubmitQuery, VerificationBody};
use crate::AppState;
use waarborg_govern::scale::ConclusionScale;

/// Language cookie.
pub const LANG_COOKIE: &str = "waarborg_lang";

/// The `?lang=` of a page.
#[derive(Deserialize, Default)]
pub struct LangQuery {
    pub(crate) lang: Option<String>,
}

/// `id` percent-encoded as one segment of a URL's path (as the templates'
/// `urlencode_strict`): identifiers are checked where they enter, and still encoded here.
pub(crate) fn path_segment(id: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(id, SEGMENT).to_string()
}

pub(crate) fn lang_of(headers: &HeaderMap, q: &LangQuery) -> Lang {
    if let Some(l) = &q.lang {
        return Lang::parse(l);
    }
    headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| {
            c.split(';')
                .filter_map(|p| p.trim().split_once('='))
                .find(|(k, _)| *k == LANG_COOKIE)
                .map(|(_, v)| Lang::parse(v))
        })
        .unwrap_or(Lang::En)
}

/// What the frame of every page shows: the language, the title, the navigation the reader's
/// role may follow, who is signed in.
pub(crate) struct Layout {
    pub(crate) lang: Lang,
    pub(crate) title: String,
    pub(crate) nav: Vec<(&'static str, &'static str)>,
    pub(crate) who: Option<Who>,
}

/// The person signed in, as the frame shows them.
pub(crate) struct Who {
    pub(crate) name: String,
    pub(crate) role: &'static str,
}

impl Layout {
    pub(crate) fn new(lang: Lang, title: &str, who: Option<&Principal>) -> Layout {
        Layout {
            lang,
            title: title.to_string(),
            nav: crate::routes::navigation(who.map(|p| p.role))
                .into_iter()
                .map(|(href, key)| (href, t(lang, key)))
                .collect(),
            who: who.map(|p| Who {
                name: p.account.display_name.clone(),
                role: crate::i18n::role_name(lang, p.role),
            }),
        }
    }

    /// The message `key` in the page's language.
    pub(crate) fn t(&self, key: &str) -> &'static str {
        t(self.lang, key)
    }

    /// The other language's code (the switch in the header).
    pub(crate) fn other_lang(&self) -> &'static str {
        match self.lang {
            Lang::En => "nl",
            Lang::Nl => "en",
        }
    }
}

/// A page from its template, with the language remembered in a cookie.
pub(crate) fn render(lang: Lang, page: &impl askama::Template) -> Response {
    let html = match page.render() {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(error = %e, "a page template failed");
            return Problem::internal("the page could not be made").into_response();
        }
    };
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; SameSite=Strict; Max-Age=31536000",
        lang.code()
    );
    (
        [
            (header::SET_COOKIE, cookie),
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
        ],
        Html(html),
    )
        .into_response()
}

/// `GET /static/waarborg.css`: the one style sheet.
pub async fn style_sheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/waarborg.css"),
    )
        .into_response()
}

/// `GET /static/waarborg.js`: the one script, an enhancement only.
pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/waarborg.js"),
    )
        .into_response()
}

/// Why a governance rule refused, in the reader's language: `refusal_<code>` with the
/// rule's values, roles and states by their names.
pub fn rule_text(lang: Lang, rule: &waarborg_govern::rule::Rule) -> String {
    use waarborg_govern::rule::Arg;
    let vars: Vec<(&str, String)> = rule
        .args()
        .into_iter()
        .map(|(name, arg)| {
            let value = match arg {
                Arg::Text(s) => s,
                Arg::Number(n) => n.to_string(),
                Arg::Role(r) => crate::i18n::role_name(lang, r).to_string(),
                Arg::Roles(rs) => rs
                    .iter()
                    .map(|r| crate::i18n::role_name(lang, *r))
                    .collect::<Vec<_>>()
                    .join(&format!(" {} ", t(lang, "or"))),
                Arg::State(s) => crate::i18n::state_name(lang, s).to_string(),
            };
            (name, value)
        })
        .collect();
    crate::i18n::t_with(lang, &format!("refusal_{}", rule.code()), &vars)
}

/// Problems said in the reader's words (what to do), beside the recorded detail.
const PROBLEM_TEXTS: &[(&str, &str)] = &[
    ("insufficient_storage", "problem_insufficient_storage"),
    ("forbidden", "problem_forbidden"),
    ("unauthenticated", "problem_unauthenticated"),
    ("not_found", "problem_not_found"),
    ("conflict", "problem_conflict"),
    ("bad_request", "problem_bad_request"),
];

pub(crate) fn problem_page(lang: Lang, who: Option<&Principal>, p: &Problem) -> Response {
    // A refusal (of a governance rule, or of the gate, whose detail starts with its stable
    // code) is said first in the reader's words.
    let gate = (p.kind == "gate_refused")
        .then(|| p.detail.split(':').next())
        .flatten()
        .map(|code| t(lang, &format!("refusal_{code}")).to_string());
    let kind = PROBLEM_TEXTS
        .iter()
        .find(|(k, _)| *k == p.kind)
        .map(|(_, key)| t(lang, key).to_string());
    let why = p
        .rule
        .as_ref()
        .map(|rule| rule_text(lang, rule))
        .or(gate)
        .or(kind)
        .filter(|text| text != "??");
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut r = render(
        lang,
        &ProblemPage {
            layout: Layout::new(lang, t(lang, "error"), who),
            why,
            detail: &p.detail,
            next: t(lang, next_step(status)).to_string(),
            log_in: status == StatusCode::UNAUTHORIZED,
        },
    );
    *r.status_mut() = status;
    r
}

/// What the reader can do next after an answer with `status`: the message key.
fn next_step(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "next_log_in",
        403 => "next_forbidden",
        404 | 410 => "next_not_found",
        409 => "next_conflict",
        413 => "next_too_large",
        415 => "next_unsupported",
        422 => "next_refused",
        429 => "next_wait",
        500.. => "next_later",
        _ => "next_correct",
    }
}

/// The login form (`templates/login.html`).
#[derive(askama::Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    roles: Vec<&'static str>,
}

/// A problem, as a page (`templates/problem.html`).
#[derive(askama::Template)]
#[template(path = "problem.html")]
struct ProblemPage<'a> {
    layout: Layout,
    why: Option<String>,
    detail: &'a str,
    /// What the reader can do now.
    next: String,
    /// Offer the login (the session ended or never began).
    log_in: bool,
}

/// The answer to a web form: on success, on to `to`; otherwise the problem, as a page in
/// the requester's language.
pub(crate) fn form_answer<E: Into<Problem>>(
    headers: &HeaderMap,
    p: &Principal,
    done: Result<(), E>,
    to: &str,
) -> Response {
    match done {
        Ok(()) => Redirect::to(to).into_response(),
        Err(problem) => problem_page(
            lang_of(headers, &LangQuery::default()),
            Some(p),
            &problem.into(),
        ),
    }
}

/// The principal of the request's session, if any (for pages that anyone may see).
fn optional_principal(state: &AppState, headers: &HeaderMap) -> Option<Principal> {
    let token = headers
        .get(header::COOKIE)?
        .to_str()
        .ok()
        .and_then(auth::token_from_cookies)?;
    auth::principal(&state.store, token, state.now().0)
        .ok()
        .flatten()
}

/// The principal of the request's session, if any, read on the blocking pool.
pub(crate) async fn signed_in(state: &Arc<AppState>, headers: &HeaderMap) -> Option<Principal> {
    let state = state.clone();
    let headers = headers.clone();
    crate::pool(move || optional_principal(&state, &headers))
        .await
        .ok()
        .flatten()
}

/// `GET /`: the login form, or the signed-in person's start page.
pub async fn home(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = lang_of(&headers, &q);
    let Some(p) = signed_in(&state, &headers).await else {
        return render(
            lang,
            &LoginPage {
                layout: Layout::new(lang, t(lang, "login"), None),
                roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
            },
        );
    };
    match p.role {
        Role::Examiner | Role::Verifier | Role::Auditor | Role::PrivacyOfficer => {
            Redirect::to("/ui/searches").into_response()
        }
        Role::ReferenceDatabaseManager => Redirect::to("/ui/refdb").into_response(),
        Role::Requester | Role::CompetentAuthority => Redirect::to("/ui/cases").into_response(),
        _ => Redirect::to("/register").into_response(),
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    user: String,
    password: String,
    role: String,
    #[serde(default)]
    code: Option<String>,
}

/// `POST /login` (form).
pub async fn login(
    State(state): State<Arc<AppState>>,
    source: auth::Source,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let lang = lang_of(&headers, &LangQuery::default());
    let Some(role) = Role::parse(&f.role) else {
        return problem_page(
            lang,
            None,
            &Problem::bad_request(format!("unknown role {:?}", f.role)),
        );
    };
    // Password hashing is slow on purpose: on the blocking pool.
    let logged_in = crate::blocking(&state, move |app| {
        let code = f.code.as_deref().filter(|c| !c.trim().is_empty());
        auth::login(app, &source.0, &f.user, &f.password, code, role)
    })
    .await;
    match logged_in {
        Ok((token, _)) => (
            [(
                header::SET_COOKIE,
                auth::cookie(&token, state.secure_cookies),
            )],
            Redirect::to("/"),
        )
            .into_response(),
        Err(p) => problem_page(lang, None, &p),
    }
}

/// `POST /logout` (form).
pub async fn logout(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Some(token) = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(auth::token_from_cookies)
    {
        let hash = auth::token_hash(token);
        let _ = crate::blocking(&state, move |app| auth::logout(app, &hash)).await;
    }
    let gone = format!(
        "{}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0",
        auth::COOKIE
    );
    ([(header::SET_COOKIE, gone)], Redirect::to("/")).into_response()
}

/// `GET /register`: the public register.
pub async fn register(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    crate::page_blocking(&state, move |state| register_page(state, &headers, &q)).await
}

fn register_page(state: &AppState, headers: &HeaderMap, q: &LangQuery) -> Response {
    let lang = lang_of(headers, q);
    let who = optional_principal(state, headers);
    let now = state.now();
    let deployments = match waarborg_app::register::deployments(state) {
        Ok(d) => d,
        Err(e) => return problem_page(lang, who.as_ref(), &e.into()),
    };
    let uses = deployments
        .iter()
        .filter_map(|d| {
            let r = d.revisions.last()?;
            let review = match r.review_due() {
                Some(due) if now > due => Review::Overdue(crate::i18n::date(lang, due)),
                Some(due) => Review::Due(crate::i18n::date(lang, due)),
                None => Review::None,
            };
            Some(UseRow {
                id: d.id.clone(),
                name: d.name.clone(),
                system: r.content.system.clone(),
                mode: crate::i18n::mode_name(lang, r.content.mode),
                state: crate::i18n::state_name(lang, r.effective_state(now)),
                from: crate::i18n::date(lang, r.content.scope.valid_from),
                until: crate::i18n::date(lang, r.content.scope.valid_until),
                review,
                purpose: r.content.purpose.clone(),
                kind: t(
                    lang,
                    &format!("kind_of_use_{}", r.content.kind_of_use().as_str()),
                ),
                licences: r.content.technology.licence_texts().join(" · "),
            })
        })
        .collect();
    let published = published(state, &deployments, lang, now);
    render(
        lang,
        &RegisterPage {
            layout: Layout::new(lang, t(lang, "register"), who.as_ref()),
            linked: who.is_some(),
            uses,
            published,
        },
    )
}

/// The public register (`templates/register.html`).
#[derive(askama::Template)]
#[template(path = "register.html")]
struct RegisterPage {
    layout: Layout,
    /// Signed in: each use links to its page.
    linked: bool,
    uses: Vec<UseRow>,
    published: Vec<PublishedUse>,
}

/// One use in the register's table.
struct UseRow {
    id: String,
    name: String,
    system: String,
    mode: &'static str,
    state: &'static str,
    from: String,
    until: String,
    review: Review,
    purpose: String,
    /// Operational, an experiment or a demonstration, in words.
    kind: &'static str,
    /// The models' licences.
    licences: String,
}

/// When a use's next review is due.
enum Review {
    Due(String),
    Overdue(String),
    None,
}

/// A use's published text and figures.
struct PublishedUse {
    title: String,
    id: String,
    /// (the register's Dutch field title, the text), the empty ones left out.
    texts: Vec<(&'static str, String)>,
    figures: PublicFigures,
}

/// A use's yearly figures for the public.
enum PublicFigures {
    /// None are shown, and why (the ledger does not verify).
    Unavailable(String),
    /// The use has none in the last full year or this one.
    None,
    /// The figures of `year`; where they were computed from (the ledger's first entries, in
    /// words) and the root there.
    Year {
        year: i32,
        point: String,
        root: String,
        rows: Vec<(&'static str, u64)>,
    },
}

/// Each use's published register text and its latest yearly figures (the last full year,
/// or this year so far where the last full year has none), computed from the ledger.
fn published(
    state: &AppState,
    deployments: &[waarborg_govern::revision::Deployment],
    lang: Lang,
    now: Timestamp,
) -> Vec<PublishedUse> {
    let this_year: i32 = crate::publication::year_of(now);
    // Kept by the ledger's watch: reading them costs only the entries added since.
    let last = waarborg_app::audit::public_figures(state, this_year - 1);
    let current = waarborg_app::audit::public_figures(state, this_year);
    let mut out = Vec::new();
    for d in deployments {
        let Ok((text, _)) = crate::publication::publication(&state.store, &d.id) else {
            continue;
        };
        let r = &text.register;
        let texts = [
            ("Korte omschrijving", &r.description_short),
            ("Organisatie", &r.organization),
            ("Doel en impact", &r.goal),
            ("Afwegingen", &r.proportionality),
            ("Menselijke tussenkomst", &r.human_intervention),
            ("Risicobeheer", &r.risks),
            ("Wettelijke basis", &r.lawful_basis),
            ("Contactgegevens", &r.contact_email),
        ]
        .into_iter()
        .filter(|(_, value)| !value.trim().is_empty())
        .map(|(title, value)| (title, value.clone()))
        .collect();
        let of_year = |report: &Result<std::sync::Arc<waarborg_report::Report>, String>,
                       year: i32| {
            report
                .as_ref()
                .map_err(String::clone)
                .map(|rep| rep.deployment(&d.id).map(|f| (year, rep.clone(), f)))
        };
        let chosen = match of_year(&last, this_year - 1) {
            Ok(None) => of_year(&current, this_year),
            other => other,
        };
        let figures = match chosen {
            Err(why) => PublicFigures::Unavailable(why),
            Ok(Some((year, rep, f))) => PublicFigures::Year {
                year,
                point: crate::i18n::t_with(
                    lang,
                    "figures_point",
                    &[("n", rep.ledger.size.to_string())],
                ),
                root: rep.ledger.root.clone(),
                rows: vec![
                    ("probes_submitted", f.probes_submitted),
                    ("public_insufficient", f.insufficient_quality),
                    ("searches_done", f.searches),
                    ("public_identifications", f.identifications),
                    ("not_confirmed", f.not_confirmed),
                ],
            },
            Ok(None) => PublicFigures::None,
        };
        out.push(PublishedUse {
            title: if r.name.is_empty() {
                d.name.clone()
            } else {
                r.name.clone()
            },
            id: d.id.clone(),
            texts,
            figures,
        });
    }
    out
}

/// `GET /ui/searches`.
pub async fn searches(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = lang_of(&headers, &q);
    let list = match search::searches_for(&state, &p.actor()) {
        Ok(l) => l,
        Err(e) => return problem_page(lang, Some(&p), &e.into()),
    };
    let rows = list
        .iter()
        .rev()
        .map(|s| SearchRow {
            id: s.id.clone(),
            case: s.case_number.clone(),
            examiner: s.examiner.clone(),
            stage: search_stage(lang, s).to_string(),
            when: crate::i18n::date_time(lang, s.created),
        })
        .collect();
    let title = if p.role == Role::Verifier {
        t(lang, "queue")
    } else {
        t(lang, "searches")
    };
    render(
        lang,
        &SearchesPage {
            layout: Layout::new(lang, title, Some(&p)),
            rows,
        },
    )
}

/// The searches one works on (`templates/searches.html`).
#[derive(askama::Template)]
#[template(path = "searches.html")]
struct SearchesPage {
    layout: Layout,
    rows: Vec<SearchRow>,
}

/// One search in the list.
struct SearchRow {
    id: String,
    case: String,
    examiner: String,
    stage: String,
    when: String,
}

/// The form for a new search (`templates/new_search.html`).
#[derive(askama::Template)]
#[template(path = "new_search.html")]
struct NewSearchPage {
    layout: Layout,
    /// The deployments in use (id, name).
    deployments: Vec<(String, String)>,
    /// The probe sources a search may name: (value, in words).
    probe_sources: Vec<(&'static str, &'static str)>,
    /// The image types a probe may be (the file input's `accept`).
    accept: String,
    /// The video types, and the limits of a video.
    accept_video: String,
    /// What a video may be, in words.
    video_note: String,
    /// The case and deployment given (from a case folder's "add a probe").
    case: String,
    deployment: String,
}

/// The `?case=&deployment=` of the new-search page (and its `?lang=`).
#[derive(Deserialize, Default)]
pub struct NewSearchQuery {
    lang: Option<String>,
    case: Option<String>,
    deployment: Option<String>,
}

/// `GET /ui/searches/new`.
pub async fn new_search(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(q): Query<NewSearchQuery>,
) -> Response {
    let lang = lang_of(
        &headers,
        &LangQuery {
            lang: q.lang.clone(),
        },
    );
    crate::page_blocking(&state, move |state| {
        match waarborg_app::register::in_use(state) {
            Ok(deployments) => new_search_page(lang, &p, deployments, q),
            Err(e) => problem_page(lang, Some(&p), &e.into()),
        }
    })
    .await
}

fn new_search_page(
    lang: Lang,
    p: &Principal,
    deployments: Vec<(String, String)>,
    q: NewSearchQuery,
) -> Response {
    render(
        lang,
        &NewSearchPage {
            layout: Layout::new(lang, t(lang, "new_search"), Some(p)),
            deployments,
            probe_sources: ["crime_scene_cctv", "seized_material", "bystander_photo"]
                .into_iter()
                .map(|k| (k, t(lang, &format!("source_{k}"))))
                .collect(),
            accept: search::PROBE_TYPES.join(","),
            accept_video: waarborg_app::video::VIDEO_TYPES.join(","),
            video_note: crate::i18n::t_with(
                lang,
                "video_note",
                &[
                    (
                        "mib",
                        (waarborg_app::video::MAX_VIDEO_BYTES >> 20).to_string(),
                    ),
                    (
                        "minutes",
                        (waarborg_app::video::MAX_VIDEO_SECONDS / 60.0).to_string(),
                    ),
                ],
            ),
            case: q.case.unwrap_or_default(),
            deployment: q.deployment.unwrap_or_default(),
        },
    )
}

/// `POST /ui/searches` (multipart).
pub async fn submit(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    let lang = lang_of(&headers, &LangQuery::default());
    let (q, _, (ctype, bytes)) = match probe_upload(multipart, "probe").await {
        Ok(read) => read,
        Err(problem) => return problem_page(lang, Some(&p), &problem),
    };
    let actor = p.actor();
    let submitted = crate::blocking(&state, move |app| {
        search::submit_probe(app, &actor, &q, &ctype, bytes)
    })
    .await;
    match submitted {
        Ok((s, _)) => Redirect::to(&format!("/ui/searches/{}", s.id)).into_response(),
        Err(e) => problem_page(lang, Some(&p), &e),
    }
}

/// `POST /ui/videos` (multipart): frames of a recorded video taken as probes of a case; on
/// to the case folder, where they are listed.
pub async fn submit_video(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    let lang = lang_of(&headers, &LangQuery::default());
    let (q, mut fields, (ctype, bytes)) = match probe_upload(multipart, "video").await {
        Ok(read) => read,
        Err(problem) => return problem_page(lang, Some(&p), &problem),
    };
    let best = match fields
        .remove("best")
        .filter(|b| !b.is_empty())
        .map(|b| b.parse())
    {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => {
            return problem_page(
                lang,
                Some(&p),
                &Problem::bad_request("the number of best frames is a whole number, 0 to 5"),
            )
        }
    };
    let pick = waarborg_app::video::FramePick {
        at: fields.remove("at"),
        best,
    };
    let actor = p.actor();
    let case = q.case.clone();
    let taken = crate::blocking(&state, move |app| {
        waarborg_app::video::take_frames(app, &actor, &q, &ctype, &bytes, &pick)
    })
    .await;
    match taken {
        Ok(_) => {
            Redirect::to(&format!("/ui/cases/{}#outcome", path_segment(&case))).into_response()
        }
        Err(e) => problem_page(lang, Some(&p), &e),
    }
}

/// A probe's upload form read: where it goes (deployment, case, source), the other fields,
/// and the file sent as `file` (its content type and bytes); no file is a problem.
async fn probe_upload(
    multipart: Multipart,
    file: &str,
) -> Result<
    (
        SubmitQuery,
        std::collections::HashMap<String, String>,
        (String, Vec<u8>),
    ),
    Problem,
> {
    let (mut fields, mut files) = multipart_form(multipart, &[file]).await?;
    let sent = files
        .remove(file)
        .and_then(|mut f| f.pop())
        .ok_or_else(|| Problem::bad_request(format!("no {file} was sent")))?;
    let q = SubmitQuery {
        deployment: fields.remove("deployment").unwrap_or_default(),
        case: fields.remove("case").unwrap_or_default(),
        probe_source: fields.remove("probe_source").unwrap_or_default(),
    };
    Ok((q, fields, sent))
}

/// Text fields and files by name: (content type, bytes), several under one name in order.
pub(crate) type MultipartForm = (
    std::collections::HashMap<String, String>,
    std::collections::HashMap<String, Vec<(String, Vec<u8>)>>,
);

/// A multipart form read whole: fields named in `files` (empty parts left out) as files,
/// the others as trimmed text. An upload cut short is a problem that says so.
pub(crate) async fn multipart_form(
    mut multipart: Multipart,
    files: &[&str],
) -> Result<MultipartForm, Problem> {
    let cut =
        |e: &dyn std::fmt::Display| Problem::bad_request(format!("the upload was cut short: {e}"));
    let (mut fields, mut read) = MultipartForm::default();
    while let Some(field) = multipart.next_field().await.map_err(|e| cut(&e))? {
        let name = field.name().unwrap_or("").to_string();
        let ctype = field.content_type().unwrap_or("").to_string();
        let bytes = field.bytes().await.map_err(|e| cut(&e))?;
        if files.contains(&name.as_str()) {
            if !bytes.is_empty() {
                read.entry(name).or_default().push((ctype, bytes.to_vec()));
            }
        } else {
            fields.insert(name, String::from_utf8_lossy(&bytes).trim().to_string());
        }
    }
    Ok((fields, read))
}

/// An image answer: its type from its first bytes, never cached, never sniffed.
fn image_response(bytes: Vec<u8>) -> Response {
    let ctype = match bytes.as_slice() {
        [0xFF, 0xD8, ..] => "image/jpeg",
        [0x89, b'P', b'N', b'G', ..] => "image/png",
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => "image/webp",
        [b'B', b'M', ..] => "image/bmp",
        [b'I', b'I', ..] | [b'M', b'M', ..] => "image/tiff",
        _ => "application/octet-stream",
    };
    let headers = [
        (header::CONTENT_TYPE, ctype),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    (headers, bytes).into_response()
}

/// Which part of the probe to show.
#[derive(Deserialize, Default)]
pub struct ProbeQuery {
    /// One detected face, cut out; the whole image when absent.
    face: Option<usize>,
    /// `upright`: the whole probe upright and scaled for the screen (JPEG), under the
    /// faces' boxes; the file as submitted when absent.
    view: Option<String>,
}

/// `GET /ui/searches/{id}/probe[?face=N]`: the probe image, or one face of it, for those
/// who may read the search.
pub async fn probe(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    Query(q): Query<ProbeQuery>,
) -> Response {
    let actor = p.actor();
    let bytes = crate::blocking(&state, move |app| {
        let rendition = match (q.face, q.view.as_deref()) {
            (Some(face), _) => search::Rendition::Face(face),
            (None, Some("upright")) => search::Rendition::View,
            (None, Some(other)) => {
                return Err(waarborg_app::AppError::invalid(format!(
                    "view {other:?} is not known; upright, or none for the file as submitted"
                )))
            }
            (None, None) => search::Rendition::Original,
        };
        search::probe_image(app, &actor, &id, rendition)
    })
    .await;
    match bytes {
        Ok(bytes) => image_response(bytes),
        Err(e) => e.into_response(),
    }
}

/// `GET /ui/searches/{id}/candidates/{reference}/image`: a candidate's reference image, for
/// those who may read the search.
pub async fn candidate_image(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path((id, reference)): Path<(String, String)>,
) -> Response {
    let actor = p.actor();
    let image = crate::blocking(&state, move |app| {
        search::candidate_image(app, &actor, &id, &reference)
    })
    .await;
    match image {
        Ok(bytes) => image_response(bytes),
        Err(e) => e.into_response(),
    }
}

/// One candidate: rank, the reference and its database, the score, whether its image is
/// kept, and where the reference image came from.
/// A conclusion in the reader's words.
fn conclusion_text(lang: Lang, c: &Conclusion) -> String {
    match c {
        Conclusion::Candidate { reference } => format!(
            "{} — {} {reference}",
            t(lang, "candidate_x"),
            t(lang, "reference")
        ),
        Conclusion::NoIdentification => t(lang, "no_identification").to_string(),
        Conclusion::Inconclusive => t(lang, "inconclusive").to_string(),
    }
}

/// A conclusion with its level on the scale, in the reader's words (the level's own text
/// from the framework; a level no longer on the scale as recorded).
pub(crate) fn graded_text(
    lang: Lang,
    scale: &ConclusionScale,
    c: &Conclusion,
    level: &str,
) -> String {
    let words = conclusion_text(lang, c);
    match scale.level(level) {
        Some(l) => format!("{words} — {}", l.text(lang.code())),
        None if level.is_empty() => words,
        None => format!("{words} — {level}"),
    }
}

/// One candidate's row; read blind, without rank or score.
/// A planted proficiency test's candidates are its test gallery's (`gallery`): their images
/// come from the search, never a reference record.
fn candidate_row(
    state: &AppState,
    lang: Lang,
    c: &search::Candidate,
    record: Option<&waarborg_refdb::ReferenceRecord>,
    blind: bool,
    gallery: bool,
) -> CandidateRow {
    let has_image =
        gallery || record.is_some_and(|r| !r.image_sha256.is_empty()) && state.references.is_some();
    CandidateRow {
        rank: (!blind).then_some(c.rank),
        reference: c.reference,
        database: c.database.clone(),
        score: (!blind).then(|| number(lang, c.score, 3)),
        has_image,
        provenance: record.map(|r| provenance_lines(lang, r)),
    }
}

/// A reference image's provenance as (label key, value) lines.
pub(crate) fn provenance_lines(
    lang: Lang,
    r: &waarborg_refdb::ReferenceRecord,
) -> Vec<(&'static str, String)> {
    let p = &r.provenance;
    vec![
        ("source_kind", p.source_kind.as_str().to_string()),
        (
            "offence",
            format!(
                "{} ({} {})",
                p.offence,
                p.max_sentence_years,
                t(lang, "years_maximum")
            ),
        ),
        ("captured", crate::i18n::date(lang, p.captured_at)),
        ("capturing_unit", p.capturing_unit.clone()),
        ("legal_basis", p.legal_basis.clone()),
    ]
}

/// Where a search stands, in words: its path to an identification once there is one, else
/// its own stage (`stage_*`).
pub(crate) fn search_stage(lang: Lang, s: &waarborg_app::search::SearchRecord) -> &'static str {
    use waarborg_govern::identification::Stage;
    let key = match s.identification.as_ref().map(|i| i.stage) {
        _ if s.stage == search::SearchStage::Withdrawn => s.stage.as_str(),
        Some(Stage::Searched) | None => s.stage.as_str(),
        Some(Stage::Proposed) => "proposed",
        Some(Stage::Disputed) => "disputed",
        Some(Stage::Concluded) => "concluded",
        Some(Stage::Reported) => "reported",
    };
    t(lang, &format!("stage_{key}"))
}

/// An identification's outcome in words.
pub(crate) fn outcome_text(lang: Lang, outcome: Option<&Outcome>) -> String {
    match outcome {
        Some(Outcome::Identification { reference }) => {
            format!("{} {reference}", t(lang, "outcome_identification"))
        }
        Some(Outcome::NotConfirmed) => t(lang, "outcome_not_confirmed").to_string(),
        Some(Outcome::NoIdentification) => t(lang, "no_identification").to_string(),
        Some(Outcome::Inconclusive) | None => t(lang, "inconclusive").to_string(),
    }
}

/// `GET /ui/searches/{id}`.
pub async fn show(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<SearchQuery>,
) -> Response {
    let lang = lang_of(&headers, &LangQuery { lang: q.lang });
    let filter = search::CandidateFilter {
        database: q.database,
        captured_from: q.captured_from,
        captured_to: q.captured_to,
    };
    crate::page_blocking(&state, move |state| {
        search_page(state, &p, lang, &id, q.face, &filter)
    })
    .await
}

/// The `?face=` of a search page (a face picked on the probe), the candidate filters and
/// its `?lang=`.
#[derive(Deserialize, Default)]
pub struct SearchQuery {
    lang: Option<String>,
    face: Option<usize>,
    database: Option<String>,
    captured_from: Option<String>,
    captured_to: Option<String>,
}

fn search_page(
    state: &AppState,
    p: &Principal,
    lang: Lang,
    id: &str,
    face: Option<usize>,
    filter: &search::CandidateFilter,
) -> Response {
    let (s, _) = match search::consult(state, &p.actor(), id) {
        Ok(x) => x,
        Err(e) => return problem_page(lang, Some(p), &e.into()),
    };
    let view = search::view(&p.actor(), &s);
    let examining = p.role == Role::Examiner && s.stage == search::SearchStage::Detected;
    let faces: Vec<FaceRow> = s
        .faces
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let q = &f.quality;
            let (reasons, measures) = quality_words(lang, q);
            let [x0, y0, x1, y1] = f.bbox;
            FaceRow {
                index: i,
                number: i + 1,
                x: format!("{x0:.0}"),
                y: format!("{y0:.0}"),
                width: format!("{:.0}", (x1 - x0).max(1.0)),
                height: format!("{:.0}", (y1 - y0).max(1.0)),
                sufficient: q.sufficient,
                reasons,
                measures,
                selected: face == Some(i),
                manual: f.manual.is_some(),
                action: if s.chosen == Some(i) {
                    FaceAction::SearchedWith
                } else if examining && q.sufficient {
                    FaceAction::Choose
                } else {
                    FaceAction::None
                },
            }
        })
        .collect();
    let actor = p.actor();
    let blind = search::blind(&actor, &s);
    let groups = match search::candidates_by_person(state, &actor, &s, filter) {
        Ok(groups) => groups,
        Err(e) => return problem_page(lang, Some(p), &e.into()),
    };
    let shown = groups.iter().map(|g| g.images.len()).sum::<usize>();
    let people: Vec<PersonView> = groups
        .iter()
        .map(|g| {
            let mut rows = g.images.iter().map(|(c, record)| {
                candidate_row(
                    state,
                    lang,
                    c,
                    record.as_ref(),
                    blind,
                    s.proficiency.is_some(),
                )
            });
            PersonView {
                person: g.person.clone(),
                best: rows.next(),
                more: rows.collect(),
            }
        })
        .filter(|v| v.best.is_some())
        .collect();
    let mut databases: Vec<String> = s.candidates.iter().map(|c| c.database.clone()).collect();
    databases.sort();
    databases.dedup();
    let scale = match search::scale_of(state, &s) {
        Ok(scale) => scale,
        Err(e) => return problem_page(lang, Some(p), &e.into()),
    };
    let assignable = match search::assignable(state, &actor, &s) {
        Ok(a) => a,
        Err(e) => return problem_page(lang, Some(p), &e.into()),
    };
    let identification = s
        .identification
        .as_ref()
        .map(|ident| identification_view(lang, &actor, &s, ident, &view, &scale, &assignable));
    render(
        lang,
        &SearchPage {
            layout: Layout::new(lang, &format!("{} {}", t(lang, "search"), s.id), Some(p)),
            id: s.id.clone(),
            case: s.case_number.clone(),
            revision: s.revision.clone(),
            probe_sha256: s.probe_sha256.clone(),
            usable: faces.iter().any(|f| f.sufficient),
            faces,
            frame: s.probe_size.map(|[width, height]| ProbeFrame {
                width,
                height,
                font: (width.max(height) / 28).max(12),
            }),
            derivation: s.derivation.as_ref().map(|d| {
                (
                    d.parent_search.clone(),
                    d.parent_sha256.clone(),
                    d.operations
                        .iter()
                        .map(|op| preparation_words(lang, op))
                        .collect::<Vec<_>>()
                        .join(" · "),
                )
            }),
            frame_of: s.frame.as_ref().map(|f| frame_words(lang, f)),
            mark_form: examining,
            prepare_form: (p.role == Role::Examiner
                && s.examiner == p.account.user
                && !s.erased(waarborg_govern::retention::SearchPart::Probe)
                && !matches!(
                    s.stage,
                    search::SearchStage::Withdrawn | search::SearchStage::Erased
                ))
            .then(|| crop_around(&s, face))
            .flatten(),
            can_stop: examining,
            has_candidates: !s.candidates.is_empty(),
            candidate_count: s.candidates.len(),
            shown,
            people,
            databases,
            filter_database: filter.database.clone().unwrap_or_default(),
            filter_from: filter.captured_from.clone().unwrap_or_default(),
            filter_to: filter.captured_to.clone().unwrap_or_default(),
            filtered: !filter.is_empty(),
            chosen_face: s.chosen.unwrap_or_default(),
            identification,
            probe_kept: !s.erased(waarborg_govern::retention::SearchPart::Probe),
            withdraw_form: search::withdrawable(&p.actor(), &s),
            withdrawal: s.withdrawal.as_ref().map(|w| {
                format!(
                    "{} {} ({}): {}",
                    t(lang, "withdrawn_by"),
                    w.by,
                    crate::i18n::date_time(lang, w.at),
                    w.reasons
                )
            }),
            erasures: s.erasures.iter().map(|e| erasure_text(lang, e)).collect(),
        },
    )
}

/// The path to an identification as `actor` may see it, with the forms for their next step.
fn identification_view(
    lang: Lang,
    actor: &waarborg_govern::Actor,
    s: &search::SearchRecord,
    ident: &waarborg_govern::identification::Identification,
    view: &serde_json::Value,
    scale: &ConclusionScale,
    assignable: &[(String, Result<(), waarborg_govern::competence::Lack>)],
) -> IdentificationView {
    use waarborg_govern::identification::{Resolution, Stage};
    let blind = search::blind(actor, s);
    let shown = &view["identification"];
    let proposal = ident.proposal.as_ref().filter(|_| !blind).map(|p| {
        (
            graded_text(lang, scale, &p.conclusion, &p.level),
            p.reasoning.clone(),
            p.comparison
                .as_ref()
                .map(|c| crate::compare::MarksView::of(lang, c)),
        )
    });
    let levels: Vec<(String, String)> = scale
        .levels
        .iter()
        .map(|l| (l.key.clone(), l.text(lang.code()).to_string()))
        .collect();
    let candidates = |with_score: bool| -> Vec<(String, String)> {
        search::candidates_for(actor, s)
            .iter()
            .map(|c| {
                let label = match with_score {
                    true => format!("{} {} ({:.3})", t(lang, "reference"), c.reference, c.score),
                    false => format!("{} {}", t(lang, "reference"), c.reference),
                };
                (c.reference.to_string(), label)
            })
            .collect()
    };
    let judgement_form = if proposal.is_none()
        && actor.role == Role::Examiner
        && ident.stage == Stage::Searched
        && actor.user == s.examiner
    {
        Some(JudgementFormView {
            action: "proposal",
            levels: levels.clone(),
            candidates: candidates(true),
            button: "propose",
        })
    } else if blind && search::awaits_verification_by(actor, s) {
        Some(JudgementFormView {
            action: "own-conclusion",
            levels,
            candidates: candidates(false),
            button: "record_own_conclusion",
        })
    } else {
        None
    };
    let verifications = shown["verifications"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|v| {
            let field = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            let verdict = match field("verdict").as_str() {
                "agree" => t(lang, "agree"),
                "disagree" => t(lang, "disagree"),
                _ => t(lang, "inconclusive"),
            };
            (field("verifier"), verdict.to_string(), field("reasons"))
        })
        .collect();
    // Everyone's own conclusions, once the reader may see every judgement.
    let own_conclusions = match shown["own_conclusions"].as_array() {
        Some(shown) if actor.role != Role::Verifier && !shown.is_empty() => ident
            .own_conclusions
            .iter()
            .map(|c| {
                (
                    c.verifier.clone(),
                    graded_text(lang, scale, &c.conclusion, &c.level),
                    c.reasons.clone(),
                    c.comparison
                        .as_ref()
                        .map(|c| crate::compare::MarksView::of(lang, c)),
                )
            })
            .collect(),
        _ => Vec::new(),
    };
    let resolution = ident
        .resolution
        .as_ref()
        .filter(|_| !shown["resolution"].is_null())
        .map(|r| match r {
            Resolution::FurtherVerifier { verifier } => ResolutionView {
                how: format!("{} {verifier}", t(lang, "resolved_by_further_verifier")),
                positions: Vec::new(),
            },
            Resolution::Consultation {
                coordinator,
                positions,
                reasons,
                at,
                ..
            } => ResolutionView {
                how: format!(
                    "{} {coordinator} ({}): {reasons}",
                    t(lang, "resolved_by_consultation"),
                    crate::i18n::date_time(lang, *at)
                ),
                positions: positions
                    .iter()
                    .map(|p| {
                        let agrees = t(lang, if p.agrees { "agree" } else { "disagree" });
                        (p.person.clone(), agrees.to_string(), p.reasons.clone())
                    })
                    .collect(),
            },
        });
    let resolve_form =
        (actor.role == Role::Coordinator && ident.stage == Stage::Disputed).then(|| {
            std::iter::once(ident.examiner.clone())
                .chain(ident.verifications.iter().map(|v| v.verifier.clone()))
                .collect()
        });
    IdentificationView {
        stage: search_stage(lang, s).to_string(),
        proposal,
        judgement_form,
        blind: shown["hidden"].is_string(),
        assigned: ident
            .assigned
            .iter()
            .map(|v| (v.clone(), ident.may_unassign(actor, v)))
            .collect(),
        assign_form: (!assignable.is_empty()).then(|| {
            assignable
                .iter()
                .map(|(user, competent)| {
                    let label = match competent {
                        Ok(()) => user.clone(),
                        Err(lack) => format!(
                            "{user} — {}",
                            rule_text(
                                lang,
                                &waarborg_govern::rule::Rule::NotQualified { lack: lack.clone() }
                            )
                        ),
                    };
                    (user.clone(), label, competent.is_ok())
                })
                .collect()
        }),
        verifications,
        own_conclusions,
        resolution,
        resolve_form,
        outcome: (!shown["outcome"].is_null()).then(|| outcome_text(lang, ident.outcome.as_ref())),
        verify_form: !blind && search::awaits_verification_by(actor, s),
        own: ident
            .own_conclusions
            .iter()
            .find(|c| c.verifier == actor.user)
            .map(|c| {
                (
                    graded_text(lang, scale, &c.conclusion, &c.level),
                    c.reasons.clone(),
                )
            }),
    }
}

/// What was erased of a search, by which rule and when, in the reader's words.
pub(crate) fn erasure_text(lang: Lang, e: &search::Erasure) -> String {
    use waarborg_govern::retention::SearchPart;
    let part = match e.part {
        SearchPart::Probe => t(lang, "erased_probe"),
        SearchPart::SearchResult => t(lang, "erased_search_result"),
    };
    let rule = match e.rule.as_str() {
        "probe_period" => t(lang, "rule_probe_period"),
        "result_period" => t(lang, "rule_result_period"),
        "authorisation_refused" => t(lang, "rule_authorisation_refused"),
        "authorisation_late" => t(lang, "rule_authorisation_late"),
        other => other,
    };
    format!("{part} — {rule} ({})", crate::i18n::date_time(lang, e.at))
}

/// A search, as the examiner, a verifier or an overseer works on it
/// (`templates/search.html`).
#[derive(askama::Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    id: String,
    case: String,
    revision: String,
    probe_sha256: String,
    faces: Vec<FaceRow>,
    /// The frame to draw the boxes in (searches made before it was kept have none).
    frame: Option<ProbeFrame>,
    /// Where this probe was prepared from: (parent search, parent's hash, the steps).
    derivation: Option<(String, String, String)>,
    /// The recorded video this probe is a frame of, in words.
    frame_of: Option<String>,
    /// The examiner's preparation forms: a face marked by hand (while choosing), a derived
    /// probe (crop prefilled: the picked face with a margin, else the whole image).
    mark_form: bool,
    prepare_form: Option<[u32; 4]>,
    /// Some face is of sufficient quality.
    usable: bool,
    /// The examiner may still stop: the probe's quality does not allow a search.
    can_stop: bool,
    /// The search has a candidate list.
    has_candidates: bool,
    /// How many candidates, how many the filters let through.
    candidate_count: usize,
    shown: usize,
    /// The candidates per person, as this reader may see them.
    people: Vec<PersonView>,
    /// The reference databases among the candidates, and the filters asked for.
    databases: Vec<String>,
    filter_database: String,
    filter_from: String,
    filter_to: String,
    filtered: bool,
    chosen_face: usize,
    identification: Option<IdentificationView>,
    /// The probe image is still kept (not erased by its period or an authorisation).
    probe_kept: bool,
    /// The reader may withdraw the search.
    withdraw_form: bool,
    /// Who withdrew it, when and why, in words.
    withdrawal: Option<String>,
    /// What was erased, by which rule, when.
    erasures: Vec<String>,
}

/// One face found in the probe.
struct FaceRow {
    /// 0, 1, … (the forms' value).
    index: usize,
    /// 1, 2, … (as the page numbers it).
    number: usize,
    /// The box in the upright probe's pixels: left, top, width, height.
    x: String,
    y: String,
    width: String,
    height: String,
    sufficient: bool,
    /// Why not, in the reader's words.
    reasons: Vec<String>,
    /// The measurements, in the reader's words.
    measures: String,
    action: FaceAction,
    /// Picked on the probe (`?face=`).
    selected: bool,
    /// Marked by hand.
    manual: bool,
}

/// The upright probe's frame, in which the faces' boxes are drawn.
struct ProbeFrame {
    width: u32,
    height: u32,
    /// The boxes' numbers' size, in the frame's pixels.
    font: u32,
}

/// The crop a derived probe's form offers: face `face` with a margin of half its size, or
/// the whole probe; `None` where the probe's frame is not known.
fn crop_around(s: &search::SearchRecord, face: Option<usize>) -> Option<[u32; 4]> {
    let [w, h] = s.probe_size?;
    Some(match face.and_then(|i| s.faces.get(i)) {
        Some(f) => {
            let [x0, y0, x1, y1] = f.bbox;
            let margin = 0.5 * (x1 - x0).max(y1 - y0);
            let left = (x0 - margin).max(0.0) as u32;
            let top = (y0 - margin).max(0.0) as u32;
            let right = ((x1 + margin) as u32).min(w);
            let bottom = ((y1 + margin) as u32).min(h);
            [
                left,
                top,
                right.saturating_sub(left),
                bottom.saturating_sub(top),
            ]
        }
        None => [0, 0, w, h],
    })
}

/// Where a frame probe came from, in the reader's words.
pub(crate) fn frame_words(lang: Lang, f: &waarborg_app::video::FrameSource) -> String {
    crate::i18n::t_with(
        lang,
        if f.picked == "best" {
            "frame_of_video_best"
        } else {
            "frame_of_video"
        },
        &[
            ("time", number(lang, f.time_ms as f32 / 1000.0, 1)),
            ("length", number(lang, f.duration_ms as f32 / 1000.0, 1)),
            ("sha", f.video_sha256.clone()),
        ],
    )
}

/// A preparation step in the reader's words.
pub(crate) fn preparation_words(lang: Lang, op: &waarborg_app::prepare::Preparation) -> String {
    use waarborg_app::prepare::Preparation as P;
    let (key, vars) = match *op {
        P::Crop {
            x,
            y,
            width,
            height,
        } => (
            "prepared_crop",
            vec![
                ("x", x.to_string()),
                ("y", y.to_string()),
                ("width", width.to_string()),
                ("height", height.to_string()),
            ],
        ),
        P::Rotate { degrees } => ("prepared_rotate", vec![("value", number(lang, degrees, 1))]),
        P::Scale { factor } => ("prepared_scale", vec![("value", number(lang, factor, 2))]),
        P::Brightness { offset } => (
            "prepared_brightness",
            vec![("value", format!("{offset:+}"))],
        ),
        P::Contrast { factor } => (
            "prepared_contrast",
            vec![("value", number(lang, factor, 2))],
        ),
        P::Gamma { gamma } => ("prepared_gamma", vec![("value", number(lang, gamma, 2))]),
    };
    crate::i18n::t_with(lang, key, &vars)
}

/// A number with `decimals` as the reader writes it (a decimal comma in Dutch).
pub(crate) fn number(lang: Lang, v: f32, decimals: usize) -> String {
    let text = format!("{v:.decimals$}");
    match lang {
        Lang::Nl => text.replace('.', ","),
        Lang::En => text,
    }
}

/// A face's quality in the reader's words: why it is not sufficient (one sentence per failed
/// check, with what was measured), and the measurements.
fn quality_words(lang: Lang, q: &waarborg_face::QualityReport) -> (Vec<String>, String) {
    use waarborg_face::quality::QualityCheck as C;
    let reasons = q
        .failed
        .iter()
        .map(|check| {
            let (key, value) = match check {
                C::DetectorScore => ("quality_fail_detector_score", number(lang, q.det_score, 2)),
                C::EyeDistance => (
                    "quality_fail_eye_distance",
                    number(lang, q.interocular_px, 0),
                ),
                C::Yaw => ("quality_fail_yaw", number(lang, q.yaw_deg.abs(), 0)),
                C::Roll => ("quality_fail_roll", number(lang, q.roll_deg.abs(), 0)),
                C::Sharpness => ("quality_fail_sharpness", number(lang, q.sharpness, 0)),
                C::TooDark => ("quality_fail_too_dark", number(lang, q.brightness, 0)),
                C::TooBright => ("quality_fail_too_bright", number(lang, q.brightness, 0)),
                C::Contrast => ("quality_fail_contrast", number(lang, q.contrast, 0)),
            };
            crate::i18n::t_with(lang, key, &[("value", value)])
        })
        .collect();
    let measures = crate::i18n::t_with(
        lang,
        "quality_measures",
        &[
            ("eyes", number(lang, q.interocular_px, 0)),
            ("yaw", number(lang, q.yaw_deg.abs(), 0)),
            ("roll", number(lang, q.roll_deg.abs(), 0)),
            ("sharpness", number(lang, q.sharpness, 0)),
            ("brightness", number(lang, q.brightness, 0)),
        ],
    );
    (reasons, measures)
}

/// What may be done with a face.
enum FaceAction {
    SearchedWith,
    Choose,
    None,
}

/// One person among the candidates: their best image, and the others on demand.
struct PersonView {
    /// The pseudonymous person record, where one is kept.
    person: Option<String>,
    /// Always present once built (a person has an image).
    best: Option<CandidateRow>,
    more: Vec<CandidateRow>,
}

/// One candidate of the list.
struct CandidateRow {
    /// Absent when read blind.
    rank: Option<usize>,
    reference: u64,
    database: String,
    /// Absent when read blind.
    score: Option<String>,
    has_image: bool,
    /// (label key, value) lines; `None` when the record is gone.
    provenance: Option<Vec<(&'static str, String)>>,
}

/// The path to an identification, as this reader may see it.
struct IdentificationView {
    stage: String,
    /// The examiner's conclusion (with its level) and reasoning, once proposed.
    proposal: Option<(String, String, Option<crate::compare::MarksView>)>,
    /// The examiner's proposal, or a verifier's own conclusion (blind), to record.
    judgement_form: Option<JudgementFormView>,
    /// The others' judgements are hidden until this verifier records their own.
    blind: bool,
    /// The verifiers assigned, each with whether this reader may withdraw the assignment.
    assigned: Vec<(String, bool)>,
    /// For the examiner or a coordinator: the verifiers to assign (user, label, competent).
    assign_form: Option<Vec<(String, String, bool)>>,
    /// (verifier, verdict, reasons).
    verifications: Vec<(String, String, String)>,
    /// Every verifier's own conclusion, once the reader may see them all
    /// (verifier, conclusion, reasons).
    own_conclusions: Vec<(String, String, String, Option<crate::compare::MarksView>)>,
    resolution: Option<ResolutionView>,
    /// For a coordinator while disputed: the participants whose positions the
    /// consultation records.
    resolve_form: Option<Vec<String>>,
    outcome: Option<String>,
    verify_form: bool,
    /// This verifier's own conclusion and reasons, once recorded.
    own: Option<(String, String)>,
}

/// A conclusion to record on the scale: the level and, for a supporting level, the
/// candidate.
struct JudgementFormView {
    /// `proposal` or `own-conclusion`.
    action: &'static str,
    /// (level key, its text).
    levels: Vec<(String, String)>,
    /// (reference, label), in the order the reader may see them.
    candidates: Vec<(String, String)>,
    /// The button's message key.
    button: &'static str,
}

/// How a dispute was resolved.
struct ResolutionView {
    how: String,
    /// (person, agrees, reasons).
    positions: Vec<(String, String, String)>,
}

/// A step on search `id` posted from its page: `step` run on the blocking pool by the
/// signed-in person, then back to the search's page, or the problem explained.
async fn search_step<T: Send + 'static>(
    state: &AppState,
    p: &Principal,
    lang: Lang,
    id: &str,
    step: impl FnOnce(&waarborg_app::App, &waarborg_govern::Actor, &str) -> waarborg_app::Result<T>
        + Send
        + 'static,
) -> Response {
    let back = format!("/ui/searches/{}", path_segment(id));
    search_step_to(state, p, lang, id, step, move |_| back).await
}

/// [`search_step`], on to where `to` says after it (a new search, a face picked).
pub(crate) async fn search_step_to<T: Send + 'static>(
    state: &AppState,
    p: &Principal,
    lang: Lang,
    id: &str,
    step: impl FnOnce(&waarborg_app::App, &waarborg_govern::Actor, &str) -> waarborg_app::Result<T>
        + Send
        + 'static,
    to: impl FnOnce(T) -> String,
) -> Response {
    let (actor, searched) = (p.actor(), id.to_string());
    match crate::blocking(state, move |app| step(app, &actor, &searched)).await {
        Ok(done) => Redirect::to(&to(done)).into_response(),
        Err(e) => problem_page(lang, Some(p), &e),
    }
}

/// `POST /ui/searches/{id}/faces` (form): a face the detector missed, marked by hand; on
/// to the search with the new face picked.
pub async fn mark_face(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<waarborg_app::prepare::FaceMarkForm>,
) -> Response {
    let lang = lang_of(&headers, &LangQuery::default());
    let step = move |app: &_, actor: &_, id: &str| {
        waarborg_app::prepare::mark_face(app, actor, id, &f.mark()?)
    };
    search_step_to(&state, &p, lang, &id, step, |(s, face)| {
        format!(
            "/ui/searches/{}?face={face}#face-{face}",
            path_segment(&s.id)
        )
    })
    .await
}

/// `POST /ui/searches/{id}/derive` (form): a derived probe; on to its search.
pub async fn derive(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<waarborg_app::prepare::PrepareForm>,
) -> Response {
    let lang = lang_of(&headers, &LangQuery::default());
    let step = move |app: &_, actor: &_, id: &str| {
        waarborg_app::prepare::derive_from_form(app, actor, id, &f)
    };
    search_step_to(&state, &p, lang, &id, step, |s| {
        format!("/ui/searches/{}", path_segment(&s.id))
    })
    .await
}

#[derive(Deserialize)]
pub struct ChooseForm {
    face: usize,
}

/// `POST /ui/searches/{id}/choose`.
pub async fn choose(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<ChooseForm>,
) -> Response {
    let lang = lang_of(&headers, &LangQuery::default());
    search_step(&state, &p, lang, &id, move |app, actor, id| {
        search::choose_face(app, actor, id, f.face)
    })
    .await
}

/// `POST /ui/searches/{id}/insufficient`.
pub async fn insufficient(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let lang = lang_of(&headers, &LangQuery::default());
    search_step(&state, &p, lang, &id, move |app, actor, id| {
        search::stop_insufficient(app, actor, id)
    })
    .await
}

/// A conclusion on the scale as a form sends it: the level, the candidate (empty: none)
/// and the reasons. Nothing chosen is refused, never defaulted.
#[derive(Deserialize)]
pub struct JudgementForm {
    #[serde(default)]
    level: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    reasons: String,
}

impl JudgementForm {
    fn body(self) -> std::result::Result<search::JudgementBody, Problem> {
        if self.level.trim().is_empty() {
            return Err(Problem::bad_request(
                "choose a level of the conclusion scale",
            ));
        }
        let reference = match self.reference.trim() {
            "" => None,
            r => Some(r.parse().map_err(|_| {
                Problem::bad_request(format!("{r:?} is not a candidate's reference"))
            })?),
        };
        Ok(search::JudgementBody {
            level: self.level,
            reference,
            reasons: self.reasons,
            comparison: None,
        })
    }
}

/// `POST /ui/searches/{id}/proposal`.
pub async fn proposal(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<JudgementForm>,
) -> Response {
    let lang = lang_of(&headers, &LangQuery::default());
    let body = match f.body() {
        Ok(b) => b,
        Err(problem) => return problem_page(lang, Some(&p), &problem),
    };
    search_step(&state, &p, lang, &id, move |app, actor, id| {
        search::propose(app, actor, id, body)
    })
    .await
}

#[derive(Deserialize)]
pub struct VerifyForm {
    verdict: Verdict,
    reasons: String,
}

/// `POST /ui/searches/{id}/own-conclusion`: a verifier's own conclusion, blind.
pub async fn own_conclusion(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<JudgementForm>,
) -> Response {
    let lang = lang_of(&headers, &LangQuery::default());
    let body = match f.body() {
        Ok(b) => b,
        Err(problem) => return problem_page(lang, Some(&p), &problem),
    };
    search_step(&state, &p, lang, &id, move |app, actor, id| {
        search::conclude_independently(app, actor, id, body)
    })
    .await
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    verifier: String,
}

/// `POST /ui/searches/{id}/assign`.
pub async fn assign(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<AssignForm>,
) -> Response {
    let lang = lang_of(&headers, &LangQuery::default());
    search_step(&state, &p, lang, &id, move |app, actor, id| {
        search::assign(app, actor, id, f.verifier.trim())
    })
    .await
}

#[derive(Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    reasons: String,
}

/// `POST /ui/searches/{id}/withdraw`.
pub async fn withdraw(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<WithdrawForm>,
) -> Response {
    let lang = lang_of(&headers, &LangQuery::default());
    search_step(&state, &p, lang, &id, move |app, actor, id| {
        search::withdraw(app, actor, id, &f.reasons)
    })
    .await
}

/// `POST /ui/searches/{id}/unassign`.
pub async fn unassign(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<AssignForm>,
) -> Response {
    let lang = lang_of(&headers, &LangQuery::default());
    search_step(&state, &p, lang, &id, move |app, actor, id| {
        search::unassign(app, actor, id, f.verifier.trim())
    })
    .await
}

/// `POST /ui/searches/{id}/resolve`: the consultation's positions as the form sends them
/// (`agrees:PERSON` = `yes`/`no`, `reasons:PERSON`) and the coordinator's `reasons`.
pub async fn resolve(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<std::collections::HashMap<String, String>>,
) -> Response {
    let lang = lang_of(&headers, &LangQuery::default());
    let positions = f
        .iter()
        .filter_map(|(k, reasons)| {
            let person = k.strip_prefix("reasons:")?;
            Some(waarborg_govern::identification::Position {
                person: person.to_string(),
                agrees: f
                    .get(&format!("agrees:{person}"))
                    .is_some_and(|v| v == "yes"),
                reasons: reasons.clone(),
            })
        })
        .collect();
    let body = search::ConsultationBody {
        positions,
        reasons: f.get("reasons").cloned().unwrap_or_default(),
    };
    search_step(&state, &p, lang, &id, move |app, actor, id| {
        search::resolve_by_consultation(app, actor, id, body)
    })
    .await
}

/// `POST /ui/searches/{id}/verify`.
pub async fn verify(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<VerifyForm>,
) -> Response {
    let lang = lang_of(&headers, &LangQuery::default());
    let body = VerificationBody {
        verdict: f.verdict,
        reasons: f.reasons,
    };
    search_step(&state, &p, lang, &id, move |app, actor, id| {
        search::record_verification(app, actor, id, body)
    })
    .await
}

/// `GET /ui/ledger`: verification status, the latest checkpoint, the entries with proofs.
pub async fn ledger(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = lang_of(&headers, &q);
    crate::page_blocking(&state, move |state| ledger_page(state, &p, lang)).await
}

fn ledger_page(state: &AppState, p: &Principal, lang: Lang) -> Response {
    let verified = waarborg_app::audit::current(state);
    let (ok, entries) = match &verified {
        Ok(v) => (v.report.is_ok(), v.report.entries),
        Err(_) => (false, 0),
    };
    let cp = waarborg_app::audit::latest_checkpoint(state)
        .map(|c| c.note)
        .unwrap_or_default();
    let first = entries.saturating_sub(200);
    let rows = (first..entries)
        .rev()
        .filter_map(|i| {
            let bytes = state.ledger.entry(i).ok()?;
            let kind = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v["event"]["kind"].as_str().map(str::to_string))
                .unwrap_or_default();
            Some((i, kind, String::from_utf8_lossy(&bytes).into_owned()))
        })
        .collect();
    // Per deployment revision, counted as the reports count (kept with the verification).
    let counters = verified
        .ok()
        .and_then(|v| v.all_time.clone())
        .map(|r| r.per_deployment.clone())
        .unwrap_or_default();
    render(
        lang,
        &LedgerPage {
            layout: Layout::new(lang, t(lang, "ledger"), Some(p)),
            entries,
            ok,
            counters,
            checkpoint: cp,
            rows,
        },
    )
}

/// The ledger's page (`templates/ledger.html`).
#[derive(askama::Template)]
#[template(path = "ledger.html")]
struct LedgerPage {
    layout: Layout,
    entries: u64,
    ok: bool,
    /// Per deployment revision, all time.
    counters: std::collections::BTreeMap<String, waarborg_report::Figures>,
    checkpoint: String,
    /// The latest entries: (index, kind, canonical JSON).
    rows: Vec<(u64, String, String)>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_key_used_in_the_pages_is_translated() {
        let source = include_str!("ui.rs");
        for piece in source.split("t(lang, \"").skip(1) {
            let key = piece.split('"').next().unwrap_or("");
            assert!(
                crate::i18n::t(crate::i18n::Lang::Nl, key) != "??",
                "untranslated key {key}"
            );
        }
    }

    /// A refusal of the gate is said in the reader's words first, its code and detail kept.
    #[tokio::test]
    async fn a_gate_refusal_is_explained_in_the_readers_language() {
        let problem = crate::problem::Problem::new(
            axum::http::StatusCode::FORBIDDEN,
            "gate_refused",
            "no_case: a search needs a case authorisation",
        );
        let page = super::problem_page(crate::i18n::Lang::Nl, None, &problem);
        assert_eq!(page.status(), axum::http::StatusCode::FORBIDDEN);
        let body = axum::body::to_bytes(page.into_body(), 1 << 20)
            .await
            .unwrap();
        let html = String::from_utf8_lossy(&body);
        assert!(
            html.contains("vraagt een machtiging voor de zaak"),
            "{html}"
        );
        assert!(html.contains("no_case: a search needs"), "{html}");
    }

    /// Issue 22: a full disk is a 507 whose page says, in the reader's words, that nothing
    /// changed and that work resumes once there is room.
    #[tokio::test]
    async fn a_full_disk_is_a_507_said_in_the_readers_language() {
        let dir = std::env::temp_dir();
        let e = waarborg_app::space::Reserve::of(&dir, u64::MAX)
            .check()
            .unwrap_err();
        let problem = crate::problem::Problem::from(e);
        assert_eq!(problem.status, 507);
        let page = super::problem_page(crate::i18n::Lang::Nl, None, &problem);
        assert_eq!(page.status(), axum::http::StatusCode::INSUFFICIENT_STORAGE);
        let body = axum::body::to_bytes(page.into_body(), 1 << 20)
            .await
            .unwrap();
        let html = String::from_utf8_lossy(&body);
        assert!(html.contains("bijna vol"), "{html}");
        assert!(html.contains("Zoals vastgelegd (Engels)"), "{html}");
    }

    #[tokio::test]
    async fn a_governance_refusal_is_explained_in_the_readers_language_and_names_its_rule() {
        let e = waarborg_app::AppError::from(waarborg_govern::GovernError::Refused(
            waarborg_govern::rule::Rule::NoQuorum {
                members: 1,
                needed: 3,
            },
        ));
        let problem = crate::problem::Problem::from(e);
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(json["type"], "refused");
        assert_eq!(json["rule"], "no_quorum");
        let page = super::problem_page(crate::i18n::Lang::Nl, None, &problem);
        assert_eq!(page.status(), axum::http::StatusCode::UNPROCESSABLE_ENTITY);
        let body = axum::body::to_bytes(page.into_body(), 1 << 20)
            .await
            .unwrap();
        let html = String::from_utf8_lossy(&body);
        assert!(
            html.contains(
                "Tot nu toe 1 onafhankelijke beoordelingen; de commissie heeft er 3 nodig"
            ),
            "{html}"
        );
    }

    /// Pages escape what they show: a name with markup is text.
    #[test]
    fn text_is_escaped() {
        let page = super::LoginPage {
            layout: super::Layout::new(crate::i18n::Lang::En, "<a href=\"x\">'&'</a>", None),
            roles: vec!["<script>"],
        };
        let html = askama::Template::render(&page).unwrap();
        assert!(!html.contains("<a href=\"x\">"), "{html}");
        assert!(
            html.contains("href=&#34;x&#34;") || html.contains("href=&quot;x&quot;"),
            "{html}"
        );
        assert!(!html.contains("<script>"), "{html}");
    }
}
