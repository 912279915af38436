//! The sign-in listener on 127.0.0.1 is reachable by every program and web page on this
//! computer: any bytes are a request head that never panics, and only a `/callback` with
//! the sign-in's own state is taken.
#![no_main]
use courtside_sync::signin::{Callback, callback};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Callback::Ours(pairs) = callback(data, "fuzz-state") {
        assert!(pairs.iter().any(|(k, v)| k == "state" && v == "fuzz-state"));
    }
});
