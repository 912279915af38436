//! Verifying a time-stamp token (RFC 3161 §2.4.2, RFC 5652 §5.4, RFC 5816) the way a relying
//! party must, before its time goes into the signed custody log: the CMS SignedData's one
//! signer, its signed attributes (content type, message digest of the TSTInfo, the signing
//! certificate bound by ESSCertIDv2), the signature over them with the certificate's key
//! (ECDSA P-256 or RSA with SHA-256), the certificate's critical extended key usage of
//! `timeStamping` alone, its validity at the token's time, and the imprint. Parsing is the
//! RustCrypto `cms` and `x509-cert` crates'; the cryptography is `ring`'s.

use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use time::OffsetDateTime;
use x509_cert::Certificate;

const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CT_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_SIGNING_CERT_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const ID_CE_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const ID_KP_TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");

/// Why a token is not to be trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenProblem {
    /// It is not a CMS SignedData time-stamp token (or breaks its structure).
    #[error("it is not a well-formed time-stamp token: {0}")]
    Malformed(String),
    /// The signature does not verify with the signer's certificate.
    #[error("its signature does not verify")]
    BadSignature,
    /// The signed attributes do not bind the token (content type, digest, certificate).
    #[error("its signed attributes do not match it: {0}")]
    Attributes(String),
    /// The signing certificate is not a time-stamping authority's (no critical
    /// `timeStamping` extended key usage, or other purposes too).
    #[error("it is signed by a certificate that is not a time-stamping authority's")]
    NotATsa,
    /// The token's time falls outside the signing certificate's validity.
    #[error("its time {0} is outside the validity of the certificate that signed it")]
    OutsideValidity(String),
    /// It time-stamps another digest.
    #[error("it time-stamps another digest")]
    OtherDigest,
    /// It is signed by another certificate than the one this court's time-stamps are.
    #[error("it is signed by another certificate than this court's time-stamping authority")]
    OtherCertificate,
}

/// A token that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The token's time.
    pub gen_time: OffsetDateTime,
    /// The signer's certificate (DER).
    pub certificate: Vec<u8>,
}

fn malformed(what: impl std::fmt::Display) -> TokenProblem {
    TokenProblem::Malformed(what.to_string())
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, bytes).as_ref().to_vec()
}

/// Verifies `token` (a CMS ContentInfo, DER) as a time-stamp of `digest` (SHA-256); with
/// `pinned`, the signer must be that certificate (DER).
///
/// # Errors
/// The [`TokenProblem`] that makes it untrustworthy.
pub fn verify(token: &[u8], digest: &[u8; 32], pinned: Option<&[u8]>) -> Result<Verified, TokenProblem> {
    let info = ContentInfo::from_der(token).map_err(malformed)?;
    if info.content_type != ID_SIGNED_DATA {
        return Err(malformed("not SignedData"));
    }
    let signed: SignedData = info.content.decode_as().map_err(malformed)?;
    if signed.encap_content_info.econtent_type != ID_CT_TST_INFO {
        return Err(malformed("the content is not a TSTInfo"));
    }
    let econtent = signed.encap_content_info.econtent.as_ref().ok_or_else(|| malformed("no TSTInfo"))?;
    let tst_info =
        der::asn1::OctetString::from_der(&econtent.to_der().map_err(malformed)?).map_err(malformed)?.into_bytes();
    let mut signers = signed.signer_infos.0.iter();
    let signer = signers.next().ok_or_else(|| malformed("no signer"))?;
    if signers.next().is_some() {
        return Err(malformed("more than one signer"));
    }
    let SignerIdentifier::IssuerAndSerialNumber(sid) = &signer.sid else {
        return Err(malformed("the signer is not named by issuer and serial number"));
    };
    // The signature and the certificate's hash are over the bytes as the TSA wrote them
    // (decoding puts a SET OF in order, so re-encoding could differ).
    let (signed_bytes, raw_certificates) = raw_parts(token).ok_or_else(|| malformed("the SignedData's layout"))?;
    let (certificate, certificate_der): (Certificate, Vec<u8>) = raw_certificates
        .into_iter()
        .filter_map(|raw| Certificate::from_der(raw).ok().map(|c| (c, raw.to_vec())))
        .find(|(c, _)| c.tbs_certificate.issuer == sid.issuer && c.tbs_certificate.serial_number == sid.serial_number)
        .ok_or_else(|| malformed("the token does not carry its signer's certificate"))?;
    if let Some(pinned) = pinned
        && pinned != certificate_der.as_slice()
    {
        return Err(TokenProblem::OtherCertificate);
    }
    if signer.digest_alg.oid != ID_SHA256 {
        return Err(malformed("the digest is not SHA-256"));
    }

    // Signed attributes: content type, message digest, and the signing certificate.
    let attrs = signer.signed_attrs.as_ref().ok_or_else(|| TokenProblem::Attributes("none".into()))?;
    let value = |oid: ObjectIdentifier| {
        let mut found = attrs.iter().filter(|a| a.oid == oid);
        match (found.next(), found.next()) {
            (Some(a), None) if a.values.len() == 1 => a.values.get(0).cloned(),
            _ => None,
        }
    };
    let bad_attr = |what: &str| TokenProblem::Attributes(what.to_owned());
    let content_type = value(ID_CONTENT_TYPE)
        .and_then(|v| v.decode_as::<ObjectIdentifier>().ok())
        .ok_or_else(|| bad_attr("content type"))?;
    if content_type != ID_CT_TST_INFO {
        return Err(bad_attr("content type"));
    }
    let message_digest = value(ID_MESSAGE_DIGEST)
        .and_then(|v| v.decode_as::<der::asn1::OctetString>().ok())
        .ok_or_else(|| bad_attr("message digest"))?;
    if message_digest.as_bytes() != sha256(&tst_info).as_slice() {
        return Err(bad_attr("the message digest is not the TSTInfo's"));
    }
    let signing_cert = value(ID_SIGNING_CERT_V2).ok_or_else(|| bad_attr("no signing certificate (ESSCertIDv2)"))?;
    if !ess_cert_v2_names(&signing_cert.to_der().map_err(malformed)?, &sha256(&certificate_der)) {
        return Err(bad_attr("the signing certificate named is not the signer's"));
    }

    // The signature, over the signed attributes as a SET (RFC 5652 §5.4).
    let spki = &certificate.tbs_certificate.subject_public_key_info;
    let key = spki.subject_public_key.raw_bytes();
    let algorithm: &'static dyn ring::signature::VerificationAlgorithm =
        match (signer.signature_algorithm.oid, spki.algorithm.oid) {
            (ECDSA_WITH_SHA256, ID_EC_PUBLIC_KEY)
                if spki.algorithm.parameters.as_ref().and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
                    == Some(SECP256R1) =>
            {
                &ring::signature::ECDSA_P256_SHA256_ASN1
            }
            // OpenSSL and Bouncy Castle name the key's algorithm here, with SHA-256 as the digest.
            (SHA256_WITH_RSA | RSA_ENCRYPTION, RSA_ENCRYPTION) => &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            _ => return Err(malformed("a signature algorithm other than ECDSA P-256 or RSA with SHA-256")),
        };
    ring::signature::UnparsedPublicKey::new(algorithm, key)
        .verify(&signed_bytes, signer.signature.as_bytes())
        .map_err(|_| TokenProblem::BadSignature)?;

    // A time-stamping authority's certificate: extendedKeyUsage critical, timeStamping only.
    let eku = certificate
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == ID_CE_EXT_KEY_USAGE)
        .ok_or(TokenProblem::NotATsa)?;
    let purposes = Vec::<ObjectIdentifier>::from_der(eku.extn_value.as_bytes()).map_err(|_| TokenProblem::NotATsa)?;
    if !eku.critical || purposes != [ID_KP_TIME_STAMPING] {
        return Err(TokenProblem::NotATsa);
    }

    // The TSTInfo: its imprint, and its time within the certificate's validity.
    let (imprint, gen_time) = crate::tsp::imprint_and_time(&tst_info).ok_or_else(|| malformed("TSTInfo"))?;
    if imprint != digest.as_slice() {
        return Err(TokenProblem::OtherDigest);
    }
    let validity = &certificate.tbs_certificate.validity;
    let unix = |t: &x509_cert::time::Time| {
        i64::try_from(t.to_unix_duration().as_secs()).ok().and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
    };
    let (Some(from), Some(until)) = (unix(&validity.not_before), unix(&validity.not_after)) else {
        return Err(malformed("the certificate's validity"));
    };
    if gen_time < from || gen_time > until {
        return Err(TokenProblem::OutsideValidity(crate::tsp::show_gen_time(gen_time)));
    }
    Ok(Verified { gen_time, certificate: certificate_der })
}

/// The signer's signed attributes as they are in `token`, with the SET tag the signature is
/// computed over, and each certificate the token carries, as encoded.
fn raw_parts(token: &[u8]) -> Option<(Vec<u8>, Vec<&[u8]>)> {
    use crate::tsp::der::{children, read};
    let (content_info, _) = read(token)?;
    let content_info = children(content_info.content)?;
    let (signed_data, _) = read(content_info.get(1)?.content)?;
    let fields = children(signed_data.content)?;
    let certificates = children(fields.iter().find(|f| f.tag == 0xA0)?.content)?;
    let signer_infos = fields.last().filter(|f| f.tag == 0x31)?;
    let signer = children(signer_infos.content)?.into_iter().next()?;
    let attrs = children(signer.content)?.into_iter().find(|f| f.tag == 0xA0)?;
    let mut signed = attrs.raw.to_vec();
    *signed.first_mut()? = 0x31;
    Some((signed, certificates.into_iter().map(|c| c.raw).collect()))
}

/// Whether a SigningCertificateV2 (RFC 5035) names a certificate whose SHA-256 is `hash`
/// as its first ESSCertIDv2 (the signer's).
fn ess_cert_v2_names(der: &[u8], hash: &[u8]) -> bool {
    use crate::tsp::der::{children, read};
    (|| {
        let (signing_cert, _) = read(der)?;
        let certs = children(signing_cert.content)?;
        let first = children(certs.first()?.content)?.into_iter().next()?;
        let fields = children(first.content)?;
        // hashAlgorithm DEFAULT sha256 may be left out; when present it must be SHA-256.
        let (algorithm, cert_hash) = match fields.first()? {
            f if f.tag == 0x30 => (Some(f), fields.get(1)?),
            f => (None, f),
        };
        if let Some(a) = algorithm
            && children(a.content)?.first()?.content != crate::tsp::OID_SHA256
        {
            return Some(false);
        }
        Some(cert_hash.tag == 0x04 && cert_hash.content == hash)
    })()
    .unwrap_or(false)
}
