//! `cargo xtask fuzz [--seconds N]`: every target of `fuzz/` (cargo-fuzz, libFuzzer, nightly
//! with AddressSanitizer) for N seconds each (default 600), then a table of executions and
//! crashes. `cargo xtask test` runs each for a few seconds. A crash fails the run and leaves
//! its input under `fuzz/artifacts/<target>/` (replay: `cargo +nightly fuzz run <target>
//! <file>`); the corpus grows under the target directory, so later runs start where the last
//! ones ended.

use std::process::Stdio;

use anyhow::{Context, Result, bail};

use crate::env::{Project, cmd};

/// The targets, as in fuzz/Cargo.toml (a test checks the two agree).
pub(crate) const TARGETS: [&str; 10] = [
    "backup_snapshot",
    "court_answers",
    "time_stamp_reply",
    "web_page_text",
    "tus_headers",
    "typed_by_the_user",
    "sign_in_callback",
    "custody_entries",
    "vault_files",
    "exhibit_contents",
];

/// Runs `only` (every target when empty) for `seconds` each.
pub(crate) fn fuzz(seconds: u64, only: &[&str]) -> Result<()> {
    let p = Project::locate()?;
    if !cmd("cargo", &["+nightly", "--version"]).output().is_ok_and(|o| o.status.success()) {
        bail!("fuzzing needs the nightly toolchain: rustup toolchain install nightly");
    }
    if !cmd("cargo", &["fuzz", "--version"]).output().is_ok_and(|o| o.status.success()) {
        p.step("install cargo-fuzz", &mut cmd("cargo", &["install", "--locked", "cargo-fuzz"]))?;
    }
    let fuzz_dir = p.root.join("fuzz");
    let target_dir = p.target_dir().join("fuzz");
    p.step(
        "fuzz targets (nightly, AddressSanitizer)",
        cmd("cargo", &["+nightly", "fuzz", "build", "--target-dir"]).arg(&target_dir).current_dir(&fuzz_dir),
    )?;
    let mut rows = Vec::new();
    for target in TARGETS.into_iter().filter(|t| only.is_empty() || only.contains(t)) {
        let corpus = p.target_dir().join("fuzz-corpus").join(target);
        std::fs::create_dir_all(&corpus)?;
        let seeds = fuzz_dir.join("seeds").join(target);
        eprintln!("\n== fuzz {target} for {seconds} s");
        let mut run = cmd("cargo", &["+nightly", "fuzz", "run", "--target-dir"]);
        run.arg(&target_dir).arg(target).arg(&corpus);
        if seeds.is_dir() {
            run.arg(&seeds);
        }
        let out = run
            .args(["--", &format!("-max_total_time={seconds}"), "-rss_limit_mb=2048", "-print_final_stats=1"])
            .current_dir(&fuzz_dir)
            .stdout(Stdio::inherit())
            .stderr(Stdio::piped())
            .output()
            .with_context(|| format!("run fuzz target {target}"))?;
        let log = String::from_utf8_lossy(&out.stderr);
        let runs = log
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
            .map_or_else(|| "?".to_owned(), |n| n.trim().to_owned());
        let crashed = !out.status.success();
        if crashed {
            eprintln!(
                "{}",
                log.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        rows.push((target, runs, crashed));
    }
    println!();
    println!("| fuzz target | executions in {seconds} s | crashes |");
    println!("|---|---|---|");
    for (target, runs, crashed) in &rows {
        println!("| {target} | {runs} | {} |", if *crashed { "CRASH (see fuzz/artifacts)" } else { "0" });
    }
    if rows.iter().any(|(_, _, crashed)| *crashed) {
        bail!("a fuzz target crashed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_fuzz_target_is_run() {
        let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/Cargo.toml")).unwrap();
        let declared: Vec<&str> = manifest
            .lines()
            .filter_map(|l| l.strip_prefix("name = \""))
            .filter_map(|l| l.strip_suffix('"'))
            .filter(|n| *n != "courtside-fuzz")
            .collect();
        let mut run = super::TARGETS.to_vec();
        run.sort_unstable();
        let mut declared = declared;
        declared.sort_unstable();
        assert_eq!(run, declared);
    }
}
