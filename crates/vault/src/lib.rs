//! Courtside's encrypted local store.
//!
//! This crate is the only one that touches keys and ciphertext. A vault lives in a
//! directory; its key file (`vault.json`) holds a random 256-bit **data key**, only ever
//! stored wrapped (AES-256-GCM) by:
//! - a key derived from the user's passphrase with Argon2id (parameters stored beside the
//!   salt, so they can be raised later without breaking old vaults), and
//! - a **recovery key** shown once at creation.
//!
//! Changing the passphrase rewraps the data key; nothing else is re-encrypted.

mod keyfile;
mod keys;

pub use keyfile::{KdfParams, VaultError, VaultState};
pub use keys::RecoveryKey;

use std::path::{Path, PathBuf};

use keys::DataKey;

/// Name of the key file inside a vault directory.
pub const KEY_FILE: &str = "vault.json";

/// An open vault: holds the data key in memory (zeroized when dropped).
pub struct Vault {
    dir: PathBuf,
    data_key: DataKey,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").field("dir", &self.dir).finish_non_exhaustive()
    }
}

impl Vault {
    /// Whether `dir` holds a vault.
    ///
    /// # Errors
    /// [`VaultError::Io`] when the directory cannot be read.
    pub fn state(dir: &Path) -> Result<VaultState, VaultError> {
        keyfile::state(&dir.join(KEY_FILE))
    }

    /// Creates a vault in `dir` (created when missing) protected by `passphrase`.
    /// Returns the open vault and the recovery key, which the user must see once.
    ///
    /// # Errors
    /// [`VaultError::AlreadyExists`] if `dir` holds a vault; [`VaultError::WeakPassphrase`]
    /// if the passphrase is shorter than [`MIN_PASSPHRASE_CHARS`]; I/O errors.
    pub fn create(dir: &Path, passphrase: &str, kdf: KdfParams) -> Result<(Self, RecoveryKey), VaultError> {
        if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(VaultError::WeakPassphrase { min: MIN_PASSPHRASE_CHARS });
        }
        let path = dir.join(KEY_FILE);
        if keyfile::state(&path)? == VaultState::Present {
            return Err(VaultError::AlreadyExists(path));
        }
        std::fs::create_dir_all(dir).map_err(|e| VaultError::Io { path: dir.to_owned(), source: e })?;
        let data_key = DataKey::generate()?;
        let recovery = RecoveryKey::generate()?;
        let file = keyfile::KeyFile::seal(&data_key, passphrase, &recovery, kdf)?;
        file.write_atomically(&path)?;
        Ok((Self { dir: dir.to_owned(), data_key }, recovery))
    }

    /// Opens the vault in `dir` with the passphrase.
    ///
    /// # Errors
    /// [`VaultError::WrongPassphrase`] when it does not open the vault;
    /// [`VaultError::NotFound`], [`VaultError::Corrupt`] or I/O errors otherwise.
    pub fn unlock(dir: &Path, passphrase: &str) -> Result<Self, VaultError> {
        let file = keyfile::KeyFile::read(&dir.join(KEY_FILE))?;
        let data_key = file.open_with_passphrase(passphrase)?;
        Ok(Self { dir: dir.to_owned(), data_key })
    }

    /// Opens the vault in `dir` with the recovery key (as printed; spaces and dashes ignored).
    ///
    /// # Errors
    /// [`VaultError::WrongRecoveryKey`] when it does not open the vault.
    pub fn unlock_with_recovery_key(dir: &Path, recovery_key: &str) -> Result<Self, VaultError> {
        let key = RecoveryKey::parse(recovery_key)?;
        let file = keyfile::KeyFile::read(&dir.join(KEY_FILE))?;
        let data_key = file.open_with_recovery_key(&key)?;
        Ok(Self { dir: dir.to_owned(), data_key })
    }

    /// Replaces the passphrase: the data key is rewrapped, nothing else is re-encrypted.
    ///
    /// # Errors
    /// [`VaultError::WeakPassphrase`] or I/O errors.
    pub fn change_passphrase(&self, new_passphrase: &str, kdf: KdfParams) -> Result<(), VaultError> {
        if new_passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(VaultError::WeakPassphrase { min: MIN_PASSPHRASE_CHARS });
        }
        let path = self.dir.join(KEY_FILE);
        let mut file = keyfile::KeyFile::read(&path)?;
        file.rewrap_passphrase(&self.data_key, new_passphrase, kdf)?;
        file.write_atomically(&path)
    }

    /// The vault's directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Shortest passphrase a vault accepts.
pub const MIN_PASSPHRASE_CHARS: usize = 8;
