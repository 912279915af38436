//! Exhibits: capture, description, listing, verification.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use courtside_vault::{Vault, VaultError};
use serde::{Deserialize, Serialize};

use crate::custody::{self, Event};
use crate::{DeviceKey, EvidenceError, file_error, media, photo};

const EXHIBITS: &str = "exhibits";
const MAX_TEXT: usize = 2_000;

/// An exhibit (证据).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Exhibit {
    /// Opaque id.
    pub id: String,
    /// Its number in the locker (证据1, 证据2, …), in order of capture.
    pub number: u32,
    /// Title.
    pub title: String,
    /// What it proves (证明目的).
    pub proves: String,
    /// Where it came from.
    #[serde(deserialize_with = "crate::source::stored")]
    pub source: crate::Source,
    /// Name of the original file.
    pub original_name: String,
    /// Size.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
    /// SHA-256 of the original bytes, hex.
    pub sha256: String,
    /// Media type read from the content.
    pub media_type: String,
    /// Pages, for a PDF.
    pub pages: Option<u32>,
    /// When it was captured (RFC 3339, UTC).
    pub captured_at: String,
    /// The capturing device.
    pub device: String,
    /// The sealed original in the vault.
    pub blob_id: String,
    /// What a photo's EXIF says (when, camera, where), read at capture.
    #[serde(default)]
    pub photo: Option<crate::photo::PhotoFacts>,
}

/// What the user says about a capture.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capture {
    /// Title (default: the file's name).
    pub title: Option<String>,
    /// What it proves.
    pub proves: String,
    /// Where it came from (default: a file).
    pub source: Option<crate::Source>,
}

/// One integrity problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "IntegrityProblem"))]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// The exhibit, when known.
    pub exhibit: Option<String>,
    /// Its number, when known.
    pub number: Option<u32>,
    /// The custody entry, when the problem is in the log.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub entry: Option<u64>,
    /// What is wrong.
    pub reason: String,
}

/// The result of a verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// Exhibits whose originals were re-hashed.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub exhibits_checked: usize,
    /// Custody entries walked.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub entries_checked: usize,
    /// Every problem found (empty: intact).
    pub problems: Vec<Problem>,
}

/// The evidence of one open vault.
#[derive(Debug)]
pub struct Locker {
    vault: Arc<Vault>,
    device: DeviceKey,
}

/// How often [`Locker::capture_file_observed`] reports progress.
pub const PROGRESS_STEP: u64 = 8 << 20;

/// Counts what is read and reports every [`PROGRESS_STEP`] bytes.
struct Counted<'a, R> {
    inner: R,
    read: u64,
    next: u64,
    progress: &'a mut dyn FnMut(u64),
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read >= self.next {
            (self.progress)(self.read);
            self.next = self.read + PROGRESS_STEP;
        }
        Ok(n)
    }
}

/// Reads a source while remembering its first 4 KiB (for the media type; an image's first
/// [`photo::EXIF_WINDOW`] for its EXIF) and counting PDF
/// page objects (`/Type /Page`, not `/Pages`) across read boundaries.
struct Watching<R> {
    inner: R,
    head: Vec<u8>,
    tail: Vec<u8>,
    pages: u32,
}

impl<R: Read> Read for Watching<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = &buf[..n];
        let keep = if self.head.len() >= 16 && media::sniff(&self.head[..16]).starts_with("image/") {
            photo::EXIF_WINDOW
        } else {
            4096
        };
        if self.head.len() < keep {
            let take = (keep - self.head.len()).min(n);
            self.head.extend_from_slice(&chunk[..take]);
        }
        // Pages are counted in PDFs only (the head tells; other media skip the scan).
        if n > 0 && self.head.starts_with(b"%PDF-") {
            let mut window = std::mem::take(&mut self.tail);
            window.extend_from_slice(chunk);
            self.pages += count_pages(&window, n);
            let keep = window.len().min(24);
            self.tail = window[window.len() - keep..].to_vec();
        }
        Ok(n)
    }
}

/// Page objects decided by the last `fresh` bytes of `window`: a match counts in the read that
/// brings the byte after `/Page` (which tells `/Page` from `/Pages`), so a match straddling
/// reads is counted exactly once.
fn count_pages(window: &[u8], fresh: usize) -> u32 {
    let mut count = 0;
    let start_fresh = window.len() - fresh;
    let mut i = 0;
    while let Some(at) = find(&window[i..], b"/Type") {
        let mut j = i + at + 5;
        while j < window.len() && matches!(window[j], b' ' | b'\r' | b'\n' | b'\t') {
            j += 1;
        }
        if window[j..].starts_with(b"/Page") {
            let end = j + 5;
            let plural = window.get(end) == Some(&b's');
            // A match ending exactly at the window's end may still become "/Pages": leave it
            // for the next read (it is kept in the tail).
            if !plural && end < window.len() && end >= start_fresh {
                count += 1;
            }
        }
        i += at + 1;
    }
    count
}

/// For the fuzz target `exhibit_contents` (not part of the API): counts the page objects of
/// `bytes` read whole and read in two pieces (split where the first byte says); must never
/// panic, and a count across a read boundary never exceeds the whole one.
#[doc(hidden)]
pub fn fuzz_page_count(bytes: &[u8]) {
    struct Pieces<'a>(Vec<&'a [u8]>);
    impl Read for Pieces<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let Some(piece) = self.0.first_mut() else { return Ok(0) };
            let n = piece.len().min(buf.len());
            buf[..n].copy_from_slice(&piece[..n]);
            *piece = &piece[n..];
            if piece.is_empty() {
                self.0.remove(0);
            }
            Ok(n)
        }
    }
    let count = |pieces: Vec<&[u8]>| {
        let mut w = Watching { inner: Pieces(pieces), head: Vec::new(), tail: Vec::new(), pages: 0 };
        let mut buf = vec![0u8; 1 << 16];
        while w.read(&mut buf).is_ok_and(|n| n > 0) {}
        w.pages
    };
    let Some((&split, pdf)) = bytes.split_first() else { return };
    let at = usize::from(split).min(pdf.len());
    let whole = count(vec![pdf]);
    let split = count(vec![&pdf[..at], &pdf[at..]]);
    assert!(split <= whole, "{split} pages counted across reads, {whole} in one");
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

fn check_text(what: &str, value: &str) -> Result<(), EvidenceError> {
    if value.chars().count() > MAX_TEXT {
        return Err(EvidenceError::Invalid(format!("{what} is longer than {MAX_TEXT} characters")));
    }
    Ok(())
}

impl Locker {
    /// The locker of an open vault (makes the device key on first use).
    ///
    /// # Errors
    /// The vault's error.
    pub fn open(vault: Arc<Vault>) -> Result<Self, EvidenceError> {
        let device = DeviceKey::load_or_create(&vault)?;
        Ok(Self { vault, device })
    }

    /// This device's key.
    #[must_use]
    pub fn device(&self) -> &DeviceKey {
        &self.device
    }

    /// Captures a file: hashed and sealed in one pass, logged as captured.
    ///
    /// # Errors
    /// [`EvidenceError::File`] when it cannot be read (nothing is stored then).
    pub fn capture_file(&self, path: &Path, capture: &Capture) -> Result<Exhibit, EvidenceError> {
        self.capture_file_observed(path, capture, &mut |_| {})
    }

    /// [`Locker::capture_file`], telling `progress` how many bytes have been read so far
    /// (every [`PROGRESS_STEP`] bytes, and once at the end).
    ///
    /// # Errors
    /// As [`Locker::capture_file`].
    pub fn capture_file_observed(
        &self,
        path: &Path,
        capture: &Capture,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Exhibit, EvidenceError> {
        let file = std::fs::File::open(path).map_err(|e| file_error(path, &e))?;
        if !file.metadata().map_err(|e| file_error(path, &e))?.is_file() {
            return Err(file_error(path, &"not a regular file"));
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "evidence".into());
        let mut counted = Counted { inner: file, read: 0, next: PROGRESS_STEP, progress };
        let exhibit = self.capture(&name, &mut counted, capture).map_err(|e| match e {
            EvidenceError::Vault(VaultError::Io { source, .. }) => file_error(path, &source),
            other => other,
        })?;
        (counted.progress)(counted.read);
        Ok(exhibit)
    }

    /// Captures bytes from any source (a file picked in the window, a camera, a recording).
    ///
    /// # Errors
    /// The vault's error.
    pub fn capture(
        &self,
        original_name: &str,
        source: &mut dyn Read,
        capture: &Capture,
    ) -> Result<Exhibit, EvidenceError> {
        let title = capture.title.clone().unwrap_or_else(|| original_name.to_owned());
        check_text("title", &title)?;
        check_text("what it proves", &capture.proves)?;
        let original_name: String = original_name.chars().filter(|c| !c.is_control()).take(255).collect();
        let id = uuid::Uuid::new_v4().simple().to_string();
        let blob_id = format!("exhibit-{id}");
        let mut watching = Watching { inner: source, head: Vec::new(), tail: Vec::new(), pages: 0 };
        let info = self.vault.write_blob(&blob_id, &mut watching)?;
        let media_type = media::sniff(&watching.head).to_owned();
        let photo = if media_type.starts_with("image/") { photo::read(&watching.head) } else { None };
        // Numbered and chained in one unit of work: captures side by side, from any thread
        // or any locker of this vault, neither share a number nor fork the chain.
        let exhibit = self.vault.transaction(|tx| {
            let number = u32::try_from(tx.count(EXHIBITS)?).unwrap_or(u32::MAX - 1) + 1;
            let exhibit = Exhibit {
                id: id.clone(),
                number,
                title,
                proves: capture.proves.clone(),
                source: capture.source.clone().unwrap_or(crate::Source::File),
                original_name,
                size: info.size,
                sha256: info.sha256,
                pages: (media_type == "application/pdf").then_some(watching.pages),
                media_type,
                captured_at: crate::now_rfc3339(),
                device: self.device.id().to_owned(),
                blob_id,
                photo,
            };
            let event = Event::Captured {
                sha256: exhibit.sha256.clone(),
                size: exhibit.size,
                media_type: exhibit.media_type.clone(),
                original_name: exhibit.original_name.clone(),
                source: exhibit.source.clone(),
            };
            let json = serde_json::to_vec(&exhibit).map_err(|e| EvidenceError::Invalid(e.to_string()))?;
            tx.put_expecting(EXHIBITS, &id, 1, 0, &json)?;
            custody::append_in(tx, &self.device, &id, event)?;
            Ok::<_, EvidenceError>(exhibit)
        })?;
        Ok(exhibit)
    }

    /// Captures a web page (following redirects) as a `.warc.gz` exhibit whose source names
    /// the final address; the WARC holds requests, responses, TLS facts and the page's text.
    ///
    /// # Errors
    /// [`EvidenceError::Invalid`] for a bad address or a failed fetch (nothing is stored).
    pub async fn capture_url(
        &self,
        url: &str,
        proves: &str,
    ) -> Result<(Exhibit, crate::web::WebCapture), EvidenceError> {
        let web = crate::web::capture(url).await?;
        Ok((self.capture_web(&web, proves)?, web))
    }

    /// Keeps a web capture made by [`crate::web::capture`] as an exhibit.
    ///
    /// # Errors
    /// The vault's error.
    pub fn capture_web(&self, web: &crate::web::WebCapture, proves: &str) -> Result<Exhibit, EvidenceError> {
        let host =
            url::Url::parse(&web.final_url).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
        let stamp = time::OffsetDateTime::now_utc()
            .format(time::macros::format_description!("[year][month][day]-[hour][minute][second]"))
            .unwrap_or_default();
        let capture = Capture {
            title: Some(format!("网页截取 · Web capture: {}", web.final_url)),
            proves: proves.to_owned(),
            source: Some(crate::Source::Web { hops: web.hops.clone() }),
        };
        self.capture(&format!("{host}-{stamp}.warc.gz"), &mut &web.warc_gz[..], &capture)
    }

    /// Every exhibit, by number.
    ///
    /// # Errors
    /// The vault's error.
    pub fn exhibits(&self) -> Result<Vec<Exhibit>, EvidenceError> {
        let mut all = self
            .vault
            .list(EXHIBITS)?
            .iter()
            .map(|r| {
                serde_json::from_slice::<Exhibit>(&r.plaintext)
                    .map_err(|e| EvidenceError::Decode(format!("exhibit {}", r.id), e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        all.sort_by_key(|e| e.number);
        Ok(all)
    }

    /// One exhibit.
    ///
    /// # Errors
    /// [`EvidenceError::NotFound`].
    pub fn exhibit(&self, id: &str) -> Result<Exhibit, EvidenceError> {
        let r = self.vault.get(EXHIBITS, id)?.ok_or_else(|| EvidenceError::NotFound(id.to_owned()))?;
        serde_json::from_slice(&r.plaintext).map_err(|e| EvidenceError::Decode(format!("exhibit {id}"), e.to_string()))
    }

    /// Changes title and what it proves (logged).
    ///
    /// # Errors
    /// [`EvidenceError::NotFound`], [`EvidenceError::Invalid`].
    pub fn describe(&self, id: &str, title: &str, proves: &str) -> Result<Exhibit, EvidenceError> {
        check_text("title", title)?;
        check_text("what it proves", proves)?;
        self.vault.transaction(|tx| {
            let revision = tx.revision(EXHIBITS, id)?;
            let record = tx.get(EXHIBITS, id)?.ok_or_else(|| EvidenceError::NotFound(id.to_owned()))?;
            let mut exhibit: Exhibit = serde_json::from_slice(&record.plaintext)
                .map_err(|e| EvidenceError::Decode(format!("exhibit {id}"), e.to_string()))?;
            exhibit.title = title.trim().to_owned();
            exhibit.proves = proves.trim().to_owned();
            let json = serde_json::to_vec(&exhibit).map_err(|e| EvidenceError::Invalid(e.to_string()))?;
            let event = Event::Described { title: exhibit.title.clone(), proves: exhibit.proves.clone() };
            tx.put_expecting(EXHIBITS, id, 1, revision, &json)?;
            custody::append_in(tx, &self.device, id, event)?;
            Ok(exhibit)
        })
    }

    /// Logs an event for an exhibit (viewed, exported, submitted).
    ///
    /// # Errors
    /// The vault's error.
    pub fn log_event(&self, id: &str, event: Event) -> Result<custody::Entry, EvidenceError> {
        self.exhibit(id)?;
        custody::append(&self.vault, &self.device, id, event, &[])
    }

    /// The custody entries of one exhibit, or of all.
    ///
    /// # Errors
    /// The vault's error.
    pub fn custody(&self, exhibit: Option<&str>) -> Result<Vec<custody::Entry>, EvidenceError> {
        let mut out = Vec::new();
        for stored in custody::entries(&self.vault)? {
            let entry = stored.entry()?;
            if exhibit.is_none_or(|id| id == entry.exhibit) {
                out.push(entry);
            }
        }
        Ok(out)
    }

    /// The original's bytes, decrypted into `sink`.
    ///
    /// # Errors
    /// The vault's error (a damaged blob names it).
    pub fn read_original(&self, id: &str, sink: &mut dyn std::io::Write) -> Result<Exhibit, EvidenceError> {
        let exhibit = self.exhibit(id)?;
        self.vault.read_blob(&exhibit.blob_id, sink)?;
        Ok(exhibit)
    }

    /// Checks the custody log (signatures, chain, tail) and re-hashes the originals of the
    /// exhibit `only` (or all), comparing with the digest recorded at capture.
    ///
    /// # Errors
    /// Only when the vault cannot be read at all; every integrity failure is a [`Problem`].
    pub fn verify(&self, only: Option<&str>) -> Result<Verification, EvidenceError> {
        let mut problems = Vec::new();
        let numbers: std::collections::HashMap<String, u32> = match self.vault.list(EXHIBITS) {
            Ok(records) => records
                .iter()
                .filter_map(|r| serde_json::from_slice::<Exhibit>(&r.plaintext).ok())
                .map(|e| (e.id, e.number))
                .collect(),
            Err(e) => {
                problems.push(Problem { exhibit: None, number: None, entry: None, reason: e.to_string() });
                Default::default()
            }
        };
        let log = match custody::entries(&self.vault) {
            Ok(log) => log,
            Err(e) => {
                problems.push(Problem {
                    exhibit: None,
                    number: None,
                    entry: None,
                    reason: format!("the custody log cannot be read: {e}"),
                });
                Vec::new()
            }
        };
        let (count, hash) = custody::stored_head(&self.vault)?;
        if let Some(b) = custody::first_break(&log, self.device.public_key(), Some((count, &hash))) {
            let number = b.exhibit.as_ref().and_then(|e| numbers.get(e).copied());
            problems.push(Problem { exhibit: b.exhibit, number, entry: Some(b.seq), reason: b.reason });
        }
        let captured: std::collections::HashMap<String, String> = log
            .iter()
            .filter_map(|s| s.entry().ok())
            .filter_map(|e| match e.event {
                Event::Captured { sha256, .. } => Some((e.exhibit, sha256)),
                _ => None,
            })
            .collect();
        let to_check: Vec<Exhibit> =
            self.exhibits().unwrap_or_default().into_iter().filter(|e| only.is_none_or(|id| id == e.id)).collect();
        let checked = to_check.len();
        // The originals are decrypted and hashed on every core, the findings kept in order.
        let read = courtside_vault::parallel::map(&to_check, |exhibit| {
            self.vault.read_blob(&exhibit.blob_id, &mut std::io::sink())
        });
        for (exhibit, result) in to_check.iter().zip(read) {
            let problem = |reason: String| Problem {
                exhibit: Some(exhibit.id.clone()),
                number: Some(exhibit.number),
                entry: None,
                reason,
            };
            match result {
                Ok(info) if Some(&info.sha256) != captured.get(&exhibit.id) => problems.push(problem(format!(
                    "the sealed original hashes to {}, the custody log recorded {}",
                    info.sha256,
                    captured.get(&exhibit.id).map_or("nothing", String::as_str)
                ))),
                Ok(info) if info.sha256 != exhibit.sha256 => {
                    problems.push(problem("the exhibit record's digest differs from the custody log's".into()));
                }
                Ok(_) => {}
                Err(e) => problems.push(problem(format!("the sealed original is damaged: {e}"))),
            }
        }
        // An exhibit captured in the log whose record no longer opens (lists leave damaged
        // records out) is a problem too, not a silent gap.
        if only.is_none() {
            for id in captured.keys().filter(|id| !numbers.contains_key(*id)) {
                problems.push(Problem {
                    exhibit: Some(id.clone()),
                    number: None,
                    entry: None,
                    reason: "the exhibit's record is missing or damaged".into(),
                });
            }
        }
        if let Some(id) = only
            && checked == 0
        {
            return Err(EvidenceError::NotFound(id.to_owned()));
        }
        // Every kept time-stamp, verified as at stamping (an exhibit's, and the log head's).
        for (subject, reason) in self.check_stamps()? {
            if only.is_some_and(|id| id != subject) {
                continue;
            }
            let number = numbers.get(&subject).copied();
            let exhibit = number.is_some().then(|| subject.clone());
            problems.push(Problem { exhibit, number, entry: None, reason });
        }
        Ok(Verification { exhibits_checked: checked, entries_checked: log.len(), problems })
    }

    pub(crate) fn vault(&self) -> &Vault {
        &self.vault
    }
}

#[cfg(test)]
mod tests {
    use super::count_pages;

    fn pages_in_reads(data: &[u8], read: usize) -> u32 {
        let mut tail: Vec<u8> = Vec::new();
        let mut total = 0;
        for chunk in data.chunks(read) {
            let mut window = std::mem::take(&mut tail);
            window.extend_from_slice(chunk);
            total += count_pages(&window, chunk.len());
            let keep = window.len().min(24);
            tail = window[window.len() - keep..].to_vec();
        }
        total
    }

    #[test]
    fn page_objects_are_counted_once_whatever_the_read_size() {
        let pdf = b"%PDF-1.4 1 0 obj <</Type /Pages /Count 3>> 2 0 obj <</Type /Page>> 3 0 obj <</Type/Page /X 1>> 4 0 obj <</Type\n/Page>> trailer";
        for read in [1, 2, 3, 5, 7, 11, 64, 4096] {
            assert_eq!(pages_in_reads(pdf, read), 3, "reads of {read}");
        }
    }

    /// Reads at most `step` bytes at a time.
    struct Trickle<'a>(&'a [u8], usize);
    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_photo_keeps_its_exif_facts_whatever_the_read_size() {
        let dir = tempfile::tempdir().unwrap();
        let (vault, _) = courtside_vault::Vault::create(
            &dir.path().join("v"),
            "pass phrase",
            courtside_vault::KdfParams::insecure_for_tests(),
        )
        .unwrap();
        let locker = super::Locker::open(std::sync::Arc::new(vault)).unwrap();
        let mut jpeg = crate::photo::tests::jpeg_with_exif(
            true,
            "Xiaomi",
            "13",
            "2026:05:01 10:00:00",
            (39, 54, 2700, false),
            (116, 23, 1700, false),
            (1024, 768),
        );
        let end = jpeg.split_off(jpeg.len() - 2);
        jpeg.extend(std::iter::repeat_n(0x55, 300_000));
        jpeg.extend(end);
        for step in [3, 7, 4096, 1 << 20] {
            let exhibit =
                locker.capture("IMG_0001.jpg", &mut Trickle(&jpeg, step), &super::Capture::default()).unwrap();
            assert_eq!(exhibit.media_type, "image/jpeg");
            let photo = exhibit.photo.clone().expect("EXIF facts");
            assert_eq!(photo.camera.as_deref(), Some("Xiaomi 13"));
            assert_eq!(photo.taken_at.as_deref(), Some("2026-05-01 10:00:00"));
            assert_eq!(locker.exhibit(&exhibit.id).unwrap().photo, Some(photo), "kept in the record");
        }
        // A PDF has none, and neither does an older record without the field.
        let pdf = locker.capture("a.pdf", &mut &b"%PDF-1.4 <</Type /Page>>"[..], &super::Capture::default()).unwrap();
        assert_eq!(pdf.photo, None);
        let mut old = serde_json::to_value(&pdf).unwrap();
        old.as_object_mut().unwrap().remove("photo");
        assert_eq!(serde_json::from_value::<super::Exhibit>(old).unwrap(), pdf);
    }
}
