//! Case preparation: drafts (complaints, statements, notes) with autosave, full version
//! history, restore and full-text search, all sealed in the vault; litigation fees and
//! deadlines computed from the court's policy, offline.

pub mod calendar;
pub mod cases;
pub mod checklist;
pub mod deadlines;
mod drafts;
pub mod fees;
pub mod money;
pub mod templates;

pub use drafts::{Draft, DraftError, DraftSummary, Drafts, SearchHit, VersionSummary};
