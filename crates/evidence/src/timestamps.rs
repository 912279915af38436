//! Trusted timestamps (RFC 3161): when online, the evidence digest of each exhibit and the
//! custody log's head are sent to the court's time-stamping authority. Each token is
//! verified before its time is written into the custody log (`tsp_verify`: signature,
//! signing certificate, critical `timeStamping` usage, validity at its time, imprint,
//! nonce, a time near this computer's clock) against the court's TSA certificate, pinned
//! on the first token that verifies; a changed certificate is refused (there is no screen
//! yet where the user accepts a renewed one).
//! Tokens and certificates are kept in the vault, checked again by [`Locker::check_stamps`]
//! and evidence verification, exported with the bag, and verifiable offline by anyone with
//! `openssl ts -verify`.

use courtside_court_api::encoding::{b64url, b64url_decode, parse_sha256_hex};
use courtside_court_api::{CourtClient, tsp, tsp_verify};
use serde::{Deserialize, Serialize};

use crate::custody::Event;
use crate::{EvidenceError, Locker};

const TABLE: &str = "timestamps";
const CERTS: &str = "tsa_certificates";

/// A kept token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Stamp {
    /// What was stamped: an exhibit id, or `custody-head`.
    pub subject: String,
    /// The stamped SHA-256, hex.
    pub sha256: String,
    /// The TSA's time (`YYYYMMDDHHMMSSZ`).
    pub gen_time: String,
    /// The TSA's address.
    pub tsa: String,
    /// The token (CMS ContentInfo, DER), base64url.
    pub token: String,
}

impl Stamp {
    /// The token's bytes.
    #[must_use]
    pub fn token_der(&self) -> Vec<u8> {
        b64url_decode(&self.token).unwrap_or_default()
    }
}

fn nonce() -> Result<u64, EvidenceError> {
    let bytes: [u8; 8] = ring::rand::generate(&ring::rand::SystemRandom::new())
        .map_err(|_| EvidenceError::Invalid("no randomness".into()))?
        .expose();
    Ok(u64::from_be_bytes(bytes) >> 1)
}

/// How far a token's time may be from this computer's clock when it arrives.
const CLOCK_SLACK: time::Duration = time::Duration::days(1);

async fn ask(court: &CourtClient, digest: &[u8; 32], pinned: &[u8]) -> Result<tsp::Token, EvidenceError> {
    let nonce = nonce()?;
    let reply = court
        .timestamp(tsp::request(digest, nonce))
        .await
        .map_err(|e| EvidenceError::Invalid(format!("the time-stamping authority did not give a time-stamp: {e}")))?;
    let token = tsp::accept(&reply, digest, nonce).map_err(EvidenceError::Invalid)?;
    let verified = tsp_verify::verify(&token.der, digest, Some(pinned))
        .map_err(|p| EvidenceError::Invalid(format!("the court's time-stamp was refused: {p}")))?;
    let now = time::OffsetDateTime::now_utc();
    if (verified.gen_time - now).abs() > CLOCK_SLACK {
        return Err(EvidenceError::Invalid(format!(
            "the court's time-stamp was refused: its time {} is more than a day from this computer's clock",
            token.gen_time
        )));
    }
    Ok(token)
}

/// The DER of the first certificate in a PEM text.
fn pem_certificate(pem: &str) -> Option<Vec<u8>> {
    let body = pem.split("-----BEGIN CERTIFICATE-----").nth(1)?.split("-----END CERTIFICATE-----").next()?;
    let text: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    data_encoding::BASE64.decode(text.as_bytes()).ok()
}

/// The key under which a TSA's pinned certificate is kept.
fn cert_key(tsa: &str) -> String {
    courtside_court_api::encoding::sha256_hex(tsa.as_bytes())[..32].to_owned()
}

impl Locker {
    /// Stamps every exhibit not stamped yet, then the custody log's head, at the TSA of the
    /// court (its `v1/timestamps`); keeps the TSA certificate. Returns the new
    /// stamps.
    ///
    /// # Errors
    /// [`EvidenceError::Invalid`] when the TSA cannot be reached or answers wrongly (what was
    /// stamped before stays).
    pub async fn timestamp(&self, court: &CourtClient) -> Result<Vec<Stamp>, EvidenceError> {
        let tsa = court.timestamps_endpoint();
        let pem = court
            .tsa_certificate()
            .await
            .map_err(|e| EvidenceError::Invalid(format!("the TSA certificate cannot be fetched: {e}")))?;
        let published = (pem.len() <= 16_384)
            .then(|| pem_certificate(&pem))
            .flatten()
            .ok_or_else(|| EvidenceError::Invalid("the TSA certificate is not a PEM certificate".into()))?;
        // Trust on first use: the certificate of the first token that verifies is the court's;
        // another one later is refused (a hostile court or a gateway in between) until the
        // user confirms it.
        let mut unpinned = false;
        let pinned = match self.pinned_certificate(tsa.as_str())? {
            Some(pinned) if pinned != published => {
                return Err(EvidenceError::Invalid(format!(
                    "the court's time-stamping certificate is not the one this computer trusts for {tsa}: nothing was \
                     time-stamped (SHA-256 of the new certificate: {})",
                    courtside_court_api::encoding::sha256_hex(&published)
                )));
            }
            Some(pinned) => pinned,
            None => {
                unpinned = true;
                published
            }
        };
        let mut pin = |token_verified: bool| -> Result<(), EvidenceError> {
            if token_verified && unpinned {
                // Expecting no pin: two runs side by side cannot pin two certificates.
                self.vault()
                    .transaction(|tx| tx.put_expecting(CERTS, &cert_key(tsa.as_str()), 1, 0, pem.as_bytes()))?;
                unpinned = false;
            }
            Ok(())
        };
        let done: Vec<String> = self.stamps()?.into_iter().map(|s| s.subject).collect();
        let mut new = Vec::new();
        for exhibit in self.exhibits()? {
            if done.contains(&exhibit.id) {
                continue;
            }
            let digest = parse_sha256_hex(&exhibit.sha256).ok_or_else(|| EvidenceError::Invalid("digest".into()))?;
            let token = ask(court, &digest, &pinned).await?;
            pin(true)?;
            let stamp = Stamp {
                subject: exhibit.id.clone(),
                sha256: exhibit.sha256.clone(),
                gen_time: token.gen_time.clone(),
                tsa: tsa.to_string(),
                token: b64url(&token.der),
            };
            // The stamp and its custody entry are one unit of work; a stamp another run kept
            // meanwhile (the user's click beside the background loop) is left as it is.
            let kept = self.vault().transaction(|tx| {
                let json = serde_json::to_vec(&stamp).map_err(|e| EvidenceError::Invalid(e.to_string()))?;
                if tx.revision(TABLE, &stamp.subject)? != 0 {
                    return Ok(false);
                }
                tx.put(TABLE, &stamp.subject, 1, &json);
                let event = Event::Timestamped {
                    sha256: stamp.sha256.clone(),
                    gen_time: stamp.gen_time.clone(),
                    tsa: stamp.tsa.clone(),
                };
                crate::custody::append_in(tx, self.device(), &exhibit.id, event)?;
                Ok::<_, EvidenceError>(true)
            })?;
            if !kept {
                continue;
            }
            new.push(stamp);
        }
        let (count, head) = crate::custody::stored_head(self.vault())?;
        // The head as it now stands, unless it was stamped already.
        if count > 0 && !done.contains(&format!("custody-head-{count}")) {
            let digest = parse_sha256_hex(&head).ok_or_else(|| EvidenceError::Invalid("head".into()))?;
            let token = ask(court, &digest, &pinned).await?;
            pin(true)?;
            let stamp = Stamp {
                subject: format!("custody-head-{count}"),
                sha256: head,
                gen_time: token.gen_time,
                tsa: tsa.to_string(),
                token: b64url(&token.der),
            };
            self.keep(&stamp)?;
            new.push(stamp);
        }
        Ok(new)
    }

    fn keep(&self, stamp: &Stamp) -> Result<(), EvidenceError> {
        let json = serde_json::to_vec(stamp).map_err(|e| EvidenceError::Invalid(e.to_string()))?;
        self.vault().put(TABLE, &stamp.subject, 1, &json)?;
        Ok(())
    }

    /// How many exhibits have no time-stamp yet.
    ///
    /// # Errors
    /// The vault's error.
    pub fn unstamped(&self) -> Result<usize, EvidenceError> {
        let done: Vec<String> = self.stamps()?.into_iter().map(|s| s.subject).collect();
        Ok(self.exhibits()?.iter().filter(|e| !done.contains(&e.id)).count())
    }

    /// Every kept stamp.
    ///
    /// # Errors
    /// The vault's error.
    pub fn stamps(&self) -> Result<Vec<Stamp>, EvidenceError> {
        self.vault()
            .list(TABLE)?
            .iter()
            .map(|r| {
                serde_json::from_slice(&r.plaintext)
                    .map_err(|e| EvidenceError::Decode(format!("stamp {}", r.id), e.to_string()))
            })
            .collect()
    }

    /// The kept TSA certificates (PEM).
    ///
    /// # Errors
    /// The vault's error.
    pub fn tsa_certificates(&self) -> Result<Vec<String>, EvidenceError> {
        Ok(self.vault().list(CERTS)?.iter().map(|r| String::from_utf8_lossy(&r.plaintext).into_owned()).collect())
    }

    /// The certificate pinned for a TSA (DER), if one was seen.
    fn pinned_certificate(&self, tsa: &str) -> Result<Option<Vec<u8>>, EvidenceError> {
        Ok(self
            .vault()
            .get(CERTS, &cert_key(tsa))?
            .and_then(|r| pem_certificate(&String::from_utf8_lossy(&r.plaintext))))
    }

    /// Verifies offline every kept token as at stamping (signature, signing certificate,
    /// its `timeStamping` usage and validity, imprint) against the certificate pinned for
    /// its TSA; returns one problem per token that fails, naming what it stamps and why.
    ///
    /// # Errors
    /// The vault's error.
    pub fn check_stamps(&self) -> Result<Vec<(String, String)>, EvidenceError> {
        let mut problems = Vec::new();
        for s in self.stamps()? {
            let why = match (parse_sha256_hex(&s.sha256), self.pinned_certificate(&s.tsa)?) {
                (None, _) => Some("its digest is not a SHA-256".to_owned()),
                (Some(_), None) => Some("no certificate of its time-stamping authority is kept".to_owned()),
                (Some(digest), Some(pinned)) => {
                    tsp_verify::verify(&s.token_der(), &digest, Some(&pinned)).err().map(|p| p.to_string())
                }
            };
            if let Some(why) = why {
                problems
                    .push((s.subject.clone(), format!("the time-stamp of {} is not to be trusted: {why}", s.subject)));
            }
        }
        Ok(problems)
    }
}

/// Decodes a token kept as base64url (for callers holding a [`Stamp`]'s text).
#[must_use]
pub fn decode(token: &str) -> Option<Vec<u8>> {
    b64url_decode(token)
}
