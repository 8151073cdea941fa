//! The engine against the minute-stepping reference of `tests/api/time_common`, over
//! random calendars (split days, closed days, `24:00` ends, `00:00` starts,
//! touching ranges, holiday runs) in zones with ordinary, half-hour and no
//! DST and an odd offset, from instants in and around every offset change of
//! 2024–2027.

use crate::time_common;

use crate::time_common::{Plain, ZONES, anchor, calendar_in, utc};
use baton::time::{Turnaround, TurnaroundUnit};
use proptest::prelude::*;

/// One random scenario: a calendar, the instant it is anchored at, and
/// three (start offset, amount seed, business days) probes.
fn scenario() -> impl Strategy<Value = (Plain, i64, Vec<(i64, u32, u32)>)> {
    (
        prop::sample::select(ZONES.to_vec()),
        any::<prop::sample::Index>(),
        prop::bool::weighted(0.7),
    )
        .prop_flat_map(|(zone, pick, near_change)| {
            let at = anchor(zone, pick, near_change);
            let day = utc(at).date_naive();
            let probe = (
                -2 * 86_400i64..2 * 86_400,
                any::<bool>(),
                0u32..100_000,
                0u32..=3,
            )
                // Half the probes on whole minutes, half with seconds.
                .prop_map(|(off, whole, amount, days)| {
                    (
                        if whole { off - off.rem_euclid(60) } else { off },
                        amount,
                        days,
                    )
                });
            (
                calendar_in(zone, day),
                Just(at),
                prop::collection::vec(probe, 3),
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn engine_agrees_with_minute_stepping_reference((plain, at, probes) in scenario()) {
        let cal = plain.compile();
        let reference = plain.reference();
        // Amounts up to one nominal week of work (at most 50 h) keep the
        // reference walk short.
        let week = plain.spec().weekly_minutes().min(3000);
        for &(offset, seed, days) in &probes {
            let ready = at + offset;
            let minutes = seed % (week + 1);

            let start = reference.clock_start(ready);
            prop_assert_eq!(cal.clock_start(utc(ready)).unwrap(), utc(start), "clock start from {}", ready);

            let due = cal.due(utc(ready), Turnaround::business_minutes(minutes).unwrap()).unwrap();
            prop_assert_eq!(due.clock_start, utc(start));
            prop_assert_eq!(due.due, utc(reference.add(start, i64::from(minutes) * 60)),
                "{} business minutes from {}", minutes, ready);

            // Adding from a non-working instant as well.
            prop_assert_eq!(
                cal.add_working(utc(ready), i64::from(minutes) * 60).unwrap(),
                utc(reference.add(ready, i64::from(minutes) * 60)),
                "add_working {} min from {}", minutes, ready
            );

            let turnaround = Turnaround::from_quantity(TurnaroundUnit::BusinessDays, days.into()).unwrap();
            prop_assert_eq!(
                cal.due(utc(ready), turnaround).unwrap().due,
                utc(reference.business_days(ready, days)),
                "{} business days from {}", days, ready
            );
        }
        // Working time between every pair of probe instants, both ways.
        for a in &probes {
            for b in &probes {
                let (from, to) = (at + a.0, at + b.0);
                let want = if from <= to {
                    reference.working_seconds(from, to)
                } else {
                    -reference.working_seconds(to, from)
                };
                prop_assert_eq!(cal.working_seconds(utc(from), utc(to)).unwrap(), want);
            }
        }
    }
}

/// A calendar whose ranges start, end and sit inside the hours where the
/// test zones change their clocks, every day of the week.
/// Each comes with amounts (minutes) that stay within about a day of work.
fn dst_sensitive(zone: &'static str) -> Vec<(Plain, Vec<i64>)> {
    let every = |r: Vec<(u32, u32)>| std::array::from_fn(|_| r.clone());
    vec![
        (
            Plain {
                zone,
                weekly: every(vec![(0, 90), (120, 130), (150, 210), (240, 1440)]),
                holidays: vec![],
            },
            vec![1, 30, 95, 240],
        ),
        (
            Plain {
                zone,
                weekly: every(vec![(90, 150), (165, 180), (180, 240)]),
                holidays: vec![],
            },
            vec![1, 30, 95, 150],
        ),
        (
            Plain {
                zone,
                weekly: every(vec![(125, 135)]),
                holidays: vec![],
            },
            vec![1, 5, 10],
        ),
    ]
}

#[test]
fn every_offset_change_of_2024_to_2027_matches_the_reference() {
    for zone in ZONES {
        for (plain, amounts) in dst_sensitive(zone) {
            let cal = plain.compile();
            let reference = plain.reference();
            for &change in time_common::transitions(zone) {
                // Every 10 minutes from 3 h before to 3 h after, every
                // other one with seconds.
                for step in -18i64..=18 {
                    let ready = change + step * 600 + if step % 2 == 0 { 0 } else { 17 };
                    let start = reference.clock_start(ready);
                    assert_eq!(
                        cal.clock_start(utc(ready)).unwrap(),
                        utc(start),
                        "{zone} {ready}"
                    );
                    for &minutes in &amounts {
                        assert_eq!(
                            cal.add_working(utc(ready), minutes * 60).unwrap(),
                            utc(reference.add(ready, minutes * 60)),
                            "{zone}: {minutes} min from {ready}"
                        );
                    }
                    for days in [0u32, 1] {
                        assert_eq!(
                            cal.business_days_after(utc(ready), days).unwrap(),
                            utc(reference.business_days(ready, days)),
                            "{zone}: {days} days from {ready}"
                        );
                    }
                    let from = change - 4 * 3600;
                    assert_eq!(
                        cal.working_seconds(utc(from), utc(ready)).unwrap(),
                        reference.working_seconds(from, ready),
                        "{zone}: working time to {ready}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_sweep_really_crosses_offset_changes() {
    // Guard against a silently empty transition list making the sweep vacuous.
    assert_eq!(time_common::transitions("Europe/Berlin").len(), 8);
    assert_eq!(time_common::transitions("America/New_York").len(), 8);
    assert_eq!(time_common::transitions("Australia/Lord_Howe").len(), 8);
    assert!(time_common::transitions("Asia/Kathmandu").is_empty());
}
