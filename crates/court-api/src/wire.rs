//! JSON types exchanged with a court. Field names are the wire names (camelCase).

use serde::{Deserialize, Serialize};

/// Version segment of every path of the court API.
pub const API_VERSION: &str = "v1";

/// Answer of `GET /v1/health`: whether the court's service is up and what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// Overall state of the service.
    pub status: HealthStatus,
    /// Display name of the court, e.g. "示范基层人民法院 (Demo Basic People's Court)".
    pub court_name: String,
    /// The court's id: its policy is at `/v1/courts/{courtId}/policy`.
    pub court_id: String,
    /// Version of the protocol the server speaks, e.g. `v1`.
    pub api_version: String,
    /// Version of the server software.
    pub server_version: String,
}

/// State of a court's service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum HealthStatus {
    /// Accepting requests.
    Ok,
    /// Up, but some functions (e.g. payments) are unavailable.
    Degraded,
}

/// An error answer from a court: RFC 9457 problem details (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Problem {
    /// URI reference naming the problem type; `about:blank` when only the status matters.
    #[serde(rename = "type", default = "about_blank")]
    pub kind: String,
    /// Short, human-readable summary of the problem type.
    pub title: String,
    /// HTTP status code of this occurrence.
    pub status: u16,
    /// Explanation specific to this occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// URI reference of this occurrence (usually the request path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Every individual fault found (extension member, as in RFC 9457 §3's example), so a
    /// filer can fix them all at once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemError>,
}

/// One fault inside a [`Problem`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProblemError {
    /// What is wrong.
    pub detail: String,
    /// JSON Pointer (RFC 6901) into the request (or its signed manifest) where it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
}

/// Prefix of the problem type URIs the reference court uses; the suffix names the problem,
/// e.g. `urn:courtside:problem:unknown-case-type`.
pub const PROBLEM_TYPE_PREFIX: &str = "urn:courtside:problem:";

fn about_blank() -> String {
    "about:blank".to_owned()
}

impl Problem {
    /// A problem of the given status with a title and no type URI.
    #[must_use]
    pub fn new(status: u16, title: impl Into<String>) -> Self {
        Self { kind: about_blank(), title: title.into(), status, detail: None, instance: None, errors: Vec::new() }
    }

    /// Names the problem type (`urn:courtside:problem:<name>`).
    #[must_use]
    pub fn with_type(mut self, name: &str) -> Self {
        self.kind = format!("{PROBLEM_TYPE_PREFIX}{name}");
        self
    }

    /// The problem type's name when it is one of ours (`unknown-case-type`), else `None`.
    #[must_use]
    pub fn type_name(&self) -> Option<&str> {
        self.kind.strip_prefix(PROBLEM_TYPE_PREFIX)
    }

    /// Adds the individual faults.
    #[must_use]
    pub fn with_errors(mut self, errors: Vec<ProblemError>) -> Self {
        self.errors = errors;
        self
    }

    /// Adds the occurrence-specific explanation.
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Adds the occurrence URI (usually the request path).
    #[must_use]
    pub fn with_instance(mut self, instance: impl Into<String>) -> Self {
        self.instance = Some(instance.into());
        self
    }
}
