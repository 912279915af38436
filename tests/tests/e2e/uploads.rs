//! The tus client (`courtside-sync`) against the reference court with faults switched on.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use courtside_court_server::{FaultPlan, SizeLimits};
use courtside_sync::retry::RetryPolicy;
use courtside_sync::tus::{Endpoint, Progress, TusClient, TusError};

use super::support::{Court, pattern_file};

const MIB: u64 = 1024 * 1024;

fn fast_retries() -> RetryPolicy {
    RetryPolicy { base: Duration::from_millis(20), cap: Duration::from_secs(2), max_attempts: 8 }
}

#[tokio::test]
async fn a_cut_at_half_of_256_mib_costs_at_most_one_chunk() {
    let court = Court::start(|c| c.size_limits = SizeLimits { file: 512 * MIB, filing: 1024 * MIB }).await;
    let token = court.login("zhang.san", "demo-litigant-1").await;
    let dir = tempfile::tempdir().unwrap();
    let file = pattern_file(dir.path(), "evidence.mp4", (256 * MIB) as usize);
    let chunk = 4 * MIB;
    let client = TusClient::new(chunk, fast_retries()).unwrap();
    let ep = Endpoint::new(&format!("{}/v1/uploads", court.base), Some(token)).unwrap();

    // Once half is confirmed, the next request is cut 1 MiB in.
    let armed = AtomicBool::new(false);
    let faults = court.server.faults().clone();
    let mut progress = |p: Progress| {
        if p.confirmed >= p.total / 2 && !armed.swap(true, Ordering::SeqCst) {
            faults.set(FaultPlan { cut_upload_after: Some(MIB), ..FaultPlan::default() });
        }
    };
    let report = client.upload(&ep, &file, None, &mut progress).await.unwrap();
    assert!(armed.load(Ordering::SeqCst));
    assert_eq!(report.resumes, 1);

    let seen = court.upload_statistics(&report.upload_url).await;
    assert_eq!(seen.offset, 256 * MIB);
    assert_eq!(seen.sha256.as_deref(), Some(report.sha256.as_str()), "the court holds exactly the local bytes");
    let resent = seen.received_bytes - seen.length;
    assert!(resent > 0 && resent <= chunk, "re-sent {resent} bytes, chunk is {chunk}");
    eprintln!("256 MiB upload, cut at 50 %: {resent} bytes sent again (chunk {chunk})");
}

#[tokio::test]
async fn bursts_of_5xx_and_lost_answers_are_ridden_out() {
    let court = Court::start(|_| {}).await;
    let token = court.login("zhang.san", "demo-litigant-1").await;
    let dir = tempfile::tempdir().unwrap();
    let file = pattern_file(dir.path(), "scan.pdf", 3 * MIB as usize + 123);
    let client = TusClient::new(MIB, fast_retries()).unwrap();
    let ep = Endpoint::new(&format!("{}/v1/uploads", court.base), Some(token)).unwrap();

    let faults = court.server.faults().clone();
    let mut step = 0;
    let mut progress = |p: Progress| {
        step += 1;
        match step {
            // After the first chunk: three 503s in a row.
            2 => faults.set(FaultPlan { fail_next: 3, ..FaultPlan::default() }),
            // After the second: the chunk is stored but its answer is lost.
            3 => faults.set(FaultPlan { lose_responses: 1, ..FaultPlan::default() }),
            _ => {}
        }
        assert!(p.confirmed <= p.total);
    };
    let report = client.upload(&ep, &file, None, &mut progress).await.unwrap();
    let seen = court.upload_statistics(&report.upload_url).await;
    assert_eq!(seen.sha256.as_deref(), Some(report.sha256.as_str()));
    assert_eq!(
        seen.received_bytes, seen.length,
        "a lost answer after a stored chunk costs nothing: the offset says so"
    );
    assert!(report.resumes >= 2, "{report:?}");
}

#[tokio::test]
async fn an_upload_interrupted_by_a_restart_of_the_app_resumes_from_the_court() {
    let court = Court::start(|_| {}).await;
    let token = court.login("zhang.san", "demo-litigant-1").await;
    let dir = tempfile::tempdir().unwrap();
    let file = pattern_file(dir.path(), "recording.mp3", 6 * MIB as usize);
    let client = TusClient::new(MIB, fast_retries()).unwrap();
    let ep = Endpoint::new(&format!("{}/v1/uploads", court.base), Some(token)).unwrap();

    // The first run is abandoned (the app quits) once a third is confirmed.
    let url = client.create_upload(&ep, &file).await.unwrap();
    let stop = Arc::new(tokio::sync::Notify::new());
    let (c, e, f, u, s) = (client.clone(), ep.clone(), file.clone(), url.clone(), stop.clone());
    let first = tokio::spawn(async move {
        let mut progress = |p: Progress| {
            if p.confirmed >= p.total / 3 {
                s.notify_one();
            }
        };
        c.upload(&e, &f, Some(u), &mut progress).await
    });
    stop.notified().await;
    first.abort();
    let _ = first.await;

    let before = court.upload_statistics(&url).await;
    assert!(before.offset >= 2 * MIB && before.offset < 6 * MIB, "{before:?}");
    let report = client.upload(&ep, &file, Some(url.clone()), &mut |_| {}).await.unwrap();
    assert_eq!(report.upload_url, url);
    assert!(report.bytes_sent <= 6 * MIB - before.offset, "only what the court lacked was sent: {report:?}");
    let seen = court.upload_statistics(&url).await;
    assert_eq!(seen.sha256.as_deref(), Some(report.sha256.as_str()));
}

#[tokio::test]
async fn refusals_are_final_and_clear() {
    let court = Court::start(|c| c.size_limits = SizeLimits { file: 1000, filing: 2000 }).await;
    let token = court.login("zhang.san", "demo-litigant-1").await;
    let dir = tempfile::tempdir().unwrap();
    let client = TusClient::new(MIB, fast_retries()).unwrap();
    let big = pattern_file(dir.path(), "big.pdf", 5000);
    let ep = Endpoint::new(&format!("{}/v1/uploads", court.base), Some(token)).unwrap();
    match client.upload(&ep, &big, None, &mut |_| {}).await {
        Err(TusError::Refused { status: 413, detail }) => assert!(detail.contains("1000"), "{detail}"),
        other => panic!("expected 413, got {other:?}"),
    }
    let no_token = Endpoint::new(&format!("{}/v1/uploads", court.base), None).unwrap();
    let small = pattern_file(dir.path(), "small.pdf", 10);
    match client.upload(&no_token, &small, None, &mut |_| {}).await {
        Err(TusError::Refused { status: 401, detail }) => assert!(detail.contains("access token"), "{detail}"),
        other => panic!("expected 401, got {other:?}"),
    }
    assert!(matches!(Endpoint::new("http://court.example/v1/uploads", None), Err(TusError::BadEndpoint(_))));
    assert!(matches!(Endpoint::new("https://user:pw@court.example/v1/uploads", None), Err(TusError::BadEndpoint(_))));
    let missing = dir.path().join("missing.pdf");
    assert!(matches!(client.upload(&ep, &missing, None, &mut |_| {}).await, Err(TusError::File { .. })));
    // Once the court stays away, the client gives up with the reason.
    court.server.faults().set(FaultPlan { fail_next: 100, ..FaultPlan::default() });
    match client.upload(&ep, &small, None, &mut |_| {}).await {
        Err(TusError::GaveUp { attempts: 8, last }) => assert!(last.contains("503"), "{last}"),
        other => panic!("expected to give up, got {other:?}"),
    }
}

/// A TCP proxy that flips one bit of the bytes going to the court, `at` bytes into each of
/// the first `damaged` connections, and passes everything else through as it is: the damage
/// a faulty NIC, cable or middlebox does, which TCP's own 16-bit checksum can miss.
async fn bit_flipping_proxy(target: &str, at: u64, damaged: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let upstream = target.trim_start_matches("http://").trim_end_matches('/').to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut connections = 0usize;
        loop {
            let Ok((client, _)) = listener.accept().await else { return };
            let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else { continue };
            connections += 1;
            let flip_at = (connections <= damaged).then_some(at);
            tokio::spawn(async move {
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                let up = async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    let mut seen = 0u64;
                    loop {
                        let n = match client_read.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        if let Some(at) = flip_at
                            && (seen..seen + n as u64).contains(&at)
                        {
                            buf[usize::try_from(at - seen).unwrap()] ^= 0x04;
                        }
                        seen += n as u64;
                        if server_write.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    let _ = server_write.shutdown().await;
                };
                let down = async move {
                    let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
                    let _ = client_write.shutdown().await;
                };
                tokio::join!(up, down);
            });
        }
    });
    base
}

#[tokio::test]
async fn a_chunk_damaged_on_the_way_is_refused_by_its_checksum_and_only_it_is_sent_again() {
    let court = Court::start(|_| {}).await;
    let token = court.login("zhang.san", "demo-litigant-1").await;
    let dir = tempfile::tempdir().unwrap();
    let file = pattern_file(dir.path(), "recording.wav", (8 * MIB) as usize);
    let chunk = 2 * MIB;
    // 1 MiB into the first connection is inside the first chunk's body (the requests before
    // it, OPTIONS and the creation, are a few hundred bytes).
    let proxy = bit_flipping_proxy(&court.base, MIB + 17, 1).await;
    let client = TusClient::new(chunk, fast_retries()).unwrap();
    let ep = Endpoint::new(&format!("{proxy}/v1/uploads"), Some(token.clone())).unwrap();
    assert_eq!(
        client.capabilities(&ep).await.checksum,
        Some(courtside_court_api::tus::ChecksumAlgorithm::Crc32c),
        "the court offers the cheap checksum"
    );
    let report = client.upload(&ep, &file, None, &mut |_| {}).await.unwrap();
    let seen = court.upload_statistics(&report.upload_url).await;
    assert_eq!(seen.sha256.as_deref(), Some(report.sha256.as_str()), "the court holds exactly the local bytes");
    assert_eq!(seen.received_bytes - seen.length, chunk, "the damaged chunk, and only it, was sent again");
    assert_eq!(report.resumes, 1);

    // Without per-chunk checksums the same damage is stored, and only the whole file's
    // digest shows it: the test can tell the difference.
    let proxy = bit_flipping_proxy(&court.base, MIB + 17, 1).await;
    let ep = Endpoint::new(&format!("{proxy}/v1/uploads"), Some(token)).unwrap();
    let report = client.clone().without_checksums().upload(&ep, &file, None, &mut |_| {}).await.unwrap();
    let seen = court.upload_statistics(&report.upload_url).await;
    assert_ne!(seen.sha256.as_deref(), Some(report.sha256.as_str()), "the flipped bit reached the court's disk");
}
