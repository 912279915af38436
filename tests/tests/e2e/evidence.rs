//! The app's watched evidence folder: set in the vault, watched while the vault is open.
//! Files and folders dropped on the window: held by token, captured with progress.

use std::sync::Arc;
use std::time::Duration;

use courtside_core::{App, AppConfig, CourtChoice, Picked};

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
    assert_eq!(
        (&exhibits[0].source, exhibits[0].original_name.as_str()),
        (&courtside_evidence::Source::WatchedFolder, "收据.pdf")
    );
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
    let exhibit = app
        .add_exhibit(
            "转账记录.png",
            None,
            "原告已付款",
            courtside_evidence::Source::File,
            b"\x89PNG\r\n\x1a\n not really",
        )
        .unwrap();
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

#[tokio::test]
async fn a_dropped_folder_is_held_then_captured_file_by_file_with_progress_and_a_vanished_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = AppConfig::new(dir.path().join("app"), CourtChoice::Demo);
    config.vault_kdf = courtside_vault::KdfParams::insecure_for_tests();
    let app = App::start(config).await.unwrap();
    app.create_vault("correct horse battery".into()).await.unwrap();
    let drop = dir.path().join("证据材料");
    std::fs::create_dir_all(drop.join("照片")).unwrap();
    let video = vec![7u8; 20 << 20];
    std::fs::write(drop.join("录像.mp4"), &video).unwrap();
    std::fs::write(drop.join("照片").join("现场1.jpg"), [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]).unwrap();
    std::fs::write(drop.join("照片").join("现场2.jpg"), [0xFF, 0xD8, 0xFF, 0xE0, 4, 5, 6]).unwrap();
    std::fs::write(drop.join(".DS_Store"), b"junk").unwrap();
    std::fs::write(drop.join("合同.pdf.crdownload"), b"half").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("/etc/passwd", drop.join("link")).unwrap();
    let single = dir.path().join("聊天记录.txt");
    std::fs::write(&single, "李四：货款下月付。").unwrap();

    let offer = app.hold_dropped(&[drop.clone(), single.clone()], Picked::Dropped).unwrap();
    assert_eq!(offer.files, 4);
    assert_eq!(offer.bytes, video.len() as u64 + 7 + 7 + "李四：货款下月付。".len() as u64);
    assert_eq!(offer.skipped, if cfg!(unix) { 3 } else { 2 });
    assert_eq!(offer.names, ["录像.mp4", "现场1.jpg", "现场2.jpg", "聊天记录.txt"]);
    assert!(app.capture_dropped("not-the-token", "", |_| {}).is_err());

    // One file vanishes between the drop and the capture: it is reported, the rest kept.
    std::fs::remove_file(drop.join("照片").join("现场2.jpg")).unwrap();
    let mut seen = Vec::new();
    let outcome = app.capture_dropped(&offer.token, "交付时货物状况", |p| seen.push(p)).unwrap();
    assert_eq!(
        outcome.exhibits.iter().map(|e| e.original_name.as_str()).collect::<Vec<_>>(),
        ["录像.mp4", "现场1.jpg", "聊天记录.txt"]
    );
    assert!(
        outcome
            .exhibits
            .iter()
            .all(|e| e.source == courtside_evidence::Source::DragAndDrop && e.proves == "交付时货物状况")
    );
    assert_eq!(outcome.failed.len(), 1);
    assert_eq!(outcome.failed[0].name, "现场2.jpg");
    // Progress: starts at 0, never goes back, reports within the 20 MiB file, ends at the total of what was read.
    assert_eq!(seen.first().map(|p| (p.file, p.done)), Some((1, 0)));
    assert!(seen.windows(2).all(|w| w[1].done >= w[0].done), "{seen:?}");
    assert!(seen.iter().any(|p| p.file == 1 && p.done > 0 && p.done < video.len() as u64), "{seen:?}");
    assert!(seen.iter().all(|p| p.total == offer.bytes && p.files == 4));
    assert_eq!(seen.last().map(|p| (p.file, p.name.as_str())), Some((4, "聊天记录.txt")));
    // The token is used up; the exhibits are intact.
    assert!(app.capture_dropped(&offer.token, "", |_| {}).is_err());
    assert!(app.verify_evidence().unwrap().problems.is_empty());
    // A drop is forgotten when the vault locks.
    let offer = app.hold_dropped(std::slice::from_ref(&single), Picked::Chosen).unwrap();
    app.lock_vault().unwrap();
    app.unlock_vault("correct horse battery".into()).await.unwrap();
    assert!(app.capture_dropped(&offer.token, "", |_| {}).is_err());
    // Nothing capturable: a clear refusal.
    assert!(app.hold_dropped(&[drop.join(".DS_Store")], Picked::Dropped).is_err());
}
