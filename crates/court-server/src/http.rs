//! What every handler shares: the court's state, errors as RFC 9457 problems, and the
//! bearer-token extractors for accounts and clerks.

use crate::store::Cached;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use courtside_court_api::encoding::sha256_hex;
use courtside_court_api::{Problem, ProblemError};
use ring::signature::Ed25519KeyPair;
use time::OffsetDateTime;

use crate::faults::Faults;
use crate::policy::PublishedPolicy;
use crate::store::Store;

/// Everything a handler can reach.
#[derive(Clone)]
pub(crate) struct CourtState {
    pub(crate) store: Store,
    pub(crate) court_name: String,
    pub(crate) court_id: String,
    pub(crate) key: Arc<CourtKey>,
    pub(crate) policy: Arc<PublishedPolicy>,
    pub(crate) uploads_dir: std::path::PathBuf,
    pub(crate) access_token_ttl: Duration,
    pub(crate) clerk_token: Arc<str>,
    pub(crate) faults: Faults,
    pub(crate) rooms: crate::hearings::Rooms,
    pub(crate) digests: crate::uploads::RunningDigests,
    pub(crate) tsa: Arc<crate::timestamps::Tsa>,
}

impl std::fmt::Debug for CourtState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CourtState").field("court_id", &self.court_id).finish_non_exhaustive()
    }
}

/// The court's Ed25519 signing key and its id.
pub(crate) struct CourtKey {
    pub(crate) pair: Ed25519KeyPair,
    pub(crate) id: String,
}

/// An error answer: always problem details (boxed: errors travel through every `Result`).
#[derive(Debug)]
pub(crate) struct ApiError(Box<ErrorAnswer>);

#[derive(Debug)]
struct ErrorAnswer {
    problem: Problem,
    headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl ApiError {
    /// A problem with a type name (`urn:courtside:problem:<name>`), status, title and detail.
    pub(crate) fn new(status: u16, name: &str, title: &str, detail: impl Into<String>) -> Self {
        Self(Box::new(ErrorAnswer {
            problem: Problem::new(status, title).with_type(name).with_detail(detail),
            headers: Vec::new(),
        }))
    }

    pub(crate) fn bad_request(name: &str, detail: impl Into<String>) -> Self {
        Self::new(400, name, "Bad request", detail)
    }

    pub(crate) fn not_found(what: &str) -> Self {
        Self::new(404, "not-found", "Not found", format!("no {what} with that id for this account"))
    }

    pub(crate) fn unprocessable(name: &str, title: &str, detail: impl Into<String>) -> Self {
        Self::new(422, name, title, detail)
    }

    pub(crate) fn conflict(name: &str, detail: impl Into<String>) -> Self {
        Self::new(409, name, "Conflict", detail)
    }

    pub(crate) fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "reference court internal error");
        Self::new(500, "internal", "Internal error", "the court could not complete the request")
    }

    pub(crate) fn with_errors(mut self, errors: Vec<ProblemError>) -> Self {
        self.0.problem.errors = errors;
        self
    }

    pub(crate) fn with_header(mut self, name: header::HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.0.headers.push((name, v));
        }
        self
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        Self::internal(e)
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        Self::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let ErrorAnswer { problem: p, headers } = *self.0;
        let mut response = problem(p);
        for (name, value) in headers {
            response.headers_mut().append(name, value);
        }
        response
    }
}

/// Renders RFC 9457 problem details with their media type.
pub(crate) fn problem(p: Problem) -> Response {
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, "application/problem+json")], Json(p)).into_response()
}

/// An account, authenticated by its bearer access token.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) account_id: String,
}

impl FromRequestParts<CourtState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &CourtState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or_else(|| {
            ApiError::new(401, "unauthenticated", "Unauthorized", "this endpoint needs an access token")
                .with_header(header::WWW_AUTHENTICATE, "Bearer realm=\"courtside\"")
        })?;
        let now = unix_now();
        let found: Option<String> = state.store.with(|c| {
            optional(c.one(
                "SELECT account_id FROM tokens WHERE token_hash = ?1 AND kind = 'access' AND expires_at > ?2",
                rusqlite::params![sha256_hex(token.as_bytes()), now],
                |r| r.get(0),
            ))
        })?;
        found.map(|account_id| Self { account_id }).ok_or_else(|| {
            ApiError::new(401, "invalid-token", "Unauthorized", "the access token is unknown or expired; refresh it")
                .with_header(
                    header::WWW_AUTHENTICATE,
                    "Bearer realm=\"courtside\", error=\"invalid_token\", error_description=\"expired or unknown\"",
                )
        })
    }
}

/// A clerk of the court, authenticated by the court's clerk token.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clerk;

impl FromRequestParts<CourtState> for Clerk {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &CourtState) -> Result<Self, ApiError> {
        // Compared as digests, so the time taken says nothing about the token's bytes.
        let given = sha256_hex(bearer(parts).unwrap_or_default().as_bytes());
        if given == sha256_hex(state.clerk_token.as_bytes()) {
            Ok(Self)
        } else {
            Err(ApiError::new(401, "not-a-clerk", "Unauthorized", "the clerk API needs the court's clerk token")
                .with_header(header::WWW_AUTHENTICATE, "Bearer realm=\"courtside-clerk\""))
        }
    }
}

fn bearer(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim().to_owned())
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// A timestamp from seconds since the epoch (the store's unit).
pub(crate) fn from_unix(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A fresh opaque id with a readable prefix, e.g. `fil_…`.
pub(crate) fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", courtside_court_api::auth::random_token(12))
}

/// Reads an optional `rusqlite` row.
pub(crate) fn optional<T>(r: rusqlite::Result<T>) -> rusqlite::Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Serialises a stored JSON column.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> rusqlite::Result<String> {
    serde_json::to_string(value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// Reads a stored JSON column.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

/// The first column of the first row, parsed from JSON, if there is a row.
pub(crate) fn load_json<T: serde::de::DeserializeOwned>(
    conn: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Option<T>> {
    optional(conn.one(sql, params, |r| r.get::<_, String>(0)))?.map(|t| from_json(&t)).transpose()
}

/// Every row's first column, parsed from JSON.
pub(crate) fn load_json_rows<T: serde::de::DeserializeOwned>(
    conn: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Vec<T>> {
    let mut stmt = conn.prepare(sql)?;
    let texts = stmt.query_map(params, |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    texts.iter().map(|t| from_json(t)).collect()
}

/// The parties of a case that have accounts: (account id, username).
pub(crate) fn case_parties(conn: &rusqlite::Connection, case_id: &str) -> rusqlite::Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare(
        "SELECT a.id, a.username FROM case_parties p JOIN accounts a ON a.id = p.account_id WHERE p.case_id = ?1 ORDER BY a.username",
    )?;
    stmt.query_map([case_id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
}

/// The caller's username, when the caller is a party to the case.
pub(crate) fn party_name(state: &CourtState, case_id: &str, account_id: &str) -> Result<String, ApiError> {
    let parties = state.store.with(|c| case_parties(c, case_id))?;
    parties
        .into_iter()
        .find(|(id, _)| id == account_id)
        .map(|(_, name)| name)
        .ok_or_else(|| ApiError::not_found("case"))
}

/// The account id of a username.
pub(crate) fn account_of(conn: &rusqlite::Connection, username: &str) -> rusqlite::Result<Option<String>> {
    optional(conn.one("SELECT id FROM accounts WHERE username = ?1", [username], |r| r.get(0)))
}

/// Puts a new case on the docket with the next case number; returns its id and number.
pub(crate) fn docket_case(
    conn: &rusqlite::Connection,
    case_type: &str,
    title: &str,
) -> rusqlite::Result<(String, String)> {
    let id = new_id("case");
    let number: i64 = conn.one("SELECT COUNT(*) + 1 FROM cases", [], |r| r.get(0))?;
    let case_number = format!("({})示0101民初{number}号", OffsetDateTime::now_utc().year());
    conn.run(
        "INSERT INTO cases (id, case_number, case_type, title) VALUES (?1, ?2, ?3, ?4)",
        [&id, &case_number, case_type, title],
    )?;
    Ok((id, case_number))
}

/// Whether `id` is a plain id (letters, digits, `-`, `_`): safe as a file name.
pub(crate) fn is_plain_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
