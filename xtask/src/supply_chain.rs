//! `cargo deny` offline: advisories from the RustSec snapshot beside the project
//! (`../shared/advisory-db`, or `COURTSIDE_ADVISORY_DB`), licences, bans and sources.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::env::{Project, cmd};

/// Where cargo-deny looks for the default advisory database under `db-path` (deny.toml).
const DB_DIR: &str = "target/advisory-dbs/advisory-db-3157b0e258782691";

pub(crate) fn check(p: &Project) -> Result<()> {
    let snapshot = snapshot_location(p);
    if !snapshot.join("SNAPSHOT").exists() {
        if std::env::var_os("CI").is_some() {
            bail!("no advisory snapshot at {} (set COURTSIDE_ADVISORY_DB)", snapshot.display());
        }
        eprintln!(
            "\n== cargo deny: not run: no advisory snapshot at {} (set COURTSIDE_ADVISORY_DB)",
            snapshot.display()
        );
        return Ok(());
    }
    if !cmd("cargo", &["deny", "--version"]).output().is_ok_and(|o| o.status.success()) {
        p.step("install cargo-deny", &mut cmd("cargo", &["install", "--locked", "cargo-deny"]))?;
    }
    install_snapshot(p, &snapshot)?;
    // cargo-deny reads the whole dependency graph, every platform's crates included.
    p.step("cargo fetch", cmd("cargo", &["fetch", "--quiet"]).current_dir(&p.root))?;
    p.step(
        "cargo deny (advisories snapshot, licences, bans, sources)",
        cmd("cargo", &["deny", "--offline", "check"]).current_dir(&p.root),
    )
}

/// `COURTSIDE_ADVISORY_DB`, else `../shared/advisory-db` beside the checkout, else beside
/// the repository it was cloned from (a clean clone for a CI check, `git clone . /tmp/x`,
/// has no `../shared` of its own).
fn snapshot_location(p: &Project) -> PathBuf {
    if let Some(dir) = std::env::var_os("COURTSIDE_ADVISORY_DB") {
        return PathBuf::from(dir);
    }
    let beside = p.root.join("../shared/advisory-db");
    if beside.join("SNAPSHOT").exists() {
        return beside;
    }
    let origin = cmd("git", &["config", "--get", "remote.origin.url"])
        .current_dir(&p.root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    match origin.map(PathBuf::from) {
        Some(origin) if origin.is_absolute() && origin.join("../shared/advisory-db/SNAPSHOT").exists() => {
            origin.join("../shared/advisory-db")
        }
        _ => beside,
    }
}

/// Copies the snapshot into a git repository where cargo-deny expects its database, unless
/// the same snapshot is there already.
fn install_snapshot(p: &Project, snapshot: &Path) -> Result<()> {
    let db = p.root.join(DB_DIR);
    let wanted = std::fs::read_to_string(snapshot.join("SNAPSHOT"))?;
    if std::fs::read_to_string(db.join("SNAPSHOT")).is_ok_and(|have| have == wanted) && db.join(".git").exists() {
        return Ok(());
    }
    if db.exists() {
        std::fs::remove_dir_all(&db).with_context(|| format!("remove {}", db.display()))?;
    }
    copy_tree(snapshot, &db)?;
    let git = |args: &[&str]| -> Result<()> {
        let status = cmd("git", args)
            .current_dir(&db)
            .env("GIT_AUTHOR_NAME", "xtask")
            .env("GIT_AUTHOR_EMAIL", "xtask@localhost")
            .env("GIT_COMMITTER_NAME", "xtask")
            .env("GIT_COMMITTER_EMAIL", "xtask@localhost")
            .status()?;
        if !status.success() {
            bail!("git {} failed in {}", args.join(" "), db.display());
        }
        Ok(())
    };
    git(&["init", "--quiet"])?;
    git(&["add", "--all"])?;
    git(&["commit", "--quiet", "--no-gpg-sign", "--message", wanted.trim()])
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
