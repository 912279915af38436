//! JSON types exchanged with a court. Field names are the wire names (camelCase).

use serde::{Deserialize, Serialize};

/// Version segment of every path of the court API.
pub const API_VERSION: &str = "v1";

/// Answer of `GET /v1/health`: whether the court's service is up and what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// Overall state of the service.
    pub status: HealthStatus,
    /// Display name of the court, e.g. "示范基层人民法院 (Demo Basic People's Court)".
    pub court_name: String,
    /// Version of the protocol the server speaks, e.g. `v1`.
    pub api_version: String,
    /// Version of the server software.
    pub server_version: String,
}

/// State of a court's service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum HealthStatus {
    /// Accepting requests.
    Ok,
    /// Up, but some functions (e.g. payments) are unavailable.
    Degraded,
}

/// An error answer from a court: RFC 9457 problem details (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
}

fn about_blank() -> String {
    "about:blank".to_owned()
}

impl Problem {
    /// A problem of the given status with a title and no type URI.
    #[must_use]
    pub fn new(status: u16, title: impl Into<String>) -> Self {
        Self { kind: about_blank(), title: title.into(), status, detail: None, instance: None }
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
