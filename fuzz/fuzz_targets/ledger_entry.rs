//! A ledger entry's bytes (an auditor's copy, `GET /api/ledger/entries/{i}`): parsed only
//! when exactly canonical, and then re-encoded to the same bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use waarborg_ledger::Entry;

fuzz_target!(|data: &[u8]| {
    if let Ok(entry) = Entry::from_bytes(data) {
        assert_eq!(entry.to_bytes(), data, "a parsed entry is canonical");
        let _ = entry.event.validate();
    }
});
