//! A hostile time-stamping authority: tokens with a bad signature, signed by a certificate
//! without the `timeStamping` usage, by another certificate than the court's, or with a time
//! in 1999, are refused at stamping (nothing enters the custody log) and, when an earlier
//! version kept them, named by verification; genuine tokens pass. OpenSSL agrees on each.
#![allow(clippy::unwrap_used, reason = "tests fail loudly by design")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use courtside_court_api::{CourtClient, CourtUrl, tsp};
use courtside_evidence::custody::Event;
use courtside_evidence::{Capture, Locker};
use courtside_vault::{KdfParams, Vault};
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};

/// A key and its self-signed certificate; `eku`: with the critical `timeStamping` usage.
struct Authority {
    pkcs8: Vec<u8>,
    certificate: Vec<u8>,
}

impl Authority {
    fn new(name: &str, eku: bool) -> Self {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        if eku {
            let mut ext = rcgen::CustomExtension::from_oid_content(
                &[2, 5, 29, 37],
                vec![0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08],
            );
            ext.set_criticality(true);
            params.custom_extensions.push(ext);
        }
        params.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(1);
        params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(365);
        let cert = params.self_signed(&key).unwrap();
        Self { pkcs8: key.serialize_der(), certificate: cert.der().to_vec() }
    }

    fn pem(&self) -> String {
        let body = courtside_court_api::encoding::b64(&self.certificate);
        let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
        format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", lines.join("\n"))
    }

    fn pair(&self) -> EcdsaKeyPair {
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &self.pkcs8, &ring::rand::SystemRandom::new())
            .unwrap()
    }
}

/// How the TSA answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Forgery {
    /// Honestly.
    None,
    /// A signature by another key than its certificate's.
    BadSignature,
    /// Signed by a certificate without the `timeStamping` usage (the one it publishes).
    NoEku,
    /// Signed by another certificate (with the usage) than the one it published first.
    OtherCertificate,
    /// A time in 1999.
    In1999,
}

struct Tsa {
    court: Authority,
    no_eku: Authority,
    other: Authority,
    forgery: Mutex<Forgery>,
    tokens: Mutex<Vec<Vec<u8>>>,
}

impl Tsa {
    fn reply(&self, request: &[u8]) -> Vec<u8> {
        let forgery = *self.forgery.lock().unwrap();
        let request = tsp::parse_request(request).unwrap();
        let (signer_cert, key) = match forgery {
            Forgery::None | Forgery::In1999 => (&self.court, self.court.pair()),
            Forgery::BadSignature => (&self.court, self.other.pair()),
            Forgery::NoEku => (&self.no_eku, self.no_eku.pair()),
            Forgery::OtherCertificate => (&self.other, self.other.pair()),
        };
        let rng = ring::rand::SystemRandom::new();
        let sign = |m: &[u8]| key.sign(&rng, m).ok().map(|s| s.as_ref().to_vec());
        let gen_time = if forgery == Forgery::In1999 {
            "19991231235959Z".to_owned()
        } else {
            tsp::show_gen_time(time::OffsetDateTime::now_utc())
        };
        let reply = tsp::grant(
            &request,
            &[7; 8],
            &gen_time,
            &tsp::Signer { certificate: &signer_cert.certificate, sign: &sign },
        )
        .unwrap();
        self.tokens.lock().unwrap().push(reply.clone());
        reply
    }

    /// The certificate it publishes: its own, or for `NoEku` the one without the usage.
    fn published(&self) -> String {
        if *self.forgery.lock().unwrap() == Forgery::NoEku { self.no_eku.pem() } else { self.court.pem() }
    }
}

/// A court of the test's own that answers the two time-stamping endpoints.
fn serve(tsa: Arc<Tsa>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let tsa = tsa.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut length = 0;
                    loop {
                        let mut header = String::new();
                        reader.read_line(&mut header).unwrap();
                        if header == "\r\n" {
                            break;
                        }
                        if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap();
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    let (kind, answer) = if line.starts_with("GET /v1/timestamps/certificate") {
                        ("application/x-pem-file", tsa.published().into_bytes())
                    } else if line.starts_with("POST /v1/timestamps") {
                        (tsp::REPLY_TYPE, tsa.reply(&body))
                    } else {
                        ("text/plain", b"not here".to_vec())
                    };
                    let head =
                        format!("HTTP/1.1 200 OK\r\ncontent-type: {kind}\r\ncontent-length: {}\r\n\r\n", answer.len());
                    if stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&answer)).is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}/")
}

fn openssl_accepts(token: &[u8], digest: &str, ca_pem: &str, dir: &std::path::Path) -> bool {
    let (tsr, ca) = (dir.join("t.tsr"), dir.join("ca.pem"));
    std::fs::write(&tsr, token).unwrap();
    std::fs::write(&ca, ca_pem).unwrap();
    std::process::Command::new("openssl")
        .args(["ts", "-verify", "-token_in", "-in"])
        .arg(&tsr)
        .args(["-digest", digest, "-CAfile"])
        .arg(&ca)
        .output()
        .expect("openssl must be installed")
        .status
        .success()
}

#[tokio::test]
async fn forged_time_stamps_are_refused_at_stamping_and_named_by_verification() {
    let dir = tempfile::tempdir().unwrap();
    let (vault, _) =
        Vault::create(&dir.path().join("vault"), "correct horse battery", KdfParams::insecure_for_tests()).unwrap();
    let vault = Arc::new(vault);
    let locker = Locker::open(vault.clone()).unwrap();
    let tsa = Arc::new(Tsa {
        court: Authority::new("Court TSA", true),
        no_eku: Authority::new("Not a TSA", false),
        other: Authority::new("Another TSA", true),
        forgery: Mutex::new(Forgery::None),
        tokens: Mutex::new(Vec::new()),
    });
    let base = serve(tsa.clone());
    let client = CourtClient::new(CourtUrl::parse(&base).unwrap()).unwrap();
    let file = dir.path().join("合同.txt");
    std::fs::write(&file, "买卖合同").unwrap();
    let exhibit = locker.capture_file(&file, &Capture::default()).unwrap();

    // The first answer is a certificate without the usage: its token is refused and the
    // certificate is not trusted for later. Then the court's, forged three ways.
    for forgery in [Forgery::NoEku, Forgery::BadSignature, Forgery::OtherCertificate, Forgery::In1999] {
        *tsa.forgery.lock().unwrap() = forgery;
        tsa.tokens.lock().unwrap().clear();
        let before = locker.custody(Some(&exhibit.id)).unwrap().len();
        let refused = locker.timestamp(&client).await;
        let message = refused.expect_err(&format!("{forgery:?} must be refused")).to_string();
        let why = match forgery {
            Forgery::NoEku => "not a time-stamping authority's",
            Forgery::BadSignature => "signature does not verify",
            Forgery::OtherCertificate => "another certificate than this court's",
            Forgery::In1999 => "outside the validity",
            Forgery::None => unreachable!(),
        };
        assert!(message.contains(why), "{forgery:?}: {message}");
        assert!(locker.stamps().unwrap().is_empty(), "{forgery:?}: nothing kept");
        assert_eq!(locker.custody(Some(&exhibit.id)).unwrap().len(), before, "{forgery:?}: nothing in the log");
        let token = raw_token(tsa.tokens.lock().unwrap().last().expect("a token was asked for"));
        // OpenSSL, trusting the court's certificate, refuses the same token too. (It checks
        // the signer's certificate at the present time, not at the token's: the token of 1999
        // is one it accepts and we do not.)
        let openssl = openssl_accepts(&token, &exhibit.sha256, &tsa.court.pem(), dir.path());
        assert_eq!(openssl, forgery == Forgery::In1999, "{forgery:?}: openssl");
    }

    // Honest tokens pass, for us and for OpenSSL.
    *tsa.forgery.lock().unwrap() = Forgery::None;
    let kept = locker.timestamp(&client).await.unwrap();
    assert_eq!(kept.len(), 2, "the exhibit and the log head");
    assert!(matches!(locker.custody(Some(&exhibit.id)).unwrap().last().unwrap().event, Event::Timestamped { .. }));
    assert!(locker.check_stamps().unwrap().is_empty());
    assert!(openssl_accepts(&kept[0].token_der(), &exhibit.sha256, &tsa.court.pem(), dir.path()));

    // Forged tokens an earlier version kept without checking: named by verification.
    for forgery in [Forgery::BadSignature, Forgery::OtherCertificate, Forgery::NoEku, Forgery::In1999] {
        *tsa.forgery.lock().unwrap() = forgery;
        let digest = courtside_court_api::encoding::parse_sha256_hex(&exhibit.sha256).unwrap();
        let reply = tsa.reply(&tsp::request(&digest, 1));
        let mut stamp = kept[0].clone();
        stamp.token = courtside_court_api::encoding::b64url(&raw_token(&reply));
        vault.put("timestamps", &stamp.subject, 1, &serde_json::to_vec(&stamp).unwrap()).unwrap();
        let problems = locker.check_stamps().unwrap();
        assert_eq!(problems.len(), 1, "{forgery:?}: {problems:?}");
        assert_eq!(problems[0].0, exhibit.id);
        let verification = locker.verify(None).unwrap();
        assert!(
            verification
                .problems
                .iter()
                .any(|p| p.exhibit.as_deref() == Some(exhibit.id.as_str()) && p.reason.contains("not to be trusted")),
            "{forgery:?}: {verification:?}"
        );
    }
}

/// The token inside a reply, without checking it.
fn raw_token(reply: &[u8]) -> Vec<u8> {
    let (top, _) = tsp::der::read(reply).unwrap();
    tsp::der::children(top.content).unwrap()[1].raw.to_vec()
}
