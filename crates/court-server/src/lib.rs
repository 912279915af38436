//! The reference court.
//!
//! An HTTP server (axum) with its own SQLite database that implements the court API defined
//! in `courtside-court-api`. It backs the desktop app's embedded demo court, the
//! `courtside court serve` command, and every end-to-end test, which start it on
//! `127.0.0.1` with port 0 and read the bound address from [`RunningCourt::addr`].

mod routes;
mod store;

use std::net::SocketAddr;
use std::path::PathBuf;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use store::StoreError;

/// How to run a reference court.
#[derive(Debug, Clone)]
pub struct CourtConfig {
    /// Directory of the court's database and stored files; created when missing.
    pub data_dir: PathBuf,
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Display name of the court.
    pub court_name: String,
}

impl CourtConfig {
    /// A court on `127.0.0.1` (port 0) with the demo court's name.
    #[must_use]
    pub fn local(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            court_name: DEMO_COURT_NAME.to_owned(),
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
}

/// A court serving in the background of the current tokio runtime.
#[derive(Debug)]
pub struct RunningCourt {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningCourt {
    /// The address the court listens on (with the real port when 0 was asked for).
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
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
    let store = store::Store::open(&config.data_dir)?;
    let listener =
        TcpListener::bind(config.listen).await.map_err(|source| StartError::Bind { addr: config.listen, source })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind { addr: config.listen, source })?;
    let router = routes::router(routes::CourtState::new(store, config.court_name));
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
    });
    tracing::info!(%addr, "reference court listening");
    Ok(RunningCourt { addr, shutdown: Some(tx), task })
}
