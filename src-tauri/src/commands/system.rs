//! App information and connectivity.

use courtside_core::App;
use courtside_core::ipc::{AppInfo, Connectivity, IpcError};
use tauri::State;

use crate::Started;

#[tauri::command]
pub(crate) fn app_info(app: State<'_, App>) -> Result<AppInfo, IpcError> {
    Ok(app.info())
}

#[tauri::command]
pub(crate) async fn check_connectivity(app: State<'_, App>) -> Result<Connectivity, IpcError> {
    Ok(app.check_connectivity().await)
}

/// Called once by the UI when its first screen is interactive. With
/// `COURTSIDE_REPORT_READY=1` the time since process start goes to stdout (for the bench).
#[tauri::command]
pub(crate) fn ui_ready(started: State<'_, Started>) -> Result<(), IpcError> {
    let elapsed = started.0.elapsed();
    tracing::info!(?elapsed, "first screen interactive");
    if std::env::var_os("COURTSIDE_REPORT_READY").is_some() {
        println!("courtside-ready {}", elapsed.as_millis());
    }
    Ok(())
}
