//! How Courtside reaches courts from a firm's network: the proxy (the system's, none, or one
//! given by hand) and extra root certificates (a firm's TLS-inspecting gateway). TLS is
//! always verified; extra roots are added to the system's, never replace them.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::SyncError;

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
    /// An HTTP client with these settings: TLS verified, redirects not followed.
    ///
    /// # Errors
    /// [`SyncError::Settings`] for a proxy address or certificate that cannot be used.
    pub fn client(&self, timeout: Duration) -> Result<reqwest::Client, SyncError> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Courtside/", env!("CARGO_PKG_VERSION")));
        builder = match &self.proxy {
            ProxySetting::System => builder,
            ProxySetting::Direct => builder.no_proxy(),
            ProxySetting::Manual { url } => {
                let parsed = url::Url::parse(url).map_err(|e| SyncError::Settings(format!("proxy {url}: {e}")))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(SyncError::Settings(format!("proxy {url}: use an http:// or https:// address")));
                }
                builder.proxy(
                    reqwest::Proxy::all(parsed.as_str())
                        .map_err(|e| SyncError::Settings(format!("proxy {url}: {e}")))?,
                )
            }
        };
        for (i, pem) in self.extra_roots_pem.iter().enumerate() {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|e| SyncError::Settings(format!("extra root certificate {}: {e}", i + 1)))?;
            if certs.is_empty() {
                return Err(SyncError::Settings(format!(
                    "extra root certificate {}: no certificate in the PEM",
                    i + 1
                )));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        builder.build().map_err(|e| SyncError::Settings(format!("HTTP client: {e}")))
    }
}
