//! Drafts and their version history.
//!
//! A draft is a head record (`drafts/<id>`: title, body, case, current version) and one
//! immutable record per saved version (`draft_versions/<id>.<number>`). Each save writes
//! the new version and the head in one vault transaction, so after a crash the head always
//! names a version that exists, and every version reported as saved is intact.
//!
//! Search runs over an in-memory copy of the heads, lowercased on the first search and
//! refreshed by every save: the text never leaves memory unencrypted. Matching is by case-insensitive
//! substring, which is what Chinese text (no spaces between words) needs.

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::sync::Arc;

use courtside_vault::{Vault, VaultError};
use serde::{Deserialize, Serialize};

const HEADS: &str = "drafts";
const VERSIONS: &str = "draft_versions";
const SCHEMA: u32 = 1;
/// Longest title and body accepted (a body is text, not an attachment).
const MAX_TITLE: usize = 500;
const MAX_BODY: usize = 8 * 1024 * 1024;

/// What can go wrong with drafts.
#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    /// No draft with that id.
    #[error("no draft {0}")]
    NotFound(String),
    /// No such version of the draft.
    #[error("draft {0} has no version {1}")]
    NoSuchVersion(String, u64),
    /// Title or body too long.
    #[error("{0}")]
    TooLarge(String),
    /// The vault refused (integrity, disk).
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// A stored draft could not be decoded.
    #[error("draft {0} could not be decoded: {1}")]
    Decode(String, String),
}

/// A draft's current content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Draft {
    /// Opaque id.
    pub id: String,
    /// The case it belongs to, if any.
    pub case_id: Option<String>,
    /// Title.
    pub title: String,
    /// Markdown text.
    pub body: String,
    /// Number of the current version (1 after creation).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub version: u64,
    /// Milliseconds since the Unix epoch of creation.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created_at: i64,
    /// Milliseconds since the Unix epoch of the last save.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub saved_at: i64,
}

/// One line of the drafts list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DraftSummary {
    /// Opaque id.
    pub id: String,
    /// Title.
    pub title: String,
    /// The case it belongs to, if any.
    pub case_id: Option<String>,
    /// Current version.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub version: u64,
    /// Last save.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub saved_at: i64,
}

/// One entry of a draft's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct VersionSummary {
    /// Version number, from 1.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub number: u64,
    /// Title at that version.
    pub title: String,
    /// Body length in characters.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub chars: usize,
    /// When it was saved.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub saved_at: i64,
}

/// A search result: the draft and a snippet around the first match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    /// The draft.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Text around the first match.
    pub snippet: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredVersion {
    title: String,
    body: String,
    saved_at: i64,
}

/// The drafts of one open vault, with the in-memory search copy.
pub struct Drafts {
    vault: Arc<Vault>,
    /// Each head with its lowercased search text, made on the first search (unlock stays fast).
    heads: BTreeMap<String, (Draft, OnceCell<String>)>,
}

impl std::fmt::Debug for Drafts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Drafts").field("count", &self.heads.len()).finish()
    }
}

impl Drafts {
    /// Loads every draft head (decrypting them) for listing and search.
    ///
    /// # Errors
    /// The first draft that fails its integrity check or cannot be decoded.
    pub fn load(vault: Arc<Vault>) -> Result<Self, DraftError> {
        let mut heads = BTreeMap::new();
        for record in vault.list(HEADS)? {
            let draft: Draft = serde_json::from_slice(&record.plaintext)
                .map_err(|e| DraftError::Decode(record.id.clone(), e.to_string()))?;
            heads.insert(draft.id.clone(), (draft, OnceCell::new()));
        }
        Ok(Self { vault, heads })
    }

    /// The vault the drafts live in.
    #[must_use]
    pub fn vault(&self) -> Arc<Vault> {
        Arc::clone(&self.vault)
    }

    /// Creates a draft with its first version.
    ///
    /// # Errors
    /// [`DraftError::TooLarge`], or the vault's error (nothing is saved then).
    pub fn create(&mut self, title: &str, body: &str, case_id: Option<&str>) -> Result<Draft, DraftError> {
        let now = now_millis();
        let draft = Draft {
            id: uuid::Uuid::new_v4().simple().to_string(),
            case_id: case_id.map(str::to_owned),
            title: String::new(),
            body: String::new(),
            version: 0,
            created_at: now,
            saved_at: now,
        };
        self.write_version(draft, title, body, now)
    }

    /// Saves new content as the next version (what autosave calls). Saving unchanged
    /// content writes nothing and returns the draft as it is.
    ///
    /// # Errors
    /// [`DraftError::NotFound`], [`DraftError::TooLarge`], or the vault's error.
    pub fn save(&mut self, id: &str, title: &str, body: &str) -> Result<Draft, DraftError> {
        let (draft, _) = self.heads.get(id).ok_or_else(|| DraftError::NotFound(id.to_owned()))?;
        if draft.title == title && draft.body == body {
            return Ok(draft.clone());
        }
        let draft = draft.clone();
        self.write_version(draft, title, body, now_millis())
    }

    /// The current content of a draft.
    ///
    /// # Errors
    /// [`DraftError::NotFound`].
    pub fn get(&self, id: &str) -> Result<Draft, DraftError> {
        self.heads.get(id).map(|(d, _)| d.clone()).ok_or_else(|| DraftError::NotFound(id.to_owned()))
    }

    /// All drafts, most recently saved first.
    #[must_use]
    pub fn list(&self) -> Vec<DraftSummary> {
        let mut list: Vec<DraftSummary> = self
            .heads
            .values()
            .map(|(d, _)| DraftSummary {
                id: d.id.clone(),
                title: d.title.clone(),
                case_id: d.case_id.clone(),
                version: d.version,
                saved_at: d.saved_at,
            })
            .collect();
        list.sort_by(|a, b| b.saved_at.cmp(&a.saved_at).then_with(|| a.id.cmp(&b.id)));
        list
    }

    /// Every saved version of a draft, oldest first.
    ///
    /// # Errors
    /// [`DraftError::NotFound`], or a version that fails its integrity check.
    pub fn history(&self, id: &str) -> Result<Vec<VersionSummary>, DraftError> {
        let (draft, _) = self.heads.get(id).ok_or_else(|| DraftError::NotFound(id.to_owned()))?;
        (1..=draft.version)
            .map(|n| {
                let v = self.read_version(id, n)?;
                Ok(VersionSummary { number: n, chars: v.body.chars().count(), title: v.title, saved_at: v.saved_at })
            })
            .collect()
    }

    /// The content of one version.
    ///
    /// # Errors
    /// [`DraftError::NoSuchVersion`], or a version that fails its integrity check.
    pub fn version(&self, id: &str, number: u64) -> Result<Draft, DraftError> {
        let (draft, _) = self.heads.get(id).ok_or_else(|| DraftError::NotFound(id.to_owned()))?;
        let v = self.read_version(id, number)?;
        Ok(Draft { title: v.title, body: v.body, version: number, saved_at: v.saved_at, ..draft.clone() })
    }

    /// Makes an old version current again, as a new version (history is never rewritten).
    ///
    /// # Errors
    /// As [`Drafts::version`] and [`Drafts::save`].
    pub fn restore(&mut self, id: &str, number: u64) -> Result<Draft, DraftError> {
        let old = self.version(id, number)?;
        let (draft, _) = self.heads.get(id).ok_or_else(|| DraftError::NotFound(id.to_owned()))?;
        let draft = draft.clone();
        self.write_version(draft, &old.title, &old.body, now_millis())
    }

    /// Drafts whose title or body contains `query` (case-insensitive), most recent first.
    #[must_use]
    pub fn search(&self, query: &str) -> Vec<SearchHit> {
        let needle = query.trim().to_lowercase();
        if needle.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<(&Draft, SearchHit)> = self
            .heads
            .values()
            .filter_map(|(d, folded)| {
                let folded = folded.get_or_init(|| fold(&d.title, &d.body));
                let at = folded.find(&needle)?;
                Some((
                    d,
                    SearchHit { id: d.id.clone(), title: d.title.clone(), snippet: snippet(folded, at, needle.len()) },
                ))
            })
            .collect();
        hits.sort_by_key(|(d, _)| std::cmp::Reverse(d.saved_at));
        hits.into_iter().map(|(_, h)| h).collect()
    }

    fn write_version(&mut self, mut draft: Draft, title: &str, body: &str, now: i64) -> Result<Draft, DraftError> {
        if title.chars().count() > MAX_TITLE {
            return Err(DraftError::TooLarge(format!("the title is longer than {MAX_TITLE} characters")));
        }
        if body.len() > MAX_BODY {
            return Err(DraftError::TooLarge(format!("the text is larger than {} MiB", MAX_BODY / (1024 * 1024))));
        }
        draft.version += 1;
        draft.title = title.to_owned();
        draft.body = body.to_owned();
        draft.saved_at = now;
        let version = StoredVersion { title: draft.title.clone(), body: draft.body.clone(), saved_at: now };
        let version_json = encode(&version)?;
        let head_json = encode(&draft)?;
        let version_id = version_id(&draft.id, draft.version);
        // Checked inside the unit of work, not against what this handle remembers: a version
        // number someone else wrote meanwhile is a conflict, never an overwrite.
        self.vault.transaction(|tx| {
            let head_revision = tx.revision(HEADS, &draft.id)?;
            tx.put_expecting(VERSIONS, &version_id, SCHEMA, 0, &version_json)?;
            tx.put_expecting(HEADS, &draft.id, SCHEMA, head_revision, &head_json)
        })?;
        self.heads.insert(draft.id.clone(), (draft.clone(), OnceCell::new()));
        Ok(draft)
    }

    fn read_version(&self, id: &str, number: u64) -> Result<StoredVersion, DraftError> {
        let record = self
            .vault
            .get(VERSIONS, &version_id(id, number))?
            .ok_or_else(|| DraftError::NoSuchVersion(id.to_owned(), number))?;
        serde_json::from_slice(&record.plaintext).map_err(|e| DraftError::Decode(id.to_owned(), e.to_string()))
    }
}

fn version_id(id: &str, number: u64) -> String {
    format!("{id}.{number:010}")
}

fn encode<T: Serialize>(value: &T) -> Result<zeroize::Zeroizing<Vec<u8>>, DraftError> {
    serde_json::to_vec(value).map(zeroize::Zeroizing::new).map_err(|e| DraftError::Decode(String::new(), e.to_string()))
}

/// Title and body, lowercased, as one searchable string.
fn fold(title: &str, body: &str) -> String {
    let mut s = title.to_lowercase();
    s.push('\n');
    s.push_str(&body.to_lowercase());
    s
}

/// About 40 characters either side of a match, on character boundaries.
fn snippet(text: &str, at: usize, len: usize) -> String {
    const CONTEXT: usize = 40;
    let start = text[..at].char_indices().rev().nth(CONTEXT - 1).map_or(0, |(i, _)| i);
    let end = text[at + len..].char_indices().nth(CONTEXT).map_or(text.len(), |(i, _)| at + len + i);
    let mut s: String = text[start..end].replace('\n', " ");
    if start > 0 {
        s.insert(0, '…');
    }
    if end < text.len() {
        s.push('…');
    }
    s
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
