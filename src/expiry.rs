//! Expiry dates: parsing what users type (`--expires 2026-12-31`,
//! `--expires-in 90d`) and the arithmetic on them, as pure functions of an
//! explicit `now`.

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan, tz::TimeZone};

/// Parses `--expires`: a date (`2026-12-31`, taken as the start of that day
/// in UTC, the moment GitHub's "expires on" date begins) or a full RFC 3339
/// time (`2026-12-31T23:00:00Z`, `2026-12-31T23:00:00+02:00`).
pub fn parse_date(text: &str) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Ok(ts);
    }
    text.parse::<Date>()
        .ok()
        .and_then(|date| TimeZone::UTC.to_timestamp(date.at(0, 0, 0, 0)).ok())
        .ok_or_else(|| format!("{text:?} is not a date: use YYYY-MM-DD or an RFC 3339 time"))
}

/// Parses `--expires-in`: a number of days (`90d`, `90`) or weeks (`12w`),
/// added to `now`.
pub fn parse_in(text: &str, now: Timestamp) -> Result<Timestamp, String> {
    let bad = || format!("{text:?} is not a duration: use days like 90d or weeks like 12w");
    let text = text.trim();
    let (number, unit_days) = match text.strip_suffix(['d', 'D']) {
        Some(n) => (n, 1),
        None => match text.strip_suffix(['w', 'W']) {
            Some(n) => (n, 7),
            None => (text, 1),
        },
    };
    let count: i64 = number.parse().map_err(|_| bad())?;
    if !(1..=3660).contains(&count) {
        return Err(format!("{text:?} is out of range: use 1 to 3660 days"));
    }
    now.checked_add((count * unit_days * 24).hours())
        .map_err(|_| bad())
}

/// Calendar days (UTC) from `now` until `expires`: 0 on the day itself,
/// 1 the day before, negative once the day has passed.
pub fn days_left(expires: Timestamp, now: Timestamp) -> i64 {
    // UTC days are exact multiples of 86,400 seconds in Unix time.
    expires.as_second().div_euclid(86_400) - now.as_second().div_euclid(86_400)
}

/// How a listing shows an expiry: `2026-12-31 (in 34 days)`,
/// `2026-11-01 (expired 3 days ago)`, or `-` when none is recorded.
pub fn describe(expires: Option<Timestamp>, now: Timestamp) -> String {
    let Some(expires) = expires else {
        return "-".to_string();
    };
    let date = expires.strftime("%Y-%m-%d");
    let days = days_left(expires, now);
    match days {
        _ if expires <= now => {
            let ago = days_left(now, expires);
            match ago {
                0 => format!("{date} (expired today)"),
                1 => format!("{date} (expired yesterday)"),
                n => format!("{date} (expired {n} days ago)"),
            }
        }
        0 => format!("{date} (today)"),
        1 => format!("{date} (in 1 day)"),
        n => format!("{date} (in {n} days)"),
    }
}

/// How many days before an expiry reminders start, unless the project file
/// or the user's config says otherwise.
pub const DEFAULT_WARN_DAYS: i64 = 14;

/// A reminder that a variable expires soon or has expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    /// `GITHUB_TOKEN expires in 5 days (2026-06-06)`.
    pub what: String,
    /// The command that renews it: `bscred rotate GITHUB_TOKEN`.
    pub fix: String,
    pub expired: bool,
}

impl std::fmt::Display for Reminder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}; renew it with `{}`", self.what, self.fix)
    }
}

/// The reminder for `name` expiring at `expires`, when that is within
/// `window` days of `now` or past (DESIGN "Reminders"). `cli` is how to
/// call bscred for this profile (`bscred`, or `bscred -p work`).
pub fn reminder(
    name: &str,
    expires: Timestamp,
    now: Timestamp,
    window: i64,
    cli: &str,
) -> Option<Reminder> {
    let days = days_left(expires, now);
    let date = expires.strftime("%Y-%m-%d");
    let fix = format!("{cli} rotate {name}");
    if expires <= now {
        let ago = days_left(now, expires);
        let when = match ago {
            0 => "today".to_string(),
            1 => "yesterday".to_string(),
            n => format!("{n} days ago"),
        };
        return Some(Reminder {
            what: format!("{name} expired {when} ({date})"),
            fix,
            expired: true,
        });
    }
    if days > window {
        return None;
    }
    let when = match days {
        0 => "today".to_string(),
        1 => "tomorrow".to_string(),
        n => format!("in {n} days"),
    };
    Some(Reminder {
        what: format!("{name} expires {when} ({date})"),
        fix,
        expired: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    #[test]
    fn dates_and_times_parse() {
        assert_eq!(parse_date("2026-12-31"), Ok(ts("2026-12-31T00:00:00Z")));
        assert_eq!(
            parse_date("2026-12-31T23:00:00+02:00"),
            Ok(ts("2026-12-31T21:00:00Z"))
        );
        assert!(parse_date("31/12/2026").is_err());
        assert!(parse_date("2026-02-30").is_err());
    }

    #[test]
    fn durations_count_days_and_weeks() {
        let now = ts("2026-01-01T12:00:00Z");
        assert_eq!(parse_in("90d", now), Ok(ts("2026-04-01T12:00:00Z")));
        assert_eq!(parse_in("2w", now), Ok(ts("2026-01-15T12:00:00Z")));
        assert_eq!(parse_in("1", now), Ok(ts("2026-01-02T12:00:00Z")));
        for bad in ["0d", "-3d", "x", "90m", "", "99999d"] {
            assert!(parse_in(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn descriptions_count_days_both_ways() {
        let now = ts("2026-01-01T00:00:00Z");
        assert_eq!(describe(None, now), "-");
        assert_eq!(
            describe(Some(ts("2026-01-15T00:00:00Z")), now),
            "2026-01-15 (in 14 days)"
        );
        assert_eq!(
            describe(Some(ts("2025-12-29T00:00:00Z")), now),
            "2025-12-29 (expired 3 days ago)"
        );
    }

    #[test]
    fn reminders_start_at_the_window_and_say_when_it_expired() {
        let now = ts("2026-06-01T12:00:00Z");
        let reminder = |at, window| reminder("T", at, now, window, "bscred").map(|r| r.to_string());
        assert_eq!(reminder(ts("2026-06-16T00:00:00Z"), 14), None);
        assert_eq!(
            reminder(ts("2026-06-15T00:00:00Z"), 14).as_deref(),
            Some("T expires in 14 days (2026-06-15); renew it with `bscred rotate T`")
        );
        assert_eq!(
            reminder(ts("2026-06-02T00:00:00Z"), 14).as_deref(),
            Some("T expires tomorrow (2026-06-02); renew it with `bscred rotate T`")
        );
        assert_eq!(
            reminder(ts("2026-05-29T00:00:00Z"), 14).as_deref(),
            Some("T expired 3 days ago (2026-05-29); renew it with `bscred rotate T`")
        );
        assert_eq!(reminder(ts("2026-06-03T00:00:00Z"), 0), None);
        let other = super::reminder("T", ts("2026-06-02T00:00:00Z"), now, 14, "bscred -p work");
        assert_eq!(
            other.map(|r| r.fix).as_deref(),
            Some("bscred -p work rotate T")
        );
    }

    #[test]
    fn days_left_rounds_down_and_goes_negative() {
        let now = ts("2026-01-01T00:00:00Z");
        assert_eq!(days_left(ts("2026-01-15T00:00:00Z"), now), 14);
        assert_eq!(days_left(ts("2026-01-01T23:59:59Z"), now), 0);
        assert_eq!(days_left(ts("2025-12-31T23:00:00Z"), now), -1);
        // Tomorrow is one day away whatever the hour.
        let noon = ts("2026-01-01T12:00:00Z");
        assert_eq!(days_left(ts("2026-01-02T00:00:00Z"), noon), 1);
        assert_eq!(
            describe(Some(ts("2026-01-02T00:00:00Z")), noon),
            "2026-01-02 (in 1 day)"
        );
    }
}
