//! The court API over real HTTP on 127.0.0.1: every endpoint, and every error path answered
//! with RFC 9457 problem details.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly by design")]

use std::time::Duration;

use courtside_court_api::auth::{Pkce, TokenResponse, random_token};
use courtside_court_api::encoding::{b64url, sha256_hex};
use courtside_court_api::filing::{
    CaseTarget, ChangeEvent, ChangePage, CorrectionItem, DocumentRole, Filing, FilingReceipt, FilingStatus,
    ManifestDocument, ReviewDecision, ServeDocument, ServedDocument, SubmissionManifest,
};
use courtside_court_api::policy::CourtPolicy;
use courtside_court_api::signing::{SignedEnvelope, public_key_b64};
use courtside_court_api::tus::{ChecksumAlgorithm, encode_checksum, encode_metadata, encode_sha256_checksum};
use courtside_court_server::{CLIENT_ID, CourtConfig, DEMO_COURT_ID, FaultPlan, RunningCourt};
use reqwest::{Client, Method, StatusCode};
use ring::signature::Ed25519KeyPair;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Court {
    server: RunningCourt,
    base: String,
    http: Client,
    _dir: tempfile::TempDir,
}

async fn court_with(ttl: Duration) -> Court {
    let dir = tempfile::tempdir().unwrap();
    let mut config = CourtConfig::local(dir.path());
    config.access_token_ttl = ttl;
    let server = courtside_court_server::start(config).await.unwrap();
    let base = server.base_url().trim_end_matches('/').to_owned();
    let http = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    Court { server, base, http, _dir: dir }
}

async fn court() -> Court {
    court_with(Duration::from_secs(600)).await
}

/// Reads a problem answer and checks its media type, status and type name.
async fn expect_problem(response: reqwest::Response, status: u16, name: &str) -> Value {
    assert_eq!(response.status().as_u16(), status, "{:?}", response.headers());
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert_eq!(body["type"], format!("urn:courtside:problem:{name}"), "{body}");
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
    body
}

/// The whole browser step of RFC 8252: the login page is fetched and submitted like a
/// browser would, and the redirect is delivered to a real loopback listener, as the app's.
async fn authorize(court: &Court, username: &str, password: &str, pkce: &Pkce) -> (String, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let redirect_uri = format!("http://127.0.0.1:{}/callback", listener.local_addr().unwrap().port());
    let state = random_token(16);
    let params = [
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", &redirect_uri),
        ("scope", "openid profile court"),
        ("state", &state),
        ("code_challenge", &pkce.challenge()),
        ("code_challenge_method", "S256"),
        ("nonce", "n-1"),
    ];
    let page = court.http.get(format!("{}/oauth/authorize", court.base)).query(&params).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    let html = page.text().await.unwrap();
    assert!(html.contains("name=\"password\""), "{html}");
    // Submit the form with every hidden field the page carries.
    let mut form: Vec<(String, String)> = html
        .split("<input type=\"hidden\" ")
        .skip(1)
        .map(|s| {
            let name = s.split("name=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
            let value = s.split("value=\"").nth(1).unwrap().split('"').next().unwrap().replace("&amp;", "&");
            (name, value)
        })
        .collect();
    form.push(("username".into(), username.into()));
    form.push(("password".into(), password.into()));
    let answer = court.http.post(format!("{}/oauth/authorize", court.base)).form(&form).send().await.unwrap();
    assert_eq!(answer.status(), 303, "{}", answer.text().await.unwrap());
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&redirect_uri), "{location}");
    // The browser follows the redirect to the app's loopback listener.
    let follow = tokio::spawn(async move { reqwest::get(location).await.map(|_| ()) });
    let (mut socket, _) = listener.accept().await.unwrap();
    let mut request = vec![0u8; 4096];
    let n = socket.read(&mut request).await.unwrap();
    socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await.unwrap();
    drop(socket);
    let _ = follow.await;
    let line = String::from_utf8_lossy(&request[..n]).lines().next().unwrap().to_owned();
    let target = url::Url::parse(&format!("http://x{}", line.split(' ').nth(1).unwrap())).unwrap();
    let query: std::collections::HashMap<_, _> = target.query_pairs().into_owned().collect();
    assert_eq!(query["state"], state);
    assert_eq!(query["iss"], court.base);
    (query["code"].clone(), redirect_uri)
}

async fn exchange(court: &Court, code: &str, verifier: &str, redirect_uri: Option<&str>) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("client_id", CLIENT_ID),
        ("code_verifier", verifier),
    ];
    if let Some(r) = redirect_uri {
        form.push(("redirect_uri", r));
    }
    court.http.post(format!("{}/oauth/token", court.base)).form(&form).send().await.unwrap()
}

/// Logs in through the authorization endpoint and the token endpoint.
async fn login(court: &Court, username: &str, password: &str) -> TokenResponse {
    let pkce = Pkce::generate();
    let (code, redirect) = authorize(court, username, password, &pkce).await;
    let response = exchange(court, &code, pkce.verifier(), Some(&redirect)).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn refresh(court: &Court, refresh_token: &str) -> reqwest::Response {
    court
        .http
        .post(format!("{}/oauth/token", court.base))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token), ("client_id", CLIENT_ID)])
        .send()
        .await
        .unwrap()
}

/// A refresh with the device's proof that it holds the key it registered.
async fn refresh_as_device(
    court: &Court,
    refresh_token: &str,
    device: &str,
    key: &Ed25519KeyPair,
) -> reqwest::Response {
    let proof = courtside_court_api::encoding::b64url(
        key.sign(&courtside_court_api::auth::refresh_proof_message(refresh_token)).as_ref(),
    );
    court
        .http
        .post(format!("{}/oauth/token", court.base))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", CLIENT_ID),
            ("device_id", device),
            ("device_proof", &proof),
        ])
        .send()
        .await
        .unwrap()
}

/// Registers a device key for the account signed in with `token`; returns its id and key.
async fn register_device(court: &Court, token: &str) -> (String, Ed25519KeyPair) {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let device: Value = court
        .http
        .post(format!("{}/v1/devices", court.base))
        .bearer_auth(token)
        .json(&serde_json::json!({"publicKey": public_key_b64(&key), "name": "laptop"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (device["id"].as_str().unwrap().to_owned(), key)
}

#[tokio::test]
async fn login_with_pkce_then_refresh_and_expiry() {
    let court = court_with(Duration::from_secs(2)).await;
    let discovery: Value = court
        .http
        .get(format!("{}/.well-known/openid-configuration", court.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["code_challenge_methods_supported"][0], "S256");
    assert_eq!(discovery["token_endpoint"], format!("{}/oauth/token", court.base));

    let tokens = login(&court, "wang.lawyer", "demo-lawyer-2026").await;
    assert_eq!(tokens.token_type, "Bearer");
    assert_eq!(tokens.expires_in, 2);
    // The ID token is an EdDSA JWT that verifies with the key in the JWK set.
    let id_token = tokens.id_token.clone().unwrap();
    let parts: Vec<&str> = id_token.split('.').collect();
    let jwks: Value = court.http.get(format!("{}/oauth/jwks", court.base)).send().await.unwrap().json().await.unwrap();
    let x = courtside_court_api::encoding::b64url_decode(jwks["keys"][0]["x"].as_str().unwrap()).unwrap();
    ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, &x)
        .verify(
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &courtside_court_api::encoding::b64url_decode(parts[2]).unwrap(),
        )
        .expect("ID token signature");
    let claims: Value =
        serde_json::from_slice(&courtside_court_api::encoding::b64url_decode(parts[1]).unwrap()).unwrap();
    assert_eq!((claims["aud"].as_str(), claims["nonce"].as_str()), (Some(CLIENT_ID), Some("n-1")));

    let me = |token: String| {
        let http = court.http.clone();
        let url = format!("{}/v1/me", court.base);
        async move { http.get(url).bearer_auth(token).send().await.unwrap() }
    };
    let account: Value = me(tokens.access_token.clone()).await.json().await.unwrap();
    assert_eq!((account["username"].as_str(), account["role"].as_str()), (Some("wang.lawyer"), Some("lawyer")));

    // Refresh rotates both tokens; the new access token works.
    let renewed: TokenResponse = refresh(&court, &tokens.refresh_token).await.json().await.unwrap();
    assert_ne!(renewed.access_token, tokens.access_token);
    assert_eq!(me(renewed.access_token.clone()).await.status(), 200);

    // Access tokens expire.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let expired = me(renewed.access_token.clone()).await;
    assert!(expired.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
    expect_problem(expired, 401, "invalid-token").await;
    let fresh: TokenResponse = refresh(&court, &renewed.refresh_token).await.json().await.unwrap();
    assert_eq!(me(fresh.access_token.clone()).await.status(), 200);

    // A refresh token used twice means a copy exists: the whole sign-in is revoked.
    let replay = refresh(&court, &tokens.refresh_token).await;
    assert_eq!(replay.status(), 400);
    assert_eq!(replay.json::<Value>().await.unwrap()["error"], "invalid_grant");
    expect_problem(me(fresh.access_token).await, 401, "invalid-token").await;
    expect_problem(court.http.get(format!("{}/v1/me", court.base)).send().await.unwrap(), 401, "unauthenticated").await;
}

/// A refresh whose answer was lost on the way (the client never saw its new tokens) may be
/// asked again with the same refresh token by the device that registered the sign-in: the
/// unseen tokens are revoked and new ones issued. Without the device's proof (a thief with
/// a copy of the token), or once the client used what it got, a repeat revokes everything.
#[tokio::test]
async fn a_refresh_whose_answer_was_lost_may_be_asked_again_by_its_device_only() {
    let court = court().await;
    let tokens = login(&court, "zhang.san", "demo-litigant-1").await;
    let (device, key) = register_device(&court, &tokens.access_token).await;
    let me = |token: String| {
        let http = court.http.clone();
        let url = format!("{}/v1/me", court.base);
        async move { http.get(url).bearer_auth(token).send().await.unwrap().status() }
    };
    let lost: TokenResponse =
        refresh_as_device(&court, &tokens.refresh_token, &device, &key).await.json().await.unwrap();
    // The device asks again with the token it still has.
    let again: TokenResponse =
        refresh_as_device(&court, &tokens.refresh_token, &device, &key).await.json().await.unwrap();
    assert_ne!(again.refresh_token, lost.refresh_token);
    assert_eq!(me(again.access_token.clone()).await, 200);
    assert_eq!(refresh(&court, &lost.refresh_token).await.status(), 400, "the tokens of the lost answer are revoked");
    // The second successor is used: from now on the old token is a copy, and revokes all.
    let next: TokenResponse =
        refresh_as_device(&court, &again.refresh_token, &device, &key).await.json().await.unwrap();
    assert_eq!(refresh_as_device(&court, &tokens.refresh_token, &device, &key).await.status(), 400);
    assert_eq!(me(next.access_token).await, 401, "the whole sign-in is revoked");

    // A thief with a copy of a just-used token, but not the device key, is not let in.
    let tokens = login(&court, "li.si", "demo-litigant-2").await;
    let (device, key) = register_device(&court, &tokens.access_token).await;
    let fresh: TokenResponse =
        refresh_as_device(&court, &tokens.refresh_token, &device, &key).await.json().await.unwrap();
    assert_eq!(refresh(&court, &tokens.refresh_token).await.status(), 400, "no proof, no grace");
    assert_eq!(me(fresh.access_token).await, 401, "the copy revoked the whole sign-in");
}

/// A court database of the previous version (without the columns that record a refresh
/// token's use) opens in this one, and a refresh token it issued still works, lost answer
/// and all.
#[tokio::test]
async fn a_court_database_of_the_previous_version_keeps_its_sign_ins() {
    let court = court().await;
    let tokens = login(&court, "zhang.san", "demo-litigant-1").await;
    let Court { server, base, http, _dir: dir } = court;
    let addr = server.addr();
    server.stop().await.unwrap();
    // Back to the previous version's schema, with its sign-in in it.
    let conn = rusqlite::Connection::open(dir.path().join("court.sqlite3")).unwrap();
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    conn.execute_batch("ALTER TABLE tokens DROP COLUMN used_at; ALTER TABLE tokens DROP COLUMN successor;").unwrap();
    conn.pragma_update(None, "user_version", version - 1).unwrap();
    drop(conn);
    let mut config = CourtConfig::local(dir.path());
    config.listen = addr;
    let server = courtside_court_server::start(config).await.unwrap();
    let court = Court { server, base, http, _dir: dir };
    let renewed: TokenResponse = refresh(&court, &tokens.refresh_token).await.json().await.unwrap();
    let me = court.http.get(format!("{}/v1/me", court.base)).bearer_auth(&renewed.access_token).send().await.unwrap();
    assert_eq!(me.status(), 200);
    // And the new columns work on the migrated table: a repeat of the used token revokes.
    assert_eq!(refresh(&court, &tokens.refresh_token).await.status(), 400);
}

#[tokio::test]
async fn authorization_refuses_what_pkce_and_rfc_8252_forbid() {
    let court = court().await;
    // Wrong password: the login page again, with a message, and no code.
    let pkce = Pkce::generate();
    let form = [
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", "http://127.0.0.1:9/cb"),
        ("scope", "openid"),
        ("state", "s"),
        ("code_challenge", &pkce.challenge()),
        ("code_challenge_method", "S256"),
        ("username", "zhang.san"),
        ("password", "wrong"),
    ];
    let answer = court.http.post(format!("{}/oauth/authorize", court.base)).form(&form).send().await.unwrap();
    assert_eq!(answer.status(), 401);
    assert!(answer.text().await.unwrap().contains("Wrong username or password"));

    // A redirect URI that is not loopback is never redirected to.
    let page = court
        .http
        .get(format!("{}/oauth/authorize", court.base))
        .query(&[
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", "https://evil.example/cb"),
            ("scope", "openid"),
            ("state", "s"),
            ("code_challenge", &pkce.challenge()),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 400);
    // Plain PKCE is refused back to the (valid) redirect URI.
    let plain = court
        .http
        .get(format!("{}/oauth/authorize", court.base))
        .query(&[
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", "http://127.0.0.1:9/cb"),
            ("scope", "openid"),
            ("state", "s"),
            ("code_challenge", "abc"),
            ("code_challenge_method", "plain"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 303);
    assert!(plain.headers()["location"].to_str().unwrap().contains("error=invalid_request"));

    // A code is bound to its verifier and redirect URI, and is single-use.
    let (code, redirect) = authorize(&court, "zhang.san", "demo-litigant-1", &pkce).await;
    let other = Pkce::generate();
    let wrong = exchange(&court, &code, other.verifier(), Some(&redirect)).await;
    assert_eq!(wrong.json::<Value>().await.unwrap()["error"], "invalid_grant");
    let (code, redirect) = authorize(&court, "zhang.san", "demo-litigant-1", &pkce).await;
    assert_eq!(exchange(&court, &code, pkce.verifier(), Some("http://127.0.0.1:1/other")).await.status(), 400);
    let (code, redirect2) = authorize(&court, "zhang.san", "demo-litigant-1", &pkce).await;
    assert_eq!(exchange(&court, &code, pkce.verifier(), Some(&redirect2)).await.status(), 200);
    assert_eq!(exchange(&court, &code, pkce.verifier(), Some(&redirect2)).await.status(), 400, "codes are single-use");
    let _ = redirect;
    let unknown_grant = court
        .http
        .post(format!("{}/oauth/token", court.base))
        .form(&[("grant_type", "password"), ("client_id", CLIENT_ID)])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_grant.json::<Value>().await.unwrap()["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn policy_is_cacheable_and_carries_the_fee_schedule_and_holidays() {
    let court = court().await;
    let courts: Value = court.http.get(format!("{}/v1/courts", court.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(courts[0]["id"], DEMO_COURT_ID);
    let url = format!("{}/v1/courts/{DEMO_COURT_ID}/policy", court.base);
    let first = court.http.get(&url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let policy: CourtPolicy = first.json().await.unwrap();
    assert_eq!(policy.fee_schedule.property.tiers[1].rate_bp, 250);
    let y2026 = policy.calendar.iter().find(|y| y.year == 2026).unwrap();
    assert!(y2026.make_up_working_days.iter().any(|d| d.to_string() == "2026-02-14"));
    assert!(policy.case_types.iter().any(|t| t.code == "civil-contract"));
    let again = court.http.get(&url).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()["etag"], etag.as_str());
    let stale = court.http.get(&url).header("if-none-match", "\"old\"").send().await.unwrap();
    assert_eq!(stale.status(), 200);
    expect_problem(
        court.http.get(format!("{}/v1/courts/nowhere/policy", court.base)).send().await.unwrap(),
        404,
        "unknown-court",
    )
    .await;
}

/// An account with a registered device key, ready to upload and file.
struct Filer {
    token: String,
    device: String,
    key: Ed25519KeyPair,
}

async fn filer(court: &Court, username: &str, password: &str) -> Filer {
    let token = login(court, username, password).await.access_token;
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let bad = court
        .http
        .post(format!("{}/v1/devices", court.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({"publicKey": "AAAA", "name": "x"}))
        .send()
        .await
        .unwrap();
    expect_problem(bad, 400, "bad-device-key").await;
    let device: Value = court
        .http
        .post(format!("{}/v1/devices", court.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({"publicKey": public_key_b64(&key), "name": "laptop"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Filer { token, device: device["id"].as_str().unwrap().to_owned(), key }
}

fn tus(court: &Court, method: Method, path: &str, token: &str) -> reqwest::RequestBuilder {
    court.http.request(method, format!("{}{path}", court.base)).bearer_auth(token).header("tus-resumable", "1.0.0")
}

/// Uploads `bytes` in one PATCH with a checksum; returns the upload id.
async fn upload(court: &Court, f: &Filer, name: &str, bytes: &[u8]) -> String {
    let metadata =
        encode_metadata(&[("filename", Some(name.as_bytes())), ("sha256", Some(sha256_hex(bytes).as_bytes()))])
            .unwrap();
    let created = tus(court, Method::POST, "/v1/uploads", &f.token)
        .header("upload-length", bytes.len().to_string())
        .header("upload-metadata", metadata)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let digest: [u8; 32] = ring::digest::digest(&ring::digest::SHA256, bytes).as_ref().try_into().unwrap();
    let patched = tus(court, Method::PATCH, &location, &f.token)
        .header("upload-offset", "0")
        .header("content-type", "application/offset+octet-stream")
        .header("upload-checksum", encode_sha256_checksum(&digest))
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 204);
    location.rsplit('/').next().unwrap().to_owned()
}

async fn upload_offset(court: &Court, token: &str, location: &str) -> u64 {
    let head = tus(court, Method::HEAD, location, token).send().await.unwrap();
    assert_eq!(head.status(), 200);
    head.headers()["upload-offset"].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn tus_uploads_resume_verify_checksums_and_refuse_what_the_protocol_forbids() {
    let court = court().await;
    let f = filer(&court, "zhang.san", "demo-litigant-1").await;
    let other = filer(&court, "li.si", "demo-litigant-2").await;
    let options = court.http.request(Method::OPTIONS, format!("{}/v1/uploads", court.base)).send().await.unwrap();
    assert_eq!(options.status(), 204);
    assert_eq!(options.headers()["tus-extension"], "creation,checksum,termination");
    assert_eq!(options.headers()["tus-checksum-algorithm"], "crc32c,sha256,sha1");

    let no_version = court
        .http
        .post(format!("{}/v1/uploads", court.base))
        .bearer_auth(&f.token)
        .header("upload-length", "10")
        .send()
        .await
        .unwrap();
    assert_eq!(no_version.headers()["tus-version"], "1.0.0");
    expect_problem(no_version, 412, "tus-version").await;
    expect_problem(tus(&court, Method::POST, "/v1/uploads", &f.token).send().await.unwrap(), 400, "upload-length")
        .await;
    let huge = (courtside_court_server::MAX_FILE_BYTES + 1).to_string();
    expect_problem(
        tus(&court, Method::POST, "/v1/uploads", &f.token).header("upload-length", huge).send().await.unwrap(),
        413,
        "file-too-large",
    )
    .await;
    expect_problem(
        court
            .http
            .post(format!("{}/v1/uploads", court.base))
            .header("tus-resumable", "1.0.0")
            .header("upload-length", "1")
            .send()
            .await
            .unwrap(),
        401,
        "unauthenticated",
    )
    .await;

    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let created = tus(&court, Method::POST, "/v1/uploads", &f.token)
        .header("upload-length", data.len().to_string())
        .send()
        .await
        .unwrap();
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let patch = |offset: usize, chunk: &[u8], checksum: Option<[u8; 32]>| {
        let mut r = tus(&court, Method::PATCH, &location, &f.token)
            .header("upload-offset", offset.to_string())
            .header("content-type", "application/offset+octet-stream")
            .body(chunk.to_vec());
        if let Some(d) = checksum {
            r = r.header("upload-checksum", encode_sha256_checksum(&d));
        }
        r.send()
    };
    expect_problem(patch(5, &data[..10], None).await.unwrap(), 409, "offset-mismatch").await;
    let wrong_type = tus(&court, Method::PATCH, &location, &f.token)
        .header("upload-offset", "0")
        .body(vec![1u8])
        .send()
        .await
        .unwrap();
    expect_problem(wrong_type, 415, "content-type").await;
    expect_problem(patch(0, &data[..100_000], Some([0; 32])).await.unwrap(), 460, "checksum-mismatch").await;
    assert_eq!(upload_offset(&court, &f.token, &location).await, 0, "a mismatching chunk stores nothing");
    let md5 = tus(&court, Method::PATCH, &location, &f.token)
        .header("upload-offset", "0")
        .header("content-type", "application/offset+octet-stream")
        .header("upload-checksum", "md5 VRbuFUUIh1RRUqxRhCUqGg==")
        .body(vec![1u8])
        .send()
        .await
        .unwrap();
    expect_problem(md5, 400, "checksum-algorithm").await;
    // The cheap checksum the court prefers refuses a damaged chunk the same way.
    let crc = |chunk: &[u8]| {
        tus(&court, Method::PATCH, &location, &f.token)
            .header("upload-offset", "0")
            .header("content-type", "application/offset+octet-stream")
            .header(
                "upload-checksum",
                encode_checksum(ChecksumAlgorithm::Crc32c, &ChecksumAlgorithm::Crc32c.digest(chunk)),
            )
    };
    let mut damaged = data[..100_000].to_vec();
    damaged[77_777] ^= 0x10;
    expect_problem(crc(&data[..100_000]).body(damaged).send().await.unwrap(), 460, "checksum-mismatch").await;
    assert_eq!(upload_offset(&court, &f.token, &location).await, 0, "a damaged chunk stores nothing");
    // Another account cannot see or touch it.
    expect_problem(
        tus(&court, Method::PATCH, &location, &other.token)
            .header("upload-offset", "0")
            .header("content-type", "application/offset+octet-stream")
            .body(vec![1u8])
            .send()
            .await
            .unwrap(),
        404,
        "not-found",
    )
    .await;

    let first_digest: [u8; 32] =
        ring::digest::digest(&ring::digest::SHA256, &data[..100_000]).as_ref().try_into().unwrap();
    assert_eq!(patch(0, &data[..100_000], Some(first_digest)).await.unwrap().status(), 204);
    // The connection is cut 50,000 bytes into the next chunk: what arrived is kept
    // (no checksum on this request), and the upload resumes from the server's offset.
    court.server.faults().set(FaultPlan { cut_upload_after: Some(50_000), ..FaultPlan::default() });
    let cut = patch(100_000, &data[100_000..], None).await;
    let broken = match cut {
        Err(_) => true,
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(broken, "the client must see the cut");
    let offset = upload_offset(&court, &f.token, &location).await;
    assert_eq!(offset, 150_000);
    assert_eq!(patch(150_000, &data[150_000..], None).await.unwrap().status(), 204);
    assert_eq!(upload_offset(&court, &f.token, &location).await, data.len() as u64);
    expect_problem(patch(data.len(), &[1], None).await.unwrap(), 413, "beyond-length").await;

    let done = tus(&court, Method::DELETE, &location, &f.token).send().await.unwrap();
    assert_eq!(done.status(), 204);
    assert_eq!(tus(&court, Method::HEAD, &location, &f.token).send().await.unwrap().status(), 404);
}

fn manifest(f_key: &str, case_type: &str, documents: Vec<ManifestDocument>) -> SubmissionManifest {
    SubmissionManifest {
        idempotency_key: f_key.to_owned(),
        court: DEMO_COURT_ID.to_owned(),
        case: CaseTarget::New { cause_of_action: "买卖合同纠纷".into() },
        case_type: case_type.to_owned(),
        title: "民事起诉状 张三诉李四买卖合同纠纷".into(),
        amount_in_controversy_fen: Some(10_000_000),
        parties: vec![],
        documents,
        signed_at: time::OffsetDateTime::now_utc(),
    }
}

fn doc(upload_id: &str, kind: &str, role: DocumentRole, bytes: &[u8]) -> ManifestDocument {
    ManifestDocument {
        upload_id: upload_id.to_owned(),
        title: kind.to_owned(),
        role,
        kind: Some(kind.to_owned()),
        sha256: sha256_hex(bytes),
        bytes: bytes.len() as u64,
        media_type: "application/pdf".into(),
    }
}

async fn file(court: &Court, f: &Filer, key: &str, m: &SubmissionManifest) -> reqwest::Response {
    let envelope = SignedEnvelope::sign(m, &f.key, &f.device);
    court
        .http
        .post(format!("{}/v1/filings", court.base))
        .bearer_auth(&f.token)
        .header("idempotency-key", key)
        .json(&envelope)
        .send()
        .await
        .unwrap()
}

async fn complete_documents(court: &Court, f: &Filer) -> Vec<ManifestDocument> {
    let mut docs = Vec::new();
    for (kind, role) in [
        ("complaint", DocumentRole::Lead),
        ("identity", DocumentRole::Attachment),
        ("evidence-list", DocumentRole::Evidence),
    ] {
        let bytes = format!("%PDF-1.7 {kind} {}", random_token(8)).into_bytes();
        let id = upload(court, f, &format!("{kind}.pdf"), &bytes).await;
        docs.push(doc(&id, kind, role, &bytes));
    }
    docs
}

#[tokio::test]
async fn filings_are_exactly_once_signed_both_ways_and_checked_against_policy() {
    let court = court().await;
    let f = filer(&court, "zhang.san", "demo-litigant-1").await;
    let docs = complete_documents(&court, &f).await;
    let key = "0b6e3c1a-6f0e-4a57-9d0c-2f7c1e9b0a11";
    let m = manifest(key, "civil-contract", docs.clone());

    let no_key = court
        .http
        .post(format!("{}/v1/filings", court.base))
        .bearer_auth(&f.token)
        .json(&SignedEnvelope::sign(&m, &f.key, &f.device))
        .send()
        .await
        .unwrap();
    expect_problem(no_key, 400, "idempotency-key-missing").await;

    // Refusals: unknown case type, missing documents, a hash that does not match, a bad
    // signature, an unknown device. None of them burns the key.
    let unknown =
        expect_problem(file(&court, &f, key, &manifest(key, "maritime", docs.clone())).await, 422, "unknown-case-type")
            .await;
    assert_eq!(unknown["errors"][0]["pointer"], "/caseType");
    let missing = expect_problem(
        file(&court, &f, key, &manifest(key, "civil-contract", docs[..1].to_vec())).await,
        422,
        "filing-invalid",
    )
    .await;
    assert_eq!(missing["errors"].as_array().unwrap().len(), 2, "{missing}");
    let mut tampered = docs.clone();
    tampered[0].sha256 = sha256_hex(b"something else");
    let wrong_hash =
        expect_problem(file(&court, &f, key, &manifest(key, "civil-contract", tampered)).await, 422, "filing-invalid")
            .await;
    assert_eq!(wrong_hash["errors"][0]["pointer"], "/documents/0/sha256");
    let mut forged = SignedEnvelope::sign(&m, &f.key, &f.device);
    forged.payload = b64url(&serde_json::to_vec(&manifest(key, "civil-loan", docs.clone())).unwrap());
    let bad_sig = court
        .http
        .post(format!("{}/v1/filings", court.base))
        .bearer_auth(&f.token)
        .header("idempotency-key", key)
        .json(&forged)
        .send()
        .await
        .unwrap();
    expect_problem(bad_sig, 422, "bad-signature").await;
    let stranger = Filer {
        token: f.token.clone(),
        device: "dev_nobody".into(),
        key: Ed25519KeyPair::from_pkcs8(
            Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap().as_ref(),
        )
        .unwrap(),
    };
    expect_problem(file(&court, &stranger, key, &m).await, 422, "unknown-device").await;
    expect_problem(file(&court, &f, "another-key", &m).await, 422, "key-mismatch").await;

    // Accepted, with a receipt the court signed over the manifest and each file's hash.
    let envelope = SignedEnvelope::sign(&m, &f.key, &f.device);
    let send = || {
        court
            .http
            .post(format!("{}/v1/filings", court.base))
            .bearer_auth(&f.token)
            .header("idempotency-key", key)
            .json(&envelope)
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 201);
    let first_body = first.text().await.unwrap();
    let filing: Filing = serde_json::from_str(&first_body).unwrap();
    assert_eq!(filing.status, FilingStatus::Submitted);
    let policy: CourtPolicy = court
        .http
        .get(format!("{}/v1/courts/{DEMO_COURT_ID}/policy", court.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let court_key = courtside_court_api::encoding::b64url_decode(&policy.signing_keys[0].public_key).unwrap();
    assert_eq!(filing.receipt.key_id, policy.signing_keys[0].key_id);
    let (receipt, _): (FilingReceipt, _) = filing.receipt.open(&court_key).unwrap();
    assert_eq!(receipt.filing_id, filing.id);
    assert_eq!(
        receipt.manifest_sha256,
        sha256_hex(&courtside_court_api::encoding::b64url_decode(&envelope.payload).unwrap())
    );
    assert_eq!(
        receipt.documents.iter().map(|d| d.sha256.clone()).collect::<Vec<_>>(),
        docs.iter().map(|d| d.sha256.clone()).collect::<Vec<_>>()
    );

    // Same key, same body: the same answer, marked as replayed. Same key, other body: 422.
    let again = send().await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.text().await.unwrap(), first_body);
    expect_problem(
        file(&court, &f, key, &manifest(key, "civil-loan", docs.clone())).await,
        422,
        "idempotency-key-reused",
    )
    .await;

    // Lookup by key (what a client does when it does not know whether a send arrived).
    let found: Filing = court
        .http
        .get(format!("{}/v1/filings", court.base))
        .bearer_auth(&f.token)
        .query(&[("idempotencyKey", key)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found.id, filing.id);
    expect_problem(
        court
            .http
            .get(format!("{}/v1/filings", court.base))
            .bearer_auth(&f.token)
            .query(&[("idempotencyKey", "never-sent")])
            .send()
            .await
            .unwrap(),
        404,
        "not-found",
    )
    .await;
    let by_id: Filing = court
        .http
        .get(format!("{}/v1/filings/{}", court.base, filing.id))
        .bearer_auth(&f.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_id, filing);
    let other = filer(&court, "li.si", "demo-litigant-2").await;
    expect_problem(
        court
            .http
            .get(format!("{}/v1/filings/{}", court.base, filing.id))
            .bearer_auth(&other.token)
            .send()
            .await
            .unwrap(),
        404,
        "not-found",
    )
    .await;

    // A concurrent duplicate meets the first one in progress.
    court.server.faults().set(FaultPlan { hold_filings_ms: 700, ..FaultPlan::default() });
    let key2 = "5d1f0c7e-2b9a-4c3d-8e6f-7a8b9c0d1e2f";
    let m2 = manifest(key2, "civil-contract", docs.clone());
    let (slow, duplicate) = tokio::join!(file(&court, &f, key2, &m2), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        file(&court, &f, key2, &m2).await
    });
    assert_eq!(slow.status(), 201);
    expect_problem(duplicate, 409, "idempotency-in-progress").await;
}

#[tokio::test]
async fn clerk_review_service_and_the_change_feed() {
    let court = court().await;
    let f = filer(&court, "zhang.san", "demo-litigant-1").await;
    let docs = complete_documents(&court, &f).await;
    let filing: Filing =
        file(&court, &f, "k-1", &manifest("k-1", "civil-contract", docs.clone())).await.json().await.unwrap();
    let rejected: Filing =
        file(&court, &f, "k-2", &manifest("k-2", "civil-contract", docs.clone())).await.json().await.unwrap();
    let corrected: Filing =
        file(&court, &f, "k-3", &manifest("k-3", "civil-contract", docs)).await.json().await.unwrap();

    let clerk = |method: Method, path: &str| {
        court.http.request(method, format!("{}{path}", court.base)).bearer_auth(court.server.clerk_token())
    };
    expect_problem(
        court.http.get(format!("{}/clerk/v1/filings", court.base)).bearer_auth(&f.token).send().await.unwrap(),
        401,
        "not-a-clerk",
    )
    .await;
    let all: Vec<Filing> = clerk(Method::GET, "/clerk/v1/filings").send().await.unwrap().json().await.unwrap();
    assert_eq!(all.len(), 3);

    let review =
        |id: &str, d: ReviewDecision| clerk(Method::POST, &format!("/clerk/v1/filings/{id}/review")).json(&d).send();
    assert_eq!(review(&filing.id, ReviewDecision::StartReview).await.unwrap().status(), 200);
    let docketed: Filing = review(&filing.id, ReviewDecision::Docket).await.unwrap().json().await.unwrap();
    let FilingStatus::Docketed { case_id, case_number } = docketed.status.clone() else { panic!("{docketed:?}") };
    assert!(case_number.contains("民初"), "{case_number}");
    expect_problem(
        review(&filing.id, ReviewDecision::Reject { reasons: vec!["late".into()] }).await.unwrap(),
        409,
        "invalid-transition",
    )
    .await;
    expect_problem(review("fil_missing", ReviewDecision::Docket).await.unwrap(), 404, "not-found").await;
    review(&rejected.id, ReviewDecision::Reject { reasons: vec!["不属于本院管辖".into()] }).await.unwrap();
    let due = time::macros::date!(2026 - 12 - 07);
    review(
        &corrected.id,
        ReviewDecision::RequestCorrection {
            items: vec![CorrectionItem { item: "identity".into(), reason: "身份证复印件不清晰".into() }],
            due,
        },
    )
    .await
    .unwrap();

    // Serve a document on the filer.
    let content = "应诉通知书 (2026)示0101民初1号".as_bytes();
    let served: ServedDocument = clerk(Method::POST, "/clerk/v1/service")
        .json(&ServeDocument {
            recipient: "zhang.san".into(),
            case_id: case_id.clone(),
            title: "应诉通知书".into(),
            document_kind: "notice".into(),
            media_type: "text/plain".into(),
            content: b64url(content),
        })
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bad = clerk(Method::POST, "/clerk/v1/service")
        .json(&ServeDocument {
            recipient: "nobody".into(),
            case_id,
            title: "x".into(),
            document_kind: "notice".into(),
            media_type: "text/plain".into(),
            content: b64url(b"x"),
        })
        .send()
        .await
        .unwrap();
    expect_problem(bad, 422, "unknown-recipient").await;

    // The feed, page by page, resumable from any cursor.
    let page = |cursor: String, limit: u32| {
        court
            .http
            .get(format!("{}/v1/changes", court.base))
            .bearer_auth(&f.token)
            .query(&[("cursor", cursor), ("limit", limit.to_string())])
            .send()
    };
    let mut events = Vec::new();
    let mut cursor = String::new();
    loop {
        let p: ChangePage = page(cursor.clone(), 2).await.unwrap().json().await.unwrap();
        events.extend(p.changes.iter().map(|c| c.event.clone()));
        cursor = p.next_cursor;
        if !p.more {
            break;
        }
    }
    assert_eq!(events.len(), 3 + 2 + 1 + 1 + 1, "{events:#?}");
    assert!(
        matches!(&events[4], ChangeEvent::FilingStatus { status: FilingStatus::Docketed { .. }, .. }),
        "{:?}",
        events[4]
    );
    assert!(matches!(events.last(), Some(ChangeEvent::DocumentServed { service_id, .. }) if *service_id == served.id));
    let tail: ChangePage = page(cursor.clone(), 10).await.unwrap().json().await.unwrap();
    assert!(tail.changes.is_empty() && tail.next_cursor == cursor && !tail.more);
    let replay: ChangePage = page("3".into(), 100).await.unwrap().json().await.unwrap();
    assert_eq!(replay.changes.len(), events.len() - 3);
    expect_problem(page("not-a-cursor".into(), 10).await.unwrap(), 400, "bad-cursor").await;
    let other = filer(&court, "li.si", "demo-litigant-2").await;
    let theirs: ChangePage = court
        .http
        .get(format!("{}/v1/changes", court.base))
        .bearer_auth(&other.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(theirs.changes.is_empty(), "each account sees only its own feed");

    // Download and acknowledge: the receipt time is recorded once.
    let bytes = court
        .http
        .get(format!("{}/v1/service/{}/content", court.base, served.id))
        .bearer_auth(&f.token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(sha256_hex(&bytes), served.sha256);
    let acked: ServedDocument = court
        .http
        .post(format!("{}/v1/service/{}/receipt", court.base, served.id))
        .bearer_auth(&f.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let received = acked.received_at.expect("receipt time");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let again: ServedDocument = court
        .http
        .post(format!("{}/v1/service/{}/receipt", court.base, served.id))
        .bearer_auth(&f.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again.received_at, Some(received), "the first receipt counts");
    let fetched: ServedDocument = court
        .http
        .get(format!("{}/v1/service/{}", court.base, served.id))
        .bearer_auth(&f.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fetched.received_at, Some(received));
    expect_problem(
        court
            .http
            .post(format!("{}/v1/service/{}/receipt", court.base, served.id))
            .bearer_auth(&other.token)
            .send()
            .await
            .unwrap(),
        404,
        "not-found",
    )
    .await;

    // A follow-up filing into the docketed case is accepted without the new-case documents.
    let docs = complete_documents(&court, &f).await;
    let mut follow_up = manifest("k-4", "civil-contract", vec![docs[0].clone()]);
    follow_up.case = CaseTarget::Existing { case_id: docketed.case_id.clone().unwrap() };
    assert_eq!(file(&court, &f, "k-4", &follow_up).await.status(), 201);
    let mut intruder = manifest("k-5", "civil-contract", vec![complete_documents(&court, &other).await[0].clone()]);
    intruder.case = CaseTarget::Existing { case_id: docketed.case_id.unwrap() };
    expect_problem(file(&court, &other, "k-5", &intruder).await, 422, "filing-invalid").await;
}

#[tokio::test]
async fn injected_faults_answer_as_planned_and_the_clerk_can_switch_them() {
    let court = court().await;
    let set = court
        .http
        .put(format!("{}/clerk/v1/faults", court.base))
        .bearer_auth(court.server.clerk_token())
        .json(&FaultPlan { fail_next: 2, status: Some(502), ..FaultPlan::default() })
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    for _ in 0..2 {
        let r = court.http.get(format!("{}/v1/health", court.base)).send().await.unwrap();
        assert_eq!(r.headers()["retry-after"], "1");
        expect_problem(r, 502, "injected-fault").await;
    }
    assert_eq!(court.http.get(format!("{}/v1/health", court.base)).send().await.unwrap().status(), 200);
    court.server.faults().set(FaultPlan { latency_ms: 300, ..FaultPlan::default() });
    let started = std::time::Instant::now();
    assert_eq!(court.http.get(format!("{}/v1/health", court.base)).send().await.unwrap().status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let unknown = court.http.get(format!("{}/v1/nothing-here", court.base)).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    let doc: Value =
        court.http.get(format!("{}/v1/openapi.json", court.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
}

use courtside_court_api::hearing::{
    CheckIn, CourtCase, CrossExamination, DeviceCheck, EnvironmentCheck, ExchangedExhibit, FeeNotice, FeeStatus,
    Hearing, HearingQuestion, JoinTicket, MediationMessage, OpenCase, PaymentSession, ScheduleHearing, Stance,
};

async fn open_case(court: &Court, parties: &[&str]) -> CourtCase {
    let r = court
        .http
        .post(format!("{}/clerk/v1/cases", court.base))
        .bearer_auth(court.server.clerk_token())
        .json(&OpenCase {
            case_type: "civil-contract".into(),
            title: "张三诉李四买卖合同纠纷".into(),
            parties: parties.iter().map(|p| (*p).to_owned()).collect(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

async fn feed(court: &Court, token: &str) -> Vec<ChangeEvent> {
    let page: ChangePage = court
        .http
        .get(format!("{}/v1/changes", court.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page.changes.into_iter().map(|c| c.event).collect()
}

fn good_check_in() -> CheckIn {
    CheckIn {
        device_check: DeviceCheck {
            camera: true,
            microphone: true,
            speaker: true,
            round_trip_ms: 12,
            throughput_kbps: 20_000,
        },
        environment: EnvironmentCheck { quiet: true, lit: true, alone: true },
        identity_confirmed: true,
        rules_acknowledged: true,
    }
}

#[tokio::test]
async fn hearings_check_in_join_and_asynchronous_statements() {
    let court = court().await;
    let zhang = filer(&court, "zhang.san", "demo-litigant-1").await;
    let outsider = filer(&court, "wang.lawyer", "demo-lawyer-2026").await;
    let case = open_case(&court, &["zhang.san", "li.si"]).await;
    assert_eq!(case.parties, vec!["li.si".to_owned(), "zhang.san".to_owned()]);
    let bad_party = court
        .http
        .post(format!("{}/clerk/v1/cases", court.base))
        .bearer_auth(court.server.clerk_token())
        .json(&OpenCase { case_type: "civil-contract".into(), title: "x".into(), parties: vec!["nobody".into()] })
        .send()
        .await
        .unwrap();
    expect_problem(bad_party, 422, "unknown-party").await;
    let got: CourtCase = court
        .http
        .get(format!("{}/v1/cases/{}", court.base, case.id))
        .bearer_auth(&zhang.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got, case);
    expect_problem(
        court
            .http
            .get(format!("{}/v1/cases/{}", court.base, case.id))
            .bearer_auth(&outsider.token)
            .send()
            .await
            .unwrap(),
        404,
        "not-found",
    )
    .await;

    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let schedule = |platform: &str, case_id: &str, questions: Vec<HearingQuestion>| {
        court
            .http
            .post(format!("{}/clerk/v1/hearings", court.base))
            .bearer_auth(court.server.clerk_token())
            .json(&ScheduleHearing {
                case_id: case_id.into(),
                title: "开庭审理".into(),
                starts_at: now + time::Duration::days(2),
                duration_minutes: 90,
                platform: platform.into(),
                questions,
            })
            .send()
    };
    expect_problem(schedule("zoom", &case.id, vec![]).await.unwrap(), 422, "unknown-platform").await;
    expect_problem(schedule("court-room", "case_missing", vec![]).await.unwrap(), 422, "unknown-case").await;
    let live: Hearing = schedule("court-room", &case.id, vec![]).await.unwrap().json().await.unwrap();
    let in_person: Hearing = schedule("in-person", &case.id, vec![]).await.unwrap().json().await.unwrap();
    let question = |opens: time::Duration, closes: time::Duration| HearingQuestion {
        id: String::new(),
        text: "被告是否已收到货物？".into(),
        opens_at: now + opens,
        closes_at: now + closes,
    };
    let written: Hearing = schedule(
        "court-room",
        &case.id,
        vec![
            question(time::Duration::hours(-1), time::Duration::hours(1)),
            question(time::Duration::hours(-3), time::Duration::hours(-2)),
        ],
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert!(
        matches!(feed(&court, &zhang.token).await.first(), Some(ChangeEvent::HearingScheduled { hearing_id, .. }) if *hearing_id == live.id)
    );
    let listed: Vec<Hearing> = court
        .http
        .get(format!("{}/v1/hearings", court.base))
        .bearer_auth(&zhang.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 3);
    let theirs: Vec<Hearing> = court
        .http
        .get(format!("{}/v1/hearings", court.base))
        .bearer_auth(&outsider.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(theirs.is_empty());
    expect_problem(
        court
            .http
            .get(format!("{}/v1/hearings/{}", court.base, live.id))
            .bearer_auth(&outsider.token)
            .send()
            .await
            .unwrap(),
        404,
        "not-found",
    )
    .await;

    let post =
        |path: String, token: &str| court.http.post(format!("{}{path}", court.base)).bearer_auth(token.to_owned());
    expect_problem(
        post(format!("/v1/hearings/{}/join", live.id), &zhang.token).send().await.unwrap(),
        409,
        "check-in-required",
    )
    .await;
    let incomplete = CheckIn { identity_confirmed: false, rules_acknowledged: false, ..good_check_in() };
    let refused = expect_problem(
        post(format!("/v1/hearings/{}/check-in", live.id), &zhang.token).json(&incomplete).send().await.unwrap(),
        422,
        "check-in-incomplete",
    )
    .await;
    assert_eq!(refused["errors"].as_array().unwrap().len(), 2);
    assert_eq!(
        post(format!("/v1/hearings/{}/check-in", live.id), &zhang.token)
            .json(&good_check_in())
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let ticket: JoinTicket =
        post(format!("/v1/hearings/{}/join", live.id), &zhang.token).send().await.unwrap().json().await.unwrap();
    assert!(ticket.room_url.starts_with(&format!("{}/rooms/{}?token=", court.base, live.id)), "{}", ticket.room_url);
    let room = court.http.get(&ticket.room_url).send().await.unwrap();
    assert_eq!(room.status(), 200);
    assert!(room.headers()["content-security-policy"].to_str().unwrap().contains("script-src 'self'"));
    let script = court.http.get(format!("{}/rooms/assets/room.js", court.base)).send().await.unwrap();
    assert_eq!(script.headers()["content-type"], "text/javascript; charset=utf-8");
    expect_problem(
        court.http.get(format!("{}/rooms/{}?token=forged", court.base, live.id)).send().await.unwrap(),
        403,
        "not-admitted",
    )
    .await;
    expect_problem(
        court.http.get(format!("{}/rooms/{}/signal?token=forged", court.base, live.id)).send().await.unwrap(),
        403,
        "not-admitted",
    )
    .await;
    post(format!("/v1/hearings/{}/check-in", in_person.id), &zhang.token).json(&good_check_in()).send().await.unwrap();
    expect_problem(
        post(format!("/v1/hearings/{}/join", in_person.id), &zhang.token).send().await.unwrap(),
        409,
        "not-in-court-room",
    )
    .await;

    // Asynchronous hearing (Art. 20): answers only inside each question's window.
    let statement = |qid: &str, text: &str| {
        post(format!("/v1/hearings/{}/statements", written.id), &zhang.token)
            .json(&serde_json::json!({"questionId": qid, "text": text}))
            .send()
    };
    assert_eq!(statement(&written.questions[0].id, "已收到，但质量不合格。").await.unwrap().status(), 201);
    expect_problem(statement(&written.questions[1].id, "太晚了").await.unwrap(), 422, "outside-window").await;
    expect_problem(statement("q_nope", "x").await.unwrap(), 422, "unknown-question").await;
    expect_problem(statement(&written.questions[0].id, "  ").await.unwrap(), 422, "empty-statement").await;
}

#[tokio::test]
async fn fee_notice_hosted_payment_and_receipt() {
    let court = court().await;
    let zhang = filer(&court, "zhang.san", "demo-litigant-1").await;
    let li = filer(&court, "li.si", "demo-litigant-2").await;
    let case = open_case(&court, &["zhang.san"]).await;
    let notice = |recipient: &str, amount: u64| {
        court
            .http
            .post(format!("{}/clerk/v1/fees", court.base))
            .bearer_auth(court.server.clerk_token())
            .json(&courtside_court_api::hearing::PostFeeNotice {
                recipient: recipient.into(),
                case_id: case.id.clone(),
                amount_fen: amount,
                reason: "案件受理费".into(),
            })
            .send()
    };
    expect_problem(notice("zhang.san", 0).await.unwrap(), 422, "zero-fee").await;
    expect_problem(notice("li.si", 230_000).await.unwrap(), 422, "not-a-party").await;
    let fee: FeeNotice = notice("zhang.san", 230_000).await.unwrap().json().await.unwrap();
    assert_eq!(fee.due, (time::OffsetDateTime::now_utc() + time::Duration::days(7)).date());
    assert!(matches!(
        feed(&court, &zhang.token).await.last(),
        Some(ChangeEvent::FeeNotice { amount_fen: 230_000, .. })
    ));
    expect_problem(
        court.http.get(format!("{}/v1/fees/{}", court.base, fee.id)).bearer_auth(&li.token).send().await.unwrap(),
        404,
        "not-found",
    )
    .await;

    let session: PaymentSession = court
        .http
        .post(format!("{}/v1/fees/{}/payment", court.base, fee.id))
        .bearer_auth(&zhang.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let page = court.http.get(&session.payment_url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("¥2300.00"), "{page}");
    let paid_page = court.http.post(&session.payment_url).send().await.unwrap().text().await.unwrap();
    assert!(paid_page.contains("id=\"paid\""), "{paid_page}");
    let after: FeeNotice = court
        .http
        .get(format!("{}/v1/fees/{}", court.base, fee.id))
        .bearer_auth(&zhang.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let FeeStatus::Paid { receipt_number, .. } = after.status else { panic!("{after:?}") };
    assert!(
        matches!(feed(&court, &zhang.token).await.last(), Some(ChangeEvent::FeePaid { receipt_number: r, .. }) if *r == receipt_number)
    );
    // Paying twice changes nothing; a new session is refused.
    court.http.post(&session.payment_url).send().await.unwrap();
    assert_eq!(feed(&court, &zhang.token).await.len(), 2);
    expect_problem(
        court
            .http
            .post(format!("{}/v1/fees/{}/payment", court.base, fee.id))
            .bearer_auth(&zhang.token)
            .send()
            .await
            .unwrap(),
        409,
        "already-paid",
    )
    .await;
    expect_problem(court.http.get(format!("{}/pay/forged", court.base)).send().await.unwrap(), 404, "not-found").await;
}

#[tokio::test]
async fn mediation_threads_and_evidence_exchange() {
    let court = court().await;
    let zhang = filer(&court, "zhang.san", "demo-litigant-1").await;
    let li = filer(&court, "li.si", "demo-litigant-2").await;
    let outsider = filer(&court, "wang.lawyer", "demo-lawyer-2026").await;
    let case = open_case(&court, &["zhang.san", "li.si"]).await;
    let url = |path: &str| format!("{}/v1/cases/{}/{path}", court.base, case.id);

    let say = |token: &str, text: &str| {
        court.http.post(url("mediation")).bearer_auth(token.to_owned()).json(&serde_json::json!({"text": text})).send()
    };
    assert_eq!(say(&zhang.token, "同意调解，请求分期付款。").await.unwrap().status(), 201);
    let mediator = court
        .http
        .post(format!("{}/clerk/v1/cases/{}/mediation", court.base, case.id))
        .bearer_auth(court.server.clerk_token())
        .json(&serde_json::json!({"text": "请双方于本周五前提交调解方案。"}))
        .send()
        .await
        .unwrap();
    assert_eq!(mediator.status(), 201);
    expect_problem(say(&outsider.token, "hello").await.unwrap(), 404, "not-found").await;
    expect_problem(say(&li.token, " ").await.unwrap(), 422, "empty-message").await;
    let bad_attachment = court
        .http
        .post(url("mediation"))
        .bearer_auth(&li.token)
        .json(&serde_json::json!({"text": "见附件", "attachments": ["upl_nope"]}))
        .send()
        .await
        .unwrap();
    expect_problem(bad_attachment, 422, "bad-attachment").await;
    // With an Idempotency-Key a repeat is answered from the first post, not posted again;
    // another text under the same key is refused.
    let keyed = |text: &str| {
        court
            .http
            .post(url("mediation"))
            .bearer_auth(&li.token)
            .header("Idempotency-Key", "3f1e1c2a-8d1b-4c59-9a57-0d7c4a3b2e10")
            .json(&serde_json::json!({"text": text}))
            .send()
    };
    let first = keyed("同意。").await.unwrap();
    assert_eq!(first.status(), 201);
    let first: MediationMessage = first.json().await.unwrap();
    let again = keyed("同意。").await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<MediationMessage>().await.unwrap(), first);
    expect_problem(keyed("不同意。").await.unwrap(), 422, "idempotency-key-reused").await;
    let thread: Vec<MediationMessage> =
        court.http.get(url("mediation")).bearer_auth(&li.token).send().await.unwrap().json().await.unwrap();
    assert_eq!(thread.iter().map(|m| m.from.as_str()).collect::<Vec<_>>(), ["zhang.san", "mediator", "li.si"]);
    let li_feed = feed(&court, &li.token).await;
    assert_eq!(li_feed.iter().filter(|e| matches!(e, ChangeEvent::MediationMessage { .. })).count(), 2, "not her own");
    assert!(
        feed(&court, &zhang.token)
            .await
            .iter()
            .all(|e| !matches!(e, ChangeEvent::MediationMessage { from, .. } if from == "zhang.san"))
    );

    // Li submits an exhibit; Zhang sees it and cross-examines; Li cannot judge her own.
    let bytes = b"%PDF-1.7 delivery note".to_vec();
    let upload_id = upload(&court, &li, "delivery.pdf", &bytes).await;
    let submit = |token: &str, upload: &str| {
        court
            .http
            .post(url("exhibits"))
            .bearer_auth(token.to_owned())
            .json(&serde_json::json!({"uploadId": upload, "title": "送货单", "proves": "货物已于2026年3月1日交付"}))
            .send()
    };
    expect_problem(submit(&li.token, "upl_nope").await.unwrap(), 422, "bad-upload").await;
    let exhibit: ExchangedExhibit = submit(&li.token, &upload_id).await.unwrap().json().await.unwrap();
    assert_eq!(exhibit.sha256, sha256_hex(&bytes));
    assert!(
        matches!(feed(&court, &zhang.token).await.last(), Some(ChangeEvent::ExhibitSubmitted { exhibit_id, .. }) if *exhibit_id == exhibit.id)
    );
    let seen: Vec<ExchangedExhibit> =
        court.http.get(url("exhibits")).bearer_auth(&zhang.token).send().await.unwrap().json().await.unwrap();
    assert_eq!(seen, vec![exhibit.clone()]);
    // Under an Idempotency-Key a repeated submission (its answer lost) is the same exhibit,
    // not a second one; another body under the key is refused.
    let second_upload = upload(&court, &li, "receipt.pdf", b"%PDF-1.7 bank receipt").await;
    let keyed = |title: &str| {
        court
            .http
            .post(url("exhibits"))
            .bearer_auth(li.token.clone())
            .header("Idempotency-Key", "5b0c6c8e-1f0a-4a57-9d9e-2f1f6a0c7e11")
            .json(&serde_json::json!({"uploadId": second_upload, "title": title, "proves": "已付款"}))
            .send()
    };
    let first = keyed("转账凭证").await.unwrap();
    assert_eq!(first.status(), 201);
    let first: ExchangedExhibit = first.json().await.unwrap();
    let again = keyed("转账凭证").await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<ExchangedExhibit>().await.unwrap(), first);
    expect_problem(keyed("另一标题").await.unwrap(), 422, "idempotency-key-reused").await;
    let seen: Vec<ExchangedExhibit> =
        court.http.get(url("exhibits")).bearer_auth(&zhang.token).send().await.unwrap().json().await.unwrap();
    assert_eq!(seen, vec![exhibit.clone(), first.clone()]);
    let opinion = CrossExamination {
        by: "forged".into(),
        authenticity: Stance::Admit,
        legality: Stance::Admit,
        relevance: Stance::Dispute,
        remarks: "送货单未载明货物规格。".into(),
    };
    let opine = |token: &str| {
        court
            .http
            .post(url(&format!("exhibits/{}/opinions", exhibit.id)))
            .bearer_auth(token.to_owned())
            .json(&opinion)
            .send()
    };
    let judged: ExchangedExhibit = opine(&zhang.token).await.unwrap().json().await.unwrap();
    assert_eq!(judged.opinions.len(), 1);
    assert_eq!(judged.opinions[0].by, "zhang.san", "the court names the author, whatever the client claims");
    let again: ExchangedExhibit = opine(&zhang.token).await.unwrap().json().await.unwrap();
    assert_eq!(again.opinions.len(), 1, "a later opinion replaces the earlier");
    expect_problem(opine(&li.token).await.unwrap(), 422, "own-exhibit").await;
    expect_problem(opine(&outsider.token).await.unwrap(), 404, "not-found").await;
    assert!(
        matches!(feed(&court, &li.token).await.last(), Some(ChangeEvent::CrossExamination { from, .. }) if from == "zhang.san")
    );
}

#[tokio::test]
async fn lost_answers_replayed_changes_and_a_restart_lose_nothing() {
    let court = court().await;
    let f = filer(&court, "zhang.san", "demo-litigant-1").await;
    let docs = complete_documents(&court, &f).await;

    // The filing is made but its answer is lost: the client asks by key, then a resend
    // of the same body gets the same filing back.
    let m = manifest("k-lost", "civil-contract", docs);
    court.server.faults().set(FaultPlan { lose_responses: 1, ..FaultPlan::default() });
    let envelope = SignedEnvelope::sign(&m, &f.key, &f.device);
    let lost = court
        .http
        .post(format!("{}/v1/filings", court.base))
        .bearer_auth(&f.token)
        .header("idempotency-key", "k-lost")
        .json(&envelope)
        .send()
        .await;
    let broken = match lost {
        Err(_) => true,
        Ok(r) => r.text().await.is_err(),
    };
    assert!(broken, "the answer must break off");
    let found: Filing = court
        .http
        .get(format!("{}/v1/filings", court.base))
        .bearer_auth(&f.token)
        .query(&[("idempotencyKey", "k-lost")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let resent = file(&court, &f, "k-lost", &m).await;
    assert_eq!(resent.headers()["idempotent-replayed"], "true");
    assert_eq!(resent.json::<Filing>().await.unwrap().id, found.id);

    // At-least-once delivery: the feed may send events the client already has.
    let page: ChangePage = court
        .http
        .get(format!("{}/v1/changes", court.base))
        .bearer_auth(&f.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page.changes.len(), 1);
    court.server.faults().set(FaultPlan { replay_changes: 1, ..FaultPlan::default() });
    let again: ChangePage = court
        .http
        .get(format!("{}/v1/changes", court.base))
        .bearer_auth(&f.token)
        .query(&[("cursor", &page.next_cursor)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again.changes, page.changes, "the same event, with the same cursor, comes again");

    // A restart mid-upload: the offset, the account's token and the data survive.
    let data = vec![7u8; 64 * 1024];
    let created = tus(&court, Method::POST, "/v1/uploads", &f.token)
        .header("upload-length", data.len().to_string())
        .send()
        .await
        .unwrap();
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let half = tus(&court, Method::PATCH, &location, &f.token)
        .header("upload-offset", "0")
        .header("content-type", "application/offset+octet-stream")
        .body(data[..32 * 1024].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(half.status(), 204);
    let Court { server, base, http, _dir } = court;
    let clerk_token = server.clerk_token().to_owned();
    let server = server.restart().await.unwrap();
    assert_eq!(server.clerk_token(), clerk_token);
    let court = Court { server, base, http, _dir };
    assert_eq!(upload_offset(&court, &f.token, &location).await, 32 * 1024);
    let rest = tus(&court, Method::PATCH, &location, &f.token)
        .header("upload-offset", (32 * 1024).to_string())
        .header("content-type", "application/offset+octet-stream")
        .body(data[32 * 1024..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), 204);
    let still: Filing = court
        .http
        .get(format!("{}/v1/filings/{}", court.base, found.id))
        .bearer_auth(&f.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(still.id, found.id);
}

#[tokio::test]
async fn a_filing_over_the_courts_total_limit_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = CourtConfig::local(dir.path());
    config.size_limits = courtside_court_server::SizeLimits { file: 1000, filing: 1500 };
    let server = courtside_court_server::start(config).await.unwrap();
    let base = server.base_url().trim_end_matches('/').to_owned();
    let court = Court {
        server,
        base,
        http: Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
        _dir: dir,
    };
    let f = filer(&court, "zhang.san", "demo-litigant-1").await;
    let too_big =
        tus(&court, Method::POST, "/v1/uploads", &f.token).header("upload-length", "1001").send().await.unwrap();
    expect_problem(too_big, 413, "file-too-large").await;
    let mut docs = Vec::new();
    for kind in ["complaint", "identity", "evidence-list"] {
        let bytes = vec![b'x'; 600];
        let id = upload(&court, &f, "part.pdf", &bytes).await;
        docs.push(doc(
            &id,
            kind,
            if kind == "complaint" { DocumentRole::Lead } else { DocumentRole::Evidence },
            &bytes,
        ));
    }
    let refused = expect_problem(
        file(&court, &f, "k-big", &manifest("k-big", "civil-contract", docs)).await,
        413,
        "filing-too-large",
    )
    .await;
    assert!(refused["detail"].as_str().unwrap().contains("1800"), "{refused}");
}
