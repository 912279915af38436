//! One process owns an open vault.
//!
//! Opening a vault takes an exclusive OS lock on `vault.lock` in its directory (`flock` on
//! Unix, `LockFileEx` on Windows, through [`std::fs::File::try_lock`]); the OS releases it
//! when the process ends, however it ends (a SIGKILL included), so a crash never leaves the
//! vault locked. A second process is refused with [`VaultError::InUse`] before it reads or
//! writes anything.
//!
//! Within one process several [`crate::Vault`] values may be open on the same directory at
//! once (the app locks and unlocks while a background task still holds the old handle): they
//! share one [`Owner`], found in a process-wide registry, and with it one lock on the key
//! file, so its read-change-write steps never interleave.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

use crate::VaultError;

/// Name of the lock file inside a vault directory.
pub const LOCK_FILE: &str = "vault.lock";

/// This process's hold on a vault directory; released when the last handle drops.
#[derive(Debug)]
pub(crate) struct Owner {
    /// The registry's key (the directory, canonical).
    key: PathBuf,
    /// Kept open: closing it releases the OS lock (done in `drop`, under the registry lock).
    file: Option<std::fs::File>,
    /// Serialises read-change-write of the key file among this process's handles.
    key_file: Mutex<()>,
}

impl Owner {
    /// Takes (or shares, within this process) the exclusive hold on `dir`, creating the
    /// directory (owner-only on Unix) when it is missing.
    pub(crate) fn acquire(dir: &Path) -> Result<Arc<Self>, VaultError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| VaultError::Io { path, source }
        };
        crate::private_dir(dir)?;
        let key = std::fs::canonicalize(dir).map_err(io(dir))?;
        let mut held = registry();
        let mut waited = 0;
        while let Some(weak) = held.get(&key) {
            if let Some(owner) = weak.upgrade() {
                return Ok(owner);
            }
            if waited >= 5_000 {
                held.remove(&key);
                break;
            }
            // The last handle of this process is being dropped on another thread: its lock
            // is released in a moment (see `Drop`); wait for that.
            drop(held);
            std::thread::sleep(std::time::Duration::from_millis(1));
            waited += 1;
            held = registry();
        }
        let path = key.join(LOCK_FILE);
        let file = crate::private_file_options().read(true).write(true).open(&path).map_err(io(&path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(VaultError::InUse { dir: dir.to_owned() }),
            Err(std::fs::TryLockError::Error(source)) => return Err(VaultError::Io { path, source }),
        }
        // Held by no one else, in this process or another, and not yet handed out: what an
        // interrupted write left is garbage.
        crate::blobs::remove_interrupted_writes(&key.join(crate::BLOB_DIR));
        crate::blobs::remove_temporary_files(&key, |name| name.starts_with("vault.json.") && name.ends_with(".tmp"));
        // A backup killed while copying the database.
        crate::blobs::remove_temporary_files(&key, |name| name.starts_with(".backup-") && name.ends_with(".tmp"));
        let owner = Arc::new(Self { key: key.clone(), file: Some(file), key_file: Mutex::new(()) });
        held.insert(key, Arc::downgrade(&owner));
        Ok(owner)
    }

    /// Held while the key file is read, changed and written back.
    pub(crate) fn key_file(&self) -> MutexGuard<'_, ()> {
        self.key_file.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for Owner {
    /// Leaves the registry and releases the OS lock in one step, under the registry's lock,
    /// so that another thread of this process never finds the lock held by a handle that
    /// is already gone.
    fn drop(&mut self) {
        let mut held = registry();
        if held.get(&self.key).is_some_and(|w| w.strong_count() == 0) {
            held.remove(&self.key);
        }
        if let Some(file) = self.file.take() {
            // Released now, not whenever the OS gets round to it after the close (Windows).
            let _ = file.unlock();
        }
        drop(held);
    }
}

fn registry() -> MutexGuard<'static, HashMap<PathBuf, Weak<Owner>>> {
    static HELD: OnceLock<Mutex<HashMap<PathBuf, Weak<Owner>>>> = OnceLock::new();
    HELD.get_or_init(Mutex::default).lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
