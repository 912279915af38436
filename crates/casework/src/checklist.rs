//! The filing checklist: everything the court's policy requires of a filing, checked
//! offline before anything is queued, each missing or invalid item named with its fix.

use courtside_court_api::filing::DocumentRole;
use courtside_court_api::policy::{CourtPolicy, LocalizedText};
use serde::Serialize;

/// A filing as planned (before it is queued).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilingPlan {
    /// Case type code.
    pub case_type: String,
    /// A new case (its required documents apply) or a filing into an existing one.
    pub new_case: bool,
    /// Title.
    pub title: String,
    /// Amount in controversy, fen.
    pub amount_fen: Option<u64>,
    /// The documents.
    pub documents: Vec<PlannedDocument>,
}

/// A document of a planned filing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedDocument {
    /// Title.
    pub title: String,
    /// Which required document it is.
    pub kind: Option<String>,
    /// Lead, attachment or evidence.
    pub role: DocumentRole,
    /// Media type.
    pub media_type: String,
    /// Size.
    pub bytes: u64,
}

/// One thing the policy asks for, and whether the plan has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "check")]
pub enum Finding {
    /// The court does not take this case type online.
    UnknownCaseType {
        /// The code given.
        code: String,
        /// The codes the court takes.
        accepted: Vec<String>,
    },
    /// The filing has no title.
    TitleMissing,
    /// The case has no cause of action (案由).
    CauseMissing,
    /// The case has no party in this role (`plaintiff`, `defendant`).
    PartyMissing {
        /// The role.
        role: crate::cases::PartyRole,
    },
    /// A party has no name.
    PartyNameMissing,
    /// The case states no claim (诉讼请求).
    ClaimsMissing,
    /// The case states no facts and reasons (事实与理由).
    FactsMissing,
    /// The case type needs the amount in controversy.
    AmountMissing,
    /// No document is marked as the lead document.
    LeadMissing,
    /// A required document is missing: add it.
    DocumentMissing {
        /// Its kind.
        kind: String,
        /// Its name.
        name: LocalizedText,
    },
    /// A document's format is not accepted: convert it (e.g. to PDF).
    FormatNotAccepted {
        /// The document's title.
        document: String,
        /// Its media type.
        media_type: String,
        /// What the court accepts.
        accepted: Vec<String>,
    },
    /// A document is larger than the court takes: split or compress it.
    FileTooLarge {
        /// The document's title.
        document: String,
        /// Its size.
        bytes: u64,
        /// The court's limit.
        limit: u64,
    },
    /// All documents together are larger than the court takes: file some separately.
    FilingTooLarge {
        /// The total.
        bytes: u64,
        /// The court's limit.
        limit: u64,
    },
}

/// The checklist of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Checklist {
    /// The required documents of the case type, each with whether the plan has it.
    pub required: Vec<(String, LocalizedText, bool)>,
    /// Everything that stops the filing, in the order a user fixes them.
    pub findings: Vec<Finding>,
}

impl Checklist {
    /// Whether the filing may be queued.
    #[must_use]
    pub fn ready(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Checks a plan against a court's policy.
#[must_use]
pub fn check(policy: &CourtPolicy, plan: &FilingPlan) -> Checklist {
    let mut findings = Vec::new();
    let Some(case_type) = policy.case_types.iter().find(|t| t.code == plan.case_type) else {
        findings.push(Finding::UnknownCaseType {
            code: plan.case_type.clone(),
            accepted: policy.case_types.iter().map(|t| t.code.clone()).collect(),
        });
        return Checklist { required: Vec::new(), findings };
    };
    if plan.title.trim().is_empty() {
        findings.push(Finding::TitleMissing);
    }
    if plan.new_case && case_type.amount_required && plan.amount_fen.is_none() {
        findings.push(Finding::AmountMissing);
    }
    if !plan.documents.iter().any(|d| d.role == DocumentRole::Lead) {
        findings.push(Finding::LeadMissing);
    }
    let mut required = Vec::new();
    if plan.new_case {
        for r in &case_type.required_documents {
            let present = plan.documents.iter().any(|d| d.kind.as_deref() == Some(r.kind.as_str()));
            required.push((r.kind.clone(), r.name.clone(), present));
            if !present {
                findings.push(Finding::DocumentMissing { kind: r.kind.clone(), name: r.name.clone() });
            }
        }
    }
    let accepted: Vec<String> = policy.accepted_formats.iter().map(|f| f.media_type.clone()).collect();
    for d in &plan.documents {
        if !accepted.contains(&d.media_type) {
            findings.push(Finding::FormatNotAccepted {
                document: d.title.clone(),
                media_type: d.media_type.clone(),
                accepted: accepted.clone(),
            });
        }
        if d.bytes > policy.max_file_bytes {
            findings.push(Finding::FileTooLarge {
                document: d.title.clone(),
                bytes: d.bytes,
                limit: policy.max_file_bytes,
            });
        }
    }
    let total: u64 = plan.documents.iter().map(|d| d.bytes).sum();
    if total > policy.max_filing_bytes {
        findings.push(Finding::FilingTooLarge { bytes: total, limit: policy.max_filing_bytes });
    }
    Checklist { required, findings }
}

/// What a new case itself lacks before its statement of claim can be filed: a cause of
/// action, a plaintiff and a defendant (each named), at least one claim, facts and reasons.
#[must_use]
pub fn case_findings(case: &crate::cases::Case) -> Vec<Finding> {
    use crate::cases::PartyRole;
    let f = &case.fields;
    let mut findings = Vec::new();
    if f.cause_of_action.trim().is_empty() {
        findings.push(Finding::CauseMissing);
    }
    for role in [PartyRole::Plaintiff, PartyRole::Defendant] {
        if case.parties(role).next().is_none() {
            findings.push(Finding::PartyMissing { role });
        }
    }
    if f.parties.iter().any(|p| p.name.trim().is_empty()) {
        findings.push(Finding::PartyNameMissing);
    }
    if !f.claims.iter().any(|c| !c.trim().is_empty()) {
        findings.push(Finding::ClaimsMissing);
    }
    if f.facts.trim().is_empty() {
        findings.push(Finding::FactsMissing);
    }
    findings
}
