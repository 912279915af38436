//! Signed envelopes: the device signs submission manifests, the court signs receipts, both
//! with Ed25519 (RFC 8032) over the exact payload bytes, so no JSON canonicalisation is
//! needed: the payload travels as base64url and is parsed only after the signature checks.

use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::encoding::{b64url, b64url_decode};

/// A payload with a detached Ed25519 signature over its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignedEnvelope {
    /// The signed bytes (UTF-8 JSON), base64url without padding.
    pub payload: String,
    /// Ed25519 signature over the payload bytes, base64url without padding.
    pub signature: String,
    /// Which key signed: a device id (submissions) or a court key id (receipts).
    pub key_id: String,
}

/// Why an envelope was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// Payload or signature is not base64url.
    #[error("the signed envelope is not base64url")]
    Encoding,
    /// The signature does not verify with the named key.
    #[error("the signature does not match the payload and key {0}")]
    BadSignature(String),
    /// The key is not a 32-byte Ed25519 public key.
    #[error("the public key is not a raw 32-byte Ed25519 key")]
    BadKey,
    /// The payload is not the expected JSON.
    #[error("the signed payload is not valid: {0}")]
    Payload(String),
}

impl SignedEnvelope {
    /// Signs the JSON of `value` with `key`, naming `key_id`.
    ///
    /// # Panics
    /// Never for the protocol's types (their JSON serialisation cannot fail).
    #[must_use]
    pub fn sign<T: Serialize>(value: &T, key: &Ed25519KeyPair, key_id: &str) -> Self {
        #[allow(clippy::expect_used, reason = "serialising plain data types to JSON cannot fail")]
        let bytes = serde_json::to_vec(value).expect("protocol types serialise");
        Self { payload: b64url(&bytes), signature: b64url(key.sign(&bytes).as_ref()), key_id: key_id.to_owned() }
    }

    /// Checks the signature with the raw 32-byte public key, then parses the payload.
    ///
    /// # Errors
    /// [`EnvelopeError`] for bad encoding, a wrong signature or an unexpected payload.
    pub fn open<T: DeserializeOwned>(&self, public_key: &[u8]) -> Result<(T, Vec<u8>), EnvelopeError> {
        if public_key.len() != 32 {
            return Err(EnvelopeError::BadKey);
        }
        let payload = b64url_decode(&self.payload).ok_or(EnvelopeError::Encoding)?;
        let signature = b64url_decode(&self.signature).ok_or(EnvelopeError::Encoding)?;
        UnparsedPublicKey::new(&ED25519, public_key)
            .verify(&payload, &signature)
            .map_err(|_| EnvelopeError::BadSignature(self.key_id.clone()))?;
        let value = serde_json::from_slice(&payload).map_err(|e| EnvelopeError::Payload(e.to_string()))?;
        Ok((value, payload))
    }
}

/// The raw public key of a key pair, base64url (the form devices register).
#[must_use]
pub fn public_key_b64(key: &Ed25519KeyPair) -> String {
    b64url(key.public_key().as_ref())
}

#[cfg(test)]
mod tests {
    use ring::rand::SystemRandom;

    use super::*;

    fn key() -> Ed25519KeyPair {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap()
    }

    #[test]
    fn signed_payload_opens_with_its_key_only() {
        let (a, b) = (key(), key());
        let envelope = SignedEnvelope::sign(&serde_json::json!({"x": 1}), &a, "dev-1");
        let (value, _): (serde_json::Value, _) = envelope.open(a.public_key().as_ref()).unwrap();
        assert_eq!(value["x"], 1);
        assert_eq!(
            envelope.open::<serde_json::Value>(b.public_key().as_ref()),
            Err(EnvelopeError::BadSignature("dev-1".into()))
        );
        let mut tampered = envelope.clone();
        tampered.payload = b64url(br#"{"x":2}"#);
        assert!(matches!(
            tampered.open::<serde_json::Value>(a.public_key().as_ref()),
            Err(EnvelopeError::BadSignature(_))
        ));
        assert_eq!(envelope.open::<serde_json::Value>(&[0; 31]), Err(EnvelopeError::BadKey));
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Envelopes come from the network: any strings must give an error, never a panic
        /// and never an accepted payload.
        #[test]
        fn hostile_envelopes_are_refused(payload in ".{0,200}", signature in ".{0,120}", key in proptest::collection::vec(any::<u8>(), 0..40)) {
            let envelope = SignedEnvelope { payload, signature, key_id: "k".into() };
            prop_assert!(envelope.open::<serde_json::Value>(&key).is_err());
        }
    }
}
