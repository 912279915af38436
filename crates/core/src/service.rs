//! The application service: one instance per running app or CLI command.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use courtside_casework::{Draft, DraftSummary, Drafts, SearchHit, VersionSummary};
use courtside_court_api::{CourtClient, CourtError, CourtUrl};
use courtside_vault::Vault;
use tokio::sync::mpsc;

use crate::ipc::{AppInfo, Connectivity, CourtSummary, CreatedVault, VaultState};
use crate::power::PowerEvent;
use crate::{AppConfig, AppError, CourtChoice};

/// The running application: its configuration, its court connection, and (without a
/// configured court) the embedded demo court.
pub struct App {
    pub(crate) config: AppConfig,
    pub(crate) court: CourtClient,
    demo_court: Option<crate::demo::DemoCourt>,
    vault: Mutex<VaultSlot>,
    /// Held for the whole of an unlock attempt: attempts are made one at a time.
    unlocking: tokio::sync::Mutex<()>,
    /// Proxy and extra root certificates for every call to a court.
    pub(crate) network: courtside_sync::network::Network,
    /// Upload progress of outbox items, by item id (shown in the sync panel).
    pub(crate) progress: crate::courts::ProgressBoard,
    /// The court's id (from its health answer), once known.
    pub(crate) court_id: Mutex<Option<String>>,
    /// Which sync watch is current (a newer one ends the older).
    pub(crate) watch_generation: std::sync::atomic::AtomicU64,
    /// Where the court's news goes.
    pub(crate) news: Mutex<Option<crate::courts::NewsSink>>,
    /// Set when the court's news arrived (or the vault opened) and cases have not yet been
    /// joined to it: the served documents, hearings and fees.
    pub(crate) news_to_absorb: Arc<std::sync::atomic::AtomicBool>,
    /// Connectivity logs of hearings joined in this run.
    pub(crate) hearing_logs: crate::hearing_join::HearingLogs,
    /// Backups: one at a time, important changes since the last, the folder to restore from.
    pub(crate) backups: crate::backup::BackupState,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("config", &self.config)
            .field("court", &self.court)
            .field("demo_court", &self.demo_court)
            .finish_non_exhaustive()
    }
}

/// The open vault, if any (failed unlocks are counted in [`crate::unlock_guard`]).
#[derive(Debug, Default)]
struct VaultSlot {
    open: Option<OpenVault>,
}

/// What exists only while the vault is unlocked: the vault, the drafts' search copy, the
/// cases, and one sync engine per signed-in court account (stopped when the vault locks).
#[derive(Debug)]
pub(crate) struct OpenVault {
    pub(crate) drafts: Drafts,
    pub(crate) cases: courtside_casework::cases::Cases,
    pub(crate) engines: Vec<crate::courts::EngineHandle>,
    /// The evidence locker, opened on first use.
    pub(crate) locker: Option<Arc<courtside_evidence::Locker>>,
    /// Files dropped on the window and not yet kept or discarded (gone when the vault locks).
    pub(crate) dropped: Option<crate::evidence::HeldDrop>,
}

impl OpenVault {
    fn new(vault: Vault) -> Result<Self, AppError> {
        let vault = Arc::new(vault);
        Ok(Self {
            cases: courtside_casework::cases::Cases::new(vault.clone()),
            drafts: Drafts::load(vault)?,
            engines: Vec::new(),
            locker: None,
            dropped: None,
        })
    }
}

/// How long the window gets to save typed text and lock by itself before a sleep; logind
/// waits up to 5 s by default.
pub const SLEEP_LOCK_GRACE: Duration = Duration::from_secs(3);

/// Delay before answering an unlock attempt after `failures` wrong ones: none for the first
/// two (typos happen), then doubling from one second up to half a minute.
#[must_use]
pub fn unlock_delay(failures: u32) -> Duration {
    match failures {
        0..=2 => Duration::ZERO,
        n => Duration::from_secs(1u64 << (n - 3).min(5)).min(Duration::from_secs(30)),
    }
}

impl App {
    /// Starts the service. With no court configured, starts the reference court on
    /// `127.0.0.1` (a free port) as the demo court, its data under the data directory.
    ///
    /// # Errors
    /// [`AppError`] when the data directory or the demo court cannot be set up.
    pub async fn start(config: AppConfig) -> Result<Self, AppError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            AppError::InvalidInput(format!("cannot create the data directory {}: {e}", config.data_dir.display()))
        })?;
        let (url, demo_court) = match &config.court {
            CourtChoice::Configured(url) => (url.clone(), None),
            CourtChoice::Demo => {
                let court = crate::demo::DemoCourt::start(&config.demo_court_dir()).await?;
                let url = CourtUrl::parse(&court.base_url())
                    .map_err(|e| AppError::Internal(format!("demo court address: {e}")))?;
                (url, Some(court))
            }
        };
        let network = crate::courts::network_from_env()?;
        // The connectivity indicator and every litigant call go through the same settings.
        let court = CourtClient::with_network(url, &network)?;
        Ok(Self {
            config,
            court,
            demo_court,
            vault: Mutex::new(VaultSlot::default()),
            unlocking: tokio::sync::Mutex::new(()),
            network,
            progress: crate::courts::ProgressBoard::default(),
            court_id: Mutex::new(None),
            watch_generation: std::sync::atomic::AtomicU64::new(0),
            news: Mutex::new(None),
            news_to_absorb: Arc::new(std::sync::atomic::AtomicBool::new(true)),
            hearing_logs: Mutex::default(),
            backups: crate::backup::BackupState::default(),
        })
    }

    /// The configuration the service runs with.
    #[must_use]
    pub fn config(&self) -> &AppConfig {
        &self.config
    }

    /// Version, OS locale and court, for the UI.
    #[must_use]
    pub fn info(&self) -> AppInfo {
        AppInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            os_locale: sys_locale::get_locale(),
            court: CourtSummary { url: self.court.base().to_string(), demo: self.demo_court.is_some() },
        }
    }

    /// Asks the court whether it is there.
    pub async fn check_connectivity(&self) -> Connectivity {
        let result = self.court.health().await;
        let checked_at = now_millis();
        match result {
            Ok(health) => Connectivity::Online { court_name: health.court_name, checked_at },
            Err(CourtError::ProxyAuthentication) => Connectivity::ProxyAuthRequired { checked_at },
            Err(CourtError::Certificate(reason)) => Connectivity::CertificateProblem { reason, checked_at },
            Err(e) => Connectivity::Offline { reason: e.to_string(), checked_at },
        }
    }

    /// Whether the vault exists and is open.
    ///
    /// # Errors
    /// [`AppError::Vault`] when the vault directory cannot be read.
    pub fn vault_state(&self) -> Result<VaultState, AppError> {
        if self.lock_slot()?.open.is_some() {
            return Ok(VaultState::Unlocked);
        }
        Ok(match Vault::state(&self.config.vault_dir())? {
            courtside_vault::VaultState::Absent => VaultState::Absent,
            courtside_vault::VaultState::Present => VaultState::Locked,
        })
    }

    /// Creates the vault and leaves it open; returns the recovery key to show once.
    ///
    /// # Errors
    /// [`AppError::Vault`] (weak passphrase, a vault exists, disk errors).
    pub async fn create_vault(&self, passphrase: String) -> Result<CreatedVault, AppError> {
        let dir = self.config.vault_dir();
        let kdf = self.config.vault_kdf;
        let (vault, recovery) = blocking(move || Vault::create(&dir, &passphrase, kdf)).await??;
        self.lock_slot()?.open = Some(OpenVault::new(vault)?);
        self.after_unlock();
        Ok(CreatedVault { recovery_key: recovery.display_string() })
    }

    /// Opens the vault with the passphrase. After repeated failures each answer is delayed
    /// ([`unlock_delay`]) to slow down guessing.
    ///
    /// # Errors
    /// [`AppError::Vault`] with `WrongPassphrase` when it does not open the vault.
    pub async fn unlock_vault(&self, passphrase: String) -> Result<(), AppError> {
        self.open_vault(move |dir| Vault::unlock(dir, &passphrase)).await
    }

    /// Opens the vault with the recovery key (when the passphrase is forgotten).
    ///
    /// # Errors
    /// [`AppError::Vault`] with `WrongRecoveryKey` when it does not open the vault.
    pub async fn unlock_with_recovery_key(&self, recovery_key: String) -> Result<(), AppError> {
        self.open_vault(move |dir| Vault::unlock_with_recovery_key(dir, &recovery_key)).await
    }

    /// Whether the vault can be opened with this device's keychain.
    ///
    /// # Errors
    /// The key file cannot be read.
    pub fn device_unlock_enabled(&self) -> Result<bool, AppError> {
        let dir = self.config.vault_dir();
        if Vault::state(&dir)? == courtside_vault::VaultState::Absent {
            return Ok(false);
        }
        Ok(Vault::device_unlock_enabled(&dir)?)
    }

    /// Turns "unlock with this device" on or off for the open vault.
    ///
    /// # Errors
    /// [`AppError::Locked`]; `KeychainUnavailable` where no OS keychain answers (nothing
    /// changes then).
    pub async fn set_device_unlock(&self, on: bool) -> Result<(), AppError> {
        let vault = self.with_open(|o| Ok(o.drafts.vault()))?;
        blocking(move || vault.set_device_unlock(on)).await??;
        Ok(())
    }

    /// Opens the vault with the key in this device's keychain.
    ///
    /// # Errors
    /// `DeviceUnlockOff`, `KeychainUnavailable` or `WrongDeviceKey` from the vault.
    pub async fn unlock_with_this_device(&self) -> Result<(), AppError> {
        self.open_vault(Vault::unlock_with_this_device).await
    }

    /// The one way the vault is opened: the key derivation runs off the async threads; a
    /// wrong passphrase or recovery key counts as a failed guess, and every failure is
    /// answered after [`unlock_delay`] of the guesses so far.
    async fn open_vault(
        &self,
        open: impl FnOnce(&std::path::Path) -> Result<Vault, courtside_vault::VaultError> + Send + 'static,
    ) -> Result<(), AppError> {
        use crate::unlock_guard::{UnlockGuard, now_ms};
        // One attempt at a time, and none before the delay the last failures earned (kept
        // across restarts).
        let _attempt = self.unlocking.lock().await;
        let data_dir = self.config.data_dir.clone();
        tokio::time::sleep(UnlockGuard::load(&data_dir).wait(now_ms())).await;
        let dir = self.config.vault_dir();
        let result = blocking(move || open(&dir).map_err(AppError::from).and_then(OpenVault::new)).await?;
        let (delay, error) = {
            let mut slot = self.lock_slot()?;
            match result {
                Ok(vault) => {
                    slot.open = Some(vault);
                    UnlockGuard::default().store(&data_dir);
                    drop(slot);
                    self.after_unlock();
                    return Ok(());
                }
                Err(e) => {
                    use courtside_vault::VaultError::{WrongPassphrase, WrongRecoveryKey};
                    let now = now_ms();
                    let mut guard = UnlockGuard::load(&data_dir);
                    if matches!(e, AppError::Vault(WrongPassphrase | WrongRecoveryKey)) {
                        guard = guard.after_failure(now);
                        guard.store(&data_dir);
                    }
                    (guard.wait(now), e)
                }
            }
        };
        tokio::time::sleep(delay).await;
        Err(error)
    }

    /// Replaces the passphrase of the open vault (the data key is rewrapped; instant apart
    /// from the key derivation).
    ///
    /// # Errors
    /// [`AppError::Locked`], or a weak passphrase.
    pub async fn change_passphrase(&self, new_passphrase: String) -> Result<(), AppError> {
        let vault = self.with_open(|o| Ok(o.drafts.vault()))?;
        let kdf = self.config.vault_kdf;
        blocking(move || vault.change_passphrase(&new_passphrase, kdf)).await??;
        Ok(())
    }

    /// Closes the vault: the data key is dropped and zeroized.
    ///
    /// # Errors
    /// [`AppError::Internal`] only if the vault's lock was poisoned by a panic.
    pub fn lock_vault(&self) -> Result<(), AppError> {
        self.lock_slot()?.open = None;
        Ok(())
    }

    /// Locks the vault whenever the machine sleeps (see [`crate::power`]): `ask_ui` tells the
    /// window to save what is being typed and lock; if the vault is still open after
    /// [`SLEEP_LOCK_GRACE`], it is locked here. A sleep inhibitor is released only then.
    /// Returns when the event source ends.
    pub async fn lock_on_sleep(&self, mut events: mpsc::Receiver<PowerEvent>, ask_ui: impl Fn()) {
        while let Some(event) = events.recv().await {
            if !self.is_unlocked() {
                continue;
            }
            tracing::info!(?event, "locking the vault for sleep");
            ask_ui();
            let deadline = tokio::time::Instant::now() + SLEEP_LOCK_GRACE;
            while self.is_unlocked() && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            if let Err(e) = self.lock_vault() {
                tracing::error!(error = %e, "could not lock the vault for sleep");
            }
            drop(event);
        }
    }

    fn is_unlocked(&self) -> bool {
        self.lock_slot().is_ok_and(|slot| slot.open.is_some())
    }

    /// All drafts, most recently saved first.
    ///
    /// # Errors
    /// [`AppError::Locked`] when the vault is not open.
    pub fn list_drafts(&self) -> Result<Vec<DraftSummary>, AppError> {
        self.with_open(|o| Ok(o.drafts.list()))
    }

    /// Creates a draft (its first version).
    ///
    /// # Errors
    /// [`AppError::Locked`], or the draft's or vault's error.
    pub fn create_draft(&self, title: &str, body: &str, case_id: Option<&str>) -> Result<Draft, AppError> {
        self.note_change();
        self.with_open(|o| Ok(o.drafts.create(title, body, case_id)?))
    }

    /// Saves new content as the next version (autosave).
    ///
    /// # Errors
    /// [`AppError::Locked`], or the draft's or vault's error.
    pub fn save_draft(&self, id: &str, title: &str, body: &str) -> Result<Draft, AppError> {
        self.note_change();
        self.with_open(|o| Ok(o.drafts.save(id, title, body)?))
    }

    /// A draft's current content, or one of its versions.
    ///
    /// # Errors
    /// [`AppError::Locked`], or no such draft or version.
    pub fn get_draft(&self, id: &str, version: Option<u64>) -> Result<Draft, AppError> {
        self.with_open(|o| {
            Ok(match version {
                Some(n) => o.drafts.version(id, n)?,
                None => o.drafts.get(id)?,
            })
        })
    }

    /// Every version of a draft, oldest first.
    ///
    /// # Errors
    /// [`AppError::Locked`], or no such draft.
    pub fn draft_history(&self, id: &str) -> Result<Vec<VersionSummary>, AppError> {
        self.with_open(|o| Ok(o.drafts.history(id)?))
    }

    /// Makes an old version current again, as a new version.
    ///
    /// # Errors
    /// [`AppError::Locked`], or no such draft or version.
    pub fn restore_draft(&self, id: &str, version: u64) -> Result<Draft, AppError> {
        self.with_open(|o| Ok(o.drafts.restore(id, version)?))
    }

    /// Drafts containing the text (case-insensitive).
    ///
    /// # Errors
    /// [`AppError::Locked`].
    pub fn search_drafts(&self, query: &str) -> Result<Vec<SearchHit>, AppError> {
        self.with_open(|o| Ok(o.drafts.search(query)))
    }

    /// Where the blob `blob_id` is stored (its file's name is opaque): for tests that look at
    /// or tamper with a vault's files.
    ///
    /// # Errors
    /// [`AppError::Locked`].
    #[doc(hidden)]
    pub fn stored_blob_path(&self, blob_id: &str) -> Result<std::path::PathBuf, AppError> {
        self.with_open(|o| Ok(o.drafts.vault().blob_path(blob_id)))
    }

    pub(crate) fn with_open<T>(&self, f: impl FnOnce(&mut OpenVault) -> Result<T, AppError>) -> Result<T, AppError> {
        let mut slot = self.lock_slot()?;
        let open = slot.open.as_mut().ok_or(AppError::Locked)?;
        f(open)
    }

    fn lock_slot(&self) -> Result<std::sync::MutexGuard<'_, VaultSlot>, AppError> {
        self.vault.lock().map_err(|_| AppError::Internal("vault state poisoned by an earlier panic".to_owned()))
    }

    /// Stops the demo court (if any), letting requests in flight finish.
    pub async fn shutdown(self) {
        if let Some(court) = self.demo_court {
            court.stop().await;
        }
    }
}

/// Runs CPU-heavy work (key derivation) off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| AppError::Internal(format!("background task failed: {e}")))
}

fn now_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
