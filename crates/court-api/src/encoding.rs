//! The byte encodings the protocol uses: base64url without padding (keys, signatures,
//! tokens) and lowercase hex (SHA-256 digests).

use data_encoding::{BASE64URL_NOPAD, HEXLOWER_PERMISSIVE};

/// base64url without padding (RFC 4648 §5).
#[must_use]
pub fn b64url(bytes: &[u8]) -> String {
    BASE64URL_NOPAD.encode(bytes)
}

/// Standard base64 with padding (PEM bodies, tus metadata).
#[must_use]
pub fn b64(bytes: &[u8]) -> String {
    data_encoding::BASE64.encode(bytes)
}

/// Decodes base64url without padding; `None` for anything else.
#[must_use]
pub fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    BASE64URL_NOPAD.decode(text.as_bytes()).ok()
}

/// Lowercase hex.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

/// A SHA-256 digest written as 64 hex digits (either case); `None` otherwise.
#[must_use]
pub fn parse_sha256_hex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    HEXLOWER_PERMISSIVE.decode(text.as_bytes()).ok()?.try_into().ok()
}

/// SHA-256 of `bytes`, as 64 lowercase hex digits.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn base64url_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
            prop_assert_eq!(b64url_decode(&b64url(&bytes)), Some(bytes));
        }

        #[test]
        fn decoders_never_panic(text in ".{0,100}") {
            let _ = b64url_decode(&text);
            let _ = parse_sha256_hex(&text);
        }
    }

    #[test]
    fn sha256_hex_reads_digests_only() {
        let d = sha256_hex(b"abc");
        assert_eq!(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(parse_sha256_hex(&d.to_uppercase()).is_some());
        assert!(parse_sha256_hex(&d[1..]).is_none());
        assert!(parse_sha256_hex(&format!("{}g", &d[1..])).is_none());
    }
}
