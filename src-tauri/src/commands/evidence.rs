//! Evidence: the locker, captures from the window, an exhibit's custody, verification, export.

use courtside_core::App;
use courtside_core::ipc::{
    DropOffer, DropOutcome, DropProgress, ErrorCode, Exhibit, ExhibitDetail, IpcError, Verification,
};
use tauri::ipc::{Channel, InvokeBody, Request};
use tauri::{AppHandle, DragDropEvent, Emitter, Manager, State, Window};

/// Files dropped on the window: held by the app (paths stay in Rust), offered to the window
/// as names and sizes (`evidence-dropped`), or refused with a reason
/// (`evidence-drop-refused`). `evidence-drag` tells the window when something hovers.
pub(crate) fn dropped(window: &Window, event: &DragDropEvent) {
    let sent = match event {
        DragDropEvent::Enter { .. } => window.emit("evidence-drag", true),
        DragDropEvent::Leave => window.emit("evidence-drag", false),
        DragDropEvent::Drop { paths, .. } => {
            // Walking a dropped folder can take a while: not on the window's thread.
            let (walker, paths) = (window.clone(), paths.clone());
            tauri::async_runtime::spawn_blocking(move || {
                let window = walker;
                let told =
                    match window.state::<courtside_core::App>().hold_dropped(&paths, courtside_core::Picked::Dropped) {
                        Ok(offer) => window.emit("evidence-dropped", offer),
                        Err(e) => window.emit("evidence-drop-refused", IpcError::from(e).message),
                    };
                if let Err(e) = told {
                    tracing::warn!(error = %e, "could not tell the window about a drop");
                }
            });
            window.emit("evidence-drag", false)
        }
        _ => Ok(()),
    };
    if let Err(e) = sent {
        tracing::warn!(error = %e, "could not tell the window about a drop");
    }
}

/// Files (or folders) chosen in the platform's own chooser, held like a drop: large files
/// are then read from disk by Rust, never through the webview. `None` when cancelled.
#[tauri::command]
pub(crate) async fn choose_evidence(
    window: Window,
    folders: bool,
    title: String,
) -> Result<Option<DropOffer>, IpcError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let parent = window.clone();
    let title: String = title.chars().filter(|c| !c.is_control()).take(80).collect();
    window
        .run_on_main_thread(move || {
            let dialog = rfd::AsyncFileDialog::new().set_title(title).set_parent(&parent);
            let picked: std::pin::Pin<Box<dyn std::future::Future<Output = Option<Vec<rfd::FileHandle>>> + Send>> =
                if folders { Box::pin(dialog.pick_folders()) } else { Box::pin(dialog.pick_files()) };
            tauri::async_runtime::spawn(async move {
                let paths: Option<Vec<std::path::PathBuf>> =
                    picked.await.map(|handles| handles.iter().map(|h| h.path().to_path_buf()).collect());
                let _ = tx.send(paths);
            });
        })
        .map_err(|e| IpcError { code: ErrorCode::Internal, message: e.to_string(), details: None })?;
    match rx.await {
        Ok(Some(paths)) if !paths.is_empty() => {
            Ok(Some(window.state::<courtside_core::App>().hold_dropped(&paths, courtside_core::Picked::Chosen)?))
        }
        _ => Ok(None),
    }
}

/// Captures a held drop off the async runtime's threads, streaming progress.
#[tauri::command]
pub(crate) async fn capture_dropped(
    handle: AppHandle,
    token: String,
    proves: String,
    on_progress: Channel<DropProgress>,
) -> Result<DropOutcome, IpcError> {
    let work = tauri::async_runtime::spawn_blocking(move || {
        handle.state::<courtside_core::App>().capture_dropped(&token, &proves, |p| {
            let _ = on_progress.send(p);
        })
    });
    let outcome =
        work.await.map_err(|e| IpcError { code: ErrorCode::Internal, message: e.to_string(), details: None })?;
    Ok(outcome?)
}

#[tauri::command]
pub(crate) fn discard_dropped(app: State<'_, courtside_core::App>, token: String) -> Result<(), IpcError> {
    Ok(app.discard_dropped(&token)?)
}

#[tauri::command]
pub(crate) fn list_exhibits(app: State<'_, App>) -> Result<Vec<Exhibit>, IpcError> {
    Ok(app.list_exhibits()?)
}

/// The file's bytes are the raw request body; name, title, what it proves and the source
/// come as percent-encoded headers.
#[tauri::command]
pub(crate) async fn add_exhibit(app: State<'_, App>, request: Request<'_>) -> Result<Exhibit, IpcError> {
    let header = |name: &str| -> Result<String, IpcError> {
        let raw = request.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
        percent_encoding::percent_decode_str(raw).decode_utf8().map(|s| s.into_owned()).map_err(|_| IpcError {
            code: ErrorCode::InvalidInput,
            message: format!("{name} is not UTF-8"),
            details: None,
        })
    };
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(IpcError {
            code: ErrorCode::InvalidInput,
            message: "the file must be sent as raw bytes".into(),
            details: None,
        });
    };
    let title = header("x-title")?;
    // The window says how it got the bytes; a web page or the watched folder are never its
    // to claim (they are captured in Rust).
    use courtside_core::ipc::ExhibitSource;
    let source = match header("x-source")?.as_str() {
        "camera" => ExhibitSource::Camera,
        "microphone" => ExhibitSource::Microphone,
        "screen" => ExhibitSource::Screen,
        "drop" => ExhibitSource::DragAndDrop,
        _ => ExhibitSource::File,
    };
    Ok(app.add_exhibit(&header("x-file-name")?, Some(&title), &header("x-proves")?, source, bytes)?)
}

/// The original bytes for the exhibit view, as a raw response (no JSON array of numbers).
#[tauri::command]
pub(crate) async fn exhibit_content(
    app: State<'_, courtside_core::App>,
    id: String,
) -> Result<tauri::ipc::Response, IpcError> {
    Ok(tauri::ipc::Response::new(app.exhibit_content(&id)?))
}

#[tauri::command]
pub(crate) fn exhibit_detail(app: State<'_, App>, id: String) -> Result<ExhibitDetail, IpcError> {
    Ok(app.exhibit_detail(&id)?)
}

#[tauri::command]
pub(crate) fn describe_exhibit(
    app: State<'_, App>,
    id: String,
    title: String,
    proves: String,
) -> Result<Exhibit, IpcError> {
    Ok(app.describe_exhibit(&id, &title, &proves)?)
}

#[tauri::command]
pub(crate) async fn verify_evidence(app: State<'_, App>) -> Result<Verification, IpcError> {
    Ok(app.verify_evidence()?)
}

#[tauri::command]
pub(crate) async fn export_evidence_bag(app: State<'_, App>, ids: Vec<String>) -> Result<String, IpcError> {
    Ok(app.export_evidence_bag(&ids)?)
}

#[tauri::command]
pub(crate) fn inbox_dir(app: State<'_, App>) -> Result<Option<String>, IpcError> {
    Ok(app.inbox_dir()?)
}

/// Asks for the watched inbox folder in the OS's chooser (the window never names a path);
/// the folder watched afterwards (unchanged when cancelled).
#[tauri::command]
pub(crate) async fn choose_inbox_dir(window: Window, title: String) -> Result<Option<String>, IpcError> {
    let app = window.state::<App>();
    match crate::commands::backup::pick_folder(&window, title).await? {
        Some(folder) => Ok(app.set_inbox_dir(&folder.to_string_lossy())?),
        None => Ok(app.inbox_dir()?),
    }
}

/// Stops watching the inbox folder.
#[tauri::command]
pub(crate) fn clear_inbox_dir(app: State<'_, App>) -> Result<Option<String>, IpcError> {
    Ok(app.set_inbox_dir("")?)
}

#[tauri::command]
pub(crate) async fn capture_url(app: State<'_, App>, url: String, proves: String) -> Result<Exhibit, IpcError> {
    Ok(app.capture_url(&url, &proves).await?)
}

#[tauri::command]
pub(crate) async fn timestamp_evidence(app: State<'_, App>) -> Result<usize, IpcError> {
    Ok(app.timestamp_evidence().await?)
}
