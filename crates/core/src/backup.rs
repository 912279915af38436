//! Backups as the user meets them: back up the vault, check a backup, and move to a new
//! computer by restoring one. The format and its checks are the vault's
//! (`courtside_vault::backup`); what a restore means for the rest of the app is here:
//! the custody chain of every exhibit records the move, and court sign-ins are done again
//! on the new computer.

use std::path::Path;
use std::sync::Arc;

use courtside_evidence::Locker;
use courtside_evidence::custody::Event;
use courtside_vault::{BackupReport, BackupSecret, RestoreReport, Vault};

use crate::error::AppError;

/// What a restore did beyond putting the files back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The snapshot restored.
    pub report: RestoreReport,
    /// Exhibits whose custody chain now records the move.
    pub exhibits: usize,
    /// Court accounts to sign in to again on this computer.
    pub sign_ins_to_redo: usize,
}

/// Backs `vault` up into `to` (a snapshot; only what the folder lacks is written).
///
/// # Errors
/// The vault's: another vault's backup folder, a full or missing drive.
pub fn back_up(vault: &Vault, to: &Path) -> Result<BackupReport, AppError> {
    Ok(vault.back_up(to)?)
}

/// Restores the backup in `from` as the vault of `data_dir` (which must hold none), then,
/// in the restored vault: every exhibit's custody chain records that it moved to this
/// computer, and every court sign-in is cleared so that it is done again here (the court
/// then registers this computer's key).
///
/// # Errors
/// The vault's (a damaged backup, a wrong secret, a vault already there: nothing is
/// restored then), or the evidence locker's.
pub fn restore(
    data_dir: &Path,
    from: &Path,
    snapshot: Option<&str>,
    secret: BackupSecret<'_>,
) -> Result<Restored, AppError> {
    let dir = crate::config::vault_dir(data_dir);
    let report = courtside_vault::restore_backup(from, snapshot, secret, &dir)?;
    let vault = Arc::new(match secret {
        BackupSecret::Passphrase(p) => Vault::unlock(&dir, p)?,
        BackupSecret::RecoveryKey(k) => Vault::unlock_with_recovery_key(&dir, k)?,
    });
    let locker = Locker::open(Arc::clone(&vault))?;
    let exhibits = locker.exhibits()?;
    let computer = computer_name();
    for exhibit in &exhibits {
        locker.log_event(
            &exhibit.id,
            Event::Restored { snapshot: report.snapshot.name.clone(), computer: computer.clone() },
        )?;
    }
    let accounts = courtside_sync::account::accounts(&vault)?;
    let mut sign_ins_to_redo = 0;
    for account in accounts.iter().filter(|a| !a.refresh_token.is_empty() || !a.device_key.is_empty()) {
        courtside_sync::account::sign_out(&vault, account)?;
        sign_ins_to_redo += 1;
    }
    Ok(Restored { report, exhibits: exhibits.len(), sign_ins_to_redo })
}

/// This computer's name as the OS tells it ("" when it does not).
fn computer_name() -> String {
    let name = if cfg!(windows) {
        std::env::var("COMPUTERNAME").unwrap_or_default()
    } else {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .or_else(|_| std::fs::read_to_string("/etc/hostname"))
            .or_else(|_| std::env::var("HOSTNAME"))
            .unwrap_or_default()
    };
    name.trim().chars().take(64).collect()
}

impl crate::App {
    /// Backs the open vault up into `to` (see [`back_up`]). Writes by other commands wait
    /// only while the database is copied.
    ///
    /// # Errors
    /// [`AppError::Locked`], or the vault's.
    pub fn back_up(&self, to: &Path) -> Result<BackupReport, AppError> {
        let vault = self.with_open(|o| Ok(o.drafts.vault()))?;
        back_up(&vault, to)
    }
}

const SETTINGS: &str = "app_settings";
const BACKUP_SETTINGS: &str = "backup";
const BACKUP_RECORD: &str = "backup_record";
/// An important change is backed up this long after the previous attempt at the soonest.
const AFTER_CHANGE: i64 = 2 * 60_000;
/// After a failed attempt, the next scheduled one waits this long.
const AFTER_FAILURE: i64 = 15 * 60_000;

/// The backup state of a running app (not stored: the vault holds settings and history).
#[derive(Debug, Default)]
pub(crate) struct BackupState {
    running: std::sync::atomic::AtomicBool,
    /// Important changes (a filing queued, evidence captured, a case or draft saved) since
    /// the last good backup began.
    changes: std::sync::atomic::AtomicU64,
    /// The folder the first-run screen restores from, chosen in the OS's chooser.
    restore_from: std::sync::Mutex<Option<std::path::PathBuf>>,
}

/// The user's backup settings, sealed in the vault.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct BackupSettings {
    /// The folder chosen; `None`: the configured one, if any.
    folder: Option<std::path::PathBuf>,
    /// The user stopped backups (even to a configured folder).
    stopped: bool,
    every_hours: u32,
    warn_after_days: u32,
    keep_last: usize,
    keep_daily: usize,
    keep_weekly: usize,
}

impl Default for BackupSettings {
    fn default() -> Self {
        let keep = courtside_vault::Retention::default();
        Self {
            folder: None,
            stopped: false,
            every_hours: 24,
            warn_after_days: 7,
            keep_last: keep.last,
            keep_daily: keep.daily,
            keep_weekly: keep.weekly,
        }
    }
}

impl BackupSettings {
    fn retention(&self) -> courtside_vault::Retention {
        courtside_vault::Retention { last: self.keep_last, daily: self.keep_daily, weekly: self.keep_weekly }
    }
}

/// What the backups did, sealed in the vault.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct BackupRecord {
    last_success_at: Option<i64>,
    last_snapshot: Option<String>,
    last_attempt_at: Option<i64>,
    last_error: Option<crate::ipc::IpcError>,
}

fn read<T: serde::de::DeserializeOwned + Default>(vault: &Vault, id: &str) -> Result<T, AppError> {
    match vault.get(SETTINGS, id)? {
        Some(r) => {
            serde_json::from_slice(&r.plaintext).map_err(|e| AppError::Internal(format!("{SETTINGS}/{id}: {e}")))
        }
        None => Ok(T::default()),
    }
}

fn write<T: serde::Serialize>(vault: &Vault, id: &str, value: &T) -> Result<(), AppError> {
    let json = serde_json::to_vec(value).map_err(|e| AppError::Internal(e.to_string()))?;
    vault.put(SETTINGS, id, 1, &json)?;
    Ok(())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Where a folder the user chose holds the backups: itself when it is a backup folder or
/// empty, else a `Courtside backups` folder inside it (a USB drive's root holds other files).
fn backup_folder_in(chosen: &Path) -> std::path::PathBuf {
    let empty = std::fs::read_dir(chosen).map_or(true, |mut d| d.next().is_none());
    if chosen.join(courtside_vault::BACKUP_MARKER).exists() || empty {
        chosen.to_owned()
    } else {
        chosen.join("Courtside backups")
    }
}

fn restore_source(folder: &Path) -> Result<crate::ipc::RestoreSource, AppError> {
    let mut snapshots: Vec<crate::ipc::SnapshotOption> = courtside_vault::list_snapshots(folder)?
        .into_iter()
        .map(|(name, created_at)| crate::ipc::SnapshotOption { name, created_at })
        .collect();
    snapshots.reverse();
    Ok(crate::ipc::RestoreSource { folder: folder.display().to_string(), snapshots })
}

impl crate::App {
    fn backup_folder(&self, settings: &BackupSettings) -> Option<std::path::PathBuf> {
        if settings.stopped { None } else { settings.folder.clone().or_else(|| self.config.backup_dir.clone()) }
    }

    /// Counts an important change: it is backed up within minutes.
    pub(crate) fn note_change(&self) {
        self.backups.changes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// The backups' folder, schedule, last good backup and last error.
    ///
    /// # Errors
    /// [`AppError::Locked`], the vault's.
    pub fn backup_status(&self) -> Result<crate::ipc::BackupStatus, AppError> {
        let vault = self.with_open(|o| Ok(o.drafts.vault()))?;
        let settings: BackupSettings = read(&vault, BACKUP_SETTINGS)?;
        let record: BackupRecord = read(&vault, BACKUP_RECORD)?;
        let folder = self.backup_folder(&settings);
        let overdue =
            record.last_success_at.is_none_or(|t| now_ms() - t > i64::from(settings.warn_after_days) * 86_400_000);
        let last_error = match (record.last_error, record.last_attempt_at, record.last_success_at) {
            (Some(e), Some(attempt), success) if success.is_none_or(|s| attempt > s) => Some(e),
            _ => None,
        };
        Ok(crate::ipc::BackupStatus {
            folder: folder.map(|f| f.display().to_string()),
            every_hours: settings.every_hours,
            warn_after_days: settings.warn_after_days,
            last_success_at: record.last_success_at,
            last_snapshot: record.last_snapshot,
            last_error,
            running: self.backups.running.load(std::sync::atomic::Ordering::SeqCst),
            overdue,
        })
    }

    /// Backs up into `chosen`, a folder the user picked in the OS's own chooser (the shell
    /// passes it; no command takes a folder from the window), from now on.
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] when the folder cannot be made; the vault's.
    pub fn set_backup_folder(&self, chosen: &Path) -> Result<crate::ipc::BackupStatus, AppError> {
        if !chosen.is_absolute() {
            return Err(AppError::InvalidInput(format!("{}: not a full path", chosen.display())));
        }
        let folder = backup_folder_in(chosen);
        std::fs::create_dir_all(&folder)
            .map_err(|e| AppError::InvalidInput(format!("cannot make the folder {}: {e}", folder.display())))?;
        let vault = self.with_open(|o| Ok(o.drafts.vault()))?;
        let mut settings: BackupSettings = read(&vault, BACKUP_SETTINGS)?;
        settings.folder = Some(folder);
        settings.stopped = false;
        write(&vault, BACKUP_SETTINGS, &settings)?;
        self.note_change();
        self.backup_status()
    }

    /// Stops backing up (the backups already made stay where they are).
    ///
    /// # Errors
    /// [`AppError::Locked`], the vault's.
    pub fn stop_backups(&self) -> Result<crate::ipc::BackupStatus, AppError> {
        let vault = self.with_open(|o| Ok(o.drafts.vault()))?;
        let mut settings: BackupSettings = read(&vault, BACKUP_SETTINGS)?;
        settings.folder = None;
        settings.stopped = true;
        write(&vault, BACKUP_SETTINGS, &settings)?;
        self.backup_status()
    }

    /// How often to back up, and when to warn.
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] outside 1–168 hours or 1–90 days.
    pub fn set_backup_schedule(
        &self,
        every_hours: u32,
        warn_after_days: u32,
    ) -> Result<crate::ipc::BackupStatus, AppError> {
        if !(1..=168).contains(&every_hours) || !(1..=90).contains(&warn_after_days) {
            return Err(AppError::InvalidInput("back up every 1 to 168 hours, warn after 1 to 90 days".to_owned()));
        }
        let vault = self.with_open(|o| Ok(o.drafts.vault()))?;
        let mut settings: BackupSettings = read(&vault, BACKUP_SETTINGS)?;
        settings.every_hours = every_hours;
        settings.warn_after_days = warn_after_days;
        write(&vault, BACKUP_SETTINGS, &settings)?;
        self.backup_status()
    }

    /// Backs up now (then prunes by the retention settings), off the async threads; one
    /// backup at a time. The outcome is in the returned status (`lastError` when it failed).
    ///
    /// # Errors
    /// [`AppError::Locked`]; [`AppError::InvalidInput`] when no folder is chosen.
    pub async fn back_up_now(&self) -> Result<crate::ipc::BackupStatus, AppError> {
        use std::sync::atomic::Ordering;
        let vault = self.with_open(|o| Ok(o.drafts.vault()))?;
        let settings: BackupSettings = read(&vault, BACKUP_SETTINGS)?;
        let Some(folder) = self.backup_folder(&settings) else {
            return Err(AppError::InvalidInput("choose a backup folder first".to_owned()));
        };
        if self.backups.running.swap(true, Ordering::SeqCst) {
            return self.backup_status();
        }
        let changes = self.backups.changes.load(Ordering::SeqCst);
        let started = now_ms();
        let retention = settings.retention();
        let working = Arc::clone(&vault);
        let outcome = tokio::task::spawn_blocking(move || {
            let report = working.back_up(&folder)?;
            if let Err(e) = working.prune_backups(&folder, retention) {
                // The new snapshot is whole; old ones stay until the next prune.
                tracing::warn!(error = %e, "pruning old backups failed");
            }
            Ok::<_, courtside_vault::VaultError>(report)
        })
        .await;
        let mut record: BackupRecord = read(&vault, BACKUP_RECORD).unwrap_or_default();
        record.last_attempt_at = Some(started);
        match outcome {
            Ok(Ok(report)) => {
                record.last_success_at = Some(started);
                record.last_snapshot = Some(report.snapshot);
                record.last_error = None;
                self.backups.changes.fetch_sub(changes, Ordering::SeqCst);
            }
            Ok(Err(e)) => record.last_error = Some(crate::ipc::IpcError::from(AppError::Vault(e))),
            Err(e) => record.last_error = Some(crate::ipc::IpcError::from(AppError::Internal(e.to_string()))),
        }
        let written = write(&vault, BACKUP_RECORD, &record);
        self.backups.running.store(false, Ordering::SeqCst);
        written?;
        self.backup_status()
    }

    /// Whether a backup is due: the schedule's time has come, or important changes wait and
    /// the last attempt is a few minutes old; after a failure, a quarter of an hour passes.
    fn backup_due(&self, now: i64) -> bool {
        let Ok(vault) = self.with_open(|o| Ok(o.drafts.vault())) else { return false };
        let (Ok(settings), Ok(record)) =
            (read::<BackupSettings>(&vault, BACKUP_SETTINGS), read::<BackupRecord>(&vault, BACKUP_RECORD))
        else {
            return false;
        };
        if self.backup_folder(&settings).is_none() || self.backups.running.load(std::sync::atomic::Ordering::SeqCst) {
            return false;
        }
        let since_attempt = record.last_attempt_at.map(|t| now - t);
        let failed = record.last_error.is_some() && record.last_attempt_at > record.last_success_at;
        if failed && since_attempt.is_some_and(|d| d < AFTER_FAILURE) {
            return false;
        }
        let scheduled = record.last_success_at.is_none_or(|t| now - t >= i64::from(settings.every_hours) * 3_600_000);
        let changed = self.backups.changes.load(std::sync::atomic::Ordering::SeqCst) > 0
            && since_attempt.is_none_or(|d| d >= AFTER_CHANGE);
        scheduled || changed
    }

    /// Backs up whenever one is due while the vault is open (checked every `tick`). Runs
    /// until the app ends.
    pub async fn back_up_while_open(&self, tick: std::time::Duration) {
        let mut check = tokio::time::interval(tick);
        loop {
            check.tick().await;
            if self.backup_due(now_ms())
                && let Err(e) = self.back_up_now().await
            {
                tracing::warn!(error = %e, "scheduled backup failed");
            }
        }
    }

    /// The configured backup folder, offered on the first-run screen, when it holds a backup.
    #[must_use]
    pub fn configured_restore_source(&self) -> Option<crate::ipc::RestoreSource> {
        let folder = self.config.backup_dir.as_ref()?;
        let source = restore_source(folder).ok()?;
        *self.backups.restore_from.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(folder.clone());
        Some(source)
    }

    /// A folder the user picked in the OS's chooser to restore from (the shell passes it);
    /// its snapshots, newest first.
    ///
    /// # Errors
    /// [`AppError::Vault`] with [`courtside_vault::VaultError::NotABackup`] when it holds none.
    pub fn hold_restore_folder(&self, chosen: &Path) -> Result<crate::ipc::RestoreSource, AppError> {
        let folder = if chosen.join(courtside_vault::BACKUP_MARKER).exists() {
            chosen.to_owned()
        } else {
            chosen.join("Courtside backups")
        };
        let folder = if folder.join(courtside_vault::BACKUP_MARKER).exists() { folder } else { chosen.to_owned() };
        let source = restore_source(&folder)?;
        *self.backups.restore_from.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(folder);
        Ok(source)
    }

    /// Restores the held folder's snapshot (the newest whole one when `None`) as this
    /// computer's vault, which must not exist yet; the vault is then locked, to be opened with
    /// the same secret.
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] when a vault exists or no folder is held; the vault's (wrong
    /// secret, damaged backup: nothing is restored then).
    pub async fn restore_from_backup(
        &self,
        snapshot: Option<String>,
        secret: String,
        recovery_key: bool,
    ) -> Result<crate::ipc::RestoredView, AppError> {
        if self.vault_state()? != crate::ipc::VaultState::Absent {
            return Err(AppError::InvalidInput("this computer has a vault already; nothing was restored".to_owned()));
        }
        let from = self
            .backups
            .restore_from
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .ok_or_else(|| AppError::InvalidInput("choose the backup folder first".to_owned()))?;
        let data_dir = self.config.data_dir.clone();
        let restored = tokio::task::spawn_blocking(move || {
            let secret = zeroize::Zeroizing::new(secret);
            let secret =
                if recovery_key { BackupSecret::RecoveryKey(&secret) } else { BackupSecret::Passphrase(&secret) };
            restore(&data_dir, &from, snapshot.as_deref(), secret)
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
        Ok(crate::ipc::RestoredView {
            snapshot: restored.report.snapshot.name,
            created_at: restored.report.snapshot.created_at_ms,
            exhibits: restored.exhibits as u64,
            sign_ins_to_redo: restored.sign_ins_to_redo as u64,
        })
    }
}
