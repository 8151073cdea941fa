//! Algebraic properties of the engine over random calendars and instants
//! anywhere in the supported years, with amounts up to years of work: no
//! reference needed, so the horizons can be long.

use crate::time_common::{Plain, ZONES, calendar_in, utc, utc_date};
use baton::time::{CompiledCalendar, TimeError};
use chrono::{DateTime, Utc};
use proptest::prelude::*;

fn add(cal: &CompiledCalendar, t: i64, s: i64) -> i64 {
    cal.add_working(utc(t), s).unwrap().timestamp()
}

fn ws(cal: &CompiledCalendar, a: i64, b: i64) -> i64 {
    cal.working_seconds(utc(a), utc(b)).unwrap()
}

/// A calendar, three instants in 1991–2139 (with seconds), and two amounts
/// of up to five nominal years of its work.
fn scenario() -> impl Strategy<Value = (Plain, [i64; 3], u64, u64)> {
    let from = utc_date(1991, 1, 1);
    let to = utc_date(2140, 1, 1);
    (prop::sample::select(ZONES.to_vec()), from..to).prop_flat_map(move |(zone, base)| {
        let day = utc(base).date_naive();
        let near = base - 30 * 86_400..base + 30 * 86_400;
        (
            calendar_in(zone, day),
            [near.clone(), near.clone(), near],
            any::<u64>(),
            any::<u64>(),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn algebra_of_adding_and_measuring((plain, [t1, t2, t3], seed_a, seed_b) in scenario()) {
        let cal = plain.compile();
        let years = i64::from(plain.spec().weekly_minutes()) * 60 * 52 * 5;
        let a = (seed_a % (years as u64 + 1)) as i64;
        // Sometimes short, so the two-step sum also lands inside one range.
        let b = if seed_b % 3 == 0 { (seed_b % 7200) as i64 } else { (seed_b % (years as u64 + 1)) as i64 };

        // Measuring what was added gives it back.
        let due = add(&cal, t1, a);
        prop_assert_eq!(ws(&cal, t1, due), a);
        prop_assert!(due >= t1);
        // The due is the earliest instant with that much work done: one
        // second earlier, one second of work is still missing.
        if a > 0 {
            prop_assert_eq!(ws(&cal, t1, due - 1), a - 1);
        } else {
            prop_assert_eq!(due, t1);
        }

        // Adding a + b equals adding a, then b from there.
        prop_assert_eq!(add(&cal, t1, a + b), add(&cal, due, b));

        // Monotone in the start.
        let (lo, hi) = (t1.min(t2), t1.max(t2));
        prop_assert!(add(&cal, lo, a) <= add(&cal, hi, a));
        prop_assert!(cal.clock_start(utc(lo)).unwrap() <= cal.clock_start(utc(hi)).unwrap());
        for days in [0u32, 1, 7] {
            prop_assert!(cal.business_days_after(utc(lo), days).unwrap() <= cal.business_days_after(utc(hi), days).unwrap());
        }

        // Additive over any split point, in any order (signed).
        prop_assert_eq!(ws(&cal, t1, t2) + ws(&cal, t2, t3), ws(&cal, t1, t3));
        prop_assert_eq!(ws(&cal, t1, t2), -ws(&cal, t2, t1));
        prop_assert!(ws(&cal, lo, hi) >= 0);
        prop_assert!(ws(&cal, lo, hi) <= hi - lo);

        // The clock start is a working instant, reached with no work done.
        let start = cal.clock_start(utc(t1)).unwrap().timestamp();
        prop_assert!(start >= t1);
        prop_assert_eq!(ws(&cal, t1, start), 0);
        prop_assert_eq!(ws(&cal, start, start + 1), 1);

        // Business days: each close ends working time, and the n-th comes
        // strictly after the (n-1)-th, after the clock start.
        let mut previous = start;
        for days in 0u32..4 {
            let close = cal.business_days_after(utc(t1), days).unwrap().timestamp();
            prop_assert!(close > previous);
            prop_assert_eq!(ws(&cal, close - 1, close), 1);
            previous = close;
        }
    }
}

fn office() -> CompiledCalendar {
    let spec = baton::time::CalendarSpec::default_office("Europe/Berlin").unwrap();
    CompiledCalendar::compile(&spec).unwrap()
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn a_due_twenty_years_ahead_is_exact() {
    let cal = office();
    let ready = at("2026-03-06T15:00:00+01:00");
    // 20 years of 8-hour weekdays, give or take: measure it back exactly.
    let seconds = 20 * 52 * 5 * 8 * 3600;
    let due = cal.add_working(ready, seconds).unwrap();
    assert_eq!(cal.working_seconds(ready, due).unwrap(), seconds);
    assert!(
        due > at("2046-01-01T00:00:00Z") && due < at("2046-12-31T00:00:00Z"),
        "{due}"
    );
}

#[test]
fn instants_outside_the_supported_dates_are_errors_not_panics() {
    let cal = office();
    for outside in [
        at("1989-12-31T12:00:00Z"),
        at("2151-01-01T12:00:00Z"),
        DateTime::<Utc>::MIN_UTC,
        DateTime::<Utc>::MAX_UTC,
    ] {
        assert!(matches!(
            cal.clock_start(outside),
            Err(TimeError::OutOfRange { .. })
        ));
        assert!(matches!(
            cal.add_working(outside, 60),
            Err(TimeError::OutOfRange { .. })
        ));
        assert!(matches!(
            cal.working_seconds(outside, at("2026-01-01T00:00:00Z")),
            Err(TimeError::OutOfRange { .. })
        ));
        assert!(matches!(
            cal.business_days_after(outside, 1),
            Err(TimeError::OutOfRange { .. })
        ));
        assert!(cal.lateness(outside, at("2026-01-01T00:00:00Z")).is_err());
    }
    // The edges themselves are inside.
    let (first, last) = cal.supported_range().unwrap();
    assert_eq!(first, at("1990-01-01T00:00:00+01:00"));
    assert_eq!(last, at("2151-01-01T00:00:00+01:00"));
    assert!(cal.working_seconds(first, last).unwrap() > 0);
}

#[test]
fn results_past_the_last_supported_date_are_errors() {
    let cal = office();
    let late = at("2150-12-30T10:00:00Z");
    assert_eq!(
        cal.add_working(late, 400 * 3600),
        Err(TimeError::ResultOutOfRange)
    );
    assert_eq!(
        cal.add_working(late, i64::MAX),
        Err(TimeError::ResultOutOfRange)
    );
    assert_eq!(
        cal.business_days_after(late, 30),
        Err(TimeError::ResultOutOfRange)
    );
    // After the last working instant there is no clock start.
    assert_eq!(
        cal.clock_start(at("2150-12-31T20:00:00Z")),
        Err(TimeError::ResultOutOfRange)
    );
    assert_eq!(
        cal.add_working(at("2026-01-01T00:00:00Z"), -1),
        Err(TimeError::NegativeAmount { seconds: -1 })
    );
}

#[test]
fn every_supported_date_compiles_for_every_test_zone() {
    for zone in ZONES {
        let spec = baton::time::CalendarSpec::default_office(zone).unwrap();
        let cal = CompiledCalendar::compile(&spec).unwrap();
        // Roughly 261 working days a year over 161 years.
        let days = cal.working_day_count();
        assert!((41_900..=42_100).contains(&days), "{zone}: {days}");
    }
}
