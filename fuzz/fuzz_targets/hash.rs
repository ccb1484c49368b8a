//! Hash arbitrary bytes: full decode (PDQ, pixel digest), the reduced-scale
//! JPEG path, and thumbnails, all under the default limits.
#![no_main]

use hallmark_core::Limits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let _ = hallmark_core::pixels::hash_image(data, &limits);
    let _ = hallmark_core::pixels::fast_pdq(data, &limits);
    let _ = hallmark_core::pixels::thumbnail(data, &limits, 64);
});
