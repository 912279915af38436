//! The vault through its public API, on real files (one test binary for the crate).
#![allow(clippy::unwrap_used, reason = "test helpers fail loudly by design")]

mod backup;
mod format;
mod integrity;
mod keys;
mod owner;
