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

/// Whether `ip` is an address of the public internet: not this computer, not a private or
/// carrier-grade network, not link-local (where cloud metadata services answer), not
/// unspecified, broadcast, multicast or documentation (IPv4-mapped and NAT64 forms are
/// judged by the IPv4 address inside).
#[must_use]
pub fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                let [a, b] = s[6].to_be_bytes();
                let [c, d] = s[7].to_be_bytes();
                return is_public(IpAddr::V4(std::net::Ipv4Addr::new(a, b, c, d)));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8))
        }
    }
}

/// Resolves names to their public addresses only, except the name the user typed (an
/// intranet page the user chose is captured; a page cannot send the capture on to this
/// computer, the local network or a metadata service by a redirect or a name that points
/// there).
struct PublicNames {
    typed: String,
}

impl reqwest::dns::Resolve for PublicNames {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let typed = name.as_str().eq_ignore_ascii_case(&self.typed);
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.filter(|a| typed || is_public(a.ip())).collect();
            if found.is_empty() {
                return Err(format!("{host} leads to this computer or a private network; it is not followed").into());
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Whether `next` is on the site the user typed (same host and port).
fn same_site(start: &Url, next: &Url) -> bool {
    start.host_str() == next.host_str() && start.port_or_known_default() == next.port_or_known_default()
}

/// A redirect may lead anywhere on the public internet, or within the site the user typed;
/// never to another address on this computer or a private network (a hostile page asking
/// the capture to fetch a local service and seal its answer as evidence).
fn may_follow(start: &Url, next: &Url) -> Result<(), EvidenceError> {
    let same_site = same_site(start, next);
    let literal: Option<std::net::IpAddr> = match next.host() {
        Some(url::Host::Ipv4(v4)) => Some(v4.into()),
        Some(url::Host::Ipv6(v6)) => Some(v6.into()),
        _ => None,
    };
    if !same_site && literal.is_some_and(|ip| !is_public(ip)) {
        return Err(EvidenceError::Invalid(format!(
            "the page redirects to {}, an address on this computer or a private network; it was not followed",
            next.host_str().unwrap_or("")
        )));
    }
    Ok(())
}

/// Fetches `url`, following redirects, and writes the WARC.
///
/// # Errors
/// [`EvidenceError::Invalid`] for a bad address, a network failure, too many redirects or a
/// body over 64 MiB.
pub async fn capture(url: &str) -> Result<WebCapture, EvidenceError> {
    let mut url = check_url(url)?;
    let start = url.clone();
    let typed = match start.host() {
        Some(url::Host::Domain(d)) => d.to_owned(),
        _ => String::new(),
    };
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(std::sync::Arc::new(PublicNames { typed }))
        // Straight to the page: through a proxy, names would be resolved by the proxy, out
        // of reach of the rule above.
        .no_proxy()
        // A page that never finishes is not waited for (each hop, whole).
        .connect_timeout(std::time::Duration::from_secs(15))
        .timeout(std::time::Duration::from_secs(120))
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
        // Where the connection really went (a name may have been rebound since it was
        // checked): a hop outside the typed site that reached a non-public address is not
        // kept.
        if !same_site(&start, &url) && response.remote_addr().is_some_and(|a| !is_public(a.ip())) {
            return Err(EvidenceError::Invalid(format!(
                "{} leads to this computer or a private network; it was not followed",
                url.host_str().unwrap_or("")
            )));
        }
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
                may_follow(&start, &url)?;
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
///
/// One pass over the bytes, comparing tag names without regard to ASCII case (never by
/// offsets into a lowercased copy, whose byte lengths differ: `İ` lowercases to three
/// bytes); an unclosed `<script>` (or style, noscript, template) takes the rest of the
/// page, so no stretch is scanned twice.
#[must_use]
pub fn html_text(html: &str) -> String {
    const RAW_TEXT: [&str; 4] = ["script", "style", "noscript", "template"];
    const BLOCKS: [&str; 11] = ["<p", "<br", "<div", "<li", "<h1", "<h2", "<h3", "<tr", "</p", "</div", "</h"];
    let bytes = html.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' {
            let next = memchr(b'<', bytes, i).unwrap_or(bytes.len());
            out.push_str(&decode_entities(&html[i..next]));
            i = next;
            continue;
        }
        let rest = &bytes[i..];
        if BLOCKS.iter().any(|b| starts_with_ignore_case(rest, b.as_bytes())) {
            out.push('\n');
        }
        let tag_end = memchr(b'>', bytes, i).map_or(bytes.len(), |e| e + 1);
        let raw = RAW_TEXT.iter().find(|t| {
            starts_with_ignore_case(&rest[1..], t.as_bytes())
                && rest.get(1 + t.len()).is_none_or(|b| !b.is_ascii_alphanumeric())
        });
        i = match raw {
            Some(t) => {
                let close = format!("</{t}");
                match find_ignore_case(bytes, tag_end, close.as_bytes()) {
                    Some(at) => memchr(b'>', bytes, at).map_or(bytes.len(), |e| e + 1),
                    None => bytes.len(),
                }
            }
            None => tag_end,
        };
    }
    out.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn memchr(needle: u8, hay: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?.iter().position(|b| *b == needle).map(|p| p + from)
}

fn starts_with_ignore_case(hay: &[u8], prefix: &[u8]) -> bool {
    hay.len() >= prefix.len() && hay[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// The first place at or after `from` where `needle` (ASCII) starts, ignoring ASCII case.
fn find_ignore_case(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let first = needle.first()?.to_ascii_lowercase();
    let mut at = from;
    while at + needle.len() <= hay.len() {
        let p = hay[at..].iter().position(|b| b.to_ascii_lowercase() == first)? + at;
        if starts_with_ignore_case(&hay[p..], needle) {
            return Some(p);
        }
        at = p + 1;
    }
    None
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
    fn hostile_pages_neither_panic_nor_take_long() {
        // Lowercasing changes byte lengths: offsets from a lowercased copy once panicked here.
        assert_eq!(html_text("İ<p>x</p>"), "İ\nx");
        // A page that ends inside a tag name.
        assert_eq!(html_text("a<script"), "a");
        assert_eq!(html_text("a<style"), "a");
        assert_eq!(html_text("<SCRIPT>a</ScRiPt>ok<scriptx>y"), "oky");
        // 16 MiB of unclosed scripts: one pass, not one rescan per tag.
        let hostile = "<script>".repeat(2 << 20);
        assert_eq!(html_text(&hostile), "");
        let mixed = format!("text{}", "<p><script>İ".repeat(1 << 20));
        assert_eq!(html_text(&mixed), "text");
    }

    proptest::proptest! {
        #[test]
        fn any_page_gives_text_without_panicking(page in ".{0,200}") {
            let _ = html_text(&page);
        }
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
