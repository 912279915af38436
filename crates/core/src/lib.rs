//! The Courtside application core.
//!
//! [`App`] wires the domain crates together; the desktop shell (`src-tauri`) and the
//! `courtside` command line (`crates/cli`) are both thin layers over it, so every behaviour
//! is reachable and testable without a webview.
//!
//! [`ipc`] is the `courtside-ipc` crate: the data-transfer types the UI sees, whose
//! TypeScript twins in `ui/src/lib/backend/bindings.ts` are generated from them.
//!
//! With the `demo-court` feature (the development and test builds), a configuration without
//! a court runs the reference court on 127.0.0.1 as a demo; without it, the core links no
//! court server and a court must be configured.

pub mod agenda;
pub mod backup;
pub mod calendar;
pub mod cases;
pub mod config;
pub mod court_actions;
pub mod courts;
mod demo;
pub mod error;
pub mod evidence;
pub mod export;
pub mod fees;
pub mod hearing_join;
pub mod instance;
pub mod network_watch;
pub mod power;
mod service;
pub mod service_docs;
pub mod unlock_guard;

pub use courtside_ipc as ipc;

pub use config::{AppConfig, CourtChoice, default_data_dir};
pub use error::AppError;
pub use evidence::Picked;
pub use service::{App, SLEEP_LOCK_GRACE, unlock_delay};
