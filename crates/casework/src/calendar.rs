//! Deadlines and hearings as an iCalendar file (RFC 5545) for the user's own calendar, and
//! clash warnings across cases.
//!
//! Lines end in CRLF and are folded at 75 octets without splitting a UTF-8 character; text
//! is escaped (`\\`, `\;`, `\,`, `\n`); timed entries are in UTC.

use time::{Date, OffsetDateTime, UtcOffset};

/// When an entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    /// A whole day (a deadline: the last day to act).
    Day(Date),
    /// A span of time (a hearing).
    Span {
        /// Start.
        start: OffsetDateTime,
        /// End.
        end: OffsetDateTime,
    },
}

/// One entry of the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEntry {
    /// Stable id (the same entry exported twice updates, not duplicates).
    pub uid: String,
    /// Title, e.g. "上诉期届满 · Appeal deadline — (2026)示0101民初1号".
    pub summary: String,
    /// Details.
    pub description: Option<String>,
    /// Case the entry belongs to.
    pub case: String,
    /// When.
    pub when: When,
    /// Reminders, minutes before the start.
    pub reminders: Vec<u32>,
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends a content line, folded at 75 octets (RFC 5545 §3.1) on character boundaries.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

fn utc(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn day(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The entries as one iCalendar document; `stamp` is the export time (DTSTAMP).
#[must_use]
pub fn to_icalendar(entries: &[CalendarEntry], stamp: OffsetDateTime) -> String {
    let mut out = String::new();
    for l in ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Courtside//Courtside//EN", "CALSCALE:GREGORIAN"] {
        line(&mut out, l);
    }
    for e in entries {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}", escape(&e.uid)));
        line(&mut out, &format!("DTSTAMP:{}", utc(stamp)));
        match &e.when {
            When::Day(d) => {
                line(&mut out, &format!("DTSTART;VALUE=DATE:{}", day(*d)));
                if let Some(next) = d.next_day() {
                    line(&mut out, &format!("DTEND;VALUE=DATE:{}", day(next)));
                }
            }
            When::Span { start, end } => {
                line(&mut out, &format!("DTSTART:{}", utc(*start)));
                line(&mut out, &format!("DTEND:{}", utc(*end)));
            }
        }
        line(&mut out, &format!("SUMMARY:{}", escape(&e.summary)));
        if let Some(d) = &e.description {
            line(&mut out, &format!("DESCRIPTION:{}", escape(d)));
        }
        line(&mut out, &format!("CATEGORIES:{}", escape(&e.case)));
        for minutes in &e.reminders {
            line(&mut out, "BEGIN:VALARM");
            line(&mut out, "ACTION:DISPLAY");
            line(&mut out, &format!("DESCRIPTION:{}", escape(&e.summary)));
            line(&mut out, &format!("TRIGGER:-PT{minutes}M"));
            line(&mut out, "END:VALARM");
        }
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

/// Two entries of different cases that fall on the same day (deadlines) or overlap
/// (hearings): a lawyer cannot be in two hearings at once.
#[must_use]
pub fn clashes(entries: &[CalendarEntry]) -> Vec<(usize, usize)> {
    let span = |w: &When| match w {
        When::Day(d) => (d.midnight().assume_utc(), d.next_day().unwrap_or(*d).midnight().assume_utc()),
        When::Span { start, end } => (*start, *end),
    };
    let mut found = Vec::new();
    for i in 0..entries.len() {
        for j in i + 1..entries.len() {
            let (a, b) = (&entries[i], &entries[j]);
            if a.case == b.case {
                continue;
            }
            let both_hearings = matches!((&a.when, &b.when), (When::Span { .. }, When::Span { .. }));
            let both_days = matches!((&a.when, &b.when), (When::Day(_), When::Day(_)));
            let ((s1, e1), (s2, e2)) = (span(&a.when), span(&b.when));
            if (both_hearings || both_days) && s1 < e2 && s2 < e1 {
                found.push((i, j));
            }
        }
    }
    found
}
