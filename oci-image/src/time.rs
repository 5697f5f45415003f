//! RFC 3339 section 5.6 timestamps (`date-time`), as config.md and
//! annotations.md require for `created`. Timestamps stay strings in the
//! models so that documents keep their bytes; this module checks them, and
//! writes new ones from a count of seconds, without a calendar dependency.
//! It is the toolkit's one place for RFC 3339.

/// The last second RFC 3339 can write (its years have four digits):
/// 9999-12-31T23:59:59Z, as seconds since 1970-01-01T00:00:00Z.
pub const LAST_SECOND: u64 = 253_402_300_799;

/// Checks that `s` is an RFC 3339 `date-time`: `YYYY-MM-DDTHH:MM:SS`, an
/// optional fraction, then `Z` or `±HH:MM`. `T`/`Z` may be lowercase (RFC 3339
/// section 5.6 note); the date must exist (leap years included); a leap
/// second (`:60`) is accepted.
///
/// ```
/// use ocikit_image::time::check_rfc3339;
/// assert!(check_rfc3339("2015-10-31T22:22:56.015925234Z").is_ok());
/// assert!(check_rfc3339("2024-02-30T00:00:00Z").is_err());
/// ```
pub fn check_rfc3339(s: &str) -> Result<(), String> {
    let b = s.as_bytes();
    let bad = |what: &str| Err(format!("{s:?} is not an RFC 3339 date-time: {what}"));
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(range)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(
            part.iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')),
        )
    };
    if b.len() < 20 {
        return bad("too short for YYYY-MM-DDTHH:MM:SSZ");
    }
    let (Some(year), Some(month), Some(day)) = (digits(0..4), digits(5..7), digits(8..10)) else {
        return bad("the date must be YYYY-MM-DD");
    };
    if b[4] != b'-' || b[7] != b'-' {
        return bad("the date must be YYYY-MM-DD");
    }
    if !matches!(b[10], b'T' | b't') {
        return bad("the date and time must be separated by 'T'");
    }
    let (Some(hour), Some(minute), Some(second)) = (digits(11..13), digits(14..16), digits(17..19))
    else {
        return bad("the time must be HH:MM:SS");
    };
    if b[13] != b':' || b[16] != b':' {
        return bad("the time must be HH:MM:SS");
    }
    if !(1..=12).contains(&month) {
        return bad("the month must be 01 to 12");
    }
    if day == 0 || u64::from(day) > days_in_month(u64::from(year), u64::from(month)) {
        return bad("the day does not exist in that month");
    }
    if hour > 23 || minute > 59 || second > 60 {
        return bad("the time of day is out of range");
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return bad("a '.' must be followed by digits");
        }
    }
    match &b[i..] {
        [b'Z' | b'z'] => Ok(()),
        [sign @ (b'+' | b'-'), ..] if b.len() - i == 6 => {
            let _ = sign;
            match (digits(i + 1..i + 3), b[i + 3], digits(i + 4..i + 6)) {
                (Some(h), b':', Some(m)) if h <= 23 && m <= 59 => Ok(()),
                _ => bad("the offset must be Z or ±HH:MM"),
            }
        }
        _ => bad("the offset must be Z or ±HH:MM"),
    }
}

/// `seconds` since 1970-01-01T00:00:00Z as `YYYY-MM-DDTHH:MM:SSZ`, the form
/// for a `created` time taken from `SOURCE_DATE_EPOCH` or the clock; `None`
/// after [`LAST_SECOND`], which four-digit years cannot write.
///
/// ```
/// use ocikit_image::time::{check_rfc3339, format_rfc3339};
/// assert_eq!(format_rfc3339(0).as_deref(), Some("1970-01-01T00:00:00Z"));
/// assert_eq!(format_rfc3339(1_700_000_000).as_deref(), Some("2023-11-14T22:13:20Z"));
/// assert!(check_rfc3339(&format_rfc3339(951_782_400).unwrap()).is_ok());
/// ```
pub fn format_rfc3339(seconds: u64) -> Option<String> {
    if seconds > LAST_SECOND {
        return None;
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
    Some(format!(
        "{year:04}-{month:02}-{:02}T{:02}:{:02}:{:02}Z",
        days + 1,
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    ))
}

fn is_leap_year(year: u64) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_year(year: u64) -> u64 {
    if is_leap_year(year) { 366 } else { 365 }
}

/// Days in `month` (1 to 12) of `year`, in the proleptic Gregorian calendar.
fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Checks an optional `created` field at the checker's current path.
pub(crate) fn check_created(c: &mut crate::validate::Checker, created: Option<&str>) {
    if let Some(created) = created
        && let Err(e) = check_rfc3339(created)
    {
        c.field("created", |c| c.error(crate::Rule::Timestamp, e));
    }
}

#[cfg(test)]
mod tests {
    use super::{LAST_SECOND, check_rfc3339, format_rfc3339};

    /// Expected values from GNU `date -u -d @N +%Y-%m-%dT%H:%M:%SZ`.
    #[test]
    fn formats_as_gnu_date_does() {
        for (seconds, expected) in [
            (0, "1970-01-01T00:00:00Z"),
            (68_169_600, "1972-02-29T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (951_868_799, "2000-02-29T23:59:59Z"),
            (1_700_000_000, "2023-11-14T22:13:20Z"),
            (4_107_542_400, "2100-03-01T00:00:00Z"),
            (LAST_SECOND, "9999-12-31T23:59:59Z"),
        ] {
            assert_eq!(
                format_rfc3339(seconds).as_deref(),
                Some(expected),
                "{seconds}"
            );
            assert_eq!(check_rfc3339(expected), Ok(()));
        }
        assert_eq!(format_rfc3339(LAST_SECOND + 1), None);
    }

    #[test]
    fn accepts_rfc3339_date_times() {
        for ok in [
            "2015-10-31T22:22:56.015925234Z",
            "2015-10-31T22:22:56Z",
            "2024-02-29T00:00:00+01:00",
            "1990-12-31t23:59:60-08:00",
            "2000-01-01T00:00:00.1z",
        ] {
            assert_eq!(check_rfc3339(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn refuses_everything_else() {
        for (bad, why) in [
            ("2015-10-31 22:22:56Z", "separated by 'T'"),
            ("2015-10-31T22:22:56", "too short"),
            ("2023-02-29T00:00:00Z", "does not exist"),
            ("2015-13-01T00:00:00Z", "month"),
            ("2015-10-31T24:00:00Z", "out of range"),
            ("2015-10-31T22:22:56.Z", "followed by digits"),
            ("2015-10-31T22:22:56+0100", "offset"),
            ("2015-10-31T22:22:56+01:00x", "offset"),
            ("15-10-31T22:22:56Z", "YYYY-MM-DD"),
            ("2015/10/31T22:22:56Z", "YYYY-MM-DD"),
            ("", "too short"),
        ] {
            let err = check_rfc3339(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
