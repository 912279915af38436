//! `cargo xtask bench`: the performance table. Each figure stands beside a reference
//! measured in the same run on the same machine, and is reported as a ratio.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::Profile;
use crate::env::{self, Project, Xvfb};

/// Runs per app; the median is reported.
const RUNS: usize = 5;
/// How long an app sits idle after its first screen before its memory is read.
const IDLE: Duration = Duration::from_secs(5);
/// Longest wait for a first screen.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

pub(crate) fn bench() -> Result<()> {
    let p = Project::locate()?;
    let mut packages = env::BUILD_PACKAGES.to_vec();
    packages.extend_from_slice(&env::TEST_PACKAGES);
    env::ensure_system_packages(&packages)?;
    p.ensure_npm()?;
    p.build_ui()?;
    let courtside = p.build_app(Profile::Release)?;
    let minimal = build_minimal(&p)?;
    let bundles = crate::dist()?;
    let deb = bundles.iter().find(|b| b.extension().is_some_and(|e| e == "deb")).context("no .deb built")?;
    let deb_bytes = std::fs::metadata(deb)?.len();

    let display = Xvfb::start()?;
    let mut rows = Vec::new();
    for (name, bin) in [("minimal Tauri app", &minimal), ("Courtside", &courtside)] {
        let mut starts = Vec::new();
        let mut pss = Vec::new();
        for run in 0..RUNS {
            let m = measure(bin, display.display()).with_context(|| format!("{name}, run {}", run + 1))?;
            eprintln!(
                "bench: {name} run {}: first screen {} ms, idle PSS {} KiB",
                run + 1,
                m.start.as_millis(),
                m.pss_kib
            );
            starts.push(m.start);
            pss.push(m.pss_kib);
        }
        rows.push((name, median(&mut starts), median(&mut pss)));
    }
    let (_, min_start, min_pss) = rows[0];
    let (_, cs_start, cs_pss) = rows[1];
    let start_ratio = cs_start.as_secs_f64() / min_start.as_secs_f64();
    let pss_ratio = cs_pss as f64 / min_pss as f64;
    println!();
    println!("| figure | Courtside | reference (minimal Tauri app) | ratio | target |");
    println!("|---|---|---|---|---|");
    println!(
        "| start to first interactive screen (release, Xvfb, median of {RUNS}) | {} ms | {} ms | {start_ratio:.2}x | <= 1.5x |",
        cs_start.as_millis(),
        min_start.as_millis()
    );
    println!(
        "| idle memory, PSS of app + webview processes ({}s after first screen) | {:.1} MiB | {:.1} MiB | {pss_ratio:.2}x | <= 1.5x |",
        IDLE.as_secs(),
        cs_pss as f64 / 1024.0,
        min_pss as f64 / 1024.0
    );
    println!("| Linux .deb size ({}) | {:.2} MB | - | - | <= 20 MB |", file_name(deb), deb_bytes as f64 / 1e6);
    vault_figures(&p)?;
    backup_figures(&p)?;
    sync_figures(&p)?;
    evidence_figures(&p)
}

/// Backups: the `backup_bench` example (release) on a vault holding 1 GiB of evidence.
fn backup_figures(p: &Project) -> Result<()> {
    p.step(
        "backup bench (release)",
        crate::env::cmd(
            "cargo",
            &["build", "--quiet", "--release", "-p", "courtside-vault", "--example", "backup_bench"],
        )
        .current_dir(&p.root),
    )?;
    let bin = p.target_dir().join("release/examples").join(format!("backup_bench{}", std::env::consts::EXE_SUFFIX));
    let work = std::env::temp_dir().join(format!("courtside-backup-bench-{}", std::process::id()));
    let out = Command::new(&bin).arg(&work).stderr(Stdio::inherit()).output().context("run backup_bench")?;
    let _ = std::fs::remove_dir_all(&work);
    if !out.status.success() {
        bail!("backup_bench failed ({})", out.status);
    }
    println!();
    println!("| backup figure | measured | reference | ratio | target |");
    println!("|---|---|---|---|---|");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    Ok(())
}

/// Evidence ingest: the `evidence_bench` example (release) against `openssl dgst`.
fn evidence_figures(p: &Project) -> Result<()> {
    p.step(
        "evidence bench (release)",
        crate::env::cmd(
            "cargo",
            &["build", "--quiet", "--release", "-p", "courtside-evidence", "--example", "evidence_bench"],
        )
        .current_dir(&p.root),
    )?;
    let bin = p.target_dir().join("release/examples").join(format!("evidence_bench{}", std::env::consts::EXE_SUFFIX));
    let work = std::env::temp_dir().join(format!("courtside-evidence-bench-{}", std::process::id()));
    let out = Command::new(&bin).arg(&work).stderr(Stdio::inherit()).output().context("run evidence_bench")?;
    let _ = std::fs::remove_dir_all(&work);
    if !out.status.success() {
        bail!("evidence_bench failed ({})", out.status);
    }
    println!();
    println!("| evidence figure | measured | reference | ratio | target |");
    println!("|---|---|---|---|---|");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    Ok(())
}

/// The sync engine's figures: the `sync_bench` example (release) against a release
/// `courtside court serve` on 127.0.0.1.
fn sync_figures(p: &Project) -> Result<()> {
    p.step(
        "sync bench (release)",
        crate::env::cmd(
            "cargo",
            &[
                "build",
                "--quiet",
                "--release",
                "-p",
                "courtside-cli",
                "--bin",
                "courtside",
                "-p",
                "courtside-sync",
                "--example",
                "sync_bench",
            ],
        )
        .current_dir(&p.root),
    )?;
    let release = p.target_dir().join("release");
    let work = std::env::temp_dir().join(format!("courtside-sync-bench-{}", std::process::id()));
    let court_dir = work.join("court");
    let _ = std::fs::remove_dir_all(&work);
    let mut court = Command::new(release.join(format!("courtside{}", std::env::consts::EXE_SUFFIX)))
        .args(["court", "serve", "--port", "0", "--max-file-mib", "2048", "--max-filing-mib", "4096", "--data-dir"])
        .arg(&court_dir)
        .stdout(Stdio::piped())
        .spawn()
        .context("start the reference court")?;
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(court.stdout.take().context("court stdout")?), &mut line)?;
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).context("court address")?.to_owned();
    let clerk = std::fs::read_to_string(court_dir.join("clerk-token"))?;
    let out = Command::new(release.join("examples").join(format!("sync_bench{}", std::env::consts::EXE_SUFFIX)))
        .arg(work.join("client"))
        .arg(&url)
        .arg(clerk.trim())
        .env("COURTSIDE_BENCH_COURT_PID", court.id().to_string())
        .stderr(Stdio::inherit())
        .output()
        .context("run sync_bench");
    let _ = court.kill();
    let _ = court.wait();
    let _ = std::fs::remove_dir_all(&work);
    let out = out?;
    if !out.status.success() {
        bail!("sync_bench failed ({})", out.status);
    }
    println!();
    println!("| sync figure | measured | reference | ratio | target |");
    println!("|---|---|---|---|---|");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    Ok(())
}

/// A busy practice's vault and its fractions: the `scale_bench` example (release), which
/// keeps the generated vaults under the target directory for the next run.
fn scale_figures(p: &Project) -> Result<()> {
    p.step(
        "scale bench (release)",
        crate::env::cmd(
            "cargo",
            &["build", "--quiet", "--release", "-p", "courtside-core", "--example", "scale_bench"],
        )
        .current_dir(&p.root),
    )?;
    let bin = p.target_dir().join("release/examples").join(format!("scale_bench{}", std::env::consts::EXE_SUFFIX));
    let work =
        std::env::var_os("COURTSIDE_SCALE_DIR").map_or_else(|| p.target_dir().join("scale-bench"), PathBuf::from);
    let out = Command::new(&bin).arg(&work).stderr(Stdio::inherit()).output().context("run scale_bench")?;
    if !out.status.success() {
        bail!("scale_bench failed ({})", out.status);
    }
    println!();
    print!("{}", String::from_utf8_lossy(&out.stdout));
    Ok(())
}

/// One part of the bench alone (`cargo xtask bench vault|backup|evidence|torture|proxy|scale|sync`), without the app builds.
pub(crate) fn part(name: &str) -> Result<()> {
    let p = Project::locate()?;
    env::ensure_system_packages(&["curl", "openssl"])?;
    match name {
        "vault" => vault_figures(&p),
        "backup" => backup_figures(&p),
        "evidence" => evidence_figures(&p),
        "torture" => torture(&p),
        "proxy" => proxy(&p),
        "scale" => scale_figures(&p),
        _ => sync_figures(&p),
    }
}

/// The long form of the vault torture test (tests/tests/e2e/torture.rs): 1,000 SIGKILLs of
/// two processes working on one vault (`COURTSIDE_TORTURE_KILLS` sets another count).
fn torture(p: &Project) -> Result<()> {
    long_test(p, "vault torture", "torture::two_processes", "COURTSIDE_TORTURE_KILLS", "1000")
}

/// The long form of the fault-proxy test (tests/tests/e2e/proxy_kill.rs): 200 filings and
/// 200 actions through a proxy cutting every connection, the client SIGKILLed at random
/// (`COURTSIDE_PROXY_KILL_FILINGS` sets another count).
fn proxy(p: &Project) -> Result<()> {
    long_test(p, "fault proxy and kills", "proxy_kill::filings", "COURTSIDE_PROXY_KILL_FILINGS", "200")
}

/// Runs one end-to-end test with `variable` set (default `default`), printing its figures.
fn long_test(p: &Project, name: &str, filter: &str, variable: &str, default: &str) -> Result<()> {
    let count = std::env::var(variable).unwrap_or_else(|_| default.into());
    p.step(
        &format!("{name}, {variable}={count}"),
        crate::env::cmd(
            "cargo",
            &[
                "test",
                "--quiet",
                "-p",
                "courtside-e2e",
                "--test",
                "e2e",
                filter,
                "--",
                "--nocapture",
                "--test-threads=1",
            ],
        )
        .env(variable, &count)
        .current_dir(&p.root),
    )
}

/// The vault's figures, from the `vault_bench` example built in release.
fn vault_figures(p: &Project) -> Result<()> {
    p.step(
        "vault bench (release)",
        crate::env::cmd(
            "cargo",
            &["build", "--quiet", "--release", "-p", "courtside-casework", "--example", "vault_bench"],
        )
        .current_dir(&p.root),
    )?;
    let bin = p.target_dir().join("release/examples").join(format!("vault_bench{}", std::env::consts::EXE_SUFFIX));
    let work = std::env::temp_dir().join(format!("courtside-vault-bench-{}", std::process::id()));
    let out = Command::new(&bin).arg(&work).stderr(Stdio::inherit()).output().context("run vault_bench")?;
    if !out.status.success() {
        bail!("vault_bench failed ({})", out.status);
    }
    println!();
    println!("| vault figure | measured | reference | target |");
    println!("|---|---|---|---|");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    Ok(())
}

fn build_minimal(p: &Project) -> Result<PathBuf> {
    let mut c = p.tauri(&["build", "--no-bundle"]);
    c.env("TAURI_APP_PATH", "fixtures/minimal-tauri");
    p.step("minimal Tauri app (release)", &mut c)?;
    let bin = p.target_dir().join("release").join(format!("minimal-tauri{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        bail!("{} was not built", bin.display());
    }
    Ok(bin)
}

struct Measurement {
    start: Duration,
    pss_kib: u64,
}

/// Starts the app with a fresh data directory, waits for its `courtside-ready` line (printed
/// when the page calls back over IPC), lets it idle, then sums the PSS of its process tree.
fn measure(bin: &Path, display: &str) -> Result<Measurement> {
    let data = std::env::temp_dir().join(format!("courtside-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let started = Instant::now();
    let mut child = Command::new(bin)
        .env("DISPLAY", display)
        .env("COURTSIDE_REPORT_READY", "1")
        .env("COURTSIDE_DATA_DIR", &data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("start {}", bin.display()))?;
    let stdout = child.stdout.take().context("stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.starts_with("courtside-ready") {
                let _ = tx.send(());
            }
        }
    });
    let ready = rx.recv_timeout(READY_TIMEOUT);
    let start = started.elapsed();
    if ready.is_err() {
        kill_tree(&mut child);
        bail!("no first screen within {READY_TIMEOUT:?}");
    }
    std::thread::sleep(IDLE);
    let pss_kib = tree_pids(child.id()).iter().map(|pid| pss_kib(*pid)).sum();
    kill_tree(&mut child);
    let _ = std::fs::remove_dir_all(&data);
    Ok(Measurement { start, pss_kib })
}

/// The process and all its descendants (WebKit's web and network processes).
fn tree_pids(root: u32) -> Vec<u32> {
    let mut parents = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
            // The command name may contain spaces; fields resume after the last ')'.
            let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { continue };
            if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|s| s.parse::<u32>().ok()) {
                parents.push((pid, ppid));
            }
        }
    }
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(parents.iter().filter(|(_, pp)| *pp == parent).map(|(pid, _)| *pid));
        i += 1;
    }
    tree
}

fn pss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn kill_tree(child: &mut Child) {
    for pid in tree_pids(child.id()).into_iter().rev() {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    }
    let _ = child.wait();
}

fn median<T: Copy + Ord>(values: &mut [T]) -> T {
    values.sort_unstable();
    values[values.len() / 2]
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}
