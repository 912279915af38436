//! Filings (ECF 5 "Filing Assembly" and "Filing Review"), the change feed, electronic
//! service, and the clerk's review decisions.
//!
//! A filing travels as a [`SignedEnvelope`] whose payload is a [`SubmissionManifest`]
//! signed by the filer's registered device key: the manifest names every file by its
//! SHA-256, so what the court received is provably what the filer sent. The court answers
//! with a [`Filing`] carrying a receipt the court signed.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::signing::SignedEnvelope;

/// Header carrying the client's filing UUID (IETF draft "The Idempotency-Key HTTP Header
/// Field").
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// What the filer signs: the whole filing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionManifest {
    /// The filing's UUID, equal to the request's `Idempotency-Key`.
    pub idempotency_key: String,
    /// Court id.
    pub court: String,
    /// New case or a filing into an existing one.
    pub case: CaseTarget,
    /// Case type code from the court's policy.
    pub case_type: String,
    /// Title of the filing, e.g. "民事起诉状 张三诉李四买卖合同纠纷".
    pub title: String,
    /// Amount in controversy in fen, when the case type needs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_in_controversy_fen: Option<u64>,
    /// The parties.
    #[serde(default)]
    pub parties: Vec<Party>,
    /// The files, each uploaded before (`/v1/uploads`).
    pub documents: Vec<ManifestDocument>,
    /// When the filer signed, by the filer's clock.
    #[serde(with = "time::serde::rfc3339")]
    pub signed_at: OffsetDateTime,
}

/// Where a filing goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum CaseTarget {
    /// Opens a new case.
    New {
        /// Cause of action (案由), e.g. "买卖合同纠纷".
        cause_of_action: String,
    },
    /// Files into a case the court already has.
    Existing {
        /// The court's case id.
        case_id: String,
    },
}

/// A party to the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Party {
    /// Role in the case.
    pub role: PartyRole,
    /// Name of the person or organisation.
    pub name: String,
    /// Person or organisation.
    pub kind: PartyKind,
    /// Address for service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_address: Option<String>,
}

/// Role of a party.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum PartyRole {
    /// 原告.
    Plaintiff,
    /// 被告.
    Defendant,
    /// 第三人.
    ThirdParty,
    /// 诉讼代理人.
    Agent,
}

/// Natural person or organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum PartyKind {
    /// 自然人.
    Person,
    /// 法人或其他组织.
    Organisation,
}

/// A file in a filing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManifestDocument {
    /// The completed upload holding the bytes.
    pub upload_id: String,
    /// Title shown to the court.
    pub title: String,
    /// Lead document, attachment or evidence.
    pub role: DocumentRole,
    /// Which required document this is (policy `requiredDocuments[].kind`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// SHA-256 of the file, 64 hex digits.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Media type.
    pub media_type: String,
}

/// Role of a document in a filing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum DocumentRole {
    /// The main document (e.g. the complaint).
    Lead,
    /// A connected document (power of attorney, identity papers).
    Attachment,
    /// Evidence.
    Evidence,
}

/// A filing as the court holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Filing {
    /// The court's filing id.
    pub id: String,
    /// The filer's UUID.
    pub idempotency_key: String,
    /// Court id.
    pub court: String,
    /// Case type code.
    pub case_type: String,
    /// Title.
    pub title: String,
    /// Case the filing belongs to, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
    /// Where the filing stands.
    pub status: FilingStatus,
    /// When the court received it.
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    /// The court's signed receipt; its payload is a [`FilingReceipt`].
    pub receipt: SignedEnvelope,
}

/// What the court's receipt says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FilingReceipt {
    /// The court's filing id.
    pub filing_id: String,
    /// Court id.
    pub court: String,
    /// The filer's UUID.
    pub idempotency_key: String,
    /// SHA-256 (hex) of the signed manifest's bytes.
    pub manifest_sha256: String,
    /// Each document's upload id and SHA-256 as the court stored it.
    pub documents: Vec<ReceiptDocument>,
    /// When the court received the filing (this is the filing time).
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
}

/// A document as the court's receipt records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptDocument {
    /// The upload id.
    pub upload_id: String,
    /// SHA-256 the court computed over the stored bytes.
    pub sha256: String,
}

/// Where a filing stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum FilingStatus {
    /// Received, not yet looked at.
    Submitted,
    /// A clerk is reviewing it.
    UnderReview,
    /// Accepted: the case is on the docket.
    Docketed {
        /// The case id.
        case_id: String,
        /// The case number, e.g. "(2026)示0101民初123号".
        case_number: String,
    },
    /// Refused, with the reasons.
    Rejected {
        /// Why.
        reasons: Vec<String>,
    },
    /// To be corrected and resubmitted by the deadline (Online Litigation Rules Art. 9:
    /// defects are notified once, with a deadline).
    CorrectionRequested {
        /// What to correct.
        items: Vec<CorrectionItem>,
        /// Last day to correct.
        #[schema(value_type = String, format = Date)]
        #[serde(with = "crate::policy::iso_date")]
        due: Date,
    },
}

/// One thing to correct.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CorrectionItem {
    /// What (a document kind, a field).
    pub item: String,
    /// Why it must change.
    pub reason: String,
}

/// A clerk's decision on a filing (`POST /clerk/v1/filings/{id}/review`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", tag = "decision")]
pub enum ReviewDecision {
    /// Starts the review.
    StartReview,
    /// Accepts: dockets a new case (or files into the existing one).
    Docket,
    /// Refuses.
    Reject {
        /// Why.
        reasons: Vec<String>,
    },
    /// Asks for corrections.
    RequestCorrection {
        /// What to correct.
        items: Vec<CorrectionItem>,
        /// Last day.
        #[schema(value_type = String, format = Date)]
        #[serde(with = "crate::policy::iso_date")]
        due: Date,
    },
}

/// A document the clerk serves on an account (`POST /clerk/v1/service`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServeDocument {
    /// Username of the recipient.
    pub recipient: String,
    /// Case the document belongs to.
    pub case_id: String,
    /// Title, e.g. "应诉通知书".
    pub title: String,
    /// What kind of document (it decides which periods service starts), e.g. `complaint`,
    /// `judgment`, `ruling`, `notice`.
    pub document_kind: String,
    /// Media type of the content.
    pub media_type: String,
    /// The document, base64url without padding.
    pub content: String,
}

/// A served document (`GET /v1/service/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServedDocument {
    /// Service id.
    pub id: String,
    /// Case id.
    pub case_id: String,
    /// Title.
    pub title: String,
    /// Kind (see [`ServeDocument::document_kind`]).
    pub document_kind: String,
    /// Media type.
    pub media_type: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// When the court sent it.
    #[serde(with = "time::serde::rfc3339")]
    pub sent_at: OffsetDateTime,
    /// When the recipient's receipt reached the court (service is complete then, Online
    /// Litigation Rules Art. 29–31); `null` until acknowledged.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub received_at: Option<OffsetDateTime>,
}

/// A page of the change feed (`GET /v1/changes?cursor=`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangePage {
    /// Events after the cursor asked for, oldest first.
    pub changes: Vec<Change>,
    /// Cursor to ask with next (the last event's, or the one asked with when empty).
    pub next_cursor: String,
    /// Whether more events are waiting beyond this page.
    pub more: bool,
}

/// One event of the change feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// This event's position; asking with it returns what came after.
    pub cursor: String,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// What happened.
    pub event: ChangeEvent,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum ChangeEvent {
    /// A filing's status changed (including correction requests and docketing).
    FilingStatus {
        /// Filing id.
        filing_id: String,
        /// The filer's UUID.
        idempotency_key: String,
        /// The new status.
        status: FilingStatus,
    },
    /// A document was served on the account.
    DocumentServed {
        /// Service id.
        service_id: String,
        /// Case id.
        case_id: String,
        /// Title.
        title: String,
        /// Kind of document.
        document_kind: String,
    },
    /// A hearing was scheduled in one of the account's cases.
    HearingScheduled {
        /// Hearing id.
        hearing_id: String,
        /// Case id.
        case_id: String,
        /// Start.
        #[serde(with = "time::serde::rfc3339")]
        starts_at: OffsetDateTime,
    },
    /// A fee is to be paid.
    FeeNotice {
        /// Fee id.
        fee_id: String,
        /// Case id.
        case_id: String,
        /// Amount in fen.
        amount_fen: u64,
        /// Last day to pay.
        #[schema(value_type = String, format = Date)]
        #[serde(with = "crate::policy::iso_date")]
        due: Date,
    },
    /// A fee was paid.
    FeePaid {
        /// Fee id.
        fee_id: String,
        /// The court's receipt number.
        receipt_number: String,
    },
    /// A message arrived in a case's mediation thread.
    MediationMessage {
        /// Case id.
        case_id: String,
        /// Message id.
        message_id: String,
        /// Author.
        from: String,
    },
    /// Another party submitted an exhibit for evidence exchange.
    ExhibitSubmitted {
        /// Case id.
        case_id: String,
        /// Exhibit id.
        exhibit_id: String,
        /// The submitting party.
        from: String,
    },
    /// Another party gave a cross-examination opinion on the account's exhibit.
    CrossExamination {
        /// Case id.
        case_id: String,
        /// Exhibit id.
        exhibit_id: String,
        /// The party giving the opinion.
        from: String,
    },
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn statuses_round_trip_with_their_wire_names() {
        let status = FilingStatus::CorrectionRequested {
            items: vec![CorrectionItem { item: "identity".into(), reason: "unreadable".into() }],
            due: time::macros::date!(2026 - 02 - 24),
        };
        let json = serde_json::to_value(&status).unwrap();
        assert_eq!(json["state"], "correctionRequested");
        assert_eq!(json["due"], "2026-02-24");
        assert_eq!(serde_json::from_value::<FilingStatus>(json).unwrap(), status);
    }

    proptest! {
        /// Court answers are hostile input: arbitrary bytes never panic the parsers.
        #[test]
        fn arbitrary_answers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = serde_json::from_slice::<ChangePage>(&bytes);
            let _ = serde_json::from_slice::<Filing>(&bytes);
            let _ = serde_json::from_slice::<ServedDocument>(&bytes);
            let _ = serde_json::from_slice::<crate::policy::CourtPolicy>(&bytes);
        }

        /// Structurally valid JSON with wrong shapes or dates is refused, not misread.
        #[test]
        fn malformed_dates_are_refused(day in "[0-9-]{0,12}") {
            let json = format!(r#"{{"state":"correctionRequested","items":[],"due":"{day}"}}"#);
            let parsed = serde_json::from_str::<FilingStatus>(&json);
            if let Ok(FilingStatus::CorrectionRequested { due, .. }) = parsed {
                prop_assert_eq!(crate::policy::iso_date::parse(&day).ok(), Some(due));
            }
        }
    }
}
