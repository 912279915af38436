//! Sealed records and blobs: round trips, and every kind of tampering detected by name.

use std::io::Cursor;

use courtside_vault::{BLOB_DIR, DB_FILE, Damage, KdfParams, Vault, VaultError};
use rusqlite::Connection;

fn vault() -> (tempfile::TempDir, Vault) {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = Vault::create(dir.path(), "correct horse battery", KdfParams::insecure_for_tests()).unwrap();
    (dir, vault)
}

fn tampered_item(e: &VaultError) -> &str {
    match e {
        VaultError::Tampered { item, .. } => item,
        other => panic!("expected a tampering error, got {other:?}"),
    }
}

fn raw(dir: &std::path::Path) -> Connection {
    Connection::open(dir.join(DB_FILE)).unwrap()
}

/// A record's sealed columns as stored: nonce, ciphertext.
type SealedRow = (Vec<u8>, Vec<u8>);

/// The stored (opaque) id of a record's row: unique across tables, since it is keyed by both.
fn row(vault: &Vault, table: &str, id: &str) -> String {
    vault.stored_row(table, id).1
}

fn sealed_row(conn: &Connection, row: &str) -> SealedRow {
    conn.query_row("SELECT nonce, ciphertext FROM records WHERE id = ?1", [row], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
}

/// Writes an earlier copy of a record's sealed columns back, as an attacker with the file would.
fn put_back_row(conn: &Connection, row: &str, sealed: &SealedRow) {
    conn.execute(
        "UPDATE records SET nonce = ?1, ciphertext = ?2 WHERE id = ?3",
        rusqlite::params![sealed.0, sealed.1, row],
    )
    .unwrap();
}

#[test]
fn records_round_trip_and_count_revisions() {
    let (dir, vault) = vault();
    assert_eq!(vault.put("drafts", "d1", 1, "起诉状 第一稿".as_bytes()).unwrap(), 1);
    assert_eq!(vault.put("drafts", "d1", 1, "起诉状 第二稿".as_bytes()).unwrap(), 2);
    vault.put("drafts", "d2", 1, b"other").unwrap();
    let d1 = vault.get("drafts", "d1").unwrap().unwrap();
    assert_eq!(d1.revision, 2);
    assert_eq!(&d1.plaintext[..], "起诉状 第二稿".as_bytes());
    assert_eq!(vault.list("drafts").unwrap().len(), 2);
    assert_eq!(vault.count("drafts").unwrap(), 2);
    assert_eq!(vault.count("cases").unwrap(), 0);
    assert!(vault.get("drafts", "nope").unwrap().is_none());
    drop(vault);
    let vault = Vault::unlock(dir.path(), "correct horse battery").unwrap();
    assert_eq!(vault.get("drafts", "d1").unwrap().unwrap().revision, 2);
    assert!(vault.verify().unwrap().is_empty());
}

#[test]
fn a_flipped_byte_in_a_record_is_named_and_harms_no_other_record() {
    let (dir, vault) = vault();
    vault.put("cases", "c1", 1, b"case one").unwrap();
    vault.put("cases", "c2", 1, b"case two").unwrap();
    let conn = raw(dir.path());
    let c1 = row(&vault, "cases", "c1");
    let (_, mut ct) = sealed_row(&conn, &c1);
    for i in [0, ct.len() / 2, ct.len() - 1] {
        ct[i] ^= 0x01;
        conn.execute("UPDATE records SET ciphertext = ?1 WHERE id = ?2", rusqlite::params![&ct, &c1]).unwrap();
        assert_eq!(tampered_item(&vault.get("cases", "c1").unwrap_err()), "cases/c1");
        ct[i] ^= 0x01;
    }
    ct[3] ^= 0x80;
    conn.execute("UPDATE records SET ciphertext = ?1 WHERE id = ?2", rusqlite::params![&ct, &c1]).unwrap();
    assert_eq!(&vault.get("cases", "c2").unwrap().unwrap().plaintext[..], b"case two");
    let problems = vault.verify().unwrap();
    assert_eq!(problems.len(), 1);
    assert_eq!(tampered_item(&problems[0]), "cases/c1");
}

#[test]
fn swapped_ciphertexts_are_detected() {
    let (dir, vault) = vault();
    vault.put("parties", "p1", 1, b"plaintiff").unwrap();
    vault.put("parties", "p2", 1, b"defendant").unwrap();
    let conn = raw(dir.path());
    let (p1, p2) = (row(&vault, "parties", "p1"), row(&vault, "parties", "p2"));
    conn.execute_batch(&format!(
        "UPDATE records SET id = 'tmp' WHERE id = '{p1}';
         UPDATE records SET id = '{p1}' WHERE id = '{p2}';
         UPDATE records SET id = '{p2}' WHERE id = 'tmp';"
    ))
    .unwrap();
    assert_eq!(tampered_item(&vault.get("parties", "p1").unwrap_err()), "parties/p1");
    assert_eq!(tampered_item(&vault.get("parties", "p2").unwrap_err()), "parties/p2");
}

#[test]
fn an_older_revision_put_back_is_detected() {
    let (dir, vault) = vault();
    vault.put("drafts", "d1", 1, b"version one").unwrap();
    let conn = raw(dir.path());
    let d1 = row(&vault, "drafts", "d1");
    let old = sealed_row(&conn, &d1);
    vault.put("drafts", "d1", 1, b"version two").unwrap();
    put_back_row(&conn, &d1, &old);
    let err = vault.get("drafts", "d1").unwrap_err();
    assert_eq!(tampered_item(&err), "drafts/d1");
    assert!(err.to_string().contains("revision 1 was put back in place of revision 2"), "{err}");
    // Also after a restart, when the revision map is read back from disk.
    drop(vault);
    let vault = Vault::unlock(dir.path(), "correct horse battery").unwrap();
    assert_eq!(tampered_item(&vault.get("drafts", "d1").unwrap_err()), "drafts/d1");
}

#[test]
fn a_deleted_record_is_reported_missing() {
    let (dir, vault) = vault();
    vault.put("notes", "n1", 1, b"note").unwrap();
    raw(dir.path()).execute("DELETE FROM records WHERE id = ?1", [row(&vault, "notes", "n1")]).unwrap();
    assert_eq!(tampered_item(&vault.get("notes", "n1").unwrap_err()), "notes/n1");
    assert_eq!(vault.verify().unwrap().len(), 1);
}

/// Deleting is sealing an empty tombstone revision: the record reads as absent everywhere,
/// its contents are gone from the database, and putting the deleted record back is caught
/// like any other rollback.
#[test]
fn a_record_deleted_by_the_vault_is_gone_and_putting_it_back_is_caught() {
    let (dir, vault) = vault();
    vault.put("cases", "c1", 1, b"case one").unwrap();
    vault.put("cases", "c2", 1, b"case two").unwrap();
    let conn = raw(dir.path());
    let c1 = row(&vault, "cases", "c1");
    let before = sealed_row(&conn, &c1);
    let revision = vault.get("cases", "c1").unwrap().unwrap().revision;
    // Deleting what someone else changed meanwhile is a conflict, not a deletion.
    let stale = vault.transaction(|tx| tx.delete_expecting("cases", "c1", revision + 1));
    assert!(matches!(stale, Err(VaultError::Conflict { .. })), "{stale:?}");
    vault.transaction(|tx| tx.delete_expecting("cases", "c1", revision)).unwrap();
    assert_eq!(vault.get("cases", "c1").unwrap(), None);
    let listed: Vec<String> = vault.list("cases").unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(listed, ["c2"]);
    assert!(vault.verify().unwrap().is_empty(), "a tombstone is a sound record");
    let (_, ciphertext) = sealed_row(&conn, &c1);
    assert_ne!(ciphertext, before.1, "the sealed contents were replaced");
    assert_eq!(ciphertext.len(), 256 + 16, "a tombstone is the smallest envelope: nothing of the old contents is kept");
    // Deleting it again: nothing to delete.
    assert!(vault.transaction(|tx| tx.delete_expecting("cases", "c1", 0)).is_err());
    // The deleted record put back (its old row, schema and all) is a rollback.
    put_back_row(&conn, &c1, &before);
    let err = vault.get("cases", "c1").unwrap_err();
    assert_eq!(tampered_item(&err), "cases/c1");
    drop(vault);
    let vault = Vault::unlock(dir.path(), "correct horse battery").unwrap();
    assert_eq!(tampered_item(&vault.get("cases", "c1").unwrap_err()), "cases/c1", "also after a restart");
}

fn sample(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn blobs_round_trip_with_the_plaintext_hash() {
    let (_dir, vault) = vault();
    for len in [0, 1, 256 * 1024 - 1, 256 * 1024, 256 * 1024 + 1, 3 * 256 * 1024 + 17] {
        let data = sample(len);
        let info = vault.write_blob("b1", &mut Cursor::new(&data)).unwrap();
        assert_eq!(info.size, len as u64);
        let expected: String =
            ring::digest::digest(&ring::digest::SHA256, &data).as_ref().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(info.sha256, expected);
        let mut out = Vec::new();
        assert_eq!(vault.read_blob("b1", &mut out).unwrap(), info);
        assert_eq!(out, data, "length {len}");
    }
}

#[test]
fn blob_ranges_are_the_same_bytes_as_the_whole() {
    let (_dir, vault) = vault();
    let chunk = 256 * 1024;
    for len in [0usize, 1, chunk, chunk + 1, 3 * chunk + 17] {
        let data = sample(len);
        vault.write_blob("r", &mut Cursor::new(&data)).unwrap();
        assert_eq!(vault.blob_size("r").unwrap(), len as u64);
        let points = [0, 1, chunk - 1, chunk, chunk + 1, 2 * chunk + 5, len.saturating_sub(1), len];
        for &from in points.iter().filter(|&&p| p <= len) {
            for &to in points.iter().filter(|&&p| p >= from && p <= len) {
                let got = vault.read_blob_range("r", from as u64, (to - from) as u64).unwrap();
                assert_eq!(&got[..], &data[from..to], "length {len}, bytes {from}..{to}");
            }
        }
        assert!(vault.read_blob_range("r", len as u64, 1).is_err(), "a range past the end is refused");
    }
    // A damaged chunk fails the ranges that touch it, and only those.
    let data = sample(3 * chunk);
    vault.write_blob("r", &mut Cursor::new(&data)).unwrap();
    let path = vault.blob_path("r");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[16 + (chunk + 16) + 9] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(&vault.read_blob_range("r", 10, 100).unwrap()[..], &data[10..110]);
    assert_eq!(tampered_item(&vault.read_blob_range("r", chunk as u64 - 1, 2).unwrap_err()), "blobs/r");
    // Cut after the second chunk: the second now reads as the last and fails its flag.
    bytes[16 + (chunk + 16) + 9] ^= 1;
    bytes.truncate(16 + 2 * (chunk + 16));
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(&vault.read_blob_range("r", 0, 10).unwrap()[..], &data[..10]);
    assert_eq!(tampered_item(&vault.read_blob_range("r", chunk as u64, 10).unwrap_err()), "blobs/r");
}

#[test]
fn damaged_blobs_are_named() {
    let (_dir, vault) = vault();
    let data = sample(3 * 256 * 1024 + 100);
    vault.write_blob("evidence-1", &mut Cursor::new(&data)).unwrap();
    vault.write_blob("evidence-2", &mut Cursor::new(b"untouched")).unwrap();
    let path = vault.blob_path("evidence-1");
    let original = std::fs::read(&path).unwrap();
    let chunk = 256 * 1024 + 16;

    let mut flipped = original.clone();
    flipped[16 + chunk + 5] ^= 1;
    let mut truncated_at_boundary = original.clone();
    truncated_at_boundary.truncate(16 + 2 * chunk);
    let mut truncated_mid = original.clone();
    truncated_mid.truncate(original.len() - 7);
    let mut reordered = original[..16].to_vec();
    reordered.extend_from_slice(&original[16 + chunk..16 + 2 * chunk]);
    reordered.extend_from_slice(&original[16..16 + chunk]);
    reordered.extend_from_slice(&original[16 + 2 * chunk..]);
    let mut extended = original.clone();
    extended.extend_from_slice(&original[16..16 + chunk]);

    for (what, bytes) in [
        ("flipped byte", flipped),
        ("truncated at a chunk boundary", truncated_at_boundary),
        ("truncated mid-chunk", truncated_mid),
        ("reordered chunks", reordered),
        ("a chunk appended", extended),
        ("header only", original[..16].to_vec()),
        ("empty file", Vec::new()),
    ] {
        std::fs::write(&path, &bytes).unwrap();
        let err = vault.read_blob("evidence-1", &mut std::io::sink()).unwrap_err();
        assert_eq!(tampered_item(&err), "blobs/evidence-1", "{what}");
        let problems = vault.verify().unwrap();
        assert_eq!(problems.len(), 1, "{what}: only the damaged blob is reported");
    }
    let mut out = Vec::new();
    vault.read_blob("evidence-2", &mut out).unwrap();
    assert_eq!(out, b"untouched");

    // A blob copied over another one's name does not open under the other's key.
    std::fs::copy(vault.blob_path("evidence-2"), &path).unwrap();
    assert_eq!(tampered_item(&vault.read_blob("evidence-1", &mut std::io::sink()).unwrap_err()), "blobs/evidence-1");
}

#[test]
fn blob_ids_cannot_escape_the_blob_directory() {
    let (_dir, vault) = vault();
    for id in ["../vault.json", "a/b", "", ".hidden", "a b", "..", "x\0y"] {
        assert!(matches!(vault.write_blob(id, &mut Cursor::new(b"x")), Err(VaultError::InvalidId(_))), "{id:?}");
    }
}

#[test]
fn putting_back_a_record_together_with_its_old_index_bucket_is_detected() {
    let (dir, vault) = vault();
    vault.put("drafts", "d1", 1, b"version one").unwrap();
    let conn = raw(dir.path());
    let d1 = row(&vault, "drafts", "d1");
    let old_record = sealed_row(&conn, &d1);
    let old_buckets: Vec<(String, i64, Vec<u8>, Vec<u8>)> = conn
        .prepare("SELECT key, revision, nonce, ciphertext FROM meta WHERE key != 'revisions/root'")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    vault.put("drafts", "d1", 1, b"version two").unwrap();
    drop(vault);
    put_back_row(&conn, &d1, &old_record);
    for (key, revision, nonce, ct) in &old_buckets {
        conn.execute(
            "UPDATE meta SET revision = ?2, nonce = ?3, ciphertext = ?4 WHERE key = ?1",
            rusqlite::params![key, revision, nonce, ct],
        )
        .unwrap();
    }
    // The vault opens (the rest of it stays usable) and names its index as damaged.
    let vault = Vault::unlock(dir.path(), "correct horse battery").unwrap();
    let index_damage = |problems: &[VaultError]| -> Vec<String> {
        problems
            .iter()
            .filter_map(|p| match p {
                VaultError::Tampered { item, kind: Damage::Index, .. } => Some(item.clone()),
                _ => None,
            })
            .collect()
    };
    let named = index_damage(&vault.damaged());
    assert!(!named.is_empty() && named.iter().all(|i| i.starts_with("revisions/")), "{named:?}");
    assert_eq!(index_damage(&vault.verify().unwrap()), named);
    assert_eq!(&vault.get("drafts", "d1").unwrap().unwrap().plaintext[..], b"version one");
    // The next change seals the index again, but what was found stays reported, at every
    // later open too: a record put back with its bucket must not become trusted by a write.
    vault.put("drafts", "d2", 1, b"new").unwrap();
    assert_eq!(index_damage(&vault.damaged()), named);
    drop(vault);
    let vault = Vault::unlock(dir.path(), "correct horse battery").unwrap();
    assert_eq!(index_damage(&vault.verify().unwrap()), named, "still reported after a restart");
    assert_eq!(index_damage(&vault.damaged()), named);
    assert_eq!(&vault.get("drafts", "d2").unwrap().unwrap().plaintext[..], b"new");
}

#[test]
fn a_damaged_index_root_or_a_deleted_one_still_opens_every_record() {
    for how in ["altered", "deleted"] {
        let (dir, vault) = vault();
        for i in 0..20 {
            vault.put("cases", &format!("c{i}"), 1, format!("case {i}").as_bytes()).unwrap();
        }
        drop(vault);
        let conn = raw(dir.path());
        if how == "altered" {
            conn.execute("UPDATE meta SET ciphertext = zeroblob(40) WHERE key = 'revisions/root'", []).unwrap();
        } else {
            conn.execute("DELETE FROM meta WHERE key = 'revisions/root'", []).unwrap();
        }
        let vault = Vault::unlock(dir.path(), "correct horse battery").unwrap();
        assert_eq!(vault.list("cases").unwrap().len(), 20, "{how}");
        let damaged = vault.damaged();
        assert!(
            matches!(&damaged[..], [VaultError::Tampered { item, kind: Damage::Index, .. }] if item == "revisions/root"),
            "{how}: {damaged:?}"
        );
        vault.put("cases", "c0", 1, b"case 0, edited").unwrap();
        drop(vault);
        let vault = Vault::unlock(dir.path(), "correct horse battery").unwrap();
        assert_eq!(vault.list("cases").unwrap().len(), 20, "{how}");
        let problems = vault.verify().unwrap();
        assert!(
            problems.iter().all(|p| matches!(p, VaultError::Tampered { kind: Damage::Index, .. }))
                && !problems.is_empty(),
            "{how}: only the index damage, still reported: {problems:?}"
        );
    }
}

/// With the root gone and a bucket deleted too, every record still opens (every bucket is
/// rebuilt from the records when the root cannot say which copies are current).
#[test]
fn a_missing_root_and_a_missing_bucket_leave_every_record_readable() {
    let (dir, vault) = vault();
    for i in 0..40 {
        vault.put("drafts", &format!("d{i}"), 1, format!("draft {i}").as_bytes()).unwrap();
    }
    drop(vault);
    let conn = raw(dir.path());
    conn.execute("DELETE FROM meta WHERE key = 'revisions/root'", []).unwrap();
    conn.execute("DELETE FROM meta WHERE key = (SELECT MIN(key) FROM meta WHERE key LIKE 'revisions/%')", []).unwrap();
    let vault = Vault::unlock(dir.path(), "correct horse battery").unwrap();
    assert_eq!(vault.list("drafts").unwrap().len(), 40);
    vault.put("drafts", "d0", 1, b"draft 0, edited").unwrap();
    drop(vault);
    let vault = Vault::unlock(dir.path(), "correct horse battery").unwrap();
    assert_eq!(vault.list("drafts").unwrap().len(), 40, "none lost after the index was sealed again");
}

#[test]
fn a_damaged_record_is_left_out_of_lists_named_with_its_kind_and_healed_by_a_new_revision() {
    let (dir, vault) = vault();
    for i in 0..5 {
        vault.put("cases", &format!("c{i}"), 1, format!("case {i}").as_bytes()).unwrap();
    }
    let conn = raw(dir.path());
    let c1 = row(&vault, "cases", "c1");
    let old = sealed_row(&conn, &c1);
    vault.put("cases", "c1", 1, b"case 1, second revision").unwrap();
    put_back_row(&conn, &c1, &old);
    let c3 = row(&vault, "cases", "c3");
    let (_, mut ct) = sealed_row(&conn, &c3);
    ct[0] ^= 0x01;
    conn.execute("UPDATE records SET ciphertext = ?1 WHERE id = ?2", rusqlite::params![&ct, &c3]).unwrap();
    let listed: Vec<String> = vault.list("cases").unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(listed, ["c0", "c2", "c4"]);
    let kinds: Vec<(String, Damage)> = vault
        .damaged()
        .into_iter()
        .map(|e| match e {
            VaultError::Tampered { item, kind, .. } => (item, kind),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(kinds, [("cases/c1".to_owned(), Damage::RolledBack), ("cases/c3".to_owned(), Damage::Altered)]);
    // Writing the case again (restored from a backup, typed in again) replaces the damage.
    vault.put("cases", "c3", 1, b"case 3, entered again").unwrap();
    assert_eq!(vault.list("cases").unwrap().len(), 4);
    assert_eq!(vault.damaged().len(), 1);
    let problems = vault.verify().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
}

/// Yields at most `piece` bytes per read, and fails once `fail_at` bytes have been read.
struct Trickle<'a> {
    data: &'a [u8],
    at: usize,
    piece: usize,
    fail_at: Option<usize>,
}

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.fail_at.is_some_and(|f| self.at >= f) {
            return Err(std::io::Error::other("the device was unplugged"));
        }
        let n = buf.len().min(self.piece).min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[test]
fn a_large_blob_from_short_reads_is_the_same_blob() {
    let (_dir, vault) = vault();
    // Past the 8 MiB at which the disk is asked to start writing early.
    let data = sample(9 * 1024 * 1024 + 5);
    let whole = vault.write_blob("whole", &mut Cursor::new(&data)).unwrap();
    let trickled =
        vault.write_blob("trickled", &mut Trickle { data: &data, at: 0, piece: 1000, fail_at: None }).unwrap();
    assert_eq!(whole, trickled);
    let mut out = Vec::new();
    vault.read_blob("trickled", &mut out).unwrap();
    assert!(out == data);
}

#[test]
fn a_source_failing_midway_is_reported_and_leaves_nothing_behind() {
    let (dir, vault) = vault();
    let data = sample(3 * 256 * 1024);
    let mut source = Trickle { data: &data, at: 0, piece: 64 * 1024, fail_at: Some(600 * 1024) };
    match vault.write_blob("cut", &mut source) {
        Err(VaultError::Io { source, .. }) => assert!(source.to_string().contains("unplugged"), "{source}"),
        other => panic!("expected the read error, got {other:?}"),
    }
    let left: Vec<_> = std::fs::read_dir(dir.path().join(BLOB_DIR)).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "{left:?}");
    assert!(vault.read_blob("cut", &mut Vec::new()).is_err());
}

/// The index rows as stored: name → (revision, ciphertext length).
fn index_rows(conn: &Connection) -> std::collections::BTreeMap<String, (i64, usize)> {
    conn.prepare("SELECT key, revision, length(ciphertext) FROM meta WHERE key LIKE 'revisions/%'")
        .unwrap()
        .query_map([], |r| Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get::<_, i64>(2)? as usize))))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The cost of a write does not grow with the vault: its table's index splits as it grows, and
/// one more record re-seals one small bucket and the root, not a share of everything.
#[test]
fn a_write_reseals_one_small_bucket_and_the_root_whatever_the_tables_size() {
    let (dir, vault) = vault();
    let ids: Vec<String> = (0..3000).map(|i| format!("exhibit-{i:05}.custody-{i:06}")).collect();
    for chunk in ids.chunks(500) {
        let writes: Vec<courtside_vault::RecordWrite<'_>> = chunk
            .iter()
            .map(|id| courtside_vault::RecordWrite { table: "custody", id, schema_version: 1, plaintext: b"entry" })
            .collect();
        vault.put_all(&writes).unwrap();
    }
    vault.put("cases", "c1", 1, b"a case").unwrap();
    let conn = raw(dir.path());
    let before = index_rows(&conn);
    // 3,000 names at 256 a bucket on average: at least 12 buckets for the custody log, one for
    // the cases, and the root; none holds more than about twice the average.
    assert!(before.len() > 12 + 1, "{before:?}");
    let largest = before.iter().filter(|(k, _)| *k != "revisions/root").map(|(_, (_, len))| *len).max().unwrap();
    assert!(largest < 2 * 256 * 48, "a bucket of {largest} bytes");
    vault.put("custody", "exhibit-03000.custody-003000", 1, b"one more").unwrap();
    let after = index_rows(&conn);
    let changed: Vec<&String> = after.keys().filter(|k| before.get(*k) != after.get(*k)).collect();
    assert_eq!(changed.len(), 2, "one bucket and the root: {changed:?}");
    assert!(changed.iter().any(|k| *k == "revisions/root"));
    // Every record still reads at its revision after the splits, and a copy put back is caught.
    let first = row(&vault, "custody", &ids[0]);
    let old = sealed_row(&conn, &first);
    vault.put("custody", &ids[0], 1, b"entry, rewritten").unwrap();
    drop(vault);
    let vault = Vault::unlock(dir.path(), "correct horse battery").unwrap();
    assert_eq!(vault.list("custody").unwrap().len(), 3001);
    assert!(vault.verify().unwrap().is_empty());
    put_back_row(&conn, &first, &old);
    let err = vault.get("custody", &ids[0]).unwrap_err();
    assert!(matches!(&err, VaultError::Tampered { kind: Damage::RolledBack, .. }), "{err:?}");
}

/// A bucket altered where it lies (its revision left as it was) is found when it is first
/// read: its records still open, it is named as damaged, and sealed again by the next write,
/// the damage staying reported.
#[test]
fn a_bucket_altered_in_place_is_found_when_read_and_its_records_still_open() {
    let (dir, vault) = vault();
    for i in 0..600 {
        vault.put("custody", &format!("e{i:04}"), 1, format!("entry {i}").as_bytes()).unwrap();
    }
    vault.put("cases", "c1", 1, b"a case").unwrap();
    drop(vault);
    let conn = raw(dir.path());
    let buckets: Vec<String> = index_rows(&conn).into_keys().filter(|k| k != "revisions/root").collect();
    assert!(buckets.len() >= 3, "{buckets:?}");
    let victim = &buckets[0];
    conn.execute("UPDATE meta SET ciphertext = zeroblob(length(ciphertext)) WHERE key = ?1", [victim]).unwrap();
    let vault = Vault::unlock(dir.path(), "correct horse battery").unwrap();
    let mut listed = vault.list("custody").unwrap().len() + vault.list("cases").unwrap().len();
    assert_eq!(listed, 601);
    let named: Vec<String> = vault
        .damaged()
        .iter()
        .filter_map(|p| match p {
            VaultError::Tampered { item, kind: Damage::Index, .. } => Some(item.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(&named[..], std::slice::from_ref(victim));
    vault.put("cases", "c2", 1, b"another").unwrap();
    drop(vault);
    let vault = Vault::unlock(dir.path(), "correct horse battery").unwrap();
    listed = vault.list("custody").unwrap().len() + vault.list("cases").unwrap().len();
    assert_eq!(listed, 602);
    let problems = vault.verify().unwrap();
    assert!(
        !problems.is_empty() && problems.iter().all(|p| matches!(p, VaultError::Tampered { kind: Damage::Index, .. })),
        "only the index damage, still reported: {problems:?}"
    );
}
