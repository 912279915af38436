//! Where the app keeps its data and which court it talks to.

use std::path::{Path, PathBuf};

use courtside_court_api::CourtUrl;
use courtside_vault::KdfParams;

/// Environment variable naming the court's base URL (overrides settings).
pub const COURT_URL_ENV: &str = "COURTSIDE_COURT_URL";
/// Environment variable naming the folder exports are written to (default: Downloads).
pub const EXPORT_DIR_ENV: &str = "COURTSIDE_EXPORT_DIR";
/// Environment variable naming a backup folder (see [`AppConfig::backup_dir`]).
pub const BACKUP_DIR_ENV: &str = "COURTSIDE_BACKUP_DIR";
/// Environment variable naming the data directory (overrides the OS default).
pub const DATA_DIR_ENV: &str = "COURTSIDE_DATA_DIR";

/// Which court the app talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CourtChoice {
    /// A court at a validated address.
    Configured(CourtUrl),
    /// No court configured: run the reference court on 127.0.0.1 as a demo.
    Demo,
}

/// How the application service is set up.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Root of everything the app stores locally.
    pub data_dir: PathBuf,
    /// The court to talk to.
    pub court: CourtChoice,
    /// Argon2id cost for new passphrases (the strong default outside tests).
    pub vault_kdf: KdfParams,
    /// Where exports (the calendar file) are written; `None`: the user's Downloads folder.
    pub exports_dir: Option<PathBuf>,
    /// Whether unlocking starts the background work of a long-lived app: one sync engine per
    /// signed-in account and a refresh of the court's policy. The desktop app wants it; a
    /// one-shot command does not (its engines would send filings behind the command's back
    /// and be killed mid-write when it exits; `courtside sync run` sends explicitly).
    pub background_sync: bool,
    /// A backup folder set by the environment (`COURTSIDE_BACKUP_DIR`: an administrator's
    /// choice, or a test's): used while the user has chosen none, and offered on the first-run
    /// screen to restore from.
    pub backup_dir: Option<PathBuf>,
}

impl AppConfig {
    /// The configuration from the environment: `COURTSIDE_DATA_DIR` (else the OS app-data
    /// directory), `COURTSIDE_COURT_URL` (else the demo court) and `COURTSIDE_EXPORT_DIR`
    /// (else the Downloads folder).
    ///
    /// # Errors
    /// [`crate::AppError::InvalidInput`] when a variable holds an unacceptable value.
    pub fn from_env() -> Result<Self, crate::AppError> {
        let data_dir = match std::env::var_os(DATA_DIR_ENV) {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => default_data_dir()?,
        };
        let court = match std::env::var(COURT_URL_ENV) {
            Ok(url) if !url.trim().is_empty() => CourtChoice::Configured(
                CourtUrl::parse(&url).map_err(|e| crate::AppError::InvalidInput(format!("{COURT_URL_ENV}: {e}")))?,
            ),
            _ => CourtChoice::Demo,
        };
        let exports_dir = std::env::var_os(EXPORT_DIR_ENV).filter(|d| !d.is_empty()).map(PathBuf::from);
        let backup_dir = std::env::var_os(BACKUP_DIR_ENV).filter(|d| !d.is_empty()).map(PathBuf::from);
        Ok(Self { data_dir, court, vault_kdf: KdfParams::default(), exports_dir, background_sync: true, backup_dir })
    }

    /// A configuration with defaults for everything but the data directory and the court.
    #[must_use]
    pub fn new(data_dir: PathBuf, court: CourtChoice) -> Self {
        Self {
            data_dir,
            court,
            vault_kdf: KdfParams::default(),
            exports_dir: None,
            background_sync: true,
            backup_dir: None,
        }
    }

    /// Directory of the encrypted vault.
    #[must_use]
    pub fn vault_dir(&self) -> PathBuf {
        vault_dir(&self.data_dir)
    }

    /// Directory of the embedded demo court's own database.
    ///
    /// It sits beside, not inside, the encrypted vault: it is the court's data, which a real
    /// court would hold on its server.
    #[must_use]
    pub fn demo_court_dir(&self) -> PathBuf {
        demo_court_dir(&self.data_dir)
    }
}

/// Directory of the encrypted vault under a data directory.
#[must_use]
pub fn vault_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("vault")
}

/// Directory of the demo court's database under a data directory.
#[must_use]
pub fn demo_court_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("demo-court")
}

/// The OS's per-user application data directory for Courtside
/// (`~/.local/share/courtside` on Linux, `%APPDATA%\Courtside\Courtside\data` on Windows,
/// `~/Library/Application Support/org.courtside.Courtside` on macOS).
///
/// # Errors
/// [`crate::AppError::InvalidInput`] when the OS reports no home directory.
pub fn default_data_dir() -> Result<PathBuf, crate::AppError> {
    directories::ProjectDirs::from("org", "courtside", "Courtside")
        .map(|d| d.data_dir().to_owned())
        .ok_or_else(|| crate::AppError::InvalidInput("no home directory: pass --data-dir".to_owned()))
}
