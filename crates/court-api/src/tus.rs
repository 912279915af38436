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
    format!("sha256 {}", BASE64.encode(digest))
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
