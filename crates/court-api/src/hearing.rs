//! Cases, hearings, fees, mediation and evidence exchange: what the court sends back after
//! a filing (ECF 5 "Court Scheduling" and "Court Record"; Online Litigation Rules Arts.
//! 14, 20, 24–27; 诉讼费用交纳办法 Art. 22).

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

/// A case on the court's docket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CourtCase {
    /// Case id.
    pub id: String,
    /// Case number, e.g. "(2026)示0101民初1号".
    pub case_number: String,
    /// Case type code.
    pub case_type: String,
    /// Title.
    pub title: String,
    /// Usernames of the parties with accounts.
    pub parties: Vec<String>,
}

/// The clerk opens a case directly (e.g. one filed on paper; Online Operation Rules
/// Art. 33 lets any step move online).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OpenCase {
    /// Case type code.
    pub case_type: String,
    /// Title.
    pub title: String,
    /// Usernames of the parties.
    pub parties: Vec<String>,
}

/// The clerk schedules a hearing (`POST /clerk/v1/hearings`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleHearing {
    /// Case id.
    pub case_id: String,
    /// Title, e.g. "开庭审理".
    pub title: String,
    /// Start.
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    /// Planned length in minutes.
    pub duration_minutes: u32,
    /// Hearing platform id from the policy.
    pub platform: String,
    /// For an asynchronous hearing (Art. 20): the questions and their answer windows.
    #[serde(default)]
    pub questions: Vec<HearingQuestion>,
}

/// A hearing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Hearing {
    /// Hearing id.
    pub id: String,
    /// Case id.
    pub case_id: String,
    /// Title.
    pub title: String,
    /// Start.
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    /// Planned length in minutes.
    pub duration_minutes: u32,
    /// Platform id.
    pub platform: String,
    /// Questions of an asynchronous hearing (empty for a live one).
    pub questions: Vec<HearingQuestion>,
}

/// A question of an asynchronous hearing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HearingQuestion {
    /// Question id.
    pub id: String,
    /// The question.
    pub text: String,
    /// Answers accepted from…
    #[serde(with = "time::serde::rfc3339")]
    pub opens_at: OffsetDateTime,
    /// …until.
    #[serde(with = "time::serde::rfc3339")]
    pub closes_at: OffsetDateTime,
}

/// The pre-hearing check the participant sends before joining.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckIn {
    /// Results of the device and network check.
    pub device_check: DeviceCheck,
    /// The environment checklist (Art. 24).
    pub environment: EnvironmentCheck,
    /// The participant confirmed their identity (Art. 7).
    pub identity_confirmed: bool,
    /// The participant acknowledged the hearing rules: no recording, capturing or
    /// broadcasting (Art. 27).
    pub rules_acknowledged: bool,
}

/// Device and network check results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeviceCheck {
    /// A camera delivered frames.
    pub camera: bool,
    /// The microphone picked up sound.
    pub microphone: bool,
    /// The participant heard the test sound.
    pub speaker: bool,
    /// Round trip to the court, milliseconds.
    pub round_trip_ms: u32,
    /// Measured throughput to the court, kilobits per second.
    pub throughput_kbps: u32,
}

/// The hearing environment (Online Litigation Rules Art. 24).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentCheck {
    /// Quiet.
    pub quiet: bool,
    /// Well lit.
    pub lit: bool,
    /// Alone in an enclosed room.
    pub alone: bool,
}

/// The court's record of a check-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckInReceipt {
    /// Hearing id.
    pub hearing_id: String,
    /// When the court recorded it.
    #[serde(with = "time::serde::rfc3339")]
    pub checked_in_at: OffsetDateTime,
}

/// A check-in as the clerk sees it: who, when, and what they reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecordedCheckIn {
    /// The participant's username.
    pub username: String,
    /// When the court recorded it (the latest check-in replaces earlier ones).
    #[serde(with = "time::serde::rfc3339")]
    pub checked_in_at: OffsetDateTime,
    /// What the participant's client reported.
    pub check: CheckIn,
}

/// How to enter the hearing room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JoinTicket {
    /// The room page, with the join token in its query.
    pub room_url: String,
    /// Until when the token admits.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// An answer in an asynchronous hearing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HearingStatement {
    /// Which question.
    pub question_id: String,
    /// The answer.
    pub text: String,
}

/// The court's record of a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatementReceipt {
    /// Statement id.
    pub id: String,
    /// When the court received it.
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
}

/// The clerk posts a fee notice (`POST /clerk/v1/fees`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PostFeeNotice {
    /// Username who must pay.
    pub recipient: String,
    /// Case id.
    pub case_id: String,
    /// Amount in fen.
    pub amount_fen: u64,
    /// What the fee is for, e.g. "案件受理费".
    pub reason: String,
}

/// A fee notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeeNotice {
    /// Fee id.
    pub id: String,
    /// Case id.
    pub case_id: String,
    /// Amount in fen.
    pub amount_fen: u64,
    /// What it is for.
    pub reason: String,
    /// Last day to pay (7 days after the notice, Art. 22).
    #[schema(value_type = String, format = Date)]
    #[serde(with = "crate::policy::iso_date")]
    pub due: Date,
    /// Paid or not.
    pub status: FeeStatus,
}

/// Whether a fee is paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum FeeStatus {
    /// Not paid yet.
    Unpaid,
    /// Paid.
    Paid {
        /// When the payment provider confirmed it.
        #[serde(with = "time::serde::rfc3339")]
        paid_at: OffsetDateTime,
        /// The court's receipt number (诉讼费收据).
        receipt_number: String,
    },
}

/// Where to pay (`POST /v1/fees/{id}/payment`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentSession {
    /// The hosted payment page to open in the system browser.
    pub payment_url: String,
}

/// A message in a mediation thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MediationMessage {
    /// Message id.
    pub id: String,
    /// Case id.
    pub case_id: String,
    /// Username of the author, or `mediator`.
    pub from: String,
    /// The text.
    pub text: String,
    /// Uploads attached (completed uploads of the author).
    #[serde(default)]
    pub attachments: Vec<String>,
    /// When the court received it.
    #[serde(with = "time::serde::rfc3339")]
    pub sent_at: OffsetDateTime,
}

/// A step of a case that a party asks to continue offline (Online Operation Rules Art. 33:
/// a case may mix online and offline steps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OfflineStep {
    /// Which step: `service`, `evidence-exchange`, `mediation`, `hearing` or `other`.
    pub step: String,
    /// Why (e.g. a party cannot take part online).
    pub reason: String,
}

/// The court's record of an offline step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OfflineStepRecord {
    /// Record id.
    pub id: String,
    /// Case id.
    pub case_id: String,
    /// Who asked.
    pub from: String,
    /// The step and why.
    #[serde(flatten)]
    pub step: OfflineStep,
    /// When the court recorded it.
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
}

/// The steps a case may continue offline.
pub const OFFLINE_STEPS: &[&str] = &["service", "evidence-exchange", "mediation", "hearing", "other"];

/// A new message for a mediation thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewMediationMessage {
    /// The text.
    pub text: String,
    /// Completed uploads to attach.
    #[serde(default)]
    pub attachments: Vec<String>,
}

/// An exhibit a party submits for evidence exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubmitExhibit {
    /// The completed upload with the file.
    pub upload_id: String,
    /// Title.
    pub title: String,
    /// What it is meant to prove.
    pub proves: String,
}

/// An exhibit in a case's evidence exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExchangedExhibit {
    /// Exhibit id.
    pub id: String,
    /// Case id.
    pub case_id: String,
    /// Username of the party who submitted it.
    pub submitted_by: String,
    /// Title.
    pub title: String,
    /// What it is meant to prove.
    pub proves: String,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
    /// The other parties' cross-examination opinions.
    pub opinions: Vec<CrossExamination>,
}

/// A party's view of the other side's exhibit (质证意见).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CrossExamination {
    /// Username of the party giving the opinion (set by the court).
    #[serde(default)]
    pub by: String,
    /// Whether the exhibit is genuine.
    pub authenticity: Stance,
    /// Whether it was obtained lawfully.
    pub legality: Stance,
    /// Whether it bears on the case.
    pub relevance: Stance,
    /// Reasons and remarks.
    pub remarks: String,
}

/// Agree or dispute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Stance {
    /// 认可.
    Admit,
    /// 不认可.
    Dispute,
    /// 部分认可.
    Partly,
}
