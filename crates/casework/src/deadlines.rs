//! Deadlines from statutory periods and the court's holiday calendar.
//!
//! Civil Procedure Law (2023) Art. 85 and SPC Interpretation Art. 125: the day of the
//! triggering event is not counted; a period that ends on a rest day or holiday ends on the
//! first working day after it. Civil Code Arts. 200–203: a month or year period ends on the
//! corresponding day, or on the month's last day when there is none. Make-up working days
//! (调休) are working days.

use std::collections::HashSet;

use courtside_court_api::policy::{CalendarYear, PeriodUnit, StatutoryPeriod};
use serde::Serialize;
use time::{Date, Duration, Month, Weekday};

/// Which days are working days, from a court's calendar.
#[derive(Debug, Clone, Default)]
pub struct WorkingCalendar {
    rest: HashSet<Date>,
    working_weekends: HashSet<Date>,
    years: HashSet<i32>,
}

impl WorkingCalendar {
    /// The calendar of a court's policy.
    #[must_use]
    pub fn new(years: &[CalendarYear]) -> Self {
        let mut cal = Self::default();
        for y in years {
            cal.years.insert(y.year);
            for h in &y.holidays {
                let mut d = h.first;
                while d <= h.last {
                    cal.rest.insert(d);
                    let Some(next) = d.next_day() else { break };
                    d = next;
                }
            }
            cal.working_weekends.extend(y.make_up_working_days.iter().copied());
        }
        cal
    }

    /// Whether `day` is a working day.
    #[must_use]
    pub fn is_working_day(&self, day: Date) -> bool {
        if self.working_weekends.contains(&day) {
            return true;
        }
        !self.rest.contains(&day) && !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday)
    }

    /// Whether the calendar knows the official rest days of `day`'s year.
    #[must_use]
    pub fn covers(&self, day: Date) -> bool {
        self.years.contains(&day.year())
    }
}

/// A computed deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deadline {
    /// The period's code.
    pub period: String,
    /// The day of the triggering event (not counted).
    pub start: Date,
    /// Where the period ends by counting alone.
    pub nominal_end: Date,
    /// The last day to act: `nominal_end`, or the first working day after it.
    pub last_day: Date,
    /// Rest days and holidays the end was moved over.
    pub moved_over: Vec<Date>,
    /// False when the calendar lacks a year the computation touched: the last day assumes
    /// weekends only and must be checked against the official notice.
    pub calendar_known: bool,
    /// Legal basis of the period.
    pub basis: String,
}

/// Why a deadline cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeadlineError {
    /// The dates leave the calendar's range.
    #[error("the period runs past the dates this calendar can represent")]
    OutOfRange,
}

/// `date` plus `months`, on the corresponding day or the month's last day (Civil Code Art. 203).
fn add_months(date: Date, months: u32) -> Result<Date, DeadlineError> {
    let total = i64::from(date.year()) * 12 + i64::from(u8::from(date.month()) - 1) + i64::from(months);
    let year = i32::try_from(total.div_euclid(12)).map_err(|_| DeadlineError::OutOfRange)?;
    let month = Month::try_from(u8::try_from(total.rem_euclid(12) + 1).map_err(|_| DeadlineError::OutOfRange)?)
        .map_err(|_| DeadlineError::OutOfRange)?;
    let last = time::util::days_in_month(month, year);
    Date::from_calendar_date(year, month, date.day().min(last)).map_err(|_| DeadlineError::OutOfRange)
}

/// The last day of `period` started by an event on `start`.
///
/// # Errors
/// [`DeadlineError::OutOfRange`] for dates the calendar cannot hold.
pub fn deadline(start: Date, period: &StatutoryPeriod, calendar: &WorkingCalendar) -> Result<Deadline, DeadlineError> {
    let nominal_end = match period.unit {
        // The start day is not counted: 15 days from 5 March end on 20 March.
        PeriodUnit::Days => {
            start.checked_add(Duration::days(i64::from(period.length))).ok_or(DeadlineError::OutOfRange)?
        }
        PeriodUnit::Months => add_months(start, period.length)?,
        PeriodUnit::Years => add_months(start, period.length.saturating_mul(12))?,
    };
    let mut last_day = nominal_end;
    let mut moved_over = Vec::new();
    let mut calendar_known = calendar.covers(nominal_end);
    while !calendar.is_working_day(last_day) {
        moved_over.push(last_day);
        last_day = last_day.next_day().ok_or(DeadlineError::OutOfRange)?;
        calendar_known &= calendar.covers(last_day);
    }
    Ok(Deadline {
        period: period.code.clone(),
        start,
        nominal_end,
        last_day,
        moved_over,
        calendar_known,
        basis: period.basis.clone(),
    })
}
