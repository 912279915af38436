//! Sealed records in SQLite.
//!
//! A row shows nothing but two opaque names and a sealed envelope:
//! - the table and the id are keyed HMACs ([`RowName`]): a row does not say what kind of
//!   thing it holds, which case it belongs to, or which version of a draft it is;
//! - the envelope holds the table, the id, the schema version, the revision, the time of the
//!   write and the content, zero-padded to a size bucket ([`padded_len`]), so the stored
//!   length tells a draft's size only to within about a tenth;
//! - it is sealed with AES-256-GCM under the row's own key (HKDF of the data key over the
//!   two names), with the names as associated data: a ciphertext moved to another row does
//!   not open.
//!
//! A sealed **revision index** (every record's latest revision) catches a row put back to an
//! older revision. What is still visible: how many rows each (unnamed) table holds, and the
//! index's own write counts (docs/threat-model.md, "Residual leakage").

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hkdf;
use rusqlite::{Connection, OptionalExtension, params};
use zeroize::Zeroizing;

use crate::keys::{DataKey, KEY_LEN, random_bytes};
use crate::revisions::{RevisionIndex, TableIndex};
use crate::{Damage, VaultError};

/// The first schema: every column but the ciphertext in the clear (vaults of 2026-11 and
/// before). Kept to create the tables that later steps change.
const SCHEMA_1: &str = "
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
";

/// Schema 2: opaque row names, everything else inside the padded envelope.
const SCHEMA_2_RECORDS: &str = "
    CREATE TABLE records_v2 (
        tbl TEXT NOT NULL,
        id TEXT NOT NULL,
        nonce BLOB NOT NULL,
        ciphertext BLOB NOT NULL,
        PRIMARY KEY (tbl, id)
    ) STRICT;
";

/// `PRAGMA user_version` of a vault this app writes: 1, the first schema; 2, records resealed
/// with opaque names; 3, blob files renamed to opaque names (done by [`crate::Vault`] once the
/// records can be written, see `blobs::rename_to_opaque_names`); 4, the revision index in
/// format 2 (per-table buckets that split as they grow; written at open, see
/// [`RecordStore::open`]).
pub(crate) const SCHEMA_VERSION: usize = 4;
/// The version whose revision index is format 1 (64 buckets over every table).
const BLOBS_RENAMED: usize = 3;
/// The version after which only the blob files are left to migrate.
pub(crate) const RECORDS_RESEALED: usize = 2;

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
    /// Names rows and blob files.
    pub(crate) namer: Namer,
    /// `PRAGMA user_version` as this store left it.
    schema_version: usize,
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
        if found > SCHEMA_VERSION {
            return Err(VaultError::Corrupt {
                path,
                reason: format!("schema version {found} is newer than this app ({SCHEMA_VERSION})"),
            });
        }
        if found < RECORDS_RESEALED {
            let tx = conn.transaction().map_err(db)?;
            if found < 1 {
                tx.execute_batch(SCHEMA_1).map_err(db)?;
            }
            reseal_schema_1_records(&tx, data_key).map_err(db)?;
            tx.pragma_update(None, "user_version", RECORDS_RESEALED).map_err(db)?;
            tx.commit().map_err(db)?;
            if found >= 1 {
                // What the first schema showed must not linger in freed pages or the log.
                conn.execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);").map_err(db)?;
            }
        }
        // Read in one snapshot: another handle of this process may be committing.
        conn.execute_batch("BEGIN DEFERRED").map_err(db)?;
        let loaded = conn
            .pragma_query_value(None, "data_version", |r| r.get::<_, i64>(0))
            .map_err(db)
            .and_then(|v| RevisionIndex::load(&conn, data_key).map(|r| (v, r)));
        let _ = conn.execute_batch("COMMIT");
        let (data_version, (revisions, index_damage)) = loaded?;
        let schema_version = found.max(RECORDS_RESEALED);
        let namer = Namer::new(data_key);
        let mut store =
            Self { conn, path, revisions, namer, schema_version, data_version, damaged: std::cell::RefCell::default() };
        store.note_index_damage(index_damage);
        if store.revisions.is_format_1() {
            // The index is written again as format 2 in one transaction (a crash leaves format
            // 1 in place, read again at the next open). A vault whose blob files are still to
            // be renamed reaches version 4 once they are (`Vault::open`).
            store.begin_write(data_key)?;
            let written = store.write_staged(data_key, &[], crate::now_millis()).and_then(|_| {
                if found == BLOBS_RENAMED {
                    store.conn.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(store.db_err())?;
                }
                Ok(())
            });
            store.end_write(written)?;
            if found == BLOBS_RENAMED {
                store.schema_version = SCHEMA_VERSION;
            }
        }
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

    /// `PRAGMA user_version`: below [`SCHEMA_VERSION`] while the blob files still have to be
    /// renamed.
    pub(crate) fn schema_version(&self) -> usize {
        self.schema_version
    }

    /// Records that the last migration step is done.
    pub(crate) fn set_schema_version(&mut self, version: usize) -> Result<(), VaultError> {
        self.conn.pragma_update(None, "user_version", version).map_err(self.db_err())?;
        self.schema_version = version;
        Ok(())
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

    /// The latest revision of a record, as the index says (`None`: never written); damage met
    /// while reading the index is remembered.
    fn indexed(&self, key: &DataKey, table: &str, id: &str) -> Result<Option<u64>, VaultError> {
        let found = self.revisions.get(&self.conn, key, table, id);
        self.note_index_damage(self.revisions.take_found());
        found
    }

    /// A table's whole index; damage met while reading it is remembered.
    fn table_index(&self, key: &DataKey, table: &str) -> Result<TableIndex, VaultError> {
        let found = self.revisions.table(&self.conn, key, table);
        self.note_index_damage(self.revisions.take_found());
        found
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
    pub(crate) fn revision_of(&self, key: &DataKey, table: &str, id: &str) -> Result<u64, VaultError> {
        Ok(self.indexed(key, table, id)?.unwrap_or(0))
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
        let mut updates: Vec<(String, String, u64)> = Vec::with_capacity(writes.len());
        let mut sealed = Vec::with_capacity(writes.len());
        for w in writes {
            let previous = updates.iter().rev().find(|(t, id, _)| t == w.table && id == w.id).map(|(_, _, r)| *r);
            let revision = match previous {
                Some(r) => r,
                None => self.indexed(key, w.table, w.id)?.unwrap_or(0),
            } + 1;
            let row = self.namer.row(w.table, w.id);
            let envelope = Envelope {
                table: w.table,
                id: w.id,
                schema_version: w.schema_version,
                revision,
                updated_at: now,
                content: w.plaintext,
            };
            let (nonce, ciphertext) = seal(&row.key(key), &row.aad(), &envelope.encode())?;
            updates.push((w.table.to_owned(), w.id.to_owned(), revision));
            sealed.push((revision, row, nonce, ciphertext));
        }
        let staged = self.revisions.stage(&self.conn, key, &updates)?;
        self.note_index_damage(self.revisions.take_found());
        let err = self.db_err();
        {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "INSERT INTO records (tbl, id, nonce, ciphertext) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (tbl, id) DO UPDATE SET nonce = ?3, ciphertext = ?4",
                )
                .map_err(&err)?;
            for (_, row, nonce, ciphertext) in &sealed {
                stmt.execute(params![row.table, row.id, nonce.as_slice(), ciphertext]).map_err(&err)?;
            }
        }
        RevisionIndex::write(&self.conn, &staged).map_err(&err)?;
        self.revisions.apply(staged);
        {
            // A new revision replaces a damaged one (a restored copy, a re-entered case).
            let mut damaged = self.damaged.borrow_mut();
            for (table, id, _) in &updates {
                damaged.remove(&item_name(table, id));
            }
        }
        Ok(sealed.into_iter().map(|(r, _, _, _)| r).collect())
    }

    /// Reads and opens one record; `None` when it does not exist.
    pub(crate) fn get(&self, key: &DataKey, table: &str, id: &str) -> Result<Option<Record>, VaultError> {
        let name = self.namer.row(table, id);
        let row = self
            .conn
            .query_row(
                "SELECT nonce, ciphertext FROM records WHERE tbl = ?1 AND id = ?2",
                params![name.table, name.id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(self.db_err())?;
        match row {
            // A deleted record is a sealed, empty revision: checked like any other, then absent.
            Some((nonce, ciphertext)) => {
                let row = RawRow { name, nonce, ciphertext };
                let lookup = |_: &str, _: &str| self.indexed(key, table, id);
                match self.open_row(key, row, &item_name(table, id), Some((table, id)), lookup) {
                    Ok(record) if record.schema_version == TOMBSTONE => Ok(None),
                    Ok(record) => Ok(Some(record)),
                    Err(e) => Err(self.note(e)),
                }
            }
            None if self.indexed(key, table, id)?.is_some() => Err(self.note(VaultError::Tampered {
                item: item_name(table, id),
                kind: Damage::Missing,
                reason: "the record is missing".to_owned(),
            })),
            None => Ok(None),
        }
    }

    /// Every record of a table, opened, in id order.
    pub(crate) fn list(&self, key: &DataKey, table: &str) -> Result<Vec<Record>, VaultError> {
        let rows = self.rows(Some(&self.namer.table(table)))?;
        let index = self.table_index(key, table)?;
        // Computed only when a row does not open: it costs a keyed hash per record.
        let names = std::cell::OnceCell::new();
        // A damaged record is left out (and remembered, for [`Vault::damaged`]) rather than
        // making the whole table unreadable.
        let mut opened = Vec::with_capacity(rows.len());
        for row in rows {
            let name = row.name.clone();
            match self.open_row(key, row, "", None, |_, id| Ok(index.get(id))) {
                Ok(record) if record.schema_version == TOMBSTONE => {}
                Ok(record) => opened.push(record),
                Err(VaultError::Tampered { item, kind, reason }) => {
                    let item = if item.is_empty() {
                        let names = names.get_or_init(|| self.index_names(table, &index));
                        names.get(&name).cloned().unwrap_or_else(|| format!("{table}/{}", name.id))
                    } else {
                        item
                    };
                    self.note(VaultError::Tampered { item, kind, reason });
                }
                Err(e) => return Err(e),
            }
        }
        opened.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(opened)
    }

    /// The rows of one table (by its opaque name), or of every table, as stored.
    fn rows(&self, table: Option<&str>) -> Result<Vec<RawRow>, VaultError> {
        let map = |r: &rusqlite::Row<'_>| {
            Ok(RawRow { name: RowName { table: r.get(0)?, id: r.get(1)? }, nonce: r.get(2)?, ciphertext: r.get(3)? })
        };
        let rows = if let Some(t) = table {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT tbl, id, nonce, ciphertext FROM records WHERE tbl = ?1")
                .map_err(self.db_err())?;
            stmt.query_map(params![t], map).map_err(self.db_err())?.collect::<Result<Vec<_>, _>>()
        } else {
            let mut stmt =
                self.conn.prepare("SELECT tbl, id, nonce, ciphertext FROM records").map_err(self.db_err())?;
            stmt.query_map([], map).map_err(self.db_err())?.collect::<Result<Vec<_>, _>>()
        };
        rows.map_err(self.db_err())
    }

    /// The names a table's index knows, by their rows' opaque names: a row that does not
    /// open cannot say whose it is, the index can.
    fn index_names(&self, table: &str, index: &TableIndex) -> BTreeMap<RowName, String> {
        index.ids().map(|id| (self.namer.row(table, id), item_name(table, id))).collect()
    }

    /// How many records a table has ever held (deleted ones too, so numbers counted from it
    /// never repeat), without opening them.
    pub(crate) fn count(&self, table: &str) -> Result<u64, VaultError> {
        let mut stmt =
            self.conn.prepare_cached("SELECT COUNT(*) FROM records WHERE tbl = ?1").map_err(self.db_err())?;
        stmt.query_row(params![self.namer.table(table)], |r| r.get(0)).map_err(self.db_err())
    }

    /// Opens every record of every table and checks it against the revision index; returns
    /// one problem per damaged item (an empty list when all is well).
    pub(crate) fn verify(&self, key: &DataKey) -> Result<Vec<VaultError>, VaultError> {
        let mut problems = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        let tables: Vec<String> = self.revisions.tables().cloned().collect();
        let mut indexes = BTreeMap::new();
        for table in tables {
            let index = self.table_index(key, &table)?;
            indexes.insert(table, index);
        }
        let names: BTreeMap<RowName, String> =
            indexes.iter().flat_map(|(table, index)| self.index_names(table, index)).collect();
        let lookup = |table: &str, id: &str| Ok(indexes.get(table).and_then(|index| index.get(id)));
        // Tombstones too: each is checked like any record (and then reads as absent).
        for row in self.rows(None)? {
            let item = names.get(&row.name).cloned().unwrap_or_else(|| format!("records/{}", row.name.id));
            match self.open_row(key, row, &item, None, lookup) {
                Ok(record) => {
                    seen.insert(item_name(&record.table, &record.id));
                }
                Err(e) => {
                    seen.insert(item);
                    problems.push(self.note(e));
                }
            }
        }
        let indexed = indexes.iter().flat_map(|(table, index)| index.ids().map(|id| item_name(table, id)));
        for name in indexed.filter(|n| !seen.contains(n)) {
            problems.push(VaultError::Tampered {
                item: name,
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

    /// Opens a row and checks it against the revision index; `item` names it in errors until
    /// the envelope says whose it is. `requested` is the table and id the row's names were
    /// computed from, when they were (then the envelope's are compared as they are, not
    /// hashed again). `indexed` gives a record's latest revision by its table and id.
    fn open_row(
        &self,
        key: &DataKey,
        row: RawRow,
        item: &str,
        requested: Option<(&str, &str)>,
        indexed: impl FnOnce(&str, &str) -> Result<Option<u64>, VaultError>,
    ) -> Result<Record, VaultError> {
        let tampered = |kind: Damage, reason: &str| VaultError::Tampered {
            item: item.to_owned(),
            kind,
            reason: reason.to_owned(),
        };
        let plain = open(&row.name.key(key), &row.name.aad(), &row.nonce, row.ciphertext)
            .ok_or_else(|| tampered(Damage::Altered, "its ciphertext was altered or belongs to another record"))?;
        let record = Envelope::decode(plain).ok_or_else(|| tampered(Damage::Altered, "its envelope is malformed"))?;
        // Sealed under these names by this vault, so the names inside are the row's; a
        // mismatch would be a bug, not an attack, and is refused all the same.
        let theirs = match requested {
            Some((table, id)) => record.table == table && record.id == id,
            None => self.namer.row(&record.table, &record.id) == row.name,
        };
        if !theirs {
            return Err(tampered(Damage::Foreign, "the record was not written by this vault"));
        }
        let name = item_name(&record.table, &record.id);
        let tampered =
            |kind: Damage, reason: &str| VaultError::Tampered { item: name.clone(), kind, reason: reason.to_owned() };
        match indexed(&record.table, &record.id)? {
            Some(expected) if expected == record.revision => Ok(record),
            Some(expected) if expected > record.revision => Err(tampered(
                Damage::RolledBack,
                &format!("revision {} was put back in place of revision {expected}", record.revision),
            )),
            _ => Err(tampered(Damage::Foreign, "the record was not written by this vault")),
        }
    }
}

/// A row as stored: its opaque names and its sealed envelope.
pub(crate) struct RawRow {
    pub(crate) name: RowName,
    pub(crate) nonce: Vec<u8>,
    pub(crate) ciphertext: Vec<u8>,
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

/// Keyed names for what would otherwise say what a row is: tables, record ids and blob files
/// are named by HMAC-SHA256 under a key derived from the data key, cut to 128 bits.
pub(crate) struct Namer(ring::hmac::Key);

impl Namer {
    pub(crate) fn new(key: &DataKey) -> Self {
        let k = derive(key, &[b"courtside/v2/opaque-names"]);
        Self(ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &*k))
    }

    fn name(&self, parts: &[&[u8]]) -> String {
        let mut ctx = ring::hmac::Context::with_key(&self.0);
        for part in parts {
            // Length-prefixed, so no two lists of parts sign the same bytes.
            ctx.update(&(part.len() as u64).to_be_bytes());
            ctx.update(part);
        }
        crate::blobs::hex(&ctx.sign().as_ref()[..16])
    }

    /// The stored name of a table.
    pub(crate) fn table(&self, table: &str) -> String {
        self.name(&[b"table", table.as_bytes()])
    }

    /// The stored names of a record.
    pub(crate) fn row(&self, table: &str, id: &str) -> RowName {
        RowName { table: self.table(table), id: self.name(&[b"record", table.as_bytes(), id.as_bytes()]) }
    }

    /// The file name of a blob.
    pub(crate) fn blob(&self, id: &str) -> String {
        self.name(&[b"blob", id.as_bytes()])
    }
}

/// A row's two opaque names, as stored in its `tbl` and `id` columns.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct RowName {
    pub(crate) table: String,
    pub(crate) id: String,
}

impl RowName {
    /// The row's own key (HKDF of the data key over its names).
    pub(crate) fn key(&self, key: &DataKey) -> Zeroizing<[u8; KEY_LEN]> {
        derive(key, &[b"courtside/v2/record-key|", self.table.as_bytes(), b"|", self.id.as_bytes()])
    }

    /// Associated data: the ciphertext opens only in this row.
    pub(crate) fn aad(&self) -> Vec<u8> {
        format!("courtside/v2/record|{}|{}", self.table, self.id).into_bytes()
    }
}

/// What a row seals: the record's names, versions and time, its content, and zero padding.
///
/// Layout: format byte 2; schema version (u32), revision (u64) and write time (i64), little
/// endian; the table (u8 length), the id (u16 length) and the content (u32 length), each
/// after its length; zeros up to [`padded_len`].
pub(crate) struct Envelope<'a> {
    pub(crate) table: &'a str,
    pub(crate) id: &'a str,
    pub(crate) schema_version: u32,
    pub(crate) revision: u64,
    pub(crate) updated_at: i64,
    pub(crate) content: &'a [u8],
}

const ENVELOPE_FORMAT: u8 = 2;

impl Envelope<'_> {
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        // Table names are the app's constants and ids are short: both fit their lengths.
        let table = &self.table.as_bytes()[..self.table.len().min(usize::from(u8::MAX))];
        let id = &self.id.as_bytes()[..self.id.len().min(usize::from(u16::MAX))];
        let len = 1 + 4 + 8 + 8 + 1 + table.len() + 2 + id.len() + 4 + self.content.len();
        let mut out = Zeroizing::new(Vec::with_capacity(padded_len(len) + 16));
        out.push(ENVELOPE_FORMAT);
        out.extend_from_slice(&self.schema_version.to_le_bytes());
        out.extend_from_slice(&self.revision.to_le_bytes());
        out.extend_from_slice(&self.updated_at.to_le_bytes());
        out.push(u8::try_from(table.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(table);
        out.extend_from_slice(&u16::try_from(id.len()).unwrap_or(u16::MAX).to_le_bytes());
        out.extend_from_slice(id);
        out.extend_from_slice(&u32::try_from(self.content.len()).unwrap_or(u32::MAX).to_le_bytes());
        out.extend_from_slice(self.content);
        out.resize(padded_len(len), 0);
        out
    }

    /// Reads an opened envelope into a record (its content moved to the front of the same
    /// buffer, so the plaintext is never copied); `None` when it is malformed.
    pub(crate) fn decode(mut plain: Zeroizing<Vec<u8>>) -> Option<Record> {
        let mut at = 0usize;
        let mut take = |n: usize| -> Option<std::ops::Range<usize>> {
            let r = at..at.checked_add(n)?;
            (r.end <= plain.len()).then(|| {
                at = r.end;
                r
            })
        };
        let format = take(1)?;
        let schema = take(4)?;
        let revision = take(8)?;
        let updated = take(8)?;
        let table_len = take(1)?;
        let (format, table_len) = (plain[format.start], usize::from(plain[table_len.start]));
        if format != ENVELOPE_FORMAT {
            return None;
        }
        let table = take(table_len)?;
        let id_len = take(2)?;
        let id = take(usize::from(u16::from_le_bytes(plain[id_len].try_into().ok()?)))?;
        let content_len = take(4)?;
        let content = take(usize::try_from(u32::from_le_bytes(plain[content_len].try_into().ok()?)).ok()?)?;
        if plain[content.end..].iter().any(|&b| b != 0) {
            return None;
        }
        let table = std::str::from_utf8(&plain[table]).ok()?.to_owned();
        let id = std::str::from_utf8(&plain[id]).ok()?.to_owned();
        let schema_version = u32::from_le_bytes(plain[schema].try_into().ok()?);
        let revision = u64::from_le_bytes(plain[revision].try_into().ok()?);
        let updated_at = i64::from_le_bytes(plain[updated].try_into().ok()?);
        let len = content.len();
        plain.copy_within(content, 0);
        plain.truncate(len);
        Some(Record { table, id, schema_version, revision, updated_at, plaintext: plain })
    }
}

/// The smallest sealed envelope: a short record is as long as an empty one.
const MIN_ENVELOPE: usize = 256;

/// The length an envelope of `len` bytes is padded to: at least [`MIN_ENVELOPE`], then the
/// Padmé rule (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and
/// Communication with PURBs", PETS 2019): keep only the top ⌊log₂ E⌋ + 1 bits of the length's
/// ⌊log₂ L⌋ = E, rounding up. It costs at most about 12% and leaks O(log log L) bits.
pub(crate) fn padded_len(len: usize) -> usize {
    let len = len.max(MIN_ENVELOPE);
    let e = usize::BITS - 1 - len.leading_zeros();
    let s = u32::BITS - e.leading_zeros();
    let mask = (1usize << (e - s)) - 1;
    (len + mask) & !mask
}

/// Migration from the first schema, inside the caller's transaction: every record is opened
/// as that schema sealed it (key and associated data over its plain table and id) and sealed
/// again in a new table with opaque names. A record that does not open is not carried over:
/// the revision index still names it, so it is reported missing, as it was unreadable before.
fn reseal_schema_1_records(tx: &rusqlite::Transaction<'_>, key: &DataKey) -> rusqlite::Result<()> {
    tx.execute_batch(SCHEMA_2_RECORDS)?;
    let namer = Namer::new(key);
    {
        let mut read =
            tx.prepare("SELECT tbl, id, schema_version, revision, nonce, ciphertext, updated_at FROM records")?;
        let mut write = tx.prepare("INSERT INTO records_v2 (tbl, id, nonce, ciphertext) VALUES (?1, ?2, ?3, ?4)")?;
        let mut rows = read.query([])?;
        while let Some(r) = rows.next()? {
            let (table, id): (String, String) = (r.get(0)?, r.get(1)?);
            let (schema_version, revision): (i64, i64) = (r.get(2)?, r.get(3)?);
            let (nonce, ciphertext, updated_at): (Vec<u8>, Vec<u8>, i64) = (r.get(4)?, r.get(5)?, r.get(6)?);
            let (Ok(schema_version), Ok(revision)) = (u32::try_from(schema_version), u64::try_from(revision)) else {
                continue;
            };
            let aad = format!("courtside/v1/record|{table}|{id}|{schema_version}|{revision}");
            let schema_1_key = derive(key, &[b"courtside/v1/record-key|", table.as_bytes(), b"|", id.as_bytes()]);
            let Some(content) = open(&schema_1_key, aad.as_bytes(), &nonce, ciphertext) else { continue };
            let row = namer.row(&table, &id);
            let envelope = Envelope { table: &table, id: &id, schema_version, revision, updated_at, content: &content };
            let (nonce, ciphertext) = seal(&row.key(key), &row.aad(), &envelope.encode())
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
            write.execute(params![row.table, row.id, nonce.as_slice(), ciphertext])?;
        }
    }
    tx.execute_batch("DROP TABLE records; ALTER TABLE records_v2 RENAME TO records;")
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

/// The table, id and stored revision of every record (of one table, by its opaque name, or
/// of all) whose row opens: for rebuilding a damaged part of the revision index.
pub(crate) fn stored_revisions(
    conn: &Connection,
    key: &DataKey,
    opaque_table: Option<&str>,
) -> rusqlite::Result<Vec<(String, String, u64)>> {
    let mut stmt = conn.prepare("SELECT tbl, id, nonce, ciphertext FROM records WHERE ?1 IS NULL OR tbl = ?1")?;
    let rows = stmt.query_map(params![opaque_table], |r| {
        Ok(RawRow { name: RowName { table: r.get(0)?, id: r.get(1)? }, nonce: r.get(2)?, ciphertext: r.get(3)? })
    })?;
    let mut out = Vec::new();
    for row in rows {
        let row = row?;
        let opened = open(&row.name.key(key), &row.name.aad(), &row.nonce, row.ciphertext).and_then(Envelope::decode);
        if let Some(record) = opened {
            out.push((record.table, record.id, record.revision));
        }
    }
    Ok(out)
}

/// For the fuzz target `vault_files`: a database of today's schema in memory, with rows an
/// attacker wrote (index rows of format 1 or 2 by slot, or record rows), read as the vault
/// reads them at open and then on demand. Never a panic, whatever the rows hold.
pub(crate) fn fuzz_index(key: &DataKey, rows: &[(u8, i64, &[u8])]) {
    let Ok(mut conn) = Connection::open_in_memory() else { return };
    let Ok(tx) = conn.transaction() else { return };
    if tx.execute_batch(SCHEMA_1).is_err() || reseal_schema_1_records(&tx, key).is_err() || tx.commit().is_err() {
        return;
    }
    let namer = Namer::new(key);
    for (slot, revision, bytes) in rows {
        let (nonce, ciphertext) = bytes.split_at(bytes.len().min(12));
        let meta = |name: String| {
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, revision, nonce, ciphertext) VALUES (?1, ?2, ?3, ?4)",
                params![name, revision, nonce, ciphertext],
            )
        };
        let _ = match slot % 70 {
            0 => meta("revisions/root".to_owned()),
            65 => conn.execute(
                "INSERT OR REPLACE INTO records (tbl, id, nonce, ciphertext) VALUES (?1, ?2, ?3, ?4)",
                params![namer.table("cases"), format!("{:x}", bytes.len()), nonce, ciphertext],
            ),
            b @ 66..=69 => meta(format!("revisions/{}/{}", namer.table("cases"), b - 66)),
            b => meta(format!("revisions/{:02}", b - 1)),
        };
    }
    if let Ok((index, _)) = RevisionIndex::load(&conn, key) {
        let _ = index.get(&conn, key, "cases", "c1");
        let _ = index.table(&conn, key, "cases");
        let _ = index.stage(&conn, key, &[("cases".to_owned(), "c2".to_owned(), 1)]);
    }
    let _ = stored_revisions(&conn, key, None);
}
