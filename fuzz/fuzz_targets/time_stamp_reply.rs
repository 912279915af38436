//! RFC 3161 replies from the court's time-stamping authority (DER): never a panic, a reply
//! accepted names the digest and nonce that were asked for, and no bytes that a fuzzer can
//! make verify as a token (CMS signature, signing certificate) of a pinned certificate.
#![no_main]
use courtside_court_api::tsp;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let digest = [0x5a; 32];
    if let Ok(token) = tsp::accept(data, &digest, 42) {
        let _ = token;
    }
    let _ = tsp::parse_request(data);
    let _ = tsp::tst_info(data);
    let _ = tsp::parse_gen_time(&String::from_utf8_lossy(data));
    assert!(courtside_court_api::tsp_verify::verify(data, &digest, Some(&[0x30, 0x00])).is_err());
    let _ = courtside_court_api::tsp_verify::verify(data, &digest, None);
});
