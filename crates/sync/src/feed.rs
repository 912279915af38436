//! Pulling the court's change feed into the vault.
//!
//! The cursor is kept in the vault and advanced only after a page is applied, so a crash
//! re-applies at most one page; every event is applied idempotently (records keyed by the
//! court's ids; a served document is downloaded, checked against its SHA-256, sealed and
//! acknowledged once). What needs the user comes back as [`Notice`]s.

use std::sync::Arc;

use courtside_court_api::encoding::sha256_hex;
use courtside_court_api::filing::{ChangeEvent, ChangePage, FilingStatus, ServedDocument};
use courtside_court_api::hearing::{ExchangedExhibit, FeeNotice, Hearing, MediationMessage};
use courtside_court_api::{ContentStream, CourtClient, Litigant};
use courtside_vault::Vault;
use serde::{Deserialize, Serialize};

use crate::account::Session;
use crate::{SyncError, records};

/// Vault table of what the court told us (served documents, hearings, fees, messages).
pub const REPLICA: &str = "court_replica";
/// Vault table of change-feed cursors, one per account.
pub const CURSORS: &str = "feed_cursors";

/// A served document as kept locally.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServedCopy {
    /// The court's record, with the receipt time it recorded.
    pub document: ServedDocument,
    /// The vault blob holding the content.
    pub blob_id: String,
}

/// What kind of news a [`Notice`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// The court's word on a filing.
    Filing,
    /// A served document.
    Served,
    /// A hearing scheduled or changed.
    Hearing,
    /// A fee notice, or a fee paid.
    Fee,
    /// Mediation.
    Mediation,
    /// Evidence in the exchange.
    Evidence,
}

impl NoticeKind {
    /// Its name in the CLI's output and in logs.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Filing => "filing",
            Self::Served => "served",
            Self::Hearing => "hearing",
            Self::Fee => "fee",
            Self::Mediation => "mediation",
            Self::Evidence => "evidence",
        }
    }
}

/// Something the user should be told about (a desktop notification).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// What kind of news.
    pub kind: NoticeKind,
    /// One line for the notification.
    pub text: String,
}

/// What a pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullReport {
    /// Events read from the feed.
    pub events: usize,
    /// Events that changed something here (the rest were already applied).
    pub applied: usize,
    /// For the user.
    pub notices: Vec<Notice>,
}

/// Pages read in one pull at most (100 events each); the rest waits for the next pull.
const MAX_PAGES_PER_PULL: usize = 100;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Cursor {
    cursor: String,
}

/// Reads the feed from the stored cursor to its end and applies every event.
///
/// # Errors
/// [`SyncError`]; what was applied before the error stays applied, and the cursor stays at
/// the last fully applied page.
pub async fn pull(vault: &Arc<Vault>, session: &mut Session) -> Result<PullReport, SyncError> {
    let account = session.account().clone();
    let cursor_id = account.id();
    let mut cursor = records::load::<Cursor>(vault, CURSORS, &cursor_id)?.unwrap_or_default().cursor;
    let mut report = PullReport::default();
    let mut pages = 0;
    loop {
        let (court, token) = session.litigant(false).await?;
        let page: ChangePage = court.litigant(&token).changes(&cursor, 100).await?;
        for change in &page.changes {
            report.events += 1;
            let mut applier = Applier { vault, session: &mut *session, court: &court };
            if let Some(notice) = applier.apply(&change.event).await? {
                report.applied += 1;
                report.notices.extend(notice);
            }
        }
        if page.more && page.next_cursor == cursor {
            // "More" without moving on would loop for ever: a broken or hostile court.
            return Err(SyncError::Protocol("the change feed says there is more but does not move on".into()));
        }
        cursor.clone_from(&page.next_cursor);
        records::save(vault, CURSORS, &cursor_id, &Cursor { cursor: cursor.clone() })?;
        if !page.more {
            break;
        }
        pages += 1;
        if pages >= MAX_PAGES_PER_PULL {
            // The rest comes at the next pull; the cursor is kept.
            break;
        }
    }
    Ok(report)
}

/// What the court sends, read as a blocking reader by the thread that seals it.
struct Arriving {
    rx: tokio::sync::mpsc::Receiver<Result<Option<bytes::Bytes>, String>>,
    current: bytes::Bytes,
    ended: bool,
}

impl std::io::Read for Arriving {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            if self.ended {
                return Ok(0);
            }
            match self.rx.blocking_recv() {
                Some(Ok(Some(piece))) => self.current = piece,
                Some(Ok(None)) => self.ended = true,
                Some(Err(e)) => return Err(std::io::Error::other(e)),
                None => return Err(std::io::Error::other("the download stopped before its end")),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// Whether `id` is a plain token (1–128 ASCII letters, digits, `-`, `_`): the only form of a
/// court's id used in URL paths and keys.
#[must_use]
pub fn is_court_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A court-given id, accepted only as a plain token (it goes into URL paths and keys).
fn court_id(id: &str) -> Result<&str, SyncError> {
    if is_court_id(id) {
        Ok(id)
    } else {
        Err(SyncError::Protocol(format!("the court sent an unusable id {:?}", id.chars().take(40).collect::<String>())))
    }
}

struct Applier<'a> {
    vault: &'a Arc<Vault>,
    session: &'a mut Session,
    court: &'a CourtClient,
}

impl Applier<'_> {
    /// The court's endpoints as the account, with a valid token.
    async fn litigant(&mut self) -> Result<Litigant<'_>, SyncError> {
        let token = self.session.bearer(false).await?;
        Ok(self.court.litigant(&token))
    }

    /// Seals a document as it arrives from the court into the vault as `blob_id` (a few
    /// pieces in memory at a time, whatever its size), then checks it against the SHA-256
    /// the court gave for it; a document that does not match is removed again.
    async fn seal(&self, what: &str, mut content: ContentStream, sha256: &str, blob_id: &str) -> Result<(), SyncError> {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Option<bytes::Bytes>, String>>(8);
        let (vault, id) = (Arc::clone(self.vault), blob_id.to_owned());
        let writer = tokio::task::spawn_blocking(move || {
            vault.write_blob(&id, &mut Arriving { rx, current: bytes::Bytes::new(), ended: false })
        });
        let fetched = loop {
            match content.next().await {
                // The writer stopped (the disk, the vault): its error says why.
                Ok(Some(piece)) => {
                    if tx.send(Ok(Some(piece))).await.is_err() {
                        break Ok(());
                    }
                }
                Ok(None) => {
                    // The end, said out loud: a download dropped half-way (this task
                    // cancelled) ends the writer with an error, never with a short blob.
                    let _ = tx.send(Ok(None)).await;
                    break Ok(());
                }
                Err(e) => {
                    let _ = tx.send(Err(e.to_string())).await;
                    break Err(e);
                }
            }
        };
        drop(tx);
        let written = writer.await.map_err(|e| SyncError::Protocol(format!("{what}: sealing stopped: {e}")))?;
        fetched?;
        let info = written?;
        if info.sha256 != sha256 {
            self.vault.remove_blob(blob_id)?;
            return Err(SyncError::Protocol(format!("{what}: the content does not match its SHA-256")));
        }
        Ok(())
    }

    fn key(&self, kind: &str, id: &str) -> String {
        replica_key(self.session.account(), kind, id)
    }

    /// Fetches a case's exchanged exhibits, seals a copy of each exhibit the other side
    /// submitted (checked against its SHA-256), and keeps the list; `false` when nothing changed.
    async fn refresh_exchange(&mut self, case_id: &str) -> Result<bool, SyncError> {
        let exhibits: Vec<ExchangedExhibit> = self.litigant().await?.exhibits(case_id).await?;
        let key = self.key("exchange", case_id);
        let before: Option<Exchange> = records::load(self.vault, REPLICA, &key)?;
        let mut kept = before.clone().unwrap_or_default();
        let me = self.session.account().username.clone();
        let to_seal: Vec<&ExchangedExhibit> =
            exhibits.iter().filter(|e| e.submitted_by != me && !kept.sealed.contains_key(&e.id)).collect();
        for exhibit in to_seal {
            let exhibit_id = court_id(&exhibit.id)?;
            if exhibit.case_id != case_id {
                return Err(SyncError::Protocol(format!("exhibit {exhibit_id} is not of case {case_id}")));
            }
            let blob_id = self.key("exchanged", exhibit_id).replace(':', "-");
            let content = self.litigant().await?.exhibit_content(exhibit).await?;
            self.seal(&format!("exhibit {exhibit_id}"), content, &exhibit.sha256, &blob_id).await?;
            kept.sealed.insert(exhibit.id.clone(), blob_id);
        }
        kept.exhibits = exhibits;
        if before.as_ref() == Some(&kept) {
            return Ok(false);
        }
        records::save(self.vault, REPLICA, &key, &kept)?;
        Ok(true)
    }

    /// `None` when the event was applied before; `Some(notices)` when it changed something.
    async fn apply(&mut self, event: &ChangeEvent) -> Result<Option<Vec<Notice>>, SyncError> {
        match event {
            ChangeEvent::FilingStatus { idempotency_key, status, .. } => {
                let mut attempts = 0;
                let item = loop {
                    let Some(mut item) = crate::outbox::load_item(self.vault, idempotency_key)? else {
                        // Filed from elsewhere (another device): nothing queued here to update.
                        return Ok(None);
                    };
                    if item.court_status.as_ref() == Some(status) {
                        return Ok(None);
                    }
                    item.court_status = Some(status.clone());
                    match crate::outbox::save_item(self.vault, &mut item) {
                        // Saved meanwhile (the user paused it): read it again.
                        Err(SyncError::Vault(courtside_vault::VaultError::Conflict { .. })) if attempts < 5 => {
                            attempts += 1;
                        }
                        other => break other.map(|()| item)?,
                    }
                };
                let text = match status {
                    FilingStatus::Docketed { case_number, .. } => {
                        format!("{}: docketed as {case_number}", item.filing.title)
                    }
                    FilingStatus::Rejected { reasons } => {
                        format!("{}: rejected ({})", item.filing.title, reasons.join("; "))
                    }
                    FilingStatus::CorrectionRequested { due, .. } => {
                        format!("{}: correction requested by {due}", item.filing.title)
                    }
                    FilingStatus::Submitted | FilingStatus::UnderReview => return Ok(Some(Vec::new())),
                };
                Ok(Some(vec![Notice { kind: NoticeKind::Filing, text }]))
            }
            ChangeEvent::DocumentServed { service_id, title, .. } => {
                let service_id = court_id(service_id)?;
                let id = self.key("served", service_id);
                if records::load::<ServedCopy>(self.vault, REPLICA, &id)?.is_some() {
                    return Ok(None);
                }
                let document: ServedDocument = self.litigant().await?.served_document(service_id).await?;
                if document.id != service_id {
                    return Err(SyncError::Protocol(format!("asked for document {service_id}, got {}", document.id)));
                }
                let blob_id = id.replace(':', "-");
                let content = self.litigant().await?.served_content(&document).await?;
                self.seal(&format!("served document {service_id}"), content, &document.sha256, &blob_id).await?;
                // Acknowledge only once the copy is sealed: the receipt time starts periods.
                let acknowledged: ServedDocument = self.litigant().await?.acknowledge_service(service_id).await?;
                records::save(self.vault, REPLICA, &id, &ServedCopy { document: acknowledged, blob_id })?;
                Ok(Some(vec![Notice { kind: NoticeKind::Served, text: format!("served: {title}") }]))
            }
            ChangeEvent::HearingScheduled { hearing_id, .. } => {
                let hearing_id = court_id(hearing_id)?;
                let hearing: Hearing = self.litigant().await?.hearing(hearing_id).await?;
                self.upsert(&self.key("hearing", hearing_id), &hearing, || Notice {
                    kind: NoticeKind::Hearing,
                    text: format!("hearing: {} at {}", hearing.title, hearing.starts_at),
                })
            }
            ChangeEvent::FeeNotice { fee_id, .. } | ChangeEvent::FeePaid { fee_id, .. } => {
                let fee_id = court_id(fee_id)?;
                let fee: FeeNotice = self.litigant().await?.fee(fee_id).await?;
                self.upsert(&self.key("fee", fee_id), &fee, || Notice {
                    kind: NoticeKind::Fee,
                    text: format!("fee: {}.{:02} yuan, due {}", fee.amount_fen / 100, fee.amount_fen % 100, fee.due),
                })
            }
            ChangeEvent::MediationMessage { case_id, from, .. } => {
                let case_id = court_id(case_id)?;
                let thread: Vec<MediationMessage> = self.litigant().await?.mediation(case_id).await?;
                let key = crate::actions::thread_key(self.session.account(), case_id);
                self.upsert(&key, &thread, || Notice {
                    kind: NoticeKind::Mediation,
                    text: format!("mediation: a message from {from}"),
                })
            }
            ChangeEvent::ExhibitSubmitted { case_id, from, .. } => {
                let changed = self.refresh_exchange(court_id(case_id)?).await?;
                Ok(changed.then(|| {
                    vec![Notice { kind: NoticeKind::Evidence, text: format!("evidence: {from} submitted evidence") }]
                }))
            }
            ChangeEvent::CrossExamination { case_id, from, .. } => {
                let changed = self.refresh_exchange(court_id(case_id)?).await?;
                Ok(changed.then(|| {
                    vec![Notice {
                        kind: NoticeKind::Evidence,
                        text: format!("evidence: {from} gave an opinion on your evidence"),
                    }]
                }))
            }
        }
    }

    /// Stores `value` under `id` unless the same value is there already.
    fn upsert<T: Serialize + serde::de::DeserializeOwned + PartialEq>(
        &self,
        id: &str,
        value: &T,
        notice: impl FnOnce() -> Notice,
    ) -> Result<Option<Vec<Notice>>, SyncError> {
        if records::load::<T>(self.vault, REPLICA, id)?.as_ref() == Some(value) {
            return Ok(None);
        }
        records::save(self.vault, REPLICA, id, value)?;
        Ok(Some(vec![notice()]))
    }
}

/// The replica key of a court object: its kind and a digest of account and court id, so two
/// courts' ids never collide and the court's ids do not appear in the vault's index.
pub(crate) fn replica_key(account: &crate::account::CourtAccount, kind: &str, id: &str) -> String {
    format!("{kind}:{}", &sha256_hex(format!("{}|{id}", account.id()).as_bytes())[..32])
}

/// A case's evidence exchange as last heard: every party's exhibits with the opinions on
/// them, and where the copies of the other side's exhibits are sealed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Exchange {
    /// The exhibits, as the court lists them.
    pub exhibits: Vec<ExchangedExhibit>,
    /// Exhibit id → the vault blob holding its sealed copy (the other side's only).
    pub sealed: std::collections::BTreeMap<String, String>,
}

/// The evidence exchange of a court case, if any was heard of.
///
/// # Errors
/// The vault's error.
pub fn exchange(
    vault: &Vault,
    account: &crate::account::CourtAccount,
    case_id: &str,
) -> Result<Option<Exchange>, SyncError> {
    records::load(vault, REPLICA, &replica_key(account, "exchange", case_id))
}

/// Every served document kept locally.
///
/// # Errors
/// [`SyncError::Vault`].
pub fn served(vault: &Vault) -> Result<Vec<ServedCopy>, SyncError> {
    Ok(vault
        .list(REPLICA)?
        .iter()
        .filter(|r| r.id.starts_with("served:"))
        .filter_map(|r| serde_json::from_slice(&r.plaintext).ok())
        .collect())
}

/// Every fee notice the court sent, soonest due first (paid ones carry their receipt).
///
/// # Errors
/// [`SyncError::Vault`].
pub fn fees(vault: &Vault) -> Result<Vec<FeeNotice>, SyncError> {
    let mut all: Vec<FeeNotice> = vault
        .list(REPLICA)?
        .iter()
        .filter(|r| r.id.starts_with("fee:"))
        .filter_map(|r| serde_json::from_slice(&r.plaintext).ok())
        .collect();
    all.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.id.cmp(&b.id)));
    Ok(all)
}

/// Every hearing the court announced, soonest first.
///
/// # Errors
/// [`SyncError::Vault`].
pub fn hearings(vault: &Vault) -> Result<Vec<Hearing>, SyncError> {
    let mut all: Vec<Hearing> = vault
        .list(REPLICA)?
        .iter()
        .filter(|r| r.id.starts_with("hearing:"))
        .filter_map(|r| serde_json::from_slice(&r.plaintext).ok())
        .collect();
    all.sort_by_key(|h| h.starts_at);
    Ok(all)
}
