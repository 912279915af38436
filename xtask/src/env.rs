//! The machine the tasks run on: paths, system packages, npm, Xvfb.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// Debian/Ubuntu packages needed to build and run the desktop app: Tauri's Linux stack, a
/// CJK font, which court papers embed (a subset of it) when they are rendered, and the
/// GStreamer plug-ins WebKitGTK's MediaRecorder needs to record a microphone or camera as
/// evidence (the WebM muxer and VP8/Opus encoders are in -good, the recorder's own elements
/// in -bad; without them the recording never starts).
pub(crate) const BUILD_PACKAGES: [&str; 12] = [
    "build-essential",
    "pkg-config",
    "file",
    "libwebkit2gtk-4.1-dev",
    "libxdo-dev",
    "libssl-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "libsoup-3.0-dev",
    "fonts-noto-cjk",
    "gstreamer1.0-plugins-good",
    "gstreamer1.0-plugins-bad",
];

/// Packages the test suites need: a virtual display, WebKit's WebDriver, Chromium for the
/// web-build suite (CJK fonts come with the build packages), a D-Bus
/// daemon for the lock-on-sleep test (a private bus with a stand-in for logind), and Python
/// venv for the OpenAPI validator from PyPI, curl (the upload bench's reference), and poppler's
/// `pdftotext` (an independent reader of the PDFs we render), and xdotool with xwininfo (to
/// find and answer the platform's file chooser in the WebDriver suite, as a person would,
/// by typing a path), and gnome-keyring (a real Secret Service for "unlock with this
/// device" and for "erase my data" leaving no key behind).
pub(crate) const TEST_PACKAGES: [&str; 11] = [
    "xvfb",
    "webkit2gtk-driver",
    "chromium",
    "dbus-daemon",
    "python3-venv",
    "curl",
    "poppler-utils",
    "openssl",
    "xdotool",
    "x11-utils",
    "gnome-keyring",
];

/// The repository and where things are in it.
pub(crate) struct Project {
    pub(crate) root: PathBuf,
}

impl Project {
    pub(crate) fn locate() -> Result<Self> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().context("xtask lives in the workspace")?.to_owned();
        Ok(Self { root })
    }

    pub(crate) fn ui(&self) -> PathBuf {
        self.root.join("ui")
    }

    /// Cargo's target directory (honours `CARGO_TARGET_DIR`, which CI points at a cache).
    pub(crate) fn target_dir(&self) -> PathBuf {
        match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) if !dir.is_empty() => {
                let dir = PathBuf::from(dir);
                if dir.is_absolute() { dir } else { self.root.join(dir) }
            }
            _ => self.root.join("target"),
        }
    }

    /// Runs one named step, echoing its name and duration; fails with the name.
    pub(crate) fn step(&self, name: &str, command: &mut Command) -> Result<()> {
        self.run_step(name, command, true)
    }

    /// Like [`Project::step`], but on success prints nothing after the command, so the
    /// output of a whole run ends with the last test runner's own summary.
    pub(crate) fn final_step(&self, name: &str, command: &mut Command) -> Result<()> {
        self.run_step(name, command, false)
    }

    fn run_step(&self, name: &str, command: &mut Command, footer: bool) -> Result<()> {
        eprintln!("\n== {name}");
        let started = Instant::now();
        let status = command.status().with_context(|| format!("{name}: cannot start {command:?}"))?;
        if footer || !status.success() {
            eprintln!("== {name}: {} in {:.1?}", if status.success() { "ok" } else { "FAILED" }, started.elapsed());
        }
        if !status.success() {
            bail!("{name} failed ({status})");
        }
        Ok(())
    }

    /// `npm <args>` in `ui/`.
    pub(crate) fn npm(&self, args: &[&str]) -> Command {
        let mut c = cmd("npm", args);
        c.current_dir(self.ui());
        c
    }

    /// The Tauri CLI (from `ui/node_modules`) for the app in `src-tauri/`, whose config is
    /// the root `tauri.conf.json` (symlinked there).
    pub(crate) fn tauri(&self, args: &[&str]) -> Command {
        let mut c = Command::new(self.ui().join("node_modules/.bin/tauri"));
        c.args(args).current_dir(&self.root).env("TAURI_APP_PATH", "src-tauri").env("TAURI_FRONTEND_PATH", "ui");
        c
    }

    /// Installs the locked npm dependencies when `node_modules` is missing or older than the
    /// lock file.
    ///
    /// `npm install --no-save` rather than `npm ci`: the registry this project is built
    /// against serves only the Linux builds of `@tauri-apps/cli`, so the lock file cannot
    /// list the other platforms' optional packages and `npm ci` refuses it. `install` with
    /// an existing lock installs the locked versions; `--no-save` keeps the lock untouched.
    pub(crate) fn ensure_npm(&self) -> Result<()> {
        let lock = self.ui().join("package-lock.json");
        let stamp = self.ui().join("node_modules/.package-lock.json");
        let fresh = match (std::fs::metadata(&lock), std::fs::metadata(&stamp)) {
            (Ok(l), Ok(s)) => s.modified()? >= l.modified()?,
            _ => false,
        };
        if fresh {
            return Ok(());
        }
        self.step(
            "npm install (ui, locked versions)",
            &mut self.npm(&["install", "--no-save", "--no-audit", "--no-fund"]),
        )
    }

    /// `vite build` of the UI into `ui/build`.
    pub(crate) fn build_ui(&self) -> Result<()> {
        self.step("ui build", &mut self.npm(&["run", "--silent", "build"]))
    }
}

/// A command with arguments.
pub(crate) fn cmd(program: &str, args: &[&str]) -> Command {
    let mut c = Command::new(program);
    c.args(args);
    c
}

/// Installs the Debian packages that are missing, when this is a Debian-like system and we
/// may (root, or password-less sudo). Elsewhere, says what to install and carries on.
pub(crate) fn ensure_system_packages(packages: &[&str]) -> Result<()> {
    if cfg!(not(target_os = "linux")) || !Path::new("/usr/bin/apt-get").exists() {
        return Ok(());
    }
    let missing: Vec<&str> = packages.iter().copied().filter(|p| !deb_installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("xtask: installing system packages: {}", missing.join(" "));
    let root = Command::new("id").arg("-u").output().map(|o| o.stdout == b"0\n").unwrap_or(false);
    let mut prefix: Vec<&str> = Vec::new();
    if !root {
        prefix.extend(["sudo", "-n"]);
    }
    // Some machines delete downloaded .debs after each dpkg call, which breaks a large
    // install half-way; keeping the archives in our own cache avoids that.
    let cache = std::env::var("HOME")
        .map(|h| format!("{h}/.cache/courtside-apt/"))
        .unwrap_or_else(|_| "/tmp/courtside-apt/".into());
    std::fs::create_dir_all(format!("{cache}partial"))?;
    let archives = format!("Dir::Cache::Archives={cache}");
    let run = |args: &[&str]| -> Result<()> {
        let mut all = prefix.clone();
        all.extend_from_slice(args);
        let (program, rest) = all.split_first().context("command")?;
        let status = Command::new(program).args(rest).env("DEBIAN_FRONTEND", "noninteractive").status()?;
        if !status.success() {
            bail!("{} failed: install these packages yourself: {}", args.join(" "), missing.join(" "));
        }
        Ok(())
    };
    run(&["apt-get", "update", "-qq"])?;
    let mut install = vec!["apt-get", "install", "-y", "-qq", "--no-install-recommends", "-o", &archives];
    install.extend_from_slice(&missing);
    run(&install)
}

fn deb_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

/// A virtual X display for GUI tests; the server stops when this is dropped.
pub(crate) struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    /// Starts `Xvfb` on a free display number and waits until it is ready (it writes the
    /// number to the `-displayfd` pipe only then).
    pub(crate) fn start() -> Result<Self> {
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1280x900x24", "-nolisten", "tcp"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("start Xvfb (package xvfb)")?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("Xvfb stdout")?).read_line(&mut line)?;
        let number = line.trim();
        if number.is_empty() {
            let _ = child.kill();
            bail!("Xvfb did not report a display");
        }
        Ok(Self { display: format!(":{number}"), child })
    }

    pub(crate) fn display(&self) -> &str {
        &self.display
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
