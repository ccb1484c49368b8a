//! Verify arbitrary bytes, raw and behind the signature of each format
//! Hallmark reads (the first input byte picks one), with and without trust
//! anchors: the sniffer and every C2PA asset reader it hands bytes to. Audio
//! and video are verified again from a file, read in place: the same report.
#![no_main]

use std::sync::OnceLock;

use hallmark_core::{TrustStore, Verifier};
use libfuzzer_sys::fuzz_target;

const PREFIXES: &[&[u8]] = &[
    b"",
    b"\xFF\xD8\xFF\xEB",                    // JPEG, straight into an APP11 (JUMBF) segment
    b"\x89PNG\r\n\x1a\n",                   // PNG signature
    b"RIFF\x00\x00\x00\x00WEBPVP8X",        // WebP, extended
    b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", // MP4 (BMFF)
    b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ", // MOV
    b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", // HEIC
    b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", // AVIF
    b"RIFF\x00\x00\x00\x00WAVEfmt ",          // WAV
    b"RIFF\x00\x00\x00\x00AVI LIST",          // AVI
    b"GIF89a",                              // GIF
    b"II*\x00",                             // TIFF, little-endian
    b"MM\x00*",                             // TIFF, big-endian
    b"ID3\x04\x00\x00\x00\x00\x00\x00",          // MP3 behind an empty ID3 tag
    b"\xFF\xFB\x90\x64",                    // MP3 frame
    b"fLaC",                                // FLAC
    b"\x00\x00\x00\x0cJXL \r\n\x87\n",        // JPEG XL container
    b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\">", // SVG
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
    // Audio and video are read in place from a file: the same answer.
    let streamed = hallmark_core::MediaFormat::sniff(&bytes).is_some_and(|f| f.is_streamed());
    if streamed {
        use std::io::Write;
        let Ok(mut file) = tempfile::tempfile() else {
            return;
        };
        if file.write_all(&bytes).is_err() {
            return;
        }
        let in_place = verifier.verify_file(&file);
        assert_eq!(in_place.to_json_line(), report.to_json_line());
    }
});
