//! The search loop over HTTP: probe → faces with quality → chosen face → candidates →
//! proposal → independent verifications. Each handler translates one use case of
//! `waarborg_app::search` (the gate, the ledger and the rules are there).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::{Extension, Json};
use serde_json::Value;
pub use waarborg_app::search::*;

use crate::api;
use crate::auth::Principal;
use crate::problem::Problem;
use crate::{blocking, AppState};

type Result<T> = std::result::Result<T, Problem>;

/// `POST /api/searches?deployment=&case=&probe_source=` with the probe image as the body.
pub async fn submit(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Query(q): Query<SubmitQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<api::Submitted>> {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let actor = p.actor();
    let (record, urgent_until) = blocking(&state, move |app| {
        submit_probe(app, &actor, &q, &ctype, body.to_vec())
    })
    .await?;
    Ok(Json(api::Submitted {
        search: record,
        urgent_until,
    }))
}

/// `POST /api/videos`: frames of a recorded video (the body) taken as probes of a case.
pub async fn submit_video(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Query(q): Query<SubmitQuery>,
    Query(pick): Query<waarborg_app::video::FramePick>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<waarborg_app::video::FramesTaken>> {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let actor = p.actor();
    let taken = blocking(&state, move |app| {
        waarborg_app::video::take_frames(app, &actor, &q, &ctype, &body, &pick)
    })
    .await?;
    Ok(Json(taken))
}

/// `POST /api/searches/{id}/choose`: search the reference database with one face.
pub async fn choose(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    body: std::result::Result<Json<api::ChooseBody>, JsonRejection>,
) -> Result<Json<api::SearchAnswer>> {
    let b = crate::handlers::body(body)?;
    let actor = p.actor();
    let search = blocking(&state, move |app| choose_face(app, &actor, &id, b.face)).await?;
    Ok(Json(api::SearchAnswer { search }))
}

/// `POST /api/searches/{id}/faces`: a face the detector missed, marked by hand.
pub async fn mark_face(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    body: std::result::Result<Json<waarborg_app::prepare::FaceMark>, JsonRejection>,
) -> Result<Json<api::SearchAnswer>> {
    let mark = crate::handlers::body(body)?;
    let actor = p.actor();
    let (search, _) = blocking(&state, move |app| {
        waarborg_app::prepare::mark_face(app, &actor, &id, &mark)
    })
    .await?;
    Ok(Json(api::SearchAnswer { search }))
}

/// `POST /api/searches/{id}/derived`: a probe prepared from this search's probe, as a new
/// search.
pub async fn derive(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    body: std::result::Result<Json<waarborg_app::prepare::DeriveBody>, JsonRejection>,
) -> Result<Json<api::SearchAnswer>> {
    let b = crate::handlers::body(body)?;
    let actor = p.actor();
    let search = blocking(&state, move |app| {
        waarborg_app::prepare::derive(app, &actor, &id, &b.operations)
    })
    .await?;
    Ok(Json(api::SearchAnswer { search }))
}

/// `POST /api/searches/{id}/insufficient`: stop, the probe's quality does not allow a search.
pub async fn insufficient(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<api::SearchAnswer>> {
    let actor = p.actor();
    let search = blocking(&state, move |app| stop_insufficient(app, &actor, &id)).await?;
    Ok(Json(api::SearchAnswer { search }))
}

/// `POST /api/searches/{id}/proposal`.
pub async fn proposal(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    body: std::result::Result<Json<JudgementBody>, JsonRejection>,
) -> Result<Json<api::SearchAnswer>> {
    let b = crate::handlers::body(body)?;
    let actor = p.actor();
    let search = blocking(&state, move |app| propose(app, &actor, &id, b)).await?;
    Ok(Json(api::SearchAnswer { search }))
}

/// `POST /api/searches/{id}/own-conclusion`.
pub async fn own_conclusion(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    body: std::result::Result<Json<JudgementBody>, JsonRejection>,
) -> Result<Json<api::SearchView>> {
    let b = crate::handlers::body(body)?;
    let actor = p.actor();
    let s = blocking(&state, move |app| {
        conclude_independently(app, &actor, &id, b)
    })
    .await?;
    Ok(Json(api::SearchView {
        version: None,
        search: view(&p.actor(), &s),
    }))
}

/// `POST /api/searches/{id}/verifications`.
pub async fn verify(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    body: std::result::Result<Json<VerificationBody>, JsonRejection>,
) -> Result<Json<api::VerificationRecorded>> {
    let b = crate::handlers::body(body)?;
    let actor = p.actor();
    let outcome = blocking(&state, move |app| record_verification(app, &actor, &id, b)).await?;
    Ok(Json(api::VerificationRecorded { outcome }))
}

/// `POST /api/searches/{id}/assignments`: assign a verifier.
pub async fn assignment(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    body: std::result::Result<Json<api::AssignBody>, JsonRejection>,
) -> Result<Json<api::SearchAnswer>> {
    let b = crate::handlers::body(body)?;
    let actor = p.actor();
    let search = blocking(&state, move |app| assign(app, &actor, &id, &b.verifier)).await?;
    Ok(Json(api::SearchAnswer { search }))
}

/// `POST /api/searches/{id}/assignments/withdrawal`: withdraw a verifier's assignment.
pub async fn withdrawal(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    body: std::result::Result<Json<api::AssignBody>, JsonRejection>,
) -> Result<Json<api::SearchAnswer>> {
    let b = crate::handlers::body(body)?;
    let actor = p.actor();
    let search = blocking(&state, move |app| unassign(app, &actor, &id, &b.verifier)).await?;
    Ok(Json(api::SearchAnswer { search }))
}

/// `POST /api/searches/{id}/feedback`: the case's requester records what the investigation
/// found of the identification.
pub async fn feedback(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    body: std::result::Result<Json<waarborg_app::search::FeedbackBody>, JsonRejection>,
) -> Result<Json<api::FeedbackRecorded>> {
    let b = crate::handlers::body(body)?;
    let actor = p.actor();
    let s = blocking(&state, move |app| {
        waarborg_app::search::record_feedback(app, &actor, &id, &b)
    })
    .await?;
    let last = s.identification.as_ref().and_then(|i| i.finding());
    Ok(Json(api::FeedbackRecorded {
        search: s.id.clone(),
        finding: last
            .map(|f| f.finding.as_str().to_string())
            .unwrap_or_default(),
        found_on: last.map(|f| f.found_on.to_string()).unwrap_or_default(),
    }))
}

/// `POST /api/searches/{id}/withdrawal`: the search is not pursued.
pub async fn withdrawn(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    body: std::result::Result<Json<api::WithdrawBody>, JsonRejection>,
) -> Result<Json<api::SearchAnswer>> {
    let b = crate::handlers::body(body)?;
    let actor = p.actor();
    let search = blocking(&state, move |app| withdraw(app, &actor, &id, &b.reasons)).await?;
    Ok(Json(api::SearchAnswer { search }))
}

/// `POST /api/searches/{id}/resolution`: a dispute resolved by a recorded consultation.
pub async fn resolution(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    body: std::result::Result<Json<ConsultationBody>, JsonRejection>,
) -> Result<Json<api::VerificationRecorded>> {
    let b = crate::handlers::body(body)?;
    let actor = p.actor();
    let outcome = blocking(&state, move |app| {
        resolve_by_consultation(app, &actor, &id, b)
    })
    .await?;
    Ok(Json(api::VerificationRecorded {
        outcome: Some(outcome),
    }))
}

/// `GET /api/searches/{id}`.
pub async fn show(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<api::SearchView>> {
    let actor = p.actor();
    let (s, version) = blocking(&state, move |app| consult(app, &actor, &id)).await?;
    Ok(Json(api::SearchView {
        version: (p.role != waarborg_govern::Role::Verifier).then_some(version),
        search: view(&p.actor(), &s),
    }))
}

/// `GET /api/searches`: an examiner's own; a verifier's queue; everything for oversight.
pub async fn list(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> Result<Json<api::Searches>> {
    let actor = p.actor();
    let searches: Vec<Value> = blocking(&state, move |app| searches_for(app, &actor))
        .await?
        .iter()
        .map(|s| view(&p.actor(), s))
        .collect();
    Ok(Json(api::Searches { searches }))
}
