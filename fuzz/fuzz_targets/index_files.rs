//! The index's files as found on disk — a segment and a write-ahead log, plain and sealed:
//! opened and verified, or refused as corrupt.
#![no_main]
#[path = "common/scratch.rs"]
mod scratch;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use waarborg_seal::{Key, Keyring};

fn keys() -> &'static Keyring {
    static KEYS: OnceLock<Keyring> = OnceLock::new();
    KEYS.get_or_init(|| Keyring::new(Key::from_hex(&"07".repeat(32)).unwrap(), Vec::new()))
}

fn file() -> &'static Path {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let d = scratch::dir().join(format!("waarborg-fuzz-index-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d.join("file")
    })
}

fuzz_target!(|data: &[u8]| {
    let file = file();
    for keys in [None, Some(keys())] {
        std::fs::write(file, data).unwrap();
        let _ = waarborg_index::segment::Segment::open(file, 1, keys);
        std::fs::write(file, data).unwrap();
        let _ = waarborg_index::wal::open(file, keys);
    }
});
