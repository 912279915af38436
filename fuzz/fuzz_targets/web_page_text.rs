//! A captured web page's text: any bytes a site sends, never a panic (`İ<p>` once did).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let page = String::from_utf8_lossy(data);
    let text = courtside_evidence::web::html_text(&page);
    assert!(text.len() <= page.len() * 4 + 16);
});
