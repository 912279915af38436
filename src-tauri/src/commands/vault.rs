//! Vault lifecycle: create, unlock, lock.

use courtside_core::App;
use courtside_core::ipc::{CreatedVault, DamagedItem, IpcError, VaultState};
use tauri::State;

#[tauri::command]
pub(crate) fn vault_state(app: State<'_, App>) -> Result<VaultState, IpcError> {
    Ok(app.vault_state()?)
}

#[tauri::command]
pub(crate) async fn create_vault(app: State<'_, App>, passphrase: String) -> Result<CreatedVault, IpcError> {
    Ok(app.create_vault(passphrase).await?)
}

#[tauri::command]
pub(crate) async fn unlock_vault(app: State<'_, App>, passphrase: String) -> Result<(), IpcError> {
    Ok(app.unlock_vault(passphrase).await?)
}

/// Damaged items met since the vault was opened (cheap; the window's notice).
#[tauri::command]
pub(crate) async fn vault_damage(app: State<'_, App>) -> Result<Vec<DamagedItem>, IpcError> {
    Ok(app.vault_damage()?)
}

/// Opens everything in the vault and lists what is damaged (seconds for gigabytes).
#[tauri::command]
pub(crate) async fn check_vault(app: State<'_, App>) -> Result<Vec<DamagedItem>, IpcError> {
    Ok(app.check_vault().await?)
}

#[tauri::command]
pub(crate) fn lock_vault(app: State<'_, App>) -> Result<(), IpcError> {
    Ok(app.lock_vault()?)
}

#[tauri::command]
pub(crate) async fn unlock_with_recovery_key(app: State<'_, App>, recovery_key: String) -> Result<(), IpcError> {
    Ok(app.unlock_with_recovery_key(recovery_key).await?)
}

#[tauri::command]
pub(crate) async fn change_passphrase(app: State<'_, App>, new_passphrase: String) -> Result<(), IpcError> {
    Ok(app.change_passphrase(new_passphrase).await?)
}

#[tauri::command]
pub(crate) fn device_unlock_enabled(app: State<'_, App>) -> Result<bool, IpcError> {
    Ok(app.device_unlock_enabled()?)
}

#[tauri::command]
pub(crate) async fn set_device_unlock(app: State<'_, App>, on: bool) -> Result<(), IpcError> {
    Ok(app.set_device_unlock(on).await?)
}

#[tauri::command]
pub(crate) async fn unlock_with_this_device(app: State<'_, App>) -> Result<(), IpcError> {
    Ok(app.unlock_with_this_device().await?)
}
