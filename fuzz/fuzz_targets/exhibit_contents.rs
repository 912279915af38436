//! An exhibit's file is outside input (a photo from a phone, a PDF from the other side): its
//! media type, its photo facts (EXIF) and its PDF page count are read while it is sealed.
//! Never a panic, and reading it in pieces never counts more pages than reading it whole.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = courtside_evidence::media::sniff(data);
    let _ = courtside_evidence::photo::read(data);
    courtside_evidence::fuzz_page_count(data);
});
