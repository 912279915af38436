//! The court's time-stamping authority, checked by OpenSSL (`openssl ts -verify`), a tool
//! nobody on the team wrote.
#![allow(clippy::unwrap_used, reason = "tests fail loudly by design")]

use courtside_court_api::tsp;

fn openssl_verify(args: &[&std::ffi::OsStr]) -> (bool, String) {
    let out = std::process::Command::new("openssl")
        .arg("ts")
        .arg("-verify")
        .args(args)
        .output()
        .expect("openssl must be installed");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[tokio::test]
async fn tokens_verify_with_openssl_against_the_published_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let court = courtside_court_server::start(courtside_court_server::CourtConfig::local(dir.path().join("court")))
        .await
        .unwrap();
    let base = court.base_url();
    let http = reqwest::Client::new();
    let pem = http.get(format!("{base}v1/timestamps/certificate")).send().await.unwrap().text().await.unwrap();
    let ca = dir.path().join("tsa.pem");
    std::fs::write(&ca, &pem).unwrap();

    let evidence = "2025年1月10日 李四：货款下月付。".as_bytes();
    let data = dir.path().join("evidence.txt");
    std::fs::write(&data, evidence).unwrap();
    let digest: [u8; 32] = ring::digest::digest(&ring::digest::SHA256, evidence).as_ref().try_into().unwrap();
    let nonce = 0xC0FFEE_u64;
    let answer = http
        .post(format!("{base}v1/timestamps"))
        .header("content-type", tsp::QUERY_TYPE)
        .body(tsp::request(&digest, nonce))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.headers()["content-type"], tsp::REPLY_TYPE);
    let response = answer.bytes().await.unwrap().to_vec();
    let token = tsp::accept(&response, &digest, nonce).unwrap();
    assert!(token.gen_time.ends_with('Z') && token.gen_time.len() == 15, "{}", token.gen_time);
    assert!(tsp::accept(&response, &[0; 32], nonce).is_err(), "another digest");
    assert!(tsp::accept(&response, &digest, nonce + 1).is_err(), "another nonce");

    let reply = dir.path().join("reply.tsr");
    std::fs::write(&reply, &response).unwrap();
    let (ok, text) = openssl_verify(&[
        "-in".as_ref(),
        reply.as_os_str(),
        "-data".as_ref(),
        data.as_os_str(),
        "-CAfile".as_ref(),
        ca.as_os_str(),
    ]);
    assert!(ok, "openssl ts -verify (response, data): {text}");
    let token_file = dir.path().join("token.der");
    std::fs::write(&token_file, &token.der).unwrap();
    let hex = courtside_court_api::encoding::hex(&digest);
    let (ok, text) = openssl_verify(&[
        "-token_in".as_ref(),
        "-in".as_ref(),
        token_file.as_os_str(),
        "-digest".as_ref(),
        hex.as_ref(),
        "-CAfile".as_ref(),
        ca.as_os_str(),
    ]);
    assert!(ok, "openssl ts -verify (token, digest): {text}");
    // Other data does not verify against the token.
    std::fs::write(&data, b"something else").unwrap();
    let (ok, _) = openssl_verify(&[
        "-in".as_ref(),
        reply.as_os_str(),
        "-data".as_ref(),
        data.as_os_str(),
        "-CAfile".as_ref(),
        ca.as_os_str(),
    ]);
    assert!(!ok);
    // A malformed query gets a refusal, not an error page.
    let refused = http.post(format!("{base}v1/timestamps")).body(vec![0x30, 0x03, 0x02, 0x01]).send().await.unwrap();
    assert!(tsp::accept(&refused.bytes().await.unwrap(), &digest, nonce).unwrap_err().contains("refused"));
    court.stop().await.unwrap();
}
