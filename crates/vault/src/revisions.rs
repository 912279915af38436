//! The sealed revision index: every record's latest revision, so that a row put back to an
//! older revision (or deleted) is caught.
//!
//! It is split into [`BUCKETS`] sealed buckets (by a hash of the record's name) under one
//! sealed root that holds each bucket's revision. A write re-seals only the touched buckets
//! and the small root, so its cost does not grow with the size of the vault; a bucket put
//! back to an older copy no longer matches the root.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::VaultError;
use crate::keys::{DataKey, KEY_LEN};
use crate::records::{derive, open, seal};

/// Number of buckets; a power of two well above the root's cost, well below a bucket's.
pub(crate) const BUCKETS: usize = 64;
const ROOT: &str = "revisions/root";

#[derive(Debug, Default)]
pub(crate) struct RevisionIndex {
    buckets: Vec<BTreeMap<String, u64>>,
    bucket_revisions: Vec<u64>,
    root_revision: u64,
}

/// Sealed rows ready to be written in the caller's transaction, and the state they make.
pub(crate) struct Staged {
    rows: Vec<(String, u64, [u8; 12], Vec<u8>)>,
    buckets: Vec<(usize, BTreeMap<String, u64>)>,
    bucket_revisions: Vec<u64>,
    root_revision: u64,
}

#[derive(Serialize, Deserialize)]
struct Root {
    buckets: Vec<u64>,
}

impl RevisionIndex {
    /// The latest revision of a record, if it was ever written.
    pub(crate) fn get(&self, name: &str) -> Option<u64> {
        self.buckets.get(bucket_of(name)).and_then(|b| b.get(name)).copied()
    }

    /// Every record name the index knows.
    pub(crate) fn names(&self) -> impl Iterator<Item = &String> {
        self.buckets.iter().flat_map(BTreeMap::keys)
    }

    pub(crate) fn load(conn: &Connection, key: &DataKey) -> Result<Self, VaultError> {
        let tampered =
            |what: &str, reason: &str| VaultError::Tampered { item: what.to_owned(), reason: reason.to_owned() };
        let Some((root_revision, plain)) = read(conn, key, ROOT).map_err(|e| tampered("revision index", &e))? else {
            return Ok(Self {
                buckets: vec![BTreeMap::new(); BUCKETS],
                bucket_revisions: vec![0; BUCKETS],
                root_revision: 0,
            });
        };
        let root: Root = serde_json::from_slice(&plain).map_err(|e| tampered("revision index", &e.to_string()))?;
        if root.buckets.len() != BUCKETS {
            return Err(tampered("revision index", "wrong number of buckets"));
        }
        let mut buckets = Vec::with_capacity(BUCKETS);
        for (i, expected) in root.buckets.iter().enumerate() {
            let name = bucket_key(i);
            let found = read(conn, key, &name).map_err(|e| tampered(&name, &e))?;
            let map = match found {
                None if *expected == 0 => BTreeMap::new(),
                Some((revision, plain)) if revision == *expected => {
                    serde_json::from_slice(&plain).map_err(|e| tampered(&name, &e.to_string()))?
                }
                Some((revision, _)) => {
                    return Err(tampered(&name, &format!("revision {revision} found where {expected} was expected")));
                }
                None => return Err(tampered(&name, "missing")),
            };
            buckets.push(map);
        }
        Ok(Self { buckets, bucket_revisions: root.buckets, root_revision })
    }

    /// Seals the buckets touched by `updates` (record name, new revision) and a new root.
    pub(crate) fn stage(&self, key: &DataKey, updates: &[(String, u64)]) -> Result<Staged, VaultError> {
        let mut touched: BTreeMap<usize, BTreeMap<String, u64>> = BTreeMap::new();
        for (name, revision) in updates {
            let b = bucket_of(name);
            touched.entry(b).or_insert_with(|| self.buckets[b].clone()).insert(name.clone(), *revision);
        }
        let mut bucket_revisions = self.bucket_revisions.clone();
        let mut rows = Vec::with_capacity(touched.len() + 1);
        for (b, map) in &touched {
            bucket_revisions[*b] += 1;
            let json = Zeroizing::new(serde_json::to_vec(map).map_err(|_| VaultError::Random)?);
            let name = bucket_key(*b);
            let (nonce, ct) = seal(&index_key(key), &aad(&name, bucket_revisions[*b]), &json)?;
            rows.push((name, bucket_revisions[*b], nonce, ct));
        }
        let root_revision = self.root_revision + 1;
        let json = serde_json::to_vec(&Root { buckets: bucket_revisions.clone() }).map_err(|_| VaultError::Random)?;
        let (nonce, ct) = seal(&index_key(key), &aad(ROOT, root_revision), &json)?;
        rows.push((ROOT.to_owned(), root_revision, nonce, ct));
        Ok(Staged { rows, buckets: touched.into_iter().collect(), bucket_revisions, root_revision })
    }

    pub(crate) fn write(tx: &Connection, staged: &Staged) -> rusqlite::Result<()> {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO meta (key, revision, nonce, ciphertext) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (key) DO UPDATE SET revision = ?2, nonce = ?3, ciphertext = ?4",
        )?;
        for (name, revision, nonce, ct) in &staged.rows {
            stmt.execute(params![name, i64::try_from(*revision).unwrap_or(i64::MAX), nonce.as_slice(), ct])?;
        }
        Ok(())
    }

    /// Makes the staged state current (after the transaction committed).
    pub(crate) fn apply(&mut self, staged: Staged) {
        for (b, map) in staged.buckets {
            self.buckets[b] = map;
        }
        self.bucket_revisions = staged.bucket_revisions;
        self.root_revision = staged.root_revision;
    }
}

/// A sealed meta row, opened: its revision and plaintext.
type OpenedRow = (u64, Zeroizing<Vec<u8>>);

fn read(conn: &Connection, key: &DataKey, name: &str) -> Result<Option<OpenedRow>, String> {
    let row: Option<(i64, Vec<u8>, Vec<u8>)> = conn
        .query_row("SELECT revision, nonce, ciphertext FROM meta WHERE key = ?1", params![name], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()
        .map_err(|e| e.to_string())?;
    let Some((revision, nonce, ct)) = row else { return Ok(None) };
    let revision = u64::try_from(revision).map_err(|_| "invalid revision".to_owned())?;
    let plain = open(&index_key(key), &aad(name, revision), &nonce, ct).ok_or("it was altered or replaced")?;
    Ok(Some((revision, plain)))
}

fn bucket_key(b: usize) -> String {
    format!("revisions/{b:02}")
}

/// FNV-1a: a stable spread of names over buckets (not a security boundary: every bucket is
/// sealed and counted in the root).
fn bucket_of(name: &str) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    usize::try_from(h % BUCKETS as u64).unwrap_or(0)
}

fn aad(name: &str, revision: u64) -> Vec<u8> {
    format!("courtside/v1/meta|{name}|{revision}").into_bytes()
}

fn index_key(key: &DataKey) -> Zeroizing<[u8; KEY_LEN]> {
    derive(key, &[b"courtside/v1/meta-key"])
}
