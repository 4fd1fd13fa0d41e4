//! The auditor's check of a ledger directory: what `waarborg audit verify` runs.
//!
//! It trusts nothing in the directory except what the trusted public key signed. It
//! re-derives the Merkle tree from every entry, checks each entry's form, position and
//! chain to the entries before it, follows the key history (each rotation signed by the
//! previous key), checks every stored checkpoint's signature and root, and the consistency
//! between consecutive checkpoints. Every problem is reported with its place; the first bad
//! entry is named.

use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

use crate::entry::{rotation_message, Entry, Event};
use crate::ledger::{LedgerError, CHECKPOINTS_FILE, ENTRIES_FILE};
use crate::merkle::{leaf_hash, verify_consistency, Hash, Tree};
use crate::note::{Checkpoint, NoteVerifier};
use waarborg_frames::{self as frames, ScanError};

/// Where a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    /// An entry, by index (position in the log).
    Entry(u64),
    /// A stored checkpoint, by its number in the checkpoint file.
    Checkpoint(u64),
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Entry(i) => write!(f, "entry {i}"),
            Place::Checkpoint(j) => write!(f, "checkpoint #{j}"),
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where.
    pub place: Place,
    /// What is wrong, in words.
    pub message: String,
}

/// Which key the verification started from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A key the auditor supplied and that matches the genesis entry.
    Trusted,
    /// The genesis entry's own key: proves internal consistency only.
    Genesis,
}

/// The outcome of a verification.
#[derive(Debug, Clone)]
pub struct VerifyReport {
    /// Entries read.
    pub entries: u64,
    /// Checkpoints read.
    pub checkpoints: u64,
    /// The key chain, oldest first, with the index of the announcing entry.
    pub keys: Vec<(u64, String)>,
    /// Where trust started.
    pub key_source: KeySource,
    /// The root over all entries.
    pub root: Hash,
    /// The latest checkpoint that verified, if any.
    pub latest_verified_checkpoint: Option<Checkpoint>,
    /// All problems, ordered by place.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// No problems at all.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The first bad entry, if any problem names one.
    pub fn first_bad_entry(&self) -> Option<u64> {
        self.problems.iter().find_map(|p| match p.place {
            Place::Entry(i) => Some(i),
            Place::Checkpoint(_) => None,
        })
    }
}

/// Verifies the ledger in `dir`. `trusted` is the checkpoint-signing key the auditor
/// obtained independently; without it the genesis entry's key is used and the report says
/// so. Only unreadable files are errors; everything else is a [`Problem`].
pub fn verify(dir: &Path, trusted: Option<&NoteVerifier>) -> Result<VerifyReport, LedgerError> {
    Verifier::new(trusted).advance(dir, None)
}

/// A verification carried forward: [`Verifier::advance`] reads only what was appended since
/// its last call — the new entries (checked against the tree it keeps, chained to the
/// entries before them) and the new checkpoints (signature, root, and consistency with the
/// last verified checkpoint) — so a service can keep its ledger verified at a cost that
/// grows with the new entries, not the whole ledger.
///
/// What it cannot see: an old entry changed in place after it was verified (the bytes it
/// already read are not read again; only the last verified entry is re-read, and a file
/// shorter than what was verified is named). A full [`verify`] finds those; run one now and
/// then (the service does daily) and whenever an outsider audits.
#[derive(Debug, Clone)]
pub struct Verifier {
    trusted: Option<NoteVerifier>,
    tree: Tree,
    /// Byte offset of the last verified entry (where the next call's scan starts), and of
    /// the end of the verified checkpoints.
    last_entry_at: u64,
    checkpoints_end: u64,
    checkpoints: u64,
    keys: Vec<(u64, NoteVerifier)>,
    origin: String,
    key_source: KeySource,
    previous: Option<Checkpoint>,
    /// The time of the last verified entry: the next must not be earlier.
    last_time: Option<String>,
    /// Problems found so far: once a ledger fails to verify, it stays failed.
    problems: Vec<Problem>,
}

impl Verifier {
    /// A verifier that has read nothing yet.
    pub fn new(trusted: Option<&NoteVerifier>) -> Verifier {
        Verifier {
            trusted: trusted.cloned(),
            tree: Tree::new(),
            last_entry_at: 0,
            last_time: None,
            checkpoints_end: 0,
            checkpoints: 0,
            keys: Vec::new(),
            origin: String::new(),
            key_source: KeySource::Genesis,
            previous: None,
            problems: Vec::new(),
        }
    }

    /// Entries verified so far.
    pub fn size(&self) -> u64 {
        self.tree.size()
    }

    /// Reads and checks what was appended to the ledger in `dir` since the last call, and
    /// returns the report over everything read so far. `live`: the number of entries the
    /// writer has made durable (`Ledger::size`) when the ledger is being written meanwhile —
    /// then nothing beyond it is read, a half-written record after it is no problem, and a
    /// checkpoint beyond it waits for the next call. `None` for a ledger at rest, where a
    /// torn tail and a checkpoint beyond the entries are problems.
    pub fn advance(&mut self, dir: &Path, live: Option<u64>) -> Result<VerifyReport, LedgerError> {
        let mut passing = Vec::new();
        if self.problems.is_empty() {
            self.advance_entries(dir, live, &mut passing)?;
        }
        if self.problems.is_empty() {
            self.advance_checkpoints(dir, live, &mut passing)?;
        }
        let mut problems = self.problems.clone();
        problems.extend(passing);
        let entries = self.tree.size();
        if entries == 0 && live.is_none() {
            problems.push(Problem {
                place: Place::Entry(0),
                message: "the log is empty: no genesis entry".into(),
            });
        }
        problems.sort_by_key(|p| p.place);
        Ok(VerifyReport {
            entries,
            checkpoints: self.checkpoints,
            keys: self.keys.iter().map(|(i, k)| (*i, k.to_string())).collect(),
            key_source: self.key_source.clone(),
            root: self.tree.root(entries).unwrap_or_default(),
            latest_verified_checkpoint: self.previous.clone(),
            problems,
        })
    }

    fn problem(&mut self, place: Place, message: String) {
        self.problems.push(Problem { place, message });
    }

    /// The new entries: read from where the last call ended, each checked against the tree.
    /// A torn tail goes into `passing` (reported now, not kept: a ledger at rest keeps it,
    /// and a later call reads the record once it is whole).
    fn advance_entries(
        &mut self,
        dir: &Path,
        live: Option<u64>,
        passing: &mut Vec<Problem>,
    ) -> Result<(), LedgerError> {
        let path = dir.join(ENTRIES_FILE);
        let verified = self.tree.size();
        // One scan from the last verified entry: it must still be what it was (a cheap guard
        // against a rewritten or cut tail; a full verification guards the rest), and the
        // entries after it are the new ones.
        let skip = u64::from(verified > 0);
        let mut again = None;
        let wanted = live.map(|n| n.saturating_sub(verified));
        let mut payloads: Vec<u8> = Vec::new();
        let mut bounds: Vec<usize> = vec![0];
        let mut taken = 0u64;
        let tree = &mut self.tree;
        let scan = frames::scan_from(&path, self.last_entry_at, verified - skip, |n, p| {
            if n < verified {
                again = Some(leaf_hash(p));
            } else if wanted.is_none_or(|w| taken < w) {
                tree.push(leaf_hash(p));
                payloads.extend_from_slice(p);
                bounds.push(payloads.len());
                taken += 1;
            }
        });
        let scan = match scan {
            Err(ScanError::Io(source)) => {
                return Err(LedgerError::Io {
                    context: format!("reading {ENTRIES_FILE}"),
                    source,
                })
            }
            Err(ScanError::Corrupt(c)) => Err(c),
            Ok(s) => Ok(s),
        };
        if verified > 0 && again != self.tree.leaf(verified - 1) {
            self.problem(
                Place::Entry(verified - 1),
                format!(
                    "entry {} changed (or was removed) after it was verified",
                    verified - 1
                ),
            );
            return Ok(());
        }
        match scan {
            Ok(s) => {
                if s.torn_bytes() > 0 && live.is_none() {
                    passing.push(Problem {
                        place: Place::Entry(verified + s.offsets.len() as u64 - skip),
                        message: format!(
                            "{} bytes after the last whole entry: a torn or damaged tail",
                            s.torn_bytes()
                        ),
                    });
                }
                // The verified part now ends with the last entry taken.
                if taken > 0 {
                    self.last_entry_at = s.offsets[(skip + taken - 1) as usize];
                }
            }
            Err(c) => self.problem(
                Place::Entry(c.record),
                format!(
                    "damaged on disk: {}; nothing after it can be trusted",
                    c.why
                ),
            ),
        }
        self.check_entries(verified, &payloads, &bounds);
        Ok(())
    }

    /// Checks entries `first..` (their bytes in `payloads`, split at `bounds`) against the
    /// tree, spread over the cores, then follows the key history they announce.
    fn check_entries(&mut self, first: u64, payloads: &[u8], bounds: &[usize]) {
        let count = bounds.len() - 1;
        if count == 0 {
            return;
        }
        // Entry checks are independent given the tree: spread them over the cores.
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8);
        let chunk = count.div_ceil(threads).max(1);
        let tree = &self.tree;
        // Each chunk also checks that its entries' times never go back, and hands over its
        // first and last time so that the seams between chunks are checked in order.
        type Times = Option<((u64, String), (u64, String))>;
        type Checked = (Vec<Problem>, Vec<(u64, Event)>, Times);
        let chunks: Vec<Checked> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..count)
                .step_by(chunk)
                .map(|start| {
                    s.spawn(move || {
                        let mut found = Vec::new();
                        let mut keys = Vec::new();
                        let mut times: Times = None;
                        for i in start..(start + chunk).min(count) {
                            let index = first + i as u64;
                            let bytes = &payloads[bounds[i]..bounds[i + 1]];
                            let Some(time) = check_entry(index, bytes, tree, &mut found, &mut keys)
                            else {
                                continue;
                            };
                            times = match times {
                                None => Some(((index, time.clone()), (index, time))),
                                Some((head, before)) => {
                                    if time < before.1 {
                                        found.push(backwards(index, &time, &before));
                                    }
                                    Some((head, (index, time)))
                                }
                            };
                        }
                        (found, keys, times)
                    })
                })
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        });
        let mut before = self.last_time.take().map(|t| (first.saturating_sub(1), t));
        let mut key_events = Vec::new();
        for (found, keys, times) in chunks {
            self.problems.extend(found);
            key_events.extend(keys);
            if let Some((head, tail)) = times {
                if let Some(b) = &before {
                    if head.1 < b.1 {
                        self.problems.push(backwards(head.0, &head.1, b));
                    }
                }
                before = Some(tail);
            }
        }
        self.last_time = before.map(|(_, t)| t);
        for (index, event) in key_events {
            self.key_event(index, event);
        }
    }

    /// The key chain, in order: the genesis key (matched against the trusted key), then
    /// each rotation signed by the key before it.
    fn key_event(&mut self, index: u64, event: Event) {
        match event {
            Event::Genesis { origin, key } => match NoteVerifier::parse(&key) {
                Ok(v) => {
                    if let Some(t) = &self.trusted {
                        if *t == v {
                            self.key_source = KeySource::Trusted;
                        } else {
                            let message = format!("the genesis key {v} is not the trusted key {t}");
                            self.problem(Place::Entry(index), message);
                        }
                    }
                    self.origin = origin;
                    self.keys.push((index, v));
                }
                Err(e) => self.problem(Place::Entry(index), format!("genesis key: {e}")),
            },
            Event::KeyRotation { new_key, signature } => {
                let Some((_, previous)) = self.keys.last() else {
                    self.problem(
                        Place::Entry(index),
                        "a key rotation before any genesis key".into(),
                    );
                    return;
                };
                let signed = B64.decode(&signature).ok().is_some_and(|sig| {
                    previous
                        .verify_raw(rotation_message(&self.origin, &new_key).as_bytes(), &sig)
                        .is_ok()
                });
                match (signed, NoteVerifier::parse(&new_key)) {
                    (true, Ok(v)) => self.keys.push((index, v)),
                    _ => self.problem(
                        Place::Entry(index),
                        "key rotation not signed by the previous key (or the new key is malformed)"
                            .into(),
                    ),
                }
            }
            _ => {}
        }
    }

    /// The new checkpoints: each signed by the key of its time, over the root of the entries
    /// it covers, consistent with the checkpoint before it.
    fn advance_checkpoints(
        &mut self,
        dir: &Path,
        live: Option<u64>,
        passing: &mut Vec<Problem>,
    ) -> Result<(), LedgerError> {
        let mut notes: Vec<(u64, Vec<u8>)> = Vec::new();
        let path = dir.join(CHECKPOINTS_FILE);
        let first = self.checkpoints;
        match frames::scan_from(&path, self.checkpoints_end, first, |_, p| {
            notes.push((0, p.to_vec()))
        }) {
            Ok(s) => {
                if s.file_len < self.checkpoints_end {
                    self.problem(
                        Place::Checkpoint(first),
                        format!("the checkpoints from #{first} on were removed after they were verified"),
                    );
                    return Ok(());
                }
                if s.torn_bytes() > 0 && live.is_none() {
                    passing.push(Problem {
                        place: Place::Checkpoint(first + s.offsets.len() as u64),
                        message: format!(
                            "{} bytes after the last whole checkpoint: a torn or damaged tail",
                            s.torn_bytes()
                        ),
                    });
                }
                for (note, offset) in notes.iter_mut().zip(&s.offsets) {
                    note.0 = *offset;
                }
            }
            Err(ScanError::Corrupt(c)) => {
                self.problem(
                    Place::Checkpoint(c.record),
                    format!("damaged on disk: {}", c.why),
                );
                notes.truncate((c.record - first) as usize);
            }
            Err(ScanError::Io(source)) => {
                return Err(LedgerError::Io {
                    context: format!("reading {CHECKPOINTS_FILE}"),
                    source,
                })
            }
        }
        let entry_count = self.tree.size();
        for (offset, raw) in notes {
            let j = self.checkpoints;
            let place = Place::Checkpoint(j);
            let note = String::from_utf8_lossy(&raw).to_string();
            let claimed = Checkpoint::parse_body(note.split("\n\n").next().unwrap_or_default());
            if let (Ok(c), Some(_)) = (&claimed, live) {
                if c.size > entry_count {
                    // Signed over entries appended after this call read the log: next time.
                    break;
                }
            }
            self.checkpoints += 1;
            self.checkpoints_end = offset + FRAME_HEADER + raw.len() as u64;
            let Ok(claimed) = claimed else {
                self.problem(place, "not a checkpoint".into());
                continue;
            };
            let Some((_, key)) = self.keys.iter().rev().find(|(at, _)| *at < claimed.size) else {
                self.problem(
                    place,
                    format!("size {} precedes every known key", claimed.size),
                );
                continue;
            };
            let cp = match Checkpoint::open(&note, key, &self.origin) {
                Ok(cp) => cp,
                Err(e) => {
                    self.problem(place, format!("signature or form: {e}"));
                    continue;
                }
            };
            if cp.size > entry_count {
                self.problem(
                    Place::Entry(entry_count),
                    format!(
                        "checkpoint #{j} covers {} entries but the log has {entry_count}: entries from {entry_count} on were removed",
                        cp.size
                    ),
                );
                continue;
            }
            let root = self.tree.root(cp.size).unwrap_or_default();
            if root != cp.root {
                let named = cp.size.saturating_sub(1);
                let since = self.previous.as_ref().map_or(0, |p| p.size);
                self.problem(
                    Place::Entry(named),
                    format!(
                        "checkpoint #{j} (size {}) was signed over other entries: entry {named} was altered \
                         (or entries {since}..{} were rewritten together with their chain)",
                        cp.size, cp.size
                    ),
                );
                continue;
            }
            if let Some(p) = &self.previous {
                if cp.size < p.size {
                    let message = format!(
                        "size {} is smaller than the previous checkpoint's {}",
                        cp.size, p.size
                    );
                    self.problem(place, message);
                    continue;
                }
                if p.size > 0 {
                    let proof = self
                        .tree
                        .consistency_proof(p.size, cp.size)
                        .unwrap_or_default();
                    if let Err(e) = verify_consistency(p.size, cp.size, &p.root, &cp.root, &proof) {
                        let message = format!(
                            "not consistent with checkpoint #{}: {e}",
                            j.saturating_sub(1)
                        );
                        self.problem(place, message);
                        continue;
                    }
                }
            }
            self.previous = Some(cp);
        }
        Ok(())
    }
}

/// Bytes of a record's header (length and CRC-32) before its payload.
const FRAME_HEADER: u64 = 8;

/// An entry timed before the one before it: the clock went back.
fn backwards(index: u64, time: &str, before: &(u64, String)) -> Problem {
    Problem {
        place: Place::Entry(index),
        message: format!(
            "entry {index} is timed {time}, before entry {} ({}): the clock went back",
            before.0, before.1
        ),
    }
}

/// Checks entry `i`; its time, when it parses.
fn check_entry(
    i: u64,
    bytes: &[u8],
    tree: &Tree,
    problems: &mut Vec<Problem>,
    keys: &mut Vec<(u64, Event)>,
) -> Option<String> {
    let mut problem = |place: u64, message: String| {
        problems.push(Problem {
            place: Place::Entry(place),
            message,
        })
    };
    let entry = match Entry::from_bytes(bytes) {
        Ok(e) => e,
        Err(e) => {
            problem(i, e.to_string());
            return None;
        }
    };
    let time = entry.time.clone();
    if entry.index != i {
        let (named, what) = if entry.index > i {
            (i, "entries were removed or reordered before it")
        } else {
            (entry.index, "entries were inserted or reordered")
        };
        problem(
            named,
            format!(
                "the entry at position {i} says it is entry {}: {what}",
                entry.index
            ),
        );
        return None;
    }
    let recorded: Option<Hash> = B64
        .decode(&entry.prev_root)
        .ok()
        .and_then(|r| r.try_into().ok());
    if recorded != tree.root(i).ok() {
        let named = i.saturating_sub(1);
        problem(
            named,
            format!("entry {i} recorded another tree before it: entry {named} was altered (or entry {i}'s record of it)"),
        );
        return None;
    }
    match (&entry.event, i) {
        (Event::Genesis { .. }, 0) | (Event::KeyRotation { .. }, 1..) => {
            keys.push((i, entry.event))
        }
        (Event::Genesis { .. }, _) => problem(i, "a genesis entry after the start".into()),
        (_, 0) => problem(0, "the first entry is not a genesis entry".into()),
        _ => {}
    }
    Some(time)
}
