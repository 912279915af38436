//! Signing in to a court as a native app (RFC 8252): the authorization request opens in the
//! system browser, the court redirects to a one-shot listener on 127.0.0.1, and the code is
//! exchanged with its PKCE verifier. Tokens are refreshed before they expire.

use std::time::Duration;

use courtside_court_api::auth::{OAuthError, Pkce, TokenResponse, random_token};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::network::Network;
use url::Url;

/// The client id courts know the desktop app by.
pub const CLIENT_ID: &str = "courtside-desktop";
/// Scopes asked for.
pub const SCOPES: &str = "openid profile court";
/// How long the loopback listener waits for the browser.
pub const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(300);

/// Why signing in failed.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// The court's address is not acceptable.
    #[error("unusable court address: {0}")]
    BadCourt(String),
    /// The loopback listener could not start.
    #[error("cannot listen on 127.0.0.1 for the browser's answer: {0}")]
    Listener(String),
    /// Nobody came back from the browser in time.
    #[error("the sign-in was not completed in the browser within {0:?}")]
    TimedOut(Duration),
    /// The court (or the user) refused, as the redirect said.
    #[error("the court refused the sign-in: {0}")]
    Refused(String),
    /// The redirect did not belong to this sign-in (state or issuer differ).
    #[error("the answer in the browser did not match this sign-in: {0}")]
    Mismatch(String),
    /// The token endpoint refused.
    #[error("the court's token endpoint refused: {0}")]
    Token(String),
    /// The token endpoint could not be reached.
    #[error("the court's token endpoint cannot be reached: {0}")]
    Unreachable(String),
}

/// A sign-in waiting for the browser.
#[derive(Debug)]
pub struct PendingSignIn {
    court: Url,
    listener: TcpListener,
    redirect_uri: String,
    state: String,
    pkce: Pkce,
    authorize_url: Url,
}

/// The court's base URL with a trailing slash, validated (HTTPS, or HTTP on loopback).
///
/// # Errors
/// [`SignInError::BadCourt`].
pub fn court_base(court: &str) -> Result<Url, SignInError> {
    let parsed = courtside_court_api::CourtUrl::parse(court).map_err(|e| SignInError::BadCourt(e.to_string()))?;
    Url::parse(&parsed.to_string()).map_err(|e| SignInError::BadCourt(e.to_string()))
}

impl PendingSignIn {
    /// Prepares the authorization request and the loopback listener on a free port.
    ///
    /// # Errors
    /// [`SignInError`] for a bad court address or no listener.
    pub async fn begin(court: &str) -> Result<Self, SignInError> {
        let court = court_base(court)?;
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| SignInError::Listener(e.to_string()))?;
        let port = listener.local_addr().map_err(|e| SignInError::Listener(e.to_string()))?.port();
        let redirect_uri = format!("http://127.0.0.1:{port}/callback");
        let state = random_token(16);
        let pkce = Pkce::generate();
        let mut authorize_url = court.join("oauth/authorize").map_err(|e| SignInError::BadCourt(e.to_string()))?;
        authorize_url
            .query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", CLIENT_ID)
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("scope", SCOPES)
            .append_pair("state", &state)
            .append_pair("code_challenge", &pkce.challenge())
            .append_pair("code_challenge_method", "S256");
        Ok(Self { court, listener, redirect_uri, state, pkce, authorize_url })
    }

    /// The page to open in the system browser.
    #[must_use]
    pub fn authorize_url(&self) -> &Url {
        &self.authorize_url
    }

    /// Waits for the browser's redirect, checks it, and exchanges the code for tokens.
    ///
    /// # Errors
    /// [`SignInError`].
    pub async fn finish(self, timeout: Duration, network: &Network) -> Result<TokenResponse, SignInError> {
        let query = tokio::time::timeout(timeout, self.receive_redirect())
            .await
            .map_err(|_| SignInError::TimedOut(timeout))??;
        let get = |k: &str| query.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        // RFC 9207: when the court names itself, it must be the court we asked.
        if let Some(iss) = get("iss")
            && iss.trim_end_matches('/') != self.court.as_str().trim_end_matches('/')
        {
            return Err(SignInError::Mismatch(format!("issuer {iss}")));
        }
        if let Some(error) = get("error") {
            return Err(SignInError::Refused(get("error_description").unwrap_or(error)));
        }
        let code = get("code").ok_or_else(|| SignInError::Mismatch("no code".into()))?;
        token_request(
            &self.court,
            network,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &self.redirect_uri),
                ("client_id", CLIENT_ID),
                ("code_verifier", self.pkce.verifier()),
            ],
        )
        .await
    }

    /// Accepts connections until one asks for `/callback` with this sign-in's `state`;
    /// answers it with a short page. Any other request (another page, a stale or forged
    /// callback from a web page or another program on this computer) is answered and
    /// ignored, and the wait goes on.
    async fn receive_redirect(&self) -> Result<Vec<(String, String)>, SignInError> {
        loop {
            let (mut socket, _) = self.listener.accept().await.map_err(|e| SignInError::Listener(e.to_string()))?;
            let mut buf = vec![0u8; 8192];
            let mut len = 0;
            // Read the request head (bounded); the body, if any, is ignored.
            while len < buf.len() {
                let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut buf[len..])).await
                else {
                    break;
                };
                if n == 0 {
                    break;
                }
                len += n;
                if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            let pairs = match callback(&buf[..len], &self.state) {
                Callback::Ours(pairs) => pairs,
                Callback::NotHere => {
                    let _ = socket
                        .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .await;
                    continue;
                }
                Callback::OtherState => {
                    let _ = socket
                        .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .await;
                    continue;
                }
                Callback::Garbage => continue,
            };
            let page = "<!doctype html><meta charset=\"utf-8\"><title>Courtside</title>\
                        <p>登录完成，请返回 Courtside。Sign-in complete: return to Courtside.</p>";
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\n\
                 cache-control: no-store\r\nconnection: close\r\n\r\n{page}",
                page.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
            return Ok(pairs);
        }
    }
}

/// What a request to the sign-in listener is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    /// The redirect of this sign-in (its `state`), with its query's pairs.
    Ours(Vec<(String, String)>),
    /// A request for another page.
    NotHere,
    /// A `/callback` without this sign-in's `state` (stale, or forged by a web page).
    OtherState,
    /// Not an HTTP request line at all.
    Garbage,
}

/// Reads the head of a request to the sign-in listener (outside input: any program or web
/// page on this computer can connect).
#[must_use]
pub fn callback(head: &[u8], state: &str) -> Callback {
    let head = String::from_utf8_lossy(head);
    let target = head.lines().next().and_then(|l| l.split(' ').nth(1)).unwrap_or("");
    if !target.starts_with('/') {
        return Callback::Garbage;
    }
    let Ok(url) = Url::parse(&format!("http://127.0.0.1{target}")) else { return Callback::Garbage };
    if url.host_str() != Some("127.0.0.1") {
        return Callback::Garbage;
    }
    if url.path() != "/callback" {
        return Callback::NotHere;
    }
    if !url.query_pairs().any(|(k, v)| k == "state" && v == state) {
        return Callback::OtherState;
    }
    Callback::Ours(url.query_pairs().into_owned().collect())
}

/// Largest token answer read.
const MAX_TOKEN_ANSWER: usize = 64 * 1024;

/// Exchanges a refresh token for new tokens (the court rotates the refresh token). With the
/// device's id and key, the request carries a proof that this device holds the key it
/// registered: a court lets such a device ask again when its first answer was lost.
///
/// # Errors
/// [`SignInError::Token`] with the court's OAuth error.
pub async fn refresh(
    court: &Url,
    refresh_token: &str,
    network: &Network,
    device: Option<(&str, &ring::signature::Ed25519KeyPair)>,
) -> Result<TokenResponse, SignInError> {
    let proof = device.map(|(id, key)| {
        let message = courtside_court_api::auth::refresh_proof_message(refresh_token);
        (id.to_owned(), courtside_court_api::encoding::b64url(key.sign(&message).as_ref()))
    });
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", refresh_token), ("client_id", CLIENT_ID)];
    if let Some((id, signature)) = &proof {
        form.push(("device_id", id));
        form.push(("device_proof", signature));
    }
    token_request(court, network, &form).await
}

async fn token_request(court: &Url, network: &Network, form: &[(&str, &str)]) -> Result<TokenResponse, SignInError> {
    let url = court.join("oauth/token").map_err(|e| SignInError::BadCourt(e.to_string()))?;
    let base =
        courtside_court_api::CourtUrl::parse(court.as_str()).map_err(|e| SignInError::BadCourt(e.to_string()))?;
    // HTTPS only away from this computer, as every court connection.
    let http =
        network.client_for(&base, Duration::from_secs(30)).map_err(|e| SignInError::Unreachable(e.to_string()))?;
    let mut response = http.post(url).form(form).send().await.map_err(|e| SignInError::Unreachable(e.to_string()))?;
    let status = response.status();
    // A token answer is small: a larger body is a broken or hostile court.
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| SignInError::Unreachable(e.to_string()))? {
        if body.len() + chunk.len() > MAX_TOKEN_ANSWER {
            return Err(SignInError::Token(format!("an answer larger than {MAX_TOKEN_ANSWER} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    if !status.is_success() {
        let why = serde_json::from_slice::<OAuthError>(&body)
            .map(|e| e.error_description.unwrap_or(e.error))
            .unwrap_or_else(|_| status.to_string());
        return Err(SignInError::Token(why));
    }
    // A success whose body does not parse was broken on the way (or the court is broken):
    // asked again later, never taken as a refusal that signs the user out.
    serde_json::from_slice(&body).map_err(|e| SignInError::Unreachable(format!("the token answer is unreadable: {e}")))
}

#[cfg(test)]
mod callback_tests {
    use super::{Callback, callback};

    #[test]
    fn only_this_sign_ins_redirect_on_this_computer_is_taken() {
        let ours = callback(b"GET /callback?code=c1&state=s1 HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n", "s1");
        assert_eq!(ours, Callback::Ours(vec![("code".into(), "c1".into()), ("state".into(), "s1".into())]));
        assert_eq!(callback(b"GET /callback?code=c1&state=s2 HTTP/1.1\r\n\r\n", "s1"), Callback::OtherState);
        assert_eq!(callback(b"GET /favicon.ico HTTP/1.1\r\n\r\n", "s1"), Callback::NotHere);
        // A request target that would make another host of the address.
        assert_eq!(callback(b"GET @evil.example/callback?state=s1 HTTP/1.1\r\n\r\n", "s1"), Callback::Garbage);
        assert_eq!(callback(b"\xff\xfe", "s1"), Callback::Garbage);
        assert_eq!(callback(b"", "s1"), Callback::Garbage);
    }
}
