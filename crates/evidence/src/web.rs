//! Web captures: a page fetched and kept as WARC 1.1 records (ISO 28500), gzip-compressed
//! record by record (`.warc.gz`), with the text a reader sees.
//!
//! For each hop of the redirect chain there is a `request` record (what was sent) and a
//! `response` record (status line, headers and body as received); every block carries
//! `WARC-Block-Digest` and every response `WARC-Payload-Digest` (SHA-256, base32), so
//! independent tools (`warcio check`) can confirm nothing changed. A `metadata` record names
//! the redirects and the TLS facts (protocol, the server certificate's SHA-256) and a
//! `conversion` record holds the page's text. The transfer coding (chunked) is undone by the
//! HTTP stack, so a response's `Transfer-Encoding` header is recorded as
//! `X-Courtside-Transfer-Encoding` and its `Content-Length` states the body recorded.

use std::io::Write;

use courtside_court_api::encoding::hex;
use data_encoding::BASE32;
use url::Url;

use crate::EvidenceError;

/// Redirects followed at most.
const MAX_HOPS: usize = 10;
/// Largest body kept (a page, not a video).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// What a capture fetched.
#[derive(Debug, Clone)]
pub struct WebCapture {
    /// The gzip-compressed WARC file.
    pub warc_gz: Vec<u8>,
    /// The address finally reached.
    pub final_url: String,
    /// Every address in order (the first is the one asked for).
    pub hops: Vec<String>,
    /// The page's text.
    pub text: String,
}

fn sha256_label(bytes: &[u8]) -> String {
    format!("sha256:{}", BASE32.encode(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref()))
}

/// A WARC record, gzip-compressed on its own.
fn record(
    kind: &str,
    target: Option<&str>,
    extra: &[(&str, String)],
    content_type: &str,
    block: &[u8],
) -> Result<Vec<u8>, EvidenceError> {
    let mut head = String::from("WARC/1.1\r\n");
    head.push_str(&format!("WARC-Type: {kind}\r\n"));
    head.push_str(&format!("WARC-Record-ID: <urn:uuid:{}>\r\n", uuid::Uuid::new_v4()));
    head.push_str(&format!("WARC-Date: {}\r\n", warc_date()));
    if let Some(t) = target {
        head.push_str(&format!("WARC-Target-URI: {t}\r\n"));
    }
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("WARC-Block-Digest: {}\r\n", sha256_label(block)));
    head.push_str(&format!("Content-Type: {content_type}\r\n"));
    head.push_str(&format!("Content-Length: {}\r\n\r\n", block.len()));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let io = |e: std::io::Error| EvidenceError::Invalid(format!("WARC: {e}"));
    gz.write_all(head.as_bytes()).map_err(io)?;
    gz.write_all(block).map_err(io)?;
    gz.write_all(b"\r\n\r\n").map_err(io)?;
    gz.finish().map_err(io)
}

fn warc_date() -> String {
    time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z"))
        .unwrap_or_default()
}

/// Only `http` and `https` addresses with a host, no credentials.
///
/// # Errors
/// [`EvidenceError::Invalid`].
pub fn check_url(text: &str) -> Result<Url, EvidenceError> {
    let url =
        Url::parse(text.trim()).map_err(|e| EvidenceError::Invalid(format!("{text:?} is not an address: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(EvidenceError::Invalid(format!("only http and https pages can be captured, not {text:?}")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(EvidenceError::Invalid("an address with a user name or password is not captured".into()));
    }
    Ok(url)
}

/// Fetches `url`, following redirects, and writes the WARC.
///
/// # Errors
/// [`EvidenceError::Invalid`] for a bad address, a network failure, too many redirects or a
/// body over 64 MiB.
pub async fn capture(url: &str) -> Result<WebCapture, EvidenceError> {
    let mut url = check_url(url)?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .tls_info(true)
        .user_agent(concat!("Courtside/", env!("CARGO_PKG_VERSION"), " (evidence capture)"))
        .build()
        .map_err(|e| EvidenceError::Invalid(e.to_string()))?;
    let mut warc = record(
        "warcinfo",
        None,
        &[],
        "application/warc-fields",
        format!("software: Courtside {}\r\nformat: WARC File Format 1.1\r\n", env!("CARGO_PKG_VERSION")).as_bytes(),
    )?;
    let mut hops = Vec::new();
    let mut tls = Vec::new();
    let mut text = String::new();
    loop {
        if hops.len() >= MAX_HOPS {
            return Err(EvidenceError::Invalid(format!("more than {MAX_HOPS} redirects")));
        }
        hops.push(url.to_string());
        let request_block = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: Courtside/{} (evidence capture)\r\nAccept: */*\r\n\r\n",
            &url[url::Position::BeforePath..],
            &url[url::Position::BeforeHost..url::Position::AfterPort],
            env!("CARGO_PKG_VERSION")
        );
        let request_id = format!("<urn:uuid:{}>", uuid::Uuid::new_v4());
        let response = http
            .get(url.clone())
            .send()
            .await
            .map_err(|e| EvidenceError::Invalid(format!("{url}: {}", courtside_court_api::error_chain(&e))))?;
        if let Some(info) = response.extensions().get::<reqwest::tls::TlsInfo>()
            && let Some(cert) = info.peer_certificate()
        {
            tls.push(format!(
                "{url} server-certificate-sha256: {}",
                hex(ring::digest::digest(&ring::digest::SHA256, cert).as_ref())
            ));
        }
        let status = response.status();
        let mut head = format!("HTTP/1.1 {} {}\r\n", status.as_u16(), status.canonical_reason().unwrap_or(""));
        let location =
            response.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        for (name, value) in response.headers() {
            let value = String::from_utf8_lossy(value.as_bytes());
            match name.as_str() {
                "transfer-encoding" => head.push_str(&format!("X-Courtside-Transfer-Encoding: {value}\r\n")),
                "content-length" => {}
                _ => head.push_str(&format!("{name}: {value}\r\n")),
            }
        }
        let mut body = Vec::new();
        let mut response = response;
        while let Some(chunk) = response.chunk().await.map_err(|e| EvidenceError::Invalid(format!("{url}: {e}")))? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(EvidenceError::Invalid(format!("{url}: the page is larger than {} MiB", MAX_BODY >> 20)));
            }
            body.extend_from_slice(&chunk);
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let mut block = head.into_bytes();
        block.extend_from_slice(&body);
        warc.extend(record(
            "request",
            Some(url.as_str()),
            &[("WARC-Concurrent-To", request_id.clone())],
            "application/http;msgtype=request",
            request_block.as_bytes(),
        )?);
        warc.extend(record(
            "response",
            Some(url.as_str()),
            &[("WARC-Payload-Digest", sha256_label(&body))],
            "application/http;msgtype=response",
            &block,
        )?);
        match (status.is_redirection(), location) {
            (true, Some(location)) => {
                url = check_url(
                    url.join(&location)
                        .map_err(|e| EvidenceError::Invalid(format!("redirect {location:?}: {e}")))?
                        .as_str(),
                )?;
            }
            _ => {
                if content_type.contains("html") || content_type.starts_with("text/") {
                    let page = String::from_utf8_lossy(&body);
                    text = if content_type.contains("html") { html_text(&page) } else { page.into_owned() };
                }
                break;
            }
        }
    }
    let final_url = url.to_string();
    let mut facts = format!("via: {}\r\n", hops.join(" -> "));
    for t in &tls {
        facts.push_str(&format!("tls: {t}\r\n"));
    }
    warc.extend(record("metadata", Some(&final_url), &[], "application/warc-fields", facts.as_bytes())?);
    if !text.is_empty() {
        warc.extend(record("conversion", Some(&final_url), &[], "text/plain; charset=utf-8", text.as_bytes())?);
    }
    Ok(WebCapture { warc_gz: warc, final_url, hops, text })
}

/// The text of an HTML page as a reader sees it: no scripts, styles or tags, entities
/// decoded, whitespace collapsed, block elements on their own lines.
#[must_use]
pub fn html_text(html: &str) -> String {
    let mut out = String::new();
    let lower = html.to_lowercase();
    let mut i = 0;
    let bytes = html.as_bytes();
    while i < bytes.len() {
        if bytes[i] == b'<' {
            let rest = &lower[i..];
            let skip_to = ["script", "style", "noscript", "template"]
                .iter()
                .find(|t| rest.starts_with(&format!("<{t}")))
                .and_then(|t| rest.find(&format!("</{t}")).map(|end| end + t.len() + 2));
            let tag_end = rest.find('>').map_or(rest.len(), |e| e + 1);
            let block = ["<p", "<br", "<div", "<li", "<h1", "<h2", "<h3", "<tr", "</p", "</div", "</h"]
                .iter()
                .any(|b| rest.starts_with(b));
            if block {
                out.push('\n');
            }
            i += skip_to.map_or(tag_end, |s| s.max(tag_end));
            if skip_to.is_some() {
                i += lower[i..].find('>').map_or(0, |e| e + 1);
            }
        } else {
            let next = html[i..].find('<').map_or(html.len(), |n| i + n);
            out.push_str(&decode_entities(&html[i..next]));
            i = next;
        }
    }
    out.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn decode_entities(text: &str) -> String {
    text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_text_drops_scripts_and_tags() {
        let html = "<html><head><style>p{}</style><script>var a='<p>';</script></head><body><h1>公告</h1><p>被告&amp;原告</p><p>第二段&nbsp;内容</p></body></html>";
        assert_eq!(html_text(html), "公告\n被告&原告\n第二段 内容");
    }

    #[test]
    fn only_plain_web_addresses_are_captured() {
        assert!(check_url("https://example.com/a").is_ok());
        for bad in
            ["file:///etc/passwd", "ftp://x/y", "https://user:pw@example.com/", "javascript:alert(1)", "not a url"]
        {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
