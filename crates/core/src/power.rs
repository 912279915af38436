//! Knowing when the machine goes to sleep, so the vault can be locked first.
//!
//! Two sources feed one channel of [`PowerEvent`]s:
//! - **logind** (Linux, `org.freedesktop.login1`): a *delay* inhibitor is held while the app
//!   runs, so on `PrepareForSleep(true)` the system waits (up to logind's
//!   `InhibitDelayMaxSec`, 5 s by default) until the vault is locked and the inhibitor is
//!   released by dropping the [`SleepGuard`]. The keys are gone before memory is frozen.
//! - **a clock watch** (every platform): a tick every few seconds compares the monotonic
//!   clock (which stops during sleep on Linux and macOS) with the wall clock and with the
//!   expected tick. A jump means the machine slept (or the process was frozen), so the vault
//!   is locked at wake. This catches Windows and macOS sleep, and Linux without logind.

use std::time::{Duration, Instant, SystemTime};

use tokio::sync::mpsc;

/// Something about the machine's power state the vault must react to.
#[derive(Debug)]
pub enum PowerEvent {
    /// The machine is about to sleep. Dropping the guard lets it.
    Suspending(SleepGuard),
    /// The machine woke up; `slept_for` is how long it was gone, when known.
    Resumed {
        /// Length of the sleep, from the clock watch.
        slept_for: Option<Duration>,
    },
}

/// Holds the OS back from sleeping until dropped (an inhibitor lock on Linux).
#[derive(Debug, Default)]
pub struct SleepGuard {
    #[cfg(target_os = "linux")]
    _inhibitor: Option<zbus::zvariant::OwnedFd>,
}

/// How often the clock watch ticks.
pub const CLOCK_TICK: Duration = Duration::from_secs(5);
/// A gap between ticks larger than this beyond the tick itself counts as a sleep.
pub const SLEEP_THRESHOLD: Duration = Duration::from_secs(30);

/// Whether the gap between two ticks shows a sleep, and how long it was.
///
/// `monotonic` is the time between ticks by the monotonic clock, `wall` by the wall clock
/// (`None` when the wall clock went backwards, e.g. corrected by NTP). A sleep shows as
/// wall time passing that the monotonic clock did not see, or as a tick arriving far later
/// than scheduled (platforms whose monotonic clock keeps counting in sleep, or a frozen
/// process).
#[must_use]
pub fn clock_gap(monotonic: Duration, wall: Option<Duration>, tick: Duration) -> Option<Duration> {
    let unseen = wall.map_or(Duration::ZERO, |w| w.saturating_sub(monotonic));
    let late = monotonic.saturating_sub(tick);
    let gap = unseen.max(late);
    (gap > SLEEP_THRESHOLD).then_some(gap)
}

/// Starts watching for sleep. The returned receiver yields events until it is dropped.
/// Must be called inside a Tokio runtime.
#[must_use]
pub fn watch() -> mpsc::Receiver<PowerEvent> {
    let (tx, rx) = mpsc::channel(8);
    tokio::spawn(watch_clock(tx.clone()));
    #[cfg(target_os = "linux")]
    tokio::spawn(async move {
        match zbus::Connection::system().await {
            Ok(bus) => {
                if let Err(e) = logind::watch(bus, tx).await {
                    tracing::info!(error = %e, "logind is not available; the vault locks at wake instead");
                }
            }
            Err(e) => tracing::info!(error = %e, "no system bus; the vault locks at wake instead"),
        }
    });
    rx
}

async fn watch_clock(tx: mpsc::Sender<PowerEvent>) {
    let mut last = (Instant::now(), SystemTime::now());
    loop {
        tokio::time::sleep(CLOCK_TICK).await;
        let now = (Instant::now(), SystemTime::now());
        let wall = now.1.duration_since(last.1).ok();
        if let Some(gap) = clock_gap(now.0 - last.0, wall, CLOCK_TICK)
            && tx.send(PowerEvent::Resumed { slept_for: Some(gap) }).await.is_err()
        {
            return;
        }
        last = now;
    }
}

/// The logind side: `PrepareForSleep` with a delay inhibitor.
#[cfg(target_os = "linux")]
pub mod logind {
    use futures_util::StreamExt;
    use tokio::sync::mpsc;

    use super::{PowerEvent, SleepGuard};

    #[zbus::proxy(
        interface = "org.freedesktop.login1.Manager",
        default_service = "org.freedesktop.login1",
        default_path = "/org/freedesktop/login1"
    )]
    trait Manager {
        fn inhibit(&self, what: &str, who: &str, why: &str, mode: &str) -> zbus::Result<zbus::zvariant::OwnedFd>;

        #[zbus(signal)]
        fn prepare_for_sleep(&self, start: bool) -> zbus::Result<()>;
    }

    async fn inhibitor(manager: &ManagerProxy<'_>) -> Option<zbus::zvariant::OwnedFd> {
        manager
            .inhibit("sleep", "Courtside", "Lock the vault before the machine sleeps", "delay")
            .await
            .inspect_err(|e| tracing::info!(error = %e, "logind refused a sleep inhibitor"))
            .ok()
    }

    /// Follows logind on `bus` until the receiver goes away: before each sleep a
    /// [`PowerEvent::Suspending`] carrying the inhibitor, after it a
    /// [`PowerEvent::Resumed`] and a fresh inhibitor.
    ///
    /// # Errors
    /// When logind is not on the bus or the signal cannot be subscribed to.
    pub async fn watch(bus: zbus::Connection, tx: mpsc::Sender<PowerEvent>) -> zbus::Result<()> {
        let manager = ManagerProxy::new(&bus).await?;
        let mut signals = manager.receive_prepare_for_sleep().await?;
        let mut held = inhibitor(&manager).await;
        while let Some(signal) = signals.next().await {
            let event = if signal.args()?.start {
                PowerEvent::Suspending(SleepGuard { _inhibitor: held.take() })
            } else {
                held = inhibitor(&manager).await;
                PowerEvent::Resumed { slept_for: None }
            };
            if tx.send(event).await.is_err() {
                break;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn regular_ticks_are_not_sleep() {
        assert_eq!(clock_gap(S(5), Some(S(5)), S(5)), None);
        assert_eq!(clock_gap(S(6), Some(S(7)), S(5)), None, "a busy machine runs a little late");
        assert_eq!(clock_gap(S(5), None, S(5)), None, "the wall clock was set back");
        assert_eq!(clock_gap(S(5), Some(S(20)), S(5)), None, "an NTP step below the threshold");
    }

    #[test]
    fn wall_time_the_monotonic_clock_missed_is_sleep() {
        assert_eq!(clock_gap(S(5), Some(S(3605)), S(5)), Some(S(3600)));
    }

    #[test]
    fn a_very_late_tick_is_sleep() {
        assert_eq!(clock_gap(S(605), Some(S(605)), S(5)), Some(S(600)));
        assert_eq!(clock_gap(S(605), None, S(5)), Some(S(600)));
    }
}
