//! tus headers from an upload server (offsets, metadata, checksums): never a panic.
#![no_main]
use courtside_court_api::tus;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = tus::parse_offset(text);
    let _ = tus::parse_metadata(text);
    let _ = tus::parse_checksum(text);
});
