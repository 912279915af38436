//! One desktop app per data directory.
//!
//! The desktop shell holds an exclusive OS lock on `instance.lock` in the data directory for
//! as long as it runs (released by the OS however the process ends). A second launch on the
//! same data directory finds it held and quits before it opens a window; where the platform
//! lets it (D-Bus on Linux, a named mutex on Windows, a socket on macOS, through Tauri's
//! single-instance plug-in) it first brings the running window forward. The vault has its
//! own lock besides (`courtside_vault::LOCK_FILE`), which also keeps the `courtside` command
//! out while the app has the vault open.

use std::path::Path;

use crate::AppError;

/// Name of the lock file in the data directory.
pub const INSTANCE_LOCK: &str = "instance.lock";

/// This process's hold on a data directory; dropping it lets another instance start.
#[derive(Debug)]
pub struct Instance {
    _file: std::fs::File,
}

impl Instance {
    /// Takes the data directory for this process; `Ok(None)` when another process runs on it.
    ///
    /// # Errors
    /// The directory or its lock file cannot be created.
    pub fn hold(data_dir: &Path) -> Result<Option<Self>, AppError> {
        let io = |e: std::io::Error| AppError::InvalidInput(format!("{}: {e}", data_dir.display()));
        std::fs::create_dir_all(data_dir).map_err(io)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(data_dir.join(INSTANCE_LOCK))
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Self { _file: file })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
        }
    }

    /// A name for the running instance of this data directory, for the platform's
    /// single-instance channel (a D-Bus name element: letters, digits and `_`).
    #[must_use]
    pub fn channel_name(data_dir: &Path) -> String {
        // Made first, so that the first launch names it as every later one does.
        let _ = std::fs::create_dir_all(data_dir);
        let path = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_owned());
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in path.to_string_lossy().bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("org.courtside.desktop.d{h:016x}")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly by design")]
    use super::*;

    #[test]
    fn one_hold_per_data_directory_until_it_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = Instance::hold(dir.path()).unwrap();
        assert!(first.is_some());
        // A second open of the lock file is refused even within one process.
        assert!(Instance::hold(dir.path()).unwrap().is_none());
        drop(first);
        assert!(Instance::hold(dir.path()).unwrap().is_some());
        let other = tempfile::tempdir().unwrap();
        assert_ne!(Instance::channel_name(dir.path()), Instance::channel_name(other.path()));
    }
}
