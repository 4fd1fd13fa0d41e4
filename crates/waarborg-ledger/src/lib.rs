//! The audit ledger (placeholder while the modules land).
pub mod entry;
pub mod merkle;
pub mod note;
