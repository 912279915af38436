//! Queueing a case is one unit of work: a process killed (SIGKILL) at any instant while it
//! queues cases leaves every case either queued with its one outbox item, or not queued
//! with none; never an outbox item its case does not show, never two items for one case.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use courtside_casework::cases::Cases;
use courtside_vault::Vault;

use super::casework::contract_case;
use super::support::{Court, app_on, court_url, sign_in};

/// Set in a child copy of this test binary: the app's data directory, and the court.
const CHILD_DIR: &str = "COURTSIDE_QUEUE_KILL_DIR";
const CHILD_COURT: &str = "COURTSIDE_QUEUE_KILL_COURT";
const PASS: &str = "correct horse battery";
/// Kills in the short form (`cargo xtask test`); `COURTSIDE_QUEUE_KILLS` sets another count.
const KILLS: usize = 200;
/// Unqueued cases kept ready for the child to queue.
const READY: usize = 6;

/// Not a test of its own: the process that is killed (does nothing without the variables).
/// It queues every case that is not queued yet, over and over, as fast as it can.
#[tokio::test]
async fn queue_kill_child() {
    let (Some(dir), Ok(court)) = (std::env::var_os(CHILD_DIR), std::env::var(CHILD_COURT)) else { return };
    let mut config = courtside_core::AppConfig::new(
        dir.into(),
        courtside_core::CourtChoice::Configured(courtside_court_api::CourtUrl::parse(&court).unwrap()),
    );
    config.background_sync = false;
    let app = courtside_core::App::start(config).await.unwrap();
    app.unlock_vault(PASS.into()).await.unwrap();
    println!("child: ready");
    loop {
        for case in app.list_cases().unwrap() {
            if case.stage == courtside_core::ipc::CaseStage::Preparing {
                app.queue_case_filing(&case.id).unwrap();
            }
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// The invariant, read from the vault after a kill; returns (queued cases, outbox items).
fn check_consistent(vault: Arc<Vault>) -> (usize, usize) {
    assert!(vault.verify().unwrap().is_empty(), "{:?}", vault.verify());
    let items = courtside_sync::outbox::items(&vault).unwrap();
    let cases = Cases::new(vault).list().unwrap();
    for item in &items {
        let owners: Vec<&str> = cases
            .iter()
            .filter(|c| c.filing_item.as_deref() == Some(item.id.as_str()))
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(owners.len(), 1, "outbox item {} is shown by cases {owners:?}", item.id);
    }
    let queued: Vec<&str> = cases.iter().filter_map(|c| c.filing_item.as_deref()).collect();
    for id in &queued {
        assert!(items.iter().any(|i| i.id == *id), "a case shows outbox item {id}, which is not there");
    }
    (queued.len(), items.len())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kill_at_any_instant_of_queueing_never_splits_a_case_from_its_filing() {
    let kills: usize = std::env::var("COURTSIDE_QUEUE_KILLS").ok().and_then(|k| k.parse().ok()).unwrap_or(KILLS);
    let court = Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("app");
    let first_case = {
        let app = app_on(&court, dir.path()).await;
        sign_in(&app, "zhang.san", "demo-litigant-1").await;
        let policy = app.court_policy().await.unwrap();
        let view = app.create_case(contract_case(policy.court_id)).unwrap();
        let view = app.attach_case_document(&view.case.id, "identity", "身份证.pdf", b"%PDF-1.4\n%%EOF\n").unwrap();
        assert!(view.check.ready, "{:?}", view.check.problems);
        let id = view.case.id.clone();
        app.shutdown().await;
        id
    };

    let mut random = super::support::xorshift(0x9e37_79b9_7f4a_7c15 ^ u64::from(std::process::id()));
    let (mut queued, mut items) = (0, 0);
    for _ in 0..kills {
        {
            // Keep a few unqueued copies of the ready case for the child to queue.
            let vault = Arc::new(Vault::unlock(&data.join("vault"), PASS).unwrap());
            let cases = Cases::new(vault);
            let waiting = cases.list().unwrap().iter().filter(|c| c.filing_item.is_none()).count();
            for _ in waiting..READY {
                cases.copy(&first_case, None).unwrap();
            }
        }
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "queue_kill::queue_kill_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_DIR, &data)
            .env(CHILD_COURT, court_url(&court).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while !line.contains("child: ready") {
            line.clear();
            assert!(out.read_line(&mut line).unwrap() > 0, "the child ended before it was ready");
        }
        // Somewhere in the middle of queueing a case or two (a queueing takes a few ms here).
        std::thread::sleep(Duration::from_micros(random(40_000)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let vault = Arc::new(Vault::unlock(&data.join("vault"), PASS).unwrap());
        (queued, items) = check_consistent(vault);
    }
    eprintln!("{kills} kills: {queued} cases queued, {items} outbox items, all consistent");
    // Kills land before, between and inside queueings; some must have let queueings finish.
    assert!(queued >= 10, "the child queued too little to have been killed mid-way: {queued}");
}
