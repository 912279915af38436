//! Fault injection: a test (or the clerk API, `PUT /clerk/v1/faults`) switches misbehaviour
//! on for a running court, so clients are tested against the real server having a bad day.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::{ApiError, CourtState};

/// What misbehaviour is switched on. The default is none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FaultPlan {
    /// Delay before every `/v1` request is handled, in milliseconds.
    #[serde(default)]
    pub latency_ms: u64,
    /// The next this-many `/v1` requests fail with `status` (503 when unset) and a
    /// `Retry-After: 1`.
    #[serde(default)]
    pub fail_next: u32,
    /// Status for `failNext`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// An upload `PATCH` stores at most this many bytes, then the connection is cut
    /// (the answer's body breaks off). Applies once, then switches itself off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut_upload_after: Option<u64>,
    /// A filing is held this long after its idempotency key is taken, so a duplicate sent
    /// meanwhile meets it in progress.
    #[serde(default)]
    pub hold_filings_ms: u64,
    /// The next this-many `/v1` requests are carried out, but their answers are lost (the
    /// connection breaks off): the client cannot know the outcome and must ask.
    #[serde(default)]
    pub lose_responses: u32,
    /// The next change-feed page starts this many events before the cursor asked for, so
    /// the client receives events it has already applied (at-least-once delivery).
    #[serde(default)]
    pub replay_changes: u32,
}

/// The switchboard shared by the server and whoever controls it.
#[derive(Debug, Clone, Default)]
pub struct Faults(Arc<Mutex<FaultPlan>>);

impl Faults {
    /// Replaces the plan.
    pub fn set(&self, plan: FaultPlan) {
        if let Ok(mut p) = self.0.lock() {
            *p = plan;
        }
    }

    /// The plan now.
    #[must_use]
    pub fn get(&self) -> FaultPlan {
        self.0.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// Takes the one-shot upload cut, if armed.
    pub(crate) fn take_upload_cut(&self) -> Option<u64> {
        self.0.lock().ok().and_then(|mut p| p.cut_upload_after.take())
    }

    /// Takes the one-shot change replay, if armed.
    pub(crate) fn take_replay(&self) -> u32 {
        self.0.lock().map(|mut p| std::mem::take(&mut p.replay_changes)).unwrap_or(0)
    }

    fn take_lost_response(&self) -> bool {
        let Ok(mut p) = self.0.lock() else { return false };
        let lose = p.lose_responses > 0;
        p.lose_responses = p.lose_responses.saturating_sub(1);
        lose
    }

    fn take_failure(&self) -> Option<u16> {
        let mut p = self.0.lock().ok()?;
        if p.fail_next == 0 {
            return None;
        }
        p.fail_next -= 1;
        Some(p.status.unwrap_or(503))
    }
}

/// Middleware on `/v1`: latency and failures as planned.
pub(crate) async fn inject(State(state): State<CourtState>, request: Request, next: Next) -> Response {
    let plan = state.faults.get();
    if plan.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(plan.latency_ms)).await;
    }
    if let Some(status) = state.faults.take_failure() {
        let title = StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("Failure");
        return ApiError::new(status, "injected-fault", title, "fault injected by the test")
            .with_header(header::RETRY_AFTER, "1")
            .into_response();
    }
    let response = next.run(request).await;
    if state.faults.take_lost_response() {
        return cut_connection();
    }
    response
}

/// An answer whose body breaks off: the client sees the connection cut mid-response.
pub(crate) fn cut_connection() -> Response {
    let stream = futures_util::stream::iter([
        Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b"{\"partial\":")),
        Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "fault injection: connection cut")),
    ]);
    let mut response = Response::new(Body::from_stream(stream));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
