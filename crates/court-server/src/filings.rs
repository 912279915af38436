//! Filings with idempotency keys, the clerk's review, electronic service, and the change
//! feed that tells each account what happened.

use crate::store::Cached;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use courtside_court_api::ProblemError;
use courtside_court_api::encoding::{b64url_decode, sha256_hex};
use courtside_court_api::filing::{
    CaseTarget, Change, ChangeEvent, ChangePage, DocumentRole, Filing, FilingReceipt, FilingStatus, IDEMPOTENCY_KEY,
    ReceiptDocument, ReviewDecision, ServeDocument, ServedDocument, SubmissionManifest,
};
use courtside_court_api::policy::CaseType;
use courtside_court_api::signing::SignedEnvelope;
use rusqlite::Connection;
use serde::Deserialize;

use crate::faults::FaultPlan;
use crate::http::{
    ApiError, Caller, Clerk, CourtState, docket_case, from_json, from_unix, load_json, new_id, optional, to_json,
    unix_now,
};
use crate::uploads;

/// Appends an event to an account's change feed (inside the caller's transaction).
pub(crate) fn record_change(conn: &Connection, account_id: &str, event: &ChangeEvent) -> rusqlite::Result<()> {
    let json = to_json(event)?;
    conn.run(
        "INSERT INTO changes (account_id, at, event) VALUES (?1, ?2, ?3)",
        rusqlite::params![account_id, unix_now(), json],
    )?;
    Ok(())
}

/// The outcome of claiming an idempotency key.
enum Claim {
    /// First time: go ahead.
    Fresh,
    /// Done before with the same body: send the stored answer again.
    Replay(u16, String),
}

fn claim_key(state: &CourtState, account: &str, key: &str, request_hash: &str) -> Result<Claim, ApiError> {
    let existing = state.store.with(|c| {
        let tx = c.transaction()?;
        let row = optional(tx.one(
            "SELECT request_hash, status, body FROM idempotency WHERE account_id = ?1 AND key = ?2",
            [account, key],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<u16>>(1)?, r.get::<_, Option<String>>(2)?)),
        ))?;
        if row.is_none() {
            tx.run(
                "INSERT INTO idempotency (account_id, key, request_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![account, key, request_hash, unix_now()],
            )?;
        }
        tx.commit()?;
        Ok(row)
    })?;
    match existing {
        None => Ok(Claim::Fresh),
        Some((hash, _, _)) if hash != request_hash => Err(ApiError::unprocessable(
            "idempotency-key-reused",
            "Idempotency key reused",
            "this Idempotency-Key was used for a different request body; a new filing needs a new key",
        )),
        Some((_, Some(status), Some(body))) => Ok(Claim::Replay(status, body)),
        Some(_) => Err(ApiError::conflict(
            "idempotency-in-progress",
            "a request with this Idempotency-Key is still being processed; look the filing up by key shortly",
        )
        .with_header(header::RETRY_AFTER, "1")),
    }
}

/// The request's `Idempotency-Key`, if it carries a usable one.
pub(crate) fn idempotency_key(headers: &HeaderMap) -> Option<String> {
    headers
        .get(IDEMPOTENCY_KEY)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().trim_matches('"').to_owned())
        .filter(|k| !k.is_empty() && k.len() <= 255)
}

/// Runs `action` at most once per account and `Idempotency-Key` (when the request has one):
/// a repeat of the same request gets the first answer again, marked `Idempotent-Replayed`; a
/// different request under the same key is refused. A failed action frees the key.
pub(crate) fn at_most_once<T: serde::Serialize>(
    state: &CourtState,
    account: &str,
    key: Option<String>,
    request: &impl serde::Serialize,
    action: impl FnOnce() -> Result<(StatusCode, T), ApiError>,
) -> Result<Response, ApiError> {
    let Some(key) = key else {
        let (status, value) = action()?;
        return Ok((status, Json(value)).into_response());
    };
    let request_hash = sha256_hex(&serde_json::to_vec(request).map_err(ApiError::internal)?);
    if let Claim::Replay(status, body) = claim_key(state, account, &key, &request_hash)? {
        let status = StatusCode::from_u16(status).map_err(ApiError::internal)?;
        return Ok((
            status,
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
                (header::HeaderName::from_static("idempotent-replayed"), HeaderValue::from_static("true")),
            ],
            body,
        )
            .into_response());
    }
    match action() {
        Ok((status, value)) => {
            let json = serde_json::to_string(&value).map_err(ApiError::internal)?;
            state.store.with(|c| {
                c.run(
                    "UPDATE idempotency SET status = ?1, body = ?2 WHERE account_id = ?3 AND key = ?4",
                    rusqlite::params![status.as_u16(), json, account, key],
                )
            })?;
            Ok((status, Json(value)).into_response())
        }
        Err(e) => {
            release_key(state, account, &key);
            Err(e)
        }
    }
}

fn release_key(state: &CourtState, account: &str, key: &str) {
    if let Err(e) =
        state.store.with(|c| c.run("DELETE FROM idempotency WHERE account_id = ?1 AND key = ?2", [account, key]))
    {
        tracing::error!(error = %e, "could not release an idempotency key");
    }
}

/// `POST /v1/filings`
#[utoipa::path(post, path = "/v1/filings", tag = "filings", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "The filing's UUID; equal to the manifest's idempotencyKey")),
    request_body(content = SignedEnvelope, description = "A SubmissionManifest signed by a registered device key"),
    responses(
        (status = 201, description = "Received; the body carries the court's signed receipt", body = Filing,
         headers(("Location" = String), ("Idempotent-Replayed" = Option<String>, description = "`true` when this is the stored answer to an earlier identical request"))),
        (status = 400, description = "Missing Idempotency-Key or malformed body", body = courtside_court_api::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or expired token", body = courtside_court_api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The same key is being processed", body = courtside_court_api::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The filing's files together exceed the court's limit", body = courtside_court_api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Key reused with another body, bad signature, unknown case type, missing documents, unverified uploads", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn submit(
    State(state): State<CourtState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let key = headers
        .get(IDEMPOTENCY_KEY)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().trim_matches('"').to_owned())
        .filter(|k| !k.is_empty() && k.len() <= 255)
        .ok_or_else(|| {
            ApiError::bad_request(
                "idempotency-key-missing",
                "POST /v1/filings needs an Idempotency-Key header (the filing's UUID)",
            )
        })?;
    let request_hash = sha256_hex(&body);
    match claim_key(&state, &caller.account_id, &key, &request_hash)? {
        Claim::Replay(status, body) => {
            let status = StatusCode::from_u16(status).map_err(ApiError::internal)?;
            return Ok((
                status,
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
                    (header::HeaderName::from_static("idempotent-replayed"), HeaderValue::from_static("true")),
                ],
                body,
            )
                .into_response());
        }
        Claim::Fresh => {}
    }
    let hold = state.faults.get().hold_filings_ms;
    if hold > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(hold)).await;
    }
    match accept(&state, &caller, &key, &body) {
        Ok(filing) => {
            let json = serde_json::to_string(&filing).map_err(ApiError::internal)?;
            state.store.with(|c| {
                c.run(
                    "UPDATE idempotency SET status = 201, body = ?1 WHERE account_id = ?2 AND key = ?3",
                    rusqlite::params![json, caller.account_id, key],
                )
            })?;
            let location = HeaderValue::from_str(&format!("/v1/filings/{}", filing.id)).map_err(ApiError::internal)?;
            Ok((
                StatusCode::CREATED,
                [(header::LOCATION, location)],
                [(header::CONTENT_TYPE, "application/json")],
                json,
            )
                .into_response())
        }
        Err(e) => {
            // Refusals are not stored: the filer may fix the problem and send again with the
            // same key.
            release_key(&state, &caller.account_id, &key);
            Err(e)
        }
    }
}

fn device_key(state: &CourtState, account: &str, device: &str) -> Result<Option<Vec<u8>>, ApiError> {
    let key: Option<String> = state.store.with(|c| {
        optional(
            c.one("SELECT public_key FROM devices WHERE id = ?1 AND account_id = ?2", [device, account], |r| r.get(0)),
        )
    })?;
    Ok(key.and_then(|k| b64url_decode(&k)))
}

fn unprocessable_list(name: &str, title: &str, errors: Vec<ProblemError>) -> ApiError {
    let detail = errors.iter().map(|e| e.detail.as_str()).collect::<Vec<_>>().join("; ");
    ApiError::unprocessable(name, title, detail).with_errors(errors)
}

fn fault(pointer: String, detail: String) -> ProblemError {
    ProblemError { detail, pointer: Some(pointer) }
}

/// Checks a submission against the policy and stores it.
fn accept(state: &CourtState, caller: &Caller, key: &str, body: &[u8]) -> Result<Filing, ApiError> {
    let envelope: SignedEnvelope = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("malformed-body", format!("the body is not a signed envelope: {e}")))?;
    let public_key = device_key(state, &caller.account_id, &envelope.key_id)?.ok_or_else(|| {
        ApiError::unprocessable(
            "unknown-device",
            "Unknown device",
            format!("no device {:?} is registered to this account", envelope.key_id),
        )
    })?;
    let (manifest, manifest_bytes): (SubmissionManifest, Vec<u8>) =
        envelope.open(&public_key).map_err(|e| match e {
            courtside_court_api::signing::EnvelopeError::Payload(why) => {
                ApiError::unprocessable("malformed-manifest", "Malformed manifest", why)
            }
            other => ApiError::unprocessable("bad-signature", "Bad signature", other.to_string()),
        })?;
    if manifest.idempotency_key != key {
        return Err(ApiError::unprocessable(
            "key-mismatch",
            "Idempotency key mismatch",
            "the manifest's idempotencyKey differs from the Idempotency-Key header",
        ));
    }
    if manifest.court != state.court_id {
        return Err(ApiError::unprocessable(
            "wrong-court",
            "Wrong court",
            format!("this is court {:?}, the manifest names {:?}", state.court_id, manifest.court),
        ));
    }
    let policy = &state.policy.policy;
    let case_type: &CaseType = policy.case_types.iter().find(|t| t.code == manifest.case_type).ok_or_else(|| {
        let known: Vec<&str> = policy.case_types.iter().map(|t| t.code.as_str()).collect();
        ApiError::unprocessable(
            "unknown-case-type",
            "Unknown case type",
            format!("this court has no case type {:?}; it accepts {}", manifest.case_type, known.join(", ")),
        )
        .with_errors(vec![fault("/caseType".into(), format!("unknown case type {:?}", manifest.case_type))])
    })?;

    let mut errors = Vec::new();
    if manifest.title.trim().is_empty() {
        errors.push(fault("/title".into(), "the filing needs a title".into()));
    }
    if case_type.amount_required
        && matches!(manifest.case, CaseTarget::New { .. })
        && manifest.amount_in_controversy_fen.is_none()
    {
        errors.push(fault(
            "/amountInControversyFen".into(),
            format!("case type {} needs the amount in controversy", case_type.code),
        ));
    }
    if !manifest.documents.iter().any(|d| d.role == DocumentRole::Lead) {
        errors.push(fault("/documents".into(), "a filing needs a lead document".into()));
    }
    let mut total = 0u64;
    let mut receipt_documents = Vec::new();
    for (i, doc) in manifest.documents.iter().enumerate() {
        let at = |field: &str| format!("/documents/{i}/{field}");
        if !policy.accepted_formats.iter().any(|f| f.media_type == doc.media_type) {
            errors.push(fault(at("mediaType"), format!("{:?}: format {} is not accepted", doc.title, doc.media_type)));
        }
        match uploads::stored(state, &caller.account_id, &doc.upload_id)? {
            None => errors
                .push(fault(at("uploadId"), format!("{:?}: no upload {} for this account", doc.title, doc.upload_id))),
            Some(u) if !u.complete => {
                errors.push(fault(at("uploadId"), format!("{:?}: the upload is not complete", doc.title)))
            }
            Some(u) => {
                total += u.length;
                let stored = u.sha256.unwrap_or_default();
                if !stored.eq_ignore_ascii_case(&doc.sha256)
                    || u.declared_sha256.as_deref().is_some_and(|d| d != stored)
                {
                    errors.push(fault(
                        at("sha256"),
                        format!("{:?}: the stored file's SHA-256 is {stored}, not the declared one", doc.title),
                    ));
                } else if u.length != doc.bytes {
                    errors.push(fault(
                        at("bytes"),
                        format!("{:?}: the stored file has {} bytes, not {}", doc.title, u.length, doc.bytes),
                    ));
                } else {
                    receipt_documents.push(ReceiptDocument { upload_id: doc.upload_id.clone(), sha256: stored });
                }
            }
        }
    }
    if total > policy.max_filing_bytes {
        return Err(ApiError::new(
            413,
            "filing-too-large",
            "Content too large",
            format!("the filing's files total {total} bytes; this court accepts at most {}", policy.max_filing_bytes),
        ));
    }
    match &manifest.case {
        CaseTarget::New { .. } => {
            for required in &case_type.required_documents {
                if !manifest.documents.iter().any(|d| d.kind.as_deref() == Some(required.kind.as_str())) {
                    errors.push(fault(
                        "/documents".into(),
                        format!("missing required document: {} ({})", required.name.en, required.kind),
                    ));
                }
            }
        }
        CaseTarget::Existing { case_id } => {
            let party: bool = state.store.with(|c| {
                c.one(
                    "SELECT EXISTS (SELECT 1 FROM case_parties WHERE case_id = ?1 AND account_id = ?2)",
                    [case_id, &caller.account_id],
                    |r| r.get(0),
                )
            })?;
            if !party {
                errors.push(fault("/case/caseId".into(), format!("no case {case_id} with this account as a party")));
            }
        }
    }
    if !errors.is_empty() {
        return Err(unprocessable_list("filing-invalid", "The filing cannot be accepted", errors));
    }

    let id = new_id("fil");
    let received_at = from_unix(unix_now());
    let receipt = FilingReceipt {
        filing_id: id.clone(),
        court: state.court_id.clone(),
        idempotency_key: key.to_owned(),
        manifest_sha256: sha256_hex(&manifest_bytes),
        documents: receipt_documents,
        received_at,
    };
    let filing = Filing {
        id: id.clone(),
        idempotency_key: key.to_owned(),
        court: state.court_id.clone(),
        case_type: manifest.case_type.clone(),
        title: manifest.title.clone(),
        case_id: match &manifest.case {
            CaseTarget::Existing { case_id } => Some(case_id.clone()),
            CaseTarget::New { .. } => None,
        },
        status: FilingStatus::Submitted,
        received_at,
        receipt: SignedEnvelope::sign(&receipt, &state.key.pair, &state.key.id),
    };
    let json = serde_json::to_string(&filing).map_err(ApiError::internal)?;
    state.store.with(|c| {
        let tx = c.transaction()?;
        tx.run(
            "INSERT INTO filings (id, account_id, idempotency_key, body, manifest) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![id, caller.account_id, key, json, manifest_bytes],
        )?;
        record_change(
            &tx,
            &caller.account_id,
            &ChangeEvent::FilingStatus {
                filing_id: id.clone(),
                idempotency_key: key.to_owned(),
                status: FilingStatus::Submitted,
            },
        )?;
        tx.commit()
    })?;
    Ok(filing)
}

fn load_filing(conn: &Connection, sql_where: &str, params: &[&str]) -> rusqlite::Result<Option<(String, Filing)>> {
    let sql = format!("SELECT account_id, body FROM filings WHERE {sql_where}");
    let row = optional(
        conn.one(&sql, rusqlite::params_from_iter(params), |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))),
    )?;
    row.map(|(account, body)| from_json(&body).map(|f| (account, f))).transpose()
}

/// `GET /v1/filings/{id}`
#[utoipa::path(get, path = "/v1/filings/{id}", tag = "filings", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The filing", body = Filing),
              (status = 404, description = "No such filing for this account", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn get_filing(
    State(state): State<CourtState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Filing>, ApiError> {
    let found = state.store.with(|c| load_filing(c, "id = ?1 AND account_id = ?2", &[&id, &caller.account_id]))?;
    found.map(|(_, f)| Json(f)).ok_or_else(|| ApiError::not_found("filing"))
}

/// Query of the lookup by key.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LookupQuery {
    /// The filing's UUID.
    idempotency_key: String,
}

/// `GET /v1/filings?idempotencyKey=`: did an earlier send arrive?
#[utoipa::path(get, path = "/v1/filings", tag = "filings", security(("bearer" = [])),
    params(LookupQuery),
    responses((status = 200, description = "The filing made with this key", body = Filing),
              (status = 404, description = "No filing with this key: it never arrived (or was refused)", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn lookup(
    State(state): State<CourtState>,
    caller: Caller,
    Query(q): Query<LookupQuery>,
) -> Result<Json<Filing>, ApiError> {
    let found = state.store.with(|c| {
        load_filing(c, "idempotency_key = ?1 AND account_id = ?2", &[&q.idempotency_key, &caller.account_id])
    })?;
    found.map(|(_, f)| Json(f)).ok_or_else(|| ApiError::not_found("filing"))
}

/// Query of the change feed.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ChangesQuery {
    /// Position after which to read; empty or `0` from the start.
    #[serde(default)]
    cursor: Option<String>,
    /// Most events to return (1–500, default 100).
    #[serde(default)]
    limit: Option<u32>,
}

/// `GET /v1/changes`
#[utoipa::path(get, path = "/v1/changes", tag = "changes", security(("bearer" = [])),
    params(ChangesQuery),
    responses((status = 200, description = "Events after the cursor, oldest first", body = ChangePage),
              (status = 400, description = "The cursor is not one this feed gave out", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn changes(
    State(state): State<CourtState>,
    caller: Caller,
    Query(q): Query<ChangesQuery>,
) -> Result<Json<ChangePage>, ApiError> {
    let after: i64 = match q.cursor.as_deref().map(str::trim) {
        None | Some("") => 0,
        Some(c) => c
            .parse()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| ApiError::bad_request("bad-cursor", "the cursor is not one this feed gave out"))?,
    };
    let asked = after;
    let after = after.saturating_sub(i64::from(state.faults.take_replay()));
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let rows = state.store.with(|c| {
        let mut stmt =
            c.prepare("SELECT seq, at, event FROM changes WHERE account_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3")?;
        let rows = stmt
            .query_map(rusqlite::params![caller.account_id, after, limit + 1], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    })?;
    let more = rows.len() > limit as usize;
    let mut changes = Vec::new();
    for (seq, at, event) in rows.into_iter().take(limit as usize) {
        let event = serde_json::from_str(&event).map_err(ApiError::internal)?;
        changes.push(Change { cursor: seq.to_string(), at: from_unix(at), event });
    }
    let next_cursor = changes.last().map_or_else(|| asked.to_string(), |c| c.cursor.clone());
    Ok(Json(ChangePage { changes, next_cursor, more }))
}

fn load_service(conn: &Connection, id: &str, account: &str) -> rusqlite::Result<Option<ServedDocument>> {
    load_json(conn, "SELECT body FROM service WHERE id = ?1 AND account_id = ?2", [id, account])
}

/// `GET /v1/service/{id}`
#[utoipa::path(get, path = "/v1/service/{id}", tag = "service", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The served document's details", body = ServedDocument),
              (status = 404, description = "Nothing served with this id on this account", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn service_get(
    State(state): State<CourtState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ServedDocument>, ApiError> {
    state
        .store
        .with(|c| load_service(c, &id, &caller.account_id))?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("served document"))
}

/// `GET /v1/service/{id}/content`
#[utoipa::path(get, path = "/v1/service/{id}/content", tag = "service", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The document's bytes", content_type = "application/octet-stream"),
              (status = 404, description = "Nothing served with this id on this account", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn service_content(
    State(state): State<CourtState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let found = state.store.with(|c| {
        optional(c.one(
            "SELECT body, content FROM service WHERE id = ?1 AND account_id = ?2",
            [&id, &caller.account_id],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?)),
        ))
    })?;
    let (body, content) = found.ok_or_else(|| ApiError::not_found("served document"))?;
    let doc: ServedDocument = serde_json::from_str(&body).map_err(ApiError::internal)?;
    let media = HeaderValue::from_str(&doc.media_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok(([(header::CONTENT_TYPE, media)], content).into_response())
}

/// `POST /v1/service/{id}/receipt`: the recipient confirms receipt; service is complete at
/// the time recorded (the first confirmation counts).
#[utoipa::path(post, path = "/v1/service/{id}/receipt", tag = "service", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The document with the receipt time", body = ServedDocument),
              (status = 404, description = "Nothing served with this id on this account", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn service_receipt(
    State(state): State<CourtState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ServedDocument>, ApiError> {
    let doc = state.store.with(|c| {
        let tx = c.transaction()?;
        let Some(mut doc) = load_service(&tx, &id, &caller.account_id)? else { return Ok(None) };
        if doc.received_at.is_none() {
            doc.received_at = Some(from_unix(unix_now()));
            tx.run("UPDATE service SET body = ?1 WHERE id = ?2", [&to_json(&doc)?, &id])?;
        }
        tx.commit()?;
        Ok(Some(doc))
    })?;
    doc.map(Json).ok_or_else(|| ApiError::not_found("served document"))
}

/// `GET /clerk/v1/filings`
#[utoipa::path(get, path = "/clerk/v1/filings", tag = "clerk", security(("clerk" = [])),
    responses((status = 200, description = "Every filing, oldest first", body = Vec<Filing>),
              (status = 401, description = "Not the clerk token", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn clerk_list(State(state): State<CourtState>, _clerk: Clerk) -> Result<Json<Vec<Filing>>, ApiError> {
    let bodies = state.store.with(|c| {
        let mut stmt = c.prepare("SELECT body FROM filings ORDER BY rowid")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    })?;
    bodies.iter().map(|b| serde_json::from_str(b).map_err(ApiError::internal)).collect::<Result<Vec<_>, _>>().map(Json)
}

/// `POST /clerk/v1/filings/{id}/review`
#[utoipa::path(post, path = "/clerk/v1/filings/{id}/review", tag = "clerk", security(("clerk" = [])),
    params(("id" = String, Path)), request_body = ReviewDecision,
    responses((status = 200, description = "The filing with its new status", body = Filing),
              (status = 404, description = "No such filing", body = courtside_court_api::Problem, content_type = "application/problem+json"),
              (status = 409, description = "The filing's status does not allow this decision", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn clerk_review(
    State(state): State<CourtState>,
    _clerk: Clerk,
    Path(id): Path<String>,
    Json(decision): Json<ReviewDecision>,
) -> Result<Json<Filing>, ApiError> {
    let outcome = state.store.with(|c| {
        let tx = c.transaction()?;
        let Some((account, mut filing)) = load_filing(&tx, "id = ?1", &[&id])? else { return Ok(Err(ApiError::not_found("filing"))) };
        let open = matches!(filing.status, FilingStatus::Submitted | FilingStatus::UnderReview);
        let status = match decision {
            ReviewDecision::StartReview if filing.status == FilingStatus::Submitted => FilingStatus::UnderReview,
            ReviewDecision::Docket if open => {
                let (case_id, case_number) = match &filing.case_id {
                    Some(id) => (id.clone(), tx.one("SELECT case_number FROM cases WHERE id = ?1", [id], |r| r.get(0))?),
                    None => docket_case(&tx, &filing.case_type, &filing.title)?,
                };
                tx.run("INSERT OR IGNORE INTO case_parties (case_id, account_id) VALUES (?1, ?2)", [&case_id, &account])?;
                filing.case_id = Some(case_id.clone());
                FilingStatus::Docketed { case_id, case_number }
            }
            ReviewDecision::Reject { reasons } if open && !reasons.is_empty() => FilingStatus::Rejected { reasons },
            ReviewDecision::RequestCorrection { items, due } if open && !items.is_empty() => FilingStatus::CorrectionRequested { items, due },
            other => {
                return Ok(Err(ApiError::conflict(
                    "invalid-transition",
                    format!("a filing in state {:?} cannot take the decision {other:?} (reasons and items must not be empty)", filing.status),
                )));
            }
        };
        filing.status = status.clone();
        tx.run("UPDATE filings SET body = ?1 WHERE id = ?2", [&to_json(&filing)?, &id])?;
        record_change(&tx, &account, &ChangeEvent::FilingStatus { filing_id: id.clone(), idempotency_key: filing.idempotency_key.clone(), status })?;
        tx.commit()?;
        Ok(Ok(filing))
    })?;
    outcome.map(Json)
}

/// `POST /clerk/v1/service`
#[utoipa::path(post, path = "/clerk/v1/service", tag = "clerk", security(("clerk" = [])),
    request_body = ServeDocument,
    responses((status = 201, description = "Served; the recipient's feed announces it", body = ServedDocument),
              (status = 422, description = "Unknown recipient or content not base64url", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn clerk_serve(
    State(state): State<CourtState>,
    _clerk: Clerk,
    Json(req): Json<ServeDocument>,
) -> Result<(StatusCode, Json<ServedDocument>), ApiError> {
    let content = b64url_decode(&req.content).ok_or_else(|| {
        ApiError::unprocessable("bad-content", "Bad content", "content must be base64url without padding")
    })?;
    let account: Option<String> = state
        .store
        .with(|c| optional(c.one("SELECT id FROM accounts WHERE username = ?1", [&req.recipient], |r| r.get(0))))?;
    let account = account.ok_or_else(|| {
        ApiError::unprocessable("unknown-recipient", "Unknown recipient", format!("no account {:?}", req.recipient))
    })?;
    let doc = ServedDocument {
        id: new_id("srv"),
        case_id: req.case_id.clone(),
        title: req.title.clone(),
        document_kind: req.document_kind.clone(),
        media_type: req.media_type.clone(),
        bytes: content.len() as u64,
        sha256: sha256_hex(&content),
        sent_at: from_unix(unix_now()),
        received_at: None,
    };
    let json = serde_json::to_string(&doc).map_err(ApiError::internal)?;
    state.store.with(|c| {
        let tx = c.transaction()?;
        tx.run(
            "INSERT INTO service (id, account_id, body, content) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![doc.id, account, json, content],
        )?;
        record_change(
            &tx,
            &account,
            &ChangeEvent::DocumentServed {
                service_id: doc.id.clone(),
                case_id: doc.case_id.clone(),
                title: doc.title.clone(),
                document_kind: doc.document_kind.clone(),
            },
        )?;
        tx.commit()
    })?;
    Ok((StatusCode::CREATED, Json(doc)))
}

/// `PUT /clerk/v1/faults`: switches fault injection (tests and demos).
#[utoipa::path(put, path = "/clerk/v1/faults", tag = "clerk", security(("clerk" = [])),
    request_body = FaultPlan,
    responses((status = 200, description = "The plan now in force", body = FaultPlan)))]
pub(crate) async fn clerk_faults(
    State(state): State<CourtState>,
    _clerk: Clerk,
    Json(plan): Json<FaultPlan>,
) -> Json<FaultPlan> {
    state.faults.set(plan);
    Json(state.faults.get())
}
