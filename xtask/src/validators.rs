//! Our outputs checked by tools nobody on the team wrote, from PyPI, in a virtual
//! environment under the target dir: `openapi-spec-validator` for the committed OpenAPI
//! document, `icalendar` for the calendar files we export, `bagit` (the Library of
//! Congress's validator) for evidence bags, `warcio` for web captures.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::env::{Project, cmd};

/// Pinned so a new release cannot turn CI red on its own.
const PACKAGES: [&str; 5] =
    ["openapi-spec-validator==0.9.0", "icalendar==7.3.0", "bagit==1.9.0", "warcio==1.8.1", "jsonschema==4.26.0"];

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

/// Validates an evidence bag from the `bag_sample` example with `bagit.py --validate`, then
/// changes one byte of one payload file and checks that the validator now refuses the bag.
pub(crate) fn bagit(p: &Project) -> Result<()> {
    let validator = venv(p)?.join("bin/bagit.py");
    let out_dir = p.target_dir().join("tools/bags");
    let _ = std::fs::remove_dir_all(&out_dir);
    let out = cmd("cargo", &["run", "--quiet", "-p", "courtside-evidence", "--example", "bag_sample", "--"])
        .arg(&out_dir)
        .current_dir(&p.root)
        .output()
        .context("run bag_sample")?;
    anyhow::ensure!(out.status.success(), "bag_sample failed: {}", String::from_utf8_lossy(&out.stderr));
    let bag = PathBuf::from(String::from_utf8(out.stdout)?.trim());
    p.step("evidence bag (bagit.py --validate)", std::process::Command::new(&validator).arg("--validate").arg(&bag))?;
    let payload = std::fs::read_dir(bag.join("data/exhibits"))?
        .flatten()
        .map(|e| e.path())
        .find(|path| path.extension().is_some_and(|x| x == "jpg"))
        .context("the sample bag has a photo")?;
    let mut bytes = std::fs::read(&payload)?;
    bytes[50] ^= 1;
    std::fs::write(&payload, bytes)?;
    let refused = std::process::Command::new(&validator).arg("--validate").arg(&bag).output()?;
    eprintln!("{}", String::from_utf8_lossy(&refused.stderr).lines().last().unwrap_or_default());
    anyhow::ensure!(!refused.status.success(), "bagit.py accepted a bag whose payload was changed");
    eprintln!("== evidence bag with one changed byte: refused, as it must be");
    Ok(())
}

/// The export of all of a user's data (the `export_sample` example): the bag passes
/// `bagit.py --validate`, its JSON the committed JSON Schema (and holds no token), its
/// calendar parses with `icalendar`; a changed byte in a draft makes the bag invalid.
pub(crate) fn export(p: &Project) -> Result<()> {
    let venv = venv(p)?;
    let out_dir = p.target_dir().join("tools/export");
    let out = cmd(
        "cargo",
        &["run", "--quiet", "-p", "courtside-core", "--features", "demo-court", "--example", "export_sample", "--"],
    )
    .arg(&out_dir)
    .current_dir(&p.root)
    .output()
    .context("run export_sample")?;
    anyhow::ensure!(out.status.success(), "export_sample failed: {}", String::from_utf8_lossy(&out.stderr));
    let bag = PathBuf::from(String::from_utf8(out.stdout)?.trim());
    p.step(
        "export of all data (bagit.py --validate)",
        std::process::Command::new(venv.join("bin/bagit.py")).arg("--validate").arg(&bag),
    )?;
    let check = r#"
import json, sys, jsonschema, icalendar
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
text = open(sys.argv[2] + "/data/courtside-export.json", encoding="utf-8").read()
doc = json.loads(text)
jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)
for secret in ("accessToken", "refreshToken", "deviceKey", "passphrase"):
    assert secret not in text, secret
assert len(doc["drafts"][0]["versions"]) == 3, doc["drafts"]
assert len(doc["exhibits"]) == 2
cal = icalendar.Calendar.from_ical(open(sys.argv[2] + "/data/calendar.ics", "rb").read())
assert len(list(cal.walk("VEVENT"))) == 1
print("export: schema valid,", len(doc["cases"]), "case,", len(doc["exhibits"]), "exhibits, calendar parsed")
"#;
    p.step(
        "export of all data (JSON Schema, icalendar)",
        std::process::Command::new(venv.join("bin/python"))
            .args(["-c", check])
            .arg(p.root.join("docs/schemas/courtside-export-1.schema.json"))
            .arg(&bag),
    )?;
    let draft = std::fs::read_dir(bag.join("data/drafts"))?
        .flatten()
        .next()
        .context("the sample export has a draft")?
        .path()
        .join("v0001.txt");
    let mut bytes = std::fs::read(&draft)?;
    bytes[0] ^= 1;
    std::fs::write(&draft, bytes)?;
    let refused = std::process::Command::new(venv.join("bin/bagit.py")).arg("--validate").arg(&bag).output()?;
    anyhow::ensure!(!refused.status.success(), "bagit.py accepted an export whose draft was changed");
    eprintln!("== export with one changed byte: refused, as it must be");
    Ok(())
}

/// Checks a web capture from the `warc_sample` example with `warcio check` (block and
/// payload digests of every record), then a copy with one changed byte in the page, which
/// the checker must refuse.
pub(crate) fn warc(p: &Project) -> Result<()> {
    let venv = venv(p)?;
    let sample = p.target_dir().join("tools/sample.warc.gz");
    let out = cmd("cargo", &["run", "--quiet", "-p", "courtside-evidence", "--example", "warc_sample", "--"])
        .arg(&sample)
        .current_dir(&p.root)
        .output()
        .context("run warc_sample")?;
    anyhow::ensure!(out.status.success(), "warc_sample failed: {}", String::from_utf8_lossy(&out.stderr));
    let checked = std::process::Command::new(venv.join("bin/warcio")).args(["check", "-v"]).arg(&sample).output()?;
    let report = String::from_utf8_lossy(&checked.stdout);
    eprintln!("{report}");
    anyhow::ensure!(checked.status.success(), "warcio check refused our WARC");
    anyhow::ensure!(report.matches("digest pass").count() >= 5, "warcio did not check the digests");
    let tampered = p.target_dir().join("tools/tampered.warc");
    let flip = r#"
import gzip, sys
data = bytearray(gzip.open(sys.argv[1]).read())
at = data.index("付清".encode())
data[at] ^= 1
open(sys.argv[2], "wb").write(data)
"#;
    p.step(
        "change one byte of the captured page",
        std::process::Command::new(venv.join("bin/python")).args(["-c", flip]).arg(&sample).arg(&tampered),
    )?;
    let refused = std::process::Command::new(venv.join("bin/warcio")).args(["check"]).arg(&tampered).output()?;
    eprintln!("{}", String::from_utf8_lossy(&refused.stdout));
    anyhow::ensure!(!refused.status.success(), "warcio accepted a WARC whose page was changed");
    eprintln!("== web capture (warcio check): digests pass; a changed byte is refused");
    Ok(())
}
