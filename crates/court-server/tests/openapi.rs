//! The committed OpenAPI document must match the code.
//! `cargo xtask codegen` runs this test with `COURTSIDE_UPDATE_OPENAPI=1` to rewrite it.

#[test]
fn committed_openapi_is_fresh() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(courtside_court_server::OPENAPI_PATH);
    let generated = courtside_court_server::openapi_document();
    if std::env::var_os("COURTSIDE_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).expect("write the OpenAPI document");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == generated, "{} is stale: run `cargo xtask codegen` and commit the result", path.display());
}
