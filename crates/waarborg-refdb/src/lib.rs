//! The reference database (invariant 6): lawful enrolment with provenance, bulk import at
//! engine speed, and retention that erases provably.
//!
//! A reference image lives in three places, kept in agreement by one ordering:
//!
//! | part | where | written | removed |
//! |---|---|---|---|
//! | the image | [`vault::Vault`], encrypted | 1st | 2nd |
//! | the template | `waarborg_index::Index` (id = reference id) | 2nd | 1st |
//! | the record (provenance) | [`ReferenceStore`] (SQLite) | 3rd, with the ledger entry | last, with the deletion receipt |
//!
//! The record is the commit point: an enrolment interrupted before it leaves an image and
//! perhaps a template without a record, and an erasure is marked in the record before
//! anything is removed. [`ReferenceDb::reconcile`] (run before every import, retention run
//! and service start) removes what has no record and completes marked erasures, so after
//! any crash the three agree again.
//!
//! * [`enrol`]: quality check, face choice, duplicate-person flags, single and bulk
//!   enrolment (resumable, parallel).
//! * [`retention`]: plan and apply erasures by the governance domain's retention rules.
//! * [`manifest`]: CSV and JSON Lines manifests.
//! * [`vault`]: XChaCha20-Poly1305 encrypted image files, key rotation.
//! * [`synthetic`]: synthetic persons and templates for scale tests.

pub mod enrol;
pub mod manifest;
pub mod retention;
pub mod synthetic;
pub mod vault;

use std::collections::HashSet;

use waarborg_govern::reference::SourceKind;
use waarborg_index::Index;
use waarborg_ledger::Ledger;
pub use waarborg_store::{ReferenceRecord, ReferenceStore};

use crate::vault::Vault;

/// What can go wrong in the reference database.
#[derive(Debug, thiserror::Error)]
pub enum RefDbError {
    /// The records failed.
    #[error(transparent)]
    Store(#[from] waarborg_store::StoreError),
    /// The index failed.
    #[error(transparent)]
    Index(#[from] waarborg_index::IndexError),
    /// The vault failed.
    #[error(transparent)]
    Vault(#[from] vault::VaultError),
    /// The ledger failed: nothing was recorded.
    #[error(transparent)]
    Ledger(#[from] waarborg_ledger::LedgerError),
    /// The face engine failed.
    #[error(transparent)]
    Face(#[from] waarborg_face::FaceError),
    /// The manifest cannot be used.
    #[error(transparent)]
    Manifest(#[from] manifest::ManifestError),
    /// A file or directory could not be read or written.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
    /// An image was not enrolled; the reason says why.
    #[error("not enrolled: {0}")]
    Rejected(String),
    /// The parts disagree in a way reconciliation cannot repair (a record whose image or
    /// template is missing: restore from backup).
    #[error("{0}")]
    Inconsistent(String),
}

/// Result with [`RefDbError`].
pub type Result<T> = std::result::Result<T, RefDbError>;

/// A store's before-commit step that appends a reference-database manager's decision to
/// the ledger, so the change and its entry are committed together or not at all.
pub fn logged_decision<'a>(
    ledger: &'a Ledger,
    user: &str,
    action: &str,
    subject: &str,
    reason: &str,
) -> impl FnMut() -> std::result::Result<Vec<waarborg_store::LedgerMark>, String> + 'a {
    let event = waarborg_ledger::Event::GovernanceDecision(waarborg_ledger::GovernanceDecision {
        actor: user.to_string(),
        role: "reference_database_manager".into(),
        action: action.into(),
        subject: subject.into(),
        reason: reason.into(),
        framework_version: None,
        about: None,
    });
    move || {
        ledger
            .append(event.clone())
            .map(|r| vec![waarborg_store::LedgerMark::from(&r)])
            .map_err(|e| e.to_string())
    }
}

/// Clears the possible-duplicate flag of reference image `id` after a manager's review,
/// with the review's finding in the ledger. A reason is required; an image without a flag
/// is a conflict (someone else cleared it first).
pub fn clear_duplicate_flag(
    store: &dyn ReferenceStore,
    ledger: &Ledger,
    user: &str,
    id: u64,
    reason: &str,
) -> Result<()> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(RefDbError::Rejected(
            "clearing a flag needs a reason (what the review found)".into(),
        ));
    }
    store.clear_duplicate_flag(
        id,
        &mut logged_decision(
            ledger,
            user,
            "clear_duplicate_flag",
            &format!("reference-image:{id}"),
            reason,
        ),
    )?;
    Ok(())
}

/// The reference database an image of this source kind belongs to (CATCH keeps criminal
/// and alien-registration images apart; a deployment's scope names the databases it may
/// search).
pub fn database_for(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::CustodyPhoto => "criminal",
        SourceKind::AlienRegistration => "aliens",
    }
}

/// The vault name of a reference image.
pub fn vault_name(id: u64) -> String {
    format!("{id:016x}")
}

/// The parts of the reference database, borrowed from whoever owns them (the CLI or the
/// service).
#[derive(Clone, Copy)]
pub struct ReferenceDb<'a> {
    /// The records.
    pub store: &'a dyn ReferenceStore,
    /// The templates.
    pub index: &'a Index,
    /// The images.
    pub vault: &'a Vault,
    /// The audit ledger.
    pub ledger: &'a Ledger,
}

/// What [`ReferenceDb::reconcile`] found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Templates without a record (an interrupted enrolment), removed.
    pub orphan_templates: usize,
    /// Images without a record, removed.
    pub orphan_images: usize,
    /// Erasures that had begun and were completed.
    pub completed_erasures: usize,
}

impl ReferenceDb<'_> {
    /// Brings records, templates and images into agreement after a crash: removes what has
    /// no record, completes erasures that had begun. Refuses (without changing anything) a
    /// record whose template or image is missing.
    pub fn reconcile(&self) -> Result<ReconcileReport> {
        let records = self.store.reference_ids()?;
        let templates: HashSet<u64> = self.index.live_ids().into_iter().collect();
        let images: HashSet<String> = self.vault.names()?.into_iter().collect();
        let erasing: HashSet<u64> = self.store.erasing()?.iter().map(|(id, _)| *id).collect();
        let lost: Vec<u64> = records
            .iter()
            .filter(|(id, _)| !erasing.contains(id))
            .filter(|(id, has_image)| {
                !templates.contains(id) || (**has_image && !images.contains(&vault_name(**id)))
            })
            .map(|(id, _)| *id)
            .take(10)
            .collect();
        if !lost.is_empty() {
            return Err(RefDbError::Inconsistent(format!(
                "reference images {lost:?} have a record but their template or image is missing; \
                 restore the data directory from a backup"
            )));
        }
        let orphans: Vec<u64> = templates
            .iter()
            .filter(|id| !records.contains_key(id))
            .copied()
            .collect();
        let mut report = ReconcileReport {
            orphan_templates: orphans.len(),
            ..Default::default()
        };
        if !orphans.is_empty() {
            self.index.delete(&orphans)?;
        }
        let names: HashSet<String> = records.keys().map(|&id| vault_name(id)).collect();
        for name in images.difference(&names) {
            self.vault.remove(name)?;
            report.orphan_images += 1;
        }
        report.completed_erasures = retention::complete_erasures(self)?;
        Ok(report)
    }
}
