//! Wrong guesses at the passphrase (or recovery key) slow the next ones down, across
//! restarts: the count and the instant before which no new attempt is made are kept in
//! `unlock-failures` in the data directory (nothing secret: two numbers). A guesser who
//! kills the app during a delay and starts it again waits out the rest of it anyway.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::service::unlock_delay;

/// Name of the file in the data directory.
pub const UNLOCK_FAILURES: &str = "unlock-failures";

/// The failed guesses so far and when the next attempt may be made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnlockGuard {
    /// Wrong guesses since the last success.
    pub failures: u32,
    /// Milliseconds since the Unix epoch before which no attempt is made.
    pub not_before_ms: i64,
}

impl UnlockGuard {
    fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(UNLOCK_FAILURES)
    }

    /// What the data directory says (nothing, or an unreadable file: no failures).
    #[must_use]
    pub fn load(data_dir: &Path) -> Self {
        let Ok(text) = std::fs::read_to_string(Self::path(data_dir)) else { return Self::default() };
        let mut parts = text.split_whitespace().map(str::parse::<i64>);
        match (parts.next(), parts.next()) {
            (Some(Ok(failures)), Some(Ok(not_before_ms))) => {
                Self { failures: u32::try_from(failures.max(0)).unwrap_or(u32::MAX), not_before_ms }
            }
            _ => Self::default(),
        }
    }

    /// How long an attempt made at `now_ms` has to wait.
    #[must_use]
    pub fn wait(&self, now_ms: i64) -> Duration {
        // Never more than the count earns (a clock set back must not lock the user out).
        Duration::from_millis(u64::try_from(self.not_before_ms.saturating_sub(now_ms)).unwrap_or(0))
            .min(unlock_delay(self.failures))
    }

    /// One more wrong guess at `now_ms`: the next attempt waits [`unlock_delay`] of the count.
    #[must_use]
    pub fn after_failure(self, now_ms: i64) -> Self {
        let failures = self.failures.saturating_add(1);
        let delay = i64::try_from(unlock_delay(failures).as_millis()).unwrap_or(i64::MAX);
        Self { failures, not_before_ms: now_ms.saturating_add(delay) }
    }

    /// Writes the state (a success: removes the file). Best effort: a data directory that
    /// cannot be written still lets the user in; the delay then holds for this run only.
    pub fn store(&self, data_dir: &Path) {
        let path = Self::path(data_dir);
        let result = if *self == Self::default() {
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            }
        } else {
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, format!("{} {}\n", self.failures, self.not_before_ms))
                .and_then(|()| std::fs::rename(&tmp, &path))
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "the count of failed unlocks could not be kept");
        }
    }
}

/// Milliseconds since the Unix epoch.
#[must_use]
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly by design")]
    use super::*;

    #[test]
    fn failures_and_their_delay_survive_a_restart_and_a_success_clears_them() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = 1_800_000_000_000;
        let mut guard = UnlockGuard::load(dir.path());
        assert_eq!(guard, UnlockGuard::default());
        for _ in 0..4 {
            guard = guard.after_failure(t0);
            guard.store(dir.path());
        }
        // "Restart": what the next run reads.
        let reread = UnlockGuard::load(dir.path());
        assert_eq!(reread, guard);
        assert_eq!(reread.failures, 4);
        assert_eq!(reread.wait(t0), unlock_delay(4));
        assert!(reread.wait(t0).as_millis() > 0);
        assert_eq!(reread.wait(t0 + 60_000), Duration::ZERO);
        // A clock set back a year waits no longer than the count earns.
        assert_eq!(reread.wait(t0 - 365 * 24 * 3_600_000), unlock_delay(4));
        UnlockGuard::default().store(dir.path());
        assert_eq!(UnlockGuard::load(dir.path()), UnlockGuard::default());
        assert!(!dir.path().join(UNLOCK_FAILURES).exists());
    }

    #[test]
    fn a_damaged_file_counts_as_no_failures() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(UNLOCK_FAILURES), "12abc").unwrap();
        assert_eq!(UnlockGuard::load(dir.path()), UnlockGuard::default());
    }
}
