//! Streaming-encrypted blob files (evidence, attachments, rendered PDFs).
//!
//! A blob's file is named by a keyed HMAC of its id (`Namer::blob`): a file name does not
//! tie a file to a case or an exhibit.
//!
//! Layout: a 16-byte header (`CSB1`, format byte, chunk-size exponent, 7-byte random nonce
//! prefix, 3 reserved zero bytes), then chunks of up to `chunk` plaintext bytes, each sealed
//! with AES-256-GCM under the blob's key (HKDF of the data key over the file's name; format 1,
//! written before names were opaque, over the blob's id) with nonce
//! `prefix ‖ counter (u32 BE) ‖ last-chunk flag` and the header as associated data (the
//! STREAM construction). Reordered, dropped, spliced or truncated chunks fail to open. The
//! SHA-256 of the plaintext is computed in the same pass as the encryption.

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use zeroize::Zeroizing;

use crate::keys::{DataKey, KEY_LEN, random_bytes};
use crate::records::derive;
use crate::{Damage, VaultError};

const MAGIC: &[u8; 4] = b"CSB1";
const HEADER_LEN: usize = 16;
const TAG_LEN: usize = 16;
/// 256 KiB chunks: large enough for full disk and AES throughput, small enough that a
/// resumed read or a damaged chunk costs little.
const CHUNK_EXP: u8 = 18;
/// The format this app writes: the key is derived from the (opaque) file name.
const FORMAT: u8 = 2;
/// The first format: the key was derived from the blob's id, the file's name at the time.
const FORMAT_1: u8 = 1;

/// A blob file, and how it is named in errors.
pub(crate) struct BlobFile<'a> {
    /// The file's name in the blob directory.
    pub(crate) file: String,
    /// The blob's id, when known (always, but in a check of every file of a vault whose
    /// files were written by format 1 and renamed since; see `Vault::verify`).
    pub(crate) id: Option<&'a str>,
}

impl BlobFile<'_> {
    fn item(&self) -> String {
        format!("blobs/{}", self.id.unwrap_or(&self.file))
    }

    fn tampered(&self, kind: Damage, reason: &str) -> VaultError {
        VaultError::Tampered { item: self.item(), kind, reason: reason.to_owned() }
    }

    /// The key a blob with this header was sealed under.
    fn aead(&self, key: &DataKey, header: &[u8; HEADER_LEN]) -> Result<LessSafeKey, VaultError> {
        match (header[4], self.id) {
            (FORMAT, _) => Ok(blob_aead(key, b"courtside/v2/blob-key|", &self.file)),
            (FORMAT_1, Some(id)) => Ok(blob_aead(key, b"courtside/v1/blob-key|", id)),
            (FORMAT_1, None) => Err(self.tampered(Damage::Foreign, "the blob was not written by this vault")),
            _ => Err(self.tampered(Damage::Foreign, "not a Courtside blob")),
        }
    }
}

fn valid_header(header: &[u8; HEADER_LEN]) -> bool {
    &header[..4] == MAGIC && matches!(header[4], FORMAT | FORMAT_1) && (12..=24).contains(&header[5])
}

/// The format byte of the blob file at `path`, if it has a header.
pub(crate) fn format_of(path: &Path) -> Option<u8> {
    let mut header = [0u8; HEADER_LEN];
    File::open(path).and_then(|mut f| f.read_exact(&mut header)).ok()?;
    valid_header(&header).then_some(header[4])
}

/// What was stored: size and SHA-256 of the plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    /// Plaintext bytes.
    pub size: u64,
    /// SHA-256 of the plaintext, lowercase hex.
    pub sha256: String,
}

/// Removes the temporary files of blob writes that were interrupted (a crash, a kill): only
/// called when no write can be under way.
pub(crate) fn remove_interrupted_writes(dir: &Path) {
    remove_temporary_files(dir, |name| name.starts_with('.') && name.ends_with(".tmp"));
}

/// Removes the files of `dir` whose names `garbage` picks.
pub(crate) fn remove_temporary_files(dir: &Path, garbage: impl Fn(&str) -> bool) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if garbage(&name) {
            // One that cannot be removed now is tried again at the next open.
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Encrypts everything `source` yields into the blob `id` under `dir`, atomically (temp file,
/// fsync, rename, fsync of the directory).
pub(crate) fn write_blob(
    dir: &Path,
    key: &DataKey,
    blob: &BlobFile<'_>,
    source: &mut dyn Read,
) -> Result<BlobInfo, VaultError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let path = dir.join(&blob.file);
    let tmp = dir.join(format!(".{}.tmp", blob.file));
    let result = write_to(&tmp, key, &blob.file, source).and_then(|info| {
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
        #[cfg(unix)]
        File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))?;
        Ok(info)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn write_to(tmp: &Path, key: &DataKey, file: &str, source: &mut dyn Read) -> Result<BlobInfo, VaultError> {
    let chunk = 1usize << CHUNK_EXP;
    let prefix: [u8; 7] = random_bytes()?;
    let mut header = [0u8; HEADER_LEN];
    header[..4].copy_from_slice(MAGIC);
    header[4] = FORMAT;
    header[5] = CHUNK_EXP;
    header[6..13].copy_from_slice(&prefix);
    let aead = blob_aead(key, b"courtside/v2/blob-key|", file);
    let mut out = crate::private_file_options().write(true).truncate(true).open(tmp).map_err(io(tmp))?;
    out.write_all(&header).map_err(io(tmp))?;
    // Two threads: this one reads and hashes each piece while it is still in the CPU's cache
    // (hashing what was read long ago costs a second trip to memory); the other seals and
    // writes whole chunks, holding one back until it knows whether it is the last. Plaintext
    // travels in a few recycled buffers (zeroized when dropped at the end).
    const IN_FLIGHT: usize = 4;
    let (to_writer, chunks) = std::sync::mpsc::sync_channel::<Zeroizing<Vec<u8>>>(IN_FLIGHT);
    let (to_reader, free) = std::sync::mpsc::sync_channel::<Zeroizing<Vec<u8>>>(IN_FLIGHT + 2);
    for _ in 0..IN_FLIGHT + 2 {
        let _ = to_reader.send(Zeroizing::new(Vec::with_capacity(chunk + TAG_LEN)));
    }
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> Result<(), VaultError> {
            let mut counter: u32 = 0;
            let mut held: Option<Zeroizing<Vec<u8>>> = None;
            let mut early = EarlyWriteback::default();
            let mut seal = |mut buffer: Zeroizing<Vec<u8>>, last: bool| -> Result<(), VaultError> {
                aead.seal_in_place_append_tag(chunk_nonce(&prefix, counter, last), Aad::from(&header), &mut *buffer)
                    .map_err(|_| VaultError::Random)?;
                out.write_all(&buffer).map_err(io(tmp))?;
                early.wrote(&out, buffer.len());
                counter = counter.checked_add(1).ok_or_else(|| VaultError::Io {
                    path: tmp.to_owned(),
                    source: std::io::Error::other("blob too large"),
                })?;
                // The reader may be gone (an error); the buffer is then dropped and zeroized.
                let _ = to_reader.send(buffer);
                Ok(())
            };
            // An empty chunk from the reader means the end.
            for buffer in chunks {
                if buffer.is_empty() {
                    seal(held.take().unwrap_or(buffer), true)?;
                    return out.sync_all().map_err(io(tmp));
                }
                if let Some(previous) = held.replace(buffer) {
                    seal(previous, false)?;
                }
            }
            Err(VaultError::Io { path: tmp.to_owned(), source: std::io::Error::other("the reader stopped") })
        });
        // `None`: the writer stopped (its error says why).
        let read = (move || -> Result<Option<(u64, ring::digest::Digest)>, VaultError> {
            let mut sha = ring::digest::Context::new(&ring::digest::SHA256);
            let mut size = 0u64;
            loop {
                let Ok(mut buffer) = free.recv() else { return Ok(None) };
                fill_hashing(source, &mut buffer, chunk, &mut sha).map_err(io(tmp))?;
                size += buffer.len() as u64;
                let end = buffer.is_empty();
                if to_writer.send(buffer).is_err() {
                    return Ok(None);
                }
                if end {
                    return Ok(Some((size, sha.finish())));
                }
            }
        })();
        let written = writer.join().map_err(|_| VaultError::Random)?;
        // A read error ends the writer too: report the read error.
        let read = read?;
        written?;
        let (size, digest) = read.ok_or(VaultError::Random)?;
        Ok(BlobInfo { size, sha256: hex(digest.as_ref()) })
    })
}

/// Starts the disk writing what was written so far every few MiB, so that the final fsync
/// waits for the tail of a large blob rather than all of it (on Linux: `fadvise(DONTNEED)`,
/// which starts writeback of the dirty range without waiting, and keeps the ciphertext out of
/// the page cache once it is on disk).
#[derive(Default)]
struct EarlyWriteback {
    written: u64,
    started: u64,
}

impl EarlyWriteback {
    const EVERY: u64 = 8 << 20;

    fn wrote(&mut self, file: &File, len: usize) {
        self.written += len as u64;
        if self.written - self.started < Self::EVERY {
            return;
        }
        #[cfg(target_os = "linux")]
        {
            let len = std::num::NonZeroU64::new(self.written - self.started);
            // Only a hint: durability still comes from the fsync at the end.
            let _ = rustix::fs::fadvise(file, self.started, len, rustix::fs::Advice::DontNeed);
        }
        #[cfg(not(target_os = "linux"))]
        let _ = file;
        self.started = self.written;
    }
}

/// Fills `buf` with up to `want` bytes from `source`, hashing each piece as soon as it is read.
fn fill_hashing(
    source: &mut dyn Read,
    buf: &mut Vec<u8>,
    want: usize,
    sha: &mut ring::digest::Context,
) -> std::io::Result<()> {
    /// Small enough to stay in a core's cache between the read and the hash.
    const PIECE: usize = 32 << 10;
    buf.clear();
    buf.resize(want, 0);
    let mut filled = 0;
    while filled < want {
        let until = (filled + PIECE).min(want);
        match source.read(&mut buf[filled..until]) {
            Ok(0) => break,
            Ok(n) => {
                sha.update(&buf[filled..filled + n]);
                filled += n;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(())
}

/// Decrypts the blob `id` into `sink`, verifying every chunk; returns size and SHA-256.
/// On any damage, nothing after the damaged chunk is written and the error names the blob.
pub(crate) fn read_blob(
    dir: &Path,
    key: &DataKey,
    blob: &BlobFile<'_>,
    sink: &mut dyn Write,
) -> Result<BlobInfo, VaultError> {
    let path = dir.join(&blob.file);
    let tampered = |kind: Damage, reason: &str| blob.tampered(kind, reason);
    let file = File::open(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => tampered(Damage::Missing, "the blob file is missing"),
        _ => VaultError::Io { path: path.clone(), source: e },
    })?;
    let mut input = BufReader::with_capacity(1 << 20, file);
    let mut header = [0u8; HEADER_LEN];
    input.read_exact(&mut header).map_err(|_| tampered(Damage::Truncated, "the header is truncated"))?;
    if !valid_header(&header) {
        return Err(tampered(Damage::Foreign, "not a Courtside blob"));
    }
    let chunk = 1usize << header[5];
    let mut prefix = [0u8; 7];
    prefix.copy_from_slice(&header[6..13]);
    let aead = blob.aead(key, &header)?;
    let mut sha = ring::digest::Context::new(&ring::digest::SHA256);
    let mut size = 0u64;
    let mut buf = Zeroizing::new(Vec::with_capacity(chunk + TAG_LEN));
    let mut next = Zeroizing::new(Vec::with_capacity(chunk + TAG_LEN));
    fill(&mut input, &mut buf, chunk + TAG_LEN).map_err(io(&path))?;
    let mut counter: u32 = 0;
    loop {
        if buf.len() < TAG_LEN {
            return Err(tampered(Damage::Truncated, "it is truncated"));
        }
        fill(&mut input, &mut next, chunk + TAG_LEN).map_err(io(&path))?;
        let last = next.is_empty();
        let plain = aead
            .open_in_place(chunk_nonce(&prefix, counter, last), Aad::from(&header), &mut buf)
            .map_err(|_| tampered(Damage::Altered, &format!("chunk {counter} was altered, reordered or cut")))?;
        sha.update(&*plain);
        size += plain.len() as u64;
        sink.write_all(plain).map_err(io(&path))?;
        if last {
            break;
        }
        counter = counter.checked_add(1).ok_or_else(|| tampered(Damage::Altered, "too many chunks"))?;
        std::mem::swap(&mut buf, &mut next);
    }
    Ok(BlobInfo { size, sha256: hex(sha.finish().as_ref()) })
}

/// Plaintext size of the blob `id`, from its file's length (the chunk layout is fixed).
pub(crate) fn blob_size(dir: &Path, blob: &BlobFile<'_>) -> Result<u64, VaultError> {
    let (_, geometry) = open_blob(dir, blob)?;
    Ok(geometry.size)
}

/// Decrypts `len` plaintext bytes of the blob `id` from `offset`, opening only the chunks that
/// hold them (a resumed upload reads from where the court stopped, never to disk in plaintext).
pub(crate) fn read_blob_range(
    dir: &Path,
    key: &DataKey,
    blob: &BlobFile<'_>,
    offset: u64,
    len: u64,
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    use std::io::{Seek, SeekFrom};
    let tampered = |kind: Damage, reason: &str| blob.tampered(kind, reason);
    let (mut file, g) = open_blob(dir, blob)?;
    let path = dir.join(&blob.file);
    let end = offset.checked_add(len).filter(|&e| e <= g.size).ok_or_else(|| VaultError::Io {
        path: path.clone(),
        source: std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("bytes {offset}+{len} lie beyond the blob's {} bytes", g.size),
        ),
    })?;
    let want = usize::try_from(len).map_err(|_| tampered(Damage::Altered, "range too large"))?;
    let mut out = Zeroizing::new(Vec::with_capacity(want));
    if len == 0 {
        return Ok(out);
    }
    let sealed = g.chunk + TAG_LEN as u64;
    let first = offset / g.chunk;
    let aead = blob.aead(key, &g.header)?;
    let mut buf = Zeroizing::new(Vec::with_capacity(usize::try_from(sealed).unwrap_or(0)));
    file.seek(SeekFrom::Start(HEADER_LEN as u64 + first * sealed)).map_err(io(&path))?;
    let mut input = BufReader::with_capacity(1 << 20, file);
    let mut index = first;
    while index * g.chunk < end {
        fill(&mut input, &mut buf, usize::try_from(sealed).unwrap_or(usize::MAX)).map_err(io(&path))?;
        let counter = u32::try_from(index).map_err(|_| tampered(Damage::Altered, "too many chunks"))?;
        let plain = blob_aead_open(&aead, &g, counter, index + 1 == g.chunks, &mut buf)
            .ok_or_else(|| tampered(Damage::Altered, &format!("chunk {counter} was altered, reordered or cut")))?;
        let chunk_start = index * g.chunk;
        let from = usize::try_from(offset.saturating_sub(chunk_start)).unwrap_or(0);
        let to = usize::try_from((end - chunk_start).min(plain.len() as u64)).unwrap_or(0);
        out.extend_from_slice(&plain[from..to]);
        index += 1;
    }
    Ok(out)
}

/// A blob's chunk layout, from its header and file length.
struct Geometry {
    header: [u8; HEADER_LEN],
    prefix: [u8; 7],
    chunk: u64,
    chunks: u64,
    size: u64,
}

fn open_blob(dir: &Path, blob: &BlobFile<'_>) -> Result<(File, Geometry), VaultError> {
    let path = dir.join(&blob.file);
    let tampered = |kind: Damage, reason: &str| blob.tampered(kind, reason);
    let mut file = File::open(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => tampered(Damage::Missing, "the blob file is missing"),
        _ => VaultError::Io { path: path.clone(), source: e },
    })?;
    let total = file.metadata().map_err(io(&path))?.len();
    let mut header = [0u8; HEADER_LEN];
    file.read_exact(&mut header).map_err(|_| tampered(Damage::Truncated, "the header is truncated"))?;
    if !valid_header(&header) {
        return Err(tampered(Damage::Foreign, "not a Courtside blob"));
    }
    let chunk = 1u64 << header[5];
    let body = total - HEADER_LEN as u64;
    let sealed = chunk + TAG_LEN as u64;
    let chunks = body.div_ceil(sealed).max(1);
    let size =
        body.checked_sub(chunks * TAG_LEN as u64).ok_or_else(|| tampered(Damage::Truncated, "it is truncated"))?;
    let mut prefix = [0u8; 7];
    prefix.copy_from_slice(&header[6..13]);
    Ok((file, Geometry { header, prefix, chunk, chunks, size }))
}

fn blob_aead_open<'b>(
    aead: &LessSafeKey,
    g: &Geometry,
    counter: u32,
    last: bool,
    buf: &'b mut [u8],
) -> Option<&'b mut [u8]> {
    if buf.len() < TAG_LEN {
        return None;
    }
    aead.open_in_place(chunk_nonce(&g.prefix, counter, last), Aad::from(&g.header), buf).ok()
}

/// Blob ids are generated by the app (UUIDs or hex); anything that could escape the blob
/// directory is refused.
pub(crate) fn check_id(id: &str) -> Result<(), VaultError> {
    if id.is_empty() || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(VaultError::InvalidId(id.chars().take(64).collect()));
    }
    Ok(())
}

/// Reads until `buf` holds `want` bytes or the source ends.
fn fill(source: &mut dyn Read, buf: &mut Vec<u8>, want: usize) -> std::io::Result<()> {
    buf.clear();
    buf.resize(want, 0);
    let mut filled = 0;
    while filled < want {
        match source.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(())
}

fn chunk_nonce(prefix: &[u8; 7], counter: u32, last: bool) -> Nonce {
    let mut n = [0u8; NONCE_LEN];
    n[..7].copy_from_slice(prefix);
    n[7..11].copy_from_slice(&counter.to_be_bytes());
    n[11] = u8::from(last);
    Nonce::assume_unique_for_key(n)
}

fn blob_aead(key: &DataKey, purpose: &[u8], name: &str) -> LessSafeKey {
    let k: Zeroizing<[u8; KEY_LEN]> = derive(key, &[purpose, name.as_bytes()]);
    #[allow(clippy::unwrap_used, reason = "a 32-byte key is always valid for AES-256-GCM")]
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &*k).unwrap())
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> VaultError + '_ {
    move |source| VaultError::Io { path: PathBuf::from(path), source }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
