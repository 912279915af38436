//! What is due and coming, across every case: the home view ("Today") and the count in the
//! sidebar. One list, built here from what the vault holds: the cases' deadlines, the
//! court's hearings, unpaid fee notices, the court's correction requests with their due
//! day, documents served in the last week, and filings that need the user.

use courtside_court_api::filing::FilingStatus;
use courtside_court_api::policy::iso_date::{self, format as show};
use courtside_sync::outbox::{self, ItemState};
use time::{Date, OffsetDateTime, UtcOffset};

use crate::ipc::{AgendaItem, AgendaKind, AgendaView};
use crate::{App, AppError};

/// China time, in which courts set every day (deadlines, due days, hearings).
const COURT_OFFSET: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};
/// Deadlines and due days further ahead than this are left to the calendar.
const AHEAD_DAYS: i64 = 60;
/// Passed deadlines and due days are shown for this long (then they are history).
const OVERDUE_DAYS: i64 = 14;
/// Served documents stay "new" on the home view for this long.
const SERVED_DAYS: i64 = 7;
/// Items this close (days) count in the sidebar, with everything overdue or needing the user.
pub const SOON_DAYS: i64 = 3;

fn day_of(text: &str) -> Option<Date> {
    iso_date::parse(text).ok()
}

fn rfc3339(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

impl App {
    /// What is due and coming, soonest first, as of now.
    ///
    /// # Errors
    /// [`AppError::Locked`], the vault's error.
    pub fn agenda(&self) -> Result<AgendaView, AppError> {
        self.agenda_at(OffsetDateTime::now_utc())
    }

    /// [`App::agenda`] as of `now` (tests choose the day).
    ///
    /// # Errors
    /// [`AppError::Locked`], the vault's error.
    pub fn agenda_at(&self, now: OffsetDateTime) -> Result<AgendaView, AppError> {
        let today = now.to_offset(COURT_OFFSET).date();
        let days_left = |d: Date| (d - today).whole_days();
        let wanted = |d: Date| (-OVERDUE_DAYS..=AHEAD_DAYS).contains(&days_left(d));
        let mut items = Vec::new();

        let (vault, cases) = self.with_open(|o| Ok((o.drafts.vault(), o.cases.list()?)))?;
        let title_of = |id: &str| cases.iter().find(|c| c.id == id).map(|c| c.fields.title.clone());
        let superseded = crate::calendar::superseded(&cases);
        for case in cases.iter().filter(|c| !superseded.contains(c.id.as_str())) {
            // A fee's last day is on its case too; it is shown once, as the fee (to pay it).
            for d in case.deadlines.iter().filter(|d| d.period != crate::fees::FEE_PERIOD) {
                let Some(day) = day_of(&d.last_day).filter(|d| wanted(*d)) else { continue };
                items.push(AgendaItem {
                    kind: AgendaKind::Deadline,
                    day: show(day),
                    at: None,
                    days_left: days_left(day),
                    case_id: Some(case.id.clone()),
                    case_title: Some(case.fields.title.clone()),
                    title: d.name_zh.clone(),
                    title_en: Some(d.name_en.clone()),
                    target: d.id.clone(),
                });
            }
        }
        for item in outbox::items(&vault)? {
            let case = cases.iter().find(|c| c.filing_item.as_deref() == Some(item.id.as_str()));
            let (case_id, case_title) = (case.map(|c| c.id.clone()), case.map(|c| c.fields.title.clone()));
            // Due until its correction is on its way (a copy that corrects it was queued).
            let corrected = case.is_some_and(|original| {
                cases.iter().any(|c| {
                    c.filing_item.is_some() && c.correcting.as_ref().is_some_and(|k| k.original == original.id)
                })
            });
            if let Some(FilingStatus::CorrectionRequested { due, .. }) = &item.court_status
                && wanted(*due)
                && !corrected
            {
                items.push(AgendaItem {
                    kind: AgendaKind::CorrectionDue,
                    day: show(*due),
                    at: None,
                    days_left: days_left(*due),
                    case_id: case_id.clone(),
                    case_title: case_title.clone(),
                    title: item.filing.title.clone(),
                    title_en: None,
                    target: item.id.clone(),
                });
            }
            if matches!(item.state, ItemState::NeedsAttention { .. } | ItemState::Failed { .. }) {
                items.push(AgendaItem {
                    kind: AgendaKind::NeedsAttention,
                    day: show(today),
                    at: None,
                    days_left: 0,
                    case_id,
                    case_title,
                    title: item.filing.title.clone(),
                    title_en: None,
                    target: item.id.clone(),
                });
            }
        }
        for h in self.hearings()? {
            let Some(starts) = rfc3339(&h.starts_at) else { continue };
            let ends = starts + time::Duration::minutes(i64::from(h.duration_minutes));
            let day = starts.to_offset(COURT_OFFSET).date();
            if ends < now || days_left(day) > AHEAD_DAYS {
                continue;
            }
            items.push(AgendaItem {
                kind: AgendaKind::Hearing,
                day: show(day),
                at: Some(h.starts_at.clone()),
                days_left: days_left(day),
                case_title: h.case_title.clone(),
                case_id: h.local_case.clone(),
                title: h.title.clone(),
                title_en: None,
                target: h.id.clone(),
            });
        }
        for fee in self.fee_notices()? {
            let Some(day) = day_of(&fee.due).filter(|d| wanted(*d)) else { continue };
            if fee.paid_at.is_some() {
                continue;
            }
            items.push(AgendaItem {
                kind: AgendaKind::FeeDue,
                day: show(day),
                at: None,
                days_left: days_left(day),
                case_title: fee.local_case.as_deref().and_then(title_of).or(fee.case_title.clone()),
                case_id: fee.local_case.clone(),
                title: fee.reason.clone(),
                title_en: None,
                target: fee.id.clone(),
            });
        }
        for doc in self.served_documents()? {
            let Some(sent) = rfc3339(&doc.sent_at) else { continue };
            let day = sent.to_offset(COURT_OFFSET).date();
            if days_left(day) < -SERVED_DAYS {
                continue;
            }
            items.push(AgendaItem {
                kind: AgendaKind::Served,
                day: show(day),
                at: Some(doc.sent_at.clone()),
                days_left: days_left(day),
                case_title: doc.local_case.as_deref().and_then(title_of),
                case_id: doc.local_case.clone(),
                title: doc.title.clone(),
                title_en: None,
                target: doc.id.clone(),
            });
        }
        items.sort_by(|a, b| (&a.day, &a.at, a.kind as u8).cmp(&(&b.day, &b.at, b.kind as u8)));
        let needs_you = items
            .iter()
            .filter(|i| match i.kind {
                AgendaKind::NeedsAttention => true,
                AgendaKind::Served => i.days_left >= -1,
                _ => i.days_left <= SOON_DAYS,
            })
            .count();
        Ok(AgendaView { today: show(today), items, needs_you: u32::try_from(needs_you).unwrap_or(u32::MAX) })
    }
}
