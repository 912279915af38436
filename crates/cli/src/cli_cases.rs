//! `courtside fees`, `courtside deadline`, `courtside case new|list|show`,
//! `courtside filing new|check`.

use clap::{Args, Subcommand};
use courtside_casework::deadlines::{WorkingCalendar, deadline};
use courtside_casework::fees::{self, FeeWorking};
use courtside_casework::templates::yuan;
use courtside_core::ipc::{CaseFields, CaseParty, CaseView, PartyKind, PartyRole};
use courtside_core::{App, AppConfig, AppError};
use courtside_court_api::policy::{CourtKey, CourtPolicy, HalvingReason};

/// `courtside fees …`
#[derive(Debug, Args)]
pub struct FeesArgs {
    /// `demo` (the demo court's published schedule).
    #[arg(long, default_value = "demo")]
    court: String,
    /// `property`, `payment-order`, `preservation`, `enforcement`, or a case type code of the
    /// court's policy (e.g. `civil-contract`, `divorce`).
    #[arg(long)]
    case_type: String,
    /// Amount in controversy (or applied for), yuan.
    #[arg(long)]
    amount: Option<String>,
    /// Simple procedure: the acceptance fee is halved.
    #[arg(long)]
    simple_procedure: bool,
    /// Settled by mediation or withdrawn: the acceptance fee is halved.
    #[arg(long)]
    mediated_or_withdrawn: bool,
}

/// `courtside deadline …`
#[derive(Debug, Args)]
pub struct DeadlineArgs {
    /// `demo` (the demo court's calendar and periods).
    #[arg(long, default_value = "demo")]
    court: String,
    /// The statutory period: `answer`, `appeal-judgment`, `appeal-ruling`,
    /// `payment-order-objection`, `fee-payment`, …
    #[arg(long)]
    period: String,
    /// The day of the triggering event (service, judgment), YYYY-MM-DD; it is not counted.
    #[arg(long)]
    from: String,
}

/// `courtside case …`
#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Prepare a new case (offline); prints its id. Its statement of claim is rendered.
    New {
        /// Case type code from the court's policy.
        #[arg(long, default_value = "civil-contract")]
        case_type: String,
        /// Cause of action (案由).
        #[arg(long)]
        cause: String,
        /// Short title.
        #[arg(long)]
        title: String,
        /// Amount in controversy, yuan.
        #[arg(long)]
        amount: Option<String>,
        /// A plaintiff's name (repeatable).
        #[arg(long = "plaintiff")]
        plaintiffs: Vec<String>,
        /// A defendant's name (repeatable).
        #[arg(long = "defendant")]
        defendants: Vec<String>,
        /// A claim (repeatable).
        #[arg(long = "claim")]
        claims: Vec<String>,
        /// Facts and reasons.
        #[arg(long, default_value = "")]
        facts: String,
        /// Simple procedure.
        #[arg(long)]
        simple_procedure: bool,
    },
    /// Every case: id, stage, case number, title.
    List,
    /// A case: fields, documents, checklist, fee, filing.
    Show {
        /// Case id.
        id: String,
    },
    /// Attach a file to a case as a required document (e.g. `identity`).
    Attach {
        /// Case id.
        id: String,
        /// Document kind from the court's policy.
        #[arg(long)]
        kind: String,
        /// The file.
        file: std::path::PathBuf,
    },
    /// Remove a document from a case (its blob id from `case show`).
    Detach {
        /// Case id.
        id: String,
        /// Blob id.
        blob: String,
    },
}

/// The demo court's policy (its signing key does not matter for fees and deadlines).
fn policy(court: &str) -> Result<CourtPolicy, AppError> {
    if court != "demo" {
        return Err(AppError::InvalidInput(format!(
            "--court {court}: only `demo` is built in; for another court, sign in and use the app's case page"
        )));
    }
    Ok(courtside_court_server::demo_policy(CourtKey {
        key_id: "offline".into(),
        algorithm: "Ed25519".into(),
        public_key: String::new(),
    }))
}

/// Yuan as typed (`150000`, `150,000.50`, full-width digits) to fen.
fn fen(yuan_text: &str) -> Result<u64, AppError> {
    courtside_casework::money::Fen::parse_yuan(yuan_text)
        .map(|f| f.0)
        .map_err(|e| AppError::InvalidInput(format!("{yuan_text:?}: {e}")))
}

/// `courtside fees`: the working, then the fee in yuan alone on the last line.
pub fn fees(a: &FeesArgs) -> Result<(), AppError> {
    let policy = policy(&a.court)?;
    let schedule = &policy.fee_schedule;
    let amount = a.amount.as_deref().map(fen).transpose()?;
    let need = || amount.ok_or_else(|| AppError::InvalidInput(format!("--case-type {} needs --amount", a.case_type)));
    let err = |e: fees::FeeError| AppError::InvalidInput(e.to_string());
    let mut halvings = Vec::new();
    if a.simple_procedure {
        halvings.push(HalvingReason::SimpleProcedure);
    }
    if a.mediated_or_withdrawn {
        halvings.push(HalvingReason::MediatedSettlement);
    }
    let working: FeeWorking = match a.case_type.as_str() {
        "payment-order" => fees::payment_order_fee(schedule, need()?).map_err(err)?,
        "preservation" => fees::preservation_fee(schedule, need()?).map_err(err)?,
        "enforcement" => fees::enforcement_fee(schedule, need()?).map_err(err)?,
        code => {
            let generic = courtside_court_api::policy::CaseType {
                code: "property".into(),
                name: courtside_court_api::policy::LocalizedText {
                    zh_cn: "财产案件".into(),
                    en: "Property case".into(),
                },
                fee_basis: courtside_court_api::policy::FeeBasis::Property,
                amount_required: true,
                required_documents: Vec::new(),
            };
            let case_type = if code == "property" {
                &generic
            } else {
                policy.case_types.iter().find(|t| t.code == code).ok_or_else(|| {
                    let known: Vec<&str> = policy.case_types.iter().map(|t| t.code.as_str()).collect();
                    AppError::InvalidInput(format!(
                        "unknown --case-type {code}; use property, payment-order, preservation, enforcement or one of {}",
                        known.join(", ")
                    ))
                })?
            };
            fees::acceptance_fee(schedule, case_type, amount, &halvings).map_err(err)?
        }
    };
    for line in courtside_core::cases::working(&working) {
        println!("{line}");
    }
    println!("{}", yuan(working.total_fen));
    Ok(())
}

/// `courtside deadline`: how it was counted, then the last day alone on the last line.
pub fn deadline_command(a: &DeadlineArgs) -> Result<(), AppError> {
    let policy = policy(&a.court)?;
    let period = policy.statutory_periods.iter().find(|p| p.code == a.period).ok_or_else(|| {
        let known: Vec<&str> = policy.statutory_periods.iter().map(|p| p.code.as_str()).collect();
        AppError::InvalidInput(format!("unknown --period {}; known: {}", a.period, known.join(", ")))
    })?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let start = time::Date::parse(&a.from, &format)
        .map_err(|e| AppError::InvalidInput(format!("--from {:?}: {e} (use YYYY-MM-DD)", a.from)))?;
    let calendar = WorkingCalendar::new(&policy.calendar);
    let d = deadline(start, period, &calendar).map_err(|e| AppError::InvalidInput(e.to_string()))?;
    let show = |d: time::Date| d.format(&format).unwrap_or_default();
    println!(
        "{} ({}), {} {:?} from {} (not counted) [{}]",
        period.name.en,
        period.name.zh_cn,
        period.length,
        period.unit,
        show(start),
        period.basis
    );
    println!("counted to {}", show(d.nominal_end));
    if !d.moved_over.is_empty() {
        let days: Vec<String> = d.moved_over.iter().map(|x| show(*x)).collect();
        println!("moved over rest days and holidays: {}", days.join(", "));
    }
    if !d.calendar_known {
        println!("warning: the court's calendar does not cover that year; check against the official holiday notice");
    }
    println!("{}", show(d.last_day));
    Ok(())
}

fn party(role: PartyRole, name: &str) -> CaseParty {
    CaseParty {
        role,
        kind: PartyKind::Person,
        name: name.to_owned(),
        id_number: String::new(),
        address: String::new(),
        phone: String::new(),
        service_address: String::new(),
        representative: String::new(),
    }
}

/// Starts the app service and opens the vault (passphrase from `COURTSIDE_PASSPHRASE`),
/// without the desktop's background sync engines: a command does only what it was asked.
pub async fn open_app(mut config: AppConfig, passphrase: String) -> Result<App, AppError> {
    config.vault_kdf = courtside_vault::KdfParams::default();
    config.background_sync = false;
    let app = App::start(config).await?;
    app.unlock_vault(passphrase).await?;
    Ok(app)
}

/// `courtside case …`
pub async fn case(app: &App, command: CaseCommand) -> Result<(), AppError> {
    match command {
        CaseCommand::New {
            case_type,
            cause,
            title,
            amount,
            plaintiffs,
            defendants,
            claims,
            facts,
            simple_procedure,
        } => {
            let policy = app.court_policy().await?;
            let parties = plaintiffs
                .iter()
                .map(|n| party(PartyRole::Plaintiff, n))
                .chain(defendants.iter().map(|n| party(PartyRole::Defendant, n)))
                .collect();
            let view = app.create_case(CaseFields {
                court_id: policy.court_id,
                case_type,
                cause_of_action: cause,
                title,
                amount_fen: amount.as_deref().map(fen).transpose()?,
                simple_procedure,
                parties,
                claims,
                facts,
                notes: String::new(),
            })?;
            println!("{}", view.case.id);
        }
        CaseCommand::List => {
            for c in app.list_cases()? {
                println!("{}\t{}\t{}\t{}", c.id, c.stage, c.case_number.as_deref().unwrap_or("-"), c.title);
            }
        }
        CaseCommand::Show { id } => print_case(&app.get_case(&id)?),
        CaseCommand::Attach { id, kind, file } => {
            let bytes = std::fs::read(&file).map_err(|e| AppError::InvalidInput(format!("{}: {e}", file.display())))?;
            let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("document");
            print_case(&app.attach_case_document(&id, &kind, name, &bytes)?);
        }
        CaseCommand::Detach { id, blob } => print_case(&app.detach_case_document(&id, &blob)?),
    }
    Ok(())
}

fn print_case(v: &CaseView) {
    let f = &v.case.fields;
    println!("{}\n案由 {} · {} · {}", f.title, f.cause_of_action, f.case_type, v.stage);
    if let Some(n) = &v.case_number {
        println!("case number {n}");
    }
    for p in &f.parties {
        println!("{:?}: {}", p.role, p.name);
    }
    for (i, c) in f.claims.iter().enumerate() {
        println!("claim {}: {c}", i + 1);
    }
    for d in &v.case.documents {
        println!(
            "document {} ({}, {}, {} bytes, sha256 {}) blob {}",
            d.file_name, d.kind, d.media_type, d.bytes, d.sha256, d.blob_id
        );
    }
    if let Some(fee) = &v.fee {
        println!("fee {} yuan", fee.total_yuan);
    }
    if let Some(filing) = &v.filing {
        println!("filing {} {}", filing.id, filing.state);
    }
    print_problems(v);
}

fn print_problems(v: &CaseView) {
    for p in &v.check.problems {
        println!("to fix: {}", p.detail);
    }
}

/// `courtside filing check CASE`: exit 1 and every problem when the filing is incomplete.
pub fn check(app: &App, id: &str) -> Result<(), AppError> {
    let v = app.get_case(id)?;
    if v.case.filing_item.is_some() {
        println!("already queued as {}", v.case.filing_item.as_deref().unwrap_or_default());
        return Ok(());
    }
    print_problems(&v);
    if v.check.ready {
        println!("ready to file");
        Ok(())
    } else {
        Err(AppError::InvalidInput(format!("{} problem(s) to fix before filing", v.check.problems.len())))
    }
}

/// `courtside filing new --case ID`: queues the case's filing; prints the outbox item's id.
pub fn new_filing(app: &App, case: &str) -> Result<(), AppError> {
    let v = app.queue_case_filing(case)?;
    println!("{}", v.case.filing_item.unwrap_or_default());
    Ok(())
}
