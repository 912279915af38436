//! The embedded demo court: the reference court on 127.0.0.1, started when no court is
//! configured, in builds with the `demo-court` feature (development, tests, the demo). A
//! build without it links no court server: [`DemoCourt::start`] then says that a court must
//! be configured.

use crate::AppError;

/// The running demo court.
#[cfg(feature = "demo-court")]
#[derive(Debug)]
pub(crate) struct DemoCourt(courtside_court_server::RunningCourt);

/// No demo court in this build (the type has no value).
#[cfg(not(feature = "demo-court"))]
#[derive(Debug)]
pub(crate) enum DemoCourt {}

#[cfg(feature = "demo-court")]
impl DemoCourt {
    /// Starts the demo court on the port it had last time (kept in `demo-court/port`), so
    /// that court accounts and the cached policy, which are keyed by the court's address,
    /// stay valid across restarts; a free port when that one is taken (or on the first
    /// start).
    pub(crate) async fn start(dir: &std::path::Path) -> Result<Self, AppError> {
        use courtside_court_server::{CourtConfig, StartError, start};
        let failed = |e: StartError| AppError::DemoCourt(e.to_string());
        let port_file = dir.join("port");
        let saved: Option<u16> = std::fs::read_to_string(&port_file).ok().and_then(|p| p.trim().parse().ok());
        let config = |port: u16| CourtConfig {
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
            ..CourtConfig::local(dir.to_owned())
        };
        let court = match saved {
            Some(port) => match start(config(port)).await {
                Ok(court) => court,
                Err(StartError::Bind { .. }) => start(config(0)).await.map_err(failed)?,
                Err(e) => return Err(failed(e)),
            },
            None => start(config(0)).await.map_err(failed)?,
        };
        let port = court.addr().port();
        if saved != Some(port)
            && let Err(e) = std::fs::write(&port_file, port.to_string())
        {
            tracing::warn!(error = %e, "the demo court's port was not saved");
        }
        Ok(Self(court))
    }

    /// Its base URL.
    pub(crate) fn base_url(&self) -> String {
        self.0.base_url()
    }

    /// Stops it, letting requests in flight finish.
    pub(crate) async fn stop(self) {
        if let Err(e) = self.0.stop().await {
            tracing::warn!(error = %e, "demo court ended with an error");
        }
    }
}

#[cfg(not(feature = "demo-court"))]
impl DemoCourt {
    #[allow(clippy::unused_async, reason = "the same signature as with the demo court")]
    pub(crate) async fn start(_dir: &std::path::Path) -> Result<Self, AppError> {
        Err(AppError::DemoCourt(format!(
            "this build has no demo court: configure a court ({})",
            crate::config::COURT_URL_ENV
        )))
    }

    pub(crate) fn base_url(&self) -> String {
        match *self {}
    }

    #[allow(clippy::unused_async, reason = "the same signature as with the demo court")]
    pub(crate) async fn stop(self) {
        match self {}
    }
}
