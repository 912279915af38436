//! Damage from outside the app (a bad disk sector, a sync tool putting back an old copy):
//! the damaged case is named with what happened to it, every other case still opens and
//! works, and the error the window gets says what it is and what to do (the CLI's check:
//! crates/cli/tests/cli.rs).

use courtside_casework::cases::{CaseFields, PartyKind, PartyRole};
use courtside_core::ipc::{Damage, DamagedItem, DamagedThing, ErrorCode, IpcError};

use super::casework::party;
use super::support::{Court, app_on};

fn fields(title: &str, court_id: &str) -> CaseFields {
    CaseFields {
        court_id: court_id.into(),
        case_type: "civil-contract".into(),
        cause_of_action: "买卖合同纠纷".into(),
        title: title.into(),
        amount_fen: Some(5_000_000),
        simple_procedure: false,
        parties: vec![party(PartyRole::Plaintiff, PartyKind::Person, "张三")],
        claims: vec!["判令被告支付货款50000元".into()],
        facts: "被告收货后未付款。".into(),
        notes: String::new(),
    }
}

#[tokio::test]
async fn a_case_damaged_on_disk_is_named_and_the_other_cases_still_open_and_save() {
    let court = Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_on(&court, dir.path()).await;
    let court_id = courtside_court_server::DEMO_COURT_ID;
    let ids: Vec<String> = ["一号案件", "二号案件", "三号案件"]
        .iter()
        .map(|t| app.create_case(fields(t, court_id)).unwrap().case.id)
        .collect();
    let exhibit = app
        .add_exhibit("合同.pdf", None, "双方存在买卖合同关系", courtside_evidence::Source::File, b"%PDF-1.4\n%%EOF\n")
        .unwrap();
    app.shutdown().await;

    // Outside the app: one case's sealed bytes change, and the exhibit's file is cut short.
    let vault_dir = dir.path().join("app").join("vault");
    // Where the case's row and the exhibit's file are (their names are opaque on disk).
    let ((tbl, row), blob) = {
        let vault = courtside_vault::Vault::unlock(&vault_dir, "correct horse battery").unwrap();
        (vault.stored_row("cases", &ids[1]), vault.blob_path(&exhibit.blob_id))
    };
    let conn = rusqlite::Connection::open(vault_dir.join(courtside_vault::DB_FILE)).unwrap();
    let mut ct: Vec<u8> = conn
        .query_row("SELECT ciphertext FROM records WHERE tbl = ?1 AND id = ?2", [&tbl, &row], |r| r.get(0))
        .unwrap();
    ct[5] ^= 0x20;
    conn.execute("UPDATE records SET ciphertext = ?1 WHERE tbl = ?2 AND id = ?3", rusqlite::params![ct, tbl, row])
        .unwrap();
    drop(conn);
    // (An interrupted copy: the file ends a few bytes after its header.)
    std::fs::OpenOptions::new().write(true).open(&blob).unwrap().set_len(20).unwrap();

    let mut config = courtside_core::AppConfig::new(
        dir.path().join("app"),
        courtside_core::CourtChoice::Configured(super::support::court_url(&court)),
    );
    config.background_sync = false;
    let app = courtside_core::App::start(config).await.unwrap();
    app.unlock_vault("correct horse battery".into()).await.unwrap();
    let listed: Vec<String> = app.list_cases().unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(listed.len(), 2, "the intact cases are listed: {listed:?}");
    assert!(listed.contains(&ids[0]) && listed.contains(&ids[2]));
    let damaged = DamagedItem { item: format!("cases/{}", ids[1]), thing: DamagedThing::Case, kind: Damage::Altered };
    assert_eq!(app.vault_damage().unwrap(), std::slice::from_ref(&damaged));

    // Opening it: the window is told what it is and what happened, with Rust's words as details.
    let error = IpcError::from(app.get_case(&ids[1]).unwrap_err());
    assert_eq!(error.code, ErrorCode::Tampered);
    assert_eq!(error.details, Some(serde_json::to_value(&damaged).unwrap()));
    // The rest works as usual: an intact case is edited and saved.
    app.update_case(&ids[0], fields("一号案件（已修改）", court_id)).unwrap();
    assert_eq!(app.get_case(&ids[0]).unwrap().case.fields.title, "一号案件（已修改）");

    // The full check finds the exhibit's file too.
    let mut found = app.check_vault().await.unwrap();
    found.sort_by(|a, b| a.item.cmp(&b.item));
    assert_eq!(
        found,
        [
            DamagedItem {
                item: format!("blobs/{}", exhibit.blob_id),
                thing: DamagedThing::ExhibitFile,
                kind: Damage::Truncated
            },
            damaged
        ]
    );
    app.shutdown().await;
}
