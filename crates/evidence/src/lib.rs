//! Evidence with a verifiable chain of custody.
//!
//! - [`Locker::capture_file`]: one pass over the original bytes computes the SHA-256 and
//!   encrypts them into the vault (the vault's blob writer hashes while it seals); the exhibit
//!   record keeps the original name, size, media type read from the content, source, capture
//!   time and device.
//! - [`custody`]: an append-only log. Every entry names the previous entry's hash and is
//!   signed with this device's Ed25519 key; [`Locker::verify`] walks it and reports the first
//!   broken link, naming the exhibit and the entry, and re-hashes every sealed original.
//! - [`bagit`]: an evidence bundle as a BagIt 1.0 bag (RFC 8493) with SHA-256 manifests,
//!   the originals, the custody log, each entry's signed bytes and signature, and the device
//!   public key, so tools nobody on our team wrote can check it (`bagit.py --validate`,
//!   `openssl pkeyutl -verify`).

pub mod bagit;
pub mod custody;
mod device;
pub mod inbox;
mod locker;
pub mod media;
pub mod photo;
mod source;
pub mod timestamps;
pub mod web;

pub use device::DeviceKey;
#[doc(hidden)]
pub use locker::fuzz_page_count;
pub use locker::{Capture, Exhibit, Locker, PROGRESS_STEP, Problem, Verification};
pub use source::{Source, stored as stored_source};

/// What can go wrong with evidence.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// The vault refused (locked, damaged, disk).
    #[error(transparent)]
    Vault(#[from] courtside_vault::VaultError),
    /// A file could not be read or written.
    #[error("{path}: {reason}")]
    File {
        /// Which file.
        path: String,
        /// Why.
        reason: String,
    },
    /// No such exhibit.
    #[error("no exhibit {0}")]
    NotFound(String),
    /// A field is unacceptable.
    #[error("{0}")]
    Invalid(String),
    /// A stored record does not decode.
    #[error("{0} could not be decoded: {1}")]
    Decode(String, String),
}

pub(crate) fn file_error(path: &std::path::Path, e: &dyn std::fmt::Display) -> EvidenceError {
    EvidenceError::File { path: path.display().to_string(), reason: e.to_string() }
}

pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
