//! The pre-hearing check, check-in and join through the app service, and the connectivity
//! log kept during the hearing; answers to an asynchronous hearing, mediation, evidence
//! exchange and offline steps.

use std::time::Duration;

use courtside_court_api::CourtClient;
use courtside_court_api::hearing::{CheckIn, DeviceCheck, EnvironmentCheck, ScheduleHearing};

use courtside_core::ipc::ActionStatus;

use super::support::{Court, app_on, court_url, follow_by_service, open_case, sign_in, sync_until};

#[tokio::test]
async fn check_in_then_join_opens_the_courts_room_and_the_connectivity_log_is_exported() {
    let court = Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let url = court_url(&court);
    let app = app_on(&court, dir.path()).await;
    sign_in(&app, "li.si", "demo-litigant-2").await;
    let client = CourtClient::new(url).unwrap();
    let clerk = client.clerk(court.server.clerk_token());
    let case = open_case(&court, "张三诉李四").await;
    let hearing = clerk
        .schedule_hearing(&ScheduleHearing {
            case_id: case.id,
            title: "开庭".into(),
            starts_at: time::OffsetDateTime::now_utc() + time::Duration::minutes(5),
            duration_minutes: 30,
            platform: "court-room".into(),
            questions: vec![],
        })
        .await
        .unwrap();

    let network = app.network_check().await.unwrap();
    assert!(network.throughput_kbps > 0, "{network:?}");
    let mut opened = None;
    let refused = app.join_hearing(&hearing.id, |_| Ok(())).await;
    assert!(refused.is_err(), "no join before the check-in");
    let check = CheckIn {
        device_check: DeviceCheck {
            camera: true,
            microphone: true,
            speaker: true,
            round_trip_ms: u32::try_from(network.round_trip_ms).unwrap(),
            throughput_kbps: u32::try_from(network.throughput_kbps).unwrap_or(u32::MAX),
        },
        environment: EnvironmentCheck { quiet: true, lit: true, alone: true },
        identity_confirmed: true,
        rules_acknowledged: true,
    };
    let receipt = app.check_in(&hearing.id, &check).await.unwrap();
    assert_eq!(receipt.hearing_id, hearing.id);
    let ticket = app
        .join_hearing(&hearing.id, |room| {
            opened = Some(room.clone());
            Ok(())
        })
        .await
        .unwrap();
    let room = opened.expect("the room was opened with the system handler");
    assert_eq!(room.as_str(), ticket.room_url);
    assert!(room.path().starts_with(&format!("/rooms/{}", hearing.id)) && room.query().unwrap().starts_with("token="));
    assert_eq!(reqwest::get(room.as_str()).await.unwrap().status(), 200, "the token admits to the room page");
    assert!(app.join_hearing("../etc", |_| Ok(())).await.is_err());

    // The connectivity log during the hearing: the court goes away for a moment.
    let log = std::sync::Mutex::new(Vec::new());
    let probing = app.log_connectivity(Duration::from_millis(1500), &log, Duration::from_millis(250));
    let outage = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        court.server.faults().set(courtside_court_server::FaultPlan { fail_next: 3, ..Default::default() });
    };
    tokio::join!(probing, outage);
    let probes = log.into_inner().unwrap();
    assert!(probes.len() >= 5, "{probes:?}");
    assert!(probes.iter().any(|p| p.round_trip_ms.is_none()), "the outage is in the log: {probes:?}");
    assert!(probes.iter().any(|p| p.round_trip_ms.is_some()));
    let path = app.export_connectivity_log(&hearing.id, &probes).unwrap();
    let csv = std::fs::read_to_string(path).unwrap();
    assert!(csv.starts_with("time_utc,round_trip_ms,error\n"));
    assert_eq!(csv.lines().count(), probes.len() + 1);
    app.shutdown().await;
}

#[tokio::test]
async fn answers_to_an_asynchronous_hearing_are_queued_sent_and_refused_outside_their_window() {
    use courtside_court_api::hearing::HearingQuestion;
    let court = Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_on(&court, dir.path()).await;
    sign_in(&app, "li.si", "demo-litigant-2").await;
    let client = CourtClient::new(court_url(&court)).unwrap();
    let clerk = client.clerk(court.server.clerk_token());
    let case = open_case(&court, "张三诉李四").await;
    let now = time::OffsetDateTime::now_utc();
    let question = |id: &str, text: &str, opens: i64, closes: i64| HearingQuestion {
        id: id.into(),
        text: text.into(),
        opens_at: now + time::Duration::minutes(opens),
        closes_at: now + time::Duration::minutes(closes),
    };
    let hearing = clerk
        .schedule_hearing(&ScheduleHearing {
            case_id: case.id,
            title: "异步审理".into(),
            starts_at: now + time::Duration::days(1),
            duration_minutes: 60,
            platform: "court-room".into(),
            questions: vec![question("q1", "被告是否收到货物？", -5, 60), question("q0", "是否同意调解？", -120, -60)],
        })
        .await
        .unwrap();
    let hearings = sync_until(&app, || app.hearings().unwrap(), |h| !h.is_empty()).await;
    let questions = &hearings[0].questions;
    assert_eq!(questions.iter().map(|q| q.id.as_str()).collect::<Vec<_>>(), ["q1", "q0"]);
    assert!(app.answer_question(&hearing.id, "q9", "?").is_err(), "no such question");
    assert!(app.answer_question(&hearing.id, "q1", "   ").is_err(), "an empty answer");

    // Written while the court is away: queued, then sent once it is back.
    court.server.faults().set(courtside_court_server::FaultPlan { fail_next: 1000, ..Default::default() });
    let queued = app.answer_question(&hearing.id, "q1", "已收到货物，但质量不合格。").unwrap();
    assert_eq!(queued.state, ActionStatus::Queued);
    let late = app.answer_question(&hearing.id, "q0", "同意。").unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.hearings().unwrap()[0].questions[0].answers[0].state, ActionStatus::Queued);
    court.server.faults().set(courtside_court_server::FaultPlan::default());
    let hearings = sync_until(
        &app,
        || app.hearings().unwrap(),
        |h| h[0].questions.iter().all(|q| q.answers.iter().all(|a| a.state != ActionStatus::Queued)),
    )
    .await;
    let answered = &hearings[0].questions[0].answers[0];
    assert_eq!((answered.id.as_str(), answered.state), (queued.id.as_str(), ActionStatus::Sent));
    assert!(answered.sent_at.is_some());
    let refused = &hearings[0].questions[1].answers[0];
    assert_eq!((refused.id.as_str(), refused.state), (late.id.as_str(), ActionStatus::Refused));
    assert!(refused.reason.as_deref().unwrap().contains("accepted from"), "{refused:?}");
    app.shutdown().await;
}

#[tokio::test]
async fn mediation_messages_arrive_and_a_reply_whose_answer_was_lost_is_posted_once() {
    let court = Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_on(&court, dir.path()).await;
    sign_in(&app, "li.si", "demo-litigant-2").await;
    let case = open_case(&court, "张三诉李四").await;
    let mediator = reqwest::Client::new()
        .post(format!("{}/clerk/v1/cases/{}/mediation", court.base.trim_end_matches('/'), case.id))
        .bearer_auth(court.server.clerk_token())
        .json(&serde_json::json!({ "text": "双方是否愿意以分期付款方式和解？", "attachments": [] }))
        .send()
        .await
        .unwrap();
    assert_eq!(mediator.status(), 201);
    let thread = sync_until(&app, || app.mediation(&case.id).unwrap(), |t| !t.messages.is_empty()).await;
    assert_eq!(thread.messages[0].from, "mediator");
    assert!(!thread.messages[0].mine);

    // The court posts the reply but its answer is lost: the engine asks again with the same
    // key and gets the first answer; the thread holds the reply once.
    court.server.faults().set(courtside_court_server::FaultPlan { lose_responses: 1, ..Default::default() });
    app.send_mediation_message(&case.id, "同意分三期付款。").unwrap();
    let thread = sync_until(&app, || app.mediation(&case.id).unwrap(), |t| t.outgoing.is_empty()).await;
    assert!(thread.outgoing.is_empty(), "{thread:?}");
    let mine: Vec<_> = thread.messages.iter().filter(|m| m.mine).collect();
    assert_eq!(mine.len(), 1, "{thread:?}");
    assert_eq!(mine[0].text, "同意分三期付款。");
    let at_court: Vec<serde_json::Value> = reqwest::Client::new()
        .get(format!("{}/v1/cases/{}/mediation", court.base.trim_end_matches('/'), case.id))
        .bearer_auth(court.login("zhang.san", "demo-litigant-1").await)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(at_court.len(), 2, "the mediator's message and one reply: {at_court:?}");
    app.shutdown().await;
}

#[tokio::test]
async fn a_step_marked_to_continue_offline_is_kept_on_the_case_and_recorded_by_the_court() {
    let court = Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_on(&court, dir.path()).await;
    sign_in(&app, "li.si", "demo-litigant-2").await;
    let case = open_case(&court, "张三诉李四").await;
    let local = follow_by_service(&app, &court, &case.id, "应诉通知书").await;

    use courtside_core::ipc::OfflineStepKind;
    assert!(
        serde_json::from_str::<OfflineStepKind>("\"teleportation\"").is_err(),
        "an unknown step does not pass the window's door"
    );
    assert!(app.mark_step_offline(&local, OfflineStepKind::Hearing, " ").is_err(), "no reason");
    court.server.faults().set(courtside_court_server::FaultPlan { fail_next: 1000, ..Default::default() });
    let view = app.mark_step_offline(&local, OfflineStepKind::Hearing, "被告年逾八十，不便使用视频设备。").unwrap();
    assert_eq!(view.offline_steps.len(), 1);
    assert_eq!(view.offline_steps[0].action.state, ActionStatus::Queued);
    court.server.faults().set(courtside_court_server::FaultPlan::default());
    let view =
        sync_until(&app, || app.get_case(&local).unwrap(), |v| v.offline_steps[0].action.state == ActionStatus::Sent)
            .await;
    assert_eq!(view.offline_steps[0].step, OfflineStepKind::Hearing);
    let at_court: Vec<courtside_court_api::hearing::OfflineStepRecord> = reqwest::Client::new()
        .get(format!("{}/v1/cases/{}/offline-steps", court.base.trim_end_matches('/'), case.id))
        .bearer_auth(court.login("zhang.san", "demo-litigant-1").await)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(at_court.len(), 1);
    assert_eq!((at_court[0].from.as_str(), at_court[0].step.step.as_str()), ("li.si", "hearing"));
    app.shutdown().await;
}

#[tokio::test]
async fn the_other_sides_exhibit_is_sealed_here_and_an_opinion_on_it_reaches_the_court() {
    use courtside_core::ipc::{OpinionInput, Stance};
    use courtside_court_api::hearing::{ExchangedExhibit, SubmitExhibit};
    let court = Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_on(&court, dir.path()).await;
    sign_in(&app, "li.si", "demo-litigant-2").await;
    let case = open_case(&court, "张三诉李四").await;
    let local = follow_by_service(&app, &court, &case.id, "举证通知书").await;

    // Zhang San submits a delivery note for exchange.
    let zhang = court.login("zhang.san", "demo-litigant-1").await;
    let note = b"%PDF-1.7\n% delivery note signed by Li Si\n%%EOF\n".to_vec();
    let dir_files = tempfile::tempdir().unwrap();
    let path = dir_files.path().join("送货单.pdf");
    std::fs::write(&path, &note).unwrap();
    let ep = courtside_sync::tus::Endpoint::new(
        &format!("{}/v1/uploads", court.base.trim_end_matches('/')),
        Some(zhang.clone()),
    )
    .unwrap();
    let tus = courtside_sync::tus::TusClient::new(1 << 20, courtside_sync::retry::RetryPolicy::default()).unwrap();
    let report = tus.upload(&ep, courtside_sync::tus::Source::File(path), None, &mut |_| {}).await.unwrap();
    let upload_id = report.upload_url.path_segments().unwrap().next_back().unwrap().to_owned();
    let http = reqwest::Client::new();
    let submitted: ExchangedExhibit = http
        .post(format!("{}/v1/cases/{}/exhibits", court.base.trim_end_matches('/'), case.id))
        .bearer_auth(&zhang)
        .json(&SubmitExhibit { upload_id, title: "送货单".into(), proves: "原告已交货".into() })
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let exchange = sync_until(&app, || app.evidence_exchange(&local).unwrap(), |e| !e.is_empty()).await;
    let theirs = &exchange[0];
    assert_eq!(
        (theirs.id.as_str(), theirs.submitted_by.as_str(), theirs.mine),
        (submitted.id.as_str(), "zhang.san", false)
    );
    assert!(theirs.sealed, "a copy is sealed here");
    assert_eq!(theirs.sha256, courtside_court_api::encoding::sha256_hex(&note));

    let opinion = |a: Stance, remarks: &str| OpinionInput {
        authenticity: a,
        legality: Stance::Admit,
        relevance: Stance::Partly,
        remarks: remarks.into(),
    };
    assert!(
        serde_json::from_str::<Stance>("\"maybe\"").is_err(),
        "a stance is admit, dispute or partly, or it does not pass the window's door"
    );
    assert!(
        app.cross_examine(&local, "exh_unknown", &opinion(Stance::Admit, "…")).is_err(),
        "not an exhibit of the other side"
    );
    let queued =
        app.cross_examine(&local, &theirs.id, &opinion(Stance::Dispute, "送货单上的签名并非被告本人所签。")).unwrap();
    assert_eq!(queued.state, ActionStatus::Queued);
    let exchange = sync_until(
        &app,
        || app.evidence_exchange(&local).unwrap(),
        |e| e[0].outgoing.is_empty() && !e[0].opinions.is_empty(),
    )
    .await;
    assert_eq!(exchange[0].opinions.len(), 1, "{exchange:?}");
    assert_eq!(exchange[0].opinions[0].by, "li.si");
    assert_eq!(exchange[0].opinions[0].authenticity, Stance::Dispute);
    // Zhang San's side hears of it from the court.
    let at_court: Vec<ExchangedExhibit> = http
        .get(format!("{}/v1/cases/{}/exhibits", court.base.trim_end_matches('/'), case.id))
        .bearer_auth(&zhang)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(at_court[0].opinions[0].remarks, "送货单上的签名并非被告本人所签。");
    app.shutdown().await;
}

#[tokio::test]
async fn our_exhibit_offered_into_the_exchange_reaches_the_other_side_once_and_its_custody_says_submitted() {
    use courtside_court_api::hearing::ExchangedExhibit;
    let court = Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_on(&court, dir.path()).await;
    sign_in(&app, "li.si", "demo-litigant-2").await;
    let case = open_case(&court, "张三诉李四").await;
    let local = follow_by_service(&app, &court, &case.id, "举证通知书").await;
    let receipt = b"%PDF-1.7\n% bank transfer receipt, 20,000 yuan paid to Zhang San\n%%EOF\n".to_vec();
    let exhibit = app
        .add_exhibit(
            "转账凭证.pdf",
            Some("银行转账凭证"),
            "被告已支付部分货款",
            courtside_evidence::Source::File,
            &receipt,
        )
        .unwrap();

    // The court takes it but the answer is lost: the engine asks again under the same key.
    court.server.faults().set(courtside_court_server::FaultPlan { lose_responses: 1, ..Default::default() });
    let queued = app.submit_to_exchange(&local, std::slice::from_ref(&exhibit.id)).unwrap();
    assert_eq!((queued.len(), queued[0].state), (1, ActionStatus::Queued));
    let shown = app.evidence_exchange(&local).unwrap();
    assert!(shown.iter().any(|e| e.mine && e.title == "银行转账凭证" && e.outgoing.len() == 1), "{shown:?}");
    assert!(app.submit_to_exchange(&local, std::slice::from_ref(&exhibit.id)).is_err(), "offered once per case");
    let exchange = sync_until(
        &app,
        || app.evidence_exchange(&local).unwrap(),
        |e| e.iter().any(|x| x.mine && x.outgoing.is_empty() && !x.id.contains('-')),
    )
    .await;
    let ours: Vec<_> = exchange.iter().filter(|e| e.mine).collect();
    assert_eq!(ours.len(), 1, "{exchange:?}");
    assert_eq!(ours[0].sha256, exhibit.sha256);

    // Zhang San sees it, once, with the same digest and bytes.
    let zhang = court.login("zhang.san", "demo-litigant-1").await;
    let http = reqwest::Client::new();
    let base = court.base.trim_end_matches('/');
    let at_court: Vec<ExchangedExhibit> = http
        .get(format!("{base}/v1/cases/{}/exhibits", case.id))
        .bearer_auth(&zhang)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let from_li: Vec<_> = at_court.iter().filter(|e| e.submitted_by == "li.si").collect();
    assert_eq!(from_li.len(), 1, "{at_court:?}");
    assert_eq!((from_li[0].sha256.as_str(), from_li[0].bytes), (exhibit.sha256.as_str(), receipt.len() as u64));
    let bytes = http
        .get(format!("{base}/v1/cases/{}/exhibits/{}/content", case.id, from_li[0].id))
        .bearer_auth(&zhang)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], &receipt[..]);

    // The custody log says it was submitted, with the court's digest, once.
    let detail = sync_until(
        &app,
        || app.exhibit_detail(&exhibit.id).unwrap(),
        |d| d.custody.iter().any(|e| matches!(e.event, courtside_evidence::custody::Event::Submitted { .. })),
    )
    .await;
    let submitted: Vec<_> = detail
        .custody
        .iter()
        .filter_map(|e| match &e.event {
            courtside_evidence::custody::Event::Submitted { filing_id, matches, .. } => {
                Some((filing_id.clone(), *matches))
            }
            _ => None,
        })
        .collect();
    assert_eq!(submitted, [(from_li[0].id.clone(), true)]);
}
