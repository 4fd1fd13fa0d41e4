//! Waarborg's application layer: every use case — a governance step, a case request or
//! decision, a stage of a search, a verification, a publication text, a second factor, a
//! scheduled duty — as one synchronous function over an [`App`].
//!
//! The front ends (`waarborg-server`, `waarborg-cli`) only translate: HTTP or arguments in,
//! a call here, an answer out. The rules live in `waarborg-govern`; this crate composes the
//! domain with the store, the ledger, the vaults, the index and the engine, in the order the
//! invariants demand:
//!
//! | step | where |
//! |------|-------|
//! | validate the input, load what it is about | the use case |
//! | ask the domain (the gate, a transition) | `waarborg-govern` |
//! | a refusal of the gate: log the refusal, answer [`AppError::Forbidden`] | [`gate`] |
//! | a change: append its ledger entry, then commit | [`App::commit`] |
//!
//! Architecture invariant: nothing here knows HTTP, HTML or command-line arguments; errors
//! are [`AppError`] with a stable [`AppError::code`], mapped once by each front end.
//! Architecture invariant: every state change goes through [`App::commit`] (or, for the
//! reference database, `waarborg-refdb`'s own commit order), so nothing is kept that is not
//! in the ledger.

pub mod account;
pub mod audit;
pub mod case_report;
pub mod cases;
pub mod compare;
pub mod competence;
pub mod consistency;
pub mod consult;
pub mod entries;
mod error;
pub mod gate;
pub mod governance;
pub mod health;
pub mod incidents;
pub mod jobs;
pub mod metrics;
pub mod monitoring;
pub mod prepare;
pub mod proficiency;
pub mod publication;
pub mod reference;
pub mod register;
pub mod retention;
pub mod search;
pub mod space;
pub mod subject;
pub mod throttle;
pub mod video;

use std::sync::Arc;

pub use error::{AppError, Result};
use waarborg_govern::Timestamp;
use waarborg_ledger::{Ledger, LedgerError};
use waarborg_store::{LedgerMark, SqliteStore, StoreError};

/// Everything a use case can reach.
pub struct App {
    /// The governance store (accounts, deployments, cases, searches).
    pub store: SqliteStore,
    /// The audit ledger.
    pub ledger: Ledger,
    /// The clock, in seconds since 1970 (tests and `--at` replace it).
    pub clock: Clock,
    /// The face engine (absent: biometric use cases answer [`AppError::Unavailable`]).
    pub engine: Option<Arc<waarborg_face::FaceEngine>>,
    /// The reference index.
    pub index: Option<Arc<waarborg_index::Index>>,
    /// Probe images, encrypted at rest, by SHA-256.
    pub probes: waarborg_refdb::vault::Vault,
    /// The reference images, encrypted at rest (absent: candidates are shown without their
    /// image).
    pub references: Option<waarborg_refdb::vault::Vault>,
    /// Results kept between requests (the ledger's verification, the public figures).
    pub caches: Caches,
    /// The free space new work leaves on the data directory's disk ([`space`]).
    pub reserve: space::Reserve,
    /// When a pattern of reads is flagged ([`consult::consultations`]).
    pub read_flags: waarborg_report::consultations::Thresholds,
    /// The licence of every model in the model cache, by hash: written into a revision's
    /// technology whenever its content is written (none known: nothing may run operationally).
    pub model_licences: Vec<waarborg_govern::revision::ModelLicence>,
    /// The accuracy evaluations recorded in the model cache (`waarborg models evaluate`).
    pub model_evaluations: Vec<waarborg_govern::revision::ModelEvaluation>,
}

/// A clock: seconds since 1970.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// What the app keeps between calls.
#[derive(Default)]
pub struct Caches {
    /// The ledger's kept verification and the figures drawn from it ([`audit`]).
    pub ledger: audit::Watch,
    /// What the app measures ([`metrics`]).
    pub metrics: metrics::Metrics,
    /// Failed logins per (source, name) and per source ([`throttle`]).
    pub logins: throttle::Throttle,
    /// At most one password check per processor at once ([`throttle`]).
    pub hashing: throttle::Gate,
    /// At most one probe decode per processor at once, for face crops ([`throttle`]).
    pub decoding: throttle::Gate,
    /// Face crops made recently ([`search::probe_face`]).
    pub crops: search::Crops,
    /// Faces made for the comparison view recently ([`compare`]).
    pub compared: search::Kept<compare::ComparedFace>,
    /// Which readers' reads of a search's images its logged read covers ([`consult`]).
    pub covers: consult::Covers,
    /// Refused attempts held back in a flood ([`throttle::Refusals`]).
    pub refusals: throttle::Refusals,
    /// `void` entries that could not be written when their commit failed (the disk was
    /// full for them too): written before anything else, so that no later change is
    /// logged while a change that was not kept still looks kept ([`App::commit`]).
    pub voids: std::sync::Mutex<Vec<waarborg_ledger::Event>>,
}

impl Caches {
    /// Forgets every image made from probe `sha256` (its erasure).
    pub fn forget_probe(&self, sha256: &str) {
        self.crops.forget(sha256);
        self.compared.forget(sha256);
    }
}

impl App {
    /// Now, by the app's clock.
    pub fn now(&self) -> Timestamp {
        Timestamp((self.clock)())
    }

    /// The one path for a change: `write` gets a before-commit step that appends `entries`
    /// to the ledger (one fsync for all); the store commits only after it succeeded, so a
    /// change is kept only if it is logged, and a ledger that cannot be written fails the
    /// change. `write` is the store call that makes the change.
    /// Refused before anything is written while the disk is below its reserve ([`space`]).
    pub fn commit<T>(
        &self,
        entries: &[waarborg_ledger::Event],
        write: impl FnOnce(waarborg_store::BeforeCommit) -> std::result::Result<T, StoreError>,
    ) -> Result<T> {
        self.reserve.check()?;
        self.commit_unreserved(entries, write)
    }

    /// [`commit`](Self::commit) for an erasure, which frees space: it may write into the
    /// reserve, so that a full disk never keeps data past its period.
    pub fn commit_erasure<T>(
        &self,
        entries: &[waarborg_ledger::Event],
        write: impl FnOnce(waarborg_store::BeforeCommit) -> std::result::Result<T, StoreError>,
    ) -> Result<T> {
        self.commit_unreserved(entries, write)
    }

    fn commit_unreserved<T>(
        &self,
        entries: &[waarborg_ledger::Event],
        write: impl FnOnce(waarborg_store::BeforeCommit) -> std::result::Result<T, StoreError>,
    ) -> Result<T> {
        let mut appended: Vec<u64> = Vec::new();
        let written = {
            let mut step = || {
                let receipts = self.append(entries).map_err(|e| e.to_string())?;
                appended = receipts.iter().map(|r| r.entry).collect();
                Ok(receipts)
            };
            write(&mut step)
        };
        match written {
            Ok(value) => Ok(value),
            Err(e) => {
                if !appended.is_empty() {
                    // The entries are in the ledger, the change is not (the commit failed
                    // after them: a full disk): the ledger says so, and every report counts
                    // them as never having happened.
                    let voids = voids(&appended, &format!("not committed: {e}"));
                    if let Err(le) = self.append(&voids) {
                        // Held, and written first with the next entry: until then nothing
                        // else is logged (every append writes the held voids first).
                        tracing::error!(
                            error = %le,
                            "a change was not kept and its void could not be written yet"
                        );
                        self.held_voids().extend(voids);
                    }
                }
                Err(e.into())
            }
        }
    }

    /// Appends `entry` to the ledger alone (a refusal, a consultation: nothing is kept
    /// beside it).
    pub fn log(&self, entry: waarborg_ledger::Event) -> Result<()> {
        self.append_all(std::slice::from_ref(&entry))
    }

    /// Appends `entries` to the ledger alone, in one append (reads logged as consultations).
    pub fn append_all(&self, entries: &[waarborg_ledger::Event]) -> Result<()> {
        self.append(entries)?;
        Ok(())
    }

    /// Logs refused attempt `entry` (a refusal of the gate, of a governance rule, of an
    /// unusable input): one by one, or held and counted in a flood ([`throttle::Refusals`]).
    pub fn log_refusal(&self, entry: waarborg_ledger::Event) -> Result<()> {
        let entries = self.caches.refusals.admit(entry, self.now().0);
        if !entries.is_empty() {
            self.append(&entries)?;
        }
        Ok(())
    }

    /// `done` as the use case's answer, a refusal by a governance rule logged first (as
    /// `actor` attempting `what`; nothing changed).
    pub(crate) fn logged_refusal<T>(
        &self,
        actor: &waarborg_govern::Actor,
        what: &str,
        done: std::result::Result<T, waarborg_govern::GovernError>,
    ) -> Result<T> {
        if let Err(waarborg_govern::GovernError::Refused(rule)) = &done {
            self.log_refusal(entries::rule_refusal(actor, what, rule, None, None))?;
        }
        Ok(done?)
    }

    /// Logs the held refusal counts whose minute is over (every one when `all`).
    pub fn flush_refusals(&self, all: bool) -> Result<()> {
        let entries = self.caches.refusals.flush(self.now().0, all);
        if !entries.is_empty() {
            self.append(&entries)?;
        }
        Ok(())
    }

    /// Appends `entries` (one fsync), after any held `void`, its time measured; what the
    /// store records of `entries`.
    fn append(
        &self,
        entries: &[waarborg_ledger::Event],
    ) -> std::result::Result<Vec<LedgerMark>, LedgerError> {
        let started = std::time::Instant::now();
        let mut held = self.held_voids();
        let appended = if held.is_empty() {
            // The usual case: the lock is let go at once, so appends share one fsync.
            drop(held);
            self.ledger.append_all(entries)
        } else {
            let all: Vec<_> = held.iter().chain(entries).cloned().collect();
            let appended = self.ledger.append_all(&all);
            if appended.is_ok() {
                tracing::warn!(voids = held.len(), "held void entries written");
                held.clear();
            }
            appended.map(|mut receipts| receipts.split_off(receipts.len() - entries.len()))
        };
        self.caches
            .metrics
            .ledger_append_seconds
            .observe(started.elapsed().as_secs_f64());
        appended.map(|receipts| waarborg_store::marks(&receipts))
    }

    fn held_voids(&self) -> std::sync::MutexGuard<'_, Vec<waarborg_ledger::Event>> {
        self.caches
            .voids
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The `void` entries that take back `entries` for `reason`: as many as the ledger's limit
/// on the indexes one entry names requires.
pub fn voids(entries: &[u64], reason: &str) -> Vec<waarborg_ledger::Event> {
    entries
        .chunks(waarborg_ledger::entry::MAX_ITEMS)
        .map(|chunk| waarborg_ledger::Event::Void {
            entries: chunk.to_vec(),
            reason: short(reason),
        })
        .collect()
}

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    })
}

/// A clock that stands at `t` (rehearsals with `--at`).
pub fn fixed_clock(t: Timestamp) -> Clock {
    Arc::new(move || t.0)
}

/// `text` cut to what the ledger keeps of a short text.
pub(crate) fn short(text: &str) -> String {
    text.chars()
        .take(waarborg_ledger::entry::MAX_TEXT)
        .collect()
}
