//! The reference court as OpenID provider: a login page, the authorization code flow with
//! PKCE (S256 only) for native apps on loopback redirects (RFC 8252 §7.3), rotating refresh
//! tokens with replay detection, EdDSA ID tokens, and device-key registration.

use crate::store::Cached;
use std::num::NonZeroU32;

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use courtside_court_api::auth::{
    Account, AccountRole, Device, DeviceRegistration, DiscoveryDocument, OAuthError, TokenResponse, random_token,
    s256_challenge, valid_verifier,
};
use courtside_court_api::encoding::{b64url, b64url_decode, sha256_hex};
use ring::pbkdf2;
use serde::Deserialize;
use url::Url;

use crate::http::{ApiError, Caller, CourtState, from_unix, new_id, optional, unix_now};

/// The client id of the Courtside desktop app (a public client: no secret).
pub const CLIENT_ID: &str = "courtside-desktop";
/// Lifetime of an authorization code.
const CODE_TTL_SECONDS: i64 = 60;
/// Lifetime of a refresh token.
const REFRESH_TTL_SECONDS: i64 = 30 * 24 * 3600;
const PBKDF2_ROUNDS: u32 = 10_000;

/// A seeded test account of the demo court.
#[derive(Debug, Clone, Copy)]
pub struct DemoAccount {
    /// Login name.
    pub username: &'static str,
    /// Password (demo only; printed in the README).
    pub password: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Lawyer or litigant.
    pub role: AccountRole,
}

/// The demo court's accounts: a lawyer and two litigants.
pub const DEMO_ACCOUNTS: [DemoAccount; 3] = [
    DemoAccount { username: "wang.lawyer", password: "demo-lawyer-2026", name: "王律师", role: AccountRole::Lawyer },
    DemoAccount { username: "zhang.san", password: "demo-litigant-1", name: "张三", role: AccountRole::Litigant },
    DemoAccount { username: "li.si", password: "demo-litigant-2", name: "李四", role: AccountRole::Litigant },
];

fn role_name(role: AccountRole) -> &'static str {
    match role {
        AccountRole::Lawyer => "lawyer",
        AccountRole::Litigant => "litigant",
    }
}

fn hash_password(salt: &[u8], password: &str) -> Vec<u8> {
    let mut out = vec![0u8; 32];
    let rounds = NonZeroU32::new(PBKDF2_ROUNDS).unwrap_or(NonZeroU32::MIN);
    pbkdf2::derive(pbkdf2::PBKDF2_HMAC_SHA256, rounds, salt, password.as_bytes(), &mut out);
    out
}

/// Adds the demo accounts unless they exist.
pub(crate) fn seed_accounts(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    for a in DEMO_ACCOUNTS {
        let salt = random_token(16).into_bytes();
        conn.run(
            "INSERT OR IGNORE INTO accounts (id, username, name, role, verification_level, password_salt, password_hash)
             VALUES (?1, ?2, ?3, ?4, 2, ?5, ?6)",
            rusqlite::params![
                format!("acc_{}", a.username.replace('.', "_")),
                a.username,
                a.name,
                role_name(a.role),
                salt,
                hash_password(&salt, a.password)
            ],
        )?;
    }
    Ok(())
}

/// `GET /.well-known/openid-configuration`
#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "identity",
    responses((status = 200, description = "OpenID provider metadata", body = DiscoveryDocument)))]
pub(crate) async fn discovery(
    State(state): State<CourtState>,
    headers: axum::http::HeaderMap,
) -> Json<DiscoveryDocument> {
    let issuer = issuer(&headers);
    let _ = state;
    let list = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect();
    Json(DiscoveryDocument {
        authorization_endpoint: format!("{issuer}/oauth/authorize"),
        token_endpoint: format!("{issuer}/oauth/token"),
        userinfo_endpoint: format!("{issuer}/v1/me"),
        jwks_uri: format!("{issuer}/oauth/jwks"),
        issuer,
        response_types_supported: list(&["code"]),
        grant_types_supported: list(&["authorization_code", "refresh_token"]),
        code_challenge_methods_supported: list(&["S256"]),
        subject_types_supported: list(&["public"]),
        id_token_signing_alg_values_supported: list(&["EdDSA"]),
        scopes_supported: list(&["openid", "profile", "court"]),
        token_endpoint_auth_methods_supported: list(&["none"]),
    })
}

/// The issuer: this server as the client reached it (`Host` header; the reference court
/// serves plain HTTP on loopback, TLS sits in front of a real deployment).
fn issuer(headers: &axum::http::HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// `GET /oauth/jwks`: the court's signing key as a JWK set (RFC 8037 OKP keys).
#[utoipa::path(get, path = "/oauth/jwks", tag = "identity",
    responses((status = 200, description = "JWK set", body = serde_json::Value)))]
pub(crate) async fn jwks(State(state): State<CourtState>) -> Json<serde_json::Value> {
    use ring::signature::KeyPair;
    Json(serde_json::json!({"keys": [{
        "kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA",
        "kid": state.key.id, "x": b64url(state.key.pair.public_key().as_ref())
    }]}))
}

/// Parameters of an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct AuthorizeParams {
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    code_challenge: String,
    #[serde(default)]
    code_challenge_method: String,
    #[serde(default)]
    nonce: Option<String>,
}

/// A loopback redirect URI as RFC 8252 §7.3 allows: `http`, the IP literal `127.0.0.1` or
/// `[::1]`, any port, no fragment.
fn loopback_redirect(uri: &str) -> Option<Url> {
    let url = Url::parse(uri).ok()?;
    let loopback = matches!(url.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
        || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback());
    (url.scheme() == "http" && loopback && url.fragment().is_none() && url.port().is_some()).then_some(url)
}

/// Checks the request; errors that may be sent back to the redirect URI come as `Err(Ok)`,
/// errors that must not (bad client or redirect URI) as `Err(Err)`.
fn check_authorize(p: &AuthorizeParams) -> Result<Url, Result<(Url, &'static str, &'static str), String>> {
    if p.client_id != CLIENT_ID {
        return Err(Err(format!("unknown client_id {:?}", p.client_id)));
    }
    let redirect = loopback_redirect(&p.redirect_uri)
        .ok_or_else(|| Err("redirect_uri must be a loopback address with a port (RFC 8252 §7.3)".to_owned()))?;
    let fail = |code, why| Err(Ok((redirect.clone(), code, why)));
    if p.response_type != "code" {
        return fail("unsupported_response_type", "only response_type=code");
    }
    if p.code_challenge_method != "S256" || p.code_challenge.len() != 43 {
        return fail("invalid_request", "PKCE with code_challenge_method=S256 is required");
    }
    if !p.scope.split(' ').any(|s| s == "openid") {
        return fail("invalid_scope", "scope must include openid");
    }
    Ok(redirect)
}

fn redirect_with(mut url: Url, pairs: &[(&str, &str)]) -> Response {
    url.query_pairs_mut().extend_pairs(pairs);
    Redirect::to(url.as_str()).into_response()
}

/// `GET /oauth/authorize`: the login page.
#[utoipa::path(get, path = "/oauth/authorize", tag = "identity",
    params(("response_type" = String, Query), ("client_id" = String, Query), ("redirect_uri" = String, Query),
           ("scope" = String, Query), ("state" = String, Query), ("code_challenge" = String, Query),
           ("code_challenge_method" = String, Query), ("nonce" = Option<String>, Query)),
    responses((status = 200, description = "Login page (HTML)", content_type = "text/html"),
              (status = 303, description = "Error sent back to the client's redirect URI"),
              (status = 400, description = "Unknown client or redirect URI (HTML)", content_type = "text/html")))]
pub(crate) async fn authorize_page(Query(p): Query<AuthorizeParams>) -> Response {
    match check_authorize(&p) {
        Ok(_) => login_page(&p, None, StatusCode::OK),
        Err(Ok((url, code, why))) => {
            redirect_with(url, &[("error", code), ("error_description", why), ("state", &p.state)])
        }
        Err(Err(why)) => error_page(&why),
    }
}

/// The login form post.
#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    #[serde(flatten)]
    params: AuthorizeParams,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// `POST /oauth/authorize`: checks the credentials and sends the browser back to the app
/// with a code.
#[utoipa::path(post, path = "/oauth/authorize", tag = "identity",
    request_body(content_type = "application/x-www-form-urlencoded", description = "The authorization parameters plus username and password"),
    responses((status = 303, description = "Back to the redirect URI with code, state and iss"),
              (status = 401, description = "Wrong credentials: the login page again", content_type = "text/html")))]
pub(crate) async fn authorize_submit(
    State(state): State<CourtState>,
    headers: axum::http::HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, ApiError> {
    let p = &form.params;
    let redirect = match check_authorize(p) {
        Ok(url) => url,
        Err(Ok((url, code, why))) => {
            return Ok(redirect_with(url, &[("error", code), ("error_description", why), ("state", &p.state)]));
        }
        Err(Err(why)) => return Ok(error_page(&why)),
    };
    let account = state.store.with(|c| {
        optional(c.one(
            "SELECT id, password_salt, password_hash FROM accounts WHERE username = ?1",
            [&form.username],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?, r.get::<_, Vec<u8>>(2)?)),
        ))
    })?;
    let verified = account.filter(|(_, salt, hash)| {
        let rounds = NonZeroU32::new(PBKDF2_ROUNDS).unwrap_or(NonZeroU32::MIN);
        pbkdf2::verify(pbkdf2::PBKDF2_HMAC_SHA256, rounds, salt, form.password.as_bytes(), hash).is_ok()
    });
    let Some((account_id, _, _)) = verified else {
        return Ok(login_page(p, Some("用户名或密码错误。Wrong username or password."), StatusCode::UNAUTHORIZED));
    };
    let code = random_token(32);
    state.store.with(|c| {
        c.run(
            "INSERT INTO auth_codes (code_hash, account_id, client_id, redirect_uri, challenge, nonce, scope, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            rusqlite::params![
                sha256_hex(code.as_bytes()),
                account_id,
                p.client_id,
                p.redirect_uri,
                p.code_challenge,
                p.nonce,
                p.scope,
                unix_now() + CODE_TTL_SECONDS
            ],
        )
    })?;
    let iss = issuer(&headers);
    Ok(redirect_with(redirect, &[("code", &code), ("state", &p.state), ("iss", &iss)]))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn html_response(status: StatusCode, body: String) -> Response {
    let csp = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http://127.0.0.1:* http://[::1]:*; frame-ancestors 'none'";
    (
        status,
        [
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        ],
        Html(body),
    )
        .into_response()
}

fn error_page(why: &str) -> Response {
    html_response(
        StatusCode::BAD_REQUEST,
        format!(
            "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>登录请求无效 Invalid sign-in request</title>\
             <h1>登录请求无效 · Invalid sign-in request</h1><p>{}</p></html>",
            html_escape(why)
        ),
    )
}

fn login_page(p: &AuthorizeParams, error: Option<&str>, status: StatusCode) -> Response {
    let hidden: String = [
        ("response_type", p.response_type.as_str()),
        ("client_id", &p.client_id),
        ("redirect_uri", &p.redirect_uri),
        ("scope", &p.scope),
        ("state", &p.state),
        ("code_challenge", &p.code_challenge),
        ("code_challenge_method", &p.code_challenge_method),
        ("nonce", p.nonce.as_deref().unwrap_or("")),
    ]
    .iter()
    .map(|(k, v)| format!("<input type=\"hidden\" name=\"{k}\" value=\"{}\">", html_escape(v)))
    .collect();
    let error = error.map(|e| format!("<p role=\"alert\" id=\"error\">{}</p>", html_escape(e))).unwrap_or_default();
    html_response(
        status,
        format!(
            "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\"><title>登录 · Sign in</title>\
             <style>body{{font-family:system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem}}\
             label{{display:block;margin:.8rem 0 .2rem}}input[type=text],input[type=password]{{width:100%;padding:.4rem}}\
             button{{margin-top:1rem;padding:.5rem 1.2rem}}#error{{color:#a00}}</style></head><body>\
             <h1>登录人民法院在线服务 · Sign in to the court</h1>{error}\
             <form method=\"post\" action=\"/oauth/authorize\">{hidden}\
             <label for=\"username\">用户名 Username</label><input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" required>\
             <label for=\"password\">密码 Password</label><input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>\
             <button type=\"submit\" id=\"submit\">登录 Sign in</button></form></body></html>"
        ),
    )
}

/// A token request (RFC 6749 §4.1.3 and §6), form-encoded.
#[derive(Debug, Deserialize)]
pub(crate) struct TokenRequest {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    code_verifier: String,
    #[serde(default)]
    refresh_token: String,
    /// The device asking (a refresh only), and its signature of
    /// [`courtside_court_api::auth::refresh_proof_message`].
    #[serde(default)]
    device_id: String,
    #[serde(default)]
    device_proof: String,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(OAuthError { error: error.to_owned(), error_description: Some(description.to_owned()) }),
    )
        .into_response()
}

/// `POST /oauth/token`
#[utoipa::path(post, path = "/oauth/token", tag = "identity",
    request_body(content_type = "application/x-www-form-urlencoded",
        description = "grant_type=authorization_code (code, redirect_uri, client_id, code_verifier) or grant_type=refresh_token (refresh_token, client_id)"),
    responses((status = 200, description = "Tokens", body = TokenResponse),
              (status = 400, description = "OAuth error", body = OAuthError)))]
pub(crate) async fn token(
    State(state): State<CourtState>,
    headers: axum::http::HeaderMap,
    Form(req): Form<TokenRequest>,
) -> Result<Response, ApiError> {
    if req.client_id != CLIENT_ID {
        return Ok(oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client_id"));
    }
    let granted = match req.grant_type.as_str() {
        "authorization_code" => redeem_code(&state, &req)?,
        "refresh_token" => redeem_refresh(&state, &req)?,
        _ => {
            return Ok(oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "authorization_code or refresh_token",
            ));
        }
    };
    let (account_id, scope, nonce, redeemed) = match granted {
        Ok(g) => g,
        Err(why) => return Ok(oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", why)),
    };
    let access = random_token(32);
    let refresh = random_token(32);
    let now = unix_now();
    let ttl = i64::try_from(state.access_token_ttl.as_secs()).unwrap_or(i64::MAX);
    state.store.with(|c| {
        let tx = c.transaction()?;
        for (token, kind, expires) in [(&access, "access", now + ttl), (&refresh, "refresh", now + REFRESH_TTL_SECONDS)] {
            tx.run(
                "INSERT INTO tokens (token_hash, kind, account_id, client_id, scope, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                rusqlite::params![sha256_hex(token.as_bytes()), kind, account_id, req.client_id, scope, expires],
            )?;
        }
        if let Some(old) = &redeemed {
            tx.run(
                "UPDATE tokens SET successor = ?1 WHERE token_hash = ?2",
                rusqlite::params![sha256_hex(refresh.as_bytes()), old],
            )?;
        }
        tx.commit()
    })?;
    let id_token = scope.split(' ').any(|s| s == "openid").then(|| {
        let claims = serde_json::json!({
            "iss": issuer(&headers), "sub": account_id, "aud": CLIENT_ID,
            "iat": now, "exp": now + ttl, "nonce": nonce,
        });
        jwt(&state, &claims)
    });
    Ok((
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(TokenResponse {
            access_token: access,
            token_type: "Bearer".into(),
            expires_in: state.access_token_ttl.as_secs(),
            refresh_token: refresh,
            id_token,
            scope: Some(scope),
        }),
    )
        .into_response())
}

/// A grant: account, scope, nonce, and the refresh token it redeems (whose successor is
/// recorded once the new tokens are stored).
type Grant = Result<(String, String, Option<String>, Option<String>), &'static str>;

/// How long a used refresh token may be presented again when the tokens it was exchanged for
/// never reached the client (a lost answer): its successor is revoked and new tokens issued.
/// Past this, or once the successor was used, a repeat is theft and revokes the sign-in.
const REFRESH_REUSE_GRACE_SECONDS: i64 = 60;

fn redeem_code(state: &CourtState, req: &TokenRequest) -> Result<Grant, ApiError> {
    let row = state.store.with(|c| {
        let tx = c.transaction()?;
        let row = optional(tx.one(
            "DELETE FROM auth_codes WHERE code_hash = ?1
             RETURNING account_id, client_id, redirect_uri, challenge, nonce, scope, expires_at",
            [sha256_hex(req.code.as_bytes())],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, i64>(6)?,
                ))
            },
        ))?;
        tx.commit()?;
        Ok(row)
    })?;
    let Some((account, client, redirect, challenge, nonce, scope, expires)) = row else {
        return Ok(Err("the code is unknown or was already used"));
    };
    if expires <= unix_now() {
        return Ok(Err("the code has expired"));
    }
    if client != req.client_id || redirect != req.redirect_uri {
        return Ok(Err("client_id or redirect_uri differ from the authorization request"));
    }
    if !valid_verifier(&req.code_verifier) || s256_challenge(&req.code_verifier) != challenge {
        return Ok(Err("code_verifier does not match the code_challenge (PKCE)"));
    }
    Ok(Ok((account, scope, nonce, None)))
}

fn redeem_refresh(state: &CourtState, req: &TokenRequest) -> Result<Grant, ApiError> {
    let hash = sha256_hex(req.refresh_token.as_bytes());
    state
        .store
        .with(|c| {
            let tx = c.transaction()?;
            let row = optional(tx.one(
                "SELECT account_id, client_id, scope, expires_at, used, used_at, successor FROM tokens
             WHERE token_hash = ?1 AND kind = 'refresh'",
                [&hash],
                |r| {
                    Ok((
                        (r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?),
                        (
                            r.get::<_, i64>(3)?,
                            r.get::<_, bool>(4)?,
                            r.get::<_, Option<i64>>(5)?,
                            r.get::<_, Option<String>>(6)?,
                        ),
                    ))
                },
            ))?;
            let now = unix_now();
            // Whether a used token's successor was never used (its answer may have been lost).
            let successor_unused = |successor: &Option<String>| -> rusqlite::Result<bool> {
                let Some(next) = successor else { return Ok(false) };
                let used: Option<bool> =
                    optional(tx.one("SELECT used FROM tokens WHERE token_hash = ?1", [next], |r| r.get(0)))?;
                Ok(used == Some(false))
            };
            let grant = match row {
                None => Err("the refresh token is unknown"),
                Some(((_, client, _), _)) if client != req.client_id => {
                    Err("the refresh token belongs to another client")
                }
                Some(((account, _, scope), (_, true, Some(used_at), successor)))
                    if now - used_at <= REFRESH_REUSE_GRACE_SECONDS
                        && successor_unused(&successor)?
                        && device_proves(&tx, &account, req)? =>
                {
                    // The answer to the first use was lost: the tokens it made were never
                    // used, and a device registered to this account asks again. They are
                    // revoked and new ones issued in their place. (The window counts from the
                    // first use; it does not move.)
                    if let Some(next) = &successor {
                        tx.run("DELETE FROM tokens WHERE token_hash = ?1", [next])?;
                    }
                    Ok((account, scope, None, Some(hash.clone())))
                }
                Some(((account, client, _), (_, true, _, _))) => {
                    // A rotated refresh token came back: someone has a copy. Revoke them all
                    // (OAuth 2.0 Security BCP, refresh token rotation).
                    tx.run("DELETE FROM tokens WHERE account_id = ?1 AND client_id = ?2", [&account, &client])?;
                    Err("the refresh token was already used; every token of this sign-in is revoked")
                }
                Some((_, (expires, _, _, _))) if expires <= now => Err("the refresh token has expired"),
                Some(((account, _, scope), _)) => {
                    tx.run(
                        "UPDATE tokens SET used = 1, used_at = ?1 WHERE token_hash = ?2",
                        rusqlite::params![now, &hash],
                    )?;
                    Ok((account, scope, None, Some(hash.clone())))
                }
            };
            tx.commit()?;
            Ok(grant)
        })
        .map_err(ApiError::from)
}

/// Whether the request carries a valid proof by one of the account's registered devices.
fn device_proves(tx: &rusqlite::Transaction<'_>, account: &str, req: &TokenRequest) -> rusqlite::Result<bool> {
    if req.device_id.is_empty() || req.device_proof.is_empty() {
        return Ok(false);
    }
    let key: Option<String> = optional(tx.one(
        "SELECT public_key FROM devices WHERE id = ?1 AND account_id = ?2",
        [&req.device_id, account],
        |r| r.get(0),
    ))?;
    let (Some(key), Some(signature)) = (key.and_then(|k| b64url_decode(&k)), b64url_decode(&req.device_proof)) else {
        return Ok(false);
    };
    let message = courtside_court_api::auth::refresh_proof_message(&req.refresh_token);
    Ok(ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, key).verify(&message, &signature).is_ok())
}

/// A compact JWS (RFC 7515) with EdDSA (RFC 8037).
fn jwt(state: &CourtState, claims: &serde_json::Value) -> String {
    let header = serde_json::json!({"alg": "EdDSA", "typ": "JWT", "kid": state.key.id});
    let signing_input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(claims.to_string().as_bytes()));
    let signature = state.key.pair.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", b64url(signature.as_ref()))
}

/// `GET /v1/me`
#[utoipa::path(get, path = "/v1/me", tag = "identity", security(("bearer" = [])),
    responses((status = 200, description = "The account", body = Account),
              (status = 401, description = "No or expired token", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn me(State(state): State<CourtState>, caller: Caller) -> Result<Json<Account>, ApiError> {
    let account = state.store.with(|c| {
        c.one(
            "SELECT id, username, name, role, verification_level FROM accounts WHERE id = ?1",
            [&caller.account_id],
            |r| {
                Ok(Account {
                    sub: r.get(0)?,
                    username: r.get(1)?,
                    name: r.get(2)?,
                    role: if r.get::<_, String>(3)? == "lawyer" { AccountRole::Lawyer } else { AccountRole::Litigant },
                    verification_level: r.get(4)?,
                })
            },
        )
    })?;
    Ok(Json(account))
}

/// `POST /v1/devices`
#[utoipa::path(post, path = "/v1/devices", tag = "identity", security(("bearer" = [])),
    request_body = DeviceRegistration,
    responses((status = 201, description = "Registered", body = Device),
              (status = 400, description = "Not a 32-byte Ed25519 key", body = courtside_court_api::Problem, content_type = "application/problem+json"),
              (status = 401, description = "No or expired token", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn register_device(
    State(state): State<CourtState>,
    caller: Caller,
    Json(reg): Json<DeviceRegistration>,
) -> Result<(StatusCode, Json<Device>), ApiError> {
    if b64url_decode(&reg.public_key).is_none_or(|k| k.len() != 32) {
        return Err(ApiError::bad_request(
            "bad-device-key",
            "publicKey must be a raw 32-byte Ed25519 key in base64url",
        ));
    }
    let name: String = reg.name.trim().chars().take(100).collect();
    let id = new_id("dev");
    let now = unix_now();
    state.store.with(|c| {
        c.run(
            "INSERT INTO devices (id, account_id, public_key, name, registered_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![id, caller.account_id, reg.public_key, name, now],
        )
    })?;
    Ok((StatusCode::CREATED, Json(Device { id, public_key: reg.public_key, name, registered_at: from_unix(now) })))
}
