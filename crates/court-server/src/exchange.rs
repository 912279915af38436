//! Cases opened by the clerk, fee notices with a simulated hosted payment page, mediation
//! threads, and evidence exchange with cross-examination opinions.

use crate::store::Cached;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use courtside_court_api::auth::random_token;
use courtside_court_api::encoding::sha256_hex;
use courtside_court_api::filing::ChangeEvent;
use courtside_court_api::hearing::{
    CourtCase, CrossExamination, ExchangedExhibit, FeeNotice, FeeStatus, MediationMessage, NewMediationMessage,
    OFFLINE_STEPS, OfflineStep, OfflineStepRecord, OpenCase, PaymentSession, PostFeeNotice, SubmitExhibit,
};
use time::Duration;

use crate::filings::record_change;
use crate::http::{
    ApiError, Caller, Clerk, CourtState, account_of, case_parties, docket_case, from_unix, load_json, load_json_rows,
    new_id, party_name, to_json, unix_now,
};
use crate::uploads;

/// `POST /clerk/v1/cases`
#[utoipa::path(post, path = "/clerk/v1/cases", tag = "clerk", security(("clerk" = [])),
    request_body = OpenCase,
    responses((status = 201, description = "The case", body = CourtCase),
              (status = 422, description = "Unknown case type or party", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn open_case(
    State(state): State<CourtState>,
    _clerk: Clerk,
    Json(req): Json<OpenCase>,
) -> Result<(StatusCode, Json<CourtCase>), ApiError> {
    if !state.policy.policy.case_types.iter().any(|t| t.code == req.case_type) {
        return Err(ApiError::unprocessable(
            "unknown-case-type",
            "Unknown case type",
            format!("no case type {:?}", req.case_type),
        ));
    }
    let outcome = state.store.with(|c| {
        let tx = c.transaction()?;
        let mut accounts = Vec::new();
        for username in &req.parties {
            match account_of(&tx, username)? {
                Some(id) => accounts.push(id),
                None => return Ok(Err(username.clone())),
            }
        }
        let (id, case_number) = docket_case(&tx, &req.case_type, &req.title)?;
        for account in &accounts {
            tx.run("INSERT OR IGNORE INTO case_parties (case_id, account_id) VALUES (?1, ?2)", [&id, account])?;
        }
        let parties = case_parties(&tx, &id)?.into_iter().map(|(_, u)| u).collect();
        tx.commit()?;
        Ok(Ok(CourtCase { id, case_number, case_type: req.case_type.clone(), title: req.title.clone(), parties }))
    })?;
    match outcome {
        Ok(case) => Ok((StatusCode::CREATED, Json(case))),
        Err(unknown) => {
            Err(ApiError::unprocessable("unknown-party", "Unknown party", format!("no account {unknown:?}")))
        }
    }
}

/// `POST /clerk/v1/fees`
#[utoipa::path(post, path = "/clerk/v1/fees", tag = "clerk", security(("clerk" = [])),
    request_body = PostFeeNotice,
    responses((status = 201, description = "Posted; due in the policy's payment days", body = FeeNotice),
              (status = 422, description = "Unknown recipient, not a party, or a zero amount", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn post_fee(
    State(state): State<CourtState>,
    _clerk: Clerk,
    Json(req): Json<PostFeeNotice>,
) -> Result<(StatusCode, Json<FeeNotice>), ApiError> {
    if req.amount_fen == 0 {
        return Err(ApiError::unprocessable("zero-fee", "Zero fee", "a fee notice needs an amount"));
    }
    let account = state.store.with(|c| account_of(c, &req.recipient))?.ok_or_else(|| {
        ApiError::unprocessable("unknown-recipient", "Unknown recipient", format!("no account {:?}", req.recipient))
    })?;
    party_name(&state, &req.case_id, &account).map_err(|_| {
        ApiError::unprocessable(
            "not-a-party",
            "Not a party",
            format!("{} is not a party to {}", req.recipient, req.case_id),
        )
    })?;
    let days = i64::from(state.policy.policy.fee_schedule.payment_days);
    let fee = FeeNotice {
        id: new_id("fee"),
        case_id: req.case_id,
        amount_fen: req.amount_fen,
        reason: req.reason,
        due: (from_unix(unix_now()) + Duration::days(days)).date(),
        status: FeeStatus::Unpaid,
    };
    state.store.with(|c| {
        let tx = c.transaction()?;
        tx.run("INSERT INTO fees (id, account_id, body) VALUES (?1, ?2, ?3)", [&fee.id, &account, &to_json(&fee)?])?;
        record_change(
            &tx,
            &account,
            &ChangeEvent::FeeNotice {
                fee_id: fee.id.clone(),
                case_id: fee.case_id.clone(),
                amount_fen: fee.amount_fen,
                due: fee.due,
            },
        )?;
        tx.commit()
    })?;
    Ok((StatusCode::CREATED, Json(fee)))
}

fn fee_for(state: &CourtState, caller: &Caller, id: &str) -> Result<FeeNotice, ApiError> {
    state
        .store
        .with(|c| load_json(c, "SELECT body FROM fees WHERE id = ?1 AND account_id = ?2", [id, &caller.account_id]))?
        .ok_or_else(|| ApiError::not_found("fee notice"))
}

/// `GET /v1/fees/{id}`
#[utoipa::path(get, path = "/v1/fees/{id}", tag = "fees", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The fee notice", body = FeeNotice),
              (status = 404, description = "No such fee notice for this account", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn get_fee(
    State(state): State<CourtState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<FeeNotice>, ApiError> {
    fee_for(&state, &caller, &id).map(Json)
}

/// `POST /v1/fees/{id}/payment`: opens a payment session on the (simulated) provider.
#[utoipa::path(post, path = "/v1/fees/{id}/payment", tag = "fees", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The hosted payment page to open in the system browser", body = PaymentSession),
              (status = 404, description = "No such fee notice for this account", body = courtside_court_api::Problem, content_type = "application/problem+json"),
              (status = 409, description = "Already paid", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn start_payment(
    State(state): State<CourtState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Json<PaymentSession>, ApiError> {
    let fee = fee_for(&state, &caller, &id)?;
    if fee.status != FeeStatus::Unpaid {
        return Err(ApiError::conflict("already-paid", "this fee is paid"));
    }
    let token = random_token(24);
    state
        .store
        .with(|c| c.run("UPDATE fees SET pay_token_hash = ?1 WHERE id = ?2", [sha256_hex(token.as_bytes()), id]))?;
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    Ok(Json(PaymentSession { payment_url: format!("http://{host}/pay/{token}") }))
}

fn fee_by_token(state: &CourtState, token: &str) -> Result<(String, FeeNotice), ApiError> {
    state
        .store
        .with(|c| {
            crate::http::optional(c.one(
                "SELECT account_id, body FROM fees WHERE pay_token_hash = ?1",
                [sha256_hex(token.as_bytes())],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            ))
        })?
        .map(|(account, body)| Ok((account, crate::http::from_json(&body)?)))
        .transpose()
        .map_err(|e: rusqlite::Error| ApiError::from(e))?
        .ok_or_else(|| ApiError::not_found("payment session"))
}

fn payment_page(fee: &FeeNotice, token: &str) -> Response {
    let yuan = format!("{}.{:02}", fee.amount_fen / 100, fee.amount_fen % 100);
    let body = match &fee.status {
        FeeStatus::Unpaid => format!(
            "<p>金额 Amount: <strong id=\"amount\">¥{yuan}</strong></p><form method=\"post\" action=\"/pay/{token}\">\
             <button type=\"submit\" id=\"pay\">确认支付 · Pay</button></form>"
        ),
        FeeStatus::Paid { receipt_number, .. } => {
            format!(
                "<p id=\"paid\">已支付 · Paid. 收据号 Receipt: {receipt_number}</p><p>您可以关闭此页面。You can close this page.</p>"
            )
        }
    };
    let html = format!(
        "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>诉讼费缴纳 · Court fee payment</title>\
         <h1>诉讼费缴纳（模拟支付）· Court fee payment (simulated provider)</h1>{body}</html>"
    );
    let mut r = Html(html).into_response();
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; form-action 'self'; frame-ancestors 'none'"),
    );
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// `GET /pay/{token}`: the hosted payment page.
pub(crate) async fn payment_form(
    State(state): State<CourtState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let (_, fee) = fee_by_token(&state, &token)?;
    Ok(payment_page(&fee, &token))
}

/// `POST /pay/{token}`: the provider confirms the payment (the callback of a real one).
pub(crate) async fn payment_confirm(
    State(state): State<CourtState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let (account, mut fee) = fee_by_token(&state, &token)?;
    if fee.status == FeeStatus::Unpaid {
        let number: i64 = state.store.with(|c| c.one("SELECT COUNT(*) FROM fees", [], |r| r.get(0)))?;
        let receipt_number = format!("FS{}{:06}", time::OffsetDateTime::now_utc().year(), number);
        fee.status = FeeStatus::Paid { paid_at: from_unix(unix_now()), receipt_number: receipt_number.clone() };
        state.store.with(|c| {
            let tx = c.transaction()?;
            tx.run("UPDATE fees SET body = ?1 WHERE id = ?2", [&to_json(&fee)?, &fee.id])?;
            record_change(&tx, &account, &ChangeEvent::FeePaid { fee_id: fee.id.clone(), receipt_number })?;
            tx.commit()
        })?;
    }
    Ok(payment_page(&fee, &token))
}

/// `GET /v1/cases/{id}/mediation`
#[utoipa::path(get, path = "/v1/cases/{id}/mediation", tag = "mediation", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The thread, oldest first", body = Vec<MediationMessage>),
              (status = 404, description = "No such case with this account as a party", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn mediation_thread(
    State(state): State<CourtState>,
    caller: Caller,
    Path(case): Path<String>,
) -> Result<Json<Vec<MediationMessage>>, ApiError> {
    party_name(&state, &case, &caller.account_id)?;
    Ok(Json(
        state
            .store
            .with(|c| load_json_rows(c, "SELECT body FROM mediation WHERE case_id = ?1 ORDER BY rowid", [&case]))?,
    ))
}

fn post_message(
    state: &CourtState,
    case: &str,
    from: &str,
    from_account: Option<&str>,
    msg: NewMediationMessage,
) -> Result<MediationMessage, ApiError> {
    if msg.text.trim().is_empty() {
        return Err(ApiError::unprocessable("empty-message", "Empty message", "the message is empty"));
    }
    if let Some(account) = from_account {
        for upload in &msg.attachments {
            if !uploads::stored(state, account, upload)?.is_some_and(|u| u.complete) {
                return Err(ApiError::unprocessable(
                    "bad-attachment",
                    "Bad attachment",
                    format!("{upload} is not a completed upload of this account"),
                ));
            }
        }
    }
    let message = MediationMessage {
        id: new_id("msg"),
        case_id: case.to_owned(),
        from: from.to_owned(),
        text: msg.text,
        attachments: msg.attachments,
        sent_at: from_unix(unix_now()),
    };
    let known = state.store.with(|c| {
        let tx = c.transaction()?;
        let parties = case_parties(&tx, case)?;
        if parties.is_empty() {
            return Ok(false);
        }
        tx.run(
            "INSERT INTO mediation (id, case_id, body) VALUES (?1, ?2, ?3)",
            [&message.id, case, &to_json(&message)?],
        )?;
        for (account, _) in parties.iter().filter(|(a, _)| Some(a.as_str()) != from_account) {
            record_change(
                &tx,
                account,
                &ChangeEvent::MediationMessage {
                    case_id: case.to_owned(),
                    message_id: message.id.clone(),
                    from: from.to_owned(),
                },
            )?;
        }
        tx.commit()?;
        Ok(true)
    })?;
    if !known {
        return Err(ApiError::not_found("case"));
    }
    Ok(message)
}

/// `POST /v1/cases/{id}/mediation`
#[utoipa::path(post, path = "/v1/cases/{id}/mediation", tag = "mediation", security(("bearer" = [])),
    params(("id" = String, Path),
           ("Idempotency-Key" = Option<String>, Header, description = "The message's UUID: a repeat is not posted twice")),
    request_body = NewMediationMessage,
    responses((status = 201, description = "Posted; the other parties' feeds announce it", body = MediationMessage),
              (status = 404, description = "No such case with this account as a party", body = courtside_court_api::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Empty text or an attachment that is not a completed upload", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn mediation_post(
    State(state): State<CourtState>,
    caller: Caller,
    Path(case): Path<String>,
    headers: axum::http::HeaderMap,
    Json(msg): Json<NewMediationMessage>,
) -> Result<Response, ApiError> {
    let key = crate::filings::idempotency_key(&headers);
    crate::filings::at_most_once(&state, &caller.account_id, key, &(&case, &msg), || {
        let me = party_name(&state, &case, &caller.account_id)?;
        Ok((StatusCode::CREATED, post_message(&state, &case, &me, Some(&caller.account_id), msg.clone())?))
    })
}

/// `POST /v1/cases/{id}/offline-steps`
#[utoipa::path(post, path = "/v1/cases/{id}/offline-steps", tag = "cases", security(("bearer" = [])),
    params(("id" = String, Path),
           ("Idempotency-Key" = Option<String>, Header, description = "The request's UUID: a repeat is recorded once")),
    request_body = OfflineStep,
    responses((status = 201, description = "Recorded on the case (Online Operation Rules Art. 33)", body = OfflineStepRecord),
              (status = 404, description = "No such case with this account as a party", body = courtside_court_api::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Unknown step or no reason", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn offline_step(
    State(state): State<CourtState>,
    caller: Caller,
    Path(case): Path<String>,
    headers: axum::http::HeaderMap,
    Json(step): Json<OfflineStep>,
) -> Result<Response, ApiError> {
    let key = crate::filings::idempotency_key(&headers);
    crate::filings::at_most_once(&state, &caller.account_id, key, &(&case, &step), || {
        let from = party_name(&state, &case, &caller.account_id)?;
        if !OFFLINE_STEPS.contains(&step.step.as_str()) {
            return Err(ApiError::unprocessable(
                "unknown-step",
                "Unknown step",
                format!("the step must be one of {}", OFFLINE_STEPS.join(", ")),
            ));
        }
        if step.reason.trim().is_empty() || step.reason.chars().count() > 2_000 {
            return Err(ApiError::unprocessable("no-reason", "No reason", "say why (1 to 2000 characters)"));
        }
        let record = OfflineStepRecord {
            id: new_id("off"),
            case_id: case.clone(),
            from,
            step: step.clone(),
            recorded_at: from_unix(unix_now()),
        };
        state.store.with(|c| {
            c.run(
                "INSERT INTO offline_steps (id, case_id, body) VALUES (?1, ?2, ?3)",
                rusqlite::params![record.id, case, to_json(&record)?],
            )
        })?;
        Ok((StatusCode::CREATED, record))
    })
}

/// `GET /v1/cases/{id}/offline-steps`
#[utoipa::path(get, path = "/v1/cases/{id}/offline-steps", tag = "cases", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The steps recorded as continuing offline, oldest first", body = Vec<OfflineStepRecord>),
              (status = 404, description = "No such case with this account as a party", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn offline_steps(
    State(state): State<CourtState>,
    caller: Caller,
    Path(case): Path<String>,
) -> Result<Json<Vec<OfflineStepRecord>>, ApiError> {
    party_name(&state, &case, &caller.account_id)?;
    Ok(Json(
        state
            .store
            .with(|c| load_json_rows(c, "SELECT body FROM offline_steps WHERE case_id = ?1 ORDER BY rowid", [&case]))?,
    ))
}

/// `POST /clerk/v1/cases/{id}/mediation`: the mediator writes.
#[utoipa::path(post, path = "/clerk/v1/cases/{id}/mediation", tag = "clerk", security(("clerk" = [])),
    params(("id" = String, Path)), request_body = NewMediationMessage,
    responses((status = 201, description = "Posted as the mediator", body = MediationMessage),
              (status = 404, description = "No such case", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn mediator_post(
    State(state): State<CourtState>,
    _clerk: Clerk,
    Path(case): Path<String>,
    Json(msg): Json<NewMediationMessage>,
) -> Result<(StatusCode, Json<MediationMessage>), ApiError> {
    let msg = NewMediationMessage { attachments: Vec::new(), ..msg };
    Ok((StatusCode::CREATED, Json(post_message(&state, &case, "mediator", None, msg)?)))
}

/// `GET /v1/cases/{id}/exhibits`
#[utoipa::path(get, path = "/v1/cases/{id}/exhibits", tag = "evidence-exchange", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "Every party's exhibits with the opinions on them", body = Vec<ExchangedExhibit>),
              (status = 404, description = "No such case with this account as a party", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn exhibits(
    State(state): State<CourtState>,
    caller: Caller,
    Path(case): Path<String>,
) -> Result<Json<Vec<ExchangedExhibit>>, ApiError> {
    party_name(&state, &case, &caller.account_id)?;
    Ok(Json(
        state
            .store
            .with(|c| load_json_rows(c, "SELECT body FROM exhibits WHERE case_id = ?1 ORDER BY rowid", [&case]))?,
    ))
}

/// `POST /v1/cases/{id}/exhibits`
#[utoipa::path(post, path = "/v1/cases/{id}/exhibits", tag = "evidence-exchange", security(("bearer" = [])),
    params(("id" = String, Path),
           ("Idempotency-Key" = Option<String>, Header, description = "The submission's UUID: a repeat is the same exhibit, not a second one")),
    request_body = SubmitExhibit,
    responses((status = 201, description = "Submitted; the other parties' feeds announce it", body = ExchangedExhibit),
              (status = 404, description = "No such case with this account as a party", body = courtside_court_api::Problem, content_type = "application/problem+json"),
              (status = 422, description = "The upload is not complete or its hash was not verified", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn submit_exhibit(
    State(state): State<CourtState>,
    caller: Caller,
    Path(case): Path<String>,
    headers: axum::http::HeaderMap,
    Json(req): Json<SubmitExhibit>,
) -> Result<Response, ApiError> {
    // Under an Idempotency-Key a retried submission (its answer lost) is the same exhibit.
    let key = crate::filings::idempotency_key(&headers);
    crate::filings::at_most_once(&state, &caller.account_id, key, &(&case, &req), || {
        submit_exhibit_once(&state, &caller.account_id, &case, req.clone())
    })
}

fn submit_exhibit_once(
    state: &CourtState,
    account_id: &str,
    case: &str,
    req: SubmitExhibit,
) -> Result<(StatusCode, ExchangedExhibit), ApiError> {
    let case = case.to_owned();
    let me = party_name(state, &case, account_id)?;
    let upload = uploads::stored(state, account_id, &req.upload_id)?
        .filter(|u| u.complete && u.sha256.is_some())
        .ok_or_else(|| {
            ApiError::unprocessable(
                "bad-upload",
                "Upload not ready",
                format!("{} is not a completed upload of this account", req.upload_id),
            )
        })?;
    let exhibit = ExchangedExhibit {
        id: new_id("exh"),
        case_id: case.clone(),
        submitted_by: me.clone(),
        title: req.title,
        proves: req.proves,
        sha256: upload.sha256.unwrap_or_default(),
        bytes: upload.length,
        opinions: Vec::new(),
    };
    state.store.with(|c| {
        let tx = c.transaction()?;
        tx.run(
            "INSERT INTO exhibits (id, case_id, account_id, body, upload_id) VALUES (?1, ?2, ?3, ?4, ?5)",
            [&exhibit.id, &case, &account_id.to_owned(), &to_json(&exhibit)?, &req.upload_id],
        )?;
        for (account, _) in case_parties(&tx, &case)?.iter().filter(|(a, _)| *a != account_id) {
            record_change(
                &tx,
                account,
                &ChangeEvent::ExhibitSubmitted {
                    case_id: case.clone(),
                    exhibit_id: exhibit.id.clone(),
                    from: me.clone(),
                },
            )?;
        }
        tx.commit()
    })?;
    Ok((StatusCode::CREATED, exhibit))
}

/// `GET /v1/cases/{case}/exhibits/{id}/content`
#[utoipa::path(get, path = "/v1/cases/{case}/exhibits/{id}/content", tag = "evidence-exchange", security(("bearer" = [])),
    params(("case" = String, Path), ("id" = String, Path)),
    responses((status = 200, description = "The exhibit's bytes as submitted (their SHA-256 is the exhibit's)", content_type = "application/octet-stream"),
              (status = 404, description = "No such exhibit in a case of this account", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn exhibit_content(
    State(state): State<CourtState>,
    caller: Caller,
    Path((case, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    party_name(&state, &case, &caller.account_id)?;
    let upload: Option<String> = state
        .store
        .with(|c| {
            crate::http::optional(c.one(
                "SELECT upload_id FROM exhibits WHERE id = ?1 AND case_id = ?2",
                [&id, &case],
                |r| r.get::<_, Option<String>>(0),
            ))
        })?
        .flatten();
    let upload = upload.filter(|u| crate::http::is_plain_id(u)).ok_or_else(|| ApiError::not_found("exhibit"))?;
    let path = state.uploads_dir.join(&upload);
    let bytes = tokio::task::spawn_blocking(move || std::fs::read(path))
        .await
        .map_err(ApiError::internal)?
        .map_err(|_| ApiError::not_found("exhibit"))?;
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"))], bytes).into_response())
}

/// `POST /v1/cases/{case}/exhibits/{id}/opinions`
#[utoipa::path(post, path = "/v1/cases/{case}/exhibits/{id}/opinions", tag = "evidence-exchange", security(("bearer" = [])),
    params(("case" = String, Path), ("id" = String, Path)), request_body = CrossExamination,
    responses((status = 200, description = "The exhibit with the opinion (a later one from the same party replaces it)", body = ExchangedExhibit),
              (status = 404, description = "No such exhibit in a case of this account", body = courtside_court_api::Problem, content_type = "application/problem+json"),
              (status = 422, description = "A party cannot cross-examine its own exhibit", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn cross_examine(
    State(state): State<CourtState>,
    caller: Caller,
    Path((case, id)): Path<(String, String)>,
    Json(opinion): Json<CrossExamination>,
) -> Result<Json<ExchangedExhibit>, ApiError> {
    let me = party_name(&state, &case, &caller.account_id)?;
    let outcome = state.store.with(|c| {
        let tx = c.transaction()?;
        let row = crate::http::optional(tx.one(
            "SELECT account_id, body FROM exhibits WHERE id = ?1 AND case_id = ?2",
            [&id, &case],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
        ))?;
        let Some((owner, body)) = row else { return Ok(Err(ApiError::not_found("exhibit"))) };
        if owner == caller.account_id {
            return Ok(Err(ApiError::unprocessable(
                "own-exhibit",
                "Own exhibit",
                "a party gives opinions on the other side's exhibits",
            )));
        }
        let mut exhibit: ExchangedExhibit = crate::http::from_json(&body)?;
        exhibit.opinions.retain(|o| o.by != me);
        exhibit.opinions.push(CrossExamination { by: me.clone(), ..opinion });
        tx.run("UPDATE exhibits SET body = ?1 WHERE id = ?2", [&to_json(&exhibit)?, &id])?;
        record_change(
            &tx,
            &owner,
            &ChangeEvent::CrossExamination { case_id: case.clone(), exhibit_id: id.clone(), from: me.clone() },
        )?;
        tx.commit()?;
        Ok(Ok(exhibit))
    })?;
    outcome.map(Json)
}

/// `GET /v1/cases/{id}`
#[utoipa::path(get, path = "/v1/cases/{id}", tag = "cases", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The case", body = CourtCase),
              (status = 404, description = "No such case with this account as a party", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn get_case(
    State(state): State<CourtState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CourtCase>, ApiError> {
    party_name(&state, &id, &caller.account_id)?;
    case(&state, &id)?.map(Json).ok_or_else(|| ApiError::not_found("case"))
}

fn case(state: &CourtState, id: &str) -> Result<Option<CourtCase>, ApiError> {
    Ok(state.store.with(|c| {
        let row =
            crate::http::optional(c.one("SELECT case_number, case_type, title FROM cases WHERE id = ?1", [id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
            }))?;
        row.map(|(case_number, case_type, title)| {
            Ok(CourtCase {
                id: id.to_owned(),
                case_number,
                case_type,
                title,
                parties: case_parties(c, id)?.into_iter().map(|(_, u)| u).collect(),
            })
        })
        .transpose()
    })?)
}
