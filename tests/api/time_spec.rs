//! SPEC §2 in its own words: hand-worked due dates, pauses and lateness.

use std::sync::Arc;

use baton::time::{
    CalendarSpec, CompiledCalendar, Pause, TimeError, Turnaround, TurnaroundUnit::*,
};
use chrono::{DateTime, NaiveDate, Utc};

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

fn days(n: f64) -> Turnaround {
    Turnaround::new(n, BusinessDays).unwrap()
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn week<'a>(ranges: &[&[(&'a str, &'a str)]; 7]) -> [Vec<(&'a str, &'a str)>; 7] {
    ranges.map(|d| d.to_vec())
}

// ---- due dates ------------------------------------------------------------

#[test]
fn friday_15_00_plus_10_business_hours_is_monday_17_00() {
    let due = office("Europe/Berlin")
        .due(at("2026-03-06T15:00:00+01:00"), hours(10.0))
        .unwrap();
    assert_eq!(due.clock_start, at("2026-03-06T15:00:00+01:00"));
    assert_eq!(due.due, at("2026-03-09T17:00:00+01:00"));
}

#[test]
fn when_time_elapses_exactly_at_the_end_of_a_range_due_is_that_end_not_the_next_start() {
    let cal = office("Europe/Berlin");
    let due = cal
        .due(at("2026-03-06T15:00:00+01:00"), hours(2.0))
        .unwrap();
    assert_eq!(due.due, at("2026-03-06T17:00:00+01:00"));
}

#[test]
fn an_instant_exactly_at_a_range_end_is_not_working_so_the_clock_starts_at_the_next_range() {
    let cal = office("Europe/Berlin");
    assert_eq!(
        cal.clock_start(at("2026-03-06T17:00:00+01:00")).unwrap(),
        at("2026-03-09T09:00:00+01:00")
    );
    // One second before the end is still working.
    assert_eq!(
        cal.clock_start(at("2026-03-06T16:59:59+01:00")).unwrap(),
        at("2026-03-06T16:59:59+01:00")
    );
}

#[test]
fn zero_business_hours_is_due_at_the_clock_start() {
    let due = office("Europe/Berlin")
        .due(at("2026-03-07T12:00:00+01:00"), hours(0.0))
        .unwrap();
    assert_eq!(due.clock_start, at("2026-03-09T09:00:00+01:00"));
    assert_eq!(due.due, due.clock_start);
}

#[test]
fn zero_business_days_is_the_end_of_that_same_working_day() {
    let due = office("Europe/Berlin")
        .due(at("2026-03-06T15:00:00+01:00"), days(0.0))
        .unwrap();
    assert_eq!(due.due, at("2026-03-06T17:00:00+01:00"));
}

#[test]
fn one_business_day_is_by_close_of_the_next_working_day() {
    let due = office("Europe/Berlin")
        .due(at("2026-03-06T15:00:00+01:00"), days(1.0))
        .unwrap();
    assert_eq!(due.due, at("2026-03-09T17:00:00+01:00"));
}

#[test]
fn business_days_count_from_the_local_date_of_the_clock_start_not_of_the_ready_time() {
    // Ready Friday after hours: the clock starts Monday, so 0 days is Monday's close.
    let due = office("Europe/Berlin")
        .due(at("2026-03-06T18:00:00+01:00"), days(0.0))
        .unwrap();
    assert_eq!(due.due, at("2026-03-09T17:00:00+01:00"));
}

#[test]
fn business_days_end_at_the_last_range_of_a_split_day() {
    let split: &[(&str, &str)] = &[("13:30", "17:00"), ("09:00", "12:30")]; // unsorted on purpose
    let spec = CalendarSpec::new(
        "Europe/Berlin",
        week(&[split, split, split, split, split, &[], &[]]),
        vec![],
    )
    .unwrap();
    let cal = CompiledCalendar::compile(&spec).unwrap();
    let due = cal.due(at("2026-03-09T10:00:00+01:00"), days(0.0)).unwrap();
    assert_eq!(due.due, at("2026-03-09T17:00:00+01:00"));
    // An hour from noon crosses lunch.
    let due = cal
        .due(at("2026-03-09T12:00:00+01:00"), hours(1.0))
        .unwrap();
    assert_eq!(due.due, at("2026-03-09T14:00:00+01:00"));
}

#[test]
fn holidays_close_the_whole_local_day() {
    let spec = CalendarSpec::new(
        "Europe/Berlin",
        week(&[&[("09:00", "17:00")]; 7]),
        vec![date("2026-03-09"), date("2026-03-09"), date("2026-03-10")],
    )
    .unwrap();
    assert_eq!(
        spec.holidays(),
        &[date("2026-03-09"), date("2026-03-10")],
        "deduplicated"
    );
    let cal = CompiledCalendar::compile(&spec).unwrap();
    let due = cal
        .due(at("2026-03-08T16:00:00+01:00"), hours(2.0))
        .unwrap();
    assert_eq!(due.due, at("2026-03-11T10:00:00+01:00"));
    assert_eq!(
        cal.due(at("2026-03-08T16:00:00+01:00"), days(1.0))
            .unwrap()
            .due,
        at("2026-03-11T17:00:00+01:00")
    );
}

#[test]
fn an_end_of_24_00_is_midnight_at_the_start_of_the_next_date() {
    let spec = CalendarSpec::new(
        "UTC",
        week(&[
            &[],
            &[],
            &[],
            &[("00:00", "24:00")],
            &[("00:00", "08:00")],
            &[],
            &[],
        ]),
        vec![],
    )
    .unwrap();
    let cal = CompiledCalendar::compile(&spec).unwrap();
    assert_eq!(
        cal.due(at("2026-03-05T23:00:00Z"), hours(2.0)).unwrap().due,
        at("2026-03-06T01:00:00Z")
    );
    assert_eq!(
        cal.due(at("2026-03-05T10:00:00Z"), days(0.0)).unwrap().due,
        at("2026-03-06T00:00:00Z")
    );
    assert_eq!(
        cal.due(at("2026-03-05T10:00:00Z"), days(1.0)).unwrap().due,
        at("2026-03-06T08:00:00Z")
    );
}

#[test]
fn on_a_dst_change_a_range_loses_the_skipped_hour_or_gains_the_repeated_one() {
    let sunday_night: &[(&str, &str)] = &[("01:00", "04:00")];
    let spec = CalendarSpec::new(
        "Europe/Berlin",
        week(&[&[], &[], &[], &[], &[], &[], sunday_night]),
        vec![],
    )
    .unwrap();
    let cal = CompiledCalendar::compile(&spec).unwrap();
    let spring = cal.working_seconds(
        at("2026-03-29T00:00:00+01:00"),
        at("2026-03-30T00:00:00+02:00"),
    );
    assert_eq!(spring.unwrap(), 2 * 3600);
    let fall = cal.working_seconds(
        at("2026-10-25T00:00:00+02:00"),
        at("2026-10-26T00:00:00+01:00"),
    );
    assert_eq!(fall.unwrap(), 4 * 3600);
}

#[test]
fn a_boundary_that_does_not_exist_moves_to_the_first_instant_after_the_gap() {
    let spec = CalendarSpec::new(
        "Europe/Berlin",
        week(&[&[], &[], &[], &[], &[], &[], &[("02:30", "05:00")]]),
        vec![],
    )
    .unwrap();
    let cal = CompiledCalendar::compile(&spec).unwrap();
    assert_eq!(
        cal.clock_start(at("2026-03-29T00:00:00+01:00")).unwrap(),
        at("2026-03-29T03:00:00+02:00")
    );
}

#[test]
fn a_boundary_inside_a_repeated_hour_takes_its_first_occurrence() {
    let spec = CalendarSpec::new(
        "America/New_York",
        week(&[&[], &[], &[], &[], &[], &[], &[("01:30", "03:30")]]),
        vec![],
    )
    .unwrap();
    let cal = CompiledCalendar::compile(&spec).unwrap();
    let due = cal
        .due(at("2026-11-01T00:00:00-04:00"), hours(3.0))
        .unwrap();
    assert_eq!(due.clock_start, at("2026-11-01T01:30:00-04:00"));
    assert_eq!(due.due, at("2026-11-01T03:30:00-05:00"));
}

#[test]
fn calendar_hours_and_days_are_elapsed_time_from_the_ready_time() {
    let cal = office("Europe/Berlin");
    let ready = at("2026-03-28T12:00:00+01:00");
    for turnaround in [
        Turnaround::new(24.0, CalendarHours).unwrap(),
        Turnaround::new(1.0, CalendarDays).unwrap(),
    ] {
        let due = cal.due(ready, turnaround).unwrap();
        assert_eq!(due.clock_start, ready);
        assert_eq!(due.due, at("2026-03-29T13:00:00+02:00"));
    }
}

#[test]
fn decimal_hours_are_minutes_and_seconds_carry_through() {
    let cal = office("Europe/Berlin");
    assert_eq!(
        cal.due(at("2026-03-06T16:00:00+01:00"), hours(2.25))
            .unwrap()
            .due,
        at("2026-03-09T10:15:00+01:00")
    );
    assert_eq!(
        cal.due(at("2026-03-06T15:00:30+01:00"), hours(10.0))
            .unwrap()
            .due,
        at("2026-03-10T09:00:30+01:00")
    );
    // Sub-second ready times round up to the next whole second.
    let ready = at("2026-03-06T15:00:00.250+01:00");
    assert_eq!(
        cal.clock_start(ready).unwrap(),
        at("2026-03-06T15:00:01+01:00")
    );
}

#[test]
fn a_compiled_calendar_is_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<CompiledCalendar>();
    let cal = Arc::new(office("Asia/Kathmandu"));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let cal = Arc::clone(&cal);
            std::thread::spawn(move || cal.due(at("2026-03-06T03:00:00Z"), hours(1.0)).unwrap().due)
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), at("2026-03-06T10:00:00+05:45"));
    }
}

// ---- pauses ----------------------------------------------------------------

fn pause(from: &str, to: &str) -> Pause {
    Pause {
        from: at(from),
        to: at(to),
    }
}

#[test]
fn a_pause_moves_the_due_later_by_the_working_time_it_covered() {
    let cal = office("Europe/Berlin");
    let due = at("2026-03-09T17:00:00+01:00");
    // Friday 16:00 to Monday 10:00 covers 2 working hours.
    let paused = [pause(
        "2026-03-06T16:00:00+01:00",
        "2026-03-09T10:00:00+01:00",
    )];
    assert_eq!(
        cal.extend_for_pauses(due, BusinessHours, &paused).unwrap(),
        at("2026-03-10T11:00:00+01:00")
    );
    assert_eq!(
        cal.extend_for_pauses(due, BusinessDays, &paused).unwrap(),
        at("2026-03-10T11:00:00+01:00")
    );
}

#[test]
fn a_pause_outside_working_hours_moves_nothing() {
    let cal = office("Europe/Berlin");
    let due = at("2026-03-09T17:00:00+01:00");
    let weekend = [pause(
        "2026-03-07T08:00:00+01:00",
        "2026-03-08T20:00:00+01:00",
    )];
    assert_eq!(
        cal.extend_for_pauses(due, BusinessHours, &weekend).unwrap(),
        due
    );
    assert_eq!(cal.extend_for_pauses(due, BusinessHours, &[]).unwrap(), due);
}

#[test]
fn overlapping_pauses_count_once() {
    let cal = office("Europe/Berlin");
    let due = at("2026-03-09T12:00:00+01:00");
    let overlapping = [
        pause("2026-03-09T09:00:00+01:00", "2026-03-09T10:00:00+01:00"),
        pause("2026-03-09T09:30:00+01:00", "2026-03-09T10:30:00+01:00"),
    ];
    assert_eq!(
        cal.extend_for_pauses(due, BusinessHours, &overlapping)
            .unwrap(),
        at("2026-03-09T13:30:00+01:00")
    );
}

#[test]
fn pauses_of_calendar_units_move_the_due_by_elapsed_time() {
    let cal = office("Europe/Berlin");
    let due = at("2026-03-09T12:00:00+01:00");
    let weekend = [pause(
        "2026-03-07T08:00:00+01:00",
        "2026-03-08T20:00:00+01:00",
    )];
    assert_eq!(
        cal.extend_for_pauses(due, CalendarHours, &weekend).unwrap(),
        at("2026-03-11T00:00:00+01:00")
    );
}

#[test]
fn a_pause_that_ends_before_it_starts_is_an_error() {
    let cal = office("Europe/Berlin");
    let inverted = [pause(
        "2026-03-09T10:00:00+01:00",
        "2026-03-09T09:00:00+01:00",
    )];
    assert!(matches!(
        cal.extend_for_pauses(at("2026-03-09T12:00:00+01:00"), BusinessHours, &inverted),
        Err(TimeError::InvertedInterval { .. })
    ));
}

// ---- lateness ----------------------------------------------------------------

#[test]
fn delivered_at_due_is_on_time_and_not_early() {
    let due = at("2026-03-09T17:00:00+01:00");
    let l = office("Europe/Berlin").lateness(due, due).unwrap();
    assert_eq!(
        (l.minutes, l.on_time, l.early, l.late()),
        (0, true, false, false)
    );
}

#[test]
fn delivered_before_due_is_early_by_negative_working_minutes() {
    let l = office("Europe/Berlin")
        .lateness(
            at("2026-03-09T10:00:00+01:00"),
            at("2026-03-06T16:00:00+01:00"),
        )
        .unwrap();
    assert_eq!((l.minutes, l.on_time, l.early), (-120, true, true));
}

#[test]
fn a_delivery_after_due_but_outside_working_hours_is_late_with_0_lateness_minutes() {
    let l = office("Europe/Berlin")
        .lateness(
            at("2026-03-06T17:00:00+01:00"),
            at("2026-03-07T11:00:00+01:00"),
        )
        .unwrap();
    assert_eq!(
        (l.minutes, l.on_time, l.early, l.late()),
        (0, false, false, true)
    );
}

#[test]
fn lateness_minutes_truncate_toward_zero() {
    let cal = office("Europe/Berlin");
    let due = at("2026-03-09T12:00:00+01:00");
    let early = cal.lateness(due, at("2026-03-09T11:59:30+01:00")).unwrap();
    assert_eq!(
        (early.minutes, early.on_time, early.early),
        (0, true, false)
    );
    let late = cal.lateness(due, at("2026-03-09T12:01:30+01:00")).unwrap();
    assert_eq!((late.minutes, late.on_time), (1, false));
    let very_early = cal.lateness(due, at("2026-03-09T11:58:30+01:00")).unwrap();
    assert_eq!((very_early.minutes, very_early.early), (-1, true));
}
