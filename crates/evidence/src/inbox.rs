//! The watched inbox folder: files put there are captured as evidence once they are
//! complete, then moved to its `captured/` subfolder (so each is captured once and the user
//! sees what was taken).
//!
//! "Complete" means the file's size and modification time stayed the same for the settle
//! time and the file can be opened: a file still being copied or downloaded is waited for,
//! never captured half-written. Partial-download names (`.part`, `.crdownload`, `.tmp`,
//! `~` backups, hidden files) are ignored until renamed. File-system events (`notify`) make
//! the check immediate; a periodic scan catches events the platform dropped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use notify::Watcher;

use crate::{EvidenceError, file_error};

/// The subfolder captured files are moved to.
pub const CAPTURED: &str = "captured";

/// What was seen of a file, and since when it has not changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    len: u64,
    modified: Option<SystemTime>,
    since: Instant,
}

/// Tracks the files of an inbox folder until they settle.
#[derive(Debug)]
pub struct Inbox {
    dir: PathBuf,
    settle: Duration,
    seen: HashMap<PathBuf, Seen>,
}

/// Names that are not evidence yet or not meant to be seen: hidden files, editor backups,
/// downloads still running. The watched folder leaves them alone; a dropped folder skips them.
#[must_use]
pub fn ignored(name: &str) -> bool {
    let lower = name.to_lowercase();
    name.starts_with('.')
        || name.ends_with('~')
        || [".part", ".crdownload", ".tmp", ".download", ".partial"].iter().any(|s| lower.ends_with(s))
}

impl Inbox {
    /// An inbox over `dir` (created if missing) where files must stay unchanged for `settle`.
    ///
    /// # Errors
    /// [`EvidenceError::File`] when the folder cannot be made.
    pub fn new(dir: &Path, settle: Duration) -> Result<Self, EvidenceError> {
        std::fs::create_dir_all(dir.join(CAPTURED)).map_err(|e| file_error(dir, &e))?;
        Ok(Self { dir: dir.to_owned(), settle, seen: HashMap::new() })
    }

    /// The folder.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Looks at the folder once; returns the files that have settled (each once, until it
    /// changes again).
    pub fn scan(&mut self, now: Instant) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return Vec::new() };
        let mut present = Vec::new();
        let mut ready = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            let name = entry.file_name().to_string_lossy().into_owned();
            if !meta.is_file() || ignored(&name) {
                continue;
            }
            present.push(path.clone());
            let current = Seen { len: meta.len(), modified: meta.modified().ok(), since: now };
            match self.seen.get(&path) {
                Some(old) if old.len == current.len && old.modified == current.modified => {
                    if now.duration_since(old.since) >= self.settle && std::fs::File::open(&path).is_ok() {
                        ready.push(path.clone());
                    }
                }
                _ => {
                    self.seen.insert(path, current);
                }
            }
        }
        self.seen.retain(|p, _| present.contains(p));
        for path in &ready {
            self.seen.remove(path);
        }
        ready
    }

    /// Whether files are waiting to settle.
    #[must_use]
    pub fn waiting(&self) -> bool {
        !self.seen.is_empty()
    }

    /// Moves a captured file into `captured/` (a numbered name when one exists already).
    ///
    /// # Errors
    /// [`EvidenceError::File`].
    pub fn set_aside(&self, path: &Path) -> Result<PathBuf, EvidenceError> {
        let name = path.file_name().ok_or_else(|| file_error(path, &"no file name"))?;
        let mut target = self.dir.join(CAPTURED).join(name);
        let mut n = 1;
        while target.exists() {
            target = self.dir.join(CAPTURED).join(format!("{n}-{}", name.to_string_lossy()));
            n += 1;
        }
        std::fs::rename(path, &target).map_err(|e| file_error(path, &e))?;
        Ok(target)
    }
}

/// Watches `inbox` until `stop` is set, calling `capture` for each settled file and then
/// moving it aside (a file `capture` refuses stays, and is offered again when it changes).
///
/// # Errors
/// [`EvidenceError::File`] when the folder cannot be watched at all.
pub fn run(
    mut inbox: Inbox,
    stop: &Arc<AtomicBool>,
    mut capture: impl FnMut(&Path) -> Result<(), EvidenceError>,
) -> Result<(), EvidenceError> {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let _ = tx.send(event.is_ok());
    })
    .map_err(|e| file_error(inbox.dir(), &e))?;
    watcher.watch(inbox.dir(), notify::RecursiveMode::NonRecursive).map_err(|e| file_error(inbox.dir(), &e))?;
    let tick = (inbox.settle / 3).clamp(Duration::from_millis(50), Duration::from_secs(1));
    while !stop.load(Ordering::SeqCst) {
        for path in inbox.scan(Instant::now()) {
            match capture(&path) {
                Ok(()) => {
                    if let Err(e) = inbox.set_aside(&path) {
                        tracing::warn!(error = %e, "captured but not moved aside");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "not captured"),
            }
        }
        // Wake on an event, or after a tick while files settle (or a slower safety scan).
        let wait = if inbox.waiting() { tick } else { Duration::from_secs(2) };
        let _ = rx.recv_timeout(wait);
        while rx.try_recv().is_ok() {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_download_names_are_left_alone() {
        for name in ["report.pdf.part", "a.crdownload", ".hidden", "doc.tmp", "x~", "IMG.PARTIAL"] {
            assert!(ignored(name), "{name}");
        }
        assert!(!ignored("合同.pdf"));
    }

    #[test]
    fn a_growing_file_is_not_ready_until_it_settles() {
        let dir = tempfile::tempdir().unwrap();
        let mut inbox = Inbox::new(dir.path(), Duration::from_millis(300)).unwrap();
        let path = dir.path().join("scan.pdf");
        let t0 = Instant::now();
        std::fs::write(&path, b"part one").unwrap();
        assert!(inbox.scan(t0).is_empty());
        std::fs::write(&path, b"part one, part two").unwrap();
        assert!(inbox.scan(t0 + Duration::from_millis(400)).is_empty(), "it grew: the clock starts again");
        assert!(inbox.scan(t0 + Duration::from_millis(500)).is_empty());
        assert_eq!(inbox.scan(t0 + Duration::from_millis(800)), vec![path.clone()]);
        assert!(inbox.scan(t0 + Duration::from_millis(900)).is_empty(), "offered once");
        let aside = inbox.set_aside(&path).unwrap();
        assert_eq!(aside, dir.path().join(CAPTURED).join("scan.pdf"));
    }
}
