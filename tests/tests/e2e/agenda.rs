//! The home view: what the court sent (a served notice, a hearing, a fee) and the answer
//! period on the case comes together on one list, soonest first, with the count the sidebar
//! shows; passed things fall off as the days go by.

use courtside_core::ipc::AgendaKind;
use courtside_court_api::CourtClient;
use courtside_court_api::hearing::{PostFeeNotice, ScheduleHearing};

use super::support::{Court, app_on, court_url, follow_by_service, open_case, sign_in, sync_until};

#[tokio::test]
async fn the_home_view_gathers_what_is_due_across_cases_and_lets_passed_things_go() {
    let court = Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_on(&court, dir.path()).await;
    sign_in(&app, "li.si", "demo-litigant-2").await;
    let clerk_client = CourtClient::new(court_url(&court)).unwrap();
    let clerk = clerk_client.clerk(court.server.clerk_token());
    let case = open_case(&court, "张三诉李四").await;
    let local = follow_by_service(&app, &court, &case.id, "应诉通知书").await;
    let now = time::OffsetDateTime::now_utc();
    // The answer period, counted from today (China time), on the case.
    app.court_policy().await.unwrap();
    let today = now.to_offset(time::macros::offset!(+8)).date();
    let from = today.format(time::macros::format_description!("[year]-[month]-[day]")).unwrap();
    app.add_case_deadline(&local, "answer", &from, "答辩状").unwrap();
    clerk
        .schedule_hearing(&ScheduleHearing {
            case_id: case.id.clone(),
            title: "开庭审理".into(),
            starts_at: now + time::Duration::days(2),
            duration_minutes: 60,
            platform: "court-room".into(),
            questions: vec![],
        })
        .await
        .unwrap();
    clerk
        .post_fee(&PostFeeNotice {
            recipient: "li.si".into(),
            case_id: case.id.clone(),
            amount_fen: 5_000,
            reason: "案件受理费".into(),
        })
        .await
        .unwrap();

    let kinds = |v: &courtside_core::ipc::AgendaView| v.items.iter().map(|i| i.kind).collect::<Vec<_>>();
    let agenda = sync_until(
        &app,
        || app.agenda_at(now).unwrap(),
        |v| kinds(v).contains(&AgendaKind::Hearing) && kinds(v).contains(&AgendaKind::FeeDue),
    )
    .await;
    let of = |kind| agenda.items.iter().find(|i| i.kind == kind).unwrap_or_else(|| panic!("{kind:?}: {agenda:#?}"));
    let served = of(AgendaKind::Served);
    assert_eq!((served.title.as_str(), served.case_id.as_deref()), ("应诉通知书", Some(local.as_str())));
    let local_title = app.get_case(&local).unwrap().case.fields.title;
    assert_eq!(served.case_title.as_deref(), Some(local_title.as_str()), "named by the local case");
    let answer = of(AgendaKind::Deadline);
    assert!(answer.days_left >= 14, "the answer period the notice started: {answer:?}");
    assert_eq!(answer.case_id.as_deref(), Some(local.as_str()));
    let hearing = of(AgendaKind::Hearing);
    assert!((1..=2).contains(&hearing.days_left), "{hearing:?}");
    assert!(hearing.at.is_some(), "a hearing has its time");
    let fee = of(AgendaKind::FeeDue);
    assert_eq!(fee.title, "案件受理费");
    assert!(
        !agenda
            .items
            .iter()
            .any(|i| i.kind == AgendaKind::Deadline && i.title_en.as_deref() == Some("Pay the court fee")),
        "the fee is shown once, as the fee: {agenda:#?}"
    );
    let days: Vec<&str> = agenda.items.iter().map(|i| i.day.as_str()).collect();
    let mut sorted = days.clone();
    sorted.sort_unstable();
    assert_eq!(days, sorted, "soonest first");
    // New service and a hearing within three days need the user; a deadline two weeks out not yet.
    assert!(agenda.needs_you >= 2, "{agenda:#?}");
    let soon = u32::try_from(agenda.items.iter().filter(|i| i.days_left <= 3).count()).unwrap();
    assert_eq!(agenda.needs_you, soon, "served today, the hearing, and nothing else: {agenda:#?}");

    // The case list names the case's next deadline (the fee's last day, before the answer's)
    // and next hearing.
    let listed = app.list_cases().unwrap().into_iter().find(|c| c.id == local).unwrap();
    assert!(fee.day < answer.day);
    assert_eq!(listed.next_deadline.as_deref(), Some(fee.day.as_str()));
    assert_eq!(listed.next_hearing, hearing.at);

    // The hearing is on the calendar across cases, with its case, and in the iCalendar file.
    let calendar = app.calendar().unwrap();
    let on_calendar = calendar
        .items
        .iter()
        .find(|i| i.kind == courtside_core::ipc::CalendarKind::Hearing)
        .unwrap_or_else(|| panic!("{calendar:#?}"));
    assert_eq!((on_calendar.name_zh.as_str(), on_calendar.case_id.as_deref()), ("开庭审理", Some(local.as_str())));
    assert_eq!(on_calendar.day, hearing.day);
    let ics = std::fs::read_to_string(app.export_calendar().unwrap()).unwrap();
    assert!(ics.contains(&format!("UID:hearing-{}@courtside", hearing.target)), "{ics}");

    // Ten days on: the hearing is over and the notice no longer new; the fee is overdue and
    // needs the user; the answer period is still ahead.
    let later = app.agenda_at(now + time::Duration::days(10)).unwrap();
    let later_kinds = kinds(&later);
    assert!(!later_kinds.contains(&AgendaKind::Hearing), "{later:#?}");
    assert!(!later_kinds.contains(&AgendaKind::Served), "{later:#?}");
    let overdue = later.items.iter().find(|i| i.kind == AgendaKind::FeeDue).expect("the unpaid fee stays");
    assert!(overdue.days_left < 0, "{overdue:?}");
    assert!(later.items.iter().any(|i| i.kind == AgendaKind::Deadline && i.days_left > 0));
    assert!(later.needs_you >= 1);

    app.lock_vault().unwrap();
    assert!(app.agenda().is_err(), "locked: nothing to show");
}
