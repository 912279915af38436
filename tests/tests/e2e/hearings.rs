//! The pre-hearing check, check-in and join through the app service, and the connectivity
//! log kept during the hearing.

use std::time::Duration;

use courtside_court_api::CourtClient;
use courtside_court_api::hearing::{CheckIn, DeviceCheck, EnvironmentCheck, OpenCase, ScheduleHearing};

use super::support::{Court, app_on, court_url, sign_in};

#[tokio::test]
async fn check_in_then_join_opens_the_courts_room_and_the_connectivity_log_is_exported() {
    let court = Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let url = court_url(&court);
    let app = app_on(&court, dir.path()).await;
    sign_in(&app, "li.si", "demo-litigant-2").await;
    let client = CourtClient::new(url).unwrap();
    let clerk = client.clerk(court.server.clerk_token());
    let case = clerk
        .open_case(&OpenCase {
            case_type: "civil-contract".into(),
            title: "张三诉李四".into(),
            parties: vec!["zhang.san".into(), "li.si".into()],
        })
        .await
        .unwrap();
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
