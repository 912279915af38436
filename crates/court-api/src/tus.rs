//! Header grammar of the tus 1.0 resumable-upload protocol (core, creation, checksum),
//! which the court's `/v1/uploads` speaks. Headers come from the network, so every parser
//! here refuses what the protocol does not allow instead of guessing, and never panics.

use data_encoding::BASE64;

/// The protocol version sent in `Tus-Resumable`.
pub const TUS_VERSION: &str = "1.0.0";

/// A header value that does not follow the tus grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TusHeaderError {
    /// `Upload-Offset` / `Upload-Length` must be a plain non-negative decimal integer.
    #[error("not a non-negative integer: {0:?}")]
    NotANumber(String),
    /// `Upload-Metadata` pairs must be `key base64value`, keys unique, without spaces or commas.
    #[error("malformed upload metadata: {0}")]
    Metadata(String),
    /// `Upload-Checksum` must be `algorithm base64digest`.
    #[error("malformed upload checksum: {0}")]
    Checksum(String),
}

/// Parses `Upload-Offset` or `Upload-Length`: ASCII digits only (no sign, no spaces), within u64.
///
/// # Errors
/// [`TusHeaderError::NotANumber`].
pub fn parse_offset(value: &str) -> Result<u64, TusHeaderError> {
    if value.is_empty() || value.len() > 20 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TusHeaderError::NotANumber(clip(value)));
    }
    value.parse().map_err(|_| TusHeaderError::NotANumber(clip(value)))
}

/// One `Upload-Metadata` entry: a key and an optional (binary) value.
pub type MetadataEntry = (String, Option<Vec<u8>>);

/// Parses `Upload-Metadata`: comma-separated `key base64value` pairs (the value may be absent).
///
/// # Errors
/// [`TusHeaderError::Metadata`] for an empty or duplicate key, a key with spaces or
/// non-ASCII characters, invalid base64, or extra fields.
pub fn parse_metadata(value: &str) -> Result<Vec<MetadataEntry>, TusHeaderError> {
    let bad = |why: &str| TusHeaderError::Metadata(why.to_owned());
    if value.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut out: Vec<MetadataEntry> = Vec::new();
    for pair in value.split(',') {
        let mut fields = pair.trim().split(' ');
        let key = fields.next().unwrap_or_default();
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic() && b != b',') {
            return Err(bad("a key is empty or has characters other than visible ASCII"));
        }
        let data = match fields.next() {
            None => None,
            Some(encoded) => Some(BASE64.decode(encoded.as_bytes()).map_err(|_| bad("a value is not base64"))?),
        };
        if fields.next().is_some() {
            return Err(bad("a pair has more than two fields"));
        }
        if out.iter().any(|(k, _)| k == key) {
            return Err(bad("a key appears twice"));
        }
        out.push((key.to_owned(), data));
    }
    Ok(out)
}

/// Writes `Upload-Metadata` from pairs; keys must be visible ASCII without commas. An empty
/// value is written as a bare key, which reads back as no value.
///
/// # Errors
/// [`TusHeaderError::Metadata`] for a key that could not be parsed back.
pub fn encode_metadata(entries: &[(&str, Option<&[u8]>)]) -> Result<String, TusHeaderError> {
    let mut parts = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic() && b != b',') {
            return Err(TusHeaderError::Metadata(format!("unusable key {key:?}")));
        }
        // An empty value and no value look the same on the wire (`key`), so both are sent
        // as the bare key.
        parts.push(match value {
            Some(v) if !v.is_empty() => format!("{key} {}", BASE64.encode(v)),
            _ => (*key).to_owned(),
        });
    }
    Ok(parts.join(","))
}

/// A parsed `Upload-Checksum` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadChecksum {
    /// Algorithm name as sent (lowercase), e.g. `sha256`.
    pub algorithm: String,
    /// The digest bytes.
    pub digest: Vec<u8>,
}

/// Parses `Upload-Checksum: sha256 <base64>`.
///
/// # Errors
/// [`TusHeaderError::Checksum`] for a missing part, bad base64, or a digest of the wrong
/// length for a known algorithm.
pub fn parse_checksum(value: &str) -> Result<UploadChecksum, TusHeaderError> {
    let bad = |why: &str| TusHeaderError::Checksum(why.to_owned());
    let (algorithm, encoded) = value.trim().split_once(' ').ok_or_else(|| bad("expected `algorithm digest`"))?;
    if algorithm.is_empty() || !algorithm.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(bad("the algorithm name is malformed"));
    }
    let digest = BASE64.decode(encoded.trim().as_bytes()).map_err(|_| bad("the digest is not base64"))?;
    let algorithm = algorithm.to_ascii_lowercase();
    let expected = match algorithm.as_str() {
        "crc32c" => Some(4),
        "sha256" => Some(32),
        "sha1" => Some(20),
        "md5" => Some(16),
        _ => None,
    };
    if expected.is_some_and(|n| n != digest.len()) {
        return Err(bad("the digest has the wrong length for its algorithm"));
    }
    Ok(UploadChecksum { algorithm, digest })
}

/// Writes `Upload-Checksum` for a SHA-256 digest.
#[must_use]
pub fn encode_sha256_checksum(digest: &[u8; 32]) -> String {
    encode_checksum(ChecksumAlgorithm::Sha256, digest)
}

/// Writes `Upload-Checksum: <algorithm> <base64 digest>`.
#[must_use]
pub fn encode_checksum(algorithm: ChecksumAlgorithm, digest: &[u8]) -> String {
    format!("{} {}", algorithm.name(), BASE64.encode(digest))
}

/// The checksum algorithms of the tus checksum extension that Courtside computes, in the
/// order it prefers them (ADR 0057): CRC32C costs almost nothing per byte (one CPU
/// instruction per 8 bytes) and catches what damages a chunk on its way; the whole file's
/// SHA-256, declared at creation and in the signed manifest, is what proves it is the same
/// file. SHA-256 and SHA-1 are there for servers that offer nothing cheaper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumAlgorithm {
    /// CRC-32C (Castagnoli, RFC 3720 §12.1), 4 bytes, big-endian.
    Crc32c,
    /// SHA-256, 32 bytes.
    Sha256,
    /// SHA-1, 20 bytes (what many tus servers offer; fine against damage, not against forgery).
    Sha1,
}

impl ChecksumAlgorithm {
    /// Every algorithm, the preferred first.
    pub const PREFERENCE: [Self; 3] = [Self::Crc32c, Self::Sha256, Self::Sha1];

    /// Its name in `Tus-Checksum-Algorithm` and `Upload-Checksum`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Crc32c => "crc32c",
            Self::Sha256 => "sha256",
            Self::Sha1 => "sha1",
        }
    }

    /// The algorithm of that name (any case), if Courtside computes it.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::PREFERENCE.into_iter().find(|a| a.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The preferred algorithm among those a server lists in `Tus-Checksum-Algorithm`
    /// (comma-separated), if any.
    #[must_use]
    pub fn choose(offered: &str) -> Option<Self> {
        let offered: Vec<Self> = offered.split(',').filter_map(Self::from_name).collect();
        Self::PREFERENCE.into_iter().find(|a| offered.contains(a))
    }

    /// A running checksum.
    #[must_use]
    pub fn start(self) -> RunningChecksum {
        RunningChecksum(match self {
            Self::Crc32c => Running::Crc32c(0),
            Self::Sha256 => Running::Ring(Box::new(ring::digest::Context::new(&ring::digest::SHA256))),
            Self::Sha1 => Running::Ring(Box::new(ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY))),
        })
    }

    /// The checksum of `data`.
    #[must_use]
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        let mut running = self.start();
        running.update(data);
        running.finish()
    }
}

/// A checksum being computed over bytes as they come.
pub struct RunningChecksum(Running);

enum Running {
    Crc32c(u32),
    Ring(Box<ring::digest::Context>),
}

impl std::fmt::Debug for RunningChecksum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RunningChecksum(..)")
    }
}

impl RunningChecksum {
    /// Adds bytes.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.0 {
            Running::Crc32c(crc) => *crc = crc32c::crc32c_append(*crc, data),
            Running::Ring(ctx) => ctx.update(data),
        }
    }

    /// The digest of everything added.
    #[must_use]
    pub fn finish(self) -> Vec<u8> {
        match self.0 {
            Running::Crc32c(crc) => crc.to_be_bytes().to_vec(),
            Running::Ring(ctx) => ctx.finish().as_ref().to_vec(),
        }
    }
}

fn clip(value: &str) -> String {
    value.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn offsets() {
        assert_eq!(parse_offset("0"), Ok(0));
        assert_eq!(parse_offset("18446744073709551615"), Ok(u64::MAX));
        for bad in ["", "-1", "+1", " 1", "1 ", "1.0", "0x10", "18446744073709551616", "٣"] {
            assert!(parse_offset(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn metadata_examples_from_the_protocol() {
        let parsed = parse_metadata("filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential").unwrap();
        assert_eq!(parsed[0], ("filename".to_owned(), Some(b"world_domination_plan.pdf".to_vec())));
        assert_eq!(parsed[1], ("is_confidential".to_owned(), None));
        assert!(parse_metadata("a YQ==,a Yg==").is_err());
        assert!(parse_metadata("a not-base64!").is_err());
        assert!(parse_metadata("a YQ== extra").is_err());
        assert!(parse_metadata(",").is_err());
        assert_eq!(parse_metadata(""), Ok(Vec::new()));
    }

    #[test]
    fn checksums() {
        let digest = [7u8; 32];
        let header = encode_sha256_checksum(&digest);
        assert_eq!(
            parse_checksum(&header).unwrap(),
            UploadChecksum { algorithm: "sha256".into(), digest: digest.to_vec() }
        );
        assert!(parse_checksum("sha256 AAAA").is_err(), "wrong length");
        assert!(parse_checksum("sha256").is_err());
        assert!(parse_checksum("sha 256 AAAA").is_err());
    }

    #[test]
    fn algorithms_and_their_known_answers() {
        // RFC 3720 B.4: 32 bytes of zeros give CRC-32C 0x8A9136AA; "123456789" gives 0xE3069283.
        assert_eq!(ChecksumAlgorithm::Crc32c.digest(&[0; 32]), vec![0x8a, 0x91, 0x36, 0xaa]);
        assert_eq!(ChecksumAlgorithm::Crc32c.digest(b"123456789"), vec![0xe3, 0x06, 0x92, 0x83]);
        assert_eq!(
            crate::encoding::hex(&ChecksumAlgorithm::Sha1.digest(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        let mut running = ChecksumAlgorithm::Crc32c.start();
        running.update(b"1234");
        running.update(b"56789");
        assert_eq!(running.finish(), vec![0xe3, 0x06, 0x92, 0x83]);
        assert_eq!(ChecksumAlgorithm::choose("md5, SHA1,sha256"), Some(ChecksumAlgorithm::Sha256));
        assert_eq!(ChecksumAlgorithm::choose("sha1,crc32c"), Some(ChecksumAlgorithm::Crc32c));
        assert_eq!(ChecksumAlgorithm::choose("md5"), None);
        assert_eq!(ChecksumAlgorithm::choose(""), None);
        let header = encode_checksum(ChecksumAlgorithm::Crc32c, &[1, 2, 3, 4]);
        assert_eq!(
            parse_checksum(&header).unwrap(),
            UploadChecksum { algorithm: "crc32c".into(), digest: vec![1, 2, 3, 4] }
        );
        assert!(parse_checksum("crc32c AAAAAAAA").is_err(), "six bytes are not a CRC-32C");
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC{0,64}") {
            let _ = parse_offset(&s);
            let _ = parse_metadata(&s);
            let _ = parse_checksum(&s);
        }

        #[test]
        fn offsets_round_trip(n in any::<u64>()) {
            prop_assert_eq!(parse_offset(&n.to_string()), Ok(n));
        }

        #[test]
        fn metadata_round_trips(
            entries in proptest::collection::btree_map("[!-+\\--~]{1,12}", proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)), 0..6)
        ) {
            let pairs: Vec<(&str, Option<&[u8]>)> = entries.iter().map(|(k, v)| (k.as_str(), v.as_deref())).collect();
            let header = encode_metadata(&pairs).unwrap();
            let parsed = parse_metadata(&header).unwrap();
            let expected: Vec<MetadataEntry> =
                entries.into_iter().map(|(k, v)| (k, v.filter(|v| !v.is_empty()))).collect();
            prop_assert_eq!(parsed, expected);
        }

        #[test]
        fn checksums_round_trip(digest in any::<[u8; 32]>()) {
            let parsed = parse_checksum(&encode_sha256_checksum(&digest)).unwrap();
            prop_assert_eq!(parsed.digest, digest.to_vec());
        }
    }
}
