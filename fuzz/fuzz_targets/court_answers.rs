//! Every JSON answer of a court, parsed as the client parses it: never a panic.
#![no_main]
use courtside_court_api::{auth, filing, policy};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<policy::CourtPolicy>(data);
    let _ = serde_json::from_slice::<filing::ChangePage>(data);
    let _ = serde_json::from_slice::<filing::FilingReceipt>(data);
    let _ = serde_json::from_slice::<filing::ServedDocument>(data);
    let _ = serde_json::from_slice::<auth::TokenResponse>(data);
    let _ = serde_json::from_slice::<auth::DiscoveryDocument>(data);
    let _ = serde_json::from_slice::<auth::OAuthError>(data);
});
