//! The reference database as its manager sees it: size, the retention plan, flags of
//! possible duplicate persons, imports and records; clearing a flag after review.

use serde::Deserialize;
use waarborg_govern::retention::RetentionRules;
use waarborg_govern::Actor;
use waarborg_refdb::retention::{self, PlanItem};
use waarborg_store::{ImportSummary, ReferenceRecord, ReferenceStore};

use crate::{App, AppError, Result};

/// Rows per page of the plan and of the records, unless asked otherwise.
pub const PAGE_ROWS: usize = 50;
/// The most rows one request may ask for.
pub const MAX_PAGE_ROWS: usize = 1000;

/// Which part of the plan and of the records to show.
#[derive(Debug, Clone, Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Plan rows to skip.
    #[serde(default)]
    pub plan_offset: usize,
    /// Records with ids above this.
    #[serde(default)]
    pub after: u64,
    /// Rows per page.
    pub limit: Option<usize>,
    /// The page's language.
    pub lang: Option<String>,
}

impl Paging {
    /// Rows per page, within bounds.
    pub fn limit(&self) -> usize {
        self.limit.unwrap_or(PAGE_ROWS).clamp(1, MAX_PAGE_ROWS)
    }
}

/// Everything the view shows, read in one go.
pub struct Overview {
    /// Records.
    pub references: u64,
    /// Live templates per reference database.
    pub databases: std::collections::BTreeMap<String, usize>,
    /// Deleted templates whose bytes await compaction.
    pub awaiting_compaction: usize,
    /// Images due for erasure now, in all.
    pub due: usize,
    /// The requested page of the plan.
    pub plan: Vec<PlanItem>,
    /// Records flagged as a possible duplicate person.
    pub flags: Vec<ReferenceRecord>,
    /// Bulk imports, in counts.
    pub imports: Vec<ImportSummary>,
    /// The requested page of records.
    pub records: Vec<ReferenceRecord>,
}

/// Reads the overview for `actor` (the plan is a scan of every record); the read logged:
/// the records, plan rows and flags shown.
pub fn overview(app: &App, actor: &Actor, paging: &Paging) -> Result<Overview> {
    let limit = paging.limit();
    let plan = retention::plan(&app.store, &RetentionRules::default(), app.now())?;
    let stats = app.index.as_ref().map(|i| i.stats()).unwrap_or_default();
    let o = Overview {
        references: app.store.reference_count()?,
        databases: stats.databases,
        awaiting_compaction: stats.awaiting_compaction,
        due: plan.len(),
        plan: plan
            .into_iter()
            .skip(paging.plan_offset)
            .take(limit)
            .collect(),
        flags: app.store.flagged_duplicates()?,
        imports: app.store.import_summaries()?,
        records: app.store.references(paging.after, limit)?,
    };
    let shown = o
        .records
        .iter()
        .chain(&o.flags)
        .map(|r| r.id)
        .chain(o.plan.iter().map(|p| p.id));
    log_read(app, actor, shown)?;
    Ok(o)
}

/// A page of reference records for `actor`: ids above `paging.after`, and where the next
/// page starts; the read logged.
pub fn records(
    app: &App,
    actor: &Actor,
    paging: &Paging,
) -> Result<(Vec<ReferenceRecord>, Option<u64>)> {
    let records = app.store.references(paging.after, paging.limit())?;
    let next = (records.len() == paging.limit())
        .then(|| records.last().map(|r| r.id))
        .flatten();
    log_read(app, actor, records.iter().map(|r| r.id))?;
    Ok((records, next))
}

/// Logs `actor`'s read of the records of reference images `ids`.
fn log_read(app: &App, actor: &Actor, ids: impl IntoIterator<Item = u64>) -> Result<()> {
    crate::consult::log(
        app,
        actor,
        crate::consult::Read::of("reference_records", crate::consult::reference_images(ids)),
    )
}

/// A manager's review of a possible duplicate person.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ClearFlag {
    /// What the review found.
    pub reason: String,
}

/// Clears the duplicate-person flag of reference `id` after a manager's review (the review
/// in the ledger first).
pub fn clear_flag(app: &App, actor: &Actor, id: &str, reason: &str) -> Result<()> {
    let id: u64 = id
        .parse()
        .map_err(|_| AppError::not_found(format!("no reference image {id:?}")))?;
    if app.store.reference(id)?.is_none() {
        return Err(AppError::not_found(format!("no reference image {id}")));
    }
    waarborg_refdb::clear_duplicate_flag(&app.store, &app.ledger, &actor.user, id, reason)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_are_bounded() {
        let ask = |limit| Paging {
            limit,
            ..Paging::default()
        };
        assert_eq!(ask(None).limit(), PAGE_ROWS);
        assert_eq!(ask(Some(0)).limit(), 1);
        assert_eq!(ask(Some(1_000_000)).limit(), MAX_PAGE_ROWS);
    }
}
