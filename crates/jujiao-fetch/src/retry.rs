//! Retry decisions: which answers are worth another try and how long to wait.
//!
//! Pure functions of the [`RetryPolicy`], the status and the clock, so the
//! schedule is tested without sleeping. Waits use exponential backoff with full
//! jitter (a uniform draw in `[0, min(max, base * 2^(n-1))]`), unless the server
//! said when to come back with `Retry-After`, which wins (clamped).

use std::time::{Duration, SystemTime};

use rand::Rng;

use crate::config::RetryPolicy;

/// Statuses that a later attempt may fix: 408, 429 and every 5xx.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500..=599)
}

impl RetryPolicy {
    /// Upper bound of the wait before retry number `retry` (1 = first retry).
    pub fn backoff_ceiling(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(30);
        self.backoff_base
            .saturating_mul(1_u32 << exponent)
            .min(self.backoff_max)
    }

    /// The jittered wait before retry number `retry`: uniform in `[0, ceiling]`.
    pub fn backoff<R: Rng + ?Sized>(&self, retry: u32, rng: &mut R) -> Duration {
        let ceiling = self.backoff_ceiling(retry);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rng.random_range(0..=nanos))
    }

    /// The wait before retry number `retry`: the server's `Retry-After` (clamped to
    /// `max_retry_after`) when given, else the jittered backoff.
    pub fn wait<R: Rng + ?Sized>(
        &self,
        retry: u32,
        retry_after: Option<Duration>,
        rng: &mut R,
    ) -> Duration {
        match retry_after {
            Some(asked) => asked.min(self.max_retry_after),
            None => self.backoff(retry, rng),
        }
    }
}

/// Parse a `Retry-After` value (RFC 9110 §10.2.3): delay-seconds or an HTTP date,
/// measured from `now`. A date in the past means "now" (zero). Garbage is `None`.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use rand::{SeedableRng, rngs::StdRng};

    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(10),
        }
    }

    #[test]
    fn ceiling_doubles_then_caps() {
        let p = policy();
        let ceilings: Vec<u128> = (1..=5).map(|n| p.backoff_ceiling(n).as_millis()).collect();
        assert_eq!(ceilings, vec![100, 200, 400, 500, 500]);
        assert_eq!(p.backoff_ceiling(u32::MAX), Duration::from_millis(500));
    }

    #[test]
    fn jitter_stays_within_the_ceiling_and_spreads() {
        let p = policy();
        let mut rng = StdRng::seed_from_u64(7);
        let waits: Vec<Duration> = (0..200).map(|_| p.backoff(3, &mut rng)).collect();
        assert!(waits.iter().all(|w| *w <= Duration::from_millis(400)));
        assert!(waits.iter().any(|w| *w < Duration::from_millis(100)));
        assert!(waits.iter().any(|w| *w > Duration::from_millis(300)));
    }

    #[test]
    fn retry_after_wins_and_is_clamped() {
        let p = policy();
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(
            p.wait(1, Some(Duration::from_secs(2)), &mut rng),
            Duration::from_secs(2)
        );
        assert_eq!(
            p.wait(1, Some(Duration::from_secs(3600)), &mut rng),
            Duration::from_secs(10)
        );
        assert!(p.wait(1, None, &mut rng) <= Duration::from_millis(100));
    }

    #[test]
    fn retry_after_parses_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        // 2015-10-21 07:28:00 GMT is `now`; 07:29:30 is 90 s later.
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:29:30 GMT", now),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    #[test]
    fn retryable_statuses() {
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(status), "{status}");
        }
        for status in [200, 304, 400, 401, 403, 404, 410] {
            assert!(!is_retryable_status(status), "{status}");
        }
    }
}
