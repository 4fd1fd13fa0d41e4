//! The retention engine: which reference images are due for erasure and why, and their
//! erasure — image, template, index entry and record together — with a deletion receipt in
//! the ledger for each (what kind of record, which rule; never the biometric data).
//!
//! Crash-safe and idempotent: the decision is marked in each record first; the template
//! and the image are removed; then the record goes in the transaction that appends the
//! receipts. A rerun (or [`ReferenceDb::reconcile`]) completes what was marked and finds
//! nothing more to do for what was finished. After a run that erased anything, the index
//! is compacted and the database's free pages zeroed, so the erased bytes leave the disk.

use std::time::Instant;

use waarborg_govern::retention::{DueForErasure, RetentionRules};
use waarborg_govern::Timestamp;
use waarborg_ledger::{DeletionReceipt, Event};

use crate::{vault_name, ReferenceDb, ReferenceStore, Result};

/// Records marked, removed and receipted together.
const CHUNK: usize = 10_000;

/// One reference image due for erasure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanItem {
    /// The reference image.
    pub id: u64,
    /// Which rule, why, since when.
    pub due: DueForErasure,
}

impl PlanItem {
    /// As JSON: the reference image, the rule, the reason, since when.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "reference": self.id,
            "rule": self.due.rule,
            "reason": self.due.reason,
            "since": self.due.since,
        })
    }
}

/// What is due at `now`, in id order.
pub fn plan(
    store: &dyn ReferenceStore,
    rules: &RetentionRules,
    now: Timestamp,
) -> Result<Vec<PlanItem>> {
    let mut items = Vec::new();
    store.retention_scan(&mut |id, facts| {
        if let Some(due) = rules.due(&facts, now) {
            items.push(PlanItem { id, due });
        }
    })?;
    items.sort_by_key(|i| i.id);
    Ok(items)
}

/// What [`apply`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApplyReport {
    /// Images found due.
    pub planned: usize,
    /// Images erased (including erasures an earlier run had begun).
    pub erased: usize,
    /// Seconds spent planning.
    pub plan_seconds: f64,
    /// Seconds spent erasing (records, templates, images, receipts).
    pub erase_seconds: f64,
    /// Seconds spent compacting the index and the database.
    pub compact_seconds: f64,
}

/// Plans and erases everything due at `now`.
pub fn apply(db: &ReferenceDb, rules: &RetentionRules, now: Timestamp) -> Result<ApplyReport> {
    let started = Instant::now();
    let items = plan(db.store, rules, now)?;
    let mut report = ApplyReport {
        planned: items.len(),
        plan_seconds: started.elapsed().as_secs_f64(),
        ..Default::default()
    };
    let started = Instant::now();
    for chunk in items.chunks(CHUNK) {
        let marks: Vec<(u64, DueForErasure)> =
            chunk.iter().map(|i| (i.id, i.due.clone())).collect();
        db.store.begin_erasure(&marks)?;
    }
    report.erased = complete_erasures(db)?;
    report.erase_seconds = started.elapsed().as_secs_f64();
    if report.erased > 0 {
        let started = Instant::now();
        compact(db)?;
        report.compact_seconds = started.elapsed().as_secs_f64();
    }
    Ok(report)
}

/// Removes the erased bytes from the files: index log and segments rewritten without them,
/// the database's freed pages zeroed and its write-ahead log emptied.
pub fn compact(db: &ReferenceDb) -> Result<()> {
    db.index.flush()?;
    db.index.compact()?;
    db.store.compact_storage()?;
    Ok(())
}

/// Completes every erasure that has begun; returns how many.
pub fn complete_erasures(db: &ReferenceDb) -> Result<usize> {
    let marked = db.store.erasing()?;
    for chunk in marked.chunks(CHUNK) {
        let ids: Vec<u64> = chunk.iter().map(|(id, _)| *id).collect();
        db.index.delete(&ids)?;
        for &id in &ids {
            db.vault.remove(&vault_name(id))?;
        }
        let receipts: Vec<Event> = chunk
            .iter()
            .map(|(id, due)| {
                Event::DeletionReceipt(DeletionReceipt {
                    record_kind: "reference_image".into(),
                    record: format!("reference-image:{id}"),
                    rule: format!("{} ({}, due since {})", due.rule, due.reason, due.since),
                })
            })
            .collect();
        db.store.finish_erasure(&ids, &mut || {
            db.ledger
                .append_all(&receipts)
                .map(|r| waarborg_store::marks(&r))
                .map_err(|e| e.to_string())
        })?;
    }
    Ok(marked.len())
}
