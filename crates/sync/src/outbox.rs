//! The durable outbox: filings waiting to reach a court, sealed in the vault.
//!
//! Every item gets its UUID when it is queued; the UUID is the filing's `Idempotency-Key`.
//! Each step is saved before it is taken, so a crash, a restart or a cut at any instant
//! resumes where it stopped:
//!
//! `queued → uploading` (each file's upload URL is saved before its bytes are sent, and
//! the upload resumes from the court's offset) `→ submitted` (the signed manifest is saved
//! before the first send, so every resend is byte-identical; once a send was attempted, the
//! court is asked by key before sending again) `→ receipted` (only after the court's receipt
//! is verified with the court's key and stored). A refusal the user must fix becomes
//! `needsAttention` with the court's reasons.
//!
//! Items are driven in batches (ADR 0058): the "being sent" marks of a batch are saved in one
//! unit of work before the first of its filings is sent, and the court's answers in one after
//! the last, so a drain commits twice per batch, not twice per item; an answer lost before
//! that second save is asked for again by the filing's key, as after any crash.

use std::path::PathBuf;
use std::sync::Arc;

use courtside_court_api::encoding::{b64url_decode, hex, sha256_hex};
use courtside_court_api::filing::{
    CaseTarget, DocumentRole, Filing, FilingReceipt, FilingStatus, ManifestDocument, Party, SubmissionManifest,
};
use courtside_court_api::signing::SignedEnvelope;
use courtside_vault::Vault;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::account::{CourtAccount, Session};
use crate::tus::{Endpoint, Progress, Source, TusClient, TusError};
use courtside_court_api::{CourtError, PolicyAnswer};

use crate::{SyncError, now, records};

/// Vault table of outbox items.
pub const OUTBOX: &str = "outbox";

/// A filing as the user prepared it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilingDraft {
    /// Court id (as in its policy).
    pub court_id: String,
    /// New case or an existing one.
    pub case: CaseTarget,
    /// Case type code.
    pub case_type: String,
    /// Title.
    pub title: String,
    /// Amount in controversy, fen.
    #[serde(default)]
    pub amount_in_controversy_fen: Option<u64>,
    /// Parties.
    #[serde(default)]
    pub parties: Vec<Party>,
    /// The files.
    pub documents: Vec<DraftDocument>,
}

/// Where a filing's file is read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "from")]
pub enum DocumentSource {
    /// A file on disk (the CLI's `--doc`).
    #[serde(rename_all = "camelCase")]
    File {
        /// Its path.
        path: PathBuf,
    },
    /// A blob sealed in the vault (a rendered document, captured evidence).
    #[serde(rename_all = "camelCase")]
    Blob {
        /// Blob id.
        id: String,
        /// File name the court is told.
        name: String,
        /// Its SHA-256 (hex) as the vault computed it while sealing. Blob ids are never
        /// reused (each sealed file gets a new one), so the digest stays true: queueing and
        /// sending trust it instead of decrypting and hashing the blob again, the blob's
        /// authenticated chunks prove it unchanged at rest, and the court checks the
        /// uploaded file against it (ADR 0057). Items queued before it existed have none;
        /// their blobs are hashed once, when queued.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sha256: Option<String>,
    },
}

/// A file of a filing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DraftDocument {
    /// Where the file is.
    pub source: DocumentSource,
    /// Title shown to the court.
    pub title: String,
    /// Lead, attachment or evidence.
    pub role: DocumentRole,
    /// Which required document it is.
    #[serde(default)]
    pub kind: Option<String>,
    /// Media type.
    pub media_type: String,
}

/// Where an item stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum ItemState {
    /// Waiting for a connection.
    Queued,
    /// Files are going up.
    Uploading,
    /// The signed filing is being sent (or its outcome is being confirmed).
    Submitted,
    /// The court's receipt is verified and stored: done.
    Receipted,
    /// The court refused, or a file changed; the user must act.
    NeedsAttention {
        /// Why, in one sentence.
        reason: String,
        /// Every individual fault the court listed.
        #[serde(default)]
        details: Vec<String>,
    },
    /// Something is wrong that retrying cannot fix (e.g. a receipt that does not verify).
    Failed {
        /// Why.
        reason: String,
    },
    /// The user withdrew it before it was sent.
    Cancelled,
}

/// Upload state of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentUpload {
    /// SHA-256 of the file when it was queued, hex.
    pub sha256: String,
    /// Its size then.
    pub bytes: u64,
    /// For a file on disk, its modification time then (nanoseconds since 1970): with the
    /// size, how sending tells that the file is as it was queued without reading it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_ns: Option<u64>,
    /// The upload at the court, once created.
    #[serde(default)]
    pub upload_url: Option<String>,
    /// Whether the court holds all of it.
    #[serde(default)]
    pub uploaded: bool,
}

/// An outbox item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxItem {
    /// UUID; the `Idempotency-Key`.
    pub id: String,
    /// Court base URL.
    pub court: String,
    /// Account at the court.
    pub username: String,
    /// When it was queued (Unix seconds).
    pub created_at: i64,
    /// Where it stands.
    pub state: ItemState,
    /// What is being filed.
    pub filing: FilingDraft,
    /// Upload state per file, in the draft's order.
    pub uploads: Vec<DocumentUpload>,
    /// The signed manifest, fixed before the first send.
    #[serde(default)]
    pub envelope: Option<SignedEnvelope>,
    /// Whether a send was attempted (its outcome may be unknown).
    #[serde(default)]
    pub send_attempted: bool,
    /// The court's filing id.
    #[serde(default)]
    pub filing_id: Option<String>,
    /// The court's signed receipt (payload: [`FilingReceipt`]).
    #[serde(default)]
    pub receipt: Option<SignedEnvelope>,
    /// The court's status of the filing, as last heard.
    #[serde(default)]
    pub court_status: Option<FilingStatus>,
    /// Failed attempts so far.
    #[serde(default)]
    pub attempts: u32,
    /// The last failure.
    #[serde(default)]
    pub last_error: Option<String>,
    /// Held back by the user (e.g. to let a large upload wait for a better connection).
    #[serde(default)]
    pub paused: bool,
    /// The vault revision it was read at (0: not stored yet); every save expects it, so a
    /// change made meanwhile (the user pausing or withdrawing it while the engine works on
    /// it) is a conflict, never overwritten. Not stored.
    #[serde(skip)]
    pub revision: u64,
}

impl OutboxItem {
    /// The court's receipt, once received (its signature and hashes were checked then).
    #[must_use]
    pub fn court_receipt(&self) -> Option<FilingReceipt> {
        let payload = b64url_decode(&self.receipt.as_ref()?.payload)?;
        serde_json::from_slice(&payload).ok()
    }

    /// Whether the engine still has work to do on it (paused or not).
    #[must_use]
    pub fn pending(&self) -> bool {
        matches!(self.state, ItemState::Queued | ItemState::Uploading | ItemState::Submitted)
    }

    /// Whether it may still be withdrawn: no send of the filing was attempted, so the court
    /// cannot have it.
    #[must_use]
    pub fn cancellable(&self) -> bool {
        matches!(self.state, ItemState::Queued | ItemState::Uploading) && !self.send_attempted
    }
}

/// One item, as stored now (with its revision).
///
/// # Errors
/// [`SyncError::Vault`], or a record that does not parse.
pub fn load_item(vault: &Vault, id: &str) -> Result<Option<OutboxItem>, SyncError> {
    vault.get(OUTBOX, id)?.map(|r| parse_item(&r)).transpose()
}

fn parse_item(r: &courtside_vault::Record) -> Result<OutboxItem, SyncError> {
    let mut item: OutboxItem = serde_json::from_slice(&r.plaintext)
        .map_err(|e| SyncError::Protocol(format!("record {OUTBOX}/{}: {e}", r.id)))?;
    item.revision = r.revision;
    Ok(item)
}

/// An item as its record stores it.
fn stored_json(item: &OutboxItem) -> Result<zeroize::Zeroizing<Vec<u8>>, SyncError> {
    serde_json::to_vec(item).map(zeroize::Zeroizing::new).map_err(|e| SyncError::Protocol(e.to_string()))
}

/// Saves `item` if nobody changed it since it was read (compare-and-swap on its revision);
/// its revision then moves on.
///
/// # Errors
/// [`SyncError::Vault`] with [`courtside_vault::VaultError::Conflict`] when it was changed
/// meanwhile (nothing is written then).
pub fn save_item(vault: &Vault, item: &mut OutboxItem) -> Result<(), SyncError> {
    let json = stored_json(item)?;
    vault.transaction(|tx| tx.put_expecting(OUTBOX, &item.id, records::SCHEMA, item.revision, &json))?;
    item.revision += 1;
    Ok(())
}

/// Reads, changes and saves one item, again from the start when the engine saved it
/// meanwhile (a few times; then the conflict is reported).
fn change_item(
    vault: &Vault,
    id: &str,
    change: impl Fn(&mut OutboxItem) -> Result<(), SyncError>,
) -> Result<OutboxItem, SyncError> {
    let mut attempts = 0;
    loop {
        let mut item = load_item(vault, id)?.ok_or_else(|| SyncError::File(format!("no outbox item {id}")))?;
        change(&mut item)?;
        match save_item(vault, &mut item) {
            Err(SyncError::Vault(courtside_vault::VaultError::Conflict { .. })) if attempts < 5 => attempts += 1,
            other => return other.map(|()| item),
        }
    }
}

/// Pauses or resumes an item. Safe while the account's engine works on it: the engine's
/// next save of the item conflicts and leaves it as the user set it.
///
/// # Errors
/// [`SyncError::File`] when there is no such item or it has nothing left to do.
pub fn set_paused(vault: &Vault, id: &str, paused: bool) -> Result<OutboxItem, SyncError> {
    change_item(vault, id, |item| {
        if !item.pending() {
            return Err(SyncError::File(format!("{} has nothing left to send", item.filing.title)));
        }
        item.paused = paused;
        Ok(())
    })
}

/// Withdraws an item that was not sent yet. Safe while the engine works on it: the engine
/// marks an item as being sent (a save that would conflict) before it sends it.
///
/// # Errors
/// [`SyncError::File`] when it may already be at the court.
pub fn cancel(vault: &Vault, id: &str) -> Result<OutboxItem, SyncError> {
    change_item(vault, id, |item| {
        if !item.cancellable() {
            return Err(SyncError::File(format!(
                "{} may already be at the court; it can no longer be withdrawn here",
                item.filing.title
            )));
        }
        item.state = ItemState::Cancelled;
        item.paused = false;
        Ok(())
    })
}

/// SHA-256 (hex), size and (for a file on disk) modification time of a document's bytes:
/// a file is read and hashed; a blob whose digest the vault gave at sealing is not read.
fn fingerprint(vault: &Vault, source: &DocumentSource) -> Result<(String, u64, Option<u64>), SyncError> {
    match source {
        DocumentSource::File { path } => {
            let file_err = |e: std::io::Error| SyncError::File(format!("{}: {e}", path.display()));
            let before = modified_ns(path).map_err(file_err)?;
            let (digest, size) = crate::sha256_file(path).map_err(file_err)?;
            // A file written while it was read, or so lately that a write in the same tick of
            // the file system's clock would keep its time, has no stamp: sending hashes it
            // again (git's "racy" entries are the same problem).
            let after = modified_ns(path).map_err(file_err)?;
            let settled = modified_ns_now().saturating_sub(RACY_NS);
            Ok((hex(&digest), size, before.filter(|&m| before == after && m < settled)))
        }
        DocumentSource::Blob { id, sha256: Some(sha256), .. } => {
            if courtside_court_api::encoding::parse_sha256_hex(sha256).is_none() {
                return Err(SyncError::Protocol(format!("blob {id}: its recorded digest is damaged")));
            }
            Ok((sha256.to_ascii_lowercase(), vault.blob_size(id)?, None))
        }
        DocumentSource::Blob { id, sha256: None, .. } => {
            let info = vault.read_blob(id, &mut std::io::sink())?;
            Ok((info.sha256, info.size, None))
        }
    }
}

/// How old a file's modification time must be for it to tell the file unchanged.
const RACY_NS: u64 = 2_000_000_000;

fn modified_ns_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| u64::try_from(d.as_nanos()).ok())
        .unwrap_or(0)
}

/// A file's modification time in nanoseconds since 1970, if the system keeps one.
fn modified_ns(path: &std::path::Path) -> std::io::Result<Option<u64>> {
    let modified = std::fs::metadata(path)?.modified().ok();
    Ok(modified
        .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
        .and_then(|d| u64::try_from(d.as_nanos()).ok()))
}

/// Whether a document is still what was queued, checked without hashing it again where
/// that is sound: a blob by its size (its id names one sealed content for ever, and its
/// chunks are authenticated as they are read), a file by its size and modification time;
/// only a file queued without a time stamp is read and hashed again. The court checks
/// every uploaded file against the digest in any case.
fn unchanged(vault: &Vault, source: &DocumentSource, queued: &DocumentUpload) -> Result<bool, SyncError> {
    match (source, queued.modified_ns) {
        (DocumentSource::Blob { id, .. }, _) => Ok(vault.blob_size(id)? == queued.bytes),
        (DocumentSource::File { path }, Some(stamp)) => {
            let file_err = |e: std::io::Error| SyncError::File(format!("{}: {e}", path.display()));
            let size = std::fs::metadata(path).map_err(file_err)?.len();
            Ok(size == queued.bytes && modified_ns(path).map_err(file_err)? == Some(stamp))
        }
        (DocumentSource::File { .. }, None) => {
            fingerprint(vault, source).map(|(sha256, size, _)| sha256 == queued.sha256 && size == queued.bytes)
        }
    }
}

/// Queues a filing for an account: fingerprints its files and gives it its UUID.
///
/// # Errors
/// [`SyncError::File`] for an unreadable file; [`SyncError::Vault`].
pub fn enqueue(vault: &Vault, account: &CourtAccount, filing: FilingDraft) -> Result<OutboxItem, SyncError> {
    let mut item = prepare(vault, account, filing)?;
    vault.transaction(|tx| stage(tx, &item))?;
    item.revision = 1;
    Ok(item)
}

/// Stages a new outbox item, made by [`prepare`], in the caller's unit of work (with the
/// record of whatever it files, so both are committed together or neither is).
///
/// # Errors
/// [`SyncError::Vault`], with a conflict when an item of that id exists already.
pub fn stage(tx: &mut courtside_vault::Transaction<'_>, item: &OutboxItem) -> Result<(), SyncError> {
    let json = stored_json(item)?;
    tx.put_expecting(OUTBOX, &item.id, records::SCHEMA, 0, &json)?;
    Ok(())
}

/// A new outbox item for `filing`, not yet written: every document fingerprinted (read and
/// hashed, which takes time, so it happens before the unit of work that stages the item).
///
/// # Errors
/// No documents; a document that cannot be read.
pub fn prepare(vault: &Vault, account: &CourtAccount, filing: FilingDraft) -> Result<OutboxItem, SyncError> {
    if filing.documents.is_empty() {
        return Err(SyncError::File("a filing needs at least one document".into()));
    }
    let uploads = filing
        .documents
        .iter()
        .map(|d| {
            fingerprint(vault, &d.source).map(|(sha256, bytes, modified_ns)| DocumentUpload {
                sha256,
                bytes,
                modified_ns,
                upload_url: None,
                uploaded: false,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let item = OutboxItem {
        id: uuid::Uuid::new_v4().to_string(),
        court: account.court.clone(),
        username: account.username.clone(),
        created_at: now(),
        state: ItemState::Queued,
        filing,
        uploads,
        envelope: None,
        send_attempted: false,
        filing_id: None,
        receipt: None,
        court_status: None,
        attempts: 0,
        last_error: None,
        paused: false,
        revision: 0,
    };
    Ok(item)
}

/// Every item, oldest first.
///
/// # Errors
/// [`SyncError::Vault`].
pub fn items(vault: &Vault) -> Result<Vec<OutboxItem>, SyncError> {
    let mut all: Vec<OutboxItem> = vault.list(OUTBOX)?.iter().map(parse_item).collect::<Result<_, _>>()?;
    all.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(all)
}

/// What a drain did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrainReport {
    /// Items receipted in this run.
    pub receipted: usize,
    /// Items that now need the user.
    pub needs_attention: usize,
    /// Items still waiting (the court was unreachable or busy).
    pub waiting: usize,
    /// The last transient failure, if any.
    pub last_error: Option<String>,
}

/// Drives one account's pending items as far as the court lets them go.
#[derive(Debug)]
pub struct Drain<'a> {
    vault: Arc<Vault>,
    session: &'a mut Session,
    tus: &'a TusClient,
}

/// The outcome of one attempt on an item.
enum Step {
    /// Finished, or needs the user: nothing more to do now.
    Settled,
    /// Try again later; `stop` when the court seems gone (no point trying other items).
    Later { why: String, stop: bool },
}

/// Where an item of a batch stands between the phases of [`Drain::run`].
enum Next {
    /// Its files are at the court: it is to be signed and sent.
    Ready,
    /// Signed, and marked as being sent: to be sent.
    Send,
    /// Sent in an earlier run with an unknown outcome: the court is asked first.
    Ask,
    /// Settled and saved already (done, or the user must act).
    Kept,
    /// Changed in memory by the court's answer or a failed attempt: to be saved.
    Changed(Step),
    /// The user changed it meanwhile: their word stands, it is left for the next run.
    Theirs,
    /// Not tried in this run (the court seemed gone).
    Untried,
}

/// What [`Drain::prepare`] left an item as.
enum Prepared {
    /// Every file is at the court.
    Uploaded,
    /// Signed and sent in an earlier run.
    Submitted,
    /// Nothing to do (not pending).
    Kept,
    /// It went no further; `true` when its new state is saved already.
    Step(Step, bool),
}

/// Where an attempt left an item, the errors sorted as the drain treats them.
fn outcome(result: Result<Prepared, SyncError>) -> Result<Next, SyncError> {
    Ok(match result {
        Ok(Prepared::Uploaded) => Next::Ready,
        Ok(Prepared::Submitted) => Next::Ask,
        Ok(Prepared::Kept | Prepared::Step(Step::Settled, true)) => Next::Kept,
        Ok(Prepared::Step(step, _)) => Next::Changed(step),
        // The user paused or withdrew it meanwhile: their word stands; the next run reads it
        // again.
        Err(SyncError::Vault(courtside_vault::VaultError::Conflict { .. })) => Next::Theirs,
        Err(SyncError::Vault(e)) => return Err(SyncError::Vault(e)),
        Err(e @ (SyncError::Unreachable(_) | SyncError::NotSignedIn(_))) => {
            Next::Changed(Step::Later { why: e.to_string(), stop: true })
        }
        Err(e) => Next::Changed(Step::Later { why: e.to_string(), stop: false }),
    })
}

/// Saves the items of `batch` at `which` in one unit of work. An item the user changed since
/// it was read is left as they set it (`false` in its place); the others' revisions move on.
fn save_items(vault: &Vault, batch: &mut [(OutboxItem, Next)], which: &[usize]) -> Result<Vec<bool>, SyncError> {
    if which.is_empty() {
        return Ok(Vec::new());
    }
    let jsons = which.iter().map(|&k| stored_json(&batch[k].0)).collect::<Result<Vec<_>, _>>()?;
    let saved = vault.transaction(|tx| {
        let mut saved = Vec::with_capacity(which.len());
        for (&k, json) in which.iter().zip(&jsons) {
            let item = &batch[k].0;
            match tx.put_expecting(OUTBOX, &item.id, records::SCHEMA, item.revision, json) {
                Ok(()) => saved.push(true),
                Err(courtside_vault::VaultError::Conflict { .. }) => saved.push(false),
                Err(e) => return Err(SyncError::Vault(e)),
            }
        }
        Ok(saved)
    })?;
    for (&k, kept) in which.iter().zip(&saved) {
        if *kept {
            batch[k].0.revision += 1;
        }
    }
    Ok(saved)
}

/// A batch closes after this many items, so the "being sent" marks of its items are saved
/// in one unit of work before any is sent, and the court's answers to them in one after the
/// last (two commits per batch, not two per item) ...
const BATCH_ITEMS: usize = 64;
/// ... or once its uploads have taken this long, so a receipt is never kept waiting long.
/// An item with a file of more than one chunk is a batch of its own.
const BATCH_TIME: std::time::Duration = std::time::Duration::from_secs(1);

impl<'a> Drain<'a> {
    /// Prepares a drain for the session's account.
    ///
    /// # Errors
    /// [`SyncError::Protocol`] if the HTTP client cannot start.
    pub fn new(vault: Arc<Vault>, session: &'a mut Session, tus: &'a TusClient) -> Result<Self, SyncError> {
        Ok(Self { vault, session, tus })
    }

    /// Runs every pending item of the account once through its next steps, oldest first,
    /// in batches: each batch's files are uploaded, its filings signed and marked as being
    /// sent (one save), sent one after the other in order, and the court's answers kept
    /// (one save). Each item is saved in a state a restart resumes from: an answer lost
    /// before the batch's last save is asked for again, by the filing's key.
    ///
    /// # Errors
    /// [`SyncError::Vault`] (a vault failure stops everything); court trouble is reported in
    /// the [`DrainReport`] and left for the next run.
    pub async fn run(
        &mut self,
        progress: &mut (dyn FnMut(&OutboxItem, Progress) + Send),
    ) -> Result<DrainReport, SyncError> {
        let mut report = DrainReport::default();
        let account = self.session.account().clone();
        let mut pending = items(&self.vault)?
            .into_iter()
            .filter(|i| i.pending() && !i.paused && i.court == account.court && i.username == account.username)
            .peekable();
        let mut stopped = false;
        // An item with a file of several chunks to send goes in a batch of its own: the items
        // before it do not wait for its upload to be kept.
        let chunk = self.tus.chunk_size();
        let large = |i: &OutboxItem| i.uploads.iter().any(|u| !u.uploaded && u.bytes > chunk);
        while pending.peek().is_some() {
            let started = std::time::Instant::now();
            let mut batch: Vec<(OutboxItem, Next)> = Vec::new();
            while batch.len() < BATCH_ITEMS && started.elapsed() < BATCH_TIME {
                if !batch.is_empty() && pending.peek().is_some_and(large) {
                    break;
                }
                let Some(mut item) = pending.next() else { break };
                let alone = large(&item);
                let next = if stopped { Next::Untried } else { outcome(self.prepare(&mut item, progress).await)? };
                stopped |= matches!(next, Next::Changed(Step::Later { stop: true, .. }));
                batch.push((item, next));
                if alone {
                    break;
                }
            }
            self.finish(&mut batch, &mut stopped).await?;
            for (item, next) in &batch {
                match next {
                    Next::Kept | Next::Changed(Step::Settled) => match item.state {
                        ItemState::Receipted => report.receipted += 1,
                        ItemState::NeedsAttention { .. } | ItemState::Failed { .. } => report.needs_attention += 1,
                        _ => report.waiting += 1,
                    },
                    Next::Changed(Step::Later { why, .. }) => {
                        report.waiting += 1;
                        report.last_error = Some(why.clone());
                    }
                    _ => report.waiting += 1,
                }
            }
        }
        Ok(report)
    }

    /// Signs the batch's ready items and marks them as being sent (one save), sends them
    /// and those of earlier runs in order, and saves what changed (one save).
    async fn finish(&mut self, batch: &mut [(OutboxItem, Next)], stopped: &mut bool) -> Result<(), SyncError> {
        if !*stopped {
            for (item, next) in batch.iter_mut() {
                if matches!(next, Next::Ready) {
                    item.envelope = Some(self.sign(item)?);
                    item.state = ItemState::Submitted;
                    // Signed and about to be sent: after a crash from here on, the court is
                    // asked whether it has the filing before it is sent again.
                    item.send_attempted = true;
                }
            }
            let signed: Vec<usize> = (0..batch.len()).filter(|&k| matches!(batch[k].1, Next::Ready)).collect();
            let saved = save_items(&self.vault, batch, &signed)?;
            for (k, kept) in signed.into_iter().zip(saved) {
                batch[k].1 = if kept { Next::Send } else { Next::Theirs };
            }
        }
        for (item, next) in batch.iter_mut() {
            let step = match next {
                Next::Send if !*stopped => self.send(item).await,
                Next::Ask if !*stopped => self.submit(item).await,
                // Uploaded but not signed (the court seemed gone): saved as it is, so its files
                // are not sent again; it is signed at the next run.
                Next::Ready => {
                    *next = Next::Changed(Step::Settled);
                    continue;
                }
                Next::Send | Next::Ask => {
                    *next = Next::Untried;
                    continue;
                }
                _ => continue,
            };
            *next = outcome(step.map(|step| Prepared::Step(step, false)))?;
            *stopped |= matches!(next, Next::Changed(Step::Later { stop: true, .. }));
        }
        let changed: Vec<usize> = (0..batch.len()).filter(|&k| matches!(batch[k].1, Next::Changed(_))).collect();
        for &k in &changed {
            if let (item, Next::Changed(Step::Later { why, .. })) = &mut batch[k] {
                item.attempts += 1;
                item.last_error = Some(why.clone());
            }
        }
        let saved = save_items(&self.vault, batch, &changed)?;
        for (k, kept) in changed.into_iter().zip(saved) {
            if !kept {
                batch[k].1 = Next::Theirs;
            }
        }
        Ok(())
    }

    fn save(&self, item: &mut OutboxItem) -> Result<(), SyncError> {
        save_item(&self.vault, item)
    }

    fn attention(&self, item: &mut OutboxItem, reason: String, details: Vec<String>) -> Result<Step, SyncError> {
        item.state = ItemState::NeedsAttention { reason, details };
        self.save(item)?;
        Ok(Step::Settled)
    }

    /// Uploads the item's files that are not at the court yet; says where that left it.
    async fn prepare(
        &mut self,
        item: &mut OutboxItem,
        progress: &mut (dyn FnMut(&OutboxItem, Progress) + Send),
    ) -> Result<Prepared, SyncError> {
        // An item whose court address is damaged goes no further (the requests themselves go
        // to the session's court).
        Url::parse(&item.court)?;
        if item.state == ItemState::Submitted {
            return Ok(Prepared::Submitted);
        }
        if !matches!(item.state, ItemState::Queued | ItemState::Uploading) {
            return Ok(Prepared::Kept);
        }
        for i in 0..item.uploads.len() {
            if item.uploads[i].uploaded {
                continue;
            }
            let doc = item.filing.documents[i].source.clone();
            let step = match unchanged(&self.vault, &doc, &item.uploads[i]) {
                Ok(true) => None,
                Ok(false) => {
                    let title = item.filing.documents[i].title.clone();
                    Some(self.attention(
                        item,
                        format!("{title}: the file changed after the filing was queued; queue it again"),
                        Vec::new(),
                    )?)
                }
                Err(e) => Some(self.attention(item, e.to_string(), Vec::new())?),
            };
            if let Some(step) = step {
                return Ok(Prepared::Step(step, true));
            }
            let source = match doc {
                DocumentSource::File { path } => Source::File(path),
                DocumentSource::Blob { id, name, .. } => Source::Blob { vault: self.vault.clone(), id, name },
            };
            if let Some(step) = self.upload(item, i, &source, progress).await? {
                // A settled step was saved by `upload`; a later one is saved with the batch.
                let saved = matches!(step, Step::Settled);
                return Ok(Prepared::Step(step, saved));
            }
        }
        Ok(Prepared::Uploaded)
    }

    /// Uploads file `i`; `Some(step)` when the item cannot go further now.
    async fn upload(
        &mut self,
        item: &mut OutboxItem,
        i: usize,
        source: &Source,
        progress: &mut (dyn FnMut(&OutboxItem, Progress) + Send),
    ) -> Result<Option<Step>, SyncError> {
        let creation = self.session.court()?.uploads_endpoint();
        let digest = courtside_court_api::encoding::parse_sha256_hex(&item.uploads[i].sha256)
            .ok_or_else(|| SyncError::Protocol("a queued file's digest is damaged".into()))?;
        let mut refreshed = false;
        loop {
            let ep = Endpoint::new(creation.as_str(), Some(self.session.bearer(refreshed).await?))?;
            let (url, created) = match &item.uploads[i].upload_url {
                Some(u) => (Url::parse(u)?, false),
                None => {
                    let url = match self.tus.create_upload_known(&ep, source.clone(), &digest).await {
                        Err(TusError::Refused { status: 401, .. }) if !refreshed => {
                            refreshed = true;
                            continue;
                        }
                        other => other?,
                    };
                    // Saved before any byte is sent, so that a restart resumes this very upload
                    // (a file of one chunk is simply sent again: nothing to resume).
                    item.uploads[i].upload_url = Some(url.to_string());
                    item.state = ItemState::Uploading;
                    if item.uploads[i].bytes > self.tus.chunk_size() {
                        self.save(item)?;
                    }
                    (url, true)
                }
            };
            let snapshot = item.clone();
            // The file was checked just now against what was queued; the court checks the bytes
            // against the digest. An upload created just now starts at its first byte; one
            // from an earlier run asks the court where it stands.
            let mut report_progress = |p| progress(&snapshot, p);
            let result = if created {
                self.tus.upload_created(&ep, source.clone(), &digest, url, &mut report_progress).await
            } else {
                self.tus.upload_known(&ep, source.clone(), &digest, Some(url), &mut report_progress).await
            };
            match result {
                Ok(report) if report.sha256 == item.uploads[i].sha256 => {
                    // Kept with the item's next save (the next file's upload, or the signed
                    // manifest): lost in a crash, the court's offset says it is complete.
                    item.uploads[i].uploaded = true;
                    return Ok(None);
                }
                Ok(report) => {
                    return self
                        .attention(
                            item,
                            format!(
                                "{}: the file changed while it was uploaded ({})",
                                item.filing.documents[i].title, report.sha256
                            ),
                            Vec::new(),
                        )
                        .map(Some);
                }
                Err(TusError::Refused { status: 401, .. }) if !refreshed => refreshed = true,
                // The court no longer has the upload (expired, deleted): start it again.
                Err(TusError::Refused { status: 404 | 410, .. }) => {
                    item.uploads[i].upload_url = None;
                    self.save(item)?;
                    return Ok(Some(Step::Later {
                        why: "the court dropped the upload; it starts again".into(),
                        stop: false,
                    }));
                }
                Err(TusError::Refused { status, detail }) => {
                    return self
                        .attention(
                            item,
                            format!(
                                "{}: the court refused the file ({status}): {detail}",
                                item.filing.documents[i].title
                            ),
                            Vec::new(),
                        )
                        .map(Some);
                }
                Err(TusError::File { reason, .. }) => return self.attention(item, reason, Vec::new()).map(Some),
                Err(e) => return Ok(Some(Step::Later { why: e.to_string(), stop: true })),
            }
        }
    }

    fn sign(&self, item: &OutboxItem) -> Result<SignedEnvelope, SyncError> {
        let account = self.session.account();
        let documents = item
            .filing
            .documents
            .iter()
            .zip(&item.uploads)
            .map(|(d, u)| {
                let url = u
                    .upload_url
                    .as_deref()
                    .ok_or_else(|| SyncError::Protocol("an uploaded file has no upload URL".into()))?;
                let upload_id = Url::parse(url)?
                    .path_segments()
                    .and_then(|mut s| s.next_back().map(str::to_owned))
                    .unwrap_or_default();
                Ok(ManifestDocument {
                    upload_id,
                    title: d.title.clone(),
                    role: d.role,
                    kind: d.kind.clone(),
                    sha256: u.sha256.clone(),
                    bytes: u.bytes,
                    media_type: d.media_type.clone(),
                })
            })
            .collect::<Result<Vec<_>, SyncError>>()?;
        let manifest = SubmissionManifest {
            idempotency_key: item.id.clone(),
            court: item.filing.court_id.clone(),
            case: item.filing.case.clone(),
            case_type: item.filing.case_type.clone(),
            title: item.filing.title.clone(),
            amount_in_controversy_fen: item.filing.amount_in_controversy_fen,
            parties: item.filing.parties.clone(),
            documents,
            signed_at: time::OffsetDateTime::now_utc(),
        };
        Ok(SignedEnvelope::sign(&manifest, &account.device_key()?, &account.device_id))
    }

    /// Sends a filing signed earlier: after asking the court first when an earlier send's
    /// outcome is unknown.
    async fn submit(&mut self, item: &mut OutboxItem) -> Result<Step, SyncError> {
        if item.envelope.is_none() {
            return Err(SyncError::Protocol("submitted without a signed manifest".into()));
        }
        if item.send_attempted {
            // An earlier send's outcome is unknown: ask before sending again.
            let (client, token) = self.session.litigant(false).await?;
            match client.litigant(&token).filing_by_key(&item.id).await {
                Ok(Some(filing)) => return self.accept(item, filing).await,
                Ok(None) => {}
                Err(e) => {
                    return Ok(Step::Later { stop: matches!(e, CourtError::Unreachable { .. }), why: e.to_string() });
                }
            }
        }
        if !item.send_attempted {
            item.send_attempted = true;
            self.save(item)?;
        }
        self.send(item).await
    }

    /// Sends the signed filing (its attempt is saved already) and takes the court's answer
    /// into the item (saved with the batch).
    async fn send(&mut self, item: &mut OutboxItem) -> Result<Step, SyncError> {
        let envelope =
            item.envelope.clone().ok_or_else(|| SyncError::Protocol("submitted without a signed manifest".into()))?;
        let mut refreshed = false;
        loop {
            let (client, token) = self.session.litigant(refreshed).await?;
            let problem = match client.litigant(&token).submit_filing(&item.id, &envelope).await {
                Ok(filing) => return self.accept(item, filing).await,
                Err(CourtError::Court(problem)) => problem,
                // Sent or not, answered or not: the next attempt asks the court first.
                Err(e) => {
                    return Ok(Step::Later {
                        why: format!("outcome unknown, will ask the court: {e}"),
                        stop: matches!(e, CourtError::Unreachable { .. }),
                    });
                }
            };
            let status = problem.status;
            match status {
                401 if !refreshed => refreshed = true,
                409 | 429 | 500..=599 => {
                    return Ok(Step::Later {
                        why: format!("{status}: {}", problem.detail.unwrap_or(problem.title)),
                        stop: status >= 500,
                    });
                }
                _ => {
                    let reason = problem.detail.clone().unwrap_or_else(|| problem.title.clone());
                    let details = problem.errors.iter().map(|e| e.detail.clone()).collect();
                    // A refusal is final for this manifest: a corrected filing is signed anew.
                    // (Saved with the batch.)
                    item.envelope = None;
                    item.send_attempted = false;
                    item.state = ItemState::NeedsAttention { reason, details };
                    return Ok(Step::Settled);
                }
            }
        }
    }

    /// Verifies the court's receipt against the court's key and what was sent, and takes it
    /// into the item (saved with the batch).
    async fn accept(&mut self, item: &mut OutboxItem, filing: Filing) -> Result<Step, SyncError> {
        if self.session.account().court_keys.is_empty() {
            // An account signed in with an earlier version has no pinned keys: they are
            // pinned now from the court's policy. A failure to fetch them says nothing about
            // the receipt: the filing stays submitted and is checked next time.
            match self.session.court()?.policy(&item.filing.court_id, None).await {
                Ok(PolicyAnswer::Policy { policy, .. }) => self.session.pin_court_keys(policy.signing_keys)?,
                Ok(PolicyAnswer::NotModified) => {}
                Err(e) => {
                    return Ok(Step::Later {
                        why: format!("the court's keys could not be fetched to check its receipt: {e}"),
                        stop: matches!(e, CourtError::Unreachable { .. }),
                    });
                }
            }
        }
        let pinned = &self.session.account().court_keys;
        if !pinned.iter().any(|k| k.key_id == filing.receipt.key_id) {
            // Not proof of anything wrong with the filing (the court may have changed its
            // key), but not a receipt this computer can trust either: it stays submitted,
            // the reason is shown, and it is checked again after the user signs in again
            // (which trusts the court's keys of that moment).
            return Ok(Step::Later {
                why: format!(
                    "the court signed its receipt with a key this computer does not know ({}); \
                     sign in to the court again to trust its new key",
                    filing.receipt.key_id
                ),
                stop: false,
            });
        }
        match self.verify_receipt(item, &filing) {
            Ok(()) => {
                item.filing_id = Some(filing.id.clone());
                item.receipt = Some(filing.receipt.clone());
                item.court_status = Some(filing.status.clone());
                item.state = ItemState::Receipted;
                item.last_error = None;
                Ok(Step::Settled)
            }
            Err(SyncError::Protocol(why)) => {
                item.state = ItemState::Failed { reason: format!("the court's receipt does not verify: {why}") };
                Ok(Step::Settled)
            }
            Err(e) => Err(e),
        }
    }

    /// Checks a receipt against the keys pinned at sign-in (offline: nothing is fetched).
    fn verify_receipt(&self, item: &OutboxItem, filing: &Filing) -> Result<(), SyncError> {
        let key = self
            .session
            .account()
            .court_keys
            .iter()
            .find(|k| k.key_id == filing.receipt.key_id)
            .and_then(|k| b64url_decode(&k.public_key))
            .ok_or_else(|| SyncError::Protocol(format!("unknown court key {}", filing.receipt.key_id)))?;
        let (receipt, _): (FilingReceipt, _) =
            filing.receipt.open(&key).map_err(|e| SyncError::Protocol(e.to_string()))?;
        let sent = item
            .envelope
            .as_ref()
            .and_then(|e| b64url_decode(&e.payload))
            .ok_or_else(|| SyncError::Protocol("no manifest".into()))?;
        if receipt.idempotency_key != item.id || receipt.filing_id != filing.id {
            return Err(SyncError::Protocol("the receipt names another filing".into()));
        }
        if receipt.manifest_sha256 != sha256_hex(&sent) {
            return Err(SyncError::Protocol("the receipt is for another manifest".into()));
        }
        let local: Vec<&str> = item.uploads.iter().map(|u| u.sha256.as_str()).collect();
        let court_side: Vec<&str> = receipt.documents.iter().map(|d| d.sha256.as_str()).collect();
        if local != court_side {
            return Err(SyncError::Protocol("the court's file hashes differ from ours".into()));
        }
        Ok(())
    }
}
