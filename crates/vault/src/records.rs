//! Sealed records in SQLite.
//!
//! Each record is encrypted with AES-256-GCM under its own key (HKDF of the data key over the
//! table and id), with associated data binding `table|id|schema version|revision`: a
//! ciphertext moved to another row, or another table, does not open. A sealed **revision
//! index** (every record's latest revision) catches a single row put back to an older
//! revision. Plaintext columns are only the table, the opaque id, sizes, timestamps and the
//! revision.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hkdf;
use rusqlite::{Connection, OptionalExtension, params};
use zeroize::Zeroizing;

use crate::keys::{DataKey, KEY_LEN, random_bytes};
use crate::revisions::RevisionIndex;
use crate::{Damage, VaultError};

/// Schema migrations of the vault database, in order (`PRAGMA user_version` counts them).
const MIGRATIONS: &[&str] = &["
    CREATE TABLE records (
        tbl TEXT NOT NULL,
        id TEXT NOT NULL,
        schema_version INTEGER NOT NULL,
        revision INTEGER NOT NULL,
        nonce BLOB NOT NULL,
        ciphertext BLOB NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (tbl, id)
    ) STRICT;
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        revision INTEGER NOT NULL,
        nonce BLOB NOT NULL,
        ciphertext BLOB NOT NULL
    ) STRICT;
"];

/// One decrypted record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The kind of thing (`drafts`, `draft_versions`, `cases`, …).
    pub table: String,
    /// Opaque id, unique within the table.
    pub id: String,
    /// Version of the plaintext's format, for migrations of the content.
    pub schema_version: u32,
    /// How many times the record was written (1 for the first write).
    pub revision: u64,
    /// Milliseconds since the Unix epoch of the last write.
    pub updated_at: i64,
    /// The plaintext (callers parse it, usually JSON).
    pub plaintext: Zeroizing<Vec<u8>>,
}

/// One record to write with [`crate::Vault::put_all`].
#[derive(Debug, Clone, Copy)]
pub struct RecordWrite<'a> {
    /// The kind of thing.
    pub table: &'a str,
    /// Opaque id within the table.
    pub id: &'a str,
    /// Version of the plaintext's format.
    pub schema_version: u32,
    /// The content.
    pub plaintext: &'a [u8],
}

/// The records of one vault. Not `Sync`: the vault wraps it in a mutex.
pub(crate) struct RecordStore {
    conn: Connection,
    path: PathBuf,
    revisions: RevisionIndex,
    /// `PRAGMA data_version` when `revisions` was loaded: it changes when another
    /// connection (another handle of this process) commits, and the index is then re-read.
    data_version: i64,
    /// Every damaged item met since the vault was opened (by name: its kind and why), until
    /// a new revision of it is written. Lists leave these out instead of failing whole.
    damaged: std::cell::RefCell<BTreeMap<String, (Damage, String)>>,
}

impl RecordStore {
    pub(crate) fn open(dir: &Path, data_key: &DataKey) -> Result<Self, VaultError> {
        let path = dir.join(crate::DB_FILE);
        let db = |source: rusqlite::Error| VaultError::Database { path: path.clone(), source };
        // Created owner-only before SQLite opens it; its journal files take the same mode.
        crate::private_file_options()
            .write(true)
            .open(&path)
            .map_err(|source| VaultError::Io { path: path.clone(), source })?;
        let mut conn = Connection::open(&path).map_err(db)?;
        // Another handle's write in progress is waited for, not reported as "locked".
        conn.busy_timeout(std::time::Duration::from_secs(30)).map_err(db)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(db)?;
        // FULL: a write reported as saved survives a power cut, not only a crash.
        conn.pragma_update(None, "synchronous", "FULL").map_err(db)?;
        conn.pragma_update(None, "secure_delete", "ON").map_err(db)?;
        let found: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(db)?;
        if found > MIGRATIONS.len() {
            return Err(VaultError::Corrupt {
                path,
                reason: format!("schema version {found} is newer than this app ({})", MIGRATIONS.len()),
            });
        }
        let tx = conn.transaction().map_err(db)?;
        for sql in &MIGRATIONS[found..] {
            tx.execute_batch(sql).map_err(db)?;
        }
        tx.pragma_update(None, "user_version", MIGRATIONS.len()).map_err(db)?;
        tx.commit().map_err(db)?;
        // Read in one snapshot: another handle of this process may be committing.
        conn.execute_batch("BEGIN DEFERRED").map_err(db)?;
        let loaded = conn
            .pragma_query_value(None, "data_version", |r| r.get::<_, i64>(0))
            .map_err(db)
            .and_then(|v| RevisionIndex::load(&conn, data_key).map(|r| (v, r)));
        let _ = conn.execute_batch("COMMIT");
        let (data_version, (revisions, index_damage)) = loaded?;
        let mut store = Self { conn, path, revisions, data_version, damaged: std::cell::RefCell::default() };
        store.note_index_damage(index_damage);
        // Index damage found earlier stays reported (the index was sealed again since, so
        // nothing else would still show it: a rollback must not become trusted by a write).
        let markers = store.read(data_key, |s| s.list(data_key, HEALTH))?;
        for marker in markers {
            if let Ok(found) = serde_json::from_slice::<IndexDamageMarker>(&marker.plaintext) {
                store.damaged.borrow_mut().entry(found.item).or_insert((Damage::Index, found.reason));
            }
        }
        Ok(store)
    }

    /// Re-reads the revision index when another connection committed since it was read, so
    /// that no state is carried across transactions: a record another handle wrote is
    /// current, not "put back" or "not written by this vault".
    pub(crate) fn refresh(&mut self, key: &DataKey) -> Result<(), VaultError> {
        let version: i64 = self.conn.pragma_query_value(None, "data_version", |r| r.get(0)).map_err(self.db_err())?;
        if version != self.data_version {
            let (revisions, damage) = RevisionIndex::load(&self.conn, key)?;
            self.revisions = revisions;
            self.note_index_damage(damage);
            self.data_version = version;
        }
        Ok(())
    }

    /// Runs `read` in one read transaction (one snapshot of the database) after bringing the
    /// index up to date inside it, so what is read and the index it is checked against are
    /// of the same moment, whatever other handles commit meanwhile.
    pub(crate) fn read<T>(
        &mut self,
        key: &DataKey,
        read: impl FnOnce(&Self) -> Result<T, VaultError>,
    ) -> Result<T, VaultError> {
        if !self.conn.is_autocommit() {
            self.rollback();
        }
        self.conn.execute_batch("BEGIN DEFERRED").map_err(self.db_err())?;
        let result = self.refresh(key).and_then(|()| read(self));
        let _ = self.conn.execute_batch("COMMIT");
        result
    }

    /// Copies the database, as one consistent state, to a new file at `path` (SQLite's
    /// online backup: pages are copied as they are, so unchanged pages stay byte-equal from
    /// one copy to the next).
    pub(crate) fn copy_to(&mut self, path: &Path) -> Result<(), VaultError> {
        if !self.conn.is_autocommit() {
            self.rollback();
        }
        let err = |source| VaultError::Database { path: path.to_owned(), source };
        crate::private_file_options()
            .write(true)
            .truncate(true)
            .open(path)
            .map_err(|source| VaultError::Io { path: path.to_owned(), source })?;
        let mut dest = Connection::open(path).map_err(err)?;
        let backup = rusqlite::backup::Backup::new(&self.conn, &mut dest).map_err(err)?;
        backup.run_to_completion(1024, std::time::Duration::ZERO, None).map_err(err)?;
        Ok(())
    }

    fn note_index_damage(&self, damage: Vec<crate::revisions::IndexDamage>) {
        let mut damaged = self.damaged.borrow_mut();
        for (name, reason) in damage {
            damaged.insert(name, (Damage::Index, reason));
        }
    }

    /// Remembers a damaged item met while reading; returns the error.
    pub(crate) fn note(&self, e: VaultError) -> VaultError {
        if let VaultError::Tampered { item, kind, reason } = &e {
            self.damaged.borrow_mut().insert(item.clone(), (*kind, reason.clone()));
        }
        e
    }

    /// Every damaged item met since the vault was opened and not written again since.
    pub(crate) fn damaged(&self) -> Vec<VaultError> {
        self.damaged
            .borrow()
            .iter()
            .map(|(item, (kind, reason))| VaultError::Tampered {
                item: item.clone(),
                kind: *kind,
                reason: reason.clone(),
            })
            .collect()
    }

    /// Forgets a damaged blob once it is written again or removed.
    pub(crate) fn forget_damage(&self, item: &str) {
        self.damaged.borrow_mut().remove(item);
    }

    /// The latest revision of a record (0: never written), as the index says.
    pub(crate) fn revision_of(&self, table: &str, id: &str) -> u64 {
        self.revisions.get(&item_name(table, id)).unwrap_or(0)
    }

    fn db_err(&self) -> impl Fn(rusqlite::Error) -> VaultError + use<> {
        let path = self.path.clone();
        move |source| VaultError::Database { path: path.clone(), source }
    }

    /// Writes records (a new revision of each) and the revision index in one transaction:
    /// all of them are saved, or none.
    pub(crate) fn put_all(
        &mut self,
        key: &DataKey,
        writes: &[RecordWrite<'_>],
        now: i64,
    ) -> Result<Vec<u64>, VaultError> {
        self.begin_write(key)?;
        let written = self.write_staged(key, writes, now);
        self.end_write(written)
    }

    /// Starts a write transaction (`BEGIN IMMEDIATE`: SQLite's write lock is taken now, so
    /// no other connection commits between what the caller reads and what it writes) and
    /// brings the revision index up to date inside it.
    pub(crate) fn begin_write(&mut self, key: &DataKey) -> Result<(), VaultError> {
        if !self.conn.is_autocommit() {
            // A unit of work that panicked left its transaction open: nothing of it counts.
            self.rollback();
        }
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(self.db_err())?;
        if let Err(e) = self.refresh(key) {
            let _ = self.conn.execute_batch("ROLLBACK");
            return Err(e);
        }
        Ok(())
    }

    /// Commits the transaction [`RecordStore::begin_write`] started when `result` is a
    /// success, else rolls it back.
    pub(crate) fn end_write<T>(&mut self, result: Result<T, VaultError>) -> Result<T, VaultError> {
        match result {
            Ok(value) => match self.conn.execute_batch("COMMIT") {
                Ok(()) => Ok(value),
                Err(e) => {
                    self.rollback();
                    Err(self.db_err()(e))
                }
            },
            Err(e) => {
                self.rollback();
                Err(e)
            }
        }
    }

    /// Rolls back the open write transaction; the in-memory index, which may hold what was
    /// staged, is re-read at the next refresh.
    pub(crate) fn rollback(&mut self) {
        let _ = self.conn.execute_batch("ROLLBACK");
        self.data_version = i64::MIN;
    }

    /// Seals `writes` (a new revision of each) and the revision index into the open write
    /// transaction.
    pub(crate) fn write_staged(
        &mut self,
        key: &DataKey,
        writes: &[RecordWrite<'_>],
        now: i64,
    ) -> Result<Vec<u64>, VaultError> {
        // The first write after index damage also records it, sealed, so it is reported at
        // every later open (until the vault is restored from a backup).
        let markers: Vec<(String, Zeroizing<Vec<u8>>)> = if self.revisions.has_rebuilt() {
            self.damaged
                .borrow()
                .iter()
                .filter(|(_, (kind, _))| *kind == Damage::Index)
                .filter_map(|(item, (_, reason))| {
                    let marker = IndexDamageMarker { item: item.clone(), reason: reason.clone(), found_at: now };
                    serde_json::to_vec(&marker).ok().map(|json| (item.replace('/', "-"), Zeroizing::new(json)))
                })
                .collect()
        } else {
            Vec::new()
        };
        let marker_writes: Vec<RecordWrite<'_>> = markers
            .iter()
            .map(|(id, json)| RecordWrite { table: HEALTH, id, schema_version: 1, plaintext: json })
            .collect();
        let writes: Vec<RecordWrite<'_>> = writes.iter().copied().chain(marker_writes).collect();
        let writes = &writes[..];
        let mut updates: Vec<(String, u64)> = Vec::with_capacity(writes.len());
        let mut sealed = Vec::with_capacity(writes.len());
        for w in writes {
            let name = item_name(w.table, w.id);
            let previous = updates.iter().rev().find(|(n, _)| *n == name).map(|(_, r)| *r);
            let revision = previous.or_else(|| self.revisions.get(&name)).unwrap_or(0) + 1;
            let aad = record_aad(w.table, w.id, w.schema_version, revision);
            let (nonce, ciphertext) = seal(&record_key(key, w.table, w.id), &aad, w.plaintext)?;
            updates.push((name, revision));
            sealed.push((revision, nonce, ciphertext));
        }
        let staged = self.revisions.stage(key, &updates)?;
        let err = self.db_err();
        {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "INSERT INTO records (tbl, id, schema_version, revision, nonce, ciphertext, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (tbl, id) DO UPDATE SET schema_version = ?3, revision = ?4, nonce = ?5, ciphertext = ?6, updated_at = ?7",
                )
                .map_err(&err)?;
            for (w, (revision, nonce, ciphertext)) in writes.iter().zip(&sealed) {
                stmt.execute(params![
                    w.table,
                    w.id,
                    w.schema_version,
                    revision_to_sql(*revision),
                    nonce.as_slice(),
                    ciphertext,
                    now
                ])
                .map_err(&err)?;
            }
        }
        RevisionIndex::write(&self.conn, &staged).map_err(&err)?;
        self.revisions.apply(staged);
        {
            // A new revision replaces a damaged one (a restored copy, a re-entered case).
            let mut damaged = self.damaged.borrow_mut();
            for (name, _) in &updates {
                damaged.remove(name);
            }
        }
        Ok(sealed.into_iter().map(|(r, _, _)| r).collect())
    }

    /// Reads and opens one record; `None` when it does not exist.
    pub(crate) fn get(&self, key: &DataKey, table: &str, id: &str) -> Result<Option<Record>, VaultError> {
        let row = self
            .conn
            .query_row(
                "SELECT schema_version, revision, nonce, ciphertext, updated_at FROM records WHERE tbl = ?1 AND id = ?2",
                params![table, id],
                |r| Ok(RawRow { id: id.to_owned(), schema_version: r.get(0)?, revision: r.get(1)?, nonce: r.get(2)?, ciphertext: r.get(3)?, updated_at: r.get(4)? }),
            )
            .optional()
            .map_err(self.db_err())?;
        match row {
            // A deleted record is a sealed, empty revision: checked like any other, then absent.
            Some(row) => match self.open_row(key, table, row) {
                Ok(record) if record.schema_version == TOMBSTONE => Ok(None),
                Ok(record) => Ok(Some(record)),
                Err(e) => Err(self.note(e)),
            },
            None if self.revisions.get(&item_name(table, id)).is_some() => Err(self.note(VaultError::Tampered {
                item: item_name(table, id),
                kind: Damage::Missing,
                reason: "the record is missing".to_owned(),
            })),
            None => Ok(None),
        }
    }

    /// Every record of a table, opened, in id order.
    pub(crate) fn list(&self, key: &DataKey, table: &str) -> Result<Vec<Record>, VaultError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, schema_version, revision, nonce, ciphertext, updated_at FROM records WHERE tbl = ?1 ORDER BY id",
            )
            .map_err(self.db_err())?;
        let rows = stmt
            .query_map(params![table], |r| {
                Ok(RawRow {
                    id: r.get(0)?,
                    schema_version: r.get(1)?,
                    revision: r.get(2)?,
                    nonce: r.get(3)?,
                    ciphertext: r.get(4)?,
                    updated_at: r.get(5)?,
                })
            })
            .map_err(self.db_err())?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.db_err())?;
        // A damaged record is left out (and remembered, for [`Vault::damaged`]) rather than
        // making the whole table unreadable.
        let mut opened = Vec::with_capacity(rows.len());
        for row in rows {
            match self.open_row(key, table, row) {
                Ok(record) if record.schema_version == TOMBSTONE => {}
                Ok(record) => opened.push(record),
                Err(e @ VaultError::Tampered { .. }) => {
                    self.note(e);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(opened)
    }

    /// Ids of the records of a table, tombstones included, without opening them.
    fn ids(&self, table: &str) -> Result<Vec<String>, VaultError> {
        let mut stmt =
            self.conn.prepare_cached("SELECT id FROM records WHERE tbl = ?1 ORDER BY id").map_err(self.db_err())?;
        let ids =
            stmt.query_map(params![table], |r| r.get(0)).map_err(self.db_err())?.collect::<Result<Vec<String>, _>>();
        ids.map_err(self.db_err())
    }

    /// How many records a table has ever held (deleted ones too, so numbers counted from it
    /// never repeat), without opening them.
    pub(crate) fn count(&self, table: &str) -> Result<u64, VaultError> {
        let mut stmt =
            self.conn.prepare_cached("SELECT COUNT(*) FROM records WHERE tbl = ?1").map_err(self.db_err())?;
        stmt.query_row(params![table], |r| r.get(0)).map_err(self.db_err())
    }

    /// Opens every record of every table and checks it against the revision index; returns
    /// one problem per damaged item (an empty list when all is well).
    pub(crate) fn verify(&self, key: &DataKey) -> Result<Vec<VaultError>, VaultError> {
        let mut problems = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        let tables: Vec<String> = {
            let mut stmt = self.conn.prepare("SELECT DISTINCT tbl FROM records").map_err(self.db_err())?;
            let t = stmt.query_map([], |r| r.get(0)).map_err(self.db_err())?.collect::<Result<Vec<String>, _>>();
            t.map_err(self.db_err())?
        };
        for table in tables {
            // Tombstones too: each is checked like any record (and then reads as absent).
            for id in self.ids(&table)? {
                seen.insert(item_name(&table, &id));
                if let Err(e) = self.get(key, &table, &id) {
                    problems.push(e);
                }
            }
        }
        for name in self.revisions.names().filter(|n| !seen.contains(*n)) {
            problems.push(VaultError::Tampered {
                item: name.clone(),
                kind: Damage::Missing,
                reason: "the record is missing".to_owned(),
            });
        }
        // The index's own damage, found when it was read (it is sealed again by the next write).
        problems.extend(
            self.damaged().into_iter().filter(|e| matches!(e, VaultError::Tampered { kind: Damage::Index, .. })),
        );
        Ok(problems)
    }

    fn open_row(&self, key: &DataKey, table: &str, row: RawRow) -> Result<Record, VaultError> {
        let name = item_name(table, &row.id);
        let tampered =
            |kind: Damage, reason: &str| VaultError::Tampered { item: name.clone(), kind, reason: reason.to_owned() };
        let revision = u64::try_from(row.revision).map_err(|_| tampered(Damage::Altered, "invalid revision"))?;
        let schema_version =
            u32::try_from(row.schema_version).map_err(|_| tampered(Damage::Altered, "invalid schema version"))?;
        match self.revisions.get(&name) {
            Some(expected) if expected == revision => {}
            Some(expected) if expected > revision => {
                return Err(tampered(
                    Damage::RolledBack,
                    &format!("revision {revision} was put back in place of revision {expected}"),
                ));
            }
            _ => return Err(tampered(Damage::Foreign, "the record was not written by this vault")),
        }
        let aad = record_aad(table, &row.id, schema_version, revision);
        let plaintext = open(&record_key(key, table, &row.id), &aad, &row.nonce, row.ciphertext)
            .ok_or_else(|| tampered(Damage::Altered, "its ciphertext was altered or belongs to another record"))?;
        Ok(Record {
            table: table.to_owned(),
            id: row.id,
            schema_version,
            revision,
            updated_at: row.updated_at,
            plaintext,
        })
    }
}

struct RawRow {
    id: String,
    schema_version: i64,
    revision: i64,
    nonce: Vec<u8>,
    ciphertext: Vec<u8>,
    updated_at: i64,
}

/// Where index damage, once found, is kept (sealed records like any other).
const HEALTH: &str = "vault_health";

/// A part of the revision index found damaged, as recorded in [`HEALTH`].
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct IndexDamageMarker {
    item: String,
    reason: String,
    found_at: i64,
}

/// The schema version of a deleted record: a sealed, empty revision (a tombstone). The
/// revision index keeps counting it, so putting the deleted record back is caught as a
/// rollback like any other; its id is not used again (`put_expecting` with 0 is a conflict).
pub const TOMBSTONE: u32 = 0;

/// How an item is named in errors: `table/id` (ids are opaque, never user content).
pub(crate) fn item_name(table: &str, id: &str) -> String {
    format!("{table}/{id}")
}

fn revision_to_sql(revision: u64) -> i64 {
    i64::try_from(revision).unwrap_or(i64::MAX)
}

fn record_aad(table: &str, id: &str, schema_version: u32, revision: u64) -> Vec<u8> {
    format!("courtside/v1/record|{table}|{id}|{schema_version}|{revision}").into_bytes()
}

fn record_key(key: &DataKey, table: &str, id: &str) -> Zeroizing<[u8; KEY_LEN]> {
    derive(key, &[b"courtside/v1/record-key|", table.as_bytes(), b"|", id.as_bytes()])
}

/// HKDF-SHA256 of the data key with `info`: one independent key per purpose and item.
pub(crate) fn derive(key: &DataKey, info: &[&[u8]]) -> Zeroizing<[u8; KEY_LEN]> {
    struct Len;
    impl hkdf::KeyType for Len {
        fn len(&self) -> usize {
            KEY_LEN
        }
    }
    let prk = hkdf::Prk::new_less_safe(hkdf::HKDF_SHA256, &key.0);
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    #[allow(clippy::unwrap_used, reason = "HKDF-SHA256 can always expand 32 bytes")]
    prk.expand(info, Len).unwrap().fill(out.as_mut()).unwrap();
    out
}

fn aead(key: &[u8; KEY_LEN]) -> LessSafeKey {
    #[allow(clippy::unwrap_used, reason = "a 32-byte key is always valid for AES-256-GCM")]
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).unwrap())
}

pub(crate) fn seal(
    key: &[u8; KEY_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<([u8; NONCE_LEN], Vec<u8>), VaultError> {
    let nonce: [u8; NONCE_LEN] = random_bytes()?;
    let mut buf = Vec::with_capacity(plaintext.len() + AES_256_GCM.tag_len());
    buf.extend_from_slice(plaintext);
    aead(key)
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut buf)
        .map_err(|_| VaultError::Random)?;
    Ok((nonce, buf))
}

pub(crate) fn open(key: &[u8; KEY_LEN], aad: &[u8], nonce: &[u8], ciphertext: Vec<u8>) -> Option<Zeroizing<Vec<u8>>> {
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut buf = Zeroizing::new(ciphertext);
    let len = aead(key).open_in_place(nonce, Aad::from(aad), &mut buf).ok()?.len();
    buf.truncate(len);
    Some(buf)
}
