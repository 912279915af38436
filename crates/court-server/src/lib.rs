//! The reference court.
//!
//! An HTTP server (axum) with its own SQLite database that implements the court API defined
//! in `courtside-court-api`. It backs the desktop app's embedded demo court, the
//! `courtside court serve` command, and every end-to-end test, which start it on
//! `127.0.0.1` with port 0 and read the bound address from [`RunningCourt::addr`].

mod auth;
mod exchange;
mod faults;
mod filings;
mod hearings;
mod http;
mod policy;
mod routes;
mod store;
mod timestamps;
mod uploads;

use crate::store::Cached;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ring::signature::{Ed25519KeyPair, KeyPair};

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use auth::{CLIENT_ID, DEMO_ACCOUNTS, DemoAccount};
pub use faults::{FaultPlan, Faults};
pub use policy::{MAX_FILE_BYTES, MAX_FILING_BYTES};
pub use routes::openapi_document;
pub use store::StoreError;
pub use uploads::UploadStatistics;

/// The demo court's policy as the reference court publishes it, signed by `key` (for tests
/// and tools that need the policy's rules without a running court).
#[must_use]
pub fn demo_policy(key: courtside_court_api::policy::CourtKey) -> courtside_court_api::policy::CourtPolicy {
    policy::demo_policy(DEMO_COURT_ID, DEMO_COURT_NAME, key)
}

/// Where the committed OpenAPI document lives, relative to the repository root.
pub const OPENAPI_PATH: &str = "docs/openapi.json";
/// Id of the demo court in paths (`/v1/courts/demo-basic/policy`).
pub const DEMO_COURT_ID: &str = "demo-basic";

/// How to run a reference court.
#[derive(Debug, Clone)]
pub struct CourtConfig {
    /// Directory of the court's database and stored files; created when missing.
    pub data_dir: PathBuf,
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Display name of the court.
    pub court_name: String,
    /// Id of the court in paths and manifests.
    pub court_id: String,
    /// Lifetime of access tokens.
    pub access_token_ttl: Duration,
    /// The clerk API's bearer token; `None` keeps the one in `<data_dir>/clerk-token`
    /// (created at first start).
    pub clerk_token: Option<String>,
    /// Largest file and largest filing in bytes, as the policy states them.
    pub size_limits: SizeLimits,
}

/// Size limits a court's policy states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeLimits {
    /// Largest single file.
    pub file: u64,
    /// Largest total of one filing's files.
    pub filing: u64,
}

impl Default for SizeLimits {
    fn default() -> Self {
        Self { file: MAX_FILE_BYTES, filing: MAX_FILING_BYTES }
    }
}

impl CourtConfig {
    /// A court on `127.0.0.1` (port 0) with the demo court's name.
    #[must_use]
    pub fn local(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            court_name: DEMO_COURT_NAME.to_owned(),
            court_id: DEMO_COURT_ID.to_owned(),
            access_token_ttl: Duration::from_secs(600),
            clerk_token: None,
            size_limits: SizeLimits::default(),
        }
    }
}

/// Name of the court that the demo seed and the embedded demo court use.
pub const DEMO_COURT_NAME: &str = "示范基层人民法院 (Demo Basic People's Court)";

/// Why a court could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The listening socket could not be bound (port in use, no permission).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The requested address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The court's database could not be opened or migrated.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The court's files (uploads, signing key, clerk token) could not be set up.
    #[error("the court's files cannot be set up: {0}")]
    Files(String),
}

/// A court serving in the background of the current tokio runtime.
#[derive(Debug)]
pub struct RunningCourt {
    config: CourtConfig,
    addr: SocketAddr,
    clerk_token: Arc<str>,
    faults: Faults,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningCourt {
    /// The address the court listens on (with the real port when 0 was asked for).
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The clerk API's bearer token.
    #[must_use]
    pub fn clerk_token(&self) -> &str {
        &self.clerk_token
    }

    /// The fault-injection switchboard of this court.
    #[must_use]
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Base URL of the court's API, e.g. `http://127.0.0.1:18080/`.
    #[must_use]
    pub fn base_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Stops accepting connections, lets requests in flight finish, and waits for the end.
    ///
    /// # Errors
    /// The server loop's I/O error, if it ended with one.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        (&mut self.task).await.unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }

    /// Stops the court and starts it again on the same address and data (fault injection:
    /// "the court restarted"). Fault plans are not kept.
    ///
    /// # Errors
    /// [`StartError`] when it cannot start again.
    pub async fn restart(self) -> Result<RunningCourt, StartError> {
        let config =
            CourtConfig { listen: self.addr, clerk_token: Some(self.clerk_token.to_string()), ..self.config.clone() };
        if let Err(e) = self.stop().await {
            tracing::warn!(error = %e, "the court ended with an error before its restart");
        }
        start(config).await
    }

    /// Waits until the server ends (it runs until stopped or the process ends).
    ///
    /// # Errors
    /// The server loop's I/O error, if it ended with one.
    pub async fn wait(mut self) -> std::io::Result<()> {
        (&mut self.task).await.unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

/// Opens (or creates) the court's store, binds the socket and starts serving.
///
/// # Errors
/// [`StartError`] when the store or the socket cannot be set up.
pub async fn start(config: CourtConfig) -> Result<RunningCourt, StartError> {
    let kept = config.clone();
    let store = store::Store::open(&config.data_dir)?;
    let files = |e: &dyn std::fmt::Display| StartError::Files(e.to_string());
    store.with(|c| auth::seed_accounts(c)).map_err(|e| files(&e))?;
    let key = court_key(&store).map_err(|e| files(&e))?;
    let tsa = timestamps::Tsa::load_or_create(&store, &config.court_name).map_err(|e| files(&e))?;
    let uploads_dir = config.data_dir.join("uploads");
    std::fs::create_dir_all(&uploads_dir).map_err(|e| files(&e))?;
    let clerk_token: Arc<str> = match config.clerk_token.clone() {
        Some(t) => t.into(),
        None => clerk_token_file(&config.data_dir).map_err(|e| files(&e))?.into(),
    };
    let court_key = courtside_court_api::policy::CourtKey {
        key_id: key.id.clone(),
        algorithm: "Ed25519".to_owned(),
        public_key: courtside_court_api::encoding::b64url(key.pair.public_key().as_ref()),
    };
    let mut demo = policy::demo_policy(&config.court_id, &config.court_name, court_key);
    demo.max_file_bytes = config.size_limits.file;
    demo.max_filing_bytes = config.size_limits.filing;
    let policy = policy::PublishedPolicy::new(demo);
    let faults = Faults::default();
    let state = http::CourtState {
        store,
        court_name: config.court_name,
        court_id: config.court_id,
        key: Arc::new(key),
        policy: Arc::new(policy),
        uploads_dir,
        access_token_ttl: config.access_token_ttl,
        clerk_token: clerk_token.clone(),
        faults: faults.clone(),
        rooms: hearings::Rooms::default(),
        digests: uploads::RunningDigests::default(),
        tsa: Arc::new(tsa),
    };
    // An upload whose last byte arrived just before the court stopped gets its digest now.
    let recovered = uploads::recover(&state).await.map_err(|e| StartError::Files(format!("uploads: {e:?}")))?;
    if recovered > 0 {
        tracing::info!(uploads = recovered, "digests of finished uploads recorded");
    }
    let listener =
        TcpListener::bind(config.listen).await.map_err(|source| StartError::Bind { addr: config.listen, source })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind { addr: config.listen, source })?;
    let router = routes::router(state);
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
    });
    tracing::info!(%addr, "reference court listening");
    Ok(RunningCourt { config: kept, addr, clerk_token, faults, shutdown: Some(tx), task })
}

/// The court's Ed25519 signing key, created at first start and kept in its database.
fn court_key(store: &store::Store) -> Result<http::CourtKey, String> {
    let existing: Option<String> = store
        .with(|c| http::optional(c.one("SELECT value FROM court_meta WHERE key = 'signing_key'", [], |r| r.get(0))))
        .map_err(|e| e.to_string())?;
    let pkcs8 = match existing.and_then(|v| courtside_court_api::encoding::b64url_decode(&v)) {
        Some(bytes) => bytes,
        None => {
            let doc = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).map_err(|e| e.to_string())?;
            let bytes = doc.as_ref().to_vec();
            store
                .with(|c| {
                    c.run(
                        "INSERT INTO court_meta (key, value) VALUES ('signing_key', ?1)",
                        [courtside_court_api::encoding::b64url(&bytes)],
                    )
                })
                .map_err(|e| e.to_string())?;
            bytes
        }
    };
    let pair = Ed25519KeyPair::from_pkcs8(&pkcs8).map_err(|e| e.to_string())?;
    let id = format!("court-{}", &courtside_court_api::encoding::sha256_hex(pair.public_key().as_ref())[..16]);
    Ok(http::CourtKey { pair, id })
}

/// The clerk token kept in `<data_dir>/clerk-token` (owner-only), created when missing.
fn clerk_token_file(dir: &std::path::Path) -> std::io::Result<String> {
    let path = dir.join("clerk-token");
    match std::fs::read_to_string(&path) {
        Ok(t) if !t.trim().is_empty() => Ok(t.trim().to_owned()),
        _ => {
            let token = courtside_court_api::auth::random_token(32);
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            std::io::Write::write_all(&mut options.open(&path)?, token.as_bytes())?;
            Ok(token)
        }
    }
}
