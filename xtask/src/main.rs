//! Project automation, in Rust so it runs the same everywhere: `cargo xtask <task>`.
//!
//! - `run`: installs what is missing (Debian/Ubuntu packages, npm dependencies), builds the
//!   UI and the desktop app, and starts it (with the embedded demo court when no court is
//!   configured).
//! - `test`: every suite: formatting, lints, supply chain (`cargo deny`), Rust tests, a short
//!   run of every fuzz target, UI type check and unit tests, the
//!   Playwright suite against the web build, the WebDriver suite against the release app
//!   under Xvfb.
//! - `dist`: `.deb` and `.rpm` bundles, copied to `target/dist/`.
//! - `codegen`: regenerates the committed TypeScript IPC bindings.
//! - `fuzz [--seconds N] [TARGET ...]`: every fuzz target (or those named) for N seconds (default 600), with a table of
//!   executions and crashes.
//! - `bench`: the performance table (start time and idle memory against a minimal Tauri app,
//!   bundle size).

mod bench;
mod checks;
mod env;
mod fuzz;
mod supply_chain;
mod validators;

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use env::{Project, cmd};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("test") => test(),
        Some("dist") => dist().map(|_| ()),
        Some("codegen") => codegen(),
        Some("fuzz") => {
            // `--seconds N` (default 600), then optionally the targets to run (default all).
            let (seconds, only) = match (args.get(1).map(String::as_str), args.get(2).map(|s| s.parse::<u64>())) {
                (None, _) => (Some(600), &args[1..]),
                (Some("--seconds"), Some(Ok(n))) if n > 0 => (Some(n), &args[3..]),
                (Some(target), _) if !target.starts_with('-') => (Some(600), &args[1..]),
                _ => (None, &args[1..]),
            };
            let only: Vec<&str> = only.iter().map(String::as_str).collect();
            match seconds {
                Some(n) if only.iter().all(|t| fuzz::TARGETS.contains(t)) => fuzz::fuzz(n, &only),
                _ => {
                    eprintln!(
                        "usage: cargo xtask fuzz [--seconds N] [TARGET ...]  (targets: {})",
                        fuzz::TARGETS.join(", ")
                    );
                    std::process::exit(1);
                }
            }
        }
        Some("bench") => match args.get(1).map(String::as_str) {
            None => bench::bench(),
            Some(part @ ("vault" | "backup" | "sync" | "evidence" | "torture" | "proxy" | "scale")) => {
                bench::part(part)
            }
            Some(other) => {
                eprintln!("cargo xtask bench [vault|backup|sync|evidence|torture|proxy|scale]: unknown part {other:?}");
                std::process::exit(1);
            }
        },
        _ => {
            eprintln!(
                "usage: cargo xtask <run|test|dist|codegen|fuzz [--seconds N]|bench [vault|backup|sync|evidence|torture|proxy]>"
            );
            std::process::exit(1);
        }
    };
    if let Err(e) = result {
        eprintln!("xtask: {e:#}");
        std::process::exit(1);
    }
}

/// Builds everything and starts the desktop app; extra arguments go to the app.
fn run(app_args: &[String]) -> Result<()> {
    let p = Project::locate()?;
    env::ensure_system_packages(&env::BUILD_PACKAGES)?;
    p.ensure_npm()?;
    p.build_ui()?;
    let bin = p.build_app(Profile::Debug)?;
    eprintln!("xtask: starting {}", bin.display());
    let status = Command::new(&bin).args(app_args).status().with_context(|| format!("start {}", bin.display()))?;
    if !status.success() {
        bail!("the app exited with {status}");
    }
    Ok(())
}

/// Every suite, in order of speed, stopping at the first failure.
fn test() -> Result<()> {
    let p = Project::locate()?;
    let mut packages = env::BUILD_PACKAGES.to_vec();
    packages.extend_from_slice(&env::TEST_PACKAGES);
    env::ensure_system_packages(&packages)?;
    p.ensure_npm()?;

    p.step("rustfmt", cmd("cargo", &["fmt", "--all", "--", "--check"]).current_dir(&p.root))?;
    p.step(
        "clippy (core crates)",
        cmd("cargo", &["clippy", "--all-targets", "--", "-D", "warnings"]).current_dir(&p.root),
    )?;
    p.step(
        "clippy (the core as a build for real courts: no demo court)",
        cmd("cargo", &["clippy", "-p", "courtside-core", "--", "-D", "warnings"]).current_dir(&p.root),
    )?;
    supply_chain::check(&p)?;
    p.step("rust tests", cmd("cargo", &["test", "--no-fail-fast"]).current_dir(&p.root))?;
    validators::openapi(&p)?;
    validators::icalendar(&p)?;
    validators::bagit(&p)?;
    validators::export(&p)?;
    validators::warc(&p)?;
    // The short form: each fuzz target for a few seconds (the long form: `cargo xtask fuzz`).
    fuzz::fuzz(5, &[])?;
    p.step(
        "courtside CLI",
        cmd("cargo", &["build", "-p", "courtside-cli", "--bin", "courtside"]).current_dir(&p.root),
    )?;
    let mut court_suite = p.npm(&["run", "--silent", "test:court"]);
    court_suite
        .env("COURTSIDE_CLI", p.target_dir().join("debug").join(format!("courtside{}", std::env::consts::EXE_SUFFIX)));
    p.step("reference court in Chromium (PKCE sign-in, WebRTC hearing room)", &mut court_suite)?;
    p.step("ui: no @tauri-apps imports outside lib/backend", &mut p.npm(&["run", "--silent", "check:door"]))?;
    p.step("ui: svelte-check", &mut p.npm(&["run", "--silent", "check"]))?;
    p.step("ui: unit tests (vitest)", &mut p.npm(&["run", "--silent", "test:unit"]))?;
    p.build_ui()?;
    p.step("ui: web build suite (playwright + axe)", &mut p.npm(&["run", "--silent", "test:web"]))?;

    let bin = p.build_app(Profile::Release)?;
    p.step(
        "clippy (desktop shell)",
        cmd("cargo", &["clippy", "-p", "courtside-desktop", "--release", "--features", "demo", "--", "-D", "warnings"])
            .current_dir(&p.root),
    )?;
    check_deb(&bundle(&p)?)?;
    let display = env::Xvfb::start()?;
    let mut webdriver = p.npm(&["run", "--silent", "test:app"]);
    webdriver
        .env("DISPLAY", display.display())
        .env("COURTSIDE_APP_BINARY", &bin)
        .env("COURTSIDE_CLI", p.target_dir().join("debug").join(format!("courtside{}", std::env::consts::EXE_SUFFIX)));
    p.final_step("desktop app suite (WebDriver, Xvfb)", &mut webdriver)
}

/// The `.deb` must say what it is and what it needs, as `dpkg-deb` reads it.
fn check_deb(bundles: &[std::path::PathBuf]) -> Result<()> {
    let deb = bundles.iter().find(|b| b.extension().is_some_and(|e| e == "deb")).context("no .deb was built")?;
    let out = Command::new("dpkg-deb").arg("--field").arg(deb).args(["Package", "Version", "Depends"]).output()?;
    let fields = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| {
        fields.lines().find_map(|l| l.strip_prefix(&format!("{name}: "))).map(str::to_owned).unwrap_or_default()
    };
    let version = env!("CARGO_PKG_VERSION");
    let ok = out.status.success()
        && field("Package") == "courtside"
        && field("Version") == version
        && field("Depends").contains("libwebkit2gtk-4.1-0")
        // Court papers embed a CJK font found on the system.
        && field("Depends").contains("fonts-noto-cjk");
    let size = std::fs::metadata(deb).map_or(0, |m| m.len());
    eprintln!("\n== .deb check: {}: {} ({size} bytes)\n{fields}", if ok { "ok" } else { "FAILED" }, deb.display());
    if !ok {
        bail!(
            "{} does not read as package courtside {version} depending on libwebkit2gtk-4.1-0 and fonts-noto-cjk",
            deb.display()
        );
    }
    Ok(())
}

/// Builds the `.deb` and `.rpm` and copies them to `target/dist/`.
pub(crate) fn dist() -> Result<Vec<std::path::PathBuf>> {
    let p = Project::locate()?;
    env::ensure_system_packages(&env::BUILD_PACKAGES)?;
    p.ensure_npm()?;
    p.build_ui()?;
    bundle(&p)
}

/// `tauri build` of the bundles from the UI already built; returns the copies in `target/dist/`.
fn bundle(p: &Project) -> Result<Vec<std::path::PathBuf>> {
    p.step("tauri build (deb, rpm)", &mut p.tauri(&["build", "--bundles", "deb,rpm", "--features", "demo"]))?;
    let out = p.root.join("target/dist");
    std::fs::create_dir_all(&out)?;
    let mut bundles = Vec::new();
    for kind in ["deb", "rpm"] {
        let dir = p.target_dir().join("release/bundle").join(kind);
        for entry in std::fs::read_dir(&dir).with_context(|| format!("read {}", dir.display()))? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == kind) {
                let dest = out.join(path.file_name().context("bundle name")?);
                std::fs::copy(&path, &dest)?;
                eprintln!("xtask: {}", dest.display());
                bundles.push(dest);
            }
        }
    }
    Ok(bundles)
}

/// Regenerates `ui/src/lib/backend/bindings.ts` and `docs/openapi.json` from the Rust types, and
/// validates the OpenAPI document.
fn codegen() -> Result<()> {
    let p = Project::locate()?;
    p.step(
        "generate TypeScript bindings",
        cmd("cargo", &["test", "--quiet", "-p", "courtside-ipc", "--test", "bindings"])
            .current_dir(&p.root)
            .env("COURTSIDE_UPDATE_BINDINGS", "1"),
    )?;
    p.step(
        "generate the OpenAPI document",
        cmd("cargo", &["test", "--quiet", "-p", "courtside-court-server", "--test", "openapi"])
            .current_dir(&p.root)
            .env("COURTSIDE_UPDATE_OPENAPI", "1"),
    )?;
    validators::openapi(&p)
}

/// Which cargo profile an app build uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Profile {
    Debug,
    Release,
}

impl Profile {
    fn dir(self) -> &'static str {
        match self {
            Self::Debug => "debug",
            Self::Release => "release",
        }
    }
}

impl Project {
    /// `tauri build --no-bundle` of the desktop app; returns the binary.
    pub(crate) fn build_app(&self, profile: Profile) -> Result<std::path::PathBuf> {
        let mut args = vec!["build", "--no-bundle", "--features", "demo"];
        if profile == Profile::Debug {
            args.push("--debug");
        }
        self.step(&format!("desktop app ({})", profile.dir()), &mut self.tauri(&args))?;
        let bin =
            self.target_dir().join(profile.dir()).join(format!("courtside-desktop{}", std::env::consts::EXE_SUFFIX));
        if !Path::new(&bin).exists() {
            bail!("{} was not built", bin.display());
        }
        Ok(bin)
    }
}

#[cfg(test)]
mod tests {
    /// The shell builds from `src-tauri/tauri.conf.json`; it must be the root configuration
    /// itself (a symlink), not a copy that drifts from it.
    #[test]
    fn the_shell_reads_the_one_tauri_configuration() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(std::path::Path::new("."));
        let shell = std::fs::canonicalize(root.join("src-tauri/tauri.conf.json")).ok();
        let main = std::fs::canonicalize(root.join("tauri.conf.json")).ok();
        assert!(shell.is_some() && shell == main, "src-tauri/tauri.conf.json is not the root tauri.conf.json");
    }

    /// The desktop shell links the reference court (its clerk API, its fault injection) only
    /// with the `demo` feature; the CLI (for `courtside court serve`) and the tests link it.
    #[test]
    fn the_shell_links_the_reference_court_only_with_the_demo_feature() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(std::path::Path::new("."));
        let tree = |features: &[&str]| {
            let mut args = vec!["tree", "--offline", "-p", "courtside-desktop", "-e", "normal", "--prefix", "none"];
            args.extend_from_slice(features);
            let out = std::process::Command::new(env!("CARGO")).args(&args).current_dir(root).output().unwrap();
            assert!(out.status.success(), "cargo tree: {}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout).unwrap()
        };
        let plain = tree(&[]);
        assert!(plain.contains("courtside-core"), "cargo tree printed no courtside-core:\n{plain}");
        assert!(
            !plain.contains("courtside-court-server"),
            "the shell links the reference court without the demo feature"
        );
        assert!(tree(&["--features", "demo"]).contains("courtside-court-server"), "the demo feature has no demo court");
    }

    /// Court API paths are built in `court-api` alone (one typed client); a literal `"v1/`
    /// in another client crate is a second way to call the court.
    #[test]
    fn court_paths_are_built_only_by_the_court_client() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(std::path::Path::new("."));
        let mut found = Vec::new();
        let mut todo: Vec<std::path::PathBuf> =
            ["crates/sync/src", "crates/core/src", "crates/cli/src", "crates/evidence/src"]
                .iter()
                .map(|d| root.join(d))
                .collect();
        while let Some(dir) = todo.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    todo.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    for (n, line) in text.lines().enumerate() {
                        if line.contains("\"v1/") {
                            found.push(format!("{}:{}", path.display(), n + 1));
                        }
                    }
                }
            }
        }
        assert!(found.is_empty(), "court paths outside court-api: {found:?}");
    }

    /// No command lets the window name a file or folder: paths come from the OS's chooser
    /// or a drop, in Rust (a compromised webview could otherwise point the app at any
    /// folder, as `set_inbox_dir(dir)` once did).
    #[test]
    fn no_command_takes_a_path_from_the_window() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(std::path::Path::new("."));
        let dir = root.join("src-tauri/src/commands");
        let mut found = Vec::new();
        let mut commands = 0;
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            for (i, _) in text.match_indices("#[tauri::command]") {
                commands += 1;
                let rest = &text[i..];
                let signature = &rest[..rest.find('{').unwrap_or(rest.len())];
                for name in ["dir:", "path:", "folder:", "paths:", "file_path:", "directory:"] {
                    if signature.contains(name) {
                        found.push(format!("{}: {}", entry.path().display(), signature.lines().nth(1).unwrap_or("")));
                    }
                }
            }
        }
        assert!(commands > 50, "found only {commands} commands in {}", dir.display());
        assert!(found.is_empty(), "commands taking a path from the window: {found:?}");
    }
}
