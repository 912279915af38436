//! Deadlines on cases, the calendar across cases (with clash warnings), its iCalendar
//! export, and reminders of deadlines as desktop notifications.

use courtside_casework::calendar::{CalendarEntry, When, clashes, to_icalendar};
use courtside_casework::cases::{Case, CaseDeadline};
use courtside_casework::deadlines::{WorkingCalendar, deadline};
use courtside_court_api::policy::iso_date::{self, format as show_day};
use time::Date;

use crate::ipc::{CalendarItem, CalendarView, CaseView};
use crate::{App, AppError};

/// Vault table of reminders already given (so each is given once).
const REMINDERS: &str = "reminders_sent";
/// Days before a deadline's last day when the user is reminded (and on the day itself).
pub const REMIND_DAYS_BEFORE: [i64; 3] = [3, 1, 0];

fn parse_day(text: &str) -> Result<Date, AppError> {
    iso_date::parse(text).map_err(|e| AppError::InvalidInput(format!("{text:?} is not a date (YYYY-MM-DD): {e}")))
}

impl App {
    /// Computes a deadline from the court's statutory period (`period`) counted from `from`
    /// (not counted), and puts it on the case.
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] for an unknown period or a bad date; no cached policy.
    pub fn add_case_deadline(&self, case_id: &str, period: &str, from: &str, note: &str) -> Result<CaseView, AppError> {
        let vault = self.with_open(|o| Ok(o.drafts.vault()))?;
        let policy = self
            .cached_policy(&vault)?
            .ok_or_else(|| {
                AppError::InvalidInput("the court's rules are not on this computer yet: connect once".into())
            })?
            .policy;
        let p = policy
            .statutory_periods
            .iter()
            .find(|p| p.code == period)
            .ok_or_else(|| AppError::InvalidInput(format!("the court's rules have no period {period:?}")))?;
        let start = parse_day(from)?;
        let d = deadline(start, p, &WorkingCalendar::new(&policy.calendar))
            .map_err(|e| AppError::InvalidInput(e.to_string()))?;
        let entry = CaseDeadline {
            id: String::new(),
            period: p.code.clone(),
            name_zh: p.name.zh_cn.clone(),
            name_en: p.name.en.clone(),
            from: show_day(start),
            last_day: show_day(d.last_day),
            moved: !d.moved_over.is_empty(),
            calendar_known: d.calendar_known,
            note: note.trim().to_owned(),
            source: None,
        };
        let case = self.with_open(|o| Ok(o.cases.add_deadline(case_id, entry)?))?;
        self.case_view(&vault, case)
    }

    /// Removes a deadline from a case.
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] when there is no such deadline.
    pub fn remove_case_deadline(&self, case_id: &str, deadline_id: &str) -> Result<CaseView, AppError> {
        let (vault, case) =
            self.with_open(|o| Ok((o.drafts.vault(), o.cases.remove_deadline(case_id, deadline_id)?)))?;
        self.case_view(&vault, case)
    }

    /// Every deadline of every case, soonest first, each with the other cases' entries it
    /// clashes with.
    ///
    /// # Errors
    /// [`AppError::Locked`].
    pub fn calendar(&self) -> Result<CalendarView, AppError> {
        self.absorb_court_news()?;
        let (vault, cases) = self.with_open(|o| Ok((o.drafts.vault(), o.cases.list()?)))?;
        let (mut entries, mut items) = calendar_entries(&cases);
        // The court's hearings, on their day in China time.
        for h in courtside_sync::feed::hearings(&vault)? {
            let local = cases.iter().find(|c| c.court_case.as_deref() == Some(h.case_id.as_str()));
            entries.push(hearing_entry(&h));
            items.push(CalendarItem {
                case_id: local.map(|c| c.id.clone()),
                case_title: local.map(|c| c.fields.title.clone()),
                kind: crate::ipc::CalendarKind::Hearing,
                day: show_day(h.starts_at.to_offset(time::macros::offset!(+8)).date()),
                at: h.starts_at.format(&time::format_description::well_known::Rfc3339).ok(),
                name_zh: h.title.clone(),
                name_en: h.title.clone(),
                note: String::new(),
                clashes_with: Vec::new(),
            });
        }
        for (i, j) in clashes(&entries) {
            let name = |k: usize| items[k].case_title.clone().unwrap_or_else(|| items[k].name_zh.clone());
            let (a, b) = (name(i), name(j));
            items[i].clashes_with.push(b);
            items[j].clashes_with.push(a);
        }
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_by(|&a, &b| (&items[a].day, &items[a].at).cmp(&(&items[b].day, &items[b].at)));
        Ok(CalendarView { items: order.into_iter().map(|i| items[i].clone()).collect() })
    }

    /// The calendar as an iCalendar file (with reminders three days and one day before)
    /// written to the user's Downloads folder; returns its path.
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] when the file cannot be written.
    pub fn export_calendar(&self) -> Result<String, AppError> {
        let text = self.calendar_text()?;
        let dir = self.exports_dir();
        std::fs::create_dir_all(&dir).map_err(|e| AppError::InvalidInput(format!("{}: {e}", dir.display())))?;
        let path = dir.join("courtside-deadlines.ics");
        std::fs::write(&path, text).map_err(|e| AppError::InvalidInput(format!("{}: {e}", path.display())))?;
        Ok(path.display().to_string())
    }

    /// Gives every reminder that is due on `today` and was not given yet (three days before a
    /// deadline, one day before, and on the day), through the court-news sink; returns them.
    ///
    /// # Errors
    /// [`AppError::Locked`], the vault's error.
    pub fn send_due_reminders(&self, today: Date) -> Result<Vec<String>, AppError> {
        self.absorb_court_news()?;
        let (vault, cases) = self.with_open(|o| Ok((o.drafts.vault(), o.cases.list()?)))?;
        let news = self.news.lock().ok().and_then(|n| n.clone());
        let mut sent = Vec::new();
        let superseded = superseded(&cases);
        for case in cases.iter().filter(|c| !superseded.contains(c.id.as_str())) {
            for d in &case.deadlines {
                let Ok(last) = parse_day(&d.last_day) else { continue };
                let left = (last - today).whole_days();
                if !REMIND_DAYS_BEFORE.contains(&left) {
                    continue;
                }
                let key = format!("{}-{left}", d.id);
                if vault.get(REMINDERS, &key)?.is_some() {
                    continue;
                }
                let text = if left == 0 {
                    format!("今天截止 · due today: {} ({}) — {}", d.name_zh, d.name_en, case.fields.title)
                } else {
                    format!(
                        "{left} 天后截止 · due in {left} days ({}): {} ({}) — {}",
                        d.last_day, d.name_zh, d.name_en, case.fields.title
                    )
                };
                if let Some(tell) = &news {
                    tell(crate::ipc::NewsKind::Deadline, &text);
                }
                vault.put(REMINDERS, &key, 1, b"sent")?;
                sent.push(text);
            }
        }
        Ok(sent)
    }

    /// Gives due reminders (deadlines, hearings) now and then every minute while the vault
    /// is open.
    pub async fn remind_while_open(&self) {
        loop {
            // Periods run by the court's calendar day: China Standard Time (UTC+8).
            let today = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8)).date();
            if let Err(AppError::Locked) = self.send_due_reminders(today) {
                // Nothing to remind of while locked; look again later.
            }
            let _ = self.send_hearing_reminders(time::OffsetDateTime::now_utc());
            // Hearing reminders come ten minutes before: look every minute.
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        }
    }
}

impl App {
    /// Where exports go: the configured folder, else the user's Downloads folder.
    /// The calendar as iCalendar text.
    pub(crate) fn calendar_text(&self) -> Result<String, AppError> {
        let (vault, cases) = self.with_open(|o| Ok((o.drafts.vault(), o.cases.list()?)))?;
        let (mut entries, _) = calendar_entries(&cases);
        entries.extend(courtside_sync::feed::hearings(&vault)?.iter().map(hearing_entry));
        Ok(to_icalendar(&entries, time::OffsetDateTime::now_utc()))
    }

    pub(crate) fn exports_dir(&self) -> std::path::PathBuf {
        self.config.exports_dir.clone().unwrap_or_else(|| {
            directories::UserDirs::new()
                .and_then(|u| u.download_dir().map(std::path::Path::to_owned))
                .unwrap_or_else(|| self.config.data_dir.join("exports"))
        })
    }
}

/// The cases whose deadlines moved to a copy made to correct their filing ("Fix and file
/// again" copies them): their deadlines are shown, reminded and exported once, on the copy.
pub(crate) fn superseded(cases: &[Case]) -> std::collections::HashSet<&str> {
    cases.iter().filter_map(|c| c.correcting.as_ref().map(|k| k.original.as_str())).collect()
}

/// Calendar entries (for clashes and iCalendar) and their lines for the UI, in the same order.
fn calendar_entries(cases: &[Case]) -> (Vec<CalendarEntry>, Vec<CalendarItem>) {
    let mut entries = Vec::new();
    let mut items = Vec::new();
    let superseded = superseded(cases);
    for case in cases.iter().filter(|c| !superseded.contains(c.id.as_str())) {
        for d in &case.deadlines {
            let Ok(day) = parse_day(&d.last_day) else { continue };
            entries.push(CalendarEntry {
                uid: format!("deadline-{}@courtside", d.id),
                summary: format!("{}届满 · {} — {}", d.name_zh, d.name_en, case.fields.title),
                description: (!d.note.is_empty()).then(|| d.note.clone()),
                case: case.id.clone(),
                when: When::Day(day),
                reminders: vec![3 * 24 * 60, 24 * 60],
            });
            items.push(CalendarItem {
                case_id: Some(case.id.clone()),
                case_title: Some(case.fields.title.clone()),
                kind: crate::ipc::CalendarKind::Deadline,
                day: d.last_day.clone(),
                at: None,
                name_zh: d.name_zh.clone(),
                name_en: d.name_en.clone(),
                note: d.note.clone(),
                clashes_with: Vec::new(),
            });
        }
    }
    (entries, items)
}

/// A hearing as a calendar entry (for clashes and iCalendar), with its reminders.
fn hearing_entry(h: &courtside_court_api::hearing::Hearing) -> CalendarEntry {
    CalendarEntry {
        uid: format!("hearing-{}@courtside", h.id),
        summary: h.title.clone(),
        description: None,
        case: h.case_id.clone(),
        when: When::Span {
            start: h.starts_at,
            end: h.starts_at + time::Duration::minutes(i64::from(h.duration_minutes)),
        },
        reminders: HEARING_REMINDERS.iter().map(|m| u32::try_from(*m).unwrap_or(u32::MAX)).collect(),
    }
}

/// Minutes before a hearing when the user is reminded: a day, an hour, ten minutes.
pub const HEARING_REMINDERS: [i64; 3] = [24 * 60, 60, 10];

impl App {
    /// Every hearing the court announced, soonest first, with its case and clashes.
    ///
    /// # Errors
    /// [`AppError::Locked`].
    pub fn hearings(&self) -> Result<Vec<crate::ipc::HearingView>, AppError> {
        self.absorb_court_news()?;
        let (vault, cases) = self.with_open(|o| Ok((o.drafts.vault(), o.cases.list()?)))?;
        let hearings = courtside_sync::feed::hearings(&vault)?;
        let actions = courtside_sync::actions::actions(&vault)?;
        let rfc =
            |t: time::OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        let entries: Vec<CalendarEntry> = hearings.iter().map(hearing_entry).collect();
        let mut views: Vec<crate::ipc::HearingView> = hearings
            .iter()
            .map(|h| {
                let local = cases.iter().find(|c| c.court_case.as_deref() == Some(h.case_id.as_str()));
                crate::ipc::HearingView {
                    id: h.id.clone(),
                    title: h.title.clone(),
                    court_case: h.case_id.clone(),
                    local_case: local.map(|c| c.id.clone()),
                    case_title: local.map(|c| c.fields.title.clone()),
                    starts_at: h.starts_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
                    starts_at_ms: i64::try_from(h.starts_at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX),
                    duration_minutes: h.duration_minutes,
                    platform: h.platform.clone(),
                    clashes_with: Vec::new(),
                    questions: h
                        .questions
                        .iter()
                        .map(|q| crate::ipc::QuestionView {
                            id: q.id.clone(),
                            text: q.text.clone(),
                            opens_at: rfc(q.opens_at),
                            closes_at: rfc(q.closes_at),
                            answers: crate::court_actions::answers(&actions, &h.id, &q.id),
                        })
                        .collect(),
                }
            })
            .collect();
        for (i, j) in clashes(&entries) {
            let (a, b) = (views[i].title.clone(), views[j].title.clone());
            views[i].clashes_with.push(b);
            views[j].clashes_with.push(a);
        }
        Ok(views)
    }

    /// Gives every hearing reminder due at `now` (a day, an hour and ten minutes before; each
    /// once, and only while it is still ahead), through the court-news sink; returns them.
    ///
    /// # Errors
    /// [`AppError::Locked`], the vault's error.
    pub fn send_hearing_reminders(&self, now: time::OffsetDateTime) -> Result<Vec<String>, AppError> {
        let vault = self.with_open(|o| Ok(o.drafts.vault()))?;
        let news = self.news.lock().ok().and_then(|n| n.clone());
        let mut sent = Vec::new();
        for h in courtside_sync::feed::hearings(&vault)? {
            let left = (h.starts_at - now).whole_minutes();
            // The smallest reminder window the time left falls in.
            let Some(&window) = HEARING_REMINDERS.iter().rev().find(|&&m| left >= 0 && left <= m) else { continue };
            let key = format!("hearing-{}-{window}", h.id);
            if vault.get(REMINDERS, &key)?.is_some() {
                continue;
            }
            let at = h.starts_at.to_offset(time::macros::offset!(+8));
            let text = format!(
                "{} {:02}:{:02} 开庭 · hearing at {:02}:{:02} (China time), in {left} min: {}",
                show_day(at.date()),
                at.hour(),
                at.minute(),
                at.hour(),
                at.minute(),
                h.title
            );
            if let Some(tell) = &news {
                tell(crate::ipc::NewsKind::HearingReminder, &text);
            }
            vault.put(REMINDERS, &key, 1, b"sent")?;
            sent.push(text);
        }
        Ok(sent)
    }
}
