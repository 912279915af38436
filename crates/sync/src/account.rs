//! Court accounts kept sealed in the vault: tokens, the device's Ed25519 key and its id at
//! the court. Several courts and accounts live side by side, one record each.

use std::sync::Arc;
use std::time::Duration;

use courtside_court_api::auth::{Account, Device, DeviceRegistration, TokenResponse};
use courtside_court_api::encoding::{b64url, b64url_decode, sha256_hex};
use courtside_court_api::signing::public_key_b64;
use courtside_court_api::{CourtClient, CourtUrl};
use courtside_vault::Vault;
use ring::signature::Ed25519KeyPair;
use serde::{Deserialize, Serialize};
use url::Url;
use zeroize::Zeroizing;

use crate::network::Network;
use crate::signin::{SignInError, refresh};
use crate::{SyncError, now, records};

/// Vault table of court accounts.
pub const ACCOUNTS: &str = "court_accounts";

/// One signed-in account at one court.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CourtAccount {
    /// The court's base URL.
    pub court: String,
    /// Login name at the court.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Current access token.
    pub access_token: String,
    /// When it expires (Unix seconds).
    pub access_expires_at: i64,
    /// Refresh token (rotated on every refresh).
    pub refresh_token: String,
    /// The device key's id at the court.
    pub device_id: String,
    /// The device's Ed25519 key (PKCS#8, base64url); never leaves the vault.
    pub device_key: String,
    /// The court's signing keys as read at sign-in: receipts are checked against these
    /// alone, offline. (Empty for an account signed in with an earlier version: pinned from
    /// the court's policy at its first receipt.)
    #[serde(default)]
    pub court_keys: Vec<courtside_court_api::policy::CourtKey>,
}

impl std::fmt::Debug for CourtAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CourtAccount")
            .field("court", &self.court)
            .field("username", &self.username)
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

/// The record id of an account: opaque (it is a plaintext column).
#[must_use]
pub fn account_id(court: &str, username: &str) -> String {
    sha256_hex(format!("{}|{username}", court.trim_end_matches('/')).as_bytes())[..32].to_owned()
}

impl CourtAccount {
    /// This account's record id.
    #[must_use]
    pub fn id(&self) -> String {
        account_id(&self.court, &self.username)
    }

    /// The court's base URL.
    ///
    /// # Errors
    /// [`SyncError::Protocol`] if the stored address is not a URL.
    pub fn court_url(&self) -> Result<Url, SyncError> {
        Url::parse(&self.court).map_err(|e| SyncError::Protocol(format!("stored court address: {e}")))
    }

    /// The device key pair.
    ///
    /// # Errors
    /// [`SyncError::Protocol`] if the stored key is damaged.
    pub fn device_key(&self) -> Result<Ed25519KeyPair, SyncError> {
        let pkcs8 = Zeroizing::new(
            b64url_decode(&self.device_key).ok_or_else(|| SyncError::Protocol("device key encoding".into()))?,
        );
        Ed25519KeyPair::from_pkcs8(&pkcs8).map_err(|e| SyncError::Protocol(format!("device key: {e}")))
    }

    fn take_tokens(&mut self, tokens: &TokenResponse) {
        self.access_token.clone_from(&tokens.access_token);
        self.refresh_token.clone_from(&tokens.refresh_token);
        self.access_expires_at = now() + i64::try_from(tokens.expires_in).unwrap_or(0);
    }
}

/// After the browser step: learns who signed in, registers a fresh device key, and seals
/// the account in the vault (replacing an earlier sign-in of the same account).
///
/// # Errors
/// [`SyncError`] when the court cannot be asked or the vault cannot be written.
pub async fn complete_sign_in(
    vault: &Vault,
    network: &Network,
    court: &Url,
    tokens: &TokenResponse,
    device_name: &str,
) -> Result<CourtAccount, SyncError> {
    let client = CourtClient::with_network(
        CourtUrl::parse(court.as_str()).map_err(|e| SyncError::Protocol(format!("court address: {e}")))?,
        network,
    )?;
    let litigant = client.litigant(&tokens.access_token);
    let me: Account = litigant.me().await?;
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
        .map_err(|e| SyncError::Protocol(format!("key generation: {e}")))?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|e| SyncError::Protocol(format!("key: {e}")))?;
    let registration = DeviceRegistration { public_key: public_key_b64(&pair), name: device_name.to_owned() };
    let device: Device = litigant.register_device(&registration).await?;
    let court_keys = client.signing_keys().await?;
    let mut account = CourtAccount {
        court: court.to_string(),
        username: me.username,
        name: me.name,
        access_token: String::new(),
        access_expires_at: 0,
        refresh_token: String::new(),
        device_id: device.id,
        device_key: b64url(pkcs8.as_ref()),
        court_keys,
    };
    account.take_tokens(tokens);
    records::save(vault, ACCOUNTS, &account.id(), &account)?;
    Ok(account)
}

/// Every account in the vault.
///
/// # Errors
/// [`SyncError::Vault`].
pub fn accounts(vault: &Vault) -> Result<Vec<CourtAccount>, SyncError> {
    let all: Vec<CourtAccount> = records::list(vault, ACCOUNTS)?;
    // A signed-out account stays as a blank record (the vault keeps revisions, not deletions).
    Ok(all.into_iter().filter(|a| !a.refresh_token.is_empty() && !a.device_key.is_empty()).collect())
}

/// The account for a court (the only one, or the one with `username`).
///
/// # Errors
/// [`SyncError::NotSignedIn`] when there is none, or several and no username.
pub fn account_for(vault: &Vault, court: &str, username: Option<&str>) -> Result<CourtAccount, SyncError> {
    let base = court.trim_end_matches('/');
    let mut found: Vec<CourtAccount> = accounts(vault)?
        .into_iter()
        .filter(|a| a.court.trim_end_matches('/') == base && username.is_none_or(|u| u == a.username))
        .collect();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(SyncError::NotSignedIn(court.to_owned())),
        _ => Err(SyncError::NotSignedIn(format!("{court}: several accounts; name one"))),
    }
}

/// Forgets an account (sign out): its tokens and device key are overwritten in the vault.
///
/// # Errors
/// [`SyncError::Vault`].
pub fn sign_out(vault: &Vault, account: &CourtAccount) -> Result<(), SyncError> {
    let mut blank = account.clone();
    blank.access_token.clear();
    blank.refresh_token.clear();
    blank.device_key.clear();
    blank.access_expires_at = 0;
    records::save(vault, ACCOUNTS, &account.id(), &blank)
}

/// An account ready for authenticated calls: refreshes its access token shortly before it
/// expires and keeps the rotated tokens in the vault.
#[derive(Debug, Clone)]
pub struct Session {
    vault: Arc<Vault>,
    account: CourtAccount,
    network: Network,
    /// The court's client, made at its first use and kept: its connections are reused from
    /// one request to the next instead of a client (TLS settings, connection pool) being
    /// built for each.
    court: std::sync::OnceLock<CourtClient>,
}

/// The lock under which an account's tokens are refreshed, one per account in this process.
fn refresh_lock(account: &CourtAccount) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    > = std::sync::OnceLock::new();
    let mut locks = LOCKS.get_or_init(Default::default).lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    locks.entry(account.id()).or_default().clone()
}

/// Refresh when less than this is left.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

impl Session {
    /// A session for a stored account.
    #[must_use]
    pub fn new(vault: Arc<Vault>, account: CourtAccount) -> Self {
        Self { vault, account, network: Network::default(), court: std::sync::OnceLock::new() }
    }

    /// The same session going through these network settings.
    #[must_use]
    pub fn with_network(mut self, network: Network) -> Self {
        self.network = network;
        self.court = std::sync::OnceLock::new();
        self
    }

    /// The network settings.
    #[must_use]
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// The account.
    #[must_use]
    pub fn account(&self) -> &CourtAccount {
        &self.account
    }

    /// Pins the court's signing keys for an account that has none yet (signed in with an
    /// earlier version), and keeps them with the account.
    ///
    /// # Errors
    /// [`SyncError::Vault`].
    pub fn pin_court_keys(&mut self, keys: Vec<courtside_court_api::policy::CourtKey>) -> Result<(), SyncError> {
        if !self.account.court_keys.is_empty() {
            return Ok(());
        }
        if let Some(stored) = records::load::<CourtAccount>(&self.vault, ACCOUNTS, &self.account.id())? {
            self.account = stored;
        }
        if self.account.court_keys.is_empty() {
            self.account.court_keys = keys;
            records::save(&self.vault, ACCOUNTS, &self.account.id(), &self.account)?;
        }
        Ok(())
    }

    /// The court's client, through this session's network settings.
    ///
    /// # Errors
    /// [`SyncError::Settings`] for unusable settings; a stored court address that no
    /// longer validates.
    pub fn court(&self) -> Result<CourtClient, SyncError> {
        if let Some(court) = self.court.get() {
            return Ok(court.clone());
        }
        let url =
            CourtUrl::parse(&self.account.court).map_err(|e| SyncError::Protocol(format!("court address: {e}")))?;
        let court = CourtClient::with_network(url, &self.network)?;
        Ok(self.court.get_or_init(|| court).clone())
    }

    /// The court's endpoints as this account, with a valid access token (refreshed first
    /// when it is about to expire, or `force`).
    ///
    /// # Errors
    /// As [`Session::court`] and [`Session::bearer`].
    pub async fn litigant(&mut self, force: bool) -> Result<(CourtClient, String), SyncError> {
        let court = self.court()?;
        let token = self.bearer(force).await?;
        Ok((court, token))
    }

    /// A valid access token, refreshed first when it is about to expire (or `force`).
    ///
    /// Every copy of a session of one account, in this process, refreshes under one lock
    /// and reads the account from the vault first: when another copy refreshed meanwhile,
    /// its tokens are taken instead of refreshing again. (A refresh token used twice looks
    /// like theft to the court, which then signs the account out everywhere.)
    ///
    /// # Errors
    /// [`SyncError::NotSignedIn`] when the refresh token was refused (sign in again).
    pub async fn bearer(&mut self, force: bool) -> Result<String, SyncError> {
        let margin = i64::try_from(REFRESH_MARGIN.as_secs()).unwrap_or(60);
        if !force && self.account.access_expires_at - margin > now() {
            return Ok(self.account.access_token.clone());
        }
        let lock = refresh_lock(&self.account);
        let _one_at_a_time = lock.lock().await;
        let stale = self.account.access_token.clone();
        if let Some(stored) = records::load::<CourtAccount>(&self.vault, ACCOUNTS, &self.account.id())? {
            if stored.refresh_token.is_empty() {
                return Err(SyncError::NotSignedIn(format!("{}: signed out", self.account.court)));
            }
            self.account = stored;
        }
        let refreshed_by_another = self.account.access_token != stale;
        if refreshed_by_another && self.account.access_expires_at - margin > now() {
            return Ok(self.account.access_token.clone());
        }
        let device = self.account.device_key().ok();
        let proof = device.as_ref().map(|key| (self.account.device_id.as_str(), key));
        let tokens = refresh(&self.account.court_url()?, &self.account.refresh_token, &self.network, proof)
            .await
            .map_err(|e| match e {
                SignInError::Unreachable(why) => SyncError::Unreachable(why),
                other => SyncError::NotSignedIn(format!("{}: {other}", self.account.court)),
            })?;
        self.account.take_tokens(&tokens);
        records::save(&self.vault, ACCOUNTS, &self.account.id(), &self.account)?;
        Ok(self.account.access_token.clone())
    }
}
