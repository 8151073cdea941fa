//! Test helpers: a deliberately simple reference implementation of SPEC §2
//! and proptest strategies for random calendars.
//!
//! The reference shares nothing with the engine's compiled form: it converts
//! each date's range boundaries with chrono-tz directly (resolving gaps by
//! stepping the wall clock a minute at a time), decides "is this instant
//! working?" by looking at the ranges of the dates around its local date, and
//! walks time minute by minute, counting. Range boundaries and DST
//! transitions fall on whole UTC minutes (every zone's offset is a whole
//! number of minutes), so an instant inside a minute is working exactly when
//! that minute's start is; the walk handles a partial first minute the same
//! way.

#![allow(dead_code)] // each test binary uses a different subset

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use baton::time::{CalendarSpec, CompiledCalendar};
use chrono::{DateTime, Datelike, LocalResult, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

/// A calendar as plain data: zone name, ranges in minutes Monday..Sunday,
/// holidays.
#[derive(Debug, Clone)]
pub struct Plain {
    pub zone: &'static str,
    pub weekly: [Vec<(u32, u32)>; 7],
    pub holidays: Vec<NaiveDate>,
}

fn hhmm(m: u32) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

impl Plain {
    pub fn spec(&self) -> CalendarSpec {
        let weekly = self.weekly.clone().map(|day| {
            day.into_iter()
                .map(|(s, e)| (hhmm(s), hhmm(e)))
                .collect::<Vec<_>>()
        });
        CalendarSpec::new(self.zone, weekly, self.holidays.clone())
            .expect("generated calendars are valid")
    }

    pub fn compile(&self) -> CompiledCalendar {
        CompiledCalendar::compile(&self.spec()).expect("generated calendars compile")
    }

    pub fn reference(&self) -> Reference {
        Reference {
            tz: self.zone.parse().unwrap(),
            weekly: self.weekly.clone(),
            holidays: self.holidays.iter().copied().collect(),
            cache: RefCell::new(HashMap::new()),
        }
    }
}

pub struct Reference {
    tz: Tz,
    weekly: [Vec<(u32, u32)>; 7],
    holidays: HashSet<NaiveDate>,
    cache: RefCell<HashMap<NaiveDate, Vec<(i64, i64)>>>,
}

/// Upper bound on every walk: 150 days of minutes.
const LIMIT_MINUTES: i64 = 150 * 24 * 60;

impl Reference {
    /// The instant of wall time `minute` minutes after midnight starting
    /// `date` (1440 = midnight starting the next date): the only occurrence,
    /// the first of two, or, when skipped, the first wall minute after the gap.
    pub fn wall_instant(&self, date: NaiveDate, minute: u32) -> i64 {
        let mut naive =
            date.and_hms_opt(0, 0, 0).unwrap() + chrono::Duration::minutes(minute.into());
        for _ in 0..24 * 60 {
            match self.tz.from_local_datetime(&naive) {
                LocalResult::Single(t) => return t.timestamp(),
                LocalResult::Ambiguous(a, b) => return a.timestamp().min(b.timestamp()),
                LocalResult::None => naive += chrono::Duration::minutes(1),
            }
        }
        panic!("no valid wall time within a day of {date} +{minute} min");
    }

    /// The non-empty working ranges of a local date, as instants.
    pub fn ranges(&self, date: NaiveDate) -> Vec<(i64, i64)> {
        self.ensure(date);
        self.cache.borrow()[&date].clone()
    }

    fn ensure(&self, date: NaiveDate) {
        if self.cache.borrow().contains_key(&date) {
            return;
        }
        let mut out = Vec::new();
        if !self.holidays.contains(&date) {
            for &(s, e) in &self.weekly[date.weekday().num_days_from_monday() as usize] {
                let (s, e) = (self.wall_instant(date, s), self.wall_instant(date, e));
                assert!(s % 60 == 0 && e % 60 == 0, "boundaries on whole minutes");
                if e > s {
                    out.push((s, e));
                }
            }
        }
        self.cache.borrow_mut().insert(date, out);
    }

    pub fn local_date(&self, t: i64) -> NaiveDate {
        self.tz.timestamp_opt(t, 0).unwrap().date_naive()
    }

    pub fn is_working(&self, t: i64) -> bool {
        let d = self.local_date(t);
        [d.pred_opt().unwrap(), d, d.succ_opt().unwrap()]
            .into_iter()
            .any(|day| {
                self.ensure(day);
                self.cache.borrow()[&day]
                    .iter()
                    .any(|&(s, e)| s <= t && t < e)
            })
    }

    fn next_minute(t: i64) -> i64 {
        (t.div_euclid(60) + 1) * 60
    }

    pub fn clock_start(&self, ready: i64) -> i64 {
        if self.is_working(ready) {
            return ready;
        }
        let mut t = Self::next_minute(ready);
        for _ in 0..LIMIT_MINUTES {
            if self.is_working(t) {
                return t;
            }
            t += 60;
        }
        panic!("reference: no working time within the walk limit after {ready}");
    }

    /// The instant at which `seconds` of working time after `start` elapsed.
    pub fn add(&self, start: i64, seconds: i64) -> i64 {
        if seconds == 0 {
            return start;
        }
        let (mut t, mut left) = (start, seconds);
        for _ in 0..LIMIT_MINUTES {
            let next = Self::next_minute(t);
            if self.is_working(t) {
                if next - t >= left {
                    return t + left;
                }
                left -= next - t;
            }
            t = next;
        }
        panic!("reference: walk limit reached adding {seconds} s to {start}");
    }

    /// Working seconds in `[from, to)`, `from <= to`.
    pub fn working_seconds(&self, from: i64, to: i64) -> i64 {
        assert!(from <= to);
        let (mut t, mut total) = (from, 0);
        while t < to {
            let next = Self::next_minute(t).min(to);
            if self.is_working(t) {
                total += next - t;
            }
            t = next;
        }
        total
    }

    /// End of the last range of the n-th working day after the local date
    /// of the clock start.
    pub fn business_days(&self, ready: i64, n: u32) -> i64 {
        let start = self.clock_start(ready);
        let mut day = self.local_date(start);
        let mut seen = 0;
        for _ in 0..2000 {
            if let Some(&(_, close)) = self.ranges(day).last() {
                if seen == n {
                    return close;
                }
                seen += 1;
            }
            day = day.succ_opt().unwrap();
        }
        panic!("reference: too few working days");
    }
}

pub fn utc(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap()
}

pub const ZONES: [&str; 5] = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
];

/// UTC instants at which `zone` changes its offset in 2024–2027, found with
/// chrono-tz by hourly scan and bisection to the second.
pub fn transitions(zone: &str) -> &'static [i64] {
    static ALL: OnceLock<HashMap<&'static str, Vec<i64>>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        ZONES
            .iter()
            .map(|&z| {
                let tz: Tz = z.parse().unwrap();
                let off = |t: i64| {
                    tz.offset_from_utc_datetime(&utc(t).naive_utc())
                        .fix()
                        .local_minus_utc()
                };
                let from = utc_date(2024, 1, 1);
                let to = utc_date(2028, 1, 1);
                let mut found = Vec::new();
                let mut t = from;
                while t < to {
                    if off(t) != off(t + 3600) {
                        let (mut lo, mut hi) = (t, t + 3600);
                        while hi - lo > 1 {
                            let mid = (lo + hi) / 2;
                            if off(mid) == off(lo) {
                                lo = mid
                            } else {
                                hi = mid
                            }
                        }
                        found.push(hi);
                    }
                    t += 3600;
                }
                (z, found)
            })
            .collect()
    });
    &all[zone]
}

pub fn utc_date(y: i32, m: u32, d: u32) -> i64 {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp()
}

/// Minutes of the day a boundary may take: a 10-minute grid plus the
/// wall times where DST changes happen in the test zones.
fn boundary() -> impl Strategy<Value = u32> {
    prop_oneof![
        4 => (0u32..=144).prop_map(|x| x * 10),
        1 => Just(0u32),
        1 => Just(1440u32),
        3 => prop::sample::select(vec![60u32, 90, 120, 125, 130, 150, 165, 180, 210, 240]),
    ]
}

/// One weekday: closed, whole day, a few separate ranges, or touching ranges.
fn day_ranges() -> impl Strategy<Value = Vec<(u32, u32)>> {
    prop_oneof![
        2 => Just(vec![]),
        1 => Just(vec![(0, 1440)]),
        5 => prop::collection::vec(boundary(), 2..=6).prop_map(|mut v| {
            v.sort_unstable();
            v.dedup();
            v.chunks_exact(2).map(|c| (c[0], c[1])).collect()
        }),
        1 => prop::collection::vec(boundary(), 3).prop_map(|mut v| {
            v.sort_unstable();
            v.dedup();
            v.windows(2).map(|w| (w[0], w[1])).collect()
        }),
    ]
}

/// A random calendar in `zone` whose holidays (runs of 1–9 days) lie around
/// `anchor_day`.
pub fn calendar_in(zone: &'static str, anchor_day: NaiveDate) -> impl Strategy<Value = Plain> {
    (
        prop::array::uniform7(day_ranges()),
        prop::collection::vec((-5i64..40, 1i64..10), 0..4),
    )
        .prop_filter("some working time in the week", |(weekly, _)| {
            weekly.iter().any(|d| !d.is_empty())
        })
        .prop_map(move |(weekly, runs)| {
            let mut holidays = Vec::new();
            for (offset, len) in runs {
                for k in 0..len {
                    holidays.push(anchor_day + chrono::Duration::days(offset + k));
                }
            }
            Plain {
                zone,
                weekly,
                holidays,
            }
        })
}

/// An instant to start from in `zone`: near one of its 2024–2027 offset
/// changes when it has any (and `near_change`), else anywhere in 2024–2027.
pub fn anchor(zone: &str, pick: prop::sample::Index, near_change: bool) -> i64 {
    let changes = transitions(zone);
    if near_change && !changes.is_empty() {
        changes[pick.index(changes.len())]
    } else {
        utc_date(2024, 1, 1) + pick.index(4 * 365 * 86_400) as i64
    }
}
