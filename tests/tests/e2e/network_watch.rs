//! A network coming up (NetworkManager's signal, on a private bus with a stand-in) makes the
//! sync engine try at once instead of waiting out its schedule.

use std::time::Duration;

use courtside_core::network_watch::network_manager;
use zbus::object_server::SignalEmitter;

use super::sleep_lock::Bus;
use super::support::{Court, app_on, sign_in};

struct NetworkManager;

#[zbus::interface(name = "org.freedesktop.NetworkManager")]
impl NetworkManager {
    #[zbus(signal)]
    async fn state_changed(emitter: &SignalEmitter<'_>, state: u32) -> zbus::Result<()>;
}

#[tokio::test]
async fn the_network_coming_up_makes_the_engine_try_at_once() {
    let bus = Bus::start();
    let server = zbus::connection::Builder::address(bus.1.as_str())
        .unwrap()
        .name("org.freedesktop.NetworkManager")
        .unwrap()
        .serve_at("/org/freedesktop/NetworkManager", NetworkManager)
        .unwrap()
        .build()
        .await
        .unwrap();
    let client = zbus::connection::Builder::address(bus.1.as_str()).unwrap().build().await.unwrap();

    let court = Court::start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let app = std::sync::Arc::new(app_on(&court, dir.path()).await);
    sign_in(&app, "zhang.san", "demo-litigant-1").await;
    let last_sync = || app.sync_overview().unwrap().accounts[0].last_sync;
    for _ in 0..100 {
        if last_sync().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let first = last_sync().expect("a first cycle right after sign-in");

    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(network_manager::watch(client, tx));
    let watcher = app.clone();
    tokio::spawn(async move { watcher.sync_on_network_events(rx).await });
    // The engine now rests for a minute. Going offline and back online wakes it.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let emitter = SignalEmitter::new(&server, "/org/freedesktop/NetworkManager").unwrap();
    NetworkManager::state_changed(&emitter, 20).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(last_sync(), Some(first), "losing the network is no reason to try");
    NetworkManager::state_changed(&emitter, 70).await.unwrap();
    for _ in 0..100 {
        if last_sync() > Some(first) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the engine did not try when the network came up");
}
