//! HTTP routes of the reference court and the OpenAPI document generated from them.

use axum::extract::State;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use courtside_court_api::{API_VERSION, Health, HealthStatus, Problem};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::http::{CourtState, problem};
use crate::{auth, exchange, faults, filings, hearings, policy, timestamps, uploads};

pub(crate) fn router(state: CourtState) -> Router {
    let v1 = Router::new()
        .route("/v1/health", get(health))
        .route("/v1/openapi.json", get(openapi_json))
        .route("/v1/me", get(auth::me))
        .route("/v1/devices", post(auth::register_device))
        .route("/v1/courts", get(policy::list_courts))
        .route("/v1/courts/{court}/policy", get(policy::get_policy))
        .route("/v1/uploads", post(uploads::create).options(uploads::options))
        .route("/v1/uploads/{id}", axum::routing::head(uploads::head).patch(uploads::patch).delete(uploads::delete))
        .route("/v1/filings", post(filings::submit).get(filings::lookup))
        .route("/v1/filings/{id}", get(filings::get_filing))
        .route("/v1/changes", get(filings::changes))
        .route("/v1/service/{id}", get(filings::service_get))
        .route("/v1/service/{id}/content", get(filings::service_content))
        .route("/v1/service/{id}/receipt", post(filings::service_receipt))
        .route("/v1/cases/{id}", get(exchange::get_case))
        .route("/v1/cases/{id}/mediation", get(exchange::mediation_thread).post(exchange::mediation_post))
        .route("/v1/cases/{id}/offline-steps", get(exchange::offline_steps).post(exchange::offline_step))
        .route("/v1/cases/{id}/exhibits", get(exchange::exhibits).post(exchange::submit_exhibit))
        .route("/v1/cases/{case}/exhibits/{id}/opinions", post(exchange::cross_examine))
        .route("/v1/cases/{case}/exhibits/{id}/content", get(exchange::exhibit_content))
        .route("/v1/hearings", get(hearings::list_hearings))
        .route("/v1/hearings/{id}", get(hearings::get_hearing))
        .route("/v1/hearings/{id}/check-in", post(hearings::check_in))
        .route("/v1/hearings/{id}/join", post(hearings::join))
        .route("/v1/hearings/{id}/statements", post(hearings::statement))
        .route("/v1/fees/{id}", get(exchange::get_fee))
        .route("/v1/fees/{id}/payment", post(exchange::start_payment))
        .route("/v1/timestamps", post(timestamps::stamp))
        .route("/v1/timestamps/certificate", get(timestamps::certificate))
        .layer(axum::middleware::from_fn_with_state(state.clone(), faults::inject))
        // Uploads stream their bodies; everything else is small JSON.
        .layer(axum::extract::DefaultBodyLimit::max(8 * 1024 * 1024));
    Router::new()
        .merge(v1)
        .route("/.well-known/openid-configuration", get(auth::discovery))
        .route("/oauth/authorize", get(auth::authorize_page).post(auth::authorize_submit))
        .route("/oauth/token", post(auth::token))
        .route("/oauth/jwks", get(auth::jwks))
        .route("/clerk/v1/filings", get(filings::clerk_list))
        .route("/clerk/v1/filings/{id}/review", post(filings::clerk_review))
        .route("/clerk/v1/service", post(filings::clerk_serve))
        .route("/clerk/v1/faults", put(filings::clerk_faults))
        .route("/clerk/v1/cases", post(exchange::open_case))
        .route("/clerk/v1/uploads/{id}", get(uploads::statistics))
        .route("/clerk/v1/plain-uploads/{name}", put(uploads::plain_upload))
        .route("/clerk/v1/cases/{id}/mediation", post(exchange::mediator_post))
        .route("/clerk/v1/hearings", post(hearings::schedule))
        .route("/clerk/v1/hearings/{id}/check-ins", get(hearings::clerk_check_ins))
        .route("/clerk/v1/fees", post(exchange::post_fee))
        .route("/pay/{token}", get(exchange::payment_form).post(exchange::payment_confirm))
        .route("/rooms/{id}", get(hearings::room_page))
        .route("/rooms/assets/{name}", get(hearings::room_asset))
        .route("/rooms/{id}/signal", get(hearings::signal))
        .fallback(not_found)
        .with_state(state)
}

/// `GET /v1/health`
#[utoipa::path(get, path = "/v1/health", tag = "service-status",
    responses((status = 200, description = "The court answers", body = Health),
              (status = 503, description = "The court's database does not answer", body = Problem, content_type = "application/problem+json")))]
async fn health(State(state): State<CourtState>) -> Response {
    if !state.store.ping() {
        return problem(Problem::new(503, "Service unavailable").with_detail("the court's database is not answering"));
    }
    Json(Health {
        status: HealthStatus::Ok,
        court_name: state.court_name.clone(),
        court_id: state.court_id.clone(),
        api_version: API_VERSION.to_owned(),
        server_version: env!("CARGO_PKG_VERSION").to_owned(),
    })
    .into_response()
}

/// `GET /v1/openapi.json`: this document.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "service-status",
    responses((status = 200, description = "The OpenAPI 3.1 description of this API", body = serde_json::Value)))]
async fn openapi_json() -> Response {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], openapi_document()).into_response()
}

async fn not_found(uri: Uri) -> Response {
    problem(Problem::new(404, "Not found").with_detail("no such endpoint").with_instance(uri.path()))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Courtside court API", version = "1",
         description = "The protocol between the Courtside client and a court: identity (OpenID Connect with PKCE), \
court policy, resumable uploads (tus 1.0), filings with idempotency keys and signed manifests, electronic service, \
hearings (check-in, join tickets for the court's WebRTC room, asynchronous statements), fee notices and payment, \
mediation, evidence exchange, and a per-account change feed. Errors are RFC 9457 problem details.",
         license(name = "Apache-2.0")),
    paths(
        health, openapi_json,
        auth::discovery, auth::jwks, auth::authorize_page, auth::authorize_submit, auth::token, auth::me, auth::register_device,
        policy::list_courts, policy::get_policy,
        uploads::options, uploads::create, uploads::head, uploads::patch, uploads::delete,
        filings::submit, filings::lookup, filings::get_filing, filings::changes,
        filings::service_get, filings::service_content, filings::service_receipt,
        filings::clerk_list, filings::clerk_review, filings::clerk_serve, filings::clerk_faults,
        exchange::get_case, exchange::open_case, exchange::post_fee, exchange::get_fee, exchange::start_payment,
        exchange::mediation_thread, exchange::mediation_post, exchange::mediator_post,
        exchange::offline_step, exchange::offline_steps,
        exchange::exhibits, exchange::submit_exhibit, exchange::cross_examine, exchange::exhibit_content,
        uploads::statistics, uploads::plain_upload,
        hearings::schedule, hearings::list_hearings, hearings::get_hearing, hearings::check_in, hearings::join, hearings::statement,
        hearings::clerk_check_ins,
        timestamps::stamp, timestamps::certificate,
    ),
    components(schemas(courtside_court_api::filing::SubmissionManifest, courtside_court_api::filing::FilingReceipt,
                       courtside_court_api::ProblemError)),
    modifiers(&Security),
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "clerk",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("The court's clerk token")).build(),
            ),
        );
    }
}

/// The OpenAPI 3.1 document of the court API, pretty-printed with a final newline (the form
/// committed as `docs/openapi.json`).
#[must_use]
pub fn openapi_document() -> String {
    let mut text = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}
