//! Load an identity from arbitrary key and chain PEM text (split at the first
//! NUL), with and without a passphrase.
#![no_main]

use hallmark_core::{Identity, Passphrase};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (key, chain) = text.split_once('\0').unwrap_or((&text, ""));
    let _ = Identity::from_pem(key, chain, None);
    let _ = Identity::from_pem(key, chain, Some(&Passphrase::new("fixture passphrase")));
});
