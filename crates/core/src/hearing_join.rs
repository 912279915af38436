//! Joining a hearing: the network check against the court, the check-in (device, network,
//! environment, identity, rules), the join ticket opened with the system handler, and a
//! connectivity log kept while the hearing runs (Online Litigation Rules Art. 25: the record
//! a participant needs to show that a failure was the network's).

use std::time::{Duration, Instant};

use courtside_court_api::hearing::{CheckIn, CheckInReceipt, JoinTicket};

use crate::ipc::NetworkCheck;
use crate::{App, AppError};

/// How often the connectivity log probes the court during a hearing.
pub const PROBE_EVERY: Duration = Duration::from_secs(5);

/// One probe of the connectivity log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Round trip in milliseconds, or `None` when the court did not answer.
    pub round_trip_ms: Option<u64>,
    /// Why it failed.
    pub error: Option<String>,
}

impl App {
    /// Checks that `hearing` is a court id before it goes into a request.
    fn hearing_id(hearing: &str) -> Result<&str, AppError> {
        if courtside_sync::feed::is_court_id(hearing) {
            Ok(hearing)
        } else {
            Err(AppError::InvalidInput("not a hearing id".into()))
        }
    }

    /// Round trip (median of five health calls) and download throughput (the court's API
    /// document) to the court.
    ///
    /// # Errors
    /// [`AppError::Court`] when the court does not answer.
    pub async fn network_check(&self) -> Result<NetworkCheck, AppError> {
        let mut trips = Vec::new();
        for _ in 0..5 {
            let started = Instant::now();
            self.court.health().await?;
            trips.push(started.elapsed().as_millis() as u64);
        }
        trips.sort_unstable();
        let started = Instant::now();
        let bytes = self.court.api_document_size().await?;
        let secs = started.elapsed().as_secs_f64().max(0.001);
        Ok(NetworkCheck { round_trip_ms: trips[2], throughput_kbps: ((bytes as f64 * 8.0 / 1000.0) / secs) as u64 })
    }

    /// Sends the pre-hearing check to the court.
    ///
    /// # Errors
    /// [`AppError::Sync`] when the court refuses (e.g. the rules not acknowledged).
    pub async fn check_in(&self, hearing: &str, check: &CheckIn) -> Result<CheckInReceipt, AppError> {
        let hearing = Self::hearing_id(hearing)?;
        let (court, token) = self.as_account().await?;
        Ok(court.litigant(&token).check_in(hearing, check).await?)
    }

    /// Asks the court for a join ticket and opens the room with `open` (the desktop shell
    /// passes the system handler); returns the ticket.
    ///
    /// # Errors
    /// [`AppError::Sync`] when the court refuses (no check-in yet, outside the window).
    pub async fn join_hearing(
        &self,
        hearing: &str,
        open: impl FnOnce(&url::Url) -> Result<(), AppError>,
    ) -> Result<JoinTicket, AppError> {
        let hearing = Self::hearing_id(hearing)?;
        let (court, token) = self.as_account().await?;
        let ticket: JoinTicket = court.litigant(&token).join_hearing(hearing).await?;
        let room = self.court_page(&ticket.room_url, "room")?;
        open(&room)?;
        Ok(ticket)
    }

    /// Probes the court every [`PROBE_EVERY`] for `span`, appending to `log` (which the caller
    /// exports); each probe is one health call with its round trip or its error.
    pub async fn log_connectivity(&self, span: Duration, log: &std::sync::Mutex<Vec<Probe>>, every: Duration) {
        let until = Instant::now() + span;
        while Instant::now() < until {
            let started = Instant::now();
            let result = tokio::time::timeout(Duration::from_secs(4), self.court.health()).await;
            let at = time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            let probe = match result {
                Ok(Ok(_)) => Probe { at, round_trip_ms: Some(started.elapsed().as_millis() as u64), error: None },
                Ok(Err(e)) => Probe { at, round_trip_ms: None, error: Some(e.to_string()) },
                Err(_) => Probe { at, round_trip_ms: None, error: Some("no answer within 4 s".into()) },
            };
            if let Ok(mut l) = log.lock() {
                l.push(probe);
            }
            tokio::time::sleep(every.saturating_sub(started.elapsed())).await;
        }
    }

    /// Writes a connectivity log as CSV to the exports folder; returns its path.
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] when it cannot be written.
    pub fn export_connectivity_log(&self, hearing: &str, probes: &[Probe]) -> Result<String, AppError> {
        if !courtside_sync::feed::is_court_id(hearing) {
            return Err(AppError::InvalidInput("not a hearing id".into()));
        }
        let mut csv = String::from("time_utc,round_trip_ms,error\n");
        for p in probes {
            let error = p.error.as_deref().unwrap_or("").replace('"', "'");
            csv.push_str(&format!(
                "{},{},\"{error}\"\n",
                p.at,
                p.round_trip_ms.map(|m| m.to_string()).unwrap_or_default()
            ));
        }
        let dir = self.exports_dir();
        std::fs::create_dir_all(&dir).map_err(|e| AppError::InvalidInput(format!("{}: {e}", dir.display())))?;
        let path = dir.join(format!("connectivity-{hearing}.csv"));
        std::fs::write(&path, csv).map_err(|e| AppError::InvalidInput(format!("{}: {e}", path.display())))?;
        Ok(path.display().to_string())
    }
}

/// Connectivity logs of hearings joined in this run, by hearing id.
pub type HearingLogs =
    std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<std::sync::Mutex<Vec<Probe>>>>>;

impl App {
    /// The connectivity log of a hearing (made on first use).
    #[must_use]
    pub fn hearing_log(&self, hearing: &str) -> std::sync::Arc<std::sync::Mutex<Vec<Probe>>> {
        let mut logs = self.hearing_logs.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        logs.entry(hearing.to_owned()).or_default().clone()
    }

    /// Exports the connectivity log kept for a hearing so far.
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] when there is none or it cannot be written.
    pub fn export_hearing_log(&self, hearing: &str) -> Result<String, AppError> {
        let probes = self.hearing_log(hearing).lock().map(|p| p.clone()).unwrap_or_default();
        if probes.is_empty() {
            return Err(AppError::InvalidInput("no connectivity has been logged for this hearing yet".into()));
        }
        self.export_connectivity_log(hearing, &probes)
    }
}

impl App {
    /// [`App::check_in`] from the window's form.
    ///
    /// # Errors
    /// As [`App::check_in`].
    pub async fn check_in_from(
        &self,
        hearing: &str,
        c: &crate::ipc::HearingCheck,
    ) -> Result<crate::ipc::HearingEntry, AppError> {
        use courtside_court_api::hearing::{DeviceCheck, EnvironmentCheck};
        let check = CheckIn {
            device_check: DeviceCheck {
                camera: c.camera,
                microphone: c.microphone,
                speaker: c.speaker,
                round_trip_ms: u32::try_from(c.round_trip_ms).unwrap_or(u32::MAX),
                throughput_kbps: u32::try_from(c.throughput_kbps).unwrap_or(u32::MAX),
            },
            environment: EnvironmentCheck { quiet: c.quiet, lit: c.lit, alone: c.alone },
            identity_confirmed: c.identity_confirmed,
            rules_acknowledged: c.rules_acknowledged,
        };
        let receipt = self.check_in(hearing, &check).await?;
        let at = receipt.checked_in_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        Ok(crate::ipc::HearingEntry { checked_in_at: Some(at), room_url: None })
    }
}
