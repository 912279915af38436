//! The sealed revision index: every record's latest revision, so that a row put back to an
//! older revision (or deleted) is caught.
//!
//! Format 2 (ADR 0059). Each table's records are spread over its own sealed buckets by
//! linear hashing of the record's id; one sealed root holds, per table, how many names it
//! has and each bucket's revision. A bucket splits in two when its table passes [`CAP`]
//! names per bucket, so a write re-seals one bucket of at most about 2 × [`CAP`] names and
//! the root, whatever the size of the vault; a bucket put back to an older copy no longer
//! matches the root.
//!
//! Opening reads only the root (and the buckets' stored revisions, to catch a bucket put
//! back). A bucket is read when a record of it is first asked for, and kept in a bounded
//! cache; listing a table reads that table's buckets and lets them go. So neither the time to
//! open a vault nor the memory it holds grows with the records it has.
//!
//! Format 1 (64 fixed buckets over every table, whole index in memory) is read once and
//! written again as format 2 when the vault is opened.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::keys::{DataKey, KEY_LEN};
use crate::records::{Namer, derive, open, seal};
use crate::{Damage, VaultError};

/// Names per bucket, on average, above which a table's next bucket is split.
pub(crate) const CAP: usize = 256;
/// Buckets kept in memory once read (about 2 MB at [`CAP`] names of ~30 bytes each).
const CACHE_BUCKETS: usize = 256;
const ROOT: &str = "revisions/root";
const FORMAT: u32 = 2;
/// Format 1's fixed number of buckets.
const FORMAT_1_BUCKETS: usize = 64;

/// One bucket: record id → latest revision.
type Bucket = BTreeMap<String, u64>;
/// A bucket's place: its table and number.
type BucketKey = (String, usize);

/// A part of the index found damaged: its name, and what is wrong.
pub(crate) type IndexDamage = (String, String);

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct TableRoot {
    /// Names the table's buckets hold (deleted records' too).
    entries: u64,
    /// Each bucket's revision, by bucket number.
    buckets: Vec<u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Root {
    format: u32,
    tables: BTreeMap<String, TableRoot>,
}

/// Format 1's root.
#[derive(Deserialize)]
struct Format1Root {
    buckets: Vec<u64>,
}

pub(crate) struct RevisionIndex {
    root: Root,
    root_revision: u64,
    index_key: Zeroizing<[u8; KEY_LEN]>,
    namer: Namer,
    /// Buckets read since the index was loaded, up to [`CACHE_BUCKETS`].
    cache: RefCell<HashMap<BucketKey, Arc<Bucket>>>,
    /// Buckets the next write must seal, held here until then: rebuilt from the records after
    /// damage, or carried over from format 1.
    unsaved: RefCell<BTreeMap<BucketKey, Arc<Bucket>>>,
    /// Whether some of `unsaved` were rebuilt after damage (the next write records it).
    rebuilt: RefCell<bool>,
    /// The next write replaces every row of the index (after format 1, or a damaged root).
    rewrite_all: bool,
    /// The index was read from format 1: the migration at open writes it as format 2.
    from_format_1: bool,
    /// Damage met while reading buckets, not yet taken by the store.
    found: RefCell<Vec<IndexDamage>>,
}

/// Sealed rows ready to be written in the caller's transaction, and the state they make.
pub(crate) struct Staged {
    rows: Vec<(String, u64, [u8; 12], Vec<u8>)>,
    rewrite_all: bool,
    buckets: Vec<(BucketKey, Bucket)>,
    root: Root,
    root_revision: u64,
}

/// A table's whole index, read for a list or a check of every record.
pub(crate) struct TableIndex {
    buckets: Vec<Arc<Bucket>>,
}

impl TableIndex {
    /// The latest revision of the record `id` of this table, if it was ever written.
    pub(crate) fn get(&self, id: &str) -> Option<u64> {
        if self.buckets.is_empty() {
            return None;
        }
        self.buckets[address(id, self.buckets.len())].get(id).copied()
    }

    /// Every record id the table's index knows.
    pub(crate) fn ids(&self) -> impl Iterator<Item = &String> {
        self.buckets.iter().flat_map(|b| b.keys())
    }
}

impl RevisionIndex {
    fn empty(key: &DataKey) -> Self {
        Self {
            root: Root { format: FORMAT, tables: BTreeMap::new() },
            root_revision: 0,
            index_key: index_key(key),
            namer: Namer::new(key),
            cache: RefCell::default(),
            unsaved: RefCell::default(),
            rebuilt: RefCell::new(false),
            rewrite_all: false,
            from_format_1: false,
            found: RefCell::default(),
        }
    }

    /// Reads the index's root. A damaged part of the index (a bucket or the root altered, put
    /// back or missing) does not stop the vault from opening: that part is rebuilt from the
    /// records as they are, reported, and sealed again by the next write. The records it
    /// covers still open (each is sealed on its own); only an older copy of them put back can
    /// no longer be told from the current one until then.
    pub(crate) fn load(conn: &Connection, key: &DataKey) -> Result<(Self, Vec<IndexDamage>), VaultError> {
        let db = |e: rusqlite::Error| VaultError::Tampered {
            item: "revision index".into(),
            kind: Damage::Index,
            reason: e.to_string(),
        };
        let mut index = Self::empty(key);
        let mut damage = Vec::new();
        let stored = stored_index_revisions(conn).map_err(db)?;
        match read(conn, &index.index_key, ROOT) {
            Ok(Some((revision, plain))) => {
                if let Ok(root) = serde_json::from_slice::<Root>(&plain)
                    && root.format == FORMAT
                    && root.tables.values().all(|t| !t.buckets.is_empty())
                {
                    index.root = root;
                    index.root_revision = revision;
                    index.rebuild_put_back(conn, key, &stored, &mut damage)?;
                } else if let Ok(old) = serde_json::from_slice::<Format1Root>(&plain)
                    && old.buckets.len() == FORMAT_1_BUCKETS
                {
                    index.carry_over_format_1(conn, key, &old.buckets, &stored, &mut damage)?;
                    index.from_format_1 = true;
                } else {
                    damage.push((ROOT.to_owned(), "its contents are malformed".to_owned()));
                    index.rebuild_all(conn, key, &stored).map_err(db)?;
                }
            }
            Ok(None) => {
                let records: i64 = conn.query_row("SELECT COUNT(*) FROM records", [], |r| r.get(0)).map_err(db)?;
                if records > 0 || !stored.is_empty() {
                    damage.push((ROOT.to_owned(), "missing".to_owned()));
                    index.rebuild_all(conn, key, &stored).map_err(db)?;
                }
            }
            Err(reason) => {
                damage.push((ROOT.to_owned(), reason));
                index.rebuild_all(conn, key, &stored).map_err(db)?;
            }
        }
        Ok((index, damage))
    }

    /// Buckets whose stored revision is not the one the root expects (put back, or missing)
    /// are rebuilt now; a bucket altered in place is found when it is first read.
    fn rebuild_put_back(
        &mut self,
        conn: &Connection,
        key: &DataKey,
        stored: &HashMap<String, u64>,
        damage: &mut Vec<IndexDamage>,
    ) -> Result<(), VaultError> {
        let mut bad: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
        let mut raise = Vec::new();
        for (table, t) in &self.root.tables {
            let opaque = self.namer.table(table);
            for (n, expected) in t.buckets.iter().enumerate() {
                let name = bucket_name(&opaque, n);
                match stored.get(&name) {
                    Some(found) if found == expected => {}
                    Some(found) => {
                        damage.push((name, format!("revision {found} found where {expected} was expected")));
                        bad.entry(table.clone()).or_default().insert(n);
                        // The next write must seal a revision above any copy that was stored.
                        raise.push((table.clone(), n, *found));
                    }
                    None => {
                        damage.push((name, "missing".to_owned()));
                        bad.entry(table.clone()).or_default().insert(n);
                    }
                }
            }
        }
        for (table, n, found) in raise {
            if let Some(revision) = self.root.tables.get_mut(&table).and_then(|t| t.buckets.get_mut(n)) {
                *revision = (*revision).max(found);
            }
        }
        for (table, numbers) in bad {
            self.rebuild(conn, key, &table, &numbers)?;
        }
        Ok(())
    }

    /// Rebuilds some buckets of one table from its records (one pass over the table), keeps
    /// them for the next write, and returns them.
    fn rebuild(
        &self,
        conn: &Connection,
        key: &DataKey,
        table: &str,
        numbers: &BTreeSet<usize>,
    ) -> Result<Vec<(usize, Arc<Bucket>)>, VaultError> {
        let db = |e: rusqlite::Error| VaultError::Tampered {
            item: "revision index".into(),
            kind: Damage::Index,
            reason: e.to_string(),
        };
        let count = self.root.tables.get(table).map_or(1, |t| t.buckets.len());
        let opaque = self.namer.table(table);
        let mut rebuilt: BTreeMap<usize, Bucket> = numbers.iter().map(|n| (*n, Bucket::new())).collect();
        for (t, id, revision) in crate::records::stored_revisions(conn, key, Some(&opaque)).map_err(db)? {
            if t == table
                && let Some(bucket) = rebuilt.get_mut(&address(&id, count))
            {
                bucket.insert(id, revision);
            }
        }
        let mut out = Vec::new();
        let mut unsaved = self.unsaved.borrow_mut();
        for (n, bucket) in rebuilt {
            let bucket = Arc::new(bucket);
            unsaved.insert((table.to_owned(), n), Arc::clone(&bucket));
            out.push((n, bucket));
        }
        *self.rebuilt.borrow_mut() = true;
        Ok(out)
    }

    /// Without an intact root nothing says which bucket copies are current: the whole index
    /// is rebuilt from the records, and the next write replaces every row of it.
    fn rebuild_all(&mut self, conn: &Connection, key: &DataKey, stored: &HashMap<String, u64>) -> rusqlite::Result<()> {
        let mut by_table: BTreeMap<String, Vec<(String, u64)>> = BTreeMap::new();
        for (table, id, revision) in crate::records::stored_revisions(conn, key, None)? {
            by_table.entry(table).or_default().push((id, revision));
        }
        self.lay_out(by_table, stored);
        *self.rebuilt.borrow_mut() = true;
        Ok(())
    }

    /// Format 1: its 64 buckets are read (each checked against its root as before), and
    /// their names laid out as format 2, to be written by the migration at open.
    fn carry_over_format_1(
        &mut self,
        conn: &Connection,
        key: &DataKey,
        expected: &[u64],
        stored: &HashMap<String, u64>,
        damage: &mut Vec<IndexDamage>,
    ) -> Result<(), VaultError> {
        let db = |e: rusqlite::Error| VaultError::Tampered {
            item: "revision index".into(),
            kind: Damage::Index,
            reason: e.to_string(),
        };
        let rows: Vec<(usize, Result<Option<SealedRow>, String>)> =
            (0..FORMAT_1_BUCKETS).map(|i| (i, read_sealed(conn, &format_1_bucket_name(i)))).collect();
        let index_key = &self.index_key;
        let decoded = crate::parallel::map(&rows, |(i, row)| -> Result<Bucket, String> {
            let name = format_1_bucket_name(*i);
            let found = row.clone().and_then(|row| row.map(|row| open_sealed(index_key, &name, row)).transpose());
            match found {
                Ok(None) if expected[*i] == 0 => Ok(Bucket::new()),
                Ok(Some((revision, plain))) if revision == expected[*i] => {
                    serde_json::from_slice(&plain).map_err(|e| e.to_string())
                }
                Ok(Some((revision, _))) => {
                    Err(format!("revision {revision} found where {} was expected", expected[*i]))
                }
                Ok(None) => Err("missing".to_owned()),
                Err(e) => Err(e),
            }
        });
        let mut names: Vec<(String, u64)> = Vec::new();
        let mut damaged = BTreeSet::new();
        for (i, opened) in decoded.into_iter().enumerate() {
            match opened {
                Ok(bucket) => names.extend(bucket),
                Err(reason) => {
                    damage.push((format_1_bucket_name(i), reason));
                    damaged.insert(i);
                }
            }
        }
        if !damaged.is_empty() {
            // The records of the damaged buckets, as they are now.
            for (table, id, revision) in crate::records::stored_revisions(conn, key, None).map_err(db)? {
                let name = crate::records::item_name(&table, &id);
                if damaged.contains(&format_1_bucket_of(&name)) {
                    names.push((name, revision));
                }
            }
            *self.rebuilt.borrow_mut() = true;
        }
        let mut by_table: BTreeMap<String, Vec<(String, u64)>> = BTreeMap::new();
        for (name, revision) in names {
            if let Some((table, id)) = name.split_once('/') {
                by_table.entry(table.to_owned()).or_default().push((id.to_owned(), revision));
            }
        }
        self.lay_out(by_table, stored);
        Ok(())
    }

    /// Lays out every table's names as format 2 buckets, all kept for the next write, which
    /// replaces every row of the index; every revision it writes is above any stored one.
    fn lay_out(&mut self, by_table: BTreeMap<String, Vec<(String, u64)>>, stored: &HashMap<String, u64>) {
        let floor = stored.values().copied().max().unwrap_or(0);
        let mut unsaved = BTreeMap::new();
        let mut tables = BTreeMap::new();
        for (table, ids) in by_table {
            let count = ids.len().div_ceil(CAP).max(1);
            let mut buckets = vec![Bucket::new(); count];
            let entries = ids.len() as u64;
            for (id, revision) in ids {
                buckets[address(&id, count)].insert(id, revision);
            }
            for (n, bucket) in buckets.into_iter().enumerate() {
                unsaved.insert((table.clone(), n), Arc::new(bucket));
            }
            tables.insert(table, TableRoot { entries, buckets: vec![floor; count] });
        }
        self.root = Root { format: FORMAT, tables };
        self.root_revision = self.root_revision.max(floor);
        *self.unsaved.borrow_mut() = unsaved;
        self.rewrite_all = true;
    }

    /// Whether the index was read from format 1 and not written as format 2 yet (the
    /// migration at open does it).
    pub(crate) fn is_format_1(&self) -> bool {
        self.from_format_1
    }

    /// Whether some buckets were rebuilt after damage and are not sealed again yet.
    pub(crate) fn has_rebuilt(&self) -> bool {
        *self.rebuilt.borrow()
    }

    /// Damage met while reading buckets since the last call.
    pub(crate) fn take_found(&self) -> Vec<IndexDamage> {
        std::mem::take(&mut *self.found.borrow_mut())
    }

    /// The tables the index knows.
    pub(crate) fn tables(&self) -> impl Iterator<Item = &String> {
        self.root.tables.keys()
    }

    /// The latest revision of a record, if it was ever written.
    pub(crate) fn get(
        &self,
        conn: &Connection,
        key: &DataKey,
        table: &str,
        id: &str,
    ) -> Result<Option<u64>, VaultError> {
        let Some(t) = self.root.tables.get(table) else { return Ok(None) };
        let n = address(id, t.buckets.len());
        Ok(self.buckets(conn, key, table, &[n], true)?[0].get(id).copied())
    }

    /// A table's whole index (read for this call; kept only when the cache has room).
    pub(crate) fn table(&self, conn: &Connection, key: &DataKey, table: &str) -> Result<TableIndex, VaultError> {
        let count = self.root.tables.get(table).map_or(0, |t| t.buckets.len());
        let numbers: Vec<usize> = (0..count).collect();
        Ok(TableIndex { buckets: self.buckets(conn, key, table, &numbers, false)? })
    }

    /// Some buckets of one table, from what is held in memory or else opened (on every core);
    /// a bucket that is damaged is reported, rebuilt from the records and kept for the next
    /// write. `cache`: keep what was opened even if that means letting the cache go.
    fn buckets(
        &self,
        conn: &Connection,
        key: &DataKey,
        table: &str,
        numbers: &[usize],
        cache: bool,
    ) -> Result<Vec<Arc<Bucket>>, VaultError> {
        let mut out: Vec<Option<Arc<Bucket>>> = vec![None; numbers.len()];
        let mut wanted = Vec::new();
        {
            let unsaved = self.unsaved.borrow();
            let cached = self.cache.borrow();
            for (slot, n) in numbers.iter().enumerate() {
                let k = (table.to_owned(), *n);
                if let Some(b) = unsaved.get(&k).or_else(|| cached.get(&k)) {
                    out[slot] = Some(Arc::clone(b));
                } else {
                    wanted.push(slot);
                }
            }
        }
        if !wanted.is_empty() {
            let expected = self.root.tables.get(table).map(|t| t.buckets.clone()).unwrap_or_default();
            let opaque = self.namer.table(table);
            let rows: Vec<(usize, String, Result<Option<SealedRow>, String>)> = wanted
                .iter()
                .map(|slot| {
                    let n = numbers[*slot];
                    let name = bucket_name(&opaque, n);
                    let row = read_sealed(conn, &name);
                    (n, name, row)
                })
                .collect();
            let index_key = &self.index_key;
            let decoded = crate::parallel::map(&rows, |(n, name, row)| -> Result<Bucket, String> {
                let want = expected.get(*n).copied().unwrap_or(0);
                let found = row.clone().and_then(|row| row.map(|row| open_sealed(index_key, name, row)).transpose());
                match found {
                    Ok(None) if want == 0 => Ok(Bucket::new()),
                    Ok(Some((revision, plain))) if revision == want => {
                        serde_json::from_slice(&plain).map_err(|e| e.to_string())
                    }
                    Ok(Some((revision, _))) => Err(format!("revision {revision} found where {want} was expected")),
                    Ok(None) => Err("missing".to_owned()),
                    Err(e) => Err(e),
                }
            });
            let mut damaged = BTreeSet::new();
            let mut cached = self.cache.borrow_mut();
            let keep = cache || cached.len() + wanted.len() <= CACHE_BUCKETS;
            if cache && cached.len() + wanted.len() > CACHE_BUCKETS {
                cached.clear();
            }
            for ((slot, (n, name, _)), opened) in wanted.iter().zip(&rows).zip(decoded) {
                match opened {
                    Ok(bucket) => {
                        let bucket = Arc::new(bucket);
                        if keep {
                            cached.insert((table.to_owned(), *n), Arc::clone(&bucket));
                        }
                        out[*slot] = Some(bucket);
                    }
                    Err(reason) => {
                        self.found.borrow_mut().push((name.clone(), reason));
                        damaged.insert(*n);
                    }
                }
            }
            drop(cached);
            if !damaged.is_empty() {
                let rebuilt = self.rebuild(conn, key, table, &damaged)?;
                for (n, bucket) in rebuilt {
                    for (slot, want) in numbers.iter().enumerate() {
                        if *want == n {
                            out[slot] = Some(Arc::clone(&bucket));
                        }
                    }
                }
            }
        }
        Ok(out.into_iter().map(|b| b.unwrap_or_default()).collect())
    }

    /// Seals the buckets that `updates` (table, record id, new revision) touch, any kept for
    /// the next write, and a new root. A table past [`CAP`] names per bucket splits its next
    /// bucket in two here.
    pub(crate) fn stage(
        &self,
        conn: &Connection,
        key: &DataKey,
        updates: &[(String, String, u64)],
    ) -> Result<Staged, VaultError> {
        let mut root = self.root.clone();
        let mut touched: BTreeMap<BucketKey, Bucket> = BTreeMap::new();
        for (k, b) in self.unsaved.borrow().iter() {
            touched.insert(k.clone(), (**b).clone());
        }
        for (table, id, revision) in updates {
            let t = root.tables.entry(table.clone()).or_default();
            if t.buckets.is_empty() {
                t.buckets.push(0);
            }
            let n = address(id, t.buckets.len());
            let bucket = match touched.entry((table.clone(), n)) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    let stored = if n < self.root.tables.get(table).map_or(0, |t| t.buckets.len()) {
                        (*self.buckets(conn, key, table, &[n], true)?[0]).clone()
                    } else {
                        Bucket::new()
                    };
                    e.insert(stored)
                }
            };
            if bucket.insert(id.clone(), *revision).is_none() {
                t.entries += 1;
            }
            while t.entries > (CAP * t.buckets.len()) as u64 {
                let count = t.buckets.len();
                let split = count - (1 << count.ilog2());
                let old = match touched.remove(&(table.clone(), split)) {
                    Some(b) => b,
                    None => (*self.buckets(conn, key, table, &[split], true)?[0]).clone(),
                };
                t.buckets.push(0);
                let (moved, stay): (Bucket, Bucket) =
                    old.into_iter().partition(|(id, _)| address(id, count + 1) == count);
                touched.insert((table.clone(), split), stay);
                touched.insert((table.clone(), count), moved);
            }
        }
        let mut rows = Vec::with_capacity(touched.len() + 1);
        for ((table, n), bucket) in &touched {
            let t = root.tables.entry(table.clone()).or_default();
            t.buckets[*n] += 1;
            let json = Zeroizing::new(serde_json::to_vec(bucket).map_err(|_| VaultError::Random)?);
            let name = bucket_name(&self.namer.table(table), *n);
            let (nonce, ct) = seal(&self.index_key, &aad(&name, t.buckets[*n]), &json)?;
            rows.push((name, t.buckets[*n], nonce, ct));
        }
        let root_revision = self.root_revision + 1;
        let json = serde_json::to_vec(&root).map_err(|_| VaultError::Random)?;
        let (nonce, ct) = seal(&self.index_key, &aad(ROOT, root_revision), &json)?;
        rows.push((ROOT.to_owned(), root_revision, nonce, ct));
        Ok(Staged { rows, rewrite_all: self.rewrite_all, buckets: touched.into_iter().collect(), root, root_revision })
    }

    pub(crate) fn write(tx: &Connection, staged: &Staged) -> rusqlite::Result<()> {
        if staged.rewrite_all {
            tx.execute("DELETE FROM meta WHERE key LIKE 'revisions/%'", [])?;
        }
        let mut stmt = tx.prepare_cached(
            "INSERT INTO meta (key, revision, nonce, ciphertext) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (key) DO UPDATE SET revision = ?2, nonce = ?3, ciphertext = ?4",
        )?;
        for (name, revision, nonce, ct) in &staged.rows {
            stmt.execute(params![name, i64::try_from(*revision).unwrap_or(i64::MAX), nonce.as_slice(), ct])?;
        }
        Ok(())
    }

    /// Makes the staged state current (once it is written in the transaction; a transaction
    /// that does not commit makes the store read the index again).
    pub(crate) fn apply(&mut self, staged: Staged) {
        let mut cached = self.cache.borrow_mut();
        if cached.len() + staged.buckets.len() > CACHE_BUCKETS {
            cached.clear();
        }
        if staged.buckets.len() <= CACHE_BUCKETS {
            for (k, bucket) in staged.buckets {
                cached.insert(k, Arc::new(bucket));
            }
        }
        drop(cached);
        self.unsaved.borrow_mut().clear();
        *self.rebuilt.borrow_mut() = false;
        self.rewrite_all = false;
        self.from_format_1 = false;
        self.root = staged.root;
        self.root_revision = staged.root_revision;
    }
}

/// A sealed meta row, opened: its revision and plaintext.
type OpenedRow = (u64, Zeroizing<Vec<u8>>);

fn read(conn: &Connection, index_key: &[u8; KEY_LEN], name: &str) -> Result<Option<OpenedRow>, String> {
    read_sealed(conn, name)?.map(|row| open_sealed(index_key, name, row)).transpose()
}

/// The stored revision of every row of the index, by name (read without opening them: the
/// revision is a column of its own, bound to the ciphertext as associated data).
fn stored_index_revisions(conn: &Connection) -> rusqlite::Result<HashMap<String, u64>> {
    let mut stmt = conn.prepare("SELECT key, revision FROM meta WHERE key LIKE 'revisions/%'")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    let mut out = HashMap::new();
    for row in rows {
        let (name, revision) = row?;
        out.insert(name, u64::try_from(revision).unwrap_or(0));
    }
    Ok(out)
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

fn open_sealed(
    index_key: &[u8; KEY_LEN],
    name: &str,
    SealedRow(revision, nonce, ct): SealedRow,
) -> Result<OpenedRow, String> {
    let plain = open(index_key, &aad(name, revision), &nonce, ct).ok_or("it was altered or replaced")?;
    Ok((revision, plain))
}

/// The meta row of a table's bucket: the table by its opaque name (as its records' rows are
/// named), so the index names no table either.
fn bucket_name(opaque_table: &str, n: usize) -> String {
    format!("revisions/{opaque_table}/{n}")
}

fn format_1_bucket_name(b: usize) -> String {
    format!("revisions/{b:02}")
}

/// FNV-1a: a stable spread of names (not a security boundary: every bucket is sealed and
/// counted in the root).
fn fnv1a(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// MurmurHash3's 64-bit finaliser: FNV-1a's low bits depend only on the low bits of the
/// bytes (ids that repeat a number, `e17.custody-17`, cancel out there), and linear hashing
/// addresses by the low bits.
fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

fn format_1_bucket_of(name: &str) -> usize {
    usize::try_from(fnv1a(name) % FORMAT_1_BUCKETS as u64).unwrap_or(0)
}

/// Linear hashing: the bucket of `id` in a table of `count` buckets (`count` ≥ 1). With
/// 2^L ≤ count < 2^(L+1), an id goes by its hash's low L bits, or its low L + 1 bits when
/// those L bits name a bucket already split (below count − 2^L).
pub(crate) fn address(id: &str, count: usize) -> usize {
    let h = mix(fnv1a(id));
    let low = 1u64 << count.max(1).ilog2();
    let split = count as u64 - low;
    let a = h & (low - 1);
    let a = if a < split { h & (2 * low - 1) } else { a };
    usize::try_from(a).unwrap_or(0)
}

fn aad(name: &str, revision: u64) -> Vec<u8> {
    format!("courtside/v1/meta|{name}|{revision}").into_bytes()
}

fn index_key(key: &DataKey) -> Zeroizing<[u8; KEY_LEN]> {
    derive(key, &[b"courtside/v1/meta-key"])
}

#[cfg(test)]
mod tests {
    use super::address;

    #[test]
    fn linear_hashing_moves_only_the_split_buckets_names_and_only_to_the_new_bucket() {
        let ids: Vec<String> = (0..5000).map(|i| format!("e{i}.{:06}", i * 7)).collect();
        for count in 1..200usize {
            let split = count - (1 << count.ilog2());
            for id in &ids {
                let (before, after) = (address(id, count), address(id, count + 1));
                assert!(before < count && after <= count);
                if before != after {
                    assert_eq!((before, after), (split, count), "{id} moved from {before} to {after} at {count}");
                }
            }
        }
    }

    #[test]
    fn names_spread_evenly_over_the_buckets() {
        // Ids that repeat their number, as custody entries' do.
        let ids: Vec<String> = (0..64_000).map(|i| format!("exhibit-{i:05}.custody-{i:06}")).collect();
        let count = 250;
        let mut per = vec![0usize; count];
        for id in &ids {
            per[address(id, count)] += 1;
        }
        // 250 buckets = 128 + 122: buckets 0–121 and 128–249 are halves of a split (each about
        // 64,000 / 256 = 250 names); 122–127 are not split yet and hold about twice that.
        for (n, &names) in per.iter().enumerate() {
            let expected = if (122..128).contains(&n) { 500 } else { 250 };
            assert!(names.abs_diff(expected) < expected * 3 / 10, "bucket {n}: {names} names: {per:?}");
        }
    }
}
