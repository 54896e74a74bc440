//! `bscred remind --ics`: calendar events for the expiry dates.

use std::path::PathBuf;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::context::Context;
use crate::error::{Error, Exit, Result};
use crate::metadata::VarMeta;
use crate::private_fs;
use crate::profile::home_id;

/// Write an iCalendar file with an event on each expiry date
///
/// One all-day event per variable with an expiry on record, on the date it
/// expires in your time zone, with alarms before it. Each event keeps its UID and gets a higher SEQUENCE when the
/// expiry changes, so importing the file again updates the calendar rather
/// than adding duplicates. Reads only non-secret metadata.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file to write (- for stdout)
    #[arg(long, value_name = "FILE")]
    ics: PathBuf,

    /// Alarms, in days before the expiry (comma-separated)
    #[arg(long, value_name = "DAYS", value_delimiter = ',', default_values_t = [14u32, 3, 1])]
    alarms: Vec<u32>,
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    let profile = ctx.open_profile()?;
    let meta = profile.required_metadata()?;
    let events: Vec<(&str, &VarMeta, Timestamp)> = meta
        .variables
        .iter()
        .filter_map(|(name, var)| var.expires_at.map(|at| (name.as_str(), var, at)))
        .collect();
    if events.is_empty() {
        // A calendar needs at least one event (RFC 5545 §3.6).
        return Err(Error::Refused {
            message: format!(
                "no variable in profile '{}' has an expiry on record; nothing was written",
                ctx.profile
            ),
            hint: "`bscred verify` records a token's expiry (or `bscred set NAME --expires DATE`)"
                .to_string(),
        });
    }
    let uid_suffix = format!("{}.{}", ctx.profile, home_id(&ctx.dirs));
    let text = calendar(
        &events,
        ctx.profile.as_str(),
        &uid_suffix,
        &args.alarms,
        ctx.now,
        ctx.tz(),
    );
    if args.ics.as_os_str() == "-" {
        super::print(text.as_bytes())?;
    } else {
        private_fs::write_atomic(&args.ics, text.as_bytes())?;
        ctx.note(format!(
            "wrote {} event(s) to {}; import it into your calendar (again after each rotation)",
            events.len(),
            args.ics.display()
        ));
    }
    Ok(Exit::Ok)
}

/// The iCalendar text (RFC 5545): CRLF line ends, long lines folded. Each
/// event is all day on the expiry's date in `tz`.
///
/// Why all day on the local date, rather than a DTSTART at the exact
/// time: a date (VALUE=DATE) is "floating" (§3.3.4), the same calendar day
/// wherever the calendar is shown, so the event sits on the date `list`,
/// `status` and the reminders name. A time with TZID would need a
/// VTIMEZONE component spelling out the zone's rules (§3.2.19), which the
/// system's zone (a POSIX `TZ` string, an unnamed /etc/localtime) does not
/// always allow. A UTC time would be shown at the right moment, but as a
/// timed event at an odd hour (21:00 the evening before, in Los Angeles,
/// for a token that expires at 05:00 UTC) among the day's meetings. The
/// exact moment, local and UTC, is in the description.
pub fn calendar(
    events: &[(&str, &VarMeta, Timestamp)],
    profile: &str,
    uid_suffix: &str,
    alarms: &[u32],
    now: Timestamp,
    tz: &TimeZone,
) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        format!("PRODID:-//bscred//bscred {}//EN", env!("CARGO_PKG_VERSION")),
        "CALSCALE:GREGORIAN".to_string(),
        "METHOD:PUBLISH".to_string(),
    ];
    for (name, var, expires) in events {
        let day = local_days(*expires, tz);
        lines.push("BEGIN:VEVENT".to_string());
        // The same variable always gets the same UID, so a re-import
        // updates its event (RFC 5545 §3.8.4.7).
        lines.push(format!("UID:{name}.{uid_suffix}@bscred"));
        lines.push(format!("DTSTAMP:{}", now.strftime("%Y%m%dT%H%M%SZ")));
        // SEQUENCE must grow when the event changes (§3.8.7.4). The expiry
        // changes only with a new value (`set`, `rotate`) or a `verify`, so
        // the minutes since the epoch of the later of the two do; they fit
        // in the 32-bit integer the RFC allows for centuries.
        let changed = var
            .token
            .as_ref()
            .map_or(var.updated_at, |t| t.verified_at.max(var.updated_at));
        lines.push(format!("SEQUENCE:{}", changed.as_second().max(0) / 60));
        lines.push(format!("DTSTART;VALUE=DATE:{}", day.0));
        lines.push(format!("DTEND;VALUE=DATE:{}", day.1));
        lines.push(format!(
            "SUMMARY:{}",
            escape(&format!("{name} expires (bscred profile {profile})"))
        ));
        lines.push(format!(
            "DESCRIPTION:{}",
            escape(&format!(
                "{name} expires at {} ({}).\nRenew it with: bscred -p {profile} rotate {name}",
                expires
                    .to_zoned_datetime(tz.clone())
                    .strftime("%Y-%m-%d %H:%M %Z"),
                expires.strftime("%Y-%m-%d %H:%M UTC")
            ))
        ));
        lines.push("TRANSP:TRANSPARENT".to_string());
        for days in alarms {
            lines.push("BEGIN:VALARM".to_string());
            lines.push("ACTION:DISPLAY".to_string());
            lines.push(format!(
                "DESCRIPTION:{}",
                escape(&format!(
                    "{name} expires in {days} day{}: bscred rotate {name}",
                    if *days == 1 { "" } else { "s" }
                ))
            ));
            lines.push(format!("TRIGGER:-P{days}D"));
            lines.push("END:VALARM".to_string());
        }
        lines.push("END:VEVENT".to_string());
    }
    lines.push("END:VCALENDAR".to_string());
    let mut out = String::new();
    for line in lines {
        fold(&line, &mut out);
    }
    out
}

/// The expiry's date in `tz` and the day after (an all-day event's
/// DTEND is exclusive, §3.6.1), as `YYYYMMDD`.
fn local_days(at: Timestamp, tz: &TimeZone) -> (String, String) {
    let day = crate::expiry::local_date(at, tz);
    let next = day.tomorrow().unwrap_or(day);
    (
        day.strftime("%Y%m%d").to_string(),
        next.strftime("%Y%m%d").to_string(),
    )
}

/// TEXT escaping (§3.3.11): backslash, semicolon, comma, newline.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets, never inside a UTF-8 character
/// (§3.1), and ends it with CRLF.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_in_crlf_and_fold_at_75_octets() {
        let mut out = String::new();
        fold(&format!("DESCRIPTION:{}", "é".repeat(60)), &mut out);
        for line in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        }
        assert!(out.ends_with("\r\n"));
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded, format!("DESCRIPTION:{}\r\n", "é".repeat(60)));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a;b,c\\d\ne"), "a\\;b\\,c\\\\d\\ne");
    }

    #[test]
    fn one_event_per_expiry_with_stable_uid_and_alarms() {
        let at: Timestamp = "2026-08-30T12:00:00Z".parse().expect("time");
        let now: Timestamp = "2026-06-01T12:00:00Z".parse().expect("time");
        let var = VarMeta {
            secret: true,
            created_at: now,
            updated_at: now,
            expires_at: Some(at),
            token: None,
        };
        let text = calendar(
            &[("GITHUB_TOKEN", &var, at)],
            "default",
            "default.abc",
            &[14, 1],
            now,
            &TimeZone::UTC,
        );
        assert!(text.contains("UID:GITHUB_TOKEN.default.abc@bscred\r\n"));
        assert!(text.contains("DTSTART;VALUE=DATE:20260830\r\n"));
        assert!(text.contains("DTEND;VALUE=DATE:20260831\r\n"));
        assert!(text.contains("DTSTAMP:20260601T120000Z\r\n"));
        assert_eq!(text.matches("BEGIN:VALARM").count(), 2);
        assert!(text.contains("TRIGGER:-P14D\r\n"));
        let later = VarMeta {
            updated_at: "2026-06-02T12:00:00Z".parse().expect("time"),
            ..var.clone()
        };
        let seq = |t: &str| {
            t.lines()
                .find_map(|l| l.strip_prefix("SEQUENCE:"))
                .and_then(|s| s.trim().parse::<i64>().ok())
                .expect("sequence")
        };
        let again = calendar(
            &[("GITHUB_TOKEN", &later, at)],
            "default",
            "default.abc",
            &[14],
            now,
            &TimeZone::UTC,
        );
        assert!(seq(&again) > seq(&text));
    }
}
