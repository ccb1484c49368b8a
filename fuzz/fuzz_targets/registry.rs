//! Open arbitrary bytes as a registry file: refused with a typed error or
//! opened; never a panic, never a change to a file that isn't a registry.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let path = dir.path().join("fuzz.db");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    match hallmark_core::registry::Registry::open(&path) {
        Ok(registry) => {
            let _ = registry.len();
            let _ = registry.lookup(&hallmark_core::pdq::PdqHash::default(), 31);
        }
        Err(_) => assert_eq!(std::fs::read(&path).ok().as_deref(), Some(data), "a refused file is left as it was"),
    }
});
