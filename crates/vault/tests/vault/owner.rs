//! One owner per vault: a second process is refused, handles of one process share it,
//! units of work commit whole or not at all, and nothing is cached across them.

use std::process::Command;

use courtside_vault::{BLOB_DIR, KdfParams, Vault, VaultError};

const PASS: &str = "correct horse battery";
/// Set in a child copy of this test binary: the vault directory it tries to open.
const CHILD_ENV: &str = "COURTSIDE_VAULT_TEST_CHILD_DIR";

fn vault() -> (tempfile::TempDir, Vault) {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = Vault::create(dir.path(), PASS, KdfParams::insecure_for_tests()).unwrap();
    (dir, vault)
}

/// Runs `child_opens_the_vault` in another process of this binary; returns what it printed.
fn open_from_another_process(dir: &std::path::Path) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "owner::child_opens_the_vault", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    stdout
        .lines()
        .find_map(|l| l.split_once("child: ").map(|(_, a)| a))
        .unwrap_or_else(|| panic!("{stdout}"))
        .to_owned()
}

/// Not a test of its own: the other process of the tests below (does nothing without
/// the variable).
#[test]
fn child_opens_the_vault() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else { return };
    let answer = match Vault::unlock(std::path::Path::new(&dir), PASS) {
        Ok(v) => {
            v.put("notes", "from-child", 1, b"child was here").unwrap();
            "opened".to_owned()
        }
        Err(VaultError::InUse { .. }) => "in use".to_owned(),
        Err(e) => format!("error {e}"),
    };
    println!("child: {answer}");
}

#[test]
fn a_second_process_is_refused_while_one_holds_the_vault_and_writes_nothing() {
    let (dir, vault) = vault();
    vault.put("notes", "a", 1, b"mine").unwrap();
    let files_before = std::fs::read(dir.path().join(courtside_vault::DB_FILE)).unwrap();
    assert_eq!(open_from_another_process(dir.path()), "in use");
    assert_eq!(std::fs::read(dir.path().join(courtside_vault::DB_FILE)).unwrap(), files_before);
    assert!(vault.get("notes", "from-child").unwrap().is_none());
    drop(vault);
    // Released with the last handle (and by the OS when a process dies).
    assert_eq!(open_from_another_process(dir.path()), "opened");
    let vault = Vault::unlock(dir.path(), PASS).unwrap();
    assert!(vault.get("notes", "from-child").unwrap().is_some());
    assert!(vault.verify().unwrap().is_empty());
}

#[test]
fn the_in_use_message_says_what_to_do() {
    let e = VaultError::InUse { dir: "/x/vault".into() };
    assert!(e.to_string().contains("already open"), "{e}");
}

#[test]
fn two_handles_of_one_process_write_in_turn_without_a_false_tamper_alarm() {
    // The app reopens the vault while a background task still holds the old handle: each
    // keeps its own connection, and neither may trust what it read before the other wrote.
    let (dir, first) = vault();
    let second = Vault::unlock(dir.path(), PASS).unwrap();
    for round in 0..20u8 {
        let (writer, other) = if round % 2 == 0 { (&first, &second) } else { (&second, &first) };
        writer.put("outbox", "item", 1, &[round]).unwrap();
        writer.put("cases", &format!("c{round}"), 1, &[round]).unwrap();
        assert_eq!(&other.get("outbox", "item").unwrap().unwrap().plaintext[..], &[round]);
    }
    assert_eq!(first.get("outbox", "item").unwrap().unwrap().revision, 20);
    assert!(first.verify().unwrap().is_empty(), "{:?}", first.verify());
    drop((first, second));
    let reopened = Vault::unlock(dir.path(), PASS).unwrap();
    assert!(reopened.verify().unwrap().is_empty());
    assert_eq!(reopened.list("cases").unwrap().len(), 20);
}

#[test]
fn a_unit_of_work_commits_every_write_or_none() {
    let (_dir, vault) = vault();
    vault.put("cases", "c1", 1, b"draft").unwrap();
    let failed: Result<(), VaultError> = vault.transaction(|tx| {
        tx.put("outbox", "item-1", 1, b"queued");
        tx.put("cases", "c1", 1, b"queued as item-1");
        Err(VaultError::Random)
    });
    assert!(failed.is_err());
    assert!(vault.get("outbox", "item-1").unwrap().is_none(), "nothing of a failed unit is written");
    assert_eq!(&vault.get("cases", "c1").unwrap().unwrap().plaintext[..], b"draft");

    let revision = vault.transaction(|tx| {
        let case = tx.get("cases", "c1")?.unwrap();
        tx.put("outbox", "item-1", 1, b"queued");
        tx.put_expecting("cases", "c1", 1, case.revision, b"queued as item-1")?;
        // It reads its own writes.
        assert_eq!(&tx.get("outbox", "item-1")?.unwrap().plaintext[..], b"queued");
        Ok::<_, VaultError>(case.revision)
    });
    assert_eq!(revision.unwrap(), 1);
    assert_eq!(&vault.get("cases", "c1").unwrap().unwrap().plaintext[..], b"queued as item-1");
    assert!(vault.get("outbox", "item-1").unwrap().is_some());
    assert!(vault.verify().unwrap().is_empty());
}

#[test]
fn a_write_expecting_a_revision_someone_else_replaced_is_a_conflict_not_a_write() {
    let (_dir, vault) = vault();
    vault.put("outbox", "item", 1, b"v1").unwrap();
    let seen = vault.get("outbox", "item").unwrap().unwrap().revision;
    vault.put("outbox", "item", 1, b"v2 by someone else").unwrap();
    let e = vault.transaction(|tx| tx.put_expecting("outbox", "item", 1, seen, b"v2 from a stale copy")).unwrap_err();
    assert!(matches!(e, VaultError::Conflict { expected: 1, found: 2, .. }), "{e:?}");
    assert_eq!(&vault.get("outbox", "item").unwrap().unwrap().plaintext[..], b"v2 by someone else");
    // "Must not exist yet" is revision 0.
    let e = vault.transaction(|tx| tx.put_expecting("outbox", "item", 1, 0, b"new")).unwrap_err();
    assert!(matches!(e, VaultError::Conflict { expected: 0, .. }), "{e:?}");
    vault.transaction(|tx| tx.put_expecting("outbox", "other", 1, 0, b"new")).unwrap();
}

#[test]
fn an_interrupted_writes_temporary_files_are_gone_at_the_next_open() {
    let (dir, vault) = vault();
    vault.write_blob("exhibit-1", &mut &b"sealed"[..]).unwrap();
    drop(vault);
    // What a process killed mid-write leaves behind.
    let blobs = dir.path().join(BLOB_DIR);
    std::fs::write(blobs.join(".exhibit-2.tmp"), vec![7u8; 4096]).unwrap();
    std::fs::write(dir.path().join("vault.json.0123456789abcdef.tmp"), b"{").unwrap();
    let vault = Vault::unlock(dir.path(), PASS).unwrap();
    let left: Vec<String> = std::fs::read_dir(&blobs)
        .unwrap()
        .chain(std::fs::read_dir(dir.path()).unwrap())
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert!(vault.verify().unwrap().is_empty());
    let mut back = Vec::new();
    vault.read_blob("exhibit-1", &mut back).unwrap();
    assert_eq!(back, b"sealed");
}

#[cfg(unix)]
#[test]
fn the_vault_is_readable_by_its_user_alone() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, vault) = vault();
    vault.write_blob("b", &mut &b"x"[..]).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(dir.path()), 0o700);
    for name in [courtside_vault::KEY_FILE, courtside_vault::DB_FILE, courtside_vault::LOCK_FILE] {
        assert_eq!(mode(&dir.path().join(name)), 0o600, "{name}");
    }
    assert_eq!(mode(&vault.blob_path("b")), 0o600);
}

#[test]
fn reopening_while_another_thread_drops_the_last_handle_is_never_refused() {
    // The app locks and unlocks while a background task drops the old handle: the new
    // open must not find the lock still held by a handle that is on its way out.
    let (dir, vault) = vault();
    drop(vault);
    for _ in 0..200 {
        let old = Vault::unlock(dir.path(), PASS).unwrap();
        let dropper = std::thread::spawn(move || drop(old));
        let new = Vault::unlock(dir.path(), PASS);
        assert!(new.is_ok(), "{:?}", new.err());
        dropper.join().unwrap();
    }
}

#[test]
fn a_unit_of_work_that_panics_writes_nothing_and_leaves_the_vault_usable() {
    let (_dir, vault) = vault();
    let vault = std::sync::Arc::new(vault);
    let v = vault.clone();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let _: Result<(), VaultError> = v.transaction(|tx| {
            tx.put("cases", "c1", 1, b"half done");
            panic!("a bug in the middle of a unit of work");
        });
    }));
    assert!(panicked.is_err());
    assert!(vault.get("cases", "c1").unwrap().is_none());
    vault.put("cases", "c2", 1, b"later work").unwrap();
    vault
        .transaction(|tx| {
            tx.put("cases", "c3", 1, b"and a unit of work");
            Ok::<_, VaultError>(())
        })
        .unwrap();
    assert_eq!(vault.list("cases").unwrap().len(), 2);
    assert!(vault.verify().unwrap().is_empty());
}
