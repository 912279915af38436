//! Rules of the code's structure that no compiler checks, checked by reading the sources
//! (`cargo test -p xtask`, part of `cargo test` at the root). Each is an invariant in
//! ARCHITECTURE.md.

#![cfg(test)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new(".")).to_owned()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every file under `dir` whose name ends with one of `exts`.
fn files(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if path.is_dir() {
                if !matches!(name, "node_modules" | "target" | ".svelte-kit" | "build") {
                    todo.push(path);
                }
            } else if exts.iter().any(|e| name.ends_with(e)) {
                out.push(path);
            }
        }
    }
    out
}

/// The strings between `[` and `]` after `anchor` in `text`.
fn quoted_list(text: &str, anchor: &str) -> Vec<String> {
    let start = text.find(anchor).unwrap_or_else(|| panic!("{anchor} not found")) + anchor.len();
    let open = start + text[start..].find('[').unwrap();
    let close = open + text[open..].find(']').unwrap();
    text[open + 1..close].split('"').skip(1).step_by(2).map(str::to_owned).collect()
}

/// The command list is written in four places (the permissions in `build.rs`, the handler
/// list, the window's capability, the UI's wrappers); they must name the same commands, so
/// a command cannot be callable without a permission, granted without existing, or exist
/// without a way to reach it.
#[test]
fn the_four_lists_of_commands_name_the_same_commands() {
    let build: BTreeSet<String> =
        quoted_list(&read("src-tauri/build.rs"), "const COMMANDS: &[&str] = &").into_iter().collect();
    let lib = read("src-tauri/src/lib.rs");
    let handler_start = lib.find("generate_handler![").expect("generate_handler!");
    let handler_end = handler_start + lib[handler_start..].find(']').unwrap();
    let handler: BTreeSet<String> = lib[handler_start + "generate_handler![".len()..handler_end]
        .split(',')
        .map(|p| p.trim().rsplit("::").next().unwrap_or_default().to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    let capability = quoted_list(&read("src-tauri/capabilities/main.json"), "\"permissions\"");
    let granted: BTreeSet<String> = capability
        .iter()
        .filter(|p| !p.starts_with("core:"))
        .map(|p| p.strip_prefix("allow-").unwrap_or(p).replace('-', "_"))
        .collect();
    let ts = read("ui/src/lib/backend/tauri.ts");
    let mut wrapped = BTreeSet::new();
    for marker in ["call('", "callRaw('", "call<ArrayBuffer>('"] {
        for (i, _) in ts.match_indices(marker) {
            let rest = &ts[i + marker.len()..];
            wrapped.insert(rest[..rest.find('\'').unwrap()].to_owned());
        }
    }
    assert!(build.len() > 50, "only {} commands in build.rs", build.len());
    assert_eq!(handler, build, "generate_handler! vs build.rs COMMANDS");
    assert_eq!(granted, build, "capabilities/main.json vs build.rs COMMANDS");
    assert_eq!(wrapped, build, "ui/src/lib/backend/tauri.ts vs build.rs COMMANDS");
    let core: Vec<&String> = capability.iter().filter(|p| p.starts_with("core:")).collect();
    assert_eq!(core, ["core:event:allow-listen", "core:event:allow-unlisten"], "no other core permission");
}

/// The shipped CSP: everything from the app itself, scripts never inline or evaluated, no
/// frames, objects or form targets; the prototype frozen; no global Tauri object.
#[test]
fn the_window_has_a_strict_csp() {
    let conf = read("tauri.conf.json");
    for needed in [
        "\"default-src\": \"'self'\"",
        "\"script-src\": \"'self'\"",
        "\"object-src\": \"'none'\"",
        "\"frame-src\": \"'none'\"",
        "\"form-action\": \"'none'\"",
        "\"base-uri\": \"'none'\"",
        "\"freezePrototype\": true",
    ] {
        assert!(conf.contains(needed), "tauri.conf.json lacks {needed}");
    }
    for refused in ["unsafe-inline", "unsafe-eval", "\"withGlobalTauri\": true", "dangerousDisableAssetCspModification"]
    {
        assert!(!conf.contains(refused), "tauri.conf.json has {refused}");
    }
}

/// Only the shell (and the bench's minimal app) know Tauri: the core crates build and test
/// without a webview.
#[test]
fn only_the_shell_knows_tauri() {
    let mut manifests = files(&root().join("crates"), &["Cargo.toml"]);
    manifests.push(root().join("tests/Cargo.toml"));
    manifests.push(root().join("xtask/Cargo.toml"));
    assert!(manifests.len() > 8);
    for m in manifests {
        let text = std::fs::read_to_string(&m).unwrap();
        for line in text.lines().map(str::trim) {
            assert!(!line.starts_with("tauri"), "{} depends on Tauri: {line}", m.display());
        }
    }
}

/// Only the vault seals (AEAD) and stretches passphrases (Argon2id): every other crate
/// stores through it.
#[test]
fn only_the_vault_encrypts() {
    let mut found = Vec::new();
    for dir in ["crates", "src-tauri/src"] {
        for f in files(&root().join(dir), &[".rs"]) {
            if f.starts_with(root().join("crates/vault")) {
                continue;
            }
            let text = std::fs::read_to_string(&f).unwrap();
            for needle in ["ring::aead", "argon2::", "aes_gcm", "chacha20poly1305"] {
                if text.contains(needle) {
                    found.push(format!("{}: {needle}", f.display()));
                }
            }
        }
    }
    assert!(found.is_empty(), "encryption outside the vault: {found:?}");
}

/// Every command answers with `IpcError` on failure, never a bare string.
#[test]
fn no_command_fails_with_a_bare_string() {
    let mut commands = 0;
    for f in files(&root().join("src-tauri/src/commands"), &[".rs"]) {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, _) in text.match_indices("#[tauri::command]") {
            commands += 1;
            let rest = &text[i..];
            let signature = &rest[..rest.find('{').unwrap_or(rest.len())];
            if let Some(result) = signature.find("Result<") {
                assert!(
                    signature[result..].contains("IpcError>"),
                    "{}: a command fails with something else than IpcError: {}",
                    f.display(),
                    signature.lines().nth(1).unwrap_or_default()
                );
            }
        }
    }
    assert!(commands > 50);
}

/// The window keeps only preferences in localStorage (never what the user wrote): every
/// key it reads or stores is one of the named preference keys (language, theme, auto-lock
/// minutes).
#[test]
fn local_storage_holds_only_preferences() {
    const PREFERENCES: &[&str] = &["PREFERENCE_KEY", "THEME_KEY", "AUTO_LOCK_KEY"];
    let mut calls = 0;
    for f in files(&root().join("ui/src"), &[".ts", ".svelte"]) {
        if f.to_string_lossy().contains(".test.") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for marker in ["setItem(", "getItem(", "removeItem("] {
            for (i, _) in text.match_indices(marker) {
                calls += 1;
                let rest = &text[i + marker.len()..];
                let key = rest.split([',', ')']).next().unwrap_or_default().trim();
                assert!(PREFERENCES.contains(&key), "{}: localStorage key {key} is not a preference", f.display());
            }
        }
    }
    assert!(calls >= 4, "only {calls} localStorage calls found: the check reads the wrong files");
}
