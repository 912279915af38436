//! A lawyer's vault (cases filed with the court's receipt, drafts with versions, evidence,
//! served documents) backed up, then restored on "a new computer" (an empty data
//! directory) with the passphrase and with the recovery key: everything comes back, item
//! by item through the app's own API, and the custody chain records the move.

use std::time::Duration;

use courtside_casework::cases::{CaseFields, PartyKind, PartyRole};
use courtside_core::App;
use courtside_evidence::custody::Event;
use courtside_vault::BackupSecret;

use super::casework::party;
use super::support::{Court, court_url, follow_by_service, open_case, sign_in};

const PASS: &str = "correct horse battery";

/// What the user sees in the app, everything a lawyer would miss after a restore.
async fn everything(app: &App) -> Vec<String> {
    let mut out = Vec::new();
    for c in app.list_cases().unwrap() {
        let view = app.get_case(&c.id).unwrap();
        out.push(format!("case {} {} {:?} {:?}", c.id, view.stage, view.case_number, view.case.fields.title));
        for d in &view.case.documents {
            out.push(format!("  document {} {} {}", d.kind, d.file_name, d.sha256));
        }
        if let Some(f) = &view.filing {
            out.push(format!("  filing {} {:?}", f.id, f.state));
        }
    }
    for d in app.list_drafts().unwrap() {
        let history = app.draft_history(&d.id).unwrap();
        out.push(format!("draft {} {} v{} ({} versions)", d.id, d.title, d.version, history.len()));
        for v in history {
            let body = app.get_draft(&d.id, Some(v.number)).unwrap().body;
            out.push(format!("  v{} {}", v.number, body));
        }
    }
    // The originals' digests; `verify_evidence` re-hashes the originals against them.
    for e in app.list_exhibits().unwrap() {
        out.push(format!("exhibit {} {} {} {}", e.id, e.title, e.sha256, e.size));
    }
    for s in app.served_documents().unwrap() {
        out.push(format!("served {} {} {:?}", s.id, s.title, s.local_case));
    }
    out
}

/// The app on `court` with its data under `dir`.
async fn app_at(court: &Court, dir: &std::path::Path) -> App {
    let mut config =
        courtside_core::AppConfig::new(dir.join("app"), courtside_core::CourtChoice::Configured(court_url(court)));
    config.vault_kdf = courtside_vault::KdfParams::insecure_for_tests();
    config.exports_dir = Some(dir.join("exports"));
    App::start(config).await.unwrap()
}

#[tokio::test]
async fn a_vault_restored_on_a_new_computer_holds_every_item_and_its_custody_records_the_move() {
    let court = Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_at(&court, dir.path()).await;
    let recovery_key = app.create_vault(PASS.into()).await.unwrap().recovery_key;
    sign_in(&app, "li.si", "demo-litigant-2").await;

    // A case filed and receipted by the court.
    let policy = app.court_policy().await.unwrap();
    let fields = CaseFields {
        court_id: policy.court_id.clone(),
        case_type: "civil-contract".into(),
        cause_of_action: "买卖合同纠纷".into(),
        title: "李四诉王五买卖合同纠纷".into(),
        amount_fen: Some(10_000_000),
        simple_procedure: false,
        parties: vec![
            party(PartyRole::Plaintiff, PartyKind::Person, "李四"),
            party(PartyRole::Defendant, PartyKind::Person, "王五"),
        ],
        claims: vec!["判令被告支付货款100000元".into()],
        facts: "被告收货后未付款。".into(),
        notes: String::new(),
    };
    let id = app.create_case(fields).unwrap().case.id;
    app.attach_case_document(&id, "identity", "身份证.pdf", b"%PDF-1.4\n% identity\n%%EOF\n").unwrap();
    app.queue_case_filing(&id).unwrap();
    for _ in 0..200 {
        if app.get_case(&id).unwrap().stage == courtside_core::ipc::CaseStage::Sent {
            break;
        }
        app.sync_now().unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.get_case(&id).unwrap().stage, courtside_core::ipc::CaseStage::Sent, "the court's receipt is in");

    // A draft with three versions.
    let draft = app.create_draft("答辩状", "第一稿", Some(&id)).unwrap();
    app.save_draft(&draft.id, "答辩状", "第二稿").unwrap();
    app.save_draft(&draft.id, "答辩状", "第三稿：被告否认收货").unwrap();

    // Evidence: 200 MB in four exhibits.
    let mib: usize = 200;
    for n in 0..4usize {
        let bytes: Vec<u8> = (0..(mib << 20) / 4).map(|i| ((i * 31 + n * 7) % 251) as u8).collect();
        app.add_exhibit(
            &format!("录音{n}.bin"),
            Some(&format!("录音 {n}")),
            "被告承认欠款",
            courtside_evidence::Source::File,
            &bytes,
        )
        .unwrap();
    }
    // A document the court served, in a case the app now follows.
    let court_case = open_case(&court, "王五诉李四").await;
    follow_by_service(&app, &court, &court_case.id, "应诉通知书").await;

    let before = everything(&app).await;
    assert!(before.iter().any(|l| l.starts_with("  filing")), "{before:#?}");
    assert!(before.iter().any(|l| l.starts_with("served")), "{before:#?}");
    let backup = dir.path().join("usb");
    let report = app.back_up(&backup).unwrap();
    assert!(report.bytes_written > (mib as u64) << 20, "{report:?}");
    app.lock_vault().unwrap();
    app.shutdown().await;

    for (name, secret) in
        [("passphrase", BackupSecret::Passphrase(PASS)), ("recovery-key", BackupSecret::RecoveryKey(&recovery_key))]
    {
        // A new computer: an empty data directory.
        let new = dir.path().join(format!("new-computer-{name}"));
        let restored = courtside_core::backup::restore(&new.join("app"), &backup, None, secret).unwrap();
        assert_eq!(restored.report.snapshot.name, report.snapshot);
        assert_eq!(restored.exhibits, 4);
        assert_eq!(restored.sign_ins_to_redo, 1, "the court sign-in is done again on the new computer");
        let app = app_at(&court, &new).await;
        match secret {
            BackupSecret::Passphrase(p) => app.unlock_vault(p.into()).await.unwrap(),
            BackupSecret::RecoveryKey(k) => app.unlock_with_recovery_key(k.into()).await.unwrap(),
        }
        assert_eq!(everything(&app).await, before, "{name}: item by item");
        let verification = app.verify_evidence().unwrap();
        assert!(verification.problems.is_empty(), "{name}: {:?}", verification.problems);
        for e in app.list_exhibits().unwrap() {
            let detail = app.exhibit_detail(&e.id).unwrap();
            let last = detail.custody.iter().rev().find(|c| !matches!(c.event, Event::Viewed)).unwrap();
            assert!(
                matches!(&last.event, Event::Restored { snapshot, .. } if *snapshot == report.snapshot),
                "{name}: {:?}",
                last.event
            );
        }
        app.lock_vault().unwrap();
        app.shutdown().await;
        let vault = courtside_vault::Vault::unlock(&new.join("app").join("vault"), PASS).unwrap();
        assert!(vault.verify().unwrap().is_empty(), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_backs_up_on_its_own_to_its_folder_and_a_new_computer_restores_from_it() {
    use courtside_core::ipc::VaultState;
    let court = Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let usb = dir.path().join("usb");
    let at = |sub: &str| {
        let mut config = courtside_core::AppConfig::new(
            dir.path().join(sub),
            courtside_core::CourtChoice::Configured(court_url(&court)),
        );
        config.vault_kdf = courtside_vault::KdfParams::insecure_for_tests();
        config.backup_dir = Some(usb.clone());
        config
    };
    let app = std::sync::Arc::new(App::start(at("old")).await.unwrap());
    app.create_vault(PASS.into()).await.unwrap();
    let status = app.backup_status().unwrap();
    assert_eq!(status.folder.as_deref(), Some(usb.display().to_string().as_str()));
    assert!(status.overdue && status.last_success_at.is_none(), "{status:?}");
    app.create_draft("代理词", "本案应驳回原告诉讼请求。", None).unwrap();

    // Never backed up: the schedule makes one at once.
    let looping = std::sync::Arc::clone(&app);
    let task = tokio::spawn(async move { looping.back_up_while_open(Duration::from_millis(50)).await });
    let mut status = app.backup_status().unwrap();
    for _ in 0..200 {
        if status.last_success_at.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        status = app.backup_status().unwrap();
    }
    task.abort();
    assert!(status.last_success_at.is_some() && !status.overdue && status.last_error.is_none(), "{status:?}");
    app.lock_vault().unwrap();

    // A new computer: its first-run screen offers the configured folder.
    let new = App::start(at("new")).await.unwrap();
    assert_eq!(new.vault_state().unwrap(), VaultState::Absent);
    let offered = new.configured_restore_source().expect("the folder holds a backup");
    assert_eq!(offered.snapshots.len(), 1);
    assert_eq!(Some(&offered.snapshots[0].name), status.last_snapshot.as_ref());
    let wrong = new.restore_from_backup(None, "not the passphrase".into(), false).await.unwrap_err();
    assert!(
        matches!(wrong, courtside_core::AppError::Vault(courtside_vault::VaultError::WrongPassphrase)),
        "{wrong:?}"
    );
    assert_eq!(new.vault_state().unwrap(), VaultState::Absent, "a wrong passphrase restores nothing");
    new.restore_from_backup(None, PASS.into(), false).await.unwrap();
    assert_eq!(new.vault_state().unwrap(), VaultState::Locked);
    assert!(new.restore_from_backup(None, PASS.into(), false).await.is_err(), "never over a vault");
    new.unlock_vault(PASS.into()).await.unwrap();
    let drafts = new.list_drafts().unwrap();
    assert_eq!(drafts.len(), 1);
    assert_eq!(new.get_draft(&drafts[0].id, None).unwrap().body, "本案应驳回原告诉讼请求。");
    new.shutdown().await;
}

#[tokio::test]
async fn an_export_holds_every_item_and_no_secret_and_erase_leaves_no_vault_behind() {
    use courtside_core::ipc::VaultState;
    let court = Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_at(&court, dir.path()).await;
    app.create_vault(PASS.into()).await.unwrap();
    sign_in(&app, "li.si", "demo-litigant-2").await;
    let draft = app.create_draft("代理词", "第一稿", None).unwrap();
    app.save_draft(&draft.id, "代理词", "第二稿").unwrap();
    app.add_exhibit("录音.bin", Some("录音"), "被告承认欠款", courtside_evidence::Source::File, &[7u8; 4096]).unwrap();
    let court_case = open_case(&court, "王五诉李四").await;
    follow_by_service(&app, &court, &court_case.id, "应诉通知书").await;

    let bag = app.export_everything_to(&dir.path().join("exports")).unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bag.join("data/courtside-export.json")).unwrap()).unwrap();
    assert_eq!(json["format"], courtside_core::export::EXPORT_FORMAT);
    assert_eq!(json["drafts"][0]["versions"].as_array().unwrap().len(), 2);
    assert_eq!(json["exhibits"].as_array().unwrap().len(), 1);
    assert_eq!(json["servedDocuments"].as_array().unwrap().len(), 1);
    assert_eq!(json["courtAccounts"][0]["username"], "li.si");
    let served = json["servedDocuments"][0]["file"].as_str().unwrap();
    assert_eq!(std::fs::read(bag.join("data").join(served)).unwrap(), b"%PDF-1.4\n%%EOF\n");
    // No token or key of the court account is in any file of the bag.
    let vault = courtside_vault::Vault::unlock(&dir.path().join("app/vault"), PASS).unwrap();
    let account = courtside_sync::account::accounts(&vault).unwrap().remove(0);
    drop(vault);
    let secrets = [account.access_token.clone(), account.refresh_token.clone(), account.device_key.clone()];
    let mut files = vec![bag.clone()];
    let mut checked = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().flatten().map(|e| e.path()));
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for secret in secrets.iter().filter(|s| s.len() >= 16) {
            assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "{} holds a secret", path.display());
        }
        checked += 1;
    }
    assert!(checked >= 10, "{checked} files");

    assert!(app.erase_everything("erase").is_err(), "the confirmation is exact");
    app.erase_everything("ERASE").unwrap();
    assert_eq!(app.vault_state().unwrap(), VaultState::Absent);
    assert!(!dir.path().join("app/vault").exists());
    assert!(bag.join("data/courtside-export.json").exists(), "the user's export stays theirs");
    app.shutdown().await;
}
