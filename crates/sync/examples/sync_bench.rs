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

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (work, base, clerk) =
        (std::path::PathBuf::from(args.next().unwrap()), args.next().unwrap(), args.next().unwrap());
    let base = base.trim_end_matches('/').to_owned();
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    // 1 GiB: tus client vs curl -T, best of two each.
    let big = work.join("big.bin");
    let digest = write_pattern(&big, BIG);
    let mut curl_best = Duration::MAX;
    let mut tus_best = Duration::MAX;
    let mut plain_best = Duration::MAX;
    let tokens = login(&http, &base).await;
    let ep = Endpoint::new(&format!("{base}/v1/uploads"), Some(tokens["access_token"].as_str().unwrap().to_owned()))
        .unwrap();
    let chunk = std::env::var("COURTSIDE_BENCH_CHUNK_MIB")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(DEFAULT_CHUNK, |m| m * MIB);
    let client = TusClient::new(chunk, RetryPolicy::default()).unwrap();
    for run in 0..2 {
        let t = Instant::now();
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
            .arg(format!("{base}/clerk/v1/plain-uploads/bench{run}"))
            .output()
            .expect("curl");
        curl_best = curl_best.min(t.elapsed());
        assert_eq!(String::from_utf8_lossy(&out.stdout), "201", "curl: {}", String::from_utf8_lossy(&out.stderr));
        let t = Instant::now();
        let report = client.upload_known(&ep, &big, &digest, None, &mut |_| {}).await.unwrap();
        tus_best = tus_best.min(t.elapsed());
        assert_eq!(report.bytes, BIG);
        let t = Instant::now();
        client.clone().without_checksums().upload_known(&ep, &big, &digest, None, &mut |_| {}).await.unwrap();
        plain_best = plain_best.min(t.elapsed());
    }
    let rate = |d: Duration| BIG as f64 / MIB as f64 / d.as_secs_f64();
    println!(
        "| resumable upload of 1 GiB to the reference court over 127.0.0.1 ({} MiB chunks, best of 2) | {:.0} MiB/s ({:.2} s) | curl -T to a plain endpoint: {:.0} MiB/s ({:.2} s) | {:.2}x | >= 0.8x |",
        chunk / MIB,
        rate(tus_best),
        tus_best.as_secs_f64(),
        rate(curl_best),
        curl_best.as_secs_f64(),
        rate(tus_best) / rate(curl_best)
    );
    println!(
        "| the same without per-chunk checksums (the court still verifies the whole file's SHA-256) | {:.0} MiB/s ({:.2} s) | curl -T: {:.0} MiB/s | {:.2}x | - |",
        rate(plain_best),
        plain_best.as_secs_f64(),
        rate(curl_best),
        rate(plain_best) / rate(curl_best)
    );
    std::fs::remove_file(&big).unwrap();

    // A cut at ~50 % of 256 MiB: what the court received beyond the file's size.
    let cut = work.join("cut.bin");
    let cut_digest = write_pattern(&cut, CUT_FILE);
    let armed = std::sync::atomic::AtomicBool::new(false);
    let (h, b, c) = (http.clone(), base.clone(), clerk.clone());
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
    let id = report.upload_url.path_segments().unwrap().next_back().unwrap().to_owned();
    let stats: serde_json::Value = http
        .get(format!("{base}/clerk/v1/uploads/{id}"))
        .bearer_auth(&clerk)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let resent = stats["receivedBytes"].as_u64().unwrap() - stats["length"].as_u64().unwrap();
    println!(
        "| bytes sent again after a cut at ~50 % of 256 MiB (court's counter) | {:.2} MiB ({} resume) | chunk {} MiB | {:.2} chunk | <= 1 chunk |",
        resent as f64 / MIB as f64,
        report.resumes,
        chunk / MIB,
        resent as f64 / chunk as f64
    );
    std::fs::remove_file(&cut).unwrap();

    // 10,000 small filings into one case.
    let (vault, _) = courtside_vault::Vault::create(
        &work.join("vault"),
        "benchmark passphrase",
        courtside_vault::KdfParams::insecure_for_tests(),
    )
    .unwrap();
    let vault = Arc::new(vault);
    let court_url = url::Url::parse(&format!("{base}/")).unwrap();
    let tokens: courtside_court_api::auth::TokenResponse = serde_json::from_value(login(&http, &base).await).unwrap();
    let account = complete_sign_in(&vault, &courtside_sync::network::Network::default(), &court_url, &tokens, "bench")
        .await
        .unwrap();
    let case: serde_json::Value = http
        .post(format!("{base}/clerk/v1/cases"))
        .bearer_auth(&clerk)
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
    let started = Instant::now();
    let report = Drain::new(vault.clone(), &mut session, &small_client).unwrap().run(&mut |_, _| {}).await.unwrap();
    let drain = started.elapsed();
    assert_eq!(report.receipted, ACTIONS, "{report:?}");
    println!(
        "| drain {ACTIONS} queued small filings (1 file each) to the reference court | {:.0} items/s ({:.1} s; queueing took {:.1} s) | peak RSS of the client {:.0} MiB | - | report |",
        ACTIONS as f64 / drain.as_secs_f64(),
        drain.as_secs_f64(),
        queue_time.as_secs_f64(),
        peak_rss_mib()
    );
    let _ = std::fs::remove_dir_all(&work);
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
