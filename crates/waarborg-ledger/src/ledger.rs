//! The writable ledger: durable appends with group commit, signed checkpoints, proofs.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

use crate::entry::{rotation_message, Entry, Event, InvalidEntry, SCHEMA_VERSION};
use crate::merkle::{leaf_hash, Hash, ProofError, Tree};
use crate::note::{Checkpoint, NoteError, NoteSigner, NoteVerifier};
use crate::snapshot::scan_error;
use waarborg_frames as frames;

/// File holding the entries.
pub const ENTRIES_FILE: &str = "entries.log";
/// File holding the signed checkpoints.
pub const CHECKPOINTS_FILE: &str = "checkpoints.log";
/// The writer's lock file (an advisory lock held while a ledger is open).
pub const LOCK_FILE: &str = "writer.lock";

/// Everything that can go wrong with the ledger.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// A file operation failed. After a failed write the ledger cuts back to its durable
    /// entries at the next write and goes on when it can (see [`LedgerError::Failed`]).
    #[error("ledger I/O failed ({context}): {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: io::Error,
    },
    /// A write failed; the operation is refused. The next write first cuts the ledger back
    /// to its durable entries and, if that succeeds, goes on: no restart needed once the
    /// cause (a full disk) is gone.
    #[error("the ledger cannot be written ({0}); the operation is refused. Writing resumes by itself once the cause (e.g. a full disk) is fixed")]
    Failed(String),
    /// The files are damaged other than by a crash.
    #[error("the ledger's {file} is corrupt: {detail}; run `waarborg audit verify` and restore from a verified copy")]
    Corrupt {
        /// Which file.
        file: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// The event is malformed.
    #[error(transparent)]
    Invalid(#[from] InvalidEntry),
    /// A key or note problem.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// A proof request out of range.
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// The clock is behind the ledger's last entry by more than [`CLOCK_TOLERANCE`]: an
    /// entry would be timed before an earlier one. Nothing is written; set the clock right.
    #[error("the clock ({now}) is behind the ledger's last entry ({last}) by more than {} s; nothing is written until the system clock is set right", CLOCK_TOLERANCE.as_secs())]
    ClockBehind {
        /// The clock.
        now: String,
        /// The last entry's time.
        last: String,
    },
    /// Another process has the ledger open for writing.
    #[error("the ledger in {dir} is open in another process ({why}): a running service? Stop it, or do this through the service")]
    InUse {
        /// The ledger's directory.
        dir: String,
        /// What the lock said.
        why: String,
    },
    /// The signing key given is not the one the ledger's history says is in force.
    #[error("the signing key {given} is not the ledger's current key {current}; use that key, or rotate to a new one with the current key")]
    WrongKey {
        /// The key offered.
        given: String,
        /// The key in force.
        current: String,
    },
}

fn io_err(context: impl Into<String>) -> impl FnOnce(io::Error) -> LedgerError {
    let context = context.into();
    move |source| LedgerError::Io { context, source }
}

/// What opening found and repaired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenReport {
    /// Entries in the log.
    pub entries: u64,
    /// Signed checkpoints kept.
    pub checkpoints: u64,
    /// Bytes of a torn entry tail that were cut off (a crash mid-write; never acknowledged).
    pub truncated_entry_bytes: u64,
    /// Bytes of a torn checkpoint tail that were cut off.
    pub truncated_checkpoint_bytes: u64,
}

/// Proof that an entry is durable: where it is and what it hashes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Its index.
    pub index: u64,
    /// Its RFC 9162 leaf hash.
    pub leaf_hash: Hash,
    /// The time the ledger recorded.
    pub time: String,
}

/// A checkpoint and the signed note that carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// The parsed checkpoint.
    pub checkpoint: Checkpoint,
    /// The signed note, as stored and published.
    pub note: String,
}

/// A signing key and the entry index that announced it; it signs checkpoints of sizes
/// greater than that index.
struct Epoch {
    announced_at: u64,
    verifier: NoteVerifier,
    signer: Option<NoteSigner>,
}

struct State {
    entries: File,
    checkpoints: File,
    /// Header offset of each entry, plus the end of the last one.
    offsets: Vec<u64>,
    tree: Tree,
    durable: u64,
    syncing: bool,
    failed: Option<String>,
    /// Counts recoveries: a waiter whose entry was written before one was not kept.
    generation: u64,
    /// The end of the last whole checkpoint record.
    checkpoints_end: u64,
    /// Tests: the next entry write fails as a full disk would.
    #[cfg(any(test, feature = "fault-injection"))]
    fail_next_write: bool,
    epochs: Vec<Epoch>,
    latest: Option<SignedCheckpoint>,
    /// The time of the last entry written: the next is never earlier.
    last_time: Option<std::time::SystemTime>,
}

impl State {
    fn written(&self) -> u64 {
        self.tree.size()
    }

    fn epoch_for(&self, size: u64) -> Option<&Epoch> {
        self.epochs.iter().rev().find(|e| e.announced_at < size)
    }
}

/// The append-only audit ledger in one directory.
///
/// ```no_run
/// use waarborg_ledger::{Event, Ledger, NoteSigner, GovernanceDecision};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let signer = NoteSigner::generate("police.example/waarborg")?;
/// let (ledger, _report) = Ledger::open("data/ledger".as_ref(), signer)?;
/// let receipt = ledger.append(Event::GovernanceDecision(GovernanceDecision {
///     actor: "chief-1".into(),
///     role: "chief_of_police".into(),
///     action: "ratify".into(),
///     subject: "deployment catch revision 3".into(),
///     reason: "positive committee advice, preconditions met".into(),
///     framework_version: Some("inzetkader-2024.1".into()),
///     about: None,
/// }))?;
/// let signed = ledger.checkpoint()?; // covers the entry above
/// assert!(signed.checkpoint.size > receipt.index);
/// # Ok(()) }
/// ```
pub struct Ledger {
    dir: PathBuf,
    origin: String,
    state: Mutex<State>,
    durable_changed: Condvar,
    /// A second handle on the entry file, so fsync runs without holding the lock.
    sync_handle: File,
    /// A read handle for fetching entries.
    read_handle: File,
    /// Group-commit counters, for the service's metrics.
    syncs: AtomicU64,
    synced_entries: AtomicU64,
    sync_nanos: AtomicU64,
    /// The writer's exclusive lock on the directory, held while the ledger is open.
    _writer: File,
}

/// How the group commit has gone since the ledger was opened: the mean group size is
/// `synced_entries / syncs`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncStats {
    /// fsyncs of the entry log that made entries durable.
    pub syncs: u64,
    /// Entries those fsyncs made durable.
    pub synced_entries: u64,
    /// Time spent in those fsyncs, in nanoseconds.
    pub sync_nanos: u64,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("dir", &self.dir)
            .field("origin", &self.origin)
            .finish()
    }
}

impl Ledger {
    /// Opens (or creates) the ledger in `dir`, signing with `signer`, whose name is the
    /// log's origin. A new ledger starts with a genesis entry announcing the key. A torn
    /// tail left by a crash is cut off and reported; corruption elsewhere is refused.
    pub fn open(dir: &Path, signer: NoteSigner) -> Result<(Self, OpenReport), LedgerError> {
        fs::create_dir_all(dir).map_err(io_err(format!("creating {}", dir.display())))?;
        // One writer: its group commit, tree and offsets are its own. A second process (a
        // second service, a command-line write while the service runs) is refused.
        let lock_path = dir.join(LOCK_FILE);
        let writer = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err(format!("opening {}", lock_path.display())))?;
        if let Err(e) = writer.try_lock() {
            return Err(LedgerError::InUse {
                dir: dir.display().to_string(),
                why: e.to_string(),
            });
        }
        let entries_path = dir.join(ENTRIES_FILE);
        let checkpoints_path = dir.join(CHECKPOINTS_FILE);

        let mut tree = Tree::new();
        let mut key_events: Vec<(u64, Vec<u8>)> = Vec::new();
        let scan = frames::scan(&entries_path, |i, payload| {
            tree.push(leaf_hash(payload));
            // Only the key history is needed to open; the verifier parses everything.
            if payload.windows(8).any(|w| w == b"\"kind\":\"")
                && (contains(payload, b"\"genesis\"") || contains(payload, b"\"key_rotation\""))
            {
                key_events.push((i, payload.to_vec()));
            }
        })
        .map_err(|e| scan_error(e, ENTRIES_FILE))?;
        let mut checkpoint_notes = Vec::new();
        let cp_scan = frames::scan(&checkpoints_path, |_, payload| {
            checkpoint_notes.push(payload.to_vec())
        })
        .map_err(|e| scan_error(e, CHECKPOINTS_FILE))?;
        // Never cut below a signed checkpoint: what a checkpoint covers was whole when it
        // was signed, so a record missing or broken under it is damage, not a torn tail.
        // Checked before anything is cut.
        // The last checkpoint's note and body, parsed once: the floor here, opened below.
        let last_checkpoint = match checkpoint_notes.last() {
            Some(last) => {
                let note = String::from_utf8_lossy(last).into_owned();
                let body = Checkpoint::parse_body(note.split("\n\n").next().unwrap_or_default())?;
                Some((note, body))
            }
            None => None,
        };
        if let Some((_, signed)) = &last_checkpoint {
            let whole = scan.offsets.len() as u64;
            if whole < signed.size {
                return Err(LedgerError::Corrupt {
                    file: ENTRIES_FILE,
                    detail: format!(
                        "a checkpoint is signed over {} entries, but only the first {whole} records are whole (up to byte {} of {}): record {whole} at byte {} is damaged or the file was cut. Nothing was cut or signed; restore {ENTRIES_FILE} from a backup or a witness's copy (see `waarborg audit verify`)",
                        signed.size,
                        scan.valid_end,
                        scan.file_len,
                        scan.valid_end,
                    ),
                });
            }
        }

        for (file, torn) in [
            (ENTRIES_FILE, scan.torn_bytes()),
            (CHECKPOINTS_FILE, cp_scan.torn_bytes()),
        ] {
            if torn > 0 {
                // Past every whole record and every signed checkpoint: what a crash left
                // half-written. Cut, and said.
                tracing::warn!(file, bytes = torn, "cut a torn tail left by a crash");
            }
        }
        let entries = open_append(&entries_path, scan.valid_end)?;
        let checkpoints = open_append(&checkpoints_path, cp_scan.valid_end)?;
        let mut offsets = scan.offsets.clone();
        offsets.push(scan.valid_end);

        let origin = signer.name().to_string();
        let epochs = key_history(&key_events, &origin)?;
        let ledger_state = State {
            entries,
            checkpoints,
            offsets,
            durable: tree.size(),
            tree,
            syncing: false,
            failed: None,
            generation: 0,
            checkpoints_end: cp_scan.valid_end,
            #[cfg(any(test, feature = "fault-injection"))]
            fail_next_write: false,
            epochs,
            latest: None,
            last_time: last_entry_time(&entries_path, &scan)?,
        };
        if let Some(last) = ledger_state.last_time {
            entry_time(last, std::time::SystemTime::now())?;
        }
        let sync_handle = ledger_state
            .entries
            .try_clone()
            .map_err(io_err("duplicating the entry file handle"))?;
        let read_handle = File::open(&entries_path)
            .map_err(io_err(format!("opening {}", entries_path.display())))?;
        let ledger = Self {
            dir: dir.to_path_buf(),
            origin,
            state: Mutex::new(ledger_state),
            durable_changed: Condvar::new(),
            sync_handle,
            read_handle,
            syncs: AtomicU64::new(0),
            synced_entries: AtomicU64::new(0),
            sync_nanos: AtomicU64::new(0),
            _writer: writer,
        };
        {
            let mut st = ledger.lock();
            if let Some((note, body)) = last_checkpoint {
                let verifier = st
                    .epoch_for(body.size)
                    .map(|e| e.verifier.clone())
                    .ok_or_else(|| LedgerError::Corrupt {
                        file: CHECKPOINTS_FILE,
                        detail: format!("checkpoint of size {} precedes any key", body.size),
                    })?;
                let checkpoint = Checkpoint::open(&note, &verifier, &ledger.origin)?;
                st.latest = Some(SignedCheckpoint { checkpoint, note });
            }
            match st.epochs.last() {
                None => {}
                Some(current) if current.verifier == signer.verifier() => {}
                Some(current) => {
                    return Err(LedgerError::WrongKey {
                        given: signer.verifier().to_string(),
                        current: current.verifier.to_string(),
                    })
                }
            }
            if let Some(e) = st.epochs.last_mut() {
                e.signer = Some(signer.clone());
            }
        }
        let report = OpenReport {
            entries: scan.offsets.len() as u64,
            checkpoints: checkpoint_notes.len() as u64,
            truncated_entry_bytes: scan.torn_bytes(),
            truncated_checkpoint_bytes: cp_scan.torn_bytes(),
        };
        if report.entries == 0 {
            let key = signer.verifier().to_string();
            ledger.append_inner(
                Event::Genesis {
                    origin: ledger.origin.clone(),
                    key,
                },
                Some(signer),
            )?;
        }
        Ok((ledger, report))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The log's origin (the first line of every checkpoint).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The directory holding the files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Number of durable entries.
    pub fn size(&self) -> u64 {
        self.lock().durable
    }

    /// The verifier key in force for checkpoints of the current size.
    pub fn current_key(&self) -> Option<NoteVerifier> {
        self.lock().epochs.last().map(|e| e.verifier.clone())
    }

    /// Appends an event and returns once it is durable on disk (fsync). Concurrent callers
    /// share one fsync (group commit). If anything cannot be written, the call fails and
    /// the ledger refuses it, and the next write first cuts back to the durable entries.
    pub fn append(&self, event: Event) -> Result<Receipt, LedgerError> {
        refuse_own_kinds(&event)?;
        self.append_inner(event, None)
    }

    /// Appends several events and returns once all are durable, with one fsync for the
    /// lot (a retention run's receipts, a batch of enrolments). All are validated before any
    /// is written; a write failure fails the call and the ledger, as for [`append`](Self::append).
    pub fn append_all(&self, events: &[Event]) -> Result<Vec<Receipt>, LedgerError> {
        for event in events {
            refuse_own_kinds(event)?;
            event.validate()?;
        }
        let Some(last) = events.len().checked_sub(1) else {
            return Ok(Vec::new());
        };
        let mut st = self.lock();
        let mut receipts = Vec::with_capacity(events.len());
        for event in events {
            receipts.push(Self::write_locked(&mut st, event.clone(), None)?);
        }
        self.wait_durable(st, receipts[last].index)?;
        Ok(receipts)
    }

    fn append_inner(
        &self,
        event: Event,
        new_signer: Option<NoteSigner>,
    ) -> Result<Receipt, LedgerError> {
        event.validate()?;
        let mut st = self.lock();
        let receipt = Self::write_locked(&mut st, event, new_signer)?;
        self.wait_durable(st, receipt.index)?;
        Ok(receipt)
    }

    /// Writes one validated entry (not yet durable: see [`wait_durable`](Self::wait_durable)).
    fn write_locked(
        st: &mut State,
        event: Event,
        new_signer: Option<NoteSigner>,
    ) -> Result<Receipt, LedgerError> {
        recover(st)?;
        let index = st.written();
        if let Event::Void { entries, .. } = &event {
            if let Some(later) = entries.iter().find(|e| **e >= index) {
                return Err(InvalidEntry {
                    field: "entries",
                    problem: format!("entry {later} is not before this one ({index})"),
                }
                .into());
            }
        }
        let time = match st.last_time {
            Some(last) => entry_time(last, std::time::SystemTime::now())?,
            None => std::time::SystemTime::now(),
        };
        let entry = Entry {
            v: SCHEMA_VERSION,
            index,
            time: humantime::format_rfc3339_millis(time).to_string(),
            prev_root: B64.encode(st.tree.root(index)?),
            event,
        };
        let bytes = entry.to_bytes();
        let record = frames::frame(&bytes);
        #[cfg(any(test, feature = "fault-injection"))]
        let injected = std::mem::take(&mut st.fail_next_write);
        #[cfg(not(any(test, feature = "fault-injection")))]
        let injected = false;
        let written = if injected {
            st.entries
                .write_all(&record[..record.len() / 2])
                .and(Err(io::Error::from(io::ErrorKind::StorageFull)))
        } else {
            st.entries.write_all(&record)
        };
        if let Err(e) = written {
            // Leave no half-written record behind when the file still lets us shrink it
            // (e.g. a full disk); if not, the next write's `recover` cuts it.
            let whole = st.offsets.last().copied().unwrap_or(0);
            let tidied = st.entries.set_len(whole).is_ok();
            let why = format!(
                "writing entry {index}: {e}{}",
                if tidied {
                    ""
                } else {
                    "; the next write cuts the torn record first"
                }
            );
            st.failed = Some(why.clone());
            return Err(LedgerError::Failed(why));
        }
        st.last_time = Some(time);
        let leaf = leaf_hash(&bytes);
        st.tree.push(leaf);
        let end = st.offsets.last().copied().unwrap_or(0) + record.len() as u64;
        st.offsets.push(end);
        if let (
            Event::Genesis { key, .. } | Event::KeyRotation { new_key: key, .. },
            Some(signer),
        ) = (&entry.event, new_signer)
        {
            st.epochs.push(Epoch {
                announced_at: index,
                verifier: NoteVerifier::parse(key)?,
                signer: Some(signer),
            });
        }
        Ok(Receipt {
            index,
            leaf_hash: leaf,
            time: entry.time,
        })
    }

    /// Group commit: one caller fsyncs for everyone whose record was written before the
    /// fsync started; the others wait for it.
    fn wait_durable<'a>(
        &'a self,
        mut st: MutexGuard<'a, State>,
        index: u64,
    ) -> Result<(), LedgerError> {
        let generation = st.generation;
        loop {
            if st.generation != generation {
                // A write failed after this entry and the ledger recovered by cutting what
                // was not durable, this entry with it: it was never kept.
                return Err(LedgerError::Failed(format!(
                    "entry {index} was not kept: a write failed before it was on disk"
                )));
            }
            if st.durable > index {
                return Ok(());
            }
            if let Some(why) = &st.failed {
                return Err(LedgerError::Failed(why.clone()));
            }
            if st.syncing {
                st = self
                    .durable_changed
                    .wait(st)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            st.syncing = true;
            let upto = st.written();
            drop(st);
            let started = std::time::Instant::now();
            let synced = self.sync_handle.sync_data();
            let nanos = started.elapsed().as_nanos().min(u128::from(u64::MAX)) as u64;
            st = self.lock();
            st.syncing = false;
            match synced {
                Ok(()) => {
                    self.syncs.fetch_add(1, Ordering::Relaxed);
                    self.synced_entries
                        .fetch_add(upto.saturating_sub(st.durable), Ordering::Relaxed);
                    self.sync_nanos.fetch_add(nanos, Ordering::Relaxed);
                    st.durable = st.durable.max(upto);
                }
                Err(e) => st.failed = Some(format!("fsync of the entry log: {e}")),
            }
            self.durable_changed.notify_all();
        }
    }

    /// The group commit's counters since the ledger was opened.
    pub fn sync_stats(&self) -> SyncStats {
        SyncStats {
            syncs: self.syncs.load(Ordering::Relaxed),
            synced_entries: self.synced_entries.load(Ordering::Relaxed),
            sync_nanos: self.sync_nanos.load(Ordering::Relaxed),
        }
    }

    /// Replaces the signing key: appends a key-rotation entry announcing `new_signer`,
    /// signed by the key in force. Checkpoints covering that entry are signed by the new key.
    pub fn rotate_key(&self, new_signer: NoteSigner) -> Result<Receipt, LedgerError> {
        if new_signer.name() != self.origin {
            return Err(NoteError::BadKey(format!(
                "the new key must be named after the origin {:?}",
                self.origin
            ))
            .into());
        }
        let new_key = new_signer.verifier().to_string();
        let signature = {
            let st = self.lock();
            let current = st
                .epochs
                .last()
                .and_then(|e| e.signer.as_ref())
                .ok_or_else(|| NoteError::BadKey("the ledger holds no signing key".into()))?;
            B64.encode(current.sign_raw(rotation_message(&self.origin, &new_key).as_bytes()))
        };
        self.append_inner(Event::KeyRotation { new_key, signature }, Some(new_signer))
    }

    /// Signs and stores a checkpoint of all durable entries (or returns the latest one if
    /// nothing was added since). The checkpoint is durable when this returns.
    pub fn checkpoint(&self) -> Result<SignedCheckpoint, LedgerError> {
        let mut st = self.lock();
        recover(&mut st)?;
        let size = st.durable;
        if let Some(latest) = &st.latest {
            if latest.checkpoint.size == size {
                return Ok(latest.clone());
            }
        }
        let checkpoint = Checkpoint {
            origin: self.origin.clone(),
            size,
            root: st.tree.root(size)?,
        };
        let signer = st
            .epoch_for(size)
            .and_then(|e| e.signer.clone())
            .ok_or_else(|| {
                NoteError::BadKey(format!(
                    "no signing key held for a checkpoint of size {size}"
                ))
            })?;
        let note = signer.sign_note(&checkpoint.body())?;
        let record = frames::frame(note.as_bytes());
        let written = st
            .checkpoints
            .write_all(&record)
            .and_then(|()| st.checkpoints.sync_data());
        if let Err(e) = written {
            let why = format!("writing a checkpoint: {e}");
            st.failed = Some(why.clone());
            return Err(LedgerError::Failed(why));
        }
        st.checkpoints_end += record.len() as u64;
        let signed = SignedCheckpoint { checkpoint, note };
        st.latest = Some(signed.clone());
        Ok(signed)
    }

    /// The latest stored checkpoint, if any.
    pub fn latest_checkpoint(&self) -> Option<SignedCheckpoint> {
        self.lock().latest.clone()
    }

    /// Fault injection for tests (feature `fault-injection`): the next entry write fails
    /// half way, as on a full disk.
    #[cfg(any(test, feature = "fault-injection"))]
    pub fn fail_next_write(&self) {
        self.lock().fail_next_write = true;
    }

    /// The leaf hash of durable entry `index` (none past the end).
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        let st = self.lock();
        (index < st.durable).then(|| st.tree.leaf(index)).flatten()
    }

    /// The canonical bytes of entry `index`.
    pub fn entry(&self, index: u64) -> Result<Vec<u8>, LedgerError> {
        let (start, end) = {
            let st = self.lock();
            if index >= st.durable {
                return Err(ProofError::OutOfRange(format!(
                    "entry {index}; the log has {}",
                    st.durable
                ))
                .into());
            }
            (st.offsets[index as usize], st.offsets[index as usize + 1])
        };
        let mut buf = vec![0u8; (end - start) as usize];
        self.read_handle
            .read_exact_at(&mut buf, start)
            .map_err(io_err(format!("reading entry {index}")))?;
        Ok(buf.split_off(8))
    }

    /// RFC 9162 root of the first `size` entries.
    pub fn root(&self, size: u64) -> Result<Hash, LedgerError> {
        let st = self.lock();
        check_durable(&st, size)?;
        Ok(st.tree.root(size)?)
    }

    /// Inclusion proof of entry `index` in the tree of `size` entries.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LedgerError> {
        let st = self.lock();
        check_durable(&st, size)?;
        Ok(st.tree.inclusion_proof(index, size)?)
    }

    /// Consistency proof between the trees of `first` and `second` entries.
    pub fn consistency_proof(&self, first: u64, second: u64) -> Result<Vec<Hash>, LedgerError> {
        let st = self.lock();
        check_durable(&st, second)?;
        Ok(st.tree.consistency_proof(first, second)?)
    }

    /// Starts a thread that signs a checkpoint every `every` while entries were added. It
    /// stops when the returned handle is dropped or the ledger is gone.
    pub fn checkpoint_every(self: &Arc<Self>, every: Duration) -> CheckpointSchedule {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let ledger: Weak<Ledger> = Arc::downgrade(self);
        let thread = std::thread::spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every)
            {
                match ledger.upgrade() {
                    Some(l) => {
                        // A failure is already recorded in the ledger's state and refuses
                        // appends; the schedule simply tries again next time.
                        let _ = l.checkpoint();
                    }
                    None => break,
                }
            }
        });
        CheckpointSchedule {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

/// Handle of the checkpoint schedule; dropping it stops the thread.
pub struct CheckpointSchedule {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for CheckpointSchedule {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// After a failed write, makes the ledger writable again where it can, without a restart:
/// both files are cut back to what was durable (entries nobody was told were kept; a torn
/// record) and synced, and the tree, offsets and keys forget the rest. If the cause is still
/// there (the disk still full), the cut may fail or the next write fail again — the ledger
/// stays refused and says why, with nothing half-written. Never cuts a durable entry, so
/// never anything a checkpoint covers.
fn recover(st: &mut State) -> Result<(), LedgerError> {
    let Some(why) = st.failed.clone() else {
        return Ok(());
    };
    if st.syncing {
        // An fsync is in flight for entries that may be cut: wait for its outcome.
        return Err(LedgerError::Failed(why));
    }
    let durable = st.durable;
    let end = st.offsets[durable as usize];
    let cut = st
        .entries
        .set_len(end)
        .and_then(|()| st.entries.sync_all())
        .and_then(|()| st.checkpoints.set_len(st.checkpoints_end))
        .and_then(|()| st.checkpoints.sync_all());
    if let Err(e) = cut {
        return Err(LedgerError::Failed(format!(
            "{why}; cutting back to the {durable} durable entries failed too: {e}"
        )));
    }
    let dropped = st.written() - durable;
    st.tree.truncate(durable);
    st.offsets.truncate(durable as usize + 1);
    st.epochs.retain(|e| e.announced_at < durable);
    st.generation += 1;
    st.failed = None;
    tracing::warn!(
        after = %why,
        entries = durable,
        dropped,
        "the ledger is writable again: cut back to its durable entries"
    );
    Ok(())
}

fn check_durable(st: &State, size: u64) -> Result<(), LedgerError> {
    if size > st.durable {
        return Err(ProofError::OutOfRange(format!(
            "size {size}; the log has {} durable entries",
            st.durable
        ))
        .into());
    }
    Ok(())
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// How far the clock may be behind the last entry: within it the new entry takes the last
/// entry's time (an NTP step, a leap second), beyond it nothing is written.
pub const CLOCK_TOLERANCE: Duration = Duration::from_secs(2);

/// The time of an entry written at `now` after one written at `last`: `now`, or `last`
/// when the clock is at most [`CLOCK_TOLERANCE`] behind it (times never go back); refused
/// when it is further behind.
fn entry_time(
    last: std::time::SystemTime,
    now: std::time::SystemTime,
) -> Result<std::time::SystemTime, LedgerError> {
    match last.duration_since(now) {
        Err(_) => Ok(now),
        Ok(behind) if behind <= CLOCK_TOLERANCE => Ok(last),
        Ok(_) => Err(LedgerError::ClockBehind {
            now: humantime::format_rfc3339_millis(now).to_string(),
            last: humantime::format_rfc3339_millis(last).to_string(),
        }),
    }
}

/// The time of the last whole entry of the log `path` scanned as `scan`.
fn last_entry_time(
    path: &Path,
    scan: &frames::Scan,
) -> Result<Option<std::time::SystemTime>, LedgerError> {
    let Some(&at) = scan.offsets.last() else {
        return Ok(None);
    };
    let start = at + 8;
    let mut bytes = vec![0u8; scan.valid_end.saturating_sub(start) as usize];
    File::open(path)
        .and_then(|f| f.read_exact_at(&mut bytes, start))
        .map_err(io_err(format!(
            "reading the last entry of {}",
            path.display()
        )))?;
    // An entry that does not parse is the verifier's to name; its time is then unknown.
    Ok(Entry::from_bytes(&bytes)
        .ok()
        .and_then(|e| humantime::parse_rfc3339(&e.time).ok()))
}

/// Opens a file for appending after cutting it to `valid_end` (removing a torn tail).
fn open_append(path: &Path, valid_end: u64) -> Result<File, LedgerError> {
    frames::open_for_append(path, valid_end)
        .map_err(io_err(format!("opening {} for appending", path.display())))
}

/// Rebuilds the chain of signing keys from the genesis and rotation entries.
fn key_history(events: &[(u64, Vec<u8>)], origin: &str) -> Result<Vec<Epoch>, LedgerError> {
    let corrupt = |detail: String| LedgerError::Corrupt {
        file: ENTRIES_FILE,
        detail,
    };
    let mut epochs: Vec<Epoch> = Vec::new();
    for (index, bytes) in events {
        let Ok(entry) = Entry::from_bytes(bytes) else {
            continue;
        };
        match entry.event {
            Event::Genesis { origin: o, key } => {
                if *index != 0 {
                    return Err(corrupt(format!("a genesis entry at index {index}")));
                }
                if o != origin {
                    return Err(corrupt(format!(
                        "the log's origin is {o:?}, the signing key is named {origin:?}"
                    )));
                }
                epochs.push(Epoch {
                    announced_at: 0,
                    verifier: NoteVerifier::parse(&key)?,
                    signer: None,
                });
            }
            Event::KeyRotation { new_key, signature } => {
                let previous = epochs
                    .last()
                    .ok_or_else(|| corrupt(format!("key rotation at {index} before genesis")))?;
                let sig = B64.decode(&signature).map_err(|_| {
                    corrupt(format!("key rotation at {index}: signature is not base64"))
                })?;
                previous
                    .verifier
                    .verify_raw(rotation_message(origin, &new_key).as_bytes(), &sig)
                    .map_err(|_| {
                        corrupt(format!(
                            "key rotation at {index} is not signed by the previous key"
                        ))
                    })?;
                epochs.push(Epoch {
                    announced_at: *index,
                    verifier: NoteVerifier::parse(&new_key)?,
                    signer: None,
                });
            }
            _ => {}
        }
    }
    Ok(epochs)
}

/// Genesis and key-rotation entries are written by the ledger itself, never by callers.
fn refuse_own_kinds(event: &Event) -> Result<(), LedgerError> {
    if let Event::Void { entries, .. } = event {
        // Only what is there can be voided; the entry's index is checked against the log
        // when it is written.
        if entries.contains(&0) {
            return Err(InvalidEntry {
                field: "entries",
                problem: "the genesis entry cannot be voided".into(),
            }
            .into());
        }
    }
    if matches!(event, Event::Genesis { .. } | Event::KeyRotation { .. }) {
        return Err(InvalidEntry {
            field: "kind",
            problem: "genesis and key rotation entries are written by the ledger itself".into(),
        }
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GovernanceDecision;

    fn decision(n: usize) -> Event {
        Event::GovernanceDecision(GovernanceDecision {
            actor: format!("member-{n}"),
            role: "review_committee".into(),
            action: "assess".into(),
            subject: format!("deployment proposal {n}"),
            reason: "proportionate".into(),
            framework_version: None,
            about: None,
        })
    }

    /// A full disk in the middle of a record: that append fails, the half record is cut,
    /// and the next append goes on in the same process — no reopen — with a log that
    /// verifies and holds exactly the acknowledged entries.
    #[test]
    fn after_a_failed_write_the_ledger_writes_again_without_a_restart() {
        let dir =
            std::env::temp_dir().join(format!("waarborg-ledger-recover-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let signer = NoteSigner::from_seed("police.example/recover", [3; 32]).unwrap();
        let (ledger, _) = Ledger::open(&dir, signer.clone()).unwrap();
        ledger.append(decision(1)).unwrap();
        ledger.checkpoint().unwrap();
        ledger.fail_next_write();
        let e = ledger.append(decision(2)).unwrap_err();
        assert!(matches!(e, LedgerError::Failed(_)), "{e}");
        assert_eq!(ledger.size(), 2);
        // No restart: the next write cuts what was not kept and succeeds.
        let r = ledger.append(decision(3)).unwrap();
        assert_eq!(r.index, 2, "the failed entry's place is taken by the next");
        ledger.checkpoint().unwrap();
        drop(ledger);
        let report = crate::verify(&dir, Some(&signer.verifier())).unwrap();
        assert!(report.is_ok(), "{:?}", report.problems);
        assert_eq!(report.entries, 3);
        let (again, opened) = Ledger::open(&dir, signer).unwrap();
        assert_eq!(
            opened.truncated_entry_bytes, 0,
            "nothing half-written was left"
        );
        assert_eq!(again.size(), 3);
        let _ = fs::remove_dir_all(&dir);
    }
}
