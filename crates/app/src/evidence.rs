//! Evidence in the app: the locker of the open vault.

use courtside_evidence::custody::{Entry, Event};
use courtside_evidence::{Capture, EvidenceError, Exhibit, Locker, Verification};

use crate::ipc::ExhibitDetail;
use crate::{App, AppError};

impl From<EvidenceError> for AppError {
    fn from(e: EvidenceError) -> Self {
        match e {
            EvidenceError::Vault(v) => Self::Vault(v),
            EvidenceError::Decode(..) => Self::Internal(e.to_string()),
            other => Self::InvalidInput(other.to_string()),
        }
    }
}

impl App {
    fn with_locker<T>(&self, f: impl FnOnce(&Locker) -> Result<T, AppError>) -> Result<T, AppError> {
        self.with_open(|o| {
            if o.locker.is_none() {
                o.locker = Some(Locker::open(o.drafts.vault())?);
            }
            match &o.locker {
                Some(locker) => f(locker),
                None => Err(AppError::Internal("the evidence locker did not open".into())),
            }
        })
    }

    /// Every exhibit, by number.
    ///
    /// # Errors
    /// [`AppError::Locked`], the vault's error.
    pub fn list_exhibits(&self) -> Result<Vec<Exhibit>, AppError> {
        self.with_locker(|l| Ok(l.exhibits()?))
    }

    /// Captures bytes the user gave the window (picked, dropped, photographed, recorded).
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] for an empty file or overlong text.
    pub fn add_exhibit(
        &self,
        name: &str,
        title: Option<&str>,
        proves: &str,
        source: &str,
        bytes: &[u8],
    ) -> Result<Exhibit, AppError> {
        if bytes.is_empty() {
            return Err(AppError::InvalidInput(format!("{name} is empty")));
        }
        let capture = Capture {
            title: title.filter(|t| !t.trim().is_empty()).map(str::to_owned),
            proves: proves.trim().to_owned(),
            source: Some(source.to_owned()),
        };
        self.with_locker(|l| Ok(l.capture(name, &mut &bytes[..], &capture)?))
    }

    /// Captures a file from the file system (the CLI, the watched folder).
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] when it cannot be read.
    pub fn add_exhibit_file(&self, path: &std::path::Path, capture: &Capture) -> Result<Exhibit, AppError> {
        self.with_locker(|l| Ok(l.capture_file(path, capture)?))
    }

    /// An exhibit with its custody timeline and a fresh verification (viewing is logged).
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] for an unknown exhibit.
    pub fn exhibit_detail(&self, id: &str) -> Result<ExhibitDetail, AppError> {
        self.with_locker(|l| {
            l.log_event(id, Event::Viewed)?;
            let exhibit = l.exhibit(id)?;
            let custody: Vec<Entry> = l.custody(Some(id))?;
            let verification: Verification = l.verify(Some(id))?;
            Ok(ExhibitDetail { exhibit, custody, verification })
        })
    }

    /// Changes an exhibit's title and what it proves.
    ///
    /// # Errors
    /// [`AppError::InvalidInput`].
    pub fn describe_exhibit(&self, id: &str, title: &str, proves: &str) -> Result<Exhibit, AppError> {
        self.with_locker(|l| Ok(l.describe(id, title, proves)?))
    }

    /// Checks every exhibit and the whole custody log.
    ///
    /// # Errors
    /// [`AppError::Locked`].
    pub fn verify_evidence(&self) -> Result<Verification, AppError> {
        self.with_locker(|l| Ok(l.verify(None)?))
    }

    /// Exports exhibits (all when `ids` is empty) as a BagIt bag in the exports folder;
    /// returns its path.
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] when it cannot be written.
    pub fn export_evidence_bag(&self, ids: &[String]) -> Result<String, AppError> {
        let dir = self.exports_dir();
        self.with_locker(|l| Ok(l.export_bagit(ids, &dir)?.display().to_string()))
    }
}
