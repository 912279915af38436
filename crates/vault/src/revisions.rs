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

use crate::keys::{DataKey, KEY_LEN};
use crate::records::{derive, open, seal};
use crate::{Damage, VaultError};

/// Number of buckets; a power of two well above the root's cost, well below a bucket's.
pub(crate) const BUCKETS: usize = 64;
const ROOT: &str = "revisions/root";

#[derive(Debug, Default)]
pub(crate) struct RevisionIndex {
    buckets: Vec<BTreeMap<String, u64>>,
    bucket_revisions: Vec<u64>,
    root_revision: u64,
    /// Buckets rebuilt from the records because their sealed copy was damaged: the next
    /// write seals them again.
    rebuilt: std::collections::BTreeSet<usize>,
}

/// A part of the index found damaged at load: its name, and what is wrong.
pub(crate) type IndexDamage = (String, String);

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

    /// Reads the index. A damaged part of it (a bucket or the root altered, put back or
    /// missing) does not stop the vault from opening: that part is rebuilt from the records
    /// as they are, reported, and sealed again by the next write. The records it covers
    /// still open (each is sealed on its own); only an older copy of them put back can no
    /// longer be told from the current one until then.
    pub(crate) fn load(conn: &Connection, key: &DataKey) -> Result<(Self, Vec<IndexDamage>), VaultError> {
        let db = |e: rusqlite::Error| VaultError::Tampered {
            item: "revision index".into(),
            kind: Damage::Index,
            reason: e.to_string(),
        };
        let mut damage = Vec::new();
        let root = match read(conn, key, ROOT) {
            Ok(Some((revision, plain))) => match serde_json::from_slice::<Root>(&plain) {
                Ok(root) if root.buckets.len() == BUCKETS => Some((revision, root)),
                Ok(_) => {
                    damage.push((ROOT.to_owned(), "wrong number of buckets".to_owned()));
                    None
                }
                Err(e) => {
                    damage.push((ROOT.to_owned(), e.to_string()));
                    None
                }
            },
            Ok(None) => {
                let records: i64 = conn.query_row("SELECT COUNT(*) FROM records", [], |r| r.get(0)).map_err(db)?;
                if records == 0 {
                    return Ok((
                        Self {
                            buckets: vec![BTreeMap::new(); BUCKETS],
                            bucket_revisions: vec![0; BUCKETS],
                            root_revision: 0,
                            rebuilt: std::collections::BTreeSet::new(),
                        },
                        damage,
                    ));
                }
                damage.push((ROOT.to_owned(), "missing".to_owned()));
                None
            }
            Err(e) => {
                damage.push((ROOT.to_owned(), e));
                None
            }
        };
        let stored_revision = |name: &str| -> Result<u64, VaultError> {
            let r: Option<i64> = conn
                .query_row("SELECT revision FROM meta WHERE key = ?1", params![name], |r| r.get(0))
                .optional()
                .map_err(db)?;
            Ok(r.and_then(|r| u64::try_from(r).ok()).unwrap_or(0))
        };
        let (root_revision, expected) = match root {
            Some((revision, root)) => (revision, Some(root.buckets)),
            None => (stored_revision(ROOT)?, None),
        };
        let mut buckets = Vec::with_capacity(BUCKETS);
        let mut bucket_revisions = Vec::with_capacity(BUCKETS);
        let mut rebuilt = std::collections::BTreeSet::new();
        // The rows are read one by one (one connection); they are opened and parsed on every
        // core, which is most of the work of opening a large vault.
        let rows: Vec<(usize, Result<Option<SealedRow>, String>)> = (0..BUCKETS)
            .map(|i| {
                // Without an intact root nothing says which bucket copies are current: every
                // bucket is rebuilt from the records.
                let row = if expected.is_none() {
                    Err("the index root is damaged".to_owned())
                } else {
                    read_sealed(conn, &bucket_key(i))
                };
                (i, row)
            })
            .collect();
        let decoded = crate::parallel::map(&rows, |(i, row)| -> Result<(u64, BTreeMap<String, u64>), String> {
            let i = *i;
            let found = row.clone().and_then(|row| row.map(|row| open_sealed(key, &bucket_key(i), row)).transpose());
            match (&expected, found) {
                (Some(e), Ok(None)) if e[i] == 0 => Ok((0, BTreeMap::new())),
                (Some(e), Ok(Some((revision, plain)))) if revision == e[i] => {
                    serde_json::from_slice(&plain).map(|m| (revision, m)).map_err(|e| e.to_string())
                }
                (Some(e), Ok(Some((revision, _)))) => {
                    Err(format!("revision {revision} found where {} was expected", e[i]))
                }
                (Some(_), Ok(None)) => Err("missing".to_owned()),
                // Without the root, a bucket that opens is taken as it is.
                (None, Ok(Some((revision, plain)))) => {
                    serde_json::from_slice(&plain).map(|m| (revision, m)).map_err(|e| e.to_string())
                }
                (None, Ok(None)) => Ok((0, BTreeMap::new())),
                (_, Err(e)) => Err(e),
            }
        });
        for (i, opened) in decoded.into_iter().enumerate() {
            let name = bucket_key(i);
            match opened {
                Ok((revision, map)) => {
                    buckets.push(map);
                    bucket_revisions.push(revision);
                }
                Err(reason) => {
                    if expected.is_some() {
                        damage.push((name.clone(), reason));
                    }
                    let revision = expected.as_ref().map_or(0, |e| e[i]).max(stored_revision(&name)?);
                    buckets.push(rebuild(conn, key, i).map_err(db)?);
                    bucket_revisions.push(revision);
                    rebuilt.insert(i);
                }
            }
        }
        // The root is sealed again by every write, so a damaged root heals with the next one.
        Ok((Self { buckets, bucket_revisions, root_revision, rebuilt }, damage))
    }

    /// Seals the buckets touched by `updates` (record name, new revision) and a new root.
    pub(crate) fn stage(&self, key: &DataKey, updates: &[(String, u64)]) -> Result<Staged, VaultError> {
        let mut touched: BTreeMap<usize, BTreeMap<String, u64>> = BTreeMap::new();
        for b in &self.rebuilt {
            touched.insert(*b, self.buckets[*b].clone());
        }
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
    /// Whether some buckets were rebuilt and are not sealed again yet.
    pub(crate) fn has_rebuilt(&self) -> bool {
        !self.rebuilt.is_empty()
    }

    pub(crate) fn apply(&mut self, staged: Staged) {
        for (b, map) in staged.buckets {
            self.buckets[b] = map;
            self.rebuilt.remove(&b);
        }
        self.bucket_revisions = staged.bucket_revisions;
        self.root_revision = staged.root_revision;
    }
}

/// A sealed meta row, opened: its revision and plaintext.
type OpenedRow = (u64, Zeroizing<Vec<u8>>);

fn read(conn: &Connection, key: &DataKey, name: &str) -> Result<Option<OpenedRow>, String> {
    read_sealed(conn, name)?.map(|row| open_sealed(key, name, row)).transpose()
}

/// A meta row as stored: its revision, nonce and ciphertext.
#[derive(Clone)]
struct SealedRow(u64, Vec<u8>, Vec<u8>);

fn read_sealed(conn: &Connection, name: &str) -> Result<Option<SealedRow>, String> {
    let row: Option<(i64, Vec<u8>, Vec<u8>)> = conn
        .prepare_cached("SELECT revision, nonce, ciphertext FROM meta WHERE key = ?1")
        .and_then(|mut stmt| stmt.query_row(params![name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional())
        .map_err(|e| e.to_string())?;
    let Some((revision, nonce, ct)) = row else { return Ok(None) };
    let revision = u64::try_from(revision).map_err(|_| "invalid revision".to_owned())?;
    Ok(Some(SealedRow(revision, nonce, ct)))
}

fn open_sealed(key: &DataKey, name: &str, SealedRow(revision, nonce, ct): SealedRow) -> Result<OpenedRow, String> {
    let plain = open(&index_key(key), &aad(name, revision), &nonce, ct).ok_or("it was altered or replaced")?;
    Ok((revision, plain))
}

/// A bucket's map as the records now stand (each record's stored revision).
fn rebuild(conn: &Connection, key: &DataKey, bucket: usize) -> rusqlite::Result<BTreeMap<String, u64>> {
    Ok(crate::records::stored_revisions(conn, key)?.into_iter().filter(|(name, _)| bucket_of(name) == bucket).collect())
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
