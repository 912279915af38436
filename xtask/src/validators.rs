//! Our outputs checked by tools nobody on the team wrote, from PyPI, in a virtual
//! environment under the target dir: `openapi-spec-validator` for the committed OpenAPI
//! document, `icalendar` for the calendar files we export.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::env::{Project, cmd};

/// Pinned so a new release cannot turn CI red on its own.
const PACKAGES: [&str; 2] = ["openapi-spec-validator==0.9.0", "icalendar==7.3.0"];

/// The venv with the validators, created (or completed) when needed.
fn venv(p: &Project) -> Result<PathBuf> {
    let venv = p.target_dir().join("tools/validators-venv");
    let stamp = venv.join(format!("installed-{}", PACKAGES.join("+").replace(['=', '.'], "_")));
    if !stamp.exists() {
        p.step("python venv for the validators", cmd("python3", &["-m", "venv"]).arg(&venv))?;
        let pip = venv.join("bin/pip");
        let mut install = cmd(pip.to_str().context("venv path is not UTF-8")?, &["install", "--quiet"]);
        install.args(PACKAGES);
        p.step("install the validators (PyPI)", &mut install)?;
        std::fs::write(&stamp, b"")?;
    }
    Ok(venv)
}

/// Validates `docs/openapi.json` (its freshness against the code is a Rust test).
pub(crate) fn openapi(p: &Project) -> Result<()> {
    let validator = venv(p)?.join("bin/openapi-spec-validator");
    p.step(
        "OpenAPI document (openapi-spec-validator)",
        std::process::Command::new(&validator).arg(p.root.join("docs/openapi.json")),
    )
}

/// Parses the calendar export of the `ics_sample` example with Python's `icalendar`.
pub(crate) fn icalendar(p: &Project) -> Result<()> {
    let python = venv(p)?.join("bin/python");
    let out = cmd("cargo", &["run", "--quiet", "-p", "courtside-casework", "--example", "ics_sample"])
        .current_dir(&p.root)
        .output()
        .context("run ics_sample")?;
    anyhow::ensure!(out.status.success(), "ics_sample failed: {}", String::from_utf8_lossy(&out.stderr));
    let sample = p.target_dir().join("tools/sample.ics");
    std::fs::write(&sample, &out.stdout)?;
    let check = r#"
import sys, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], "rb").read())
events = list(cal.walk("VEVENT"))
assert len(events) == 2, events
assert str(events[0]["SUMMARY"]).startswith("上诉期届满 · Appeal deadline; 张三诉李四"), events[0]["SUMMARY"]
assert "\n" in str(events[0]["DESCRIPTION"])
assert events[0].decoded("DTSTART").isoformat() == "2025-03-20"
assert events[1].decoded("DTSTART").isoformat() == "2025-04-01T01:30:00+00:00", events[1].decoded("DTSTART")
assert len(list(events[1].walk("VALARM"))) == 3
print("icalendar:", len(events), "events parsed")
"#;
    p.step("calendar export (Python icalendar)", std::process::Command::new(&python).args(["-c", check]).arg(&sample))
}
