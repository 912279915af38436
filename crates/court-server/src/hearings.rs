//! Hearings: scheduling (clerk), check-in, join tickets, asynchronous statements, and the
//! court's small WebRTC hearing room (a page plus WebSocket signalling that relays offers,
//! answers and ICE candidates between the participants of one hearing).

use crate::store::Cached;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use courtside_court_api::auth::random_token;
use courtside_court_api::encoding::sha256_hex;
use courtside_court_api::filing::ChangeEvent;
use courtside_court_api::hearing::{
    CheckIn, CheckInReceipt, Hearing, HearingQuestion, HearingStatement, JoinTicket, RecordedCheckIn, ScheduleHearing,
    StatementReceipt,
};
use courtside_court_api::policy::HearingPlatformKind;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::filings::record_change;
use crate::http::{
    ApiError, Caller, Clerk, CourtState, case_parties, from_unix, load_json, load_json_rows, new_id, optional,
    party_name, to_json, unix_now,
};

/// How long a join ticket admits after the hearing's planned end.
const JOIN_GRACE_SECONDS: i64 = 3600;

/// `POST /clerk/v1/hearings`
#[utoipa::path(post, path = "/clerk/v1/hearings", tag = "clerk", security(("clerk" = [])),
    request_body = ScheduleHearing,
    responses((status = 201, description = "Scheduled; every party's feed announces it", body = Hearing),
              (status = 422, description = "Unknown case or platform, or a question window that ends before it opens", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn schedule(
    State(state): State<CourtState>,
    _clerk: Clerk,
    Json(req): Json<ScheduleHearing>,
) -> Result<(StatusCode, Json<Hearing>), ApiError> {
    if !state.policy.policy.hearing_platforms.iter().any(|p| p.id == req.platform) {
        return Err(ApiError::unprocessable(
            "unknown-platform",
            "Unknown platform",
            format!("no hearing platform {:?}", req.platform),
        ));
    }
    if req.questions.iter().any(|q| q.closes_at <= q.opens_at) {
        return Err(ApiError::unprocessable(
            "bad-question-window",
            "Bad question window",
            "every question must close after it opens",
        ));
    }
    let hearing = Hearing {
        id: new_id("hrg"),
        case_id: req.case_id.clone(),
        title: req.title,
        starts_at: req.starts_at,
        duration_minutes: req.duration_minutes,
        platform: req.platform,
        questions: req
            .questions
            .into_iter()
            .map(|q| HearingQuestion { id: if q.id.is_empty() { new_id("q") } else { q.id }, ..q })
            .collect(),
    };
    let stored = state.store.with(|c| {
        let tx = c.transaction()?;
        let exists: bool =
            tx.one("SELECT EXISTS (SELECT 1 FROM cases WHERE id = ?1)", [&hearing.case_id], |r| r.get(0))?;
        if !exists {
            return Ok(false);
        }
        tx.run(
            "INSERT INTO hearings (id, case_id, body) VALUES (?1, ?2, ?3)",
            [&hearing.id, &hearing.case_id, &to_json(&hearing)?],
        )?;
        for (account, _) in case_parties(&tx, &hearing.case_id)? {
            record_change(
                &tx,
                &account,
                &ChangeEvent::HearingScheduled {
                    hearing_id: hearing.id.clone(),
                    case_id: hearing.case_id.clone(),
                    starts_at: hearing.starts_at,
                },
            )?;
        }
        tx.commit()?;
        Ok(true)
    })?;
    if !stored {
        return Err(ApiError::unprocessable("unknown-case", "Unknown case", format!("no case {}", hearing.case_id)));
    }
    Ok((StatusCode::CREATED, Json(hearing)))
}

/// `GET /v1/hearings`
#[utoipa::path(get, path = "/v1/hearings", tag = "hearings", security(("bearer" = [])),
    responses((status = 200, description = "Hearings in the account's cases, soonest first", body = Vec<Hearing>)))]
pub(crate) async fn list_hearings(
    State(state): State<CourtState>,
    caller: Caller,
) -> Result<Json<Vec<Hearing>>, ApiError> {
    let mut hearings: Vec<Hearing> = state.store.with(|c| {
        load_json_rows(
            c,
            "SELECT h.body FROM hearings h JOIN case_parties p ON p.case_id = h.case_id WHERE p.account_id = ?1",
            [&caller.account_id],
        )
    })?;
    hearings.sort_by_key(|h| h.starts_at);
    Ok(Json(hearings))
}

/// A hearing the caller is a party to.
fn hearing_for(state: &CourtState, caller: &Caller, id: &str) -> Result<Hearing, ApiError> {
    let hearing: Hearing = state
        .store
        .with(|c| load_json(c, "SELECT body FROM hearings WHERE id = ?1", [id]))?
        .ok_or_else(|| ApiError::not_found("hearing"))?;
    party_name(state, &hearing.case_id, &caller.account_id).map_err(|_| ApiError::not_found("hearing"))?;
    Ok(hearing)
}

/// `GET /v1/hearings/{id}`
#[utoipa::path(get, path = "/v1/hearings/{id}", tag = "hearings", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The hearing", body = Hearing),
              (status = 404, description = "No such hearing in the account's cases", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn get_hearing(
    State(state): State<CourtState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Hearing>, ApiError> {
    hearing_for(&state, &caller, &id).map(Json)
}

/// `POST /v1/hearings/{id}/check-in`
#[utoipa::path(post, path = "/v1/hearings/{id}/check-in", tag = "hearings", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = CheckIn,
    responses((status = 200, description = "Recorded (a later check-in replaces it)", body = CheckInReceipt),
              (status = 404, description = "No such hearing in the account's cases", body = courtside_court_api::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Identity not confirmed or rules not acknowledged", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn check_in(
    State(state): State<CourtState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(check): Json<CheckIn>,
) -> Result<Json<CheckInReceipt>, ApiError> {
    hearing_for(&state, &caller, &id)?;
    let mut missing = Vec::new();
    if !check.identity_confirmed {
        missing.push(courtside_court_api::ProblemError {
            detail: "identity must be confirmed (Online Litigation Rules Art. 7)".into(),
            pointer: Some("/identityConfirmed".into()),
        });
    }
    if !check.rules_acknowledged {
        missing.push(courtside_court_api::ProblemError {
            detail: "the hearing rules must be acknowledged (Art. 27)".into(),
            pointer: Some("/rulesAcknowledged".into()),
        });
    }
    if !missing.is_empty() {
        let detail = missing.iter().map(|e| e.detail.clone()).collect::<Vec<_>>().join("; ");
        return Err(ApiError::unprocessable("check-in-incomplete", "Check-in incomplete", detail).with_errors(missing));
    }
    let now = unix_now();
    state.store.with(|c| {
        c.run(
            "INSERT INTO check_ins (hearing_id, account_id, body, at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (hearing_id, account_id) DO UPDATE SET body = excluded.body, at = excluded.at",
            rusqlite::params![id, caller.account_id, to_json(&check)?, now],
        )
    })?;
    Ok(Json(CheckInReceipt { hearing_id: id, checked_in_at: from_unix(now) }))
}

/// `GET /clerk/v1/hearings/{id}/check-ins`
#[utoipa::path(get, path = "/clerk/v1/hearings/{id}/check-ins", tag = "clerk", security(("clerk" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "Every participant's latest check-in, by username", body = [RecordedCheckIn]),
              (status = 404, description = "No such hearing", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn clerk_check_ins(
    State(state): State<CourtState>,
    _clerk: Clerk,
    Path(id): Path<String>,
) -> Result<Json<Vec<RecordedCheckIn>>, ApiError> {
    let rows: Vec<(String, String, i64)> = state
        .store
        .with(|c| {
            let exists: bool = c.one("SELECT EXISTS (SELECT 1 FROM hearings WHERE id = ?1)", [&id], |r| r.get(0))?;
            if !exists {
                return Ok(None);
            }
            let mut stmt = c.prepare(
                "SELECT a.username, k.body, k.at FROM check_ins k JOIN accounts a ON a.id = k.account_id
             WHERE k.hearing_id = ?1 ORDER BY a.username",
            )?;
            let rows =
                stmt.query_map([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<rusqlite::Result<_>>()?;
            Ok(Some(rows))
        })?
        .ok_or_else(|| ApiError::not_found("hearing"))?;
    let mut out = Vec::with_capacity(rows.len());
    for (username, body, at) in rows {
        out.push(RecordedCheckIn { username, checked_in_at: from_unix(at), check: crate::http::from_json(&body)? });
    }
    Ok(Json(out))
}

/// `POST /v1/hearings/{id}/join`
#[utoipa::path(post, path = "/v1/hearings/{id}/join", tag = "hearings", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "The room page with a join token", body = JoinTicket),
              (status = 404, description = "No such hearing in the account's cases", body = courtside_court_api::Problem, content_type = "application/problem+json"),
              (status = 409, description = "Check in first, or the hearing is not held in the court's room", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn join(
    State(state): State<CourtState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Json<JoinTicket>, ApiError> {
    let hearing = hearing_for(&state, &caller, &id)?;
    let in_room = state
        .policy
        .policy
        .hearing_platforms
        .iter()
        .any(|p| p.id == hearing.platform && p.kind == HearingPlatformKind::CourtRoom);
    if !in_room {
        return Err(ApiError::conflict("not-in-court-room", "this hearing is not held in the court's online room"));
    }
    let checked_in: bool = state.store.with(|c| {
        c.one(
            "SELECT EXISTS (SELECT 1 FROM check_ins WHERE hearing_id = ?1 AND account_id = ?2)",
            [&id, &caller.account_id],
            |r| r.get(0),
        )
    })?;
    if !checked_in {
        return Err(ApiError::conflict("check-in-required", "check in (device check, identity, rules) before joining"));
    }
    let token = random_token(24);
    let ends = hearing.starts_at.unix_timestamp() + i64::from(hearing.duration_minutes) * 60 + JOIN_GRACE_SECONDS;
    let expires = ends.max(unix_now() + JOIN_GRACE_SECONDS);
    state.store.with(|c| {
        c.run(
            "INSERT INTO join_tokens (token_hash, hearing_id, account_id, expires_at) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![sha256_hex(token.as_bytes()), id, caller.account_id, expires],
        )
    })?;
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    Ok(Json(JoinTicket { room_url: format!("http://{host}/rooms/{id}?token={token}"), expires_at: from_unix(expires) }))
}

/// `POST /v1/hearings/{id}/statements`
#[utoipa::path(post, path = "/v1/hearings/{id}/statements", tag = "hearings", security(("bearer" = [])),
    params(("id" = String, Path),
           ("Idempotency-Key" = Option<String>, Header, description = "The answer's UUID: a repeat gets the first receipt again")),
    request_body = HearingStatement,
    responses((status = 201, description = "Received", body = StatementReceipt),
              (status = 404, description = "No such hearing in the account's cases", body = courtside_court_api::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Unknown question, empty answer, or outside the question's window", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn statement(
    State(state): State<CourtState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    Json(s): Json<HearingStatement>,
) -> Result<Response, ApiError> {
    let key = crate::filings::idempotency_key(&headers);
    crate::filings::at_most_once(&state, &caller.account_id, key, &(&id, &s), || {
        record_statement(&state, &caller, &id, &s)
    })
}

fn record_statement(
    state: &CourtState,
    caller: &Caller,
    id: &str,
    s: &HearingStatement,
) -> Result<(StatusCode, StatementReceipt), ApiError> {
    let hearing = hearing_for(state, caller, id)?;
    let question = hearing.questions.iter().find(|q| q.id == s.question_id).ok_or_else(|| {
        ApiError::unprocessable(
            "unknown-question",
            "Unknown question",
            format!("the hearing has no question {:?}", s.question_id),
        )
    })?;
    let now = from_unix(unix_now());
    if now < question.opens_at || now > question.closes_at {
        return Err(ApiError::unprocessable(
            "outside-window",
            "Outside the answer window",
            format!("answers to this question are accepted from {} to {}", question.opens_at, question.closes_at),
        ));
    }
    if s.text.trim().is_empty() {
        return Err(ApiError::unprocessable("empty-statement", "Empty statement", "the answer is empty"));
    }
    let receipt = StatementReceipt { id: new_id("stm"), received_at: now };
    state.store.with(|c| {
        c.run(
            "INSERT INTO statements (id, hearing_id, account_id, question_id, text, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![receipt.id, id, caller.account_id, s.question_id, s.text, now.unix_timestamp()],
        )
    })?;
    Ok((StatusCode::CREATED, receipt))
}

/// A participant in a room: peer id and the queue of messages to send it.
type Member = (String, mpsc::UnboundedSender<String>);

/// Who is in which room.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rooms(Arc<Mutex<HashMap<String, Vec<Member>>>>);

impl Rooms {
    fn enter(&self, room: &str, peer: &str, tx: mpsc::UnboundedSender<String>) -> Vec<String> {
        let Ok(mut rooms) = self.0.lock() else { return Vec::new() };
        let members = rooms.entry(room.to_owned()).or_default();
        let others: Vec<String> = members.iter().map(|(p, _)| p.clone()).collect();
        for (_, other) in members.iter() {
            let _ = other.send(serde_json::json!({"type": "peer-joined", "peer": peer}).to_string());
        }
        members.push((peer.to_owned(), tx));
        others
    }

    fn leave(&self, room: &str, peer: &str) {
        let Ok(mut rooms) = self.0.lock() else { return };
        if let Some(members) = rooms.get_mut(room) {
            members.retain(|(p, _)| p != peer);
            for (_, other) in members.iter() {
                let _ = other.send(serde_json::json!({"type": "peer-left", "peer": peer}).to_string());
            }
        }
    }

    fn relay(&self, room: &str, from: &str, to: &str, mut message: serde_json::Value) {
        let Ok(rooms) = self.0.lock() else { return };
        if let Some((_, target)) = rooms.get(room).and_then(|m| m.iter().find(|(p, _)| p == to)) {
            message["from"] = serde_json::Value::String(from.to_owned());
            let _ = target.send(message.to_string());
        }
    }
}

/// The join token in a room URL.
#[derive(Debug, Deserialize)]
pub(crate) struct RoomQuery {
    #[serde(default)]
    token: String,
}

fn admitted(state: &CourtState, hearing: &str, token: &str) -> Result<bool, ApiError> {
    let expires: Option<i64> = state.store.with(|c| {
        optional(c.one(
            "SELECT expires_at FROM join_tokens WHERE token_hash = ?1 AND hearing_id = ?2",
            [sha256_hex(token.as_bytes()), hearing.to_owned()],
            |r| r.get(0),
        ))
    })?;
    Ok(expires.is_some_and(|e| e > unix_now()))
}

const ROOM_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; media-src 'self' blob:; img-src 'self'; frame-ancestors 'none'";

fn with_csp(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(ROOM_CSP));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// `GET /rooms/{id}?token=`: the hearing room page.
pub(crate) async fn room_page(
    State(state): State<CourtState>,
    Path(id): Path<String>,
    Query(q): Query<RoomQuery>,
) -> Result<Response, ApiError> {
    if !admitted(&state, &id, &q.token)? {
        return Err(ApiError::new(
            403,
            "not-admitted",
            "Forbidden",
            "the join token is unknown or expired; ask the app for a new one",
        ));
    }
    Ok(with_csp(axum::response::Html(ROOM_HTML).into_response()))
}

/// `GET /rooms/assets/room.js` and `/rooms/assets/room.css`.
pub(crate) async fn room_asset(Path(name): Path<String>) -> Response {
    let (body, media) = match name.as_str() {
        "room.js" => (ROOM_JS, "text/javascript; charset=utf-8"),
        "room.css" => (ROOM_CSS, "text/css; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    with_csp(([(header::CONTENT_TYPE, media)], body).into_response())
}

/// `GET /rooms/{id}/signal?token=`: WebSocket signalling for the room.
pub(crate) async fn signal(
    State(state): State<CourtState>,
    Path(id): Path<String>,
    Query(q): Query<RoomQuery>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    // The token is checked before anything else, so a stranger learns nothing.
    if !admitted(&state, &id, &q.token)? {
        return Err(ApiError::new(403, "not-admitted", "Forbidden", "the join token is unknown or expired"));
    }
    let upgrade = upgrade.map_err(|e| ApiError::bad_request("not-websocket", e.to_string()))?;
    let rooms = state.rooms.clone();
    Ok(upgrade.max_message_size(64 * 1024).on_upgrade(move |socket| run_peer(socket, rooms, id)))
}

async fn run_peer(socket: WebSocket, rooms: Rooms, room: String) {
    let peer = new_id("peer");
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let others = rooms.enter(&room, &peer, tx);
    let (mut sink, mut stream) = socket.split();
    let welcome = serde_json::json!({"type": "welcome", "peer": peer, "peers": others}).to_string();
    if sink.send(Message::Text(welcome.into())).await.is_err() {
        rooms.leave(&room, &peer);
        return;
    }
    let writer = tokio::spawn(async move {
        while let Some(text) = rx.recv().await {
            if sink.send(Message::Text(text.into())).await.is_err() {
                break;
            }
        }
    });
    while let Some(Ok(message)) = stream.next().await {
        let Message::Text(text) = message else { continue };
        // Only relay what names a recipient; the server reads nothing else of it.
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else { continue };
        if let Some(to) = value.get("to").and_then(|t| t.as_str()).map(str::to_owned) {
            rooms.relay(&room, &peer, &to, value);
        }
    }
    rooms.leave(&room, &peer);
    writer.abort();
}

const ROOM_HTML: &str = r#"<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>在线庭审 · Online hearing</title><link rel="stylesheet" href="/rooms/assets/room.css"></head>
<body>
<h1>在线庭审 · Online hearing</h1>
<p class="rules">请勿录音、录像、拍照或传播庭审活动。Do not record, capture or broadcast the hearing.</p>
<p>连接状态 · Connection: <strong id="state" aria-live="polite">new</strong></p>
<div class="videos"><video id="local" autoplay muted playsinline></video><div id="remote"></div></div>
<script src="/rooms/assets/room.js"></script>
</body></html>
"#;

const ROOM_CSS: &str = "body{font-family:system-ui,sans-serif;margin:1rem}video{width:320px;background:#111;margin:.3rem}.rules{color:#8a1c1c}";

const ROOM_JS: &str = r#""use strict";
// The court's hearing room: WebRTC between the participants, offers/answers/candidates
// relayed by the court's WebSocket. The newcomer calls everyone already in the room.
(async () => {
  const stateEl = document.getElementById("state");
  const setState = (s) => { stateEl.textContent = s; document.body.dataset.connection = s; };
  const hearing = location.pathname.split("/").pop();
  const token = new URLSearchParams(location.search).get("token") || "";
  let media;
  try {
    media = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    document.getElementById("local").srcObject = media;
  } catch (e) {
    setState("no-media: " + e.name);
    return;
  }
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/rooms/${hearing}/signal?token=${encodeURIComponent(token)}`);
  const peers = new Map();
  const send = (msg) => ws.send(JSON.stringify(msg));
  const summary = () => {
    const states = [...peers.values()].map((pc) => pc.connectionState);
    setState(states.includes("connected") ? "connected" : states[0] || "waiting");
  };
  const connect = (id) => {
    const pc = new RTCPeerConnection({ iceServers: [] });
    for (const track of media.getTracks()) pc.addTrack(track, media);
    pc.onicecandidate = (e) => { if (e.candidate) send({ to: id, type: "candidate", candidate: e.candidate }); };
    pc.ontrack = (e) => {
      let v = document.getElementById("v-" + id);
      if (!v) {
        v = document.createElement("video");
        v.id = "v-" + id; v.autoplay = true; v.playsInline = true;
        document.getElementById("remote").appendChild(v);
      }
      v.srcObject = e.streams[0];
    };
    pc.onconnectionstatechange = summary;
    peers.set(id, pc);
    return pc;
  };
  ws.onmessage = async (event) => {
    const msg = JSON.parse(event.data);
    if (msg.type === "welcome") {
      setState("waiting");
      for (const id of msg.peers) {
        const pc = connect(id);
        await pc.setLocalDescription(await pc.createOffer());
        send({ to: id, type: "offer", sdp: pc.localDescription });
      }
    } else if (msg.type === "offer") {
      const pc = peers.get(msg.from) || connect(msg.from);
      await pc.setRemoteDescription(msg.sdp);
      await pc.setLocalDescription(await pc.createAnswer());
      send({ to: msg.from, type: "answer", sdp: pc.localDescription });
    } else if (msg.type === "answer") {
      await peers.get(msg.from)?.setRemoteDescription(msg.sdp);
    } else if (msg.type === "candidate") {
      await peers.get(msg.from)?.addIceCandidate(msg.candidate);
    } else if (msg.type === "peer-left") {
      peers.get(msg.peer)?.close();
      peers.delete(msg.peer);
      document.getElementById("v-" + msg.peer)?.remove();
      summary();
    }
  };
  ws.onclose = () => setState("signalling-closed");
})();
"#;
