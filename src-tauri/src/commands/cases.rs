//! Cases: the court's rules, the case list, the case page, court papers, queueing the filing.

use courtside_core::App;
use courtside_core::ipc::{CalendarView, CaseFields, CaseSummary, CaseView, ErrorCode, IpcError, PolicyView};
use tauri::State;
use tauri::ipc::{InvokeBody, Request};

#[tauri::command]
pub(crate) async fn court_policy(app: State<'_, App>) -> Result<PolicyView, IpcError> {
    Ok(app.court_policy().await?)
}

#[tauri::command]
pub(crate) fn list_cases(app: State<'_, App>) -> Result<Vec<CaseSummary>, IpcError> {
    Ok(app.list_cases()?)
}

#[tauri::command]
pub(crate) fn get_case(app: State<'_, App>, id: String) -> Result<CaseView, IpcError> {
    Ok(app.get_case(&id)?)
}

#[tauri::command]
pub(crate) async fn create_case(app: State<'_, App>, fields: CaseFields) -> Result<CaseView, IpcError> {
    Ok(app.create_case(fields)?)
}

#[tauri::command]
pub(crate) async fn update_case(app: State<'_, App>, id: String, fields: CaseFields) -> Result<CaseView, IpcError> {
    Ok(app.update_case(&id, fields)?)
}

/// Reads an amount typed in yuan (the one money parser), to check the field as it is left.
#[tauri::command]
pub(crate) fn check_amount(text: String) -> courtside_core::ipc::AmountCheck {
    courtside_core::fees::check_amount(&text)
}

/// Deletes a case the court does not know, with its documents.
#[tauri::command]
pub(crate) async fn delete_case(app: State<'_, App>, id: String) -> Result<(), IpcError> {
    Ok(app.delete_case(&id)?)
}

#[tauri::command]
pub(crate) async fn copy_case(app: State<'_, App>, id: String) -> Result<CaseView, IpcError> {
    Ok(app.copy_case(&id)?)
}

#[tauri::command]
pub(crate) async fn queue_case_filing(app: State<'_, App>, id: String) -> Result<CaseView, IpcError> {
    Ok(app.queue_case_filing(&id)?)
}

#[tauri::command]
pub(crate) async fn detach_case_document(
    app: State<'_, App>,
    id: String,
    blob_id: String,
) -> Result<CaseView, IpcError> {
    Ok(app.detach_case_document(&id, &blob_id)?)
}

/// The file's bytes travel as the raw request body (no JSON number arrays); which case,
/// which document and the file name come as percent-encoded headers.
#[tauri::command]
pub(crate) async fn attach_case_document(app: State<'_, App>, request: Request<'_>) -> Result<CaseView, IpcError> {
    let header = |name: &str| -> Result<String, IpcError> {
        let raw = request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| bad(&format!("no {name} header")))?;
        percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| bad(&format!("{name} is not UTF-8")))
    };
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(bad("the file must be sent as raw bytes"));
    };
    Ok(app.attach_case_document(&header("x-case-id")?, &header("x-document-kind")?, &header("x-file-name")?, bytes)?)
}

fn bad(message: &str) -> IpcError {
    IpcError { code: ErrorCode::InvalidInput, message: message.to_owned(), details: None }
}

#[tauri::command]
pub(crate) fn add_case_deadline(
    app: State<'_, App>,
    id: String,
    period: String,
    from: String,
    note: String,
) -> Result<CaseView, IpcError> {
    Ok(app.add_case_deadline(&id, &period, &from, &note)?)
}

#[tauri::command]
pub(crate) fn remove_case_deadline(app: State<'_, App>, id: String, deadline_id: String) -> Result<CaseView, IpcError> {
    Ok(app.remove_case_deadline(&id, &deadline_id)?)
}

/// What is due and coming across every case (the home view).
#[tauri::command]
pub(crate) async fn agenda(app: State<'_, App>) -> Result<courtside_core::ipc::AgendaView, IpcError> {
    Ok(app.agenda()?)
}

#[tauri::command]
pub(crate) fn calendar(app: State<'_, App>) -> Result<CalendarView, IpcError> {
    Ok(app.calendar()?)
}

#[tauri::command]
pub(crate) fn export_calendar(app: State<'_, App>) -> Result<String, IpcError> {
    Ok(app.export_calendar()?)
}

/// A served document's bytes, for showing it (a raw response, no JSON array of numbers).
#[tauri::command]
pub(crate) async fn served_content(app: State<'_, App>, id: String) -> Result<tauri::ipc::Response, IpcError> {
    Ok(tauri::ipc::Response::new(app.served_content(&id)?))
}

/// Saves a copy of a served document in the Downloads folder; returns its path.
#[tauri::command]
pub(crate) async fn save_served_copy(app: State<'_, App>, id: String) -> Result<String, IpcError> {
    Ok(app.save_served_copy(&id)?)
}

#[tauri::command]
pub(crate) fn served_documents(app: State<'_, App>) -> Result<Vec<courtside_core::ipc::ServedView>, IpcError> {
    Ok(app.served_documents()?)
}

/// Chooses the locker exhibits the case's filing submits, in catalogue order.
#[tauri::command]
pub(crate) fn set_case_exhibits(
    app: State<'_, App>,
    id: String,
    exhibits: Vec<String>,
) -> Result<courtside_core::ipc::CaseView, IpcError> {
    Ok(app.set_case_exhibits(&id, exhibits)?)
}

/// Marks a step of the case as continuing offline (Art. 33) and tells the court.
#[tauri::command]
pub(crate) fn mark_step_offline(
    app: State<'_, App>,
    id: String,
    step: courtside_core::ipc::OfflineStepKind,
    reason: String,
) -> Result<courtside_core::ipc::CaseView, IpcError> {
    Ok(app.mark_step_offline(&id, step, &reason)?)
}

/// The evidence exchange of a case: the other side's exhibits and ours, with opinions.
#[tauri::command]
pub(crate) fn evidence_exchange(
    app: State<'_, App>,
    id: String,
) -> Result<Vec<courtside_core::ipc::ExchangedView>, IpcError> {
    Ok(app.evidence_exchange(&id)?)
}

/// Queues a cross-examination opinion on an exhibit of the other side.
#[tauri::command]
pub(crate) fn cross_examine(
    app: State<'_, App>,
    id: String,
    exhibit: String,
    opinion: courtside_core::ipc::OpinionInput,
) -> Result<courtside_core::ipc::ActionView, IpcError> {
    Ok(app.cross_examine(&id, &exhibit, &opinion)?)
}

/// Offers exhibits of the locker into the case's evidence exchange (queued, sent when online).
#[tauri::command]
pub(crate) fn submit_to_exchange(
    app: State<'_, App>,
    id: String,
    exhibits: Vec<String>,
) -> Result<Vec<courtside_core::ipc::ActionView>, IpcError> {
    Ok(app.submit_to_exchange(&id, &exhibits)?)
}

#[tauri::command]
pub(crate) fn fee_notices(app: State<'_, App>) -> Result<Vec<courtside_core::ipc::FeeNoticeView>, IpcError> {
    Ok(app.fee_notices()?)
}

/// Opens the court's payment page for a fee in the system browser; returns its address.
#[tauri::command]
pub(crate) async fn pay_fee(app: State<'_, App>, fee: String) -> Result<String, IpcError> {
    Ok(app.pay_fee(&fee, courtside_core::courts::open_in_browser).await?)
}

#[tauri::command]
pub(crate) fn hearings(app: State<'_, App>) -> Result<Vec<courtside_core::ipc::HearingView>, IpcError> {
    Ok(app.hearings()?)
}
