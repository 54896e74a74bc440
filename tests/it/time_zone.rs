//! Dates in the user's time zone (`TZ`, else /etc/localtime): reminders,
//! `status`, `list`, `check` and the calendar show the local date and count
//! local calendar days; what is stored stays UTC.

use std::process::Output;

use crate::harness::{Env, TOKEN, assert_success};

/// 21:00 on 31 January in Los Angeles, 14:00 on 1 February in Tokyo.
const EXPIRES: &str = "2026-02-01T05:00:00Z";

/// 04:00 on 20 January in Los Angeles, 21:00 in Tokyo.
const NOW: &str = "2026-01-20T12:00:00Z";

const LOS_ANGELES: &str = "America/Los_Angeles";
const TOKYO: &str = "Asia/Tokyo";

/// bscred in `tz` at `now`, with `input` on stdin.
fn run_in(env: &Env, tz: &str, now: &str, args: &[&str], input: &[u8]) -> Output {
    env.cmd()
        .env("TZ", tz)
        .env("BSCRED_TEST_NOW", now)
        .args(args)
        .write_stdin(input)
        .output()
        .expect("bscred runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// An initialised environment whose GITHUB_TOKEN expires at `EXPIRES`.
fn with_token() -> Env {
    let env = Env::initialised();
    let out = run_in(
        &env,
        "UTC",
        NOW,
        &["set", "GITHUB_TOKEN", "--stdin", "--expires", EXPIRES],
        TOKEN.as_bytes(),
    );
    assert_success(&out);
    env
}

/// The line of `text` that mentions `name`.
fn line_of<'t>(text: &'t str, name: &str) -> &'t str {
    text.lines()
        .find(|line| line.contains(name))
        .unwrap_or_else(|| panic!("no line for {name}:\n{text}"))
}

#[test]
fn in_los_angeles_the_token_expires_on_the_31st() {
    let env = with_token();
    let run = |args: &[&str]| run_in(&env, LOS_ANGELES, NOW, args, b"");

    let out = run(&["list"]);
    assert_success(&out);
    let list = text(&out.stdout);
    assert!(
        line_of(&list, "GITHUB_TOKEN").ends_with("2026-01-31 (in 11 days)"),
        "{list}"
    );

    let out = run(&["status"]);
    assert_success(&out);
    let status = text(&out.stdout);
    // UPDATED is a local date too: 12:00 UTC is 04:00 the same day there.
    assert!(
        line_of(&status, "GITHUB_TOKEN").ends_with("2026-01-20  2026-01-31 (in 11 days)"),
        "{status}"
    );
    // What is stored, and what --json shows, stays the UTC instant.
    let out = run(&["status", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["variables"][0]["expires_at"], EXPIRES);

    // Within the window: `check` and the reminder on `get` name the local
    // date and count local days.
    let out = run_in(&env, LOS_ANGELES, NOW, &["check", "--within", "11"], b"");
    assert_eq!(out.status.code(), Some(10), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "GITHUB_TOKEN expires in 11 days (2026-01-31); renew it with `bscred rotate GITHUB_TOKEN`\n"
    );
    // 22:00 on the 30th in Los Angeles is 06:00 on the 31st in UTC: the
    // token expires tomorrow there, the 31st.
    let out = run_in(
        &env,
        LOS_ANGELES,
        "2026-01-31T06:00:00Z",
        &["get", "-n", "GITHUB_TOKEN"],
        b"",
    );
    assert_success(&out);
    assert_eq!(
        text(&out.stderr).trim_end(),
        "bscred: GITHUB_TOKEN expires tomorrow (2026-01-31); renew it with `bscred rotate GITHUB_TOKEN`"
    );
}

#[test]
fn in_tokyo_the_token_expires_on_the_1st() {
    let env = with_token();
    let out = run_in(&env, TOKYO, NOW, &["list"], b"");
    assert_success(&out);
    let list = text(&out.stdout);
    assert!(
        line_of(&list, "GITHUB_TOKEN").ends_with("2026-02-01 (in 12 days)"),
        "{list}"
    );
    // An hour after it expired: today, on Tokyo's date; in Los Angeles the
    // same moment is still the 31st, so "yesterday".
    let later = "2026-02-01T06:00:00Z";
    let out = run_in(&env, TOKYO, later, &["check"], b"");
    assert_eq!(out.status.code(), Some(11));
    assert!(
        text(&out.stdout).starts_with("GITHUB_TOKEN expired today (2026-02-01)"),
        "{}",
        text(&out.stdout)
    );
    let out = run_in(&env, LOS_ANGELES, later, &["check"], b"");
    assert_eq!(out.status.code(), Some(11));
    assert!(
        text(&out.stdout).starts_with("GITHUB_TOKEN expired today (2026-01-31)"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn the_calendar_event_is_all_day_on_the_local_date() {
    let env = with_token();
    for (tz, day, next, local) in [
        (LOS_ANGELES, "20260131", "20260201", "2026-01-31 21:00 PST"),
        (TOKYO, "20260201", "20260202", "2026-02-01 14:00 JST"),
        ("UTC", "20260201", "20260202", "2026-02-01 05:00 UTC"),
    ] {
        let out = run_in(&env, tz, NOW, &["remind", "--ics", "-"], b"");
        assert_success(&out);
        let ics = text(&out.stdout);
        assert!(
            ics.contains(&format!("\r\nDTSTART;VALUE=DATE:{day}\r\n")),
            "{tz}: {ics}"
        );
        assert!(
            ics.contains(&format!("\r\nDTEND;VALUE=DATE:{next}\r\n")),
            "{tz}: {ics}"
        );
        // The exact moment, local and UTC, is in the description.
        let unfolded = ics.replace("\r\n ", "");
        assert!(
            unfolded.contains(&format!("expires at {local} (2026-02-01 05:00 UTC)")),
            "{tz}: {unfolded}"
        );
        // DTSTAMP stays UTC, as RFC 5545 §3.8.7.2 requires.
        assert!(ics.contains("\r\nDTSTAMP:20260120T120000Z\r\n"), "{ics}");
    }
}

#[test]
fn a_typed_date_is_that_day_where_the_user_is() {
    let env = Env::initialised();
    let out = run_in(
        &env,
        LOS_ANGELES,
        NOW,
        &["set", "GITHUB_TOKEN", "--stdin", "--expires", "2026-01-31"],
        TOKEN.as_bytes(),
    );
    assert_success(&out);
    // The start of the 31st in Los Angeles, stored in UTC.
    let out = run_in(&env, LOS_ANGELES, NOW, &["status", "--json"], b"");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["variables"][0]["expires_at"], "2026-01-31T08:00:00Z");
    // Shown as the date typed.
    let out = run_in(&env, LOS_ANGELES, NOW, &["list"], b"");
    let list = text(&out.stdout);
    assert!(
        line_of(&list, "GITHUB_TOKEN").ends_with("2026-01-31 (in 11 days)"),
        "{list}"
    );
}

#[test]
fn an_unknown_time_zone_means_utc() {
    let env = with_token();
    let out = run_in(&env, "Not/A_Zone", NOW, &["list"], b"");
    assert_success(&out);
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let list = text(&out.stdout);
    assert!(
        line_of(&list, "GITHUB_TOKEN").ends_with("2026-02-01 (in 12 days)"),
        "{list}"
    );
}
