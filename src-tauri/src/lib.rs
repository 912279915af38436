//! The Tauri shell: window, IPC commands and capabilities, nothing else. Every command is a
//! one-line call into `courtside_core::App`; errors cross the boundary once, as `IpcError`.

mod commands;
mod media;

use std::time::Instant;

use courtside_core::instance::Instance;
use courtside_core::{App, AppConfig};
use tauri::{Emitter, Manager};

/// When the process started; the bench reads how long the first screen took.
pub(crate) struct Started(pub Instant);

/// The running app's answer to a second launch: its window comes forward.
fn bring_forward(app: &tauri::AppHandle, _argv: Vec<String>, _cwd: String) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Builds and runs the app until its last window closes.
///
/// # Panics
/// If the window system or the webview cannot start: nothing can be shown then.
pub fn run() {
    let started = Started(Instant::now());
    init_logging();
    let data_dir = AppConfig::from_env().map(|c| c.data_dir).ok();
    let channel = data_dir.as_deref().map_or_else(|| "org.courtside.desktop".to_owned(), Instance::channel_name);
    tauri::Builder::default()
        // First: a second launch on the same data directory hands its arguments to the
        // running app, which comes forward, and exits before it opens anything.
        .plugin(tauri_plugin_single_instance::Builder::new().dbus_id(channel).callback(bring_forward).build())
        .plugin(tauri_plugin_notification::init())
        .on_permission_request(media::answer)
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::DragDrop(drop) = event {
                commands::evidence::dropped(window, drop);
            }
        })
        .setup(move |app| {
            let config = AppConfig::from_env()?;
            // Where the platform's channel is missing (no D-Bus session bus), the lock on the
            // data directory still keeps a second process from opening a window.
            let Some(instance) = Instance::hold(&config.data_dir)? else {
                tracing::info!("Courtside is already running on this data directory; this launch ends");
                app.cleanup_before_exit();
                std::process::exit(0);
            };
            app.manage(instance);
            let window_config = app.config().app.windows.first().cloned().ok_or("no window in the configuration")?;
            let window = tauri::WebviewWindowBuilder::from_config(app.handle(), &window_config)?.build()?;
            media::enable_capture(&window);
            let service = tauri::async_runtime::block_on(App::start(config))?;
            service.on_court_news(court_news(app.handle().clone()));
            app.manage(service);
            app.manage(started);
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                let ask_window = || {
                    if let Err(e) = handle.emit("vault-lock-requested", ()) {
                        tracing::warn!(error = %e, "could not ask the window to lock");
                    }
                };
                handle.state::<App>().lock_on_sleep(courtside_core::power::watch(), ask_window).await;
            });
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                handle.state::<App>().sync_on_network_events(courtside_core::network_watch::watch()).await;
            });
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move { handle.state::<App>().remind_while_open().await });
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                handle.state::<App>().run_inbox_watcher(std::time::Duration::from_secs(2)).await;
            });
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                handle.state::<App>().stamp_evidence_while_open(std::time::Duration::from_secs(30)).await;
            });
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                handle.state::<App>().back_up_while_open(std::time::Duration::from_secs(60)).await;
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::system::app_info,
            commands::system::check_connectivity,
            commands::system::ui_ready,
            commands::vault::vault_state,
            commands::vault::vault_damage,
            commands::vault::check_vault,
            commands::vault::create_vault,
            commands::vault::unlock_vault,
            commands::vault::lock_vault,
            commands::vault::device_unlock_enabled,
            commands::vault::set_device_unlock,
            commands::vault::unlock_with_this_device,
            commands::vault::unlock_with_recovery_key,
            commands::vault::change_passphrase,
            commands::backup::backup_status,
            commands::backup::back_up_now,
            commands::backup::set_backup_schedule,
            commands::backup::stop_backups,
            commands::backup::choose_backup_folder,
            commands::backup::configured_restore_source,
            commands::backup::choose_restore_folder,
            commands::backup::restore_from_backup,
            commands::backup::export_everything,
            commands::backup::erase_everything,
            commands::drafts::list_drafts,
            commands::drafts::create_draft,
            commands::drafts::save_draft,
            commands::drafts::get_draft,
            commands::drafts::draft_history,
            commands::drafts::restore_draft,
            commands::drafts::search_drafts,
            commands::evidence::list_exhibits,
            commands::evidence::add_exhibit,
            commands::evidence::exhibit_detail,
            commands::evidence::describe_exhibit,
            commands::evidence::verify_evidence,
            commands::evidence::export_evidence_bag,
            commands::evidence::inbox_dir,
            commands::evidence::choose_inbox_dir,
            commands::evidence::clear_inbox_dir,
            commands::evidence::capture_url,
            commands::evidence::capture_dropped,
            commands::evidence::exhibit_content,
            commands::evidence::choose_evidence,
            commands::evidence::discard_dropped,
            commands::evidence::timestamp_evidence,
            commands::courts::sign_in,
            commands::courts::sign_out,
            commands::courts::court_accounts,
            commands::courts::sync_overview,
            commands::courts::sync_now,
            commands::courts::set_filing_paused,
            commands::courts::cancel_filing,
            commands::courts::watch_sync,
            commands::courts::unwatch_sync,
            commands::cases::court_policy,
            commands::cases::list_cases,
            commands::cases::get_case,
            commands::cases::create_case,
            commands::cases::update_case,
            commands::cases::copy_case,
            commands::cases::check_amount,
            commands::cases::delete_case,
            commands::cases::queue_case_filing,
            commands::cases::detach_case_document,
            commands::cases::attach_case_document,
            commands::cases::add_case_deadline,
            commands::cases::remove_case_deadline,
            commands::cases::agenda,
            commands::cases::calendar,
            commands::cases::export_calendar,
            commands::cases::served_documents,
            commands::cases::served_content,
            commands::cases::save_served_copy,
            commands::cases::hearings,
            commands::cases::set_case_exhibits,
            commands::cases::mark_step_offline,
            commands::cases::evidence_exchange,
            commands::cases::cross_examine,
            commands::cases::submit_to_exchange,
            commands::cases::fee_notices,
            commands::cases::pay_fee,
            commands::hearings::network_check,
            commands::hearings::check_in,
            commands::hearings::join_hearing,
            commands::hearings::export_hearing_log,
            commands::hearings::answer_question,
            commands::hearings::mediation,
            commands::hearings::send_mediation_message,
        ])
        .run(tauri::generate_context!())
        .expect("the Courtside window could not start");
}

/// The court's news as a desktop notification (what needs the user: a served document, a
/// hearing, a fee, the court's word on a filing), and as an event the window refreshes on.
fn court_news(handle: tauri::AppHandle) -> courtside_core::courts::NewsSink {
    use tauri_plugin_notification::NotificationExt;
    let chinese = sys_locale::get_locale().is_some_and(|l| l.to_ascii_lowercase().starts_with("zh"));
    std::sync::Arc::new(move |kind: courtside_core::ipc::NewsKind, text: &str| {
        let title = if chinese { "法院消息 · Courtside" } else { "News from the court · Courtside" };
        if let Err(e) = handle.notification().builder().title(title).body(text).show() {
            tracing::info!(error = %e, "no desktop notification");
        }
        if let Err(e) = handle.emit("court-news", kind) {
            tracing::info!(error = %e, "the window was not told of the court's news");
        }
    })
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("COURTSIDE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}
