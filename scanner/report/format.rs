//! Formatting helpers every report shares: dates, times, day counts and
//! shortened labels. One place, so report.html, the timeline, the terminal
//! summary and the diff say a date the same way.

use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use crate::model::Parameters;

/// `2026-11-25`.
pub fn format_date(t: OffsetDateTime) -> String {
    let fmt = format_description!("[year]-[month]-[day]");
    t.to_offset(UtcOffset::UTC).format(&fmt).unwrap_or_default()
}

/// `2026-11-25 14:03 UTC`.
pub fn format_time(t: OffsetDateTime) -> String {
    let fmt = format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    t.to_offset(UtcOffset::UTC).format(&fmt).unwrap_or_default()
}

/// `expired 3 d ago`, `expires today`, `20 d left`.
pub fn days_short(days: i64) -> String {
    match days {
        d if d < 0 => format!("expired {} d ago", -d),
        0 => "expires today".into(),
        d => format!("{d} d left"),
    }
}

/// The CSS state of a certificate with `days` left under the scan's
/// thresholds: `expired`, `critical`, `warning` or `ok`.
pub fn days_state(parameters: &Parameters, days: i64) -> &'static str {
    if days < 0 {
        "expired"
    } else if days <= parameters.critical_days {
        "critical"
    } else if days <= parameters.warn_days {
        "warning"
    } else {
        "ok"
    }
}

/// `text` cut to `max` characters, ending in `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_and_days_read_as_words() {
        let t = time::macros::datetime!(2026-11-25 23:30 -02:00);
        assert_eq!(format_date(t), "2026-11-26");
        assert_eq!(format_time(t), "2026-11-26 01:30 UTC");
        assert_eq!(days_short(-3), "expired 3 d ago");
        assert_eq!(days_short(0), "expires today");
        assert_eq!(truncate("ex01.contoso.local", 5), "ex01…");
    }
}
