//! `courtside`: the command-line face of Courtside (no webview).
//!
//! Exit codes: 0 success, 1 the user's error (one line on stderr), 2 an internal error.

mod cli_cases;
mod cli_evidence;
mod cli_hearings;
mod cli_sync;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use courtside_casework::Drafts;
use courtside_core::config::{demo_court_dir, vault_dir};
use courtside_core::{AppConfig, AppError, default_data_dir};
use courtside_court_server::CourtConfig;
use courtside_vault::{KdfParams, Vault, VaultState};

#[derive(Debug, Parser)]
#[command(name = "courtside", version, about = "Courtside: prepare, file and follow court cases, offline first.")]
struct Cli {
    /// Data directory (default: the OS application-data directory).
    #[arg(long, global = true, value_name = "DIR", env = courtside_core::config::DATA_DIR_ENV)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The reference court (for development, the demo and tests).
    Court {
        #[command(subcommand)]
        command: CourtCommand,
    },
    /// Check whether the configured court (or the demo court) answers.
    Status,
    /// The encrypted vault (passphrase from COURTSIDE_PASSPHRASE, else prompted).
    Vault {
        #[command(subcommand)]
        command: VaultCommand,
    },
    /// Drafts: complaints, statements, notes (stored encrypted, every save a version).
    Draft {
        #[command(subcommand)]
        command: DraftCommand,
    },
    /// Sending to courts and receiving from them.
    Sync {
        #[command(subcommand)]
        command: SyncCommand,
    },
    /// The litigation fee (诉讼费) from the court's fee schedule, with the working.
    Fees(cli_cases::FeesArgs),
    /// The last day of a statutory period (start day not counted, rest days and holidays
    /// moved over), from the court's calendar.
    Deadline(cli_cases::DeadlineArgs),
    /// Cases prepared offline (passphrase from COURTSIDE_PASSPHRASE).
    Case {
        #[command(subcommand)]
        command: cli_cases::CaseCommand,
    },
    /// Evidence: captured, hashed and sealed with a signed chain of custody (passphrase from
    /// COURTSIDE_PASSPHRASE).
    Evidence {
        #[command(subcommand)]
        command: cli_evidence::EvidenceCommand,
    },
    /// Hearings: the pre-hearing check-in and the join ticket (passphrase from
    /// COURTSIDE_PASSPHRASE; the court from COURTSIDE_COURT_URL).
    Hearing {
        #[command(subcommand)]
        command: cli_hearings::HearingCommand,
    },
    /// Filings (queued in the encrypted outbox until a connection exists).
    Filing {
        #[command(subcommand)]
        command: FilingCommand,
    },
}

#[derive(Debug, Subcommand)]
enum FilingCommand {
    /// Queue a filing of files on disk for a court; prints its UUID (its Idempotency-Key).
    Queue(cli_sync::QueueFiling),
    /// Queue the new-case filing of a prepared case (its checklist must be clear); prints
    /// the outbox item's UUID.
    New {
        /// Case id.
        #[arg(long = "case")]
        case: String,
    },
    /// Check a case's filing against the court's rules: exit 1 with every problem.
    Check {
        /// Case id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum SyncCommand {
    /// Upload a file through Courtside's tus client to any tus 1.0 creation endpoint,
    /// printing progress on stderr and, last, the upload URL on stdout (to diagnose a
    /// court's upload path or a firm's proxy).
    UploadTest {
        /// The tus creation endpoint, e.g. https://court.example/v1/uploads.
        #[arg(long)]
        endpoint: String,
        /// Bearer token for the endpoint, if it needs one (may begin with `-`).
        #[arg(long, env = "COURTSIDE_BEARER", hide_env_values = true, allow_hyphen_values = true)]
        bearer: Option<String>,
        /// Chunk size in KiB.
        #[arg(long, default_value_t = 4096)]
        chunk_kib: u64,
        /// The file to upload.
        file: PathBuf,
    },
    #[command(flatten)]
    Engine(cli_sync::SyncCommand),
}

#[derive(Debug, Subcommand)]
enum VaultCommand {
    /// Create the vault; prints the recovery key once.
    Init,
    /// Exit 0 when the passphrase opens the vault, 1 when it does not.
    UnlockCheck,
    /// Replace the passphrase with COURTSIDE_NEW_PASSPHRASE (or a prompted one).
    ChangePassphrase,
    /// Check every record and blob; exit 1 and name each damaged item.
    Verify,
    /// Back the vault up into a folder (a USB drive, a NAS, a synced folder): one encrypted
    /// snapshot, writing only what the folder lacks.
    Backup {
        /// The backup folder (created when missing).
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
    },
    /// List the snapshots in a backup folder.
    Backups {
        /// The backup folder.
        #[arg(long, value_name = "DIR")]
        at: PathBuf,
    },
    /// Check every snapshot of a backup folder; exit 1 and name each damage.
    BackupVerify {
        /// The backup folder.
        #[arg(long, value_name = "DIR")]
        at: PathBuf,
        /// Open it with the recovery key (COURTSIDE_RECOVERY_KEY, else prompted) instead of
        /// the passphrase.
        #[arg(long)]
        recovery_key: bool,
    },
    /// Restore a backup as this data directory's vault (there must be none): on a new
    /// computer, or after a lost disk. Court sign-ins are done again afterwards.
    Restore {
        /// The backup folder.
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
        /// The snapshot (default: the newest that is whole).
        #[arg(long)]
        snapshot: Option<String>,
        /// Open it with the recovery key (COURTSIDE_RECOVERY_KEY, else prompted) instead of
        /// the passphrase.
        #[arg(long)]
        recovery_key: bool,
    },
}

#[derive(Debug, Subcommand)]
enum DraftCommand {
    /// Create a draft from a text file; prints its id.
    New {
        /// Title.
        #[arg(long)]
        title: String,
        /// File with the text (UTF-8); `-` reads standard input.
        #[arg(long, value_name = "FILE")]
        body_file: PathBuf,
        /// The case it belongs to.
        #[arg(long)]
        case: Option<String>,
    },
    /// Replace a draft's text (a new version).
    Save {
        /// Draft id.
        id: String,
        /// File with the new text; `-` reads standard input.
        #[arg(long, value_name = "FILE")]
        body_file: PathBuf,
        /// New title (default: unchanged).
        #[arg(long)]
        title: Option<String>,
    },
    /// List drafts, most recent first: id, version, title.
    List,
    /// Print a draft (or one of its versions): title, blank line, text.
    Show {
        /// Draft id.
        id: String,
        /// Version number (default: current).
        #[arg(long)]
        version: Option<u64>,
    },
    /// List a draft's versions.
    History {
        /// Draft id.
        id: String,
    },
    /// Find drafts containing TEXT: id, title, snippet.
    Search {
        /// Text to find (case-insensitive).
        text: String,
    },
}

#[derive(Debug, Subcommand)]
enum CourtCommand {
    /// Run the reference court until interrupted (Ctrl-C or SIGTERM).
    Serve {
        /// TCP port to listen on (0 picks a free one).
        #[arg(long, default_value_t = 18080)]
        port: u16,
        /// Address to listen on. Anything but loopback exposes the court to the network.
        #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
        host: IpAddr,
        /// Largest file the court accepts, in MiB.
        #[arg(long, default_value_t = courtside_court_server::MAX_FILE_BYTES >> 20)]
        max_file_mib: u64,
        /// Largest filing (all its files) the court accepts, in MiB.
        #[arg(long, default_value_t = courtside_court_server::MAX_FILING_BYTES >> 20)]
        max_filing_mib: u64,
    },
    /// Sign in to a court in the browser (the account is sealed in the vault).
    Login {
        /// The court's base URL.
        #[arg(long, env = "COURTSIDE_COURT_URL")]
        court: String,
        /// A name for this device, shown at the court.
        #[arg(long, default_value = "Courtside CLI")]
        device_name: String,
    },
    /// Sign out of a court (tokens and device key are forgotten).
    Logout(cli_sync::AccountArgs),
    /// Act as the court's clerk (reference court): review filings, serve documents.
    Clerk {
        /// The court's base URL, e.g. http://127.0.0.1:18080/.
        #[arg(long, env = "COURTSIDE_COURT_URL")]
        court: String,
        /// The clerk token (`courtside court serve` keeps it in <court data>/clerk-token).
        /// Tokens are base64url and may begin with `-`: taken as the value, not an option.
        #[arg(long, env = "COURTSIDE_CLERK_TOKEN", hide_env_values = true, allow_hyphen_values = true)]
        token: String,
        #[command(subcommand)]
        command: ClerkCommand,
    },
}

#[derive(Debug, Subcommand)]
enum ClerkCommand {
    /// List every filing: id, status, title.
    Filings,
    /// Decide on a filing: exactly one of --start, --docket, --reject, --correct.
    Review {
        /// The filing id.
        id: String,
        /// Start the review.
        #[arg(long)]
        start: bool,
        /// Accept and docket.
        #[arg(long)]
        docket: bool,
        /// Reject for this reason (repeatable).
        #[arg(long, value_name = "REASON")]
        reject: Vec<String>,
        /// Ask for a correction: ITEM=REASON (repeatable); needs --due.
        #[arg(long, value_name = "ITEM=REASON")]
        correct: Vec<String>,
        /// Last day for the correction (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        due: Option<String>,
    },
    /// Open a case (e.g. one filed on paper) with these parties.
    OpenCase {
        /// Case type code from the court's policy.
        #[arg(long, default_value = "civil-contract")]
        case_type: String,
        /// Title.
        #[arg(long)]
        title: String,
        /// Username of a party (repeatable).
        #[arg(long = "party", required = true)]
        parties: Vec<String>,
    },
    /// Schedule a hearing in a case.
    Schedule {
        /// The case id.
        #[arg(long = "case")]
        case_id: String,
        /// Start, RFC 3339 (e.g. 2026-12-01T09:30:00+08:00).
        #[arg(long)]
        at: String,
        /// Planned length in minutes.
        #[arg(long, default_value_t = 60)]
        minutes: u32,
        /// Hearing platform id from the policy.
        #[arg(long, default_value = "court-room")]
        platform: String,
        /// Title.
        #[arg(long, default_value = "开庭审理")]
        title: String,
    },
    /// Post a fee notice (due in the policy's payment days).
    Fee {
        /// Username who must pay.
        #[arg(long)]
        recipient: String,
        /// The case id.
        #[arg(long = "case")]
        case_id: String,
        /// Amount in yuan, e.g. 2300 or 2300.50.
        #[arg(long)]
        yuan: String,
        /// What it is for.
        #[arg(long, default_value = "案件受理费")]
        reason: String,
    },
    /// Serve a document on an account.
    Serve {
        /// Username of the recipient.
        #[arg(long)]
        recipient: String,
        /// The case id.
        #[arg(long = "case")]
        case_id: String,
        /// Title, e.g. 应诉通知书.
        #[arg(long)]
        title: String,
        /// Kind of document: notice, complaint, judgment, ruling…
        #[arg(long, default_value = "notice")]
        kind: String,
        /// Media type of the file.
        #[arg(long, default_value = "application/pdf")]
        media_type: String,
        /// The file to serve.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    init_logging();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let user_asked =
                matches!(e.kind(), clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion);
            let _ = e.print();
            return if user_asked { ExitCode::SUCCESS } else { ExitCode::from(1) };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("courtside: internal error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("courtside: {e}");
            ExitCode::from(if e.is_user_error() { 1 } else { 2 })
        }
    }
}

async fn run(cli: Cli) -> Result<(), AppError> {
    match cli.command {
        Command::Court { command: CourtCommand::Serve { port, host, max_file_mib, max_filing_mib } } => {
            // An explicit --data-dir holds the court's data directly; by default it lives
            // where the desktop app's embedded demo court keeps it.
            let court_dir = match cli.data_dir {
                Some(dir) => dir,
                None => demo_court_dir(&default_data_dir()?),
            };
            let limits = courtside_court_server::SizeLimits { file: max_file_mib << 20, filing: max_filing_mib << 20 };
            serve_court(court_dir, SocketAddr::new(host, port), limits).await
        }
        Command::Court { command: CourtCommand::Login { court, device_name } } => {
            cli_sync::login(open_vault(&data_dir_or_default(cli.data_dir)?)?, &court, &device_name).await
        }
        Command::Court { command: CourtCommand::Logout(args) } => {
            cli_sync::logout(&open_vault(&data_dir_or_default(cli.data_dir)?)?, &args)
        }
        Command::Fees(args) => cli_cases::fees(&args),
        Command::Evidence { command } => {
            cli_evidence::run(open_vault(&data_dir_or_default(cli.data_dir)?)?, command).await
        }
        Command::Deadline(args) => cli_cases::deadline_command(&args),
        Command::Case { command } => {
            let app = case_app(cli.data_dir).await?;
            let result = cli_cases::case(&app, command).await;
            app.shutdown().await;
            result
        }
        Command::Hearing { command } => {
            let app = case_app(cli.data_dir).await?;
            let result = cli_hearings::run(&app, command).await;
            app.shutdown().await;
            result
        }
        Command::Filing { command: FilingCommand::New { case } } => {
            let app = case_app(cli.data_dir).await?;
            let result = cli_cases::new_filing(&app, &case);
            app.shutdown().await;
            result
        }
        Command::Filing { command: FilingCommand::Check { id } } => {
            let app = case_app(cli.data_dir).await?;
            let result = cli_cases::check(&app, &id);
            app.shutdown().await;
            result
        }
        Command::Filing { command: FilingCommand::Queue(q) } => {
            cli_sync::queue(&open_vault(&data_dir_or_default(cli.data_dir)?)?, q)
        }
        Command::Sync { command: SyncCommand::Engine(command) } => {
            cli_sync::sync(open_vault(&data_dir_or_default(cli.data_dir)?)?, command).await
        }
        Command::Court { command: CourtCommand::Clerk { court, token, command } } => {
            clerk_command(&court, &token, command).await
        }
        Command::Vault { command } => vault_command(&data_dir_or_default(cli.data_dir)?, command).await,
        Command::Draft { command } => draft_command(&data_dir_or_default(cli.data_dir)?, command),
        Command::Sync { command: SyncCommand::UploadTest { endpoint, bearer, chunk_kib, file } } => {
            upload_test(&endpoint, bearer, chunk_kib, &file).await
        }
        Command::Status => {
            let mut config = AppConfig::from_env()?;
            if let Some(dir) = cli.data_dir {
                config.data_dir = dir;
            }
            let app = courtside_core::App::start(config).await?;
            let status = app.check_connectivity().await;
            println!("{}", serde_json::to_string(&status).map_err(|e| AppError::Internal(e.to_string()))?);
            app.shutdown().await;
            Ok(())
        }
    }
}

/// The app service on the configured court (or the demo court), its vault opened.
async fn case_app(data_dir: Option<PathBuf>) -> Result<courtside_core::App, AppError> {
    let mut config = AppConfig::from_env()?;
    if let Some(dir) = data_dir {
        config.data_dir = dir;
    }
    let passphrase = passphrase(PASSPHRASE_ENV, "Passphrase: ")?;
    cli_cases::open_app(config, passphrase).await
}

fn data_dir_or_default(dir: Option<PathBuf>) -> Result<PathBuf, AppError> {
    dir.map_or_else(default_data_dir, Ok)
}

/// The passphrase from `var`, else asked for on the terminal (never echoed).
fn passphrase(var: &str, prompt: &str) -> Result<String, AppError> {
    if let Ok(p) = std::env::var(var) {
        return Ok(p);
    }
    rpassword::prompt_password(prompt)
        .map_err(|_| AppError::InvalidInput(format!("no passphrase: set {var} or run in a terminal")))
}

/// What happened to a damaged item, for the terminal.
fn damage_in_words(kind: courtside_vault::Damage) -> &'static str {
    use courtside_vault::Damage;
    match kind {
        Damage::Altered => "its contents changed after Courtside saved them",
        Damage::RolledBack => "an older copy of it was put back in its place",
        Damage::Missing => "it is missing",
        Damage::Truncated => "it is cut short",
        Damage::Foreign => "it was not saved by this vault",
        Damage::Index => {
            "the vault's index of changes was damaged; it was rebuilt and is saved again by the next change"
        }
    }
}

fn open_vault(data_dir: &std::path::Path) -> Result<Vault, AppError> {
    let dir = vault_dir(data_dir);
    if Vault::state(&dir)? == VaultState::Absent {
        return Err(AppError::InvalidInput(format!("no vault in {}: run `courtside vault init`", data_dir.display())));
    }
    Ok(Vault::unlock(&dir, &passphrase(PASSPHRASE_ENV, "Passphrase: ")?)?)
}

const PASSPHRASE_ENV: &str = "COURTSIDE_PASSPHRASE";

async fn vault_command(data_dir: &std::path::Path, command: VaultCommand) -> Result<(), AppError> {
    match command {
        VaultCommand::Init => {
            let pass = passphrase(PASSPHRASE_ENV, "New passphrase: ")?;
            let dir = vault_dir(data_dir);
            let (_vault, recovery) =
                tokio::task::spawn_blocking(move || Vault::create(&dir, &pass, KdfParams::default()))
                    .await
                    .map_err(|e| AppError::Internal(e.to_string()))??;
            println!("Vault created in {}.", data_dir.display());
            println!("Recovery key (write it down; it will not be shown again):");
            println!("{}", recovery.display_string());
            Ok(())
        }
        VaultCommand::UnlockCheck => open_vault(data_dir).map(|_| ()),
        VaultCommand::ChangePassphrase => {
            let vault = open_vault(data_dir)?;
            let new = passphrase("COURTSIDE_NEW_PASSPHRASE", "New passphrase: ")?;
            vault.change_passphrase(&new, KdfParams::default())?;
            println!("Passphrase changed.");
            Ok(())
        }
        VaultCommand::Verify => {
            let problems = open_vault(data_dir)?.verify()?;
            if problems.is_empty() {
                println!("All records and blobs passed their integrity checks.");
                return Ok(());
            }
            for p in &problems {
                match p {
                    courtside_vault::VaultError::Tampered { item, kind, reason } => {
                        println!("{item}: {} ({reason})", damage_in_words(*kind));
                    }
                    other => println!("{other}"),
                }
            }
            println!(
                "Everything else opens as usual. To bring the damaged items back, restore a backup \
                 (`courtside vault restore`); to keep what is intact, export it in the app (Settings, Your data)."
            );
            Err(AppError::InvalidInput(format!("{} item(s) failed their integrity checks", problems.len())))
        }
        VaultCommand::Backup { to } => {
            let vault = open_vault(data_dir)?;
            let r = courtside_core::backup::back_up(&vault, &to)?;
            println!(
                "Snapshot {} in {}: {} files, {} bytes; {} new pieces, {} bytes written.",
                r.snapshot,
                to.display(),
                r.files,
                r.bytes,
                r.pieces_written,
                r.bytes_written
            );
            Ok(())
        }
        VaultCommand::Backups { at } => {
            let vault = open_vault(data_dir)?;
            for s in vault.backup_snapshots(&at)? {
                println!("{}\t{} files\t{} bytes", s.name, s.files, s.bytes);
            }
            Ok(())
        }
        VaultCommand::BackupVerify { at, recovery_key } => {
            let secret = backup_secret(recovery_key)?;
            let checked = courtside_vault::verify_backup(&at, secret.as_secret())?;
            let mut damaged = 0;
            for (name, result) in &checked {
                match result {
                    Ok(s) => println!("{name}\twhole\t{} files\t{} bytes", s.files, s.bytes),
                    Err(e) => {
                        damaged += 1;
                        println!("{name}\tDAMAGED\t{e}");
                    }
                }
            }
            if damaged == 0 {
                return Ok(());
            }
            Err(AppError::InvalidInput(format!("{damaged} of {} snapshot(s) are damaged", checked.len())))
        }
        VaultCommand::Restore { from, snapshot, recovery_key } => {
            let secret = backup_secret(recovery_key)?;
            let restored = courtside_core::backup::restore(data_dir, &from, snapshot.as_deref(), secret.as_secret())?;
            println!(
                "Restored snapshot {} ({} files) into {}.",
                restored.report.snapshot.name,
                restored.report.snapshot.files,
                data_dir.display()
            );
            println!(
                "The custody chain of {} exhibit(s) records the move; sign in to {} court account(s) again.",
                restored.exhibits, restored.sign_ins_to_redo
            );
            Ok(())
        }
    }
}

/// The passphrase, or with `recovery_key` the recovery key, that opens a backup.
enum Secret {
    Passphrase(String),
    RecoveryKey(String),
}

impl Secret {
    fn as_secret(&self) -> courtside_vault::BackupSecret<'_> {
        match self {
            Self::Passphrase(p) => courtside_vault::BackupSecret::Passphrase(p),
            Self::RecoveryKey(k) => courtside_vault::BackupSecret::RecoveryKey(k),
        }
    }
}

fn backup_secret(recovery_key: bool) -> Result<Secret, AppError> {
    Ok(if recovery_key {
        Secret::RecoveryKey(passphrase("COURTSIDE_RECOVERY_KEY", "Recovery key: ")?)
    } else {
        Secret::Passphrase(passphrase(PASSPHRASE_ENV, "Passphrase: ")?)
    })
}

fn draft_command(data_dir: &std::path::Path, command: DraftCommand) -> Result<(), AppError> {
    let vault = std::sync::Arc::new(open_vault(data_dir)?);
    let mut drafts = Drafts::load(vault).map_err(draft_error)?;
    match command {
        DraftCommand::New { title, body_file, case } => {
            let draft = drafts.create(&title, &read_text(&body_file)?, case.as_deref()).map_err(draft_error)?;
            println!("{}", draft.id);
        }
        DraftCommand::Save { id, body_file, title } => {
            let current = drafts.get(&id).map_err(draft_error)?;
            let title = title.unwrap_or(current.title);
            let draft = drafts.save(&id, &title, &read_text(&body_file)?).map_err(draft_error)?;
            println!("{} version {}", draft.id, draft.version);
        }
        DraftCommand::List => {
            for d in drafts.list() {
                println!("{}\t{}\t{}", d.id, d.version, d.title);
            }
        }
        DraftCommand::Show { id, version } => {
            let d = match version {
                Some(n) => drafts.version(&id, n),
                None => drafts.get(&id),
            }
            .map_err(draft_error)?;
            println!("{}\n\n{}", d.title, d.body);
        }
        DraftCommand::History { id } => {
            for v in drafts.history(&id).map_err(draft_error)? {
                println!("{}\t{}\t{} chars\t{}", v.number, v.saved_at, v.chars, v.title);
            }
        }
        DraftCommand::Search { text } => {
            for hit in drafts.search(&text) {
                println!("{}\t{}\t{}", hit.id, hit.title, hit.snippet);
            }
        }
    }
    Ok(())
}

fn draft_error(e: courtside_casework::DraftError) -> AppError {
    match e {
        courtside_casework::DraftError::Vault(v) => AppError::Vault(v),
        other => AppError::InvalidInput(other.to_string()),
    }
}

fn read_text(path: &std::path::Path) -> Result<String, AppError> {
    let bytes = if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map(|_| buf)
    } else {
        std::fs::read(path)
    }
    .map_err(|e| AppError::InvalidInput(format!("cannot read {}: {e}", path.display())))?;
    String::from_utf8(bytes).map_err(|_| AppError::InvalidInput(format!("{} is not UTF-8 text", path.display())))
}

async fn clerk_command(court: &str, token: &str, command: ClerkCommand) -> Result<(), AppError> {
    use courtside_court_api::filing::{CorrectionItem, FilingStatus, ReviewDecision, ServeDocument};
    let url = courtside_court_api::CourtUrl::parse(court).map_err(|e| AppError::InvalidInput(e.to_string()))?;
    let client = courtside_court_api::CourtClient::new(url)?;
    let clerk = client.clerk(token);
    let status_line = |s: &FilingStatus| match s {
        FilingStatus::Submitted => "submitted".to_owned(),
        FilingStatus::UnderReview => "under-review".to_owned(),
        FilingStatus::Docketed { case_number, .. } => format!("docketed {case_number}"),
        FilingStatus::Rejected { reasons } => format!("rejected: {}", reasons.join("; ")),
        FilingStatus::CorrectionRequested { due, .. } => format!("correction-requested (due {due})"),
    };
    match command {
        ClerkCommand::Filings => {
            for f in clerk.filings().await? {
                println!("{}\t{}\t{}", f.id, status_line(&f.status), f.title);
            }
        }
        ClerkCommand::Review { id, start, docket, reject, correct, due } => {
            let chosen = usize::from(start)
                + usize::from(docket)
                + usize::from(!reject.is_empty())
                + usize::from(!correct.is_empty());
            if chosen != 1 {
                return Err(AppError::InvalidInput(
                    "give exactly one of --start, --docket, --reject, --correct".into(),
                ));
            }
            let decision = if start {
                ReviewDecision::StartReview
            } else if docket {
                ReviewDecision::Docket
            } else if !reject.is_empty() {
                ReviewDecision::Reject { reasons: reject }
            } else {
                let due = due.ok_or_else(|| AppError::InvalidInput("--correct needs --due YYYY-MM-DD".into()))?;
                let due = courtside_court_api::policy::iso_date::parse(&due)
                    .map_err(|e| AppError::InvalidInput(format!("--due {due}: {e}")))?;
                let items = correct
                    .iter()
                    .map(|c| {
                        c.split_once('=')
                            .map(|(item, reason)| CorrectionItem {
                                item: item.trim().into(),
                                reason: reason.trim().into(),
                            })
                            .ok_or_else(|| AppError::InvalidInput(format!("--correct {c:?}: expected ITEM=REASON")))
                    })
                    .collect::<Result<_, _>>()?;
                ReviewDecision::RequestCorrection { items, due }
            };
            let filing = clerk.review(&id, &decision).await?;
            println!("{}\t{}", filing.id, status_line(&filing.status));
        }
        ClerkCommand::OpenCase { case_type, title, parties } => {
            let case = clerk.open_case(&courtside_court_api::hearing::OpenCase { case_type, title, parties }).await?;
            println!("{}\t{}", case.id, case.case_number);
        }
        ClerkCommand::Schedule { case_id, at, minutes, platform, title } => {
            let starts_at = time::OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339)
                .map_err(|e| AppError::InvalidInput(format!("--at {at}: {e} (expected RFC 3339)")))?;
            let hearing = clerk
                .schedule_hearing(&courtside_court_api::hearing::ScheduleHearing {
                    case_id,
                    title,
                    starts_at,
                    duration_minutes: minutes,
                    platform,
                    questions: Vec::new(),
                })
                .await?;
            println!("{}\t{}", hearing.id, at);
        }
        ClerkCommand::Fee { recipient, case_id, yuan, reason } => {
            let amount_fen = parse_yuan(&yuan)?;
            let fee = clerk
                .post_fee(&courtside_court_api::hearing::PostFeeNotice { recipient, case_id, amount_fen, reason })
                .await?;
            println!("{}\t{}\tdue {}", fee.id, fee.amount_fen, fee.due);
        }
        ClerkCommand::Serve { recipient, case_id, title, kind, media_type, file } => {
            let bytes = std::fs::read(&file)
                .map_err(|e| AppError::InvalidInput(format!("cannot read {}: {e}", file.display())))?;
            let served = clerk
                .serve(&ServeDocument {
                    recipient,
                    case_id,
                    title,
                    document_kind: kind,
                    media_type,
                    content: courtside_court_api::encoding::b64url(&bytes),
                })
                .await?;
            println!("{}\t{}", served.id, served.sha256);
        }
    }
    Ok(())
}

async fn upload_test(
    endpoint: &str,
    bearer: Option<String>,
    chunk_kib: u64,
    file: &std::path::Path,
) -> Result<(), AppError> {
    use courtside_sync::tus::{Endpoint, TusClient};
    let ep = Endpoint::new(endpoint, bearer).map_err(|e| AppError::InvalidInput(e.to_string()))?;
    let network = cli_sync::network_from_env()?;
    let client = TusClient::new(chunk_kib.saturating_mul(1024), courtside_sync::retry::RetryPolicy::default())
        .and_then(|c| c.with_network(&network))
        .map_err(|e| AppError::InvalidInput(e.to_string()))?;
    let caps = client.capabilities(&ep).await;
    eprintln!(
        "server: per-chunk checksum {}, max size {:?}",
        caps.checksum.map_or("none", courtside_court_api::tus::ChecksumAlgorithm::name),
        caps.max_size
    );
    let started = std::time::Instant::now();
    let mut last_report = std::time::Instant::now();
    let mut progress = |p: courtside_sync::tus::Progress| {
        if last_report.elapsed() >= std::time::Duration::from_millis(500) || p.confirmed == p.total {
            last_report = std::time::Instant::now();
            let secs = started.elapsed().as_secs_f64().max(1e-3);
            #[allow(clippy::cast_precision_loss, reason = "a progress display")]
            let rate = p.confirmed as f64 / secs / 1_048_576.0;
            eprintln!("{} / {} bytes ({rate:.1} MiB/s)", p.confirmed, p.total);
        }
    };
    let report = client.upload(&ep, file, None, &mut progress).await.map_err(|e| match e {
        courtside_sync::tus::TusError::File { .. } | courtside_sync::tus::TusError::BadEndpoint(_) => {
            AppError::InvalidInput(e.to_string())
        }
        other => AppError::Upload(other),
    })?;
    eprintln!(
        "done: {} bytes, sha256 {}, {} bytes sent, {} resumes, {:.2} s",
        report.bytes,
        report.sha256,
        report.bytes_sent,
        report.resumes,
        started.elapsed().as_secs_f64()
    );
    println!("{}", report.upload_url);
    Ok(())
}

/// Yuan as typed in fen (the one parser: `courtside_casework::money`).
fn parse_yuan(text: &str) -> Result<u64, AppError> {
    courtside_casework::money::Fen::parse_yuan(text)
        .map(|f| f.0)
        .map_err(|e| AppError::InvalidInput(format!("--yuan {text:?}: {e}")))
}

async fn serve_court(
    court_dir: PathBuf,
    listen: SocketAddr,
    size_limits: courtside_court_server::SizeLimits,
) -> Result<(), AppError> {
    let court =
        courtside_court_server::start(CourtConfig { listen, size_limits, ..CourtConfig::local(court_dir.clone()) })
            .await
            .map_err(|e| AppError::DemoCourt(e.to_string()))?;
    // One line on stdout with the real address, so scripts and tests can wait for it.
    println!(
        "court listening on {} (data in {}; clerk token in {})",
        court.base_url(),
        court_dir.display(),
        court_dir.join("clerk-token").display()
    );
    tokio::select! {
        result = shutdown_signal() => result.map_err(|e| AppError::Internal(format!("signal handler: {e}")))?,
        result = court.wait() => return result.map_err(|e| AppError::Internal(format!("court server: {e}"))),
    }
    Ok(())
}

async fn shutdown_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("COURTSIDE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}
