//! Prints an iCalendar document of sample deadlines and hearings, so an independent parser
//! (`cargo xtask test` uses Python's `icalendar`) can check what we write.

use courtside_casework::calendar::{CalendarEntry, When, to_icalendar};
use time::macros::{date, datetime};

fn main() {
    let entries = vec![
        CalendarEntry {
            uid: "deadline-appeal-1@courtside".into(),
            summary: "上诉期届满 · Appeal deadline; 张三诉李四买卖合同纠纷, (2025)示0101民初1号".into(),
            description: Some(
                "判决书送达于 2025-03-05。\nServed on 2025-03-05; 15 days (Civil Procedure Law Art. 171).".into(),
            ),
            case: "(2025)示0101民初1号".into(),
            when: When::Day(date!(2025 - 03 - 20)),
            reminders: vec![24 * 60, 60],
        },
        CalendarEntry {
            uid: "hearing-1@courtside".into(),
            summary: "开庭审理 · Hearing — 本院在线庭审室".into(),
            description: None,
            case: "(2025)示0101民初2号".into(),
            when: When::Span { start: datetime!(2025-04-01 09:30 +08:00), end: datetime!(2025-04-01 11:00 +08:00) },
            reminders: vec![24 * 60, 60, 10],
        },
    ];
    print!("{}", to_icalendar(&entries, datetime!(2025-03-06 08:00 UTC)));
}
