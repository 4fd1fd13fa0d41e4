//! The duties the system carries out by itself, on a schedule: erasing the results of
//! searches no authorisation covers any more (AI Act Art. 26(10)), signing checkpoints,
//! keeping the ledger verified and its figures current, and applying the reference
//! database's retention rules. Each is one function (run once at
//! start by `serve`, and by tests); [`Jobs::start`] runs them on their schedule on threads of
//! their own, so no request ever waits for one.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use waarborg_govern::Timestamp;

use crate::{App, Result};

/// How often the running service signs a checkpoint (when entries were added) and erases
/// the results of urgent uses whose 48 hours passed.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(300);

/// How often the running service applies the retention rules to the reference database,
/// and verifies its whole ledger again from the start.
pub const RETENTION_EVERY: Duration = Duration::from_secs(24 * 3600);

/// How often the running service brings its kept verification and public figures up to
/// date ([`crate::audit`]) and checks the monitoring indicators ([`crate::monitoring`]).
pub const VERIFY_EVERY: Duration = Duration::from_secs(60);

/// Applies every period ([`crate::retention::apply`]): the reference database brought into
/// agreement (after a crash) and its rules applied, and the probes and results of searches
/// whose periods ran out erased, each with a deletion receipt.
pub fn retention(app: &App) -> Result<crate::retention::Applied> {
    crate::retention::apply(app)
}

/// Erases the results of searches no case authorisation covers any more (refused, or an
/// urgent use past its 48 hours): every case (`all`: the run at start, which also finishes an
/// erasure a crash interrupted), or the urgent uses whose deadline passed in the last day.
/// Returns how many searches were erased.
pub fn erase_uncovered(app: &App, all: bool) -> Result<usize> {
    let now = app.now();
    crate::cases::erase_uncovered_searches(app, now, (!all).then(|| now.plus(-Timestamp::DAY)))
}

/// Signs a checkpoint if entries were added since the last one.
pub fn checkpoint(app: &App) -> Result<()> {
    app.ledger.checkpoint()?;
    Ok(())
}

/// The scheduled duties, running until [`Jobs::stop`].
pub struct Jobs {
    stop: Arc<(Mutex<bool>, Condvar)>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Jobs {
    /// Starts the schedule: at once and then every [`CHECKPOINT_EVERY`] the erasure of
    /// uncovered searches and a checkpoint; at once and then every [`VERIFY_EVERY`] the
    /// ledger's verification and figures brought up to date; every [`RETENTION_EVERY`] the
    /// retention run (its first run is `serve`'s, before it listens) and a full
    /// verification. A failure is logged and retried at the next run.
    pub fn start(app: Arc<App>) -> std::io::Result<Jobs> {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let mut threads = Vec::new();
        let frequent = app.clone();
        threads.push(every(
            "waarborg-checkpoints",
            CHECKPOINT_EVERY,
            true,
            stop.clone(),
            move || {
                match erase_uncovered(&frequent, false) {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(
                        searches = n,
                        "erased the results of searches no authorisation covers"
                    ),
                    Err(e) => failed(&frequent, "erase_uncovered", &e),
                }
                if let Err(e) = checkpoint(&frequent) {
                    failed(&frequent, "checkpoint", &e);
                }
                if let Err(e) = frequent.flush_refusals(false) {
                    failed(&frequent, "flush_refusals", &e);
                }
                if let Err(e) = crate::account::purge_sessions(&frequent) {
                    failed(&frequent, "purge_sessions", &e);
                }
            },
        )?);
        let watched = app.clone();
        threads.push(every(
            "waarborg-verification",
            VERIFY_EVERY,
            true,
            stop.clone(),
            move || {
                if let Err(e) = crate::audit::refresh(&watched) {
                    failed(&watched, "verification", &e);
                }
                if let Err(e) = crate::monitoring::check(&watched) {
                    failed(&watched, "monitoring", &e);
                }
            },
        )?);
        threads.push(every(
            "waarborg-retention",
            RETENTION_EVERY,
            false,
            stop.clone(),
            move || {
                match retention(&app) {
                    Ok(r) if !r.erased_any() => {}
                    Ok(r) => tracing::info!(
                        images = r.images(),
                        probes = r.probes,
                        results = r.results,
                        held = r.held,
                        "retention: erased, each with a deletion receipt"
                    ),
                    Err(e) => failed(&app, "retention", &e),
                }
                match crate::audit::verify_fully(&app) {
                    Ok(v) if v.report.is_ok() => {
                        tracing::info!(entries = v.report.entries, "the whole ledger verified")
                    }
                    Ok(v) => tracing::error!(
                        problems = v.report.problems.len(),
                        "the ledger does not verify"
                    ),
                    Err(e) => failed(&app, "full_verification", &e),
                }
            },
        )?);
        Ok(Jobs { stop, threads })
    }

    /// Stops the schedule and waits for a run in progress to finish.
    pub fn stop(self) {
        let (flag, wake) = &*self.stop;
        if let Ok(mut stopped) = flag.lock() {
            *stopped = true;
        }
        wake.notify_all();
        for t in self.threads {
            let _ = t.join();
        }
    }
}

/// A failed run of `job`: counted and logged; the next run tries again.
fn failed(app: &App, job: &str, e: &crate::AppError) {
    app.caches.metrics.job_failed(job);
    tracing::error!(job, error = %e, "a scheduled duty failed; it runs again at its next time");
}

/// Runs `run` every `period` (and at once, if `at_once`) on a thread named `name`, until
/// `stop` is set.
fn every(
    name: &str,
    period: Duration,
    at_once: bool,
    stop: Arc<(Mutex<bool>, Condvar)>,
    mut run: impl FnMut() + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            if at_once {
                run();
            }
            let (flag, wake) = &*stop;
            loop {
                let Ok(stopped) = flag.lock() else { return };
                let Ok((stopped, _)) = wake.wait_timeout_while(stopped, period, |s| !*s) else {
                    return;
                };
                if *stopped {
                    return;
                }
                drop(stopped);
                run();
            }
        })
}
