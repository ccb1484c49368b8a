//! Verify arbitrary bytes, raw and behind each supported format's signature
//! (the first input byte picks one), with and without trust anchors.
#![no_main]

use std::sync::OnceLock;

use hallmark_core::{TrustStore, Verifier};
use libfuzzer_sys::fuzz_target;

const PREFIXES: &[&[u8]] = &[
    b"",
    b"\xFF\xD8\xFF\xEB",                    // JPEG, straight into an APP11 (JUMBF) segment
    b"\x89PNG\r\n\x1a\n",                   // PNG signature
    b"RIFF\x00\x00\x00\x00WEBPVP8X",        // WebP, extended
];

fuzz_target!(|data: &[u8]| {
    static VERIFIER: OnceLock<Verifier> = OnceLock::new();
    let verifier = VERIFIER.get_or_init(|| {
        let root = include_bytes!("../../fixtures/keys/newsroom/root.pem");
        Verifier::new(TrustStore::from_pem(root).unwrap_or_else(|_| TrustStore::empty()))
    });
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let mut bytes = PREFIXES[usize::from(pick) % PREFIXES.len()].to_vec();
    bytes.extend_from_slice(rest);
    let report = verifier.verify(&bytes);
    // Never trusted without a valid signature over these very bytes.
    if report.verdict == hallmark_core::Verdict::Trusted {
        assert!(report.signer.is_some());
    }
});
