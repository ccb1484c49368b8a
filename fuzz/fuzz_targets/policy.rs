//! Parse arbitrary text as a batch policy; errors carry a line and column.
#![no_main]

use hallmark_core::{Policy, PolicyError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Err(PolicyError::Malformed { line, column, .. }) = Policy::from_toml(&text) {
        assert!(line >= 1 && column >= 1);
    }
});
