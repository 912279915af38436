//! `courtside hearing list|check-in|join`: the same flow as the window's hearing page, for
//! a terminal (and for the tests that take two participants into the court's room).

use clap::{Args, Subcommand};
use courtside_core::ipc::HearingCheck;
use courtside_core::{App, AppError};

/// `courtside hearing …`
#[derive(Debug, Subcommand)]
pub enum HearingCommand {
    /// Hearings the court has notified (pulled by `sync run` or the app): id, start, court
    /// case, platform, title.
    List,
    /// The pre-hearing check: measures round trip and throughput to the court, then sends
    /// the check-in with what you confirm; prints the time the court recorded.
    CheckIn(CheckInArgs),
    /// Asks the court for a join ticket; prints the room's address (one line). The court
    /// admits only after a check-in, within the hearing's window.
    Join {
        /// The hearing id.
        id: String,
        /// Also open the room with the system handler (the browser).
        #[arg(long)]
        open: bool,
    },
}

/// What the participant confirms at check-in (nothing is assumed: every flag defaults off).
#[derive(Debug, Args)]
pub struct CheckInArgs {
    /// The hearing id.
    id: String,
    /// The camera works.
    #[arg(long)]
    camera: bool,
    /// The microphone works.
    #[arg(long)]
    microphone: bool,
    /// The speaker works.
    #[arg(long)]
    speaker: bool,
    /// The place is quiet (Online Litigation Rules Art. 24).
    #[arg(long)]
    quiet: bool,
    /// The place is well lit.
    #[arg(long)]
    lit: bool,
    /// Alone in an enclosed room.
    #[arg(long)]
    alone: bool,
    /// I confirm my identity.
    #[arg(long)]
    confirm_identity: bool,
    /// I will not record, capture or broadcast the hearing (Art. 27).
    #[arg(long)]
    acknowledge_rules: bool,
}

/// Runs one hearing command on an opened app.
///
/// # Errors
/// The app's errors: not signed in, the court refusing, an unknown hearing.
pub async fn run(app: &App, command: HearingCommand) -> Result<(), AppError> {
    match command {
        HearingCommand::List => {
            for h in app.hearings()? {
                println!("{}\t{}\t{}\t{}\t{}", h.id, h.starts_at, h.court_case, h.platform, h.title);
            }
        }
        HearingCommand::CheckIn(a) => {
            if !app.hearings()?.iter().any(|h| h.id == a.id) {
                return Err(AppError::InvalidInput(format!("no hearing {} has been notified (run `sync run`)", a.id)));
            }
            let network = app.network_check().await?;
            eprintln!("round trip {} ms, throughput {} kbit/s", network.round_trip_ms, network.throughput_kbps);
            let check = HearingCheck {
                camera: a.camera,
                microphone: a.microphone,
                speaker: a.speaker,
                round_trip_ms: network.round_trip_ms,
                throughput_kbps: network.throughput_kbps,
                quiet: a.quiet,
                lit: a.lit,
                alone: a.alone,
                identity_confirmed: a.confirm_identity,
                rules_acknowledged: a.acknowledge_rules,
            };
            let entry = app.check_in_from(&a.id, &check).await?;
            println!("checked in at {}", entry.checked_in_at.unwrap_or_default());
        }
        HearingCommand::Join { id, open } => {
            let ticket = app
                .join_hearing(&id, |url| if open { courtside_core::courts::open_in_browser(url) } else { Ok(()) })
                .await?;
            println!("{}", ticket.room_url);
        }
    }
    Ok(())
}
