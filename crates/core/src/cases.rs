//! Cases in the app: prepared offline against the court's cached policy, their court papers
//! rendered from the case, the checklist and fee kept live, and the filing queued in the
//! outbox with one action.

use std::sync::{Arc, OnceLock};

use courtside_casework::cases::{Case, CaseFields, Cases, NewDocument};
use courtside_casework::checklist::{self, FilingPlan, Finding, PlannedDocument};
use courtside_casework::fees::{self, Adjustment, FeeWorking};
use courtside_casework::templates::{self, yuan};
use courtside_court_api::filing::{CaseTarget, FilingStatus};
use courtside_court_api::policy::{CourtPolicy, HalvingReason};
use courtside_render::{CjkFont, render_pdf};
use courtside_sync::account;
use courtside_sync::outbox::{self, DocumentSource, DraftDocument, FilingDraft, ItemState, OutboxItem};
use courtside_sync::policy::CachedPolicy;
use courtside_vault::Vault;

use crate::ipc::{
    CaseStage, CaseSummary, CaseTypeOption, CaseView, CheckProblem, FeeView, FilingCheck, PolicyView, ProblemCode,
    RequiredDocument,
};
use crate::{App, AppError};

/// Document kinds Courtside renders from the case itself.
const GENERATED: [&str; 2] = ["complaint", "evidence-list"];

/// Largest document accepted through the window (larger files come from the file system).
pub const MAX_ATTACHMENT: usize = 200 * 1024 * 1024;

fn font() -> Result<&'static CjkFont, AppError> {
    static FONT: OnceLock<Result<CjkFont, String>> = OnceLock::new();
    FONT.get_or_init(|| CjkFont::find().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| AppError::InvalidInput(e.clone()))
}

/// The media type of a file from its first bytes (never from its name or the sender's word).
#[must_use]
pub fn sniff_media_type(bytes: &[u8]) -> &'static str {
    courtside_evidence::media::sniff(bytes)
}

impl App {
    /// The court's rules as cached in the vault; asked for once when nothing is cached yet.
    ///
    /// # Errors
    /// [`AppError::Locked`]; the court cannot be reached and nothing is cached.
    pub async fn court_policy(&self) -> Result<PolicyView, AppError> {
        let vault = self.with_open(|o| Ok(o.drafts.vault()))?;
        let cached = match self.cached_policy(&vault)? {
            Some(c) => c,
            None => self.refresh_policy(&vault).await?,
        };
        Ok(policy_view(&cached))
    }

    pub(crate) fn cached_policy(&self, vault: &Vault) -> Result<Option<CachedPolicy>, AppError> {
        let court = url::Url::parse(&self.court_url()).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(match self.court_id() {
            Some(id) => courtside_sync::policy::cached(vault, &court, &id)?,
            None => courtside_sync::policy::cached_for_court(vault, &court)?,
        })
    }

    /// Every case, most recently changed first.
    ///
    /// # Errors
    /// [`AppError::Locked`], the vault's error.
    pub fn list_cases(&self) -> Result<Vec<CaseSummary>, AppError> {
        self.absorb_court_news()?;
        let now = time::OffsetDateTime::now_utc();
        let today = courtside_court_api::policy::iso_date::format(now.to_offset(time::macros::offset!(+8)).date());
        self.with_open(|o| {
            let vault = o.drafts.vault();
            let items = outbox::items(&vault)?;
            let hearings = courtside_sync::feed::hearings(&vault)?;
            Ok(o.cases
                .list()?
                .into_iter()
                .map(|c| {
                    let item = filing_of(&c, &items);
                    let (stage, case_number) = stage(item);
                    let next_deadline = c.deadlines.iter().map(|d| d.last_day.clone()).filter(|d| *d >= today).min();
                    let next_hearing = hearings
                        .iter()
                        .filter(|h| c.court_case.as_deref() == Some(h.case_id.as_str()))
                        .filter(|h| h.starts_at + time::Duration::minutes(i64::from(h.duration_minutes)) >= now)
                        .map(|h| h.starts_at)
                        .min()
                        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok());
                    CaseSummary {
                        next_deadline,
                        next_hearing,
                        id: c.id,
                        title: c.fields.title,
                        cause_of_action: c.fields.cause_of_action,
                        case_type: c.fields.case_type,
                        stage,
                        case_number,
                        updated_at: c.updated_at,
                    }
                })
                .collect())
        })
    }

    /// A case with its checklist, fee and filing.
    ///
    /// # Errors
    /// [`AppError::Locked`], no such case.
    pub fn get_case(&self, id: &str) -> Result<CaseView, AppError> {
        self.absorb_court_news()?;
        let (vault, case) = self.with_open(|o| Ok((o.drafts.vault(), o.cases.get(id)?)))?;
        self.case_view(&vault, case)
    }

    /// Creates a case and renders its court papers.
    ///
    /// # Errors
    /// [`AppError::Locked`], an invalid field, no CJK font for the papers.
    pub fn create_case(&self, fields: CaseFields) -> Result<CaseView, AppError> {
        let (vault, case) = self.with_open(|o| Ok((o.drafts.vault(), o.cases.create(fields)?)))?;
        self.note_change();
        let case = self.render_papers(&vault, case)?;
        self.case_view(&vault, case)
    }

    /// Replaces what the user filled in and renders the papers again.
    ///
    /// # Errors
    /// As [`App::create_case`]; a case already sent cannot change.
    pub fn update_case(&self, id: &str, fields: CaseFields) -> Result<CaseView, AppError> {
        let (vault, case) = self.with_open(|o| Ok((o.drafts.vault(), o.cases.update(id, fields)?)))?;
        self.note_change();
        let case = self.render_papers(&vault, case)?;
        self.case_view(&vault, case)
    }

    /// Seals a file the user picked as a document of the case (identity papers, a marriage
    /// certificate, …). Its media type is read from its content.
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] (too large, a bad file name, a case already sent).
    pub fn attach_case_document(
        &self,
        id: &str,
        kind: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<CaseView, AppError> {
        if bytes.is_empty() {
            return Err(AppError::InvalidInput(format!("{file_name} is empty")));
        }
        if bytes.len() > MAX_ATTACHMENT {
            return Err(AppError::InvalidInput(format!("{file_name} is larger than {} MiB", MAX_ATTACHMENT >> 20)));
        }
        let title = std::path::Path::new(file_name).file_stem().and_then(|s| s.to_str()).unwrap_or(kind).to_owned();
        let doc = NewDocument { kind, title: &title, file_name, media_type: sniff_media_type(bytes), generated: false };
        let (vault, case) = self.with_open(|o| Ok((o.drafts.vault(), o.cases.attach(id, &doc, &mut &bytes[..])?)))?;
        self.case_view(&vault, case)
    }

    /// Removes a document from the case.
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] (no such document, a case already sent).
    pub fn detach_case_document(&self, id: &str, blob_id: &str) -> Result<CaseView, AppError> {
        let (vault, case) = self.with_open(|o| Ok((o.drafts.vault(), o.cases.detach(id, blob_id)?)))?;
        self.case_view(&vault, case)
    }

    /// Deletes a case the court does not know (never queued, never served in), with its
    /// documents; the court's cases stay.
    ///
    /// # Errors
    /// [`AppError::NotFound`]; [`AppError::InvalidInput`] for a case the court knows.
    pub fn delete_case(&self, id: &str) -> Result<(), AppError> {
        self.note_change();
        self.with_open(|o| Ok(o.cases.delete(id)?))
    }

    /// A copy of a case, not yet queued: to fix and file again after a refusal.
    ///
    /// # Errors
    /// [`AppError::Locked`], no such case.
    pub fn copy_case(&self, id: &str) -> Result<CaseView, AppError> {
        let vault = self.with_open(|o| Ok(o.drafts.vault()))?;
        // After a correction request, the copy carries the court's points to work through.
        let original = self.with_open(|o| Ok(o.cases.get(id)?))?;
        let correcting = match original.filing_item.as_deref() {
            Some(item) => {
                outbox::items(&vault)?.into_iter().find(|i| i.id == item).and_then(|i| match i.court_status {
                    Some(courtside_court_api::filing::FilingStatus::CorrectionRequested { items, due }) => {
                        Some(courtside_casework::cases::Correcting {
                            original: id.to_owned(),
                            due: courtside_court_api::policy::iso_date::format(due),
                            points: items
                                .into_iter()
                                .map(|p| courtside_casework::cases::CorrectionPoint { item: p.item, reason: p.reason })
                                .collect(),
                        })
                    }
                    _ => None,
                })
            }
            None => None,
        };
        let case = self.with_open(|o| Ok(o.cases.copy(id, correcting)?))?;
        self.case_view(&vault, case)
    }

    /// Queues the case's new-case filing in the outbox (when its checklist is green) and
    /// wakes the sync engines. Works offline: the filing leaves when the court answers.
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] with every problem of the checklist; not signed in.
    pub fn queue_case_filing(&self, id: &str) -> Result<CaseView, AppError> {
        self.note_change();
        let (vault, case) = self.with_open(|o| Ok((o.drafts.vault(), o.cases.get(id)?)))?;
        let view = self.case_view(&vault, case)?;
        // The case as the check saw it (its papers rendered): what is filed, and what must
        // still be there when the filing is queued.
        let case = view.case.clone();
        if !view.check.ready {
            let problems: Vec<String> = view.check.problems.iter().map(|p| p.detail.clone()).collect();
            return Err(AppError::InvalidInput(format!("the filing is not complete: {}", problems.join("; "))));
        }
        let account = account::account_for(&vault, &self.court_url(), None)?;
        let f = &case.fields;
        let draft = FilingDraft {
            court_id: f.court_id.clone(),
            case: CaseTarget::New { cause_of_action: f.cause_of_action.trim().to_owned() },
            case_type: f.case_type.clone(),
            title: f.title.trim().to_owned(),
            amount_in_controversy_fen: f.amount_fen,
            parties: case.wire_parties(),
            documents: case
                .documents
                .iter()
                .map(|d| DraftDocument {
                    source: DocumentSource::Blob {
                        id: d.blob_id.clone(),
                        name: d.file_name.clone(),
                        sha256: Some(d.sha256.clone()),
                    },
                    title: d.title.clone(),
                    role: d.role(),
                    kind: Some(d.kind.clone()),
                    media_type: d.media_type.clone(),
                })
                .chain(self.exhibit_documents(&case)?)
                .collect(),
        };
        // The documents are read and hashed first; then the outbox item and the case's record
        // of it are one unit of work: a crash leaves both or neither, and a second attempt
        // (another window, a double click) finds the case queued and adds nothing.
        // Under the slot's lock, as every other change of a case, so no blind write-back of
        // the case can undo the mark; and only if the case is still as it was read above.
        let item = outbox::prepare(&vault, &account, draft)?;
        let case = self.with_open(|_| {
            vault.transaction(|tx| -> Result<Case, AppError> {
                let queued = Cases::stage_queued(tx, id, &item.id, case.updated_at)?;
                outbox::stage(tx, &item)?;
                Ok(queued)
            })
        })?;
        self.sync_now()?;
        self.case_view(&vault, case)
    }

    /// Renders the complaint and the evidence catalogue from the case (replacing earlier
    /// renderings), unless the case was sent.
    pub(crate) fn render_papers(&self, vault: &Vault, case: Case) -> Result<Case, AppError> {
        if case.filing_item.is_some() {
            return Ok(case);
        }
        let court_name = self
            .cached_policy(vault)?
            .map(|c| c.policy.court.name)
            .unwrap_or_else(|| self.court.base().as_url().host_str().unwrap_or_default().to_owned());
        let today = time::OffsetDateTime::now_utc().date();
        let font = font()?;
        let papers = [
            ("complaint", "民事起诉状", templates::complaint(&case, &court_name, today)),
            ("evidence-list", "证据目录", templates::evidence_catalogue(&case, &self.catalogue_entries(&case)?, today)),
        ];
        let mut case = case;
        for (kind, title, doc) in papers {
            debug_assert!(GENERATED.contains(&kind));
            let pdf = render_pdf(&doc, font).map_err(|e| AppError::Internal(e.to_string()))?;
            let file_name = format!("{title}.pdf");
            let new =
                NewDocument { kind, title, file_name: &file_name, media_type: "application/pdf", generated: true };
            case = self.with_open(|o| Ok(o.cases.attach(&case.id, &new, &mut &pdf[..])?))?;
        }
        Ok(case)
    }

    pub(crate) fn case_view(&self, vault: &Arc<Vault>, case: Case) -> Result<CaseView, AppError> {
        // The case's own filing, read alone (not the whole outbox).
        let loaded = match case.filing_item.as_deref() {
            Some(id) => outbox::load_item(vault, id)?,
            None => None,
        };
        let item = loaded.as_ref();
        let (stage, case_number) = stage(item);
        let filing = item.map(|i| crate::courts::outbox_view(i, self.progress.get_view(&i.id), Some(case.id.clone())));
        let policy = self.cached_policy(vault)?;
        let signed_in = account::account_for(vault, &self.court_url(), None).is_ok();
        let check = check_case(&case, policy.as_ref().map(|c| &c.policy), signed_in);
        let fee = policy.as_ref().and_then(|c| fee_view(&c.policy, &case));
        let offline_steps = match &case.court_case {
            Some(court_case) => {
                crate::court_actions::offline_steps(&courtside_sync::actions::actions(vault)?, court_case)
            }
            None => Vec::new(),
        };
        let exhibits = self.case_exhibits(&case)?;
        Ok(CaseView { case, stage, case_number, filing, check, fee, offline_steps, exhibits })
    }
}

fn filing_of<'a>(case: &Case, items: &'a [OutboxItem]) -> Option<&'a OutboxItem> {
    case.filing_item.as_deref().and_then(|id| items.iter().find(|i| i.id == id))
}

/// Where a case stands, from its filing and the court's word on it.
fn stage(item: Option<&OutboxItem>) -> (CaseStage, Option<String>) {
    let Some(item) = item else { return (CaseStage::Preparing, None) };
    let s = match (&item.court_status, &item.state) {
        (Some(FilingStatus::Docketed { case_number, .. }), _) => {
            return (CaseStage::Docketed, Some(case_number.clone()));
        }
        (Some(FilingStatus::Rejected { .. }), _) => CaseStage::Rejected,
        (Some(FilingStatus::CorrectionRequested { .. }), _) => CaseStage::CorrectionRequested,
        (Some(FilingStatus::UnderReview), _) => CaseStage::UnderReview,
        (_, ItemState::NeedsAttention { .. } | ItemState::Failed { .. }) => CaseStage::NeedsAttention,
        (_, ItemState::Receipted) => CaseStage::Sent,
        (_, ItemState::Cancelled) => CaseStage::Withdrawn,
        (_, ItemState::Queued | ItemState::Uploading | ItemState::Submitted) => CaseStage::Queued,
    };
    (s, None)
}

fn policy_view(c: &CachedPolicy) -> PolicyView {
    PolicyView {
        court_id: c.court_id.clone(),
        court_name: c.policy.court.name.clone(),
        version: c.policy.version.clone(),
        confirmed_at: c.confirmed_at,
        case_types: c
            .policy
            .case_types
            .iter()
            .map(|t| CaseTypeOption {
                code: t.code.clone(),
                name_zh: t.name.zh_cn.clone(),
                name_en: t.name.en.clone(),
                amount_required: t.amount_required,
                required_documents: t
                    .required_documents
                    .iter()
                    .map(|r| RequiredDocument {
                        kind: r.kind.clone(),
                        name_zh: r.name.zh_cn.clone(),
                        name_en: r.name.en.clone(),
                        present: false,
                        generated: GENERATED.contains(&r.kind.as_str()),
                    })
                    .collect(),
            })
            .collect(),
        periods: c
            .policy
            .statutory_periods
            .iter()
            .map(|p| crate::ipc::PeriodOption {
                code: p.code.clone(),
                name_zh: p.name.zh_cn.clone(),
                name_en: p.name.en.clone(),
                basis: p.basis.clone(),
            })
            .collect(),
    }
}

fn check_case(case: &Case, policy: Option<&CourtPolicy>, signed_in: bool) -> FilingCheck {
    let mut problems = Vec::new();
    if case.filing_item.is_some() {
        return FilingCheck {
            ready: false,
            required: Vec::new(),
            problems,
            policy_version: policy.map(|p| p.version.clone()),
        };
    }
    if !signed_in {
        problems.push(CheckProblem {
            code: ProblemCode::NotSignedIn,
            role: None,
            subject: None,
            detail: "sign in to the court (Settings) so the filing can be queued for your account".into(),
        });
    }
    let Some(policy) = policy else {
        problems.push(CheckProblem {
            code: ProblemCode::NoPolicy,
            role: None,
            subject: None,
            detail: "the court's rules have not been fetched yet: connect once so they can be checked offline".into(),
        });
        return FilingCheck { ready: false, required: Vec::new(), problems, policy_version: None };
    };
    let plan = FilingPlan {
        case_type: case.fields.case_type.clone(),
        new_case: true,
        title: case.fields.title.clone(),
        amount_fen: case.fields.amount_fen,
        documents: case
            .documents
            .iter()
            .map(|d| PlannedDocument {
                title: d.title.clone(),
                kind: Some(d.kind.clone()),
                role: d.role(),
                media_type: d.media_type.clone(),
                bytes: d.bytes,
            })
            .collect(),
    };
    let list = checklist::check(policy, &plan);
    let findings = checklist::case_findings(case).into_iter().chain(list.findings);
    problems.extend(findings.map(|f| problem(&f)));
    let required = list
        .required
        .into_iter()
        .map(|(kind, name, present)| RequiredDocument {
            generated: GENERATED.contains(&kind.as_str()),
            kind,
            name_zh: name.zh_cn,
            name_en: name.en,
            present,
        })
        .collect();
    FilingCheck { ready: problems.is_empty(), required, problems, policy_version: Some(policy.version.clone()) }
}

fn problem(f: &Finding) -> CheckProblem {
    let code = match f {
        Finding::UnknownCaseType { .. } => ProblemCode::UnknownCaseType,
        Finding::TitleMissing => ProblemCode::TitleMissing,
        Finding::CauseMissing => ProblemCode::CauseMissing,
        Finding::PartyMissing { .. } => ProblemCode::PartyMissing,
        Finding::PartyNameMissing => ProblemCode::PartyNameMissing,
        Finding::ClaimsMissing => ProblemCode::ClaimsMissing,
        Finding::FactsMissing => ProblemCode::FactsMissing,
        Finding::AmountMissing => ProblemCode::AmountMissing,
        Finding::LeadMissing => ProblemCode::LeadMissing,
        Finding::DocumentMissing { .. } => ProblemCode::DocumentMissing,
        Finding::FormatNotAccepted { .. } => ProblemCode::FormatNotAccepted,
        Finding::FileTooLarge { .. } => ProblemCode::FileTooLarge,
        Finding::FilingTooLarge { .. } => ProblemCode::FilingTooLarge,
    };
    let role = match f {
        Finding::PartyMissing { role } => Some(*role),
        _ => None,
    };
    let (subject, detail) = match f {
        Finding::UnknownCaseType { code, accepted } => (
            Some(code.clone()),
            format!("the court does not take case type {code} online (it takes {})", accepted.join(", ")),
        ),
        Finding::TitleMissing => (None, "give the case a title".into()),
        Finding::CauseMissing => (None, "state the cause of action".into()),
        Finding::PartyMissing { role } => (None, format!("add a party in the role {role:?}")),
        Finding::PartyNameMissing => (None, "every party needs a name".into()),
        Finding::ClaimsMissing => (None, "state at least one claim".into()),
        Finding::FactsMissing => (None, "state the facts and reasons".into()),
        Finding::AmountMissing => (None, "this case type needs the amount in controversy".into()),
        Finding::LeadMissing => (None, "the filing needs a lead document (the statement of claim)".into()),
        Finding::DocumentMissing { kind, name } => {
            (Some(kind.clone()), format!("add the {} ({})", name.en, name.zh_cn))
        }
        Finding::FormatNotAccepted { document, media_type, .. } => {
            (Some(document.clone()), format!("{document}: the court does not accept {media_type}; convert it to PDF"))
        }
        Finding::FileTooLarge { document, bytes, limit } => {
            (Some(document.clone()), format!("{document} has {bytes} bytes; the court takes at most {limit}"))
        }
        Finding::FilingTooLarge { bytes, limit } => {
            (None, format!("the documents have {bytes} bytes together; the court takes at most {limit} per filing"))
        }
    };
    CheckProblem { code, role, subject, detail }
}

fn fee_view(policy: &CourtPolicy, case: &Case) -> Option<FeeView> {
    let case_type = policy.case_types.iter().find(|t| t.code == case.fields.case_type)?;
    let halvings: &[HalvingReason] = if case.fields.simple_procedure { &[HalvingReason::SimpleProcedure] } else { &[] };
    let w = fees::acceptance_fee(&policy.fee_schedule, case_type, case.fields.amount_fen, halvings).ok()?;
    Some(FeeView { total_fen: w.total_fen, total_yuan: yuan(w.total_fen), working: working(&w) })
}

/// The fee's working in words, one line per tier and adjustment.
#[must_use]
pub fn working(w: &FeeWorking) -> Vec<String> {
    let centi = |c: u128| {
        let fen = c / 100;
        format!("{}.{:02}", fen / 100, fen % 100)
    };
    let mut out: Vec<String> = w
        .lines
        .iter()
        .map(|l| {
            let rate = format!("{}.{:02}%", l.rate_bp / 100, l.rate_bp % 100);
            if l.fixed_fen > 0 {
                format!(
                    "{}–{} yuan: {} yuan flat = {}",
                    yuan(l.from_fen),
                    yuan(l.to_fen),
                    yuan(l.fixed_fen),
                    centi(l.amount_centifen)
                )
            } else {
                format!("{}–{} yuan at {rate} = {}", yuan(l.from_fen), yuan(l.to_fen), centi(l.amount_centifen))
            }
        })
        .collect();
    out.push(format!("subtotal {}", centi(w.subtotal_centifen)));
    for a in &w.adjustments {
        out.push(match a {
            Adjustment::Halved(reason) => format!("halved ({reason:?})"),
            Adjustment::Fraction(n, d) => format!("× {n}/{d}"),
            Adjustment::Capped(fen) => format!("capped at {} yuan", yuan(*fen)),
            Adjustment::PropertyPart(c) => format!("+ property part {}", centi(*c)),
        });
    }
    out.push(format!("fee {} yuan", yuan(w.total_fen)));
    out
}
