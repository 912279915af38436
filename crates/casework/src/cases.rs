//! Cases as the user prepares them: the court and case type, the parties, the claims, the
//! facts and reasons, the documents (sealed blobs), and the link to the filing that took the
//! case to court. Each case is one sealed record (`cases/<id>`).

use std::sync::Arc;

use courtside_court_api::filing::{self, DocumentRole};
use courtside_vault::{Transaction, Vault, VaultError};
use serde::{Deserialize, Serialize};

const TABLE: &str = "cases";
const SCHEMA: u32 = 1;
const MAX_TEXT: usize = 200_000;
const MAX_NAME: usize = 300;
const MAX_PARTIES: usize = 200;
const MAX_EXHIBITS: usize = 1_000;
const MAX_CLAIMS: usize = 100;

/// What can go wrong with cases.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// No case with that id.
    #[error("no case {0}")]
    NotFound(String),
    /// A field is unacceptable (too long, empty where required).
    #[error("{0}")]
    Invalid(String),
    /// The case was queued: it changes only by a new filing.
    #[error("case {0} was sent to the court; copy it to change and file again")]
    Sent(String),
    /// The court knows the case (it was filed, or the court serves in it): it stays.
    #[error("case {0} is known to the court: it is kept (archive it instead)")]
    HeldByCourt(String),
    /// The vault refused.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// A stored case could not be decoded.
    #[error("case {0} could not be decoded: {1}")]
    Decode(String, String),
}

/// Role of a party in the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum PartyKind {
    /// 自然人.
    Person,
    /// 法人或其他组织.
    Organisation,
}

/// A party with the identity fields a complaint states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CaseParty {
    /// Role.
    pub role: PartyRole,
    /// Person or organisation.
    pub kind: PartyKind,
    /// Full name (person) or registered name (organisation).
    pub name: String,
    /// Identity card number (person) or unified social credit code (organisation).
    #[serde(default)]
    pub id_number: String,
    /// Domicile or registered address.
    #[serde(default)]
    pub address: String,
    /// Telephone.
    #[serde(default)]
    pub phone: String,
    /// Address for service of court documents (when different from the address).
    #[serde(default)]
    pub service_address: String,
    /// Legal representative (organisation).
    #[serde(default)]
    pub representative: String,
}

/// A document of the case, sealed in the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CaseDocument {
    /// Vault blob id.
    pub blob_id: String,
    /// Which required document it is (`complaint`, `identity`, `evidence-list`, …).
    pub kind: String,
    /// Title.
    pub title: String,
    /// File name given to the court.
    pub file_name: String,
    /// Media type.
    pub media_type: String,
    /// Size.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// Whether Courtside rendered it from the case (rendered again when the case changes).
    pub generated: bool,
}

impl CaseDocument {
    /// The role it has in a filing: the complaint leads, evidence catalogues are evidence.
    #[must_use]
    pub fn role(&self) -> DocumentRole {
        match self.kind.as_str() {
            "complaint" => DocumentRole::Lead,
            "evidence-list" => DocumentRole::Evidence,
            _ => DocumentRole::Attachment,
        }
    }
}

/// A document about to be attached to a case.
#[derive(Debug, Clone, Copy)]
pub struct NewDocument<'a> {
    /// Which required document it is.
    pub kind: &'a str,
    /// Title.
    pub title: &'a str,
    /// File name (only its last component is kept).
    pub file_name: &'a str,
    /// Media type.
    pub media_type: &'a str,
    /// Whether Courtside rendered it from the case.
    pub generated: bool,
}

/// What the user fills in (wizard, case page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CaseFields {
    /// Court id (as in its policy).
    pub court_id: String,
    /// Case type code.
    pub case_type: String,
    /// Cause of action (案由), e.g. 买卖合同纠纷.
    pub cause_of_action: String,
    /// Short title for lists.
    pub title: String,
    /// Amount in controversy, fen.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub amount_fen: Option<u64>,
    /// Whether the simple procedure applies (fee halved).
    #[serde(default)]
    pub simple_procedure: bool,
    /// Parties.
    pub parties: Vec<CaseParty>,
    /// Claims (诉讼请求), one per entry.
    pub claims: Vec<String>,
    /// Facts and reasons (事实与理由).
    pub facts: String,
    /// Private notes (never filed).
    #[serde(default)]
    pub notes: String,
}

/// A deadline of a case, computed from the court's statutory periods and calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CaseDeadline {
    /// Opaque id.
    pub id: String,
    /// The period's code (`answer`, `appeal-judgment`, …).
    pub period: String,
    /// Its Chinese name.
    pub name_zh: String,
    /// Its English name.
    pub name_en: String,
    /// The triggering day (not counted), `YYYY-MM-DD`.
    pub from: String,
    /// The last day to act, `YYYY-MM-DD`.
    pub last_day: String,
    /// Whether the end was moved over rest days or holidays.
    pub moved: bool,
    /// False when the court's calendar does not cover the year (check the official notice).
    pub calendar_known: bool,
    /// The user's note (what to do).
    #[serde(default)]
    pub note: String,
    /// What started it when it came from the court (e.g. `service:<id>`), so it is added once.
    #[serde(default)]
    pub source: Option<String>,
}

/// A case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Case {
    /// Opaque id.
    pub id: String,
    /// What the user filled in.
    pub fields: CaseFields,
    /// Documents.
    pub documents: Vec<CaseDocument>,
    /// The outbox item that took it to court, once queued.
    pub filing_item: Option<String>,
    /// Deadlines (they can be added at any stage).
    #[serde(default)]
    pub deadlines: Vec<CaseDeadline>,
    /// The court's id of the case, once known (docketed, or learned from service).
    #[serde(default)]
    pub court_case: Option<String>,
    /// Exhibits from the evidence locker submitted with the filing, in the catalogue's order
    /// (their ids).
    #[serde(default)]
    pub exhibits: Vec<String>,
    /// When this case is the correction of another's filing: the court's points, to work
    /// through before filing again (cases saved by earlier versions have none).
    #[serde(default)]
    pub correcting: Option<Correcting>,
    /// Created (ms since the Unix epoch).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created_at: i64,
    /// Last changed.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub updated_at: i64,
}

/// The court's request for corrections that a copy of a case works through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Correcting {
    /// The case whose filing the court asked to correct.
    pub original: String,
    /// The last day for the corrected filing (YYYY-MM-DD).
    pub due: String,
    /// The court's points, in its words.
    pub points: Vec<CorrectionPoint>,
}

/// One point of a court's correction request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CorrectionPoint {
    /// What it is about: a document kind (`identity`, `complaint`) or a field.
    pub item: String,
    /// Why it must change.
    pub reason: String,
}

impl Case {
    /// The parties in the court protocol's shape.
    #[must_use]
    pub fn wire_parties(&self) -> Vec<filing::Party> {
        self.fields
            .parties
            .iter()
            .map(|p| filing::Party {
                role: match p.role {
                    PartyRole::Plaintiff => filing::PartyRole::Plaintiff,
                    PartyRole::Defendant => filing::PartyRole::Defendant,
                    PartyRole::ThirdParty => filing::PartyRole::ThirdParty,
                    PartyRole::Agent => filing::PartyRole::Agent,
                },
                name: p.name.clone(),
                kind: match p.kind {
                    PartyKind::Person => filing::PartyKind::Person,
                    PartyKind::Organisation => filing::PartyKind::Organisation,
                },
                service_address: Some(if p.service_address.trim().is_empty() {
                    p.address.clone()
                } else {
                    p.service_address.clone()
                })
                .filter(|a| !a.trim().is_empty()),
            })
            .collect()
    }

    /// Parties with a role, in order.
    pub fn parties(&self, role: PartyRole) -> impl Iterator<Item = &CaseParty> {
        self.fields.parties.iter().filter(move |p| p.role == role)
    }
}

/// The cases of one open vault.
#[derive(Debug, Clone)]
pub struct Cases {
    vault: Arc<Vault>,
}

impl Cases {
    /// Cases in this vault.
    #[must_use]
    pub fn new(vault: Arc<Vault>) -> Self {
        Self { vault }
    }

    /// Every case, most recently changed first.
    ///
    /// # Errors
    /// The vault's error, or a case that does not decode.
    pub fn list(&self) -> Result<Vec<Case>, CaseError> {
        let mut all = self
            .vault
            .list(TABLE)?
            .iter()
            .map(|r| {
                serde_json::from_slice::<Case>(&r.plaintext).map_err(|e| CaseError::Decode(r.id.clone(), e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        all.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then_with(|| a.id.cmp(&b.id)));
        Ok(all)
    }

    /// One case.
    ///
    /// # Errors
    /// [`CaseError::NotFound`], the vault's error.
    pub fn get(&self, id: &str) -> Result<Case, CaseError> {
        let record = self.vault.get(TABLE, id)?.ok_or_else(|| CaseError::NotFound(id.to_owned()))?;
        serde_json::from_slice(&record.plaintext).map_err(|e| CaseError::Decode(id.to_owned(), e.to_string()))
    }

    /// Creates a case.
    ///
    /// # Errors
    /// [`CaseError::Invalid`], the vault's error.
    pub fn create(&self, fields: CaseFields) -> Result<Case, CaseError> {
        validate(&fields)?;
        let now = now_millis();
        let case = Case {
            id: uuid::Uuid::new_v4().simple().to_string(),
            fields,
            documents: Vec::new(),
            filing_item: None,
            deadlines: Vec::new(),
            court_case: None,
            exhibits: Vec::new(),
            correcting: None,
            created_at: now,
            updated_at: now,
        };
        self.save(&case)?;
        Ok(case)
    }

    /// Replaces what the user filled in.
    ///
    /// # Errors
    /// [`CaseError::Sent`] once queued; [`CaseError::Invalid`]; the vault's error.
    pub fn update(&self, id: &str, fields: CaseFields) -> Result<Case, CaseError> {
        validate(&fields)?;
        let mut case = self.get(id)?;
        if case.filing_item.is_some() {
            return Err(CaseError::Sent(id.to_owned()));
        }
        case.fields = fields;
        case.updated_at = now_millis();
        self.save(&case)?;
        Ok(case)
    }

    /// Seals `content` as a document of the case; a document of the same kind that Courtside
    /// generated is replaced (its sealed file removed once no case refers to it).
    ///
    /// # Errors
    /// [`CaseError::Sent`], [`CaseError::Invalid`] (file name), the vault's error.
    pub fn attach(&self, id: &str, doc: &NewDocument<'_>, content: &mut dyn std::io::Read) -> Result<Case, CaseError> {
        let NewDocument { kind, title, file_name, media_type, generated } = *doc;
        let mut case = self.get(id)?;
        if case.filing_item.is_some() {
            return Err(CaseError::Sent(id.to_owned()));
        }
        let file_name = safe_file_name(file_name)?;
        check_len("document kind", kind, 64)?;
        check_len("document title", title, MAX_NAME)?;
        let blob_id = format!("case-{}-{}", case.id, uuid::Uuid::new_v4().simple());
        let info = self.vault.write_blob(&blob_id, content)?;
        let replaced: Vec<String> = if generated {
            let (old, kept) = case.documents.drain(..).partition(|d| d.generated && d.kind == kind);
            case.documents = kept;
            old.into_iter().map(|d: CaseDocument| d.blob_id).collect()
        } else {
            Vec::new()
        };
        case.documents.push(CaseDocument {
            blob_id,
            kind: kind.to_owned(),
            title: title.to_owned(),
            file_name,
            media_type: media_type.to_owned(),
            bytes: info.size,
            sha256: info.sha256,
            generated,
        });
        case.updated_at = now_millis();
        self.save(&case)?;
        self.remove_unreferenced(replaced);
        Ok(case)
    }

    /// Removes a document from the case.
    ///
    /// # Errors
    /// [`CaseError::Sent`], [`CaseError::NotFound`], the vault's error.
    pub fn detach(&self, id: &str, blob_id: &str) -> Result<Case, CaseError> {
        let mut case = self.get(id)?;
        if case.filing_item.is_some() {
            return Err(CaseError::Sent(id.to_owned()));
        }
        let before = case.documents.len();
        case.documents.retain(|d| d.blob_id != blob_id);
        if case.documents.len() == before {
            return Err(CaseError::NotFound(format!("{id}/{blob_id}")));
        }
        case.updated_at = now_millis();
        self.save(&case)?;
        self.remove_unreferenced(vec![blob_id.to_owned()]);
        Ok(case)
    }

    /// Records the outbox item that took the case to court.
    ///
    /// # Errors
    /// [`CaseError::Sent`] when already queued; the vault's error.
    pub fn mark_queued(&self, id: &str, item: &str) -> Result<Case, CaseError> {
        let seen = self.get(id)?.updated_at;
        self.vault.transaction(|tx| Self::stage_queued(tx, id, item, seen))
    }

    /// Stages, in the caller's unit of work, the record that the outbox item `item` took the
    /// case to court: read and written inside the transaction, so two attempts to queue one
    /// case never both succeed.
    ///
    /// # Errors
    /// `seen_updated_at` is the case's `updated_at` when the filing was built from it: a case
    /// changed since is a conflict (the filing would not be what the case says).
    ///
    /// [`CaseError::Sent`] when already queued; [`CaseError::NotFound`]; a
    /// [`VaultError::Conflict`] when the case changed; the vault's error.
    pub fn stage_queued(
        tx: &mut Transaction<'_>,
        id: &str,
        item: &str,
        seen_updated_at: i64,
    ) -> Result<Case, CaseError> {
        let record = tx.get(TABLE, id)?.ok_or_else(|| CaseError::NotFound(id.to_owned()))?;
        let mut case: Case =
            serde_json::from_slice(&record.plaintext).map_err(|e| CaseError::Decode(id.to_owned(), e.to_string()))?;
        if case.filing_item.is_some() {
            return Err(CaseError::Sent(id.to_owned()));
        }
        if case.updated_at != seen_updated_at {
            return Err(CaseError::Vault(VaultError::Conflict {
                item: format!("{TABLE}/{id}"),
                expected: record.revision,
                found: record.revision,
            }));
        }
        case.filing_item = Some(item.to_owned());
        case.updated_at = now_millis();
        let json = zeroize::Zeroizing::new(serde_json::to_vec(&case).map_err(|e| CaseError::Invalid(e.to_string()))?);
        tx.put_expecting(TABLE, id, SCHEMA, record.revision, &json)?;
        Ok(case)
    }

    /// Chooses the exhibits (locker ids, in catalogue order) the filing submits.
    ///
    /// # Errors
    /// [`CaseError::Sent`] once queued; [`CaseError::Invalid`] for repeats or too many.
    pub fn set_exhibits(&self, id: &str, exhibits: Vec<String>) -> Result<Case, CaseError> {
        let mut case = self.get(id)?;
        if case.filing_item.is_some() {
            return Err(CaseError::Sent(id.to_owned()));
        }
        if exhibits.len() > MAX_EXHIBITS {
            return Err(CaseError::Invalid(format!("at most {MAX_EXHIBITS} exhibits per filing")));
        }
        let distinct: std::collections::HashSet<&String> = exhibits.iter().collect();
        if distinct.len() != exhibits.len() {
            return Err(CaseError::Invalid("an exhibit is chosen twice".into()));
        }
        case.exhibits = exhibits;
        case.updated_at = now_millis();
        self.save(&case)?;
        Ok(case)
    }

    /// Records the court's id of the case.
    ///
    /// # Errors
    /// [`CaseError::NotFound`], the vault's error.
    pub fn set_court_case(&self, id: &str, court_case: &str) -> Result<Case, CaseError> {
        let mut case = self.get(id)?;
        if case.court_case.as_deref() != Some(court_case) {
            case.court_case = Some(court_case.to_owned());
            case.updated_at = now_millis();
            self.save(&case)?;
        }
        Ok(case)
    }

    /// Adds a deadline (its id is given here).
    ///
    /// # Errors
    /// [`CaseError::Invalid`] for a note that is too long; the vault's error.
    pub fn add_deadline(&self, id: &str, mut deadline: CaseDeadline) -> Result<Case, CaseError> {
        check_len("note", &deadline.note, 2_000)?;
        let mut case = self.get(id)?;
        if deadline.source.is_some() && case.deadlines.iter().any(|d| d.source == deadline.source) {
            return Ok(case);
        }
        if case.deadlines.len() >= 500 {
            return Err(CaseError::Invalid("at most 500 deadlines per case".into()));
        }
        deadline.id = uuid::Uuid::new_v4().simple().to_string();
        case.deadlines.push(deadline);
        case.deadlines.sort_by(|a, b| a.last_day.cmp(&b.last_day));
        case.updated_at = now_millis();
        self.save(&case)?;
        Ok(case)
    }

    /// Removes a deadline.
    ///
    /// # Errors
    /// [`CaseError::NotFound`], the vault's error.
    pub fn remove_deadline(&self, id: &str, deadline: &str) -> Result<Case, CaseError> {
        let mut case = self.get(id)?;
        let before = case.deadlines.len();
        case.deadlines.retain(|d| d.id != deadline);
        if case.deadlines.len() == before {
            return Err(CaseError::NotFound(format!("{id}/{deadline}")));
        }
        case.updated_at = now_millis();
        self.save(&case)?;
        Ok(case)
    }

    /// Forgets the filing of a case whose filing was withdrawn before it was sent: the case
    /// can be changed and queued again.
    ///
    /// # Errors
    /// [`CaseError::NotFound`], the vault's error.
    pub fn clear_filing(&self, id: &str) -> Result<Case, CaseError> {
        let mut case = self.get(id)?;
        case.filing_item = None;
        case.updated_at = now_millis();
        self.save(&case)?;
        Ok(case)
    }

    /// A new case with the same fields and documents, not yet queued (to fix and file again
    /// after a refusal or a correction request).
    ///
    /// # Errors
    /// [`CaseError::NotFound`], the vault's error.
    pub fn copy(&self, id: &str, correcting: Option<Correcting>) -> Result<Case, CaseError> {
        let original = self.get(id)?;
        let now = now_millis();
        let case = Case {
            id: uuid::Uuid::new_v4().simple().to_string(),
            fields: original.fields,
            documents: original.documents,
            filing_item: None,
            // New ids: the original's deadlines stay on it, and an id names one deadline.
            deadlines: original
                .deadlines
                .into_iter()
                .map(|d| CaseDeadline { id: uuid::Uuid::new_v4().simple().to_string(), ..d })
                .collect(),
            court_case: None,
            exhibits: original.exhibits,
            correcting,
            created_at: now,
            updated_at: now,
        };
        self.save(&case)?;
        Ok(case)
    }

    /// Deletes a case the court does not know (never queued, never served in): its record
    /// becomes a tombstone in one unit of work, then its documents' sealed files go, unless
    /// another case (a copy) still refers to them.
    ///
    /// # Errors
    /// [`CaseError::NotFound`]; [`CaseError::HeldByCourt`] for a case queued, filed or
    /// followed by service; [`VaultError::Conflict`] when it changed meanwhile.
    pub fn delete(&self, id: &str) -> Result<(), CaseError> {
        let blobs = self.vault.transaction(|tx| {
            let record = tx.get(TABLE, id)?.ok_or_else(|| CaseError::NotFound(id.to_owned()))?;
            let case: Case = serde_json::from_slice(&record.plaintext)
                .map_err(|e| CaseError::Decode(id.to_owned(), e.to_string()))?;
            if case.filing_item.is_some() || case.court_case.is_some() {
                return Err(CaseError::HeldByCourt(id.to_owned()));
            }
            tx.delete_expecting(TABLE, id, record.revision)?;
            Ok::<_, CaseError>(case.documents.into_iter().map(|d| d.blob_id).collect::<Vec<_>>())
        })?;
        self.remove_unreferenced(blobs);
        Ok(())
    }

    /// Removes the sealed files among `candidates` that no case refers to any more (a copy
    /// of a case shares its documents' files with the original, so a file goes only with
    /// its last case). A file left behind (a kill, a disk error) is unreadable without the
    /// key and referenced by nothing.
    fn remove_unreferenced(&self, candidates: Vec<String>) {
        // A damaged case is left out of lists: it may still refer to these files.
        if candidates.is_empty()
            || self
                .vault
                .damaged()
                .iter()
                .any(|e| matches!(e, VaultError::Tampered { item, .. } if item.starts_with("cases/")))
        {
            return;
        }
        let Ok(cases) = self.list() else { return };
        let used: std::collections::HashSet<&str> =
            cases.iter().flat_map(|c| c.documents.iter().map(|d| d.blob_id.as_str())).collect();
        for blob in candidates.iter().filter(|b| !used.contains(b.as_str())) {
            self.vault.remove_blob(blob).ok();
        }
    }

    fn save(&self, case: &Case) -> Result<(), CaseError> {
        let json = zeroize::Zeroizing::new(serde_json::to_vec(case).map_err(|e| CaseError::Invalid(e.to_string()))?);
        self.vault.put(TABLE, &case.id, SCHEMA, &json)?;
        Ok(())
    }
}

fn check_len(what: &str, value: &str, max: usize) -> Result<(), CaseError> {
    if value.chars().count() > max {
        return Err(CaseError::Invalid(format!("{what} is longer than {max} characters")));
    }
    Ok(())
}

fn validate(f: &CaseFields) -> Result<(), CaseError> {
    check_len("court id", &f.court_id, 128)?;
    check_len("case type", &f.case_type, 64)?;
    check_len("cause of action", &f.cause_of_action, MAX_NAME)?;
    check_len("title", &f.title, MAX_NAME)?;
    check_len("facts and reasons", &f.facts, MAX_TEXT)?;
    check_len("notes", &f.notes, MAX_TEXT)?;
    if f.parties.len() > MAX_PARTIES {
        return Err(CaseError::Invalid(format!("at most {MAX_PARTIES} parties")));
    }
    if f.claims.len() > MAX_CLAIMS {
        return Err(CaseError::Invalid(format!("at most {MAX_CLAIMS} claims")));
    }
    for p in &f.parties {
        for (what, v) in [
            ("party name", &p.name),
            ("identity number", &p.id_number),
            ("address", &p.address),
            ("telephone", &p.phone),
            ("service address", &p.service_address),
            ("legal representative", &p.representative),
        ] {
            check_len(what, v, MAX_NAME)?;
        }
    }
    for c in &f.claims {
        check_len("claim", c, 5_000)?;
    }
    Ok(())
}

/// A file name as the court will see it: the last path component, without control
/// characters or anything that could climb out of a directory.
///
/// # Errors
/// [`CaseError::Invalid`] when nothing usable is left.
pub fn safe_file_name(name: &str) -> Result<String, CaseError> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last.chars().filter(|c| !c.is_control()).collect::<String>().trim().to_owned();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." || cleaned.chars().count() > 200 {
        return Err(CaseError::Invalid(format!(
            "{:?} is not a usable file name",
            name.chars().take(60).collect::<String>()
        )));
    }
    Ok(cleaned)
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn file_names_lose_their_directories() {
        assert_eq!(safe_file_name("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(safe_file_name("C:\\Users\\x\\身份证.jpg").unwrap(), "身份证.jpg");
        assert!(safe_file_name("..").is_err());
        assert!(safe_file_name("dir/").is_err());
        assert!(safe_file_name("\u{0}\u{7}").is_err());
    }

    proptest! {
        #[test]
        fn a_safe_file_name_never_holds_a_separator_or_a_control(name in any::<String>()) {
            if let Ok(n) = safe_file_name(&name) {
                prop_assert!(!n.contains('/') && !n.contains('\\') && !n.chars().any(char::is_control));
                prop_assert!(n != "." && n != "..");
            }
        }
    }
}
