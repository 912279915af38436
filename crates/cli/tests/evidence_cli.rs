//! `courtside evidence` as a user runs it: add, list, verify, tamper, export.
#![allow(clippy::unwrap_used, reason = "tests fail loudly by design")]

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_courtside");
const PASS: &str = "correct horse battery staple";

fn courtside(data: &Path, args: &[&str]) -> Output {
    Command::new(BIN).arg("--data-dir").arg(data).args(args).env("COURTSIDE_PASSPHRASE", PASS).output().unwrap()
}

fn ok(out: Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn add_list_verify_tamper_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    ok(courtside(&data, &["vault", "init"]));
    let a = dir.path().join("合同.pdf");
    let b = dir.path().join("chat.txt");
    std::fs::write(&a, b"%PDF-1.4\n<</Type /Page>>\n%%EOF\n").unwrap();
    std::fs::write(&b, "李四：货款下月付。".as_bytes()).unwrap();
    let added =
        ok(courtside(&data, &["evidence", "add", "--proves", "欠款事实", a.to_str().unwrap(), b.to_str().unwrap()]));
    let lines: Vec<Vec<&str>> = added.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines.len(), 2, "{added}");
    assert_eq!(lines[0][1], courtside_court_api::encoding::sha256_hex(&std::fs::read(&a).unwrap()));
    assert_eq!(lines[1][3], "chat.txt");
    let list = ok(courtside(&data, &["evidence", "list"]));
    assert!(list.contains("application/pdf") && list.contains("text/plain"), "{list}");
    assert!(ok(courtside(&data, &["evidence", "verify"])).starts_with("ok: 2 exhibit(s) and 2 custody entries"));

    // A byte of the second exhibit's sealed original changes on disk.
    // (Its file's name is opaque: the vault says which it is.)
    let blob = courtside_vault::Vault::unlock(&data.join("vault"), PASS)
        .unwrap()
        .blob_path(&format!("exhibit-{}", lines[1][0]));
    let mut bytes = std::fs::read(&blob).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x80;
    std::fs::write(&blob, &bytes).unwrap();
    let out = courtside(&data, &["evidence", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains(&format!("FAILED exhibit 2 ({})", lines[1][0])), "{report}");
    assert!(ok(courtside(&data, &["evidence", "verify", lines[0][0]])).starts_with("ok: 1 exhibit(s)"));
    bytes[last] ^= 0x80;
    std::fs::write(&blob, &bytes).unwrap();

    let bag =
        ok(courtside(&data, &["evidence", "export", "--format", "bagit", dir.path().join("out").to_str().unwrap()]));
    let bag = Path::new(bag.trim());
    assert!(bag.join("data/exhibits/001-合同.pdf").exists());
    assert!(bag.join("tagmanifest-sha256.txt").exists());
    let log = ok(courtside(&data, &["evidence", "log"]));
    assert_eq!(log.lines().filter(|l| l.contains("\"exported\"")).count(), 2, "{log}");
    let wrong = courtside(&data, &["evidence", "export", "--format", "zip", "x"]);
    assert_eq!(wrong.status.code(), Some(1));
}

#[test]
fn a_web_page_is_captured_as_a_warc_exhibit() {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let body = "<html><body><p>公告：欠款已确认</p></body></html>";
            let mut out = stream;
            let _ = write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    ok(courtside(&data, &["vault", "init"]));
    let url = format!("http://127.0.0.1:{port}/notice");
    let line = ok(courtside(&data, &["evidence", "capture-url", "--proves", "公告内容", &url]));
    let fields: Vec<&str> = line.trim().split('\t').collect();
    assert_eq!(fields[2], url);
    let list = ok(courtside(&data, &["evidence", "list"]));
    assert!(list.contains("application/gzip") && list.contains("网页截取"), "{list}");
    assert!(ok(courtside(&data, &["evidence", "verify"])).starts_with("ok: 1 exhibit(s)"));
    let refused = courtside(&data, &["evidence", "capture-url", "file:///etc/passwd"]);
    assert_eq!(refused.status.code(), Some(1));
}
