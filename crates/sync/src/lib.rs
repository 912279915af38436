//! Talking to courts when a connection exists.
//!
//! - [`signin`]: OpenID Connect with PKCE through the system browser and a loopback redirect.
//! - [`account`]: court accounts (tokens, device key) sealed in the vault; token refresh.
//! - [`outbox`]: the durable outbox: every filing gets its UUID before the first attempt,
//!   its files go up by [`tus`], and it is sent exactly once with the UUID as
//!   `Idempotency-Key`; the court's signed receipt is verified and kept.
//! - [`retry`]: exponential backoff with full jitter, honouring `Retry-After`.

pub mod account;
pub mod feed;
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
        if e.is_decode() { Self::Protocol(e.to_string()) } else { Self::Unreachable(e.to_string()) }
    }
}

impl From<url::ParseError> for SyncError {
    fn from(e: url::ParseError) -> Self {
        Self::Protocol(format!("address: {e}"))
    }
}

/// The HTTP client for API calls: TLS verified, no redirects followed, bounded waits.
pub(crate) fn http_client() -> Result<reqwest::Client, SyncError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Courtside/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| SyncError::Protocol(format!("HTTP client: {e}")))
}

/// Passes a success through; turns an error answer into [`SyncError::Court`].
pub(crate) async fn check(response: reqwest::Response) -> Result<reqwest::Response, SyncError> {
    if response.status().is_success() {
        return Ok(response);
    }
    let status = response.status();
    let body = response.bytes().await.unwrap_or_default();
    let problem = serde_json::from_slice::<Problem>(&body)
        .unwrap_or_else(|_| Problem::new(status.as_u16(), status.canonical_reason().unwrap_or("error")));
    Err(SyncError::Court(Box::new(problem)))
}
