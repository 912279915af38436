//! When to try again: exponential backoff with full jitter ("Exponential Backoff And
//! Jitter", AWS Architecture Blog, 2015), and a server's `Retry-After` (RFC 9110 §10.2.3)
//! taking precedence within a cap.

use std::time::Duration;

use ring::rand::{SecureRandom, SystemRandom};

/// How retries are spaced and when to give up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Ceiling of the first wait.
    pub base: Duration,
    /// Largest wait, also the cap on a server's `Retry-After`.
    pub cap: Duration,
    /// Failed attempts in a row (without progress) before giving up.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { base: Duration::from_millis(250), cap: Duration::from_secs(60), max_attempts: 10 }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` after `attempt` failures (1-based): a random
    /// duration in `[0, min(cap, base · 2^(attempt-1))]`, or the server's `Retry-After`
    /// (capped) when it gave one.
    #[must_use]
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.cap);
        }
        let exp = self.base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        let ceiling = exp.min(self.cap);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(random_u64() % millis.saturating_add(1))
    }
}

/// `Retry-After` as seconds (the HTTP-date form is not used by courts we know; it is
/// ignored rather than misread).
#[must_use]
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    (!v.is_empty() && v.len() <= 10 && v.bytes().all(|b| b.is_ascii_digit()))
        .then(|| v.parse().ok().map(Duration::from_secs))
        .flatten()
}

fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    // Jitter needs no secrecy; if the OS source fails, no jitter is still a valid wait.
    let _ = SystemRandom::new().fill(&mut bytes);
    u64::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn waits_stay_within_the_exponential_ceiling(attempt in 1u32..64) {
            let p = RetryPolicy::default();
            let ceiling = p.base.saturating_mul(1u32 << (attempt - 1).min(20)).min(p.cap);
            prop_assert!(p.delay(attempt, None) <= ceiling);
        }

        #[test]
        fn retry_after_parsing_never_panics(text in ".{0,30}") {
            let _ = parse_retry_after(&text);
        }
    }

    #[test]
    fn retry_after_wins_but_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(1, Some(Duration::from_secs(3))), Duration::from_secs(3));
        assert_eq!(p.delay(1, Some(Duration::from_secs(3600))), p.cap);
        assert_eq!(parse_retry_after(" 120 "), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }
}
