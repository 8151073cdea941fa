//! Parsing at the edges of the time engine: turnaround amounts (and their
//! JSON shape) and calendar validation with per-field errors.

use baton::time::{
    CalendarSpec, CompiledCalendar, TimeError, Turnaround, TurnaroundError,
    TurnaroundUnit::{self, *},
};
use chrono::{DateTime, Utc};

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn office(zone: &str) -> CompiledCalendar {
    CompiledCalendar::compile(&CalendarSpec::default_office(zone).unwrap()).unwrap()
}

fn hours(amount: f64) -> Turnaround {
    Turnaround::new(amount, BusinessHours).unwrap()
}

fn week<'a>(ranges: &[&[(&'a str, &'a str)]; 7]) -> [Vec<(&'a str, &'a str)>; 7] {
    ranges.map(|d| d.to_vec())
}

// ---- turnarounds -----------------------------------------------------------

#[test]
fn turnaround_amounts_are_parsed_to_whole_minutes_or_days() {
    assert_eq!(hours(2.25).quantity(), 135);
    assert_eq!(hours(1.0 / 60.0 * 70.0).quantity(), 70);
    assert_eq!(
        Turnaround::new(0.01, BusinessHours),
        Err(TurnaroundError::NotWholeMinutes)
    );
    assert_eq!(
        Turnaround::new(1.5, BusinessDays),
        Err(TurnaroundError::NotWholeDays)
    );
    assert_eq!(
        Turnaround::new(1.5, CalendarDays),
        Err(TurnaroundError::NotWholeDays)
    );
    assert_eq!(
        Turnaround::new(-1.0, BusinessHours),
        Err(TurnaroundError::Negative)
    );
    assert_eq!(
        Turnaround::new(f64::NAN, BusinessHours),
        Err(TurnaroundError::NotFinite)
    );
    assert_eq!(
        Turnaround::new(f64::INFINITY, BusinessDays),
        Err(TurnaroundError::NotFinite)
    );
    assert!(matches!(
        Turnaround::new(1e12, BusinessHours),
        Err(TurnaroundError::TooLarge { .. })
    ));
    assert!(matches!(
        Turnaround::new(36_526.0, BusinessDays),
        Err(TurnaroundError::TooLarge { .. })
    ));
    assert!(Turnaround::new(876_600.0, CalendarHours).is_ok());
}

#[test]
fn turnarounds_read_and_write_the_api_json_shape() {
    let t: Turnaround =
        serde_json::from_str(r#"{"amount": 10, "unit": "business_hours"}"#).unwrap();
    assert_eq!((t.unit(), t.quantity()), (BusinessHours, 600));
    let t: Turnaround =
        serde_json::from_str(r#"{"amount": 2.5, "unit": "business_hours"}"#).unwrap();
    assert_eq!(
        serde_json::to_string(&t).unwrap(),
        r#"{"amount":2.5,"unit":"business_hours"}"#
    );
    let t: Turnaround = serde_json::from_str(r#"{"amount": 3, "unit": "business_days"}"#).unwrap();
    assert_eq!(
        serde_json::to_string(&t).unwrap(),
        r#"{"amount":3,"unit":"business_days"}"#
    );
    for bad in [
        r#"{"amount": -1, "unit": "business_days"}"#,
        r#"{"amount": 1.5, "unit": "calendar_days"}"#,
        r#"{"amount": 1, "unit": "fortnights"}"#,
        r#"{"amount": 99999999999999999999, "unit": "business_hours"}"#,
        r#"{"amount": 9223372036854775807, "unit": "calendar_hours"}"#,
    ] {
        assert!(serde_json::from_str::<Turnaround>(bad).is_err(), "{bad}");
    }
    let units: Vec<TurnaroundUnit> = serde_json::from_str(
        r#"["business_hours","business_days","calendar_hours","calendar_days"]"#,
    )
    .unwrap();
    assert_eq!(
        units,
        vec![BusinessHours, BusinessDays, CalendarHours, CalendarDays]
    );
}

#[test]
fn the_largest_turnaround_never_panics() {
    let cal = office("Europe/Berlin");
    let ready = at("2026-03-06T15:00:00+01:00");
    assert_eq!(
        cal.due(ready, Turnaround::new(876_600.0, BusinessHours).unwrap()),
        Err(TimeError::ResultOutOfRange)
    );
    assert_eq!(
        cal.due(ready, Turnaround::new(36_525.0, BusinessDays).unwrap()),
        Err(TimeError::ResultOutOfRange)
    );
    assert!(
        cal.due(ready, Turnaround::new(36_525.0, CalendarDays).unwrap())
            .is_ok()
    );
    assert!(
        cal.due(
            DateTime::<Utc>::MAX_UTC,
            Turnaround::new(1.0, CalendarDays).unwrap()
        )
        .is_err()
    );
}

// ---- validation --------------------------------------------------------------

fn errors_of(
    zone: &str,
    weekly: [Vec<(&str, &str)>; 7],
) -> std::collections::BTreeMap<String, Vec<String>> {
    CalendarSpec::new(zone, weekly, vec![])
        .unwrap_err()
        .by_field()
}

const NINE_TO_FIVE: &[(&str, &str)] = &[("09:00", "17:00")];

#[test]
fn an_unknown_time_zone_is_a_timezone_error() {
    let errors = errors_of(
        "Mars/Base",
        week(&[NINE_TO_FIVE, &[], &[], &[], &[], &[], &[]]),
    );
    assert_eq!(errors["timezone"], vec!["unknown time zone 'Mars/Base'"]);
    assert_eq!(errors.len(), 1);
    assert!(CalendarSpec::default_office("").is_err());
}

#[test]
fn malformed_times_are_errors_on_their_own_field() {
    let errors = errors_of(
        "UTC",
        week(&[
            &[("9:00", "17:00")],
            &[("09:00", "17:60")],
            &[("25:00", "26:00")],
            &[("24:00", "24:00")],
            &[("09:00", "24:01")],
            &[("", "x")],
            NINE_TO_FIVE,
        ]),
    );
    assert!(errors["weekly.mon[0].start"][0].contains("HH:MM"));
    assert!(errors["weekly.tue[0].end"][0].contains("minutes"));
    assert!(errors["weekly.wed[0].start"][0].contains("hours"));
    assert!(errors["weekly.wed[0].end"][0].contains("hours"));
    assert!(errors["weekly.thu[0].start"][0].contains("only allowed as the end"));
    assert!(errors["weekly.fri[0].end"][0].contains("hours"));
    assert!(errors.contains_key("weekly.sat[0].start") && errors.contains_key("weekly.sat[0].end"));
    assert!(!errors.keys().any(|k| k.starts_with("weekly.sun")));
    assert!(
        !errors.contains_key("weekly"),
        "no 'no working time' noise when ranges are malformed"
    );
}

#[test]
fn a_range_whose_start_is_not_before_its_end_is_an_error() {
    let errors = errors_of(
        "UTC",
        week(&[
            &[("17:00", "09:00")],
            &[("09:00", "09:00")],
            NINE_TO_FIVE,
            &[],
            &[],
            &[],
            &[],
        ]),
    );
    assert_eq!(
        errors["weekly.mon[0]"],
        vec!["start 17:00 is not before end 09:00"]
    );
    assert_eq!(
        errors["weekly.tue[0]"],
        vec!["start 09:00 is not before end 09:00"]
    );
}

#[test]
fn overlapping_ranges_on_a_weekday_are_an_error_naming_both() {
    let errors = errors_of(
        "UTC",
        week(&[
            &[("13:00", "17:00"), ("09:00", "13:30")],
            &[("08:00", "18:00"), ("10:00", "11:00"), ("12:00", "13:00")],
            &[],
            &[],
            &[],
            &[],
            &[],
        ]),
    );
    assert_eq!(
        errors["weekly.mon[0]"],
        vec!["overlaps weekly.mon[1] (09:00–13:30)"]
    );
    assert_eq!(
        errors["weekly.tue[1]"],
        vec!["overlaps weekly.tue[0] (08:00–18:00)"]
    );
    assert_eq!(
        errors["weekly.tue[2]"],
        vec!["overlaps weekly.tue[0] (08:00–18:00)"]
    );
}

#[test]
fn touching_and_unsorted_ranges_are_accepted_and_sorted() {
    let spec = CalendarSpec::new(
        "UTC",
        week(&[
            &[("12:00", "17:00"), ("09:00", "12:00")],
            &[],
            &[],
            &[],
            &[],
            &[],
            &[],
        ]),
        vec![],
    )
    .unwrap();
    let monday: Vec<_> = spec.weekly()[0]
        .iter()
        .map(|r| (r.start_hhmm(), r.end_hhmm()))
        .collect();
    assert_eq!(
        monday,
        vec![
            ("09:00".into(), "12:00".into()),
            ("12:00".into(), "17:00".into())
        ]
    );
    let cal = CompiledCalendar::compile(&spec).unwrap();
    assert_eq!(
        cal.due(at("2026-03-09T11:00:00Z"), hours(2.0)).unwrap().due,
        at("2026-03-09T13:00:00Z")
    );
}

#[test]
fn a_calendar_with_no_working_time_in_any_week_is_rejected() {
    let errors = errors_of("Europe/Berlin", week(&[&[]; 7]));
    assert_eq!(
        errors["weekly"],
        vec!["the calendar has no working time in any week"]
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let err = CalendarSpec::new(
        "Nowhere",
        week(&[
            &[("09:00", "08:00")],
            &[("x", "17:00")],
            &[],
            &[],
            &[],
            &[],
            &[],
        ]),
        vec![],
    )
    .unwrap_err();
    let fields: Vec<_> = err.errors().iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        vec!["timezone", "weekly.mon[0]", "weekly.tue[0].start"]
    );
    assert!(
        err.to_string()
            .starts_with("invalid calendar: timezone: unknown time zone")
    );
}
