//! Errors of the application service.

use courtside_court_api::CourtError;
use courtside_sync::SyncError;
use courtside_vault::VaultError;

use crate::ipc::{DamagedItem, ErrorCode, IpcError};

/// What can go wrong in the application service. Converted once, at the IPC boundary, into
/// [`crate::ipc::IpcError`], and at the CLI boundary into an exit code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The user asked for something that cannot be done as asked.
    #[error("{0}")]
    InvalidInput(String),
    /// What the user asked for is not there (deleted, or never was).
    #[error("{0}")]
    NotFound(String),
    /// The court could not be reached or refused the request.
    #[error(transparent)]
    Court(#[from] CourtError),
    /// An upload to a court (or another tus server) did not complete.
    #[error("the upload did not complete: {0}")]
    Upload(#[from] courtside_sync::tus::TusError),
    /// The embedded demo court could not start.
    #[error("the demo court could not start: {0}")]
    DemoCourt(String),
    /// The vault refused (wrong passphrase, damaged key file, disk error).
    #[error(transparent)]
    Vault(#[from] courtside_vault::VaultError),
    /// Talking to a court failed (sign-in, sync, policy).
    #[error(transparent)]
    Sync(courtside_sync::SyncError),
    /// The operation needs the vault open.
    #[error("the vault is locked")]
    Locked,
    /// A bug or an environment failure the user cannot fix from the app.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<courtside_casework::DraftError> for AppError {
    fn from(e: courtside_casework::DraftError) -> Self {
        use courtside_casework::DraftError;
        match e {
            DraftError::Vault(v) => Self::Vault(v),
            DraftError::Decode(..) => Self::Internal(e.to_string()),
            DraftError::NotFound(_) | DraftError::NoSuchVersion(..) => Self::NotFound(e.to_string()),
            DraftError::TooLarge(_) => Self::InvalidInput(e.to_string()),
        }
    }
}

impl From<courtside_sync::SyncError> for AppError {
    fn from(e: courtside_sync::SyncError) -> Self {
        match e {
            courtside_sync::SyncError::Vault(v) => Self::Vault(v),
            other => Self::Sync(other),
        }
    }
}

impl From<courtside_casework::cases::CaseError> for AppError {
    fn from(e: courtside_casework::cases::CaseError) -> Self {
        use courtside_casework::cases::CaseError;
        match e {
            CaseError::Vault(v) => Self::Vault(v),
            CaseError::Decode(..) => Self::Internal(e.to_string()),
            CaseError::NotFound(_) => Self::NotFound(e.to_string()),
            CaseError::Invalid(_) | CaseError::Sent(_) | CaseError::HeldByCourt(_) => Self::InvalidInput(e.to_string()),
        }
    }
}

impl From<courtside_evidence::EvidenceError> for AppError {
    fn from(e: courtside_evidence::EvidenceError) -> Self {
        use courtside_evidence::EvidenceError;
        match e {
            EvidenceError::Vault(v) => Self::Vault(v),
            EvidenceError::Decode(..) => Self::Internal(e.to_string()),
            EvidenceError::NotFound(_) => Self::NotFound(e.to_string()),
            other => Self::InvalidInput(other.to_string()),
        }
    }
}

impl AppError {
    /// Whether this is the user's to fix (CLI exit code 1) rather than ours (exit code 2).
    #[must_use]
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            Self::InvalidInput(_)
                | Self::NotFound(_)
                | Self::Court(_)
                | Self::Upload(_)
                | Self::Sync(_)
                | Self::DemoCourt(_)
                | Self::Vault(_)
                | Self::Locked
        )
    }
}

impl From<AppError> for IpcError {
    fn from(e: AppError) -> Self {
        let code = match &e {
            AppError::InvalidInput(_) => ErrorCode::InvalidInput,
            AppError::NotFound(_) => ErrorCode::NotFound,
            AppError::Court(CourtError::Unreachable { .. }) | AppError::Sync(SyncError::Unreachable(_)) => {
                ErrorCode::Offline
            }
            AppError::Court(CourtError::Court(_)) | AppError::Sync(SyncError::Court(_)) => ErrorCode::CourtRefused,
            AppError::Sync(SyncError::NotSignedIn(_)) => ErrorCode::NotSignedIn,
            AppError::Court(_) | AppError::Upload(_) | AppError::Sync(_) => ErrorCode::Court,
            AppError::DemoCourt(_) => ErrorCode::DemoCourt,
            AppError::Vault(v) => match v {
                VaultError::WrongPassphrase => ErrorCode::WrongPassphrase,
                VaultError::WrongRecoveryKey => ErrorCode::WrongRecoveryKey,
                VaultError::WeakPassphrase { .. } | VaultError::AlreadyExists(_) => ErrorCode::InvalidInput,
                VaultError::Tampered { .. } => ErrorCode::Tampered,
                VaultError::KeychainUnavailable(_) => ErrorCode::KeychainUnavailable,
                VaultError::DeviceUnlockOff | VaultError::WrongDeviceKey => ErrorCode::DeviceUnlockUnavailable,
                VaultError::InUse { .. } => ErrorCode::VaultInUse,
                VaultError::Conflict { .. } => ErrorCode::Conflict,
                VaultError::BackupDamaged { .. } => ErrorCode::BackupDamaged,
                VaultError::NotABackup(_) | VaultError::BackupOfAnotherVault(_) => ErrorCode::BackupFolder,
                VaultError::NotFound(_) => ErrorCode::NotFound,
                VaultError::Corrupt { .. }
                | VaultError::Io { .. }
                | VaultError::Database { .. }
                | VaultError::InvalidId(_)
                | VaultError::Random => ErrorCode::Vault,
            },
            AppError::Locked => ErrorCode::Locked,
            AppError::Internal(_) => ErrorCode::Internal,
        };
        // A damaged item is named with its kind, so the window can say what it is and what
        // the user can do, in the user's language.
        let details = match &e {
            AppError::Vault(v) => DamagedItem::of(v).and_then(|d| serde_json::to_value(d).ok()),
            _ => None,
        };
        Self { code, message: e.to_string(), details }
    }
}
