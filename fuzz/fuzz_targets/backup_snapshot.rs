//! A backup folder is outside input (a USB drive, a NAS, a synced folder anyone may write):
//! snapshot files, manifests and pieces must never panic the restore, nor name a path
//! outside a vault.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| courtside_vault::fuzz_snapshot(data));
