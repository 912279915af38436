//! How Courtside reaches courts from a firm's network: the proxy (the system's, none, or one
//! given by hand) and extra root certificates (a firm's TLS-inspecting gateway). TLS is
//! always verified; extra roots are added to the system's, never replace them.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{CourtError, CourtUrl};

/// Which proxy to use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum ProxySetting {
    /// What the system says (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`).
    #[default]
    System,
    /// No proxy, whatever the system says.
    Direct,
    /// This proxy for everything.
    Manual {
        /// `http://host:port` or `https://host:port`, optionally with `user:password@`.
        url: String,
    },
}

/// Network settings for every connection to courts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Network {
    /// The proxy.
    #[serde(default)]
    pub proxy: ProxySetting,
    /// PEM certificates trusted in addition to the system's roots.
    #[serde(default)]
    pub extra_roots_pem: Vec<String>,
}

impl Network {
    /// An HTTP client for the court at `court` with these settings: TLS verified, redirects
    /// not followed, HTTPS only unless the court is on this computer.
    ///
    /// # Errors
    /// [`CourtError::Settings`] for a proxy address or certificate that cannot be used.
    pub fn client_for(&self, court: &CourtUrl, timeout: Duration) -> Result<reqwest::Client, CourtError> {
        self.builder(timeout)?
            .https_only(!court.is_loopback())
            .build()
            .map_err(|e| CourtError::Settings(format!("HTTP client: {e}")))
    }

    /// An HTTP client with these settings for any court (the caller checks the addresses it
    /// is given: the tus client, which follows upload URLs a court returned).
    ///
    /// # Errors
    /// [`CourtError::Settings`] for a proxy address or certificate that cannot be used.
    pub fn client(&self, timeout: Duration) -> Result<reqwest::Client, CourtError> {
        self.builder(timeout)?.build().map_err(|e| CourtError::Settings(format!("HTTP client: {e}")))
    }

    fn builder(&self, timeout: Duration) -> Result<reqwest::ClientBuilder, CourtError> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Courtside/", env!("CARGO_PKG_VERSION")));
        builder = match &self.proxy {
            ProxySetting::System => builder,
            ProxySetting::Direct => builder.no_proxy(),
            ProxySetting::Manual { url } => {
                let parsed = url::Url::parse(url).map_err(|e| CourtError::Settings(format!("proxy {url}: {e}")))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(CourtError::Settings(format!("proxy {url}: use an http:// or https:// address")));
                }
                builder.proxy(
                    reqwest::Proxy::all(parsed.as_str())
                        .map_err(|e| CourtError::Settings(format!("proxy {url}: {e}")))?,
                )
            }
        };
        for (i, pem) in self.extra_roots_pem.iter().enumerate() {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|e| CourtError::Settings(format!("extra root certificate {}: {e}", i + 1)))?;
            if certs.is_empty() {
                return Err(CourtError::Settings(format!(
                    "extra root certificate {}: no certificate in the PEM",
                    i + 1
                )));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        Ok(builder)
    }
}
