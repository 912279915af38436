//! Autosaves one draft in a loop and prints `saved <draft> <version> <run> <n>` after each
//! save returns. The crash test (tests/casework.rs) kills it with SIGKILL at random
//! instants and checks that every version it reported is intact.
//!
//! Usage: `autosave_loop VAULT_DIR RUN` (creates the vault with test-only key-derivation
//! cost when missing).

use std::io::Write;

use courtside_casework::Drafts;
use courtside_vault::{KdfParams, Vault, VaultState};

const PASSPHRASE: &str = "crash test passphrase";

/// The body saved as save `n` of run `run`; the test rebuilds it to compare.
fn body(run: u32, n: u32) -> String {
    format!("运行 {run} 第 {n} 次保存\n{}", "起诉状正文 statement of claim. ".repeat(n as usize % 50 + 1))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("vault dir"));
    let run: u32 = args.next().expect("run").parse().expect("run number");
    let vault = std::sync::Arc::new(if Vault::state(&dir).expect("state") == VaultState::Absent {
        Vault::create(&dir, PASSPHRASE, KdfParams::insecure_for_tests()).expect("create").0
    } else {
        Vault::unlock(&dir, PASSPHRASE).expect("unlock")
    });
    let mut drafts = Drafts::load(vault.clone()).expect("load");
    let id = match drafts.list().first() {
        Some(d) => d.id.clone(),
        None => drafts.create("起诉状", "", None).expect("create draft").id,
    };
    let mut out = std::io::stdout().lock();
    for n in 0.. {
        let draft = drafts.save(&id, "起诉状", &body(run, n)).expect("save");
        writeln!(out, "saved {id} {} {run} {n}", draft.version).expect("stdout");
        out.flush().expect("flush");
    }
}
