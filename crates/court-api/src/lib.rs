//! The court protocol.
//!
//! This crate is the only place that knows the wire format of a court: the JSON types of
//! the `/v1` API and the HTTP client that speaks it. The reference court
//! (`courtside-court-server`) serves these same types, so a change here is a protocol change.

pub mod auth;
mod client;
pub mod encoding;
pub mod filing;
pub mod hearing;
mod litigant;
pub mod network;
pub mod policy;
pub mod signing;
pub mod tsp;
pub mod tsp_verify;
pub mod tus;
mod url_policy;
mod wire;

pub use client::{ClerkClient, CourtClient, CourtError, classify, error_chain};
pub use litigant::{ContentStream, Litigant, MAX_CONTENT_BYTES, PolicyAnswer};
pub use url_policy::{CourtUrl, CourtUrlError};
pub use wire::{API_VERSION, Health, HealthStatus, PROBLEM_TYPE_PREFIX, Problem, ProblemError};
