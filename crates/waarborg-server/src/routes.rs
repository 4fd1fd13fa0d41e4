//! The route table: every route, who may call it, and the router built from it.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;
use waarborg_govern::Role;

use crate::api::{self, shape};
use crate::auth::{self, CSRF_HEADER};
use crate::handlers;
use crate::problem::Problem;
use crate::AppState;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without logging in.
    Public,
    /// Anyone logged in, in any role.
    AnyRole,
    /// Only these roles.
    Roles(&'static [Role]),
}

impl Access {
    /// Whether `role` may call.
    pub fn allows(self, role: Role) -> bool {
        match self {
            Access::Public | Access::AnyRole => true,
            Access::Roles(roles) => roles.contains(&role),
        }
    }
}

/// One route.
#[derive(Debug, Clone, Copy)]
pub struct RouteSpec {
    /// HTTP method.
    pub method: &'static str,
    /// Path, with `{param}` segments.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// What it does (also the OpenAPI summary).
    pub summary: &'static str,
    /// What answers it: the one place a route meets its handler.
    pub handler: fn() -> MethodRouter<Arc<AppState>>,
    /// What the request carries.
    pub body: Body,
    /// The answer's type (JSON routes; `None`: a page, a redirect, or text).
    pub answer: Option<crate::api::Shape>,
    /// Query parameters, from their type.
    pub query: Option<fn() -> Vec<utoipa::openapi::path::Parameter>>,
}

/// What a request carries.
#[derive(Debug, Clone, Copy)]
pub enum Body {
    /// Nothing.
    None,
    /// JSON of this type.
    Json(crate::api::Shape),
    /// A probe image.
    Image,
    /// A recorded video.
    Video,
    /// A web form.
    Form,
}

/// The pages of the main navigation, in order, each with its label's message key; who
/// sees a link is what the page's route allows ([`navigation`]).
pub const NAVIGATION: &[(&str, &str)] = &[
    ("/", "home"),
    ("/ui/searches", "searches"),
    ("/ui/searches/new", "new_search"),
    ("/ui/ledger", "ledger"),
    ("/ui/reports", "reports"),
    ("/ui/consultations", "consultations"),
    ("/ui/persons", "data_subjects"),
    ("/ui/deployments/new", "new_deployment"),
    ("/ui/cases", "cases"),
    ("/ui/incidents", "incidents"),
    ("/ui/competence", "competence_register"),
    ("/ui/proficiency", "proficiency_tests"),
    ("/ui/refdb", "reference_database"),
    ("/register", "register"),
    ("/ui/account", "account"),
];

/// The links of [`NAVIGATION`] that `role` may follow (`None`: not signed in, where the start
/// page is the login), by each page's entry in [`ROUTES`].
pub fn navigation(role: Option<Role>) -> Vec<(&'static str, &'static str)> {
    NAVIGATION
        .iter()
        .filter(|(path, _)| {
            ROUTES
                .iter()
                .find(|r| r.method == "GET" && r.path == *path)
                .is_some_and(|r| match role {
                    Some(role) => r.access.allows(role),
                    None => r.access == Access::Public,
                })
        })
        .map(|(path, key)| match (role, *path) {
            (None, "/") => (*path, "login"),
            _ => (*path, *key),
        })
        .collect()
}

/// The fields a route has unless it says otherwise: no body, no typed answer, no query.
const BASE: RouteSpec = RouteSpec {
    method: "GET",
    path: "",
    access: Access::Public,
    summary: "",
    handler: MethodRouter::new,
    body: Body::None,
    answer: None,
    query: None,
};

use Role::*;

/// Roles that take part in the governance of deployments.
pub const GOVERNANCE_ROLES: &[Role] = &[
    Applicant,
    ReviewCommitteeMember,
    ChiefOfPolice,
    PortfolioHolder,
    CompetentAuthority,
    PrivacyOfficer,
];

/// Roles that read the ledger's entries and proofs.
pub const OVERSIGHT_ROLES: &[Role] = &[
    Auditor,
    PrivacyOfficer,
    ReviewCommitteeMember,
    ChiefOfPolice,
    Administrator,
];

/// Roles that read searches (each sees what is theirs to see).
pub const SEARCH_READERS: &[Role] = &[Examiner, Verifier, Coordinator, Auditor, PrivacyOfficer];

/// Roles that open case folders (the domain decides how much each sees:
/// `CaseAuthorisation::folder_view`).
pub const CASE_READERS: &[Role] = &[
    Requester,
    CompetentAuthority,
    Examiner,
    Coordinator,
    Auditor,
    PrivacyOfficer,
];

/// Roles that assign verifiers to a search: its examiner, or a coordinator.
pub const ASSIGNERS: &[Role] = &[Examiner, Coordinator];

/// Roles that read the competence register (only the competence administrator changes it).
pub const COMPETENCE_READERS: &[Role] = &[CompetenceAdministrator, Coordinator, Auditor];

/// Roles that read the reference database's records, plan, flags and imports (only the
/// manager changes anything).
pub const REFDB_READERS: &[Role] = &[ReferenceDatabaseManager, PrivacyOfficer, Auditor];

/// Every route of the service.
pub const ROUTES: &[RouteSpec] = &[
    RouteSpec {
        method: "GET",
        path: "/",
        access: Access::Public,
        summary: "Web: the login form, or your start page",
        handler: || get(crate::ui::home),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/login",
        access: Access::Public,
        summary: "Web: log in (form)",
        handler: || post(crate::ui::login),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/logout",
        access: Access::AnyRole,
        summary: "Web: log out",
        handler: || post(crate::ui::logout),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/register",
        access: Access::Public,
        summary: "Web: the public register of face-recognition uses",
        handler: || get(crate::ui::register),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/ui/searches",
        access: Access::Roles(SEARCH_READERS),
        summary: "Web: searches, or a verifier's queue",
        handler: || get(crate::ui::searches),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/ui/searches/new",
        access: Access::Roles(&[Examiner]),
        summary: "Web: a new search",
        handler: || get(crate::ui::new_search),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/searches",
        access: Access::Roles(&[Examiner]),
        summary: "Web: submit a probe (multipart)",
        handler: || post(crate::ui::submit),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/ui/searches/{id}",
        access: Access::Roles(SEARCH_READERS),
        summary: "Web: one search",
        handler: || get(crate::ui::show),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/ui/searches/{id}/probe",
        access: Access::Roles(SEARCH_READERS),
        summary: "Web: the probe image",
        handler: || get(crate::ui::probe),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/ui/searches/{id}/candidates/{reference}/image",
        access: Access::Roles(SEARCH_READERS),
        summary: "Web: a candidate's reference image (only a candidate of this search)",
        handler: || get(crate::ui::candidate_image),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/searches/{id}/choose",
        access: Access::Roles(&[Examiner]),
        summary: "Web: search with a face",
        handler: || post(crate::ui::choose),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/videos",
        access: Access::Roles(&[Examiner]),
        summary: "Web: take frames of a recorded video as probes of a case (multipart)",
        handler: || {
            post(crate::ui::submit_video).layer(DefaultBodyLimit::max(
                waarborg_app::video::MAX_VIDEO_BYTES + 64 * 1024,
            ))
        },
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/searches/{id}/faces",
        access: Access::Roles(&[Examiner]),
        summary: "Web: mark a face the detector missed (form)",
        handler: || post(crate::ui::mark_face),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/ui/searches/{id}/compare/{reference}",
        access: Access::Roles(SEARCH_READERS),
        summary: "Web: the probe face and one candidate side by side, and the comparison form",
        handler: || get(crate::compare::page),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/searches/{id}/compare/{reference}",
        access: Access::Roles(&[Examiner, Verifier]),
        summary: "Web: the comparison form, recorded as the proposal or one's own conclusion",
        handler: || post(crate::compare::judge),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/searches/{id}/derive",
        access: Access::Roles(&[Examiner]),
        summary: "Web: prepare a derived probe from this search's probe (form)",
        handler: || post(crate::ui::derive),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/searches/{id}/insufficient",
        access: Access::Roles(&[Examiner]),
        summary: "Web: stop, insufficient quality",
        handler: || post(crate::ui::insufficient),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/searches/{id}/proposal",
        access: Access::Roles(&[Examiner]),
        summary: "Web: propose",
        handler: || post(crate::ui::proposal),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/searches/{id}/own-conclusion",
        access: Access::Roles(&[Verifier]),
        summary: "Web: a verifier's own conclusion, blind to the proposal (form)",
        handler: || post(crate::ui::own_conclusion),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/searches/{id}/assign",
        access: Access::Roles(ASSIGNERS),
        summary: "Web: assign a verifier (form)",
        handler: || post(crate::ui::assign),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/searches/{id}/unassign",
        access: Access::Roles(ASSIGNERS),
        summary: "Web: withdraw a verifier's assignment (form)",
        handler: || post(crate::ui::unassign),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/searches/{id}/withdraw",
        access: Access::Roles(ASSIGNERS),
        summary: "Web: withdraw a search with reasons (form)",
        handler: || post(crate::ui::withdraw),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/searches/{id}/resolve",
        access: Access::Roles(&[Coordinator]),
        summary: "Web: resolve a dispute by a recorded consultation (form)",
        handler: || post(crate::ui::resolve),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/ui/proficiency",
        access: Access::Roles(&[Coordinator, Auditor]),
        summary: "Web: proficiency tests — plant one, and the scores",
        handler: || get(crate::proficiency::page),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/proficiency",
        access: Access::Roles(&[Coordinator]),
        summary: "Web: plant a proficiency test (multipart)",
        handler: || post(crate::proficiency::form),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/ui/competence",
        access: Access::Roles(COMPETENCE_READERS),
        summary: "Web: the competence register",
        handler: || get(crate::competence::page),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/competence/{person}",
        access: Access::Roles(&[CompetenceAdministrator]),
        summary: "Web: change a competence record (form)",
        handler: || post(crate::competence::form),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/searches/{id}/verify",
        access: Access::Roles(&[Verifier]),
        summary: "Web: verify",
        handler: || post(crate::ui::verify),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/ui/ledger",
        access: Access::Roles(OVERSIGHT_ROLES),
        summary: "Web: the ledger and its verification",
        handler: || get(crate::ui::ledger),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/ui/account",
        access: Access::AnyRole,
        summary: "Web: your account — the optional second factor",
        handler: || get(crate::account::view),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/account/second-factor",
        access: Access::AnyRole,
        summary: "Web: set up, confirm or remove your second factor (form)",
        handler: || post(crate::account::second_factor),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/ui/cases",
        access: Access::Roles(CASE_READERS),
        summary: "Web: case authorisations — a requester's own with their outcomes; all for the competent authority and those who work on or oversee searches",
        handler: || get(crate::cases::view),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/ui/cases/{number}",
        access: Access::Roles(CASE_READERS),
        summary: "Web: a case folder — the authorisation, every search of the case as the reader may see it, the notes; for the requester the outcome as a statement",
        handler: || get(crate::cases::folder_page),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/ui/cases/{number}/report.json",
        access: Access::Roles(&[Examiner, Coordinator, Auditor, PrivacyOfficer]),
        summary: "Web: the case report (JSON) for the police file and the court, with every ledger entry of the case proved against a signed checkpoint; a logged disclosure",
        handler: || get(crate::cases::report_download),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/ui/cases/{number}/report.pdf",
        access: Access::Roles(&[Examiner, Coordinator, Auditor, PrivacyOfficer]),
        summary: "Web: the case report as a PDF document for the file (`?lang=en|nl`), printed by headless Chromium; a logged disclosure",
        handler: || get(crate::cases::report_pdf),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/cases/{number}/feedback",
        access: Access::Roles(&[Requester]),
        summary: "Web: the case's requester records what the investigation found of an identification (form)",
        handler: || post(crate::cases::feedback_form),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/cases/{number}/notes",
        access: Access::Roles(&[Examiner, Coordinator]),
        summary: "Web: add a note to a case folder (form)",
        handler: || post(crate::cases::note_form),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/cases",
        access: Access::Roles(&[Requester]),
        summary: "Web: request a search for a case (form)",
        handler: || post(crate::cases::request_form),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/cases/{number}/decision",
        access: Access::Roles(&[CompetentAuthority]),
        summary: "Web: grant or refuse a case authorisation with reasons (form)",
        handler: || post(crate::cases::decide_form),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/cases/{number}/legal-hold",
        access: Access::Roles(&[CompetentAuthority]),
        summary: "Web: set or release a legal hold on a case, with reasons (form): its probes and results are kept past their periods while it holds",
        handler: || post(crate::cases::legal_hold_step),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/ui/consultations",
        access: Access::Roles(&[PrivacyOfficer, Auditor]),
        summary: "Web: who consulted which records, and why — from the ledger, the unusual reads flagged (asking is logged too)",
        handler: || get(crate::consultations::view),
        query: Some(api::query::<waarborg_app::consult::Ask>),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/ui/incidents",
        access: Access::Roles(waarborg_govern::incident::REPORTERS),
        summary: "Web: the incident register — report an incident; the clocks of serious incidents (provider at once, the authority in 2, 10 or 15 days), overdue ones flagged; classify, notify, suspend the deployment from an incident",
        handler: || get(crate::incidents::page),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/incidents",
        access: Access::Roles(waarborg_govern::incident::REPORTERS),
        summary: "Web: report an incident of a deployment (form)",
        handler: || post(crate::incidents::report),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/api/incidents",
        access: Access::Roles(waarborg_govern::incident::REPORTERS),
        summary: "The incident register as the reader sees it (overseers every incident, others those they reported), each with its Art. 73 deadlines",
        handler: || get(crate::incidents::list_api),
        answer: Some(shape::<api::Incidents>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/incidents",
        access: Access::Roles(waarborg_govern::incident::REPORTERS),
        summary: "Report an incident of a deployment",
        handler: || post(crate::incidents::report_api),
        body: Body::Json(shape::<waarborg_app::incidents::ReportBody>()),
        answer: Some(shape::<api::IncidentView>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/incidents/{id}/classification",
        access: Access::Roles(&[PrivacyOfficer]),
        summary: "Classify an incident: not_serious, widespread_or_critical, death or other_serious, with reasons",
        handler: || post(crate::incidents::classify_api),
        body: Body::Json(shape::<waarborg_app::incidents::ClassifyBody>()),
        answer: Some(shape::<api::IncidentView>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/incidents/{id}/notifications",
        access: Access::Roles(waarborg_govern::incident::NOTIFIERS),
        summary: "Record a notification of an incident to the provider or the market surveillance authority",
        handler: || post(crate::incidents::notify_api),
        body: Body::Json(shape::<waarborg_app::incidents::NotifyBody>()),
        answer: Some(shape::<api::IncidentView>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/incidents/{id}/suspension",
        access: Access::Roles(&[ChiefOfPolice, PrivacyOfficer]),
        summary: "Suspend the deployment an incident concerns, from the incident, in one step",
        handler: || post(crate::incidents::suspend_api),
        body: Body::Json(shape::<crate::incidents::SuspendForm>()),
        answer: Some(shape::<api::IncidentView>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/incidents/{id}/classification",
        access: Access::Roles(&[PrivacyOfficer]),
        summary: "Web: classify an incident — not serious, or serious and of which kind (form)",
        handler: || post(crate::incidents::classify),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/incidents/{id}/notifications",
        access: Access::Roles(waarborg_govern::incident::NOTIFIERS),
        summary: "Web: record a notification of an incident to the provider or the market surveillance authority (form)",
        handler: || post(crate::incidents::notify),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/incidents/{id}/suspension",
        access: Access::Roles(&[ChiefOfPolice, PrivacyOfficer]),
        summary: "Web: suspend the deployment an incident concerns, from the incident, in one step (form)",
        handler: || post(crate::incidents::suspend),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/ui/persons",
        access: Access::Roles(&[PrivacyOfficer]),
        summary: "Web: a data subject looked up by person id — images with retention, searches they appeared in, identifications, who consulted them (the look-up is logged)",
        handler: || get(crate::subject::view),
        query: Some(api::query::<crate::subject::PersonQuery>),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/ui/persons/{person}/searches/{search}",
        access: Access::Roles(&[PrivacyOfficer]),
        summary: "Web: the explanation of the system's part in one search for the person it concerned (AI Act Art. 86) — models, threshold, their images' rank, the human judgements, never another candidate; a logged disclosure",
        handler: || get(crate::subject::explanation),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/api/persons/{person}/searches/{search}/explanation",
        access: Access::Roles(&[PrivacyOfficer]),
        summary: "The explanation of the system's part in one search for the person it concerned (AI Act Art. 86); a logged disclosure",
        handler: || get(crate::subject::explanation_json),
        answer: Some(shape::<api::ExplanationAnswer>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/persons/{person}/decisions",
        access: Access::Roles(&[PrivacyOfficer]),
        summary: "Web: restrict or lift, defer informing, or erase on request a person's records, with reasons (form)",
        handler: || post(crate::subject::decide),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/ui/deployments/new",
        access: Access::Roles(&[Applicant]),
        summary: "Web: propose a deployment — the form, with the framework's factors and preconditions",
        handler: || get(crate::governance::new_form),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/deployments",
        access: Access::Roles(&[Applicant]),
        summary: "Web: register a proposed deployment as a draft (form)",
        handler: || post(crate::governance::propose_form),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/ui/deployments/{id}",
        access: Access::AnyRole,
        summary:
            "Web: one deployment — revision, framework assessments, history, reviews due, your step",
        handler: || get(crate::governance::view),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/deployments/{id}/decisions",
        access: Access::Roles(GOVERNANCE_ROLES),
        summary: "Web: a step in the review chain, or a committee member's assessment (form)",
        handler: || post(crate::governance::decide_form),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/ui/refdb",
        access: Access::Roles(REFDB_READERS),
        summary: "Web: the reference database — size, retention plan, flags, imports, records",
        handler: || get(crate::reference::view),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/refdb/references/{id}/clear-flag",
        access: Access::Roles(&[ReferenceDatabaseManager]),
        summary: "Web: clear a possible-duplicate flag after review (form)",
        handler: || post(crate::reference::clear_flag_form),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/api/health",
        access: Access::Public,
        summary: "Liveness",
        handler: || get(handlers::health),
        answer: Some(shape::<api::Health>()),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/api/ready",
        access: Access::Public,
        summary: "Readiness: the store answers, the ledger verifies, the disk has its reserve (503 naming what does not); the engine and the index reported",
        handler: || get(handlers::ready),
        answer: Some(shape::<waarborg_app::health::Readiness>()),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/api/openapi.json",
        access: Access::Public,
        summary: "This API as OpenAPI 3.1",
        handler: || get(handlers::openapi),
        answer: Some(shape::<api::OpenApiDocument>()),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/static/waarborg.css",
        access: Access::Public,
        summary: "The pages' style sheet",
        handler: || get(crate::ui::style_sheet),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/static/waarborg.js",
        access: Access::Public,
        summary: "The pages' one script (zoom, overlay and keys in the comparison view; the pages work without it)",
        handler: || get(crate::ui::script),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/metrics",
        access: Access::Public,
        summary: "Metrics in the Prometheus text format: counts and durations, no identifiers (let the proxy restrict it to the monitoring network)",
        handler: || get(handlers::metrics),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/login",
        access: Access::Public,
        summary: "Log in in one of your roles",
        handler: || post(handlers::login),
        body: Body::Json(shape::<api::LoginBody>()),
        answer: Some(shape::<api::SessionStarted>()),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/api/public/register",
        access: Access::Public,
        summary: "Public summary of every registered use of face recognition",
        handler: || get(handlers::public_register),
        answer: Some(shape::<api::PublicRegister>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/logout",
        access: Access::AnyRole,
        summary: "End the session",
        handler: || post(handlers::logout),
        answer: Some(shape::<api::LoggedOut>()),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/api/me",
        access: Access::AnyRole,
        summary: "Who you are and in which role",
        handler: || get(handlers::me),
        answer: Some(shape::<api::Me>()),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/api/deployments",
        access: Access::AnyRole,
        summary: "The register, whole",
        handler: || get(handlers::deployments),
        answer: Some(shape::<api::Deployments>()),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/api/deployments/{id}",
        access: Access::AnyRole,
        summary: "One deployment with its revisions and history",
        handler: || get(handlers::deployment),
        answer: Some(shape::<api::VersionedDeployment>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/deployments/{id}/decisions",
        access: Access::Roles(GOVERNANCE_ROLES),
        summary: "A step in a revision's review chain",
        handler: || post(handlers::decide),
        body: Body::Json(shape::<api::DecisionBody>()),
        answer: Some(shape::<api::Decided>()),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/api/consultations",
        access: Access::Roles(&[PrivacyOfficer, Auditor]),
        summary: "Who consulted which records, and why: the reads in the ledger that answer the question, the unusual ones flagged (asking is logged too)",
        handler: || get(crate::consultations::list),
        answer: Some(shape::<api::ConsultationsAnswer>()),
        query: Some(api::query::<waarborg_app::consult::Ask>),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/api/ledger/checkpoint",
        access: Access::AnyRole,
        summary: "The latest signed checkpoint",
        handler: || get(handlers::checkpoint),
        answer: Some(shape::<api::LedgerCheckpoint>()),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/api/ledger/entries/{index}",
        access: Access::Roles(OVERSIGHT_ROLES),
        summary: "A ledger entry with its inclusion proof",
        handler: || get(handlers::ledger_entry),
        answer: Some(shape::<api::LedgerEntry>()),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/api/ledger/verify",
        access: Access::Roles(OVERSIGHT_ROLES),
        summary: "Verify the whole ledger now",
        handler: || get(handlers::ledger_verify),
        answer: Some(shape::<api::LedgerVerification>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/searches",
        access: Access::Roles(&[Examiner]),
        summary: "Submit a probe image (body) for a case: faces with their quality",
        handler: || post(crate::search::submit),
        body: Body::Image,
        answer: Some(shape::<api::Submitted>()),
        query: Some(api::query::<waarborg_app::search::SubmitQuery>),
    },
    RouteSpec {
        method: "POST",
        path: "/api/videos",
        access: Access::Roles(&[Examiner]),
        summary: "Take frames of a recorded video (the body; never a stream) as probes of a case: at the times named, or the best by face quality among frames sampled evenly; each frame a search naming the video's hash and the frame's time",
        handler: || {
            post(crate::search::submit_video).layer(DefaultBodyLimit::max(
                waarborg_app::video::MAX_VIDEO_BYTES + 1,
            ))
        },
        body: Body::Video,
        answer: Some(shape::<waarborg_app::video::FramesTaken>()),
        query: Some(api::video_query),
    },
    RouteSpec {
        method: "GET",
        path: "/api/searches",
        access: Access::Roles(SEARCH_READERS),
        summary: "Your searches; a verifier's queue; all, for oversight",
        handler: || get(crate::search::list),
        answer: Some(shape::<api::Searches>()),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/api/searches/{id}",
        access: Access::Roles(SEARCH_READERS),
        summary: "One search, as its reader may see it",
        handler: || get(crate::search::show),
        answer: Some(shape::<api::SearchView>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/searches/{id}/choose",
        access: Access::Roles(&[Examiner]),
        summary: "Search the reference database with one face",
        handler: || post(crate::search::choose),
        body: Body::Json(shape::<api::ChooseBody>()),
        answer: Some(shape::<api::SearchAnswer>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/searches/{id}/faces",
        access: Access::Roles(&[Examiner]),
        summary: "Mark a face the detector missed: a box, and optionally the eye points; aligned from them, its quality measured, recorded as marked by hand",
        handler: || post(crate::search::mark_face),
        body: Body::Json(shape::<waarborg_app::prepare::FaceMark>()),
        answer: Some(shape::<api::SearchAnswer>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/searches/{id}/derived",
        access: Access::Roles(&[Examiner]),
        summary: "Prepare a derived probe (crop, rotate, scale, brightness, contrast, gamma, in order): a new search of the same case whose probe names its parent's hash and the steps; the original is not changed",
        handler: || post(crate::search::derive),
        body: Body::Json(shape::<waarborg_app::prepare::DeriveBody>()),
        answer: Some(shape::<api::SearchAnswer>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/searches/{id}/insufficient",
        access: Access::Roles(&[Examiner]),
        summary: "Stop: insufficient quality",
        handler: || post(crate::search::insufficient),
        answer: Some(shape::<api::SearchAnswer>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/searches/{id}/proposal",
        access: Access::Roles(&[Examiner]),
        summary: "The examiner's proposal with reasoning",
        handler: || post(crate::search::proposal),
        body: Body::Json(shape::<waarborg_app::search::JudgementBody>()),
        answer: Some(shape::<api::SearchAnswer>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/searches/{id}/own-conclusion",
        access: Access::Roles(&[Verifier]),
        summary: "A verifier's own conclusion, blind to the examiner's proposal (recorded before any verdict on it)",
        handler: || post(crate::search::own_conclusion),
        body: Body::Json(shape::<waarborg_app::search::JudgementBody>()),
        answer: Some(shape::<api::SearchView>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/searches/{id}/assignments",
        access: Access::Roles(ASSIGNERS),
        summary: "Assign a verifier (the search's examiner or a coordinator): of the deployment's verifying units, competent, never the examiner",
        handler: || post(crate::search::assignment),
        body: Body::Json(shape::<api::AssignBody>()),
        answer: Some(shape::<api::SearchAnswer>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/searches/{id}/assignments/withdrawal",
        access: Access::Roles(ASSIGNERS),
        summary: "Withdraw a verifier's assignment before they recorded anything (the search's examiner or a coordinator)",
        handler: || post(crate::search::withdrawal),
        body: Body::Json(shape::<api::AssignBody>()),
        answer: Some(shape::<api::SearchAnswer>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/searches/{id}/withdrawal",
        access: Access::Roles(ASSIGNERS),
        summary: "Withdraw a search that will not be pursued, with reasons (its examiner or a coordinator, before the outcome)",
        handler: || post(crate::search::withdrawn),
        body: Body::Json(shape::<api::WithdrawBody>()),
        answer: Some(shape::<api::SearchAnswer>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/searches/{id}/feedback",
        access: Access::Roles(&[Requester]),
        summary: "What the investigation found of an identification (the case's requester): lead_confirmed, lead_not_confirmed, lead_not_followed or unknown, with its date",
        handler: || post(crate::search::feedback),
        body: Body::Json(shape::<waarborg_app::search::FeedbackBody>()),
        answer: Some(shape::<api::FeedbackRecorded>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/searches/{id}/resolution",
        access: Access::Roles(&[Coordinator]),
        summary: "Resolve a disputed verification by a recorded consultation: everyone's position, with reasons",
        handler: || post(crate::search::resolution),
        body: Body::Json(shape::<waarborg_app::search::ConsultationBody>()),
        answer: Some(shape::<api::VerificationRecorded>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/proficiency",
        access: Access::Roles(&[Coordinator]),
        summary: "Plant a known-answer proficiency test in an examiner's work: a probe and a test gallery (never the reference database), with the truth",
        handler: || post(crate::proficiency::plant),
        body: Body::Json(shape::<crate::proficiency::PlantBody>()),
        answer: Some(shape::<api::SearchAnswer>()),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/api/proficiency",
        access: Access::Roles(&[Coordinator, Auditor]),
        summary: "The planted proficiency tests and every conclusion on them, scored",
        handler: || get(crate::proficiency::list),
        answer: Some(shape::<api::ProficiencyResults>()),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/api/competence",
        access: Access::Roles(COMPETENCE_READERS),
        summary: "The competence register: every examiner's and verifier's qualifications, AI-literacy training, authorisations and what expires soon",
        handler: || get(crate::competence::list),
        answer: Some(shape::<api::CompetenceRegister>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/competence/{person}",
        access: Access::Roles(&[CompetenceAdministrator]),
        summary: "Change a competence record: a qualification obtained, an authorisation granted or withdrawn",
        handler: || post(crate::competence::change),
        body: Body::Json(shape::<waarborg_app::competence::ChangeBody>()),
        answer: Some(shape::<api::CompetenceChanged>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/searches/{id}/verifications",
        access: Access::Roles(&[Verifier]),
        summary: "An independent verification",
        handler: || post(crate::search::verify),
        body: Body::Json(shape::<waarborg_app::search::VerificationBody>()),
        answer: Some(shape::<api::VerificationRecorded>()),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/api/refdb",
        access: Access::Roles(REFDB_READERS),
        summary: "The reference database: size, a page of the retention plan, flags, imports",
        handler: || get(crate::reference::summary),
        answer: Some(shape::<api::RefdbSummary>()),
        query: Some(api::query::<waarborg_app::reference::Paging>),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/api/refdb/references",
        access: Access::Roles(REFDB_READERS),
        summary: "Reference image records with ids above `after`, `limit` at a time",
        handler: || get(crate::reference::references),
        answer: Some(shape::<api::ReferencePage>()),
        query: Some(api::query::<waarborg_app::reference::Paging>),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/refdb/references/{id}/clear-flag",
        access: Access::Roles(&[ReferenceDatabaseManager]),
        summary: "Clear a possible-duplicate flag after review, with the finding",
        handler: || post(crate::reference::clear_flag),
        body: Body::Json(shape::<waarborg_app::reference::ClearFlag>()),
        answer: Some(shape::<api::FlagCleared>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/deployments/{id}/publication",
        access: Access::Roles(crate::publication::PUBLICATION_WRITERS),
        summary: "Write a deployment's published texts (form)",
        handler: || post(crate::publication::texts_form),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/ui/reports",
        access: Access::Roles(OVERSIGHT_ROLES),
        summary: "Reports: make, download and verify",
        handler: || get(crate::publication::view),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/monitoring/alerts/{id}/acknowledgement",
        access: Access::Roles(waarborg_govern::monitoring::ADDRESSEES),
        summary: "Web: acknowledge a monitoring alert, saying what was done (privacy officer, committee member; form)",
        handler: || post(crate::monitoring::acknowledge_form),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/api/monitoring",
        access: Access::Roles(OVERSIGHT_ROLES),
        summary: "Monitoring (AI Act Art. 26(5)): every deployment's indicators per month, judged against its framework's thresholds, and the alerts raised",
        handler: || get(crate::monitoring::overview),
        answer: Some(shape::<waarborg_app::monitoring::Overview>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/monitoring/alerts/{id}/acknowledgement",
        access: Access::Roles(waarborg_govern::monitoring::ADDRESSEES),
        summary: "Acknowledge a monitoring alert, saying what was done (privacy officer, committee member)",
        handler: || post(crate::monitoring::acknowledge),
        body: Body::Json(shape::<crate::monitoring::AcknowledgeBody>()),
        answer: Some(shape::<api::AlertAcknowledged>()),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/ui/reports/{kind}",
        access: Access::Roles(OVERSIGHT_ROLES),
        summary: "A report made now from the verified ledger (figures, framework, annual; register and EU registration exports)",
        handler: || get(crate::publication::download),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/ui/reports/verify",
        access: Access::Roles(OVERSIGHT_ROLES),
        summary: "Recompute a report from the ledger",
        handler: || post(crate::publication::verify_form),
        body: Body::Form,
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/reports/verify",
        access: Access::Roles(OVERSIGHT_ROLES),
        summary: "Recompute a report (the body) from the ledger: every figure that differs",
        handler: || post(crate::publication::verify_api),
        body: Body::Json(shape::<api::ReportJson>()),
        answer: Some(shape::<api::ReportChecked>()),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/api/deployments/{id}/publication",
        access: Access::AnyRole,
        summary: "A deployment's published texts (algorithm register, EU database)",
        handler: || get(crate::publication::get_publication),
        answer: Some(shape::<api::VersionedPublication>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/deployments/{id}/publication",
        access: Access::Roles(crate::publication::PUBLICATION_WRITERS),
        summary: "Write a deployment's published texts",
        handler: || post(crate::publication::post_publication),
        body: Body::Json(shape::<api::PublicationChange>()),
        answer: Some(shape::<api::Written>()),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/api/organisation",
        access: Access::AnyRole,
        summary: "The organisation's details (EU database registration)",
        handler: || get(crate::publication::get_organisation),
        answer: Some(shape::<api::VersionedOrganisation>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/organisation",
        access: Access::Roles(crate::publication::ORGANISATION_WRITERS),
        summary: "Write the organisation's details",
        handler: || post(crate::publication::post_organisation),
        body: Body::Json(shape::<api::OrganisationChange>()),
        answer: Some(shape::<api::Written>()),
        ..BASE
    },
    RouteSpec {
        method: "GET",
        path: "/api/admin/accounts",
        access: Access::Roles(&[Administrator]),
        summary: "Accounts",
        handler: || get(handlers::accounts),
        answer: Some(shape::<api::Accounts>()),
        ..BASE
    },
    RouteSpec {
        method: "POST",
        path: "/api/admin/accounts",
        access: Access::Roles(&[Administrator]),
        summary: "Create an account",
        handler: || post(handlers::create_account),
        body: Body::Json(shape::<waarborg_app::account::NewAccount>()),
        answer: Some(shape::<api::AccountCreated>()),
        ..BASE
    },
];

/// Builds the router from [`ROUTES`], each route behind its access check.
pub fn router(state: Arc<AppState>) -> Router {
    let mut router: Router<Arc<AppState>> = Router::new();
    for spec in ROUTES {
        let access = spec.access;
        let layered = (spec.handler)().route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            move |st: State<Arc<AppState>>, req: Request, next: Next| {
                authorize(st, access, req, next)
            },
        ));
        router = router.route(spec.path, layered);
    }
    router
        .fallback(|| async { Problem::not_found("no such route; see /api/openapi.json") })
        .layer(DefaultBodyLimit::max(crate::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(time_limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            errors_as_pages,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security_headers,
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_failure(())
                .on_response(log_answer),
        )
        .layer(SetRequestIdLayer::new(
            REQUEST_ID.clone(),
            Counter::default(),
        ))
        .with_state(state)
}

/// The request id header: set on every request (a number per process, unless a proxy sent
/// one) and returned on its answer, so that a client's report finds the server's log line.
static REQUEST_ID: axum::http::HeaderName = axum::http::HeaderName::from_static("x-request-id");

#[derive(Clone, Default)]
struct Counter(Arc<std::sync::atomic::AtomicU64>);

impl MakeRequestId for Counter {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        axum::http::HeaderValue::from_str(&format!("{n:016x}"))
            .ok()
            .map(RequestId::new)
    }
}

/// One span per request: its id, method and route pattern — never the path's values, a
/// query string, a body or a header value (those may hold personal data).
fn request_span(req: &Request) -> tracing::Span {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("(no route)", |p| p.as_str());
    tracing::info_span!("request", id, method = %req.method(), route)
}

/// The answer's status and latency; a 5xx as an error.
fn log_answer(res: &Response, latency: std::time::Duration, _: &tracing::Span) {
    let status = res.status().as_u16();
    let ms = latency.as_millis() as u64;
    if res.status().is_server_error() {
        tracing::error!(status, ms, "answered");
    } else {
        tracing::debug!(status, ms, "answered");
    }
}

/// Longest a request may take before it is answered with 503.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// The content security policy of every answer: nothing but this origin's own style sheet,
/// script and images (no script inline, none from elsewhere), forms posted here only, never
/// framed. Inline styles are allowed for the reports, which are self-contained pages; the
/// one script (`/static/waarborg.js`) only enhances pages that work without it.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// One header layer for every answer (issue 23): the content security policy, no MIME
/// sniffing, no referrer to other sites (URLs hold case numbers and search ids; to this
/// site the browser keeps naming the origin of a form it posts), no framing; answers to
/// a signed-in request are not stored by any cache; behind TLS (`secure_cookies`), HSTS.
async fn security_headers(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    use axum::http::{header, HeaderValue};
    let signed_in = req
        .headers()
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(auth::token_from_cookies)
        .is_some();
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if signed_in {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.secure_cookies {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    res
}

/// Whether `path` is a page's, answered in HTML: everything but the API, the metrics and
/// the style sheet.
pub fn is_page(path: &str) -> bool {
    !(path.starts_with("/api/") || path == "/metrics" || path.starts_with("/static/"))
}

/// Says every error on a page's route as a page in the reader's language, with what to do
/// next — whatever answered it: the access check, a form the extractor could not read, a
/// route that does not exist, the time limit. The API keeps its problem+json.
async fn errors_as_pages(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if !is_page(req.uri().path()) {
        return next.run(req).await;
    }
    let headers = req.headers().clone();
    let lang_query = axum::extract::Query::<crate::ui::LangQuery>::try_from_uri(req.uri())
        .map(|q| q.0)
        .unwrap_or_default();
    let res = next.run(req).await;
    let failed = res.status().is_client_error() || res.status().is_server_error();
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !failed || html {
        return res;
    }
    let status = res.status();
    let problem = match res.extensions().get::<Problem>().cloned() {
        Some(problem) => problem,
        None => {
            // An extractor's rejection: its text says what was wrong with the request.
            let text = axum::body::to_bytes(res.into_body(), 16 * 1024)
                .await
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            // (axum answers an unreadable form with 422; it is the request, not a rule.)
            match status {
                StatusCode::UNPROCESSABLE_ENTITY => Problem::bad_request(text),
                s if s.is_server_error() => Problem::new(s, "internal", text),
                s => Problem::new(s, "bad_request", text),
            }
        }
    };
    let lang = crate::ui::lang_of(&headers, &lang_query);
    let who = match status.as_u16() {
        401 => None,
        _ => crate::ui::signed_in(&state, &headers).await,
    };
    crate::ui::problem_page(lang, who.as_ref(), &problem)
}

/// Answers 503 when a request takes longer than [`REQUEST_TIMEOUT`]. A write that was under
/// way completes or fails as a whole (store transactions and ledger appends are atomic);
/// only its answer is lost.
async fn time_limit(req: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(response) => response,
        Err(_) => Problem::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!(
                "the request took longer than {} s; try again",
                REQUEST_TIMEOUT.as_secs()
            ),
        )
        .into_response(),
    }
}

/// Whether a browser says the request comes from another site: `Sec-Fetch-Site` other than
/// `same-origin` or `none` (typed by the user), or, from a browser without it, an `Origin`
/// whose host is not the `Host` asked for. Clients that send neither (the command line,
/// API clients) are judged by their session and token alone.
fn cross_site(req: &Request) -> bool {
    let h = req.headers();
    if let Some(site) = h.get("sec-fetch-site") {
        return site != "same-origin" && site != "none";
    }
    let Some(origin) = h.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = h.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'));
    match (origin_host, host) {
        (Some(o), Some(h)) => !o.eq_ignore_ascii_case(h),
        // `Origin: null` (a sandboxed or file page) or no Host to compare with.
        _ => true,
    }
}

/// Whether a browser says the request comes from this site: `Sec-Fetch-Site: same-origin`,
/// or an `Origin` whose host is the `Host` asked for.
fn same_origin(req: &Request) -> bool {
    let h = req.headers();
    match h.get("sec-fetch-site") {
        Some(site) => site == "same-origin",
        None => h.get(header::ORIGIN).is_some() && !cross_site(req),
    }
}

/// The access check of one route: session, role, CSRF on state-changing requests.
async fn authorize(
    State(state): State<Arc<AppState>>,
    access: Access,
    mut req: Request,
    next: Next,
) -> Response {
    let writes = req.method() != Method::GET && req.method() != Method::HEAD;
    if writes && cross_site(&req) {
        // A form posted from another site (the login included, which has no session and so
        // no CSRF token yet): refused whatever it carries.
        return Problem::forbidden(
            "a request from another site is refused (Origin or Sec-Fetch-Site says so)",
        )
        .into_response();
    }
    if access == Access::Public {
        return next.run(req).await;
    }
    let token = req
        .headers()
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(auth::token_from_cookies)
        .map(str::to_string);
    let Some(token) = token else {
        return Problem::unauthenticated().into_response();
    };
    let principal = match crate::blocking(&state, move |app| {
        auth::principal(&app.store, &token, app.now().0)
    })
    .await
    {
        Ok(Some(p)) => p,
        Ok(None) => return Problem::unauthenticated().into_response(),
        Err(problem) => return problem.into_response(),
    };
    if !access.allows(principal.role) {
        return Problem::forbidden(format!(
            "the role {} may not do this",
            principal.role.as_str()
        ))
        .into_response();
    }
    if writes {
        // API clients send the session's token in a header; the web forms are posted by a
        // browser, which says where they come from: this site (Origin equal to Host, or
        // Sec-Fetch-Site: same-origin). No token travels in a URL (history, logs).
        let header = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if header != Some(principal.csrf.as_str()) && !same_origin(&req) {
            return Problem::forbidden(
                "missing or wrong CSRF token (send the session's token in X-CSRF-Token)",
            )
            .into_response();
        }
    }
    req.extensions_mut().insert(principal);
    next.run(req).await
}
