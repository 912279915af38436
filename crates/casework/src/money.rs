//! Money as the courts count it: whole fen (分, 1/100 yuan), never floating point. One
//! parser for every amount a person types (the CLI, the case wizard through the app).

use std::fmt;

/// An amount in fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fen(pub u64);

/// Why a typed amount is not an amount in yuan. Each variant is a code the UI translates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Nothing was typed.
    #[error("no amount was given")]
    Empty,
    /// A character that belongs in no amount (a letter, a second point, a sign).
    #[error("{character:?} does not belong in an amount in yuan (like 150000 or 150,000.50)")]
    NotADigit {
        /// The first such character.
        character: char,
    },
    /// More than two digits after the point (fen are the smallest unit).
    #[error("an amount in yuan has at most two digits after the point")]
    TooManyDecimals,
    /// Thousands separators not every three digits (`1,50,000`).
    #[error("thousands separators go every three digits (150,000)")]
    Grouping,
    /// More than any court handles.
    #[error("the amount is too large")]
    TooLarge,
}

impl Fen {
    /// Parses yuan as people type them: `150000`, `150,000`, `150000.5`, `150,000.50`, in
    /// ASCII or full-width digits (`１５０，０００`), with an optional `¥`/`￥` before or
    /// `元` after, spaces around. Anything else is refused with the reason.
    ///
    /// # Errors
    /// A [`MoneyError`] naming what is wrong.
    pub fn parse_yuan(text: &str) -> Result<Self, MoneyError> {
        let normal: String = text.trim().chars().map(half_width).collect();
        let body = normal.trim();
        let body = body.strip_prefix('¥').unwrap_or(body).trim_start();
        let body = body.strip_suffix('元').unwrap_or(body).trim_end();
        if body.is_empty() {
            return Err(MoneyError::Empty);
        }
        if let Some(character) = body.chars().find(|c| !(c.is_ascii_digit() || *c == ',' || *c == '.')) {
            return Err(MoneyError::NotADigit { character });
        }
        let (whole, fraction) = match body.split_once('.') {
            Some((w, f)) => (w, f),
            None => (body, ""),
        };
        if fraction.contains(['.', ',']) {
            return Err(MoneyError::NotADigit { character: if fraction.contains('.') { '.' } else { ',' } });
        }
        if fraction.len() > 2 {
            return Err(MoneyError::TooManyDecimals);
        }
        if whole.is_empty() {
            return Err(MoneyError::NotADigit { character: '.' });
        }
        if whole.contains(',') {
            let mut groups = whole.split(',');
            let first = groups.next().unwrap_or_default();
            if first.is_empty() || first.len() > 3 || groups.any(|g| g.len() != 3) {
                return Err(MoneyError::Grouping);
            }
        }
        let mut fen: u64 = 0;
        for d in whole.chars().filter(char::is_ascii_digit).chain(format!("{fraction:0<2}").chars()) {
            let digit = u64::from(d.to_digit(10).ok_or(MoneyError::NotADigit { character: d })?);
            fen = fen.checked_mul(10).and_then(|f| f.checked_add(digit)).ok_or(MoneyError::TooLarge)?;
        }
        Ok(Self(fen))
    }

    /// The amount in yuan with the digits it needs (`150000`, `2300.50`).
    #[must_use]
    pub fn yuan(self) -> String {
        if self.0.is_multiple_of(100) {
            format!("{}", self.0 / 100)
        } else {
            format!("{}.{:02}", self.0 / 100, self.0 % 100)
        }
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.yuan())
    }
}

/// Full-width digits, comma and point (as a Chinese input method types them) to ASCII.
fn half_width(c: char) -> char {
    match c {
        '０'..='９' => char::from_digit(u32::from(c) - u32::from('０'), 10).unwrap_or(c),
        '，' => ',',
        '．' => '.',
        '￥' => '¥',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly by design")]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn amounts_as_people_type_them() {
        for (typed, fen) in [
            ("150000", 15_000_000),
            ("150,000", 15_000_000),
            ("150,000.50", 15_000_050),
            ("2300.5", 230_050),
            ("１５０，０００", 15_000_000),
            ("５０，０００．５", 5_000_050),
            ("¥ 1,234.56", 123_456),
            ("￥100元", 10_000),
            ("  7 ", 700),
            ("0.01", 1),
        ] {
            assert_eq!(Fen::parse_yuan(typed), Ok(Fen(fen)), "{typed}");
        }
    }

    #[test]
    fn what_is_not_an_amount_is_refused_with_the_reason() {
        assert_eq!(Fen::parse_yuan("12abc"), Err(MoneyError::NotADigit { character: 'a' }));
        assert_eq!(Fen::parse_yuan(""), Err(MoneyError::Empty));
        assert_eq!(Fen::parse_yuan("元"), Err(MoneyError::Empty));
        assert_eq!(Fen::parse_yuan("-5"), Err(MoneyError::NotADigit { character: '-' }));
        assert_eq!(Fen::parse_yuan("1.234"), Err(MoneyError::TooManyDecimals));
        assert_eq!(Fen::parse_yuan("1,50,000"), Err(MoneyError::Grouping));
        assert_eq!(Fen::parse_yuan(",150"), Err(MoneyError::Grouping));
        assert_eq!(Fen::parse_yuan("1.2.3"), Err(MoneyError::NotADigit { character: '.' }));
        assert_eq!(Fen::parse_yuan(".5"), Err(MoneyError::NotADigit { character: '.' }));
        assert_eq!(Fen::parse_yuan("1e5"), Err(MoneyError::NotADigit { character: 'e' }));
        assert_eq!(Fen::parse_yuan("99999999999999999999"), Err(MoneyError::TooLarge));
    }

    proptest! {
        #[test]
        fn what_is_shown_parses_back(fen in 0u64..=u64::MAX / 1000) {
            prop_assert_eq!(Fen::parse_yuan(&Fen(fen).yuan()), Ok(Fen(fen)));
        }

        #[test]
        fn any_text_parses_or_is_refused_without_panicking(text in ".{0,40}") {
            let _ = Fen::parse_yuan(&text);
        }
    }
}
