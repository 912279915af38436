//! Court accounts and sync: sign in through the system browser, sign out, the sync panel.

use courtside_core::App;
use courtside_core::ipc::{CourtAccountView, IpcError, SyncOverview};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, State};

#[tauri::command]
pub(crate) async fn sign_in(app: State<'_, App>) -> Result<CourtAccountView, IpcError> {
    Ok(app.sign_in().await?)
}

#[tauri::command]
pub(crate) fn sign_out(app: State<'_, App>, court: String, username: String) -> Result<(), IpcError> {
    Ok(app.sign_out(&court, &username)?)
}

#[tauri::command]
pub(crate) fn court_accounts(app: State<'_, App>) -> Result<Vec<CourtAccountView>, IpcError> {
    Ok(app.court_accounts()?)
}

#[tauri::command]
pub(crate) fn sync_overview(app: State<'_, App>) -> Result<SyncOverview, IpcError> {
    Ok(app.sync_overview()?)
}

#[tauri::command]
pub(crate) async fn sync_now(app: State<'_, App>) -> Result<(), IpcError> {
    Ok(app.sync_now()?)
}

#[tauri::command]
pub(crate) async fn set_filing_paused(app: State<'_, App>, id: String, paused: bool) -> Result<(), IpcError> {
    Ok(app.set_filing_paused(&id, paused).await?)
}

#[tauri::command]
pub(crate) async fn cancel_filing(app: State<'_, App>, id: String) -> Result<(), IpcError> {
    Ok(app.cancel_filing(&id).await?)
}

/// Streams the sync overview to the window whenever it changes, until `unwatch_sync`, a
/// newer watch, or the vault locking.
#[tauri::command]
pub(crate) fn watch_sync(handle: AppHandle, on_event: Channel<SyncOverview>) -> Result<(), IpcError> {
    tauri::async_runtime::spawn(async move { handle.state::<App>().watch_sync(|o| on_event.send(o).is_ok()).await });
    Ok(())
}

#[tauri::command]
pub(crate) fn unwatch_sync(app: State<'_, App>) -> Result<(), IpcError> {
    app.unwatch_sync();
    Ok(())
}
