//! RFC 3161 time-stamp protocol: the request a client sends, the response a time-stamping
//! authority (TSA) returns, in DER. Only what trusted time-stamping of evidence needs:
//! SHA-256 imprints, a nonce, the TSA certificate in the token, one ECDSA P-256 signer with
//! the `signingCertificateV2` attribute (RFC 5816) that `openssl ts -verify` checks.

/// DER encoding and a small reader for the structures below.
pub mod der {
    /// Tag, length, value.
    #[must_use]
    pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes: Vec<u8> = len.to_be_bytes().iter().copied().skip_while(|b| *b == 0).collect();
            out.push(0x80 | bytes.len() as u8);
            out.extend_from_slice(&bytes);
        }
        out.extend_from_slice(content);
        out
    }

    /// SEQUENCE of already-encoded parts.
    #[must_use]
    pub fn seq(parts: &[&[u8]]) -> Vec<u8> {
        tlv(0x30, &parts.concat())
    }

    /// SET OF already-encoded parts, in DER order (sorted by encoding).
    #[must_use]
    pub fn set_of(parts: &[&[u8]]) -> Vec<u8> {
        let mut sorted: Vec<&[u8]> = parts.to_vec();
        sorted.sort();
        tlv(0x31, &sorted.concat())
    }

    /// OBJECT IDENTIFIER from its encoded content bytes.
    #[must_use]
    pub fn oid(content: &[u8]) -> Vec<u8> {
        tlv(0x06, content)
    }

    /// A non-negative INTEGER.
    #[must_use]
    pub fn uint(value: &[u8]) -> Vec<u8> {
        let trimmed: Vec<u8> = value.iter().copied().skip_while(|b| *b == 0).collect();
        let mut content = if trimmed.is_empty() { vec![0] } else { trimmed };
        if content[0] & 0x80 != 0 {
            content.insert(0, 0);
        }
        tlv(0x02, &content)
    }

    /// OCTET STRING.
    #[must_use]
    pub fn octets(value: &[u8]) -> Vec<u8> {
        tlv(0x04, value)
    }

    /// `[n]` EXPLICIT (constructed context tag).
    #[must_use]
    pub fn explicit(n: u8, content: &[u8]) -> Vec<u8> {
        tlv(0xA0 | n, content)
    }

    /// One element read from DER: its tag, its content, and its whole encoding.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Element<'a> {
        /// The tag byte.
        pub tag: u8,
        /// The content.
        pub content: &'a [u8],
        /// Tag, length and content.
        pub raw: &'a [u8],
    }

    /// Reads the first element of `input`; returns it and the rest. `None` for anything that
    /// is not minimal, definite-length DER within the input (hostile input is expected).
    #[must_use]
    pub fn read(input: &[u8]) -> Option<(Element<'_>, &[u8])> {
        let (&tag, rest) = input.split_first()?;
        if tag & 0x1F == 0x1F {
            return None; // multi-byte tags are not used here
        }
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (first as usize, rest)
        } else {
            let n = (first & 0x7F) as usize;
            if n == 0 || n > 4 || rest.len() < n || rest[0] == 0 {
                return None;
            }
            let len = rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | *b as usize);
            if len < 0x80 {
                return None;
            }
            (len, &rest[n..])
        };
        if rest.len() < len {
            return None;
        }
        let header = input.len() - rest.len();
        Some((Element { tag, content: &rest[..len], raw: &input[..header + len] }, &rest[len..]))
    }

    /// Every element inside a constructed element's content.
    #[must_use]
    pub fn children(content: &[u8]) -> Option<Vec<Element<'_>>> {
        let mut out = Vec::new();
        let mut rest = content;
        while !rest.is_empty() {
            let (e, r) = read(rest)?;
            out.push(e);
            rest = r;
        }
        Some(out)
    }
}

use der::{children, explicit, octets, oid, read, seq, set_of, tlv, uint};

/// `2.16.840.1.101.3.4.2.1` SHA-256.
pub const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
/// `1.2.840.113549.1.7.2` signedData.
pub const OID_SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
/// `1.2.840.113549.1.9.16.1.4` id-ct-TSTInfo.
pub const OID_TST_INFO: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x04];
const OID_CONTENT_TYPE: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03];
const OID_MESSAGE_DIGEST: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04];
const OID_SIGNING_CERT_V2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x02, 0x2f];
/// `1.2.840.10045.4.3.2` ecdsa-with-SHA256.
pub const OID_ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
/// The reference court's TSA policy, in the arc reserved for examples (`2.999.1.1`).
pub const OID_DEMO_POLICY: &[u8] = &[0x88, 0x37, 0x01, 0x01];
/// Media type of a request.
pub const QUERY_TYPE: &str = "application/timestamp-query";
/// Media type of a response.
pub const REPLY_TYPE: &str = "application/timestamp-reply";

fn sha256_alg() -> Vec<u8> {
    seq(&[&oid(OID_SHA256), &[0x05, 0x00]])
}

/// A request for a token over a SHA-256 digest, with a nonce, asking for the certificate.
#[must_use]
pub fn request(sha256: &[u8; 32], nonce: u64) -> Vec<u8> {
    let imprint = seq(&[&sha256_alg(), &octets(sha256)]);
    seq(&[&uint(&[1]), &imprint, &uint(&nonce.to_be_bytes()), &[0x01, 0x01, 0xFF]])
}

/// What a TSA needs from a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request<'a> {
    /// The `messageImprint` as encoded (copied into the token unchanged).
    pub imprint: &'a [u8],
    /// The digest inside it.
    pub digest: &'a [u8],
    /// The nonce as encoded (an INTEGER), if any.
    pub nonce: Option<&'a [u8]>,
}

/// Parses a request; `None` unless it is version 1 with a SHA-256 imprint of 32 bytes.
#[must_use]
pub fn parse_request(der: &[u8]) -> Option<Request<'_>> {
    let (top, rest) = read(der)?;
    if top.tag != 0x30 || !rest.is_empty() {
        return None;
    }
    let fields = children(top.content)?;
    let (version, imprint) = (fields.first()?, fields.get(1)?);
    if version.tag != 0x02 || version.content != [1] || imprint.tag != 0x30 {
        return None;
    }
    let parts = children(imprint.content)?;
    let alg = children(parts.first()?.content)?;
    let digest = parts.get(1)?;
    if alg.first()?.content != OID_SHA256 || digest.tag != 0x04 || digest.content.len() != 32 {
        return None;
    }
    let nonce = fields.iter().skip(2).find(|f| f.tag == 0x02).map(|f| f.raw);
    Some(Request { imprint: imprint.raw, digest: digest.content, nonce })
}

/// The signer's side: its certificate (DER) and a function that signs with its key
/// (ECDSA P-256 over SHA-256, DER signature).
pub struct Signer<'a> {
    /// The TSA certificate.
    pub certificate: &'a [u8],
    /// Signs.
    pub sign: &'a dyn Fn(&[u8]) -> Option<Vec<u8>>,
}

/// The issuer Name and serial number of a certificate, as encoded.
fn issuer_and_serial(cert: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (certificate, _) = read(cert)?;
    let tbs = children(certificate.content)?.into_iter().next()?;
    let fields = children(tbs.content)?;
    let mut i = 0;
    if fields.first()?.tag == 0xA0 {
        i = 1;
    }
    let serial = fields.get(i)?;
    let issuer = fields.get(i + 2)?;
    Some((issuer.raw.to_vec(), serial.raw.to_vec()))
}

/// A granted response (status 0) with a token over `req`'s imprint: TSTInfo with `serial`
/// and `gen_time` (`YYYYMMDDHHMMSSZ`), signed by `signer`. `None` when signing fails.
#[must_use]
pub fn grant(req: &Request<'_>, serial: &[u8], gen_time: &str, signer: &Signer<'_>) -> Option<Vec<u8>> {
    let mut tst =
        vec![uint(&[1]), oid(OID_DEMO_POLICY), req.imprint.to_vec(), uint(serial), tlv(0x18, gen_time.as_bytes())];
    if let Some(nonce) = req.nonce {
        tst.push(nonce.to_vec());
    }
    let tst_refs: Vec<&[u8]> = tst.iter().map(Vec::as_slice).collect();
    let tst_info = seq(&tst_refs);
    let digest = |b: &[u8]| ring::digest::digest(&ring::digest::SHA256, b).as_ref().to_vec();
    let ess_cert = seq(&[&seq(&[&seq(&[&octets(&digest(signer.certificate))])])]);
    let attrs = [
        seq(&[&oid(OID_CONTENT_TYPE), &set_of(&[&oid(OID_TST_INFO)])]),
        seq(&[&oid(OID_MESSAGE_DIGEST), &set_of(&[&octets(&digest(&tst_info))])]),
        seq(&[&oid(OID_SIGNING_CERT_V2), &set_of(&[&ess_cert])]),
    ];
    let attr_refs: Vec<&[u8]> = attrs.iter().map(Vec::as_slice).collect();
    let signed_attrs = set_of(&attr_refs);
    let signature = (signer.sign)(&signed_attrs)?;
    let (issuer, serial_number) = issuer_and_serial(signer.certificate)?;
    let mut implicit_attrs = signed_attrs.clone();
    implicit_attrs[0] = 0xA0;
    let signer_info = seq(&[
        &uint(&[1]),
        &seq(&[&issuer, &serial_number]),
        &sha256_alg(),
        &implicit_attrs,
        &seq(&[&oid(OID_ECDSA_SHA256)]),
        &octets(&signature),
    ]);
    let signed_data = seq(&[
        &uint(&[3]),
        &set_of(&[&sha256_alg()]),
        &seq(&[&oid(OID_TST_INFO), &explicit(0, &octets(&tst_info))]),
        &tlv(0xA0, signer.certificate),
        &set_of(&[&signer_info]),
    ]);
    let token = seq(&[&oid(OID_SIGNED_DATA), &explicit(0, &signed_data)]);
    Some(seq(&[&seq(&[&uint(&[0])]), &token]))
}

/// A refusal (status 2, `rejection`) with the failure bit `badDataFormat`.
#[must_use]
pub fn reject() -> Vec<u8> {
    let fail_info = tlv(0x03, &[0x02, 0x20]); // BIT STRING: badDataFormat (bit 5)
    seq(&[&seq(&[&uint(&[2]), &fail_info])])
}

/// A token checked against the request it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The token (a CMS ContentInfo), as kept and as `openssl ts -verify -token_in` reads it.
    pub der: Vec<u8>,
    /// The TSA's time, `YYYYMMDDHHMMSSZ`.
    pub gen_time: String,
}

/// Takes the token out of a response and checks that it was granted, that its TSTInfo
/// names `sha256` and carries `nonce`. (The signature is checked by whoever trusts the TSA,
/// e.g. `openssl ts -verify`.)
///
/// # Errors
/// A sentence saying what is wrong.
pub fn accept(response: &[u8], sha256: &[u8; 32], nonce: u64) -> Result<Token, String> {
    let bad = |what: &str| format!("the time-stamp answer is not acceptable: {what}");
    let (top, _) = read(response).ok_or_else(|| bad("not DER"))?;
    let parts = children(top.content).ok_or_else(|| bad("not a sequence"))?;
    let status = children(parts.first().ok_or_else(|| bad("no status"))?.content).ok_or_else(|| bad("status"))?;
    let granted = status.first().map(|s| s.content);
    if !matches!(granted, Some([0] | [1])) {
        return Err(bad(&format!("the authority refused (status {:?})", granted.unwrap_or_default())));
    }
    let token = parts.get(1).ok_or_else(|| bad("no token"))?;
    let info = tst_info(token.raw).ok_or_else(|| bad("no TSTInfo in the token"))?;
    let (info, _) = read(info).ok_or_else(|| bad("TSTInfo"))?;
    let fields = children(info.content).ok_or_else(|| bad("TSTInfo"))?;
    let imprint = children(fields.get(2).ok_or_else(|| bad("imprint"))?.content).ok_or_else(|| bad("imprint"))?;
    if imprint.get(1).map(|d| d.content) != Some(&sha256[..]) {
        return Err(bad("it time-stamps another digest"));
    }
    let gen_time = fields.get(4).filter(|f| f.tag == 0x18).ok_or_else(|| bad("no time"))?;
    let nonce_field = fields.iter().skip(5).find(|f| f.tag == 0x02).ok_or_else(|| bad("no nonce"))?;
    if nonce_field.raw != uint(&nonce.to_be_bytes()).as_slice() {
        return Err(bad("the nonce differs (a replayed answer?)"));
    }
    Ok(Token { der: token.raw.to_vec(), gen_time: String::from_utf8_lossy(gen_time.content).into_owned() })
}

/// The imprint's digest and the time of a TSTInfo (DER).
#[must_use]
pub fn imprint_and_time(tst_info: &[u8]) -> Option<(&[u8], time::OffsetDateTime)> {
    let (info, _) = read(tst_info)?;
    let fields = children(info.content)?;
    let imprint = children(fields.get(2)?.content)?;
    let gen_time = fields.get(4).filter(|f| f.tag == 0x18)?;
    Some((imprint.get(1)?.content, parse_gen_time(std::str::from_utf8(gen_time.content).ok()?)?))
}

/// A GeneralizedTime as a TSA writes it (`YYYYMMDDHHMMSS[.fff]Z`, UTC).
#[must_use]
pub fn parse_gen_time(text: &str) -> Option<time::OffsetDateTime> {
    let body = text.strip_suffix('Z')?;
    let whole = body.split('.').next()?;
    if whole.len() != 14 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| whole.get(r)?.parse::<u16>().ok();
    let date = time::Date::from_calendar_date(
        i32::from(n(0..4)?),
        time::Month::try_from(u8::try_from(n(4..6)?).ok()?).ok()?,
        u8::try_from(n(6..8)?).ok()?,
    )
    .ok()?;
    let clock = time::Time::from_hms(
        u8::try_from(n(8..10)?).ok()?,
        u8::try_from(n(10..12)?).ok()?,
        u8::try_from(n(12..14)?).ok()?,
    )
    .ok()?;
    Some(time::PrimitiveDateTime::new(date, clock).assume_utc())
}

/// A time as a GeneralizedTime (`YYYYMMDDHHMMSSZ`).
#[must_use]
pub fn show_gen_time(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{:04}{:02}{:02}{:02}{:02}{:02}Z", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute(), t.second())
}

/// The TSTInfo DER inside a token (ContentInfo → SignedData → encapContentInfo → eContent).
#[must_use]
pub fn tst_info(token: &[u8]) -> Option<&[u8]> {
    let (ci, _) = read(token)?;
    let ci = children(ci.content)?;
    if ci.first()?.content != OID_SIGNED_DATA {
        return None;
    }
    let (signed_data, _) = read(ci.get(1)?.content)?;
    let sd = children(signed_data.content)?;
    let encap = children(sd.get(2)?.content)?;
    if encap.first()?.content != OID_TST_INFO {
        return None;
    }
    let (octet, _) = read(encap.get(1)?.content)?;
    let (info, _) = read(octet.content)?;
    Some(info.raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_request_round_trips() {
        let digest = [7u8; 32];
        let der = request(&digest, 0x8000_0000_0000_0001);
        let req = parse_request(&der).unwrap();
        assert_eq!(req.digest, &digest);
        assert_eq!(req.nonce.unwrap(), uint(&0x8000_0000_0000_0001u64.to_be_bytes()).as_slice());
        assert!(parse_request(&der[..der.len() - 1]).is_none());
        assert!(parse_request(&reject()).is_none());
    }

    #[test]
    fn lengths_use_the_shortest_form() {
        assert_eq!(tlv(0x04, &[0; 127])[..2], [0x04, 127]);
        assert_eq!(tlv(0x04, &[0; 128])[..3], [0x04, 0x81, 128]);
        assert_eq!(tlv(0x04, &[0; 300])[..4], [0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(uint(&[0x80]), vec![0x02, 0x02, 0x00, 0x80]);
        assert_eq!(uint(&[0, 0, 5]), vec![0x02, 0x01, 0x05]);
    }

    proptest! {
        #[test]
        fn hostile_bytes_never_panic_the_parsers(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_request(&bytes);
            let _ = accept(&bytes, &[0; 32], 1);
            let _ = tst_info(&bytes);
            let _ = read(&bytes);
        }
    }
}
