//! The background sync loop of one court account: drain the outbox, pull the change feed,
//! then wait: a while when all is well, with backoff (full jitter) after a failure, and not
//! at all when woken (an OS network event only triggers an early attempt).
//!
//! "Online" means the last authenticated call to the court succeeded; a proxy that wants
//! credentials, a TLS failure or a refused sign-in are reported as such, not as "offline".

use std::sync::{Arc, Mutex};
use std::time::Duration;

use courtside_vault::Vault;
use tokio::sync::{Notify, watch};

use crate::account::Session;
use crate::feed::{self, Notice};
use crate::outbox::{Drain, DrainReport};
use crate::retry::RetryPolicy;
use crate::tus::TusClient;
use crate::{SyncError, now, outbox};

/// Whether the court answers, as the last attempt found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reachability {
    /// Nothing tried yet.
    Unknown,
    /// The last authenticated call succeeded.
    Online,
    /// The court could not be reached.
    Offline(String),
    /// A proxy wants credentials.
    ProxyAuthentication,
    /// The secure connection failed.
    Tls(String),
    /// The court refused the sign-in: sign in again.
    SignedOut(String),
}

/// What the UI shows about one account's sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncStatus {
    /// Reachability.
    pub reachability: Reachability,
    /// When a drain and pull last completed (Unix seconds).
    pub last_sync: Option<i64>,
    /// Items still to send.
    pub pending: usize,
    /// Items needing the user.
    pub needs_attention: usize,
    /// Failed cycles in a row.
    pub failures: u32,
}

/// What one cycle did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CycleReport {
    /// The drain.
    pub drain: DrainReport,
    /// News for the user.
    pub notices: Vec<Notice>,
    /// Actions the court took this cycle (answers, messages, opinions, exhibits).
    pub actions_sent: usize,
}

/// Hears of every confirmed chunk of every upload.
pub type ProgressSink = Arc<dyn Fn(&crate::outbox::OutboxItem, crate::tus::Progress) + Send + Sync>;

/// The loop for one account.
pub struct Engine {
    vault: Arc<Vault>,
    session: Session,
    tus: TusClient,
    retry: RetryPolicy,
    idle: Duration,
    status: Arc<Mutex<SyncStatus>>,
    wake: Arc<Notify>,
    progress: Option<ProgressSink>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("session", &self.session).field("idle", &self.idle).finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine for a signed-in account; `idle` is the wait between cycles when all is well.
    #[must_use]
    pub fn new(vault: Arc<Vault>, session: Session, tus: TusClient, retry: RetryPolicy, idle: Duration) -> Self {
        let status = SyncStatus {
            reachability: Reachability::Unknown,
            last_sync: None,
            pending: 0,
            needs_attention: 0,
            failures: 0,
        };
        Self {
            vault,
            session,
            tus,
            retry,
            idle,
            status: Arc::new(Mutex::new(status)),
            wake: Arc::new(Notify::new()),
            progress: None,
        }
    }

    /// Reports upload progress to `sink` (the sync panel's bytes, rate and ETA).
    #[must_use]
    pub fn on_progress(mut self, sink: ProgressSink) -> Self {
        self.progress = Some(sink);
        self
    }

    /// The status, shared with whoever shows it.
    #[must_use]
    pub fn status(&self) -> Arc<Mutex<SyncStatus>> {
        self.status.clone()
    }

    /// Notify this to try now (the network came back, the user pressed "sync", an item was
    /// queued).
    #[must_use]
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// One drain and pull; updates the status.
    ///
    /// # Errors
    /// The failure that ended the cycle (also recorded in the status).
    pub async fn cycle(&mut self) -> Result<CycleReport, SyncError> {
        let outcome = self.attempt().await;
        let mut status = self.status.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Ok(items) = outbox::items(&self.vault) {
            let mine = items
                .iter()
                .filter(|i| i.court == self.session.account().court && i.username == self.session.account().username);
            let (mut pending, mut attention) = (0, 0);
            for i in mine {
                if i.pending() {
                    pending += 1;
                } else if !matches!(i.state, outbox::ItemState::Receipted | outbox::ItemState::Cancelled) {
                    attention += 1;
                }
            }
            status.pending = pending;
            status.needs_attention = attention;
        }
        match &outcome {
            // The pull at the end of the cycle was an authenticated call that succeeded.
            Ok(report) => {
                status.reachability = Reachability::Online;
                status.last_sync = Some(now());
                // Items left waiting (the court was busy) are tried again after a backoff.
                status.failures = if report.drain.last_error.is_some() { status.failures + 1 } else { 0 };
            }
            Err(e) => {
                status.reachability = match e {
                    SyncError::ProxyAuthentication => Reachability::ProxyAuthentication,
                    SyncError::Tls(why) => Reachability::Tls(why.clone()),
                    SyncError::NotSignedIn(why) => Reachability::SignedOut(why.clone()),
                    other => Reachability::Offline(other.to_string()),
                };
                status.failures += 1;
            }
        }
        outcome
    }

    async fn attempt(&mut self) -> Result<CycleReport, SyncError> {
        let sink = self.progress.clone();
        let mut report = move |item: &crate::outbox::OutboxItem, p: crate::tus::Progress| {
            if let Some(sink) = &sink {
                sink(item, p);
            }
        };
        let drain = Drain::new(self.vault.clone(), &mut self.session, &self.tus)?.run(&mut report).await?;
        let actions_sent = crate::actions::send_queued(&self.vault, &mut self.session, &self.tus).await?;
        // Pulling also proves the court answers an authenticated call.
        let news = feed::pull(&self.vault, &mut self.session).await?;
        Ok(CycleReport { drain, notices: news.notices, actions_sent })
    }

    /// Runs cycles until `stop` turns true; `on_cycle` hears of each (for notifications).
    pub async fn run(
        mut self,
        mut stop: watch::Receiver<bool>,
        mut on_cycle: impl FnMut(&Result<CycleReport, SyncError>) + Send,
    ) {
        loop {
            if *stop.borrow() {
                return;
            }
            let outcome = self.cycle().await;
            on_cycle(&outcome);
            let failures = self.status.lock().map(|s| s.failures).unwrap_or(1);
            let wait = if failures == 0 { self.idle } else { self.retry.delay(failures, None) };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.wake.notified() => {}
                _ = stop.changed() => {}
            }
        }
    }
}
