//! Expiry dates: parsing what users type (`--expires 2026-12-31`,
//! `--expires-in 90d`) and the arithmetic on them, as pure functions of an
//! explicit `now` and time zone.
//!
//! Expiries are stored as instants (UTC); people read and type dates. Every
//! date shown or typed is one of the user's calendar (the `tz` the context
//! resolved from `TZ` or /etc/localtime): a token that expires at
//! 2026-02-01T05:00:00Z expires on 2026-01-31 in Los Angeles, and "in N
//! days" counts the midnights between today and that date there.

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan, tz::TimeZone};

/// Parses `--expires`: a date (`2026-12-31`, taken as the start of that day
/// in `tz`, so the date shown afterwards is the one typed) or a full RFC
/// 3339 time (`2026-12-31T23:00:00Z`, `2026-12-31T23:00:00+02:00`).
pub fn parse_date(text: &str, tz: &TimeZone) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Ok(ts);
    }
    text.parse::<Date>()
        .ok()
        // The first moment of that day: midnight, or the end of a DST gap
        // in the few zones whose clocks skip midnight.
        .and_then(|date| date.to_zoned_datetime(tz.clone()).ok())
        .map(|start| start.timestamp())
        .ok_or_else(|| format!("{text:?} is not a date: use YYYY-MM-DD or an RFC 3339 time"))
}

/// The calendar date of `at` in `tz`.
pub fn local_date(at: Timestamp, tz: &TimeZone) -> Date {
    tz.to_datetime(at).date()
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

/// Calendar days in `tz` from `now` until `expires`: 0 on the day itself,
/// 1 the day before, negative once the day has passed. Dates, not periods
/// of 24 hours: a day with a DST change counts as one day.
pub fn days_left(expires: Timestamp, now: Timestamp, tz: &TimeZone) -> i64 {
    let (from, to) = (local_date(now, tz), local_date(expires, tz));
    // Between two valid dates the span in days always fits.
    from.until(to).map_or(0, |span| i64::from(span.get_days()))
}

/// How a listing shows an expiry, dated in `tz`: `2026-12-31 (in 34
/// days)`, `2026-11-01 (expired 3 days ago)`, or `-` when none is recorded.
pub fn describe(expires: Option<Timestamp>, now: Timestamp, tz: &TimeZone) -> String {
    let Some(expires) = expires else {
        return "-".to_string();
    };
    let date = local_date(expires, tz);
    let days = days_left(expires, now, tz);
    match days {
        _ if expires <= now => {
            let ago = days_left(now, expires, tz);
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
/// `window` calendar days (in `tz`) of `now` or past (README, "Token expiry").
/// `cli` is how to call bscred for this profile (`bscred`, or `bscred -p
/// work`).
pub fn reminder(
    name: &str,
    expires: Timestamp,
    now: Timestamp,
    tz: &TimeZone,
    window: i64,
    cli: &str,
) -> Option<Reminder> {
    let days = days_left(expires, now, tz);
    let date = local_date(expires, tz);
    let fix = format!("{cli} rotate {name}");
    if expires <= now {
        let ago = days_left(now, expires, tz);
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

    const UTC: &TimeZone = &TimeZone::UTC;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn zone(name: &str) -> TimeZone {
        TimeZone::get(name).expect("a zone in the tz database")
    }

    #[test]
    fn dates_and_times_parse() {
        assert_eq!(
            parse_date("2026-12-31", UTC),
            Ok(ts("2026-12-31T00:00:00Z"))
        );
        assert_eq!(
            parse_date("2026-12-31T23:00:00+02:00", UTC),
            Ok(ts("2026-12-31T21:00:00Z"))
        );
        assert!(parse_date("31/12/2026", UTC).is_err());
        assert!(parse_date("2026-02-30", UTC).is_err());
    }

    #[test]
    fn a_typed_date_is_the_start_of_that_day_where_the_user_is() {
        let la = zone("America/Los_Angeles");
        assert_eq!(
            parse_date("2026-12-31", &la),
            Ok(ts("2026-12-31T08:00:00Z"))
        );
        // A full time is that instant, wherever the user is.
        assert_eq!(
            parse_date("2026-12-31T23:00:00Z", &la),
            Ok(ts("2026-12-31T23:00:00Z"))
        );
        let tokyo = zone("Asia/Tokyo");
        let at = parse_date("2026-12-31", &tokyo).expect("date");
        assert_eq!(at, ts("2026-12-30T15:00:00Z"));
        // And it is shown as the date typed.
        assert_eq!(local_date(at, &tokyo).to_string(), "2026-12-31");
        // Where midnight is skipped (Santiago, DST starting 2026-09-06),
        // the day starts at 01:00.
        let santiago = zone("America/Santiago");
        let start = parse_date("2026-09-06", &santiago).expect("date");
        assert_eq!(local_date(start, &santiago).to_string(), "2026-09-06");
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
        assert_eq!(describe(None, now, UTC), "-");
        assert_eq!(
            describe(Some(ts("2026-01-15T00:00:00Z")), now, UTC),
            "2026-01-15 (in 14 days)"
        );
        assert_eq!(
            describe(Some(ts("2025-12-29T00:00:00Z")), now, UTC),
            "2025-12-29 (expired 3 days ago)"
        );
    }

    #[test]
    fn dates_and_days_are_those_of_the_users_calendar() {
        let expires = ts("2026-02-01T05:00:00Z");
        let now = ts("2026-01-20T12:00:00Z");
        let la = zone("America/Los_Angeles");
        let tokyo = zone("Asia/Tokyo");
        assert_eq!(describe(Some(expires), now, UTC), "2026-02-01 (in 12 days)");
        // 21:00 on 31 January in Los Angeles (it is 04:00 on the 20th there).
        assert_eq!(describe(Some(expires), now, &la), "2026-01-31 (in 11 days)");
        // 14:00 on 1 February in Tokyo (21:00 on the 20th there).
        assert_eq!(
            describe(Some(expires), now, &tokyo),
            "2026-02-01 (in 12 days)"
        );
        // Late evening in Los Angeles is already the next day in UTC: still
        // "tomorrow" there, not "in 2 days".
        let evening = ts("2026-01-31T06:00:00Z"); // 22:00 on the 30th in LA
        let r = reminder("T", expires, evening, &la, 14, "bscred").expect("due");
        assert_eq!(r.what, "T expires tomorrow (2026-01-31)");
        let r = reminder("T", expires, evening, UTC, 14, "bscred").expect("due");
        assert_eq!(r.what, "T expires tomorrow (2026-02-01)");
        // An hour after it expired, in Tokyo: "today", on Tokyo's date.
        let after = ts("2026-02-01T06:00:00Z");
        let r = reminder("T", expires, after, &tokyo, 14, "bscred").expect("due");
        assert_eq!(r.what, "T expired today (2026-02-01)");
        // A day with a DST change counts as one day (8 March 2026 in LA).
        let spring = ts("2026-03-09T07:30:00Z"); // 00:30 on the 9th, PDT
        let before = ts("2026-03-08T07:30:00Z"); // 23:30 on the 7th, PST
        assert_eq!(days_left(spring, before, &la), 2);
    }

    #[test]
    fn reminders_start_at_the_window_and_say_when_it_expired() {
        let now = ts("2026-06-01T12:00:00Z");
        let reminder =
            |at, window| reminder("T", at, now, UTC, window, "bscred").map(|r| r.to_string());
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
        let other = super::reminder(
            "T",
            ts("2026-06-02T00:00:00Z"),
            now,
            UTC,
            14,
            "bscred -p work",
        );
        assert_eq!(
            other.map(|r| r.fix).as_deref(),
            Some("bscred -p work rotate T")
        );
    }

    #[test]
    fn days_left_rounds_down_and_goes_negative() {
        let now = ts("2026-01-01T00:00:00Z");
        assert_eq!(days_left(ts("2026-01-15T00:00:00Z"), now, UTC), 14);
        assert_eq!(days_left(ts("2026-01-01T23:59:59Z"), now, UTC), 0);
        assert_eq!(days_left(ts("2025-12-31T23:00:00Z"), now, UTC), -1);
        // Tomorrow is one day away whatever the hour.
        let noon = ts("2026-01-01T12:00:00Z");
        assert_eq!(days_left(ts("2026-01-02T00:00:00Z"), noon, UTC), 1);
        assert_eq!(
            describe(Some(ts("2026-01-02T00:00:00Z")), noon, UTC),
            "2026-01-02 (in 1 day)"
        );
    }
}
