//! Drafts: list, create, autosave, history, restore, search.

use courtside_core::App;
use courtside_core::ipc::{Draft, DraftSummary, IpcError, SearchHit, VersionSummary};
use tauri::State;

#[tauri::command]
pub(crate) fn list_drafts(app: State<'_, App>) -> Result<Vec<DraftSummary>, IpcError> {
    Ok(app.list_drafts()?)
}

#[tauri::command]
pub(crate) fn create_draft(
    app: State<'_, App>,
    title: String,
    body: String,
    case_id: Option<String>,
) -> Result<Draft, IpcError> {
    Ok(app.create_draft(&title, &body, case_id.as_deref())?)
}

#[tauri::command]
pub(crate) fn save_draft(app: State<'_, App>, id: String, title: String, body: String) -> Result<Draft, IpcError> {
    Ok(app.save_draft(&id, &title, &body)?)
}

#[tauri::command]
pub(crate) fn get_draft(app: State<'_, App>, id: String, version: Option<u64>) -> Result<Draft, IpcError> {
    Ok(app.get_draft(&id, version)?)
}

#[tauri::command]
pub(crate) fn draft_history(app: State<'_, App>, id: String) -> Result<Vec<VersionSummary>, IpcError> {
    Ok(app.draft_history(&id)?)
}

#[tauri::command]
pub(crate) fn restore_draft(app: State<'_, App>, id: String, version: u64) -> Result<Draft, IpcError> {
    Ok(app.restore_draft(&id, version)?)
}

#[tauri::command]
pub(crate) fn search_drafts(app: State<'_, App>, query: String) -> Result<Vec<SearchHit>, IpcError> {
    Ok(app.search_drafts(&query)?)
}
