//! Data-transfer types between the UI and Rust.
//!
//! These are the only types that cross the IPC boundary. Their TypeScript declarations are
//! generated ([`bindings`]) into `ui/src/lib/backend/bindings.ts`, committed, and checked for
//! staleness by a test, so the two sides cannot drift apart silently.

use serde::Serialize;
use ts_rs::TS;

pub use courtside_casework::{Draft, DraftSummary, SearchHit, VersionSummary};
use courtside_vault::VaultError;

use crate::AppError;

/// What the UI shows about the running app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    /// The app's version, e.g. `0.1.0`.
    pub version: String,
    /// The OS's preferred locale as a BCP 47 tag (`zh-CN`, `en-US`), when the OS tells.
    pub os_locale: Option<String>,
    /// The court this app talks to.
    pub court: CourtSummary,
}

/// The court the app is connected to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CourtSummary {
    /// Base URL of the court's API.
    pub url: String,
    /// Whether this is the embedded demo court.
    pub demo: bool,
}

/// Whether the court can be reached right now, and if not, why.
///
/// "Online" means the last call to the court succeeded; the OS's network state is only a
/// hint. Proxy and certificate failures are told apart from "offline" because the user fixes
/// them differently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum Connectivity {
    /// The court answered.
    #[serde(rename_all = "camelCase")]
    Online {
        /// The court's display name.
        court_name: String,
        /// Milliseconds since the Unix epoch of the check.
        #[ts(type = "number")]
        checked_at: u64,
    },
    /// The court could not be reached.
    #[serde(rename_all = "camelCase")]
    Offline {
        /// Why, in words for the user.
        reason: String,
        /// Milliseconds since the Unix epoch of the check.
        #[ts(type = "number")]
        checked_at: u64,
    },
    /// A proxy demands credentials.
    #[serde(rename_all = "camelCase")]
    ProxyAuthRequired {
        /// Milliseconds since the Unix epoch of the check.
        #[ts(type = "number")]
        checked_at: u64,
    },
    /// The court's certificate was not accepted.
    #[serde(rename_all = "camelCase")]
    CertificateProblem {
        /// The TLS stack's explanation.
        reason: String,
        /// Milliseconds since the Unix epoch of the check.
        #[ts(type = "number")]
        checked_at: u64,
    },
}

/// Whether a vault exists and whether it is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum VaultState {
    /// No vault yet: the UI offers to create one.
    Absent,
    /// A vault exists and is closed.
    Locked,
    /// The vault is open.
    Unlocked,
}

/// Answer to vault creation: the recovery key, to be shown to the user exactly once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CreatedVault {
    /// The printable recovery key (`CSRK-XXXX-…`).
    pub recovery_key: String,
}

/// Machine-readable class of an [`IpcError`]; the UI chooses its message and remedy by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ErrorCode {
    /// The request was not acceptable as made.
    InvalidInput,
    /// The court is unreachable or refused.
    Court,
    /// The embedded demo court did not start.
    DemoCourt,
    /// The passphrase does not open the vault.
    WrongPassphrase,
    /// The recovery key does not open the vault.
    WrongRecoveryKey,
    /// The operation needs the vault unlocked.
    Locked,
    /// This computer's keychain cannot be used; the passphrase is the way in.
    KeychainUnavailable,
    /// Device unlock is off, or the keychain's key no longer opens the vault.
    DeviceUnlockUnavailable,
    /// An item in the vault failed its integrity check (altered, moved, rolled back).
    Tampered,
    /// The vault's files are damaged or cannot be read or written.
    Vault,
    /// Something the user cannot fix.
    Internal,
}

/// The one error shape every command returns: `{ code, message, details? }`.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IpcError {
    /// Class of the error.
    pub code: ErrorCode,
    /// A sentence for the user (English; the UI translates by `code` where it can).
    pub message: String,
    /// Structured extra information, when there is any.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "Record<string, unknown>")]
    pub details: Option<serde_json::Value>,
}

impl From<AppError> for IpcError {
    fn from(e: AppError) -> Self {
        let code = match &e {
            AppError::InvalidInput(_) => ErrorCode::InvalidInput,
            AppError::Court(_) | AppError::Upload(_) => ErrorCode::Court,
            AppError::DemoCourt(_) => ErrorCode::DemoCourt,
            AppError::Vault(v) => match v {
                VaultError::WrongPassphrase => ErrorCode::WrongPassphrase,
                VaultError::WrongRecoveryKey => ErrorCode::WrongRecoveryKey,
                VaultError::WeakPassphrase { .. } | VaultError::AlreadyExists(_) => ErrorCode::InvalidInput,
                VaultError::Tampered { .. } => ErrorCode::Tampered,
                VaultError::KeychainUnavailable(_) => ErrorCode::KeychainUnavailable,
                VaultError::DeviceUnlockOff | VaultError::WrongDeviceKey => ErrorCode::DeviceUnlockUnavailable,
                VaultError::NotFound(_)
                | VaultError::Corrupt { .. }
                | VaultError::Io { .. }
                | VaultError::Database { .. }
                | VaultError::InvalidId(_)
                | VaultError::Random => ErrorCode::Vault,
            },
            AppError::Locked => ErrorCode::Locked,
            AppError::Internal(_) => ErrorCode::Internal,
        };
        Self { code, message: e.to_string(), details: None }
    }
}

/// The TypeScript declarations of every IPC type, as one module.
#[must_use]
pub fn bindings() -> String {
    let cfg = ts_rs::Config::default();
    let decls = [
        AppInfo::decl(&cfg),
        CourtSummary::decl(&cfg),
        Connectivity::decl(&cfg),
        VaultState::decl(&cfg),
        CreatedVault::decl(&cfg),
        Draft::decl(&cfg),
        DraftSummary::decl(&cfg),
        VersionSummary::decl(&cfg),
        SearchHit::decl(&cfg),
        ErrorCode::decl(&cfg),
        IpcError::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated by `cargo xtask codegen` from crates/app/src/ipc.rs. Do not edit.\n\
         // A test fails when this file is stale.\n\n",
    );
    for decl in decls {
        out.push_str("export ");
        out.push_str(&decl);
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// Path of the committed bindings, relative to the workspace root.
pub const BINDINGS_PATH: &str = "ui/src/lib/backend/bindings.ts";
