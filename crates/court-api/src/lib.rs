//! The court protocol.
//!
//! This crate is the only place that knows the wire format of a court: the JSON types of
//! the `/v1` API and the HTTP client that speaks it. The reference court
//! (`courtside-court-server`) serves these same types, so a change here is a protocol change.

mod client;
pub mod tus;
mod url_policy;
mod wire;

pub use client::{CourtClient, CourtError};
pub use url_policy::{CourtUrl, CourtUrlError};
pub use wire::{API_VERSION, Health, HealthStatus, Problem};
