//! Court accounts and the background sync: sign-in through the system browser, one sync
//! engine per signed-in account while the vault is open, the outbox and its progress for the
//! sync panel.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use courtside_court_api::CourtClient;
use courtside_court_api::filing::FilingStatus;
use courtside_sync::account::{self, CourtAccount, Session};
use courtside_sync::engine::{Engine, Reachability, SyncStatus};
use courtside_sync::network::{Network, ProxySetting};
use courtside_sync::outbox::{self, ItemState, OutboxItem};
use courtside_sync::retry::RetryPolicy;
use courtside_sync::signin::{PendingSignIn, SIGN_IN_TIMEOUT};
use courtside_sync::tus::{DEFAULT_CHUNK, Progress, TusClient};
use courtside_vault::Vault;
use tokio::sync::{Notify, watch};

use crate::ipc::{
    AccountSync, CourtAccountView, CourtStatus, OutboxState, OutboxView, SyncOverview, SyncState, UploadProgress,
};
use crate::{App, AppError};

/// Hears of the court's news: kind and one line of text.
pub type NewsSink = Arc<dyn Fn(crate::ipc::NewsKind, &str) + Send + Sync>;

/// Retries of one upload inside a sync cycle: about four seconds of waiting at most.
const UPLOAD_RETRY: RetryPolicy =
    RetryPolicy { base: Duration::from_millis(250), cap: Duration::from_secs(2), max_attempts: 4 };

/// How long an engine rests between cycles when all is well.
const IDLE: Duration = Duration::from_secs(60);

/// Network settings from the environment: `COURTSIDE_PROXY` (`system`, the default;
/// `direct`; or a proxy URL) and `COURTSIDE_EXTRA_ROOTS` (a PEM file of certificates to trust
/// besides the system's, e.g. a firm's gateway).
///
/// # Errors
/// [`AppError::InvalidInput`] when the PEM file cannot be read.
pub fn network_from_env() -> Result<Network, AppError> {
    let proxy = match std::env::var("COURTSIDE_PROXY").ok().as_deref().map(str::trim) {
        None | Some("" | "system") => ProxySetting::System,
        Some("direct") => ProxySetting::Direct,
        Some(url) => ProxySetting::Manual { url: url.to_owned() },
    };
    let extra_roots_pem = match std::env::var_os("COURTSIDE_EXTRA_ROOTS") {
        Some(path) => vec![std::fs::read_to_string(&path).map_err(|e| {
            AppError::InvalidInput(format!("COURTSIDE_EXTRA_ROOTS {}: {e}", PathBuf::from(&path).display()))
        })?],
        None => Vec::new(),
    };
    Ok(Network { proxy, extra_roots_pem })
}

/// The latest progress of an upload, and where its rate window started (time, bytes).
type Tracked = (Progress, std::time::Instant, u64);

/// Upload progress by outbox item.
#[derive(Debug, Clone, Default)]
pub struct ProgressBoard(Arc<Mutex<HashMap<String, Tracked>>>);

impl ProgressBoard {
    fn record(&self, item: &str, p: Progress) {
        if let Ok(mut map) = self.0.lock() {
            let now = std::time::Instant::now();
            let entry = map.entry(item.to_owned()).or_insert((p, now, p.confirmed));
            // Rate over the last few seconds: restart the window every 3 s.
            if now.duration_since(entry.1) > Duration::from_secs(3) || p.confirmed < entry.2 {
                entry.1 = now;
                entry.2 = entry.0.confirmed;
            }
            entry.0 = p;
        }
    }

    pub(crate) fn get_view(&self, item: &str) -> Option<UploadProgress> {
        let map = self.0.lock().ok()?;
        let (p, since, from) = map.get(item)?;
        let secs = since.elapsed().as_secs_f64();
        let rate = if secs > 0.2 { ((p.confirmed.saturating_sub(*from)) as f64 / secs) as u64 } else { 0 };
        let eta = (rate > 0).then(|| (p.total.saturating_sub(p.confirmed)) / rate);
        Some(UploadProgress { confirmed: p.confirmed, total: p.total, bytes_per_second: rate, eta_seconds: eta })
    }
}

/// A running engine: its status, its waker, and how to stop it.
pub struct EngineHandle {
    account: CourtAccount,
    status: Arc<Mutex<SyncStatus>>,
    wake: Arc<Notify>,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl EngineHandle {
    /// Stops the engine and waits until its task has ended (no write of it is in flight).
    async fn stop_and_wait(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

impl std::fmt::Debug for EngineHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineHandle").field("account", &self.account).finish_non_exhaustive()
    }
}

impl Drop for EngineHandle {
    fn drop(&mut self) {
        // The vault is locking (or the account signed out): stop now. The outbox is safe to
        // stop at any instant; the engine's copy of the vault goes with its task.
        let _ = self.stop.send(true);
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Opens `url` in the user's browser: `$BROWSER` when set (as on most Unix systems), else
/// the platform's opener. Only `http` and `https` addresses are opened.
///
/// # Errors
/// [`AppError::InvalidInput`] for another scheme; [`AppError::Internal`] when no opener runs.
pub fn open_in_browser(url: &url::Url) -> Result<(), AppError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(AppError::InvalidInput(format!("will not open a {} address", url.scheme())));
    }
    let mut command = match std::env::var_os("BROWSER").filter(|b| !b.is_empty()) {
        Some(browser) => std::process::Command::new(browser),
        None if cfg!(target_os = "macos") => std::process::Command::new("open"),
        None if cfg!(windows) => {
            let mut c = std::process::Command::new("rundll32");
            c.arg("url.dll,FileProtocolHandler");
            c
        }
        None => std::process::Command::new("xdg-open"),
    };
    let mut child = command
        .arg(url.as_str())
        .stdin(std::process::Stdio::null())
        .spawn()
        .map_err(|e| AppError::Internal(format!("no browser could be started: {e}")))?;
    // Reap it when it ends (openers usually hand over and exit at once).
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

impl App {
    /// The court's base URL as accounts record it.
    pub(crate) fn court_url(&self) -> String {
        self.court.base().to_string()
    }

    /// The court's client and a valid access token of the signed-in account.
    ///
    /// # Errors
    /// [`AppError::Locked`]; not signed in; the token cannot be refreshed.
    pub(crate) async fn as_account(&self) -> Result<(CourtClient, String), AppError> {
        let vault = self.with_open(|o| Ok(o.drafts.vault()))?;
        let account = account::account_for(&vault, &self.court_url(), None)?;
        let mut session = Session::new(vault, account).with_network(self.network.clone());
        Ok(session.litigant(false).await?)
    }

    /// The court's client, with the user's network settings (what sync uses too).
    pub(crate) fn court_client(&self) -> Result<CourtClient, AppError> {
        Ok(self.court.clone())
    }

    /// A page address the court sent (hearing room, payment page), before it is opened: it
    /// must be the court's own origin or HTTPS, never a file, script or other scheme.
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] naming `what` when the address is unusable.
    pub(crate) fn court_page(&self, address: &str, what: &str) -> Result<url::Url, AppError> {
        let court = url::Url::parse(&self.court_url()).map_err(|e| AppError::Internal(e.to_string()))?;
        let page =
            url::Url::parse(address).map_err(|e| AppError::InvalidInput(format!("the court's {what} address: {e}")))?;
        if page.origin() != court.origin() && page.scheme() != "https" {
            return Err(AppError::InvalidInput(format!(
                "the court sent an unusable {what} address {}",
                page.origin().ascii_serialization()
            )));
        }
        Ok(page)
    }

    /// Signs in to the app's court: opens the court's sign-in page in the system browser and
    /// waits (up to 10 minutes) for its redirect to this computer; the tokens and a new
    /// device key are sealed in the vault and the account starts syncing.
    ///
    /// # Errors
    /// [`AppError::Locked`]; the sign-in's failure (refused, timed out, court unreachable).
    pub async fn sign_in(&self) -> Result<CourtAccountView, AppError> {
        self.sign_in_with(open_in_browser).await
    }

    /// As [`App::sign_in`], with `open` showing the court's sign-in page to the user.
    ///
    /// # Errors
    /// As [`App::sign_in`].
    pub async fn sign_in_with(
        &self,
        open: impl FnOnce(&url::Url) -> Result<(), AppError>,
    ) -> Result<CourtAccountView, AppError> {
        let vault = self.with_open(|o| Ok(o.drafts.vault()))?;
        let court = self.court_url();
        let pending = PendingSignIn::begin(&court).await.map_err(|e| AppError::InvalidInput(e.to_string()))?;
        open(pending.authorize_url())?;
        let tokens = pending
            .finish(SIGN_IN_TIMEOUT, &self.network)
            .await
            .map_err(|e| AppError::InvalidInput(format!("sign-in: {e}")))?;
        let court_url =
            courtside_sync::signin::court_base(&court).map_err(|e| AppError::InvalidInput(e.to_string()))?;
        let device = format!("Courtside on {}", std::env::consts::OS);
        let account = account::complete_sign_in(&vault, &self.network, &court_url, &tokens, &device).await?;
        if let Err(e) = self.refresh_policy(&vault).await {
            tracing::info!(error = %e, "policy not refreshed after sign-in");
        }
        let view = account_view(&account);
        self.with_open(|o| {
            o.engines.retain(|e| e.account.username != account.username || e.account.court != account.court);
            if self.config.background_sync {
                o.engines.push(self.start_engine(vault.clone(), account));
            }
            Ok(())
        })?;
        Ok(view)
    }

    /// Signs out of an account: its tokens and device key are deleted from the vault;
    /// queued filings for it stay queued until it signs in again.
    ///
    /// # Errors
    /// [`AppError::Locked`], no such account.
    pub fn sign_out(&self, court: &str, username: &str) -> Result<(), AppError> {
        self.with_open(|o| {
            let vault = o.drafts.vault();
            let account = account::account_for(&vault, court, Some(username))?;
            account::sign_out(&vault, &account)?;
            o.engines.retain(|e| e.account.username != username || e.account.court != account.court);
            Ok(())
        })
    }

    /// Signed-in accounts.
    ///
    /// # Errors
    /// [`AppError::Locked`].
    pub fn court_accounts(&self) -> Result<Vec<CourtAccountView>, AppError> {
        self.with_open(|o| Ok(account::accounts(&o.drafts.vault())?.iter().map(account_view).collect()))
    }

    /// Wakes every engine for an attempt now (the user pressed "sync now", the network came
    /// back, something was queued).
    ///
    /// # Errors
    /// [`AppError::Locked`].
    pub fn sync_now(&self) -> Result<(), AppError> {
        self.with_open(|o| {
            for e in &o.engines {
                e.wake.notify_one();
            }
            Ok(())
        })
    }

    /// What the sync panel shows: each account's state and every outbox item.
    ///
    /// # Errors
    /// [`AppError::Locked`], the vault's error.
    pub fn sync_overview(&self) -> Result<SyncOverview, AppError> {
        self.with_open(|o| {
            let vault = o.drafts.vault();
            let accounts = account::accounts(&vault)?
                .iter()
                .map(|a| {
                    let running =
                        o.engines.iter().find(|e| e.account.court == a.court && e.account.username == a.username);
                    let status = running.and_then(|e| e.status.lock().ok().map(|s| s.clone()));
                    account_sync(a, status.as_ref())
                })
                .collect();
            let cases = o.cases.list().unwrap_or_default();
            let items = outbox::items(&vault)?
                .iter()
                .rev()
                .map(|item| {
                    let case_id =
                        cases.iter().find(|c| c.filing_item.as_deref() == Some(item.id.as_str())).map(|c| c.id.clone());
                    outbox_view(item, self.progress.get_view(&item.id), case_id)
                })
                .collect();
            Ok(SyncOverview { accounts, items })
        })
    }

    /// Holds an outbox item back, or lets it go again. A transfer in progress stops at once
    /// and later resumes from the court's offset.
    ///
    /// # Errors
    /// [`AppError::Locked`]; no such item, or nothing left to send.
    pub async fn set_filing_paused(&self, id: &str, paused: bool) -> Result<(), AppError> {
        self.with_engine_stopped(id, |vault| outbox::set_paused(vault, id, paused).map(|_| ())).await
    }

    /// Withdraws an outbox item that was not sent yet; its case can be changed and queued again.
    ///
    /// # Errors
    /// [`AppError::Locked`]; the item may already be at the court.
    pub async fn cancel_filing(&self, id: &str) -> Result<(), AppError> {
        self.with_engine_stopped(id, |vault| outbox::cancel(vault, id).map(|_| ())).await?;
        self.with_open(|o| {
            if let Some(case) = o.cases.list()?.into_iter().find(|c| c.filing_item.as_deref() == Some(id)) {
                o.cases.clear_filing(&case.id)?;
            }
            Ok(())
        })
    }

    /// Runs `change` on the vault while the engine of the item's account is stopped, then
    /// starts it again (the outbox is safe to stop at any instant).
    async fn with_engine_stopped(
        &self,
        id: &str,
        change: impl FnOnce(&Vault) -> Result<(), courtside_sync::SyncError>,
    ) -> Result<(), AppError> {
        let (vault, handle) = self.with_open(|o| {
            let vault = o.drafts.vault();
            let item = outbox::items(&vault)?
                .into_iter()
                .find(|i| i.id == id)
                .ok_or_else(|| AppError::InvalidInput(format!("no outbox item {id}")))?;
            let at =
                o.engines.iter().position(|e| e.account.court == item.court && e.account.username == item.username);
            Ok((vault, at.map(|i| o.engines.remove(i))))
        })?;
        let account = handle.as_ref().map(|h| h.account.clone());
        if let Some(h) = handle {
            h.stop_and_wait().await;
        }
        let result = change(&vault);
        if let Some(account) = account {
            self.with_open(|o| {
                o.engines.push(self.start_engine(vault.clone(), account));
                Ok(())
            })?;
        }
        Ok(result?)
    }

    /// Calls `send` with the sync overview whenever it changes (checked twice a second) until
    /// `send` returns false, the vault locks, or a newer watch starts.
    pub async fn watch_sync(&self, mut send: impl FnMut(SyncOverview) -> bool) {
        let generation = self.watch_generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let mut last = None;
        while self.watch_generation.load(std::sync::atomic::Ordering::SeqCst) == generation {
            let Ok(now) = self.sync_overview() else { return };
            if last.as_ref() != Some(&now) {
                if !send(now.clone()) {
                    return;
                }
                last = Some(now);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Where the court's news goes (the desktop shell shows a notification): `kind` is
    /// `served`, `hearing`, `fee`, `filing`, `mediation` or `evidence`. Engines started from
    /// now on use it.
    pub fn on_court_news(&self, tell: NewsSink) {
        if let Ok(mut news) = self.news.lock() {
            *news = Some(tell);
        }
    }

    /// Ends the current [`App::watch_sync`].
    pub fn unwatch_sync(&self) {
        self.watch_generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// Starts an engine for every signed-in account and refreshes the court's policy, in the
    /// background (called once the vault is open).
    pub(crate) fn after_unlock(&self) {
        self.news_to_absorb.store(true, std::sync::atomic::Ordering::SeqCst);
        if !self.config.background_sync || tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let started = self.with_open(|o| {
            let vault = o.drafts.vault();
            let accounts = account::accounts(&vault)?;
            o.engines = accounts.into_iter().map(|a| self.start_engine(vault.clone(), a)).collect();
            Ok(vault)
        });
        match started {
            Ok(vault) => {
                let network = self.network.clone();
                let client = self.court.clone();
                let court_id = self.court_id();
                tokio::spawn(async move {
                    let court = client.base().as_url().clone();
                    let court_id = match court_id {
                        Some(id) => id,
                        None => match client.health().await {
                            Ok(health) => health.court_id,
                            Err(e) => {
                                tracing::info!(error = %e, "court policy not refreshed");
                                return;
                            }
                        },
                    };
                    if let Err(e) = courtside_sync::policy::refresh(&vault, &network, &court, &court_id).await {
                        tracing::info!(error = %e, "court policy not refreshed");
                    }
                });
            }
            Err(e) => tracing::warn!(error = %e, "sync engines not started"),
        }
    }

    fn start_engine(&self, vault: Arc<Vault>, account: CourtAccount) -> EngineHandle {
        let session = Session::new(vault.clone(), account.clone()).with_network(self.network.clone());
        // Within a cycle an upload rides out only a short blip; a longer outage ends the
        // cycle (the status turns offline) and the engine's own backoff takes over.
        let tus = TusClient::new(DEFAULT_CHUNK, UPLOAD_RETRY)
            .and_then(|t| t.with_network(&self.network))
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "upload client without network settings");
                #[allow(clippy::expect_used, reason = "a default client always builds")]
                TusClient::new(DEFAULT_CHUNK, UPLOAD_RETRY).expect("tus client")
            });
        let board = self.progress.clone();
        let engine = Engine::new(vault, session, tus, RetryPolicy::default(), IDLE)
            .on_progress(Arc::new(move |item: &OutboxItem, p: Progress| board.record(&item.id, p)));
        let status = engine.status();
        let wake = engine.waker();
        let (stop, stopped) = watch::channel(false);
        let news = self.news.lock().ok().and_then(|n| n.clone());
        let to_absorb = self.news_to_absorb.clone();
        let task = tokio::spawn(engine.run(stopped, move |outcome| {
            if let Ok(report) = outcome {
                if !report.notices.is_empty() || report.drain.receipted > 0 || report.actions_sent > 0 {
                    to_absorb.store(true, std::sync::atomic::Ordering::SeqCst);
                }
                for notice in &report.notices {
                    tracing::info!(kind = ?notice.kind, "court news");
                    if let Some(tell) = &news {
                        tell(news_kind(notice.kind), &notice.text);
                    }
                }
            }
        }));
        EngineHandle { account, status, wake, stop, task: Some(task) }
    }

    /// The court id of the app's court (its policy's id), once it has answered in this run.
    pub(crate) fn court_id(&self) -> Option<String> {
        self.court_id.lock().ok().and_then(|id| id.clone())
    }

    /// Asks the court for its policy (conditionally) and keeps it in the vault.
    pub(crate) async fn refresh_policy(&self, vault: &Vault) -> Result<courtside_sync::policy::CachedPolicy, AppError> {
        let health = self.court.health().await;
        if let Ok(health) = &health
            && let Ok(mut id) = self.court_id.lock()
        {
            *id = Some(health.court_id.clone());
        }
        let court = url::Url::parse(&self.court_url()).map_err(|e| AppError::Internal(e.to_string()))?;
        let court_id = match (self.court_id(), health) {
            (Some(id), _) => id,
            (None, Ok(health)) => health.court_id,
            // Unreachable now: the id the court had when its policy was cached.
            (None, Err(e)) => match courtside_sync::policy::cached_for_court(vault, &court)? {
                Some(cached) => cached.court_id,
                None => return Err(e.into()),
            },
        };
        Ok(courtside_sync::policy::refresh(vault, &self.network, &court, &court_id).await?.0)
    }
}

fn account_view(a: &CourtAccount) -> CourtAccountView {
    CourtAccountView {
        court: a.court.clone(),
        username: a.username.clone(),
        name: a.name.clone(),
        device_id: a.device_id.clone(),
    }
}

fn account_sync(a: &CourtAccount, status: Option<&SyncStatus>) -> AccountSync {
    let (state, reason) = match status.map(|s| &s.reachability) {
        None | Some(Reachability::Unknown) => (SyncState::Unknown, None),
        Some(Reachability::Online) => (SyncState::Online, None),
        Some(Reachability::Offline(why)) => (SyncState::Offline, Some(why.clone())),
        Some(Reachability::ProxyAuthentication) => (SyncState::ProxyAuthRequired, None),
        Some(Reachability::Tls(why)) => (SyncState::CertificateProblem, Some(why.clone())),
        Some(Reachability::SignedOut(why)) => (SyncState::SignedOut, Some(why.clone())),
    };
    AccountSync {
        account: account_view(a),
        state,
        reason,
        last_sync: status.and_then(|s| s.last_sync),
        pending: status.map_or(0, |s| s.pending),
        needs_attention: status.map_or(0, |s| s.needs_attention),
    }
}

/// The sync panel's line for an outbox item.
pub(crate) fn outbox_view(item: &OutboxItem, progress: Option<UploadProgress>, case_id: Option<String>) -> OutboxView {
    let (state, reason, details) = match &item.state {
        ItemState::Queued => (OutboxState::Queued, None, Vec::new()),
        ItemState::Uploading => (OutboxState::Uploading, None, Vec::new()),
        ItemState::Submitted => (OutboxState::Submitted, None, Vec::new()),
        ItemState::Receipted => (OutboxState::Receipted, None, Vec::new()),
        ItemState::NeedsAttention { reason, details } => {
            (OutboxState::NeedsAttention, Some(reason.clone()), details.clone())
        }
        ItemState::Failed { reason } => (OutboxState::Failed, Some(reason.clone()), Vec::new()),
        ItemState::Cancelled => (OutboxState::Cancelled, None, Vec::new()),
    };
    let (court_status, case_number, court_reasons) = match &item.court_status {
        None => (None, None, Vec::new()),
        Some(FilingStatus::Submitted) => (Some(CourtStatus::Submitted), None, Vec::new()),
        Some(FilingStatus::UnderReview) => (Some(CourtStatus::UnderReview), None, Vec::new()),
        Some(FilingStatus::Docketed { case_number, .. }) => {
            (Some(CourtStatus::Docketed), Some(case_number.clone()), Vec::new())
        }
        Some(FilingStatus::Rejected { reasons }) => (Some(CourtStatus::Rejected), None, reasons.clone()),
        Some(FilingStatus::CorrectionRequested { .. }) => (Some(CourtStatus::CorrectionRequested), None, Vec::new()),
    };
    let correction = match &item.court_status {
        Some(FilingStatus::CorrectionRequested { items, due }) => Some(crate::ipc::CourtCorrection {
            due: courtside_court_api::policy::iso_date::format(*due),
            points: items
                .iter()
                .map(|i| crate::ipc::CorrectionPoint { item: i.item.clone(), reason: i.reason.clone() })
                .collect(),
        }),
        _ => None,
    };
    OutboxView {
        id: item.id.clone(),
        title: item.filing.title.clone(),
        case_id,
        state: state.to_owned(),
        reason,
        details: details.into_iter().chain(court_reasons).collect(),
        court_status,
        correction,
        case_number,
        files: item.uploads.len(),
        files_uploaded: item.uploads.iter().filter(|u| u.uploaded).count(),
        progress: if state == OutboxState::Uploading { progress } else { None },
        paused: item.paused,
        cancellable: item.cancellable(),
        last_error: item.last_error.clone(),
        created_at: item.created_at,
    }
}

/// The window's word for a kind of the court's news.
fn news_kind(kind: courtside_sync::feed::NoticeKind) -> crate::ipc::NewsKind {
    use crate::ipc::NewsKind;
    use courtside_sync::feed::NoticeKind;
    match kind {
        NoticeKind::Filing => NewsKind::Filing,
        NoticeKind::Served => NewsKind::Served,
        NoticeKind::Hearing => NewsKind::Hearing,
        NoticeKind::Fee => NewsKind::Fee,
        NoticeKind::Mediation => NewsKind::Mediation,
        NoticeKind::Evidence => NewsKind::Evidence,
    }
}
