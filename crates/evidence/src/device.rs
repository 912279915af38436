//! This installation's Ed25519 key for signing custody entries, sealed in the vault.

use courtside_court_api::encoding::{b64, b64url, b64url_decode};
use courtside_vault::Vault;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Serialize};

use crate::EvidenceError;

const TABLE: &str = "evidence_device";
const ID: &str = "key";

#[derive(Serialize, Deserialize)]
struct Stored {
    id: String,
    pkcs8: String,
}

/// The device's signing key and its id (the first 16 hex digits of the public key's SHA-256).
pub struct DeviceKey {
    id: String,
    pair: Ed25519KeyPair,
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceKey").field("id", &self.id).finish_non_exhaustive()
    }
}

impl DeviceKey {
    /// The vault's device key, made on first use.
    ///
    /// # Errors
    /// The vault's error; a stored key that does not parse.
    pub fn load_or_create(vault: &Vault) -> Result<Self, EvidenceError> {
        if let Some(record) = vault.get(TABLE, ID)? {
            let stored: Stored = serde_json::from_slice(&record.plaintext)
                .map_err(|e| EvidenceError::Decode("the device key".into(), e.to_string()))?;
            let der = zeroize::Zeroizing::new(
                b64url_decode(&stored.pkcs8)
                    .ok_or_else(|| EvidenceError::Decode("the device key".into(), "base64".into()))?,
            );
            let pair = Ed25519KeyPair::from_pkcs8(&der)
                .map_err(|e| EvidenceError::Decode("the device key".into(), e.to_string()))?;
            return Ok(Self { id: stored.id, pair });
        }
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| EvidenceError::Invalid("no randomness".into()))?;
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| EvidenceError::Invalid("key".into()))?;
        let digest = ring::digest::digest(&ring::digest::SHA256, pair.public_key().as_ref());
        let id = format!("dev-{}", &courtside_court_api::encoding::hex(digest.as_ref())[..16]);
        let stored = Stored { id: id.clone(), pkcs8: b64url(pkcs8.as_ref()) };
        let json =
            zeroize::Zeroizing::new(serde_json::to_vec(&stored).map_err(|e| EvidenceError::Invalid(e.to_string()))?);
        vault.put(TABLE, ID, 1, &json)?;
        Ok(Self { id, pair })
    }

    /// The key's id, as written in custody entries.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The raw 32-byte public key.
    #[must_use]
    pub fn public_key(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }

    /// The public key as a PEM `PUBLIC KEY` (SubjectPublicKeyInfo), as OpenSSL reads it.
    #[must_use]
    pub fn public_key_pem(&self) -> String {
        public_key_pem(self.public_key())
    }

    /// Signs `message`.
    #[must_use]
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair.sign(message).as_ref().to_vec()
    }

    /// Whether `signature` is this key's over `message`.
    #[must_use]
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, self.public_key()).verify(message, signature).is_ok()
    }
}

/// SubjectPublicKeyInfo of an Ed25519 key (RFC 8410) in PEM.
#[must_use]
pub fn public_key_pem(raw: &[u8]) -> String {
    const PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
    let mut der = PREFIX.to_vec();
    der.extend_from_slice(raw);
    format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", b64(&der))
}
