//! The custody log: append-only, hash-chained, signed.
//!
//! Entry *n* holds the SHA-256 of entry *n − 1* (its signed bytes followed by its signature),
//! so changing, removing or reordering any entry breaks the chain after it; each entry is
//! signed with the device's Ed25519 key over its exact JSON bytes, which are kept as signed
//! (re-serialising is never needed to verify). A head record (count and last hash) written
//! in the same vault transaction as each entry catches a cut-off tail.

use courtside_court_api::encoding::{b64url, b64url_decode, hex};
use courtside_vault::{RecordWrite, Transaction, Vault};
use serde::{Deserialize, Serialize};

use crate::{DeviceKey, EvidenceError};

/// Vault table of entries (`<seq>` zero-padded, so ids sort in order).
pub const LOG: &str = "custody_log";
const HEAD: &str = "custody_head";
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The form an exhibit was copied out of the vault in (the words earlier versions wrote).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum ExportFormat {
    /// The evidence bundle (a BagIt bag).
    Bagit,
    /// Everything the vault holds (Settings, Your data).
    CourtsideExport,
}

/// What happened to an exhibit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "CustodyEvent"))]
#[serde(rename_all = "camelCase", tag = "event")]
pub enum Event {
    /// Captured: the original's digest and facts at that moment.
    #[serde(rename_all = "camelCase")]
    Captured {
        /// SHA-256 of the original bytes, hex.
        sha256: String,
        /// Size.
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        size: u64,
        /// Media type read from the content.
        media_type: String,
        /// Name of the original.
        original_name: String,
        /// Where it came from.
        #[serde(deserialize_with = "crate::source::stored")]
        source: crate::Source,
    },
    /// Its title or what it proves changed.
    #[serde(rename_all = "camelCase")]
    Described {
        /// Title.
        title: String,
        /// What it proves.
        proves: String,
    },
    /// Copied out of the vault.
    #[serde(rename_all = "camelCase")]
    Exported {
        /// In what form.
        format: ExportFormat,
    },
    /// Sent to a court; the court's receipt names a digest.
    #[serde(rename_all = "camelCase")]
    Submitted {
        /// The court's filing id.
        filing_id: String,
        /// The digest in the court's receipt.
        court_sha256: String,
        /// Whether it equals the captured digest.
        matches: bool,
    },
    /// Its digest was time-stamped by a trusted authority (RFC 3161).
    #[serde(rename_all = "camelCase")]
    Timestamped {
        /// The stamped SHA-256.
        sha256: String,
        /// The authority's time.
        gen_time: String,
        /// The authority.
        tsa: String,
    },
    /// Opened for viewing.
    Viewed,
    /// The vault holding it was restored from a backup onto another computer: the chain goes
    /// on there, signed by the same device key (it moved with the vault).
    #[serde(rename_all = "camelCase")]
    Restored {
        /// The backup's snapshot.
        snapshot: String,
        /// The computer it was restored on (its host name, when the OS tells it).
        computer: String,
    },
}

/// One entry, exactly as signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "CustodyEntry"))]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Position in the log, from 1.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seq: u64,
    /// The exhibit.
    pub exhibit: String,
    /// What happened.
    pub event: Event,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// The signing device's id.
    pub device: String,
    /// SHA-256 of the previous entry (signed bytes then signature), hex; zeros for the first.
    pub prev: String,
}

/// An entry with its signed bytes and signature, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedEntry {
    /// The JSON bytes that were signed (UTF-8).
    pub signed: String,
    /// Ed25519 signature, base64url.
    pub signature: String,
}

impl SignedEntry {
    /// The entry, parsed from the signed bytes.
    ///
    /// # Errors
    /// [`EvidenceError::Decode`].
    pub fn entry(&self) -> Result<Entry, EvidenceError> {
        serde_json::from_str(&self.signed).map_err(|e| EvidenceError::Decode("a custody entry".into(), e.to_string()))
    }

    /// The raw signature.
    #[must_use]
    pub fn signature_bytes(&self) -> Vec<u8> {
        b64url_decode(&self.signature).unwrap_or_default()
    }

    /// What the next entry must name as `prev`.
    #[must_use]
    pub fn hash(&self) -> String {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(self.signed.as_bytes());
        ctx.update(&self.signature_bytes());
        hex(ctx.finish().as_ref())
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Head {
    count: u64,
    hash: String,
}

/// The head as stored (the genesis head when the log is empty).
fn parse_head(record: Option<courtside_vault::Record>) -> Result<Head, EvidenceError> {
    match record {
        Some(r) => serde_json::from_slice(&r.plaintext)
            .map_err(|e| EvidenceError::Decode("the custody head".into(), e.to_string())),
        None => Ok(Head { count: 0, hash: GENESIS.to_owned() }),
    }
}

fn head(tx: &Transaction<'_>) -> Result<(Head, u64), EvidenceError> {
    Ok((parse_head(tx.get(HEAD, "head")?)?, tx.revision(HEAD, "head")?))
}

/// Appends an entry for `exhibit`, together with `also` (e.g. the exhibit record itself) in
/// one vault transaction, so a record never exists without its log entry.
///
/// # Errors
/// The vault's error.
pub fn append(
    vault: &Vault,
    key: &DeviceKey,
    exhibit: &str,
    event: Event,
    also: &[RecordWrite<'_>],
) -> Result<Entry, EvidenceError> {
    vault.transaction(|tx| {
        for w in also {
            tx.put(w.table, w.id, w.schema_version, w.plaintext);
        }
        append_in(tx, key, exhibit, event)
    })
}

/// Appends an entry for `exhibit` inside the caller's unit of work: the head is read and
/// replaced there (compare-and-swap), so appends from any caller, any thread or any handle
/// of the vault are chained one after the other and none is lost.
///
/// # Errors
/// The vault's error ([`courtside_vault::VaultError::Conflict`] cannot happen while the
/// transaction holds the vault's write lock, but is reported rather than forking the chain).
pub fn append_in(
    tx: &mut Transaction<'_>,
    key: &DeviceKey,
    exhibit: &str,
    event: Event,
) -> Result<Entry, EvidenceError> {
    let (h, head_revision) = head(tx)?;
    let entry = Entry {
        seq: h.count + 1,
        exhibit: exhibit.to_owned(),
        event,
        at: crate::now_rfc3339(),
        device: key.id().to_owned(),
        prev: h.hash,
    };
    let signed = serde_json::to_string(&entry).map_err(|e| EvidenceError::Invalid(e.to_string()))?;
    let signature = key.sign(signed.as_bytes());
    let stored = SignedEntry { signed, signature: b64url(&signature) };
    let new_head = Head { count: entry.seq, hash: stored.hash() };
    let stored_json = serde_json::to_vec(&stored).map_err(|e| EvidenceError::Invalid(e.to_string()))?;
    let head_json = serde_json::to_vec(&new_head).map_err(|e| EvidenceError::Invalid(e.to_string()))?;
    let id = format!("{:012}", entry.seq);
    tx.put_expecting(LOG, &id, 1, 0, &stored_json)?;
    tx.put_expecting(HEAD, "head", 1, head_revision, &head_json)?;
    Ok(entry)
}

/// Every entry, in order.
///
/// # Errors
/// The vault's error (including a sealed record that was altered).
pub fn entries(vault: &Vault) -> Result<Vec<SignedEntry>, EvidenceError> {
    vault
        .list(LOG)?
        .iter()
        .map(|r| {
            serde_json::from_slice(&r.plaintext)
                .map_err(|e| EvidenceError::Decode(format!("custody entry {}", r.id), e.to_string()))
        })
        .collect()
}

/// The first broken link of a chain of entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// The entry's position (1-based; the count + 1 for a missing tail).
    pub seq: u64,
    /// Its exhibit, when the entry can be read.
    pub exhibit: Option<String>,
    /// What is wrong.
    pub reason: String,
}

/// Walks `log` (as read from the vault, or from an exported bag) and returns the first
/// broken link: a signature that does not verify with `public_key`, an entry out of place,
/// or a `prev` that does not match; `expected` (count, last hash) catches a cut-off tail.
#[must_use]
pub fn first_break(log: &[SignedEntry], public_key: &[u8], expected: Option<(u64, &str)>) -> Option<Break> {
    let key = ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, public_key);
    // Each entry is parsed and its signature checked on every core; the chain is then
    // followed in order.
    let checked = courtside_vault::parallel::map(log, |stored| {
        stored
            .entry()
            .ok()
            .map(|entry| (entry, key.verify(stored.signed.as_bytes(), &stored.signature_bytes()).is_ok()))
    });
    let mut prev = GENESIS.to_owned();
    for (i, (stored, checked)) in log.iter().zip(checked).enumerate() {
        let position = i as u64 + 1;
        let brk = |exhibit: Option<String>, reason: String| Some(Break { seq: position, exhibit, reason });
        let Some((entry, signed)) = checked else {
            return brk(None, "the entry does not parse".into());
        };
        if !signed {
            return brk(Some(entry.exhibit), "the signature does not verify".into());
        }
        if entry.seq != position {
            return brk(Some(entry.exhibit), format!("it says it is entry {}", entry.seq));
        }
        if entry.prev != prev {
            return brk(Some(entry.exhibit), "it does not follow the entry before it (hash chain broken)".into());
        }
        prev = stored.hash();
    }
    if let Some((count, hash)) = expected
        && (count != log.len() as u64 || (count > 0 && hash != prev))
    {
        return Some(Break {
            seq: log.len() as u64 + 1,
            exhibit: None,
            reason: format!("the log should have {count} entries ending in {hash}, it has {}", log.len()),
        });
    }
    None
}

/// The stored head (count, hash of the last entry).
///
/// # Errors
/// The vault's error.
pub fn stored_head(vault: &Vault) -> Result<(u64, String), EvidenceError> {
    let h = parse_head(vault.get(HEAD, "head")?)?;
    Ok((h.count, h.hash))
}
