//! A framed record log (the ledger's entries.log and checkpoints.log, the index's log) as
//! found on disk: whole records, a torn tail, or corruption named — and a ledger directory
//! holding it opened or refused, never cut below what it verified.
#![no_main]
#[path = "common/scratch.rs"]
mod scratch;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = scratch::dir().join(format!("waarborg-fuzz-log-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let dir = dir();
    let log = dir.join(waarborg_ledger::ENTRIES_FILE);
    std::fs::write(&log, data).unwrap();
    if let Ok(scan) = waarborg_frames::scan(&log, |_, _| {}) {
        assert!(scan.valid_end <= scan.file_len);
    }
    // The auditor's full check of whatever is there: a report or an error, no panic.
    let _ = waarborg_ledger::verify(dir, None);
});
