//! Served documents (电子送达): sealed and acknowledged by the sync engine when the change
//! feed announces them; here they are listed, tied to their case (a case the user filed, or
//! a new one for a defendant who learns of the case by service), and the periods their
//! service starts are put on the case, counted from the receipt time the court recorded.

use courtside_casework::cases::{CaseDeadline, CaseFields};
use courtside_casework::deadlines::{WorkingCalendar, deadline};
use courtside_court_api::filing::{FilingStatus, ServedDocument};
use courtside_sync::feed;
use courtside_sync::outbox;
use time::macros::{format_description, offset};

use crate::ipc::ServedView;
use crate::{App, AppError};

/// The statutory period a kind of served document starts, if any.
#[must_use]
pub fn period_started_by(document_kind: &str) -> Option<&'static str> {
    match document_kind {
        "complaint" => Some("answer"),
        "judgment" => Some("appeal-judgment"),
        "ruling" => Some("appeal-ruling"),
        "payment-order" => Some("payment-order-objection"),
        "fee-notice" => Some("fee-payment"),
        _ => None,
    }
}

impl App {
    /// Joins the court's news to the cases (served documents and the periods they start,
    /// docketed filings, fee deadlines, exhibits the court received), when news arrived since the last time: called before
    /// cases, the calendar or reminders are shown, it costs nothing otherwise.
    ///
    /// # Errors
    /// [`AppError::Locked`], the vault's error (the news is then absorbed next time).
    pub fn absorb_court_news(&self) -> Result<(), AppError> {
        use std::sync::atomic::Ordering;
        if !self.news_to_absorb.swap(false, Ordering::SeqCst) {
            return Ok(());
        }
        let result =
            self.absorb_served().and_then(|()| self.absorb_fees()).and_then(|()| self.log_submitted_exhibits());
        if result.is_err() {
            self.news_to_absorb.store(true, Ordering::SeqCst);
        }
        result
    }

    /// Ties served documents to cases and puts the periods they start on them (once each).
    ///
    /// # Errors
    /// [`AppError::Locked`], the vault's error.
    fn absorb_served(&self) -> Result<(), AppError> {
        let vault = self.with_open(|o| Ok(o.drafts.vault()))?;
        let served = feed::served(&vault)?;
        let items = outbox::items(&vault)?;
        let policy = self.cached_policy(&vault)?.map(|c| c.policy);
        self.with_open(|o| {
            // Cases the court docketed learn their court id from the filing.
            for case in o.cases.list()? {
                let docketed =
                    case.filing_item.as_deref().and_then(|id| items.iter().find(|i| i.id == id)).and_then(|i| match &i
                        .court_status
                    {
                        Some(FilingStatus::Docketed { case_id, .. }) => Some(case_id.clone()),
                        _ => None,
                    });
                if let Some(court_case) = docketed
                    && case.court_case.as_deref() != Some(court_case.as_str())
                {
                    o.cases.set_court_case(&case.id, &court_case)?;
                }
            }
            // Read once and kept up to date here: a vault with years of service is not read
            // again for every served document.
            let mut cases = o.cases.list()?;
            for copy in &served {
                let doc = &copy.document;
                let case = match cases.iter().position(|c| c.court_case.as_deref() == Some(doc.case_id.as_str())) {
                    Some(at) => at,
                    None => {
                        // Known only by service (the user is a defendant): a case to follow it.
                        let created = o.cases.create(CaseFields {
                            court_id: policy.as_ref().map(|p| p.court.id.clone()).unwrap_or_default(),
                            case_type: String::new(),
                            cause_of_action: String::new(),
                            title: format!("{} · {}", doc.title, doc.case_id),
                            amount_fen: None,
                            simple_procedure: false,
                            parties: Vec::new(),
                            claims: Vec::new(),
                            facts: String::new(),
                            notes: String::new(),
                        })?;
                        cases.push(o.cases.set_court_case(&created.id, &doc.case_id)?);
                        cases.len() - 1
                    }
                };
                let source = format!("service:{}", doc.id);
                if cases[case].deadlines.iter().any(|d| d.source.as_deref() == Some(source.as_str())) {
                    continue;
                }
                let (Some(policy), Some(received), Some(code)) =
                    (policy.as_ref(), doc.received_at, period_started_by(&doc.document_kind))
                else {
                    continue;
                };
                let Some(period) = policy.statutory_periods.iter().find(|p| p.code == code) else { continue };
                // Periods count in the court's calendar days (China Standard Time).
                let start = received.to_offset(offset!(+8)).date();
                let Ok(d) = deadline(start, period, &WorkingCalendar::new(&policy.calendar)) else { continue };
                let show = |d: time::Date| d.format(format_description!("[year]-[month]-[day]")).unwrap_or_default();
                cases[case] = o.cases.add_deadline(
                    &cases[case].id.clone(),
                    CaseDeadline {
                        id: String::new(),
                        period: period.code.clone(),
                        name_zh: period.name.zh_cn.clone(),
                        name_en: period.name.en.clone(),
                        from: show(start),
                        last_day: show(d.last_day),
                        moved: !d.moved_over.is_empty(),
                        calendar_known: d.calendar_known,
                        note: doc.title.clone(),
                        source: Some(source),
                    },
                )?;
            }
            Ok(())
        })
    }

    /// Every served document, newest first, with its local case.
    ///
    /// # Errors
    /// [`AppError::Locked`], the vault's error.
    pub fn served_documents(&self) -> Result<Vec<ServedView>, AppError> {
        self.absorb_court_news()?;
        let vault = self.with_open(|o| Ok(o.drafts.vault()))?;
        let cases = self.with_open(|o| Ok(o.cases.list()?))?;
        let mut out: Vec<ServedView> = feed::served(&vault)?
            .into_iter()
            .map(|copy| {
                let ServedDocument {
                    id,
                    case_id,
                    title,
                    document_kind,
                    media_type,
                    bytes,
                    sha256,
                    sent_at,
                    received_at,
                } = copy.document;
                let rfc = |t: time::OffsetDateTime| {
                    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
                };
                let local = cases.iter().find(|c| c.court_case.as_deref() == Some(case_id.as_str()));
                let source = format!("service:{id}");
                let deadline =
                    local.and_then(|c| c.deadlines.iter().find(|d| d.source.as_deref() == Some(source.as_str())));
                ServedView {
                    local_case: local.map(|c| c.id.clone()),
                    case_title: local.map(|c| c.fields.title.clone()),
                    deadline: deadline.map(|d| crate::ipc::ServedDeadline {
                        name_zh: d.name_zh.clone(),
                        name_en: d.name_en.clone(),
                        last_day: d.last_day.clone(),
                    }),
                    period: period_started_by(&document_kind).map(str::to_owned),
                    id,
                    court_case: case_id,
                    title,
                    document_kind,
                    media_type,
                    bytes,
                    sha256,
                    sent_at: rfc(sent_at),
                    received_at: received_at.map(rfc),
                }
            })
            .collect();
        out.sort_by(|a, b| b.sent_at.cmp(&a.sent_at));
        Ok(out)
    }

    /// A served document's bytes, for showing it in the window (images, text, PDF), up to
    /// 64 MiB.
    ///
    /// # Errors
    /// [`AppError::NotFound`]; [`AppError::InvalidInput`] when too large to show.
    pub fn served_content(&self, id: &str) -> Result<Vec<u8>, AppError> {
        let vault = self.with_open(|o| Ok(o.drafts.vault()))?;
        let copy = served_copy(&vault, id)?;
        // The sealed file's own size, not the one the court declared.
        let size = vault.blob_size(&copy.blob_id)?;
        if size > SHOWN_AT_MOST {
            return Err(AppError::InvalidInput(format!(
                "{} is too large to show here ({} MB): save a copy to open it",
                copy.document.title,
                size / 1_000_000
            )));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        vault.read_blob(&copy.blob_id, &mut bytes)?;
        Ok(bytes)
    }

    /// Saves a copy of a served document in the exports folder (Downloads), named by its
    /// title; returns its path. The copy is the user's, outside the vault.
    ///
    /// # Errors
    /// [`AppError::NotFound`]; [`AppError::InvalidInput`] when it cannot be written.
    pub fn save_served_copy(&self, id: &str) -> Result<String, AppError> {
        let vault = self.with_open(|o| Ok(o.drafts.vault()))?;
        let copy = served_copy(&vault, id)?;
        let extension = match copy.document.media_type.as_str() {
            "application/pdf" => "pdf",
            "image/png" => "png",
            "image/jpeg" => "jpg",
            "text/plain" => "txt",
            _ => "bin",
        };
        let stem = file_stem(&copy.document.title);
        let dir = self.exports_dir();
        std::fs::create_dir_all(&dir).map_err(|e| AppError::InvalidInput(format!("{}: {e}", dir.display())))?;
        // A new file, never one that is there (nor through a link planted in its place).
        let (path, mut file) = (1..=999)
            .find_map(|n| {
                let name = if n == 1 { format!("{stem}.{extension}") } else { format!("{stem} ({n}).{extension}") };
                let path = dir.join(name);
                std::fs::OpenOptions::new().write(true).create_new(true).open(&path).ok().map(|f| (path, f))
            })
            .ok_or_else(|| AppError::InvalidInput(format!("no new file can be made in {}", dir.display())))?;
        vault.read_blob(&copy.blob_id, &mut file)?;
        file.sync_all().map_err(|e| AppError::InvalidInput(format!("{}: {e}", path.display())))?;
        Ok(path.display().to_string())
    }
}

/// A file name from a court's title: only the characters every system takes in a name
/// (no separators, `:*?"<>|`, control characters, trailing dots or spaces, or a Windows
/// device name), at most 100 characters.
fn file_stem(title: &str) -> String {
    let cleaned: String =
        title.chars().map(|c| if c.is_control() || r#"/\:*?"<>|"#.contains(c) { '_' } else { c }).take(100).collect();
    let cleaned = cleaned.trim().trim_end_matches(['.', ' ']).to_owned();
    let device = ["CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "LPT1", "LPT2", "LPT3"];
    if cleaned.is_empty() || cleaned.starts_with('.') || device.contains(&cleaned.to_ascii_uppercase().as_str()) {
        return format!("served-document{}", if cleaned.is_empty() { String::new() } else { format!(" {cleaned}") })
            .trim_end()
            .to_owned();
    }
    cleaned
}

/// Served documents larger than this are saved, not shown.
const SHOWN_AT_MOST: u64 = 64 << 20;

fn served_copy(vault: &courtside_vault::Vault, id: &str) -> Result<feed::ServedCopy, AppError> {
    feed::served(vault)?
        .into_iter()
        .find(|c| c.document.id == id)
        .ok_or_else(|| AppError::NotFound(format!("no served document {id}")))
}

#[cfg(test)]
mod tests {
    use super::file_stem;

    #[test]
    fn a_courts_title_makes_a_file_name_every_system_takes() {
        assert_eq!(file_stem("起诉状副本及应诉通知书"), "起诉状副本及应诉通知书");
        assert_eq!(file_stem("Notice: hearing"), "Notice_ hearing");
        assert_eq!(file_stem("../../etc/passwd"), "served-document .._.._etc_passwd");
        assert_eq!(file_stem("CON"), "served-document CON");
        assert_eq!(file_stem("   "), "served-document");
        assert_eq!(file_stem("a\u{0}b?."), "a_b_");
    }
}
