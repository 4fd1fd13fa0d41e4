//! Readiness (issue 20 item 4): whether this instance can do its work now, for a load
//! balancer, an orchestrator or an operator. Liveness (`GET /api/health`) says only that the
//! process answers; readiness asks the parts:
//!
//! | check | ready needs | why |
//! |---|---|---|
//! | `store` | a read answers | every use case reads the store |
//! | `ledger` | the kept verification found no problem | nothing may be done that cannot be logged in a ledger that verifies |
//! | `disk` | the reserve is free | new work is refused below it |
//! | `engine` | (reported only) | without it governance runs and biometric routes answer 503 |
//! | `index` | (reported only) | without it no search |
//!
//! Reading it writes nothing and does not verify the ledger anew: it reads what the
//! scheduled verification ([`crate::jobs`]) kept.

use serde::Serialize;
use waarborg_store::Store;

use crate::App;

/// One part's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Check {
    /// `store`, `ledger`, `disk`, `engine` or `index`.
    pub name: String,
    /// Whether it is as it should be.
    pub ok: bool,
    /// Whether readiness depends on it.
    pub required: bool,
    /// What was found, in words.
    pub detail: String,
}

/// The instance's readiness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// Every required check is ok.
    pub ready: bool,
    /// Each part.
    pub checks: Vec<Check>,
}

impl Readiness {
    /// The required checks that failed, in words, for an answer that says what is wrong.
    pub fn failures(&self) -> Vec<String> {
        self.checks
            .iter()
            .filter(|c| c.required && !c.ok)
            .map(|c| format!("{}: {}", c.name, c.detail))
            .collect()
    }
}

fn check(name: &str, required: bool, outcome: Result<String, String>) -> Check {
    let (ok, detail) = match outcome {
        Ok(d) => (true, d),
        Err(d) => (false, d),
    };
    Check {
        name: name.into(),
        ok,
        required,
        detail,
    }
}

/// Asks every part.
pub fn readiness(app: &App) -> Readiness {
    let store = app
        .store
        .deployment("readiness-probe")
        .map(|_| "answers".to_string())
        .map_err(|e| format!("does not answer: {e}"));
    let ledger = match crate::audit::kept(app) {
        None => Err("not verified yet".to_string()),
        Some(v) if v.report.is_ok() => Ok(format!(
            "{} entries verified, {} since",
            v.report.entries,
            app.ledger.size().saturating_sub(v.report.entries)
        )),
        Some(v) => Err(format!(
            "does not verify: {} problem(s), the first at {}",
            v.report.problems.len(),
            v.report
                .problems
                .first()
                .map(|p| format!("{:?}", p.place))
                .unwrap_or_default()
        )),
    };
    let disk = app
        .reserve
        .check()
        .map(|()| "the reserve is free".to_string())
        .map_err(|e| e.to_string());
    let engine = match &app.engine {
        Some(_) => Ok("loaded".to_string()),
        None => Err("not loaded: biometric routes answer 503".to_string()),
    };
    let index = match &app.index {
        Some(i) => Ok(format!("{} templates", i.stats().templates)),
        None => Err("not opened: no search".to_string()),
    };
    let checks = vec![
        check("store", true, store),
        check("ledger", true, ledger),
        check("disk", true, disk),
        check("engine", false, engine),
        check("index", false, index),
    ];
    Readiness {
        ready: checks.iter().all(|c| c.ok || !c.required),
        checks,
    }
}
