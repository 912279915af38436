//! Errors of the application service.

use courtside_court_api::CourtError;

/// What can go wrong in the application service. Converted once, at the IPC boundary, into
/// [`crate::ipc::IpcError`], and at the CLI boundary into an exit code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The user asked for something that cannot be done as asked.
    #[error("{0}")]
    InvalidInput(String),
    /// The court could not be reached or refused the request.
    #[error(transparent)]
    Court(#[from] CourtError),
    /// An upload to a court (or another tus server) did not complete.
    #[error("the upload did not complete: {0}")]
    Upload(#[from] courtside_sync::tus::TusError),
    /// The embedded demo court could not start.
    #[error("the demo court could not start: {0}")]
    DemoCourt(#[from] courtside_court_server::StartError),
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
            DraftError::NotFound(_) | DraftError::NoSuchVersion(..) | DraftError::TooLarge(_) => {
                Self::InvalidInput(e.to_string())
            }
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
            CaseError::NotFound(_) | CaseError::Invalid(_) | CaseError::Sent(_) => Self::InvalidInput(e.to_string()),
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
                | Self::Court(_)
                | Self::Upload(_)
                | Self::Sync(_)
                | Self::DemoCourt(_)
                | Self::Vault(_)
                | Self::Locked
        )
    }
}
