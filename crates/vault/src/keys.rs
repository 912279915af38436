//! Key material. Every secret here is zeroized when dropped and never printed.

use ring::rand::{SecureRandom, SystemRandom};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::VaultError;

/// Length of every symmetric key in the vault (AES-256).
pub(crate) const KEY_LEN: usize = 32;

/// The vault's data key: the root of every record and blob key.
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct DataKey(pub(crate) [u8; KEY_LEN]);

impl DataKey {
    pub(crate) fn generate() -> Result<Self, VaultError> {
        Ok(Self(random_bytes()?))
    }
}

/// The recovery key shown once at vault creation: 256 random bits, printed as Crockford-free
/// base32 in groups of four (`CSRK-XXXX-XXXX-…`) so it can be written down and typed back.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct RecoveryKey(pub(crate) [u8; KEY_LEN]);

const RECOVERY_PREFIX: &str = "CSRK";

impl RecoveryKey {
    pub(crate) fn generate() -> Result<Self, VaultError> {
        Ok(Self(random_bytes()?))
    }

    /// Parses a recovery key as the user typed it: case, spaces and dashes do not matter.
    ///
    /// # Errors
    /// [`VaultError::WrongRecoveryKey`] when it is not a well-formed recovery key.
    pub fn parse(text: &str) -> Result<Self, VaultError> {
        let mut compact: String =
            text.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
        if let Some(rest) = compact.strip_prefix(RECOVERY_PREFIX) {
            compact = rest.to_owned();
        }
        let bytes = data_encoding::BASE32_NOPAD.decode(compact.as_bytes()).map_err(|_| VaultError::WrongRecoveryKey)?;
        compact.zeroize();
        let key: [u8; KEY_LEN] = bytes.as_slice().try_into().map_err(|_| VaultError::WrongRecoveryKey)?;
        Ok(Self(key))
    }

    /// The printable form, e.g. `CSRK-ABCD-EFGH-…` (52 base32 characters in 13 groups).
    #[must_use]
    pub fn display_string(&self) -> String {
        let encoded = data_encoding::BASE32_NOPAD.encode(&self.0);
        let groups: Vec<&str> = encoded.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap_or("")).collect();
        format!("{RECOVERY_PREFIX}-{}", groups.join("-"))
    }
}

impl std::fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryKey(..)")
    }
}

pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], VaultError> {
    let mut out = [0u8; N];
    SystemRandom::new().fill(&mut out).map_err(|_| VaultError::Random)?;
    Ok(out)
}
