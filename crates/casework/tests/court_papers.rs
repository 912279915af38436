//! Court papers rendered to PDF and read back by an independent tool (poppler's `pdftotext`).
#![allow(clippy::unwrap_used, reason = "tests fail loudly by design")]

use std::sync::Arc;

use courtside_casework::cases::{CaseFields, CaseParty, Cases, PartyKind, PartyRole};
use courtside_casework::templates::{CatalogueEntry, complaint, evidence_catalogue};
use courtside_render::{CjkFont, render_pdf};
use courtside_vault::{KdfParams, Vault};

fn party(role: PartyRole, kind: PartyKind, name: &str, id: &str) -> CaseParty {
    CaseParty {
        role,
        kind,
        name: name.into(),
        id_number: id.into(),
        address: "北京市海淀区中关村大街1号".into(),
        phone: "010-12345678".into(),
        service_address: String::new(),
        representative: if kind == PartyKind::Organisation { "王五".into() } else { String::new() },
    }
}

fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian: poppler-utils) must be installed");
    assert!(out.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&out.stderr));
    // Lines may wrap anywhere: compare without line breaks and spaces.
    String::from_utf8(out.stdout).unwrap().split_whitespace().collect()
}

#[test]
fn a_complaint_pdf_reads_back_with_the_parties_chinese_names_and_the_claims() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = Vault::create(dir.path(), "correct horse battery", KdfParams::insecure_for_tests()).unwrap();
    let cases = Cases::new(Arc::new(vault));
    let claims = vec![
        "判令被告向原告支付货款人民币150000元及逾期付款利息（自2025年3月5日起按一年期贷款市场报价利率计算至实际清偿之日止）".to_owned(),
        "判令被告承担本案诉讼费用".to_owned(),
    ];
    let case = cases
        .create(CaseFields {
            court_id: "demo".into(),
            case_type: "civil-contract".into(),
            cause_of_action: "买卖合同纠纷".into(),
            title: "张三诉北京某某贸易有限公司".into(),
            amount_fen: Some(15_000_000),
            simple_procedure: false,
            parties: vec![
                party(PartyRole::Plaintiff, PartyKind::Person, "张三", "110101199001011234"),
                party(PartyRole::Defendant, PartyKind::Organisation, "北京某某贸易有限公司", "91110108MA01ABCD1X"),
            ],
            claims: claims.clone(),
            facts: "2025年1月10日，原告与被告签订《购销合同》（Contract No. BJ-2025-001），约定原告向被告供应办公设备。原告已依约交货，被告至今未支付货款。".repeat(8),
            notes: String::new(),
        })
        .unwrap();
    let font = CjkFont::find().expect("a CJK font (Debian: fonts-noto-cjk)");
    let date = time::Date::from_calendar_date(2026, time::Month::November, 23).unwrap();
    let pdf = render_pdf(&complaint(&case, "示范人民法院", date), &font).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdftotext(&pdf);
    for expected in [
        "民事起诉状",
        "原告：张三",
        "被告：北京某某贸易有限公司",
        "法定代表人王五",
        "诉讼请求",
        "ContractNo.BJ-2025-001",
        "示范人民法院",
        "2026年11月23日",
    ] {
        assert!(text.contains(expected), "{expected:?} not in the extracted text:\n{text}");
    }
    for claim in &claims {
        let claim: String = claim.split_whitespace().collect();
        assert!(text.contains(&claim), "claim {claim:?} not in the extracted text:\n{text}");
    }
    // The font is embedded as a subset, not whole (the collection is tens of megabytes).
    assert!(pdf.len() < 400_000, "{} bytes", pdf.len());

    let catalogue = evidence_catalogue(
        &case,
        &[CatalogueEntry {
            name: "购销合同".into(),
            source: "原告保存的原件".into(),
            proves: "双方存在买卖合同关系".into(),
            pages: Some(3),
        }],
        date,
    );
    let text = pdftotext(&render_pdf(&catalogue, &font).unwrap());
    assert!(
        text.contains("证据目录")
            && text.contains("证据1：购销合同")
            && text.contains("证明目的：双方存在买卖合同关系"),
        "{text}"
    );
}
