//! The vault's figures for `cargo xtask bench` (run in release):
//! unlock after key derivation + list of 10,000 drafts, autosave latency of a 200 KB draft,
//! search over 10,000 drafts, and blob encrypt+hash throughput beside `openssl dgst -sha256`
//! of the same file in the same run. Prints markdown table rows.
//!
//! Usage: `vault_bench WORK_DIR`

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use courtside_casework::Drafts;
use courtside_vault::{KdfParams, Vault};

const DRAFTS: usize = 10_000;
const AUTOSAVES: usize = 300;
const BLOB_MIB: usize = 256;
const PASSPHRASE: &str = "benchmark passphrase";

fn main() {
    let work = std::path::PathBuf::from(std::env::args().nth(1).expect("work dir"));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("work dir");
    let dir = work.join("vault");

    let (vault, _) = Vault::create(&dir, PASSPHRASE, KdfParams::default()).expect("create");
    let vault = Arc::new(vault);
    let mut drafts = Drafts::load(vault.clone()).expect("load");
    let started = Instant::now();
    for i in 0..DRAFTS {
        drafts.create(&format!("起诉状 {i}"), &sample_body(i), None).expect("create draft");
    }
    let setup = started.elapsed();
    drop(drafts);
    drop(vault);

    // Unlock = key derivation + opening; a wrong passphrase costs the derivation alone.
    // Medians of five, since the derivation's own spread is larger than what we measure.
    let kdf = median((0..5).map(|_| {
        time(|| {
            let _ = Vault::unlock(&dir, "not the passphrase");
        })
    }));
    let unlock_and_list = median((0..5).map(|_| {
        time(|| {
            let vault = Arc::new(Vault::unlock(&dir, PASSPHRASE).expect("unlock"));
            let drafts = Drafts::load(vault).expect("load");
            assert_eq!(drafts.list().len(), DRAFTS);
        })
    }));
    let after_kdf = unlock_and_list.saturating_sub(kdf);

    let vault = Arc::new(Vault::unlock(&dir, PASSPHRASE).expect("unlock"));
    let mut drafts = Drafts::load(vault.clone()).expect("load");
    let searches: Vec<Duration> = (0..20)
        .map(|i| {
            let t = Instant::now();
            let hits = drafts.search(&format!("合同第{}条", 100 + i));
            let d = t.elapsed();
            assert!(!hits.is_empty());
            d
        })
        .collect();

    let mut body = "原告诉称，被告未按合同约定履行付款义务。The defendant failed to pay. ".repeat(2_600);
    body.truncate(body.char_indices().take_while(|(i, _)| *i < 200 * 1024).last().map_or(0, |(i, _)| i));
    let draft = drafts.create("200 KB 起诉状", &body, None).expect("create");
    let mut saves: Vec<Duration> = (0..AUTOSAVES)
        .map(|i| {
            body.push_str(&format!("第{i}处修改。"));
            let t = Instant::now();
            drafts.save(&draft.id, "200 KB 起诉状", &body).expect("save");
            t.elapsed()
        })
        .collect();
    saves.sort();

    let file = work.join("blob.bin");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&file).expect("file"));
        let mut chunk = vec![0u8; 1 << 20];
        for i in 0..BLOB_MIB {
            for (j, b) in chunk.iter_mut().enumerate() {
                *b = (i.wrapping_mul(31) ^ j.wrapping_mul(17)) as u8;
            }
            f.write_all(&chunk).expect("write");
        }
    }
    let blob = time(|| {
        let mut f = std::fs::File::open(&file).expect("open");
        vault.write_blob("bench", &mut f).expect("blob");
    });
    let openssl = time(|| {
        let status = std::process::Command::new("openssl")
            .args(["dgst", "-sha256"])
            .arg(&file)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("openssl");
        assert!(status.success());
    });

    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
    let mean_search = searches.iter().sum::<Duration>() / u32::try_from(searches.len()).unwrap_or(1);
    let mibs = |d: Duration| BLOB_MIB as f64 / d.as_secs_f64();
    println!("| key derivation (Argon2id, default parameters) | {} | - | ~0.5-1 s |", ms(kdf));
    println!("| unlock after key derivation + list {DRAFTS} drafts | {} | - | <= 150 ms |", ms(after_kdf));
    println!(
        "| autosave of a 200 KB draft ({AUTOSAVES} saves) | p50 {} / p99 {} | - | p99 <= 20 ms |",
        ms(saves[saves.len() / 2]),
        ms(saves[saves.len() * 99 / 100])
    );
    println!("| full-text search over {DRAFTS} drafts (mean of 20) | {} | - | <= 100 ms |", ms(mean_search));
    println!(
        "| blob encrypt + SHA-256 + durable write, {BLOB_MIB} MiB | {:.0} MiB/s | openssl dgst -sha256: {:.0} MiB/s | time ratio {:.2}x (ingest target <= 1.25x) |",
        mibs(blob),
        mibs(openssl),
        blob.as_secs_f64() / openssl.as_secs_f64()
    );
    println!("| (setup: {DRAFTS} drafts created one transaction each) | {:.1} s | - | - |", setup.as_secs_f64());
    let _ = std::fs::remove_dir_all(&work);
}

fn median(samples: impl Iterator<Item = Duration>) -> Duration {
    let mut v: Vec<Duration> = samples.collect();
    v.sort();
    v[v.len() / 2]
}

fn time(f: impl FnOnce()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

/// About 2 KB of mixed Chinese and Latin text; draft `i` mentions "合同第{i % 1000}条".
fn sample_body(i: usize) -> String {
    format!(
        "原告：张三{i}。被告：李四。诉讼请求：判令被告支付货款及违约金。事实与理由：双方签订买卖合同，依据合同第{}条约定……\n{}",
        i % 1000,
        "The parties agreed on delivery terms; the defendant did not pay the price when due. 被告逾期未付款。"
            .repeat(12)
    )
}
