//! A reference-database import manifest (CSV and JSON lines): rows or a named error.
#![no_main]
use libfuzzer_sys::fuzz_target;
use waarborg_govern::Timestamp;

fuzz_target!(|data: &[u8]| {
    for jsonl in [false, true] {
        let _ = waarborg_refdb::manifest::parse(data, jsonl, Timestamp(1_800_000_000));
    }
});
