//! "Unlock with this device": a random key kept in the OS keychain (Keychain Services on
//! macOS, Credential Manager on Windows, the Secret Service on Linux) wraps the data key in
//! a third slot of the key file. Where no keychain answers (a headless Linux machine, a
//! locked-down desktop) the caller gets [`VaultError::KeychainUnavailable`] with the
//! system's reason, and the passphrase stays the way in.

use std::path::Path;

use zeroize::Zeroizing;

use crate::VaultError;
use crate::keys::{KEY_LEN, random_bytes};

const SERVICE: &str = "org.courtside.desktop";

/// The keychain entry of one vault (named by its directory, which is unique per user).
fn entry(dir: &Path) -> Result<keyring::Entry, VaultError> {
    let account = format!("vault {}", dir.display());
    keyring::Entry::new(SERVICE, &account).map_err(unavailable)
}

pub(crate) fn new_device_key() -> Result<Zeroizing<[u8; KEY_LEN]>, VaultError> {
    Ok(Zeroizing::new(random_bytes()?))
}

pub(crate) fn store(dir: &Path, key: &[u8; KEY_LEN]) -> Result<(), VaultError> {
    entry(dir)?.set_secret(key).map_err(unavailable)
}

pub(crate) fn load(dir: &Path) -> Result<Zeroizing<[u8; KEY_LEN]>, VaultError> {
    let secret = Zeroizing::new(entry(dir)?.get_secret().map_err(|e| match e {
        keyring::Error::NoEntry => VaultError::WrongDeviceKey,
        other => unavailable(other),
    })?);
    let key: [u8; KEY_LEN] = secret.as_slice().try_into().map_err(|_| VaultError::WrongDeviceKey)?;
    Ok(Zeroizing::new(key))
}

pub(crate) fn delete(dir: &Path) -> Result<(), VaultError> {
    match entry(dir)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(unavailable(e)),
    }
}

fn unavailable(e: keyring::Error) -> VaultError {
    VaultError::KeychainUnavailable(e.to_string())
}
