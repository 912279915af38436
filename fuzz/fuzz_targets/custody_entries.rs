//! A custody log read from a bag (entries as JSON, signatures beside them) or from a damaged
//! vault: any bytes parse without panicking, and no forged entry passes the chain check.
#![no_main]
use courtside_evidence::custody::{SignedEntry, first_break};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(log) = serde_json::from_slice::<Vec<SignedEntry>>(data) {
        for e in &log {
            let _ = e.entry();
            let _ = e.hash();
        }
        // A key no fuzzer holds: a non-empty log always breaks.
        if !log.is_empty() {
            assert!(first_break(&log, &[9; 32], None).is_some());
        }
    }
    if let Ok(entry) = serde_json::from_slice::<courtside_evidence::custody::Entry>(data) {
        let _ = serde_json::to_vec(&entry);
    }
});
