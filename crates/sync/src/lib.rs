//! Talking to courts when a connection exists.
//!
//! [`tus`] uploads files resumably to any tus 1.0 server (the court's `/v1/uploads` or an
//! independent one), resuming from the server's offset after any cut; [`retry`] decides how
//! long to wait between attempts (exponential backoff with full jitter, honouring
//! `Retry-After`).

pub mod retry;
pub mod tus;
