//! A framework version as imported (JSON and TOML): parsed and validated, or refused.
#![no_main]
use libfuzzer_sys::fuzz_target;
use waarborg_govern::framework::Framework;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for parsed in [Framework::from_json(text), Framework::from_toml(text)] {
        if let Ok(f) = parsed {
            // What validated can be stored and read back as the same framework.
            let again = Framework::from_json(&serde_json::to_string(&f).unwrap()).unwrap();
            assert_eq!(again, f);
        }
    }
});
