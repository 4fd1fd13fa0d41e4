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
    let mut problems = Vec::new();
    let mut tree = Tree::new();
    let mut payloads: Vec<u8> = Vec::new();
    let mut bounds: Vec<usize> = vec![0];
    let scan = frames::scan(&dir.join(ENTRIES_FILE), |_, p| {
        tree.push(leaf_hash(p));
        payloads.extend_from_slice(p);
        bounds.push(payloads.len());
    });
    let entry_count = match scan {
        Ok(s) => {
            if s.torn_bytes() > 0 {
                problems.push(Problem {
                    place: Place::Entry(s.offsets.len() as u64),
                    message: format!(
                        "{} bytes after the last whole entry: a torn or damaged tail",
                        s.torn_bytes()
                    ),
                });
            }
            s.offsets.len() as u64
        }
        Err(ScanError::Corrupt(c)) => {
            problems.push(Problem {
                place: Place::Entry(c.record),
                message: format!(
                    "damaged on disk: {}; nothing after it can be trusted",
                    c.why
                ),
            });
            c.record
        }
        Err(ScanError::Io(source)) => {
            return Err(LedgerError::Io {
                context: format!("reading {ENTRIES_FILE}"),
                source,
            })
        }
    };
    if entry_count == 0 {
        problems.push(Problem {
            place: Place::Entry(0),
            message: "the log is empty: no genesis entry".into(),
        });
    }

    // Entry checks are independent given the tree: spread them over the cores.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let chunk = (entry_count as usize).div_ceil(threads).max(1);
    let (entry_problems, key_events): (Vec<Problem>, Vec<(u64, Event)>) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..entry_count as usize)
            .step_by(chunk)
            .map(|start| {
                let (tree, payloads, bounds) = (&tree, &payloads, &bounds);
                s.spawn(move || {
                    let mut found = Vec::new();
                    let mut keys = Vec::new();
                    for i in start..(start + chunk).min(entry_count as usize) {
                        let bytes = &payloads[bounds[i]..bounds[i + 1]];
                        check_entry(i as u64, bytes, tree, &mut found, &mut keys);
                    }
                    (found, keys)
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).fold(
            (Vec::new(), Vec::new()),
            |(mut p, mut k), (fp, fk)| {
                p.extend(fp);
                k.extend(fk);
                (p, k)
            },
        )
    });
    problems.extend(entry_problems);

    // The key chain, in order.
    let mut keys: Vec<(u64, NoteVerifier)> = Vec::new();
    let mut origin = String::new();
    let mut key_source = KeySource::Genesis;
    for (index, event) in key_events {
        match event {
            Event::Genesis { origin: o, key } => match NoteVerifier::parse(&key) {
                Ok(v) => {
                    if let Some(t) = trusted {
                        if *t == v {
                            key_source = KeySource::Trusted;
                        } else {
                            problems.push(Problem {
                                place: Place::Entry(index),
                                message: format!("the genesis key {v} is not the trusted key {t}"),
                            });
                        }
                    }
                    origin = o;
                    keys.push((index, v));
                }
                Err(e) => problems.push(Problem {
                    place: Place::Entry(index),
                    message: format!("genesis key: {e}"),
                }),
            },
            Event::KeyRotation { new_key, signature } => {
                let Some((_, previous)) = keys.last() else {
                    problems.push(Problem {
                        place: Place::Entry(index),
                        message: "a key rotation before any genesis key".into(),
                    });
                    continue;
                };
                let signed = B64.decode(&signature).ok().is_some_and(|sig| {
                    previous
                        .verify_raw(rotation_message(&origin, &new_key).as_bytes(), &sig)
                        .is_ok()
                });
                match (signed, NoteVerifier::parse(&new_key)) {
                    (true, Ok(v)) => keys.push((index, v)),
                    _ => problems.push(Problem {
                        place: Place::Entry(index),
                        message: "key rotation not signed by the previous key (or the new key is malformed)".into(),
                    }),
                }
            }
            _ => {}
        }
    }

    // Checkpoints.
    let mut notes: Vec<Vec<u8>> = Vec::new();
    match frames::scan(&dir.join(CHECKPOINTS_FILE), |_, p| notes.push(p.to_vec())) {
        Ok(s) if s.torn_bytes() > 0 => problems.push(Problem {
            place: Place::Checkpoint(s.offsets.len() as u64),
            message: format!(
                "{} bytes after the last whole checkpoint: a torn or damaged tail",
                s.torn_bytes()
            ),
        }),
        Ok(_) => {}
        Err(ScanError::Corrupt(c)) => problems.push(Problem {
            place: Place::Checkpoint(c.record),
            message: format!("damaged on disk: {}", c.why),
        }),
        Err(ScanError::Io(source)) => {
            return Err(LedgerError::Io {
                context: format!("reading {CHECKPOINTS_FILE}"),
                source,
            })
        }
    }
    let mut previous: Option<Checkpoint> = None;
    for (j, raw) in notes.iter().enumerate() {
        let place = Place::Checkpoint(j as u64);
        let note = String::from_utf8_lossy(raw);
        let Ok(claimed) = Checkpoint::parse_body(note.split("\n\n").next().unwrap_or_default())
        else {
            problems.push(Problem {
                place,
                message: "not a checkpoint".into(),
            });
            continue;
        };
        let Some((_, key)) = keys.iter().rev().find(|(at, _)| *at < claimed.size) else {
            problems.push(Problem {
                place,
                message: format!("size {} precedes every known key", claimed.size),
            });
            continue;
        };
        let cp = match Checkpoint::open(&note, key, &origin) {
            Ok(cp) => cp,
            Err(e) => {
                problems.push(Problem {
                    place,
                    message: format!("signature or form: {e}"),
                });
                continue;
            }
        };
        if cp.size > entry_count {
            problems.push(Problem {
                place: Place::Entry(entry_count),
                message: format!(
                    "checkpoint #{j} covers {} entries but the log has {entry_count}: entries from {entry_count} on were removed",
                    cp.size
                ),
            });
            continue;
        }
        let root = tree.root(cp.size).unwrap_or_default();
        if root != cp.root {
            let named = cp.size.saturating_sub(1);
            let since = previous.as_ref().map_or(0, |p| p.size);
            problems.push(Problem {
                place: Place::Entry(named),
                message: format!(
                    "checkpoint #{j} (size {}) was signed over other entries: entry {named} was altered \
                     (or entries {since}..{} were rewritten together with their chain)",
                    cp.size, cp.size
                ),
            });
            continue;
        }
        if let Some(p) = &previous {
            if cp.size < p.size {
                problems.push(Problem {
                    place,
                    message: format!(
                        "size {} is smaller than the previous checkpoint's {}",
                        cp.size, p.size
                    ),
                });
                continue;
            }
            if p.size > 0 {
                let proof = tree.consistency_proof(p.size, cp.size).unwrap_or_default();
                if let Err(e) = verify_consistency(p.size, cp.size, &p.root, &cp.root, &proof) {
                    problems.push(Problem {
                        place,
                        message: format!("not consistent with checkpoint #{}: {e}", j - 1),
                    });
                    continue;
                }
            }
        }
        previous = Some(cp);
    }

    problems.sort_by_key(|p| p.place);
    Ok(VerifyReport {
        entries: entry_count,
        checkpoints: notes.len() as u64,
        keys: keys.iter().map(|(i, k)| (*i, k.to_string())).collect(),
        key_source,
        root: tree.root(entry_count).unwrap_or_default(),
        latest_verified_checkpoint: previous,
        problems,
    })
}

fn check_entry(
    i: u64,
    bytes: &[u8],
    tree: &Tree,
    problems: &mut Vec<Problem>,
    keys: &mut Vec<(u64, Event)>,
) {
    let mut problem = |place: u64, message: String| {
        problems.push(Problem {
            place: Place::Entry(place),
            message,
        })
    };
    let entry = match Entry::from_bytes(bytes) {
        Ok(e) => e,
        Err(e) => return problem(i, e.to_string()),
    };
    if entry.index != i {
        let (named, what) = if entry.index > i {
            (i, "entries were removed or reordered before it")
        } else {
            (entry.index, "entries were inserted or reordered")
        };
        return problem(
            named,
            format!(
                "the entry at position {i} says it is entry {}: {what}",
                entry.index
            ),
        );
    }
    let recorded: Option<Hash> = B64
        .decode(&entry.prev_root)
        .ok()
        .and_then(|r| r.try_into().ok());
    if recorded != tree.root(i).ok() {
        let named = i.saturating_sub(1);
        return problem(
            named,
            format!("entry {i} recorded another tree before it: entry {named} was altered (or entry {i}'s record of it)"),
        );
    }
    match (&entry.event, i) {
        (Event::Genesis { .. }, 0) | (Event::KeyRotation { .. }, 1..) => {
            keys.push((i, entry.event))
        }
        (Event::Genesis { .. }, _) => problem(i, "a genesis entry after the start".into()),
        (_, 0) => problem(0, "the first entry is not a genesis entry".into()),
        _ => {}
    }
}
