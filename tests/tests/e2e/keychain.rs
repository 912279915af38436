//! "Unlock with this device" against a real Secret Service (gnome-keyring on a private
//! D-Bus), and "erase my data" leaving no key in it. The app runs in a child process that
//! gets the private bus's address (no environment is changed in this process).

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use courtside_core::ipc::VaultState;

const CHILD: &str = "COURTSIDE_KEYCHAIN_CHILD";
const PASS: &str = "correct horse battery";

/// Not a test of its own: the app in the child process (nothing without the variable).
#[tokio::test]
async fn child_turns_device_unlock_on_then_erases() {
    let Some(dir) = std::env::var_os(CHILD) else { return };
    let dir = std::path::PathBuf::from(dir);
    let mut config = courtside_core::AppConfig::new(
        dir.clone(),
        courtside_core::CourtChoice::Configured(courtside_court_api::CourtUrl::parse("http://127.0.0.1:9/").unwrap()),
    );
    config.vault_kdf = courtside_vault::KdfParams::insecure_for_tests();
    config.background_sync = false;
    let app = courtside_core::App::start(config).await.unwrap();
    app.create_vault(PASS.into()).await.unwrap();
    app.create_draft("答辩状", "正文", None).unwrap();
    app.set_device_unlock(true).await.unwrap();
    assert!(app.device_unlock_enabled().unwrap());
    let vault_dir = dir.join("vault");
    let entry = keyring::Entry::new("org.courtside.desktop", &format!("vault {}", vault_dir.display())).unwrap();
    assert_eq!(entry.get_secret().unwrap().len(), 32, "the device key is in the keychain");
    app.lock_vault().unwrap();
    app.unlock_with_this_device().await.unwrap();
    assert_eq!(app.list_drafts().unwrap().len(), 1);

    app.erase_everything("ERASE").unwrap();
    assert_eq!(app.vault_state().unwrap(), VaultState::Absent);
    assert!(!vault_dir.exists(), "no vault file is left");
    assert!(matches!(entry.get_secret(), Err(keyring::Error::NoEntry)), "no key is left in the keychain");
    println!("child: erased, no key left");
    app.shutdown().await;
}

#[test]
fn device_unlock_keeps_its_key_in_a_real_keychain_and_erase_removes_it() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("xdg-data");
    std::fs::create_dir_all(&data).unwrap();
    let bus = super::sleep_lock::Bus::start();
    let mut keyring = Command::new("gnome-keyring-daemon")
        .args(["--unlock", "--components=secrets", "--foreground"])
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.1)
        .env("XDG_DATA_HOME", &data)
        .env("HOME", work.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect(
            "gnome-keyring-daemon (Debian package gnome-keyring) must be installed; `cargo xtask test` installs it",
        );
    // The login keyring's password on stdin, then end of input.
    keyring.stdin.take().unwrap().write_all(b"keyring password").unwrap();
    let login = data.join("keyrings/login.keyring");
    for _ in 0..100 {
        if login.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(login.exists(), "gnome-keyring did not create its login keyring");

    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "keychain::child_turns_device_unlock_on_then_erases", "--nocapture", "--test-threads=1"])
        .env(CHILD, work.path().join("app"))
        .env("DBUS_SESSION_BUS_ADDRESS", &bus.1)
        .env("XDG_DATA_HOME", &data)
        .env("HOME", work.path())
        .output()
        .unwrap();
    let _ = keyring.kill();
    let _ = keyring.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("child: erased, no key left"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
