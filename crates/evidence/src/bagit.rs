//! Evidence bundles as BagIt 1.0 bags (RFC 8493).
//!
//! ```text
//! <bag>/bagit.txt, bag-info.txt, manifest-sha256.txt, tagmanifest-sha256.txt
//! <bag>/data/exhibits/<number>-<name>            the originals, as captured
//! <bag>/data/exhibits.json                       the exhibit records
//! <bag>/data/custody/custody-log.jsonl           every entry: signed JSON and signature
//! <bag>/data/custody/entries/<seq>.json, .sig    each entry's signed bytes and raw signature
//! <bag>/data/custody/device-public-key.pem       the Ed25519 key (openssl pkeyutl -verify)
//! <bag>/data/timestamps/<number>.tsr, .sha256     RFC 3161 tokens and what they stamp
//! <bag>/data/timestamps/tsa-certificate-<n>.pem   (openssl ts -verify -token_in -digest …)
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

use courtside_court_api::encoding::hex;

use crate::custody::{self, Event};
use crate::{EvidenceError, Locker, file_error};

/// A name safe in any file system and in a manifest line: letters (any script), digits,
/// `.`, `-`, `_`; anything else becomes `_`; never empty, never a dot name.
#[must_use]
pub fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
        .take(120)
        .collect();
    let trimmed = cleaned.trim_start_matches('.');
    if trimmed.is_empty() { "file".to_owned() } else { trimmed.to_owned() }
}

/// Writes a BagIt 1.0 bag: payload files under `data/` (each hashed as written), then the
/// tag files and manifests. One writer for every bag Courtside makes (evidence bundles, the
/// export of all of a user's data).
pub struct BagWriter {
    root: PathBuf,
    /// (relative path, sha256 hex) of every payload file.
    payload: Vec<(String, String)>,
    bytes: u64,
}

impl BagWriter {
    /// A bag in the directory `root` (which must exist and be empty).
    #[must_use]
    pub fn new(root: &Path) -> Self {
        Self { root: root.to_owned(), payload: Vec::new(), bytes: 0 }
    }

    /// Writes a file of the bag (`data/…` for payload, else a tag file).
    ///
    /// # Errors
    /// [`EvidenceError::File`].
    pub fn write(&mut self, relative: &str, content: &[u8]) -> Result<(), EvidenceError> {
        let path = self.root.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| file_error(parent, &e))?;
        }
        std::fs::write(&path, content).map_err(|e| file_error(&path, &e))?;
        if relative.starts_with("data/") {
            self.payload
                .push((relative.to_owned(), hex(ring::digest::digest(&ring::digest::SHA256, content).as_ref())));
            self.bytes += content.len() as u64;
        }
        Ok(())
    }

    /// Writes a payload file from a stream (large originals), hashing it in the same pass;
    /// returns its SHA-256 (hex).
    ///
    /// # Errors
    /// [`EvidenceError::File`], or `fill`'s.
    pub fn stream(
        &mut self,
        relative: &str,
        fill: impl FnOnce(&mut dyn Write) -> Result<(), EvidenceError>,
    ) -> Result<String, EvidenceError> {
        let path = self.root.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|err| file_error(parent, &err))?;
        }
        let file = std::fs::File::create(&path).map_err(|err| file_error(&path, &err))?;
        let mut sink = HashingFile {
            file: std::io::BufWriter::with_capacity(1 << 20, file),
            ctx: ring::digest::Context::new(&ring::digest::SHA256),
            bytes: 0,
        };
        fill(&mut sink)?;
        sink.flush().map_err(|err| file_error(&path, &err))?;
        let digest = hex(sink.ctx.clone().finish().as_ref());
        self.payload.push((relative.to_owned(), digest.clone()));
        self.bytes += sink.bytes;
        Ok(digest)
    }

    /// Writes `bagit.txt`, `bag-info.txt` (with `description`) and the manifests.
    ///
    /// # Errors
    /// [`EvidenceError::File`].
    pub fn finish(mut self, description: &str, stamp: time::OffsetDateTime) -> Result<(), EvidenceError> {
        self.write("bagit.txt", b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")?;
        let info = format!(
            "Bag-Software-Agent: Courtside {}\nBagging-Date: {}\nPayload-Oxum: {}.{}\nExternal-Description: {}\n",
            env!("CARGO_PKG_VERSION"),
            stamp.format(time::macros::format_description!("[year]-[month]-[day]")).unwrap_or_default(),
            self.bytes,
            self.payload.len(),
            description.replace('\n', " "),
        );
        self.write("bag-info.txt", info.as_bytes())?;
        self.payload.sort();
        let manifest: String = self.payload.iter().map(|(p, d)| format!("{d}  {p}\n")).collect();
        self.write("manifest-sha256.txt", manifest.as_bytes())?;
        let mut tags = String::new();
        for tag in ["bag-info.txt", "bagit.txt", "manifest-sha256.txt"] {
            let path = self.root.join(tag);
            let content = std::fs::read(&path).map_err(|e| file_error(&path, &e))?;
            tags.push_str(&format!("{}  {tag}\n", hex(ring::digest::digest(&ring::digest::SHA256, &content).as_ref())));
        }
        self.write("tagmanifest-sha256.txt", tags.as_bytes())
    }
}

/// Streams into a file while hashing (for originals, which can be large).
struct HashingFile {
    file: std::io::BufWriter<std::fs::File>,
    ctx: ring::digest::Context,
    bytes: u64,
}

impl Write for HashingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.ctx.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl Locker {
    /// Writes the exhibits `ids` (all when empty) with the whole custody log as a bag in a new
    /// directory under `out_dir`; logs an `exported` entry for each exhibit; returns the bag.
    ///
    /// # Errors
    /// [`EvidenceError::File`] (the directory exists, the disk is full: the partial bag is
    /// removed), the vault's error.
    pub fn export_bagit(&self, ids: &[String], out_dir: &Path) -> Result<PathBuf, EvidenceError> {
        let exhibits: Vec<_> = self.exhibits()?.into_iter().filter(|e| ids.is_empty() || ids.contains(&e.id)).collect();
        if exhibits.is_empty() {
            return Err(EvidenceError::Invalid("no exhibit to export".into()));
        }
        let stamp = time::OffsetDateTime::now_utc();
        let name = format!(
            "courtside-evidence-{}",
            stamp
                .format(time::macros::format_description!("[year][month][day]-[hour][minute][second]"))
                .unwrap_or_default()
        );
        let root = out_dir.join(name);
        std::fs::create_dir_all(out_dir).map_err(|e| file_error(out_dir, &e))?;
        std::fs::create_dir(&root).map_err(|e| file_error(&root, &e))?;
        let result = self.write_bag(&root, &exhibits, stamp);
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&root);
        }
        result?;
        for e in &exhibits {
            self.log_event(&e.id, Event::Exported { format: crate::custody::ExportFormat::Bagit })?;
        }
        Ok(root)
    }

    fn write_bag(
        &self,
        root: &Path,
        exhibits: &[crate::Exhibit],
        stamp: time::OffsetDateTime,
    ) -> Result<(), EvidenceError> {
        let mut w = BagWriter::new(root);
        self.write_evidence(&mut w, "data/", exhibits)?;
        w.finish(
            &format!(
                "Evidence exported by Courtside with its chain of custody (Ed25519-signed, hash-chained entries; device key {}).",
                self.device().id()
            ),
            stamp,
        )
    }

    /// Writes `exhibits` (their originals, checked against the captured digest as they are
    /// copied), their records, the whole custody log, the device's public key and the
    /// time-stamps into the bag under `prefix` (`data/` for an evidence bundle).
    ///
    /// # Errors
    /// [`EvidenceError::Invalid`] when an original no longer matches its digest; file and
    /// vault errors.
    pub fn write_evidence(
        &self,
        w: &mut BagWriter,
        prefix: &str,
        exhibits: &[crate::Exhibit],
    ) -> Result<(), EvidenceError> {
        for e in exhibits {
            let relative = format!("{prefix}exhibits/{:03}-{}", e.number, safe_name(&e.original_name));
            let digest = w.stream(&relative, |sink| self.read_original(&e.id, sink).map(|_| ()))?;
            if digest != e.sha256 {
                return Err(EvidenceError::Invalid(format!(
                    "exhibit {} no longer matches its captured digest",
                    e.number
                )));
            }
        }
        let records = serde_json::to_vec_pretty(exhibits).map_err(|e| EvidenceError::Invalid(e.to_string()))?;
        w.write(&format!("{prefix}exhibits.json"), &records)?;
        let log = custody::entries(self.vault())?;
        let mut lines = String::new();
        for stored in &log {
            let entry = stored.entry()?;
            lines.push_str(&serde_json::to_string(stored).map_err(|e| EvidenceError::Invalid(e.to_string()))?);
            lines.push('\n');
            w.write(&format!("{prefix}custody/entries/{:06}.json", entry.seq), stored.signed.as_bytes())?;
            w.write(&format!("{prefix}custody/entries/{:06}.sig", entry.seq), &stored.signature_bytes())?;
        }
        w.write(&format!("{prefix}custody/custody-log.jsonl"), lines.as_bytes())?;
        w.write(&format!("{prefix}custody/device-public-key.pem"), self.device().public_key_pem().as_bytes())?;
        let numbers: std::collections::HashMap<&str, u32> =
            exhibits.iter().map(|e| (e.id.as_str(), e.number)).collect();
        for stamp in self.stamps()? {
            let name = match numbers.get(stamp.subject.as_str()) {
                Some(n) => format!("{n:03}"),
                None if stamp.subject.starts_with("custody-head") => stamp.subject.clone(),
                None => continue,
            };
            w.write(&format!("{prefix}timestamps/{name}.tsr"), &stamp.token_der())?;
            w.write(&format!("{prefix}timestamps/{name}.sha256"), format!("{}\n", stamp.sha256).as_bytes())?;
        }
        for (i, pem) in self.tsa_certificates()?.iter().enumerate() {
            w.write(&format!("{prefix}timestamps/tsa-certificate-{}.pem", i + 1), pem.as_bytes())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::safe_name;
    use proptest::prelude::*;

    #[test]
    fn names_keep_chinese_and_lose_separators() {
        assert_eq!(safe_name("购销合同 (扫描件).pdf"), "购销合同__扫描件_.pdf");
        assert_eq!(safe_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_name("..."), "file");
        assert_eq!(safe_name("a\r\nb"), "a__b");
    }

    proptest! {
        #[test]
        fn safe_names_are_single_harmless_components(name in any::<String>()) {
            let n = safe_name(&name);
            prop_assert!(!n.is_empty() && !n.starts_with('.'));
            prop_assert!(!n.contains('/') && !n.contains('\\') && !n.chars().any(char::is_control) && !n.contains(' '));
        }
    }
}
