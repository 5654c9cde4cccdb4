//! Dates as the exports write them.
//!
//! CLIXML `<DT>` is ISO 8601 (`2024-11-06T22:47:32.1234567+01:00`, or
//! without an offset for a local `DateTime`). `Export-Csv` writes the
//! exporting machine's culture and local time: `11/6/2024 10:47:32 PM`
//! (en-US) or `06.11.2024 22:47:32` (de-DE). A date without an offset is
//! read as UTC, and the record says so (`assumed_utc`), so the report can
//! warn that expiry may be off by the exporting machine's UTC offset.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// One date read from an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportDate {
    /// The instant, converted to UTC.
    pub at: OffsetDateTime,
    /// The text carried no offset; UTC was assumed.
    pub assumed_utc: bool,
}

/// A date in none of the forms above.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unreadable date {text:?}: expected ISO 8601 (2024-11-06T22:47:32Z), en-US \
     (11/6/2024 10:47:32 PM) or de-DE (06.11.2024 22:47:32)"
)]
pub struct DateError {
    /// The start of the text, control characters shown as escapes.
    pub text: String,
}

/// Parse a date in any of the forms above. The error says which forms are
/// understood.
pub fn parse(text: &str) -> Result<ExportDate, DateError> {
    let t = text.trim();
    let parsed = if t.len() >= 10 && t.as_bytes().get(4) == Some(&b'-') {
        iso(t)
    } else if t.contains('/') {
        us(t)
    } else if t.contains('.') {
        german(t)
    } else {
        None
    };
    parsed.ok_or_else(|| DateError {
        text: crate::text::excerpt(t),
    })
}

fn number(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn date(year: u32, month: u32, day: u32) -> Option<Date> {
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()
}

/// `hh:mm[:ss[.fraction]]`; the fraction is dropped (expiry is judged in days).
fn clock(s: &str) -> Option<Time> {
    let mut parts = s.split(':');
    let h = number(parts.next()?)?;
    let m = number(parts.next()?)?;
    let sec = match parts.next() {
        Some(p) => {
            let whole = p.split('.').next()?;
            let frac = p.split('.').nth(1);
            if frac.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit())) {
                return None;
            }
            number(whole)?
        }
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    Time::from_hms(
        u8::try_from(h).ok()?,
        u8::try_from(m).ok()?,
        u8::try_from(sec).ok()?,
    )
    .ok()
}

fn finish(d: Date, t: Time, offset: Option<UtcOffset>) -> Option<ExportDate> {
    let local = PrimitiveDateTime::new(d, t);
    let out = match offset {
        Some(o) => ExportDate {
            at: local.assume_offset(o).checked_to_offset(UtcOffset::UTC)?,
            assumed_utc: false,
        },
        None => ExportDate {
            at: local.assume_utc(),
            assumed_utc: true,
        },
    };
    // scan.json writes RFC 3339, which has four-digit years only.
    (1..=9999).contains(&out.at.year()).then_some(out)
}

/// `2024-11-06`, `2024-11-06T22:47:32`, with `.fraction`, `Z` or `±hh:mm`.
fn iso(t: &str) -> Option<ExportDate> {
    let (day, rest) = match t.find(['T', ' ']) {
        Some(i) => (t.get(..i)?, t.get(i + 1..)?),
        None => (t, ""),
    };
    let mut ymd = day.split('-');
    let d = date(
        number(ymd.next()?)?,
        number(ymd.next()?)?,
        number(ymd.next()?)?,
    )?;
    if ymd.next().is_some() {
        return None;
    }
    if rest.is_empty() {
        return finish(d, Time::MIDNIGHT, None);
    }
    let (clock_text, offset) = if let Some(c) = rest.strip_suffix('Z') {
        (c, Some(UtcOffset::UTC))
    } else if let Some(i) = rest.rfind(['+', '-']) {
        let (c, o) = rest.split_at(i);
        let sign: i8 = if o.starts_with('-') { -1 } else { 1 };
        let o = o.get(1..)?;
        let (oh, om) = o.split_once(':').unwrap_or((o, "0"));
        let (oh, om) = (number(oh)?, number(om)?);
        let offset = UtcOffset::from_hms(
            sign * i8::try_from(oh).ok()?,
            sign * i8::try_from(om).ok()?,
            0,
        )
        .ok()?;
        (c, Some(offset))
    } else {
        (rest, None)
    };
    finish(d, clock(clock_text)?, offset)
}

/// en-US `M/d/yyyy h:mm:ss AM|PM`. Without AM/PM a slash date could be
/// en-GB `d/M/yyyy` just as well, so it is refused rather than guessed.
fn us(t: &str) -> Option<ExportDate> {
    let mut words = t.split_whitespace();
    let day = words.next()?;
    let time_text = words.next();
    let meridiem = words.next();
    if words.next().is_some() {
        return None;
    }
    let mut mdy = day.split('/');
    let (m, dd, y) = (
        number(mdy.next()?)?,
        number(mdy.next()?)?,
        number(mdy.next()?)?,
    );
    if mdy.next().is_some() || y < 1000 {
        return None;
    }
    let d = date(y, m, dd)?;
    // A date alone carries no AM/PM to tell en-US from en-GB.
    let (Some(time_text), Some(meridiem)) = (time_text, meridiem) else {
        return None;
    };
    let c = clock(time_text)?;
    let hour = match (meridiem.to_ascii_uppercase().as_str(), c.hour()) {
        ("AM", 12) => 0,
        ("AM", h) if h < 12 => h,
        ("PM", 12) => 12,
        ("PM", h) if h < 12 => h + 12,
        _ => return None,
    };
    let c = Time::from_hms(hour, c.minute(), c.second()).ok()?;
    finish(d, c, None)
}

/// de-DE `dd.MM.yyyy HH:mm:ss` (also without the time).
fn german(t: &str) -> Option<ExportDate> {
    let mut words = t.split_whitespace();
    let day = words.next()?;
    let time_text = words.next();
    if words.next().is_some() {
        return None;
    }
    let mut dmy = day.split('.');
    let (dd, m, y) = (
        number(dmy.next()?)?,
        number(dmy.next()?)?,
        number(dmy.next()?)?,
    );
    if dmy.next().is_some() || y < 1000 {
        return None;
    }
    let c = match time_text {
        Some(c) => clock(c)?,
        None => Time::MIDNIGHT,
    };
    finish(date(y, m, dd)?, c, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn every_culture_reads_to_the_same_instant() {
        let want = datetime!(2024-11-06 22:47:32 UTC);
        for text in [
            "11/6/2024 10:47:32 PM",
            "06.11.2024 22:47:32",
            "2024-11-06T22:47:32",
            "2024-11-06 22:47:32",
        ] {
            let d = parse(text).unwrap();
            assert_eq!(d.at, want, "{text}");
            assert!(d.assumed_utc, "{text}");
        }
        for text in [
            "2024-11-06T22:47:32Z",
            "2024-11-06T23:47:32.1234567+01:00",
            "2024-11-06T17:47:32-05:00",
        ] {
            let d = parse(text).unwrap();
            assert_eq!(d.at, want, "{text}");
            assert!(!d.assumed_utc, "{text}");
        }
        assert_eq!(
            parse("1/2/2025 12:05:00 AM").unwrap().at,
            datetime!(2025-01-02 00:05:00 UTC)
        );
        assert_eq!(
            parse("1/2/2025 12:05:00 PM").unwrap().at,
            datetime!(2025-01-02 12:05:00 UTC)
        );
    }

    #[test]
    fn ambiguous_or_broken_dates_are_refused() {
        for text in [
            "06/11/2024 22:47:32",
            "13/6/2024 10:47:32 PM",
            "31.02.2024 10:00:00",
            "2024-11-06T25:00:00",
            "yesterday",
            "",
            "2024-11-06T22:47:32+99:00",
            "11/6/2024 13:47:32 PM",
            "9999-12-31T23:00:00-05:00",
        ] {
            assert!(parse(text).is_err(), "{text}");
        }
    }
}
