//! The Courtside application service.
//!
//! [`App`] wires the core crates together; the desktop shell (`src-tauri`) and the
//! `courtside` command-line program are both thin layers over it, so every behaviour is
//! reachable and testable without a webview.
//!
//! [`ipc`] holds the data-transfer types the UI sees; their TypeScript twins in
//! `ui/src/lib/backend/bindings.ts` are generated from them ([`ipc::bindings`]).

pub mod backup;
pub mod calendar;
pub mod cases;
pub mod config;
pub mod court_actions;
pub mod courts;
pub mod error;
pub mod evidence;
pub mod export;
pub mod fees;
pub mod hearing_join;
pub mod instance;
pub mod ipc;
pub mod network_watch;
pub mod power;
mod service;
pub mod service_docs;
pub mod unlock_guard;

pub use config::{AppConfig, CourtChoice, default_data_dir};
pub use error::AppError;
pub use evidence::Picked;
pub use service::{App, SLEEP_LOCK_GRACE, unlock_delay};
