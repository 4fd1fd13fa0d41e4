//! The ledger kept verified, and the figures drawn from it kept current, so that no request
//! waits on whole-ledger work.
//!
//! | what | how it keeps up | its cost |
//! |------|-----------------|----------|
//! | verification | `waarborg_ledger::Verifier::advance` from where it stopped | the new entries |
//! | figures of last year and this year, and of all time | `waarborg_report::RunningFigures::add` for each new entry | the new entries |
//! | an entries file changed in place (same size, other time stamp) | verified again from the start at once | the whole ledger — only after tampering or damage |
//! | a full verification | [`verify_fully`], daily by the job, swapped in when done | the whole ledger, off every request |
//!
//! A reader ([`current`]) gets the kept result, brought up to date first when the ledger grew
//! (at the cost of the new entries); while another thread is bringing it up to date, the
//! reader gets the last result rather than wait.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use waarborg_govern::Timestamp;
use waarborg_ledger::{Verifier, VerifyReport};
use waarborg_report::{Period, Report, RunningFigures};

use crate::{App, AppError, Result};

/// The kept result of the last verification.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The verification's report (entries, root, checkpoints, problems).
    pub report: VerifyReport,
    /// When it was brought up to date.
    pub at: Timestamp,
    /// The figures of the last full year and of this year, by year (none while the ledger
    /// does not verify).
    pub yearly: BTreeMap<i32, Arc<Report>>,
    /// The figures of all time (the ledger page's counters).
    pub all_time: Option<Arc<Report>>,
    /// The entries file's length and time stamp when it was read.
    file: FileStamp,
}

/// An entries file's length and time stamp.
type FileStamp = (u64, Option<std::time::SystemTime>);

/// What the app keeps of its ledger's verification.
#[derive(Default)]
pub struct Watch {
    /// The ledger's genesis key as given from outside: every verification is pinned to it.
    trusted: Option<waarborg_ledger::NoteVerifier>,
    progress: Mutex<Option<Progress>>,
    latest: RwLock<Option<Arc<Verified>>>,
}

/// How far the verification and the counting got.
struct Progress {
    verifier: Verifier,
    /// Running figures by year (`None`: all time).
    figures: BTreeMap<Option<i32>, RunningFigures>,
    /// The entries file's length and time stamp when last read.
    file: FileStamp,
}

impl Watch {
    /// A watch whose verifications are pinned to the genesis key `trusted` (issue 23: a
    /// ledger replaced wholesale, with a new genesis, does not verify).
    pub fn pinned(trusted: waarborg_ledger::NoteVerifier) -> Watch {
        Watch {
            trusted: Some(trusted),
            ..Watch::default()
        }
    }

    /// A verification from the start, pinned as this watch is.
    fn fresh(&self) -> Progress {
        Progress {
            verifier: Verifier::new(self.trusted.as_ref()),
            figures: BTreeMap::new(),
            file: (0, None),
        }
    }
}

fn entries_file(app: &App) -> FileStamp {
    std::fs::metadata(app.ledger.dir().join(waarborg_ledger::ENTRIES_FILE))
        .map(|m| (m.len(), m.modified().ok()))
        .unwrap_or((0, None))
}

fn period(year: Option<i32>) -> Result<Period> {
    let (from, to) = match year {
        Some(y) => (format!("{y:04}-01-01"), format!("{:04}-01-01", y + 1)),
        None => ("1970-01-01".into(), "9999-01-01".into()),
    };
    Period::new(&from, &to).map_err(|e| AppError::internal(e.to_string()))
}

/// The kept verification as it is, without bringing it up to date (`None` before the first).
pub fn kept(app: &App) -> Option<Arc<Verified>> {
    app.caches.ledger.latest.read().ok().and_then(|l| l.clone())
}

/// The kept verification, brought up to date first if the ledger changed since (the cost of
/// the new entries). If another thread is updating it, the last result without waiting.
pub fn current(app: &App) -> Result<Arc<Verified>> {
    let latest = app.caches.ledger.latest.read().ok().and_then(|l| l.clone());
    if let Some(v) = &latest {
        if v.report.entries == app.ledger.size() && v.file == entries_file(app) {
            return Ok(v.clone());
        }
    }
    match (latest, app.caches.ledger.progress.try_lock()) {
        (_, Ok(progress)) => refresh_locked(app, progress),
        (Some(v), Err(std::sync::TryLockError::WouldBlock)) => Ok(v),
        (None, Err(std::sync::TryLockError::WouldBlock)) => refresh(app),
        (_, Err(std::sync::TryLockError::Poisoned(_))) => Err(AppError::internal(
            "the ledger watch was poisoned by a panic",
        )),
    }
}

/// The latest signed checkpoint, as kept: reading it signs and writes nothing (the service
/// signs one at start, every five minutes and at shutdown, [`crate::jobs`]), so a reader
/// cannot make the service write. Unavailable before the first is signed.
pub fn latest_checkpoint(app: &App) -> Result<waarborg_ledger::SignedCheckpoint> {
    app.ledger
        .latest_checkpoint()
        .ok_or_else(|| AppError::Unavailable {
            code: "no_checkpoint",
            detail:
                "no checkpoint is signed yet; the service signs one at start and every five minutes"
                    .into(),
        })
}

type Guard<'a> = std::sync::MutexGuard<'a, Option<Progress>>;

/// The watch's progress, waited for.
fn lock(app: &App) -> Result<Guard<'_>> {
    app.caches
        .ledger
        .progress
        .lock()
        .map_err(|_| AppError::internal("the ledger watch was poisoned by a panic"))
}

/// Brings the kept verification and figures up to date (the job's step).
pub fn refresh(app: &App) -> Result<Arc<Verified>> {
    refresh_locked(app, lock(app)?)
}

fn refresh_locked(app: &App, mut progress: Guard<'_>) -> Result<Arc<Verified>> {
    let live = app.ledger.size();
    let file = entries_file(app);
    let p = progress.get_or_insert_with(|| app.caches.ledger.fresh());
    // An append-only file that changed without growing was changed in place: start over.
    if p.file.0 == file.0 && p.file.1.is_some() && p.file.1 != file.1 {
        tracing::warn!("the ledger's entries changed in place; verifying it again from the start");
        *p = app.caches.ledger.fresh();
    }
    let report = p
        .verifier
        .advance(app.ledger.dir(), Some(live))
        .map_err(|e| AppError::internal(format!("reading the ledger: {e}")))?;
    p.file = file;
    let now = app.now();
    let this_year = crate::publication::year_of(now);
    let mut yearly = BTreeMap::new();
    let mut all_time = None;
    if report.is_ok() {
        p.figures
            .retain(|y, _| y.is_none_or(|y| y >= this_year - 1));
        for year in [None, Some(this_year - 1), Some(this_year)] {
            if let std::collections::btree_map::Entry::Vacant(slot) = p.figures.entry(year) {
                slot.insert(RunningFigures::new(&period(year)?));
            }
        }
        // Each entry read once, counted by every figure that has not counted it yet (a
        // year new to the watch starts from the first entry).
        let from = p
            .figures
            .values()
            .map(RunningFigures::size)
            .min()
            .unwrap_or(0);
        for index in from..report.entries {
            let bytes = app.ledger.entry(index)?;
            for running in p.figures.values_mut().filter(|r| r.size() == index) {
                running
                    .add(&bytes)
                    .map_err(|e| AppError::internal(e.to_string()))?;
            }
        }
        // A `void` for entries already counted (a commit that failed after its entries were
        // appended): those figures are counted again, without the voided entries.
        for running in p.figures.values_mut().filter(|r| r.stale()) {
            let mut again = running.recount();
            for index in 0..report.entries {
                again
                    .add(&app.ledger.entry(index)?)
                    .map_err(|e| AppError::internal(e.to_string()))?;
            }
            *running = again;
        }
        for (year, running) in &p.figures {
            let made = Arc::new(running.report(report.root));
            match year {
                Some(y) => {
                    yearly.insert(*y, made);
                }
                None => all_time = Some(made),
            }
        }
    } else {
        p.figures.clear();
        tracing::error!(
            problems = report.problems.len(),
            "the ledger does not verify; no figures are published"
        );
    }
    let verified = Arc::new(Verified {
        report,
        at: now,
        yearly,
        all_time,
        file,
    });
    if let Ok(mut latest) = app.caches.ledger.latest.write() {
        *latest = Some(verified.clone());
    }
    Ok(verified)
}

/// Verifies the whole ledger from the start without holding up readers, then carries the
/// result forward as the kept one (what the job does daily: an incremental verification
/// does not re-read old entries).
pub fn verify_fully(app: &App) -> Result<Arc<Verified>> {
    let mut fresh = app.caches.ledger.fresh();
    // Stamped before it is read: a change in place while it is read is caught next time.
    fresh.file = entries_file(app);
    fresh
        .verifier
        .advance(app.ledger.dir(), Some(app.ledger.size()))
        .map_err(|e| AppError::internal(format!("reading the ledger: {e}")))?;
    let mut progress = lock(app)?;
    if let Some(kept) = progress.as_mut() {
        fresh.figures = std::mem::take(&mut kept.figures);
    }
    *progress = Some(fresh);
    refresh_locked(app, progress)
}

/// The public register's figures for `year`, from the kept verification; why there are
/// none otherwise (the ledger does not verify, or the year is neither this nor the last).
pub fn public_figures(app: &App, year: i32) -> std::result::Result<Arc<Report>, String> {
    let v = current(app).map_err(|e| e.to_string())?;
    if let Some(problem) = v.report.problems.first() {
        return Err(format!(
            "the ledger does not verify: {} problem(s), the first at {}: {}",
            v.report.problems.len(),
            problem.place,
            problem.message
        ));
    }
    v.yearly
        .get(&year)
        .cloned()
        .ok_or_else(|| format!("no figures are kept for {year}"))
}
