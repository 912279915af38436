//! A hostile court: a server of the test's own (not the reference court) that answers the
//! client's sync with endless and huge bodies, malformed JSON, documents larger than they
//! say or not what their digest says, a feed that says "more" for ever, and a gigabyte in
//! place of a token. Each ends with a clear error (or, for the feed, a bounded pull) in
//! bounded time; a large honest document is sealed as it arrives; what the vault held
//! before is all still there; and the client's peak memory stays under 200 MiB (measured
//! in a child process that runs nothing else).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use courtside_court_api::filing::{Change, ChangeEvent, ChangePage, ServedDocument};
use courtside_sync::SyncError;
use courtside_sync::account::{CourtAccount, Session};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::support::vault;

const CHILD: &str = "COURTSIDE_HOSTILE_CHILD";
/// What the client may use at its peak, all scenarios together.
const PEAK_RSS_LIMIT_KIB: u64 = 200 * 1024;
/// The honest large document, sealed as it arrives.
const LARGE: u64 = 256 << 20;
const GIB: u64 = 1 << 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    MoreForever,
    EndlessFeed,
    Malformed,
    HugeError,
    HugeToken,
    ServedTwoGib,
    ServedLonger,
    ServedWrongDigest,
    ServedLarge,
}

struct Hostile {
    base: String,
    mode: Arc<Mutex<Mode>>,
}

/// 64 KiB of a pattern, repeated: the bodies the server streams (never held whole).
fn piece() -> Vec<u8> {
    (0..64 * 1024).map(|i: u32| u8::try_from(i * 7 % 251).unwrap()).collect()
}

fn large_digest() -> String {
    let piece = piece();
    let mut sha = ring::digest::Context::new(&ring::digest::SHA256);
    for _ in 0..LARGE / piece.len() as u64 {
        sha.update(&piece);
    }
    courtside_court_api::encoding::hex(sha.finish().as_ref())
}

impl Hostile {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/", listener.local_addr().unwrap());
        let mode = Arc::new(Mutex::new(Mode::MoreForever));
        let digest = Arc::new(large_digest());
        let (m, b) = (mode.clone(), base.clone());
        tokio::spawn(async move {
            let page = Arc::new(std::sync::atomic::AtomicU64::new(0));
            loop {
                let Ok((socket, _)) = listener.accept().await else { return };
                let mode = *m.lock().unwrap();
                let (page, digest, base) = (page.clone(), digest.clone(), b.clone());
                tokio::spawn(async move {
                    let _ = answer(socket, mode, &page, &digest, &base).await;
                });
            }
        });
        Self { base, mode }
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }
}

async fn head(socket: &mut TcpStream) -> std::io::Result<String> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 64 * 1024 {
        let n = socket.read(&mut byte).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&byte[..n]);
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

async fn send(socket: &mut TcpStream, status: &str, body: &[u8]) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    socket.write_all(head.as_bytes()).await?;
    socket.write_all(body).await
}

/// Streams `total` bytes of the pattern (until the client stops reading), with a
/// content-length when `declared`, chunked without one.
async fn stream(socket: &mut TcpStream, status: &str, total: u64, declared: Option<u64>) -> std::io::Result<()> {
    let piece = piece();
    let framing = match declared {
        Some(n) => format!("content-length: {n}"),
        None => "transfer-encoding: chunked".to_owned(),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/octet-stream\r\n{framing}\r\nconnection: close\r\n\r\n"
    );
    socket.write_all(head.as_bytes()).await?;
    let mut sent = 0;
    while sent < total {
        let n = usize::try_from((total - sent).min(piece.len() as u64)).unwrap();
        if declared.is_none() {
            socket.write_all(format!("{n:x}\r\n").as_bytes()).await?;
        }
        socket.write_all(&piece[..n]).await?;
        if declared.is_none() {
            socket.write_all(b"\r\n").await?;
        }
        sent += n as u64;
    }
    if declared.is_none() {
        socket.write_all(b"0\r\n\r\n").await?;
    }
    Ok(())
}

fn served_page() -> Vec<u8> {
    let page = ChangePage {
        changes: vec![Change {
            cursor: "c1".into(),
            at: time::OffsetDateTime::now_utc(),
            event: ChangeEvent::DocumentServed {
                service_id: "s1".into(),
                case_id: "k1".into(),
                title: "应诉通知书".into(),
                document_kind: "notice".into(),
            },
        }],
        next_cursor: "c1".into(),
        more: false,
    };
    serde_json::to_vec(&page).unwrap()
}

fn served_document(bytes: u64, sha256: &str) -> Vec<u8> {
    serde_json::to_vec(&ServedDocument {
        id: "s1".into(),
        case_id: "k1".into(),
        title: "应诉通知书".into(),
        document_kind: "notice".into(),
        media_type: "application/pdf".into(),
        bytes,
        sha256: sha256.into(),
        sent_at: time::OffsetDateTime::now_utc(),
        received_at: None,
    })
    .unwrap()
}

async fn answer(
    mut socket: TcpStream,
    mode: Mode,
    page: &std::sync::atomic::AtomicU64,
    digest: &str,
    base: &str,
) -> std::io::Result<()> {
    let head = head(&mut socket).await?;
    let target = head.split(' ').nth(1).unwrap_or("/").to_owned();
    let path = target.split('?').next().unwrap_or("/");
    let _ = base;
    match (mode, path) {
        (Mode::HugeToken, "/oauth/token") => stream(&mut socket, "200 OK", GIB, Some(GIB)).await,
        (Mode::MoreForever, "/v1/changes") => {
            let n = page.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            let body =
                serde_json::to_vec(&ChangePage { changes: vec![], next_cursor: format!("p{n}"), more: true }).unwrap();
            send(&mut socket, "200 OK", &body).await
        }
        (Mode::EndlessFeed, "/v1/changes") => {
            socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")
                .await?;
            socket.write_all(b"d\r\n{\"changes\": [\r\n").await?;
            let spaces = vec![b' '; 64 * 1024];
            loop {
                socket.write_all(format!("{:x}\r\n", spaces.len()).as_bytes()).await?;
                socket.write_all(&spaces).await?;
                socket.write_all(b"\r\n").await?;
            }
        }
        (Mode::Malformed, "/v1/changes") => send(&mut socket, "200 OK", b"{\"changes\": [{\"cursor\": tru").await,
        (Mode::HugeError, "/v1/changes") => stream(&mut socket, "500 Internal Server Error", GIB, Some(GIB)).await,
        (Mode::ServedTwoGib | Mode::ServedLonger | Mode::ServedWrongDigest | Mode::ServedLarge, "/v1/changes") => {
            send(&mut socket, "200 OK", &served_page()).await
        }
        (Mode::ServedTwoGib, "/v1/service/s1") => send(&mut socket, "200 OK", &served_document(2 * GIB, digest)).await,
        (Mode::ServedLonger, "/v1/service/s1") => send(&mut socket, "200 OK", &served_document(1000, digest)).await,
        (Mode::ServedLonger, "/v1/service/s1/content") => stream(&mut socket, "200 OK", 2 * GIB, None).await,
        (Mode::ServedWrongDigest, "/v1/service/s1") => {
            send(&mut socket, "200 OK", &served_document(4 << 20, &"0".repeat(64))).await
        }
        (Mode::ServedWrongDigest, "/v1/service/s1/content") => {
            stream(&mut socket, "200 OK", 4 << 20, Some(4 << 20)).await
        }
        (Mode::ServedLarge, "/v1/service/s1") => send(&mut socket, "200 OK", &served_document(LARGE, digest)).await,
        (Mode::ServedLarge, "/v1/service/s1/content") => stream(&mut socket, "200 OK", LARGE, Some(LARGE)).await,
        (Mode::ServedLarge, "/v1/service/s1/receipt") => {
            let mut document: serde_json::Value = serde_json::from_slice(&served_document(LARGE, digest)).unwrap();
            document["receivedAt"] = serde_json::Value::String("2026-12-01T08:00:00Z".into());
            send(&mut socket, "200 OK", &serde_json::to_vec(&document).unwrap()).await
        }
        _ => send(&mut socket, "404 Not Found", b"{\"status\":404,\"title\":\"Not Found\"}").await,
    }
}

/// Peak resident memory of this process, KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Not a test of its own: the client, in a process of its own (its memory is measured).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_court_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let court = Hostile::start().await;
    let dir = tempfile::tempdir().unwrap();
    let vault = vault(dir.path());
    // What the vault held before: it must all be there afterwards.
    vault.put("drafts", "before", 1, "代理词 第一稿".as_bytes()).unwrap();
    let account = CourtAccount {
        court: court.base.clone(),
        username: "zhang.san".into(),
        name: "张三".into(),
        access_token: "token".into(),
        access_expires_at: i64::MAX / 2,
        refresh_token: "refresh".into(),
        device_id: "d1".into(),
        device_key: String::new(),
        court_keys: Vec::new(),
    };
    let mut session = Session::new(vault.clone(), account.clone());
    let mut outcomes = Vec::new();
    for mode in [
        Mode::MoreForever,
        Mode::EndlessFeed,
        Mode::Malformed,
        Mode::HugeError,
        Mode::ServedTwoGib,
        Mode::ServedLonger,
        Mode::ServedWrongDigest,
        Mode::ServedLarge,
        Mode::HugeToken,
    ] {
        court.set(mode);
        if mode == Mode::HugeToken {
            let mut expired = account.clone();
            expired.access_expires_at = 0;
            session = Session::new(vault.clone(), expired);
        }
        let started = Instant::now();
        let result = tokio::time::timeout(Duration::from_secs(120), courtside_sync::feed::pull(&vault, &mut session))
            .await
            .unwrap_or_else(|_| panic!("{mode:?}: no answer within two minutes"));
        let took = started.elapsed();
        let said = match &result {
            Ok(report) => format!("pulled {} events", report.events),
            Err(e) => e.to_string(),
        };
        println!("hostile: {mode:?} after {:.1} s: {said}", took.as_secs_f64());
        outcomes.push((mode, result.map(|r| r.events)));
    }
    for (mode, outcome) in &outcomes {
        match (mode, outcome) {
            (Mode::MoreForever, Ok(0)) | (Mode::ServedLarge, Ok(1)) => {}
            (Mode::EndlessFeed, Err(SyncError::Protocol(e))) => assert!(e.contains("larger than"), "{e}"),
            (Mode::Malformed, Err(SyncError::Protocol(e))) => assert!(e.contains("line 1 column"), "{e}"),
            (Mode::HugeError, Err(e @ SyncError::Court(_))) => assert!(e.to_string().contains("500"), "{e}"),
            (Mode::ServedTwoGib, Err(SyncError::Protocol(e))) => assert!(e.contains("announces"), "{e}"),
            (Mode::ServedLonger, Err(SyncError::Protocol(e))) => assert!(e.contains("more than the 1000"), "{e}"),
            (Mode::ServedWrongDigest, Err(SyncError::Protocol(e))) => assert!(e.contains("does not match"), "{e}"),
            (Mode::HugeToken, Err(e @ SyncError::NotSignedIn(_))) => {
                assert!(e.to_string().contains("token"), "{e}");
            }
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    // Nothing already stored was lost, the large document is sealed whole, and no copy of a
    // refused one is left.
    assert_eq!(&vault.get("drafts", "before").unwrap().unwrap().plaintext[..], "代理词 第一稿".as_bytes());
    assert!(vault.verify().unwrap().is_empty(), "{:?}", vault.verify());
    let blobs: Vec<String> = std::fs::read_dir(dir.path().join("vault").join(courtside_vault::BLOB_DIR))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(blobs.len(), 1, "only the honest document is kept: {blobs:?}");
    // Sealed whole: a 16-byte header, then every 256 KiB chunk with its 16-byte tag.
    let sealed =
        std::fs::metadata(dir.path().join("vault").join(courtside_vault::BLOB_DIR).join(&blobs[0])).unwrap().len();
    assert_eq!(sealed, 16 + LARGE + 16 * LARGE.div_ceil(256 * 1024).max(1));
    println!("hostile: peak RSS {} KiB", peak_rss_kib());
}

#[test]
fn a_hostile_court_gets_clear_errors_in_bounded_time_and_bounded_memory() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "hostile::hostile_court_child", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}");
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let peak: u64 = stdout
        .lines()
        .find_map(|l| l.split("hostile: peak RSS ").nth(1))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("the child reports its peak memory");
    assert!(peak < PEAK_RSS_LIMIT_KIB, "peak RSS {peak} KiB");
}
