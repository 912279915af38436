//! The committed TypeScript bindings must match the Rust IPC types.
#![allow(clippy::unwrap_used, reason = "tests fail loudly by design")]
//! `cargo xtask codegen` runs this test with `COURTSIDE_UPDATE_BINDINGS=1` to rewrite them.

#[test]
fn committed_bindings_are_fresh() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = root.join(courtside_ipc::BINDINGS_PATH);
    let generated = courtside_ipc::bindings();
    if std::env::var_os("COURTSIDE_UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &generated).expect("write bindings");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == generated, "{} is stale: run `cargo xtask codegen` and commit the result", path.display());
}
