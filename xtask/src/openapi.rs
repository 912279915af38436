//! The committed OpenAPI document, checked by a validator nobody on the team wrote
//! (`openapi-spec-validator` from PyPI, in a virtual environment under the target dir).

use anyhow::{Context, Result};

use crate::env::{Project, cmd};

/// Pinned so a new validator release cannot turn CI red on its own.
const VALIDATOR: &str = "openapi-spec-validator==0.9.0";

/// Validates `docs/openapi.json` (its freshness against the code is a Rust test).
pub(crate) fn validate(p: &Project) -> Result<()> {
    let venv = p.target_dir().join("tools/openapi-venv");
    let validator = venv.join("bin/openapi-spec-validator");
    if !validator.exists() {
        p.step("python venv for the OpenAPI validator", cmd("python3", &["-m", "venv"]).arg(&venv))?;
        p.step(
            "install openapi-spec-validator (PyPI)",
            &mut cmd(
                venv.join("bin/pip").to_str().context("venv path is not UTF-8")?,
                &["install", "--quiet", VALIDATOR],
            ),
        )?;
    }
    let document = p.root.join(courtside_openapi_path());
    p.step("OpenAPI document (openapi-spec-validator)", std::process::Command::new(&validator).arg(document))
}

/// Where the document lives (kept in step with `courtside_court_server::OPENAPI_PATH`,
/// which a Rust test writes and checks).
fn courtside_openapi_path() -> &'static str {
    "docs/openapi.json"
}
