//! Feed inputs: arbitrary bytes as a TSV bank (BankSet) and as stdin lines
//! (FeedInput::from_line), then every loaded hash matched on the CPU engine.
#![no_main]

use hallmark_core::bank::BankSet;
use hallmark_core::feed::{DeviceChoice, Engine, FeedInput};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut banks = BankSet::new();
    let Ok(problems) = banks.load_tsv(std::io::Cursor::new(data), "fuzz", 0, None) else {
        return; // too many labels: refused as a whole
    };
    assert!(banks.len() + problems.len() <= data.split(|&b| b == b'\n').count());
    for (i, line) in String::from_utf8_lossy(data).lines().enumerate() {
        if let Some(input) = FeedInput::from_line(line, i as u64 + 1) {
            assert!(input.path.is_some() || input.pdq.is_some() || input.problem.is_some());
        }
    }
    if banks.is_empty() {
        return;
    }
    let engine = Engine::new(DeviceChoice::Cpu, &banks).expect("the CPU engine");
    let queries: Vec<[u64; 4]> = banks.lanes().iter().take(8).copied().collect();
    let found = engine.nearest(&queries, 0).expect("CPU matching");
    for (q, f) in queries.iter().zip(found) {
        let (id, distance) = f.expect("a bank hash matches itself");
        assert_eq!(distance, 0);
        assert_eq!(banks.lanes()[id], *q, "the nearest of a bank hash is an equal hash");
        assert!(banks.get(id).is_some());
    }
});
