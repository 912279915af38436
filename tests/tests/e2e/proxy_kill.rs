//! Faults from outside the client, all at once: a TCP proxy of the test's own between the
//! client and the reference court cuts every connection at a random byte offset (requests
//! and answers, on every endpoint), and the client process is SIGKILLed at random instants
//! while it sends filings (with multi-MB documents) and court actions. Every filing reaches
//! the court exactly once with the local bytes, every action once, none ends failed or
//! stuck.
//!
//! Short form in the suite; `COURTSIDE_PROXY_KILL_FILINGS=200` (filings and as many
//! actions) for the long form (`cargo xtask bench proxy`).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use courtside_sync::account::{Session, complete_sign_in};
use courtside_sync::actions::{self, ActionKind, ActionState};
use courtside_sync::network::Network;
use courtside_sync::outbox::{self, Drain, ItemState};
use courtside_sync::retry::RetryPolicy;
use courtside_sync::tus::TusClient;
use courtside_vault::Vault;

use super::outbox::{assert_exactly_once, draft, draft_of_sizes};
use super::support::{Court, FaultProxy, open_case, vault};

const CHILD_DIR: &str = "COURTSIDE_PROXY_KILL_DIR";
const PASS: &str = "correct horse battery staple 42";
/// Filings (and as many actions) in the short form.
const FILINGS: usize = 12;

fn tus() -> TusClient {
    TusClient::new(
        256 * 1024,
        RetryPolicy { base: Duration::from_millis(5), cap: Duration::from_millis(50), max_attempts: 3 },
    )
    .unwrap()
}

/// Not a test of its own: the client that is killed. It drains filings and sends actions
/// over and over, as the app's engine would.
#[tokio::test]
async fn proxy_kill_child() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else { return };
    let vault = Arc::new(Vault::unlock(&std::path::PathBuf::from(dir).join("vault"), PASS).unwrap());
    let account = courtside_sync::account::accounts(&vault).unwrap().remove(0);
    let mut session = Session::new(vault.clone(), account);
    let tus = tus();
    println!("child: ready");
    loop {
        // A run ends early on a broken answer: that is what the next one is for.
        if let Ok(mut drain) = Drain::new(vault.clone(), &mut session, &tus) {
            let _ = drain.run(&mut |_, _| {}).await;
        }
        let _ = actions::send_queued(&vault, &mut session, &tus).await;
        // What the court served comes back through the same proxy (feed and downloads), and
        // so does the court's policy.
        let _ = courtside_sync::feed::pull(&vault, &mut session).await;
        if let Ok(court) = url::Url::parse(&session.account().court) {
            let _ = courtside_sync::policy::refresh(
                &vault,
                &Network::default(),
                &court,
                courtside_court_server::DEMO_COURT_ID,
            )
            .await;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Documents the clerk serves on the account while the client works.
const SERVED: usize = 4;

fn settled(vault: &Vault) -> (usize, usize, usize) {
    let items = outbox::items(vault).unwrap();
    for item in &items {
        assert!(!matches!(item.state, ItemState::Failed { .. } | ItemState::NeedsAttention { .. }), "{item:#?}");
    }
    let acts = actions::actions(vault).unwrap();
    for a in &acts {
        assert!(!matches!(a.state, ActionState::Refused { .. }), "{a:#?}");
    }
    let receipted = items.iter().filter(|i| i.state == ItemState::Receipted).count();
    let sent = acts.iter().filter(|a| matches!(a.state, ActionState::Sent { .. })).count();
    let served = courtside_sync::feed::served(vault).unwrap().len();
    (receipted, sent, served)
}

#[tokio::test(flavor = "multi_thread")]
async fn filings_and_actions_through_a_cutting_proxy_and_kills_arrive_exactly_once() {
    let filings: usize =
        std::env::var("COURTSIDE_PROXY_KILL_FILINGS").ok().and_then(|k| k.parse().ok()).unwrap_or(FILINGS);
    // Access tokens are renewed every two seconds or so (62 s, renewed a minute before they
    // expire): refreshes (the token endpoint) go through the proxy too.
    let court = Court::start(|c| c.access_token_ttl = Duration::from_secs(62)).await;
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    eprintln!("proxy seed {seed}");
    let proxy = FaultProxy::start(&court.base, 100, seed).await;
    let dir = tempfile::tempdir().unwrap();
    let case = open_case(&court, "张三诉李四买卖合同纠纷").await;
    {
        let vault = vault(dir.path());
        let tokens = court.tokens("zhang.san", "demo-litigant-1").await;
        let via_proxy = url::Url::parse(&format!("{}/", proxy.base)).unwrap();
        // Signing in (who am I, the device key, the court's keys) through the cutting proxy:
        // the user tries again until it works.
        proxy.faults_on.store(true, Ordering::SeqCst);
        let mut account = None;
        for _ in 0..100 {
            if let Ok(a) = complete_sign_in(&vault, &Network::default(), &via_proxy, &tokens, "test laptop").await {
                account = Some(a);
                break;
            }
        }
        proxy.faults_on.store(false, Ordering::SeqCst);
        let account = account.expect("signed in through the proxy within 100 tries");
        for i in 0..filings {
            // The second half are small (each file within one chunk): those go to the court
            // in batches (saved together before the first is sent and after the last answer),
            // so kills land between a batch's sends and the save of its answers too.
            let filing = if i < filings / 2 {
                draft(dir.path(), "civil-contract")
            } else {
                draft_of_sizes(dir.path(), "civil-contract", [20_000, 60_000, 120_000])
            };
            outbox::enqueue(&vault, &account, filing).unwrap();
            let kind =
                ActionKind::MediationMessage { case_id: case.id.clone(), text: format!("第{i}条调解意见") };
            actions::enqueue(&vault, &account, kind).unwrap();
        }
    }
    let mut random = super::support::xorshift(seed);
    // The court serves documents (1 MiB each, so downloads are cut too).
    let clerk = courtside_court_api::CourtClient::new(super::support::court_url(&court)).unwrap();
    let mut served_digests = Vec::new();
    for i in 0..SERVED {
        let content: Vec<u8> = (0..1_048_576u32).map(|b| u8::try_from((b * 13 + i as u32) % 251).unwrap()).collect();
        served_digests.push(courtside_court_api::encoding::sha256_hex(&content));
        clerk
            .clerk(court.server.clerk_token())
            .serve(&courtside_court_api::filing::ServeDocument {
                recipient: "zhang.san".into(),
                case_id: case.id.clone(),
                title: format!("第{i}号通知书"),
                document_kind: "notice".into(),
                media_type: "application/pdf".into(),
                content: courtside_court_api::encoding::b64url(&content),
            })
            .await
            .unwrap();
    }
    proxy.faults_on.store(true, Ordering::SeqCst);
    let started = Instant::now();
    let mut kills = 0;
    loop {
        let (receipted, sent, served) = settled(&vault_of(dir.path()));
        if receipted == filings && sent == filings && served == SERVED {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "no progress: {receipted} receipted, {sent} sent, {served} served documents kept"
        );
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "proxy_kill::proxy_kill_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_DIR, dir.path())
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
        tokio::time::sleep(Duration::from_millis(20 + random(300))).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
    }
    proxy.faults_on.store(false, Ordering::SeqCst);
    let broken = proxy.broken.load(Ordering::SeqCst);
    let vault = vault_of(dir.path());
    let items = outbox::items(&vault).unwrap();
    assert_exactly_once(&court, &items).await;
    // The engine's own summary agrees: nothing waiting, nothing needing the user.
    let mut session = Session::new(vault.clone(), courtside_sync::account::accounts(&vault).unwrap().remove(0));
    let tus = tus();
    let report = Drain::new(vault.clone(), &mut session, &tus).unwrap().run(&mut |_, _| {}).await.unwrap();
    assert_eq!((report.waiting, report.needs_attention), (0, 0), "{report:?}");
    assert!(
        courtside_sync::policy::cached(
            &vault,
            &url::Url::parse(&session.account().court).unwrap(),
            courtside_court_server::DEMO_COURT_ID
        )
        .unwrap()
        .is_some(),
        "the policy came through the proxy"
    );
    // Each mediation message once at the court, in whatever order it got there.
    let at_court: Vec<serde_json::Value> = reqwest::Client::new()
        .get(format!("{}/v1/cases/{}/mediation", court.base, case.id))
        .bearer_auth(court.login("zhang.san", "demo-litigant-1").await)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut texts: Vec<&str> = at_court.iter().filter_map(|m| m["text"].as_str()).collect();
    texts.sort_unstable();
    let mut expected: Vec<String> = (0..filings).map(|i| format!("第{i}条调解意见")).collect();
    expected.sort_unstable();
    assert_eq!(texts, expected.iter().map(String::as_str).collect::<Vec<_>>(), "each action exactly once");
    assert!(broken >= filings, "the proxy broke only {broken} connections");
    // Every served document is sealed with the court's bytes, and acknowledged once.
    let mut kept: Vec<String> =
        courtside_sync::feed::served(&vault).unwrap().iter().map(|c| c.document.sha256.clone()).collect();
    kept.sort_unstable();
    served_digests.sort_unstable();
    assert_eq!(kept, served_digests);
    for copy in courtside_sync::feed::served(&vault).unwrap() {
        assert!(copy.document.received_at.is_some(), "acknowledged");
        let mut sealed = Vec::new();
        let info = vault.read_blob(&copy.blob_id, &mut sealed).unwrap();
        assert_eq!(info.sha256, copy.document.sha256);
    }
    eprintln!(
        "{filings} filings and {filings} actions, each exactly once at the court, and {SERVED} served documents \
         sealed whole, in {:.0} s: {kills} SIGKILLs, {broken} connections cut",
        started.elapsed().as_secs_f64()
    );
}

fn vault_of(dir: &std::path::Path) -> Arc<Vault> {
    Arc::new(Vault::unlock(&dir.join("vault"), PASS).unwrap())
}
