//! `cargo xtask bench scale`: how Courtside behaves at a busy practice's size.
//!
//! `scale_bench WORK` generates vaults at 1/16, 1/4 and all of a busy practice (1,000 cases,
//! 10,000 drafts with three versions each, 50,000 exhibits with four custody entries each,
//! 5,000 served documents, 1,000 hearings, 10 GiB of evidence), keeps them under `WORK` for
//! the next run (a vault is regenerated only when this program's recipe changes), and
//! measures each, and an empty vault, in a fresh process through [`App`], the service the
//! desktop shell calls: unlock to the first screen (the home view), the case list, a case
//! page holding 200 exhibits, the evidence locker, a search of the drafts, the home view,
//! `verify` of every exhibit, an evidence export of one case, a backup, and the process's
//! memory. Prints Markdown table rows on stdout, with each figure's growth from 1× to 16×.
//!
//! `scale_bench generate DIR UNITS` and `scale_bench measure DIR` are the two halves.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use courtside_casework::Drafts;
use courtside_casework::cases::{CaseDeadline, CaseFields, CaseParty, Cases, PartyKind, PartyRole};
use courtside_core::{App, AppConfig, CourtChoice};
use courtside_court_api::CourtUrl;
use courtside_court_api::filing::ServedDocument;
use courtside_court_api::hearing::Hearing;
use courtside_evidence::custody::{Event, ExportFormat};
use courtside_evidence::{Capture, Locker};
use courtside_sync::feed::{REPLICA, ServedCopy};
use courtside_vault::{KdfParams, Vault};

const PASSPHRASE: &str = "a busy practice of fifty lawyers";
/// Changes whenever what `generate` writes changes: an older vault is then made again.
const RECIPE: &str = "scale-2";
/// A busy practice is 16 units.
const FULL: u64 = 16;
const CASES: u64 = 1_000;
const DRAFTS: u64 = 10_000;
const VERSIONS: u64 = 3;
const EXHIBITS: u64 = 50_000;
const SERVED: u64 = 5_000;
const BLOB_BYTES: u64 = 10 << 30;
/// Exhibits on the first case (the case page measured).
const CASE_PAGE_EXHIBITS: usize = 200;
/// Runs of each quick figure; the median is reported.
const RUNS: usize = 5;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["generate", dir, units] => generate(Path::new(dir), units.parse()?),
        ["measure", dir] => measure(Path::new(dir)),
        [work] => run(Path::new(work)),
        _ => Err("usage: scale_bench WORK | generate DIR UNITS | measure DIR".into()),
    }
}

/// How much a vault of `units` sixteenths of a busy practice holds.
#[derive(Debug, Clone, Copy)]
struct Size {
    cases: u64,
    drafts: u64,
    exhibits: u64,
    served: u64,
    blob_bytes: u64,
}

impl Size {
    fn of(units: u64) -> Self {
        Self {
            cases: CASES * units / FULL,
            drafts: DRAFTS * units / FULL,
            exhibits: EXHIBITS * units / FULL,
            served: SERVED * units / FULL,
            blob_bytes: BLOB_BYTES * units / FULL,
        }
    }
}

fn data_dir(dir: &Path) -> PathBuf {
    dir.join("data")
}

/// Deterministic pseudo-random numbers (xorshift), so every run generates the same vault.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Reads `len` bytes of a pseudo-random pool from an offset (the evidence's content).
struct Content<'a> {
    pool: &'a [u8],
    at: usize,
    left: u64,
}

impl Read for Content<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX)).min(self.pool.len() - self.at);
        buf[..n].copy_from_slice(&self.pool[self.at..self.at + n]);
        self.at = (self.at + n) % (self.pool.len() / 2);
        self.left -= n as u64;
        Ok(n)
    }
}

const WORDS: &[&str] = &[
    "原告",
    "被告",
    "合同",
    "货款",
    "违约金",
    "利息",
    "交付",
    "标的物",
    "质量",
    "验收",
    "付款",
    "催告",
    "解除",
    "损失",
    "赔偿",
    "证据",
    "发票",
    "送货单",
    "对账单",
    "判决",
    "上诉",
    "管辖",
    "诉讼时效",
    "保全",
    "担保",
];

fn text(rng: &mut Rng, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        s.push_str(WORDS[(rng.next() % WORDS.len() as u64) as usize]);
        s.push(if i % 12 == 11 { '。' } else { '，' });
    }
    s
}

fn generate(dir: &Path, units: u64) -> Result<(), Box<dyn std::error::Error>> {
    let size = Size::of(units);
    let started = Instant::now();
    let _ = std::fs::remove_dir_all(dir);
    let config = AppConfig::new(data_dir(dir), CourtChoice::Demo);
    let (vault, _) = Vault::create(&config.vault_dir(), PASSPHRASE, KdfParams::default())?;
    let vault = Arc::new(vault);
    if units == 0 {
        // The empty vault: the reference for memory.
        drop(vault);
        std::fs::write(dir.join("recipe"), recipe(units))?;
        return Ok(());
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ units);
    let now = time::OffsetDateTime::now_utc();
    let day = |d: i64| (now + time::Duration::days(d)).date().to_string();

    // Cases, nine in ten docketed, each with two deadlines (one past, one to come).
    let cases = Cases::new(vault.clone());
    let mut case_ids = Vec::new();
    for i in 0..size.cases {
        let party = |role, name: String| CaseParty {
            role,
            kind: PartyKind::Person,
            name,
            id_number: String::new(),
            address: "北京市海淀区中关村大街1号".into(),
            phone: "010-12345678".into(),
            service_address: String::new(),
            representative: String::new(),
        };
        let case = cases.create(CaseFields {
            court_id: "demo-court".into(),
            case_type: "civil-first-instance".into(),
            cause_of_action: "买卖合同纠纷".into(),
            title: format!("张三{i}诉李四买卖合同纠纷"),
            amount_fen: Some(1_000_000 + i * 100),
            simple_procedure: i % 3 == 0,
            parties: vec![
                party(PartyRole::Plaintiff, format!("张三{i}")),
                party(PartyRole::Defendant, format!("李四{i}")),
            ],
            claims: vec!["判令被告支付货款".into(), "判令被告承担诉讼费用".into()],
            facts: text(&mut rng, 120),
            notes: String::new(),
        })?;
        if i % 10 != 9 {
            cases.set_court_case(&case.id, &format!("court-case-{i}"))?;
        }
        for (offset, name_zh, name_en) in
            [(-40, "举证期限", "time limit for evidence"), (i64::try_from(i % 60)? - 5, "答辩期", "answer period")]
        {
            cases.add_deadline(
                &case.id,
                CaseDeadline {
                    id: String::new(),
                    period: "answer".into(),
                    name_zh: name_zh.into(),
                    name_en: name_en.into(),
                    from: day(offset - 15),
                    last_day: day(offset),
                    moved: false,
                    calendar_known: true,
                    note: String::new(),
                    source: None,
                },
            )?;
        }
        case_ids.push(case.id);
    }
    eprintln!("scale_bench: {units}/16: {} cases in {:.0?}", size.cases, started.elapsed());

    // Drafts, each saved three times, one in a hundred naming the searched-for party.
    let mut drafts = Drafts::load(vault.clone())?;
    for i in 0..size.drafts {
        let case = &case_ids[usize::try_from(i % size.cases)?];
        let who = if i % 100 == 0 { "王五" } else { "李四" };
        let draft = drafts.create(&format!("代理词 {i}"), &format!("{who}{}", text(&mut rng, 200)), Some(case))?;
        for v in 1..VERSIONS {
            drafts.save(&draft.id, &format!("代理词 {i}（第{v}稿）"), &format!("{who}{}", text(&mut rng, 200)))?;
        }
    }
    drop(drafts);
    eprintln!("scale_bench: {units}/16: {} drafts in {:.0?}", size.drafts, started.elapsed());

    // Exhibits: nine in ten are small (64 KiB), the rest share the remaining bytes; each
    // has four custody entries (captured, described, exported twice).
    let locker = Locker::open(vault.clone())?;
    let mut pool = vec![0u8; 8 << 20];
    for b in pool.chunks_mut(8) {
        b.copy_from_slice(&rng.next().to_le_bytes());
    }
    let small = 64 << 10;
    let large_count = size.exhibits.div_ceil(10);
    let large = (size.blob_bytes - (size.exhibits - large_count) * small) / large_count;
    let mut exhibit_ids = Vec::new();
    for i in 0..size.exhibits {
        let len = if i % 10 == 0 { large } else { small };
        let at = usize::try_from(rng.next() % (pool.len() as u64 / 2))?;
        let exhibit = locker.capture(
            &format!("证据{i}.jpg"),
            &mut Content { pool: &pool, at, left: len },
            &Capture { title: Some(format!("送货单 {i}")), proves: "被告已收货".into(), source: None },
        )?;
        locker.describe(&exhibit.id, &format!("送货单 {i}"), "被告已收货且未提出质量异议")?;
        locker.log_event(&exhibit.id, Event::Exported { format: ExportFormat::Bagit })?;
        locker.log_event(&exhibit.id, Event::Exported { format: ExportFormat::CourtsideExport })?;
        exhibit_ids.push(exhibit.id);
    }
    eprintln!("scale_bench: {units}/16: {} exhibits in {:.0?}", size.exhibits, started.elapsed());
    // The first case holds 200 exhibits; the others share the rest.
    let per_case = exhibit_ids.len().saturating_sub(CASE_PAGE_EXHIBITS) / case_ids.len().max(1);
    for (i, case) in case_ids.iter().enumerate() {
        let ids: Vec<String> = if i == 0 {
            exhibit_ids.iter().take(CASE_PAGE_EXHIBITS).cloned().collect()
        } else {
            let from = CASE_PAGE_EXHIBITS + (i - 1) * per_case;
            exhibit_ids.iter().skip(from).take(per_case.min(50)).cloned().collect()
        };
        cases.set_exhibits(case, ids)?;
    }

    // Served documents (16 KiB each) and one hearing per docketed case, as the court's feed
    // keeps them.
    for i in 0..size.served {
        // To docketed cases only (the others have no court case number yet).
        let case = match i % size.cases {
            c if c % 10 == 9 => c - 1,
            c => c,
        };
        let blob_id = format!("served-{i}");
        let info = vault.write_blob(&blob_id, &mut Content { pool: &pool, at: 0, left: 16 << 10 })?;
        let sent = now - time::Duration::days(i64::try_from(i % 700)?);
        let copy = ServedCopy {
            document: ServedDocument {
                id: format!("svc-{i}"),
                case_id: format!("court-case-{case}"),
                title: "民事裁定书".into(),
                document_kind: "ruling".into(),
                media_type: "application/pdf".into(),
                bytes: info.size,
                sha256: info.sha256,
                sent_at: sent,
                received_at: Some(sent + time::Duration::hours(2)),
            },
            blob_id,
        };
        courtside_sync::records::save(&vault, REPLICA, &format!("served:{:032x}", u128::from(i)), &copy)?;
    }
    for case in (0..size.cases).filter(|i| i % 10 != 9) {
        let hearing = Hearing {
            id: format!("hearing-{case}"),
            case_id: format!("court-case-{case}"),
            title: "庭前会议".into(),
            starts_at: now + time::Duration::days(i64::try_from(case % 90)? - 30),
            duration_minutes: 60,
            platform: "demo".into(),
            questions: Vec::new(),
        };
        courtside_sync::records::save(&vault, REPLICA, &format!("hearing:{:032x}", u128::from(case)), &hearing)?;
    }
    drop((cases, locker));
    drop(vault);
    std::fs::write(dir.join("recipe"), recipe(units))?;
    eprintln!("scale_bench: {units}/16 generated in {:.0?}", started.elapsed());
    Ok(())
}

fn recipe(units: u64) -> String {
    format!("{RECIPE} {units}")
}

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn timed<T>(
    mut f: impl FnMut() -> Result<T, courtside_core::AppError>,
) -> Result<(Duration, T), courtside_core::AppError> {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..RUNS {
        let t = Instant::now();
        last = Some(f()?);
        times.push(t.elapsed());
    }
    Ok((median(times), last.expect("RUNS > 0")))
}

/// Measures one vault in this process and prints `name value` lines.
fn measure(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let mut config = AppConfig::new(
            data_dir(dir),
            CourtChoice::Configured(CourtUrl::parse("https://court.invalid").map_err(|e| e.to_string())?),
        );
        config.background_sync = false;
        let exports = dir.join("exports");
        let _ = std::fs::remove_dir_all(&exports);
        config.exports_dir = Some(exports.clone());
        // The vault alone (key derivation and its revision index), to tell its share of
        // the unlock from the app's (drafts, first screen).
        let vault_dir = courtside_core::config::vault_dir(&data_dir(dir));
        let t = Instant::now();
        drop(courtside_vault::Vault::unlock(&vault_dir, PASSPHRASE)?);
        println!("vault_open_ms {}", t.elapsed().as_secs_f64() * 1e3);
        let app = App::start(config).await?;
        let started = Instant::now();
        app.unlock_vault(PASSPHRASE.into()).await?;
        let unlocked = started.elapsed();
        let agenda = app.agenda()?;
        let first_screen = started.elapsed();
        println!("unlock_ms {}", unlocked.as_secs_f64() * 1e3);
        println!("first_screen_ms {}", first_screen.as_secs_f64() * 1e3);
        println!("rss_first_screen_kib {}", rss_kib("VmRSS:"));
        println!("agenda_items {}", agenda.items.len());

        let (t, cases) = timed(|| app.list_cases())?;
        println!("case_list_ms {}", t.as_secs_f64() * 1e3);
        println!("cases {}", cases.len());
        let (t, exhibits) = timed(|| app.list_exhibits())?;
        println!("locker_ms {}", t.as_secs_f64() * 1e3);
        println!("exhibits {}", exhibits.len());
        let number = |title: &str| title.strip_prefix("张三")?.split('诉').next()?.parse::<u64>().ok();
        if let Some(first) = cases.iter().filter(|c| number(&c.title).is_some()).min_by_key(|c| number(&c.title)) {
            // What the case page asks for: the case, which brings its own exhibits.
            let (t, case) = timed(|| app.get_case(&first.id))?;
            let own = &case.exhibits;
            println!("case_page_ms {}", t.as_secs_f64() * 1e3);
            println!("case_page_exhibits {}", own.len());
            let ids: Vec<String> = own.iter().map(|e| e.id.clone()).collect();
            let bytes: u64 = own.iter().map(|e| e.size).sum();
            if !ids.is_empty() {
                let t = Instant::now();
                app.export_evidence_bag(&ids)?;
                println!("export_ms {}", t.elapsed().as_secs_f64() * 1e3);
                println!("export_bytes {bytes}");
            }
        }
        let (t, hits) = timed(|| app.search_drafts("王五"))?;
        println!("search_ms {}", t.as_secs_f64() * 1e3);
        println!("search_hits {}", hits.len());
        let (t, _) = timed(|| app.agenda())?;
        println!("home_ms {}", t.as_secs_f64() * 1e3);
        let t = Instant::now();
        let verification = app.verify_evidence()?;
        let verify = t.elapsed();
        let bytes: u64 = exhibits.iter().map(|e| e.size).sum();
        println!("verify_ms {}", verify.as_secs_f64() * 1e3);
        println!("verify_bytes {bytes}");
        println!("verify_problems {}", verification.problems.len());
        println!("rss_kib {}", rss_kib("VmRSS:"));
        println!("peak_rss_kib {}", rss_kib("VmHWM:"));
        let backup = dir.join("backup");
        let _ = std::fs::remove_dir_all(&backup);
        std::fs::create_dir_all(&backup)?;
        let t = Instant::now();
        app.back_up(&backup)?;
        println!("backup_ms {}", t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        app.back_up(&backup)?;
        println!("backup_again_ms {}", t.elapsed().as_secs_f64() * 1e3);
        let _ = std::fs::remove_dir_all(&backup);
        let _ = std::fs::remove_dir_all(&exports);
        app.shutdown().await;
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}

/// The figures of one vault, by name.
type Figures = std::collections::BTreeMap<String, f64>;

fn measured(dir: &Path) -> Result<Figures, Box<dyn std::error::Error>> {
    let out = Command::new(std::env::current_exe()?)
        .arg("measure")
        .arg(dir)
        .stderr(std::process::Stdio::inherit())
        .output()?;
    if !out.status.success() {
        return Err(format!("measuring {} failed ({})", dir.display(), out.status).into());
    }
    Ok(String::from_utf8(out.stdout)?
        .lines()
        .filter_map(|l| l.split_once(' ').and_then(|(k, v)| Some((k.to_owned(), v.parse().ok()?))))
        .collect())
}

fn run(work: &Path) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(work)?;
    let mut figures = Vec::new();
    for units in [0, 1, 4, FULL] {
        let dir = work.join(format!("units-{units}"));
        if std::fs::read_to_string(dir.join("recipe")).ok().as_deref() != Some(recipe(units).as_str()) {
            let status =
                Command::new(std::env::current_exe()?).arg("generate").arg(&dir).arg(units.to_string()).status()?;
            if !status.success() {
                return Err(format!("generating {units}/16 failed ({status})").into());
            }
        } else {
            eprintln!("scale_bench: {units}/16: the vault of an earlier run ({})", dir.display());
        }
        figures.push((units, measured(&dir)?));
    }
    let [(_, empty), (_, one), (_, four), (_, full)] = figures.as_slice() else { unreachable!() };
    let get = |f: &Figures, k: &str| f.get(k).copied().unwrap_or(f64::NAN);
    let size = |f: &Figures| {
        format!(
            "{} cases, {} exhibits, {:.2} GiB",
            get(f, "cases"),
            get(f, "exhibits"),
            get(f, "verify_bytes") / f64::from(1u32 << 30)
        )
    };
    println!("| scale figure | 1× ({}) | 4× | 16× ({}) | growth 16×/1× | target at 16× |", size(one), size(full));
    println!("|---|---|---|---|---|---|");
    let growth = |a: f64, b: f64| {
        let r = b / a;
        // 16^k = r: 1 is linear, 0 is flat.
        format!("{r:.1}× (n^{:.2})", r.ln() / 16f64.ln())
    };
    let ms_row = |name: &str, key: &str, target: &str| {
        let (a, b, c) = (get(one, key), get(four, key), get(full, key));
        println!("| {name} | {a:.1} ms | {b:.1} ms | {c:.1} ms | {} | {target} |", growth(a, c));
    };
    ms_row("unlock to the first screen (home view)", "first_screen_ms", "≤ 1,500 ms");
    ms_row("case list", "case_list_ms", "≤ 100 ms");
    ms_row(&format!("case page with {CASE_PAGE_EXHIBITS} exhibits"), "case_page_ms", "-");
    ms_row("evidence locker (every exhibit)", "locker_ms", "-");
    ms_row("search across the drafts", "search_ms", "≤ 200 ms");
    ms_row("home (today) view", "home_ms", "-");
    let rate = |f: &Figures, bytes: &str, ms: &str| get(f, bytes) / 1e6 / (get(f, ms) / 1e3);
    let rate_row = |name: &str, bytes: &str, ms: &str, target: &str| {
        let (a, b, c) = (rate(one, bytes, ms), rate(four, bytes, ms), rate(full, bytes, ms));
        println!("| {name} | {a:.0} MB/s | {b:.0} MB/s | {c:.0} MB/s | {:.2}× | {target} |", c / a);
    };
    rate_row("verify every exhibit", "verify_bytes", "verify_ms", "≥ 300 MB/s");
    rate_row(&format!("evidence export of one case ({CASE_PAGE_EXHIBITS} exhibits)"), "export_bytes", "export_ms", "-");
    ms_row("backup, first", "backup_ms", "-");
    ms_row("backup, again with nothing changed", "backup_again_ms", "-");
    let mem = |f: &Figures, k: &str| get(f, k) / 1024.0;
    println!(
        "| app memory after the first screen (empty vault: {:.1} MiB) | {:.1} MiB | {:.1} MiB | {:.1} MiB | {:.2}× the empty vault's | ≤ 1.5× |",
        mem(empty, "rss_first_screen_kib"),
        mem(one, "rss_first_screen_kib"),
        mem(four, "rss_first_screen_kib"),
        mem(full, "rss_first_screen_kib"),
        get(full, "rss_first_screen_kib") / get(empty, "rss_first_screen_kib")
    );
    println!(
        "| app memory after verify (empty vault: {:.1} MiB), peak | {:.1} MiB | {:.1} MiB | {:.1} MiB | {:.2}× the empty vault's | - |",
        mem(empty, "peak_rss_kib"),
        mem(one, "peak_rss_kib"),
        mem(four, "peak_rss_kib"),
        mem(full, "peak_rss_kib"),
        get(full, "peak_rss_kib") / get(empty, "peak_rss_kib")
    );
    for (units, f) in &figures {
        if get(f, "verify_problems") != 0.0 {
            return Err(format!("verify found problems in the {units}/16 vault").into());
        }
    }
    Ok(())
}
