//! One integration-test binary for the whole workspace, so the suite links once.
#![allow(clippy::unwrap_used, reason = "tests fail loudly by design")]

#[path = "e2e/agenda.rs"]
mod agenda;
#[path = "e2e/backup.rs"]
mod backup;
#[path = "e2e/casework.rs"]
mod casework;
#[path = "e2e/damage.rs"]
mod damage;
#[path = "e2e/evidence.rs"]
mod evidence;
#[path = "e2e/fees.rs"]
mod fees;
#[path = "e2e/hearings.rs"]
mod hearings;
#[path = "e2e/hostile.rs"]
mod hostile;
#[cfg(target_os = "linux")]
#[path = "e2e/keychain.rs"]
mod keychain;
#[cfg(target_os = "linux")]
#[path = "e2e/metadata.rs"]
mod metadata;
#[path = "e2e/network_watch.rs"]
mod network_watch;
#[path = "e2e/outbox.rs"]
mod outbox;
#[path = "e2e/proxy_kill.rs"]
mod proxy_kill;
#[path = "e2e/queue_kill.rs"]
mod queue_kill;
#[cfg(target_os = "linux")]
#[path = "e2e/sleep_lock.rs"]
mod sleep_lock;
#[path = "e2e/support.rs"]
mod support;
#[path = "e2e/torture.rs"]
mod torture;
#[path = "e2e/uploads.rs"]
mod uploads;

use courtside_core::ipc::Connectivity;
use courtside_core::{App, AppConfig, CourtChoice};
use courtside_court_api::{CourtClient, CourtError, CourtUrl, HealthStatus};

#[tokio::test]
async fn unknown_endpoint_is_problem_json() {
    let dir = tempfile::tempdir().unwrap();
    let court = courtside_court_server::start(courtside_court_server::CourtConfig::local(dir.path())).await.unwrap();
    let response = reqwest::get(format!("{}v1/nope", court.base_url())).await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], 404);
    assert_eq!(body["instance"], "/v1/nope");

    let client = CourtClient::new(CourtUrl::parse(&format!("{}v1/nope/", court.base_url())).unwrap()).unwrap();
    match client.health().await {
        Err(CourtError::Court(problem)) => assert_eq!(problem.status, 404),
        other => panic!("expected a court problem, got {other:?}"),
    }
    court.stop().await.unwrap();
}

#[tokio::test]
async fn client_reads_health_and_reports_a_stopped_court_as_offline() {
    let dir = tempfile::tempdir().unwrap();
    let court = courtside_court_server::start(courtside_court_server::CourtConfig::local(dir.path())).await.unwrap();
    let url = CourtUrl::parse(&court.base_url()).unwrap();
    let health = CourtClient::new(url.clone()).unwrap().health().await.unwrap();
    assert_eq!(health.status, HealthStatus::Ok);
    assert!(health.court_name.contains("示范"));

    let app = App::start(AppConfig::new(dir.path().join("app"), CourtChoice::Configured(url))).await.unwrap();
    assert!(matches!(app.check_connectivity().await, Connectivity::Online { .. }));
    court.stop().await.unwrap();
    match app.check_connectivity().await {
        Connectivity::Offline { reason, .. } => assert!(reason.contains("cannot be reached"), "{reason}"),
        other => panic!("expected offline, got {other:?}"),
    }
}

#[tokio::test]
async fn app_without_a_court_starts_the_demo_court_in_its_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::start(AppConfig::new(dir.path().to_owned(), CourtChoice::Demo)).await.unwrap();
    let info = app.info();
    assert!(info.court.demo);
    assert!(info.court.url.starts_with("http://127.0.0.1:"), "{}", info.court.url);
    assert!(matches!(app.check_connectivity().await, Connectivity::Online { .. }));
    assert!(dir.path().join("demo-court/court.sqlite3").exists());
    app.shutdown().await;
    // A restart finds the demo court at the same address (accounts are keyed by it).
    let again = App::start(AppConfig::new(dir.path().to_owned(), CourtChoice::Demo)).await.unwrap();
    assert_eq!(again.info().court.url, info.court.url);
    again.shutdown().await;
}

#[tokio::test]
async fn vault_lifecycle_through_the_app_service() {
    use courtside_core::ipc::{ErrorCode, IpcError, VaultState};
    let dir = tempfile::tempdir().unwrap();
    let mut config = AppConfig::new(dir.path().to_owned(), CourtChoice::Demo);
    config.vault_kdf = courtside_vault::KdfParams::insecure_for_tests();
    let app = App::start(config.clone()).await.unwrap();
    assert_eq!(app.vault_state().unwrap(), VaultState::Absent);

    let weak = IpcError::from(app.create_vault("short".into()).await.unwrap_err());
    assert_eq!(weak.code, ErrorCode::InvalidInput);

    let created = app.create_vault("correct horse battery".into()).await.unwrap();
    assert!(created.recovery_key.starts_with("CSRK-"));
    assert_eq!(app.vault_state().unwrap(), VaultState::Unlocked);
    app.lock_vault().unwrap();
    assert_eq!(app.vault_state().unwrap(), VaultState::Locked);

    let wrong = IpcError::from(app.unlock_vault("wrong passphrase".into()).await.unwrap_err());
    assert_eq!(wrong.code, ErrorCode::WrongPassphrase);
    assert!(!wrong.message.contains("wrong passphrase"), "the attempt is never echoed back");
    app.unlock_vault("correct horse battery".into()).await.unwrap();
    assert_eq!(app.vault_state().unwrap(), VaultState::Unlocked);
    app.shutdown().await;

    // A new process (a restart) finds the vault locked and opens it with the same passphrase.
    let app = App::start(config).await.unwrap();
    assert_eq!(app.vault_state().unwrap(), VaultState::Locked);
    app.unlock_vault("correct horse battery".into()).await.unwrap();
    app.shutdown().await;
}

#[test]
fn unlock_delay_grows_and_is_capped() {
    use std::time::Duration;
    assert_eq!(courtside_core::unlock_delay(1), Duration::ZERO);
    assert_eq!(courtside_core::unlock_delay(2), Duration::ZERO);
    assert_eq!(courtside_core::unlock_delay(3), Duration::from_secs(1));
    assert_eq!(courtside_core::unlock_delay(4), Duration::from_secs(2));
    assert_eq!(courtside_core::unlock_delay(8), Duration::from_secs(30));
    assert_eq!(courtside_core::unlock_delay(u32::MAX), Duration::from_secs(30));
}

#[tokio::test]
async fn recovery_key_unlock_and_passphrase_change_through_the_app_service() {
    use courtside_core::ipc::{ErrorCode, IpcError, VaultState};
    let dir = tempfile::tempdir().unwrap();
    let mut config = AppConfig::new(dir.path().to_owned(), CourtChoice::Demo);
    config.vault_kdf = courtside_vault::KdfParams::insecure_for_tests();
    let app = App::start(config).await.unwrap();
    let created = app.create_vault("first passphrase".into()).await.unwrap();
    app.create_draft("起诉状", "正文", None).unwrap();
    app.change_passphrase("second passphrase".into()).await.unwrap();
    app.lock_vault().unwrap();
    assert!(matches!(app.list_drafts(), Err(courtside_core::AppError::Locked)));

    let old = IpcError::from(app.unlock_vault("first passphrase".into()).await.unwrap_err());
    assert_eq!(old.code, ErrorCode::WrongPassphrase);
    let bad_key = IpcError::from(app.unlock_with_recovery_key("CSRK-AAAA".into()).await.unwrap_err());
    assert_eq!(bad_key.code, ErrorCode::WrongRecoveryKey);
    app.unlock_with_recovery_key(created.recovery_key.to_lowercase()).await.unwrap();
    assert_eq!(app.vault_state().unwrap(), VaultState::Unlocked);
    assert_eq!(app.list_drafts().unwrap()[0].title, "起诉状");
    app.lock_vault().unwrap();
    app.unlock_vault("second passphrase".into()).await.unwrap();
    app.shutdown().await;
}
