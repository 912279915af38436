//! `courtside`: the command-line face of Courtside (no webview).
//!
//! Exit codes: 0 success, 1 the user's error (one line on stderr), 2 an internal error.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use courtside_app::config::demo_court_dir;
use courtside_app::{AppConfig, AppError, default_data_dir};
use courtside_court_server::{CourtConfig, DEMO_COURT_NAME};

#[derive(Debug, Parser)]
#[command(name = "courtside", version, about = "Courtside: prepare, file and follow court cases, offline first.")]
struct Cli {
    /// Data directory (default: the OS application-data directory).
    #[arg(long, global = true, value_name = "DIR", env = courtside_app::config::DATA_DIR_ENV)]
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
        Command::Court { command: CourtCommand::Serve { port, host } } => {
            // An explicit --data-dir holds the court's data directly; by default it lives
            // where the desktop app's embedded demo court keeps it.
            let court_dir = match cli.data_dir {
                Some(dir) => dir,
                None => demo_court_dir(&default_data_dir()?),
            };
            serve_court(court_dir, SocketAddr::new(host, port)).await
        }
        Command::Status => {
            let mut config = AppConfig::from_env()?;
            if let Some(dir) = cli.data_dir {
                config.data_dir = dir;
            }
            let app = courtside_app::App::start(config).await?;
            let status = app.check_connectivity().await;
            println!("{}", serde_json::to_string(&status).map_err(|e| AppError::Internal(e.to_string()))?);
            app.shutdown().await;
            Ok(())
        }
    }
}

async fn serve_court(court_dir: PathBuf, listen: SocketAddr) -> Result<(), AppError> {
    let court = courtside_court_server::start(CourtConfig {
        data_dir: court_dir.clone(),
        listen,
        court_name: DEMO_COURT_NAME.to_owned(),
    })
    .await?;
    // One line on stdout with the real address, so scripts and tests can wait for it.
    println!("court listening on {} (data in {})", court.base_url(), court_dir.display());
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
