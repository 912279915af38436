//! A vault's files are outside input once the laptop is stolen or shared: the key file, a
//! typed recovery key, blob files and sealed records must never panic the app that reads them.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| courtside_vault::fuzz_vault_files(data));
