//! Backups: a restore gives back the vault item by item, with the passphrase or the recovery
//! key; damage of any kind is refused by name and nothing is half-restored; a backup killed
//! at any instant never leaves a snapshot that restores wrong, and never changes the vault.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use courtside_vault::{BackupSecret, KdfParams, Vault, VaultError, restore_backup, verify_backup};

const PASS: &str = "correct horse battery";
const TABLES: [&str; 3] = ["drafts", "cases", "custody_log"];
/// Markers that must appear in no backup file (the canary).
const CANARIES: [&str; 2] = ["CANARY-draft-7f3a", "原告张三的秘密证据"];

/// A vault with records in three tables and blobs of several sizes (one spans pieces).
fn filled_vault(dir: &Path, evidence_bytes: usize) -> (Vault, String) {
    let (vault, recovery) = Vault::create(dir, PASS, KdfParams::insecure_for_tests()).unwrap();
    for (t, table) in TABLES.iter().enumerate() {
        for i in 0..20 {
            let body = format!("{table} {i}: {} {}", CANARIES[0], CANARIES[1]).repeat(t + 1);
            vault.put(table, &format!("id-{i}"), 1, body.as_bytes()).unwrap();
        }
    }
    // Several revisions of one record.
    for r in 0..5 {
        vault.put("drafts", "id-0", 2, format!("version {r} {}", CANARIES[1]).as_bytes()).unwrap();
    }
    let mut canary_file = Vec::new();
    for _ in 0..2000 {
        canary_file.extend_from_slice(CANARIES[0].as_bytes());
        canary_file.extend_from_slice(CANARIES[1].as_bytes());
    }
    vault.write_blob("exhibit-canary", &mut Cursor::new(canary_file)).unwrap();
    vault.write_blob("exhibit-big", &mut Cursor::new(pseudo_random(evidence_bytes, 1))).unwrap();
    vault.write_blob("exhibit-empty", &mut Cursor::new(Vec::new())).unwrap();
    (vault, recovery.display_string())
}

fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn digest(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Everything the vault holds, read through its public API (as digests, to keep failures
/// readable).
fn contents(vault: &Vault) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for table in TABLES {
        for r in vault.list(table).unwrap() {
            out.insert(format!("{table}/{}#{}v{}", r.id, r.revision, r.schema_version), digest(&r.plaintext));
        }
    }
    for id in ["exhibit-canary", "exhibit-big", "exhibit-empty", "exhibit-new"] {
        let mut bytes = Vec::new();
        if vault.read_blob(id, &mut bytes).is_ok() {
            out.insert(format!("blobs/{id}"), digest(&bytes));
        }
    }
    out
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

fn pieces(backup: &Path) -> Vec<PathBuf> {
    files_under(&backup.join("chunks"))
}

fn damage_of(e: VaultError) -> String {
    match e {
        VaultError::BackupDamaged { item, reason } => format!("{item}: {reason}"),
        other => panic!("expected a damaged backup, got {other:?}"),
    }
}

#[test]
fn a_restore_gives_back_every_item_with_the_passphrase_and_with_the_recovery_key() {
    let work = tempfile::tempdir().unwrap();
    let (vault, recovery) = filled_vault(&work.path().join("vault"), 3 << 20);
    let backup = work.path().join("usb");
    let report = vault.back_up(&backup).unwrap();
    assert_eq!(report.files, 4, "{report:?}");
    let expected = contents(&vault);
    let checked = verify_backup(&backup, BackupSecret::Passphrase(PASS)).unwrap();
    assert!(checked.iter().all(|(_, r)| r.is_ok()), "{checked:?}");
    drop(vault);

    for (name, secret) in
        [("by-passphrase", BackupSecret::Passphrase(PASS)), ("by-key", BackupSecret::RecoveryKey(&recovery))]
    {
        let target = work.path().join(name).join("vault");
        let restored = restore_backup(&backup, None, secret, &target).unwrap();
        assert_eq!(restored.snapshot.name, report.snapshot);
        let vault = match secret {
            BackupSecret::Passphrase(p) => Vault::unlock(&target, p).unwrap(),
            BackupSecret::RecoveryKey(k) => Vault::unlock_with_recovery_key(&target, k).unwrap(),
        };
        assert_eq!(contents(&vault), expected, "{name}");
        assert!(vault.verify().unwrap().is_empty(), "{name}");
        // The restored vault is a vault like any other: it writes and backs up again.
        vault.put("drafts", "after-restore", 1, b"new").unwrap();
    }
}

#[test]
fn wrong_secrets_and_a_vault_in_the_way_are_refused_and_nothing_is_written() {
    let work = tempfile::tempdir().unwrap();
    let (vault, _) = filled_vault(&work.path().join("vault"), 10_000);
    let backup = work.path().join("usb");
    vault.back_up(&backup).unwrap();
    let target = work.path().join("new").join("vault");
    assert!(matches!(
        restore_backup(&backup, None, BackupSecret::Passphrase("not the passphrase"), &target),
        Err(VaultError::WrongPassphrase)
    ));
    assert!(matches!(
        restore_backup(&backup, None, BackupSecret::RecoveryKey("CSRK-AAAA"), &target),
        Err(VaultError::WrongRecoveryKey)
    ));
    assert!(!target.exists());
    // Restoring over the vault itself is refused.
    drop(vault);
    let in_place = restore_backup(&backup, None, BackupSecret::Passphrase(PASS), &work.path().join("vault"));
    assert!(matches!(in_place, Err(VaultError::AlreadyExists(_))), "{in_place:?}");
    // A folder that holds no backup.
    let empty = work.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    assert!(matches!(
        restore_backup(&empty, None, BackupSecret::Passphrase(PASS), &target),
        Err(VaultError::NotABackup(_))
    ));
}

#[test]
fn the_next_backup_writes_only_what_changed() {
    let work = tempfile::tempdir().unwrap();
    let (vault, _) = filled_vault(&work.path().join("vault"), 24 << 20);
    let backup = work.path().join("usb");
    let first = vault.back_up(&backup).unwrap();
    assert!(first.bytes_written > 24 << 20, "{first:?}");
    let again = vault.back_up(&backup).unwrap();
    assert!(again.bytes_written < 1 << 20, "nothing changed, yet {again:?}");
    vault.write_blob("exhibit-new", &mut Cursor::new(pseudo_random(1 << 20, 9))).unwrap();
    vault.put("custody_log", "new-entry", 1, b"captured exhibit-new").unwrap();
    let third = vault.back_up(&backup).unwrap();
    assert!(third.bytes_written < 5 << 20, "{third:?}");
    assert!(third.bytes_written > 1 << 20, "the new exhibit must be in it: {third:?}");
    assert_eq!(vault.backup_snapshots(&backup).unwrap().len(), 3);
    // Each snapshot restores as it was: the oldest has no new exhibit.
    let expected = contents(&vault);
    drop(vault);
    let old = work.path().join("old").join("vault");
    restore_backup(&backup, Some(&first.snapshot), BackupSecret::Passphrase(PASS), &old).unwrap();
    let old = Vault::unlock(&old, PASS).unwrap();
    assert!(!contents(&old).contains_key("blobs/exhibit-new"));
    let new = work.path().join("new").join("vault");
    restore_backup(&backup, None, BackupSecret::Passphrase(PASS), &new).unwrap();
    assert_eq!(contents(&Vault::unlock(&new, PASS).unwrap()), expected);
}

#[test]
fn a_flipped_byte_a_truncated_piece_a_missing_piece_and_a_foreign_piece_are_each_refused_by_name() {
    let work = tempfile::tempdir().unwrap();
    let (vault, _) = filled_vault(&work.path().join("vault"), 3 << 20);
    let backup = work.path().join("usb");
    vault.back_up(&backup).unwrap();
    drop(vault);
    let (other, _) = filled_vault(&work.path().join("other"), 3 << 20);
    let other_backup = work.path().join("other-usb");
    other.back_up(&other_backup).unwrap();
    let foreign = pieces(&other_backup)[0].clone();

    type Damage = Box<dyn Fn(&Path)>;
    let damages: Vec<(&str, Damage)> = vec![
        (
            "flipped byte",
            Box::new(|p: &Path| {
                let mut b = std::fs::read(p).unwrap();
                let mid = b.len() / 2;
                b[mid] ^= 0x01;
                std::fs::write(p, b).unwrap();
            }),
        ),
        (
            "truncated",
            Box::new(|p: &Path| {
                let b = std::fs::read(p).unwrap();
                std::fs::write(p, &b[..b.len() / 3]).unwrap();
            }),
        ),
        ("missing", Box::new(|p: &Path| std::fs::remove_file(p).unwrap())),
        ("from another backup", Box::new(move |p: &Path| std::fs::copy(&foreign, p).map(|_| ()).unwrap())),
    ];
    let originals: Vec<(PathBuf, Vec<u8>)> =
        pieces(&backup).into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap())).collect();
    for (what, damage) in &damages {
        for (path, _) in originals.iter().step_by(2) {
            damage(path);
            let checked = verify_backup(&backup, BackupSecret::Passphrase(PASS)).unwrap();
            let problem = checked[0].1.as_ref().expect_err(what);
            let text = damage_of(clone_err(problem));
            assert!(text.contains("piece"), "{what}: {text}");
            let target = work.path().join("restored");
            let refused = restore_backup(&backup, None, BackupSecret::Passphrase(PASS), &target.join("vault"));
            assert!(matches!(refused, Err(VaultError::BackupDamaged { .. })), "{what}: {refused:?}");
            // Nothing half-restored: no vault, no hidden staging folder.
            assert!(!target.exists() || std::fs::read_dir(&target).unwrap().next().is_none(), "{what}");
            for (p, bytes) in &originals {
                std::fs::write(p, bytes).unwrap();
            }
        }
    }
    assert!(verify_backup(&backup, BackupSecret::Passphrase(PASS)).unwrap()[0].1.is_ok());
}

fn clone_err(e: &VaultError) -> VaultError {
    match e {
        VaultError::BackupDamaged { item, reason } => {
            VaultError::BackupDamaged { item: item.clone(), reason: reason.clone() }
        }
        other => panic!("expected a damaged backup, got {other:?}"),
    }
}

#[test]
fn a_truncated_or_swapped_snapshot_is_refused_and_another_vaults_folder_is_not_written() {
    let work = tempfile::tempdir().unwrap();
    let (vault, _) = filled_vault(&work.path().join("vault"), 10_000);
    let backup = work.path().join("usb");
    let report = vault.back_up(&backup).unwrap();
    let snapshot = backup.join("snapshots").join(format!("{}.json", report.snapshot));
    let original = std::fs::read(&snapshot).unwrap();
    std::fs::write(&snapshot, &original[..original.len() - 40]).unwrap();
    let checked = verify_backup(&backup, BackupSecret::Passphrase(PASS));
    // The only snapshot unreadable: nothing opens the backup, and the restore says why.
    assert!(checked.is_err() || checked.unwrap()[0].1.is_err());
    assert!(restore_backup(&backup, None, BackupSecret::Passphrase(PASS), &work.path().join("r1/vault")).is_err());
    assert!(!work.path().join("r1/vault").exists());
    std::fs::write(&snapshot, &original).unwrap();

    // The other vault's snapshot, renamed into this backup.
    let (other, _) = Vault::create(&work.path().join("other"), PASS, KdfParams::insecure_for_tests()).unwrap();
    let other_backup = work.path().join("other-usb");
    let theirs = other.back_up(&other_backup).unwrap();
    // Writing into another vault's backup folder is refused.
    assert!(matches!(other.back_up(&backup), Err(VaultError::BackupOfAnotherVault(_))));
    std::fs::copy(
        other_backup.join("snapshots").join(format!("{}.json", theirs.snapshot)),
        backup.join("snapshots").join(format!("{}.json", report.snapshot)),
    )
    .unwrap();
    let refused =
        restore_backup(&backup, Some(&report.snapshot), BackupSecret::Passphrase(PASS), &work.path().join("r2/vault"));
    assert!(refused.is_err(), "{refused:?}");
    assert!(!work.path().join("r2/vault").exists());
}

#[test]
fn no_backup_file_holds_a_plaintext_marker_or_the_device_slot() {
    let work = tempfile::tempdir().unwrap();
    let (vault, _) = filled_vault(&work.path().join("vault"), 10_000);
    let backup = work.path().join("usb");
    vault.back_up(&backup).unwrap();
    for file in files_under(&backup) {
        let bytes = std::fs::read(&file).unwrap();
        for marker in CANARIES {
            assert!(
                !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
                "{} holds {marker:?}",
                file.display()
            );
        }
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("\"device\""), "{} holds the device slot", file.display());
        for table in TABLES {
            assert!(!text.contains(table), "{} names the table {table}", file.display());
        }
    }
}

#[test]
fn after_a_passphrase_change_the_old_snapshot_opens_with_the_old_and_the_new_with_the_new() {
    let work = tempfile::tempdir().unwrap();
    let (vault, _) = filled_vault(&work.path().join("vault"), 10_000);
    let backup = work.path().join("usb");
    let old = vault.back_up(&backup).unwrap();
    vault.change_passphrase("a brand new passphrase", KdfParams::insecure_for_tests()).unwrap();
    vault.back_up(&backup).unwrap();
    drop(vault);
    restore_backup(&backup, None, BackupSecret::Passphrase("a brand new passphrase"), &work.path().join("a/vault"))
        .unwrap();
    assert!(Vault::unlock(&work.path().join("a/vault"), "a brand new passphrase").is_ok());
    restore_backup(&backup, Some(&old.snapshot), BackupSecret::Passphrase(PASS), &work.path().join("b/vault")).unwrap();
    assert!(Vault::unlock(&work.path().join("b/vault"), PASS).is_ok());
}

const CHILD_ENV: &str = "COURTSIDE_BACKUP_KILL_CHILD";

/// Not a test of its own: the process the kill test below kills (nothing without the
/// variable). Backs up over and over, into one folder and into new ones.
#[test]
fn child_backs_up_until_killed() {
    let Some(root) = std::env::var_os(CHILD_ENV) else { return };
    let root = PathBuf::from(root);
    let vault = Vault::unlock(&root.join("vault"), PASS).unwrap();
    for i in 0u64.. {
        let to = if i % 2 == 0 { root.join("usb") } else { root.join(format!("fresh-{i}")) };
        vault.back_up(&to).unwrap();
        println!("backed up {i}");
    }
}

#[test]
fn a_backup_killed_at_any_instant_never_restores_wrong_and_never_changes_the_vault() {
    let kills: u32 = std::env::var("COURTSIDE_BACKUP_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(50);
    let work = tempfile::tempdir().unwrap();
    let root = work.path();
    let (vault, _) = filled_vault(&root.join("vault"), 12 << 20);
    let expected = contents(&vault);
    drop(vault);
    let mut seed = 0x5EED_u64;
    let mut restores = 0;
    // Kills that landed while a backup was writing (not between two backups).
    let mut interrupted = 0;
    for k in 0..kills {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "backup::child_backs_up_until_killed", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, root)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(20 + seed % 400));
        assert!(child.try_wait().unwrap().is_none(), "kill {k}: the backing-up process ended by itself");
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        // The vault is as it was.
        let vault = Vault::unlock(&root.join("vault"), PASS).unwrap();
        assert!(vault.verify().unwrap().is_empty(), "kill {k}");
        assert_eq!(contents(&vault), expected, "kill {k}");
        drop(vault);
        // Every snapshot that verifies restores exactly the vault.
        let mut folders: Vec<PathBuf> = std::fs::read_dir(root)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("fresh-") || n == "usb"))
            .collect();
        folders.sort();
        let mut this_kill = false;
        for folder in folders {
            let left_over = files_under(&folder).iter().any(|f| f.to_string_lossy().ends_with(".tmp"))
                || (folder.join("courtside-backup.json").exists() && !folder.join("snapshots").exists());
            this_kill |= left_over;
            let checked = verify_backup(&folder, BackupSecret::Passphrase(PASS)).unwrap_or_default();
            for (name, result) in &checked {
                result
                    .as_ref()
                    .unwrap_or_else(|e| panic!("kill {k}: {} snapshot {name} is damaged: {e}", folder.display()));
            }
            if k % 10 == 0 && folder.ends_with("usb") && !checked.is_empty() {
                let target = root.join(format!("restored-{k}")).join("vault");
                restore_backup(&folder, None, BackupSecret::Passphrase(PASS), &target).unwrap();
                assert_eq!(contents(&Vault::unlock(&target, PASS).unwrap()), expected, "kill {k}");
                std::fs::remove_dir_all(target.parent().unwrap()).unwrap();
                restores += 1;
            }
            if folder.file_name().is_some_and(|n| n != "usb") {
                std::fs::remove_dir_all(&folder).unwrap();
            }
        }
        interrupted += u32::from(this_kill);
    }
    assert!(kills == 0 || restores > 0);
    assert!(interrupted >= kills / 5, "only {interrupted} of {kills} kills interrupted a backup");
    eprintln!("{kills} kills, {interrupted} in the middle of writing a backup, {restores} restores checked");
}

#[test]
fn pruning_keeps_what_retention_says_frees_the_rest_and_the_kept_snapshot_restores_exactly() {
    let work = tempfile::tempdir().unwrap();
    let (vault, _) = filled_vault(&work.path().join("vault"), 3 << 20);
    let backup = work.path().join("usb");
    vault.back_up(&backup).unwrap();
    // The big exhibit replaced: its old pieces are named only by the first snapshot.
    vault.write_blob("exhibit-big", &mut Cursor::new(pseudo_random(3 << 20, 77))).unwrap();
    vault.back_up(&backup).unwrap();
    let before = pieces(&backup).len();
    // Pieces younger than a day are never pruned (another computer may be writing a
    // snapshot that names them): nothing goes now.
    let keep_one = courtside_vault::Retention { last: 1, daily: 0, weekly: 0 };
    let fresh = vault.prune_backups(&backup, keep_one).unwrap();
    assert_eq!((fresh.snapshots_deleted, fresh.pieces_deleted), (1, 0), "{fresh:?}");
    vault.back_up(&backup).unwrap();
    let two_days_ago = std::time::SystemTime::now() - Duration::from_secs(2 * 86_400);
    for piece in pieces(&backup) {
        std::fs::File::options().write(true).open(&piece).unwrap().set_modified(two_days_ago).unwrap();
    }
    let report = vault.prune_backups(&backup, keep_one).unwrap();
    assert_eq!((report.snapshots_kept, report.snapshots_deleted), (1, 1), "{report:?}");
    assert!(report.pieces_deleted >= 3, "{report:?}");
    assert!(pieces(&backup).len() < before, "{report:?}");
    assert!(verify_backup(&backup, BackupSecret::Passphrase(PASS)).unwrap().iter().all(|(_, r)| r.is_ok()));
    let expected = contents(&vault);
    drop(vault);
    let target = work.path().join("r").join("vault");
    restore_backup(&backup, None, BackupSecret::Passphrase(PASS), &target).unwrap();
    assert_eq!(contents(&Vault::unlock(&target, PASS).unwrap()), expected);
}

#[test]
fn an_old_snapshot_restored_with_the_new_passphrase_opens_with_it() {
    let work = tempfile::tempdir().unwrap();
    let (vault, _) = filled_vault(&work.path().join("vault"), 10_000);
    let backup = work.path().join("usb");
    let old = vault.back_up(&backup).unwrap();
    vault.change_passphrase("a brand new passphrase", KdfParams::insecure_for_tests()).unwrap();
    vault.back_up(&backup).unwrap();
    drop(vault);
    let target = work.path().join("r/vault");
    restore_backup(&backup, Some(&old.snapshot), BackupSecret::Passphrase("a brand new passphrase"), &target).unwrap();
    assert!(Vault::unlock(&target, "a brand new passphrase").is_ok(), "the restored vault opens with what was typed");
}

#[test]
fn a_snapshot_that_cannot_be_read_stops_pruning_and_links_and_huge_files_are_refused() {
    let work = tempfile::tempdir().unwrap();
    let (vault, _) = filled_vault(&work.path().join("vault"), 3 << 20);
    let backup = work.path().join("usb");
    let first = vault.back_up(&backup).unwrap();
    vault.back_up(&backup).unwrap();
    let snapshot = backup.join("snapshots").join(format!("{}.json", first.snapshot));
    let original = std::fs::read(&snapshot).unwrap();
    std::fs::write(&snapshot, b"{ not json").unwrap();
    let refused = vault.prune_backups(&backup, courtside_vault::Retention { last: 1, daily: 0, weekly: 0 });
    assert!(matches!(refused, Err(VaultError::BackupDamaged { .. })), "{refused:?}");
    assert!(snapshot.exists());
    std::fs::write(&snapshot, &original).unwrap();
    drop(vault);
    // A piece replaced by a link to an endless device, and one made huge.
    let all = pieces(&backup);
    std::fs::remove_file(&all[0]).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &all[0]).unwrap();
    let started = std::time::Instant::now();
    let checked = verify_backup(&backup, BackupSecret::Passphrase(PASS)).unwrap();
    assert!(checked.iter().all(|(_, r)| r.is_err()), "{checked:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    std::fs::remove_file(&all[0]).unwrap();
    std::fs::write(&all[0], vec![0u8; (1 << 20) + 4096]).unwrap();
    let checked = verify_backup(&backup, BackupSecret::Passphrase(PASS)).unwrap();
    assert!(checked.iter().all(|(_, r)| r.is_err()), "{checked:?}");
}
