//! What a vault's files show to someone who has them but not the passphrase, and vaults made
//! by earlier versions opening in this one.

use std::io::Cursor;
use std::path::Path;

use courtside_vault::{BLOB_DIR, DB_FILE, KdfParams, Vault, VaultError};
use rusqlite::Connection;

/// Every byte of every file of a vault directory, by file.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push((e.path().display().to_string(), std::fs::read(e.path()).unwrap()));
            }
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn ciphertext_lengths(dir: &Path) -> Vec<usize> {
    let conn = Connection::open(dir.join(DB_FILE)).unwrap();
    let mut stmt = conn.prepare("SELECT length(ciphertext) FROM records").unwrap();
    stmt.query_map([], |r| r.get::<_, i64>(0)).unwrap().map(|l| usize::try_from(l.unwrap()).unwrap()).collect()
}

/// The record columns a vault stores, by name.
fn record_columns(dir: &Path) -> Vec<String> {
    let conn = Connection::open(dir.join(DB_FILE)).unwrap();
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info('records')").unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

#[test]
fn rows_and_files_show_no_names_no_exact_lengths_no_times_and_no_version_counts() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = Vault::create(dir.path(), "correct horse battery", KdfParams::insecure_for_tests()).unwrap();
    // Three drafts whose lengths differ by a few bytes, one saved many times.
    for (id, len) in [("draft-a", 1000), ("draft-b", 1003), ("draft-c", 1010)] {
        vault.put("drafts", id, 1, &vec![b'x'; len]).unwrap();
    }
    for n in 1..=12u32 {
        vault.put("drafts", "draft-a", 1, &vec![b'y'; 1000]).unwrap();
        vault.put("draft_versions", &format!("draft-a.{n:010}"), 1, &vec![b'y'; 1000]).unwrap();
    }
    vault.write_blob("case-0f3c2a-complaint", &mut Cursor::new(b"%PDF-1.7".to_vec())).unwrap();
    let draft_a = vault.get("drafts", "draft-a").unwrap().unwrap();
    assert_eq!((draft_a.revision, draft_a.plaintext.len()), (13, 1000), "the record reads back whole");
    drop(vault);

    assert_eq!(record_columns(dir.path()), ["tbl", "id", "nonce", "ciphertext"], "no revision, time or schema column");
    // Three drafts of 1000, 1003 and 1010 bytes are stored at one length.
    let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
    let lengths = ciphertext_lengths(dir.path());
    assert!(lengths.iter().all(|&l| l >= 256 + 16), "{lengths:?}");
    // (The one short row is the blob's id, kept for naming its file.)
    let mut distinct: Vec<usize> = lengths.iter().copied().filter(|&l| l > 512).collect();
    assert_eq!(distinct.len(), 15, "{lengths:?}");
    distinct.dedup();
    assert_eq!(distinct.len(), 1, "the drafts and their versions share one padded length: {lengths:?}");
    // No row says which table it is in, by name, or which draft or version it holds.
    let tables: Vec<String> = {
        let mut stmt = conn.prepare("SELECT DISTINCT tbl FROM records").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    assert!(tables.iter().all(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())), "{tables:?}");
    drop(conn);
    for (file, bytes) in files(dir.path()) {
        for needle in ["drafts", "draft_versions", "draft-a", "0000000012", "case-0f3c2a"] {
            assert!(!contains(&bytes, needle.as_bytes()), "{file} shows {needle:?}");
        }
        assert!(!file.contains("case-"), "{file}: a blob's file name names its case");
    }
    let blobs: Vec<String> = std::fs::read_dir(dir.path().join(BLOB_DIR))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(blobs.iter().all(|n| n.len() == 32 && n.bytes().all(|b| b.is_ascii_hexdigit())), "{blobs:?}");
}

#[test]
fn envelopes_are_padded_to_few_lengths() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = Vault::create(dir.path(), "correct horse battery", KdfParams::insecure_for_tests()).unwrap();
    for len in (0..70_000).step_by(97) {
        vault.put("notes", &format!("n{len}"), 1, &vec![7; len]).unwrap();
    }
    for len in (0..70_000).step_by(97) {
        assert_eq!(vault.get("notes", &format!("n{len}")).unwrap().unwrap().plaintext.len(), len);
    }
    drop(vault);
    let mut lengths = ciphertext_lengths(dir.path());
    let rows = lengths.len();
    lengths.sort_unstable();
    lengths.dedup();
    // 722 records of 722 lengths from 0 to 70 KB are stored at about a hundred lengths:
    // past 256 bytes, each one's low bits are zero, as many as its size has bits of bits
    // (Padmé), so a stored length is at most about an eighth above what it holds.
    assert!(lengths.len() <= 110, "{rows} rows at {} lengths: {lengths:?}", lengths.len());
    for sealed in lengths {
        let envelope = sealed - 16;
        let e = usize::BITS - 1 - envelope.leading_zeros();
        let zero_bits = e - (u32::BITS - e.leading_zeros());
        assert!(envelope >= 256 && envelope.trailing_zeros() >= zero_bits, "{envelope} is not a padded length");
    }
}

/// A copy of the vault an earlier version made (tests/fixtures/vault-v1, made with that
/// version's API; see its README).
fn v1_fixture() -> tempfile::TempDir {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vault-v1");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(BLOB_DIR)).unwrap();
    for name in ["vault.json", DB_FILE] {
        std::fs::copy(from.join(name), dir.path().join(name)).unwrap();
    }
    for e in std::fs::read_dir(from.join(BLOB_DIR)).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(BLOB_DIR).join(e.file_name())).unwrap();
    }
    dir
}

const V1_PASSPHRASE: &str = "fixture passphrase 1";

fn check_v1_contents(vault: &Vault) {
    let d1 = vault.get("drafts", "d1").unwrap().unwrap();
    assert_eq!((d1.revision, &d1.plaintext[..]), (2, "起诉状 第二稿".as_bytes()));
    assert_eq!(&vault.get("draft_versions", "d1.0000000002").unwrap().unwrap().plaintext[..], b"second");
    let cases: Vec<(String, u32)> =
        vault.list("cases").unwrap().into_iter().map(|r| (r.id, r.schema_version)).collect();
    assert_eq!(cases, [("c1".to_owned(), 3)], "the deleted case stays deleted");
    assert!(vault.get("cases", "c2").unwrap().is_none());
    let mut complaint = Vec::new();
    vault.read_blob("case-c1-0123abcd", &mut complaint).unwrap();
    assert_eq!(complaint, b"%PDF-1.7 complaint");
    let mut exhibit = Vec::new();
    let info = vault.read_blob("exhibit-e1", &mut exhibit).unwrap();
    assert_eq!(exhibit, (0..300_000u32).map(|i| (i % 251) as u8).collect::<Vec<_>>());
    assert_eq!(info.size, 300_000);
    assert_eq!(&vault.read_blob_range("exhibit-e1", 262_140, 8).unwrap()[..], &exhibit[262_140..262_148]);
    assert!(vault.verify().unwrap().is_empty(), "{:?}", vault.verify());
}

#[test]
fn a_vault_an_earlier_version_made_opens_with_everything_in_it_and_its_names_made_opaque() {
    let dir = v1_fixture();
    let vault = Vault::unlock(dir.path(), V1_PASSPHRASE).unwrap();
    check_v1_contents(&vault);
    // Written after the migration, read back after another open.
    vault.put("drafts", "d1", 1, "起诉状 第三稿".as_bytes()).unwrap();
    vault.write_blob("case-c1-0123abcd", &mut Cursor::new(b"%PDF-1.7 amended".to_vec())).unwrap();
    drop(vault);
    for (file, bytes) in files(dir.path()) {
        for needle in ["case-c1", "exhibit-e1", "d1.0000000002", "draft_versions"] {
            assert!(!contains(&bytes, needle.as_bytes()), "{file} still shows {needle:?}");
            assert!(!file.contains(needle), "{file}");
        }
    }
    assert_eq!(record_columns(dir.path()), ["tbl", "id", "nonce", "ciphertext"]);
    let vault = Vault::unlock(dir.path(), V1_PASSPHRASE).unwrap();
    assert_eq!(vault.get("drafts", "d1").unwrap().unwrap().revision, 3);
    let mut complaint = Vec::new();
    vault.read_blob("case-c1-0123abcd", &mut complaint).unwrap();
    assert_eq!(complaint, b"%PDF-1.7 amended");
    assert!(vault.verify().unwrap().is_empty());
}

/// The migration stopped between keeping the blobs' ids and renaming all their files (a
/// crash, a kill): the next open finishes it, and a file renamed already is left alone.
#[test]
fn an_interrupted_migration_is_finished_at_the_next_open() {
    let dir = v1_fixture();
    let vault = Vault::unlock(dir.path(), V1_PASSPHRASE).unwrap();
    let renamed = vault.blob_path("exhibit-e1");
    drop(vault);
    std::fs::rename(&renamed, dir.path().join(BLOB_DIR).join("exhibit-e1")).unwrap();
    Connection::open(dir.path().join(DB_FILE)).unwrap().pragma_update(None, "user_version", 2).unwrap();
    let vault = Vault::unlock(dir.path(), V1_PASSPHRASE).unwrap();
    assert!(renamed.exists() && !dir.path().join(BLOB_DIR).join("exhibit-e1").exists());
    check_v1_contents(&vault);
}

/// A copy of a vault with the first revision index (tests/fixtures/vault-v2, see its README).
fn v2_fixture() -> tempfile::TempDir {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vault-v2");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(BLOB_DIR)).unwrap();
    for name in ["vault.json", DB_FILE] {
        std::fs::copy(from.join(name), dir.path().join(name)).unwrap();
    }
    for e in std::fs::read_dir(from.join(BLOB_DIR)).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(BLOB_DIR).join(e.file_name())).unwrap();
    }
    dir
}

const V2_PASSPHRASE: &str = "fixture passphrase 2";

fn index_row_names(dir: &Path) -> Vec<String> {
    let conn = Connection::open(dir.join(DB_FILE)).unwrap();
    let mut stmt = conn.prepare("SELECT key FROM meta ORDER BY key").unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

/// The first revision index (64 buckets over every table) is written again as per-table
/// buckets when the vault opens: every record keeps its revision, a record put back to an
/// older copy is still caught, and the old index rows are gone.
#[test]
fn a_vault_with_the_first_revision_index_opens_and_its_index_is_written_per_table() {
    let dir = v2_fixture();
    let old_rows = index_row_names(dir.path());
    assert_eq!(old_rows.len(), 65, "the fixture's 64 buckets and root: {old_rows:?}");
    let custody_7 = {
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        let vault = Vault::unlock(dir.path(), V2_PASSPHRASE).unwrap();
        let (_, id) = vault.stored_row("custody", "e1.000007");
        drop(vault);
        // The copy of revision 5 as the migration found it, to put back after a new revision.
        let sealed: (Vec<u8>, Vec<u8>) = conn
            .query_row("SELECT nonce, ciphertext FROM records WHERE id = ?1", [&id], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        (id, sealed)
    };
    let vault = Vault::unlock(dir.path(), V2_PASSPHRASE).unwrap();
    let d1 = vault.get("drafts", "d1").unwrap().unwrap();
    assert_eq!((d1.revision, &d1.plaintext[..]), (2, "起诉状 第二稿".as_bytes()));
    assert_eq!(&vault.get("draft_versions", "d1.0000000002").unwrap().unwrap().plaintext[..], b"second");
    let cases: Vec<String> = vault.list("cases").unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(cases, ["c1"], "the deleted case stays deleted");
    let custody = vault.list("custody").unwrap();
    assert_eq!(custody.len(), 700);
    let seventh = vault.get("custody", "e1.000007").unwrap().unwrap();
    assert_eq!((seventh.revision, &seventh.plaintext[..]), (5, &br#"{"seq":7,"rewritten":5}"#[..]));
    let mut exhibit = Vec::new();
    vault.read_blob("exhibit-e1", &mut exhibit).unwrap();
    assert_eq!(exhibit, (0..300_000u32).map(|i| (i % 251) as u8).collect::<Vec<_>>());
    assert!(vault.verify().unwrap().is_empty(), "{:?}", vault.verify());
    assert!(vault.damaged().is_empty());
    // The deleted case's id is still known: it is not used again.
    let reuse = vault.transaction(|tx| tx.put_expecting("cases", "c2", 3, 0, b"{}"));
    assert!(matches!(reuse, Err(VaultError::Conflict { .. })), "{reuse:?}");
    vault.put("custody", "e1.000007", 1, b"{}").unwrap();
    drop(vault);
    let rows = index_row_names(dir.path());
    assert!(rows.iter().all(|r| !old_rows.contains(r) || r == "revisions/root"), "format 1 rows left: {rows:?}");
    // 700 custody names: at least 3 buckets for them, one each for the other tables.
    assert!(rows.len() > 3 + 4, "{rows:?}");
    let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(version, 4);
    conn.execute(
        "UPDATE records SET nonce = ?1, ciphertext = ?2 WHERE id = ?3",
        rusqlite::params![custody_7.1.0, custody_7.1.1, custody_7.0],
    )
    .unwrap();
    let vault = Vault::unlock(dir.path(), V2_PASSPHRASE).unwrap();
    let err = vault.get("custody", "e1.000007").unwrap_err();
    assert!(err.to_string().contains("revision 5 was put back in place of revision 6"), "{err}");
}

/// A vault from a later version is refused, not misread.
#[test]
fn a_vault_of_a_later_version_is_refused() {
    let dir = v1_fixture();
    Connection::open(dir.path().join(DB_FILE)).unwrap().pragma_update(None, "user_version", 99).unwrap();
    let err = Vault::unlock(dir.path(), V1_PASSPHRASE).unwrap_err();
    assert!(err.to_string().contains("newer"), "{err}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
    /// The readers of a vault's files (the fuzz target `vault_files`, here on stable as a
    /// property): key file, recovery key, blob file, envelope.
    #[test]
    fn no_file_a_thief_writes_panics_a_reader(which in 0u8..5, bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
        let mut input = vec![which];
        input.extend_from_slice(&bytes);
        courtside_vault::fuzz_vault_files(&input);
    }
}

#[test]
fn the_fuzz_seeds_read_as_what_they_are() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/vault_files");
    for e in std::fs::read_dir(seeds).unwrap() {
        courtside_vault::fuzz_vault_files(&std::fs::read(e.unwrap().path()).unwrap());
    }
}
