//! vPDQ hash files and a signed video's soft binding, from arbitrary bytes:
//! what parses writes back to the same frames, a hash matches itself
//! wholly, the multi-index compares as the pairwise scan does, and any
//! soft-binding data reads as signed frames without a panic.
#![no_main]

use hallmark_core::vpdq::{
    compare, compare_exhaustive, compare_signed, parse_text, signed_frames, write_text,
    CompareOptions, VideoHash,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(hash) = parse_text(&text) {
        let again = parse_text(&write_text(&hash)).expect("our own text parses");
        assert_eq!(again.len(), hash.len());
        for (a, b) in hash.frames.iter().zip(&again.frames) {
            assert_eq!((a.frame, a.pdq, a.quality), (b.frame, b.pdq, b.quality));
            assert!((a.time - b.time).abs() <= 0.0005 + a.time.abs() * 1e-12);
        }
        let options = CompareOptions::default();
        let itself = compare(&hash, &hash, &options);
        if itself.query_frames > 0 {
            assert_eq!(itself.query_match_percent, 100.0);
            assert!(itself.matched);
        }
        let other = VideoHash::new(hash.frames.iter().rev().take(3).copied().collect());
        assert_eq!(
            compare(&hash, &other, &options),
            compare_exhaustive(&hash, &other, &options)
        );
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Some(frames) = signed_frames(&value) {
            // Nothing decoded now: every signed second is missing.
            let none = compare_signed(&frames, &VideoHash::default(), 31);
            assert_eq!((none.signed, none.matching), (frames.len(), 0));
            assert!(none.changed.is_empty());
        }
    }
});
