//! Writes an export of a small vault (a case with a deadline, a draft with three versions,
//! two exhibits) under the directory given, and prints the bag's path: `cargo xtask test`
//! checks it with `bagit.py --validate`, Python's `icalendar` and the committed JSON Schema.
//!
//! Usage: `export_sample OUT_DIR`

use courtside_casework::cases::{CaseFields, CaseParty, PartyKind, PartyRole};
use courtside_core::{App, AppConfig, CourtChoice};

fn party(role: PartyRole, name: &str) -> CaseParty {
    CaseParty {
        role,
        kind: PartyKind::Person,
        name: name.into(),
        id_number: String::new(),
        address: "北京市东城区".into(),
        phone: String::new(),
        service_address: String::new(),
        representative: String::new(),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let out = std::path::PathBuf::from(std::env::args().nth(1).expect("out dir"));
    let _ = std::fs::remove_dir_all(&out);
    let work = out.join("work");
    // The embedded demo court: its policy (periods, fees) is what the deadline needs.
    let mut config = AppConfig::new(work.clone(), CourtChoice::Demo);
    config.vault_kdf = courtside_vault::KdfParams::insecure_for_tests();
    config.background_sync = false;
    let app = App::start(config).await.expect("start");
    app.create_vault("correct horse battery".into()).await.expect("vault");
    let policy = app.court_policy().await.expect("the demo court's policy");
    let case = app
        .create_case(CaseFields {
            court_id: policy.court_id.clone(),
            case_type: "civil-contract".into(),
            cause_of_action: "买卖合同纠纷".into(),
            title: "张三诉李四买卖合同纠纷".into(),
            amount_fen: Some(10_000_000),
            simple_procedure: false,
            parties: vec![party(PartyRole::Plaintiff, "张三"), party(PartyRole::Defendant, "李四")],
            claims: vec!["判令被告支付货款100000元".into()],
            facts: "被告收货后未付款。".into(),
            notes: String::new(),
        })
        .expect("case");
    app.attach_case_document(&case.case.id, "identity", "身份证.pdf", b"%PDF-1.4\n% identity\n%%EOF\n").expect("doc");
    app.add_case_deadline(&case.case.id, "appeal-judgment", "2026-12-01", "判决书送达").expect("deadline");
    let draft = app.create_draft("答辩状", "第一稿", Some(&case.case.id)).expect("draft");
    app.save_draft(&draft.id, "答辩状", "第二稿").expect("save");
    app.save_draft(&draft.id, "答辩状（定稿）", "第三稿：被告否认收货").expect("save");
    app.add_exhibit(
        "合同.pdf",
        Some("买卖合同"),
        "双方的买卖关系",
        courtside_core::ipc::ExhibitSource::File,
        b"%PDF-1.4\n% contract\n%%EOF\n",
    )
    .expect("exhibit");
    app.add_exhibit(
        "聊天记录.txt",
        Some("聊天记录"),
        "被告承认欠款",
        courtside_core::ipc::ExhibitSource::File,
        "我下周付款。".as_bytes(),
    )
    .expect("exhibit");
    let bag = app.export_everything_to(&out.join("exports")).expect("export");
    println!("{}", bag.display());
    app.shutdown().await;
}
