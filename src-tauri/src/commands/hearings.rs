//! Hearings: the pre-hearing check, check-in, join (the room opens with the system handler),
//! and the connectivity log kept while the hearing runs.

use courtside_core::App;
use courtside_core::ipc::{HearingCheck, HearingEntry, IpcError, NetworkCheck};
use tauri::{AppHandle, Manager, State};

#[tauri::command]
pub(crate) async fn network_check(app: State<'_, App>) -> Result<NetworkCheck, IpcError> {
    Ok(app.network_check().await?)
}

#[tauri::command]
pub(crate) async fn check_in(
    app: State<'_, App>,
    hearing: String,
    check: HearingCheck,
) -> Result<HearingEntry, IpcError> {
    Ok(app.check_in_from(&hearing, &check).await?)
}

/// Joins (the room opens in the system browser) and keeps a connectivity log for the
/// hearing's length plus a quarter of an hour.
#[tauri::command]
pub(crate) async fn join_hearing(handle: AppHandle, hearing: String, minutes: u32) -> Result<HearingEntry, IpcError> {
    let app = handle.state::<App>();
    let ticket = app.join_hearing(&hearing, courtside_core::courts::open_in_browser).await?;
    let log = app.hearing_log(&hearing);
    let handle = handle.clone();
    tauri::async_runtime::spawn(async move {
        let span = std::time::Duration::from_secs(u64::from(minutes.min(24 * 60) + 15) * 60);
        handle.state::<App>().log_connectivity(span, &log, courtside_core::hearing_join::PROBE_EVERY).await;
    });
    Ok(HearingEntry { checked_in_at: None, room_url: Some(ticket.room_url) })
}

/// Queues a written answer to a question of an asynchronous hearing.
#[tauri::command]
pub(crate) fn answer_question(
    app: State<'_, App>,
    hearing: String,
    question: String,
    text: String,
) -> Result<courtside_core::ipc::ActionView, IpcError> {
    Ok(app.answer_question(&hearing, &question, &text)?)
}

/// The mediation thread of a court case.
#[tauri::command]
pub(crate) fn mediation(
    app: State<'_, App>,
    court_case: String,
) -> Result<courtside_core::ipc::MediationView, IpcError> {
    Ok(app.mediation(&court_case)?)
}

/// Queues a message to the mediator.
#[tauri::command]
pub(crate) fn send_mediation_message(
    app: State<'_, App>,
    court_case: String,
    text: String,
) -> Result<courtside_core::ipc::ActionView, IpcError> {
    Ok(app.send_mediation_message(&court_case, &text)?)
}

#[tauri::command]
pub(crate) fn export_hearing_log(app: State<'_, App>, hearing: String) -> Result<String, IpcError> {
    Ok(app.export_hearing_log(&hearing)?)
}
