//! JSON documents sealed in the vault, one record each.

use courtside_vault::Vault;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::SyncError;

/// Schema version of every record this crate writes.
pub const SCHEMA: u32 = 1;

/// Seals `value` as record `table/id`.
///
/// # Errors
/// [`SyncError::Vault`].
pub fn save<T: Serialize>(vault: &Vault, table: &str, id: &str, value: &T) -> Result<(), SyncError> {
    let json = zeroize::Zeroizing::new(serde_json::to_vec(value).map_err(|e| SyncError::Protocol(e.to_string()))?);
    vault.put(table, id, SCHEMA, &json)?;
    Ok(())
}

/// Opens record `table/id`.
///
/// # Errors
/// [`SyncError::Vault`] (including tampering), or a record that does not parse.
pub fn load<T: DeserializeOwned>(vault: &Vault, table: &str, id: &str) -> Result<Option<T>, SyncError> {
    vault.get(table, id)?.map(|r| parse(table, &r)).transpose()
}

/// Opens every record of `table`, in id order.
///
/// # Errors
/// As [`load`].
pub fn list<T: DeserializeOwned>(vault: &Vault, table: &str) -> Result<Vec<T>, SyncError> {
    vault.list(table)?.iter().map(|r| parse(table, r)).collect()
}

fn parse<T: DeserializeOwned>(table: &str, r: &courtside_vault::Record) -> Result<T, SyncError> {
    serde_json::from_slice(&r.plaintext).map_err(|e| SyncError::Protocol(format!("record {table}/{}: {e}", r.id)))
}
