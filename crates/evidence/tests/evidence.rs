//! Evidence on a real vault: capture, custody, tampering found by name, bags that outside
//! tools accept (OpenSSL checks the device signatures).
#![allow(clippy::unwrap_used, reason = "tests fail loudly by design")]

use std::sync::Arc;

use courtside_evidence::custody::{self, Event, LOG, SignedEntry};
use courtside_evidence::{Capture, Locker, Source};
use courtside_vault::{KdfParams, Vault};

fn locker() -> (tempfile::TempDir, Arc<Vault>, Locker) {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) =
        Vault::create(&dir.path().join("vault"), "correct horse battery", KdfParams::insecure_for_tests()).unwrap();
    let vault = Arc::new(vault);
    let locker = Locker::open(vault.clone()).unwrap();
    (dir, vault, locker)
}

fn capture(locker: &Locker, dir: &std::path::Path, name: &str, content: &[u8]) -> courtside_evidence::Exhibit {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    locker.capture_file(&path, &Capture { title: None, proves: "双方存在买卖合同关系".into(), source: None }).unwrap()
}

fn pdf(pages: usize) -> Vec<u8> {
    let mut s = String::from("%PDF-1.4\n1 0 obj <</Type /Pages /Count 0>> endobj\n");
    for i in 0..pages {
        s.push_str(&format!("{} 0 obj <</Type /Page /Parent 1 0 R>> endobj\n", i + 2));
    }
    s.push_str("%%EOF\n");
    s.into_bytes()
}

#[test]
fn a_capture_is_hashed_sealed_numbered_and_logged() {
    let (dir, _vault, locker) = locker();
    let content = pdf(3);
    let e = capture(&locker, dir.path(), "购销合同.pdf", &content);
    assert_eq!(e.number, 1);
    assert_eq!(e.sha256, courtside_court_api::encoding::sha256_hex(&content));
    assert_eq!((e.media_type.as_str(), e.pages), ("application/pdf", Some(3)));
    assert_eq!(e.original_name, "购销合同.pdf");
    let second = capture(&locker, dir.path(), "photo.jpg", b"\xFF\xD8\xFF\xE0 not really a photo");
    assert_eq!((second.number, second.media_type.as_str(), second.pages), (2, "image/jpeg", None));
    locker.describe(&e.id, "购销合同", "双方签订合同").unwrap();
    let log = locker.custody(Some(&e.id)).unwrap();
    assert!(matches!(&log[0].event, Event::Captured { sha256, .. } if sha256 == &e.sha256));
    assert!(matches!(&log[1].event, Event::Described { title, .. } if title == "购销合同"));
    let v = locker.verify(None).unwrap();
    assert!(v.problems.is_empty(), "{v:?}");
    assert_eq!((v.exhibits_checked, v.entries_checked), (2, 3));
    let mut out = Vec::new();
    locker.read_original(&e.id, &mut out).unwrap();
    assert_eq!(out, content);
    // A missing file is refused with its name, and nothing is stored.
    assert!(locker.capture_file(&dir.path().join("missing.pdf"), &Capture::default()).is_err());
    assert_eq!(locker.exhibits().unwrap().len(), 2);
}

/// Exhibits captured by the previous version hold their source as text (`url:a -> b`, …),
/// in the record and in the signed `captured` entry: they read as the typed source and
/// still verify (the signed bytes are kept as they were).
#[test]
fn an_exhibit_whose_source_the_previous_version_wrote_as_text_reads_and_verifies() {
    let (dir, vault, locker) = locker();
    let web = capture(&locker, dir.path(), "page.warc.gz", b"WARC/1.1 pretend");
    let text = "url:http://shop.example/ -> https://shop.example/order/42";
    // The record as the previous version wrote it.
    let record = vault.get("exhibits", &web.id).unwrap().unwrap();
    let mut json: serde_json::Value = serde_json::from_slice(&record.plaintext).unwrap();
    json["source"] = serde_json::Value::String(text.into());
    vault.put("exhibits", &web.id, 1, &serde_json::to_vec(&json).unwrap()).unwrap();

    let read = locker.exhibits().unwrap();
    let hops = vec!["http://shop.example/".to_owned(), "https://shop.example/order/42".to_owned()];
    assert_eq!(read[0].source, Source::Web { hops: hops.clone() });
    assert_eq!(read[0].source.final_url(), Some("https://shop.example/order/42"));
    // A `captured` entry in the previous version's words parses to the same source.
    let old_entry = r#"{"event":"captured","sha256":"00","size":1,"mediaType":"text/plain","originalName":"a","source":"url:http://shop.example/ -> https://shop.example/order/42"}"#;
    let Event::Captured { source, .. } = serde_json::from_str::<Event>(old_entry).unwrap() else { unreachable!() };
    assert_eq!(source, Source::Web { hops });
    assert!(locker.verify(None).unwrap().problems.is_empty(), "the old-shaped record still verifies");
}

#[test]
fn tampering_with_a_blob_an_entry_or_a_signature_is_named() {
    let (dir, vault, locker) = locker();
    let a = capture(&locker, dir.path(), "a.txt", "证据一".as_bytes());
    let b = capture(&locker, dir.path(), "b.txt", "证据二".as_bytes());

    // One byte of b's sealed original.
    let blob = vault.blob_path(&b.blob_id);
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[20] ^= 1;
    std::fs::write(&blob, &bytes).unwrap();
    let v = locker.verify(None).unwrap();
    assert_eq!(v.problems.len(), 1, "{v:?}");
    assert_eq!((v.problems[0].exhibit.as_deref(), v.problems[0].number), (Some(b.id.as_str()), Some(2)));
    assert!(v.problems[0].reason.contains("damaged"), "{v:?}");
    bytes[20] ^= 1;
    std::fs::write(&blob, &bytes).unwrap();
    assert!(locker.verify(None).unwrap().problems.is_empty());

    // A log entry rewritten by someone holding the vault key (the seal cannot tell): the
    // signature gives it away, and names entry 1 and exhibit a.
    let first = vault.get(LOG, "000000000001").unwrap().unwrap();
    let stored: SignedEntry = serde_json::from_slice(&first.plaintext).unwrap();
    let forged = SignedEntry { signed: stored.signed.replace(&a.sha256, &"0".repeat(64)), ..stored.clone() };
    vault.put(LOG, "000000000001", 1, &serde_json::to_vec(&forged).unwrap()).unwrap();
    let v = locker.verify(None).unwrap();
    let p = &v.problems[0];
    assert_eq!((p.entry, p.exhibit.as_deref(), p.number), (Some(1), Some(a.id.as_str()), Some(1)), "{v:?}");
    assert!(p.reason.contains("signature"));

    // A signature replaced by another entry's: still caught.
    let second: SignedEntry =
        serde_json::from_slice(&vault.get(LOG, "000000000002").unwrap().unwrap().plaintext).unwrap();
    let swapped = SignedEntry { signature: second.signature.clone(), ..stored.clone() };
    vault.put(LOG, "000000000001", 1, &serde_json::to_vec(&swapped).unwrap()).unwrap();
    assert_eq!(locker.verify(None).unwrap().problems[0].entry, Some(1));

    // Restored: intact again; an entry re-signed elsewhere breaks the chain after it.
    vault.put(LOG, "000000000001", 1, &serde_json::to_vec(&stored).unwrap()).unwrap();
    assert!(locker.verify(None).unwrap().problems.is_empty());
    assert!(
        custody::first_break(&[second], locker.device().public_key(), None).is_some(),
        "entry 2 alone is out of place"
    );
}

#[test]
fn a_bag_holds_the_originals_the_log_and_signatures_that_openssl_verifies() {
    let (dir, _vault, locker) = locker();
    let e = capture(&locker, dir.path(), "合同 扫描件.pdf", &pdf(2));
    capture(&locker, dir.path(), "chat.txt", "微信聊天记录".as_bytes());
    let bag = locker.export_bagit(&[], &dir.path().join("out")).unwrap();
    let manifest = std::fs::read_to_string(bag.join("manifest-sha256.txt")).unwrap();
    assert!(manifest.contains(&format!("{}  data/exhibits/001-合同_扫描件.pdf", e.sha256)), "{manifest}");
    assert!(std::fs::read_to_string(bag.join("bagit.txt")).unwrap().starts_with("BagIt-Version: 1.0\n"));
    assert!(std::fs::read_to_string(bag.join("bag-info.txt")).unwrap().contains("Payload-Oxum: "));
    // The export itself is logged.
    assert!(matches!(locker.custody(Some(&e.id)).unwrap().last().unwrap().event, Event::Exported { .. }));

    let key = bag.join("data/custody/device-public-key.pem");
    let entries = bag.join("data/custody/entries");
    let mut verified = 0;
    for seq in 1..=2 {
        let status = std::process::Command::new("openssl")
            .args(["pkeyutl", "-verify", "-pubin", "-inkey"])
            .arg(&key)
            .arg("-rawin")
            .arg("-in")
            .arg(entries.join(format!("{seq:06}.json")))
            .arg("-sigfile")
            .arg(entries.join(format!("{seq:06}.sig")))
            .output()
            .expect("openssl must be installed");
        assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stdout));
        verified += 1;
    }
    assert_eq!(verified, 2);
    // A changed entry fails OpenSSL's check too.
    let path = entries.join("000001.json");
    let text = std::fs::read_to_string(&path).unwrap().replace("file", "fake");
    std::fs::write(&path, text).unwrap();
    let out = std::process::Command::new("openssl")
        .args(["pkeyutl", "-verify", "-pubin", "-inkey"])
        .arg(&key)
        .args(["-rawin", "-in"])
        .arg(&path)
        .arg("-sigfile")
        .arg(entries.join("000001.sig"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    // Exporting to an existing bag name is refused; nothing half-written stays.
    assert!(locker.export_bagit(&["no-such-id".into()], &dir.path().join("out")).is_err());
}

#[test]
fn a_file_written_in_steps_into_the_watched_folder_is_captured_once_and_complete() {
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    let (dir, _vault, locker) = locker();
    let locker = Arc::new(locker);
    let inbox_dir = dir.path().join("inbox");
    let inbox = courtside_evidence::inbox::Inbox::new(&inbox_dir, Duration::from_millis(1000)).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (locker, stop) = (locker.clone(), stop.clone());
        std::thread::spawn(move || {
            courtside_evidence::inbox::run(inbox, &stop, |path| {
                locker
                    .capture_file(path, &Capture { source: Some(Source::WatchedFolder), ..Capture::default() })
                    .map(|_| ())
            })
        })
    };
    // A scanner writes a PDF in six pieces, a quarter of a second apart.
    let mut whole = Vec::new();
    let path = inbox_dir.join("扫描件.pdf");
    let mut file = std::fs::File::create(&path).unwrap();
    for i in 0..6 {
        let piece: Vec<u8> = if i == 0 { b"%PDF-1.4\n".to_vec() } else { vec![b'a' + i as u8; 50_000] };
        file.write_all(&piece).unwrap();
        file.flush().unwrap();
        whole.extend_from_slice(&piece);
        std::thread::sleep(Duration::from_millis(250));
    }
    drop(file);
    for _ in 0..100 {
        if !locker.exhibits().unwrap().is_empty() && !path.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(1500));
    stop.store(true, Ordering::SeqCst);
    watcher.join().unwrap().unwrap();
    let captured = locker.exhibits().unwrap();
    assert_eq!(captured.len(), 1, "captured once: {captured:#?}");
    assert_eq!(captured[0].size, whole.len() as u64, "complete, not half-written");
    assert_eq!(captured[0].sha256, courtside_court_api::encoding::sha256_hex(&whole));
    assert_eq!(captured[0].source, Source::WatchedFolder);
    assert!(inbox_dir.join("captured/扫描件.pdf").exists(), "moved aside once captured");
}

#[tokio::test]
async fn timestamps_from_the_courts_tsa_travel_in_the_bag_and_verify_with_openssl() {
    let (dir, _vault, locker) = locker();
    let court = courtside_court_server::start(courtside_court_server::CourtConfig::local(dir.path().join("court")))
        .await
        .unwrap();
    let court_url = url::Url::parse(&court.base_url()).unwrap();
    let a = capture(&locker, dir.path(), "合同.pdf", &pdf(1));
    let b = capture(&locker, dir.path(), "chat.txt", "聊天记录".as_bytes());
    let client =
        courtside_court_api::CourtClient::new(courtside_court_api::CourtUrl::parse(court_url.as_str()).unwrap())
            .unwrap();
    let stamps = locker.timestamp(&client).await.unwrap();
    assert_eq!(stamps.len(), 3, "two exhibits and the custody head");
    assert!(locker.timestamp(&client).await.unwrap().is_empty(), "nothing new: nothing stamped again");
    assert!(matches!(locker.custody(Some(&a.id)).unwrap().last().unwrap().event, Event::Timestamped { .. }));
    assert_eq!(locker.unstamped().unwrap(), 0);
    capture(&locker, dir.path(), "later.txt", b"later");
    assert_eq!(locker.unstamped().unwrap(), 1);
    let later = locker.timestamp(&client).await.unwrap();
    assert_eq!(later.len(), 2, "the new exhibit and the head as it now stands");
    assert!(locker.check_stamps().unwrap().is_empty(), "every kept token verifies");
    assert!(locker.verify(None).unwrap().problems.is_empty());

    let bag = locker.export_bagit(&[], &dir.path().join("out")).unwrap();
    let ts = bag.join("data/timestamps");
    let ca = ts.join("tsa-certificate-1.pem");
    for (n, e) in [(1, &a), (2, &b)] {
        let out = std::process::Command::new("openssl")
            .args(["ts", "-verify", "-token_in", "-in"])
            .arg(ts.join(format!("{n:03}.tsr")))
            .args(["-digest", &e.sha256, "-CAfile"])
            .arg(&ca)
            .output()
            .expect("openssl must be installed");
        assert!(
            out.status.success(),
            "exhibit {n}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // A token does not verify for another exhibit's digest.
    let out = std::process::Command::new("openssl")
        .args(["ts", "-verify", "-token_in", "-in"])
        .arg(ts.join("001.tsr"))
        .args(["-digest", &b.sha256, "-CAfile"])
        .arg(&ca)
        .output()
        .unwrap();
    assert!(!out.status.success());
    court.stop().await.unwrap();
}

#[test]
fn captures_side_by_side_get_their_own_numbers_and_one_unbroken_chain() {
    let (_dir, _vault, locker) = locker();
    let numbers: Vec<u32> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..8)
            .map(|i| {
                let locker = &locker;
                s.spawn(move || {
                    let content = vec![u8::try_from(i).unwrap(); 300_000 + i * 1000];
                    let e = locker.capture(&format!("photo-{i}.jpg"), &mut &content[..], &Capture::default()).unwrap();
                    locker.describe(&e.id, &format!("照片 {i}"), "现场状况").unwrap();
                    e.number
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let mut sorted = numbers.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (1..=8).collect::<Vec<_>>(), "numbers {numbers:?}");
    let report = locker.verify(None).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.entries_checked, 16);
}

/// Two lockers of one vault (the app's and a second one opened beside it, as the
/// time-stamping run once did): their appends are chained in the vault's unit of work, so
/// no entry is lost, no number is shared and `verify` stays clean.
#[test]
fn two_lockers_of_one_vault_appending_side_by_side_lose_no_entry() {
    let (_dir, vault, first) = locker();
    let second = Locker::open(vault.clone()).unwrap();
    let numbers: Vec<u32> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..8)
            .map(|i| {
                let locker = if i % 2 == 0 { &first } else { &second };
                s.spawn(move || {
                    let content = vec![u8::try_from(i).unwrap(); 50_000 + i * 1000];
                    let e = locker.capture(&format!("scan-{i}.pdf"), &mut &content[..], &Capture::default()).unwrap();
                    for round in 0..5 {
                        locker.describe(&e.id, &format!("扫描件 {i}/{round}"), "借款事实").unwrap();
                        locker.log_event(&e.id, Event::Viewed).unwrap();
                    }
                    e.number
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let mut sorted = numbers.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (1..=8).collect::<Vec<_>>(), "numbers {numbers:?}");
    for locker in [&first, &second] {
        let report = locker.verify(None).unwrap();
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert_eq!(report.entries_checked, 8 * 11);
    }
    assert_eq!(custody::stored_head(&vault).unwrap().0, 88);
}

/// A one-thread HTTP server on 127.0.0.1 answering each request with `answer(path)`;
/// returns its port and how many requests it has seen.
fn serve(answer: fn(&str) -> String) -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            if reader.read_line(&mut first).is_err() {
                continue;
            }
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = first.split(' ').nth(1).unwrap_or("/").to_owned();
            let _ = (&stream).write_all(answer(&path).as_bytes());
        }
    });
    (port, seen)
}

static SECRET_PORT: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);

/// A page that redirects the capture to another service on this computer, to the cloud
/// metadata address, or to `localhost` by name: none is followed, the local service never
/// sees a request, and nothing is captured. A redirect within the site the user typed is
/// still followed.
#[tokio::test]
async fn a_page_cannot_redirect_the_capture_to_this_computer_or_a_private_network() {
    let (secret, asked) = serve(|_| "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nSECRET".into());
    SECRET_PORT.store(secret, std::sync::atomic::Ordering::SeqCst);
    let (page, _) = serve(|path| {
        let port = SECRET_PORT.load(std::sync::atomic::Ordering::SeqCst);
        let to = match path {
            "/to-local" => format!("http://127.0.0.1:{port}/admin"),
            "/to-metadata" => "http://169.254.169.254/latest/meta-data/".to_owned(),
            "/to-localhost" => format!("http://localhost:{port}/admin"),
            "/to-mapped" => format!("http://[::ffff:127.0.0.1]:{port}/admin"),
            "/to-private" => "http://10.0.0.1/".to_owned(),
            "/within" => "/notice".to_owned(),
            _ => {
                let body = "<p>还款通知公告</p>";
                return format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        };
        format!("HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    });
    for path in ["/to-local", "/to-metadata", "/to-localhost", "/to-mapped", "/to-private"] {
        let refused = courtside_evidence::web::capture(&format!("http://127.0.0.1:{page}{path}")).await.unwrap_err();
        let said = refused.to_string();
        assert!(said.contains("not followed"), "{path}: {said}");
    }
    assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 0, "the local service was reached");
    let within = courtside_evidence::web::capture(&format!("http://127.0.0.1:{page}/within")).await.unwrap();
    assert_eq!(within.hops.len(), 2);
    assert!(within.text.contains("还款通知公告"), "{}", within.text);
}

#[test]
fn public_addresses_are_told_from_local_private_and_special_ones() {
    use courtside_evidence::web::is_public;
    for public in ["1.1.1.1", "202.96.128.86", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808"] {
        assert!(is_public(public.parse().unwrap()), "{public}");
    }
    for local in [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "224.0.0.1",
        "198.18.0.1",
        "::1",
        "::",
        "fe80::1",
        "fd00::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a00:1",
        "2001:db8::1",
    ] {
        assert!(!is_public(local.parse().unwrap()), "{local}");
    }
}

proptest::proptest! {
    /// Page objects counted while an exhibit is sealed (the fuzz target `exhibit_contents`, here
    /// on stable as a property): PDF-like text of page and page-tree objects split anywhere.
    #[test]
    fn pages_read_in_pieces_never_count_more_than_read_whole(
        split in 0u8..=255,
        parts in proptest::collection::vec(proptest::sample::select(vec!["/Type", "/Page", "/Pages", " ", "\n", "x", "<<", ">>"]), 0..200),
    ) {
        let mut input = vec![split];
        input.extend_from_slice(b"%PDF-1.7\n");
        input.extend(parts.concat().bytes());
        courtside_evidence::fuzz_page_count(&input);
    }
}
