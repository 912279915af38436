//! Case preparation. For now: drafts (complaints, statements, notes) with autosave, full
//! version history, restore, and full-text search, all stored sealed in the vault.

mod drafts;

pub use drafts::{Draft, DraftError, DraftSummary, Drafts, SearchHit, VersionSummary};
