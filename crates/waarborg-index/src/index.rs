//! The index: durable changes, exact search, compaction.

use std::borrow::Cow;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::{Deserialize, Serialize};
use waarborg_seal::Keyring;

use crate::kernels::{dot_f32, scores_i8};
use crate::quant::{quantise, validate, Query, DIM};
use crate::segment::{self, Sealing, Segment, SegmentRows};
use crate::wal::{self, Record};
use crate::IndexError;

const MANIFEST: &str = "MANIFEST";
/// Rows scanned per work item; threads take items from a shared counter.
const CHUNK_ROWS: usize = 8192;
/// Rows scored per kernel call (their codes stay in cache while every query of a batch
/// passes over them).
const BLOCK_ROWS: usize = 256;

/// How the index runs.
#[derive(Debug, Clone)]
pub struct IndexConfig {
    /// Threads per search (and for checksums at open); 0 means all cores.
    pub threads: usize,
    /// Logged templates kept in memory before they are written as a segment.
    pub flush_rows: usize,
    /// The data keys: with them, segments and logged templates are encrypted at rest (what
    /// the scan reads is decrypted into memory when a segment opens, each f32 template only
    /// when a search re-ranks it); without, they are plain files.
    pub keys: Option<Arc<Keyring>>,
}

impl Default for IndexConfig {
    fn default() -> Self {
        IndexConfig {
            threads: 0,
            flush_rows: 65_536,
            keys: None,
        }
    }
}

fn resolve_threads(n: usize) -> usize {
    if n > 0 {
        n
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// A template to insert.
#[derive(Debug, Clone, Copy)]
pub struct NewTemplate<'a> {
    /// Template id, unique in the index.
    pub id: u64,
    /// The reference image it was extracted from.
    pub owner: u64,
    /// [`DIM`] values, L2-normalised.
    pub vector: &'a [f32],
}

/// What to search for.
#[derive(Debug, Clone)]
pub struct SearchParams {
    /// Candidates wanted.
    pub k: usize,
    /// Only candidates scoring at least this.
    pub min_score: Option<f32>,
    /// Only these reference databases (`None`: all).
    pub databases: Option<Vec<String>>,
    /// Threads for this search (0: the index's setting).
    pub threads: usize,
}

impl SearchParams {
    /// The top `k` over every database, no threshold.
    pub fn top(k: usize) -> Self {
        SearchParams {
            k,
            min_score: None,
            databases: None,
            threads: 0,
        }
    }
}

/// One candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Template id.
    pub template: u64,
    /// Reference image id.
    pub owner: u64,
    /// Reference database.
    pub database: String,
    /// Dot product of the f32 templates.
    pub score: f32,
}

/// What opening found.
#[derive(Debug, Clone, Default)]
pub struct OpenReport {
    /// Segment files opened.
    pub segments: usize,
    /// Log records replayed.
    pub replayed: usize,
    /// Bytes of a torn log tail cut off (an unacknowledged write interrupted by a crash).
    pub torn_bytes: u64,
    /// Files left by an interrupted flush or compaction, removed.
    pub removed_leftovers: usize,
    /// Segments not encrypted under the current data key (plain files from before keys
    /// were given, or a rotation not yet finished); [`Index::compact`] rewrites them.
    pub stale_segments: usize,
}

/// Outcome of a deletion.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeleteReport {
    /// Ids deleted now.
    pub deleted: Vec<u64>,
    /// Ids not in the index.
    pub unknown: Vec<u64>,
}

/// Outcome of a compaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompactReport {
    /// Segments rewritten without their deleted rows.
    pub rewritten: usize,
    /// Deleted templates whose bytes were removed from the files.
    pub erased: usize,
    /// Segment files removed.
    pub removed_files: usize,
    /// Segments rewritten because they were not encrypted under the current data key.
    pub resealed: usize,
}

/// Sizes, for operators.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IndexStats {
    /// Live templates per reference database.
    pub databases: BTreeMap<String, usize>,
    /// Live templates in all.
    pub templates: usize,
    /// Deleted templates whose bytes await compaction.
    pub awaiting_compaction: usize,
    /// Segment files.
    pub segments: usize,
    /// Templates held in memory (and the log) until the next flush.
    pub in_memory: usize,
    /// The kernels in use.
    pub simd: &'static str,
}

/// Templates logged since the last flush, for one database.
#[derive(Default)]
struct MemRows {
    ids: Vec<u64>,
    owners: Vec<u64>,
    scales: Vec<f32>,
    codes: Vec<i8>,
    vectors: Vec<f32>,
    err_max: f32,
    hat_max: f32,
}

impl MemRows {
    fn push(&mut self, id: u64, owner: u64, vector: &[f32]) {
        let at = self.codes.len();
        self.codes.resize(at + DIM, 0);
        let q = quantise(vector, &mut self.codes[at..]);
        self.ids.push(id);
        self.owners.push(owner);
        self.scales.push(q.scale);
        self.vectors.extend_from_slice(vector);
        self.err_max = self.err_max.max(q.err_norm);
        self.hat_max = self.hat_max.max(q.hat_norm);
    }

    /// Removes `row` by moving the last row into its place; returns the id moved, if any.
    fn swap_remove(&mut self, row: usize) -> Option<u64> {
        let last = self.ids.len() - 1;
        self.ids.swap_remove(row);
        self.owners.swap_remove(row);
        self.scales.swap_remove(row);
        if row != last {
            self.codes
                .copy_within(last * DIM..(last + 1) * DIM, row * DIM);
            self.vectors
                .copy_within(last * DIM..(last + 1) * DIM, row * DIM);
        }
        self.codes.truncate(last * DIM);
        self.vectors.truncate(last * DIM);
        (row != last).then(|| self.ids[row])
    }
}

/// The rows of one database copied out of memory for a flush.
struct MemCopy {
    database: String,
    ids: Vec<u64>,
    owners: Vec<u64>,
    vectors: Vec<f32>,
}

struct State {
    segments: Vec<Arc<Segment>>,
    mem: BTreeMap<String, MemRows>,
    /// id → (database, row) for the templates in `mem`.
    mem_ids: HashMap<u64, (String, usize)>,
}

impl State {
    fn contains(&self, id: u64) -> bool {
        self.mem_ids.contains_key(&id)
            || self
                .segments
                .iter()
                .any(|s| s.find(id).is_some_and(|r| !s.is_deleted(r)))
    }

    fn in_memory(&self) -> usize {
        self.mem_ids.len()
    }
}

/// The write side: one writer at a time, so each change is one fsync and checks and
/// applies cannot interleave.
struct Writer {
    wal: File,
    wal_name: String,
    wal_len: u64,
    generation: u64,
    next_segment: u64,
    failed: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Manifest {
    generation: u64,
    next_segment: u64,
    wal: String,
    segments: Vec<ManifestSegment>,
}

#[derive(Serialize, Deserialize)]
struct ManifestSegment {
    file: String,
    deleted: Vec<u32>,
}

/// An index directory, open for search and change. `Sync`: share it between threads.
pub struct Index {
    dir: PathBuf,
    threads: usize,
    flush_rows: usize,
    keys: Option<Arc<Keyring>>,
    state: RwLock<State>,
    writer: Mutex<Writer>,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index").field("dir", &self.dir).finish()
    }
}

fn io_err(context: String) -> impl FnOnce(std::io::Error) -> IndexError {
    move |source| IndexError::Io { context, source }
}

fn check_database(name: &str) -> Result<(), IndexError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(IndexError::BadDatabase(name.to_string()))
    }
}

impl Index {
    /// Opens (or creates) the index in `dir`: verifies the segments, replays the log (a
    /// torn tail is cut off and reported), and removes files an interrupted flush or
    /// compaction left behind.
    pub fn open(dir: &Path, config: IndexConfig) -> Result<(Index, OpenReport), IndexError> {
        std::fs::create_dir_all(dir).map_err(io_err(format!("creating {}", dir.display())))?;
        let threads = resolve_threads(config.threads);
        let manifest = read_manifest(dir)?;
        let mut report = OpenReport::default();
        let manifest = match manifest {
            Some(m) => m,
            None => {
                let m = Manifest {
                    generation: 0,
                    next_segment: 0,
                    wal: "wal-0.log".into(),
                    segments: Vec::new(),
                };
                write_manifest(dir, &m)?;
                m
            }
        };
        let files: Vec<&str> = manifest.segments.iter().map(|s| s.file.as_str()).collect();
        let opened = open_segments(dir, &files, threads, config.keys.as_deref())?;
        let mut segments = Vec::with_capacity(manifest.segments.len());
        for (s, seg) in manifest.segments.iter().zip(opened) {
            for &row in &s.deleted {
                if row as usize >= seg.count() {
                    return Err(IndexError::Corrupt {
                        file: dir.join(MANIFEST).display().to_string(),
                        detail: format!(
                            "deletes row {row} of {}, which has {} rows",
                            s.file,
                            seg.count()
                        ),
                    });
                }
                seg.delete(row as usize);
            }
            segments.push(Arc::new(seg));
        }
        report.segments = segments.len();
        report.stale_segments = segments
            .iter()
            .filter(|s| is_stale(s, config.keys.is_some()))
            .count();
        let wal_path = dir.join(&manifest.wal);
        let (wal_file, records, torn) = wal::open(&wal_path, config.keys.as_deref())?;
        report.torn_bytes = torn;
        report.replayed = records.len();
        let mut state = State {
            segments,
            mem: BTreeMap::new(),
            mem_ids: HashMap::new(),
        };
        for r in records {
            replay(&mut state, r, &wal_path)?;
        }
        let wal_len = wal_file
            .metadata()
            .map_err(io_err(format!("reading {}", wal_path.display())))?
            .len();
        // Anything the manifest does not name is a leftover of an interrupted flush or
        // compaction (or an erased segment whose unlink was interrupted): remove it.
        let keep: HashSet<&str> = manifest
            .segments
            .iter()
            .map(|s| s.file.as_str())
            .chain([manifest.wal.as_str(), MANIFEST])
            .collect();
        let listing =
            std::fs::read_dir(dir).map_err(io_err(format!("listing {}", dir.display())))?;
        for entry in listing.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            let ours =
                name.starts_with("seg-") || name.starts_with("wal-") || name.ends_with(".tmp");
            if ours && !keep.contains(name.as_str()) {
                std::fs::remove_file(entry.path()).map_err(io_err(format!(
                    "removing leftover {}",
                    entry.path().display()
                )))?;
                report.removed_leftovers += 1;
            }
        }
        let index = Index {
            dir: dir.to_path_buf(),
            threads,
            flush_rows: config.flush_rows.max(1),
            keys: config.keys,
            state: RwLock::new(state),
            writer: Mutex::new(Writer {
                wal: wal_file,
                wal_name: manifest.wal,
                wal_len,
                generation: manifest.generation,
                next_segment: manifest.next_segment,
                failed: None,
            }),
        };
        Ok((index, report))
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn writer(&self) -> Result<MutexGuard<'_, Writer>, IndexError> {
        let w = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        match &w.failed {
            Some(why) => Err(IndexError::Failed(why.clone())),
            None => Ok(w),
        }
    }

    /// Inserts templates into `database`. Returns when they are durable and searchable.
    /// All or nothing: a bad vector or a duplicate id refuses the whole call.
    pub fn insert(&self, database: &str, templates: &[NewTemplate]) -> Result<(), IndexError> {
        check_database(database)?;
        let mut seen = HashSet::with_capacity(templates.len());
        for t in templates {
            validate(t.vector).map_err(|e| match e {
                IndexError::BadVector(why) => {
                    IndexError::BadVector(format!("of template {} {why}", t.id))
                }
                other => other,
            })?;
            if !seen.insert(t.id) {
                return Err(IndexError::DuplicateId(t.id));
            }
        }
        let mut w = self.writer()?;
        {
            let st = self.read();
            if let Some(t) = templates.iter().find(|t| st.contains(t.id)) {
                return Err(IndexError::DuplicateId(t.id));
            }
        }
        if templates.len() >= self.flush_rows {
            // A bulk load: write it as a segment directly (durable once the manifest names it).
            let ids: Vec<u64> = templates.iter().map(|t| t.id).collect();
            let owners: Vec<u64> = templates.iter().map(|t| t.owner).collect();
            let mut vectors = Vec::with_capacity(templates.len() * DIM);
            templates
                .iter()
                .for_each(|t| vectors.extend_from_slice(t.vector));
            let rows = SegmentRows {
                ids: &ids,
                owners: &owners,
                vectors: &vectors,
            };
            return self.add_segments(&mut w, &[(database, rows)], None);
        }
        let payloads = templates
            .iter()
            .map(|t| {
                let record = wal::encode_insert(t.id, t.owner, database, t.vector);
                match &self.keys {
                    Some(keys) => wal::seal(keys, &w.wal_name, &record),
                    None => Ok(record),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.log(&mut w, &payloads)?;
        {
            let mut st = self.write();
            let st = &mut *st;
            let mem = st.mem.entry(database.to_string()).or_default();
            for t in templates {
                st.mem_ids
                    .insert(t.id, (database.to_string(), mem.ids.len()));
                mem.push(t.id, t.owner, t.vector);
            }
        }
        if self.read().in_memory() >= self.flush_rows {
            self.flush_locked(&mut w)?;
        }
        Ok(())
    }

    fn log(&self, w: &mut Writer, payloads: &[Vec<u8>]) -> Result<(), IndexError> {
        match wal::append(&mut w.wal, payloads, w.wal_len) {
            Ok(len) => {
                w.wal_len = len;
                Ok(())
            }
            Err(e) => {
                let why = format!("writing the log {}: {e}", w.wal_name);
                w.failed = Some(why.clone());
                Err(IndexError::Failed(why))
            }
        }
    }

    /// Deletes templates: gone from search when this returns, and durable; their bytes
    /// leave the files at the next [`compact`](Index::compact).
    pub fn delete(&self, ids: &[u64]) -> Result<DeleteReport, IndexError> {
        let mut w = self.writer()?;
        let mut report = DeleteReport::default();
        {
            let st = self.read();
            let mut seen = HashSet::new();
            for &id in ids {
                if seen.insert(id) && st.contains(id) {
                    report.deleted.push(id);
                } else if !report.deleted.contains(&id) {
                    report.unknown.push(id);
                }
            }
        }
        if report.deleted.is_empty() {
            return Ok(report);
        }
        let payloads: Vec<Vec<u8>> = report
            .deleted
            .iter()
            .map(|&id| wal::encode_delete(id))
            .collect();
        self.log(&mut w, &payloads)?;
        let mut st = self.write();
        for &id in &report.deleted {
            apply_delete(&mut st, id);
        }
        Ok(report)
    }

    /// Writes the templates held in memory as segments and starts an empty log, so the
    /// log's bytes (including those of templates deleted since) leave the disk.
    pub fn flush(&self) -> Result<(), IndexError> {
        let mut w = self.writer()?;
        self.flush_locked(&mut w)
    }

    fn flush_locked(&self, w: &mut Writer) -> Result<(), IndexError> {
        if w.wal_len == 0 {
            return Ok(());
        }
        // Copy the rows out; searches go on while the segments are written.
        let copies: Vec<MemCopy> = self
            .read()
            .mem
            .iter()
            .filter(|(_, m)| !m.ids.is_empty())
            .map(|(db, m)| MemCopy {
                database: db.clone(),
                ids: m.ids.clone(),
                owners: m.owners.clone(),
                vectors: m.vectors.clone(),
            })
            .collect();
        let rows: Vec<(&str, SegmentRows)> = copies
            .iter()
            .map(|c| {
                let rows = SegmentRows {
                    ids: &c.ids,
                    owners: &c.owners,
                    vectors: &c.vectors,
                };
                (c.database.as_str(), rows)
            })
            .collect();
        self.add_segments(w, &rows, Some(()))
    }

    /// Writes `rows` as new segments and a manifest naming them; with `rotate_log`, also
    /// starts a new empty log and forgets the rows held in memory (they are in the new
    /// segments).
    fn add_segments(
        &self,
        w: &mut Writer,
        rows: &[(&str, SegmentRows)],
        rotate_log: Option<()>,
    ) -> Result<(), IndexError> {
        let mut new = Vec::new();
        let mut next_segment = w.next_segment;
        for (db, r) in rows {
            let name = format!("seg-{next_segment:08}.wbs");
            next_segment += 1;
            let path = self.dir.join(&name);
            self.guard(w, segment::write(&path, db, r, self.keys.as_deref()))?;
            new.push(Arc::new(self.guard(w, self.open_segment(&path))?));
        }
        let generation = w.generation + 1;
        let (wal_name, new_wal) = if rotate_log.is_some() {
            let name = format!("wal-{generation}.log");
            let path = self.dir.join(&name);
            let file = self.guard(
                w,
                waarborg_frames::open_for_append(&path, 0)
                    .map_err(io_err(format!("creating {}", path.display()))),
            )?;
            (name, Some(file))
        } else {
            (w.wal_name.clone(), None)
        };
        let mut st = self.write();
        let mut segments = st.segments.clone();
        segments.extend(new);
        let manifest = manifest_of(generation, next_segment, &wal_name, &segments);
        self.guard(w, write_manifest(&self.dir, &manifest))?;
        st.segments = segments;
        if let Some(file) = new_wal {
            st.mem.clear();
            st.mem_ids.clear();
            let old = std::mem::replace(&mut w.wal_name, wal_name);
            w.wal = file;
            w.wal_len = 0;
            let _ = std::fs::remove_file(self.dir.join(old));
        }
        w.generation = generation;
        w.next_segment = next_segment;
        Ok(())
    }

    /// A failed write leaves the index refusing changes until reopened (which repairs).
    fn guard<T>(&self, w: &mut Writer, r: Result<T, IndexError>) -> Result<T, IndexError> {
        if let Err(e) = &r {
            w.failed = Some(e.to_string());
        }
        r
    }

    fn open_segment(&self, path: &Path) -> Result<Segment, IndexError> {
        Segment::open(path, self.threads, self.keys.as_deref())
    }

    /// Erases deleted templates from the files: flushes the log, rewrites every segment
    /// that has deleted rows without them (and every one not encrypted under the current
    /// data key, after a rotation or when keys are first given), and removes the old files.
    /// Searches go on meanwhile; changes wait.
    pub fn compact(&self) -> Result<CompactReport, IndexError> {
        let mut w = self.writer()?;
        self.flush_locked(&mut w)?;
        let old: Vec<Arc<Segment>> = self.read().segments.clone();
        let mut report = CompactReport::default();
        let mut next_segment = w.next_segment;
        let mut segments = Vec::with_capacity(old.len());
        let mut retired = Vec::new();
        for seg in &old {
            let stale = is_stale(seg, self.keys.is_some());
            if seg.live() == seg.count() && !stale {
                segments.push(seg.clone());
                continue;
            }
            report.rewritten += 1;
            report.resealed += usize::from(stale);
            report.erased += seg.count() - seg.live();
            retired.push(seg.path().to_path_buf());
            if seg.live() == 0 {
                continue;
            }
            let mut ids = Vec::with_capacity(seg.live());
            let mut owners = Vec::with_capacity(seg.live());
            let mut vectors = Vec::with_capacity(seg.live() * DIM);
            for row in (0..seg.count()).filter(|&r| !seg.is_deleted(r)) {
                ids.push(seg.ids()[row]);
                owners.push(seg.owners()[row]);
                vectors.extend_from_slice(&self.guard(&mut w, seg.vector(row))?);
            }
            let name = format!("seg-{next_segment:08}.wbs");
            next_segment += 1;
            let path = self.dir.join(&name);
            let rows = SegmentRows {
                ids: &ids,
                owners: &owners,
                vectors: &vectors,
            };
            self.guard(
                &mut w,
                segment::write(&path, seg.database(), &rows, self.keys.as_deref()),
            )?;
            segments.push(Arc::new(self.guard(&mut w, self.open_segment(&path))?));
        }
        if report.rewritten == 0 {
            return Ok(report);
        }
        let generation = w.generation + 1;
        let manifest = manifest_of(generation, next_segment, &w.wal_name, &segments);
        {
            let mut st = self.write();
            self.guard(&mut w, write_manifest(&self.dir, &manifest))?;
            st.segments = segments;
        }
        w.generation = generation;
        w.next_segment = next_segment;
        // Unlinking is safe while searches still map the old files; the blocks are freed
        // when the last mapping goes.
        for path in retired {
            if std::fs::remove_file(&path).is_ok() {
                report.removed_files += 1;
            }
        }
        Ok(report)
    }

    /// The owner and database of a live template.
    pub fn get(&self, id: u64) -> Option<(u64, String)> {
        let st = self.read();
        if let Some((db, row)) = st.mem_ids.get(&id) {
            return st.mem.get(db).map(|m| (m.owners[*row], db.clone()));
        }
        st.segments.iter().find_map(|s| {
            s.find(id)
                .filter(|&r| !s.is_deleted(r))
                .map(|r| (s.owners()[r], s.database().to_string()))
        })
    }

    /// The ids of every live template (for reconciliation with the records that own them).
    pub fn live_ids(&self) -> Vec<u64> {
        let st = self.read();
        let mut ids: Vec<u64> = st.mem_ids.keys().copied().collect();
        for s in &st.segments {
            ids.extend(
                s.ids()
                    .iter()
                    .enumerate()
                    .filter(|&(row, _)| !s.is_deleted(row))
                    .map(|(_, &id)| id),
            );
        }
        ids
    }

    /// Sizes.
    pub fn stats(&self) -> IndexStats {
        let st = self.read();
        let mut stats = IndexStats {
            segments: st.segments.len(),
            in_memory: st.in_memory(),
            simd: crate::kernels::simd_level(),
            ..IndexStats::default()
        };
        for s in &st.segments {
            *stats.databases.entry(s.database().to_string()).or_default() += s.live();
            stats.awaiting_compaction += s.count() - s.live();
        }
        for (db, m) in &st.mem {
            *stats.databases.entry(db.clone()).or_default() += m.ids.len();
        }
        stats.templates = stats.databases.values().sum();
        stats
    }

    /// The top candidates for `query` (see [`search_batch`](Index::search_batch)).
    pub fn search(&self, query: &[f32], params: &SearchParams) -> Result<Vec<Hit>, IndexError> {
        let mut all = self.search_batch(&[query], params)?;
        Ok(all.pop().unwrap_or_default())
    }

    /// The top `k` candidates for each query: sorted by score (the f32 dot product), ties by
    /// template id; equal to brute-force f32 search over the live templates.
    pub fn search_batch(
        &self,
        queries: &[&[f32]],
        params: &SearchParams,
    ) -> Result<Vec<Vec<Hit>>, IndexError> {
        let prepared = queries
            .iter()
            .enumerate()
            .map(|(i, q)| {
                Query::new(q).map_err(|e| match e {
                    IndexError::BadVector(why) => {
                        IndexError::BadVector(format!("of query {i} {why}"))
                    }
                    other => other,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if params.k == 0 || prepared.is_empty() {
            return Ok(vec![Vec::new(); prepared.len()]);
        }
        let st = self.read();
        let wanted = |db: &str| {
            params
                .databases
                .as_ref()
                .is_none_or(|d| d.iter().any(|x| x == db))
        };
        let mut parts: Vec<Part> = Vec::new();
        for s in st
            .segments
            .iter()
            .filter(|s| wanted(s.database()) && s.live() > 0)
        {
            parts.push(Part {
                codes: s.codes(),
                scales: s.scales(),
                err_max: s.err_max,
                hat_max: s.hat_max,
                source: Source::Segment(s),
            });
        }
        for (db, m) in st
            .mem
            .iter()
            .filter(|(db, m)| wanted(db) && !m.ids.is_empty())
        {
            parts.push(Part {
                codes: &m.codes,
                scales: &m.scales,
                err_max: m.err_max,
                hat_max: m.hat_max,
                source: Source::Memory(db, m),
            });
        }
        let mut work = Vec::new();
        for (p, part) in parts.iter().enumerate() {
            let rows = part.scales.len();
            work.extend(
                (0..rows)
                    .step_by(CHUNK_ROWS)
                    .map(|s| (p, s, (s + CHUNK_ROWS).min(rows))),
            );
        }
        let bounds: Vec<Vec<f32>> = prepared
            .iter()
            .map(|q| {
                parts
                    .iter()
                    .map(|p| q.bound(p.err_max, p.hat_max))
                    .collect()
            })
            .collect();
        let threads = resolve_threads(if params.threads > 0 {
            params.threads
        } else {
            self.threads
        })
        .min(work.len())
        .max(1);
        let next = AtomicUsize::new(0);
        let scan = || {
            let mut collectors: Vec<Collector> = prepared
                .iter()
                .map(|_| Collector::new(params.k, params.min_score))
                .collect();
            let mut scores = vec![0i32; BLOCK_ROWS];
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(p, start, end)) = work.get(i) else {
                    break;
                };
                let part = &parts[p];
                let mut block = start;
                while block < end {
                    let stop = (block + BLOCK_ROWS).min(end);
                    let n = stop - block;
                    let codes = &part.codes[block * DIM..stop * DIM];
                    for (qi, q) in prepared.iter().enumerate() {
                        scores_i8(codes, q, &mut scores[..n]);
                        let scale = q.quant.scale;
                        let bound = bounds[qi][p];
                        let c = &mut collectors[qi];
                        for (j, &s) in scores[..n].iter().enumerate() {
                            let row = block + j;
                            let approx = s as f32 * (part.scales[row] * scale);
                            c.offer(approx, bound, p, row, |r| part.is_live(r));
                        }
                    }
                    block = stop;
                }
            }
            collectors
        };
        let per_thread: Vec<Vec<Collector>> = if threads == 1 {
            vec![scan()]
        } else {
            std::thread::scope(|s| {
                let handles: Vec<_> = (0..threads).map(|_| s.spawn(scan)).collect();
                handles.into_iter().filter_map(|h| h.join().ok()).collect()
            })
        };
        if per_thread.len() != threads {
            return Err(IndexError::Failed("a search thread panicked".into()));
        }
        let mut results = Vec::with_capacity(prepared.len());
        for (qi, q) in prepared.iter().enumerate() {
            let collectors: Vec<&Collector> = per_thread.iter().map(|c| &c[qi]).collect();
            results.push(rerank(&parts, q, params, &collectors)?);
        }
        Ok(results)
    }
}

enum Source<'a> {
    Segment(&'a Segment),
    Memory(&'a str, &'a MemRows),
}

struct Part<'a> {
    codes: &'a [i8],
    scales: &'a [f32],
    err_max: f32,
    hat_max: f32,
    source: Source<'a>,
}

impl Part<'_> {
    fn is_live(&self, row: usize) -> bool {
        match self.source {
            Source::Segment(s) => !s.is_deleted(row),
            Source::Memory(..) => true,
        }
    }
}

/// Score as a totally ordered key (scores are finite).
#[derive(Clone, Copy)]
struct Score(f32);
impl PartialEq for Score {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}
impl Eq for Score {}
impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Score {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// One thread's view of one query: the `k` best lower bounds seen, and every row whose
/// upper bound can still reach them.
struct Collector {
    k: usize,
    min_score: f32,
    /// Min-heap of the k largest lower bounds.
    lows: BinaryHeap<std::cmp::Reverse<Score>>,
    /// (upper bound, part, row)
    candidates: Vec<(f32, u32, u32)>,
    cut: f32,
}

impl Collector {
    fn new(k: usize, min_score: Option<f32>) -> Self {
        let min_score = min_score.unwrap_or(f32::NEG_INFINITY);
        Collector {
            k,
            min_score,
            lows: BinaryHeap::with_capacity(k + 1),
            candidates: Vec::new(),
            cut: min_score,
        }
    }

    #[inline]
    fn offer(
        &mut self,
        approx: f32,
        bound: f32,
        part: usize,
        row: usize,
        live: impl Fn(usize) -> bool,
    ) {
        let high = approx + bound;
        if high < self.cut || !live(row) {
            return;
        }
        self.candidates.push((high, part as u32, row as u32));
        let low = approx - bound;
        if self.lows.len() < self.k {
            self.lows.push(std::cmp::Reverse(Score(low)));
        } else if self.lows.peek().is_some_and(|m| low > m.0 .0) {
            self.lows.pop();
            self.lows.push(std::cmp::Reverse(Score(low)));
        } else {
            return;
        }
        if self.lows.len() == self.k {
            let kth = self.lows.peek().map_or(f32::NEG_INFINITY, |m| m.0 .0);
            self.cut = kth.max(self.min_score);
            if self.candidates.len() > 4 * self.k + 4096 {
                let cut = self.cut;
                self.candidates.retain(|c| c.0 >= cut);
            }
        }
    }
}

/// Merges the threads' collectors and ranks the survivors by their exact f32 score.
fn rerank(
    parts: &[Part],
    q: &Query,
    params: &SearchParams,
    collectors: &[&Collector],
) -> Result<Vec<Hit>, IndexError> {
    let mut lows: Vec<f32> = collectors
        .iter()
        .flat_map(|c| c.lows.iter().map(|r| r.0 .0))
        .collect();
    let min_score = params.min_score.unwrap_or(f32::NEG_INFINITY);
    let cut = if lows.len() >= params.k {
        lows.sort_unstable_by(|a, b| b.total_cmp(a));
        lows[params.k - 1].max(min_score)
    } else {
        min_score
    };
    // Best upper bound first: once K exact scores are known, a candidate whose upper bound
    // is below the K-th of them cannot enter (nor tie into) the top K, and neither can any
    // after it. This re-ranks about half the rows the scan's cut alone would, which
    // matters most when each row is decrypted from a sealed block.
    let mut candidates: Vec<(f32, u32, u32)> = collectors
        .iter()
        .flat_map(|c| c.candidates.iter().copied())
        .filter(|c| c.0 >= cut)
        .collect();
    candidates.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
    let mut best: BinaryHeap<std::cmp::Reverse<Score>> = BinaryHeap::with_capacity(params.k + 1);
    let mut hits = Vec::new();
    for (high, p, row) in candidates {
        if best.len() == params.k && best.peek().is_some_and(|kth| high < kth.0 .0) {
            break;
        }
        let (p, row) = (p as usize, row as usize);
        let (template, owner, database, vector) = match parts[p].source {
            Source::Segment(s) => (s.ids()[row], s.owners()[row], s.database(), s.vector(row)?),
            Source::Memory(db, m) => (
                m.ids[row],
                m.owners[row],
                db,
                Cow::Borrowed(&m.vectors[row * DIM..(row + 1) * DIM]),
            ),
        };
        let score = dot_f32(&vector, &q.vector);
        best.push(std::cmp::Reverse(Score(score)));
        if best.len() > params.k {
            best.pop();
        }
        if score >= min_score {
            hits.push(Hit {
                template,
                owner,
                database: database.to_string(),
                score,
            });
        }
    }
    hits.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.template.cmp(&b.template))
    });
    hits.truncate(params.k);
    Ok(hits)
}

/// Opens the segment `files` of `dir`, several at once (decrypting a sealed segment is one
/// sequential stream, so files, not chunks, are what threads share); in `files`' order.
fn open_segments(
    dir: &Path,
    files: &[&str],
    threads: usize,
    keys: Option<&Keyring>,
) -> Result<Vec<Segment>, IndexError> {
    let workers = threads.clamp(1, files.len().max(1));
    let per_segment = (threads / workers).max(1);
    let next = AtomicUsize::new(0);
    let mut opened: Vec<Option<Result<Segment, IndexError>>> =
        std::iter::repeat_with(|| None).take(files.len()).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(file) = files.get(i) else { break };
                        out.push((i, Segment::open(&dir.join(file), per_segment, keys)));
                    }
                    out
                })
            })
            .collect();
        for handle in handles {
            for (i, r) in handle.join().unwrap_or_default() {
                opened[i] = Some(r);
            }
        }
    });
    opened
        .into_iter()
        .zip(files)
        .map(|(r, file)| {
            r.unwrap_or_else(|| {
                Err(IndexError::Failed(format!(
                    "opening segment {file} did not finish"
                )))
            })
        })
        .collect()
}

/// Whether a segment should be rewritten to be encrypted under the current key.
fn is_stale(segment: &Segment, have_keys: bool) -> bool {
    have_keys && segment.sealing() != Sealing::Current
}

fn apply_delete(st: &mut State, id: u64) -> bool {
    if let Some((db, row)) = st.mem_ids.remove(&id) {
        if let Some(m) = st.mem.get_mut(&db) {
            if let Some(moved) = m.swap_remove(row) {
                st.mem_ids.insert(moved, (db, row));
            }
        }
        return true;
    }
    st.segments
        .iter()
        .any(|s| s.find(id).is_some_and(|r| s.delete(r)))
}

fn replay(st: &mut State, r: Record, wal: &Path) -> Result<(), IndexError> {
    match r {
        Record::Insert {
            id,
            owner,
            database,
            vector,
        } => {
            if st.contains(id) || check_database(&database).is_err() || validate(&vector).is_err() {
                return Err(IndexError::Corrupt {
                    file: wal.display().to_string(),
                    detail: format!("the logged insert of template {id} is invalid or a duplicate"),
                });
            }
            let mem = st.mem.entry(database.clone()).or_default();
            st.mem_ids.insert(id, (database, mem.ids.len()));
            mem.push(id, owner, &vector);
        }
        Record::Delete { id } => {
            apply_delete(st, id);
        }
        Record::Commit { .. } => {}
    }
    Ok(())
}

fn manifest_of(
    generation: u64,
    next_segment: u64,
    wal: &str,
    segments: &[Arc<Segment>],
) -> Manifest {
    Manifest {
        generation,
        next_segment,
        wal: wal.to_string(),
        segments: segments
            .iter()
            .map(|s| ManifestSegment {
                file: s
                    .path()
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default(),
                deleted: s.deleted_rows(),
            })
            .collect(),
    }
}

/// `MANIFEST` is `<crc32 of the JSON, 8 hex digits>\n<JSON>`, replaced atomically.
fn write_manifest(dir: &Path, m: &Manifest) -> Result<(), IndexError> {
    let json = serde_json::to_string(m).map_err(|e| IndexError::Io {
        context: "encoding the manifest".into(),
        source: std::io::Error::other(e),
    })?;
    let text = format!("{:08x}\n{json}", crc32fast::hash(json.as_bytes()));
    let tmp = dir.join("MANIFEST.tmp");
    let path = dir.join(MANIFEST);
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut f = File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        waarborg_frames::sync_parent(&path)
    };
    write().map_err(io_err(format!("writing {}", path.display())))
}

fn read_manifest(dir: &Path) -> Result<Option<Manifest>, IndexError> {
    let path = dir.join(MANIFEST);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // No manifest: a new index, unless segment files say otherwise.
            let has_segments = std::fs::read_dir(dir)
                .map_err(io_err(format!("listing {}", dir.display())))?
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("seg-"));
            if has_segments {
                return Err(IndexError::Corrupt {
                    file: path.display().to_string(),
                    detail: "missing, but segment files exist".into(),
                });
            }
            return Ok(None);
        }
        Err(e) => return Err(io_err(format!("reading {}", path.display()))(e)),
    };
    let corrupt = |detail: &str| IndexError::Corrupt {
        file: path.display().to_string(),
        detail: detail.to_string(),
    };
    let (crc, json) = text
        .split_once('\n')
        .ok_or_else(|| corrupt("no checksum line"))?;
    if u32::from_str_radix(crc, 16).ok() != Some(crc32fast::hash(json.as_bytes())) {
        return Err(corrupt("its checksum does not match"));
    }
    serde_json::from_str(json)
        .map(Some)
        .map_err(|_| corrupt("not a manifest"))
}
