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
pub mod network;
pub mod outbox;
pub mod policy;
pub mod records;
pub mod retry;
pub mod signin;
pub mod tus;

use std::time::Duration;

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
        let chain = courtside_court_api::error_chain(&e);
        let lower = chain.to_ascii_lowercase();
        if lower.contains("407") || lower.contains("proxy authentication") || lower.contains("proxy authorization") {
            Self::ProxyAuthentication
        } else if is_tls(&e) {
            Self::Tls(chain)
        } else {
            Self::Unreachable(chain)
        }
    }
}

/// Whether a TLS failure (rustls) is among the error's causes. rustls errors travel inside
/// (nested) `std::io::Error`s, whose `source()` skips the wrapped error, so those are opened
/// with `get_ref` instead.
fn is_tls(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = next {
        if err.is::<rustls::Error>() {
            return true;
        }
        next = match err.downcast_ref::<std::io::Error>() {
            Some(io) => io.get_ref().map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    false
}

impl From<url::ParseError> for SyncError {
    fn from(e: url::ParseError) -> Self {
        Self::Protocol(format!("address: {e}"))
    }
}

/// The HTTP client for API calls: TLS verified, no redirects followed, bounded waits.
pub fn http_client(network: &network::Network) -> Result<reqwest::Client, SyncError> {
    network.client(Duration::from_secs(60))
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
    let mut buf = vec![0u8; 1 << 20];
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

/// Passes a success through; turns an error answer into [`SyncError::Court`].
pub async fn check(response: reqwest::Response) -> Result<reqwest::Response, SyncError> {
    if response.status().is_success() {
        return Ok(response);
    }
    if response.status() == reqwest::StatusCode::PROXY_AUTHENTICATION_REQUIRED {
        return Err(SyncError::ProxyAuthentication);
    }
    let status = response.status();
    let body = response.bytes().await.unwrap_or_default();
    let problem = serde_json::from_slice::<Problem>(&body)
        .unwrap_or_else(|_| Problem::new(status.as_u16(), status.canonical_reason().unwrap_or("error")));
    Err(SyncError::Court(Box::new(problem)))
}
