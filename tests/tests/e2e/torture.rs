//! The vault under everything at once: two processes of the app on one data directory, each
//! running draft autosaves, evidence captures, case queueing, sync against the reference
//! court and automatic time-stamping from several threads, SIGKILLed at random instants.
//!
//! Only one process may hold the vault: the other is refused (and writes nothing) until the
//! holder dies, then takes over and checks the vault before it works. After every round the
//! vault is checked from outside: `verify` clean, every write a process reported done reads
//! back, no custody entry lost, no exhibit without its log entry (nor a time-stamp), no
//! leftover temporary file, no filing at the court twice; at the end every filing is
//! receipted exactly once.
//!
//! Short form in the suite; `COURTSIDE_TORTURE_KILLS=1000` for the long form
//! (`cargo xtask bench torture`).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use courtside_casework::Drafts;
use courtside_casework::cases::Cases;
use courtside_core::{App, AppConfig, AppError, CourtChoice};
use courtside_evidence::Locker;
use courtside_evidence::custody::Event;
use courtside_sync::outbox::{self, ItemState};
use courtside_vault::{Vault, VaultError};

use super::casework::contract_case;
use super::support::{Court, app_on, court_url, sign_in};

/// Set in a child copy of this test binary: the data directory, the court, the drafts to
/// autosave and the case to copy and queue.
const CHILD_DIR: &str = "COURTSIDE_TORTURE_DIR";
const CHILD_COURT: &str = "COURTSIDE_TORTURE_COURT";
const CHILD_DRAFTS: &str = "COURTSIDE_TORTURE_DRAFTS";
const CHILD_CASE: &str = "COURTSIDE_TORTURE_CASE";
const PASS: &str = "correct horse battery";
/// Kills in the short form (`cargo xtask test`); `COURTSIDE_TORTURE_KILLS` sets another count.
const KILLS: usize = 40;

fn pause(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

/// Not a test of its own: one of the two processes (does nothing without the variables).
#[tokio::test(flavor = "multi_thread", worker_threads = 3)]
async fn torture_child() {
    let (Some(dir), Ok(court)) = (std::env::var_os(CHILD_DIR), std::env::var(CHILD_COURT)) else { return };
    let drafts: Vec<String> = std::env::var(CHILD_DRAFTS).unwrap().split(',').map(str::to_owned).collect();
    let template = std::env::var(CHILD_CASE).unwrap();
    let tag = std::process::id();
    let config = AppConfig::new(
        std::path::PathBuf::from(&dir),
        CourtChoice::Configured(courtside_court_api::CourtUrl::parse(&court).unwrap()),
    );
    let app = Arc::new(App::start(config).await.unwrap());
    let mut told = false;
    loop {
        match app.unlock_vault(PASS.into()).await {
            Ok(()) => break,
            Err(AppError::Vault(VaultError::InUse { .. })) => {
                if !told {
                    println!("child: refused");
                    told = true;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Err(e) => panic!("the vault does not open: {e}"),
        }
    }
    println!("child: holding");
    // What the other process left behind, checked before any work (a second handle of this
    // process shares the hold).
    {
        let vault = Vault::unlock(&std::path::PathBuf::from(&dir).join("vault"), PASS).unwrap();
        let problems = vault.verify().unwrap();
        let evidence = app.verify_evidence().unwrap();
        if problems.is_empty() && evidence.problems.is_empty() {
            println!("child: verified {}", evidence.entries_checked);
        } else {
            println!("child: damaged {problems:?} {:?}", evidence.problems);
            std::process::exit(3);
        }
    }

    // Autosave: each of the drafts, in turn, every few milliseconds.
    let a = app.clone();
    std::thread::spawn(move || {
        for n in 0u64.. {
            let id = &drafts[usize::try_from(n).unwrap() % drafts.len()];
            let body = format!("起诉状 第{n}稿 {tag}");
            let saved = a.save_draft(id, "起诉状草稿", &body).unwrap();
            println!("done draft {id} {} {body}", saved.version);
            pause(8);
        }
    });
    // Captures: mostly small files, now and then a large one (a kill inside its write).
    let a = app.clone();
    std::thread::spawn(move || {
        for n in 0u64.. {
            let len = if n % 20 == 19 { 2 << 20 } else { 1 + usize::try_from((n * 7919) % 30_000).unwrap() };
            let bytes: Vec<u8> =
                (0..len).map(|i| u8::try_from((i * 31 + usize::try_from(n).unwrap()) % 251).unwrap()).collect();
            let exhibit = a
                .add_exhibit(&format!("照片-{tag}-{n}.jpg"), None, "现场状况", courtside_evidence::Source::File, &bytes)
                .unwrap();
            println!("done exhibit {} {}", exhibit.id, exhibit.sha256);
            pause(15);
        }
    });
    // Queueing: a ready copy of the case, queued.
    let a = app.clone();
    std::thread::spawn(move || {
        loop {
            let waiting = a
                .list_cases()
                .unwrap()
                .into_iter()
                .find(|c| c.stage == courtside_core::ipc::CaseStage::Preparing && c.id != template);
            let id = match waiting {
                Some(case) => case.id,
                None => a.copy_case(&template).unwrap().case.id,
            };
            let view = a.queue_case_filing(&id).unwrap();
            println!("done queued {id} {}", view.case.filing_item.unwrap());
            pause(40);
        }
    });
    // Time-stamping, as the app's background loop does it (faster), beside sync.
    let a = app.clone();
    tokio::spawn(async move {
        loop {
            let _ = a.timestamp_evidence().await;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    loop {
        let _ = app.sync_now();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What the children said they did, read from their output as they run.
#[derive(Default, Clone)]
struct Reported {
    drafts: Vec<(String, u64, String)>,
    exhibits: Vec<(String, String)>,
    queued: Vec<(String, String)>,
    lines: Vec<String>,
}

struct Worker {
    child: Option<Child>,
    reported: Arc<Mutex<Reported>>,
    index: usize,
}

impl Worker {
    fn spawn(data: &std::path::Path, court: &str, drafts: &str, case: &str, reported: &Arc<Mutex<Reported>>) -> Self {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "torture::torture_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_DIR, data)
            .env(CHILD_COURT, court)
            .env(CHILD_DRAFTS, drafts)
            .env(CHILD_CASE, case)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        let index = {
            let mut r = reported.lock().unwrap();
            r.lines.push(String::new());
            r.lines.len() - 1
        };
        let sink = reported.clone();
        std::thread::spawn(move || {
            for line in out.split(b'\n') {
                // A line cut by the kill has no newline and is not read as said.
                let Ok(line) = line else { break };
                let line = String::from_utf8_lossy(&line).into_owned();
                // The test harness starts the first line ("test torture::torture_child ... ").
                let line = line.find("child: ").or_else(|| line.find("done ")).map_or(line.as_str(), |at| &line[at..]);
                let mut r = sink.lock().unwrap();
                let words: Vec<&str> = line.splitn(5, ' ').collect();
                match words.as_slice() {
                    ["done", "draft", id, version, rest] => {
                        r.drafts.push(((*id).to_owned(), version.parse().unwrap(), (*rest).to_owned()));
                    }
                    ["done", "exhibit", id, sha] => r.exhibits.push(((*id).to_owned(), (*sha).to_owned())),
                    ["done", "queued", case, item] => r.queued.push(((*case).to_owned(), (*item).to_owned())),
                    ["child:", ..] => r.lines[index].push_str(&format!("{line}\n")),
                    _ => {}
                }
            }
        });
        Self { child: Some(child), reported: reported.clone(), index }
    }

    fn said(&self, what: &str) -> bool {
        self.reported.lock().unwrap().lines[self.index].contains(what)
    }

    fn kill(mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }

    /// Waits until the child says `what`; fails if it ends or says it found damage.
    fn wait_for(&mut self, what: &str) {
        let start = Instant::now();
        while !self.said(what) {
            assert!(!self.said("damaged"), "{}", self.reported.lock().unwrap().lines[self.index]);
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "the child ended ({status}) before saying {what:?}: {}",
                    self.reported.lock().unwrap().lines[self.index]
                );
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the child never said {what:?}; it said: {}",
                self.reported.lock().unwrap().lines[self.index]
            );
            pause(2);
        }
    }
}

impl Drop for Worker {
    /// A failing test leaves no process behind (it would keep working on a deleted folder).
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Every file name left in the vault's folders by a write that did not finish.
fn leftovers(dir: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().unwrap().is_dir() {
            found.extend(leftovers(&entry.path()));
        } else if name.ends_with(".tmp") || name.starts_with('.') {
            found.push(entry.path().display().to_string());
        }
    }
    found
}

/// What the rounds saw, for the note.
#[derive(Default)]
struct Seen {
    custody_entries: u64,
    stamps: usize,
    temporary_files_cleaned: usize,
}

/// The checks made from outside after both processes died.
async fn check(data: &std::path::Path, court: &Court, reported: &Reported, seen: &mut Seen) {
    let before = seen.custody_entries;
    seen.temporary_files_cleaned += leftovers(&data.join("vault")).len();
    let vault = Arc::new(Vault::unlock(&data.join("vault"), PASS).unwrap());
    let left = leftovers(&data.join("vault"));
    assert!(left.is_empty(), "temporary files left after the next open: {left:?}");
    let problems = vault.verify().unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let locker = Locker::open(vault.clone()).unwrap();
    let verification = locker.verify(None).unwrap();
    assert!(verification.problems.is_empty(), "{:?}", verification.problems);
    let entries = locker.custody(None).unwrap();
    let length = entries.len() as u64;
    assert!(length >= before, "the custody log shrank from {before} to {length} entries");

    // Every exhibit has exactly one capture entry and the other way round; every reported
    // capture is there with its digest; every kept time-stamp has its entry.
    let exhibits: BTreeMap<String, String> = locker.exhibits().unwrap().into_iter().map(|e| (e.id, e.sha256)).collect();
    let mut captured = BTreeMap::new();
    let mut stamped = BTreeSet::new();
    for entry in &entries {
        match &entry.event {
            Event::Captured { sha256, .. } => {
                assert!(
                    captured.insert(entry.exhibit.clone(), sha256.clone()).is_none(),
                    "{} captured twice",
                    entry.exhibit
                );
            }
            Event::Timestamped { .. } => {
                stamped.insert(entry.exhibit.clone());
            }
            _ => {}
        }
    }
    assert_eq!(exhibits, captured, "exhibits and capture entries differ");
    for (id, sha) in &reported.exhibits {
        assert_eq!(exhibits.get(id), Some(sha), "exhibit {id} was reported captured and is not there");
    }
    let stamps = locker.stamps().unwrap();
    seen.stamps = stamps.len();
    for stamp in stamps {
        if exhibits.contains_key(&stamp.subject) {
            assert!(stamped.contains(&stamp.subject), "time-stamp of {} kept without its custody entry", stamp.subject);
        }
    }

    // Every reported autosave reads back, as that version.
    let drafts = Drafts::load(vault.clone()).unwrap();
    for (id, version, body) in &reported.drafts {
        assert_eq!(&drafts.version(id, *version).unwrap().body, body, "draft {id} version {version}");
    }

    // Cases and outbox items match one to one; every reported queueing is there.
    let items = outbox::items(&vault).unwrap();
    let cases = Cases::new(vault.clone()).list().unwrap();
    let shown: BTreeMap<&str, &str> =
        cases.iter().filter_map(|c| c.filing_item.as_deref().map(|i| (i, c.id.as_str()))).collect();
    assert_eq!(shown.len(), cases.iter().filter(|c| c.filing_item.is_some()).count(), "two cases show one item");
    for item in &items {
        assert!(shown.contains_key(item.id.as_str()), "outbox item {} is shown by no case", item.id);
        assert!(!matches!(item.state, ItemState::Failed { .. }), "{item:#?}");
    }
    for (case, item) in &reported.queued {
        assert_eq!(shown.get(item.as_str()), Some(&case.as_str()), "queued case {case} lost its item {item}");
    }
    let at_court = court.filings().await;
    let mut keys = BTreeSet::new();
    for filing in &at_court {
        assert!(
            keys.insert(filing.idempotency_key.clone()),
            "filing {} reached the court twice",
            filing.idempotency_key
        );
        assert!(items.iter().any(|i| i.id == filing.idempotency_key), "the court holds a filing no item knows");
    }
    seen.custody_entries = length;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_processes_killed_at_random_instants_never_break_the_vault() {
    let kills: usize = std::env::var("COURTSIDE_TORTURE_KILLS").ok().and_then(|k| k.parse().ok()).unwrap_or(KILLS);
    let court = Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("app");
    let (drafts, case) = {
        let app = app_on(&court, dir.path()).await;
        sign_in(&app, "zhang.san", "demo-litigant-1").await;
        let policy = app.court_policy().await.unwrap();
        let view = app.create_case(contract_case(policy.court_id)).unwrap();
        let view = app.attach_case_document(&view.case.id, "identity", "身份证.pdf", b"%PDF-1.4\n%%EOF\n").unwrap();
        assert!(view.check.ready, "{:?}", view.check.problems);
        let drafts: Vec<String> = (0..3).map(|i| app.create_draft(&format!("草稿{i}"), "", None).unwrap().id).collect();
        app.shutdown().await;
        (drafts.join(","), view.case.id)
    };
    let url = court_url(&court).to_string();
    let reported = Arc::new(Mutex::new(Reported::default()));
    let mut random = super::support::xorshift(0x2545_f491_4f6c_dd1d ^ u64::from(std::process::id()));
    let started = Instant::now();
    let (mut done, mut seen, mut refused) = (0, Seen::default(), 0);
    while done < kills {
        let mut first = Worker::spawn(&data, &url, &drafts, &case, &reported);
        first.wait_for("child: holding");
        let mut second = Worker::spawn(&data, &url, &drafts, &case, &reported);
        second.wait_for("child: refused");
        refused += 1;
        // The holder dies at a random instant of its work (sometimes while it still checks
        // what the last round left); the other takes over and checks it first.
        tokio::time::sleep(Duration::from_millis(random(400))).await;
        first.kill();
        second.wait_for("child: verified");
        tokio::time::sleep(Duration::from_millis(random(400))).await;
        second.kill();
        done += 2;
        // What was reported stays reported: every later round checks it again.
        let snapshot = reported.lock().unwrap().clone();
        check(&data, &court, &snapshot, &mut seen).await;
        if done % 100 == 0 {
            eprintln!(
                "torture: {done} kills, {:.0} s, {} custody entries, {} captures reported",
                started.elapsed().as_secs_f64(),
                seen.custody_entries,
                snapshot.exhibits.len()
            );
        }
    }
    let (reported_drafts, reported_exhibits, reported_queued) = {
        let r = reported.lock().unwrap();
        (r.drafts.len(), r.exhibits.len(), r.queued.len())
    };
    eprintln!(
        "{done} kills in {:.0} s ({refused} second processes refused while the first held the vault): \
         {reported_drafts} autosaves, {reported_exhibits} captures, {reported_queued} queueings reported and read back; \
         {} custody entries, none lost; {} time-stamps each with its entry; {} temporary files of cut writes, \
         each gone after the next open",
        started.elapsed().as_secs_f64(),
        seen.custody_entries,
        seen.stamps,
        seen.temporary_files_cleaned
    );
    assert!(reported_exhibits > 0 && reported_queued > 0 && reported_drafts > 0, "the children did too little");

    // Afterwards every filing goes through, exactly once.
    let mut config = AppConfig::new(data.clone(), CourtChoice::Configured(court_url(&court)));
    config.background_sync = true;
    let app = App::start(config).await.unwrap();
    app.unlock_vault(PASS.into()).await.unwrap();
    let mut settled = false;
    for _ in 0..600 {
        app.sync_now().unwrap();
        let overview = app.sync_overview().unwrap();
        if overview.items.iter().all(|i| i.state == courtside_core::ipc::OutboxState::Receipted) {
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(settled, "{:#?}", app.sync_overview().unwrap().items);
    app.shutdown().await;
    let vault = Arc::new(Vault::unlock(&data.join("vault"), PASS).unwrap());
    let items = outbox::items(&vault).unwrap();
    let at_court = court.filings().await;
    assert_eq!(at_court.len(), items.len(), "filings at the court and queued items");
    for item in &items {
        let n = at_court.iter().filter(|f| f.idempotency_key == item.id).count();
        assert_eq!(n, 1, "filing {} is at the court {n} times", item.id);
        assert_eq!(item.state, ItemState::Receipted);
    }
    eprintln!("{} filings receipted, each exactly once at the court", items.len());
}
