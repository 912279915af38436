//! The app's watched evidence folder: set in the vault, watched while the vault is open.

use std::sync::Arc;
use std::time::Duration;

use courtside_app::{App, AppConfig, CourtChoice};

#[tokio::test]
async fn a_file_put_in_the_watched_folder_becomes_an_exhibit_while_the_vault_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = AppConfig::new(dir.path().join("app"), CourtChoice::Demo);
    config.vault_kdf = courtside_vault::KdfParams::insecure_for_tests();
    let app = Arc::new(App::start(config).await.unwrap());
    app.create_vault("correct horse battery".into()).await.unwrap();
    assert!(app.set_inbox_dir("relative/folder").is_err(), "a full path is needed");
    let inbox = dir.path().join("inbox");
    app.set_inbox_dir(inbox.to_str().unwrap()).unwrap();
    let watcher = app.clone();
    tokio::spawn(async move { watcher.run_inbox_watcher(Duration::from_millis(300)).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    std::fs::write(inbox.join("收据.pdf"), b"%PDF-1.4\n%%EOF\n").unwrap();
    for _ in 0..100 {
        if app.list_exhibits().unwrap().len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let exhibits = app.list_exhibits().unwrap();
    assert_eq!(exhibits.len(), 1);
    assert_eq!((exhibits[0].source.as_str(), exhibits[0].original_name.as_str()), ("watched-folder", "收据.pdf"));
    // Locked: nothing is captured (the file waits for the next unlock).
    app.lock_vault().unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    std::fs::write(inbox.join("later.txt"), b"later").unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(inbox.join("later.txt").exists(), "nothing is taken while the vault is locked");
}

#[tokio::test]
async fn evidence_captured_offline_is_time_stamped_once_the_court_answers() {
    use courtside_evidence::custody::Event;
    let court = super::support::Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let app = Arc::new(super::support::app_on(&court, dir.path()).await);
    // The court is away when the evidence is captured.
    court.server.faults().set(courtside_court_server::FaultPlan { fail_next: 1000, ..Default::default() });
    let exhibit = app.add_exhibit("转账记录.png", None, "原告已付款", "file", b"\x89PNG\r\n\x1a\n not really").unwrap();
    let stamper = app.clone();
    let task = tokio::spawn(async move { stamper.stamp_evidence_while_open(Duration::from_millis(200)).await });
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let stamped = |app: &App| {
        app.exhibit_detail(&exhibit.id)
            .unwrap()
            .custody
            .into_iter()
            .filter(|e| matches!(&e.event, Event::Timestamped { sha256, .. } if *sha256 == exhibit.sha256))
            .count()
    };
    assert_eq!(stamped(&app), 0, "offline: nothing stamped, nothing lost");
    court.server.faults().set(courtside_court_server::FaultPlan::default());
    let mut count = 0;
    for _ in 0..50 {
        count = stamped(&app);
        if count > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(count, 1, "stamped once the court answered");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(stamped(&app), 1, "and only once");
    task.abort();
    let _ = task.await;
    Arc::try_unwrap(app).ok().unwrap().shutdown().await;
}
