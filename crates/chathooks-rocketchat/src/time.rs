//! ISO 8601 timestamps, Rocket.Chat's wire format for dates
//! (`2024-01-10T14:12:07.739Z`).
//!
//! The store keeps milliseconds since the Unix epoch. The conversion is done
//! here by hand (civil-date arithmetic) rather than with a date crate: only the
//! generated types depend on chrono, and two small functions do not justify a
//! direct dependency.

const MS_PER_DAY: i64 = 86_400_000;

/// `ms` since the epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC, millisecond precision),
/// the shape JavaScript's `Date.toISOString` produces.
pub(crate) fn iso(ms: i64) -> String {
    let days = ms.div_euclid(MS_PER_DAY);
    let in_day = ms.rem_euclid(MS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let (hours, minutes) = (in_day / 3_600_000, in_day / 60_000 % 60);
    let (seconds, millis) = (in_day / 1000 % 60, in_day % 1000);
    format!("{year:04}-{month:02}-{day:02}T{hours:02}:{minutes:02}:{seconds:02}.{millis:03}Z")
}

/// Parse an ISO 8601 date-time (`YYYY-MM-DDTHH:MM[:SS[.fff]](Z|±HH:MM)`, `T` or a
/// space between date and time) or a bare date (`YYYY-MM-DD`, midnight UTC) into
/// milliseconds since the epoch. `None` for anything else.
pub(crate) fn parse_iso(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, rest) = match text.find(['T', 't', ' ']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let days = parse_date(date)?;
    let Some(rest) = rest else {
        return days.checked_mul(MS_PER_DAY);
    };
    let (time, offset_ms) = split_offset(rest)?;
    let time_ms = parse_time(time)?;
    days.checked_mul(MS_PER_DAY)?
        .checked_add(time_ms)?
        .checked_sub(offset_ms)
}

fn number(text: &str, digits: usize) -> Option<i64> {
    (text.len() == digits && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

fn parse_date(date: &str) -> Option<i64> {
    let mut parts = date.split('-');
    let year = number(parts.next()?, 4)?;
    let month = number(parts.next()?, 2)?;
    let day = number(parts.next()?, 2)?;
    if parts.next().is_some() || !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

/// Split `HH:MM:SS.fffZ` / `...+02:00` into the time and the offset in ms.
fn split_offset(rest: &str) -> Option<(&str, i64)> {
    if let Some(time) = rest.strip_suffix(['Z', 'z']) {
        return Some((time, 0));
    }
    let at = rest.rfind(['+', '-'])?;
    let (time, offset) = (&rest[..at], &rest[at..]);
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let digits = offset[1..].replace(':', "");
    let hours = number(digits.get(..2)?, 2)?;
    let minutes = number(digits.get(2..)?, 2)?;
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some((time, sign * (hours * 60 + minutes) * 60_000))
}

fn parse_time(time: &str) -> Option<i64> {
    let (clock, fraction) = match time.split_once('.') {
        Some((clock, fraction)) => (clock, Some(fraction)),
        None => (time, None),
    };
    let mut parts = clock.split(':');
    let hours = number(parts.next()?, 2)?;
    let minutes = number(parts.next()?, 2)?;
    let seconds = match parts.next() {
        Some(seconds) => number(seconds, 2)?,
        None if fraction.is_none() => 0,
        None => return None,
    };
    if parts.next().is_some() || hours > 23 || minutes > 59 || seconds > 60 {
        return None;
    }
    let millis = match fraction {
        Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
            // Milliseconds: the first three digits, right-padded.
            let first: String = f.chars().chain("00".chars()).take(3).collect();
            first.parse::<i64>().ok()?
        }
        Some(_) => return None,
        None => 0,
    };
    Some(((hours * 60 + minutes) * 60 + seconds) * 1000 + millis)
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_index = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_javascript() {
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso(1_704_895_927_739), "2024-01-10T14:12:07.739Z");
        assert_eq!(iso(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn parses_what_it_formats() {
        for ms in [
            0,
            1,
            999,
            1_704_895_927_739,
            951_782_400_000,
            4_102_444_800_000,
            -86_400_001,
        ] {
            assert_eq!(parse_iso(&iso(ms)), Some(ms), "{ms}");
        }
    }

    #[test]
    fn parses_common_variants() {
        let base = 1_704_895_927_000;
        assert_eq!(parse_iso("2024-01-10T14:12:07Z"), Some(base));
        assert_eq!(parse_iso("2024-01-10 14:12:07z"), Some(base));
        assert_eq!(parse_iso("2024-01-10T14:12:07.7Z"), Some(base + 700));
        assert_eq!(parse_iso("2024-01-10T14:12:07.739123Z"), Some(base + 739));
        assert_eq!(parse_iso("2024-01-10T16:12:07+02:00"), Some(base));
        assert_eq!(parse_iso("2024-01-10T13:42:07-0030"), Some(base));
        assert_eq!(parse_iso("2024-01-10T14:12Z"), Some(base - 7_000));
        assert_eq!(parse_iso("2024-01-10"), Some(1_704_844_800_000));
    }

    #[test]
    fn refuses_garbage() {
        for text in [
            "",
            "yesterday",
            "2024-13-01",
            "2024-02-30",
            "2023-02-29T00:00:00Z",
            "2024-01-10T25:00:00Z",
            "2024-01-10T14:12:07",
            "2024-01-10T14:12:07.Z",
            "2024-1-10",
            "1704895927739",
        ] {
            assert_eq!(parse_iso(text), None, "{text}");
        }
    }
}
