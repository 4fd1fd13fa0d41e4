//! Thin handlers: parse, call the domain or the store, log first, answer.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

use serde_json::Value;

use waarborg_govern::{Role, Timestamp};

use crate::api;
use crate::auth::{self, Principal};
use crate::problem::Problem;

use crate::AppState;

type Result<T> = std::result::Result<T, Problem>;

/// JSON bodies with a problem+json answer when malformed.
pub(crate) fn body<T>(json: std::result::Result<Json<T>, JsonRejection>) -> Result<T> {
    json.map(|Json(v)| v).map_err(|e| {
        let status = e.status();
        let kind = if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            "too_large"
        } else {
            "bad_request"
        };
        Problem::new(
            status,
            kind,
            format!("request body refused: {}", e.body_text()),
        )
    })
}

pub async fn health() -> Json<api::Health> {
    Json(api::Health {
        status: "ok".into(),
    })
}

/// `GET /api/ready`: 200 with every part's state when the instance can work, else 503 naming
/// the parts that cannot (`waarborg_app::health`).
pub async fn ready(
    State(state): State<Arc<AppState>>,
) -> Result<Json<waarborg_app::health::Readiness>> {
    let r = crate::blocking(&state, |app| Ok(waarborg_app::health::readiness(app))).await?;
    if r.ready {
        Ok(Json(r))
    } else {
        Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            format!("not ready: {}", r.failures().join("; ")),
        ))
    }
}

/// `GET /metrics`: the Prometheus text format.
pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    match waarborg_app::metrics::render(&state.app) {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(_) => Problem::internal("the metrics could not be written").into_response(),
    }
}

/// `GET /api/openapi.json`: generated from the route table and the API's types.
pub async fn openapi() -> Json<Value> {
    Json(crate::api::document())
}

pub async fn login(
    State(state): State<Arc<AppState>>,
    source: auth::Source,
    json: std::result::Result<Json<api::LoginBody>, JsonRejection>,
) -> Result<Response> {
    let b = body(json)?;
    let role = Role::parse(&b.role)
        .ok_or_else(|| Problem::bad_request(format!("unknown role {:?}", b.role)))?;
    let (token, session) = crate::blocking(&state, move |app| {
        auth::login(
            app,
            &source.0,
            &b.user,
            &b.password,
            b.code.as_deref(),
            role,
        )
    })
    .await?;
    let cookie = auth::cookie(&token, state.secure_cookies);
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(api::SessionStarted {
            user: session.user,
            role: session.role.as_str().into(),
            csrf: session.csrf,
            expires: Timestamp(session.expires),
        }),
    )
        .into_response())
}

pub async fn logout(
    State(state): State<Arc<AppState>>,
    req: axum::extract::Request,
) -> Result<Response> {
    if let Some(token) = req
        .headers()
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(auth::token_from_cookies)
    {
        let hash = auth::token_hash(token);
        crate::blocking(&state, move |app| auth::logout(app, &hash)).await?;
    }
    let gone = format!(
        "{}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0",
        auth::COOKIE
    );
    Ok((
        [(header::SET_COOKIE, gone)],
        Json(api::LoggedOut { logged_out: true }),
    )
        .into_response())
}

pub async fn me(Extension(p): Extension<Principal>) -> Json<api::Me> {
    Json(api::Me {
        role: p.role.as_str().into(),
        roles: p.account.roles.iter().map(|r| r.as_str().into()).collect(),
        user: p.account.user,
        display_name: p.account.display_name,
        unit: p.account.unit,
    })
}

pub async fn public_register(
    State(state): State<Arc<AppState>>,
) -> Result<Json<api::PublicRegister>> {
    crate::pool(move || public_uses(&state)).await?.map(Json)
}

fn public_uses(state: &AppState) -> Result<api::PublicRegister> {
    let now = state.now();
    let uses: Vec<api::PublicUse> = waarborg_app::register::published(state)?
        .into_iter()
        .filter_map(|(d, text)| {
            let r = d.revisions.last()?;
            Some(api::PublicUse {
                deployment: d.id.clone(),
                name: d.name.clone(),
                system: r.content.system.clone(),
                mode: r.content.mode,
                domain: r.content.domain,
                purpose: r.content.purpose.clone(),
                state: r.effective_state(now).as_str().into(),
                revision: r.number,
                valid_from: r.content.scope.valid_from,
                valid_until: r.content.scope.valid_until,
                algorithm_register_text: r.content.algorithm_register_text.clone(),
                kind_of_use: r.content.kind_of_use().as_str().into(),
                model_licences: r.content.technology.licence_texts(),
                register: text.map(|p| p.register),
            })
        })
        .collect();
    Ok(api::PublicRegister { uses })
}

pub async fn deployments(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
) -> Result<Json<api::Deployments>> {
    let actor = p.actor();
    let deployments = crate::blocking(&state, move |app| {
        waarborg_app::register::deployments_seen_by(app, &actor)
    })
    .await?;
    Ok(Json(api::Deployments { deployments }))
}

pub async fn deployment(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<api::VersionedDeployment>> {
    let actor = p.actor();
    let (d, version) = crate::blocking(&state, move |app| {
        waarborg_app::register::deployment_seen_by(app, &actor, &id)
    })
    .await?;
    Ok(Json(api::VersionedDeployment {
        version,
        deployment: d,
    }))
}

pub async fn decide(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
    json: std::result::Result<Json<api::DecisionBody>, JsonRejection>,
) -> Result<Json<api::Decided>> {
    let b = body(json)?;
    let actor = p.actor();
    let (version, events) = crate::blocking(&state, move |app| {
        let step = crate::governance::Step {
            deployment: &id,
            version: b.version,
            revision: b.revision,
            command: b.command,
            reason: &b.reason,
        };
        crate::governance::apply_step(app, &actor, step)
    })
    .await?;
    Ok(Json(api::Decided { version, events }))
}

pub async fn checkpoint(State(state): State<Arc<AppState>>) -> Result<Json<api::LedgerCheckpoint>> {
    // Side-effect free: the kept checkpoint, read on the blocking pool.
    crate::pool(move || {
        let cp = waarborg_app::audit::latest_checkpoint(&state)?;
        Ok(Json(api::LedgerCheckpoint {
            size: cp.checkpoint.size,
            root: B64.encode(cp.checkpoint.root),
            note: cp.note,
        }))
    })
    .await?
}

pub async fn ledger_entry(
    State(state): State<Arc<AppState>>,
    Path(index): Path<String>,
) -> Result<Json<api::LedgerEntry>> {
    crate::pool(move || {
        let index: u64 = index
            .parse()
            .map_err(|_| Problem::bad_request(format!("entry index {index:?} is not a number")))?;
        let cp = waarborg_app::audit::latest_checkpoint(&state)?;
        if index >= cp.checkpoint.size {
            return Err(Problem::not_found(format!(
                "entry {index}: the latest signed checkpoint covers {} entries (the next is signed within five minutes)",
                cp.checkpoint.size
            )));
        }
        let entry = state
            .ledger
            .entry(index)
            .map_err(|e| Problem::internal(e.to_string()))?;
        let proof = state
            .ledger
            .inclusion_proof(index, cp.checkpoint.size)
            .map_err(|e| Problem::internal(e.to_string()))?;
        Ok(Json(api::LedgerEntry {
            index,
            entry: String::from_utf8_lossy(&entry).into_owned(),
            leaf_hash: B64.encode(waarborg_ledger::merkle::leaf_hash(&entry)),
            tree_size: cp.checkpoint.size,
            inclusion_proof: proof.iter().map(|h| B64.encode(h)).collect(),
            checkpoint: cp.note,
        }))
    })
    .await?
}

/// `GET /api/ledger/verify`: the kept verification (`waarborg_app::audit`), brought up to
/// date at the cost of the entries added since — never a whole-ledger verification on the
/// request (unless the entries changed in place).
pub async fn ledger_verify(
    State(state): State<Arc<AppState>>,
) -> Result<Json<api::LedgerVerification>> {
    let v = crate::blocking(&state, waarborg_app::audit::current).await?;
    let report = &v.report;
    Ok(Json(api::LedgerVerification {
        ok: report.is_ok(),
        entries: report.entries,
        checkpoints: report.checkpoints,
        first_bad_entry: report.first_bad_entry(),
        problems: report.problems.iter().map(|p| p.message.clone()).collect(),
        trust: match report.key_source {
            waarborg_ledger::KeySource::Trusted => "configured",
            waarborg_ledger::KeySource::Genesis => "genesis",
        }
        .into(),
        as_of: v.at,
    }))
}

pub async fn accounts(State(state): State<Arc<AppState>>) -> Result<Json<api::Accounts>> {
    let accounts = crate::blocking(&state, auth::accounts).await?;
    Ok(Json(api::Accounts { accounts }))
}

/// `POST /api/admin/accounts`.
pub async fn create_account(
    State(state): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    json: std::result::Result<Json<waarborg_app::account::NewAccount>, JsonRejection>,
) -> Result<Json<api::AccountCreated>> {
    let b = body(json)?;
    let actor = p.actor();
    let created = crate::blocking(&state, move |app| {
        waarborg_app::account::create_account_by(app, &actor, b)
    })
    .await?;
    Ok(Json(api::AccountCreated { created }))
}
