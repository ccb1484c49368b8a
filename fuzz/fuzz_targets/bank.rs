//! Parse arbitrary text as a TSV hash bank and match against it.
#![no_main]

use hallmark_core::bank::Bank;
use hallmark_core::pdq::PdqHash;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (bank, errors) = Bank::parse_tsv(&text);
    assert!(bank.len() + errors.len() <= text.lines().count());
    if let Some(first) = bank.entries().first() {
        let hash: PdqHash = first.hash;
        assert!(bank.matches(&hash, 0).iter().any(|m| m.distance == 0));
    }
});
