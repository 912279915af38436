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

mod backup;
mod blobs;
mod device;
mod keyfile;
mod keys;
mod owner;
pub mod parallel;
mod records;
mod revisions;
mod transaction;

#[doc(hidden)]
pub use backup::fuzz_snapshot;
pub use backup::{
    BACKUP_MARKER, BackupReport, BackupSecret, PruneReport, RestoreReport, Retention, SnapshotCheck, SnapshotSummary,
    list_snapshots, restore_backup, verify_backup,
};
pub use blobs::BlobInfo;
pub use keyfile::{Damage, KdfParams, VaultError, VaultState};
pub use keys::RecoveryKey;
pub use owner::LOCK_FILE;
pub use records::{Record, RecordWrite, TOMBSTONE};
pub use transaction::Transaction;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use keys::DataKey;
use owner::Owner;
use records::RecordStore;

/// Name of the key file inside a vault directory.
pub const KEY_FILE: &str = "vault.json";
/// Name of the record database inside a vault directory.
pub const DB_FILE: &str = "vault.sqlite3";
/// Directory of the blob files inside a vault directory.
pub const BLOB_DIR: &str = "blobs";

/// An open vault: holds the data key in memory (zeroized when dropped, that is on lock).
///
/// While any `Vault` of a directory is open in a process, no other process can open it
/// ([`VaultError::InUse`]); see [`owner`](crate::owner).
pub struct Vault {
    dir: PathBuf,
    data_key: DataKey,
    /// Names blob files.
    namer: records::Namer,
    store: Mutex<RecordStore>,
    owner: Arc<Owner>,
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
        let owner = Owner::acquire(dir)?;
        // Checked again under the lock: another process may have created it meanwhile.
        if keyfile::state(&path)? == VaultState::Present {
            return Err(VaultError::AlreadyExists(path));
        }
        let data_key = DataKey::generate()?;
        let recovery = RecoveryKey::generate()?;
        let file = keyfile::KeyFile::seal(&data_key, passphrase, &recovery, kdf)?;
        file.write_atomically(&path)?;
        Ok((Self::open(dir, data_key, owner)?, recovery))
    }

    /// Opens the vault in `dir` with the passphrase.
    ///
    /// # Errors
    /// [`VaultError::WrongPassphrase`] when it does not open the vault;
    /// [`VaultError::NotFound`], [`VaultError::Corrupt`] or I/O errors otherwise.
    pub fn unlock(dir: &Path, passphrase: &str) -> Result<Self, VaultError> {
        let owner = Self::owner_of_existing(dir)?;
        let file = keyfile::KeyFile::read(&dir.join(KEY_FILE))?;
        let data_key = file.open_with_passphrase(passphrase)?;
        Self::open(dir, data_key, owner)
    }

    /// Opens the vault in `dir` with the recovery key (as printed; spaces and dashes ignored).
    ///
    /// # Errors
    /// [`VaultError::WrongRecoveryKey`] when it does not open the vault.
    pub fn unlock_with_recovery_key(dir: &Path, recovery_key: &str) -> Result<Self, VaultError> {
        let key = RecoveryKey::parse(recovery_key)?;
        let owner = Self::owner_of_existing(dir)?;
        let file = keyfile::KeyFile::read(&dir.join(KEY_FILE))?;
        let data_key = file.open_with_recovery_key(&key)?;
        Self::open(dir, data_key, owner)
    }

    /// Opens the vault with the device key kept in the OS keychain.
    ///
    /// # Errors
    /// [`VaultError::DeviceUnlockOff`] when the vault has no device slot,
    /// [`VaultError::WrongDeviceKey`] when the key does not open it.
    pub fn unlock_with_device_key(dir: &Path, device_key: &[u8; 32]) -> Result<Self, VaultError> {
        let owner = Self::owner_of_existing(dir)?;
        let file = keyfile::KeyFile::read(&dir.join(KEY_FILE))?;
        let data_key = file.open_with_device_key(device_key)?;
        Self::open(dir, data_key, owner)
    }

    /// Opens the vault with the key this device keeps in its OS keychain.
    ///
    /// # Errors
    /// [`VaultError::DeviceUnlockOff`], [`VaultError::KeychainUnavailable`], or
    /// [`VaultError::WrongDeviceKey`] when the keychain's key does not open the vault.
    pub fn unlock_with_this_device(dir: &Path) -> Result<Self, VaultError> {
        if !Self::device_unlock_enabled(dir)? {
            return Err(VaultError::DeviceUnlockOff);
        }
        let key = device::load(dir)?;
        Self::unlock_with_device_key(dir, &key)
    }

    /// Turns "unlock with this device" on (a new key in the OS keychain wraps the data key)
    /// or off (the slot and the keychain entry are removed).
    ///
    /// # Errors
    /// [`VaultError::KeychainUnavailable`] when turning it on where no keychain answers; the
    /// vault is left as it was.
    pub fn set_device_unlock(&self, on: bool) -> Result<(), VaultError> {
        if on {
            let key = device::new_device_key()?;
            device::store(&self.dir, &key)?;
            self.set_device_key(Some(&key))
        } else {
            self.set_device_key(None)?;
            device::delete(&self.dir)
        }
    }

    /// Whether the vault in `dir` can be opened with a device key.
    ///
    /// # Errors
    /// The key file cannot be read.
    pub fn device_unlock_enabled(dir: &Path) -> Result<bool, VaultError> {
        Ok(keyfile::KeyFile::read(&dir.join(KEY_FILE))?.has_device_key())
    }

    /// Lets `device_key` (32 random bytes the caller keeps in the OS keychain) open the vault,
    /// or, with `None`, removes that possibility.
    ///
    /// # Errors
    /// I/O errors writing the key file (which is then unchanged).
    pub fn set_device_key(&self, device_key: Option<&[u8; 32]>) -> Result<(), VaultError> {
        let path = self.dir.join(KEY_FILE);
        let _changing = self.owner.key_file();
        let mut file = keyfile::KeyFile::read(&path)?;
        file.set_device_key(&self.data_key, device_key)?;
        file.write_atomically(&path)
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
        let _changing = self.owner.key_file();
        let mut file = keyfile::KeyFile::read(&path)?;
        file.rewrap_passphrase(&self.data_key, new_passphrase, kdf)?;
        file.write_atomically(&path)
    }

    /// The vault's directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// This process's hold on an existing vault (refused when another process holds it).
    fn owner_of_existing(dir: &Path) -> Result<Arc<Owner>, VaultError> {
        let path = dir.join(KEY_FILE);
        if keyfile::state(&path)? == VaultState::Absent {
            return Err(VaultError::NotFound(path));
        }
        Owner::acquire(dir)
    }

    fn open(dir: &Path, data_key: DataKey, owner: Arc<Owner>) -> Result<Self, VaultError> {
        let store = RecordStore::open(dir, &data_key)?;
        let namer = records::Namer::new(&data_key);
        let vault = Self { dir: dir.to_owned(), data_key, namer, store: Mutex::new(store), owner };
        if vault.store().schema_version() < records::SCHEMA_VERSION {
            vault.rename_blobs_to_opaque_names()?;
        }
        Ok(vault)
    }

    /// The last migration step: blob files that format 1 named by their ids (which tied files
    /// to cases) get their opaque names. Each one's id is kept first, sealed, under its new
    /// name (`vault_blob_ids`), since its key was derived from the id; then the files are
    /// renamed. Interrupted anywhere, it is done again at the next open: a renamed file
    /// already has its id kept, and is left alone.
    fn rename_blobs_to_opaque_names(&self) -> Result<(), VaultError> {
        let dir = self.dir.join(BLOB_DIR);
        let names: Vec<String> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.') && blobs::check_id(n).is_ok())
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => return Err(VaultError::Io { path: dir, source }),
        };
        let mut renames = Vec::new();
        for name in names {
            if blobs::format_of(&dir.join(&name)) == Some(1) && self.get(BLOB_IDS, &name)?.is_none() {
                renames.push((name.clone(), self.namer.blob(&name)));
            }
        }
        if !renames.is_empty() {
            let writes: Vec<RecordWrite<'_>> = renames
                .iter()
                .map(|(id, file)| RecordWrite {
                    table: BLOB_IDS,
                    id: file,
                    schema_version: 1,
                    plaintext: id.as_bytes(),
                })
                .collect();
            self.put_all(&writes)?;
            for (id, file) in &renames {
                std::fs::rename(dir.join(id), dir.join(file))
                    .map_err(|source| VaultError::Io { path: dir.join(id), source })?;
            }
            #[cfg(unix)]
            std::fs::File::open(&dir)
                .and_then(|d| d.sync_all())
                .map_err(|source| VaultError::Io { path: dir, source })?;
        }
        self.store().set_schema_version(records::SCHEMA_VERSION)
    }

    /// The stored names (the `tbl` and `id` columns) of a record's row, and the path of a
    /// blob's file: for tests that tamper with a vault's files as an attacker would.
    #[doc(hidden)]
    #[must_use]
    pub fn stored_row(&self, table: &str, id: &str) -> (String, String) {
        let row = self.namer.row(table, id);
        (row.table, row.id)
    }

    /// See [`Vault::stored_row`].
    #[doc(hidden)]
    #[must_use]
    pub fn blob_path(&self, id: &str) -> PathBuf {
        self.dir.join(BLOB_DIR).join(self.namer.blob(id))
    }

    /// The file of the blob `id`.
    fn blob_file<'a>(&self, id: &'a str) -> Result<blobs::BlobFile<'a>, VaultError> {
        blobs::check_id(id)?;
        Ok(blobs::BlobFile { file: self.namer.blob(id), id: Some(id) })
    }

    fn store(&self) -> MutexGuard<'_, RecordStore> {
        // A panic while holding the lock cannot leave the store half-written: every write is
        // one SQLite transaction, and the in-memory map is replaced only after commit.
        self.store.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Seals and writes a record (its next revision); returns the new revision.
    ///
    /// # Errors
    /// [`VaultError::Database`] when the write fails (nothing is changed then).
    pub fn put(&self, table: &str, id: &str, schema_version: u32, plaintext: &[u8]) -> Result<u64, VaultError> {
        let revisions = self.put_all(&[RecordWrite { table, id, schema_version, plaintext }])?;
        Ok(revisions[0])
    }

    /// Seals and writes several records in one transaction: after a crash either all of them
    /// are saved or none. Returns their new revisions, in order.
    ///
    /// # Errors
    /// [`VaultError::Database`] when the write fails (nothing is changed then).
    pub fn put_all(&self, writes: &[RecordWrite<'_>]) -> Result<Vec<u64>, VaultError> {
        if writes.iter().any(|w| w.schema_version == TOMBSTONE) {
            return Err(VaultError::InvalidId(
                "schema version 0 marks a deletion: use Transaction::delete_expecting".into(),
            ));
        }
        self.store().put_all(&self.data_key, writes, now_millis())
    }

    /// Runs `work` as one unit of work: what it reads is the vault as it is now (with its
    /// own writes), nobody else writes until it ends, and its writes are committed together
    /// when it returns `Ok`, or not at all. Keep `work` short and free of I/O other than the
    /// vault's: it holds the vault's write lock.
    ///
    /// # Errors
    /// `work`'s own error (nothing is written then), or the vault's.
    pub fn transaction<T, E: From<VaultError>>(
        &self,
        work: impl FnOnce(&mut Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut store = self.store();
        store.begin_write(&self.data_key)?;
        let mut tx = Transaction::new(&store, &self.data_key);
        let result = work(&mut tx);
        let writes = tx.into_writes();
        match result {
            Ok(value) => {
                let borrowed: Vec<RecordWrite<'_>> = writes.iter().map(transaction::StagedWrite::as_write).collect();
                let written = store.write_staged(&self.data_key, &borrowed, now_millis());
                store.end_write(written)?;
                Ok(value)
            }
            Err(e) => {
                store.rollback();
                Err(e)
            }
        }
    }

    /// Reads and opens a record; `None` when it does not exist.
    ///
    /// # Errors
    /// [`VaultError::Tampered`] naming the record when it fails its integrity check.
    pub fn get(&self, table: &str, id: &str) -> Result<Option<Record>, VaultError> {
        self.store().read(&self.data_key, |s| s.get(&self.data_key, table, id))
    }

    /// Every record of a table, opened, in id order.
    ///
    /// # Errors
    /// The first record that fails its integrity check, or a database error.
    pub fn list(&self, table: &str) -> Result<Vec<Record>, VaultError> {
        self.store().read(&self.data_key, |s| s.list(&self.data_key, table))
    }

    /// How many records a table holds (none are decrypted to count them).
    ///
    /// # Errors
    /// A database error.
    pub fn count(&self, table: &str) -> Result<u64, VaultError> {
        self.store().count(table)
    }

    /// Opens every record and every blob and reports each one that fails its integrity
    /// check (an empty list when the vault is intact).
    ///
    /// # Errors
    /// Only when the database cannot be read at all.
    pub fn verify(&self) -> Result<Vec<VaultError>, VaultError> {
        let mut problems = self.store().read(&self.data_key, |s| s.verify(&self.data_key))?;
        let dir = self.dir.join(BLOB_DIR);
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                let file = entry.file_name().to_string_lossy().into_owned();
                if file.starts_with('.') {
                    continue;
                }
                // Named by its id, which is kept sealed under the file's name (and which a
                // file format 1 wrote was sealed under).
                let id = self.get(BLOB_IDS, &file)?.and_then(|r| String::from_utf8(r.plaintext.to_vec()).ok());
                let blob = blobs::BlobFile { file, id: id.as_deref() };
                if let Err(e) = blobs::read_blob(&dir, &self.data_key, &blob, &mut std::io::sink()) {
                    problems.push(e);
                }
            }
        }
        Ok(problems)
    }

    /// Encrypts a stream into the blob `id` (hashing it in the same pass) and returns its
    /// plaintext size and SHA-256. Replaces an existing blob of that id atomically.
    ///
    /// # Errors
    /// [`VaultError::InvalidId`] for an id with characters other than ASCII letters, digits,
    /// `-` and `_`; I/O errors (the previous blob, if any, is left intact).
    pub fn write_blob(&self, id: &str, source: &mut dyn Read) -> Result<BlobInfo, VaultError> {
        let blob = self.blob_file(id)?;
        // The id first, so that no file is ever on disk that the vault cannot name.
        if self.get(BLOB_IDS, &blob.file)?.is_none() {
            self.put(BLOB_IDS, &blob.file, 1, id.as_bytes())?;
        }
        let info = blobs::write_blob(&self.dir.join(BLOB_DIR), &self.data_key, &blob, source)?;
        self.store().forget_damage(&format!("blobs/{id}"));
        Ok(info)
    }

    /// Removes the blob `id` (nothing when there is none).
    ///
    /// # Errors
    /// [`VaultError::InvalidId`]; I/O errors.
    pub fn remove_blob(&self, id: &str) -> Result<(), VaultError> {
        let path = self.dir.join(BLOB_DIR).join(self.blob_file(id)?.file);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(VaultError::Io { path, source }),
        }
        self.store().forget_damage(&format!("blobs/{id}"));
        Ok(())
    }

    /// Every damaged item met since the vault was opened and not written again since, each
    /// a [`VaultError::Tampered`] with its kind: what lists left out, what failed to open,
    /// and damage found in the vault's own index (it opened anyway). Empty when nothing was
    /// met; [`Vault::verify`] looks at everything.
    #[must_use]
    pub fn damaged(&self) -> Vec<VaultError> {
        self.store().damaged()
    }

    /// Remembers a damaged blob met while reading it.
    fn noted(&self, e: VaultError) -> VaultError {
        self.store().note(e)
    }

    /// Decrypts the blob `id` into `sink`, verifying every chunk.
    ///
    /// # Errors
    /// [`VaultError::Tampered`] naming the blob when any chunk fails.
    pub fn read_blob(&self, id: &str, sink: &mut dyn Write) -> Result<BlobInfo, VaultError> {
        blobs::read_blob(&self.dir.join(BLOB_DIR), &self.data_key, &self.blob_file(id)?, sink)
            .map_err(|e| self.noted(e))
    }

    /// Plaintext size of the blob `id`.
    ///
    /// # Errors
    /// [`VaultError::Tampered`] when the blob is missing or is not a blob.
    pub fn blob_size(&self, id: &str) -> Result<u64, VaultError> {
        blobs::blob_size(&self.dir.join(BLOB_DIR), &self.blob_file(id)?).map_err(|e| self.noted(e))
    }

    /// `len` plaintext bytes of the blob `id` from `offset`, decrypting only the chunks that
    /// hold them; the buffer is zeroized when dropped.
    ///
    /// # Errors
    /// [`VaultError::Tampered`] naming the blob when a chunk fails; [`VaultError::Io`] for a
    /// range beyond the end.
    pub fn read_blob_range(&self, id: &str, offset: u64, len: u64) -> Result<zeroize::Zeroizing<Vec<u8>>, VaultError> {
        blobs::read_blob_range(&self.dir.join(BLOB_DIR), &self.data_key, &self.blob_file(id)?, offset, len)
            .map_err(|e| self.noted(e))
    }
}

/// For the fuzz target `vault_files` (not part of the API): what a thief or another local
/// user may put in a vault's files. The first byte picks the reader: the key file (parsed,
/// then opened with a recovery key), a typed recovery key, a blob file (read whole, by range
/// and by size under a fixed key, in both formats), rows of the database (the revision index
/// read as at open), or a record's envelope. None may panic,
/// and an envelope that reads back encodes to the same bytes.
#[doc(hidden)]
pub fn fuzz_vault_files(bytes: &[u8]) {
    let Some((&which, rest)) = bytes.split_first() else { return };
    let key = DataKey([9; keys::KEY_LEN]);
    match which % 5 {
        0 => {
            if let Ok(file) = keyfile::KeyFile::parse(rest, Path::new(KEY_FILE)) {
                let _ = file.open_with_recovery_key(&RecoveryKey([3; keys::KEY_LEN]));
                let _ = file.open_with_device_key(&[4; keys::KEY_LEN]);
            }
        }
        1 => {
            if let Ok(text) = std::str::from_utf8(rest) {
                let _ = RecoveryKey::parse(text);
            }
        }
        2 => {
            thread_local! {
                static DIR: PathBuf = {
                    let dir = std::env::temp_dir().join(format!("courtside-fuzz-blobs-{}", std::process::id()));
                    let _ = std::fs::create_dir_all(&dir);
                    dir
                };
            }
            DIR.with(|dir| {
                if std::fs::write(dir.join("b"), rest).is_err() {
                    return;
                }
                for id in [Some("exhibit-1"), None] {
                    let blob = blobs::BlobFile { file: "b".to_owned(), id };
                    let _ = blobs::read_blob(dir, &key, &blob, &mut std::io::sink());
                    if let Ok(size) = blobs::blob_size(dir, &blob) {
                        let offset = rest.first().map_or(0, |&b| u64::from(b) * 4099) % size.max(1);
                        let _ =
                            blobs::read_blob_range(dir, &key, &blob, offset, size.saturating_sub(offset).min(70_000));
                    }
                }
            });
        }
        3 => {
            // Rows separated by 0xff: slot, revision, then nonce and ciphertext.
            let rows: Vec<(u8, i64, &[u8])> = rest
                .split(|&b| b == 0xff)
                .take(80)
                .filter_map(|r| Some((*r.first()?, i64::from(*r.get(1)?) - 8, r.get(2..)?)))
                .collect();
            records::fuzz_index(&key, &rows);
        }
        _ => {
            if let Some(record) = records::Envelope::decode(zeroize::Zeroizing::new(rest.to_vec())) {
                let again = records::Envelope {
                    table: &record.table,
                    id: &record.id,
                    schema_version: record.schema_version,
                    revision: record.revision,
                    updated_at: record.updated_at,
                    content: &record.plaintext,
                }
                .encode();
                let back = records::Envelope::decode(again).map(|r| (r.table, r.id, r.revision, r.plaintext.to_vec()));
                assert_eq!(back, Some((record.table, record.id, record.revision, record.plaintext.to_vec())));
            }
        }
    }
}

/// Creates `dir` when missing and makes it private to the user (0700 on Unix).
pub(crate) fn private_dir(dir: &Path) -> Result<(), VaultError> {
    let io = |source| VaultError::Io { path: dir.to_owned(), source };
    std::fs::create_dir_all(dir).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
    }
    Ok(())
}

/// Options that create a file readable and writable by the user alone (0600 on Unix).
pub(crate) fn private_file_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

fn now_millis() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Each blob's id, by its file's name: what `Vault::verify` names a damaged file by, and the
/// key of a file that format 1 wrote (see `Vault::rename_blobs_to_opaque_names`).
const BLOB_IDS: &str = "vault_blob_ids";

/// Shortest passphrase a vault accepts.
pub const MIN_PASSPHRASE_CHARS: usize = 8;
