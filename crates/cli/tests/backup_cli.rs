//! `courtside vault backup`, `backup-verify` and `restore` as a user runs them: a backup
//! made on one computer restores on another (an empty data directory) with the passphrase
//! or the recovery key; a damaged backup is named and restores nothing.
#![allow(clippy::unwrap_used, reason = "tests fail loudly by design")]

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_courtside");
const PASS: &str = "correct horse battery staple 42";

fn courtside(data: &Path, args: &[&str], recovery_key: &str) -> std::process::Output {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("COURTSIDE_PASSPHRASE", PASS)
        .env("COURTSIDE_RECOVERY_KEY", recovery_key)
        .env("COURTSIDE_COURT_URL", "http://127.0.0.1:9/")
        .output()
        .unwrap()
}

fn ok(out: &std::process::Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn a_backup_restores_on_a_new_computer_and_a_damaged_one_restores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old-computer");
    let init = ok(&courtside(&old, &["vault", "init"], ""));
    let recovery = init.lines().find(|l| l.starts_with("CSRK-")).unwrap().trim().to_owned();
    let body = dir.path().join("body.txt");
    std::fs::write(&body, "起诉状：被告应支付货款").unwrap();
    let draft = ok(&courtside(&old, &["draft", "new", "--title", "起诉状", "--body-file", body.to_str().unwrap()], ""));
    let draft = draft.trim();
    let usb = dir.path().join("usb");
    let usb_arg = usb.to_str().unwrap();
    let made = ok(&courtside(&old, &["vault", "backup", "--to", usb_arg], ""));
    assert!(made.starts_with("Snapshot "), "{made}");
    assert_eq!(ok(&courtside(&old, &["vault", "backups", "--at", usb_arg], "")).lines().count(), 1);
    assert!(ok(&courtside(&old, &["vault", "backup-verify", "--at", usb_arg], "")).contains("\twhole\t"));

    for (name, extra) in [("by-passphrase", None), ("by-recovery-key", Some("--recovery-key"))] {
        let new = dir.path().join(name);
        let mut args = vec!["vault", "restore", "--from", usb_arg];
        args.extend(extra);
        let restored = ok(&courtside(&new, &args, &recovery));
        assert!(restored.contains("Restored snapshot"), "{restored}");
        let shown = ok(&courtside(&new, &["draft", "show", draft], ""));
        assert!(shown.contains("被告应支付货款"), "{name}: {shown}");
        assert!(courtside(&new, &["vault", "verify"], "").status.success(), "{name}");
        // Restoring over a vault is refused.
        let again = courtside(&new, &args, &recovery);
        assert_eq!(again.status.code(), Some(1), "{name}");
    }

    // One flipped byte in one piece.
    let mut pieces = Vec::new();
    for d in std::fs::read_dir(usb.join("chunks")).unwrap().flatten() {
        pieces.extend(std::fs::read_dir(d.path()).unwrap().flatten().map(|e| e.path()));
    }
    pieces.sort();
    let mut bytes = std::fs::read(&pieces[0]).unwrap();
    bytes[20] ^= 0x80;
    std::fs::write(&pieces[0], bytes).unwrap();
    let verify = courtside(&old, &["vault", "backup-verify", "--at", usb_arg], "");
    assert_eq!(verify.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&verify.stdout).contains("DAMAGED"), "{}", String::from_utf8_lossy(&verify.stdout));
    let fresh = dir.path().join("third-computer");
    let refused = courtside(&fresh, &["vault", "restore", "--from", usb_arg], "");
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("failed its check"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(!fresh.join("vault").join("vault.json").exists(), "nothing is half-restored");
}
