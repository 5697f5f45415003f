//! Writing a time as an RFC 3339 `date-time` in UTC, as config.md wants for
//! `created` (config and history entries), without a calendar dependency.

use crate::{Error, Result};

/// The last second RFC 3339 can write (its years have four digits):
/// 9999-12-31T23:59:59Z.
const LAST_SECOND: u64 = 253_402_300_799;

/// `seconds` since 1970-01-01T00:00:00Z as `YYYY-MM-DDTHH:MM:SSZ`: the form
/// for a `created` time taken from `SOURCE_DATE_EPOCH` or the clock.
///
/// ```
/// assert_eq!(ocikit_convert::format_rfc3339(0)?, "1970-01-01T00:00:00Z");
/// assert_eq!(ocikit_convert::format_rfc3339(1_700_000_000)?, "2023-11-14T22:13:20Z");
/// # Ok::<(), ocikit_convert::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::TimeOutOfRange`] after 9999-12-31T23:59:59Z.
pub fn format_rfc3339(seconds: u64) -> Result<String> {
    if seconds > LAST_SECOND {
        return Err(Error::TimeOutOfRange { seconds });
    }
    let (mut days, second_of_day) = (seconds / 86_400, seconds % 86_400);
    let mut year = 1970;
    while days >= days_in_year(year) {
        days -= days_in_year(year);
        year += 1;
    }
    let mut month = 1;
    while days >= days_in_month(year, month) {
        days -= days_in_month(year, month);
        month += 1;
    }
    Ok(format!(
        "{year:04}-{month:02}-{:02}T{:02}:{:02}:{:02}Z",
        days + 1,
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    ))
}

fn is_leap(year: u64) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_year(year: u64) -> u64 {
    if is_leap(year) { 366 } else { 365 }
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values from GNU `date -u -d @N +%Y-%m-%dT%H:%M:%SZ`.
    #[test]
    fn agrees_with_gnu_date() {
        for (seconds, expected) in [
            (0, "1970-01-01T00:00:00Z"),
            (68_169_600, "1972-02-29T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (951_868_799, "2000-02-29T23:59:59Z"),
            (1_700_000_000, "2023-11-14T22:13:20Z"),
            (4_107_542_400, "2100-03-01T00:00:00Z"),
            (LAST_SECOND, "9999-12-31T23:59:59Z"),
        ] {
            let written = format_rfc3339(seconds).ok();
            assert_eq!(written.as_deref(), Some(expected), "{seconds}");
            assert_eq!(ocikit_image::time::check_rfc3339(expected), Ok(()));
        }
    }

    #[test]
    fn refuses_years_after_9999() {
        assert!(matches!(
            format_rfc3339(LAST_SECOND + 1),
            Err(Error::TimeOutOfRange { seconds }) if seconds == LAST_SECOND + 1
        ));
    }
}
