//! Lock on sleep, against a real D-Bus daemon with a stand-in for logind on it.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use courtside_core::ipc::VaultState;
use courtside_core::power::{PowerEvent, logind};
use courtside_core::{App, AppConfig, CourtChoice, SLEEP_LOCK_GRACE};
use zbus::object_server::SignalEmitter;

/// Plays logind's part: hands out inhibitor descriptors (write ends of pipes, so the test
/// sees EOF on the read end once the app lets go) and sends `PrepareForSleep`.
#[derive(Default)]
struct Logind {
    inhibitors: Arc<Mutex<Vec<std::io::PipeReader>>>,
}

#[zbus::interface(name = "org.freedesktop.login1.Manager")]
impl Logind {
    fn inhibit(&self, what: &str, _who: &str, _why: &str, mode: &str) -> zbus::fdo::Result<zbus::zvariant::OwnedFd> {
        assert_eq!((what, mode), ("sleep", "delay"));
        let (reader, writer) = std::io::pipe().map_err(|e| zbus::fdo::Error::Failed(e.to_string()))?;
        self.inhibitors.lock().unwrap().push(reader);
        Ok(std::os::fd::OwnedFd::from(writer).into())
    }

    #[zbus(signal)]
    async fn prepare_for_sleep(emitter: &SignalEmitter<'_>, start: bool) -> zbus::Result<()>;
}

/// A private D-Bus daemon; its address is the second field.
pub struct Bus(Child, pub String);

impl Bus {
    pub fn start() -> Self {
        let mut child = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile", "--print-address=1"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("dbus-daemon (Debian package dbus-daemon) must be installed; `cargo xtask test` installs it");
        let mut address = String::new();
        let mut out = child.stdout.take().unwrap();
        let mut byte = [0u8; 1];
        while out.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
            address.push(char::from(byte[0]));
        }
        Self(child, address)
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..200 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test]
async fn vault_locks_before_sleep_and_only_then_lets_the_machine_sleep() {
    let bus = Bus::start();
    let inhibitors = Arc::new(Mutex::new(Vec::new()));
    let server = zbus::connection::Builder::address(bus.1.as_str())
        .unwrap()
        .name("org.freedesktop.login1")
        .unwrap()
        .serve_at("/org/freedesktop/login1", Logind { inhibitors: inhibitors.clone() })
        .unwrap()
        .build()
        .await
        .unwrap();
    let client = zbus::connection::Builder::address(bus.1.as_str()).unwrap().build().await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let mut config = AppConfig::new(dir.path().to_owned(), CourtChoice::Demo);
    config.vault_kdf = courtside_vault::KdfParams::insecure_for_tests();
    let app = Arc::new(App::start(config).await.unwrap());
    app.create_vault("correct horse battery staple 42".into()).await.unwrap();

    let (tx, rx) = tokio::sync::mpsc::channel::<PowerEvent>(4);
    tokio::spawn(logind::watch(client, tx));
    let asked = Arc::new(AtomicUsize::new(0));
    let (watcher, counter) = (app.clone(), asked.clone());
    // The window never answers here, so the app must lock by itself after the grace period.
    tokio::spawn(async move { watcher.lock_on_sleep(rx, || _ = counter.fetch_add(1, Ordering::SeqCst)).await });
    until("the app holds an inhibitor", || inhibitors.lock().unwrap().len() == 1).await;

    let emitter = SignalEmitter::new(&server, "/org/freedesktop/login1").unwrap();
    let started = std::time::Instant::now();
    Logind::prepare_for_sleep(&emitter, true).await.unwrap();
    until("the window was asked to lock", || asked.load(Ordering::SeqCst) == 1).await;
    assert_eq!(app.vault_state().unwrap(), VaultState::Unlocked, "the window gets time to save first");

    // The inhibitor is released (EOF on our end of the pipe) only once the vault is locked.
    let mut reader = inhibitors.lock().unwrap().remove(0);
    let released = tokio::task::spawn_blocking(move || reader.read(&mut [0u8; 1]).unwrap()).await.unwrap();
    assert_eq!(released, 0);
    assert_eq!(app.vault_state().unwrap(), VaultState::Locked);
    let waited = started.elapsed();
    assert!(waited >= SLEEP_LOCK_GRACE && waited < SLEEP_LOCK_GRACE + Duration::from_secs(2), "{waited:?}");

    // After wake the app takes a new inhibitor for the next sleep; a locked vault needs nothing.
    Logind::prepare_for_sleep(&emitter, false).await.unwrap();
    until("a fresh inhibitor is held", || inhibitors.lock().unwrap().len() == 1).await;
    assert_eq!(asked.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_window_that_locks_promptly_lets_the_machine_sleep_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = AppConfig::new(dir.path().to_owned(), CourtChoice::Demo);
    config.vault_kdf = courtside_vault::KdfParams::insecure_for_tests();
    let app = Arc::new(App::start(config).await.unwrap());
    app.create_vault("correct horse battery staple 42".into()).await.unwrap();

    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let (watcher, window) = (app.clone(), app.clone());
    let task = tokio::spawn(async move { watcher.lock_on_sleep(rx, || window.lock_vault().unwrap()).await });
    let started = std::time::Instant::now();
    tx.send(PowerEvent::Resumed { slept_for: Some(Duration::from_secs(600)) }).await.unwrap();
    drop(tx);
    task.await.unwrap();
    assert_eq!(app.vault_state().unwrap(), VaultState::Locked);
    assert!(started.elapsed() < SLEEP_LOCK_GRACE, "{:?}", started.elapsed());
}
