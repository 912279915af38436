//! Evidence in the app: the locker of the open vault.

use courtside_casework::cases::Case;
use courtside_casework::templates::CatalogueEntry;
use courtside_court_api::filing::DocumentRole;
use courtside_evidence::custody::{Entry, Event};
use courtside_evidence::{Capture, EvidenceError, Exhibit, Locker, Verification};
use courtside_sync::outbox::{DocumentSource, DraftDocument};

use crate::ipc::{DropFailure, DropOffer, DropOutcome, DropProgress, ExhibitDetail};
use crate::{App, AppError};

impl App {
    /// Runs `f` on the open vault's locker. The vault's slot is held only to find the locker,
    /// not while `f` runs, so a long capture does not stall every other command; the locker
    /// chains log entries inside the vault's unit of work. A capture under way when the vault is locked finishes
    /// (its locker keeps the vault open until then).
    pub(crate) fn with_locker<T>(&self, f: impl FnOnce(&Locker) -> Result<T, AppError>) -> Result<T, AppError> {
        let locker = self.locker()?;
        f(&locker)
    }

    /// The open vault's one locker (opened on first use), without holding the vault's slot.
    fn locker(&self) -> Result<std::sync::Arc<Locker>, AppError> {
        self.with_open(|o| match &o.locker {
            Some(locker) => Ok(locker.clone()),
            None => {
                let locker = std::sync::Arc::new(Locker::open(o.drafts.vault())?);
                o.locker = Some(locker.clone());
                Ok(locker)
            }
        })
    }

    /// Every exhibit, by number.
    ///
    /// # Errors
    /// [`AppError::Locked`], the vault's error.
    pub fn list_exhibits(&self) -> Result<Vec<Exhibit>, AppError> {
        self.with_locker(|l| Ok(l.exhibits()?))
    }

    /// Captures bytes the user gave the window (picked, dropped, photographed, recorded).
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] for an empty file or overlong text.
    pub fn add_exhibit(
        &self,
        name: &str,
        title: Option<&str>,
        proves: &str,
        source: courtside_evidence::Source,
        bytes: &[u8],
    ) -> Result<Exhibit, AppError> {
        self.note_change();
        if bytes.is_empty() {
            return Err(AppError::InvalidInput(format!("{name} is empty")));
        }
        let capture = Capture {
            title: title.filter(|t| !t.trim().is_empty()).map(str::to_owned),
            proves: proves.trim().to_owned(),
            source: Some(source),
        };
        self.with_locker(|l| Ok(l.capture(name, &mut &bytes[..], &capture)?))
    }

    /// Captures a file from the file system (the CLI, the watched folder).
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] when it cannot be read.
    pub fn add_exhibit_file(&self, path: &std::path::Path, capture: &Capture) -> Result<Exhibit, AppError> {
        self.note_change();
        self.with_locker(|l| Ok(l.capture_file(path, capture)?))
    }

    /// Holds files dropped on the window (folders walked) until the user keeps or discards
    /// them; a newer drop replaces an older one. The window learns names and sizes, never
    /// paths, and can capture only what was dropped.
    ///
    /// # Errors
    /// [`AppError::Locked`]; [`AppError::InvalidInput`] when nothing capturable was dropped.
    pub fn hold_dropped(&self, paths: &[std::path::PathBuf], how: Picked) -> Result<DropOffer, AppError> {
        let found = dropped_files(paths);
        if found.files.is_empty() {
            return Err(AppError::InvalidInput(format!(
                "nothing to capture among the dropped items ({} left out: hidden, partial, links or unreadable)",
                found.skipped
            )));
        }
        let token = uuid::Uuid::new_v4().simple().to_string();
        let offer = DropOffer {
            token: token.clone(),
            files: u32::try_from(found.files.len()).unwrap_or(u32::MAX),
            bytes: found.files.iter().map(|(_, size)| size).sum(),
            names: found.files.iter().take(5).map(|(p, _)| display_name(p)).collect(),
            skipped: found.skipped,
        };
        self.with_open(|o| {
            o.dropped = Some(HeldDrop { token, files: found.files, how });
            Ok(())
        })?;
        Ok(offer)
    }

    /// The original bytes of an exhibit the window can show (images, audio, video, text) and
    /// not larger than [`MAX_PREVIEW`]; opening the exhibit already logged the viewing.
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] for an unknown exhibit, one of another kind or a larger one.
    pub fn exhibit_content(&self, id: &str) -> Result<Vec<u8>, AppError> {
        self.with_locker(|l| {
            let exhibit = l.exhibit(id)?;
            if !previewable(&exhibit.media_type) {
                return Err(AppError::InvalidInput(format!("{} cannot be shown here", exhibit.media_type)));
            }
            if exhibit.size > MAX_PREVIEW {
                return Err(AppError::InvalidInput(format!(
                    "exhibit {} is too large to show here ({} MB); export it to open it",
                    exhibit.number,
                    exhibit.size / 1_000_000
                )));
            }
            let mut bytes = Vec::with_capacity(usize::try_from(exhibit.size).unwrap_or(0));
            l.read_original(id, &mut bytes)?;
            Ok(bytes)
        })
    }

    /// Forgets a held drop.
    ///
    /// # Errors
    /// [`AppError::Locked`].
    pub fn discard_dropped(&self, token: &str) -> Result<(), AppError> {
        self.with_open(|o| {
            if o.dropped.as_ref().is_some_and(|d| d.token == token) {
                o.dropped = None;
            }
            Ok(())
        })
    }

    /// Captures the held drop named by `token`, file by file, telling `progress` as it reads.
    /// A file that cannot be read (moved, deleted, unreadable since the drop) is reported
    /// and the others are still captured.
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] for an unknown or already used token or overlong text.
    pub fn capture_dropped(
        &self,
        token: &str,
        proves: &str,
        mut progress: impl FnMut(DropProgress),
    ) -> Result<DropOutcome, AppError> {
        self.note_change();
        let held = self.with_open(|o| match o.dropped.take() {
            Some(d) if d.token == token => Ok(d),
            other => {
                o.dropped = other;
                Err(AppError::InvalidInput("those dropped files are no longer held: drop them again".into()))
            }
        })?;
        let source = match held.how {
            Picked::Dropped => courtside_evidence::Source::DragAndDrop,
            Picked::Chosen => courtside_evidence::Source::File,
        };
        let capture = Capture { title: None, proves: proves.trim().to_owned(), source: Some(source) };
        let files = u32::try_from(held.files.len()).unwrap_or(u32::MAX);
        let total: u64 = held.files.iter().map(|(_, size)| size).sum();
        let mut before = 0u64;
        let mut outcome = DropOutcome { exhibits: Vec::new(), failed: Vec::new() };
        for (i, (path, size)) in held.files.iter().enumerate() {
            let name = display_name(path);
            let file = u32::try_from(i + 1).unwrap_or(u32::MAX);
            progress(DropProgress { file, files, name: name.clone(), done: before, total });
            let captured = self.with_locker(|l| {
                Ok(l.capture_file_observed(path, &capture, &mut |read| {
                    progress(DropProgress { file, files, name: name.clone(), done: before + read, total });
                })?)
            });
            match captured {
                Ok(exhibit) => outcome.exhibits.push(exhibit),
                Err(AppError::Locked) => return Err(AppError::Locked),
                Err(e) => outcome.failed.push(DropFailure { name, reason: e.to_string() }),
            }
            before += size;
        }
        Ok(outcome)
    }

    /// An exhibit with its custody timeline and a fresh verification (viewing is logged).
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] for an unknown exhibit.
    pub fn exhibit_detail(&self, id: &str) -> Result<ExhibitDetail, AppError> {
        // The court's receipts of it (a filing, an exchange) go into its custody first.
        self.absorb_court_news()?;
        self.with_locker(|l| {
            l.log_event(id, Event::Viewed)?;
            let exhibit = l.exhibit(id)?;
            let custody: Vec<Entry> = l.custody(Some(id))?;
            let verification: Verification = l.verify(Some(id))?;
            Ok(ExhibitDetail { exhibit, custody, verification })
        })
    }

    /// Captures a web page (redirects, TLS facts, the text) as a `.warc.gz` exhibit.
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] for a bad address or a failed fetch.
    pub async fn capture_url(&self, url: &str, proves: &str) -> Result<Exhibit, AppError> {
        self.note_change();
        self.with_open(|_| Ok(()))?;
        let web = courtside_evidence::web::capture(url).await?;
        self.with_locker(|l| Ok(l.capture_web(&web, proves)?))
    }

    /// Time-stamps every exhibit not stamped yet, and the custody log's head, at the court's
    /// time-stamping authority; returns how many tokens were kept.
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] when the authority cannot be reached.
    pub async fn timestamp_evidence(&self) -> Result<usize, AppError> {
        let court = self.court_client()?;
        // The vault's one locker; the fetch holds neither the app's lock nor the vault's.
        let locker = self.locker()?;
        Ok(locker.timestamp(&court).await?.len())
    }

    /// While the app runs: every `every`, when the vault is open and evidence was captured
    /// that has no trusted time-stamp yet, asks the court's time-stamping authority (offline,
    /// it simply tries again later). Evidence is stamped as soon as a connection exists
    /// without the user having to remember it.
    pub async fn stamp_evidence_while_open(&self, every: std::time::Duration) {
        loop {
            tokio::time::sleep(every).await;
            let waiting = self.with_locker(|l| Ok(l.unstamped()?)).unwrap_or(0);
            if waiting == 0 {
                continue;
            }
            match self.timestamp_evidence().await {
                Ok(n) => tracing::info!(tokens = n, "evidence time-stamped"),
                Err(e) => tracing::info!(error = %e, "evidence not time-stamped yet"),
            }
        }
    }

    /// Changes an exhibit's title and what it proves.
    ///
    /// # Errors
    /// [`AppError::InvalidInput`].
    pub fn describe_exhibit(&self, id: &str, title: &str, proves: &str) -> Result<Exhibit, AppError> {
        self.with_locker(|l| Ok(l.describe(id, title, proves)?))
    }

    /// Every damaged item met since the vault was opened (what lists left out, what failed to
    /// open, damage in the vault's own index): cheap, for the notice in the window.
    ///
    /// # Errors
    /// [`AppError::Locked`].
    pub fn vault_damage(&self) -> Result<Vec<crate::ipc::DamagedItem>, AppError> {
        let vault = self.with_open(|o| Ok(o.drafts.vault()))?;
        Ok(vault.damaged().iter().filter_map(crate::ipc::DamagedItem::of).collect())
    }

    /// Opens every record and every file of the vault and returns each damaged one (empty:
    /// intact). Reads everything once: seconds for gigabytes of evidence.
    ///
    /// # Errors
    /// [`AppError::Locked`]; the vault's error when its database cannot be read at all.
    pub async fn check_vault(&self) -> Result<Vec<crate::ipc::DamagedItem>, AppError> {
        let vault = self.with_open(|o| Ok(o.drafts.vault()))?;
        let problems = tokio::task::spawn_blocking(move || vault.verify())
            .await
            .map_err(|e| AppError::Internal(format!("background task failed: {e}")))??;
        Ok(problems.iter().filter_map(crate::ipc::DamagedItem::of).collect())
    }

    /// Checks every exhibit and the whole custody log.
    ///
    /// # Errors
    /// [`AppError::Locked`].
    pub fn verify_evidence(&self) -> Result<Verification, AppError> {
        self.with_locker(|l| Ok(l.verify(None)?))
    }

    /// Exports exhibits (all when `ids` is empty) as a BagIt bag in the exports folder;
    /// returns its path.
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] when it cannot be written.
    pub fn export_evidence_bag(&self, ids: &[String]) -> Result<String, AppError> {
        let dir = self.exports_dir();
        self.with_locker(|l| Ok(l.export_bagit(ids, &dir)?.display().to_string()))
    }
}

/// Vault table of app settings kept with the user's data.
const SETTINGS: &str = "app_settings";
const INBOX: &str = "inbox_dir";

/// A file the watcher found settled, with where to report the capture's outcome.
type InboxRequest = (std::path::PathBuf, tokio::sync::oneshot::Sender<Result<(), EvidenceError>>);

impl App {
    /// The watched inbox folder, if one is set.
    ///
    /// # Errors
    /// [`AppError::Locked`].
    pub fn inbox_dir(&self) -> Result<Option<String>, AppError> {
        self.with_open(|o| {
            Ok(o.drafts.vault().get(SETTINGS, INBOX)?.map(|r| String::from_utf8_lossy(&r.plaintext).into_owned()))
        })
    }

    /// Sets (or clears, with an empty path) the watched inbox folder; files put there are
    /// captured once complete and moved to its `captured/` subfolder.
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] for a relative path or one that cannot be made a folder.
    pub fn set_inbox_dir(&self, dir: &str) -> Result<Option<String>, AppError> {
        let dir = dir.trim();
        if !dir.is_empty() {
            let path = std::path::Path::new(dir);
            if !path.is_absolute() {
                return Err(AppError::InvalidInput(format!("{dir}: give the folder's full path")));
            }
            courtside_evidence::inbox::Inbox::new(path, std::time::Duration::from_secs(1))?;
        }
        self.with_open(|o| {
            let vault = o.drafts.vault();
            vault.put(SETTINGS, INBOX, 1, dir.as_bytes())?;
            Ok(())
        })?;
        Ok((!dir.is_empty()).then(|| dir.to_owned()))
    }

    /// Keeps the configured inbox folder watched while the vault is open (checked every two
    /// seconds: a new folder, a lock, an unlock). Runs until the app ends.
    pub async fn run_inbox_watcher(&self, settle: std::time::Duration) {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        let (tx, mut rx) = tokio::sync::mpsc::channel::<InboxRequest>(4);
        let mut running: Option<(String, Arc<AtomicBool>)> = None;
        let mut check = tokio::time::interval(std::time::Duration::from_secs(2));
        loop {
            tokio::select! {
                _ = check.tick() => {
                    let wanted = self.inbox_dir().ok().flatten().filter(|d| !d.is_empty());
                    if running.as_ref().map(|(d, _)| d) != wanted.as_ref() {
                        if let Some((_, stop)) = running.take() {
                            stop.store(true, Ordering::SeqCst);
                        }
                        if let Some(dir) = wanted {
                            match courtside_evidence::inbox::Inbox::new(std::path::Path::new(&dir), settle) {
                                Ok(inbox) => {
                                    let stop = Arc::new(AtomicBool::new(false));
                                    let (flag, requests) = (stop.clone(), tx.clone());
                                    std::thread::spawn(move || {
                                        let result = courtside_evidence::inbox::run(inbox, &flag, |path| {
                                            let (reply, answer) = tokio::sync::oneshot::channel();
                                            requests
                                                .blocking_send((path.to_owned(), reply))
                                                .map_err(|_| EvidenceError::Invalid("the app is closing".into()))?;
                                            answer.blocking_recv().map_err(|_| EvidenceError::Invalid("the vault locked".into()))?
                                        });
                                        if let Err(e) = result {
                                            tracing::warn!(error = %e, "the inbox folder is not watched");
                                        }
                                    });
                                    running = Some((dir, stop));
                                }
                                Err(e) => tracing::warn!(error = %e, "the inbox folder cannot be used"),
                            }
                        }
                    }
                }
                Some((path, reply)) = rx.recv() => {
                    let capture = Capture { title: None, proves: String::new(), source: Some(courtside_evidence::Source::WatchedFolder) };
                    let outcome = self.with_locker(|l| Ok(l.capture_file(&path, &capture)?)).map(|_| ());
                    let _ = reply.send(outcome.map_err(|e| EvidenceError::Invalid(e.to_string())));
                }
            }
        }
    }
}

/// The catalogue's words for where an exhibit came from.
/// Largest exhibit the window is given to show.
pub const MAX_PREVIEW: u64 = 64 << 20;

/// Media the window shows itself (the webview decodes them; nothing that runs code).
fn previewable(media_type: &str) -> bool {
    matches!(
        media_type,
        "image/jpeg"
            | "image/png"
            | "image/gif"
            | "image/webp"
            | "audio/wav"
            | "audio/mpeg"
            | "audio/ogg"
            | "video/webm"
            | "video/mp4"
            | "text/plain"
    )
}

/// How held files were picked (the exhibits' source says it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picked {
    /// Dropped on the window.
    Dropped,
    /// Chosen in the platform's file chooser.
    Chosen,
}

/// Files dropped on the window (or chosen), waiting for the user's word.
#[derive(Debug)]
pub(crate) struct HeldDrop {
    token: String,
    how: Picked,
    /// Path and size of each file, in the order found.
    files: Vec<(std::path::PathBuf, u64)>,
}

/// Most files one drop may hold (a whole disk dropped by mistake is not walked to the end).
pub const MAX_DROPPED_FILES: usize = 10_000;

struct Found {
    files: Vec<(std::path::PathBuf, u64)>,
    skipped: u32,
}

/// Regular files among dropped paths, folders walked depth-first in name order. Links are
/// not followed (a link could lead anywhere, including into itself); hidden files, backups
/// and partial downloads are left out, as the watched folder leaves them.
fn dropped_files(paths: &[std::path::PathBuf]) -> Found {
    fn walk(path: &std::path::Path, found: &mut Found) {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let Ok(meta) = std::fs::symlink_metadata(path) else {
            found.skipped += 1;
            return;
        };
        if meta.file_type().is_symlink() || courtside_evidence::inbox::ignored(&name) {
            found.skipped += 1;
        } else if meta.is_dir() {
            let Ok(entries) = std::fs::read_dir(path) else {
                found.skipped += 1;
                return;
            };
            let mut children: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            children.sort();
            for child in children {
                walk(&child, found);
            }
        } else if meta.is_file() && found.files.len() < MAX_DROPPED_FILES {
            found.files.push((path.to_path_buf(), meta.len()));
        } else {
            found.skipped += 1;
        }
    }
    let mut found = Found { files: Vec::new(), skipped: 0 };
    for path in paths {
        walk(path, &mut found);
    }
    found
}

fn display_name(path: &std::path::Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Where an exhibit came from, for the evidence catalogue (a court paper, in Chinese).
fn source_text(e: &Exhibit) -> String {
    use courtside_evidence::Source;
    match &e.source {
        Source::Web { .. } => format!("网页 {}", e.source.final_url().unwrap_or_default()),
        Source::Camera => format!("拍摄 {}", e.original_name),
        Source::Microphone => format!("录音 {}", e.original_name),
        Source::Screen => format!("录屏 {}", e.original_name),
        Source::File | Source::DragAndDrop | Source::WatchedFolder | Source::Other { .. } => {
            format!("文件 {}", e.original_name)
        }
    }
}

impl App {
    /// Chooses the exhibits a case's filing submits (locker ids, in catalogue order); the
    /// evidence catalogue is rendered again from them.
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] for an unknown or repeated exhibit, or once the case was
    /// sent.
    pub fn set_case_exhibits(&self, case: &str, exhibits: Vec<String>) -> Result<crate::ipc::CaseView, AppError> {
        self.with_locker(|locker| {
            for id in &exhibits {
                locker.exhibit(id)?;
            }
            Ok(())
        })?;
        let (vault, case) = self.with_open(|o| Ok((o.drafts.vault(), o.cases.set_exhibits(case, exhibits)?)))?;
        let case = self.render_papers(&vault, case)?;
        self.case_view(&vault, case)
    }

    /// The case's exhibits, in catalogue order.
    pub(crate) fn case_exhibits(&self, case: &Case) -> Result<Vec<Exhibit>, AppError> {
        if case.exhibits.is_empty() {
            return Ok(Vec::new());
        }
        self.with_locker(|locker| case.exhibits.iter().map(|id| Ok(locker.exhibit(id)?)).collect())
    }

    /// The evidence catalogue's entries for a case.
    pub(crate) fn catalogue_entries(&self, case: &Case) -> Result<Vec<CatalogueEntry>, AppError> {
        Ok(self
            .case_exhibits(case)?
            .iter()
            .map(|e| CatalogueEntry {
                name: e.title.clone(),
                source: source_text(e),
                proves: e.proves.clone(),
                pages: e.pages,
            })
            .collect())
    }

    /// The exhibits as documents of the filing: their sealed originals are uploaded as they
    /// are (from the vault, never as plaintext on disk).
    pub(crate) fn exhibit_documents(&self, case: &Case) -> Result<Vec<DraftDocument>, AppError> {
        Ok(self
            .case_exhibits(case)?
            .into_iter()
            .map(|e| DraftDocument {
                source: DocumentSource::Blob { id: e.blob_id, name: e.original_name, sha256: Some(e.sha256) },
                title: format!("证据{}：{}", e.number, e.title),
                role: DocumentRole::Evidence,
                kind: Some("evidence".into()),
                media_type: e.media_type,
            })
            .collect())
    }

    /// Logs, once per exhibit and filing, that a case's exhibits reached the court: the
    /// digest in the court's signed receipt against the digest taken at capture.
    ///
    /// # Errors
    /// [`AppError::Locked`], the vault's error.
    pub(crate) fn log_submitted_exhibits(&self) -> Result<(), AppError> {
        let (vault, cases) = self.with_open(|o| Ok((o.drafts.vault(), o.cases.list()?)))?;
        let items = courtside_sync::outbox::items(&vault)?;
        let filed: Vec<_> = cases
            .iter()
            .filter(|c| !c.exhibits.is_empty())
            .filter_map(|case| {
                let item = case.filing_item.as_deref().and_then(|id| items.iter().find(|i| i.id == id))?;
                Some((case, item, item.court_receipt()?))
            })
            .collect();
        if filed.is_empty() {
            return self.log_exchange_submissions(&vault);
        }
        self.with_locker(|locker| {
            // The log is read once, whatever the number of cases filed.
            let mut logged: std::collections::HashSet<(String, String)> = locker
                .custody(None)?
                .into_iter()
                .filter_map(|e| match e.event {
                    Event::Submitted { filing_id, .. } => Some((e.exhibit, filing_id)),
                    _ => None,
                })
                .collect();
            for (case, item, receipt) in &filed {
                for id in &case.exhibits {
                    let exhibit = locker.exhibit(id)?;
                    let Some(at) = item.filing.documents.iter().position(
                        |d| matches!(&d.source, DocumentSource::Blob { id: blob, .. } if *blob == exhibit.blob_id),
                    ) else {
                        continue;
                    };
                    let Some(court) = receipt.documents.get(at) else { continue };
                    if logged.insert((exhibit.id.clone(), receipt.filing_id.clone())) {
                        locker.log_event(
                            &exhibit.id,
                            Event::Submitted {
                                filing_id: receipt.filing_id.clone(),
                                court_sha256: court.sha256.clone(),
                                matches: court.sha256 == exhibit.sha256,
                            },
                        )?;
                    }
                }
            }
            Ok(())
        })?;
        self.log_exchange_submissions(&vault)
    }

    /// Exhibits the court took into an evidence exchange: `Submitted` with the digest the
    /// court lists, once each.
    fn log_exchange_submissions(&self, vault: &std::sync::Arc<courtside_vault::Vault>) -> Result<(), AppError> {
        use courtside_sync::actions::{ActionKind, ActionState};
        let sent: Vec<(String, String, String)> = courtside_sync::actions::actions(vault)?
            .into_iter()
            .filter_map(|a| match (a.kind, a.state) {
                (ActionKind::ExhibitSubmission { case_id, exhibit_id, .. }, ActionState::Sent { court_id, .. }) => {
                    Some((exhibit_id, case_id, court_id))
                }
                _ => None,
            })
            .collect();
        if sent.is_empty() {
            return Ok(());
        }
        let account = courtside_sync::account::account_for(vault, &self.court_url(), None)?;
        self.with_locker(|locker| {
            let logged = locker.custody(None)?;
            for (local, case, court_id) in &sent {
                let already = logged.iter().any(|e| {
                    e.exhibit == *local
                        && matches!(&e.event, Event::Submitted { filing_id, .. } if filing_id == court_id)
                });
                let listed = courtside_sync::feed::exchange(vault, &account, case)?
                    .and_then(|x| x.exhibits.into_iter().find(|e| e.id == *court_id));
                if let (false, Some(listed)) = (already, listed) {
                    let exhibit = locker.exhibit(local)?;
                    locker.log_event(
                        local,
                        Event::Submitted {
                            filing_id: court_id.clone(),
                            matches: listed.sha256 == exhibit.sha256,
                            court_sha256: listed.sha256,
                        },
                    )?;
                }
            }
            Ok(())
        })
    }

    /// Offers exhibits of the locker into a case's evidence exchange (证据交换): each is
    /// queued in the action outbox, its sealed original uploaded and submitted when the
    /// court can be reached; the custody log gets `Submitted` with the court's digest.
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] for a case the court has not opened, an unknown exhibit or
    /// an exhibit already offered in that case.
    pub fn submit_to_exchange(&self, case: &str, exhibits: &[String]) -> Result<Vec<crate::ipc::ActionView>, AppError> {
        use courtside_sync::actions::ActionKind;
        let (vault, local) = self.with_open(|o| Ok((o.drafts.vault(), o.cases.get(case)?)))?;
        let Some(court_case) = local.court_case else {
            return Err(AppError::InvalidInput("the court has not opened this case yet".into()));
        };
        let account = courtside_sync::account::account_for(&vault, &self.court_url(), None)?;
        let queued = courtside_sync::actions::actions(&vault)?;
        let mut views = Vec::new();
        for id in exhibits {
            let exhibit = self.with_locker(|l| Ok(l.exhibit(id)?))?;
            let offered = queued.iter().any(|a| {
                matches!(&a.kind, ActionKind::ExhibitSubmission { case_id, exhibit_id, .. } if *case_id == court_case && exhibit_id == id)
            });
            if offered {
                return Err(AppError::InvalidInput(format!(
                    "exhibit {} was already offered in this case",
                    exhibit.number
                )));
            }
            let kind = ActionKind::ExhibitSubmission {
                case_id: court_case.clone(),
                exhibit_id: exhibit.id.clone(),
                blob_id: exhibit.blob_id.clone(),
                file_name: exhibit.original_name.clone(),
                sha256: exhibit.sha256.clone(),
                size: exhibit.size,
                title: exhibit.title.clone(),
                proves: exhibit.proves.clone(),
                upload_url: None,
            };
            let action = courtside_sync::actions::enqueue(&vault, &account, kind)
                .map_err(|e| AppError::InvalidInput(e.to_string()))?;
            views.push(crate::court_actions::view(&action));
        }
        self.sync_now()?;
        Ok(views)
    }
}
