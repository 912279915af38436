//! Identity: OpenID Connect authorization code flow with PKCE (RFC 7636) for native apps
//! (RFC 8252: system browser, loopback redirect), tokens, and device keys.
//!
//! The token endpoint speaks OAuth 2.0 (RFC 6749): form-encoded requests, snake_case JSON
//! answers and `{"error": …}` errors. Everything under `/v1` speaks camelCase JSON and
//! RFC 9457 problems.

use ring::digest;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::encoding::b64url;

/// What a device signs to prove, with a refresh request, that it holds the device key it
/// registered: `courtside-refresh|<refresh token>` (Ed25519, base64url).
#[must_use]
pub fn refresh_proof_message(refresh_token: &str) -> Vec<u8> {
    format!("courtside-refresh|{refresh_token}").into_bytes()
}

/// OpenID Provider metadata (`GET /.well-known/openid-configuration`, OpenID Connect
/// Discovery 1.0); only the fields Courtside uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DiscoveryDocument {
    /// The issuer identifier (the court's base URL).
    pub issuer: String,
    /// Where the browser is sent to log in.
    pub authorization_endpoint: String,
    /// Where codes and refresh tokens are exchanged for tokens.
    pub token_endpoint: String,
    /// Who the token's holder is.
    pub userinfo_endpoint: String,
    /// The court's public keys (JWK set) for ID tokens and receipts.
    pub jwks_uri: String,
    /// Always `["code"]`.
    pub response_types_supported: Vec<String>,
    /// `authorization_code` and `refresh_token`.
    pub grant_types_supported: Vec<String>,
    /// Always `["S256"]`: plain PKCE is refused.
    pub code_challenge_methods_supported: Vec<String>,
    /// Always `["public"]`.
    pub subject_types_supported: Vec<String>,
    /// Always `["EdDSA"]`.
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// `openid`, `profile`, `court`.
    pub scopes_supported: Vec<String>,
    /// Always `["none"]`: native apps are public clients (RFC 8252 §8.4).
    pub token_endpoint_auth_methods_supported: Vec<String>,
}

/// Successful answer of the token endpoint (RFC 6749 §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// Bearer token for `/v1` calls.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Single-use token for the next refresh (rotated on every use).
    pub refresh_token: String,
    /// OpenID Connect ID token (a JWT signed with the court's Ed25519 key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// Granted scopes, space-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// Error answer of the token endpoint (RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OAuthError {
    /// `invalid_request`, `invalid_grant`, `unsupported_grant_type`, `invalid_client`.
    pub error: String,
    /// Human-readable explanation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

/// What kind of court user an account is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum AccountRole {
    /// A practising lawyer acting for clients.
    Lawyer,
    /// A party acting for themselves.
    Litigant,
}

/// Who the bearer of an access token is (`GET /v1/me`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// Stable subject identifier.
    pub sub: String,
    /// Login name.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Lawyer or litigant.
    pub role: AccountRole,
    /// Identity verification level (Online Litigation Rules Art. 7): 1 = phone, 2 = ID
    /// document checked, 3 = in-person or face verification.
    pub verification_level: u8,
}

/// Registers this device's Ed25519 public key (`POST /v1/devices`); submissions are then
/// signed with the private key, which never leaves the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeviceRegistration {
    /// The raw 32-byte Ed25519 public key, base64url without padding.
    pub public_key: String,
    /// A name the user recognises, e.g. "Wang's laptop".
    pub name: String,
}

/// A registered device key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    /// Identifier to name in signed submissions.
    pub id: String,
    /// The raw Ed25519 public key, base64url without padding.
    pub public_key: String,
    /// The name given at registration.
    pub name: String,
    /// When it was registered.
    #[serde(with = "time::serde::rfc3339")]
    pub registered_at: time::OffsetDateTime,
}

/// A PKCE code verifier and its S256 challenge (RFC 7636 §4.1–4.2).
#[derive(Clone, PartialEq, Eq)]
pub struct Pkce {
    verifier: String,
}

impl std::fmt::Debug for Pkce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pkce(..)")
    }
}

impl Pkce {
    /// A fresh verifier: 32 random bytes, base64url (43 characters).
    ///
    /// # Panics
    /// If the operating system's random number generator fails.
    #[must_use]
    pub fn generate() -> Self {
        Self { verifier: random_token(32) }
    }

    /// The secret sent to the token endpoint.
    #[must_use]
    pub fn verifier(&self) -> &str {
        &self.verifier
    }

    /// The challenge sent in the authorization request.
    #[must_use]
    pub fn challenge(&self) -> String {
        s256_challenge(&self.verifier)
    }
}

/// `BASE64URL(SHA256(ASCII(verifier)))`, the S256 transform.
#[must_use]
pub fn s256_challenge(verifier: &str) -> String {
    b64url(digest::digest(&digest::SHA256, verifier.as_bytes()).as_ref())
}

/// Whether a verifier has the form RFC 7636 §4.1 requires: 43–128 unreserved characters.
#[must_use]
pub fn valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// `bytes` random bytes from the OS, base64url without padding (state, nonces, tokens).
///
/// # Panics
/// If the operating system's random number generator fails.
#[must_use]
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    #[allow(clippy::expect_used, reason = "no secure token can be made without the OS random source")]
    SystemRandom::new().fill(&mut buf).expect("the OS random number generator failed");
    b64url(&buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_example() {
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn generated_verifiers_are_valid_and_differ() {
        let (a, b) = (Pkce::generate(), Pkce::generate());
        assert!(valid_verifier(a.verifier()), "{}", a.verifier());
        assert_ne!(a.verifier(), b.verifier());
        assert!(!valid_verifier("short"));
        assert!(!valid_verifier(&"a".repeat(129)));
        assert!(!valid_verifier(&format!("{}+", "a".repeat(43))));
    }
}
