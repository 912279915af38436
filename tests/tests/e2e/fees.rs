//! Fee notices: the court's notice reaches the app and its last day goes on the case; the
//! court's payment page opens in "the browser"; once paid there, the receipt comes back
//! through the change feed and the deadline leaves the case.

use courtside_court_api::CourtClient;
use courtside_court_api::hearing::PostFeeNotice;

use super::support::{Court, app_on, court_url, follow_by_service, open_case, sign_in, sync_until};

#[tokio::test]
async fn a_fee_notice_puts_its_last_day_on_the_case_and_the_receipt_comes_back_once_paid() {
    let court = Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let app = app_on(&court, dir.path()).await;
    sign_in(&app, "li.si", "demo-litigant-2").await;
    let clerk_client = CourtClient::new(court_url(&court)).unwrap();
    let clerk = clerk_client.clerk(court.server.clerk_token());
    let case = open_case(&court, "张三诉李四").await;
    // Service makes the app follow the case; then the court asks li.si for a fee.
    let local = follow_by_service(&app, &court, &case.id, "应诉通知书").await;
    let notice = clerk
        .post_fee(&PostFeeNotice {
            recipient: "li.si".into(),
            case_id: case.id.clone(),
            amount_fen: 230_050,
            reason: "案件受理费".into(),
        })
        .await
        .unwrap();

    let fees =
        sync_until(&app, || app.fee_notices().unwrap(), |f: &Vec<_>| f.first().is_some_and(|f| f.local_case.is_some()))
            .await;
    let fee = fees.first().expect("the fee notice arrived");
    assert_eq!(fee.id, notice.id);
    assert_eq!(fee.amount_fen, 230_050);
    assert_eq!(fee.reason, "案件受理费");
    assert_eq!(fee.receipt_number, None);
    assert_eq!(fee.local_case.as_deref(), Some(local.as_str()));
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

    let fees = sync_until(
        &app,
        || app.fee_notices().unwrap(),
        |f: &Vec<_>| f.first().is_some_and(|f| f.receipt_number.is_some()),
    )
    .await;
    let paid = fees.first().unwrap();
    assert!(paid.receipt_number.as_deref().unwrap().starts_with("FS"), "{paid:?}");
    assert!(paid.paid_at.is_some());
    let deadlines = app.get_case(&local).unwrap().case.deadlines;
    assert!(deadlines.iter().all(|d| d.period != "fee-payment"), "paid: no longer a deadline");
    // Paying twice is refused by the court, and said so.
    assert!(app.pay_fee(&paid.id, |_| Ok(())).await.is_err());
    app.shutdown().await;
}
