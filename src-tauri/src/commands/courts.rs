//! Court accounts and sync: sign in through the system browser, sign out, the sync panel.

use courtside_app::App;
use courtside_app::ipc::{CourtAccountView, IpcError, SyncOverview};
use tauri::State;

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
