//! The court's time-stamping authority (RFC 3161): `POST /v1/timestamps` answers a
//! time-stamp query with a token signed by the TSA's ECDSA P-256 key, whose self-signed
//! certificate (extended key usage `timeStamping`, critical, as RFC 3161 §2.3 asks) is
//! published at `GET /v1/timestamps/certificate` and carried in every token.

use crate::store::Cached;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use courtside_court_api::tsp;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};

use crate::http::CourtState;

/// The TSA's key and certificate.
pub(crate) struct Tsa {
    pair: EcdsaKeyPair,
    pub(crate) certificate: Vec<u8>,
}

impl std::fmt::Debug for Tsa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tsa").finish_non_exhaustive()
    }
}

impl Tsa {
    /// The TSA of the court's database, made at first start.
    pub(crate) fn load_or_create(store: &crate::store::Store, court_name: &str) -> Result<Self, String> {
        let get = |key: &str| {
            store
                .with(|c| {
                    crate::http::optional(
                        c.one("SELECT value FROM court_meta WHERE key = ?1", [key], |r| r.get::<_, String>(0)),
                    )
                })
                .map_err(|e| e.to_string())
        };
        let decode = |v: String| courtside_court_api::encoding::b64url_decode(&v);
        let (pkcs8, certificate) = match (get("tsa_key")?.and_then(decode), get("tsa_certificate")?.and_then(decode)) {
            (Some(k), Some(c)) => (k, c),
            _ => {
                let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| e.to_string())?;
                let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
                params
                    .distinguished_name
                    .push(rcgen::DnType::CommonName, format!("{court_name} Time-Stamping Authority"));
                params.distinguished_name.push(rcgen::DnType::OrganizationName, "Courtside reference court (demo)");
                params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
                // extendedKeyUsage = { id-kp-timeStamping }, critical.
                let mut eku = rcgen::CustomExtension::from_oid_content(
                    &[2, 5, 29, 37],
                    vec![0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08],
                );
                eku.set_criticality(true);
                params.custom_extensions.push(eku);
                params.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(1);
                params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(3650);
                let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
                let pkcs8 = key.serialize_der();
                let certificate = cert.der().to_vec();
                for (k, v) in [("tsa_key", &pkcs8), ("tsa_certificate", &certificate)] {
                    store
                        .with(|c| {
                            c.run(
                                "INSERT OR REPLACE INTO court_meta (key, value) VALUES (?1, ?2)",
                                [k, &courtside_court_api::encoding::b64url(v)],
                            )
                        })
                        .map_err(|e| e.to_string())?;
                }
                (pkcs8, certificate)
            }
        };
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &pkcs8, &ring::rand::SystemRandom::new())
            .map_err(|e| e.to_string())?;
        Ok(Self { pair, certificate })
    }

    /// The certificate in PEM.
    pub(crate) fn certificate_pem(&self) -> String {
        let body = courtside_court_api::encoding::b64(&self.certificate);
        let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect();
        format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", lines.join("\n"))
    }
}

/// `POST /v1/timestamps`: an RFC 3161 time-stamp query in, a response out.
#[utoipa::path(post, path = "/v1/timestamps", tag = "evidence-exchange",
    request_body(content = Vec<u8>, content_type = "application/timestamp-query", description = "TimeStampReq (DER), SHA-256 imprint"),
    responses((status = 200, description = "TimeStampResp (DER): a token, or a refusal with its reason", body = Vec<u8>, content_type = "application/timestamp-reply")))]
pub(crate) async fn stamp(State(state): State<CourtState>, body: Bytes) -> Response {
    let reply = |der: Vec<u8>| ([(CONTENT_TYPE, tsp::REPLY_TYPE)], der).into_response();
    let Some(request) = tsp::parse_request(&body) else {
        return reply(tsp::reject());
    };
    let serial: [u8; 16] = match ring::rand::generate(&ring::rand::SystemRandom::new()) {
        Ok(s) => s.expose(),
        Err(_) => return reply(tsp::reject()),
    };
    let now = time::OffsetDateTime::now_utc();
    let gen_time = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let rng = ring::rand::SystemRandom::new();
    let sign = |message: &[u8]| state.tsa.pair.sign(&rng, message).ok().map(|s| s.as_ref().to_vec());
    let signer = tsp::Signer { certificate: &state.tsa.certificate, sign: &sign };
    reply(tsp::grant(&request, &serial, &gen_time, &signer).unwrap_or_else(tsp::reject))
}

/// `GET /v1/timestamps/certificate`: the TSA certificate (PEM), to verify tokens offline.
#[utoipa::path(get, path = "/v1/timestamps/certificate", tag = "evidence-exchange",
    responses((status = 200, description = "The TSA certificate", body = String, content_type = "application/x-pem-file")))]
pub(crate) async fn certificate(State(state): State<CourtState>) -> Response {
    ([(CONTENT_TYPE, "application/x-pem-file")], state.tsa.certificate_pem()).into_response()
}
