//! Court papers filled from a case: the statement of claim (民事起诉状) in the layout of the
//! Supreme People's Court's model forms, and the evidence catalogue (证据目录). They are
//! laid out as [`courtside_render::Document`]s and rendered to PDF by `courtside-render`.

use courtside_render::{Block, Document};

use crate::cases::{Case, CaseParty, PartyKind, PartyRole};

/// The statement of claim of a case.
#[must_use]
pub fn complaint(case: &Case, court_name: &str, date: time::Date) -> Document {
    let f = &case.fields;
    let mut blocks = vec![Block::Title("民事起诉状".into())];
    for role in [PartyRole::Plaintiff, PartyRole::Agent, PartyRole::Defendant, PartyRole::ThirdParty] {
        for p in case.parties(role) {
            blocks.push(Block::Line(party_line(p)));
        }
    }
    blocks.push(Block::Line(format!("案由：{}", f.cause_of_action.trim())));
    blocks.push(Block::Space);
    blocks.push(Block::Heading("诉讼请求：".into()));
    for (i, claim) in f.claims.iter().filter(|c| !c.trim().is_empty()).enumerate() {
        blocks.push(Block::Paragraph(format!("{}. {}", i + 1, claim.trim())));
    }
    if let Some(fen) = f.amount_fen {
        blocks.push(Block::Paragraph(format!("（诉讼标的额：人民币{}元）", yuan(fen))));
    }
    blocks.push(Block::Heading("事实与理由：".into()));
    for para in f.facts.split('\n').map(str::trim).filter(|p| !p.is_empty()) {
        blocks.push(Block::Paragraph(para.to_owned()));
    }
    blocks.push(Block::Space);
    blocks.push(Block::Line("此致".into()));
    blocks.push(Block::Line(court_name.to_owned()));
    blocks.push(Block::Space);
    let plaintiffs: Vec<&str> = case.parties(PartyRole::Plaintiff).map(|p| p.name.as_str()).collect();
    blocks.push(Block::Right(format!("具状人：{}", plaintiffs.join("、"))));
    blocks.push(Block::Right(chinese_date(date)));
    let copies = case.parties(PartyRole::Defendant).count() + case.parties(PartyRole::ThirdParty).count();
    if copies > 0 {
        blocks.push(Block::Space);
        blocks.push(Block::Line(format!("附：本起诉状副本{copies}份")));
    }
    Document { title: format!("民事起诉状（{}）", f.title.trim()), blocks }
}

/// One exhibit of an evidence catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueEntry {
    /// Exhibit name.
    pub name: String,
    /// Where it comes from.
    pub source: String,
    /// What it proves (证明目的).
    pub proves: String,
    /// Pages, when known.
    pub pages: Option<u32>,
}

/// The evidence catalogue of a case.
#[must_use]
pub fn evidence_catalogue(case: &Case, entries: &[CatalogueEntry], date: time::Date) -> Document {
    let mut blocks = vec![Block::Title("证据目录".into())];
    blocks.push(Block::Line(format!("案由：{}", case.fields.cause_of_action.trim())));
    let submitter: Vec<&str> = case.parties(PartyRole::Plaintiff).map(|p| p.name.as_str()).collect();
    blocks.push(Block::Line(format!("提交人：{}", submitter.join("、"))));
    blocks.push(Block::Space);
    if entries.is_empty() {
        blocks.push(Block::Paragraph("（暂无证据，证据将另行提交。）".into()));
    }
    for (i, e) in entries.iter().enumerate() {
        blocks.push(Block::Heading(format!("证据{}：{}", i + 1, e.name.trim())));
        blocks.push(Block::Line(format!("来源：{}", e.source.trim())));
        blocks.push(Block::Line(format!("证明目的：{}", e.proves.trim())));
        if let Some(p) = e.pages {
            blocks.push(Block::Line(format!("页数：{p}")));
        }
    }
    blocks.push(Block::Space);
    blocks.push(Block::Right(format!("提交人：{}", submitter.join("、"))));
    blocks.push(Block::Right(chinese_date(date)));
    Document { title: format!("证据目录（{}）", case.fields.title.trim()), blocks }
}

fn party_line(p: &CaseParty) -> String {
    let role = match p.role {
        PartyRole::Plaintiff => "原告",
        PartyRole::Defendant => "被告",
        PartyRole::ThirdParty => "第三人",
        PartyRole::Agent => "委托诉讼代理人",
    };
    let mut parts = vec![format!("{role}：{}", p.name.trim())];
    let id = p.id_number.trim();
    if !id.is_empty() {
        parts.push(match p.kind {
            PartyKind::Person => format!("公民身份号码{id}"),
            PartyKind::Organisation => format!("统一社会信用代码{id}"),
        });
    }
    if !p.representative.trim().is_empty() {
        parts.push(format!("法定代表人{}", p.representative.trim()));
    }
    if !p.address.trim().is_empty() {
        parts.push(match p.kind {
            PartyKind::Person => format!("住{}", p.address.trim()),
            PartyKind::Organisation => format!("住所地{}", p.address.trim()),
        });
    }
    if !p.phone.trim().is_empty() {
        parts.push(format!("联系电话{}", p.phone.trim()));
    }
    if !p.service_address.trim().is_empty() {
        parts.push(format!("送达地址{}", p.service_address.trim()));
    }
    format!("{}。", parts.join("，"))
}

/// An amount in fen as yuan with exactly the digits it needs (150000, 2300.50).
#[must_use]
pub fn yuan(fen: u64) -> String {
    crate::money::Fen(fen).yuan()
}

fn chinese_date(d: time::Date) -> String {
    format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::{CaseFields, PartyKind};

    fn case() -> Case {
        Case {
            id: "c1".into(),
            fields: CaseFields {
                court_id: "demo".into(),
                case_type: "civil-contract".into(),
                cause_of_action: "买卖合同纠纷".into(),
                title: "张三诉李四".into(),
                amount_fen: Some(15_000_000),
                simple_procedure: false,
                parties: vec![
                    CaseParty {
                        role: PartyRole::Plaintiff,
                        kind: PartyKind::Person,
                        name: "张三".into(),
                        id_number: "110101199001011234".into(),
                        address: "北京市东城区".into(),
                        phone: String::new(),
                        service_address: String::new(),
                        representative: String::new(),
                    },
                    CaseParty {
                        role: PartyRole::Defendant,
                        kind: PartyKind::Organisation,
                        name: "某某贸易有限公司".into(),
                        id_number: "91110000MA01ABCD1X".into(),
                        address: "上海市".into(),
                        phone: String::new(),
                        service_address: String::new(),
                        representative: "李四".into(),
                    },
                ],
                claims: vec!["判令被告支付货款150000元".into(), " ".into(), "本案诉讼费用由被告承担".into()],
                facts: "2025年1月，原告向被告供货。\n\n被告至今未付款。".into(),
                notes: "private".into(),
            },
            documents: vec![],
            filing_item: None,
            deadlines: vec![],
            court_case: None,
            exhibits: Vec::new(),
            correcting: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn the_complaint_names_parties_claims_and_court_and_leaves_out_notes() {
        let doc = complaint(
            &case(),
            "示范人民法院",
            time::Date::from_calendar_date(2026, time::Month::November, 23).unwrap(),
        );
        let text: Vec<String> = doc
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Title(t) | Block::Heading(t) | Block::Paragraph(t) | Block::Line(t) | Block::Right(t) => {
                    Some(t.clone())
                }
                Block::Space => None,
            })
            .collect();
        let all = text.join("\n");
        assert!(all.contains("原告：张三，公民身份号码110101199001011234，住北京市东城区。"), "{all}");
        assert!(
            all.contains("被告：某某贸易有限公司，统一社会信用代码91110000MA01ABCD1X，法定代表人李四，住所地上海市。")
        );
        assert!(all.contains("1. 判令被告支付货款150000元") && all.contains("2. 本案诉讼费用由被告承担"));
        assert!(all.contains("人民币150000元") && all.contains("示范人民法院") && all.contains("2026年11月23日"));
        assert!(all.contains("附：本起诉状副本1份"));
        assert!(!all.contains("private"));
    }

    #[test]
    fn yuan_shows_fen_only_when_there_are_any() {
        assert_eq!(yuan(15_000_000), "150000");
        assert_eq!(yuan(230_050), "2300.50");
        assert_eq!(yuan(5), "0.05");
    }
}
