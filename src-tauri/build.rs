//! Generates the permission set of the app's own commands (one `allow-<command>` each), so
//! capabilities can grant exactly the commands a window needs.

/// Every command the shell exposes. Keep in sync with `tauri::generate_handler!` in lib.rs.
const COMMANDS: &[&str] = &[
    "app_info",
    "check_connectivity",
    "ui_ready",
    "vault_state",
    "create_vault",
    "unlock_vault",
    "lock_vault",
    "device_unlock_enabled",
    "set_device_unlock",
    "unlock_with_this_device",
    "unlock_with_recovery_key",
    "change_passphrase",
    "list_drafts",
    "create_draft",
    "save_draft",
    "get_draft",
    "draft_history",
    "restore_draft",
    "search_drafts",
    "list_exhibits",
    "add_exhibit",
    "exhibit_detail",
    "describe_exhibit",
    "verify_evidence",
    "export_evidence_bag",
    "inbox_dir",
    "set_inbox_dir",
    "capture_url",
    "timestamp_evidence",
    "sign_in",
    "sign_out",
    "court_accounts",
    "sync_overview",
    "sync_now",
    "set_filing_paused",
    "cancel_filing",
    "watch_sync",
    "unwatch_sync",
    "court_policy",
    "list_cases",
    "get_case",
    "create_case",
    "update_case",
    "copy_case",
    "queue_case_filing",
    "detach_case_document",
    "attach_case_document",
    "add_case_deadline",
    "remove_case_deadline",
    "calendar",
    "export_calendar",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script");
}
