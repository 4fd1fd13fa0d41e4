//! Room on disk: new work is refused while the data directory's file system has less free
//! than a reserve, so the disk never fills in the middle of a change.
//!
//! Why a reserve and not only error handling: a change writes in two places (the ledger's
//! entry, then the store's commit); with the last bytes gone the first can succeed and the
//! second fail, which the ledger must then void ([`App::commit`](crate::App::commit)). With
//! a reserve, a change is refused *before* anything is written, with a clear answer
//! (`insufficient_storage`, HTTP 507), and what still must be written — refusals, voids,
//! checkpoints — has the reserve to write into. Nothing to restart: the check is made per
//! change, so work is accepted again as soon as space returns.

use std::path::PathBuf;

use crate::AppError;

/// The free space kept on the data directory's file system.
#[derive(Debug, Clone)]
pub struct Reserve {
    /// The directory whose file system is checked (none: no check, for in-memory tests).
    dir: Option<PathBuf>,
    /// Bytes that must stay free.
    bytes: u64,
}

/// The default reserve: room for many thousands of ledger entries and the database's
/// journal, small beside any disk a service runs on.
pub const DEFAULT_RESERVE_BYTES: u64 = 64 * 1024 * 1024;

impl Reserve {
    /// Keep `bytes` free on the file system holding `dir`.
    pub fn of(dir: impl Into<PathBuf>, bytes: u64) -> Reserve {
        Reserve {
            dir: Some(dir.into()),
            bytes,
        }
    }

    /// No check (a store in memory, a test that is not about space).
    pub fn unchecked() -> Reserve {
        Reserve {
            dir: None,
            bytes: 0,
        }
    }

    /// Refuses new work when less than the reserve is free.
    pub fn check(&self) -> Result<(), AppError> {
        let Some(dir) = &self.dir else {
            return Ok(());
        };
        match fs4::available_space(dir) {
            Ok(free) if free < self.bytes => {
                tracing::warn!(
                    free,
                    reserve = self.bytes,
                    "new work refused: the data directory's disk is nearly full"
                );
                Err(AppError::Unavailable {
                    code: "insufficient_storage",
                    detail: format!(
                        "the data directory's disk has {} free, less than the {} kept in reserve; nothing was changed. Free space on {} (or give the service more); work is accepted again as soon as there is room",
                        mib(free),
                        mib(self.bytes),
                        dir.display()
                    ),
                })
            }
            Ok(_) => Ok(()),
            // A file system that cannot say: the writes themselves will tell.
            Err(e) => {
                tracing::warn!(error = %e, "the free space of the data directory is unknown");
                Ok(())
            }
        }
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reserve_larger_than_the_disk_refuses_and_a_small_one_does_not() {
        let dir = std::env::temp_dir();
        assert!(Reserve::of(&dir, 0).check().is_ok());
        assert!(Reserve::unchecked().check().is_ok());
        let e = Reserve::of(&dir, u64::MAX).check().unwrap_err();
        assert_eq!(e.code(), "insufficient_storage");
        assert!(e.to_string().contains("accepted again"), "{e}");
    }
}
