//! Every hand-worked example of `tests/data/time-vectors.json` (SPEC §2):
//! due dates (clock start and due) and working-time spans in minutes.

use crate::common::int;
use baton::time::{CalendarSpec, CompiledCalendar, Turnaround, TurnaroundUnit};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/time-vectors.json");

fn load() -> Value {
    let text = std::fs::read_to_string(VECTORS).expect("time-vectors.json is readable");
    serde_json::from_str(&text).expect("time-vectors.json is JSON")
}

fn instant(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().expect("instant string"))
        .expect("RFC 3339 instant")
        .with_timezone(&Utc)
}

fn calendar(v: &Value) -> CompiledCalendar {
    let weekly = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map(|day| {
        v["weekly"][day]
            .as_array()
            .expect("ranges")
            .iter()
            .map(|r| {
                (
                    r[0].as_str().expect("start").to_owned(),
                    r[1].as_str().expect("end").to_owned(),
                )
            })
            .collect::<Vec<_>>()
    });
    let holidays = v["holidays"]
        .as_array()
        .expect("holidays")
        .iter()
        .map(|h| {
            let text = h["date"].as_str().or(h.as_str()).expect("holiday date");
            NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("ISO date")
        })
        .collect();
    let spec = CalendarSpec::new(v["timezone"].as_str().expect("zone"), weekly, holidays)
        .expect("vector calendars are valid");
    CompiledCalendar::compile(&spec).expect("vector calendars compile")
}

#[test]
fn all_38_due_vectors_are_reproduced_exactly() {
    let vectors = load();
    let cases = vectors["due"].as_array().expect("due list");
    assert_eq!(cases.len(), 38);
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let cal = calendar(&case["calendar"]);
        let unit: TurnaroundUnit = serde_json::from_value(case["unit"].clone()).unwrap();
        let turnaround = Turnaround::new(case["amount"].as_f64().unwrap(), unit).unwrap();
        let ready = instant(&case["from"]);
        let due = cal.due(ready, turnaround).unwrap();
        let want_due = instant(&case["due"]);
        // The vectors give no clock start for calendar units (`null`): the
        // engine reports the ready time there.
        let want_start = if case["clock_start"].is_null() {
            assert!(
                !unit.is_business(),
                "{name}: null clock start on a business unit"
            );
            ready
        } else {
            instant(&case["clock_start"])
        };
        if due.due != want_due || due.clock_start != want_start {
            failures.push(format!(
                "{name}: got start {} due {}, want start {} due {}",
                due.clock_start, due.due, want_start, want_due
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn all_18_working_time_vectors_are_reproduced_exactly() {
    let vectors = load();
    let cases = vectors["working_time"].as_array().expect("span list");
    assert_eq!(cases.len(), 18);
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let cal = calendar(&case["calendar"]);
        let (from, to) = (instant(&case["from"]), instant(&case["to"]));
        let seconds = cal.working_seconds(from, to).unwrap();
        let want = int(&case["minutes"]);
        // Minutes truncate toward zero, as in lateness.
        if seconds / 60 != want {
            failures.push(format!("{name}: got {seconds} s, want {want} min"));
        }
        // Measuring backwards gives the negated amount.
        assert_eq!(cal.working_seconds(to, from).unwrap(), -seconds, "{name}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
