//! A case prepared in the app service, its papers rendered, queued while the court is away,
//! then filed, docketed by the clerk, and the court's case number shown on the case.

use std::time::Duration;

use courtside_casework::cases::{CaseFields, CaseParty, PartyKind, PartyRole};
use courtside_core::App;
use courtside_core::ipc::CaseView;
use courtside_court_api::CourtClient;
use courtside_court_api::filing::ReviewDecision;

use super::support::{Court, app_on, court_url, sign_in};

pub(super) fn party(role: PartyRole, kind: PartyKind, name: &str) -> CaseParty {
    CaseParty {
        role,
        kind,
        name: name.into(),
        id_number: String::new(),
        address: "北京市东城区".into(),
        phone: String::new(),
        service_address: String::new(),
        representative: String::new(),
    }
}

/// A complete new case (张三诉李四, a contract dispute over 100,000 yuan, both parties,
/// claims and facts) for the court `court_id`: ready to file once the identity document is
/// attached.
pub(super) fn contract_case(court_id: String) -> CaseFields {
    CaseFields {
        court_id,
        case_type: "civil-contract".into(),
        cause_of_action: "买卖合同纠纷".into(),
        title: "张三诉李四买卖合同纠纷".into(),
        amount_fen: Some(10_000_000),
        simple_procedure: false,
        parties: vec![
            party(PartyRole::Plaintiff, PartyKind::Person, "张三"),
            party(PartyRole::Defendant, PartyKind::Person, "李四"),
        ],
        claims: vec!["判令被告支付货款100000元".into()],
        facts: "被告收货后未付款。".into(),
        notes: String::new(),
    }
}

async fn wait_for(app: &App, id: &str, what: &str, done: impl Fn(&CaseView) -> bool) -> CaseView {
    for _ in 0..200 {
        let view = app.get_case(id).unwrap();
        if done(&view) {
            return view;
        }
        app.sync_now().unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: {:#?}", app.get_case(id).unwrap());
}

#[tokio::test]
async fn a_case_prepared_in_the_app_is_queued_filed_docketed_and_shows_its_case_number() {
    let court = Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let url = court_url(&court);
    let app = app_on(&court, dir.path()).await;

    let account = sign_in(&app, "zhang.san", "demo-litigant-1").await;
    assert_eq!(account.username, "zhang.san");
    let policy = app.court_policy().await.unwrap();
    assert!(policy.case_types.iter().any(|t| t.code == "civil-contract"));

    // Offline from here: nothing below needs the court until the queue drains.
    court.server.faults().set(courtside_court_server::FaultPlan { fail_next: 1000, ..Default::default() });
    let fields = CaseFields {
        court_id: policy.court_id.clone(),
        case_type: "civil-contract".into(),
        cause_of_action: "买卖合同纠纷".into(),
        title: "张三诉李四买卖合同纠纷".into(),
        amount_fen: Some(10_000_000),
        simple_procedure: false,
        parties: vec![party(PartyRole::Plaintiff, PartyKind::Person, "张三")],
        claims: vec!["判令被告支付货款100000元".into()],
        facts: "被告收货后未付款。".into(),
        notes: String::new(),
    };
    let view = app.create_case(fields.clone()).unwrap();
    assert_eq!(view.stage, courtside_core::ipc::CaseStage::Preparing);
    use courtside_core::ipc::ProblemCode;
    let missing: Vec<_> = view.check.problems.iter().filter(|p| p.code == ProblemCode::PartyMissing).collect();
    assert_eq!(missing.len(), 1, "{:?}", view.check.problems);
    assert_eq!(missing[0].role, Some(PartyRole::Defendant), "the missing party is named by its role");
    let codes: Vec<(ProblemCode, Option<&str>)> =
        view.check.problems.iter().map(|p| (p.code, p.subject.as_deref())).collect();
    assert!(codes.contains(&(ProblemCode::DocumentMissing, Some("identity"))), "{codes:?}");
    assert!(!codes.iter().any(|(_, s)| *s == Some("complaint")), "the complaint is rendered: {codes:?}");
    assert_eq!(view.fee.as_ref().unwrap().total_yuan, "2300", "100,000 yuan → 2,300 yuan");
    assert!(app.queue_case_filing(&view.case.id).is_err(), "an incomplete filing is not queued");

    let mut fields = fields;
    fields.parties.push(party(PartyRole::Defendant, PartyKind::Person, "李四"));
    let id = view.case.id.clone();
    app.update_case(&id, fields).unwrap();
    // A file that is not what its name says is caught by its content.
    let view = app.attach_case_document(&id, "identity", "../身份证.pdf", b"\x00\x01 not a pdf").unwrap();
    assert!(view.check.problems.iter().any(|p| p.code == ProblemCode::FormatNotAccepted), "{:?}", view.check.problems);
    let bad = view.case.documents.iter().find(|d| d.kind == "identity").unwrap().blob_id.clone();
    assert_eq!(view.case.documents.iter().find(|d| d.kind == "identity").unwrap().file_name, "身份证.pdf");
    app.detach_case_document(&id, &bad).unwrap();
    let view =
        app.attach_case_document(&id, "identity", "身份证.pdf", b"%PDF-1.4\n% identity card scan\n%%EOF\n").unwrap();
    assert!(view.check.ready, "{:?}", view.check.problems);
    let view = app.queue_case_filing(&id).unwrap();
    assert_eq!(view.stage, courtside_core::ipc::CaseStage::Queued);
    assert!(app.update_case(&id, view.case.fields.clone()).is_err(), "a queued case is frozen");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let overview = app.sync_overview().unwrap();
    assert_eq!(overview.items.len(), 1);
    assert_eq!(overview.items[0].case_id.as_deref(), Some(id.as_str()));
    assert_ne!(overview.accounts[0].state, courtside_core::ipc::SyncState::Online);

    // The court is back: the filing goes through.
    court.server.faults().set(courtside_court_server::FaultPlan::default());
    let view = wait_for(&app, &id, "receipted", |v| v.stage == courtside_core::ipc::CaseStage::Sent).await;
    let filing_id = view.filing.as_ref().unwrap().id.clone();
    let at_court = court.filings().await;
    assert_eq!(at_court.len(), 1);
    assert_eq!(at_court[0].idempotency_key, filing_id);

    let court_client = CourtClient::new(url).unwrap();
    court_client.clerk(court.server.clerk_token()).review(&at_court[0].id, &ReviewDecision::Docket).await.unwrap();
    let view = wait_for(&app, &id, "docketed", |v| v.stage == courtside_core::ipc::CaseStage::Docketed).await;
    let number = view.case_number.unwrap();
    assert!(number.contains("民初"), "{number}");
    assert_eq!(app.list_cases().unwrap()[0].case_number.as_deref(), Some(number.as_str()));

    // The court schedules a hearing: it arrives on the feed, joins the case, and reminds.
    let court_case = app.get_case(&id).unwrap().case.court_case.expect("the docketed case knows its court id");
    let starts_at = time::OffsetDateTime::now_utc() + time::Duration::days(3);
    court_client
        .clerk(court.server.clerk_token())
        .schedule_hearing(&courtside_court_api::hearing::ScheduleHearing {
            case_id: court_case,
            title: "第一次开庭".into(),
            starts_at,
            duration_minutes: 60,
            platform: "court-room".into(),
            questions: vec![],
        })
        .await
        .unwrap();
    let mut hearings = Vec::new();
    for _ in 0..100 {
        app.sync_now().unwrap();
        hearings = app.hearings().unwrap();
        if !hearings.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(hearings.len(), 1);
    assert_eq!(hearings[0].local_case.as_deref(), Some(id.as_str()));
    let minutes = |m: i64| starts_at - time::Duration::minutes(m);
    assert!(app.send_hearing_reminders(minutes(3 * 24 * 60)).unwrap().is_empty(), "three days ahead: nothing yet");
    assert_eq!(app.send_hearing_reminders(minutes(23 * 60)).unwrap().len(), 1, "a day before");
    assert!(app.send_hearing_reminders(minutes(22 * 60)).unwrap().is_empty(), "once");
    assert_eq!(app.send_hearing_reminders(minutes(50)).unwrap().len(), 1, "an hour before");
    let last = app.send_hearing_reminders(minutes(9)).unwrap();
    assert_eq!(last.len(), 1, "ten minutes before");
    assert!(last[0].contains("第一次开庭"));
    assert!(
        app.send_hearing_reminders(starts_at + time::Duration::minutes(5)).unwrap().is_empty(),
        "not after the start"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_queued_filing_can_be_paused_resumed_and_withdrawn_before_it_is_sent() {
    let court = Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_on(&court, dir.path()).await;
    sign_in(&app, "zhang.san", "demo-litigant-1").await;
    let policy = app.court_policy().await.unwrap();
    let fields = CaseFields {
        court_id: policy.court_id,
        case_type: "civil-contract".into(),
        cause_of_action: "买卖合同纠纷".into(),
        title: "张三诉李四".into(),
        amount_fen: Some(10_000_000),
        simple_procedure: false,
        parties: vec![
            party(PartyRole::Plaintiff, PartyKind::Person, "张三"),
            party(PartyRole::Defendant, PartyKind::Person, "李四"),
        ],
        claims: vec!["判令被告付款".into()],
        facts: "未付款。".into(),
        notes: String::new(),
    };
    // The court answers slowly, so the filing can be caught before it is sent.
    court.server.faults().set(courtside_court_server::FaultPlan { latency_ms: 400, ..Default::default() });
    let mut ids = Vec::new();
    for _ in 0..2 {
        let id = app.create_case(fields.clone()).unwrap().case.id;
        app.attach_case_document(&id, "identity", "id.pdf", b"%PDF-1.4\n%%EOF\n").unwrap();
        let item = app.queue_case_filing(&id).unwrap().filing.unwrap().id;
        app.set_filing_paused(&item, true).await.unwrap();
        ids.push((id, item));
    }
    court.server.faults().set(courtside_court_server::FaultPlan::default());
    app.sync_now().unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(court.filings().await.is_empty(), "paused filings stay here");
    let overview = app.sync_overview().unwrap();
    assert!(overview.items.iter().all(|i| i.paused && i.cancellable), "{overview:#?}");

    // Withdraw the first: its case opens for changes again. Resume the second: it is filed.
    let (first_case, first_item) = &ids[0];
    app.cancel_filing(first_item).await.unwrap();
    let first = app.get_case(first_case).unwrap();
    assert_eq!(first.stage, courtside_core::ipc::CaseStage::Preparing);
    assert!(first.filing.is_none());
    let (second_case, second_item) = &ids[1];
    app.set_filing_paused(second_item, false).await.unwrap();
    wait_for(&app, second_case, "sent", |v| v.stage == courtside_core::ipc::CaseStage::Sent).await;
    let at_court = court.filings().await;
    assert_eq!(at_court.len(), 1);
    assert_eq!(&at_court[0].idempotency_key, second_item);
    assert!(app.cancel_filing(second_item).await.is_err(), "a sent filing cannot be withdrawn");
    app.shutdown().await;
}

#[tokio::test]
async fn deadlines_on_cases_make_a_calendar_with_clashes_an_icalendar_file_and_reminders_once() {
    let court = Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_on(&court, dir.path()).await;
    let told = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = told.clone();
    app.on_court_news(std::sync::Arc::new(move |kind, text| {
        sink.lock().unwrap().push(format!("{}: {text}", serde_json::to_value(kind).unwrap().as_str().unwrap()))
    }));
    let policy = app.court_policy().await.unwrap();
    let mut ids = Vec::new();
    for title in ["张三诉李四", "王五诉赵六"] {
        let fields = CaseFields {
            court_id: policy.court_id.clone(),
            case_type: "civil-contract".into(),
            cause_of_action: "买卖合同纠纷".into(),
            title: title.into(),
            amount_fen: Some(1_000_000),
            simple_procedure: false,
            parties: vec![],
            claims: vec![],
            facts: String::new(),
            notes: String::new(),
        };
        ids.push(app.create_case(fields).unwrap().case.id);
    }
    // A judgment served on 5 March 2025: the appeal is due on 20 March, in both cases.
    let v = app.add_case_deadline(&ids[0], "appeal-judgment", "2025-03-05", "上诉状").unwrap();
    assert_eq!(v.case.deadlines[0].last_day, "2025-03-20");
    app.add_case_deadline(&ids[1], "appeal-judgment", "2025-03-05", "").unwrap();
    // Served on 30 September 2025: fee payment (7 days) ends inside the National Day holiday.
    let v = app.add_case_deadline(&ids[1], "fee-payment", "2025-09-30", "").unwrap();
    let fee = v.case.deadlines.iter().find(|d| d.period == "fee-payment").unwrap();
    assert_eq!((fee.last_day.as_str(), fee.moved), ("2025-10-09", true));
    assert!(app.add_case_deadline(&ids[1], "no-such-period", "2025-09-30", "").is_err());
    assert!(app.add_case_deadline(&ids[1], "answer", "30/09/2025", "").is_err());

    let calendar = app.calendar().unwrap();
    assert_eq!(calendar.items.len(), 3);
    assert_eq!(calendar.items[0].day, "2025-03-20");
    assert_eq!(calendar.items[0].clashes_with.len(), 1, "{calendar:#?}");
    assert!(calendar.items[2].clashes_with.is_empty());

    let path = app.export_calendar().unwrap();
    let ics = std::fs::read_to_string(&path).unwrap();
    assert!(path.ends_with("courtside-deadlines.ics"));
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 3);
    assert!(ics.contains("DTSTART;VALUE=DATE:20250320") && ics.contains("TRIGGER:-PT1440M"));

    let day = |d: u8| time::Date::from_calendar_date(2025, time::Month::March, d).unwrap();
    assert_eq!(app.send_due_reminders(day(17)).unwrap().len(), 2, "three days before, both cases");
    assert!(app.send_due_reminders(day(17)).unwrap().is_empty(), "each reminder once");
    assert!(app.send_due_reminders(day(18)).unwrap().is_empty());
    assert_eq!(app.send_due_reminders(day(20)).unwrap().len(), 2, "on the day");
    let told = told.lock().unwrap().clone();
    assert_eq!(told.len(), 4);
    assert!(told[0].starts_with("deadline: 3 天后截止"), "{told:?}");
    app.shutdown().await;
}

#[tokio::test]
async fn a_served_complaint_is_sealed_acknowledged_and_puts_the_answer_deadline_on_a_case() {
    use courtside_court_api::filing::ServeDocument;
    let court = Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let url = court_url(&court);
    let app = app_on(&court, dir.path()).await;
    // The defendant signs in; the court tells them of the case only by serving the complaint.
    sign_in(&app, "li.si", "demo-litigant-2").await;
    let client = CourtClient::new(url).unwrap();
    let clerk = client.clerk(court.server.clerk_token());
    let case = super::support::open_case(&court, "张三诉李四买卖合同纠纷").await;
    let content = b"%PDF-1.4\n% complaint copy and notice to respond\n%%EOF\n";
    clerk
        .serve(&ServeDocument {
            recipient: "li.si".into(),
            case_id: case.id.clone(),
            title: "起诉状副本及应诉通知书".into(),
            document_kind: "complaint".into(),
            media_type: "application/pdf".into(),
            content: courtside_court_api::encoding::b64url(content),
        })
        .await
        .unwrap();
    let mut served = Vec::new();
    for _ in 0..100 {
        app.sync_now().unwrap();
        served = app.served_documents().unwrap();
        if served.first().is_some_and(|s| s.received_at.is_some()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let doc = served.first().expect("the served document arrived");
    assert_eq!(doc.sha256, courtside_court_api::encoding::sha256_hex(content), "sealed as served");
    let received = time::OffsetDateTime::parse(
        doc.received_at.as_deref().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(
        (time::OffsetDateTime::now_utc() - received).whole_seconds().abs() < 60,
        "the court recorded the receipt just now"
    );
    assert_eq!(doc.period.as_deref(), Some("answer"));

    let local = app.get_case(doc.local_case.as_deref().expect("a case to follow it")).unwrap();
    assert_eq!(local.case.court_case.as_deref(), Some(case.id.as_str()));
    let answer =
        local.case.deadlines.iter().find(|d| d.period == "answer").expect("the answer deadline is on the case");
    let day = |s: &str| time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).unwrap();
    let from = received.to_offset(time::macros::offset!(+8)).date();
    assert_eq!(day(&answer.from), from, "counted from the day of receipt (China time)");
    let fifteen = from + time::Duration::days(15);
    if answer.moved {
        assert!(day(&answer.last_day) > fifteen);
    } else {
        assert_eq!(day(&answer.last_day), fifteen, "15 days, the start day not counted");
    }
    // Once: looking again adds nothing.
    let again = app.served_documents().unwrap();
    assert_eq!(app.get_case(&local.case.id).unwrap().case.deadlines.len(), 1);
    // The served document names its case and the deadline it started, with the date.
    let doc = &again[0];
    assert_eq!(doc.case_title.as_deref(), Some(local.case.fields.title.as_str()));
    let deadline = doc.deadline.as_ref().expect("the deadline it started");
    assert_eq!(
        (deadline.last_day.as_str(), deadline.name_zh.as_str()),
        (answer.last_day.as_str(), answer.name_zh.as_str())
    );
    // It opens in the window (its sealed bytes) and a copy is saved, byte for byte.
    assert_eq!(app.served_content(&doc.id).unwrap(), content);
    let saved = app.save_served_copy(&doc.id).unwrap();
    assert!(saved.ends_with("起诉状副本及应诉通知书.pdf"), "{saved}");
    assert_eq!(std::fs::read(&saved).unwrap(), content);
    let second = app.save_served_copy(&doc.id).unwrap();
    assert_ne!(second, saved, "a second copy does not overwrite the first");
    let missing = courtside_core::ipc::IpcError::from(app.served_content("svc_nope").unwrap_err());
    assert_eq!(missing.code, courtside_core::ipc::ErrorCode::NotFound);
    app.shutdown().await;
}

#[tokio::test]
async fn exhibits_chosen_for_a_case_go_with_its_filing_and_the_courts_receipt_digest_is_logged_on_each() {
    use courtside_evidence::custody::Event;
    let court = Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_on(&court, dir.path()).await;
    sign_in(&app, "zhang.san", "demo-litigant-1").await;
    let policy = app.court_policy().await.unwrap();
    let view = app.create_case(contract_case(policy.court_id)).unwrap();
    let id = view.case.id.clone();
    app.attach_case_document(&id, "identity", "身份证.pdf", b"%PDF-1.4\n% identity\n%%EOF\n").unwrap();
    let contract = app
        .add_exhibit(
            "合同.pdf",
            Some("买卖合同"),
            "双方存在买卖合同关系",
            courtside_evidence::Source::File,
            b"%PDF-1.4\n1 0 obj << /Type /Page >>\n%%EOF\n",
        )
        .unwrap();
    let chat = app
        .add_exhibit(
            "聊天记录.txt",
            Some("微信聊天记录"),
            "被告确认欠款",
            courtside_evidence::Source::File,
            "李四：货款下月付。".as_bytes(),
        )
        .unwrap();
    assert!(app.set_case_exhibits(&id, vec![chat.id.clone(), chat.id.clone()]).is_err(), "an exhibit twice");
    assert!(app.set_case_exhibits(&id, vec!["no-such-exhibit".into()]).is_err(), "an unknown exhibit");
    let view = app.set_case_exhibits(&id, vec![chat.id.clone(), contract.id.clone()]).unwrap();
    assert_eq!(view.case.exhibits, [chat.id.clone(), contract.id.clone()], "in the catalogue's order");
    // The page gets the exhibits themselves with the case (it does not read the locker).
    let shown: Vec<&str> = view.exhibits.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(shown, [chat.id.as_str(), contract.id.as_str()]);
    assert_eq!(app.get_case(&id).unwrap().exhibits, view.exhibits, "and again when the case is opened");
    let described = app.describe_exhibit(&chat.id, "微信聊天记录（改）", "被告承认欠款").unwrap();
    assert_eq!(app.get_case(&id).unwrap().exhibits[0].title, described.title, "as they are now");
    assert!(view.check.ready, "{:?}", view.check.problems);
    app.queue_case_filing(&id).unwrap();
    assert!(app.set_case_exhibits(&id, Vec::new()).is_err(), "a queued case keeps its exhibits");
    wait_for(&app, &id, "receipted", |v| v.stage == courtside_core::ipc::CaseStage::Sent).await;

    // The court stored the exhibits' bytes as captured.
    let at_court = court.filings().await;
    assert_eq!(at_court.len(), 1);
    let payload = courtside_court_api::encoding::b64url_decode(&at_court[0].receipt.payload).unwrap();
    let receipt: courtside_court_api::filing::FilingReceipt = serde_json::from_slice(&payload).unwrap();
    let court_digests: Vec<&str> = receipt.documents.iter().map(|d| d.sha256.as_str()).collect();
    assert!(court_digests.contains(&chat.sha256.as_str()) && court_digests.contains(&contract.sha256.as_str()));

    // Each exhibit's custody log records the submission once, with the court's digest.
    for exhibit in [&chat, &contract] {
        let submitted = || {
            app.exhibit_detail(&exhibit.id)
                .unwrap()
                .custody
                .into_iter()
                .filter_map(|e| match e.event {
                    Event::Submitted { filing_id, court_sha256, matches } => Some((filing_id, court_sha256, matches)),
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
        let logged = submitted();
        assert_eq!(logged, [(at_court[0].id.clone(), exhibit.sha256.clone(), true)], "{}", exhibit.title);
        app.sync_now().unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        app.get_case(&id).unwrap();
        assert_eq!(submitted().len(), 1, "logged once");
    }
    assert!(app.verify_evidence().unwrap().problems.is_empty(), "the log still verifies");
    app.shutdown().await;
}

/// Something on this computer (a web page, another program) asks the sign-in listener for
/// `/callback` first, with a state that is not this sign-in's: it is refused and ignored,
/// and the real redirect that follows still completes the sign-in.
#[tokio::test]
async fn a_bogus_callback_before_the_real_one_does_not_end_the_sign_in() {
    let court = Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_on(&court, dir.path()).await;
    let account = app
        .sign_in_with(move |authorize| {
            let authorize = authorize.clone();
            tokio::spawn(async move {
                let redirect = authorize.query_pairs().find(|(k, _)| k == "redirect_uri").unwrap().1.into_owned();
                let http = reqwest::Client::new();
                let forged = http.get(format!("{redirect}?state=forged&code=stolen")).send().await.unwrap();
                assert_eq!(forged.status(), 400, "a callback with another state is refused");
                let other = http.get(redirect.replace("/callback", "/favicon.ico")).send().await.unwrap();
                assert_eq!(other.status(), 404);
                super::support::browser_sign_in(authorize, "zhang.san", "demo-litigant-1").await;
            });
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(account.username, "zhang.san");
}

/// Editing and deleting: an unfiled case is changed in place and deleted with its
/// documents; what the court holds (a queued case, a case it serves in) is never deleted.
#[tokio::test]
async fn an_unfiled_case_is_edited_in_place_and_deleted_with_its_documents_but_the_courts_cases_stay() {
    let court = Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_on(&court, dir.path()).await;
    sign_in(&app, "li.si", "demo-litigant-2").await;
    let policy = app.court_policy().await.unwrap();
    let fields = CaseFields {
        court_id: policy.court_id.clone(),
        case_type: "civil-contract".into(),
        cause_of_action: "买卖合同纠纷".into(),
        title: "王五诉赵六".into(),
        amount_fen: Some(5_000_000),
        simple_procedure: false,
        parties: vec![
            party(PartyRole::Plaintiff, PartyKind::Person, "王五"),
            party(PartyRole::Defendant, PartyKind::Person, "赵六"),
        ],
        claims: vec!["判令被告支付货款50000元".into()],
        facts: "原告交货，被告未付款。".into(),
        notes: String::new(),
    };
    let view = app.create_case(fields.clone()).unwrap();
    let id = view.case.id.clone();
    let view = app.attach_case_document(&id, "identity", "身份证.pdf", b"%PDF-1.4\n%%EOF\n").unwrap();
    let stored = |blob: &str| app.stored_blob_path(blob).unwrap().exists();
    let first: Vec<String> = view.case.documents.iter().map(|d| d.blob_id.clone()).collect();

    // Edited in place: the same case, the new title, its papers rendered again (the old
    // renderings' files removed), the identity document kept.
    let edited = app.update_case(&id, CaseFields { title: "王五诉赵六（补充）".into(), ..fields.clone() }).unwrap();
    assert_eq!((edited.case.id.as_str(), edited.case.fields.title.as_str()), (id.as_str(), "王五诉赵六（补充）"));
    assert_eq!(app.list_cases().unwrap().len(), 1, "no copy");
    let blobs: Vec<String> = edited.case.documents.iter().map(|d| d.blob_id.clone()).collect();
    assert!(blobs.len() >= 3, "the two rendered papers and the identity document: {blobs:?}");
    assert!(blobs.iter().all(|b| stored(b)));
    let replaced: Vec<&String> = first.iter().filter(|b| !blobs.contains(b)).collect();
    assert!(!replaced.is_empty() && replaced.iter().all(|b| !stored(b)), "{replaced:?}");

    app.delete_case(&id).unwrap();
    assert!(app.list_cases().unwrap().is_empty());
    let gone = courtside_core::ipc::IpcError::from(app.get_case(&id).unwrap_err());
    assert_eq!(gone.code, courtside_core::ipc::ErrorCode::NotFound, "{gone:?}");
    let left: Vec<&String> = blobs.iter().filter(|b| stored(b)).collect();
    assert!(left.is_empty(), "its documents' sealed files are gone: {left:?}");
    assert!(app.delete_case(&id).is_err(), "deleting twice");
    assert!(app.check_vault().await.unwrap().is_empty(), "the vault is sound after a deletion");

    // A queued case stays, and so does a case the court serves in.
    let queued = app.create_case(fields).unwrap().case.id;
    app.attach_case_document(&queued, "identity", "身份证.pdf", b"%PDF-1.4\n%%EOF\n").unwrap();
    let queued_view = app.queue_case_filing(&queued).unwrap();
    assert!(app.delete_case(&queued).is_err(), "a filing in the outbox keeps its case");
    assert!(app.get_case(&queued).is_ok());
    // A copy shares its original's files: deleting the copy leaves them.
    let copy = app.copy_case(&queued).unwrap().case.id;
    app.delete_case(&copy).unwrap();
    for d in &queued_view.case.documents {
        assert!(stored(&d.blob_id), "the queued case's {} is kept", d.file_name);
    }
    assert!(app.check_vault().await.unwrap().is_empty());
    let served = super::support::open_case(&court, "张三诉李四").await;
    let followed = super::support::follow_by_service(&app, &court, &served.id, "应诉通知书").await;
    assert!(app.delete_case(&followed).is_err(), "a case the court serves in stays");
    assert_eq!(app.list_cases().unwrap().len(), 2);
}

/// A correction request: the court's points and last day show on the case and on the home
/// view; "fix and file again" makes an editable copy that carries the points.
#[tokio::test]
async fn a_correction_request_puts_the_courts_points_on_the_case_and_its_copy() {
    use courtside_court_api::filing::{CorrectionItem, ReviewDecision};
    let court = Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_on(&court, dir.path()).await;
    sign_in(&app, "zhang.san", "demo-litigant-1").await;
    let policy = app.court_policy().await.unwrap();
    let view = app.create_case(contract_case(policy.court_id.clone())).unwrap();
    let id = view.case.id.clone();
    app.attach_case_document(&id, "identity", "身份证.pdf", b"%PDF-1.4\n%%EOF\n").unwrap();
    let today = courtside_court_api::policy::iso_date::format(time::OffsetDateTime::now_utc().date());
    app.add_case_deadline(&id, "answer", &today, "").unwrap();
    app.queue_case_filing(&id).unwrap();
    wait_for(&app, &id, "receipted", |v| v.stage == courtside_core::ipc::CaseStage::Sent).await;
    let filing = court.filings().await.remove(0);
    let due = time::OffsetDateTime::now_utc().date() + time::Duration::days(7);
    CourtClient::new(court_url(&court))
        .unwrap()
        .clerk(court.server.clerk_token())
        .review(
            &filing.id,
            &ReviewDecision::RequestCorrection {
                items: vec![CorrectionItem { item: "identity".into(), reason: "身份证复印件不清晰".into() }],
                due,
            },
        )
        .await
        .unwrap();
    let view =
        wait_for(&app, &id, "correction", |v| v.stage == courtside_core::ipc::CaseStage::CorrectionRequested).await;
    let correction = view.filing.as_ref().and_then(|f| f.correction.clone()).expect("the court's points");
    let day = courtside_court_api::policy::iso_date::format(due);
    assert_eq!(correction.due, day);
    assert_eq!(
        (correction.points[0].item.as_str(), correction.points[0].reason.as_str()),
        ("identity", "身份证复印件不清晰")
    );
    let agenda = app.agenda().unwrap();
    assert!(
        agenda.items.iter().any(|i| i.kind == courtside_core::ipc::AgendaKind::CorrectionDue
            && i.day == day
            && i.case_id.as_deref() == Some(id.as_str())),
        "{agenda:#?}"
    );
    // Fix and file again: an editable copy that carries the points and names the original.
    let copy = app.copy_case(&id).unwrap();
    assert_eq!(copy.stage, courtside_core::ipc::CaseStage::Preparing);
    let correcting = copy.case.correcting.clone().expect("the copy carries the court's points");
    assert_eq!((correcting.original.as_str(), correcting.due.as_str()), (id.as_str(), day.as_str()));
    assert_eq!(correcting.points.len(), 1);
    assert!(app.update_case(&copy.case.id, copy.case.fields.clone()).is_ok(), "the copy is editable");
    // The deadline moved with the copy, under a new id: shown once, on the copy.
    let original_deadline = &app.get_case(&id).unwrap().case.deadlines[0];
    assert_ne!(copy.case.deadlines[0].id, original_deadline.id);
    let deadlines: Vec<_> = app
        .agenda()
        .unwrap()
        .items
        .into_iter()
        .filter(|i| i.kind == courtside_core::ipc::AgendaKind::Deadline)
        .collect();
    assert_eq!(deadlines.len(), 1, "{deadlines:#?}");
    assert_eq!(deadlines[0].case_id.as_deref(), Some(copy.case.id.as_str()));
    assert_eq!(
        app.calendar().unwrap().items.iter().filter(|i| i.kind == courtside_core::ipc::CalendarKind::Deadline).count(),
        1
    );
    // Once the corrected filing is queued, the correction is no longer due.
    app.queue_case_filing(&copy.case.id).unwrap();
    let agenda = app.agenda().unwrap();
    assert!(!agenda.items.iter().any(|i| i.kind == courtside_core::ipc::AgendaKind::CorrectionDue), "{agenda:#?}");
}
