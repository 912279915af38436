//! Resumable uploads: tus 1.0.0 core with the creation, checksum (sha256) and termination
//! extensions, at `/v1/uploads`, each upload bound to the account that created it.
//!
//! A completed upload is hashed; a filing may reference it only when that hash equals the
//! SHA-256 declared at creation (`Upload-Metadata: sha256 <hex>`) and in the manifest.

use crate::store::Cached;
use std::io::{Seek, SeekFrom, Write};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use courtside_court_api::encoding::{hex, parse_sha256_hex};
use courtside_court_api::tus;
use futures_util::StreamExt;
use ring::digest;

use crate::faults::cut_connection;
use crate::http::{ApiError, Caller, CourtState, new_id, optional, unix_now};

use courtside_court_api::tus::TUS_VERSION;
const TUS_EXTENSIONS: &str = "creation,checksum,termination";
/// Offered per-chunk checksums, the cheapest first (ADR 0057).
const CHECKSUM_ALGORITHMS: &str = "crc32c,sha256,sha1";

fn tus_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(HeaderName::from_static("tus-resumable"), HeaderValue::from_static(TUS_VERSION));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Every tus request except `OPTIONS` must say which version it speaks.
fn check_version(headers: &HeaderMap) -> Result<(), ApiError> {
    if header_str(headers, "tus-resumable") == Some(TUS_VERSION) {
        Ok(())
    } else {
        Err(ApiError::new(
            412,
            "tus-version",
            "Precondition failed",
            "this server speaks tus 1.0.0 (Tus-Resumable: 1.0.0)",
        )
        .with_header(HeaderName::from_static("tus-version"), TUS_VERSION))
    }
}

/// `OPTIONS /v1/uploads`
#[utoipa::path(options, path = "/v1/uploads", tag = "uploads",
    responses((status = 204, description = "What this tus server supports", headers(
        ("Tus-Version" = String), ("Tus-Extension" = String), ("Tus-Max-Size" = u64), ("Tus-Checksum-Algorithm" = String)))))]
pub(crate) async fn options(State(state): State<CourtState>) -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    let h = r.headers_mut();
    h.insert(HeaderName::from_static("tus-version"), HeaderValue::from_static(TUS_VERSION));
    h.insert(HeaderName::from_static("tus-extension"), HeaderValue::from_static(TUS_EXTENSIONS));
    h.insert(HeaderName::from_static("tus-checksum-algorithm"), HeaderValue::from_static(CHECKSUM_ALGORITHMS));
    if let Ok(v) = HeaderValue::from_str(&state.policy.policy.max_file_bytes.to_string()) {
        h.insert(HeaderName::from_static("tus-max-size"), v);
    }
    tus_headers(r)
}

/// `POST /v1/uploads` (tus creation)
#[utoipa::path(post, path = "/v1/uploads", tag = "uploads", security(("bearer" = [])),
    params(("Tus-Resumable" = String, Header, description = "1.0.0"),
           ("Upload-Length" = u64, Header, description = "Size of the whole file"),
           ("Upload-Metadata" = Option<String>, Header, description = "filename, filetype, sha256 (hex), each base64")),
    responses((status = 201, description = "Created", headers(("Location" = String))),
              (status = 400, description = "Missing or invalid Upload-Length or metadata", body = courtside_court_api::Problem, content_type = "application/problem+json"),
              (status = 412, description = "Unsupported tus version", body = courtside_court_api::Problem, content_type = "application/problem+json"),
              (status = 413, description = "Larger than the court accepts", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn create(
    State(state): State<CourtState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_version(&headers)?;
    let length = header_str(&headers, "upload-length").and_then(|v| tus::parse_offset(v).ok()).ok_or_else(|| {
        ApiError::bad_request(
            "upload-length",
            "Upload-Length must be a non-negative integer (deferred length is not supported)",
        )
    })?;
    let max = state.policy.policy.max_file_bytes;
    if length > max {
        return Err(ApiError::new(
            413,
            "file-too-large",
            "Content too large",
            format!("the file has {length} bytes; this court accepts at most {max} per file"),
        ));
    }
    let metadata = match header_str(&headers, "upload-metadata") {
        Some(v) => tus::parse_metadata(v).map_err(|e| ApiError::bad_request("upload-metadata", e.to_string()))?,
        None => Vec::new(),
    };
    let text = |key: &str| {
        metadata
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.clone())
            .and_then(|v| String::from_utf8(v).ok())
            .filter(|s| !s.is_empty())
    };
    let declared = match text("sha256") {
        Some(h) => Some(hex(&parse_sha256_hex(&h)
            .ok_or_else(|| ApiError::bad_request("upload-metadata", "sha256 must be 64 hex digits"))?)),
        None => None,
    };
    let filename = text("filename").map(|f| f.chars().filter(|c| !c.is_control()).take(255).collect::<String>());
    let id = new_id("upl");
    std::fs::File::create(state.uploads_dir.join(&id))?;
    state.store.with(|c| {
        c.run(
            "INSERT INTO uploads (id, account_id, length, offset, filename, media_type, declared_sha256, created_at)
             VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6, ?7)",
            rusqlite::params![id, caller.account_id, length, filename, text("filetype"), declared, unix_now()],
        )
    })?;
    if length == 0 {
        finish(&state, &id).await?;
    }
    let mut r = StatusCode::CREATED.into_response();
    r.headers_mut()
        .insert(header::LOCATION, HeaderValue::from_str(&format!("/v1/uploads/{id}")).map_err(ApiError::internal)?);
    Ok(tus_headers(r))
}

/// An upload's row, for its owner only.
struct UploadRow {
    length: u64,
    offset: u64,
}

fn owned(state: &CourtState, caller: &Caller, id: &str) -> Result<UploadRow, ApiError> {
    state
        .store
        .with(|c| {
            optional(c.one(
                "SELECT length, offset FROM uploads WHERE id = ?1 AND account_id = ?2",
                [id, &caller.account_id],
                |r| Ok(UploadRow { length: r.get(0)?, offset: r.get(1)? }),
            ))
        })?
        .ok_or_else(|| ApiError::not_found("upload"))
}

/// `HEAD /v1/uploads/{id}`
#[utoipa::path(head, path = "/v1/uploads/{id}", tag = "uploads", security(("bearer" = [])),
    params(("id" = String, Path), ("Tus-Resumable" = String, Header)),
    responses((status = 200, description = "Where the upload stands", headers(("Upload-Offset" = u64), ("Upload-Length" = u64))),
              (status = 404, description = "No such upload for this account")))]
pub(crate) async fn head(
    State(state): State<CourtState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_version(&headers)?;
    let row = owned(&state, &caller, &id)?;
    let mut r = StatusCode::OK.into_response();
    let h = r.headers_mut();
    h.insert(HeaderName::from_static("upload-offset"), HeaderValue::from(row.offset));
    h.insert(HeaderName::from_static("upload-length"), HeaderValue::from(row.length));
    Ok(tus_headers(r))
}

/// `PATCH /v1/uploads/{id}`: appends bytes at `Upload-Offset`.
#[utoipa::path(patch, path = "/v1/uploads/{id}", tag = "uploads", security(("bearer" = [])),
    params(("id" = String, Path), ("Tus-Resumable" = String, Header),
           ("Upload-Offset" = u64, Header, description = "Must equal the server's offset"),
           ("Upload-Checksum" = Option<String>, Header, description = "sha256 <base64 digest of this request's body>")),
    request_body(content_type = "application/offset+octet-stream", description = "The next bytes of the file"),
    responses((status = 204, description = "Stored", headers(("Upload-Offset" = u64))),
              (status = 400, description = "Unsupported checksum algorithm or bad header", body = courtside_court_api::Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such upload for this account", body = courtside_court_api::Problem, content_type = "application/problem+json"),
              (status = 409, description = "Upload-Offset differs from the server's", body = courtside_court_api::Problem, content_type = "application/problem+json"),
              (status = 413, description = "More bytes than Upload-Length", body = courtside_court_api::Problem, content_type = "application/problem+json"),
              (status = 415, description = "Wrong Content-Type", body = courtside_court_api::Problem, content_type = "application/problem+json"),
              (status = 423, description = "Another request is writing to this upload", body = courtside_court_api::Problem, content_type = "application/problem+json"),
              (status = 460, description = "Checksum mismatch: nothing of this request was stored", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn patch(
    State(state): State<CourtState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    check_version(&headers)?;
    if header_str(&headers, "content-type") != Some("application/offset+octet-stream") {
        return Err(ApiError::new(
            415,
            "content-type",
            "Unsupported media type",
            "Content-Type must be application/offset+octet-stream",
        ));
    }
    let claimed = header_str(&headers, "upload-offset")
        .and_then(|v| tus::parse_offset(v).ok())
        .ok_or_else(|| ApiError::bad_request("upload-offset", "Upload-Offset must be a non-negative integer"))?;
    let checksum = match header_str(&headers, "upload-checksum") {
        Some(v) => {
            Some(tus::parse_checksum(v).map_err(|e| ApiError::bad_request("checksum-algorithm", e.to_string()))?)
        }
        None => None,
    };
    let algorithm = match &checksum {
        Some(c) => Some(tus::ChecksumAlgorithm::from_name(&c.algorithm).ok_or_else(|| {
            ApiError::bad_request(
                "checksum-algorithm",
                format!("unsupported checksum algorithm {}; use one of {CHECKSUM_ALGORITHMS}", c.algorithm),
            )
        })?),
        None => None,
    };
    let _busy = state.digests.claim(&id).ok_or_else(|| {
        ApiError::new(
            423,
            "upload-busy",
            "Locked",
            "another request is writing to this upload; ask with HEAD and resume",
        )
    })?;
    let row = owned(&state, &caller, &id)?;
    if claimed != row.offset {
        return Err(ApiError::conflict(
            "offset-mismatch",
            format!(
                "Upload-Offset is {claimed} but the server has {}; ask with HEAD and resume from there",
                row.offset
            ),
        ));
    }
    let cut = state.faults.take_upload_cut();
    let path = state.uploads_dir.join(&id);
    let mut raw = std::fs::OpenOptions::new().write(true).open(&path)?;
    raw.seek(SeekFrom::Start(row.offset))?;
    let mut file = FrameWriter::new(raw);
    // The chunk's digest (only with a checksum header) and the whole file's running digest,
    // which is committed only when this request's bytes are kept.
    let mut hasher = algorithm.map(tus::ChecksumAlgorithm::start);
    // The whole file's running digest takes the bytes as they arrive, on another task, and
    // keeps them only if this request's bytes are kept.
    let mut feeding = state.digests.begin(&id, row.offset);
    let mut written = 0u64;
    // Every byte that arrived, kept or not: the clerk's statistics show what was sent twice.
    let mut received = 0u64;
    let mut stream = body.into_data_stream();
    let mut broken = false;
    while let Some(chunk) = stream.next().await {
        let Ok(mut chunk) = chunk else {
            broken = true;
            break;
        };
        if row.offset + written + chunk.len() as u64 > row.length {
            file.discard(row.offset)?;
            count_received(&state, &id, received + chunk.len() as u64)?;
            return Err(ApiError::new(
                413,
                "beyond-length",
                "Content too large",
                "the bytes sent go past Upload-Length",
            ));
        }
        if let Some(limit) = cut {
            let room = usize::try_from(limit.saturating_sub(written)).unwrap_or(usize::MAX);
            if chunk.len() >= room {
                chunk.truncate(room);
                broken = true;
            }
        }
        if let Some(h) = hasher.as_mut() {
            h.update(&chunk);
        }
        written += chunk.len() as u64;
        received += chunk.len() as u64;
        if let Some(f) = feeding.as_mut() {
            f.send(chunk.clone());
        }
        file.push(chunk)?;
        if broken {
            break;
        }
    }
    if let Some(expected) = &checksum
        && (broken || hasher.map(tus::RunningChecksum::finish).is_none_or(|d| d != expected.digest))
    {
        // tus checksum extension: a mismatching (or incomplete) request stores nothing.
        count_received(&state, &id, received)?;
        file.discard(row.offset)?;
        if broken {
            return Ok(cut_connection());
        }
        return Err(ApiError::new(
            460,
            "checksum-mismatch",
            "Checksum mismatch",
            "the body's checksum differs from Upload-Checksum; nothing was stored, send the chunk again",
        ));
    }
    file.flush()?;
    let offset = row.offset + written;
    if offset < row.length {
        // The kept bytes go to the disk now, beside the next chunk's transfer, rather than
        // all at the completing request's sync (which waits for them).
        let kept = file.file;
        drop(tokio::task::spawn_blocking(move || kept.sync_data()));
    }
    match feeding {
        Some(f) => f.keep(),
        None => state.digests.forget(&id),
    }
    // One write per request: where the upload stands and what arrived.
    state.store.with(|c| {
        c.run(
            "UPDATE uploads SET offset = ?1, received_bytes = received_bytes + ?2 WHERE id = ?3",
            rusqlite::params![offset, received, id],
        )
    })?;
    if offset == row.length {
        // Run apart from this request: a client that hangs up now (a cut connection) drops
        // the request, and with it anything it awaits; the file's digest must still be
        // recorded, or the upload would stay complete without one for ever.
        let (finishing, upload) = (state.clone(), id.clone());
        tokio::spawn(async move { finish(&finishing, &upload).await }).await.map_err(ApiError::internal)??;
    }
    if broken {
        return Ok(cut_connection());
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(HeaderName::from_static("upload-offset"), HeaderValue::from(offset));
    Ok(tus_headers(r))
}

/// Writes a request's frames to its upload's file in vectored writes of up to 128 KiB,
/// without copying them: few system calls, and each frame is written while it is still in
/// the processor's cache (1 MiB writes made the kernel's copy three times slower).
struct FrameWriter {
    file: std::fs::File,
    pending: Vec<axum::body::Bytes>,
    pending_len: usize,
}

impl FrameWriter {
    const FLUSH_AT: usize = 128 << 10;

    fn new(file: std::fs::File) -> Self {
        Self { file, pending: Vec::new(), pending_len: 0 }
    }

    fn push(&mut self, frame: axum::body::Bytes) -> std::io::Result<()> {
        self.pending_len += frame.len();
        self.pending.push(frame);
        if self.pending_len >= Self::FLUSH_AT { self.flush() } else { Ok(()) }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let mut slices: Vec<std::io::IoSlice<'_>> = self.pending.iter().map(|b| std::io::IoSlice::new(b)).collect();
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            match self.file.write_vectored(rest) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => std::io::IoSlice::advance_slices(&mut rest, n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.pending.clear();
        self.pending_len = 0;
        Ok(())
    }

    /// Drops what is pending and cuts the file back to `len` (a request whose bytes are not kept).
    fn discard(&mut self, len: u64) -> std::io::Result<()> {
        self.pending.clear();
        self.pending_len = 0;
        self.file.set_len(len)
    }
}

fn count_received(state: &CourtState, id: &str, bytes: u64) -> Result<(), ApiError> {
    state.store.with(|c| {
        c.run("UPDATE uploads SET received_bytes = received_bytes + ?1 WHERE id = ?2", rusqlite::params![bytes, id])
    })?;
    Ok(())
}

/// What the court saw of an upload (`GET /clerk/v1/uploads/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadStatistics {
    /// Declared size.
    pub length: u64,
    /// Bytes stored.
    pub offset: u64,
    /// Bytes received in all PATCH requests, including those discarded (checksum mismatch,
    /// cut connections); minus `offset`, what was sent more than once.
    pub received_bytes: u64,
    /// SHA-256 of the stored file once complete.
    pub sha256: Option<String>,
}

/// `GET /clerk/v1/uploads/{id}`
#[utoipa::path(get, path = "/clerk/v1/uploads/{id}", tag = "clerk", security(("clerk" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "What the court received", body = UploadStatistics),
              (status = 404, description = "No such upload", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn statistics(
    State(state): State<CourtState>,
    _clerk: crate::http::Clerk,
    Path(id): Path<String>,
) -> Result<axum::Json<UploadStatistics>, ApiError> {
    state
        .store
        .with(|c| {
            optional(c.one("SELECT length, offset, received_bytes, sha256 FROM uploads WHERE id = ?1", [&id], |r| {
                Ok(UploadStatistics {
                    length: r.get(0)?,
                    offset: r.get(1)?,
                    received_bytes: r.get(2)?,
                    sha256: r.get(3)?,
                })
            }))
        })?
        .map(axum::Json)
        .ok_or_else(|| ApiError::not_found("upload"))
}

/// Records the digest of every upload that got its last byte but not its digest (the court
/// stopped in between): run at start, before any request.
pub(crate) async fn recover(state: &CourtState) -> Result<usize, ApiError> {
    let ids: Vec<String> = state.store.with(|c| {
        let mut stmt = c.prepare("SELECT id FROM uploads WHERE offset = length AND sha256 IS NULL")?;
        stmt.query_map([], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()
    })?;
    for id in &ids {
        finish(state, id).await?;
    }
    Ok(ids.len())
}

/// Makes a completed upload durable and records its digest: the running one when every
/// byte went through this server process in order, else by reading the file again.
async fn finish(state: &CourtState, id: &str) -> Result<(), ApiError> {
    let path = state.uploads_dir.join(id);
    let length: u64 = state.store.with(|c| c.one("SELECT length FROM uploads WHERE id = ?1", [id], |r| r.get(0)))?;
    let running = state.digests.take(id, length).await;
    let digest = tokio::task::spawn_blocking(move || -> std::io::Result<String> {
        let mut file = std::fs::File::open(path)?;
        file.sync_all()?;
        if let Some(done) = running {
            return Ok(hex(done.finish().as_ref()));
        }
        let mut ctx = digest::Context::new(&digest::SHA256);
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = std::io::Read::read(&mut file, &mut buf)?;
            if n == 0 {
                break;
            }
            ctx.update(&buf[..n]);
        }
        Ok(hex(ctx.finish().as_ref()))
    })
    .await
    .map_err(ApiError::internal)??;
    state.store.with(|c| c.run("UPDATE uploads SET sha256 = ?1 WHERE id = ?2", [&digest, id]))?;
    Ok(())
}

/// `DELETE /v1/uploads/{id}` (tus termination)
#[utoipa::path(delete, path = "/v1/uploads/{id}", tag = "uploads", security(("bearer" = [])),
    params(("id" = String, Path), ("Tus-Resumable" = String, Header)),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such upload for this account")))]
pub(crate) async fn delete(
    State(state): State<CourtState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_version(&headers)?;
    owned(&state, &caller, &id)?;
    state.store.with(|c| c.run("DELETE FROM uploads WHERE id = ?1", [&id]))?;
    state.digests.forget(&id);
    let _ = std::fs::remove_file(state.uploads_dir.join(&id));
    Ok(tus_headers(StatusCode::NO_CONTENT.into_response()))
}

/// A completed, verified upload as a filing sees it.
#[derive(Debug)]
pub(crate) struct StoredUpload {
    pub(crate) length: u64,
    pub(crate) sha256: Option<String>,
    pub(crate) declared_sha256: Option<String>,
    pub(crate) complete: bool,
}

pub(crate) fn stored(state: &CourtState, account_id: &str, id: &str) -> Result<Option<StoredUpload>, ApiError> {
    Ok(state.store.with(|c| {
        optional(c.one(
            "SELECT length, offset, sha256, declared_sha256 FROM uploads WHERE id = ?1 AND account_id = ?2",
            [id, account_id],
            |r| {
                let (length, offset): (u64, u64) = (r.get(0)?, r.get(1)?);
                Ok(StoredUpload { length, complete: offset == length, sha256: r.get(2)?, declared_sha256: r.get(3)? })
            },
        ))
    })?)
}

/// `PUT /clerk/v1/plain-uploads/{name}`: stores a request body as it comes, with nothing of
/// tus (no offsets, checksums or resumption). It exists so the bench can compare the tus path
/// with `curl -T` against the same server.
#[utoipa::path(put, path = "/clerk/v1/plain-uploads/{name}", tag = "clerk", security(("clerk" = [])),
    params(("name" = String, Path, description = "Letters, digits, - and _")),
    request_body(content_type = "application/octet-stream", description = "Any bytes"),
    responses((status = 201, description = "Stored; the body is the byte count", body = String),
              (status = 400, description = "Unusable name", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn plain_upload(
    State(state): State<CourtState>,
    _clerk: crate::http::Clerk,
    Path(name): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(ApiError::bad_request("bad-name", "the name may hold letters, digits, - and _ only"));
    }
    let mut file = std::fs::File::create(state.uploads_dir.join(format!("plain-{name}")))?;
    let mut stream = body.into_data_stream();
    let mut total = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("body", e.to_string()))?;
        file.write_all(&chunk)?;
        total += chunk.len() as u64;
    }
    file.sync_data()?;
    Ok((StatusCode::CREATED, total.to_string()).into_response())
}

/// Running SHA-256 of uploads in progress, computed by one task per upload off the request
/// path (so hashing runs beside the transfer), fed as bytes arrive and keeping only the
/// bytes of requests that were kept. Lost on restart; the file is then read again at
/// completion.
#[derive(Clone, Default)]
pub(crate) struct RunningDigests {
    hashers: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Hasher>>>,
    busy: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
}

/// The hashing task of one upload: how many of its bytes were kept, and its input.
struct Hasher {
    fed: u64,
    tx: tokio::sync::mpsc::UnboundedSender<Feed>,
    done: tokio::task::JoinHandle<digest::Context>,
}

/// What a hashing task is told: bytes of the request in progress, then whether they are kept.
enum Feed {
    Bytes(axum::body::Bytes),
    Keep,
    Drop,
}

/// A request's bytes on their way to the upload's hasher; dropped without [`Feeding::keep`]
/// (a refused or failed request), the hasher forgets them.
pub(crate) struct Feeding {
    digests: RunningDigests,
    id: String,
    from: u64,
    sent: u64,
    tx: tokio::sync::mpsc::UnboundedSender<Feed>,
    kept: bool,
}

impl Feeding {
    fn send(&mut self, bytes: axum::body::Bytes) {
        self.sent += bytes.len() as u64;
        let _ = self.tx.send(Feed::Bytes(bytes));
    }

    /// The request's bytes are kept: so are they in the digest.
    fn keep(mut self) {
        self.kept = true;
        let _ = self.tx.send(Feed::Keep);
        if let Ok(mut map) = self.digests.hashers.lock()
            && let Some(h) = map.get_mut(&self.id).filter(|h| h.fed == self.from)
        {
            h.fed = self.from + self.sent;
        }
    }
}

impl Drop for Feeding {
    fn drop(&mut self) {
        if !self.kept {
            let _ = self.tx.send(Feed::Drop);
        }
    }
}

impl std::fmt::Debug for RunningDigests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RunningDigests(..)")
    }
}

/// Held while a PATCH writes to an upload; a second PATCH meanwhile is refused (423).
pub(crate) struct Busy(RunningDigests, String);

impl Drop for Busy {
    fn drop(&mut self) {
        if let Ok(mut busy) = self.0.busy.lock() {
            busy.remove(&self.1);
        }
    }
}

impl RunningDigests {
    fn claim(&self, id: &str) -> Option<Busy> {
        let mut busy = self.busy.lock().ok()?;
        busy.insert(id.to_owned()).then(|| Busy(self.clone(), id.to_owned()))
    }

    /// The running hash of upload `id`, continued from `from` (a new one from 0); `None` when
    /// it cannot be continued from there (then completion reads the file again).
    fn begin(&self, id: &str, from: u64) -> Option<Feeding> {
        let mut map = self.hashers.lock().ok()?;
        if from == 0 {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Feed>();
            let done = tokio::spawn(async move {
                let mut kept = digest::Context::new(&digest::SHA256);
                let mut tentative = kept.clone();
                while let Some(feed) = rx.recv().await {
                    match feed {
                        Feed::Bytes(bytes) => tentative.update(&bytes),
                        Feed::Keep => kept = tentative.clone(),
                        Feed::Drop => tentative = kept.clone(),
                    }
                }
                kept
            });
            map.insert(id.to_owned(), Hasher { fed: 0, tx, done });
        }
        let Some(h) = map.get(id).filter(|h| h.fed == from) else {
            map.remove(id);
            return None;
        };
        Some(Feeding { digests: self.clone(), id: id.to_owned(), from, sent: 0, tx: h.tx.clone(), kept: false })
    }

    /// Forgets the running hash (bytes went missing from it).
    fn forget(&self, id: &str) {
        if let Ok(mut map) = self.hashers.lock() {
            map.remove(id);
        }
    }

    /// The finished digest of a complete upload of `length` bytes, if every byte was fed.
    async fn take(&self, id: &str, length: u64) -> Option<digest::Context> {
        let h = self.hashers.lock().ok()?.remove(id)?;
        drop(h.tx);
        let ctx = h.done.await.ok()?;
        (h.fed == length).then_some(ctx)
    }
}
