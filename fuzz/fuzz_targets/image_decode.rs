//! A probe or reference image as uploaded: decoded within the limits, or refused with an
//! error — never a panic, never more memory than the limits allow.
#![no_main]
use libfuzzer_sys::fuzz_target;
use waarborg_face::decode::{decode, DecodeLimits};

fuzz_target!(|data: &[u8]| {
    let limits = DecodeLimits {
        max_bytes: 1 << 20,
        max_pixels: 4_000_000,
        max_side: 4096,
    };
    if let Ok(image) = decode(data, &limits) {
        assert!(u64::from(image.width()) * u64::from(image.height()) <= limits.max_pixels);
    }
});
