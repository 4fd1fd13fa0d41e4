//! The audit ledger: every biometric operation and governance decision on an append-only
//! log that outsiders can verify without trusting the operator.
//!
//! * [`entry`]: what an entry records — typed, versioned, canonical JSON, no biometric data.
//! * [`merkle`]: RFC 9162 tree hashing, inclusion and consistency proofs and their checks.
//! * [`note`]: C2SP `tlog-checkpoint`s signed as C2SP signed notes with Ed25519.
//! * [`Ledger`]: durable appends (fsync, group commit), checkpoints, key rotation, proofs.
//! * [`verify()`]: the auditor's full check of a ledger directory.
//! * [`keys`]: loading the signing key from a 0600 file or the environment.
//!
//! Architecture invariant: an append returns only after its entry is on disk; if the
//! ledger cannot be written the append fails and so must the operation it records (log
//! first). The crate knows nothing of faces, cases or deployments beyond the entry schema.

pub mod entry;
pub mod keys;
mod ledger;
pub mod merkle;
pub mod note;
mod snapshot;
mod verify;

pub use crate::entry::{
    About, BiometricOperation, Consultation, DeletionReceipt, Entry, Event, GovernanceDecision,
    Operation, Refusal,
};
pub use crate::ledger::{
    CheckpointSchedule, Ledger, LedgerError, OpenReport, Receipt, SignedCheckpoint, SyncStats,
    CHECKPOINTS_FILE, ENTRIES_FILE, LOCK_FILE,
};
pub use crate::note::{Checkpoint, NoteSigner, NoteVerifier};
pub use crate::snapshot::Snapshot;
pub use crate::verify::{verify, KeySource, Place, Problem, Verifier, VerifyReport};
