//! The `time` benchmark of SPEC appendix B: due-date computations per second
//! on one core, on a calendar with split days and 100 holidays a year. The
//! `baton bench time` command prints what [`due_dates_per_second`] returns.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};

use baton::time::{
    CalendarErrors, CalendarSpec, CompiledCalendar, FIRST_DATE, LAST_DATE, Turnaround,
    TurnaroundUnit,
};

/// Small deterministic generator, so every run measures the same work.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The benchmark calendar: Europe/Berlin, Monday–Friday 09:00–12:30 and
/// 13:30–17:00, 100 holidays (weekdays, chosen at random) in every supported
/// year.
pub fn bench_calendar() -> Result<CalendarSpec, CalendarErrors> {
    let split = || vec![("09:00", "12:30"), ("13:30", "17:00")];
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut holidays = Vec::new();
    for year in FIRST_DATE.year()..=LAST_DATE.year() {
        let mut weekdays: Vec<NaiveDate> = NaiveDate::from_ymd_opt(year, 1, 1)
            .into_iter()
            .flat_map(|d| d.iter_days())
            .take_while(|d| d.year() == year)
            .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
            .collect();
        // Partial Fisher–Yates: the first 100 entries become the holidays.
        for i in 0..100.min(weekdays.len()) {
            let j = i + rng.below((weekdays.len() - i) as u64) as usize;
            weekdays.swap(i, j);
        }
        weekdays.truncate(100);
        holidays.extend(weekdays);
    }
    CalendarSpec::new(
        "Europe/Berlin",
        [split(), split(), split(), split(), split(), vec![], vec![]],
        holidays,
    )
}

/// Ready instants spread over 1995–2145 (to the second), 3 in 4 with
/// `business_hours` of 0–1,000 hours in whole minutes, 1 in 4 with 0–60
/// `business_days`.
fn inputs(count: usize) -> Vec<(DateTime<Utc>, Turnaround)> {
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    let from = NaiveDate::from_ymd_opt(1995, 1, 1)
        .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp())
        .unwrap_or(0);
    let span = 150 * 365 * 86_400;
    (0..count)
        .filter_map(|_| {
            let ready = DateTime::from_timestamp(from + rng.below(span) as i64, 0)?;
            let turnaround = if rng.below(4) == 0 {
                Turnaround::from_quantity(TurnaroundUnit::BusinessDays, rng.below(61) as i64)
            } else {
                Turnaround::business_minutes(rng.below(60_001) as u32)
            };
            Some((ready, turnaround.ok()?))
        })
        .collect()
}

/// Due dates computed per second on this thread, for about 2 s (0.2 s when
/// `quick`), by [`CompiledCalendar::due`] on [`bench_calendar`].
pub fn due_dates_per_second(quick: bool) -> f64 {
    // The calendar is a valid literal; 0.0 would show up in the report
    // rather than crash the bench command if that ever changed.
    let Ok(calendar) = bench_calendar().and_then(|s| CompiledCalendar::compile(&s)) else {
        return 0.0;
    };
    let inputs = inputs(4096);
    let budget = Duration::from_millis(if quick { 200 } else { 2000 });

    let mut sink = 0i64;
    let run_once = |sink: &mut i64| {
        for &(ready, turnaround) in &inputs {
            match calendar.due(black_box(ready), black_box(turnaround)) {
                Ok(due) => *sink ^= due.due.timestamp(),
                Err(_) => *sink += 1,
            }
        }
    };
    run_once(&mut sink); // warm caches and branch predictors

    let started = Instant::now();
    let mut done = 0usize;
    loop {
        run_once(&mut sink);
        done += inputs.len();
        if started.elapsed() >= budget {
            break;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    black_box(sink);
    done as f64 / seconds
}

/// Milliseconds to compile [`bench_calendar`] (best of `runs`) and the heap
/// bytes of the compiled form.
pub fn compile_figures(runs: usize) -> (f64, usize) {
    let Ok(spec) = bench_calendar() else {
        return (f64::NAN, 0);
    };
    let mut best = f64::INFINITY;
    let mut bytes = 0;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let compiled = CompiledCalendar::compile(black_box(&spec));
        best = best.min(started.elapsed().as_secs_f64() * 1e3);
        if let Ok(c) = compiled {
            bytes = c.heap_bytes();
        }
    }
    (best, bytes)
}
