//! The outbox of small actions that are not filings: answers to an asynchronous hearing's
//! questions (Online Litigation Rules Art. 20), mediation messages, and steps of a case to
//! continue offline (Online Operation Rules Art. 33). Like a filing, each
//! gets its UUID before the first attempt and is sent with it as `Idempotency-Key`, so a
//! send whose outcome was lost is repeated safely; the court's answer is kept.

use std::sync::Arc;

use courtside_court_api::CourtError;
use courtside_court_api::hearing::{
    CrossExamination, ExchangedExhibit, HearingStatement, MediationMessage, NewMediationMessage, OfflineStep, Stance,
    SubmitExhibit,
};
use courtside_vault::Vault;
use serde::{Deserialize, Serialize};

use crate::account::{CourtAccount, Session};
use crate::feed::{REPLICA, is_court_id};
use crate::tus::{Endpoint, Source, TusClient, TusError};
use crate::{SyncError, records};

/// Vault table of actions.
pub const ACTIONS: &str = "court_actions";

/// What is to be sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum ActionKind {
    /// A written answer to a question of an asynchronous hearing.
    #[serde(rename_all = "camelCase")]
    Statement {
        /// The hearing.
        hearing_id: String,
        /// The question.
        question_id: String,
        /// The answer.
        text: String,
    },
    /// A message to the mediator (and the other parties) of a case.
    #[serde(rename_all = "camelCase")]
    MediationMessage {
        /// The court's case id.
        case_id: String,
        /// The message.
        text: String,
    },
    /// A cross-examination opinion (质证意见) on an exhibit of the other side.
    #[serde(rename_all = "camelCase")]
    CrossExamination {
        /// The court's case id.
        case_id: String,
        /// The exhibit.
        exhibit_id: String,
        /// Authenticity.
        authenticity: Stance,
        /// Legality.
        legality: Stance,
        /// Relevance.
        relevance: Stance,
        /// Reasons and remarks.
        remarks: String,
    },
    /// One of our exhibits offered into a case's evidence exchange: its sealed original is
    /// uploaded (resumably; the upload's address is kept once made), then submitted with its
    /// title and what it proves.
    #[serde(rename_all = "camelCase")]
    ExhibitSubmission {
        /// The court's case id.
        case_id: String,
        /// Our exhibit (the locker's id).
        exhibit_id: String,
        /// The vault blob holding its original.
        blob_id: String,
        /// File name for the upload.
        file_name: String,
        /// SHA-256 of the original, hex.
        sha256: String,
        /// Its size.
        #[serde(default)]
        size: u64,
        /// Title.
        title: String,
        /// What it proves.
        proves: String,
        /// The upload's address, once the court made it.
        #[serde(default)]
        upload_url: Option<String>,
    },
    /// A step of the case to continue offline (Online Operation Rules Art. 33).
    #[serde(rename_all = "camelCase")]
    OfflineStep {
        /// The court's case id.
        case_id: String,
        /// One of [`courtside_court_api::hearing::OFFLINE_STEPS`].
        step: String,
        /// Why.
        reason: String,
    },
}

/// Where an action stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum ActionState {
    /// Waiting for a connection.
    Queued,
    /// The court has it.
    #[serde(rename_all = "camelCase")]
    Sent {
        /// The court's id for it.
        court_id: String,
        /// When the court recorded it (RFC 3339).
        at: String,
    },
    /// The court refused it (e.g. the answer window closed): sending again will not help.
    #[serde(rename_all = "camelCase")]
    Refused {
        /// The court's words.
        reason: String,
    },
}

/// An action in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    /// UUID; the `Idempotency-Key`.
    pub id: String,
    /// Court base URL.
    pub court: String,
    /// Account at the court.
    pub username: String,
    /// When it was queued (Unix seconds).
    pub created_at: i64,
    /// What.
    pub kind: ActionKind,
    /// Where it stands.
    pub state: ActionState,
    /// The last failure to reach the court.
    #[serde(default)]
    pub last_error: Option<String>,
}

const MAX_TEXT: usize = 20_000;

/// Queues an action for an account.
///
/// # Errors
/// [`SyncError::File`] for an empty or over-long text or a bad id; the vault's error.
pub fn enqueue(vault: &Vault, account: &CourtAccount, kind: ActionKind) -> Result<Action, SyncError> {
    let (ids, text): (Vec<&str>, &str) = match &kind {
        ActionKind::Statement { hearing_id, question_id, text } => (vec![hearing_id, question_id], text),
        ActionKind::MediationMessage { case_id, text } => (vec![case_id], text),
        ActionKind::OfflineStep { case_id, step, reason } => {
            if !courtside_court_api::hearing::OFFLINE_STEPS.contains(&step.as_str()) {
                return Err(SyncError::File(format!("not a step: {step}")));
            }
            (vec![case_id], reason)
        }
        ActionKind::CrossExamination { case_id, exhibit_id, remarks, .. } => (vec![case_id, exhibit_id], remarks),
        ActionKind::ExhibitSubmission { case_id, sha256, proves, title, .. } => {
            if courtside_court_api::encoding::parse_sha256_hex(sha256).is_none() || proves.chars().count() > MAX_TEXT {
                return Err(SyncError::File("not an exhibit that can be submitted".into()));
            }
            (vec![case_id], title)
        }
    };
    if ids.iter().any(|id| !is_court_id(id)) {
        return Err(SyncError::File("not a court id".into()));
    }
    if text.trim().is_empty() || text.chars().count() > MAX_TEXT {
        return Err(SyncError::File(format!("the text must be 1 to {MAX_TEXT} characters")));
    }
    let action = Action {
        id: uuid::Uuid::new_v4().to_string(),
        court: account.court.clone(),
        username: account.username.clone(),
        created_at: crate::now(),
        kind,
        state: ActionState::Queued,
        last_error: None,
    };
    records::save(vault, ACTIONS, &action.id, &action)?;
    Ok(action)
}

/// Every action, oldest first.
///
/// # Errors
/// The vault's error.
pub fn actions(vault: &Vault) -> Result<Vec<Action>, SyncError> {
    let mut all: Vec<Action> = records::list(vault, ACTIONS)?;
    all.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));
    Ok(all)
}

/// Sends the account's queued actions, oldest first; returns how many the court took.
///
/// # Errors
/// The first failure to reach the court (what was sent stays sent; the rest wait).
pub async fn send_queued(vault: &Arc<Vault>, session: &mut Session, tus: &TusClient) -> Result<usize, SyncError> {
    let account = session.account().clone();
    let mut sent = 0;
    for mut action in actions(vault)? {
        if action.state != ActionState::Queued || action.court != account.court || action.username != account.username {
            continue;
        }
        if let ActionKind::ExhibitSubmission { .. } = &action.kind {
            match upload_exhibit(vault, session, tus, &mut action).await {
                Ok(()) => {}
                // The court will not take the file (too large, a type it refuses): final.
                Err(SyncError::Upload(TusError::Refused { status, detail }))
                    if (400..500).contains(&status) && ![401, 408, 409, 429].contains(&status) =>
                {
                    action.state = ActionState::Refused { reason: detail };
                    records::save(vault, ACTIONS, &action.id, &action)?;
                    continue;
                }
                Err(e) => {
                    action.last_error = Some(e.to_string());
                    records::save(vault, ACTIONS, &action.id, &action)?;
                    return Err(e);
                }
            }
        }
        let (client, token) = session.litigant(false).await?;
        let court_side = client.litigant(&token);
        let key = action.id.clone();
        let answer: Result<ActionState, CourtError> = match &action.kind {
            ActionKind::Statement { hearing_id, question_id, text } => court_side
                .send_statement(
                    hearing_id,
                    &key,
                    &HearingStatement { question_id: question_id.clone(), text: text.clone() },
                )
                .await
                .map(|receipt| ActionState::Sent { court_id: receipt.id, at: rfc3339(receipt.received_at) }),
            ActionKind::MediationMessage { case_id, text } => {
                match court_side
                    .send_mediation_message(
                        case_id,
                        &key,
                        &NewMediationMessage { text: text.clone(), attachments: Vec::new() },
                    )
                    .await
                {
                    Ok(message) => {
                        keep_in_thread(vault, &account, case_id, &message)?;
                        Ok(ActionState::Sent { court_id: message.id, at: rfc3339(message.sent_at) })
                    }
                    Err(e) => Err(e),
                }
            }
            ActionKind::OfflineStep { case_id, step, reason } => court_side
                .record_offline_step(case_id, &key, &OfflineStep { step: step.clone(), reason: reason.clone() })
                .await
                .map(|record| ActionState::Sent { court_id: record.id, at: rfc3339(record.recorded_at) }),
            ActionKind::ExhibitSubmission { case_id, title, proves, upload_url, .. } => {
                let offer = SubmitExhibit {
                    upload_id: upload_url.as_deref().and_then(last_segment).unwrap_or_default(),
                    title: title.clone(),
                    proves: proves.clone(),
                };
                match court_side.submit_exhibit(case_id, &key, &offer).await {
                    Ok(exhibit) => {
                        keep_exchanged(vault, &account, case_id, &exhibit)?;
                        Ok(ActionState::Sent { court_id: exhibit.id, at: rfc3339(time::OffsetDateTime::now_utc()) })
                    }
                    Err(e) => Err(e),
                }
            }
            ActionKind::CrossExamination { case_id, exhibit_id, authenticity, legality, relevance, remarks } => {
                let opinion = CrossExamination {
                    by: String::new(),
                    authenticity: *authenticity,
                    legality: *legality,
                    relevance: *relevance,
                    remarks: remarks.clone(),
                };
                match court_side.cross_examine(case_id, exhibit_id, &key, &opinion).await {
                    Ok(exhibit) => {
                        keep_exchanged(vault, &account, case_id, &exhibit)?;
                        Ok(ActionState::Sent { court_id: exhibit.id, at: rfc3339(time::OffsetDateTime::now_utc()) })
                    }
                    Err(e) => Err(e),
                }
            }
        };
        action.state = match answer {
            Ok(state) => state,
            // The court read it and said no: final.
            Err(CourtError::Court(p))
                if (400..500).contains(&p.status) && ![401, 408, 409, 429].contains(&p.status) =>
            {
                ActionState::Refused { reason: p.detail.clone().unwrap_or(p.title.clone()) }
            }
            Err(e) => {
                action.last_error = Some(e.to_string());
                records::save(vault, ACTIONS, &action.id, &action)?;
                return Err(e.into());
            }
        };
        action.last_error = None;
        if matches!(action.state, ActionState::Sent { .. }) {
            sent += 1;
        }
        records::save(vault, ACTIONS, &action.id, &action)?;
    }
    Ok(sent)
}

/// Uploads an exhibit submission's original from its sealed blob (resuming the upload made
/// earlier, if any); the upload's address is saved before a byte is sent.
async fn upload_exhibit(
    vault: &Arc<Vault>,
    session: &mut Session,
    tus: &TusClient,
    action: &mut Action,
) -> Result<(), SyncError> {
    let ActionKind::ExhibitSubmission { blob_id, file_name, sha256, upload_url, .. } = &mut action.kind else {
        return Ok(());
    };
    let digest = courtside_court_api::encoding::parse_sha256_hex(sha256)
        .ok_or_else(|| SyncError::Protocol("a queued exhibit's digest is damaged".into()))?;
    let source = Source::Blob { vault: vault.clone(), id: blob_id.clone(), name: file_name.clone() };
    let ep = Endpoint::new(session.court()?.uploads_endpoint().as_str(), Some(session.bearer(false).await?))?;
    let url = match upload_url {
        Some(u) => url::Url::parse(u)?,
        None => {
            let url = tus.create_upload_known(&ep, source.clone(), &digest).await?;
            *upload_url = Some(url.to_string());
            records::save(vault, ACTIONS, &action.id, &*action)?;
            url
        }
    };
    let report = tus.upload_known(&ep, source, &digest, Some(url), &mut |_| {}).await?;
    if report.sha256 != hex_lower(&digest) {
        return Err(SyncError::Protocol("the exhibit's bytes changed while they were uploaded".into()));
    }
    Ok(())
}

fn last_segment(url: &str) -> Option<String> {
    url::Url::parse(url).ok()?.path_segments()?.next_back().map(str::to_owned)
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// The replica key of a case's mediation thread.
pub(crate) fn thread_key(account: &CourtAccount, case_id: &str) -> String {
    crate::feed::replica_key(account, "mediation", case_id)
}

/// Adds (or replaces, by id) a message in the kept thread of a case.
pub(crate) fn keep_in_thread(
    vault: &Vault,
    account: &CourtAccount,
    case_id: &str,
    message: &MediationMessage,
) -> Result<(), SyncError> {
    let key = thread_key(account, case_id);
    let mut thread: Vec<MediationMessage> = records::load(vault, REPLICA, &key)?.unwrap_or_default();
    thread.retain(|m| m.id != message.id);
    thread.push(message.clone());
    thread.sort_by(|a, b| a.sent_at.cmp(&b.sent_at).then_with(|| a.id.cmp(&b.id)));
    records::save(vault, REPLICA, &key, &thread)
}

/// Replaces an exhibit in the kept evidence exchange of a case (with the court's latest
/// opinions on it).
fn keep_exchanged(
    vault: &Vault,
    account: &CourtAccount,
    case_id: &str,
    exhibit: &ExchangedExhibit,
) -> Result<(), SyncError> {
    let key = crate::feed::replica_key(account, "exchange", case_id);
    let mut kept: crate::feed::Exchange = records::load(vault, REPLICA, &key)?.unwrap_or_default();
    match kept.exhibits.iter_mut().find(|e| e.id == exhibit.id) {
        Some(e) => *e = exhibit.clone(),
        None => kept.exhibits.push(exhibit.clone()),
    }
    records::save(vault, REPLICA, &key, &kept)
}

/// The mediation thread of a case as last heard, oldest first.
///
/// # Errors
/// The vault's error.
pub fn mediation_thread(
    vault: &Vault,
    account: &CourtAccount,
    case_id: &str,
) -> Result<Vec<MediationMessage>, SyncError> {
    Ok(records::load(vault, REPLICA, &thread_key(account, case_id))?.unwrap_or_default())
}
