//! Typed HTTP client of the court API.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::filing::{Filing, ReviewDecision, ServeDocument, ServedDocument};
use crate::hearing::{CourtCase, FeeNotice, Hearing, OpenCase, PostFeeNotice, ScheduleHearing};
use crate::{CourtUrl, Health, Problem};

/// Largest JSON answer the client reads; a larger body is a hostile or broken server.
const MAX_JSON_BODY: usize = 4 * 1024 * 1024;

/// A connection to one court's API.
#[derive(Debug, Clone)]
pub struct CourtClient {
    base: CourtUrl,
    http: reqwest::Client,
}

/// What went wrong talking to a court. The variants keep apart the cases the user must
/// handle differently: no network, a proxy asking for credentials, a certificate problem,
/// and a court that answered with an error.
#[derive(Debug, thiserror::Error)]
pub enum CourtError {
    /// The court could not be reached (DNS, refused, reset, timed out).
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
    /// The court's answer does not follow the protocol.
    #[error("the court's answer could not be understood: {0}")]
    InvalidResponse(String),
}

impl CourtClient {
    /// A client for the court at `base`, verifying TLS certificates against the system roots.
    ///
    /// # Errors
    /// [`CourtError::InvalidResponse`] if the HTTP stack cannot be initialised.
    pub fn new(base: CourtUrl) -> Result<Self, CourtError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .https_only(!base.is_loopback())
            .user_agent(concat!("Courtside/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CourtError::InvalidResponse(e.to_string()))?;
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

    async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, CourtError> {
        self.send_json::<(), T>(reqwest::Method::GET, path, None, None).await
    }

    /// Sends a request with an optional bearer token and JSON body; reads a JSON answer.
    async fn send_json<B: Serialize, T: DeserializeOwned>(
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
        let response = request.send().await.map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        if status == reqwest::StatusCode::PROXY_AUTHENTICATION_REQUIRED {
            return Err(CourtError::ProxyAuthentication);
        }
        let body = read_capped(response).await.map_err(|e| self.transport_error(&e))?;
        if !status.is_success() {
            let problem = body
                .as_deref()
                .and_then(|b| serde_json::from_slice::<Problem>(b).ok())
                .unwrap_or_else(|| Problem::new(status.as_u16(), status.canonical_reason().unwrap_or("error")));
            return Err(CourtError::Court(Box::new(problem)));
        }
        let body =
            body.ok_or_else(|| CourtError::InvalidResponse(format!("answer larger than {MAX_JSON_BODY} bytes")))?;
        serde_json::from_slice(&body).map_err(|e| CourtError::InvalidResponse(e.to_string()))
    }

    fn transport_error(&self, e: &reqwest::Error) -> CourtError {
        let chain = error_chain(e);
        if chain.contains("certificate") || chain.contains("InvalidCertificate") || chain.contains("tls") {
            CourtError::Certificate(chain)
        } else {
            CourtError::Unreachable { url: self.base.to_string(), reason: chain }
        }
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

/// Reads a body up to [`MAX_JSON_BODY`]; `None` when it is larger.
async fn read_capped(mut response: reqwest::Response) -> Result<Option<Vec<u8>>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_JSON_BODY {
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
