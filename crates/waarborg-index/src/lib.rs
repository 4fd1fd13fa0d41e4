//! The reference index: templates of reference images on disk, exact 1:N search, and
//! erasure that removes the bytes.
//!
//! * [`Index`]: open a directory, [`insert`](Index::insert) and [`delete`](Index::delete)
//!   durably, [`search`](Index::search) one probe or [`search_batch`](Index::search_batch)
//!   many, [`compact`](Index::compact) to erase deleted templates from the files.
//! * Storage: immutable, checksummed, memory-mapped segment files (one reference database
//!   each, see [`segment`]) plus a write-ahead log of recent inserts and deletions (framed
//!   records, fsynced before a call returns) and a `MANIFEST` naming the live files,
//!   replaced atomically.
//! * Search is **exact**: an int8 scan (AVX2 when the CPU has it) bounds every row's score,
//!   every row that could reach the top K is re-ranked with its f32 template, and the
//!   result equals brute-force f32 search ([`quant`] proves the bound). Ties are broken by
//!   template id.
//!
//! ```
//! use waarborg_index::{Index, IndexConfig, NewTemplate, SearchParams, DIM};
//!
//! let dir = std::env::temp_dir().join(format!("waarborg-index-doc-{}", std::process::id()));
//! let (index, _) = Index::open(&dir, IndexConfig::default())?;
//! let mut v = vec![0f32; DIM];
//! v[0] = 1.0;
//! index.insert("criminal", &[NewTemplate { id: 7, owner: 70, vector: &v }])?;
//! let hits = index.search(&v, &SearchParams::top(5))?;
//! assert_eq!((hits[0].template, hits[0].owner), (7, 70));
//! index.delete(&[7])?;
//! assert!(index.search(&v, &SearchParams::top(5))?.is_empty());
//! # drop(index); std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), waarborg_index::IndexError>(())
//! ```
//!
//! Architecture invariant: the index knows templates, owners and database names only — no
//! persons, cases or images; whether a search may run is decided before it is called.

mod index;
pub mod kernels;
pub mod quant;
pub mod segment;
// Public for the fuzz targets (fuzz/), which read a log as found on disk.
pub mod wal;

pub use crate::index::{
    CompactReport, DeleteReport, Hit, Index, IndexConfig, IndexStats, NewTemplate, OpenReport,
    SearchParams,
};
pub use crate::quant::DIM;

/// Everything that can go wrong with the index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// A file operation failed. After a failed write the index refuses further changes
    /// until it is reopened.
    #[error("index I/O failed ({context}): {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An earlier write failed; nothing more is changed until the index is reopened.
    #[error("the index cannot be written ({0}); the change is refused. Reopen the index once the cause is fixed")]
    Failed(String),
    /// A file is damaged; results from it would be wrong, so it is not used.
    #[error(
        "the index file {file} is corrupt: {detail}; restore the index from a backup or re-enrol"
    )]
    Corrupt {
        /// Which file.
        file: String,
        /// What is wrong.
        detail: String,
    },
    /// A vector is not a template.
    #[error("not a template: the vector {0}")]
    BadVector(String),
    /// A template id is already in the index (or twice in one call).
    #[error("template id {0} is already in the index")]
    DuplicateId(u64),
    /// A reference database name is not allowed.
    #[error("reference database name {0:?} must be 1–63 characters of a–z, 0–9, '_' and '-'")]
    BadDatabase(String),
    /// More rows than one segment can hold.
    #[error("{0} templates in one segment; at most 4294967295")]
    TooLarge(usize),
}
