//! `courtside court login|logout`, `courtside filing queue`, `courtside sync run|status`.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use courtside_core::AppError;
use courtside_court_api::filing::{CaseTarget, DocumentRole};
use courtside_sync::account::{self, Session};
use courtside_sync::outbox::{self, DocumentSource, DraftDocument, Drain, FilingDraft, ItemState};
use courtside_sync::retry::RetryPolicy;
use courtside_sync::signin::{PendingSignIn, SIGN_IN_TIMEOUT};
use courtside_sync::tus::{DEFAULT_CHUNK, TusClient};
use courtside_vault::Vault;

/// Which account at which court.
#[derive(Debug, Args)]
pub struct AccountArgs {
    /// The court's base URL.
    #[arg(long, env = "COURTSIDE_COURT_URL")]
    pub court: String,
    /// The account, when several are signed in at that court.
    #[arg(long = "user")]
    pub username: Option<String>,
}

/// A filing to queue.
#[derive(Debug, Args)]
pub struct QueueFiling {
    #[command(flatten)]
    pub account: AccountArgs,
    /// Court id from its policy.
    #[arg(long, default_value = courtside_court_server::DEMO_COURT_ID)]
    pub court_id: String,
    /// Case type code.
    #[arg(long)]
    pub case_type: String,
    /// Title.
    #[arg(long)]
    pub title: String,
    /// Cause of action, for a new case.
    #[arg(long, conflicts_with = "case_id")]
    pub cause: Option<String>,
    /// The court's case id, for a filing into an existing case.
    #[arg(long = "case")]
    pub case_id: Option<String>,
    /// Amount in controversy in yuan (`100000`, `100,000.50`, full-width digits).
    #[arg(long, value_parser = parse_fen)]
    pub amount_yuan: Option<courtside_casework::money::Fen>,
    /// A document: KIND:ROLE:PATH with ROLE lead, attachment or evidence (repeatable).
    #[arg(long = "doc", value_name = "KIND:ROLE:PATH", required = true)]
    pub documents: Vec<String>,
}

/// `courtside sync …`
#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Send what is queued for a court, then fetch the court's news; print a summary.
    Run {
        #[command(flatten)]
        account: AccountArgs,
    },
    /// Accounts and the outbox, item by item.
    Status,
}

fn media_type(path: &std::path::Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("pdf") => "application/pdf",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("mp3") => "audio/mpeg",
        Some("mp4") => "video/mp4",
        Some("txt") => "text/plain",
        Some("warc") => "application/warc",
        _ => "application/octet-stream",
    }
}

pub use courtside_core::courts::network_from_env;

fn parse_fen(text: &str) -> Result<courtside_casework::money::Fen, String> {
    courtside_casework::money::Fen::parse_yuan(text).map_err(|e| e.to_string())
}

fn sync_err(e: courtside_sync::SyncError) -> AppError {
    match e {
        courtside_sync::SyncError::Vault(v) => AppError::Vault(v),
        other => AppError::InvalidInput(other.to_string()),
    }
}

/// `courtside court login --court URL`: prints the sign-in address, waits for the browser.
pub async fn login(vault: Vault, court: &str, device_name: &str) -> Result<(), AppError> {
    let pending = PendingSignIn::begin(court).await.map_err(|e| AppError::InvalidInput(e.to_string()))?;
    // The address alone on the first line, so scripts (and tests) can pick it up.
    println!("{}", pending.authorize_url());
    eprintln!(
        "Open the address above in a browser to sign in; waiting up to {} minutes.",
        SIGN_IN_TIMEOUT.as_secs() / 60
    );
    let court_url = courtside_sync::signin::court_base(court).map_err(|e| AppError::InvalidInput(e.to_string()))?;
    let network = network_from_env()?;
    let tokens = pending.finish(SIGN_IN_TIMEOUT, &network).await.map_err(|e| AppError::InvalidInput(e.to_string()))?;
    let account =
        account::complete_sign_in(&vault, &network, &court_url, &tokens, device_name).await.map_err(sync_err)?;
    println!("signed in as {} ({}) at {}; device {}", account.username, account.name, account.court, account.device_id);
    Ok(())
}

/// `courtside court logout --court URL`
pub fn logout(vault: &Vault, args: &AccountArgs) -> Result<(), AppError> {
    let account = account::account_for(vault, &args.court, args.username.as_deref()).map_err(sync_err)?;
    account::sign_out(vault, &account).map_err(sync_err)?;
    println!("signed out {} at {}", account.username, account.court);
    Ok(())
}

/// `courtside filing queue …`: prints the item's UUID.
pub fn queue(vault: &Vault, q: QueueFiling) -> Result<(), AppError> {
    let account = account::account_for(vault, &q.account.court, q.account.username.as_deref()).map_err(sync_err)?;
    let documents = q
        .documents
        .iter()
        .map(|d| {
            let mut parts = d.splitn(3, ':');
            let (Some(kind), Some(role), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
                return Err(AppError::InvalidInput(format!("--doc {d:?}: expected KIND:ROLE:PATH")));
            };
            let role = match role {
                "lead" => DocumentRole::Lead,
                "attachment" => DocumentRole::Attachment,
                "evidence" => DocumentRole::Evidence,
                other => {
                    return Err(AppError::InvalidInput(format!(
                        "--doc {d:?}: role {other:?} is not lead, attachment or evidence"
                    )));
                }
            };
            let path = PathBuf::from(path);
            let title = path.file_stem().and_then(|s| s.to_str()).unwrap_or(kind).to_owned();
            Ok(DraftDocument {
                media_type: media_type(&path).to_owned(),
                source: DocumentSource::File { path },
                title,
                role,
                kind: Some(kind.to_owned()),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let case = match (q.cause, q.case_id) {
        (_, Some(case_id)) => CaseTarget::Existing { case_id },
        (Some(cause), None) => CaseTarget::New { cause_of_action: cause },
        (None, None) => return Err(AppError::InvalidInput("give --cause (new case) or --case (existing case)".into())),
    };
    let draft = FilingDraft {
        court_id: q.court_id,
        case,
        case_type: q.case_type,
        title: q.title,
        amount_in_controversy_fen: q.amount_yuan.map(|f| f.0),
        parties: Vec::new(),
        documents,
    };
    let item = outbox::enqueue(vault, &account, draft).map_err(sync_err)?;
    println!("{}", item.id);
    Ok(())
}

/// `courtside sync run|status`
pub async fn sync(vault: Vault, command: SyncCommand) -> Result<(), AppError> {
    let vault = Arc::new(vault);
    match command {
        SyncCommand::Status => {
            for a in account::accounts(&vault).map_err(sync_err)? {
                println!("account\t{}\t{}", a.court, a.username);
            }
            for item in outbox::items(&vault).map_err(sync_err)? {
                let state = match &item.state {
                    ItemState::Queued => "queued".to_owned(),
                    ItemState::Uploading => {
                        let done = item.uploads.iter().filter(|u| u.uploaded).count();
                        format!("uploading ({done}/{} files)", item.uploads.len())
                    }
                    ItemState::Submitted => "submitted".to_owned(),
                    ItemState::Receipted => format!("receipted {}", item.filing_id.as_deref().unwrap_or("")),
                    ItemState::NeedsAttention { reason, .. } => format!("needs attention: {reason}"),
                    ItemState::Failed { reason } => format!("failed: {reason}"),
                    ItemState::Cancelled => "withdrawn".to_owned(),
                };
                let error = item.last_error.as_deref().map(|e| format!("\t(last error: {e})")).unwrap_or_default();
                println!("filing\t{}\t{state}\t{}{error}", item.id, item.filing.title);
            }
        }
        SyncCommand::Run { account } => {
            let found = account::account_for(&vault, &account.court, account.username.as_deref()).map_err(sync_err)?;
            let mut session = Session::new(vault.clone(), found);
            let tus =
                TusClient::new(DEFAULT_CHUNK, RetryPolicy::default()).map_err(|e| AppError::Internal(e.to_string()))?;
            let mut last = std::time::Instant::now();
            let mut progress = |item: &outbox::OutboxItem, p: courtside_sync::tus::Progress| {
                if last.elapsed() >= std::time::Duration::from_millis(500) || p.confirmed == p.total {
                    last = std::time::Instant::now();
                    eprintln!("{}: {} / {} bytes", item.id, p.confirmed, p.total);
                }
            };
            let report = Drain::new(vault.clone(), &mut session, &tus)
                .map_err(sync_err)?
                .run(&mut progress)
                .await
                .map_err(sync_err)?;
            println!(
                "receipted {}, needs attention {}, waiting {}",
                report.receipted, report.needs_attention, report.waiting
            );
            if let Some(e) = report.last_error {
                eprintln!("last error: {e}");
            }
            let news = courtside_sync::feed::pull(&vault, &mut session).await.map_err(sync_err)?;
            for notice in &news.notices {
                println!("news\t{}\t{}", notice.kind.as_str(), notice.text);
            }
        }
    }
    Ok(())
}
