//! `courtside evidence add|list|verify|export|log`.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Subcommand;
use courtside_core::AppError;
use courtside_evidence::{Capture, EvidenceError, Locker};
use courtside_vault::Vault;

/// `courtside evidence …`
#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Capture files: each is hashed and sealed in one pass and logged; prints one line per
    /// file: exhibit id, SHA-256, number, name.
    Add {
        /// Title (default: the file's name).
        #[arg(long)]
        title: Option<String>,
        /// What it proves (证明目的).
        #[arg(long, default_value = "")]
        proves: String,
        /// The files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Every exhibit: number, id, SHA-256, media type, size, title.
    List,
    /// Check the custody log and re-hash the originals (one exhibit, or all); exit 1 and name
    /// each exhibit and entry on any integrity failure.
    Verify {
        /// Exhibit id.
        id: Option<String>,
    },
    /// Export exhibits with their chain of custody.
    Export {
        /// `bagit` (BagIt 1.0, RFC 8493).
        #[arg(long, default_value = "bagit")]
        format: String,
        /// Only these exhibits (repeatable; default all).
        #[arg(long = "exhibit")]
        exhibits: Vec<String>,
        /// Directory to create the bag in.
        out_dir: PathBuf,
    },
    /// Capture a web page as a .warc.gz exhibit (requests, responses, redirects, TLS facts,
    /// the page's text); prints exhibit id, SHA-256 and the final address.
    CaptureUrl {
        /// What it proves.
        #[arg(long, default_value = "")]
        proves: String,
        /// The page's address (http or https).
        url: String,
    },
    /// Time-stamp every exhibit not stamped yet, and the custody log's head, at a court's
    /// time-stamping authority (RFC 3161); prints one line per token.
    Timestamp {
        /// The court's base URL.
        #[arg(long, env = "COURTSIDE_COURT_URL")]
        court: String,
    },
    /// The custody log: sequence, time, exhibit, event.
    Log {
        /// Only this exhibit.
        id: Option<String>,
    },
}

fn err(e: EvidenceError) -> AppError {
    match e {
        EvidenceError::Vault(v) => AppError::Vault(v),
        other => AppError::InvalidInput(other.to_string()),
    }
}

/// Runs an evidence command on an open vault.
pub async fn run(vault: Vault, command: EvidenceCommand) -> Result<(), AppError> {
    let locker = Locker::open(Arc::new(vault)).map_err(err)?;
    match command {
        EvidenceCommand::Timestamp { court } => {
            let court = courtside_court_api::CourtUrl::parse(&court)
                .map_err(|e| AppError::InvalidInput(format!("--court: {e}")))?;
            let court =
                courtside_court_api::CourtClient::with_network(court, &courtside_core::courts::network_from_env()?)
                    .map_err(|e| AppError::InvalidInput(e.to_string()))?;
            for s in locker.timestamp(&court).await.map_err(err)? {
                println!("{}\t{}\t{}", s.subject, s.gen_time, s.sha256);
            }
        }
        EvidenceCommand::CaptureUrl { proves, url } => {
            let (e, web) = locker.capture_url(&url, &proves).await.map_err(err)?;
            eprintln!("fetched {}", web.hops.join(" -> "));
            println!("{}\t{}\t{}", e.id, e.sha256, web.final_url);
        }
        EvidenceCommand::Add { title, proves, files } => {
            for file in files {
                let capture = Capture { title: title.clone(), proves: proves.clone(), source: None };
                let e = locker.capture_file(&file, &capture).map_err(err)?;
                println!("{}\t{}\t{}\t{}", e.id, e.sha256, e.number, e.original_name);
            }
        }
        EvidenceCommand::List => {
            for e in locker.exhibits().map_err(err)? {
                println!("{}\t{}\t{}\t{}\t{}\t{}", e.number, e.id, e.sha256, e.media_type, e.size, e.title);
            }
        }
        EvidenceCommand::Verify { id } => {
            let v = locker.verify(id.as_deref()).map_err(err)?;
            for p in &v.problems {
                let exhibit = match (&p.number, &p.exhibit) {
                    (Some(n), Some(id)) => format!("exhibit {n} ({id})"),
                    (None, Some(id)) => format!("exhibit {id}"),
                    _ => "the custody log".to_owned(),
                };
                let entry = p.entry.map(|s| format!(", custody entry {s}")).unwrap_or_default();
                println!("FAILED {exhibit}{entry}: {}", p.reason);
            }
            if !v.problems.is_empty() {
                return Err(AppError::InvalidInput(format!("{} integrity problem(s)", v.problems.len())));
            }
            println!("ok: {} exhibit(s) and {} custody entries verified", v.exhibits_checked, v.entries_checked);
        }
        EvidenceCommand::Export { format, exhibits, out_dir } => {
            if format != "bagit" {
                return Err(AppError::InvalidInput(format!("--format {format}: only bagit is supported")));
            }
            let bag = locker.export_bagit(&exhibits, &out_dir).map_err(err)?;
            println!("{}", bag.display());
        }
        EvidenceCommand::Log { id } => {
            for e in locker.custody(id.as_deref()).map_err(err)? {
                let event = serde_json::to_string(&e.event).unwrap_or_default();
                println!("{}\t{}\t{}\t{event}", e.seq, e.at, e.exhibit);
            }
        }
    }
    Ok(())
}
