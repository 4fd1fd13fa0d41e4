//! A signed checkpoint note and the key strings beside it (a witness's or auditor's
//! input): parsed, opened with a known key, or refused.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use waarborg_ledger::{Checkpoint, NoteSigner, NoteVerifier};

const ORIGIN: &str = "fuzz.example/ledger";

fn key() -> &'static NoteVerifier {
    static KEY: OnceLock<NoteVerifier> = OnceLock::new();
    KEY.get_or_init(|| NoteSigner::from_seed(ORIGIN, [5; 32]).unwrap().verifier())
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = NoteVerifier::parse(text);
    let _ = NoteSigner::parse(text);
    let _ = Checkpoint::parse_body(text);
    if let Ok(c) = Checkpoint::open(text, key(), ORIGIN) {
        assert_eq!(c.origin, ORIGIN);
    }
});
