//! The store and the ledger, reconciled both ways before anything is written.
//!
//! How the two commit together ([`App::commit`](crate::App::commit)): a change's ledger
//! entries are appended (and fsynced) in the store transaction's before-commit step, and
//! the transaction records each entry it claims — index and leaf hash, a *mark* — beside
//! the change. So, per change:
//!
//! | what happened | ledger | store | how it is settled |
//! |---|---|---|---|
//! | all went well | entries | change + marks | nothing to do |
//! | the append failed | nothing (cut back) | nothing | the caller got an error |
//! | the commit failed after the append (a full disk) | entries + a `void` naming them | nothing | reports skip voided entries |
//! | … and the `void` could not be written either | entries | nothing | the void is held and written before any other entry |
//! | the process died between append and commit | entries | nothing | [`reconcile`] appends the `void` at the next start |
//! | entries cut or replaced after they were acknowledged | fewer or other entries | marks | [`reconcile`] stops and says which |
//!
//! Why the died-in-between case can be repaired and others cannot: every change holds the
//! store's write lock from its append to its commit, so at most one change is in flight at
//! a crash, and its entries are contiguous (one `append_all`) and after every mark. Any
//! other unclaimed entry means the store or the ledger was changed outside Waarborg (a
//! store restored from an older backup, say): that stops the start with a report.
//!
//! Which entries claim a change: every entry but the ledger's own (genesis, key rotation,
//! void), refusals and consultations (nothing is kept beside them), and an analysis of files at the command
//! line (`extract` under no deployment: `waarborg face analyze --log`). The reconciliation
//! starts where the previous one ended (the store's `reconciled_to` counter), so a start
//! reads only the entries written since.

use std::collections::BTreeSet;

use waarborg_ledger::{Entry, Event, Ledger, Operation};
use waarborg_store::SqliteStore;

use crate::{AppError, Result};

/// The counter holding the ledger size up to which the store and the ledger agreed.
pub const RECONCILED_TO: &str = "reconciled_to";

/// What a reconciliation found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciliation {
    /// The first entry checked (the previous reconciliation's end).
    pub from: u64,
    /// The ledger's size after it.
    pub to: u64,
    /// Marks checked against the ledger.
    pub marks: usize,
    /// Entries of a change the store never committed, voided now (the change in flight
    /// when the service stopped).
    pub voided: Vec<u64>,
}

/// Whether `event` claims a change kept in the store (see the module documentation).
fn claims_a_change(event: &Event) -> bool {
    match event {
        Event::Genesis { .. }
        | Event::KeyRotation { .. }
        | Event::Void { .. }
        | Event::Refusal(_)
        | Event::Consultation(_) => false,
        Event::BiometricOperation(op) => {
            !(op.operation == Operation::Extract && op.deployment_revision.is_none())
        }
        Event::GovernanceDecision(_) | Event::DeletionReceipt(_) => true,
    }
}

fn disagree(detail: String) -> AppError {
    AppError::Conflict {
        code: "ledger_store_disagree",
        detail: format!(
            "the store and the ledger disagree: {detail}. Nothing was written. Find out what changed the files (a restore, a copy, damage): `waarborg audit verify` checks the ledger; restore the store and the ledger from the same backup"
        ),
    }
}

/// Checks every store mark since the last reconciliation against the ledger and every
/// entry since then against the marks; voids the entries of a change that was in flight at
/// a crash; refuses (nothing written) on any other difference. Run before anything else
/// writes (the service's start, every command that opens the data).
pub fn reconcile(store: &SqliteStore, ledger: &Ledger) -> Result<Reconciliation> {
    let size = ledger.size();
    let from = store.counter(RECONCILED_TO)?.unwrap_or(size);
    if size < from {
        return Err(disagree(format!(
            "the ledger has {size} entries, but it had {from} when the store last agreed with it: entries were cut, or the ledger was replaced by an older copy"
        )));
    }
    let marks = store.ledger_marks(from)?;
    for m in &marks {
        match ledger.leaf(m.entry) {
            None => {
                return Err(disagree(format!(
                    "the store holds a change logged as entry {}, and the ledger has only {size} entries",
                    m.entry
                )))
            }
            Some(leaf) if leaf != m.leaf => {
                return Err(disagree(format!(
                    "the store holds a change logged as entry {}, and the ledger's entry {} is another one",
                    m.entry, m.entry
                )))
            }
            Some(_) => {}
        }
    }
    let marked: BTreeSet<u64> = marks.iter().map(|m| m.entry).collect();
    let mut voided = BTreeSet::new();
    let mut unclaimed = Vec::new();
    for index in from..size {
        let bytes = ledger.entry(index)?;
        let entry = Entry::from_bytes(&bytes).map_err(|e| {
            disagree(format!(
                "ledger entry {index} does not parse ({e}); run `waarborg audit verify`"
            ))
        })?;
        match &entry.event {
            Event::Void { entries, .. } => voided.extend(entries.iter().copied()),
            event if claims_a_change(event) && !marked.contains(&index) => unclaimed.push(index),
            _ => {}
        }
    }
    unclaimed.retain(|i| !voided.contains(i));
    let mut repaired = Vec::new();
    if let (Some(&first), Some(&last)) = (unclaimed.first(), unclaimed.last()) {
        let after_every_mark = marks.last().is_none_or(|m| first > m.entry);
        let one_run = last - first + 1 == unclaimed.len() as u64;
        if !(after_every_mark && one_run) {
            let shown: Vec<String> = unclaimed.iter().take(10).map(u64::to_string).collect();
            return Err(disagree(format!(
                "{} ledger entries of changes have no record in the store (entries {}{})",
                unclaimed.len(),
                shown.join(", "),
                if unclaimed.len() > shown.len() {
                    ", …"
                } else {
                    ""
                }
            )));
        }
        ledger.append_all(&crate::voids(
            &unclaimed,
            "not committed: the service stopped between the ledger entry and the store's commit (found at the next start)",
        ))?;
        tracing::warn!(
            entries = ?unclaimed,
            "voided the entries of a change the store never committed (a crash between the two)"
        );
        repaired = unclaimed;
    }
    let to = ledger.size();
    store.set_counter(RECONCILED_TO, to)?;
    Ok(Reconciliation {
        from,
        to,
        marks: marks.len(),
        voided: repaired,
    })
}
