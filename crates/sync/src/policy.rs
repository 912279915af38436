//! Court policies cached in the vault: refreshed when online (`If-None-Match`, so an
//! unchanged policy costs a 304), used as stored when the court cannot be reached.

use courtside_court_api::encoding::sha256_hex;
use courtside_court_api::policy::CourtPolicy;
use courtside_vault::Vault;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::network::Network;
use courtside_court_api::{CourtClient, CourtError, CourtUrl, PolicyAnswer};

use crate::{SyncError, now, records};

/// Vault table of cached policies.
pub const POLICIES: &str = "court_policies";

/// A policy as last received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachedPolicy {
    /// The court's base URL.
    pub court: String,
    /// The court id.
    pub court_id: String,
    /// The entity tag it came with.
    #[serde(default)]
    pub etag: Option<String>,
    /// When the court last confirmed it (Unix seconds).
    pub confirmed_at: i64,
    /// The policy.
    pub policy: CourtPolicy,
}

/// Where a policy came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// The court sent a new version.
    Updated,
    /// The court confirmed the cached version (304).
    Confirmed,
    /// The court could not be reached: the cached version is used.
    Offline,
}

fn key(court: &Url, court_id: &str) -> String {
    sha256_hex(format!("{}|{court_id}", court.as_str().trim_end_matches('/')).as_bytes())[..32].to_owned()
}

/// The cached policy of a court, if any.
///
/// # Errors
/// [`SyncError::Vault`].
pub fn cached(vault: &Vault, court: &Url, court_id: &str) -> Result<Option<CachedPolicy>, SyncError> {
    records::load(vault, POLICIES, &key(court, court_id))
}

/// The policy last cached for a court's address, whatever its id: what is known of a court
/// before it has answered in this run (offline at start).
///
/// # Errors
/// [`SyncError::Vault`].
pub fn cached_for_court(vault: &Vault, court: &Url) -> Result<Option<CachedPolicy>, SyncError> {
    let base = court.as_str().trim_end_matches('/');
    Ok(records::list::<CachedPolicy>(vault, POLICIES)?
        .into_iter()
        .filter(|c| c.court.trim_end_matches('/') == base)
        .max_by_key(|c| c.confirmed_at))
}

/// Asks the court for its policy (conditionally when one is cached) and keeps the answer.
/// Without a connection the cached policy is returned as [`Freshness::Offline`].
///
/// # Errors
/// [`SyncError`] when the court cannot be asked and nothing is cached, or it refuses.
pub async fn refresh(
    vault: &Vault,
    network: &Network,
    court: &Url,
    court_id: &str,
) -> Result<(CachedPolicy, Freshness), SyncError> {
    let stored = cached(vault, court, court_id)?;
    let client = CourtClient::with_network(
        CourtUrl::parse(court.as_str()).map_err(|e| SyncError::Protocol(format!("court address: {e}")))?,
        network,
    )?;
    let tag = stored.as_ref().and_then(|s| s.etag.clone());
    let (policy, etag) = match client.policy(court_id, tag.as_deref()).await {
        Ok(PolicyAnswer::Policy { policy, etag }) => (*policy, etag),
        Ok(PolicyAnswer::NotModified) => {
            let mut s =
                stored.ok_or_else(|| SyncError::Protocol("the court said \"not modified\" to nothing".into()))?;
            s.confirmed_at = now();
            records::save(vault, POLICIES, &key(court, court_id), &s)?;
            return Ok((s, Freshness::Confirmed));
        }
        // Offline (only): a proxy asking for credentials or a TLS failure is reported.
        Err(CourtError::Unreachable { reason, .. }) => {
            return stored.map(|s| (s, Freshness::Offline)).ok_or(SyncError::Unreachable(reason));
        }
        Err(e) => return Err(e.into()),
    };
    if policy.court.id != court_id {
        return Err(SyncError::Protocol(format!("asked for court {court_id}, got the policy of {}", policy.court.id)));
    }
    let fresh =
        CachedPolicy { court: court.to_string(), court_id: court_id.to_owned(), etag, confirmed_at: now(), policy };
    records::save(vault, POLICIES, &key(court, court_id), &fresh)?;
    Ok((fresh, Freshness::Updated))
}
