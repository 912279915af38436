//! Fee notices: the court's notice reaches the app and its last day goes on the case; the
//! court's payment page opens in "the browser"; once paid there, the receipt comes back
//! through the change feed and the deadline leaves the case.

use std::time::Duration;

use courtside_court_api::CourtClient;
use courtside_court_api::filing::ServeDocument;
use courtside_court_api::hearing::{OpenCase, PostFeeNotice};

use super::support::{Court, app_on, court_url, sign_in};

/// Syncs until `done` holds for the fee notices (or gives up after ~10 s).
async fn sync_until(
    app: &courtside_app::App,
    done: impl Fn(&[courtside_app::ipc::FeeNoticeView]) -> bool,
) -> Vec<courtside_app::ipc::FeeNoticeView> {
    let mut fees = Vec::new();
    for _ in 0..100 {
        app.sync_now().unwrap();
        fees = app.fee_notices().unwrap();
        if done(&fees) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    fees
}

#[tokio::test]
async fn a_fee_notice_puts_its_last_day_on_the_case_and_the_receipt_comes_back_once_paid() {
    let court = Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_on(&court, dir.path()).await;
    sign_in(&app, "li.si", "demo-litigant-2").await;
    let clerk_client = CourtClient::new(court_url(&court)).unwrap();
    let clerk = clerk_client.clerk(court.server.clerk_token());
    let case = clerk
        .open_case(&OpenCase {
            case_type: "civil-contract".into(),
            title: "张三诉李四".into(),
            parties: vec!["zhang.san".into(), "li.si".into()],
        })
        .await
        .unwrap();
    // Service makes the app follow the case; then the court asks li.si for a fee.
    clerk
        .serve(&ServeDocument {
            recipient: "li.si".into(),
            case_id: case.id.clone(),
            title: "应诉通知书".into(),
            document_kind: "notice".into(),
            media_type: "application/pdf".into(),
            content: courtside_court_api::encoding::b64url(b"%PDF-1.4\n%%EOF\n"),
        })
        .await
        .unwrap();
    let notice = clerk
        .post_fee(&PostFeeNotice {
            recipient: "li.si".into(),
            case_id: case.id.clone(),
            amount_fen: 230_050,
            reason: "案件受理费".into(),
        })
        .await
        .unwrap();

    let fees = sync_until(&app, |f| f.first().is_some_and(|f| f.local_case.is_some())).await;
    let fee = fees.first().expect("the fee notice arrived");
    assert_eq!(fee.id, notice.id);
    assert_eq!(fee.amount_fen, 230_050);
    assert_eq!(fee.reason, "案件受理费");
    assert_eq!(fee.receipt_number, None);
    let local = fee.local_case.clone().unwrap();
    let deadlines = app.get_case(&local).unwrap().case.deadlines;
    let due = deadlines.iter().find(|d| d.period == "fee-payment").expect("the last day to pay is on the case");
    assert_eq!(due.last_day, fee.due);
    assert!(due.note.contains("2300.50"), "{}", due.note);

    // A hostile id never reaches the court.
    assert!(app.pay_fee("../admin", |_| Ok(())).await.is_err());
    let mut opened = None;
    let page = app
        .pay_fee(&fee.id, |url| {
            opened = Some(url.clone());
            Ok(())
        })
        .await
        .unwrap();
    let opened = opened.expect("the payment page was opened");
    assert_eq!(opened.as_str(), page);
    assert_eq!(opened.origin(), url::Url::parse(&court.base).unwrap().origin(), "the court's own page");
    // The user pays on the court's page (the provider confirms with a POST).
    let http = reqwest::Client::new();
    assert!(http.get(opened.clone()).send().await.unwrap().status().is_success());
    assert!(http.post(opened).send().await.unwrap().status().is_success());

    let fees = sync_until(&app, |f| f.first().is_some_and(|f| f.receipt_number.is_some())).await;
    let paid = fees.first().unwrap();
    assert!(paid.receipt_number.as_deref().unwrap().starts_with("FS"), "{paid:?}");
    assert!(paid.paid_at.is_some());
    let deadlines = app.get_case(&local).unwrap().case.deadlines;
    assert!(deadlines.iter().all(|d| d.period != "fee-payment"), "paid: no longer a deadline");
    // Paying twice is refused by the court, and said so.
    assert!(app.pay_fee(&paid.id, |_| Ok(())).await.is_err());
    app.shutdown().await;
}
