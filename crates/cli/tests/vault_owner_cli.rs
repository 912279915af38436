//! While the app holds the vault, every `courtside` command that would open it exits 1
//! with a message saying so, and changes nothing; once the app lets go, they work again.
#![allow(clippy::unwrap_used, reason = "tests fail loudly by design")]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_courtside");
const PASS: &str = "correct horse battery staple 42";

fn courtside(data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("COURTSIDE_PASSPHRASE", PASS)
        .env("COURTSIDE_NEW_PASSPHRASE", "another good passphrase 43")
        .env("COURTSIDE_COURT_URL", "http://127.0.0.1:9/")
        .output()
        .unwrap()
}

/// Every file under `dir` and its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                files.insert(path.strip_prefix(dir).unwrap().display().to_string(), std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

#[tokio::test(flavor = "multi_thread")]
async fn every_command_that_opens_the_vault_is_refused_while_the_app_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("app");
    let body = dir.path().join("body.txt");
    std::fs::write(&body, "起诉状草稿").unwrap();
    assert!(courtside(&data, &["vault", "init"]).status.success());
    let made = courtside(&data, &["draft", "new", "--title", "草稿", "--body-file", body.to_str().unwrap()]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let draft = String::from_utf8(made.stdout).unwrap().trim().to_owned();

    // The app service, as the desktop shell runs it, opens the vault and holds it.
    let mut config = courtside_core::AppConfig::new(
        data.clone(),
        courtside_core::CourtChoice::Configured(courtside_court_api::CourtUrl::parse("http://127.0.0.1:9/").unwrap()),
    );
    config.background_sync = false;
    let app = courtside_core::App::start(config).await.unwrap();
    app.unlock_vault(PASS.into()).await.unwrap();
    let before = snapshot(&data.join("vault"));

    let body = body.to_str().unwrap();
    let usb = dir.path().join("usb");
    let usb = usb.to_str().unwrap();
    let commands: &[&[&str]] = &[
        &["vault", "backup", "--to", usb],
        &["vault", "backups", "--at", usb],
        &["vault", "unlock-check"],
        &["vault", "verify"],
        &["vault", "change-passphrase"],
        &["draft", "list"],
        &["draft", "show", &draft],
        &["draft", "new", "--title", "另一份", "--body-file", body],
        &["draft", "save", &draft, "--body-file", body],
        &["case", "list"],
        &["filing", "check", "0123456789abcdef0123456789abcdef"],
        &["sync", "status"],
        &["evidence", "list"],
        &["evidence", "verify"],
        &["hearing", "list"],
        &["court", "logout", "--court", "http://127.0.0.1:9/"],
    ];
    for args in commands {
        let out = courtside(&data, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("Courtside is already open on this computer"), "{args:?}: {stderr}");
    }
    assert!(snapshot(&data.join("vault")) == before, "a refused command changed the vault");

    app.shutdown().await;
    let out = courtside(&data, &["draft", "list"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&draft));
}
