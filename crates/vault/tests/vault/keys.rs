//! The key hierarchy: passphrase, recovery key, passphrase change, damaged key files.

use courtside_vault::{KEY_FILE, KdfParams, MIN_PASSPHRASE_CHARS, RecoveryKey, Vault, VaultError, VaultState};

fn cheap() -> KdfParams {
    KdfParams::insecure_for_tests()
}

#[test]
fn create_then_unlock_with_the_passphrase_only() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(Vault::state(dir.path()).unwrap(), VaultState::Absent);
    let (_vault, _recovery) = Vault::create(dir.path(), "correct horse battery", cheap()).unwrap();
    assert_eq!(Vault::state(dir.path()).unwrap(), VaultState::Present);
    Vault::unlock(dir.path(), "correct horse battery").unwrap();
    assert!(matches!(Vault::unlock(dir.path(), "correct horse batterY"), Err(VaultError::WrongPassphrase)));
    assert!(matches!(Vault::unlock(dir.path(), ""), Err(VaultError::WrongPassphrase)));
}

#[test]
fn the_key_file_holds_no_passphrase_or_key_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let (_vault, recovery) = Vault::create(dir.path(), "passphrase-marker-7f3a", cheap()).unwrap();
    let text = std::fs::read_to_string(dir.path().join(KEY_FILE)).unwrap();
    assert!(!text.contains("passphrase-marker-7f3a"));
    assert!(!text.contains(&recovery.display_string()));
}

#[test]
fn recovery_key_opens_the_vault_and_survives_retyping() {
    let dir = tempfile::tempdir().unwrap();
    let (_vault, recovery) = Vault::create(dir.path(), "correct horse battery", cheap()).unwrap();
    let printed = recovery.display_string();
    assert!(printed.starts_with("CSRK-"));
    Vault::unlock_with_recovery_key(dir.path(), &printed).unwrap();
    let retyped = printed.to_lowercase().replace('-', " ");
    Vault::unlock_with_recovery_key(dir.path(), &retyped).unwrap();

    let (_other, other_key) = Vault::create(&dir.path().join("other"), "another passphrase", cheap()).unwrap();
    assert!(matches!(
        Vault::unlock_with_recovery_key(dir.path(), &other_key.display_string()),
        Err(VaultError::WrongRecoveryKey)
    ));
    assert!(matches!(Vault::unlock_with_recovery_key(dir.path(), "CSRK-NOPE"), Err(VaultError::WrongRecoveryKey)));
}

#[test]
fn change_passphrase_rewraps_and_the_old_one_stops_working() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, recovery) = Vault::create(dir.path(), "first passphrase", cheap()).unwrap();
    vault.change_passphrase("second passphrase", cheap()).unwrap();
    assert!(matches!(Vault::unlock(dir.path(), "first passphrase"), Err(VaultError::WrongPassphrase)));
    Vault::unlock(dir.path(), "second passphrase").unwrap();
    // The recovery key still works: only the passphrase slot changed.
    Vault::unlock_with_recovery_key(dir.path(), &recovery.display_string()).unwrap();
    assert!(!dir.path().join("vault.json.tmp").exists());
}

#[test]
fn weak_passphrase_and_existing_vault_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let short = "x".repeat(MIN_PASSPHRASE_CHARS - 1);
    assert!(matches!(Vault::create(dir.path(), &short, cheap()), Err(VaultError::WeakPassphrase { .. })));
    Vault::create(dir.path(), "correct horse battery", cheap()).unwrap();
    assert!(matches!(Vault::create(dir.path(), "correct horse battery", cheap()), Err(VaultError::AlreadyExists(_))));
}

#[test]
fn damaged_key_files_give_a_clear_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    Vault::create(dir.path(), "correct horse battery", cheap()).unwrap();
    let path = dir.path().join(KEY_FILE);
    let original = std::fs::read(&path).unwrap();

    std::fs::write(&path, b"{ not json").unwrap();
    assert!(matches!(Vault::unlock(dir.path(), "correct horse battery"), Err(VaultError::Corrupt { .. })));

    std::fs::write(&path, &original[..original.len() / 2]).unwrap();
    assert!(matches!(Vault::unlock(dir.path(), "correct horse battery"), Err(VaultError::Corrupt { .. })));

    // A flipped bit inside the wrapped key is indistinguishable from a wrong passphrase
    // to GCM, and must not open the vault.
    let mut json: serde_json::Value = serde_json::from_slice(&original).unwrap();
    let ct = json["passphrase"]["wrapped"]["ciphertext"].as_str().unwrap().to_owned();
    let mut bytes = data_encoding::BASE64.decode(ct.as_bytes()).unwrap();
    bytes[0] ^= 1;
    json["passphrase"]["wrapped"]["ciphertext"] = data_encoding::BASE64.encode(&bytes).into();
    std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
    assert!(matches!(Vault::unlock(dir.path(), "correct horse battery"), Err(VaultError::WrongPassphrase)));

    std::fs::remove_file(&path).unwrap();
    assert!(matches!(Vault::unlock(dir.path(), "correct horse battery"), Err(VaultError::NotFound(_))));
}

#[test]
fn recovery_key_parser_never_panics() {
    for input in ["", "-", "CSRK", "CSRK-", "🙂", "CSRK-AAAA", &"A".repeat(1000), "csrk-0000-1111"] {
        assert!(RecoveryKey::parse(input).is_err(), "{input}");
    }
}

#[test]
fn a_device_key_opens_the_vault_until_it_is_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = Vault::create(dir.path(), "correct horse battery", cheap()).unwrap();
    assert!(!Vault::device_unlock_enabled(dir.path()).unwrap());
    assert!(matches!(Vault::unlock_with_device_key(dir.path(), &[7; 32]), Err(VaultError::DeviceUnlockOff)));
    vault.set_device_key(Some(&[7; 32])).unwrap();
    assert!(Vault::device_unlock_enabled(dir.path()).unwrap());
    Vault::unlock_with_device_key(dir.path(), &[7; 32]).unwrap();
    assert!(matches!(Vault::unlock_with_device_key(dir.path(), &[8; 32]), Err(VaultError::WrongDeviceKey)));
    // The passphrase keeps working beside it, and changing it keeps the device slot.
    vault.change_passphrase("another passphrase", cheap()).unwrap();
    Vault::unlock_with_device_key(dir.path(), &[7; 32]).unwrap();
    vault.set_device_key(None).unwrap();
    assert!(matches!(Vault::unlock_with_device_key(dir.path(), &[7; 32]), Err(VaultError::DeviceUnlockOff)));
    Vault::unlock(dir.path(), "another passphrase").unwrap();
}

/// Where the OS keychain answers, turning device unlock on makes it work; where none does
/// (headless Linux, as in CI), the error says so and the vault is unchanged.
#[test]
fn device_unlock_uses_the_os_keychain_or_says_it_is_not_there() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) = Vault::create(dir.path(), "correct horse battery", cheap()).unwrap();
    match vault.set_device_unlock(true) {
        Ok(()) => {
            Vault::unlock_with_this_device(dir.path()).unwrap();
            vault.set_device_unlock(false).unwrap();
            assert!(matches!(Vault::unlock_with_this_device(dir.path()), Err(VaultError::DeviceUnlockOff)));
        }
        Err(VaultError::KeychainUnavailable(reason)) => {
            assert!(!reason.is_empty());
            println!("no keychain here: {reason}");
            let message = VaultError::KeychainUnavailable(reason).to_string();
            assert!(message.contains("unlock with your passphrase"), "{message}");
            assert!(!Vault::device_unlock_enabled(dir.path()).unwrap(), "nothing was changed");
            assert!(matches!(Vault::unlock_with_this_device(dir.path()), Err(VaultError::DeviceUnlockOff)));
            Vault::unlock(dir.path(), "correct horse battery").unwrap();
        }
        Err(other) => panic!("unexpected error: {other}"),
    }
}

/// The key file is read, changed and written back under one lock: a passphrase change and
/// device unlock toggled at the same instant, from two handles of the vault on two threads,
/// never lose one of the two changes or leave a torn file.
#[test]
fn a_passphrase_change_and_device_unlock_at_the_same_instant_both_take_effect() {
    let dir = tempfile::tempdir().unwrap();
    let (first, _) = Vault::create(dir.path(), "passphrase number 0", cheap()).unwrap();
    let second = Vault::unlock(dir.path(), "passphrase number 0").unwrap();
    for round in 1..=100u8 {
        let start = std::sync::Barrier::new(2);
        let device_on = round % 2 == 1;
        std::thread::scope(|s| {
            s.spawn(|| {
                start.wait();
                first.change_passphrase(&format!("passphrase number {round}"), cheap()).unwrap();
            });
            s.spawn(|| {
                start.wait();
                second.set_device_key(device_on.then_some(&[round; 32])).unwrap();
            });
        });
        assert!(Vault::unlock(dir.path(), &format!("passphrase number {round}")).is_ok(), "round {round}");
        assert!(
            matches!(
                Vault::unlock(dir.path(), &format!("passphrase number {}", round - 1)),
                Err(VaultError::WrongPassphrase)
            ),
            "round {round}: the old passphrase still opens the vault"
        );
        assert_eq!(Vault::device_unlock_enabled(dir.path()).unwrap(), device_on, "round {round}");
        if device_on {
            Vault::unlock_with_device_key(dir.path(), &[round; 32]).unwrap();
        }
    }
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
