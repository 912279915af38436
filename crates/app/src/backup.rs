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
