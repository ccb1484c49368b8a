//! Certificate path validation on arbitrary certificates: the input is split
//! at each `\xff\xfe\xfd` into a chain (signing certificate first); its last
//! piece is also the trust anchor. Under the C2PA signer policy and with no
//! EKU policy at all.
#![no_main]

use hallmark_core::chain::{self, Policy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut pieces: Vec<Vec<u8>> = Vec::new();
    let mut rest = data;
    while let Some(at) = rest.windows(3).position(|w| w == b"\xff\xfe\xfd") {
        pieces.push(rest[..at].to_vec());
        rest = &rest[at + 3..];
    }
    pieces.push(rest.to_vec());
    let anchors = vec![pieces.last().cloned().unwrap_or_default()];
    for policy in [
        Policy::c2pa_signer(),
        Policy {
            ekus: Vec::new(),
            c2pa_leaf: false,
        },
    ] {
        let _ = chain::validate(&pieces, &anchors, 1_800_000_000, &policy);
    }
});
