//! "Take all my data out": one BagIt bag (RFC 8493) with everything the vault holds, in open
//! formats, and "erase my data" on this computer (Online Operation Rules Arts. 34–35: the
//! user's own information, in minimum scope; users of any encrypted store expect both).
//!
//! ```text
//! <bag>/data/courtside-export.json      cases, drafts (every version), exhibits, served documents,
//!                                      hearings, fee notices, court accounts (never their tokens);
//!                                      schema: docs/schemas/courtside-export-1.schema.json
//! <bag>/data/cases/<case>/<n>-<file>    each case's documents
//! <bag>/data/drafts/<draft>/v<n>.txt    each version of each draft
//! <bag>/data/evidence/…                 the evidence bundle: originals, custody log, key, time-stamps
//! <bag>/data/served/<n>-<title>         what the court served
//! <bag>/data/calendar.ics               deadlines as iCalendar
//! ```

use std::path::{Path, PathBuf};

use courtside_evidence::bagit::{BagWriter, safe_name};
use courtside_evidence::custody::Event;
use serde::Serialize;

use crate::AppError;

/// The export's format name, in `courtside-export.json`.
pub const EXPORT_FORMAT: &str = "courtside-export/1";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Export {
    format: &'static str,
    exported_at: String,
    app_version: &'static str,
    cases: Vec<ExportedCase>,
    drafts: Vec<ExportedDraft>,
    exhibits: Vec<courtside_evidence::Exhibit>,
    /// Where the evidence bundle is, inside `data/`.
    evidence: &'static str,
    served_documents: Vec<ExportedServed>,
    hearings: Vec<crate::ipc::HearingView>,
    fee_notices: Vec<crate::ipc::FeeNoticeView>,
    court_accounts: Vec<ExportedAccount>,
    calendar: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExportedCase {
    case: courtside_casework::cases::Case,
    /// Each document's file, inside `data/`, in the order of `case.documents`.
    document_files: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExportedDraft {
    id: String,
    title: String,
    case_id: Option<String>,
    versions: Vec<ExportedVersion>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExportedVersion {
    number: u64,
    title: String,
    saved_at: i64,
    /// The body, inside `data/`.
    file: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExportedServed {
    #[serde(flatten)]
    document: crate::ipc::ServedView,
    /// The content, inside `data/`.
    file: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExportedAccount {
    court: String,
    username: String,
    name: String,
}

fn bag_error(e: courtside_evidence::EvidenceError) -> AppError {
    AppError::from(e)
}

impl crate::App {
    /// Exports everything into a new bag in the exports folder (Downloads); returns its path.
    ///
    /// # Errors
    /// [`AppError::Locked`]; file errors (a full disk: the partial bag is removed).
    pub fn export_everything(&self) -> Result<String, AppError> {
        let dir = self.exports_dir();
        Ok(self.export_everything_to(&dir)?.display().to_string())
    }

    /// Exports everything into a new bag under `out_dir`; returns the bag.
    ///
    /// # Errors
    /// As [`Self::export_everything`].
    pub fn export_everything_to(&self, out_dir: &Path) -> Result<PathBuf, AppError> {
        let now = time::OffsetDateTime::now_utc();
        let stamp = now
            .format(time::macros::format_description!("[year][month][day]-[hour][minute][second]"))
            .unwrap_or_default();
        let root = out_dir.join(format!("courtside-export-{stamp}"));
        std::fs::create_dir_all(out_dir).map_err(|e| AppError::InvalidInput(format!("{}: {e}", out_dir.display())))?;
        std::fs::create_dir(&root).map_err(|e| AppError::InvalidInput(format!("{}: {e}", root.display())))?;
        let written = self.write_export(&root, now);
        if written.is_err() {
            let _ = std::fs::remove_dir_all(&root);
        }
        let exhibits = written?;
        self.with_locker(|l| {
            for id in &exhibits {
                l.log_event(
                    id,
                    Event::Exported { format: courtside_evidence::custody::ExportFormat::CourtsideExport },
                )?;
            }
            Ok(())
        })?;
        Ok(root)
    }

    fn write_export(&self, root: &Path, now: time::OffsetDateTime) -> Result<Vec<String>, AppError> {
        let (vault, cases) = self.with_open(|o| Ok((o.drafts.vault(), o.cases.list()?)))?;
        let mut w = BagWriter::new(root);

        let mut exported_cases = Vec::new();
        for case in cases {
            let mut files = Vec::new();
            for (n, d) in case.documents.iter().enumerate() {
                let file = format!("cases/{}/{:02}-{}", safe_name(&case.id), n + 1, safe_name(&d.file_name));
                w.stream(&format!("data/{file}"), |sink| {
                    vault.read_blob(&d.blob_id, sink).map(|_| ()).map_err(courtside_evidence::EvidenceError::from)
                })
                .map_err(bag_error)?;
                files.push(file);
            }
            exported_cases.push(ExportedCase { case, document_files: files });
        }

        let mut drafts = Vec::new();
        for d in self.list_drafts()? {
            let mut versions = Vec::new();
            for v in self.draft_history(&d.id)? {
                let body = self.get_draft(&d.id, Some(v.number))?.body;
                let file = format!("drafts/{}/v{:04}.txt", safe_name(&d.id), v.number);
                w.write(&format!("data/{file}"), body.as_bytes()).map_err(bag_error)?;
                versions.push(ExportedVersion { number: v.number, title: v.title, saved_at: v.saved_at, file });
            }
            let case_id = self.get_draft(&d.id, None)?.case_id;
            drafts.push(ExportedDraft { id: d.id, title: d.title, case_id, versions });
        }

        let exhibits = self.list_exhibits()?;
        self.with_locker(|l| Ok(l.write_evidence(&mut w, "data/evidence/", &exhibits)?))?;

        let copies = courtside_sync::feed::served(&vault)?;
        let mut served = Vec::new();
        for (n, document) in self.served_documents()?.into_iter().enumerate() {
            let Some(copy) = copies.iter().find(|c| c.document.id == document.id) else { continue };
            let file = format!("served/{:03}-{}", n + 1, safe_name(&document.title));
            w.stream(&format!("data/{file}"), |sink| {
                vault.read_blob(&copy.blob_id, sink).map(|_| ()).map_err(courtside_evidence::EvidenceError::from)
            })
            .map_err(bag_error)?;
            served.push(ExportedServed { document, file });
        }

        let accounts = self
            .court_accounts()?
            .into_iter()
            .map(|a| ExportedAccount { court: a.court, username: a.username, name: a.name })
            .collect();
        w.write("data/calendar.ics", self.calendar_text()?.as_bytes()).map_err(bag_error)?;
        let export = Export {
            format: EXPORT_FORMAT,
            exported_at: now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            app_version: env!("CARGO_PKG_VERSION"),
            cases: exported_cases,
            drafts,
            exhibits: exhibits.clone(),
            evidence: "evidence/",
            served_documents: served,
            hearings: self.hearings()?,
            fee_notices: self.fee_notices()?,
            court_accounts: accounts,
            calendar: "calendar.ics",
        };
        let json = serde_json::to_vec_pretty(&export).map_err(|e| AppError::Internal(e.to_string()))?;
        w.write("data/courtside-export.json", &json).map_err(bag_error)?;
        w.finish("Everything a Courtside vault held, exported by its user in open formats.", now).map_err(bag_error)?;
        Ok(exhibits.into_iter().map(|e| e.id).collect())
    }

    /// Erases this computer's Courtside data: the vault (every record, blob and key file),
    /// the device-unlock key in the OS keychain, the demo court's local data and the app's
    /// own state files (and exports kept in the data directory when there is no Downloads
    /// folder). The vault must be open (only its owner erases it) and `confirm` must
    /// be `ERASE`. Backups and exports elsewhere are the user's and stay.
    ///
    /// # Errors
    /// [`AppError::Locked`]; [`AppError::InvalidInput`] without the confirmation; file errors
    /// (what could not be removed is named).
    pub fn erase_everything(&self, confirm: &str) -> Result<(), AppError> {
        if confirm != "ERASE" {
            return Err(AppError::InvalidInput("type ERASE to confirm".to_owned()));
        }
        let vault = self.with_open(|o| Ok(o.drafts.vault()))?;
        if courtside_vault::Vault::device_unlock_enabled(vault.dir()).unwrap_or(false) {
            vault.set_device_unlock(false)?;
        }
        drop(vault);
        self.lock_vault()?;
        let data = &self.config.data_dir;
        let mut left = Vec::new();
        for path in [self.config.vault_dir(), self.config.demo_court_dir()] {
            if path.exists() && std::fs::remove_dir_all(&path).is_err() {
                left.push(path.display().to_string());
            }
        }
        // What an interrupted restore left (a whole vault copy) and exports kept in the data
        // directory when there is no Downloads folder.
        if let Ok(entries) = std::fs::read_dir(data) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if (name.starts_with(".vault.restoring-") || name == "exports")
                    && std::fs::remove_dir_all(e.path()).is_err()
                {
                    left.push(e.path().display().to_string());
                }
            }
        }
        let guard = data.join(crate::unlock_guard::UNLOCK_FAILURES);
        if guard.exists() && std::fs::remove_file(&guard).is_err() {
            left.push(guard.display().to_string());
        }
        if left.is_empty() {
            Ok(())
        } else {
            Err(AppError::InvalidInput(format!("could not remove {}", left.join(", "))))
        }
    }
}
