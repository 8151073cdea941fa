//! The synthetic organisations the projection benchmarks run on, seeded so
//! that every run sees the same data.
//!
//! The whole organisation of [`synthetic_org`]:
//! - four calendars: 24×7 UTC; Mon–Fri 09:00–17:00 Berlin with ten holidays
//!   a year; a split day 08:00–12:00 + 13:00–17:00 in New York with
//!   holidays; Sun–Thu 10:00–18:00 in Kathmandu;
//! - requests logged in id order over four years up to `as_of`, each
//!   depending on 2–4 requests among the 2,000 logged just before it (3 on
//!   average), turnarounds 45 % business hours, 25 % business days, 20 %
//!   calendar hours, 10 % calendar days;
//! - requests older than 60 days: 97 % delivered, 3 % cancelled; the last 60
//!   days: half delivered, 5 % cancelled, the rest open (a fifth with a
//!   forecast, a tenth paused);
//! - commitments on 1–3 requests close in time, lead time zero for half of
//!   them, fulfilled when older than 60 days.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use baton::projection::{
    CalendarIdx, CommitmentInput, CommitmentState, DueHint, ProjectionInput, RequestIdx,
    RequestInput, RequestState,
};
use baton::time::{CalendarSpec, CompiledCalendar, Turnaround, TurnaroundUnit};

/// The four calendars: 24×7 UTC, an office day in Berlin, a split day in
/// New York and a Sunday-to-Thursday week in Kathmandu.
pub(super) fn calendars() -> Result<Vec<Arc<CompiledCalendar>>, String> {
    let holidays = |zone_days: &[(u32, u32)]| -> Vec<NaiveDate> {
        (2020..=2032)
            .flat_map(|y| {
                zone_days
                    .iter()
                    .filter_map(move |&(m, d)| NaiveDate::from_ymd_opt(y, m, d))
            })
            .collect()
    };
    let berlin_holidays = holidays(&[
        (1, 1),
        (5, 1),
        (10, 3),
        (12, 24),
        (12, 25),
        (12, 26),
        (12, 31),
        (4, 18),
        (4, 21),
        (6, 9),
    ]);
    let ny_holidays = holidays(&[(1, 1), (7, 4), (11, 26), (12, 25), (5, 27), (9, 2)]);
    let full = || vec![("00:00", "24:00")];
    let office = || vec![("09:00", "17:00")];
    let split = || vec![("08:00", "12:00"), ("13:00", "17:00")];
    let kathmandu = || vec![("10:00", "18:00")];
    let none = Vec::new;
    let specs = [
        CalendarSpec::new(
            "UTC",
            [full(), full(), full(), full(), full(), full(), full()],
            vec![],
        ),
        CalendarSpec::new(
            "Europe/Berlin",
            [
                office(),
                office(),
                office(),
                office(),
                office(),
                none(),
                none(),
            ],
            berlin_holidays,
        ),
        CalendarSpec::new(
            "America/New_York",
            [split(), split(), split(), split(), split(), none(), none()],
            ny_holidays,
        ),
        CalendarSpec::new(
            "Asia/Kathmandu",
            [
                kathmandu(),
                kathmandu(),
                kathmandu(),
                kathmandu(),
                none(),
                none(),
                kathmandu(),
            ],
            vec![],
        ),
    ];
    specs
        .into_iter()
        .map(|s| {
            let spec = s.map_err(|e| e.to_string())?;
            CompiledCalendar::compile(&spec)
                .map(Arc::new)
                .map_err(|e| e.to_string())
        })
        .collect()
}

/// A turnaround drawn from the mix of units real agreements use.
pub(super) fn random_turnaround(rng: &mut ChaCha8Rng) -> Result<Turnaround, String> {
    let pick: u32 = rng.random_range(0..100);
    let (unit, quantity) = if pick < 45 {
        (
            TurnaroundUnit::BusinessHours,
            rng.random_range(1..=40) * 60 + rng.random_range(0..4) * 15,
        )
    } else if pick < 70 {
        (TurnaroundUnit::BusinessDays, rng.random_range(0..=5))
    } else if pick < 90 {
        (TurnaroundUnit::CalendarHours, rng.random_range(1..=72) * 60)
    } else {
        (TurnaroundUnit::CalendarDays, rng.random_range(1..=7))
    };
    Turnaround::from_quantity(unit, quantity).map_err(|e| e.to_string())
}

/// The instant of whole second `s`.
pub(super) fn at(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(s, 0).unwrap_or_default()
}

/// The `as_of` of every benchmark: a Wednesday morning.
pub(super) fn bench_as_of() -> i64 {
    Utc.with_ymd_and_hms(2026, 3, 4, 9, 30, 0)
        .single()
        .map_or(0, |t| t.timestamp())
}

/// A synthetic organisation of `n` requests and `m` commitments, with the
/// due computed when each request was logged as its hint.
pub(super) fn synthetic_org(n: usize, m: usize, seed: u64) -> Result<ProjectionInput, String> {
    let calendars = calendars()?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let as_of = bench_as_of();
    let span: i64 = 4 * 365 * 86_400;
    let start = as_of - span;
    let recent = as_of - 60 * 86_400;
    let step = (span / n.max(1) as i64).max(1);
    let mut requests = Vec::with_capacity(n);
    for i in 0..n {
        let requested = start + i as i64 * step + rng.random_range(0..step);
        let k: usize = rng.random_range(2..=4).min(i);
        let lo = i.saturating_sub(2000);
        let mut deps: Vec<RequestIdx> = Vec::with_capacity(k);
        while deps.len() < k {
            let d = RequestIdx(rng.random_range(lo..i) as u32);
            if !deps.contains(&d) {
                deps.push(d);
            }
        }
        let calendar = rng.random_range(0..calendars.len());
        let turnaround = random_turnaround(&mut rng)?;
        let requested_at = at(requested);
        let due = calendars[calendar]
            .due(requested_at, turnaround)
            .map_err(|e| e.to_string())?
            .due;
        let roll: u32 = rng.random_range(0..100);
        let deliver_at = || {
            let nominal = (due.timestamp() - requested).max(3600);
            requested + nominal / 2 + (nominal as f64 * 1.2 * (i as f64 * 0.618).fract()) as i64
        };
        let state = if requested < recent {
            if roll < 97 {
                RequestState::Delivered {
                    at: at(deliver_at().min(as_of)),
                }
            } else {
                RequestState::Cancelled
            }
        } else if roll < 50 {
            RequestState::Delivered {
                at: at(deliver_at().min(as_of)),
            }
        } else if roll < 55 {
            RequestState::Cancelled
        } else if roll < 64 {
            RequestState::Undelivered {
                expected_at: Some(at(as_of + rng.random_range(3600..5 * 86_400))),
            }
        } else {
            RequestState::Undelivered { expected_at: None }
        };
        let paused = matches!(state, RequestState::Undelivered { .. }) && roll.is_multiple_of(10);
        requests.push(RequestInput {
            id: 1_000_000 + i as i64,
            provider_department_id: rng.random_range(1..=40),
            customer_department_id: rng.random_range(1..=40),
            calendar: CalendarIdx(calendar as u32),
            turnaround,
            requested_at,
            state,
            pause_shift_seconds: if paused {
                rng.random_range(1..=16) * 3600
            } else {
                0
            },
            depends_on: deps,
            due_hint: Some(DueHint {
                ready: requested_at,
                due,
            }),
        });
    }
    let mut commitments = Vec::with_capacity(m);
    for j in 0..m {
        let base = if n == 0 {
            break;
        } else {
            rng.random_range(0..n)
        };
        let mut deps = vec![RequestIdx(base as u32)];
        for _ in 0..rng.random_range(0..=2) {
            let d = base.saturating_sub(rng.random_range(0..500));
            deps.push(RequestIdx(d as u32));
        }
        let base_at = requests[base].requested_at.timestamp();
        let promised = base_at + rng.random_range(3 * 86_400..30 * 86_400);
        let lead_roll: u32 = rng.random_range(0..4);
        let lead = match lead_roll {
            0 | 1 => Turnaround::from_quantity(TurnaroundUnit::BusinessHours, 0),
            2 => Turnaround::from_quantity(
                TurnaroundUnit::BusinessHours,
                rng.random_range(1..=16) * 60,
            ),
            _ => Turnaround::from_quantity(TurnaroundUnit::BusinessDays, rng.random_range(1..=3)),
        }
        .map_err(|e| e.to_string())?;
        let state = if base_at < recent {
            CommitmentState::Fulfilled {
                at: at(promised - 86_400 + rng.random_range(0..2 * 86_400)),
            }
        } else {
            CommitmentState::Open
        };
        commitments.push(CommitmentInput {
            id: 5_000_000 + j as i64,
            owner_department_id: rng.random_range(1..=40),
            calendar: CalendarIdx(rng.random_range(0..4)),
            lead_time: lead,
            promised_at: at(promised),
            depends_on: deps,
            state,
        });
    }
    Ok(ProjectionInput {
        calendars,
        requests,
        commitments,
        at_risk_threshold_minutes: 480,
    })
}
