//! The sync engine's figures for `cargo xtask bench` (run in release against a
//! `courtside court serve` process): 1 GiB tus upload against `curl -T` of the same file to
//! a plain upload endpoint of the same server, bytes sent again after a cut at ~50 %, and
//! draining 10,000 queued small filings (items/s, peak memory). Prints markdown table rows.
//!
//! Usage: `sync_bench WORK_DIR COURT_URL CLERK_TOKEN`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_precision_loss, reason = "a benchmark")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use courtside_court_api::auth::Pkce;
use courtside_court_api::filing::{CaseTarget, DocumentRole};
use courtside_sync::account::{Session, complete_sign_in};
use courtside_sync::outbox::{self, DocumentSource, DraftDocument, Drain, FilingDraft};
use courtside_sync::retry::RetryPolicy;
use courtside_sync::tus::{DEFAULT_CHUNK, Endpoint, TusClient};

const MIB: u64 = 1024 * 1024;
const BIG: u64 = 1024 * MIB;
const CUT_FILE: u64 = 256 * MIB;
const ACTIONS: usize = 10_000;
/// Turns of the 1 GiB comparison; medians are reported.
const TURNS: usize = 3;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (work, base, clerk) =
        (std::path::PathBuf::from(args.next().unwrap()), args.next().unwrap(), args.next().unwrap());
    let base = base.trim_end_matches('/').to_owned();
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    let only = std::env::var("COURTSIDE_BENCH_ONLY").unwrap_or_default();
    if only != "drain" {
        uploads(&http, &base, &clerk, &work).await;
    }
    if only == "upload" {
        return;
    }
    drain(&http, &base, &clerk, &work).await;
    let _ = std::fs::remove_dir_all(&work);
}

/// The 1 GiB comparison and the cut at half of 256 MiB.
async fn uploads(http: &reqwest::Client, base: &str, clerk: &str, work: &std::path::Path) {
    // 1 GiB: curl -T, then the tus client with and without per-chunk checksums, in turns,
    // three times; the medians are compared (a shared two-core machine has outliers either
    // way). Each upload is removed before the next turn, so every turn writes alike.
    let big = work.join("big.bin");
    let digest = write_pattern(&big, BIG);
    let (mut curls, mut tuses, mut plains, mut tus_cpu) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let tokens = login(http, base).await;
    let ep = Endpoint::new(&format!("{base}/v1/uploads"), Some(tokens["access_token"].as_str().unwrap().to_owned()))
        .unwrap();
    let chunk = std::env::var("COURTSIDE_BENCH_CHUNK_MIB")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(DEFAULT_CHUNK, |m| m * MIB);
    let client = TusClient::new(chunk, RetryPolicy::default()).unwrap();
    let checksum = client.capabilities(&ep).await.checksum.expect("the court offers per-chunk checksums");
    let mut stored_sha256 = None;
    let terminate = |report: courtside_sync::tus::UploadReport| {
        let (http, token) = (http.clone(), tokens["access_token"].as_str().unwrap().to_owned());
        async move {
            let gone = http
                .delete(report.upload_url.clone())
                .bearer_auth(token)
                .header("Tus-Resumable", "1.0.0")
                .send()
                .await
                .unwrap();
            assert_eq!(gone.status(), 204);
        }
    };
    let mut curl_cpu = Vec::new();
    // Every contender starts with the disk quiet: what the one before left to write (or
    // delete) is written first.
    let settle = || {
        let _ = std::process::Command::new("sync").status();
    };
    for turn in 0..TURNS {
        settle();
        let t = Instant::now();
        let cpu = cpu_seconds();
        let out = std::process::Command::new("curl")
            .args([
                "-sS",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "-H",
                &format!("Authorization: Bearer {clerk}"),
                "-T",
            ])
            .arg(&big)
            .arg(format!("{base}/clerk/v1/plain-uploads/bench{turn}"))
            .output()
            .expect("curl");
        curls.push(t.elapsed());
        let used = cpu_seconds();
        curl_cpu.push(Duration::from_secs_f64(used.2 - cpu.2 + used.1 - cpu.1));
        assert_eq!(String::from_utf8_lossy(&out.stdout), "201", "curl: {}", String::from_utf8_lossy(&out.stderr));
        settle();
        let t = Instant::now();
        let cpu = cpu_seconds();
        let report = client.upload_known(&ep, &big, &digest, None, &mut |_| {}).await.unwrap();
        tuses.push(t.elapsed());
        let used = cpu_seconds();
        eprintln!(
            "sync_bench: turn {turn}: curl {:.2} s, tus {:.2} s (CPU s: client {:.2}, court {:.2})",
            curls[turn].as_secs_f64(),
            tuses[turn].as_secs_f64(),
            used.0 - cpu.0,
            used.1 - cpu.1
        );
        tus_cpu.push(Duration::from_secs_f64(used.0 - cpu.0 + used.1 - cpu.1));
        assert_eq!(report.bytes, BIG);
        // The court's own digest of what it stored, computed once as the bytes arrived.
        let stored = court_sha256(http, base, clerk, &report).await;
        assert_eq!(stored, courtside_court_api::encoding::hex(&digest), "the court stored other bytes");
        stored_sha256 = Some(stored);
        terminate(report).await;
        settle();
        let t = Instant::now();
        let report =
            client.clone().without_checksums().upload_known(&ep, &big, &digest, None, &mut |_| {}).await.unwrap();
        plains.push(t.elapsed());
        terminate(report).await;
    }
    let (tus_median, curl_median, plain_median) = (median(tuses), median(curls), median(plains));
    let rate = |d: Duration| BIG as f64 / MIB as f64 / d.as_secs_f64();
    println!(
        "| resumable upload of 1 GiB to the reference court over 127.0.0.1 ({} MiB chunks, per-chunk {}, median of {TURNS} turns) | {:.0} MiB/s ({:.2} s) | curl -T to a plain endpoint: {:.0} MiB/s ({:.2} s) | {:.2}x | >= 0.8x |",
        chunk / MIB,
        checksum.name(),
        rate(tus_median),
        tus_median.as_secs_f64(),
        rate(curl_median),
        curl_median.as_secs_f64(),
        rate(tus_median) / rate(curl_median)
    );
    println!(
        "| the same without per-chunk checksums (the court still verifies the whole file's SHA-256) | {:.0} MiB/s ({:.2} s) | curl -T: {:.0} MiB/s | {:.2}x | - |",
        rate(plain_median),
        plain_median.as_secs_f64(),
        rate(curl_median),
        rate(plain_median) / rate(curl_median)
    );
    if std::env::var("COURTSIDE_BENCH_COURT_PID").is_ok() {
        let (tus, curl) = (median(tus_cpu), median(curl_cpu));
        println!(
            "| CPU time of client and court for the 1 GiB upload with per-chunk {} (median) | {:.2} s | curl -T and the plain endpoint: {:.2} s | {:.2}x | report |",
            checksum.name(),
            tus.as_secs_f64(),
            curl.as_secs_f64(),
            tus.as_secs_f64() / curl.as_secs_f64()
        );
    }
    println!(
        "| SHA-256 of the file the court stored, against the local one | {} | {} | equal | equal |",
        stored_sha256.unwrap_or_default(),
        courtside_court_api::encoding::hex(&digest)
    );
    std::fs::remove_file(&big).unwrap();

    // A cut at ~50 % of 256 MiB: what the court received beyond the file's size.
    let cut = work.join("cut.bin");
    let cut_digest = write_pattern(&cut, CUT_FILE);
    let armed = std::sync::atomic::AtomicBool::new(false);
    let (h, b, c) = (http.clone(), base.to_owned(), clerk.to_owned());
    // The cut comes 1 MiB into a chunk, whatever the chunk size.
    let report = client
        .upload_known(&ep, &cut, &cut_digest, None, &mut |p| {
            if p.confirmed >= p.total / 2 && !armed.swap(true, std::sync::atomic::Ordering::SeqCst) {
                let (h, b, c) = (h.clone(), b.clone(), c.clone());
                tokio::spawn(async move {
                    h.put(format!("{b}/clerk/v1/faults"))
                        .bearer_auth(c)
                        .json(&serde_json::json!({"cutUploadAfter": MIB}))
                        .send()
                        .await
                });
            }
        })
        .await
        .unwrap();
    let stats = upload_statistics(http, base, clerk, &report).await;
    let resent = stats["receivedBytes"].as_u64().unwrap() - stats["length"].as_u64().unwrap();
    println!(
        "| bytes sent again after a cut at ~50 % of 256 MiB (court's counter) | {:.2} MiB ({} resume) | chunk {} MiB | {:.2} chunk | <= 1 chunk |",
        resent as f64 / MIB as f64,
        report.resumes,
        chunk / MIB,
        resent as f64 / chunk as f64
    );
    std::fs::remove_file(&cut).unwrap();
}

/// 10,000 queued small filings drained to the court.
async fn drain(http: &reqwest::Client, base: &str, clerk: &str, work: &std::path::Path) {
    // 10,000 small filings into one case.
    let (vault, _) = courtside_vault::Vault::create(
        &work.join("vault"),
        "benchmark passphrase",
        courtside_vault::KdfParams::insecure_for_tests(),
    )
    .unwrap();
    let vault = Arc::new(vault);
    let court_url = url::Url::parse(&format!("{base}/")).unwrap();
    let tokens: courtside_court_api::auth::TokenResponse = serde_json::from_value(login(http, base).await).unwrap();
    let account = complete_sign_in(&vault, &courtside_sync::network::Network::default(), &court_url, &tokens, "bench")
        .await
        .unwrap();
    let case: serde_json::Value = http
        .post(format!("{base}/clerk/v1/cases"))
        .bearer_auth(clerk)
        .json(&serde_json::json!({"caseType": "civil-contract", "title": "bench", "parties": ["zhang.san"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let small = work.join("statement.txt");
    std::fs::write(&small, "补充意见：请求法院依法判决。".repeat(20)).unwrap();
    let queued = Instant::now();
    for i in 0..ACTIONS {
        let draft = FilingDraft {
            court_id: "demo-basic".into(),
            case: CaseTarget::Existing { case_id: case["id"].as_str().unwrap().to_owned() },
            case_type: "civil-contract".into(),
            title: format!("补充意见 {i}"),
            amount_in_controversy_fen: None,
            parties: vec![],
            documents: vec![DraftDocument {
                source: DocumentSource::File { path: small.clone() },
                title: "补充意见".into(),
                role: DocumentRole::Lead,
                kind: None,
                media_type: "text/plain".into(),
            }],
        };
        outbox::enqueue(&vault, &account, draft).unwrap();
    }
    let queue_time = queued.elapsed();
    let mut session = Session::new(vault.clone(), account);
    let small_client = TusClient::new(DEFAULT_CHUNK, RetryPolicy::default()).unwrap();
    let (client_before, court_before, _) = cpu_seconds();
    let started = Instant::now();
    let report = Drain::new(vault.clone(), &mut session, &small_client).unwrap().run(&mut |_, _| {}).await.unwrap();
    let drain = started.elapsed();
    let (client_after, court_after, _) = cpu_seconds();
    assert_eq!(report.receipted, ACTIONS, "{report:?}");
    println!(
        "| drain {ACTIONS} queued small filings (1 file each) to the reference court | {:.0} items/s ({:.1} s; queueing took {:.1} s) | peak RSS of the client {:.0} MiB | - | report |",
        ACTIONS as f64 / drain.as_secs_f64(),
        drain.as_secs_f64(),
        queue_time.as_secs_f64(),
        peak_rss_mib()
    );
    // CPU time per item is steadier than items/s on a shared machine: it shows the work.
    println!(
        "| CPU time of the drain per item, client + court | {:.2} ms + {:.2} ms | - | - | report |",
        (client_after - client_before) * 1000.0 / ACTIONS as f64,
        (court_after - court_before) * 1000.0 / ACTIONS as f64,
    );
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// CPU seconds used so far by this process, (with `COURTSIDE_BENCH_COURT_PID`) the court's,
/// and this process's finished children's (curl). Linux only; zero elsewhere.
fn cpu_seconds() -> (f64, f64, f64) {
    // Fields after the command's closing parenthesis: utime, stime, cutime, cstime are the
    // 12th to 15th, in clock ticks (100 a second on Linux).
    let of = |pid: &str, first: usize| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| {
                let fields: Vec<&str> = s.rsplit_once(')')?.1.split_whitespace().collect();
                Some((fields.get(first)?.parse::<f64>().ok()? + fields.get(first + 1)?.parse::<f64>().ok()?) / 100.0)
            })
            .unwrap_or(0.0)
    };
    (of("self", 11), std::env::var("COURTSIDE_BENCH_COURT_PID").map_or(0.0, |p| of(&p, 11)), of("self", 13))
}

/// The court's SHA-256 of an upload it holds (the clerk's statistics).
async fn court_sha256(
    http: &reqwest::Client,
    base: &str,
    clerk: &str,
    report: &courtside_sync::tus::UploadReport,
) -> String {
    // The court records the digest before it answers the last chunk.
    let stats = upload_statistics(http, base, clerk, report).await;
    stats["sha256"].as_str().expect("the court's digest of a complete upload").to_owned()
}

/// The clerk's statistics of an upload (length, bytes received, digest).
async fn upload_statistics(
    http: &reqwest::Client,
    base: &str,
    clerk: &str,
    report: &courtside_sync::tus::UploadReport,
) -> serde_json::Value {
    let id = report.upload_url.path_segments().unwrap().next_back().unwrap().to_owned();
    http.get(format!("{base}/clerk/v1/uploads/{id}")).bearer_auth(clerk).send().await.unwrap().json().await.unwrap()
}

fn write_pattern(path: &std::path::Path, len: u64) -> [u8; 32] {
    use std::io::Write;
    let mut file = std::io::BufWriter::with_capacity(8 << 20, std::fs::File::create(path).unwrap());
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut block = vec![0u8; MIB as usize];
    for i in 0..len / MIB {
        for (j, b) in block.iter_mut().enumerate() {
            *b = (j as u64 ^ i.wrapping_mul(0x9e37)) as u8;
        }
        ctx.update(&block);
        file.write_all(&block).unwrap();
    }
    file.flush().unwrap();
    ctx.finish().as_ref().try_into().unwrap()
}

async fn login(http: &reqwest::Client, base: &str) -> serde_json::Value {
    let pkce = Pkce::generate();
    let redirect = "http://127.0.0.1:9/callback";
    let form = [
        ("response_type", "code"),
        ("client_id", courtside_sync::signin::CLIENT_ID),
        ("redirect_uri", redirect),
        ("scope", "openid court"),
        ("state", "s"),
        ("code_challenge", &pkce.challenge()),
        ("code_challenge_method", "S256"),
        ("username", "zhang.san"),
        ("password", "demo-litigant-1"),
    ];
    let answer = http.post(format!("{base}/oauth/authorize")).form(&form).send().await.unwrap();
    let location = url::Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap();
    let code = location.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    http.post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect),
            ("client_id", courtside_sync::signin::CLIENT_ID),
            ("code_verifier", pkce.verifier()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}
