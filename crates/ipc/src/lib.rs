//! Data-transfer types between the UI and Rust.
//!
//! These are the only types that cross the IPC boundary. Their TypeScript declarations are
//! generated ([`bindings`]) into `ui/src/lib/backend/bindings.ts`, committed, and checked for
//! staleness by a test, so the two sides cannot drift apart silently.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use courtside_casework::cases::{
    Case, CaseDeadline, CaseDocument, CaseFields, CaseParty, Correcting, CorrectionPoint, PartyKind, PartyRole,
};
pub use courtside_casework::{Draft, DraftSummary, SearchHit, VersionSummary};
pub use courtside_evidence::custody::{Entry as CustodyEntry, Event as CustodyEvent};
pub use courtside_evidence::{Exhibit, Problem as IntegrityProblem, Source as ExhibitSource, Verification};
pub use courtside_vault::Damage;
use courtside_vault::VaultError;

/// What the UI shows about the running app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    /// The app's version, e.g. `0.1.0`.
    pub version: String,
    /// The OS's preferred locale as a BCP 47 tag (`zh-CN`, `en-US`), when the OS tells.
    pub os_locale: Option<String>,
    /// The court this app talks to.
    pub court: CourtSummary,
}

/// The court the app is connected to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CourtSummary {
    /// Base URL of the court's API.
    pub url: String,
    /// Whether this is the embedded demo court.
    pub demo: bool,
}

/// Whether the court can be reached right now, and if not, why.
///
/// "Online" means the last call to the court succeeded; the OS's network state is only a
/// hint. Proxy and certificate failures are told apart from "offline" because the user fixes
/// them differently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum Connectivity {
    /// The court answered.
    #[serde(rename_all = "camelCase")]
    Online {
        /// The court's display name.
        court_name: String,
        /// Milliseconds since the Unix epoch of the check.
        #[ts(type = "number")]
        checked_at: u64,
    },
    /// The court could not be reached.
    #[serde(rename_all = "camelCase")]
    Offline {
        /// Why, in words for the user.
        reason: String,
        /// Milliseconds since the Unix epoch of the check.
        #[ts(type = "number")]
        checked_at: u64,
    },
    /// A proxy demands credentials.
    #[serde(rename_all = "camelCase")]
    ProxyAuthRequired {
        /// Milliseconds since the Unix epoch of the check.
        #[ts(type = "number")]
        checked_at: u64,
    },
    /// The court's certificate was not accepted.
    #[serde(rename_all = "camelCase")]
    CertificateProblem {
        /// The TLS stack's explanation.
        reason: String,
        /// Milliseconds since the Unix epoch of the check.
        #[ts(type = "number")]
        checked_at: u64,
    },
}

/// Whether a vault exists and whether it is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum VaultState {
    /// No vault yet: the UI offers to create one.
    Absent,
    /// A vault exists and is closed.
    Locked,
    /// The vault is open.
    Unlocked,
}

/// Answer to vault creation: the recovery key, to be shown to the user exactly once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CreatedVault {
    /// The printable recovery key (`CSRK-XXXX-…`).
    pub recovery_key: String,
}

/// A signed-in court account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CourtAccountView {
    /// The court's base URL.
    pub court: String,
    /// Login name.
    pub username: String,
    /// Display name.
    pub name: String,
    /// This device's id at the court.
    pub device_id: String,
}

/// Where a case stands, from its filing and the court's word on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum CaseStage {
    /// Not filed yet.
    Preparing,
    /// In the outbox, on its way.
    Queued,
    /// The court's receipt is in.
    Sent,
    /// The court is reviewing it.
    UnderReview,
    /// Docketed: it has a case number.
    Docketed,
    /// Refused by the court.
    Rejected,
    /// The court asks for corrections.
    CorrectionRequested,
    /// The filing cannot go on without the user.
    NeedsAttention,
    /// Withdrawn by the user before the court had it.
    Withdrawn,
}

impl CaseStage {
    /// The name on the wire (and in the CLI).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Preparing => "preparing",
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::UnderReview => "underReview",
            Self::Docketed => "docketed",
            Self::Rejected => "rejected",
            Self::CorrectionRequested => "correctionRequested",
            Self::NeedsAttention => "needsAttention",
            Self::Withdrawn => "withdrawn",
        }
    }
}

impl std::fmt::Display for CaseStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an outbox item stands on this computer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum OutboxState {
    /// Waiting to be sent.
    Queued,
    /// Its files are uploading.
    Uploading,
    /// Sent; the receipt is awaited.
    Submitted,
    /// The court's receipt is in and verified.
    Receipted,
    /// It cannot go on without the user.
    NeedsAttention,
    /// The court refused it for good.
    Failed,
    /// Withdrawn by the user.
    Cancelled,
}

/// The wire name (camelCase, as serialized), for the CLI's output.
macro_rules! display_as_wire_name {
    ($($t:ty),*) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match serde_json::to_value(self) {
                    Ok(serde_json::Value::String(name)) => f.write_str(&name),
                    _ => write!(f, "{self:?}"),
                }
            }
        }
    )*};
}
display_as_wire_name!(OutboxState, CourtStatus, SyncState);

/// What the court says of a filing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum CourtStatus {
    /// The court has it.
    Submitted,
    /// Under review.
    UnderReview,
    /// Docketed.
    Docketed,
    /// Rejected.
    Rejected,
    /// Corrections asked for.
    CorrectionRequested,
}

/// One account's connection to its court, as the sync engine last found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum SyncState {
    /// Not tried yet.
    Unknown,
    /// The last authenticated call went through.
    Online,
    /// The court cannot be reached.
    Offline,
    /// A proxy wants credentials.
    ProxyAuthRequired,
    /// The court's certificate is not trusted.
    CertificateProblem,
    /// The court ended the sign-in.
    SignedOut,
}

/// One account's sync state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AccountSync {
    /// The account.
    pub account: CourtAccountView,
    /// The connection, as the engine last found it.
    pub state: SyncState,
    /// Why, when not online.
    pub reason: Option<String>,
    /// Last completed sync (Unix seconds).
    #[ts(type = "number | null")]
    pub last_sync: Option<i64>,
    /// Items still to send.
    #[ts(type = "number")]
    pub pending: usize,
    /// Items needing the user.
    #[ts(type = "number")]
    pub needs_attention: usize,
}

/// Bytes of an upload the court has confirmed, with rate and estimate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UploadProgress {
    /// Confirmed bytes.
    #[ts(type = "number")]
    pub confirmed: u64,
    /// Size of the file.
    #[ts(type = "number")]
    pub total: u64,
    /// Recent rate.
    #[ts(type = "number")]
    pub bytes_per_second: u64,
    /// Seconds left at that rate.
    #[ts(type = "number | null")]
    pub eta_seconds: Option<u64>,
}

/// One outbox item as the sync panel shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OutboxView {
    /// UUID (the Idempotency-Key).
    pub id: String,
    /// Title.
    pub title: String,
    /// The case it files, when it came from one.
    pub case_id: Option<String>,
    /// Where it stands on this computer.
    pub state: OutboxState,
    /// Why it needs attention or failed.
    pub reason: Option<String>,
    /// Every fault listed (by the court, or by the checks).
    pub details: Vec<String>,
    /// The court's status from the change feed.
    pub court_status: Option<CourtStatus>,
    /// The court's correction request, when it asked for one.
    pub correction: Option<CourtCorrection>,
    /// The court's case number once docketed.
    pub case_number: Option<String>,
    /// Files in the filing.
    #[ts(type = "number")]
    pub files: usize,
    /// Files the court holds completely.
    #[ts(type = "number")]
    pub files_uploaded: usize,
    /// The file going up now.
    pub progress: Option<UploadProgress>,
    /// Held back by the user.
    pub paused: bool,
    /// Whether it can still be withdrawn (nothing of it was sent as a filing yet).
    pub cancellable: bool,
    /// The last failure of a try (it will be tried again).
    pub last_error: Option<String>,
    /// When it was queued (Unix seconds).
    #[ts(type = "number")]
    pub created_at: i64,
}

/// The sync panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncOverview {
    /// Each signed-in account.
    pub accounts: Vec<AccountSync>,
    /// Every outbox item, newest first.
    pub items: Vec<OutboxView>,
}

/// A case type the court takes online.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CaseTypeOption {
    /// Code.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Whether the amount in controversy must be given.
    pub amount_required: bool,
    /// Required documents of a new case: kind, Chinese and English names.
    pub required_documents: Vec<RequiredDocument>,
}

/// A document the court requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RequiredDocument {
    /// Kind.
    pub kind: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Whether the case has it.
    pub present: bool,
    /// Whether Courtside renders it from the case.
    pub generated: bool,
}

/// The court's rules as cached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PolicyView {
    /// Court id.
    pub court_id: String,
    /// Court name.
    pub court_name: String,
    /// Policy version.
    pub version: String,
    /// When the court last confirmed it (Unix seconds).
    #[ts(type = "number")]
    pub confirmed_at: i64,
    /// Case types.
    pub case_types: Vec<CaseTypeOption>,
    /// Statutory periods (for deadlines).
    pub periods: Vec<PeriodOption>,
}

/// What stops a filing, as the UI words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ProblemCode {
    /// The court's rules are not on this computer yet.
    NoPolicy,
    /// No court account to file with.
    NotSignedIn,
    /// The court does not take this case type online.
    UnknownCaseType,
    /// No title.
    TitleMissing,
    /// No cause of action.
    CauseMissing,
    /// A party of a required role is missing (`role`).
    PartyMissing,
    /// A party without a name.
    PartyNameMissing,
    /// No claim.
    ClaimsMissing,
    /// No facts and reasons.
    FactsMissing,
    /// The case type needs the amount in controversy.
    AmountMissing,
    /// No lead document.
    LeadMissing,
    /// A required document is missing (`subject`: its kind).
    DocumentMissing,
    /// A document in a format the court does not take (`subject`: its title).
    FormatNotAccepted,
    /// A document larger than the court takes (`subject`: its title).
    FileTooLarge,
    /// The documents together are larger than the court takes.
    FilingTooLarge,
}

/// One problem that stops a filing, with what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CheckProblem {
    /// What it is.
    pub code: ProblemCode,
    /// The missing party's role ([`ProblemCode::PartyMissing`]).
    pub role: Option<PartyRole>,
    /// What else it is about: a case type code, a document kind, a document's title.
    pub subject: Option<String>,
    /// A sentence in English (the UI words it by `code`).
    pub detail: String,
}

/// The filing checklist of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FilingCheck {
    /// Whether it may be queued.
    pub ready: bool,
    /// The required documents and whether each is there.
    pub required: Vec<RequiredDocument>,
    /// What stops it.
    pub problems: Vec<CheckProblem>,
    /// Version of the policy checked against.
    pub policy_version: Option<String>,
}

/// The litigation fee with its working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FeeView {
    /// Fee in fen.
    #[ts(type = "number")]
    pub total_fen: u64,
    /// Fee in yuan as the court writes it.
    pub total_yuan: String,
    /// The working, line by line.
    pub working: Vec<String>,
}

/// A case with everything its page shows.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CaseView {
    /// The case.
    pub case: Case,
    /// Where the case stands.
    pub stage: CaseStage,
    /// The court's case number, once docketed.
    pub case_number: Option<String>,
    /// The filing in the outbox.
    pub filing: Option<OutboxView>,
    /// The checklist (empty once queued).
    pub check: FilingCheck,
    /// The acceptance fee, when it can be computed.
    pub fee: Option<FeeView>,
    /// Steps marked as continuing offline (Art. 33).
    pub offline_steps: Vec<OfflineStepView>,
    /// The exhibits chosen for the case, in catalogue order (read one by one: the page does
    /// not read the whole locker).
    pub exhibits: Vec<Exhibit>,
}

/// What a calendar entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum CalendarKind {
    /// The last day of a period on a case.
    Deadline,
    /// A hearing the court scheduled.
    Hearing,
}

/// One entry of the calendar across cases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CalendarItem {
    /// The case on this computer (a hearing in a case not followed here has none).
    pub case_id: Option<String>,
    /// Its title.
    pub case_title: Option<String>,
    /// What it is.
    pub kind: CalendarKind,
    /// The day, `YYYY-MM-DD` (China time).
    pub day: String,
    /// Its start (RFC 3339), for a hearing.
    pub at: Option<String>,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// The user's note.
    pub note: String,
    /// Titles of other cases with an entry on the same day.
    pub clashes_with: Vec<String>,
}

/// The calendar across cases, soonest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CalendarView {
    /// Entries.
    pub items: Vec<CalendarItem>,
}

/// A statutory period of the court's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PeriodOption {
    /// Code.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Legal basis.
    pub basis: String,
}

/// An exhibit with its custody timeline and verification.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExhibitDetail {
    /// The exhibit.
    pub exhibit: Exhibit,
    /// Its custody entries, oldest first.
    pub custody: Vec<CustodyEntry>,
    /// A verification made just now.
    pub verification: Verification,
}

/// Files dropped on the window, held in Rust until the user keeps or discards them (the
/// window never sees their paths).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DropOffer {
    /// Names this drop for `App::capture_dropped` (courtside-core).
    pub token: String,
    /// Files found (folders walked).
    pub files: u32,
    /// Their total size.
    #[ts(type = "number")]
    pub bytes: u64,
    /// The first few names, to show.
    pub names: Vec<String>,
    /// Entries left out: hidden files, partial downloads, links, what could not be read,
    /// anything past the limit of files per drop.
    pub skipped: u32,
}

/// Progress of a dropped batch being captured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DropProgress {
    /// The file being captured (1-based).
    pub file: u32,
    /// Files in the batch.
    pub files: u32,
    /// Its name.
    pub name: String,
    /// Bytes of the batch read so far.
    #[ts(type = "number")]
    pub done: u64,
    /// Bytes in the batch.
    #[ts(type = "number")]
    pub total: u64,
}

/// A file of a dropped batch that could not be captured (the others were).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DropFailure {
    /// Its name.
    pub name: String,
    /// Why.
    pub reason: String,
}

/// What a dropped batch became.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DropOutcome {
    /// The exhibits made, in the order captured.
    pub exhibits: Vec<Exhibit>,
    /// The files that could not be captured.
    pub failed: Vec<DropFailure>,
}

/// The deadline a served document started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServedDeadline {
    /// The period's Chinese name.
    pub name_zh: String,
    /// Its English name.
    pub name_en: String,
    /// Its last day (YYYY-MM-DD, China time).
    pub last_day: String,
}

/// A served document (电子送达) as the inbox shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServedView {
    /// The court's service id.
    pub id: String,
    /// The court's case id.
    pub court_case: String,
    /// The local case following it.
    pub local_case: Option<String>,
    /// That case's title.
    pub case_title: Option<String>,
    /// The deadline its service started on that case, with its last day.
    pub deadline: Option<ServedDeadline>,
    /// Title.
    pub title: String,
    /// Kind (`complaint`, `judgment`, `ruling`, `notice`, …).
    pub document_kind: String,
    /// The period its service starts, if any.
    pub period: Option<String>,
    /// Media type.
    pub media_type: String,
    /// Size.
    #[ts(type = "number")]
    pub bytes: u64,
    /// SHA-256 (checked when it was sealed).
    pub sha256: String,
    /// When the court sent it (RFC 3339).
    pub sent_at: String,
    /// When the court recorded the receipt: service is complete then (RFC 3339).
    pub received_at: Option<String>,
}

/// A fee notice from the court.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FeeNoticeView {
    /// The court's fee id.
    pub id: String,
    /// The court's case id.
    pub court_case: String,
    /// The local case following it.
    pub local_case: Option<String>,
    /// Its title.
    pub case_title: Option<String>,
    /// Amount in fen.
    #[ts(type = "number")]
    pub amount_fen: u64,
    /// What it is for.
    pub reason: String,
    /// Last day to pay (YYYY-MM-DD, the court's calendar).
    pub due: String,
    /// When the court confirmed the payment (RFC 3339).
    pub paid_at: Option<String>,
    /// The court's receipt number.
    pub receipt_number: Option<String>,
}

/// A hearing the court announced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HearingView {
    /// The court's hearing id.
    pub id: String,
    /// Title.
    pub title: String,
    /// The court's case id.
    pub court_case: String,
    /// The local case following it.
    pub local_case: Option<String>,
    /// Its title.
    pub case_title: Option<String>,
    /// Start (RFC 3339).
    pub starts_at: String,
    /// Milliseconds since the Unix epoch of the start (for countdowns).
    #[ts(type = "number")]
    pub starts_at_ms: i64,
    /// Length in minutes.
    pub duration_minutes: u32,
    /// `court-room`, `in-person`, or an external platform.
    pub platform: String,
    /// Titles of other cases' hearings overlapping this one.
    pub clashes_with: Vec<String>,
    /// Questions of an asynchronous hearing (Art. 20), with the answers given.
    pub questions: Vec<QuestionView>,
}

/// A question of an asynchronous hearing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuestionView {
    /// The court's question id.
    pub id: String,
    /// The question.
    pub text: String,
    /// Answers are accepted from (RFC 3339)…
    pub opens_at: String,
    /// …until.
    pub closes_at: String,
    /// The answers given, oldest first.
    pub answers: Vec<ActionView>,
}

/// Something sent to the court outside a filing (an answer, a message) and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ActionView {
    /// Its UUID.
    pub id: String,
    /// The text.
    pub text: String,
    /// Where it stands.
    pub state: ActionStatus,
    /// When the court recorded it (RFC 3339), once sent.
    pub sent_at: Option<String>,
    /// The court's reason, when refused.
    pub reason: Option<String>,
}

/// A step of a case marked as continuing offline (Online Operation Rules Art. 33).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OfflineStepView {
    /// Which step.
    pub step: OfflineStepKind,
    /// The request to the court (its text is the reason) and where it stands.
    pub action: ActionView,
}

/// Where a request to the court (an answer, an opinion, a message, a step) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ActionStatus {
    /// Waiting to be sent.
    Queued,
    /// The court has it.
    Sent,
    /// The court refused it.
    Refused,
}

/// Why a typed amount is not an amount in yuan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum AmountProblem {
    /// Nothing was typed.
    Empty,
    /// A character that belongs in no amount (`character` names it).
    NotADigit,
    /// More than two digits after the point.
    TooManyDecimals,
    /// Thousands separators not every three digits.
    Grouping,
    /// More than any court handles.
    TooLarge,
}

/// A typed amount, read by the one money parser: fen, or why it is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase", tag = "result")]
pub enum AmountCheck {
    /// An amount.
    #[serde(rename_all = "camelCase")]
    Valid {
        /// In fen.
        #[ts(type = "number")]
        fen: u64,
        /// As yuan with the digits it needs (`150000`, `2300.50`).
        yuan: String,
    },
    /// Not an amount.
    #[serde(rename_all = "camelCase")]
    Invalid {
        /// Why.
        problem: AmountProblem,
        /// The character that does not belong, for [`AmountProblem::NotADigit`].
        character: Option<String>,
    },
}

/// A court's request to correct a filing: its points and the last day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CourtCorrection {
    /// The last day for the corrected filing (YYYY-MM-DD).
    pub due: String,
    /// The court's points, in its words.
    pub points: Vec<CorrectionPoint>,
}

/// What an item of the home view is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum AgendaKind {
    /// A filing needs the user (the court refused it, or it cannot be sent).
    NeedsAttention,
    /// A hearing.
    Hearing,
    /// The last day of a statutory period on a case.
    Deadline,
    /// The day by which the court wants a filing corrected.
    CorrectionDue,
    /// A fee notice not yet paid.
    FeeDue,
    /// A document the court served in the last week.
    Served,
}

/// One thing due or coming, on the home view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AgendaItem {
    /// What it is.
    pub kind: AgendaKind,
    /// Its day (YYYY-MM-DD, China time, as the court sets it).
    pub day: String,
    /// Its time (RFC 3339), for a hearing or a served document.
    pub at: Option<String>,
    /// Days from today to its day (negative: passed).
    #[ts(type = "number")]
    pub days_left: i64,
    /// The case on this computer, when known.
    pub case_id: Option<String>,
    /// That case's title.
    pub case_title: Option<String>,
    /// Its name: the court's words (a hearing's, a fee's, a document's title), the filing's
    /// title, or a period's Chinese name.
    pub title: String,
    /// A period's English name (the court's words have none).
    pub title_en: Option<String>,
    /// The id of the thing itself (deadline, hearing, fee notice, outbox item, document).
    pub target: String,
}

/// The home view: what is due and coming across every case, soonest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AgendaView {
    /// Today (YYYY-MM-DD, China time).
    pub today: String,
    /// Everything from two weeks ago to two months ahead.
    pub items: Vec<AgendaItem>,
    /// How many need the user soon (overdue, within three days, new, needing attention):
    /// the count in the sidebar.
    pub needs_you: u32,
}

/// A step of a case that may continue offline (Online Operation Rules Art. 33).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum OfflineStepKind {
    /// Service of documents.
    Service,
    /// Evidence exchange.
    EvidenceExchange,
    /// Mediation.
    Mediation,
    /// The hearing.
    Hearing,
    /// Another step (and a step this version does not know).
    Other,
}

impl OfflineStepKind {
    /// The word the court's API uses.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Service => "service",
            Self::EvidenceExchange => "evidence-exchange",
            Self::Mediation => "mediation",
            Self::Hearing => "hearing",
            Self::Other => "other",
        }
    }

    /// The step the court's word names ([`Self::Other`] for one this version does not know).
    #[must_use]
    pub fn from_court(word: &str) -> Self {
        [Self::Service, Self::EvidenceExchange, Self::Mediation, Self::Hearing]
            .into_iter()
            .find(|k| k.as_str() == word)
            .unwrap_or(Self::Other)
    }
}

/// A party's position on an aspect of an exhibit in cross-examination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Stance {
    /// 认可.
    Admit,
    /// 不认可.
    Dispute,
    /// 部分认可.
    Partly,
}

/// What kind of news from the court (or a reminder) a desktop notification and the
/// window's banner are about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum NewsKind {
    /// The court's word on a filing.
    Filing,
    /// A document was served.
    Served,
    /// A hearing was scheduled or changed.
    Hearing,
    /// A fee notice.
    Fee,
    /// Mediation.
    Mediation,
    /// Evidence in the exchange.
    Evidence,
    /// A deadline is near.
    Deadline,
    /// A hearing is about to start.
    HearingReminder,
}

/// An exhibit in a case's evidence exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExchangedView {
    /// The court's exhibit id.
    pub id: String,
    /// The party that submitted it.
    pub submitted_by: String,
    /// Submitted by this account.
    pub mine: bool,
    /// Title.
    pub title: String,
    /// What it is to prove.
    pub proves: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Size.
    #[ts(type = "number")]
    pub bytes: u64,
    /// A copy is sealed here (checked against the SHA-256): the other side's exhibits.
    pub sealed: bool,
    /// The opinions the court has on it.
    pub opinions: Vec<OpinionView>,
    /// Our opinions on it still on their way (or refused).
    pub outgoing: Vec<ActionView>,
}

/// A cross-examination opinion (质证意见).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OpinionView {
    /// Who gave it.
    pub by: String,
    /// On authenticity.
    pub authenticity: Stance,
    /// On legality.
    pub legality: Stance,
    /// On relevance.
    pub relevance: Stance,
    /// Reasons.
    pub remarks: String,
}

/// A cross-examination opinion as the window gives it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OpinionInput {
    /// On authenticity.
    pub authenticity: Stance,
    /// On legality.
    pub legality: Stance,
    /// On relevance.
    pub relevance: Stance,
    /// Reasons.
    pub remarks: String,
}

/// A case's mediation thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MediationView {
    /// Messages the court has, oldest first.
    pub messages: Vec<MediationMessageView>,
    /// Messages written here that the court does not have yet (or refused).
    pub outgoing: Vec<ActionView>,
}

/// A message in a mediation thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MediationMessageView {
    /// The court's message id.
    pub id: String,
    /// Author (`mediator` or a party's name).
    pub from: String,
    /// Written by this account.
    pub mine: bool,
    /// The text.
    pub text: String,
    /// When (RFC 3339).
    pub sent_at: String,
}

/// The network part of the pre-hearing check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NetworkCheck {
    /// Median round trip to the court, milliseconds.
    #[ts(type = "number")]
    pub round_trip_ms: u64,
    /// Download throughput from the court, kilobits per second.
    #[ts(type = "number")]
    pub throughput_kbps: u64,
}

/// The pre-hearing check as the window fills it in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HearingCheck {
    /// The camera delivered frames.
    pub camera: bool,
    /// The microphone picked up sound.
    pub microphone: bool,
    /// The participant heard the test sound.
    pub speaker: bool,
    /// Round trip to the court, ms.
    #[ts(type = "number")]
    pub round_trip_ms: u64,
    /// Throughput from the court, kbit/s.
    #[ts(type = "number")]
    pub throughput_kbps: u64,
    /// Quiet (Art. 24).
    pub quiet: bool,
    /// Well lit.
    pub lit: bool,
    /// Alone in an enclosed room.
    pub alone: bool,
    /// Identity confirmed.
    pub identity_confirmed: bool,
    /// No recording, capturing or broadcasting (Art. 27).
    pub rules_acknowledged: bool,
}

/// The court's answers to check-in and join.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HearingEntry {
    /// When the court recorded the check-in (RFC 3339).
    pub checked_in_at: Option<String>,
    /// The room's address (with its token), once joined.
    pub room_url: Option<String>,
}

/// A line of the case list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CaseSummary {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Cause of action.
    pub cause_of_action: String,
    /// Case type code.
    pub case_type: String,
    /// As [`CaseView::stage`].
    pub stage: CaseStage,
    /// The court's case number.
    pub case_number: Option<String>,
    /// The soonest deadline not yet passed (YYYY-MM-DD, China time).
    pub next_deadline: Option<String>,
    /// The soonest hearing not yet over (RFC 3339).
    pub next_hearing: Option<String>,
    /// Last change (ms since the Unix epoch).
    #[ts(type = "number")]
    pub updated_at: i64,
}

/// The backups as the settings and the sidebar show them.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BackupStatus {
    /// The backup folder, to show (chosen in the OS's own chooser; the window never sends one).
    pub folder: Option<String>,
    /// Hours between scheduled backups (important changes, such as a filing sent or evidence
    /// captured, are backed up within minutes as well).
    pub every_hours: u32,
    /// Warn when the last good backup is older than this many days.
    pub warn_after_days: u32,
    /// When the last good backup was made (ms since the Unix epoch).
    #[ts(type = "number | null")]
    pub last_success_at: Option<i64>,
    /// Its snapshot.
    pub last_snapshot: Option<String>,
    /// Why the last attempt failed, when it did (after the last good one).
    pub last_error: Option<IpcError>,
    /// A backup is being written now.
    pub running: bool,
    /// There is no good backup, or it is older than `warn_after_days`.
    pub overdue: bool,
}

/// A backup folder offered for a restore: its snapshots, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RestoreSource {
    /// The folder, to show.
    pub folder: String,
    /// Its snapshots (names and times are not secret: the folder shows them).
    pub snapshots: Vec<SnapshotOption>,
}

/// One snapshot of a backup folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotOption {
    /// Its name.
    pub name: String,
    /// When it was made (ms since the Unix epoch).
    #[ts(type = "number")]
    pub created_at: i64,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RestoredView {
    /// The snapshot restored.
    pub snapshot: String,
    /// When it was made (ms since the Unix epoch).
    #[ts(type = "number")]
    pub created_at: i64,
    /// Exhibits whose custody chain records the move.
    #[ts(type = "number")]
    pub exhibits: u64,
    /// Court accounts to sign in to again on this computer.
    #[ts(type = "number")]
    pub sign_ins_to_redo: u64,
}

/// What kind of thing a damaged item of the vault is, in the user's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum DamagedThing {
    /// A case's record.
    Case,
    /// A draft or one of its versions.
    Draft,
    /// An exhibit's description.
    Exhibit,
    /// An exhibit's original file.
    ExhibitFile,
    /// A document attached to a case.
    CaseDocument,
    /// The chain of custody.
    CustodyLog,
    /// A time-stamp of the court's authority.
    TimeStamp,
    /// A filing in the outbox.
    Filing,
    /// What the court sent (served documents, news, a cached policy) or a court sign-in.
    CourtRecord,
    /// A file the court sent.
    CourtDocument,
    /// A setting.
    Setting,
    /// The vault's own index of revisions.
    Index,
    /// Anything else.
    Other,
}

/// One damaged item: which (an opaque name), what it is, and what happened to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DamagedItem {
    /// `table/id` or `blobs/id` (ids are opaque; never content).
    pub item: String,
    /// What it is.
    pub thing: DamagedThing,
    /// What happened to it.
    pub kind: Damage,
}

impl DamagedItem {
    /// The damaged item an error names, if it names one.
    #[must_use]
    pub fn of(e: &VaultError) -> Option<Self> {
        let VaultError::Tampered { item, kind, .. } = e else { return None };
        let (place, id) = item.split_once('/').unwrap_or((item.as_str(), ""));
        let thing = match place {
            "cases" => DamagedThing::Case,
            "drafts" | "draft_versions" => DamagedThing::Draft,
            "exhibits" => DamagedThing::Exhibit,
            "custody_log" | "custody_head" => DamagedThing::CustodyLog,
            "timestamps" | "tsa_certificates" => DamagedThing::TimeStamp,
            "outbox" => DamagedThing::Filing,
            "court_replica" | "court_actions" | "feed_cursors" | "court_policies" | "court_accounts" => {
                DamagedThing::CourtRecord
            }
            "app_settings" | "reminders_sent" | "evidence_device" => DamagedThing::Setting,
            "revisions" | "revision index" => DamagedThing::Index,
            "blobs" if id.starts_with("exhibit-") => DamagedThing::ExhibitFile,
            "blobs" if id.starts_with("case-") => DamagedThing::CaseDocument,
            "blobs" => DamagedThing::CourtDocument,
            _ => DamagedThing::Other,
        };
        Some(Self { item: item.clone(), thing, kind: *kind })
    }
}

/// Machine-readable class of an [`IpcError`]; the UI chooses its message and remedy by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ErrorCode {
    /// The request was not acceptable as made.
    InvalidInput,
    /// What was asked for is not there (deleted, or never was).
    NotFound,
    /// The court cannot be reached now (no network, the court down): try again later.
    Offline,
    /// The court answered and refused the request (its reason in the message).
    CourtRefused,
    /// The court needs a sign-in first.
    NotSignedIn,
    /// Another problem between this computer and the court (certificate, proxy, an answer
    /// that breaks the protocol).
    Court,
    /// The embedded demo court did not start.
    DemoCourt,
    /// The passphrase does not open the vault.
    WrongPassphrase,
    /// The recovery key does not open the vault.
    WrongRecoveryKey,
    /// The operation needs the vault unlocked.
    Locked,
    /// This computer's keychain cannot be used; the passphrase is the way in.
    KeychainUnavailable,
    /// Device unlock is off, or the keychain's key no longer opens the vault.
    DeviceUnlockUnavailable,
    /// An item in the vault failed its integrity check (altered, moved, rolled back).
    Tampered,
    /// The vault's files are damaged or cannot be read or written.
    Vault,
    /// Another Courtside process (a second window, a `courtside` command) has the vault open.
    VaultInUse,
    /// What the user changed was changed meanwhile by another part of the app; read it again.
    Conflict,
    /// A backup is damaged, incomplete, or mixed with another backup's files.
    BackupDamaged,
    /// The chosen folder holds no backup, or another vault's backups.
    BackupFolder,
    /// Something the user cannot fix.
    Internal,
}

/// The one error shape every command returns: `{ code, message, details? }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IpcError {
    /// Class of the error.
    pub code: ErrorCode,
    /// A sentence for the user (English; the UI translates by `code` where it can).
    pub message: String,
    /// Structured extra information, when there is any.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "Record<string, unknown>")]
    pub details: Option<serde_json::Value>,
}

/// The TypeScript declarations of every IPC type, as one module.
#[must_use]
pub fn bindings() -> String {
    let cfg = ts_rs::Config::default();
    let decls = [
        AppInfo::decl(&cfg),
        CourtSummary::decl(&cfg),
        Connectivity::decl(&cfg),
        VaultState::decl(&cfg),
        CreatedVault::decl(&cfg),
        Draft::decl(&cfg),
        DraftSummary::decl(&cfg),
        VersionSummary::decl(&cfg),
        SearchHit::decl(&cfg),
        CourtAccountView::decl(&cfg),
        CaseStage::decl(&cfg),
        OutboxState::decl(&cfg),
        CourtStatus::decl(&cfg),
        SyncState::decl(&cfg),
        AccountSync::decl(&cfg),
        UploadProgress::decl(&cfg),
        OutboxView::decl(&cfg),
        SyncOverview::decl(&cfg),
        CaseTypeOption::decl(&cfg),
        RequiredDocument::decl(&cfg),
        PolicyView::decl(&cfg),
        ProblemCode::decl(&cfg),
        CheckProblem::decl(&cfg),
        FilingCheck::decl(&cfg),
        BackupStatus::decl(&cfg),
        RestoreSource::decl(&cfg),
        SnapshotOption::decl(&cfg),
        RestoredView::decl(&cfg),
        FeeView::decl(&cfg),
        CaseView::decl(&cfg),
        CaseSummary::decl(&cfg),
        Case::decl(&cfg),
        Correcting::decl(&cfg),
        CorrectionPoint::decl(&cfg),
        CourtCorrection::decl(&cfg),
        CaseFields::decl(&cfg),
        CaseParty::decl(&cfg),
        CaseDocument::decl(&cfg),
        CaseDeadline::decl(&cfg),
        CalendarKind::decl(&cfg),
        CalendarItem::decl(&cfg),
        CalendarView::decl(&cfg),
        AmountProblem::decl(&cfg),
        AmountCheck::decl(&cfg),
        AgendaKind::decl(&cfg),
        AgendaItem::decl(&cfg),
        AgendaView::decl(&cfg),
        PeriodOption::decl(&cfg),
        ExhibitSource::decl(&cfg),
        Exhibit::decl(&cfg),
        courtside_evidence::photo::PhotoFacts::decl(&cfg),
        CustodyEntry::decl(&cfg),
        courtside_evidence::custody::ExportFormat::decl(&cfg),
        CustodyEvent::decl(&cfg),
        IntegrityProblem::decl(&cfg),
        Verification::decl(&cfg),
        ExhibitDetail::decl(&cfg),
        DropOffer::decl(&cfg),
        DropProgress::decl(&cfg),
        DropFailure::decl(&cfg),
        DropOutcome::decl(&cfg),
        ServedDeadline::decl(&cfg),
        ServedView::decl(&cfg),
        HearingView::decl(&cfg),
        FeeNoticeView::decl(&cfg),
        QuestionView::decl(&cfg),
        ActionStatus::decl(&cfg),
        ActionView::decl(&cfg),
        MediationView::decl(&cfg),
        OfflineStepKind::decl(&cfg),
        OfflineStepView::decl(&cfg),
        Stance::decl(&cfg),
        NewsKind::decl(&cfg),
        ExchangedView::decl(&cfg),
        OpinionView::decl(&cfg),
        OpinionInput::decl(&cfg),
        MediationMessageView::decl(&cfg),
        NetworkCheck::decl(&cfg),
        HearingCheck::decl(&cfg),
        HearingEntry::decl(&cfg),
        PartyRole::decl(&cfg),
        PartyKind::decl(&cfg),
        ErrorCode::decl(&cfg),
        Damage::decl(&cfg),
        DamagedThing::decl(&cfg),
        DamagedItem::decl(&cfg),
        IpcError::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated by `cargo xtask codegen` from crates/ipc/src/lib.rs. Do not edit.\n\
         // A test fails when this file is stale.\n\n",
    );
    for decl in decls {
        out.push_str("export ");
        out.push_str(&decl);
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// Path of the committed bindings, relative to the workspace root.
pub const BINDINGS_PATH: &str = "ui/src/lib/backend/bindings.ts";
