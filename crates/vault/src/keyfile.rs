//! The key file: the data key wrapped by the passphrase and by the recovery key.

use std::io::Write;
use std::path::{Path, PathBuf};

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hkdf;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::keys::{DataKey, KEY_LEN, RecoveryKey, random_bytes};

const FORMAT: u32 = 1;
const SALT_LEN: usize = 16;
/// Associated data of each wrapping: a wrapped key cannot be moved from one slot to another.
const AAD_PASSPHRASE: &[u8] = b"courtside-vault/v1/data-key/passphrase";
const AAD_RECOVERY: &[u8] = b"courtside-vault/v1/data-key/recovery";
const HKDF_RECOVERY_INFO: &[u8] = b"courtside-vault/v1/recovery-kek";
const AAD_DEVICE: &[u8] = b"courtside-vault/v1/data-key/device";

/// Whether a directory holds a vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VaultState {
    /// No key file.
    Absent,
    /// A key file exists.
    Present,
}

/// What went wrong with a vault. No variant carries key material or passphrases.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The passphrase does not open this vault.
    #[error("the passphrase does not open this vault")]
    WrongPassphrase,
    /// The recovery key is malformed or does not open this vault.
    #[error("the recovery key does not open this vault")]
    WrongRecoveryKey,
    /// The passphrase is too short to protect the vault.
    #[error("the passphrase must have at least {min} characters")]
    WeakPassphrase {
        /// Minimum number of characters.
        min: usize,
    },
    /// There is no vault at the path.
    #[error("no vault at {0}")]
    NotFound(PathBuf),
    /// A vault exists already; creating would destroy it.
    #[error("a vault already exists at {0}")]
    AlreadyExists(PathBuf),
    /// The key file is damaged or not a vault key file.
    #[error("the vault key file {path} is damaged: {reason}")]
    Corrupt {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading or writing failed (disk full, permissions).
    #[error("cannot read or write {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Unlocking with this device was not turned on for the vault.
    #[error("unlocking with this device is not turned on for this vault")]
    DeviceUnlockOff,
    /// The key from the OS keychain does not open the vault (it was replaced or reset).
    #[error("the key stored on this device no longer opens the vault; unlock with your passphrase")]
    WrongDeviceKey,
    /// The OS keychain cannot be used here (none installed or running, access refused).
    #[error("this computer's keychain is not available ({0}); unlock with your passphrase instead")]
    KeychainUnavailable(String),
    /// An item failed its integrity check: altered, moved, rolled back or missing. Names the
    /// item (`table/id` or `blobs/id`), never its content.
    #[error("{item} failed its integrity check: {reason}")]
    Tampered {
        /// The damaged item.
        item: String,
        /// What kind of failure it is (what the user is told, and can do, follows from it).
        kind: Damage,
        /// What is wrong with it.
        reason: String,
    },
    /// The vault database refused an operation (disk full, locked, damaged file).
    #[error("the vault database {path} failed: {source}")]
    Database {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// An id that could escape the vault's directories or is otherwise unusable.
    #[error("invalid item id {0:?}")]
    InvalidId(String),
    /// The OS random number generator failed.
    #[error("the system's random number generator failed")]
    Random,
    /// Another process (another Courtside window, or a `courtside` command) has this vault
    /// open; nothing was read or written.
    #[error("Courtside is already open on this computer with the vault at {dir}; close it first, then try again")]
    InUse {
        /// The vault's directory.
        dir: PathBuf,
    },
    /// A backup (a snapshot, a piece of one, or its folder) is damaged, incomplete or mixed
    /// with another backup's files; names what, never content.
    #[error("the backup's {item} failed its check: {reason}")]
    BackupDamaged {
        /// The snapshot, file and piece.
        item: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The folder holds no Courtside backup.
    #[error("{0} holds no Courtside backup")]
    NotABackup(PathBuf),
    /// The folder holds the backups of another vault: nothing is written into it.
    #[error("{0} holds the backups of another vault")]
    BackupOfAnotherVault(PathBuf),
    /// A record changed since the caller read it: the caller reads it again and retries, or
    /// reports a conflict. Nothing was written.
    #[error("{item} was changed meanwhile (expected revision {expected}, found {found})")]
    Conflict {
        /// The record (`table/id`).
        item: String,
        /// The revision the caller read (0: it did not exist).
        expected: u64,
        /// The revision found.
        found: u64,
    },
}

/// What kind of integrity failure an item has. A disk, a sync tool or a person can each cause
/// any of them; the kind says what happened to the bytes, not who did it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Damage {
    /// Its bytes changed since this vault wrote them (a bad disk sector, an edit).
    Altered,
    /// An older copy of it was put back (a file copied over from an earlier day).
    RolledBack,
    /// It is gone (deleted, or never finished copying).
    Missing,
    /// It is cut short.
    Truncated,
    /// It was not written by this vault, or belongs in another place of it.
    Foreign,
    /// The vault's own index of record revisions is damaged: what it covers still opens,
    /// but an older copy put back there can no longer be told from the current one until
    /// the index is written again (which the next change does).
    Index,
}

/// Largest Argon2id memory a key file may ask for (4 GiB).
const MAX_KDF_MEMORY_KIB: u32 = 4 << 20;
/// Most Argon2id passes a key file may ask for.
const MAX_KDF_ITERATIONS: u32 = 64;

/// Argon2id cost parameters, stored in the key file beside the salt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for KdfParams {
    /// 128 MiB, 6 passes, 1 lane: about 0.6 s on the 2-core development machine (64 MiB and
    /// 3 passes measured 154 ms there, below the half second we aim for; `cargo xtask bench`
    /// reports the figure). Parameters are stored per vault, so they can rise later.
    fn default() -> Self {
        Self { memory_kib: 128 * 1024, iterations: 6, parallelism: 1 }
    }
}

impl KdfParams {
    /// Cheap parameters for tests that create many vaults. Never for real vaults.
    #[must_use]
    pub fn insecure_for_tests() -> Self {
        Self { memory_kib: 64, iterations: 1, parallelism: 1 }
    }

    fn derive(&self, passphrase: &str, salt: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>, String> {
        // A key file from elsewhere (a backup folder) could ask for terabytes or for ever.
        if self.memory_kib > MAX_KDF_MEMORY_KIB || self.iterations > MAX_KDF_ITERATIONS || self.parallelism > 16 {
            return Err(format!(
                "the parameters ({} KiB, {} passes, {} lanes) are beyond what Courtside ever sets",
                self.memory_kib, self.iterations, self.parallelism
            ));
        }
        let params = argon2::Params::new(self.memory_kib, self.iterations, self.parallelism, Some(KEY_LEN))
            .map_err(|e| e.to_string())?;
        let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut out = Zeroizing::new([0u8; KEY_LEN]);
        argon.hash_password_into(passphrase.as_bytes(), salt, out.as_mut()).map_err(|e| e.to_string())?;
        Ok(out)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct KeyFile {
    format: u32,
    passphrase: PassphraseSlot,
    recovery: Wrapped,
    /// The data key wrapped by a key kept in the OS keychain ("unlock with this device").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    device: Option<Wrapped>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PassphraseSlot {
    kdf: KdfParams,
    #[serde(with = "b64")]
    salt: Vec<u8>,
    wrapped: Wrapped,
}

/// A key encrypted under another: AES-256-GCM, random nonce.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Wrapped {
    #[serde(with = "b64")]
    nonce: Vec<u8>,
    #[serde(with = "b64")]
    ciphertext: Vec<u8>,
}

pub(crate) fn state(path: &Path) -> Result<VaultState, VaultError> {
    match std::fs::metadata(path) {
        Ok(_) => Ok(VaultState::Present),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(VaultState::Absent),
        Err(source) => Err(VaultError::Io { path: path.to_owned(), source }),
    }
}

impl KeyFile {
    pub(crate) fn seal(
        data_key: &DataKey,
        passphrase: &str,
        recovery: &RecoveryKey,
        kdf: KdfParams,
    ) -> Result<Self, VaultError> {
        let passphrase = PassphraseSlot::seal(data_key, passphrase, kdf)?;
        let recovery_kek = recovery_kek(recovery);
        let recovery = Wrapped::seal(&recovery_kek, AAD_RECOVERY, &data_key.0)?;
        Ok(Self { format: FORMAT, passphrase, recovery, device: None })
    }

    pub(crate) fn read(path: &Path) -> Result<Self, VaultError> {
        let bytes = std::fs::read(path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => VaultError::NotFound(path.to_owned()),
            _ => VaultError::Io { path: path.to_owned(), source },
        })?;
        Self::parse(&bytes, path)
    }

    /// A key file's bytes, checked (`path` names it in errors).
    pub(crate) fn parse(bytes: &[u8], path: &Path) -> Result<Self, VaultError> {
        let corrupt = |reason: String| VaultError::Corrupt { path: path.to_owned(), reason };
        let file: Self = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
        if file.format != FORMAT {
            return Err(corrupt(format!("unknown format {}", file.format)));
        }
        if file.passphrase.salt.len() != SALT_LEN {
            return Err(corrupt("salt has the wrong length".to_owned()));
        }
        Ok(file)
    }

    pub(crate) fn open_with_passphrase(&self, passphrase: &str) -> Result<DataKey, VaultError> {
        let slot = &self.passphrase;
        let kek = slot.kdf.derive(passphrase, &slot.salt).map_err(|reason| VaultError::Corrupt {
            path: PathBuf::from(crate::KEY_FILE),
            reason: format!("key-derivation parameters: {reason}"),
        })?;
        slot.wrapped.open(&kek, AAD_PASSPHRASE).ok_or(VaultError::WrongPassphrase)
    }

    pub(crate) fn open_with_recovery_key(&self, recovery: &RecoveryKey) -> Result<DataKey, VaultError> {
        self.recovery.open(&recovery_kek(recovery), AAD_RECOVERY).ok_or(VaultError::WrongRecoveryKey)
    }

    pub(crate) fn open_with_device_key(&self, device_key: &[u8; KEY_LEN]) -> Result<DataKey, VaultError> {
        let wrapped = self.device.as_ref().ok_or(VaultError::DeviceUnlockOff)?;
        wrapped.open(device_key, AAD_DEVICE).ok_or(VaultError::WrongDeviceKey)
    }

    pub(crate) fn set_device_key(
        &mut self,
        data_key: &DataKey,
        device_key: Option<&[u8; KEY_LEN]>,
    ) -> Result<(), VaultError> {
        self.device = device_key.map(|k| Wrapped::seal(k, AAD_DEVICE, &data_key.0)).transpose()?;
        Ok(())
    }

    /// The passphrase slot's key-derivation parameters.
    pub(crate) fn kdf(&self) -> KdfParams {
        self.passphrase.kdf
    }

    pub(crate) fn has_device_key(&self) -> bool {
        self.device.is_some()
    }

    pub(crate) fn rewrap_passphrase(
        &mut self,
        data_key: &DataKey,
        passphrase: &str,
        kdf: KdfParams,
    ) -> Result<(), VaultError> {
        self.passphrase = PassphraseSlot::seal(data_key, passphrase, kdf)?;
        Ok(())
    }

    /// Writes to a temporary file, syncs it, renames it over the old one and syncs the
    /// directory: a crash leaves either the old or the new key file, never a torn one.
    pub(crate) fn write_atomically(&self, path: &Path) -> Result<(), VaultError> {
        let io = |p: &Path| {
            let p = p.to_owned();
            move |source| VaultError::Io { path: p, source }
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        let json = serde_json::to_vec_pretty(self)
            .map_err(|e| VaultError::Corrupt { path: path.to_owned(), reason: e.to_string() })?;
        // A name of its own: two writers never share (and tear) one temporary file.
        let unique: [u8; 8] = random_bytes()?;
        let tmp = path.with_extension(format!("json.{}.tmp", data_encoding::HEXLOWER.encode(&unique)));
        let written = (|| {
            let mut f = crate::private_file_options().write(true).truncate(true).open(&tmp)?;
            f.write_all(&json)?;
            f.sync_all()
        })();
        if let Err(source) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(VaultError::Io { path: tmp, source });
        }
        std::fs::rename(&tmp, path).map_err(io(path))?;
        #[cfg(unix)]
        std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))?;
        #[cfg(not(unix))]
        let _ = dir;
        Ok(())
    }
}

impl PassphraseSlot {
    fn seal(data_key: &DataKey, passphrase: &str, kdf: KdfParams) -> Result<Self, VaultError> {
        let salt: [u8; SALT_LEN] = random_bytes()?;
        let kek = kdf.derive(passphrase, &salt).map_err(|reason| VaultError::Corrupt {
            path: PathBuf::from(crate::KEY_FILE),
            reason: format!("key-derivation parameters: {reason}"),
        })?;
        Ok(Self { kdf, salt: salt.to_vec(), wrapped: Wrapped::seal(&kek, AAD_PASSPHRASE, &data_key.0)? })
    }
}

impl Wrapped {
    fn seal(kek: &[u8; KEY_LEN], aad: &[u8], key: &[u8; KEY_LEN]) -> Result<Self, VaultError> {
        let nonce: [u8; NONCE_LEN] = random_bytes()?;
        let mut in_out = key.to_vec();
        aead_key(kek)
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut in_out)
            .map_err(|_| VaultError::Random)?;
        Ok(Self { nonce: nonce.to_vec(), ciphertext: in_out })
    }

    /// `None` when the key is wrong or the ciphertext was altered (GCM cannot tell which).
    fn open(&self, kek: &[u8; KEY_LEN], aad: &[u8]) -> Option<DataKey> {
        let nonce = Nonce::try_assume_unique_for_key(&self.nonce).ok()?;
        let mut in_out = Zeroizing::new(self.ciphertext.clone());
        let plain = aead_key(kek).open_in_place(nonce, Aad::from(aad), &mut in_out).ok()?;
        let key: [u8; KEY_LEN] = (&*plain).try_into().ok()?;
        Some(DataKey(key))
    }
}

fn aead_key(key: &[u8; KEY_LEN]) -> LessSafeKey {
    #[allow(clippy::unwrap_used, reason = "a 32-byte key is always valid for AES-256-GCM")]
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).unwrap())
}

/// The recovery key has full entropy already, so HKDF (not a slow KDF) turns it into a KEK.
fn recovery_kek(recovery: &RecoveryKey) -> Zeroizing<[u8; KEY_LEN]> {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"courtside-vault").extract(&recovery.0);
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    #[allow(clippy::unwrap_used, reason = "HKDF-SHA256 can always expand 32 bytes")]
    prk.expand(&[HKDF_RECOVERY_INFO], KeyLen).unwrap().fill(out.as_mut()).unwrap();
    out
}

struct KeyLen;
impl hkdf::KeyType for KeyLen {
    fn len(&self) -> usize {
        KEY_LEN
    }
}

/// Bytes as standard base64 in JSON (key files and backup snapshots).
pub(crate) mod b64 {
    use data_encoding::BASE64;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&BASE64.encode(bytes))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        BASE64.decode(s.as_bytes()).map_err(serde::de::Error::custom)
    }
}
