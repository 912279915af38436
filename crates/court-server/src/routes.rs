//! HTTP routes of the reference court.

use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use courtside_court_api::{API_VERSION, Health, HealthStatus, Problem};

use crate::store::Store;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub(crate) struct CourtState {
    store: Store,
    court_name: String,
}

impl CourtState {
    pub(crate) fn new(store: Store, court_name: String) -> Self {
        Self { store, court_name }
    }
}

pub(crate) fn router(state: CourtState) -> Router {
    Router::new().route("/v1/health", get(health)).fallback(not_found).with_state(state)
}

async fn health(State(state): State<CourtState>) -> Response {
    if !state.store.ping() {
        return problem(Problem::new(503, "Service unavailable").with_detail("the court's database is not answering"));
    }
    Json(Health {
        status: HealthStatus::Ok,
        court_name: state.court_name.clone(),
        api_version: API_VERSION.to_owned(),
        server_version: env!("CARGO_PKG_VERSION").to_owned(),
    })
    .into_response()
}

async fn not_found(uri: Uri) -> Response {
    problem(Problem::new(404, "Not found").with_detail("no such endpoint").with_instance(uri.path()))
}

/// Renders RFC 9457 problem details with their media type.
pub(crate) fn problem(p: Problem) -> Response {
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, "application/problem+json")], Json(p)).into_response()
}
