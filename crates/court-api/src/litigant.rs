//! The litigant's side of the court API: every endpoint a party's client calls, typed, on
//! the one [`CourtClient`] (network settings, HTTPS only away from this computer, bodies
//! capped, errors classified by type). Paths are built here and nowhere else; ids from the
//! court are percent-encoded as path segments.

use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::auth::{Account, Device, DeviceRegistration};
use crate::client::{CourtClient, CourtError, MAX_JSON_BODY};
use crate::filing::{ChangePage, Filing, IDEMPOTENCY_KEY, ServedDocument};
use crate::hearing::{
    CheckIn, CheckInReceipt, CrossExamination, ExchangedExhibit, FeeNotice, Hearing, HearingStatement, JoinTicket,
    MediationMessage, NewMediationMessage, OfflineStep, OfflineStepRecord, PaymentSession, StatementReceipt,
    SubmitExhibit,
};
use crate::policy::CourtPolicy;
use crate::signing::SignedEnvelope;

/// Largest document or exhibit content read from a court (its own limit for a filing).
pub const MAX_CONTENT_BYTES: u64 = 1024 * 1024 * 1024;
/// How long a download may go without a byte.
const CONTENT_STALL: std::time::Duration = std::time::Duration::from_secs(60);
/// The slowest line a download is given time for (bytes per second), beyond two minutes.
const CONTENT_FLOOR_BYTES_PER_SECOND: u64 = 64 * 1024;

/// A document's bytes as they arrive from the court, never more than it announced: the
/// caller seals them as they come (nothing is held whole in memory).
#[derive(Debug)]
pub struct ContentStream {
    response: reqwest::Response,
    expected: u64,
    read: u64,
    court: String,
}

impl ContentStream {
    /// The size the court announced.
    #[must_use]
    pub fn expected(&self) -> u64 {
        self.expected
    }

    /// The next piece; `None` at the end.
    ///
    /// # Errors
    /// [`CourtError::InvalidResponse`] when the court sends more than it announced, or ends
    /// early; [`CourtError::Unreachable`] when the connection breaks or the deadline passes.
    pub async fn next(&mut self) -> Result<Option<bytes::Bytes>, CourtError> {
        // A court that stops sending (or trickles a byte now and then, which only the whole
        // deadline would catch, hours later for a large document) is given a minute.
        let Ok(piece) = tokio::time::timeout(CONTENT_STALL, self.response.chunk()).await else {
            return Err(CourtError::Unreachable {
                url: self.court.clone(),
                reason: format!("the court sent nothing for {} s", CONTENT_STALL.as_secs()),
            });
        };
        match piece {
            Ok(Some(chunk)) => {
                self.read += chunk.len() as u64;
                if self.read > self.expected {
                    return Err(CourtError::InvalidResponse(format!(
                        "the court sends more than the {} bytes it announced",
                        self.expected
                    )));
                }
                Ok(Some(chunk))
            }
            Ok(None) if self.read == self.expected => Ok(None),
            Ok(None) => Err(CourtError::Unreachable {
                url: self.court.clone(),
                reason: format!("the answer ended after {} of {} bytes", self.read, self.expected),
            }),
            Err(e) => Err(crate::client::classify(&self.court, &e)),
        }
    }
}
/// Largest time-stamp reply or TSA certificate read.
const MAX_TSA_BODY: usize = 64 * 1024;

/// A policy answer: the policy and its entity tag, or "not modified".
#[derive(Debug)]
pub enum PolicyAnswer {
    /// The court's current policy.
    Policy {
        /// The policy.
        policy: Box<CourtPolicy>,
        /// Its entity tag, for the next conditional request.
        etag: Option<String>,
    },
    /// The cached copy with the tag that was sent is still current.
    NotModified,
}

/// The court's JSON Web Key Set, as far as Courtside reads it.
#[derive(Debug, serde::Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Debug, serde::Deserialize)]
struct Jwk {
    kid: String,
    #[serde(default)]
    kty: String,
    #[serde(default)]
    crv: String,
    x: String,
}

impl CourtClient {
    /// `GET oauth/jwks`: the keys the court signs receipts and ID tokens with (Ed25519 only;
    /// others are left out). Read once at sign-in and kept with the account.
    ///
    /// # Errors
    /// Any [`CourtError`]; [`CourtError::InvalidResponse`] when no usable key is listed.
    pub async fn signing_keys(&self) -> Result<Vec<crate::policy::CourtKey>, CourtError> {
        let body = self.read(self.request(reqwest::Method::GET, "oauth/jwks"), MAX_TSA_BODY).await?;
        let set: Jwks = serde_json::from_slice(&body).map_err(|e| CourtError::InvalidResponse(e.to_string()))?;
        let keys: Vec<crate::policy::CourtKey> = set
            .keys
            .into_iter()
            .filter(|k| k.kty == "OKP" && k.crv == "Ed25519")
            .filter(|k| crate::encoding::b64url_decode(&k.x).is_some_and(|raw| raw.len() == 32))
            .map(|k| crate::policy::CourtKey { key_id: k.kid, algorithm: "Ed25519".into(), public_key: k.x })
            .collect();
        if keys.is_empty() {
            return Err(CourtError::InvalidResponse("the court lists no Ed25519 signing key".into()));
        }
        Ok(keys)
    }

    /// `GET v1/courts/{court}/policy`, conditionally when `etag` is given.
    ///
    /// # Errors
    /// Any [`CourtError`].
    pub async fn policy(&self, court_id: &str, etag: Option<&str>) -> Result<PolicyAnswer, CourtError> {
        let mut request = self.request(reqwest::Method::GET, &format!("v1/courts/{}/policy", segment(court_id)?));
        if let Some(tag) = etag {
            request = request.header(reqwest::header::IF_NONE_MATCH, tag);
        }
        let response = self.send(request).await?;
        if response.status() == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(PolicyAnswer::NotModified);
        }
        let etag = response.headers().get(reqwest::header::ETAG).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = self.body(response, MAX_JSON_BODY).await?;
        let policy = serde_json::from_slice(&body).map_err(|e| CourtError::InvalidResponse(e.to_string()))?;
        Ok(PolicyAnswer::Policy { policy: Box::new(policy), etag })
    }

    /// Where resumable uploads (tus) are created: `v1/uploads`.
    #[must_use]
    pub fn uploads_endpoint(&self) -> Url {
        self.base().as_url().join("v1/uploads").unwrap_or_else(|_| self.base().as_url().clone())
    }

    /// The court's time-stamping authority: `v1/timestamps`.
    #[must_use]
    pub fn timestamps_endpoint(&self) -> Url {
        self.base().as_url().join("v1/timestamps").unwrap_or_else(|_| self.base().as_url().clone())
    }

    /// `POST v1/timestamps` with an RFC 3161 request (DER); returns the reply (DER).
    ///
    /// # Errors
    /// Any [`CourtError`].
    pub async fn timestamp(&self, request_der: Vec<u8>) -> Result<Vec<u8>, CourtError> {
        let request = self
            .request(reqwest::Method::POST, "v1/timestamps")
            .header(reqwest::header::CONTENT_TYPE, crate::tsp::QUERY_TYPE)
            .body(request_der);
        self.read(request, MAX_TSA_BODY).await
    }

    /// `GET v1/timestamps/certificate`: the TSA's certificate as PEM.
    ///
    /// # Errors
    /// Any [`CourtError`]; an answer that is not a PEM certificate is
    /// [`CourtError::InvalidResponse`].
    pub async fn tsa_certificate(&self) -> Result<String, CourtError> {
        let body = self.read(self.request(reqwest::Method::GET, "v1/timestamps/certificate"), MAX_TSA_BODY).await?;
        let pem = String::from_utf8(body)
            .map_err(|_| CourtError::InvalidResponse("the TSA certificate is not text".into()))?;
        if !pem.starts_with("-----BEGIN CERTIFICATE-----") {
            return Err(CourtError::InvalidResponse("the TSA certificate is not a PEM certificate".into()));
        }
        Ok(pem)
    }

    /// `GET v1/openapi.json`, for measuring download throughput; returns its size.
    ///
    /// # Errors
    /// Any [`CourtError`].
    pub async fn api_document_size(&self) -> Result<usize, CourtError> {
        Ok(self.read(self.request(reqwest::Method::GET, "v1/openapi.json"), MAX_JSON_BODY).await?.len())
    }

    /// The endpoints of one signed-in account, with its access token.
    #[must_use]
    pub fn litigant(&self, access_token: &str) -> Litigant<'_> {
        Litigant { court: self, token: access_token.to_owned() }
    }
}

/// One account's calls to the court (see [`CourtClient::litigant`]).
pub struct Litigant<'a> {
    court: &'a CourtClient,
    token: String,
}

impl std::fmt::Debug for Litigant<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Litigant").field("court", &self.court.base().to_string()).finish_non_exhaustive()
    }
}

impl Litigant<'_> {
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.court.request(method, path).bearer_auth(&self.token)
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, CourtError> {
        self.json(self.request(reqwest::Method::GET, path)).await
    }

    async fn json<T: DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<T, CourtError> {
        let body = self.court.read(request, MAX_JSON_BODY).await?;
        serde_json::from_slice(&body).map_err(|e| CourtError::InvalidResponse(e.to_string()))
    }

    /// A POST with a JSON body sent under an idempotency key (the court answers a repeat
    /// with the first answer).
    async fn post_once<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        key: &str,
        body: &B,
    ) -> Result<T, CourtError> {
        self.json(self.request(reqwest::Method::POST, path).header(IDEMPOTENCY_KEY, key).json(body)).await
    }

    /// Content of `expected` bytes, read as it arrives (refused past that size, or past
    /// [`MAX_CONTENT_BYTES`]). The deadline grows with the size: a large document on a
    /// slow line is not cut off, a court that stops sending is.
    async fn content(&self, path: &str, expected: u64) -> Result<ContentStream, CourtError> {
        if expected > MAX_CONTENT_BYTES {
            return Err(CourtError::InvalidResponse(format!(
                "the court announces {expected} bytes, more than the {MAX_CONTENT_BYTES} a document may have"
            )));
        }
        let deadline = std::time::Duration::from_secs(120 + expected / CONTENT_FLOOR_BYTES_PER_SECOND);
        let response = self.court.send(self.request(reqwest::Method::GET, path).timeout(deadline)).await?;
        if response.content_length().is_some_and(|n| n != expected) {
            return Err(CourtError::InvalidResponse(format!(
                "the court sends {} bytes for a document of {expected}",
                response.content_length().unwrap_or(0)
            )));
        }
        Ok(ContentStream { response, expected, read: 0, court: self.court.base().as_url().as_str().to_owned() })
    }

    /// `GET v1/me`.
    ///
    /// # Errors
    /// Any [`CourtError`].
    pub async fn me(&self) -> Result<Account, CourtError> {
        self.get("v1/me").await
    }

    /// `POST v1/devices`: registers this device's signing key.
    ///
    /// # Errors
    /// Any [`CourtError`].
    pub async fn register_device(&self, registration: &DeviceRegistration) -> Result<Device, CourtError> {
        self.json(self.request(reqwest::Method::POST, "v1/devices").json(registration)).await
    }

    /// `GET v1/changes?cursor=…&limit=…`: one page of the change feed.
    ///
    /// # Errors
    /// Any [`CourtError`].
    pub async fn changes(&self, cursor: &str, limit: u32) -> Result<ChangePage, CourtError> {
        let request = self
            .request(reqwest::Method::GET, "v1/changes")
            .query(&[("cursor", cursor), ("limit", &limit.to_string())]);
        self.json(request).await
    }

    /// `GET v1/filings?idempotencyKey=…`: the filing sent under `key`, `None` when the court
    /// has none.
    ///
    /// # Errors
    /// Any [`CourtError`] but 404.
    pub async fn filing_by_key(&self, key: &str) -> Result<Option<Filing>, CourtError> {
        let request = self.request(reqwest::Method::GET, "v1/filings").query(&[("idempotencyKey", key)]);
        match self.json(request).await {
            Ok(filing) => Ok(Some(filing)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST v1/filings` with the signed envelope, under `key` as `Idempotency-Key`.
    ///
    /// # Errors
    /// Any [`CourtError`].
    pub async fn submit_filing(&self, key: &str, envelope: &SignedEnvelope) -> Result<Filing, CourtError> {
        self.post_once("v1/filings", key, envelope).await
    }

    /// `GET v1/service/{id}`.
    ///
    /// # Errors
    /// Any [`CourtError`].
    pub async fn served_document(&self, id: &str) -> Result<ServedDocument, CourtError> {
        self.get(&format!("v1/service/{}", segment(id)?)).await
    }

    /// `GET v1/service/{id}/content`, at most the document's size.
    ///
    /// # Errors
    /// Any [`CourtError`].
    pub async fn served_content(&self, document: &ServedDocument) -> Result<ContentStream, CourtError> {
        self.content(&format!("v1/service/{}/content", segment(&document.id)?), document.bytes).await
    }

    /// `POST v1/service/{id}/receipt`: acknowledges receipt (the court records the time).
    ///
    /// # Errors
    /// Any [`CourtError`].
    pub async fn acknowledge_service(&self, id: &str) -> Result<ServedDocument, CourtError> {
        self.json(self.request(reqwest::Method::POST, &format!("v1/service/{}/receipt", segment(id)?))).await
    }

    /// `GET v1/hearings/{id}`.
    ///
    /// # Errors
    /// Any [`CourtError`].
    pub async fn hearing(&self, id: &str) -> Result<Hearing, CourtError> {
        self.get(&format!("v1/hearings/{}", segment(id)?)).await
    }

    /// `POST v1/hearings/{id}/check-in`: the pre-hearing check.
    ///
    /// # Errors
    /// Any [`CourtError`].
    pub async fn check_in(&self, hearing: &str, check: &CheckIn) -> Result<CheckInReceipt, CourtError> {
        self.json(
            self.request(reqwest::Method::POST, &format!("v1/hearings/{}/check-in", segment(hearing)?)).json(check),
        )
        .await
    }

    /// `POST v1/hearings/{id}/join`: a ticket to the hearing room.
    ///
    /// # Errors
    /// Any [`CourtError`].
    pub async fn join_hearing(&self, hearing: &str) -> Result<JoinTicket, CourtError> {
        self.json(self.request(reqwest::Method::POST, &format!("v1/hearings/{}/join", segment(hearing)?))).await
    }

    /// `POST v1/hearings/{id}/statements` under `key`.
    ///
    /// # Errors
    /// Any [`CourtError`].
    pub async fn send_statement(
        &self,
        hearing: &str,
        key: &str,
        statement: &HearingStatement,
    ) -> Result<StatementReceipt, CourtError> {
        self.post_once(&format!("v1/hearings/{}/statements", segment(hearing)?), key, statement).await
    }

    /// `GET v1/fees/{id}`.
    ///
    /// # Errors
    /// Any [`CourtError`].
    pub async fn fee(&self, id: &str) -> Result<FeeNotice, CourtError> {
        self.get(&format!("v1/fees/{}", segment(id)?)).await
    }

    /// `POST v1/fees/{id}/payment`: the court's payment page for a fee.
    ///
    /// # Errors
    /// Any [`CourtError`] (409 when paid already).
    pub async fn start_payment(&self, fee: &str) -> Result<PaymentSession, CourtError> {
        self.json(self.request(reqwest::Method::POST, &format!("v1/fees/{}/payment", segment(fee)?))).await
    }

    /// `GET v1/cases/{id}/mediation`: the mediation thread.
    ///
    /// # Errors
    /// Any [`CourtError`].
    pub async fn mediation(&self, case: &str) -> Result<Vec<MediationMessage>, CourtError> {
        self.get(&format!("v1/cases/{}/mediation", segment(case)?)).await
    }

    /// `POST v1/cases/{id}/mediation` under `key`.
    ///
    /// # Errors
    /// Any [`CourtError`].
    pub async fn send_mediation_message(
        &self,
        case: &str,
        key: &str,
        message: &NewMediationMessage,
    ) -> Result<MediationMessage, CourtError> {
        self.post_once(&format!("v1/cases/{}/mediation", segment(case)?), key, message).await
    }

    /// `POST v1/cases/{id}/offline-steps` under `key`.
    ///
    /// # Errors
    /// Any [`CourtError`].
    pub async fn record_offline_step(
        &self,
        case: &str,
        key: &str,
        step: &OfflineStep,
    ) -> Result<OfflineStepRecord, CourtError> {
        self.post_once(&format!("v1/cases/{}/offline-steps", segment(case)?), key, step).await
    }

    /// `GET v1/cases/{id}/exhibits`: the case's evidence exchange.
    ///
    /// # Errors
    /// Any [`CourtError`].
    pub async fn exhibits(&self, case: &str) -> Result<Vec<ExchangedExhibit>, CourtError> {
        self.get(&format!("v1/cases/{}/exhibits", segment(case)?)).await
    }

    /// `GET v1/cases/{case}/exhibits/{id}/content`, at most the exhibit's size.
    ///
    /// # Errors
    /// Any [`CourtError`].
    pub async fn exhibit_content(&self, exhibit: &ExchangedExhibit) -> Result<ContentStream, CourtError> {
        let path = format!("v1/cases/{}/exhibits/{}/content", segment(&exhibit.case_id)?, segment(&exhibit.id)?);
        self.content(&path, exhibit.bytes).await
    }

    /// `POST v1/cases/{id}/exhibits` under `key`: offers an uploaded exhibit.
    ///
    /// # Errors
    /// Any [`CourtError`].
    pub async fn submit_exhibit(
        &self,
        case: &str,
        key: &str,
        exhibit: &SubmitExhibit,
    ) -> Result<ExchangedExhibit, CourtError> {
        self.post_once(&format!("v1/cases/{}/exhibits", segment(case)?), key, exhibit).await
    }

    /// `POST v1/cases/{case}/exhibits/{id}/opinions` under `key`: a cross-examination opinion.
    ///
    /// # Errors
    /// Any [`CourtError`].
    pub async fn cross_examine(
        &self,
        case: &str,
        exhibit: &str,
        key: &str,
        opinion: &CrossExamination,
    ) -> Result<ExchangedExhibit, CourtError> {
        self.post_once(&format!("v1/cases/{}/exhibits/{}/opinions", segment(case)?, segment(exhibit)?), key, opinion)
            .await
    }
}

/// An id as one path segment: only a plain token (1–128 ASCII letters, digits, `-`, `_`)
/// goes into a path, so no id can be a `..` or carry a `/` (percent-encoding would not do:
/// `%2E%2E` is a dot segment to a URL parser).
fn segment(id: &str) -> Result<&str, CourtError> {
    let plain =
        !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if plain {
        Ok(id)
    } else {
        Err(CourtError::InvalidResponse(format!("an unusable id {:?}", id.chars().take(40).collect::<String>())))
    }
}
