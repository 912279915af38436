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
    /// Kept open: closing it would release the OS lock.
    _file: std::fs::File,
    /// Serialises read-change-write of the key file among this process's handles.
    key_file: Mutex<()>,
    /// Whether a vault was opened under this hold yet (the first open tidies up).
    opened: std::sync::atomic::AtomicBool,
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
        if let Some(owner) = held.get(&key).and_then(Weak::upgrade) {
            return Ok(owner);
        }
        let path = key.join(LOCK_FILE);
        let file = crate::private_file_options().read(true).write(true).open(&path).map_err(io(&path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(VaultError::InUse { dir: dir.to_owned() }),
            Err(std::fs::TryLockError::Error(source)) => return Err(VaultError::Io { path, source }),
        }
        let owner =
            Arc::new(Self { _file: file, key_file: Mutex::new(()), opened: std::sync::atomic::AtomicBool::new(false) });
        held.retain(|_, w| w.strong_count() > 0);
        held.insert(key, Arc::downgrade(&owner));
        Ok(owner)
    }

    /// True for the first vault opened under this hold: then no handle of this process, and
    /// no other process, is writing to the directory.
    pub(crate) fn first_open(&self) -> bool {
        !self.opened.swap(true, std::sync::atomic::Ordering::SeqCst)
    }

    /// Held while the key file is read, changed and written back.
    pub(crate) fn key_file(&self) -> MutexGuard<'_, ()> {
        self.key_file.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn registry() -> MutexGuard<'static, HashMap<PathBuf, Weak<Owner>>> {
    static HELD: OnceLock<Mutex<HashMap<PathBuf, Weak<Owner>>>> = OnceLock::new();
    HELD.get_or_init(Mutex::default).lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
