//! The OS's word on the network, taken only as a hint: when a connection comes up, the sync
//! engines try at once instead of waiting out their backoff. Whether the court is reachable
//! is still decided by the next authenticated call, never by this signal.
//!
//! On Linux the source is NetworkManager's `StateChanged` on the system bus; elsewhere (and
//! without NetworkManager) there is no hint and the engines keep their schedule.

use tokio::sync::mpsc;

/// Starts watching; the receiver yields once each time the machine gets connected.
/// Must be called inside a Tokio runtime.
#[must_use]
pub fn watch() -> mpsc::Receiver<()> {
    let (tx, rx) = mpsc::channel(4);
    #[cfg(target_os = "linux")]
    tokio::spawn(async move {
        match zbus::Connection::system().await {
            Ok(bus) => {
                if let Err(e) = network_manager::watch(bus, tx).await {
                    tracing::info!(error = %e, "NetworkManager is not available; syncing on schedule only");
                }
            }
            Err(e) => tracing::info!(error = %e, "no system bus; syncing on schedule only"),
        }
    });
    #[cfg(not(target_os = "linux"))]
    drop(tx);
    rx
}

/// NetworkManager's global state (`NMState`): 50 local, 60 site, 70 global connectivity.
pub const NM_STATE_CONNECTED_LOCAL: u32 = 50;

/// NetworkManager on the system bus.
#[cfg(target_os = "linux")]
pub mod network_manager {
    use futures_util::StreamExt;
    use tokio::sync::mpsc;

    use super::NM_STATE_CONNECTED_LOCAL;

    #[zbus::proxy(
        interface = "org.freedesktop.NetworkManager",
        default_service = "org.freedesktop.NetworkManager",
        default_path = "/org/freedesktop/NetworkManager"
    )]
    trait NetworkManager {
        #[zbus(signal)]
        fn state_changed(&self, state: u32) -> zbus::Result<()>;
    }

    /// Sends `()` on `tx` each time NetworkManager on `bus` reports a connected state after
    /// a disconnected one, until the receiver goes away.
    ///
    /// # Errors
    /// When the signal cannot be subscribed to.
    pub async fn watch(bus: zbus::Connection, tx: mpsc::Sender<()>) -> zbus::Result<()> {
        let manager = NetworkManagerProxy::new(&bus).await?;
        let mut signals = manager.receive_state_changed().await?;
        let mut connected = false;
        while let Some(signal) = signals.next().await {
            let now = signal.args()?.state >= NM_STATE_CONNECTED_LOCAL;
            if now && !connected && tx.send(()).await.is_err() {
                break;
            }
            connected = now;
        }
        Ok(())
    }
}

impl crate::App {
    /// Wakes the sync engines whenever `events` says the network came up; returns when the
    /// source ends.
    pub async fn sync_on_network_events(&self, mut events: mpsc::Receiver<()>) {
        while events.recv().await.is_some() {
            tracing::info!("the network came up; syncing now");
            if let Err(e) = self.sync_now() {
                tracing::debug!(error = %e, "no sync while the vault is locked");
            }
        }
    }
}
