//! The one path to the gate, for the service and the command line alike: look up what the
//! request names, ask `waarborg_govern::gate::check`, and log a refusal before answering it.
//! An unknown deployment or case number is a refusal like any other (logged, exit 3 on the
//! command line, 403 on the service), never an error that leaves no trace.

use waarborg_govern::gate::{self, Action, Permit, Refusal};
use waarborg_govern::Actor;
use waarborg_store::Store;

use crate::{entries, App, AppError, Result};

/// What the gate is asked.
#[derive(Debug, Clone)]
pub struct Ask<'a> {
    /// The operation.
    pub action: Action,
    /// The deployment, by id.
    pub deployment: &'a str,
    /// The case, by number (search actions).
    pub case_number: Option<&'a str>,
    /// The reference databases touched (`None`: those of the active revision's scope).
    pub databases: Option<Vec<String>>,
    /// The probe's source kind (search actions).
    pub probe_source: Option<&'a str>,
    /// SHA-256 of the models the engine presents.
    pub models: &'a [String],
}

/// The gate's answer, after a refusal was logged.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The permit, or the refusal (already in the ledger).
    pub decision: std::result::Result<Permit, Refusal>,
    /// The reference databases the permit covers.
    pub databases: Vec<String>,
}

/// Asks the gate whether `actor` may run `ask` now; a refusal is in the ledger before it is
/// returned. Errors only when the store or the ledger fails.
pub fn check(app: &App, actor: &Actor, ask: &Ask) -> Result<Answer> {
    // Malformed identifiers are bad input, answered before anything is looked up or logged;
    // a well-formed one that names nothing is the gate's refusal, logged.
    use waarborg_govern::ids::{self, Kind};
    ids::check(Kind::Deployment, ask.deployment)?;
    if let Some(n) = ask.case_number.filter(|n| !n.trim().is_empty()) {
        ids::check(Kind::CaseNumber, n)?;
    }
    let now = app.now();
    let deployment = app.store.deployment(ask.deployment)?.map(|(d, _)| d);
    let case = match ask.case_number {
        Some(n) if !n.trim().is_empty() => app.store.case(n)?.map(|(c, _)| c),
        _ => None,
    };
    let active = deployment.as_ref().and_then(|d| d.active_revision(now));
    let competence = match actor.role {
        waarborg_govern::Role::Examiner => Some(crate::competence::record(app, &actor.user)?),
        _ => None,
    };
    let databases = ask.databases.clone().unwrap_or_else(|| {
        active
            .map(|r| r.content.scope.reference_databases.clone())
            .unwrap_or_default()
    });
    let decision = gate::check(&gate::Request {
        actor,
        action: ask.action,
        deployment: deployment.as_ref().ok_or(ask.deployment),
        case: ask.case_number.map(|n| case.as_ref().ok_or(n)),
        reference_databases: &databases,
        probe_source: ask.probe_source,
        model_sha256: ask.models,
        competence: competence.as_ref(),
        now,
    });
    if let Err(refusal) = &decision {
        tracing::debug!(
            code = refusal.code(),
            action = ask.action.as_str(),
            "gate refused"
        );
        app.caches
            .metrics
            .gate_refusals
            .get_or_create(&crate::metrics::CodeLabel {
                code: refusal.code().into(),
            })
            .inc();
        app.log_refusal(entries::gate_refusal(
            actor,
            ask.action,
            ask.deployment,
            active.map(|r| format!("{}/{}", ask.deployment, r.number)),
            ask.case_number,
            refusal,
        ))?;
    }
    Ok(Answer {
        decision,
        databases,
    })
}

/// Like [`check`], for a use case that goes on only with a permit: a refusal (logged) is
/// [`AppError::Forbidden`] with code `gate_refused`.
pub fn require(app: &App, actor: &Actor, ask: &Ask) -> Result<(Permit, Vec<String>)> {
    let answer = check(app, actor, ask)?;
    match answer.decision {
        Ok(permit) => Ok((permit, answer.databases)),
        Err(refusal) => Err(AppError::Forbidden {
            code: "gate_refused",
            detail: format!("{}: {refusal}", refusal.code()),
        }),
    }
}

/// The SHA-256 of the models the loaded engine presents (detector, recogniser).
pub fn engine_models(app: &App) -> Result<Vec<String>> {
    let engine = app.engine.as_ref().ok_or_else(engine_missing)?;
    let fp = engine.fingerprint();
    Ok(vec![
        fp.detector_sha256.clone(),
        fp.recognizer_sha256.clone(),
    ])
}

/// The engine or the index is not loaded.
pub fn engine_missing() -> AppError {
    AppError::Unavailable {
        code: "engine_unavailable",
        detail: "the face engine or the reference index is not loaded; install the models with `waarborg models install` and restart".into(),
    }
}
