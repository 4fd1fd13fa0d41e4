//! The Waarborg service: the engines and the governance domain behind one HTTP API.
//!
//! * [`routes::ROUTES`] is the one table of routes: method, path and who may call it. The
//!   router is built from it, and the authorisation test walks it with every role — a route
//!   without an entry in the test's expectations fails the build.
//! * [`auth`]: argon2id passwords, sessions (token hashes only), CSRF, throttling.
//! * Handlers are thin: they parse, call the domain or the store, append to the ledger
//!   before answering, and map errors to `application/problem+json` ([`problem`]).
//!
//! Architecture invariant: only the route table grants access by role; object-level rules
//! (no self-verification, conflicts, the gate) live in `waarborg-govern` and are never
//! re-implemented in a handler.

pub mod account;
pub mod auth;
pub mod cases;
pub mod governance;
mod handlers;
pub mod i18n;
pub mod problem;
pub mod publication;
pub mod reference;
pub mod routes;
pub mod search;
pub mod ui;

use std::sync::Arc;

use waarborg_ledger::Ledger;
use waarborg_store::SqliteStore;

/// Largest request body accepted (probe uploads are the largest legitimate bodies).
pub const MAX_BODY_BYTES: usize = 20 * 1024 * 1024;

/// What every handler can reach.
pub struct AppState {
    /// The governance store (accounts too).
    pub store: SqliteStore,
    /// The audit ledger.
    pub ledger: Ledger,
    /// Whether cookies get `Secure` (served behind TLS).
    pub secure_cookies: bool,
    /// The clock, in seconds since 1970 (tests replace it).
    pub clock: fn() -> i64,
    /// The face engine (absent: biometric routes answer 503).
    pub engine: Option<Arc<waarborg_face::FaceEngine>>,
    /// The reference index.
    pub index: Option<Arc<waarborg_index::Index>>,
    /// Probe images, encrypted at rest, by SHA-256.
    pub probes: waarborg_refdb::vault::Vault,
    /// The reference images, encrypted at rest (absent: candidates are shown without their
    /// image).
    pub references: Option<waarborg_refdb::vault::Vault>,
}

impl AppState {
    /// Now, by the state's clock.
    pub fn now(&self) -> i64 {
        (self.clock)()
    }
}

/// The ledger entry for a governance event on deployment `d`: who did what to which
/// revision, why, under which framework version (reasons longer than the ledger allows are
/// cut), with the step as data ([`waarborg_ledger::About::Revision`]; a step into use
/// carries the review interval so that overdue reviews are computed from the ledger).
pub fn governance_entry(
    d: &waarborg_govern::revision::Deployment,
    e: &waarborg_govern::revision::Event,
) -> waarborg_ledger::Event {
    use waarborg_govern::revision::State;
    let review_interval_days = d
        .revisions
        .iter()
        .find(|r| r.number == e.revision)
        .filter(|_| e.decision.to == State::Active)
        .map(|r| r.content.review_interval_days);
    waarborg_ledger::Event::GovernanceDecision(waarborg_ledger::GovernanceDecision {
        actor: e.decision.actor.clone(),
        role: e.decision.role.as_str().into(),
        action: e.decision.action.clone(),
        subject: format!(
            "deployment {} revision {}: {} -> {}",
            e.deployment,
            e.revision,
            e.decision.from.as_str(),
            e.decision.to.as_str()
        ),
        reason: e
            .decision
            .reason
            .chars()
            .take(waarborg_ledger::entry::MAX_TEXT)
            .collect(),
        framework_version: e.decision.framework.clone(),
        about: Some(waarborg_ledger::About::Revision {
            deployment: e.deployment.clone(),
            revision: e.revision,
            from: e.decision.from.as_str().into(),
            to: e.decision.to.as_str().into(),
            review_interval_days,
        }),
    })
}

/// The ledger entry for a step on a case authorisation (request, grant, refusal), with the
/// case's facts as data ([`waarborg_ledger::About::Case`]).
pub fn case_entry(
    actor: &waarborg_govern::Actor,
    action: &str,
    c: &waarborg_govern::case::CaseAuthorisation,
    reason: &str,
) -> waarborg_ledger::Event {
    waarborg_ledger::Event::GovernanceDecision(waarborg_ledger::GovernanceDecision {
        actor: actor.user.clone(),
        role: actor.role.as_str().into(),
        action: action.into(),
        subject: format!("case {} under deployment {}", c.case_number, c.deployment),
        reason: reason
            .chars()
            .take(waarborg_ledger::entry::MAX_TEXT)
            .collect(),
        framework_version: None,
        about: Some(waarborg_ledger::About::Case {
            case_number: c.case_number.clone(),
            deployment: c.deployment.clone(),
            offence_category: c
                .offence_category
                .chars()
                .take(waarborg_ledger::entry::MAX_TEXT)
                .collect(),
            urgent: c.urgent,
        }),
    })
}

/// The system clock.
pub fn system_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The application, ready to serve.
pub fn app(state: Arc<AppState>) -> axum::Router {
    routes::router(state)
}

/// Serves `app` on `addr` until Ctrl-C.
pub async fn serve(state: Arc<AppState>, addr: std::net::SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
