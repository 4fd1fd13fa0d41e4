//! A read-only view of a ledger directory, for auditors and the command line: entries,
//! the tree over them and the stored checkpoints, without the signing key and without
//! changing a byte.

use std::path::Path;

use crate::ledger::{LedgerError, CHECKPOINTS_FILE, ENTRIES_FILE};
use crate::merkle::{leaf_hash, Hash, Tree};
use crate::note::{Checkpoint, NoteError};
use waarborg_frames::{self as frames, ScanError};

/// Entries, tree and checkpoint notes as they are on disk (a torn tail is ignored).
pub struct Snapshot {
    entries: Vec<Vec<u8>>,
    tree: Tree,
    checkpoints: Vec<String>,
}

impl Snapshot {
    /// Reads the ledger in `dir`. Damage in the middle of a file is an error.
    pub fn read(dir: &Path) -> Result<Self, LedgerError> {
        let mut entries = Vec::new();
        let mut tree = Tree::new();
        frames::scan(&dir.join(ENTRIES_FILE), |_, p| {
            tree.push(leaf_hash(p));
            entries.push(p.to_vec());
        })
        .map_err(|e| scan_error(e, ENTRIES_FILE))?;
        let mut checkpoints = Vec::new();
        frames::scan(&dir.join(CHECKPOINTS_FILE), |_, p| {
            checkpoints.push(String::from_utf8_lossy(p).into_owned())
        })
        .map_err(|e| scan_error(e, CHECKPOINTS_FILE))?;
        Ok(Self {
            entries,
            tree,
            checkpoints,
        })
    }

    /// Number of entries.
    pub fn size(&self) -> u64 {
        self.tree.size()
    }

    /// The canonical bytes of entry `index`.
    pub fn entry(&self, index: u64) -> Option<&[u8]> {
        self.entries
            .get(usize::try_from(index).ok()?)
            .map(Vec::as_slice)
    }

    /// The tree over all entries.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// The latest stored checkpoint note and its (unverified) body.
    pub fn latest_checkpoint(&self) -> Result<Option<(String, Checkpoint)>, NoteError> {
        let Some(note) = self.checkpoints.last() else {
            return Ok(None);
        };
        let body = Checkpoint::parse_body(note.split("\n\n").next().unwrap_or_default())?;
        Ok(Some((note.clone(), body)))
    }

    /// Root over the first `size` entries.
    pub fn root(&self, size: u64) -> Result<Hash, LedgerError> {
        Ok(self.tree.root(size)?)
    }
}

pub(crate) fn scan_error(e: ScanError, file: &'static str) -> LedgerError {
    match e {
        ScanError::Io(source) => LedgerError::Io {
            context: format!("reading {file}"),
            source,
        },
        ScanError::Corrupt(c) => LedgerError::Corrupt {
            file,
            detail: c.to_string(),
        },
    }
}
