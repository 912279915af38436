//! Validation of court addresses.
//!
//! A court's base URL comes from outside (settings, a link, a server's answer), so it is
//! checked once, here, before any request is made: HTTPS everywhere, plain HTTP only for
//! the loopback interface (the embedded demo court and tests), never credentials in the URL.

use std::fmt;
use std::net::IpAddr;

use url::{Host, Url};

/// A validated base URL of a court's API (always ends with `/`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CourtUrl(Url);

/// Why a string is not an acceptable court address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CourtUrlError {
    /// Not a URL at all.
    #[error("not a valid URL: {0}")]
    Malformed(String),
    /// A scheme other than `https` (or `http` on loopback).
    #[error("the court address must use https (plain http is allowed only on this computer)")]
    InsecureScheme,
    /// `user:password@` in the URL would leak credentials into logs and history.
    #[error("the court address must not contain a user name or password")]
    Credentials,
    /// Query strings and fragments have no meaning for a base URL.
    #[error("the court address must not contain a query or fragment")]
    QueryOrFragment,
    /// No host name.
    #[error("the court address has no host")]
    NoHost,
}

impl CourtUrl {
    /// Parses and validates a court address.
    ///
    /// # Errors
    /// Returns a [`CourtUrlError`] naming the first rule the address breaks.
    pub fn parse(input: &str) -> Result<Self, CourtUrlError> {
        let mut url = Url::parse(input.trim()).map_err(|e| CourtUrlError::Malformed(e.to_string()))?;
        let host = url.host().ok_or(CourtUrlError::NoHost)?;
        let loopback = is_loopback(&host);
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => return Err(CourtUrlError::InsecureScheme),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(CourtUrlError::Credentials);
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(CourtUrlError::QueryOrFragment);
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(Self(url))
    }

    /// The base URL, ending with `/`.
    #[must_use]
    pub fn as_url(&self) -> &Url {
        &self.0
    }

    /// Whether the court is on this computer (the embedded demo court, tests).
    #[must_use]
    pub fn is_loopback(&self) -> bool {
        self.0.host().is_some_and(|h| is_loopback(&h))
    }

    /// Joins a relative API path (`v1/health`) onto the base.
    ///
    /// # Panics
    /// Never for the crate's own constant paths; callers outside pass no user input here.
    #[must_use]
    pub(crate) fn endpoint(&self, path: &str) -> Url {
        debug_assert!(!path.starts_with('/'), "API paths are relative to the base");
        #[allow(clippy::unwrap_used, reason = "joining a constant relative path to a validated base cannot fail")]
        self.0.join(path).unwrap()
    }
}

impl fmt::Display for CourtUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_https_and_loopback_http() {
        assert_eq!(CourtUrl::parse("https://court.example/api").unwrap().to_string(), "https://court.example/api/");
        assert!(CourtUrl::parse("http://127.0.0.1:18080").unwrap().is_loopback());
        assert!(CourtUrl::parse("http://[::1]:8/").unwrap().is_loopback());
        assert!(CourtUrl::parse("http://localhost:8/").unwrap().is_loopback());
    }

    #[test]
    fn rejects_what_would_leak_or_downgrade() {
        assert_eq!(CourtUrl::parse("http://court.example/"), Err(CourtUrlError::InsecureScheme));
        assert_eq!(CourtUrl::parse("http://127.0.0.1.evil.example/"), Err(CourtUrlError::InsecureScheme));
        assert_eq!(CourtUrl::parse("file:///etc/passwd"), Err(CourtUrlError::NoHost));
        assert_eq!(CourtUrl::parse("javascript:alert(1)"), Err(CourtUrlError::NoHost));
        assert_eq!(CourtUrl::parse("https://u:p@court.example/"), Err(CourtUrlError::Credentials));
        assert_eq!(CourtUrl::parse("https://court.example/?a=1"), Err(CourtUrlError::QueryOrFragment));
        assert!(matches!(CourtUrl::parse("not a url"), Err(CourtUrlError::Malformed(_))));
    }

    proptest! {
        /// Whatever the input, parsing never panics, and what is accepted keeps the invariants.
        #[test]
        fn accepted_urls_keep_the_invariants(input in ".{0,80}", host in "[a-z0-9.-]{1,20}", path in "[a-z/]{0,12}") {
            for candidate in [input.clone(), format!("https://{host}/{path}"), format!("http://{host}/{path}")] {
                if let Ok(url) = CourtUrl::parse(&candidate) {
                    let u = url.as_url();
                    prop_assert!(u.scheme() == "https" || (u.scheme() == "http" && url.is_loopback()));
                    prop_assert!(u.username().is_empty() && u.password().is_none());
                    prop_assert!(u.query().is_none() && u.fragment().is_none());
                    prop_assert!(u.path().ends_with('/'));
                    prop_assert!(url.endpoint("v1/health").as_str().starts_with(u.as_str()));
                }
            }
        }
    }
}
