//! The reference database's records: persons (pseudonymous), reference images with their
//! provenance, events about persons, duplicate-person flags, erasures in progress and the
//! outcome of every bulk-import row (so an interrupted import resumes where it stopped).
//!
//! The images themselves and their templates live elsewhere (the encrypted image vault and
//! the index); a record here is the commit point of an enrolment and is removed last in an
//! erasure, so a crash leaves at most files without a record, which reconciliation removes.

use std::collections::{HashMap, HashSet};

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use waarborg_govern::reference::{Provenance, SourceKind};
use waarborg_govern::retention::{DueForErasure, PersonEvent, ReferenceFacts};
use waarborg_govern::subject::PersonDecision;
use waarborg_govern::Timestamp;

use crate::{db, decode, encode, sql_int, BeforeCommit, Result, SqliteStore, StoreError};

/// A possible duplicate person: the new image is very similar to an image enrolled under
/// another person id. Flagged for the reference-database manager; never merged silently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateFlag {
    /// The other person.
    pub person: String,
    /// Their most similar reference image.
    pub reference: u64,
    /// The similarity.
    pub score: f32,
}

/// A reference image to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceRecord {
    /// Reference image id (also the template's id in the index and the vault's file name).
    pub id: u64,
    /// Reference database (e.g. `criminal`, `aliens`).
    pub database: String,
    /// Where it came from.
    pub provenance: Provenance,
    /// SHA-256 of the image file as enrolled.
    pub image_sha256: String,
    /// When it was enrolled.
    pub enrolled_at: Timestamp,
    /// Who enrolled it.
    pub enrolled_by: String,
    /// What the quality check said (e.g. "sufficient; 1 face").
    pub quality: String,
    /// A possible duplicate person awaiting review.
    pub duplicate: Option<DuplicateFlag>,
    /// Set once an erasure has started (the record goes when it completes).
    pub erasing: Option<DueForErasure>,
}

/// What became of one bulk-import row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowOutcome {
    /// Enrolled.
    Accepted,
    /// Not enrolled; the reason says why.
    Rejected,
    /// Enrolled, later erased by a retention rule (not imported again on a rerun).
    Erased,
}

impl RowOutcome {
    fn as_str(self) -> &'static str {
        match self {
            RowOutcome::Accepted => "accepted",
            RowOutcome::Rejected => "rejected",
            RowOutcome::Erased => "erased",
        }
    }

    fn parse(s: &str) -> RowOutcome {
        match s {
            "accepted" => RowOutcome::Accepted,
            "erased" => RowOutcome::Erased,
            _ => RowOutcome::Rejected,
        }
    }
}

/// One row of a bulk import and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    /// The import (SHA-256 of the manifest).
    pub import: String,
    /// Row number in the manifest (1 = first data row).
    pub row: u64,
    /// The row's image file name.
    pub file: String,
    /// What became of it.
    pub outcome: RowOutcome,
    /// Why (for rejections), or a note.
    pub reason: String,
    /// The reference image it became.
    pub reference: Option<u64>,
}

/// How one bulk import went, row by row, in counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    /// The import (SHA-256 of the manifest).
    pub import: String,
    /// Rows with an outcome so far (an interrupted import has fewer than its manifest).
    pub rows: u64,
    /// Rows enrolled.
    pub accepted: u64,
    /// Rows rejected, each with its reason.
    pub rejected: u64,
    /// Rows enrolled and since erased by a retention rule.
    pub erased: u64,
}

/// A person in the reference database, with what is decided about their records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonRecord {
    /// The pseudonymous person id.
    pub person: String,
    /// Whether they have another open case.
    pub other_open_case: bool,
    /// Events about them, in order.
    pub events: Vec<(PersonEvent, Timestamp)>,
    /// The restriction of processing in force, if any.
    pub restriction: Option<PersonDecision>,
    /// The decision to defer informing them, if any.
    pub informing_deferred: Option<PersonDecision>,
    /// Their reference images.
    pub images: Vec<ReferenceRecord>,
}

/// Which decision about a person is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonDecisionKind {
    /// A restriction of processing.
    Restriction,
    /// Informing them deferred.
    InformingDeferred,
}

impl PersonDecisionKind {
    fn column(self) -> &'static str {
        match self {
            PersonDecisionKind::Restriction => "restriction",
            PersonDecisionKind::InformingDeferred => "informing_deferred",
        }
    }
}

/// The reference database's records.
pub trait ReferenceStore: Send + Sync {
    /// Reserves `n` fresh reference ids and returns the first. Reserved ids are never handed
    /// out again, used or not.
    fn reserve_reference_ids(&self, n: u64) -> Result<u64>;
    /// Records enrolled images (creating their persons) and import rows in one transaction;
    /// `before_commit` runs last (the ledger append).
    fn add_references(
        &self,
        records: &[ReferenceRecord],
        rows: &[ImportRow],
        before_commit: BeforeCommit,
    ) -> Result<()>;
    /// Records import rows (rejections) on their own.
    fn record_import_rows(&self, rows: &[ImportRow]) -> Result<()>;
    /// Every recorded row of an import, by row number.
    fn import_rows(&self, import: &str) -> Result<Vec<ImportRow>>;
    /// Every import, in counts.
    fn import_summaries(&self) -> Result<Vec<ImportSummary>>;
    /// One reference image's record.
    fn reference(&self, id: u64) -> Result<Option<ReferenceRecord>>;
    /// A page of records with ids above `after`, in id order.
    fn references(&self, after: u64, limit: usize) -> Result<Vec<ReferenceRecord>>;
    /// The ids of every record (erasing or not), each with whether an image is stored for
    /// it (synthetic records have none).
    fn reference_ids(&self) -> Result<HashMap<u64, bool>>;
    /// The record of an image with these bytes, if one is enrolled.
    fn reference_by_sha256(&self, sha256: &str) -> Result<Option<u64>>;
    /// The number of records.
    fn reference_count(&self) -> Result<u64>;
    /// Records with a possible-duplicate flag awaiting review.
    fn flagged_duplicates(&self) -> Result<Vec<ReferenceRecord>>;
    /// Clears a duplicate flag after review.
    fn clear_duplicate_flag(&self, id: u64, before_commit: BeforeCommit) -> Result<()>;
    /// Records an event about a person (acquittal, conviction, ...).
    fn record_person_event(
        &self,
        person: &str,
        event: PersonEvent,
        at: Timestamp,
        before_commit: BeforeCommit,
    ) -> Result<()>;
    /// Records whether a person has another open case (keeps images after an acquittal).
    fn set_other_open_case(&self, person: &str, open: bool) -> Result<()>;
    /// A person with their images and the decisions about them.
    fn person(&self, person: &str) -> Result<Option<PersonRecord>>;
    /// Keeps (or, `None`, clears) a decision about a person; `before_commit` runs last.
    fn set_person_decision(
        &self,
        person: &str,
        kind: PersonDecisionKind,
        decision: Option<&PersonDecision>,
        before_commit: BeforeCommit,
    ) -> Result<()>;
    /// The ids of every image of a restricted person (left out of every search).
    fn restricted_references(&self) -> Result<HashSet<u64>>;
    /// Calls `each` with the retention facts of every record not yet being erased.
    fn retention_scan(&self, each: &mut dyn FnMut(u64, ReferenceFacts)) -> Result<()>;
    /// Marks records as being erased, with the decision (durable before anything is removed).
    fn begin_erasure(&self, items: &[(u64, DueForErasure)]) -> Result<()>;
    /// Records whose erasure has begun but not finished.
    fn erasing(&self) -> Result<Vec<(u64, DueForErasure)>>;
    /// Zeroes freed pages and empties the write-ahead log, so erased records' bytes leave
    /// the files.
    fn compact_storage(&self) -> Result<()>;
    /// Removes records whose image and template are gone; persons left without images go
    /// too, with their events. `before_commit` runs last (the deletion receipts).
    fn finish_erasure(&self, ids: &[u64], before_commit: BeforeCommit) -> Result<()>;
}

const COLUMNS: &str =
    "id, database, person, source_kind, legal_basis, offence, max_sentence_years, \
     sexual_offence, captured_at, capturing_unit, image_sha256, enrolled_at, enrolled_by, quality, \
     duplicate_of, erasing";

fn record_from_row(r: &rusqlite::Row) -> rusqlite::Result<RawRecord> {
    Ok(RawRecord {
        id: r.get::<_, i64>(0)? as u64,
        database: r.get(1)?,
        person: r.get(2)?,
        source_kind: r.get(3)?,
        legal_basis: r.get(4)?,
        offence: r.get(5)?,
        max_sentence_years: r.get(6)?,
        sexual_offence: r.get(7)?,
        captured_at: r.get(8)?,
        capturing_unit: r.get(9)?,
        image_sha256: r.get(10)?,
        enrolled_at: r.get(11)?,
        enrolled_by: r.get(12)?,
        quality: r.get(13)?,
        duplicate_of: r.get(14)?,
        erasing: r.get(15)?,
    })
}

struct RawRecord {
    id: u64,
    database: String,
    person: String,
    source_kind: String,
    legal_basis: String,
    offence: String,
    max_sentence_years: u32,
    sexual_offence: bool,
    captured_at: i64,
    capturing_unit: String,
    image_sha256: String,
    enrolled_at: i64,
    enrolled_by: String,
    quality: String,
    duplicate_of: Option<String>,
    erasing: Option<String>,
}

impl RawRecord {
    fn decode(self) -> Result<ReferenceRecord> {
        let what = format!("reference image {}", self.id);
        let source_kind =
            SourceKind::parse(&self.source_kind).map_err(|why| StoreError::Corrupt {
                what: what.clone(),
                why,
            })?;
        Ok(ReferenceRecord {
            id: self.id,
            database: self.database,
            provenance: Provenance {
                source_kind,
                legal_basis: self.legal_basis,
                person: self.person,
                offence: self.offence,
                max_sentence_years: self.max_sentence_years,
                sexual_offence: self.sexual_offence,
                captured_at: Timestamp(self.captured_at),
                capturing_unit: self.capturing_unit,
            },
            image_sha256: self.image_sha256,
            enrolled_at: Timestamp(self.enrolled_at),
            enrolled_by: self.enrolled_by,
            quality: self.quality,
            duplicate: self.duplicate_of.map(|d| decode(&what, &d)).transpose()?,
            erasing: self.erasing.map(|d| decode(&what, &d)).transpose()?,
        })
    }
}

fn insert_rows(tx: &rusqlite::Transaction, rows: &[ImportRow]) -> Result<()> {
    let mut stmt = tx
        .prepare_cached(
            "INSERT OR REPLACE INTO import_rows (import, row, file, outcome, reason, reference)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(db("recording import rows"))?;
    for r in rows {
        stmt.execute(params![
            r.import,
            sql_int(r.row),
            r.file,
            r.outcome.as_str(),
            r.reason,
            r.reference.map(sql_int)
        ])
        .map_err(db("recording an import row"))?;
    }
    Ok(())
}

impl SqliteStore {
    /// The records `SELECT … FROM reference_images {tail}` returns.
    fn records(
        &self,
        tail: &str,
        params: impl rusqlite::Params,
        context: &str,
    ) -> Result<Vec<ReferenceRecord>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM reference_images {tail}"))
            .map_err(db(context))?;
        let raws = stmt
            .query_map(params, record_from_row)
            .map_err(db(context))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db(context))?;
        raws.into_iter().map(RawRecord::decode).collect()
    }
}

impl ReferenceStore for SqliteStore {
    fn reserve_reference_ids(&self, n: u64) -> Result<u64> {
        self.write("reserving ids", &mut || Ok(Vec::new()), |tx| {
            let next: i64 = tx
                .query_row(
                    "SELECT value FROM counters WHERE name = 'reference_id'",
                    [],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db("reserving ids"))?
                .unwrap_or(1);
            tx.execute(
                "INSERT OR REPLACE INTO counters (name, value) VALUES ('reference_id', ?1)",
                [next + n as i64],
            )
            .map_err(db("reserving ids"))?;
            Ok(next as u64)
        })
    }

    fn add_references(
        &self,
        records: &[ReferenceRecord],
        rows: &[ImportRow],
        before_commit: BeforeCommit,
    ) -> Result<()> {
        self.write("recording an enrolment", before_commit, |tx| {
            {
                let mut person = tx
                    .prepare_cached("INSERT OR IGNORE INTO persons (person) VALUES (?1)")
                    .map_err(db("recording a person"))?;
                let mut image = tx
                    .prepare_cached(&format!(
                        "INSERT INTO reference_images ({COLUMNS}) VALUES
                         (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
                    ))
                    .map_err(db("recording a reference image"))?;
                for r in records {
                    let p = &r.provenance;
                    person
                        .execute([&p.person])
                        .map_err(db("recording a person"))?;
                    image
                        .execute(params![
                            sql_int(r.id),
                            r.database,
                            p.person,
                            p.source_kind.as_str(),
                            p.legal_basis,
                            p.offence,
                            p.max_sentence_years,
                            p.sexual_offence,
                            p.captured_at.0,
                            p.capturing_unit,
                            r.image_sha256,
                            r.enrolled_at.0,
                            r.enrolled_by,
                            r.quality,
                            r.duplicate.as_ref().map(encode),
                            r.erasing.as_ref().map(encode),
                        ])
                        .map_err(|e| match e {
                            rusqlite::Error::SqliteFailure(f, _)
                                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                            {
                                StoreError::Exists(format!("reference image {}", r.id))
                            }
                            e => StoreError::Database {
                                context: "recording a reference image".into(),
                                source: e,
                            },
                        })?;
                }
            }
            insert_rows(tx, rows)?;
            Ok(())
        })
    }

    fn record_import_rows(&self, rows: &[ImportRow]) -> Result<()> {
        self.write("recording import rows", &mut || Ok(Vec::new()), |tx| {
            insert_rows(tx, rows)?;
            Ok(())
        })
    }

    fn import_rows(&self, import: &str) -> Result<Vec<ImportRow>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT row, file, outcome, reason, reference FROM import_rows
                 WHERE import = ?1 ORDER BY row",
            )
            .map_err(db("reading import rows"))?;
        let rows = stmt
            .query_map([import], |r| {
                Ok(ImportRow {
                    import: import.to_string(),
                    row: r.get::<_, i64>(0)? as u64,
                    file: r.get(1)?,
                    outcome: RowOutcome::parse(&r.get::<_, String>(2)?),
                    reason: r.get(3)?,
                    reference: r.get::<_, Option<i64>>(4)?.map(|id| id as u64),
                })
            })
            .map_err(db("reading import rows"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(db("reading import rows"))
    }

    fn import_summaries(&self) -> Result<Vec<ImportSummary>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT import, count(*), sum(outcome = 'accepted'), sum(outcome = 'rejected'),
                        sum(outcome = 'erased')
                 FROM import_rows GROUP BY import ORDER BY import",
            )
            .map_err(db("summarising imports"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(ImportSummary {
                    import: r.get(0)?,
                    rows: r.get::<_, i64>(1)? as u64,
                    accepted: r.get::<_, i64>(2)? as u64,
                    rejected: r.get::<_, i64>(3)? as u64,
                    erased: r.get::<_, i64>(4)? as u64,
                })
            })
            .map_err(db("summarising imports"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(db("summarising imports"))
    }

    fn reference(&self, id: u64) -> Result<Option<ReferenceRecord>> {
        let raw = self
            .conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM reference_images WHERE id = ?1"),
                [sql_int(id)],
                record_from_row,
            )
            .optional()
            .map_err(db("reading a reference image"))?;
        raw.map(RawRecord::decode).transpose()
    }

    fn references(&self, after: u64, limit: usize) -> Result<Vec<ReferenceRecord>> {
        self.records(
            "WHERE id > ?1 ORDER BY id LIMIT ?2",
            params![sql_int(after), sql_int(limit as u64)],
            "listing reference images",
        )
    }

    fn reference_by_sha256(&self, sha256: &str) -> Result<Option<u64>> {
        self.conn()
            .query_row(
                "SELECT id FROM reference_images WHERE image_sha256 = ?1",
                [sha256],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map(|id| id.map(|id| id as u64))
            .map_err(db("finding an image"))
    }

    fn reference_ids(&self) -> Result<HashMap<u64, bool>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT id, image_sha256 != '' FROM reference_images")
            .map_err(db("listing reference ids"))?;
        let ids = stmt
            .query_map([], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, bool>(1)?))
            })
            .map_err(db("listing reference ids"))?
            .collect::<rusqlite::Result<_>>()
            .map_err(db("listing reference ids"));
        ids
    }

    fn reference_count(&self) -> Result<u64> {
        self.conn()
            .query_row("SELECT count(*) FROM reference_images", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(db("counting reference images"))
    }

    fn flagged_duplicates(&self) -> Result<Vec<ReferenceRecord>> {
        self.records(
            "WHERE duplicate_of IS NOT NULL ORDER BY id",
            [],
            "listing flags",
        )
    }

    fn clear_duplicate_flag(&self, id: u64, before_commit: BeforeCommit) -> Result<()> {
        self.write("clearing a flag", before_commit, |tx| {
            let changed = tx
                .execute(
                    "UPDATE reference_images SET duplicate_of = NULL WHERE id = ?1 AND duplicate_of IS NOT NULL",
                    [sql_int(id)],
                )
                .map_err(db("clearing a flag"))?;
            if changed == 0 {
                return Err(StoreError::Conflict {
                    what: format!("the duplicate flag of reference image {id}"),
                    expected: 1,
                    found: 0,
                });
            }
            Ok(())
        })
    }

    fn record_person_event(
        &self,
        person: &str,
        event: PersonEvent,
        at: Timestamp,
        before_commit: BeforeCommit,
    ) -> Result<()> {
        self.write("recording an event", before_commit, |tx| {
            let known: bool = tx
                .query_row("SELECT 1 FROM persons WHERE person = ?1", [person], |_| {
                    Ok(true)
                })
                .optional()
                .map_err(db("recording an event"))?
                .is_some();
            if !known {
                return Err(StoreError::Corrupt {
                    what: format!("person {person}"),
                    why: "no such person in the reference database".into(),
                });
            }
            tx.execute(
                "INSERT INTO person_events (person, event, at) VALUES (?1, ?2, ?3)",
                params![person, event.as_str(), at.0],
            )
            .map_err(db("recording an event"))?;
            Ok(())
        })
    }

    fn set_other_open_case(&self, person: &str, open: bool) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE persons SET other_open_case = ?2 WHERE person = ?1",
                params![person, open],
            )
            .map_err(db("recording an open case"))?;
        Ok(())
    }

    fn person(&self, person: &str) -> Result<Option<PersonRecord>> {
        let context = "reading a person";
        let row: Option<(bool, Option<String>, Option<String>)> = self
            .conn()
            .query_row(
                "SELECT other_open_case, restriction, informing_deferred FROM persons WHERE person = ?1",
                [person],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(db(context))?;
        let Some((other_open_case, restriction, informing_deferred)) = row else {
            return Ok(None);
        };
        let events = {
            let conn = self.conn();
            let mut stmt = conn
                .prepare_cached(
                    "SELECT event, at FROM person_events WHERE person = ?1 ORDER BY at, rowid",
                )
                .map_err(db(context))?;
            let rows = stmt
                .query_map([person], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                })
                .map_err(db(context))?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(db(context))?;
            rows.into_iter()
                .map(|(e, at)| {
                    PersonEvent::parse(&e)
                        .map(|e| (e, Timestamp(at)))
                        .map_err(|why| StoreError::Corrupt {
                            what: format!("an event of person {person}"),
                            why,
                        })
                })
                .collect::<Result<Vec<_>>>()?
        };
        let decision = |text: Option<String>| -> Result<Option<PersonDecision>> {
            text.map(|t| decode("a decision about a person", &t))
                .transpose()
        };
        Ok(Some(PersonRecord {
            person: person.to_string(),
            other_open_case,
            events,
            restriction: decision(restriction)?,
            informing_deferred: decision(informing_deferred)?,
            images: self.records(
                "WHERE person = ?1 ORDER BY id",
                [person],
                "reading a person's images",
            )?,
        }))
    }

    fn set_person_decision(
        &self,
        person: &str,
        kind: PersonDecisionKind,
        decision: Option<&PersonDecision>,
        before_commit: BeforeCommit,
    ) -> Result<()> {
        self.write("recording a decision about a person", before_commit, |tx| {
            let changed = tx
                .execute(
                    &format!(
                        "UPDATE persons SET {} = ?2 WHERE person = ?1",
                        kind.column()
                    ),
                    params![person, decision.map(encode)],
                )
                .map_err(db("recording a decision about a person"))?;
            if changed == 0 {
                return Err(StoreError::Corrupt {
                    what: format!("person {person}"),
                    why: "no such person in the reference database".into(),
                });
            }
            Ok(())
        })
    }

    fn restricted_references(&self) -> Result<HashSet<u64>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT i.id FROM reference_images i JOIN persons p ON p.person = i.person \
                 WHERE p.restriction IS NOT NULL",
            )
            .map_err(db("reading restricted records"))?;
        let ids = stmt
            .query_map([], |r| r.get::<_, i64>(0))
            .map_err(db("reading restricted records"))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db("reading restricted records"))?;
        Ok(ids.into_iter().map(|id| id as u64).collect())
    }

    fn retention_scan(&self, each: &mut dyn FnMut(u64, ReferenceFacts)) -> Result<()> {
        let conn = self.conn();
        // Events are few (one per person at most, usually none): read them first, then
        // stream the images.
        let mut events: HashMap<String, Vec<(PersonEvent, Timestamp)>> = HashMap::new();
        {
            let mut stmt = conn
                .prepare("SELECT person, event, at FROM person_events ORDER BY at, rowid")
                .map_err(db("reading events"))?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })
                .map_err(db("reading events"))?;
            for row in rows {
                let (person, event, at) = row.map_err(db("reading events"))?;
                let event = PersonEvent::parse(&event).map_err(|why| StoreError::Corrupt {
                    what: format!("an event of person {person}"),
                    why,
                })?;
                events
                    .entry(person)
                    .or_default()
                    .push((event, Timestamp(at)));
            }
        }
        let open: HashSet<String> = {
            let mut stmt = conn
                .prepare("SELECT person FROM persons WHERE other_open_case")
                .map_err(db("reading open cases"))?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(db("reading open cases"))?;
            rows.collect::<rusqlite::Result<_>>()
                .map_err(db("reading open cases"))?
        };
        let mut stmt = conn
            .prepare(
                "SELECT id, person, source_kind, max_sentence_years, sexual_offence, captured_at
                 FROM reference_images WHERE erasing IS NULL",
            )
            .map_err(db("scanning reference images"))?;
        let mut rows = stmt.query([]).map_err(db("scanning reference images"))?;
        while let Some(r) = rows.next().map_err(db("scanning reference images"))? {
            let person: String = r.get(1).map_err(db("scanning"))?;
            let facts = ReferenceFacts {
                source_kind: r.get(2).map_err(db("scanning"))?,
                max_sentence_years: r.get(3).map_err(db("scanning"))?,
                sexual_offence: r.get(4).map_err(db("scanning"))?,
                captured_at: Timestamp(r.get(5).map_err(db("scanning"))?),
                events: events.get(&person).cloned().unwrap_or_default(),
                other_open_case: open.contains(&person),
            };
            each(r.get::<_, i64>(0).map_err(db("scanning"))? as u64, facts);
        }
        Ok(())
    }

    fn begin_erasure(&self, items: &[(u64, DueForErasure)]) -> Result<()> {
        self.write("beginning an erasure", &mut || Ok(Vec::new()), |tx| {
            {
                let mut stmt = tx
                    .prepare_cached(
                        "UPDATE reference_images SET erasing = ?2 WHERE id = ?1 AND erasing IS NULL",
                    )
                    .map_err(db("beginning an erasure"))?;
                for (id, due) in items {
                    stmt.execute(params![sql_int(*id), encode(due)])
                        .map_err(db("beginning an erasure"))?;
                }
            }
            Ok(())
        })
    }

    fn erasing(&self) -> Result<Vec<(u64, DueForErasure)>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT id, erasing FROM reference_images WHERE erasing IS NOT NULL ORDER BY id",
            )
            .map_err(db("listing erasures"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?))
            })
            .map_err(db("listing erasures"))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db("listing erasures"))?;
        rows.into_iter()
            .map(|(id, text)| Ok((id, decode(&format!("erasure of {id}"), &text)?)))
            .collect()
    }

    fn compact_storage(&self) -> Result<()> {
        let conn = self.conn();
        conn.execute_batch("VACUUM")
            .map_err(db("vacuuming the database"))?;
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(db("checkpointing the database"))
    }

    fn finish_erasure(&self, ids: &[u64], before_commit: BeforeCommit) -> Result<()> {
        self.write("finishing an erasure", before_commit, |tx| {
            {
                let mut person_of = tx
                    .prepare_cached("SELECT person FROM reference_images WHERE id = ?1")
                    .map_err(db("finishing an erasure"))?;
                let mut delete = tx
                    .prepare_cached("DELETE FROM reference_images WHERE id = ?1")
                    .map_err(db("finishing an erasure"))?;
                let mut rows = tx
                    .prepare_cached(
                        "UPDATE import_rows SET outcome = 'erased', reason = 'erased by retention'
                         WHERE reference = ?1",
                    )
                    .map_err(db("finishing an erasure"))?;
                let mut orphan = tx
                    .prepare_cached(
                        "SELECT NOT EXISTS (SELECT 1 FROM reference_images WHERE person = ?1)",
                    )
                    .map_err(db("finishing an erasure"))?;
                let mut forget_events = tx
                    .prepare_cached("DELETE FROM person_events WHERE person = ?1")
                    .map_err(db("finishing an erasure"))?;
                let mut forget = tx
                    .prepare_cached("DELETE FROM persons WHERE person = ?1")
                    .map_err(db("finishing an erasure"))?;
                for &id in ids {
                    let person: Option<String> = person_of
                        .query_row([sql_int(id)], |r| r.get(0))
                        .optional()
                        .map_err(db("finishing an erasure"))?;
                    let Some(person) = person else { continue };
                    delete
                        .execute([sql_int(id)])
                        .map_err(db("finishing an erasure"))?;
                    rows.execute([sql_int(id)])
                        .map_err(db("finishing an erasure"))?;
                    // Data minimisation: a person without images is no longer needed here.
                    let gone: bool = orphan
                        .query_row([&person], |r| r.get(0))
                        .map_err(db("finishing an erasure"))?;
                    if gone {
                        forget_events
                            .execute([&person])
                            .map_err(db("finishing an erasure"))?;
                        forget
                            .execute([&person])
                            .map_err(db("finishing an erasure"))?;
                    }
                }
            }
            Ok(())
        })
    }
}
