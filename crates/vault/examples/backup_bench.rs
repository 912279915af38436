//! The backups' figures for `cargo xtask bench` (run in release): a first backup of a vault
//! holding 1 GiB of evidence, the next backup after one 1 MiB exhibit (bytes written and
//! time, against the first), a backup with nothing changed, a full verify and a restore.
//! Prints markdown table rows.
//!
//! Usage: `backup_bench WORK_DIR [MIB]`

use std::io::Cursor;
use std::time::{Duration, Instant};

use courtside_vault::{BackupSecret, KdfParams, Vault, restore_backup, verify_backup};

const PASSPHRASE: &str = "benchmark passphrase";
const EXHIBIT_MIB: usize = 16;

fn main() {
    let mut args = std::env::args().skip(1);
    let work = std::path::PathBuf::from(args.next().expect("work dir"));
    let total_mib: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1024);
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("work dir");
    let (vault, _) = Vault::create(&work.join("vault"), PASSPHRASE, KdfParams::insecure_for_tests()).expect("create");
    for n in 0..total_mib / EXHIBIT_MIB {
        vault.write_blob(&format!("exhibit-{n}"), &mut Cursor::new(noise(EXHIBIT_MIB << 20, n as u64))).expect("blob");
        vault.put("exhibits", &format!("exhibit-{n}"), 1, format!("exhibit {n}").as_bytes()).expect("record");
    }
    let usb = work.join("usb");
    let (first, first_time) = time(|| vault.back_up(&usb).expect("first backup"));
    let (same, same_time) = time(|| vault.back_up(&usb).expect("unchanged backup"));
    vault.write_blob("exhibit-new", &mut Cursor::new(noise(1 << 20, 999))).expect("new exhibit");
    vault.put("exhibits", "exhibit-new", 1, b"a new 1 MiB exhibit").expect("record");
    let (next, next_time) = time(|| vault.back_up(&usb).expect("incremental backup"));
    drop(vault);
    let (checked, verify_time) = time(|| verify_backup(&usb, BackupSecret::Passphrase(PASSPHRASE)).expect("verify"));
    assert!(checked.iter().all(|(_, r)| r.is_ok()));
    let (_, restore_time) = time(|| {
        restore_backup(&usb, None, BackupSecret::Passphrase(PASSPHRASE), &work.join("restored/vault")).expect("restore")
    });

    let mib = |b: u64| b as f64 / f64::from(1 << 20);
    let rate = |b: u64, t: Duration| mib(b) / t.as_secs_f64();
    println!(
        "| first backup of {total_mib} MiB of evidence | {:.2} s ({:.0} MiB/s), {:.1} MiB written | - | - | report |",
        first_time.as_secs_f64(),
        rate(first.bytes, first_time),
        mib(first.bytes_written)
    );
    println!(
        "| next backup after one 1 MiB exhibit | {:.2} MB written, {:.3} s | first backup {:.2} s | {:.3}x | < 5 MB, < 0.10x |",
        next.bytes_written as f64 / 1e6,
        next_time.as_secs_f64(),
        first_time.as_secs_f64(),
        next_time.as_secs_f64() / first_time.as_secs_f64()
    );
    println!(
        "| backup with nothing changed | {:.2} MB written, {:.3} s | - | - | report |",
        same.bytes_written as f64 / 1e6,
        same_time.as_secs_f64()
    );
    println!(
        "| verify of {} snapshots | {:.2} s ({:.0} MiB/s of vault) | - | - | report |",
        checked.len(),
        verify_time.as_secs_f64(),
        rate(next.bytes, verify_time)
    );
    println!(
        "| restore of the newest | {:.2} s ({:.0} MiB/s) | - | - | report |",
        restore_time.as_secs_f64(),
        rate(next.bytes, restore_time)
    );
    let _ = std::fs::remove_dir_all(&work);
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let out = f();
    (out, started.elapsed())
}

/// Incompressible bytes (xorshift), different per `seed`.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}
