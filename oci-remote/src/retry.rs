//! When a failed request is sent again, and after how long: connection
//! resets and timeouts, `408`, `429` and `5xx` answers, with capped
//! exponential backoff and jitter, honouring `Retry-After` (RFC 9110
//! section 10.2.3: seconds or an HTTP date; distribution-spec spec.md,
//! "Error Codes": a 429 SHOULD carry it), bounded in count and in time.

use std::io;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How often and how long failed requests are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: never retry).
    pub max_retries: u32,
    /// The wait before the first retry; each next one doubles it.
    pub initial_backoff: Duration,
    /// The longest wait between two attempts; a registry asking for a
    /// longer `Retry-After` gets its error reported at once.
    pub max_backoff: Duration,
    /// The longest time spent waiting across the retries of one request;
    /// a `Retry-After` beyond what is left ends the retries.
    pub max_total: Duration,
}

impl Default for RetryPolicy {
    /// 5 retries, from 200 ms doubling up to 10 s between two, 60 s of
    /// waiting in all: enough for a registry restarting or shedding load,
    /// short enough that a dead one is reported within a minute.
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_retries: 5,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            max_total: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (0 for the first): the capped
    /// exponential backoff with "equal jitter" (half fixed, half random,
    /// so that clients failing together spread out), or the registry's
    /// `Retry-After` when it gave one; `None` when that is longer than
    /// [`RetryPolicy::max_backoff`] (the request fails then).
    pub(crate) fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if let Some(after) = retry_after {
            return (after <= self.max_backoff).then_some(after);
        }
        let exponential = self
            .initial_backoff
            .saturating_mul(1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX))
            .min(self.max_backoff);
        let half = exponential / 2;
        let millis = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        Some(half + Duration::from_millis(fastrand::u64(0..=millis)))
    }
}

/// Whether an answer with `status` is worth sending again: 408 Request
/// Timeout, 429 Too Many Requests, and the 5xx errors but 501 Not
/// Implemented and 505 HTTP Version Not Supported, which will not change.
pub(crate) fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429) || ((500..600).contains(&status) && !matches!(status, 501 | 505))
}

/// Whether a failure to send or to read is worth another attempt: the
/// connection was reset, closed early or timed out.
pub(crate) fn retryable_io(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof
            | io::ErrorKind::TimedOut
            | io::ErrorKind::Interrupted
    )
}

/// `Retry-After`: a number of seconds, or an HTTP date (IMF-fixdate,
/// `Sun, 06 Nov 1994 08:49:37 GMT`) turned into the time from `now`
/// (zero when it is past). `None` when the value is neither.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = parse_http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// An IMF-fixdate (RFC 9110 section 5.6.7), the only form a sender may
/// generate.
fn parse_http_date(text: &str) -> Option<SystemTime> {
    // "Sun, 06 Nov 1994 08:49:37 GMT"
    let (_weekday, rest) = text.split_once(", ")?;
    let parts: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let day: u64 = number(day, 2)?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| m == month)? as u64
        + 1;
    let year: u64 = number(year, 4)?;
    let hms: Vec<&str> = time.split(':').collect();
    let [h, m, s] = hms.as_slice() else {
        return None;
    };
    let (h, m, s): (u64, u64, u64) = (number(h, 2)?, number(m, 2)?, number(s, 2)?);
    if !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 || year < 1970 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(UNIX_EPOCH + Duration::from_secs(days * 86_400 + h * 3600 + m * 60 + s))
}

fn number(text: &str, digits: usize) -> Option<u64> {
    (text.len() == digits && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar
/// (Howard Hinnant's algorithm), for years from 1970.
pub(crate) fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year / 400;
    let year_of_era = year - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    (era * 146_097 + day_of_era).saturating_sub(719_468)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // 1994-11-06 08:49:37
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(UNIX_EPOCH)
        );
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2028 12:00:00 GMT"),
            Some(UNIX_EPOCH + Duration::from_secs(1_835_438_400))
        );
        for bad in [
            "",
            "soon",
            "-1",
            "1.5",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let policy = RetryPolicy::default();
        for retry in 0..40 {
            let exponential = (policy.initial_backoff * 2u32.saturating_pow(retry.min(20)))
                .min(policy.max_backoff);
            let delay = policy.delay(retry, None).unwrap();
            assert!(
                delay >= exponential / 2 && delay <= exponential,
                "{retry}: {delay:?}"
            );
        }
        assert_eq!(
            policy.delay(0, Some(Duration::from_secs(3))),
            Some(Duration::from_secs(3))
        );
        assert_eq!(policy.delay(0, Some(Duration::from_secs(3600))), None);
    }

    #[test]
    fn what_is_retried() {
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(retryable_status(status), "{status}");
        }
        for status in [200, 201, 400, 401, 403, 404, 416, 501, 505] {
            assert!(!retryable_status(status), "{status}");
        }
        assert!(retryable_io(&io::Error::from(
            io::ErrorKind::ConnectionReset
        )));
        assert!(!retryable_io(&io::Error::from(
            io::ErrorKind::ConnectionRefused
        )));
    }
}
