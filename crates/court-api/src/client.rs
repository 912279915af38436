//! Typed HTTP client of the court API.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::filing::{Filing, ReviewDecision, ServeDocument, ServedDocument};
use crate::hearing::{CourtCase, FeeNotice, Hearing, OpenCase, PostFeeNotice, ScheduleHearing};
use crate::network::Network;
use crate::{CourtUrl, Health, Problem};

/// Largest JSON answer the client reads; a larger body is a hostile or broken server.
pub(crate) const MAX_JSON_BODY: usize = 4 * 1024 * 1024;
/// Largest error answer read for its problem details.
const MAX_PROBLEM_BODY: usize = 64 * 1024;

/// A connection to one court's API.
#[derive(Debug, Clone)]
pub struct CourtClient {
    base: CourtUrl,
    http: reqwest::Client,
}

/// What went wrong talking to a court. The variants keep apart the cases the user must
/// handle differently: no network, a proxy asking for credentials, a certificate problem,
/// and a court that answered with an error. Classified from the error's type and the HTTP
/// status, never from its text (but for a proxy's 407 to a tunnel request, which the HTTP
/// stack reports only as text: see [`classify`]).
#[derive(Debug, thiserror::Error)]
pub enum CourtError {
    /// The court could not be reached (DNS, refused, reset, timed out), or its answer broke
    /// off before its end: worth trying again later.
    #[error("the court at {url} cannot be reached: {reason}")]
    Unreachable {
        /// The court's base URL.
        url: String,
        /// The transport's explanation.
        reason: String,
    },
    /// The TLS handshake failed: the court's certificate is not trusted or not valid.
    #[error("the court's certificate was not accepted: {0}")]
    Certificate(String),
    /// A proxy between us and the court demands authentication (HTTP 407).
    #[error("a proxy server requires authentication before the court can be reached")]
    ProxyAuthentication,
    /// The court answered with an error (problem details when it sent them).
    #[error("the court answered {}: {}", .0.status, .0.detail.as_deref().unwrap_or(&.0.title))]
    Court(Box<Problem>),
    /// The court's answer, read whole, does not follow the protocol (malformed, too large).
    #[error("the court's answer could not be understood: {0}")]
    InvalidResponse(String),
    /// A network setting (proxy, extra root certificate) cannot be used.
    #[error("network settings: {0}")]
    Settings(String),
}

impl CourtError {
    /// The HTTP status of a court's refusal, if this is one.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Court(p) => Some(p.status),
            _ => None,
        }
    }
}

/// Classifies a transport error: TLS (a rustls error among its causes), a proxy wanting
/// credentials, else unreachable.
#[must_use]
pub fn classify(url: &str, e: &reqwest::Error) -> CourtError {
    let chain = error_chain(e);
    if is_tls(e) {
        return CourtError::Certificate(chain);
    }
    // A proxy refusing a CONNECT tunnel with 407 surfaces only as the tunnel error's text
    // (hyper-util: "tunnel error: proxy authorization required").
    let lower = chain.to_ascii_lowercase();
    if e.is_connect()
        && (lower.contains(" 407") || lower.contains("proxy authorization") || lower.contains("proxy authentication"))
    {
        return CourtError::ProxyAuthentication;
    }
    CourtError::Unreachable { url: url.to_owned(), reason: chain }
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

impl CourtClient {
    /// A client for the court at `base`, verifying TLS certificates against the system roots
    /// (and no proxy settings of the user's: see [`CourtClient::with_network`]).
    ///
    /// # Errors
    /// [`CourtError::Settings`] if the HTTP stack cannot be initialised.
    pub fn new(base: CourtUrl) -> Result<Self, CourtError> {
        Self::with_network(base, &Network::default())
    }

    /// A client for the court at `base` through the user's network settings (proxy, extra
    /// roots): what sync, the connectivity indicator and every litigant call use.
    ///
    /// # Errors
    /// [`CourtError::Settings`] for settings that cannot be used.
    pub fn with_network(base: CourtUrl, network: &Network) -> Result<Self, CourtError> {
        let http = network.client_for(&base, Duration::from_secs(60))?;
        Ok(Self { base, http })
    }

    /// The court's base URL.
    #[must_use]
    pub fn base(&self) -> &CourtUrl {
        &self.base
    }

    /// `GET /v1/health`.
    ///
    /// # Errors
    /// Any [`CourtError`].
    pub async fn health(&self) -> Result<Health, CourtError> {
        self.get_json("v1/health").await
    }

    /// The clerk's side of the court (the reference court's `/clerk/v1`), with its token.
    #[must_use]
    pub fn clerk(&self, token: &str) -> ClerkClient<'_> {
        ClerkClient { court: self, token: token.to_owned() }
    }

    pub(crate) async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, CourtError> {
        self.send_json::<(), T>(reqwest::Method::GET, path, None, None).await
    }

    /// Sends a request with an optional bearer token and JSON body; reads a JSON answer.
    pub(crate) async fn send_json<B: Serialize, T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<&B>,
    ) -> Result<T, CourtError> {
        let mut request = self.http.request(method, self.base.endpoint(path));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let body = self.read(request, MAX_JSON_BODY).await?;
        serde_json::from_slice(&body).map_err(|e| CourtError::InvalidResponse(e.to_string()))
    }

    /// Sends `request`; returns the body of a success, read up to `limit` bytes.
    ///
    /// # Errors
    /// A refusal as [`CourtError::Court`] (its problem details read up to 64 KiB), a body
    /// over `limit` as [`CourtError::InvalidResponse`], a body that breaks off as
    /// [`CourtError::Unreachable`].
    pub(crate) async fn read(&self, request: reqwest::RequestBuilder, limit: usize) -> Result<Vec<u8>, CourtError> {
        let response = self.send(request).await?;
        self.body(response, limit).await
    }

    /// Sends `request`; a refusal becomes [`CourtError::Court`].
    pub(crate) async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, CourtError> {
        let response = request.send().await.map_err(|e| classify(self.base.as_url().as_str(), &e))?;
        let status = response.status();
        if status == reqwest::StatusCode::PROXY_AUTHENTICATION_REQUIRED {
            return Err(CourtError::ProxyAuthentication);
        }
        if status.is_success() || status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(response);
        }
        let problem = match read_capped(response, MAX_PROBLEM_BODY).await {
            Ok(Some(body)) => serde_json::from_slice::<Problem>(&body).ok(),
            _ => None,
        };
        let problem =
            problem.unwrap_or_else(|| Problem::new(status.as_u16(), status.canonical_reason().unwrap_or("error")));
        Err(CourtError::Court(Box::new(problem)))
    }

    /// The body of an answer, read up to `limit` bytes.
    pub(crate) async fn body(&self, response: reqwest::Response, limit: usize) -> Result<Vec<u8>, CourtError> {
        match read_capped(response, limit).await {
            Ok(Some(body)) => Ok(body),
            Ok(None) => Err(CourtError::InvalidResponse(format!("answer larger than {limit} bytes"))),
            Err(e) => Err(classify(self.base.as_url().as_str(), &e)),
        }
    }

    /// A request to `path` (relative to the base).
    pub(crate) fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.base.endpoint(path))
    }
}

/// The clerk API of a court, authenticated by the clerk token.
#[derive(Debug)]
pub struct ClerkClient<'a> {
    court: &'a CourtClient,
    token: String,
}

impl ClerkClient<'_> {
    /// Every filing, oldest first.
    ///
    /// # Errors
    /// Any [`CourtError`] (401 problem for a wrong token).
    pub async fn filings(&self) -> Result<Vec<Filing>, CourtError> {
        self.court.send_json::<(), _>(reqwest::Method::GET, "clerk/v1/filings", Some(&self.token), None).await
    }

    /// Records a decision on a filing; returns the filing with its new status.
    ///
    /// # Errors
    /// Any [`CourtError`] (404 unknown filing, 409 a decision the status does not allow).
    pub async fn review(&self, filing_id: &str, decision: &ReviewDecision) -> Result<Filing, CourtError> {
        let path = format!("clerk/v1/filings/{}/review", url_segment(filing_id));
        self.court.send_json(reqwest::Method::POST, &path, Some(&self.token), Some(decision)).await
    }

    /// Opens a case with these parties.
    ///
    /// # Errors
    /// Any [`CourtError`] (422 unknown case type or party).
    pub async fn open_case(&self, case: &OpenCase) -> Result<CourtCase, CourtError> {
        self.court.send_json(reqwest::Method::POST, "clerk/v1/cases", Some(&self.token), Some(case)).await
    }

    /// Schedules a hearing; every party's change feed announces it.
    ///
    /// # Errors
    /// Any [`CourtError`] (422 unknown case or platform).
    pub async fn schedule_hearing(&self, hearing: &ScheduleHearing) -> Result<Hearing, CourtError> {
        self.court.send_json(reqwest::Method::POST, "clerk/v1/hearings", Some(&self.token), Some(hearing)).await
    }

    /// Posts a fee notice.
    ///
    /// # Errors
    /// Any [`CourtError`] (422 unknown recipient, not a party, zero amount).
    pub async fn post_fee(&self, notice: &PostFeeNotice) -> Result<FeeNotice, CourtError> {
        self.court.send_json(reqwest::Method::POST, "clerk/v1/fees", Some(&self.token), Some(notice)).await
    }

    /// Serves a document on an account.
    ///
    /// # Errors
    /// Any [`CourtError`] (422 unknown recipient).
    pub async fn serve(&self, document: &ServeDocument) -> Result<ServedDocument, CourtError> {
        self.court.send_json(reqwest::Method::POST, "clerk/v1/service", Some(&self.token), Some(document)).await
    }
}

/// Percent-encodes an id for use as one path segment.
fn url_segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

/// Reads a body up to `limit` bytes; `None` when it is larger (nothing more is read).
async fn read_capped(mut response: reqwest::Response, limit: usize) -> Result<Option<Vec<u8>>, reqwest::Error> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Ok(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// An error with all its causes, on one line (`outer: cause: cause`).
#[must_use]
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
