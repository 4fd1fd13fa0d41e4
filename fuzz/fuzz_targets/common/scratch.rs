//! Where the targets that read files write their input.

use std::path::{Path, PathBuf};

/// A directory in memory where there is one (the code under test fsyncs; a disk would make
/// each run slow), else the temporary directory.
pub fn dir() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}
