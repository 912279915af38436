//! A tus 1.0 upload client (core, creation, checksum when the server offers it) that works
//! against the court's `/v1/uploads` and any other tus server.
//!
//! After any failure (a cut connection, a 5xx, a checksum mismatch, an offset conflict) it
//! asks the server for its offset (`HEAD`) and continues from there, so at most the chunk in
//! flight is sent again. With the checksum extension every chunk carries a checksum (the
//! cheapest the server offers: CRC-32C, else SHA-256, else SHA-1; ADR 0057) and a damaged
//! chunk is refused by the server instead of stored. The whole file's SHA-256 is known
//! before the upload starts (from sealing, or from queueing) and is never computed here.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use courtside_court_api::encoding::hex;
use courtside_court_api::tus::{ChecksumAlgorithm, TUS_VERSION, encode_checksum, encode_metadata, parse_offset};
use url::Url;

use crate::retry::{RetryPolicy, parse_retry_after};

/// What an upload reads from: a file, or a blob sealed in the vault (decrypted chunk by
/// chunk as it is sent, never written to disk in plaintext).
#[derive(Debug, Clone)]
pub enum Source {
    /// A file on disk.
    File(PathBuf),
    /// A vault blob, with the file name the court is told.
    Blob {
        /// The open vault.
        vault: Arc<courtside_vault::Vault>,
        /// Blob id.
        id: String,
        /// File name for the upload's metadata.
        name: String,
    },
}

impl From<&Path> for Source {
    fn from(path: &Path) -> Self {
        Self::File(path.to_owned())
    }
}

impl From<&PathBuf> for Source {
    fn from(path: &PathBuf) -> Self {
        Self::File(path.clone())
    }
}

impl Source {
    /// The file name sent in the upload's metadata.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Self::File(path) => path.file_name().and_then(|n| n.to_str()).unwrap_or("upload"),
            Self::Blob { name, .. } => name,
        }
    }

    /// The source as named in errors.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::File(path) => path.display().to_string(),
            Self::Blob { id, name, .. } => format!("{name} (vault blob {id})"),
        }
    }

    /// Size in bytes (blocking).
    ///
    /// # Errors
    /// The file or blob cannot be read.
    pub fn len_blocking(&self) -> std::io::Result<u64> {
        match self {
            Self::File(path) => Ok(std::fs::metadata(path)?.len()),
            Self::Blob { vault, id, .. } => vault.blob_size(id).map_err(std::io::Error::other),
        }
    }

    /// `len` bytes from `offset` (blocking).
    ///
    /// # Errors
    /// The file or blob cannot be read, or is shorter.
    pub fn read_blocking(&self, offset: u64, len: u64) -> std::io::Result<Vec<u8>> {
        use std::io::{Read, Seek};
        match self {
            Self::File(path) => {
                let mut file = std::fs::File::open(path)?;
                file.seek(std::io::SeekFrom::Start(offset))?;
                // Not zero-filled first: read straight into the new buffer.
                let mut data = Vec::with_capacity(usize::try_from(len).map_err(std::io::Error::other)?);
                file.take(len).read_to_end(&mut data)?;
                if data.len() as u64 != len {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                Ok(data)
            }
            Self::Blob { vault, id, .. } => {
                vault.read_blob_range(id, offset, len).map(|plain| plain.to_vec()).map_err(std::io::Error::other)
            }
        }
    }

    /// SHA-256 and size, in one streaming pass (blocking).
    ///
    /// # Errors
    /// The file or blob cannot be read.
    pub fn sha256_blocking(&self) -> std::io::Result<([u8; 32], u64)> {
        match self {
            Self::File(path) => crate::sha256_file(path),
            Self::Blob { vault, id, .. } => {
                let info = vault.read_blob(id, &mut std::io::sink()).map_err(std::io::Error::other)?;
                let digest = courtside_court_api::encoding::parse_sha256_hex(&info.sha256)
                    .ok_or_else(|| std::io::Error::other("blob digest"))?;
                Ok((digest, info.size))
            }
        }
    }

    async fn len(&self) -> std::io::Result<u64> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.len_blocking()).await.map_err(std::io::Error::other)?
    }

    async fn sha256(&self) -> std::io::Result<[u8; 32]> {
        let me = self.clone();
        let (digest, _) =
            tokio::task::spawn_blocking(move || me.sha256_blocking()).await.map_err(std::io::Error::other)??;
        Ok(digest)
    }
}

/// Default chunk size: 4 MiB (what a cut can cost at most).
pub const DEFAULT_CHUNK: u64 = 4 * 1024 * 1024;

/// Where to upload: a tus creation endpoint and, for courts, the account's access token.
#[derive(Debug, Clone)]
pub struct Endpoint {
    creation: Url,
    bearer: Option<String>,
}

impl Endpoint {
    /// A creation endpoint. HTTPS, or plain HTTP only to this computer (loopback).
    ///
    /// # Errors
    /// [`TusError::BadEndpoint`] for anything else.
    pub fn new(creation: &str, bearer: Option<String>) -> Result<Self, TusError> {
        let url = Url::parse(creation).map_err(|e| TusError::BadEndpoint(format!("{creation}: {e}")))?;
        let loopback = match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d == "localhost",
            None => false,
        };
        if !(url.scheme() == "https" || (url.scheme() == "http" && loopback)) {
            return Err(TusError::BadEndpoint(format!("{creation}: use https (plain http only to this computer)")));
        }
        if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
            return Err(TusError::BadEndpoint(format!("{creation}: no credentials or fragment in the address")));
        }
        Ok(Self { creation: url, bearer })
    }

    /// The creation endpoint.
    #[must_use]
    pub fn url(&self) -> &Url {
        &self.creation
    }
}

/// What went wrong with an upload.
#[derive(Debug, thiserror::Error)]
pub enum TusError {
    /// The endpoint address is not acceptable.
    #[error("unusable upload endpoint {0}")]
    BadEndpoint(String),
    /// The local file could not be read.
    #[error("the file {path} cannot be read: {reason}")]
    File {
        /// The file.
        path: String,
        /// The OS error.
        reason: String,
    },
    /// The server refused for good (e.g. too large, not allowed, upload gone).
    #[error("the server refused the upload ({status}): {detail}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The server's explanation (problem detail or body).
        detail: String,
    },
    /// The server broke the tus protocol (missing or impossible headers, a foreign upload URL).
    #[error("the server does not follow tus 1.0: {0}")]
    Protocol(String),
    /// Too many failures in a row without progress.
    #[error("gave up after {attempts} failed attempts in a row; last: {last}")]
    GaveUp {
        /// Failures in a row.
        attempts: u32,
        /// The last failure.
        last: String,
    },
}

/// How far an upload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes the server has confirmed.
    pub confirmed: u64,
    /// Size of the file.
    pub total: u64,
}

/// The outcome of a completed upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadReport {
    /// The upload's URL (for the court, the last path segment is the upload id).
    pub upload_url: Url,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// Size of the file.
    pub bytes: u64,
    /// Bytes put on the wire in PATCH bodies, including those sent again after failures.
    pub bytes_sent: u64,
    /// How many times the upload continued from the server's offset after a failure.
    pub resumes: u32,
}

/// What the server said it supports (`OPTIONS`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// The per-chunk checksum both sides compute (the checksum extension and an algorithm
    /// of [`ChecksumAlgorithm`]), the cheapest first.
    pub checksum: Option<ChecksumAlgorithm>,
    /// `Tus-Max-Size`.
    pub max_size: Option<u64>,
}

/// A tus client.
#[derive(Debug, Clone)]
pub struct TusClient {
    http: reqwest::Client,
    chunk: u64,
    retry: RetryPolicy,
    checksums: bool,
    /// What the server last said it supports, by creation URL: asked once per client, not
    /// before every upload (a drain of many small filings would pay a round trip for each).
    known: Arc<std::sync::Mutex<Option<(Url, Capabilities)>>>,
}

/// Where an upload starts.
enum Start {
    /// A new upload is created first.
    New,
    /// An upload made earlier (before a restart): its offset is asked first.
    Resume(Url),
    /// An upload this client created just now: nothing of it is at the server yet.
    Created(Url),
}

/// One failure, classified.
enum Failure {
    /// Worth another try after asking for the offset.
    Retry { why: String, after: Option<Duration> },
    /// Final.
    Fatal(TusError),
}

impl TusClient {
    /// A client sending chunks of `chunk` bytes.
    ///
    /// # Errors
    /// [`TusError::Protocol`] if the HTTP stack cannot start.
    pub fn new(chunk: u64, retry: RetryPolicy) -> Result<Self, TusError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(300))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Courtside/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| TusError::Protocol(format!("HTTP client: {e}")))?;
        Ok(Self { http, chunk: chunk.max(1), retry, checksums: true, known: Arc::default() })
    }

    /// How many bytes each request sends at most.
    #[must_use]
    pub fn chunk_size(&self) -> u64 {
        self.chunk
    }

    /// The same client going through these network settings (proxy, extra roots).
    ///
    /// # Errors
    /// [`TusError::BadEndpoint`] when the settings cannot be used.
    pub fn with_network(mut self, network: &crate::network::Network) -> Result<Self, TusError> {
        self.http = network.client(Duration::from_secs(300)).map_err(|e| TusError::BadEndpoint(e.to_string()))?;
        Ok(self)
    }

    /// Sends no per-chunk checksums even where the server offers them (diagnosis, and the
    /// bench's measure of what checksums cost). The court still checks the whole file's
    /// SHA-256 against the manifest.
    #[must_use]
    pub fn without_checksums(mut self) -> Self {
        self.checksums = false;
        self
    }

    fn request(&self, method: reqwest::Method, url: &Url, ep: &Endpoint) -> reqwest::RequestBuilder {
        let r = self.http.request(method, url.clone()).header("Tus-Resumable", TUS_VERSION);
        match &ep.bearer {
            Some(token) => r.bearer_auth(token),
            None => r,
        }
    }

    /// [`TusClient::capabilities`], asked once per creation URL by this client (and its
    /// clones) and then remembered.
    async fn known_capabilities(&self, ep: &Endpoint) -> Capabilities {
        if let Ok(known) = self.known.lock()
            && let Some((url, caps)) = known.as_ref()
            && *url == ep.creation
        {
            return caps.clone();
        }
        let caps = self.capabilities(ep).await;
        if let Ok(mut known) = self.known.lock() {
            *known = Some((ep.creation.clone(), caps.clone()));
        }
        caps
    }

    /// Asks the server what it supports; a server that does not answer `OPTIONS` gets the
    /// core protocol only.
    pub async fn capabilities(&self, ep: &Endpoint) -> Capabilities {
        let Ok(r) = self.request(reqwest::Method::OPTIONS, &ep.creation, ep).send().await else {
            return Capabilities::default();
        };
        let header = |name: &str| r.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let extensions = header("tus-extension").unwrap_or_default();
        let algorithms = header("tus-checksum-algorithm").unwrap_or_default();
        Capabilities {
            checksum: extensions
                .split(',')
                .any(|e| e.trim() == "checksum")
                .then(|| ChecksumAlgorithm::choose(&algorithms))
                .flatten(),
            max_size: header("tus-max-size").and_then(|v| parse_offset(&v).ok()),
        }
    }

    /// Uploads `path`: creates the upload (unless `resume` names one made earlier, e.g.
    /// before the app restarted), then sends it chunk by chunk, continuing from the
    /// server's offset after every failure. `progress` is called after each stored chunk.
    ///
    /// # Errors
    /// [`TusError`]; a failure the server may recover from is retried under the policy.
    pub async fn upload(
        &self,
        ep: &Endpoint,
        source: impl Into<Source>,
        resume: Option<Url>,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<UploadReport, TusError> {
        let source = source.into();
        let sha256 = source.sha256().await.map_err(file_err(&source))?;
        self.upload_known(ep, source, &sha256, resume, progress).await
    }

    /// As [`TusClient::upload`], for a file whose SHA-256 is already known (the outbox
    /// fingerprints files when they are queued); the report's digest is the one given.
    ///
    /// # Errors
    /// [`TusError`].
    pub async fn upload_known(
        &self,
        ep: &Endpoint,
        source: impl Into<Source>,
        sha256: &[u8; 32],
        resume: Option<Url>,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<UploadReport, TusError> {
        let start = match resume {
            Some(url) => Start::Resume(url),
            None => Start::New,
        };
        self.send(ep, source.into(), sha256, start, progress).await
    }

    /// Sends the file to an upload this client created just now with
    /// [`TusClient::create_upload_known`]: from its first byte, without asking the server
    /// for an offset first (a server that holds more says so, and the offset is asked then).
    ///
    /// # Errors
    /// [`TusError`].
    pub async fn upload_created(
        &self,
        ep: &Endpoint,
        source: impl Into<Source>,
        sha256: &[u8; 32],
        created: Url,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<UploadReport, TusError> {
        self.send(ep, source.into(), sha256, Start::Created(created), progress).await
    }

    async fn send(
        &self,
        ep: &Endpoint,
        source: Source,
        sha256: &[u8; 32],
        start: Start,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<UploadReport, TusError> {
        let file_err = file_err(&source);
        let total = source.len().await.map_err(&file_err)?;
        let sha256 = *sha256;
        let mut caps = self.known_capabilities(ep).await;
        if !self.checksums {
            caps.checksum = None;
        }
        if let Some(max) = caps.max_size
            && total > max
        {
            return Err(TusError::Refused {
                status: 413,
                detail: format!("the file has {total} bytes; the server takes at most {max}"),
            });
        }
        let resuming = matches!(start, Start::Resume(_));
        let upload_url = match start {
            Start::Resume(url) | Start::Created(url) => self.same_origin(ep, url)?,
            Start::New => self.create(ep, &source, total, &sha256).await?,
        };
        let mut report = UploadReport { upload_url, sha256: hex(&sha256), bytes: total, bytes_sent: 0, resumes: 0 };
        let mut offset = if resuming { self.offset(ep, &report.upload_url, total).await? } else { 0 };
        progress(Progress { confirmed: offset, total });
        let mut failures = 0u32;
        // The next chunk is read (and its checksum computed) while the current one travels.
        let mut next: Option<tokio::task::JoinHandle<std::io::Result<Chunk>>> = None;
        while offset < total {
            let len = self.chunk.min(total - offset);
            let prefetched = match next.take() {
                Some(handle) => handle.await.ok().and_then(Result::ok).filter(|c| c.offset == offset),
                None => None,
            };
            let chunk = match prefetched {
                Some(c) => c,
                None => read_chunk(source.clone(), offset, len, caps.checksum).await.map_err(&file_err)?,
            };
            let following = offset + len;
            if following < total {
                let step = self.chunk.min(total - following);
                next = Some(tokio::task::spawn_blocking({
                    let source = source.clone();
                    let checksum = caps.checksum;
                    move || read_chunk_blocking(&source, following, step, checksum)
                }));
            }
            let mut patch = self
                .request(reqwest::Method::PATCH, &report.upload_url, ep)
                .header("Upload-Offset", offset.to_string())
                .header("Content-Type", "application/offset+octet-stream");
            if let Some((algorithm, digest)) = &chunk.checksum {
                patch = patch.header("Upload-Checksum", encode_checksum(*algorithm, digest));
            }
            report.bytes_sent += len;
            let outcome = match patch.body(chunk.data).send().await {
                Ok(r) if r.status() == reqwest::StatusCode::NO_CONTENT || r.status() == reqwest::StatusCode::OK => {
                    match r
                        .headers()
                        .get("upload-offset")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| parse_offset(v).ok())
                    {
                        Some(new) if new > offset && new <= total => Ok(new),
                        other => Err(Failure::Fatal(TusError::Protocol(format!(
                            "Upload-Offset {other:?} after sending {len} bytes at {offset}"
                        )))),
                    }
                }
                Ok(r) => Err(classify(r).await),
                Err(e) => Err(Failure::Retry { why: courtside_court_api::error_chain(&e), after: None }),
            };
            match outcome {
                Ok(new) => {
                    offset = new;
                    failures = 0;
                    progress(Progress { confirmed: offset, total });
                }
                Err(failure) => {
                    if let Failure::Retry { why, .. } = &failure {
                        tracing::info!(%why, offset, "upload interrupted; resuming from the server's offset");
                    }
                    self.back_off(&mut failures, failure).await?;
                    report.resumes += 1;
                    match self.offset(ep, &report.upload_url, total).await {
                        Ok(o) => offset = o,
                        Err(TusError::GaveUp { last, .. }) => tracing::info!(%last, "offset unknown; trying again"),
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(report)
    }

    /// Creates an upload for `path` without sending its bytes (the outbox records the URL
    /// first, so that a restart resumes the same upload).
    ///
    /// # Errors
    /// [`TusError`].
    pub async fn create_upload(&self, ep: &Endpoint, source: impl Into<Source>) -> Result<Url, TusError> {
        let source = source.into();
        let total = source.len().await.map_err(file_err(&source))?;
        let sha256 = source.sha256().await.map_err(file_err(&source))?;
        self.create(ep, &source, total, &sha256).await
    }

    /// As [`TusClient::create_upload`], for a file whose SHA-256 is already known.
    ///
    /// # Errors
    /// [`TusError`].
    pub async fn create_upload_known(
        &self,
        ep: &Endpoint,
        source: impl Into<Source>,
        sha256: &[u8; 32],
    ) -> Result<Url, TusError> {
        let source = source.into();
        let total = source.len().await.map_err(file_err(&source))?;
        self.create(ep, &source, total, sha256).await
    }

    async fn create(&self, ep: &Endpoint, source: &Source, total: u64, sha256: &[u8; 32]) -> Result<Url, TusError> {
        let name = source.name();
        let digest = hex(sha256);
        let metadata = encode_metadata(&[("filename", Some(name.as_bytes())), ("sha256", Some(digest.as_bytes()))])
            .map_err(|e| TusError::Protocol(e.to_string()))?;
        let mut failures = 0;
        loop {
            let sent = self
                .request(reqwest::Method::POST, &ep.creation, ep)
                .header("Upload-Length", total.to_string())
                .header("Upload-Metadata", &metadata)
                .send()
                .await;
            let failure = match sent {
                Ok(r) if r.status() == reqwest::StatusCode::CREATED => {
                    let location = r
                        .headers()
                        .get(reqwest::header::LOCATION)
                        .and_then(|v| v.to_str().ok())
                        .ok_or_else(|| TusError::Protocol("201 without a Location".into()))?;
                    let url = ep
                        .creation
                        .join(location)
                        .map_err(|e| TusError::Protocol(format!("Location {location:?}: {e}")))?;
                    return self.same_origin(ep, url);
                }
                Ok(r) => classify(r).await,
                Err(e) => Failure::Retry { why: courtside_court_api::error_chain(&e), after: None },
            };
            self.back_off(&mut failures, failure).await?;
        }
    }

    /// The server's offset (`HEAD`), retried under the policy.
    async fn offset(&self, ep: &Endpoint, url: &Url, total: u64) -> Result<u64, TusError> {
        let mut failures = 0;
        loop {
            let failure =
                match self.request(reqwest::Method::HEAD, url, ep).header("Cache-Control", "no-store").send().await {
                    Ok(r) if r.status().is_success() => {
                        let offset = r
                            .headers()
                            .get("upload-offset")
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| parse_offset(v).ok());
                        return match offset {
                            Some(o) if o <= total => Ok(o),
                            other => Err(TusError::Protocol(format!(
                                "HEAD gave Upload-Offset {other:?} for a file of {total} bytes"
                            ))),
                        };
                    }
                    Ok(r) => classify(r).await,
                    Err(e) => Failure::Retry { why: courtside_court_api::error_chain(&e), after: None },
                };
            self.back_off(&mut failures, failure).await?;
        }
    }

    /// After a failure: gives up when it is final or the policy's attempts are used up, else
    /// waits (full jitter, or the server's `Retry-After`).
    async fn back_off(&self, failures: &mut u32, failure: Failure) -> Result<(), TusError> {
        match failure {
            Failure::Fatal(e) => Err(e),
            Failure::Retry { why, after } => {
                *failures += 1;
                if *failures >= self.retry.max_attempts {
                    return Err(TusError::GaveUp { attempts: *failures, last: why });
                }
                tokio::time::sleep(self.retry.delay(*failures, after)).await;
                Ok(())
            }
        }
    }

    /// An upload URL must stay on the endpoint's origin: a server cannot send our bytes
    /// (or our token) elsewhere.
    fn same_origin(&self, ep: &Endpoint, url: Url) -> Result<Url, TusError> {
        if url.origin() == ep.creation.origin() {
            Ok(url)
        } else {
            Err(TusError::Protocol(format!(
                "the upload URL {url} is not on {}",
                ep.creation.origin().ascii_serialization()
            )))
        }
    }
}

/// Sorts a non-success answer into "try again" and "stop".
async fn classify(r: reqwest::Response) -> Failure {
    let status = r.status().as_u16();
    let after = r.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(parse_retry_after);
    let detail = explain(r).await;
    match status {
        // Offset conflict, checksum mismatch (460, or 417 from some servers), throttling,
        // server trouble, proxies timing out: ask for the offset and go on.
        409 | 417 | 423 | 429 | 460 | 500..=599 => Failure::Retry { why: format!("{status}: {detail}"), after },
        _ => Failure::Fatal(TusError::Refused { status, detail }),
    }
}

/// A short explanation from an error body: the problem's detail, else the start of the text.
async fn explain(r: reqwest::Response) -> String {
    let text = r.text().await.unwrap_or_default();
    serde_json_detail(&text).unwrap_or_else(|| text.chars().take(200).collect())
}

fn serde_json_detail(text: &str) -> Option<String> {
    let problem: courtside_court_api::Problem = serde_json::from_str(text).ok()?;
    Some(problem.detail.unwrap_or(problem.title))
}

/// A piece of the file ready to send.
struct Chunk {
    offset: u64,
    data: Vec<u8>,
    checksum: Option<(ChecksumAlgorithm, Vec<u8>)>,
}

async fn read_chunk(
    source: Source,
    offset: u64,
    len: u64,
    checksum: Option<ChecksumAlgorithm>,
) -> std::io::Result<Chunk> {
    tokio::task::spawn_blocking(move || read_chunk_blocking(&source, offset, len, checksum))
        .await
        .map_err(std::io::Error::other)?
}

fn read_chunk_blocking(
    source: &Source,
    offset: u64,
    len: u64,
    checksum: Option<ChecksumAlgorithm>,
) -> std::io::Result<Chunk> {
    let data = source.read_blocking(offset, len)?;
    let checksum = checksum.map(|algorithm| (algorithm, algorithm.digest(&data)));
    Ok(Chunk { offset, data, checksum })
}

fn file_err(source: &Source) -> impl Fn(std::io::Error) -> TusError + use<> {
    let path = source.describe();
    move |e| TusError::File { path: path.clone(), reason: e.to_string() }
}
