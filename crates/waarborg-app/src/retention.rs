//! Every period applied: the reference database's retention rules (invariant 6,
//! `waarborg-refdb::retention`) and the periods a deployment revision sets for what a search
//! leaves behind (`retention.probe_days`, `retention.result_days`) — one plan and one run,
//! for `waarborg retention plan|apply` and the service's daily job.
//!
//! A search's material is kept for the periods of the revision it ran under, counted from
//! the probe's submission: the probe image and the faces found in it for `probe_days`; the
//! candidate list, the proposal and the verifications with their texts for `result_days`.
//! Each part is erased with a deletion receipt naming the record kind (`probe`,
//! `search_result`) and the rule (`probe_period`, `result_period`); the search's record (who,
//! when, which case and revision, what was erased) and its ledger entries stay, so every
//! count stays. A case under a legal hold keeps its material past the periods until the
//! hold is released; the plan shows what a hold keeps.
//!
//! Crash-safe as the reference erasure: the probe file goes first, then the record and the
//! receipt in one transaction; a run stopped between the two finds the part still due and
//! finishes it (removing a file that is gone already is no error).

use serde::Serialize;
use waarborg_govern::retention::{DueForErasure, RetentionRules, SearchPart};
use waarborg_govern::Timestamp;
use waarborg_ledger::{DeletionReceipt, Event};
use waarborg_store::{SqliteStore, Store};

use crate::search::{self, Erasing, SearchRecord};
use crate::{App, AppError, Result};

/// One part of a search past its period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchItem {
    /// The search.
    pub search: String,
    /// Its case.
    pub case_number: String,
    /// `deployment/revision` whose period applies.
    pub revision: String,
    /// The part.
    pub part: SearchPart,
    /// The rule, why, since when.
    pub due: DueForErasure,
}

/// What is due at a moment.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Reference images due for erasure.
    pub references: Vec<waarborg_refdb::retention::PlanItem>,
    /// Parts of searches due for erasure.
    pub searches: Vec<SearchItem>,
    /// Parts of searches past their period that a legal hold on their case keeps.
    pub held: Vec<SearchItem>,
}

impl Plan {
    /// As JSON (`limit` items of each list at most; the counts are whole).
    pub fn to_json(&self, limit: usize) -> serde_json::Value {
        let items = |list: &[SearchItem]| -> Vec<serde_json::Value> {
            list.iter()
                .take(limit)
                .map(|i| {
                    serde_json::json!({
                        "search": i.search, "case": i.case_number, "revision": i.revision,
                        "record_kind": i.part.as_str(), "rule": i.due.rule,
                        "reason": i.due.reason, "since": i.due.since,
                    })
                })
                .collect()
        };
        serde_json::json!({
            "due": self.references.len(),
            "items": self.references.iter().take(limit)
                .map(waarborg_refdb::retention::PlanItem::to_json).collect::<Vec<_>>(),
            "search_parts_due": self.searches.len(),
            "search_items": items(&self.searches),
            "held": self.held.len(),
            "held_items": items(&self.held),
        })
    }
}

/// What is due at `now`: reference images and search material (reads the store only).
pub fn plan(store: &SqliteStore, now: Timestamp) -> Result<Plan> {
    let references = waarborg_refdb::retention::plan(store, &RetentionRules::default(), now)
        .map_err(|e| AppError::internal(e.to_string()))?;
    let (searches, held) = search_plan(store, &search::stored(store)?, now)?;
    Ok(Plan {
        references,
        searches,
        held,
    })
}

/// The parts of `searches` past their period at `now`: due, and kept by a legal hold.
fn search_plan(
    store: &SqliteStore,
    searches: &[SearchRecord],
    now: Timestamp,
) -> Result<(Vec<SearchItem>, Vec<SearchItem>)> {
    let deployments = store.deployments()?;
    let held: std::collections::HashSet<String> = store
        .cases()?
        .into_iter()
        .filter(|c| c.legal_hold.is_some())
        .map(|c| c.case_number)
        .collect();
    let (mut due, mut kept) = (Vec::new(), Vec::new());
    for s in searches {
        let Some(periods) = periods_of(&deployments, &s.revision) else {
            // A revision the register does not hold cannot be: the gate permitted it. Say
            // so rather than keep or erase by a guess.
            tracing::error!(search = %s.id, "a search names a revision the register lacks");
            continue;
        };
        for part in SearchPart::ALL.into_iter().filter(|p| !s.erased(*p)) {
            let Some(d) = part.due(&periods, s.created, false, now) else {
                continue;
            };
            let item = SearchItem {
                search: s.id.clone(),
                case_number: s.case_number.clone(),
                revision: s.revision.clone(),
                part,
                due: d,
            };
            if held.contains(&s.case_number) {
                kept.push(item);
            } else {
                due.push(item);
            }
        }
    }
    Ok((due, kept))
}

/// The periods of revision `label` (`deployment/number`).
fn periods_of(
    deployments: &[waarborg_govern::revision::Deployment],
    label: &str,
) -> Option<waarborg_govern::revision::Retention> {
    let (id, number) = label.rsplit_once('/')?;
    let number: u32 = number.parse().ok()?;
    let d = deployments.iter().find(|d| d.id == id)?;
    Some(d.revision(number).ok()?.content.retention)
}

/// What [`apply`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    /// The reference database's run (absent when this app holds no reference database).
    pub references: Option<waarborg_refdb::retention::ApplyReport>,
    /// Probes erased (each with its faces).
    pub probes: usize,
    /// Search results erased.
    pub results: usize,
    /// Parts past their period that a legal hold kept.
    pub held: usize,
}

impl Applied {
    /// Reference images erased.
    pub fn images(&self) -> usize {
        self.references.as_ref().map_or(0, |r| r.erased)
    }

    /// Whether anything was erased.
    pub fn erased_any(&self) -> bool {
        self.images() + self.probes + self.results > 0
    }

    /// What was done, in words for the operator.
    pub fn describe(&self) -> String {
        let mut text = format!(
            "{} reference images (image, template, index entry, record), {} probes and {} search \
             results erased, each with a deletion receipt in the ledger",
            self.images(),
            self.probes,
            self.results
        );
        if self.held > 0 {
            text.push_str(&format!(
                "; {} parts past their period kept by a legal hold",
                self.held
            ));
        }
        text
    }
}

/// Applies every period at the app's now: the reference database brought into agreement
/// (after a crash) and its rules applied, then the search material erased part by part,
/// each with its deletion receipt.
pub fn apply(app: &App) -> Result<Applied> {
    let now = app.now();
    let references = match (app.index.as_deref(), app.references.as_ref()) {
        (Some(index), Some(vault)) => {
            let db = waarborg_refdb::ReferenceDb {
                store: &app.store,
                index,
                vault,
                ledger: &app.ledger,
            };
            db.reconcile()?;
            Some(waarborg_refdb::retention::apply(
                &db,
                &RetentionRules::default(),
                now,
            )?)
        }
        _ => None,
    };
    let searches = search::stored(&app.store)?;
    let (due, held) = search_plan(&app.store, &searches, now)?;
    let mut applied = Applied {
        references,
        held: held.len(),
        ..Default::default()
    };
    // The searches whose probe goes in this run: a file they share goes with the last.
    let going: Vec<&str> = due
        .iter()
        .filter(|i| i.part == SearchPart::Probe)
        .map(|i| i.search.as_str())
        .collect();
    for item in &due {
        let Some(s) = searches.iter().find(|s| s.id == item.search) else {
            continue;
        };
        let rule = format!(
            "{}: {} ({}), due since {}",
            item.due.rule, item.due.reason, item.revision, item.due.since
        );
        let receipt = Event::DeletionReceipt(DeletionReceipt {
            record_kind: item.part.as_str().into(),
            record: format!("search:{}", s.id),
            rule: crate::short(&rule),
        });
        let erasing = Erasing {
            parts: &[item.part],
            rule: &item.due.rule,
            receipts: &[receipt],
            probe_needed: search::probe_needed_elsewhere(&searches, s, &going),
            whole: false,
        };
        search::erase_parts(app, s, &erasing, now)?;
        match item.part {
            SearchPart::Probe => applied.probes += 1,
            SearchPart::SearchResult => applied.results += 1,
        }
    }
    Ok(applied)
}
