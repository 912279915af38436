//! Talking to courts when a connection exists.
//!
//! - [`signin`]: OpenID Connect with PKCE through the system browser and a loopback redirect.
//! - [`account`]: court accounts (tokens, device key) sealed in the vault; token refresh.
//! - [`outbox`]: the durable outbox: every filing gets its UUID before the first attempt,
//!   its files go up by [`tus`], and it is sent exactly once with the UUID as
//!   `Idempotency-Key`; the court's signed receipt is verified and kept.
//! - [`retry`]: exponential backoff with full jitter, honouring `Retry-After`.

pub mod account;
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
        let chain = error_chain(&e);
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

/// An error with all its causes, one line.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

impl From<url::ParseError> for SyncError {
    fn from(e: url::ParseError) -> Self {
        Self::Protocol(format!("address: {e}"))
    }
}

/// The HTTP client for API calls: TLS verified, no redirects followed, bounded waits.
pub(crate) fn http_client(network: &network::Network) -> Result<reqwest::Client, SyncError> {
    network.client(Duration::from_secs(60))
}

/// Passes a success through; turns an error answer into [`SyncError::Court`].
pub(crate) async fn check(response: reqwest::Response) -> Result<reqwest::Response, SyncError> {
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
