//! Writes a sample evidence bag for the independent BagIt validator run by `cargo xtask
//! test`: `cargo run -p courtside-evidence --example bag_sample -- OUT_DIR` prints the bag's path.

use std::sync::Arc;

use courtside_evidence::{Capture, Locker};
use courtside_vault::{KdfParams, Vault};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).ok_or("usage: bag_sample OUT_DIR")?;
    let work = tempfile::tempdir()?;
    let (vault, _) = Vault::create(&work.path().join("vault"), "sample passphrase", KdfParams::insecure_for_tests())?;
    let locker = Locker::open(Arc::new(vault))?;
    let files = [
        ("购销合同 扫描件.pdf", b"%PDF-1.4\n1 0 obj <</Type /Page>> endobj\n%%EOF\n".to_vec()),
        ("微信聊天记录.txt", "2025年1月10日 李四：货款下月付。".as_bytes().to_vec()),
        (
            "photo.jpg",
            [0xFF, 0xD8, 0xFF, 0xE0].iter().copied().chain((0..100_000u32).map(|i| (i % 251) as u8)).collect(),
        ),
    ];
    for (name, content) in files {
        let path = work.path().join(name);
        std::fs::write(&path, content)?;
        locker.capture_file(&path, &Capture { title: None, proves: "买卖合同关系及欠款事实".into(), source: None })?;
    }
    let bag = locker.export_bagit(&[], std::path::Path::new(&out))?;
    println!("{}", bag.display());
    Ok(())
}
