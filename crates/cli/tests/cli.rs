//! The `courtside` binary as a user runs it.
#![allow(clippy::unwrap_used, reason = "tests fail loudly by design")]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_courtside");

/// A `courtside court serve` process on a free port; killed when dropped.
struct CourtProcess {
    child: Child,
    base_url: String,
}

impl CourtProcess {
    /// Starts the court and waits for its readiness line (printed only after binding).
    fn start(data_dir: &Path) -> Self {
        let mut child = Command::new(BIN)
            .args(["court", "serve", "--port", "0", "--data-dir"])
            .arg(data_dir)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start courtside court serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line).expect("readiness line");
        let base_url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in readiness line {line:?}"))
            .to_owned();
        Self { child, base_url }
    }
}

impl Drop for CourtProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn court_serve_answers_health_with_json() {
    let dir = tempfile::tempdir().unwrap();
    let court = CourtProcess::start(dir.path());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let response = reqwest::get(format!("{}v1/health", court.base_url)).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["status"], "ok");
        assert_eq!(body["apiVersion"], "v1");
    });
    assert!(dir.path().join("court.sqlite3").exists(), "the court keeps its database in --data-dir");
}

#[test]
fn status_reports_the_court_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let court = CourtProcess::start(&dir.path().join("court"));
    let out = Command::new(BIN)
        .arg("status")
        .arg("--data-dir")
        .arg(dir.path().join("app"))
        .env("COURTSIDE_COURT_URL", &court.base_url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["state"], "online");
    drop(court);

    let out = Command::new(BIN)
        .arg("status")
        .arg("--data-dir")
        .arg(dir.path().join("app"))
        .env("COURTSIDE_COURT_URL", "http://127.0.0.1:9/")
        .output()
        .unwrap();
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["state"], "offline");
}

#[test]
fn version_and_exit_codes() {
    let out = Command::new(BIN).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("courtside {}", env!("CARGO_PKG_VERSION")));

    // A usage mistake is the user's error: exit 1 and a message on stderr.
    let out = Command::new(BIN).args(["court", "serve", "--port", "not-a-port"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!out.stderr.is_empty());

    // An unacceptable court address is refused before any request is made: one line, exit 1.
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .arg("status")
        .arg("--data-dir")
        .arg(dir.path())
        .env("COURTSIDE_COURT_URL", "http://court.example/")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("https"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
}

fn courtside(data_dir: &Path, args: &[&str], pass: &str) -> std::process::Output {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("COURTSIDE_PASSPHRASE", pass)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stdout(out: &std::process::Output) -> String {
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn vault_and_drafts_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let init = stdout(&courtside(data, &["vault", "init"], "correct horse battery"));
    assert!(init.lines().any(|l| l.starts_with("CSRK-")), "{init}");
    assert!(courtside(data, &["vault", "unlock-check"], "correct horse battery").status.success());
    let wrong = courtside(data, &["vault", "unlock-check"], "wrong horse battery");
    assert_eq!(wrong.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("passphrase does not open"));

    let body = dir.path().join("body.txt");
    std::fs::write(&body, "原告张三诉被告李四买卖合同纠纷一案。").unwrap();
    let id = stdout(&courtside(
        data,
        &["draft", "new", "--title", "起诉状", "--body-file", body.to_str().unwrap()],
        "correct horse battery",
    ));
    let id = id.trim();
    std::fs::write(&body, "原告张三诉被告李四买卖合同纠纷一案，请求支付货款。").unwrap();
    let saved = stdout(&courtside(
        data,
        &["draft", "save", id, "--body-file", body.to_str().unwrap()],
        "correct horse battery",
    ));
    assert_eq!(saved.trim(), format!("{id} version 2"));
    let list = stdout(&courtside(data, &["draft", "list"], "correct horse battery"));
    assert_eq!(list.trim(), format!("{id}\t2\t起诉状"));
    let shown = stdout(&courtside(data, &["draft", "show", id, "--version", "1"], "correct horse battery"));
    assert_eq!(shown.trim_end(), "起诉状\n\n原告张三诉被告李四买卖合同纠纷一案。");
    let found = stdout(&courtside(data, &["draft", "search", "货款"], "correct horse battery"));
    assert!(found.starts_with(id), "{found}");
    assert_eq!(stdout(&courtside(data, &["draft", "history", id], "correct horse battery")).lines().count(), 2);

    let changed = Command::new(BIN)
        .arg("--data-dir")
        .arg(data)
        .args(["vault", "change-passphrase"])
        .env("COURTSIDE_PASSPHRASE", "correct horse battery")
        .env("COURTSIDE_NEW_PASSPHRASE", "a new passphrase")
        .output()
        .unwrap();
    assert!(changed.status.success(), "{}", String::from_utf8_lossy(&changed.stderr));
    assert_eq!(courtside(data, &["vault", "unlock-check"], "correct horse battery").status.code(), Some(1));
    assert!(stdout(&courtside(data, &["vault", "verify"], "a new passphrase")).contains("passed"));

    let missing = courtside(&dir.path().join("nothing-here"), &["draft", "list"], "x");
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("vault init"));
}

#[test]
fn clerk_commands_talk_to_the_court() {
    let dir = tempfile::tempdir().unwrap();
    let court = CourtProcess::start(dir.path());
    let token = std::fs::read_to_string(dir.path().join("clerk-token")).unwrap();
    let clerk = |token: &str, args: &[&str]| {
        Command::new(BIN)
            .args(["court", "clerk", "--court", &court.base_url])
            .args(args)
            .env("COURTSIDE_CLERK_TOKEN", token)
            .output()
            .unwrap()
    };
    let listed = clerk(&token, &["filings"]);
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    assert_eq!(stdout(&listed), "");

    let notice = dir.path().join("notice.txt");
    std::fs::write(&notice, "应诉通知书").unwrap();
    let served = clerk(
        &token,
        &[
            "serve",
            "--recipient",
            "zhang.san",
            "--case",
            "case_1",
            "--title",
            "应诉通知书",
            "--media-type",
            "text/plain",
        ]
        .into_iter()
        .chain([notice.to_str().unwrap()])
        .collect::<Vec<_>>(),
    );
    assert!(served.status.success(), "{}", String::from_utf8_lossy(&served.stderr));
    let line = stdout(&served);
    assert!(line.starts_with("srv_"), "{line}");
    assert!(line.trim_end().ends_with(&courtside_court_api::encoding::sha256_hex("应诉通知书".as_bytes())), "{line}");

    let opened =
        clerk(&token, &["open-case", "--title", "张三诉李四买卖合同纠纷", "--party", "zhang.san", "--party", "li.si"]);
    assert!(opened.status.success(), "{}", String::from_utf8_lossy(&opened.stderr));
    let opened = stdout(&opened);
    let case_id = opened.split('\t').next().unwrap().to_owned();
    assert!(opened.contains("民初"), "{opened}");
    let scheduled = clerk(&token, &["schedule", "--case", &case_id, "--at", "2026-12-01T09:30:00+08:00"]);
    assert!(scheduled.status.success(), "{}", String::from_utf8_lossy(&scheduled.stderr));
    assert!(stdout(&scheduled).starts_with("hrg_"));
    let bad_time = clerk(&token, &["schedule", "--case", &case_id, "--at", "tomorrow"]);
    assert_eq!(bad_time.status.code(), Some(1));
    let fee = clerk(&token, &["fee", "--recipient", "zhang.san", "--case", &case_id, "--yuan", "2300.5"]);
    assert!(fee.status.success(), "{}", String::from_utf8_lossy(&fee.stderr));
    assert!(stdout(&fee).contains("\t230050\tdue "), "{}", stdout(&fee));
    for bad in ["12.345", "-1", "1e3", ""] {
        let refused = clerk(&token, &["fee", "--recipient", "zhang.san", "--case", &case_id, "--yuan", bad]);
        assert_eq!(refused.status.code(), Some(1), "{bad}");
    }

    // A token is base64url and may begin with "-" (one run in 64 of the desktop suite once
    // failed so): given as `--token -…` it is the value, not an unknown option.
    let dashed = Command::new(BIN)
        .args(["court", "clerk", "--court", &court.base_url, "--token", "-9J08TXP_wrong", "filings"])
        .output()
        .unwrap();
    assert_eq!(dashed.status.code(), Some(1));
    let said = String::from_utf8_lossy(&dashed.stderr);
    assert!(said.contains("401") && !said.contains("unexpected argument"), "{said}");

    let wrong = clerk("not-the-token", &["filings"]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("401"), "{}", String::from_utf8_lossy(&wrong.stderr));
    let unknown = clerk(&token, &["review", "fil_nothing", "--docket"]);
    assert_eq!(unknown.status.code(), Some(1));
    let ambiguous = clerk(&token, &["review", "fil_nothing", "--docket", "--start"]);
    assert!(String::from_utf8_lossy(&ambiguous.stderr).contains("exactly one"));
}

/// A draft damaged on disk (outside Courtside): `vault verify` exits 1 naming it and what
/// happened to it, and the other draft still lists and opens.
#[test]
fn a_draft_damaged_on_disk_is_named_by_verify_and_the_other_drafts_still_open() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let pass = "correct horse battery";
    stdout(&courtside(data, &["vault", "init"], pass));
    let body = dir.path().join("body.txt");
    std::fs::write(&body, "起诉状正文").unwrap();
    let new = |title: &str| {
        stdout(&courtside(data, &["draft", "new", "--title", title, "--body-file", body.to_str().unwrap()], pass))
            .trim()
            .to_owned()
    };
    let (kept, damaged) = (new("起诉状"), new("代理词"));
    // The draft's row, by its opaque names.
    let (tbl, row) = courtside_vault::Vault::unlock(&data.join("vault"), pass).unwrap().stored_row("drafts", &damaged);
    let conn = rusqlite::Connection::open(data.join("vault").join("vault.sqlite3")).unwrap();
    let mut ct: Vec<u8> = conn
        .query_row("SELECT ciphertext FROM records WHERE tbl = ?1 AND id = ?2", [&tbl, &row], |r| r.get(0))
        .unwrap();
    ct[2] ^= 0x04;
    conn.execute("UPDATE records SET ciphertext = ?1 WHERE tbl = ?2 AND id = ?3", rusqlite::params![ct, tbl, row])
        .unwrap();
    drop(conn);
    let verify = courtside(data, &["vault", "verify"], pass);
    assert_eq!(verify.status.code(), Some(1));
    let said = String::from_utf8_lossy(&verify.stdout);
    assert!(said.contains(&format!("drafts/{damaged}: its contents changed after Courtside saved them")), "{said}");
    assert!(said.contains("restore a backup"), "{said}");
    let list = stdout(&courtside(data, &["draft", "list"], pass));
    assert_eq!(list.trim(), format!("{kept}\t1\t起诉状"));
    assert!(stdout(&courtside(data, &["draft", "show", &kept], pass)).contains("起诉状正文"));
}
