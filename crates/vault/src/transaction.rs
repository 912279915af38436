//! A unit of work on the vault's records: see [`crate::Vault::transaction`].

use zeroize::Zeroizing;

use crate::VaultError;
use crate::keys::DataKey;
use crate::records::{Record, RecordStore, RecordWrite, item_name};

/// The records a unit of work reads and the writes it stages; committed together.
pub struct Transaction<'a> {
    store: &'a RecordStore,
    key: &'a DataKey,
    writes: Vec<StagedWrite>,
}

/// One write staged in a [`Transaction`].
pub(crate) struct StagedWrite {
    table: String,
    id: String,
    schema_version: u32,
    plaintext: Zeroizing<Vec<u8>>,
}

impl StagedWrite {
    pub(crate) fn as_write(&self) -> RecordWrite<'_> {
        RecordWrite {
            table: &self.table,
            id: &self.id,
            schema_version: self.schema_version,
            plaintext: &self.plaintext,
        }
    }
}

impl std::fmt::Debug for Transaction<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let staged: Vec<String> = self.writes.iter().map(|w| item_name(&w.table, &w.id)).collect();
        f.debug_struct("Transaction").field("staged", &staged).finish_non_exhaustive()
    }
}

impl<'a> Transaction<'a> {
    pub(crate) fn new(store: &'a RecordStore, key: &'a DataKey) -> Self {
        Self { store, key, writes: Vec::new() }
    }

    pub(crate) fn into_writes(self) -> Vec<StagedWrite> {
        self.writes
    }

    fn staged(&self, table: &str, id: &str) -> Option<&StagedWrite> {
        self.writes.iter().rev().find(|w| w.table == table && w.id == id)
    }

    /// Reads a record as this unit of work sees it (its own staged write first).
    ///
    /// # Errors
    /// [`VaultError::Tampered`] naming the record when it fails its integrity check.
    pub fn get(&self, table: &str, id: &str) -> Result<Option<Record>, VaultError> {
        if let Some(w) = self.staged(table, id) {
            if w.schema_version == crate::records::TOMBSTONE {
                return Ok(None);
            }
            return Ok(Some(Record {
                table: w.table.clone(),
                id: w.id.clone(),
                schema_version: w.schema_version,
                revision: self.store.revision_of(self.key, table, id)? + 1,
                updated_at: 0,
                plaintext: w.plaintext.clone(),
            }));
        }
        self.store.get(self.key, table, id)
    }

    /// The record's current revision (0: it does not exist), staged writes not counted.
    ///
    /// # Errors
    /// A database error while reading the revision index.
    pub fn revision(&self, table: &str, id: &str) -> Result<u64, VaultError> {
        self.store.revision_of(self.key, table, id)
    }

    /// How many records a table holds as this unit of work sees it (its own staged writes of
    /// new records counted).
    ///
    /// # Errors
    /// A database error.
    pub fn count(&self, table: &str) -> Result<u64, VaultError> {
        let mut new: Vec<&str> = Vec::new();
        for w in self.writes.iter().filter(|w| w.table == table) {
            if self.store.revision_of(self.key, table, &w.id)? == 0 && !new.contains(&w.id.as_str()) {
                new.push(&w.id);
            }
        }
        Ok(self.store.count(table)? + new.len() as u64)
    }

    /// Stages a new revision of a record.
    pub fn put(&mut self, table: &str, id: &str, schema_version: u32, plaintext: &[u8]) {
        self.stage(table, id, schema_version, plaintext);
    }

    fn stage(&mut self, table: &str, id: &str, schema_version: u32, plaintext: &[u8]) {
        self.writes.push(StagedWrite {
            table: table.to_owned(),
            id: id.to_owned(),
            schema_version,
            plaintext: Zeroizing::new(plaintext.to_vec()),
        });
    }

    /// Stages the deletion of a record that must still be at `expected`: its next revision
    /// is an empty tombstone ([`crate::TOMBSTONE`]), so its contents are gone from the
    /// database and it reads as absent, while the revision index still knows it.
    ///
    /// # Errors
    /// [`VaultError::Conflict`] when someone changed it since (or it does not exist).
    pub fn delete_expecting(&mut self, table: &str, id: &str, expected: u64) -> Result<(), VaultError> {
        if expected == 0 {
            return Err(VaultError::Conflict { item: item_name(table, id), expected, found: 0 });
        }
        let found = self.revision(table, id)?;
        if found != expected || self.staged(table, id).is_some() {
            return Err(VaultError::Conflict { item: item_name(table, id), expected, found });
        }
        self.stage(table, id, crate::records::TOMBSTONE, b"");
        Ok(())
    }

    /// Stages a new revision of a record that must still be at `expected` (the revision the
    /// caller read it at; 0 when it must not exist yet): compare-and-swap.
    ///
    /// # Errors
    /// [`VaultError::Conflict`] when someone changed it since; nothing is staged then.
    pub fn put_expecting(
        &mut self,
        table: &str,
        id: &str,
        schema_version: u32,
        expected: u64,
        plaintext: &[u8],
    ) -> Result<(), VaultError> {
        let found = self.revision(table, id)?;
        if found != expected || self.staged(table, id).is_some() {
            return Err(VaultError::Conflict { item: item_name(table, id), expected, found });
        }
        debug_assert_ne!(schema_version, crate::records::TOMBSTONE, "deletions go through delete_expecting");
        self.stage(table, id, schema_version, plaintext);
        Ok(())
    }
}
