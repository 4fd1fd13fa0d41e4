//! Enrolment: one image or a whole manifest, with provenance, a quality check, and a flag
//! for a possible duplicate person.
//!
//! Face choice (documented for managers): an image without a face is rejected; with
//! several faces, the largest is enrolled when its box is at least
//! [`EnrolSettings::dominant_area_ratio`] times the area of every other (bystanders in the
//! background), and the image is rejected otherwise ("crop it to the person"); the chosen
//! face must pass the engine's quality check, or the image is rejected with its reasons.
//!
//! Bulk import analyses images on parallel workers (the expensive part) and commits them
//! in batches from one thread; every row's outcome is recorded with the batch, so a rerun
//! of the same manifest skips what was done — after Ctrl-C, `kill -9` or a power cut alike.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use waarborg_face::{DecodeLimits, FaceEngine};
use waarborg_govern::reference::Provenance;
use waarborg_govern::Timestamp;
use waarborg_index::{NewTemplate, SearchParams};
use waarborg_ledger::{BiometricOperation, Event, Operation};
use waarborg_store::{DuplicateFlag, ImportRow, ReferenceRecord, RowOutcome};

use crate::manifest::{self, ManifestRow};
use crate::{database_for, vault_name, RefDbError, ReferenceDb, Result};

/// Enrolment settings.
#[derive(Debug, Clone)]
pub struct EnrolSettings {
    /// Similarity at or above which a new image of one person is flagged as a possible
    /// duplicate of another person's image.
    pub duplicate_threshold: f32,
    /// How much larger (by box area) the largest face must be than every other face for
    /// it to be chosen in an image with several faces.
    pub dominant_area_ratio: f32,
    /// Decoding limits.
    pub limits: DecodeLimits,
    /// Images committed together.
    pub batch_rows: usize,
    /// Retention rules: an image already due for erasure is not enrolled.
    pub rules: waarborg_govern::retention::RetentionRules,
}

impl Default for EnrolSettings {
    fn default() -> Self {
        EnrolSettings {
            duplicate_threshold: 0.6,
            dominant_area_ratio: 2.0,
            limits: DecodeLimits::default(),
            batch_rows: 32,
            rules: Default::default(),
        }
    }
}

/// Who enrols, with which engine, when.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// The user (pseudonymous id).
    pub user: String,
    /// Their role.
    pub role: String,
    /// SHA-256 of the engine's models.
    pub models: Vec<String>,
    /// Now.
    pub now: Timestamp,
    /// Settings.
    pub settings: EnrolSettings,
}

impl Enrolment {
    /// A reference-database manager enrolling with `engine` (its model hashes go into every
    /// ledger entry) at `now`, with the default settings.
    pub fn new(user: &str, engine: &FaceEngine, now: Timestamp) -> Enrolment {
        let fp = engine.fingerprint();
        Enrolment {
            user: user.to_string(),
            role: "reference_database_manager".into(),
            models: vec![fp.detector_sha256.clone(), fp.recognizer_sha256.clone()],
            now,
            settings: EnrolSettings::default(),
        }
    }
}

/// What the engine made of an image.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The chosen face's template.
    pub template: Vec<f32>,
    /// The quality note kept with the record.
    pub quality: String,
}

/// An image analysed and ready to commit.
#[derive(Debug, Clone)]
pub struct Analysed {
    /// Manifest row, if from a manifest.
    pub row: Option<u64>,
    /// File name as given.
    pub file: String,
    /// Provenance, or why the row cannot be used.
    pub provenance: std::result::Result<Provenance, String>,
    /// The image bytes (to be encrypted into the vault).
    pub image: Vec<u8>,
    /// Their SHA-256.
    pub image_sha256: String,
    /// The analysis, or why the image is rejected.
    pub analysis: std::result::Result<Analysis, String>,
}

/// SHA-256 in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Decodes an image, finds its faces, chooses one and checks its quality. `Ok(Err(reason))`
/// is a rejection of this image; `Err` a failure of the engine itself.
pub fn analyse(
    engine: &FaceEngine,
    image: &[u8],
    settings: &EnrolSettings,
) -> Result<std::result::Result<Analysis, String>> {
    let pixels = match waarborg_face::decode::decode(image, &settings.limits) {
        Ok(p) => p,
        Err(e) => return Ok(Err(format!("unreadable image: {e}"))),
    };
    let mut faces = engine.analyze(&pixels, true)?;
    let area = |b: &[f32; 4]| ((b[2] - b[0]) * (b[3] - b[1])).max(0.0);
    faces.sort_by(|a, b| area(&b.bbox).total_cmp(&area(&a.bbox)));
    let n = faces.len();
    let Some(face) = faces.first() else {
        return Ok(Err("no face found".into()));
    };
    if let Some(second) = faces.get(1) {
        if area(&face.bbox) < settings.dominant_area_ratio * area(&second.bbox) {
            return Ok(Err(format!(
                "several faces: {n} of similar size; crop the image to the one person"
            )));
        }
    }
    if !face.quality.sufficient {
        return Ok(Err(format!(
            "insufficient quality: {}",
            face.quality.reasons.join("; ")
        )));
    }
    let Some(template) = face.embedding.clone() else {
        return Ok(Err("no template could be extracted".into()));
    };
    let quality = if n == 1 {
        "sufficient; 1 face".to_string()
    } else {
        format!("sufficient; largest of {n} faces")
    };
    Ok(Ok(Analysis { template, quality }))
}

/// What became of one submitted image.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Manifest row, if any.
    pub row: Option<u64>,
    /// File name.
    pub file: String,
    /// The reference image id, when enrolled.
    pub reference: Option<u64>,
    /// Why not, when rejected.
    pub rejected: Option<String>,
    /// A possible duplicate person, when flagged.
    pub duplicate: Option<DuplicateFlag>,
}

impl ReferenceDb<'_> {
    /// Commits analysed images: refuses images already enrolled (same bytes), flags possible
    /// duplicate persons, then stores image, template and record (with one ledger entry per
    /// image, accepted or rejected). With `import`, records each row's outcome under it.
    pub fn commit(
        &self,
        batch: Vec<Analysed>,
        import: Option<&str>,
        who: &Enrolment,
    ) -> Result<Vec<Outcome>> {
        let mut rejected: Vec<Option<String>> = batch
            .iter()
            .map(|a| match (&a.provenance, &a.analysis) {
                (Err(r), _) | (_, Err(r)) => Some(r.clone()),
                (Ok(p), Ok(_)) => who
                    .settings
                    .rules
                    .due(&p.retention_facts(Vec::new(), false), who.now)
                    .map(|due| format!("already due for erasure: {} ({})", due.reason, due.rule)),
            })
            .collect();
        let mut first_with: HashMap<&str, usize> = HashMap::new();
        for (i, a) in batch.iter().enumerate() {
            if rejected[i].is_some() {
                continue;
            }
            if let Some(id) = self.store.reference_by_sha256(&a.image_sha256)? {
                rejected[i] = Some(format!(
                    "already enrolled: the same image is reference image {id}"
                ));
            } else if let Some(&j) = first_with.get(a.image_sha256.as_str()) {
                rejected[i] = Some(format!(
                    "duplicate image: the same bytes as {}",
                    batch[j]
                        .row
                        .map_or(batch[j].file.clone(), |r| format!("row {r}"))
                ));
            } else {
                first_with.insert(&a.image_sha256, i);
            }
        }
        let accepted: Vec<usize> = (0..batch.len())
            .filter(|&i| rejected[i].is_none())
            .collect();
        let first_id = if accepted.is_empty() {
            0
        } else {
            self.store.reserve_reference_ids(accepted.len() as u64)?
        };
        let mut ids: Vec<Option<u64>> = vec![None; batch.len()];
        for (k, &i) in accepted.iter().enumerate() {
            ids[i] = Some(first_id + k as u64);
        }
        let template = |i: usize| match &batch[i].analysis {
            Ok(a) => a.template.as_slice(),
            Err(_) => &[],
        };
        let duplicates =
            self.duplicates(&batch, &accepted, &ids, who.settings.duplicate_threshold)?;
        // 1. images, 2. templates, 3. records with the ledger entries.
        for &i in &accepted {
            let id = ids[i].unwrap_or_default();
            self.vault.put(&vault_name(id), &batch[i].image)?;
        }
        let mut by_database: BTreeMap<&str, Vec<NewTemplate>> = BTreeMap::new();
        let mut records = Vec::with_capacity(accepted.len());
        for &i in &accepted {
            let (Ok(p), Ok(a)) = (&batch[i].provenance, &batch[i].analysis) else {
                continue;
            };
            let id = ids[i].unwrap_or_default();
            by_database
                .entry(database_for(p.source_kind))
                .or_default()
                .push(NewTemplate {
                    id,
                    owner: id,
                    vector: template(i),
                });
            records.push(ReferenceRecord {
                id,
                database: database_for(p.source_kind).to_string(),
                provenance: p.clone(),
                image_sha256: batch[i].image_sha256.clone(),
                enrolled_at: who.now,
                enrolled_by: who.user.clone(),
                quality: a.quality.clone(),
                duplicate: duplicates.get(&i).cloned(),
                erasing: None,
            });
        }
        for (database, templates) in &by_database {
            self.index.insert(database, templates)?;
        }
        let outcomes: Vec<Outcome> = batch
            .iter()
            .enumerate()
            .map(|(i, a)| Outcome {
                row: a.row,
                file: a.file.clone(),
                reference: ids[i],
                rejected: rejected[i].clone(),
                duplicate: duplicates.get(&i).cloned(),
            })
            .collect();
        let rows: Vec<ImportRow> = match import {
            Some(import) => outcomes
                .iter()
                .map(|o| ImportRow {
                    import: import.to_string(),
                    row: o.row.unwrap_or_default(),
                    file: o.file.clone(),
                    outcome: if o.reference.is_some() {
                        RowOutcome::Accepted
                    } else {
                        RowOutcome::Rejected
                    },
                    reason: o.rejected.clone().unwrap_or_else(|| match &o.duplicate {
                        Some(d) => format!(
                            "enrolled; flagged as a possible duplicate of person {} (score {:.3})",
                            d.person, d.score
                        ),
                        None => "enrolled".into(),
                    }),
                    reference: o.reference,
                })
                .collect(),
            None => Vec::new(),
        };
        let entries: Vec<Event> = batch
            .iter()
            .enumerate()
            .filter(|(_, a)| !a.image_sha256.is_empty())
            .map(|(i, a)| {
                let outcome = match (&rejected[i], ids[i]) {
                    (Some(why), _) => format!("rejected: {why}"),
                    (None, Some(id)) => format!(
                        "enrolled as reference image {id}{}",
                        if duplicates.contains_key(&i) {
                            "; flagged as a possible duplicate person"
                        } else {
                            ""
                        }
                    ),
                    (None, None) => "rejected".into(),
                };
                enrol_entry(who, a, outcome)
            })
            .collect();
        self.store.add_references(&records, &rows, &mut || {
            self.ledger
                .append_all(&entries)
                .map(|r| waarborg_store::marks(&r))
                .map_err(|e| e.to_string())
        })?;
        Ok(outcomes)
    }

    /// For each accepted image, the most similar image of another person at or above the
    /// threshold: among those enrolled, and among the earlier images of this batch.
    fn duplicates(
        &self,
        batch: &[Analysed],
        accepted: &[usize],
        ids: &[Option<u64>],
        threshold: f32,
    ) -> Result<HashMap<usize, DuplicateFlag>> {
        let mut flags = HashMap::new();
        if accepted.is_empty() {
            return Ok(flags);
        }
        let queries: Vec<&[f32]> = accepted
            .iter()
            .map(|&i| match &batch[i].analysis {
                Ok(a) => a.template.as_slice(),
                Err(_) => &[][..],
            })
            .collect();
        let person_of = |i: usize| {
            batch[i]
                .provenance
                .as_ref()
                .map_or("", |p| p.person.as_str())
        };
        let params = SearchParams {
            k: 8,
            min_score: Some(threshold),
            databases: None,
            threads: 0,
        };
        let hits = self.index.search_batch(&queries, &params)?;
        let mut persons: HashMap<u64, Option<String>> = HashMap::new();
        for (k, &i) in accepted.iter().enumerate() {
            for hit in &hits[k] {
                let other = match persons.get(&hit.owner) {
                    Some(p) => p.clone(),
                    None => {
                        let p = self
                            .store
                            .reference(hit.owner)?
                            .map(|r| r.provenance.person);
                        persons.insert(hit.owner, p.clone());
                        p
                    }
                };
                if let Some(other) = other.filter(|o| o != person_of(i)) {
                    flags.insert(
                        i,
                        DuplicateFlag {
                            person: other,
                            reference: hit.owner,
                            score: hit.score,
                        },
                    );
                    break;
                }
            }
            // Earlier images of this batch are not in the index yet.
            for (k2, &j) in accepted[..k].iter().enumerate() {
                if person_of(j) == person_of(i) {
                    continue;
                }
                let score = waarborg_face::similarity(queries[k], queries[k2]);
                if score >= threshold && flags.get(&i).is_none_or(|f| score > f.score) {
                    flags.insert(
                        i,
                        DuplicateFlag {
                            person: person_of(j).to_string(),
                            reference: ids[j].unwrap_or_default(),
                            score,
                        },
                    );
                }
            }
        }
        Ok(flags)
    }

    /// Enrols one image with its provenance: the reference id, or why not.
    pub fn enrol_one(
        &self,
        engine: &FaceEngine,
        image: Vec<u8>,
        file: &str,
        provenance: Provenance,
        who: &Enrolment,
    ) -> Result<Outcome> {
        let provenance = provenance.validate(who.now).map(|()| provenance);
        let analysis = analyse(engine, &image, &who.settings)?;
        let analysed = Analysed {
            row: None,
            file: file.to_string(),
            provenance,
            image_sha256: sha256_hex(&image),
            image,
            analysis,
        };
        let mut outcomes = self.commit(vec![analysed], None, who)?;
        outcomes
            .pop()
            .ok_or_else(|| RefDbError::Rejected("nothing to enrol".into()))
    }
}

fn enrol_entry(who: &Enrolment, a: &Analysed, outcome: String) -> Event {
    let at = waarborg_ledger::entry::now();
    Event::BiometricOperation(BiometricOperation {
        operation: Operation::Enrol,
        started: at.clone(),
        ended: at,
        user: who.user.clone(),
        role: who.role.clone(),
        deployment_revision: None,
        case_authorisation: None,
        reference_database: a
            .provenance
            .as_ref()
            .ok()
            .map(|p| database_for(p.source_kind).to_string()),
        input_sha256: Some(a.image_sha256.clone()),
        verifiers: Vec::new(),
        model_sha256: who.models.clone(),
        outcome,
        best_score_milli: None,
    })
}

/// Progress of a bulk import, for a progress bar.
pub trait Progress: Sync {
    /// The number of rows to process (those not done by an earlier run).
    fn start(&self, rows: u64);
    /// `n` more rows processed.
    fn advance(&self, n: u64);
}

/// No progress display.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: u64) {}
    fn advance(&self, _: u64) {}
}

/// A bulk import's result.
#[derive(Debug, Clone, Default)]
pub struct ImportSummary {
    /// The import's id (SHA-256 of the manifest).
    pub import: String,
    /// Rows in the manifest.
    pub rows: u64,
    /// Rows done by an earlier run and skipped now.
    pub already_done: u64,
    /// Accepted rows (all runs).
    pub accepted: u64,
    /// Rejected rows (all runs).
    pub rejected: u64,
    /// Accepted rows flagged as possible duplicate persons.
    pub flagged: u64,
    /// Rejections by reason (the reason's first clause).
    pub reasons: BTreeMap<String, u64>,
    /// Every row's outcome, in row order.
    pub outcomes: Vec<ImportRow>,
    /// Seconds this run took.
    pub seconds: f64,
    /// Images analysed by this run.
    pub analysed: u64,
}

/// Imports a manifest of images from `dir` on `workers` threads. Rows recorded by an
/// earlier run of the same manifest are skipped.
pub fn import(
    db: &ReferenceDb,
    engine: &FaceEngine,
    dir: &Path,
    manifest_path: &Path,
    workers: usize,
    who: &Enrolment,
    progress: &dyn Progress,
) -> Result<ImportSummary> {
    let started = Instant::now();
    let bytes = std::fs::read(manifest_path).map_err(|source| manifest::ManifestError::Io {
        path: manifest_path.to_path_buf(),
        source,
    })?;
    let import_id = sha256_hex(&bytes);
    let rows = manifest::parse(&bytes, manifest::is_jsonl(manifest_path), who.now)?;
    db.reconcile()?;
    let done: HashSet<u64> = db
        .store
        .import_rows(&import_id)?
        .iter()
        .map(|r| r.row)
        .collect();
    let root = dir.canonicalize().map_err(|source| RefDbError::Io {
        context: format!("the image directory {}", dir.display()),
        source,
    })?;
    // Rows that need no engine: malformed ones and repeated file names.
    let mut first_row: HashMap<&str, u64> = HashMap::new();
    let mut early = Vec::new();
    let mut work: Vec<&ManifestRow> = Vec::new();
    for r in rows.iter().filter(|r| !done.contains(&r.row)) {
        let repeat = first_row.get(r.file.as_str()).copied();
        match (&r.provenance, repeat) {
            (Err(why), _) => early.push(unprocessed(r, why.clone())),
            (Ok(_), Some(first)) => early.push(unprocessed(
                r,
                format!("duplicate row: the same file as row {first}"),
            )),
            (Ok(_), None) => work.push(r),
        }
        first_row.entry(r.file.as_str()).or_insert(r.row);
    }
    progress.start((early.len() + work.len()) as u64);
    let mut analysed = 0u64;
    if !early.is_empty() {
        let n = early.len() as u64;
        db.commit(early, Some(&import_id), who)?;
        progress.advance(n);
    }
    let next = AtomicUsize::new(0);
    let workers = workers.max(1);
    let (tx, rx) = mpsc::sync_channel::<Result<Analysed>>(who.settings.batch_rows * 2);
    std::thread::scope(|scope| -> Result<()> {
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, work, root) = (&next, &work, &root);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(row) = work.get(i) else { break };
                let result = read_and_analyse(engine, root, row, &who.settings);
                if tx.send(result).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut batch = Vec::with_capacity(who.settings.batch_rows);
        let mut last = Instant::now();
        loop {
            let received = rx.recv_timeout(Duration::from_millis(500));
            let finished = matches!(received, Err(mpsc::RecvTimeoutError::Disconnected));
            match received {
                Ok(Ok(a)) => batch.push(a),
                Ok(Err(e)) => {
                    // Stop the workers: an engine or I/O failure is not a row's fault.
                    next.store(usize::MAX / 2, Ordering::Relaxed);
                    return Err(e);
                }
                Err(_) => {}
            }
            let due = batch.len() >= who.settings.batch_rows
                || (!batch.is_empty() && (finished || last.elapsed() > Duration::from_secs(2)));
            if due {
                let n = batch.len() as u64;
                analysed += n;
                db.commit(std::mem::take(&mut batch), Some(&import_id), who)?;
                progress.advance(n);
                last = Instant::now();
            }
            if finished {
                return Ok(());
            }
        }
    })?;
    let outcomes = db.store.import_rows(&import_id)?;
    let mut summary = ImportSummary {
        import: import_id,
        rows: rows.len() as u64,
        already_done: done.len() as u64,
        seconds: started.elapsed().as_secs_f64(),
        analysed,
        ..Default::default()
    };
    for o in &outcomes {
        match o.outcome {
            RowOutcome::Accepted | RowOutcome::Erased => {
                summary.accepted += 1;
                summary.flagged += u64::from(o.reason.contains("possible duplicate"));
            }
            RowOutcome::Rejected => {
                summary.rejected += 1;
                let key = o.reason.split(':').next().unwrap_or("").to_string();
                *summary.reasons.entry(key).or_default() += 1;
            }
        }
    }
    summary.outcomes = outcomes;
    Ok(summary)
}

fn unprocessed(r: &ManifestRow, why: String) -> Analysed {
    Analysed {
        row: Some(r.row),
        file: r.file.clone(),
        provenance: Err(why.clone()),
        image: Vec::new(),
        image_sha256: String::new(),
        analysis: Err(why),
    }
}

fn read_and_analyse(
    engine: &FaceEngine,
    root: &Path,
    row: &ManifestRow,
    settings: &EnrolSettings,
) -> Result<Analysed> {
    let reject = |why: String| Analysed {
        row: Some(row.row),
        file: row.file.clone(),
        provenance: row.provenance.clone(),
        image: Vec::new(),
        image_sha256: String::new(),
        analysis: Err(why),
    };
    let path = match resolve(root, &row.file) {
        Ok(p) => p,
        Err(why) => return Ok(reject(why)),
    };
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    if size > settings.limits.max_bytes {
        return Ok(reject(format!(
            "unreadable image: the file is {size} bytes; the limit is {} bytes",
            settings.limits.max_bytes
        )));
    }
    let image = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => return Ok(reject(format!("cannot read the file: {}: {e}", row.file))),
    };
    let analysis = analyse(engine, &image, settings)?;
    Ok(Analysed {
        row: Some(row.row),
        file: row.file.clone(),
        provenance: row.provenance.clone(),
        image_sha256: sha256_hex(&image),
        image,
        analysis,
    })
}

/// The file a manifest names, refused if it resolves outside `root` (via `..` or a link).
fn resolve(root: &Path, file: &str) -> std::result::Result<PathBuf, String> {
    manifest::check_relative(file)?;
    let path = root
        .join(file)
        .canonicalize()
        .map_err(|e| format!("cannot read the file: {file}: {e}"))?;
    if !path.starts_with(root) {
        return Err(format!(
            "file {file:?} resolves outside the image directory"
        ));
    }
    Ok(path)
}
