//! Backups: the folder (chosen only in the OS's own chooser), the schedule, "back up now",
//! and the first-run restore on a new computer.

use courtside_core::App;
use courtside_core::ipc::{BackupStatus, ErrorCode, IpcError, RestoreSource, RestoredView};
use tauri::{Manager, State, Window};

/// A folder picked in the platform's chooser; `None` when cancelled.
pub(crate) async fn pick_folder(window: &Window, title: String) -> Result<Option<std::path::PathBuf>, IpcError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let parent = window.clone();
    let title: String = title.chars().filter(|c| !c.is_control()).take(80).collect();
    window
        .run_on_main_thread(move || {
            let picked = rfd::AsyncFileDialog::new().set_title(title).set_parent(&parent).pick_folder();
            tauri::async_runtime::spawn(async move {
                let _ = tx.send(picked.await.map(|h| h.path().to_path_buf()));
            });
        })
        .map_err(|e| IpcError { code: ErrorCode::Internal, message: e.to_string(), details: None })?;
    Ok(rx.await.ok().flatten())
}

#[tauri::command]
pub(crate) fn backup_status(app: State<'_, App>) -> Result<BackupStatus, IpcError> {
    Ok(app.backup_status()?)
}

#[tauri::command]
pub(crate) async fn back_up_now(app: State<'_, App>) -> Result<BackupStatus, IpcError> {
    Ok(app.back_up_now().await?)
}

#[tauri::command]
pub(crate) fn set_backup_schedule(
    app: State<'_, App>,
    every_hours: u32,
    warn_after_days: u32,
) -> Result<BackupStatus, IpcError> {
    Ok(app.set_backup_schedule(every_hours, warn_after_days)?)
}

#[tauri::command]
pub(crate) fn stop_backups(app: State<'_, App>) -> Result<BackupStatus, IpcError> {
    Ok(app.stop_backups()?)
}

/// Asks for the backup folder in the OS's chooser; the unchanged status when cancelled.
#[tauri::command]
pub(crate) async fn choose_backup_folder(window: Window, title: String) -> Result<BackupStatus, IpcError> {
    let app = window.state::<App>();
    match pick_folder(&window, title).await? {
        Some(folder) => Ok(app.set_backup_folder(&folder)?),
        None => Ok(app.backup_status()?),
    }
}

/// The configured backup folder, when it holds a backup (offered at first run).
#[tauri::command]
pub(crate) fn configured_restore_source(app: State<'_, App>) -> Option<RestoreSource> {
    app.configured_restore_source()
}

/// Asks for a backup folder to restore from in the OS's chooser; `None` when cancelled.
#[tauri::command]
pub(crate) async fn choose_restore_folder(window: Window, title: String) -> Result<Option<RestoreSource>, IpcError> {
    let app = window.state::<App>();
    match pick_folder(&window, title).await? {
        Some(folder) => Ok(Some(app.hold_restore_folder(&folder)?)),
        None => Ok(None),
    }
}

#[tauri::command]
pub(crate) async fn restore_from_backup(
    app: State<'_, App>,
    snapshot: Option<String>,
    secret: String,
    recovery_key: bool,
) -> Result<RestoredView, IpcError> {
    Ok(app.restore_from_backup(snapshot, secret, recovery_key).await?)
}

/// Exports everything into a new bag in the Downloads folder; returns its path.
#[tauri::command]
pub(crate) async fn export_everything(handle: tauri::AppHandle) -> Result<String, IpcError> {
    tauri::async_runtime::spawn_blocking(move || handle.state::<App>().export_everything())
        .await
        .map_err(|e| IpcError { code: ErrorCode::Internal, message: e.to_string(), details: None })?
        .map_err(IpcError::from)
}

/// Erases this computer's Courtside data (the vault must be open; `confirm` is `ERASE`).
#[tauri::command]
pub(crate) fn erase_everything(app: State<'_, App>, confirm: String) -> Result<(), IpcError> {
    Ok(app.erase_everything(&confirm)?)
}
