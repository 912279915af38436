//! Talking to courts when a connection exists.
//!
//! - [`signin`]: OpenID Connect with PKCE through the system browser and a loopback redirect.
//! - [`account`]: court accounts (tokens, device key) sealed in the vault; token refresh.
//! - [`outbox`]: the durable outbox: every filing gets its UUID before the first attempt,
//!   its files go up by [`tus`], and it is sent exactly once with the UUID as
//!   `Idempotency-Key`; the court's signed receipt is verified and kept.
//! - [`retry`]: exponential backoff with full jitter, honouring `Retry-After`.

pub mod account;
pub mod actions;
pub mod engine;
pub mod feed;
/// The network settings every court connection uses (kept with the court client).
pub use courtside_court_api::network;
pub mod outbox;
pub mod policy;
pub mod records;
pub mod retry;
pub mod signin;
pub mod tus;

use courtside_court_api::Problem;

/// What can go wrong talking to a court.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The vault refused (locked, damaged, disk).
    #[error(transparent)]
    Vault(#[from] courtside_vault::VaultError),
    /// The court could not be reached.
    #[error("the court cannot be reached: {0}")]
    Unreachable(String),
    /// A proxy between us and the court wants credentials (HTTP 407): not "offline".
    #[error("a proxy server requires authentication before the court can be reached")]
    ProxyAuthentication,
    /// The TLS connection failed (an untrusted or invalid certificate, or not TLS at all).
    #[error("the secure connection to the court failed: {0}")]
    Tls(String),
    /// A network setting (proxy, extra root certificate) cannot be used.
    #[error("network settings: {0}")]
    Settings(String),
    /// No usable sign-in for the court.
    #[error("not signed in to {0}")]
    NotSignedIn(String),
    /// The court answered with an error.
    #[error("the court answered {}: {}", .0.status, .0.detail.as_deref().unwrap_or(&.0.title))]
    Court(Box<Problem>),
    /// The court's answer does not follow the protocol (or fails verification).
    #[error("the court's answer is not acceptable: {0}")]
    Protocol(String),
    /// An upload did not complete.
    #[error(transparent)]
    Upload(#[from] tus::TusError),
    /// A local file could not be used.
    #[error("{0}")]
    File(String),
}

impl From<reqwest::Error> for SyncError {
    fn from(e: reqwest::Error) -> Self {
        if e.is_decode() {
            return Self::Protocol(e.to_string());
        }
        Self::from(courtside_court_api::classify("", &e))
    }
}

impl From<courtside_court_api::CourtError> for SyncError {
    fn from(e: courtside_court_api::CourtError) -> Self {
        use courtside_court_api::CourtError;
        match e {
            CourtError::Unreachable { reason, .. } => Self::Unreachable(reason),
            CourtError::Certificate(why) => Self::Tls(why),
            CourtError::ProxyAuthentication => Self::ProxyAuthentication,
            CourtError::Court(problem) => Self::Court(problem),
            CourtError::InvalidResponse(why) => Self::Protocol(why),
            CourtError::Settings(why) => Self::Settings(why),
        }
    }
}

impl From<url::ParseError> for SyncError {
    fn from(e: url::ParseError) -> Self {
        Self::Protocol(format!("address: {e}"))
    }
}

/// Seconds since the Unix epoch (the unit of every timestamp this crate stores).
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// SHA-256 and size of a file, read in 1 MiB pieces (blocking).
pub(crate) fn sha256_file(path: &std::path::Path) -> std::io::Result<([u8; 32], u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    // Large sequential reads, but no more buffer than the file needs (a drain of many small
    // filings would otherwise clear a mebibyte for each).
    let size = file.metadata().map_or(1 << 20, |m| m.len());
    let mut buf = vec![0u8; usize::try_from(size.clamp(4096, 1 << 20)).unwrap_or(1 << 20) + 1];
    let mut total = 0u64;
    loop {
        let n = std::io::Read::read(&mut file, &mut buf)?;
        if n == 0 {
            break;
        }
        ctx.update(&buf[..n]);
        total += n as u64;
    }
    let digest = ctx.finish().as_ref().try_into().map_err(|_| std::io::Error::other("digest length"))?;
    Ok((digest, total))
}
