//! Benchmarks of the projection engine (SPEC appendix B, scenarios
//! `propagate` and `forecast`): deterministic synthetic organisations, timed
//! in memory on one thread. Each function returns its figure; `quick` runs a
//! small size in seconds.
//!
//! The synthetic organisation (seeded, so every run sees the same data):
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

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use baton::projection::{
    CalendarIdx, CommitmentIdx, CommitmentInput, CommitmentState, DueHint, Graph, Projection,
    ProjectionError, ProjectionInput, RequestChange, RequestIdx, RequestInput, RequestState,
};
use baton::time::{CalendarSpec, CompiledCalendar, Turnaround, TurnaroundUnit};

/// "No instant" in the bare pass's `i64` seconds, as in the engine.
const NONE: i64 = i64::MIN;

/// Figures of the whole-organisation projection.
#[derive(Debug, Clone, Serialize)]
pub struct WholeOrgFigures {
    /// Requests in the organisation.
    pub requests: usize,
    /// Dependencies between them.
    pub dependencies: usize,
    /// Commitments.
    pub commitments: usize,
    /// Full pass (projected + baseline for every request, figures for every
    /// commitment) with due hints the way the service holds them: each
    /// request's stored `(ready, due)` of the previous projection. This is
    /// the figure of appendix B.
    pub whole_org_seconds: f64,
    /// The bare integer forward pass over arrays laid out as the engine's.
    pub bare_pass_seconds: f64,
    /// `bare_pass_seconds / whole_org_seconds`.
    pub ratio_to_bare_pass: f64,
    /// The same full pass with no hints at all (every business-unit due
    /// through the calendar; e.g. the very first projection after start).
    pub cold_seconds: f64,
    /// `bare_pass_seconds / cold_seconds`.
    pub cold_ratio_to_bare_pass: f64,
    /// Building the dense graph (validation, adjacency, order), not timed
    /// above.
    pub build_seconds: f64,
}

fn calendars() -> Result<Vec<Arc<CompiledCalendar>>, String> {
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

fn random_turnaround(rng: &mut ChaCha8Rng) -> Result<Turnaround, String> {
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

fn at(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(s, 0).unwrap_or_default()
}

/// The `as_of` of every benchmark: a Wednesday morning.
fn bench_as_of() -> i64 {
    Utc.with_ymd_and_hms(2026, 3, 4, 9, 30, 0)
        .single()
        .map_or(0, |t| t.timestamp())
}

/// A synthetic organisation of `n` requests and `m` commitments, with the
/// due computed when each request was logged as its hint.
pub fn synthetic_org(n: usize, m: usize, seed: u64) -> Result<ProjectionInput, String> {
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

/// What the bare pass reads, laid out as the engine lays out its own graph
/// (flat `u32` adjacency lists, `i64` seconds) and built from the same
/// input. The engine's arrays are its own business: the reference keeps a
/// copy rather than reach into them.
struct Bare {
    /// Non-cancelled requests in index order, which is topological here
    /// (every synthetic request depends on older ones only); the engine
    /// finds the same order.
    order: Vec<u32>,
    /// `requested_at` of each request, in seconds.
    requested: Vec<i64>,
    /// The turnaround of each request as a fixed duration, in seconds.
    durations: Vec<i64>,
    deps: Flat,
    com_deps: Flat,
}

/// Flat adjacency lists: the list of `node` is
/// `items[start[node]..start[node + 1]]`.
struct Flat {
    start: Vec<u32>,
    items: Vec<u32>,
}

impl Flat {
    fn new<'a>(lists: impl ExactSizeIterator<Item = &'a [RequestIdx]>) -> Result<Flat, String> {
        let mut flat = Flat {
            start: Vec::with_capacity(lists.len() + 1),
            items: Vec::new(),
        };
        flat.start.push(0);
        for list in lists {
            flat.items.extend(list.iter().map(|d| d.0));
            let end = u32::try_from(flat.items.len())
                .map_err(|_| "too many dependencies for the bare pass".to_owned())?;
            flat.start.push(end);
        }
        Ok(flat)
    }

    /// The list of `node` (empty for a node that has none).
    #[inline]
    fn get(&self, node: usize) -> &[u32] {
        match (self.start.get(node), self.start.get(node + 1)) {
            (Some(&start), Some(&end)) => {
                self.items.get(start as usize..end as usize).unwrap_or(&[])
            }
            _ => &[],
        }
    }

    fn nodes(&self) -> usize {
        self.start.len().saturating_sub(1)
    }
}

impl Bare {
    fn new(input: &ProjectionInput) -> Result<Bare, String> {
        let mut order = Vec::with_capacity(input.requests.len());
        for (r, request) in input.requests.iter().enumerate() {
            if request.depends_on.iter().any(|d| d.0 as usize >= r) {
                return Err(format!(
                    "request {r} depends on a later one: index order is not topological"
                ));
            }
            if request.state != RequestState::Cancelled {
                order.push(r as u32);
            }
        }
        Ok(Bare {
            order,
            requested: input
                .requests
                .iter()
                .map(|request| request.requested_at.timestamp())
                .collect(),
            durations: input
                .requests
                .iter()
                .map(|request| request.turnaround.quantity() * 60)
                .collect(),
            deps: Flat::new(
                input
                    .requests
                    .iter()
                    .map(|request| request.depends_on.as_slice()),
            )?,
            com_deps: Flat::new(
                input
                    .commitments
                    .iter()
                    .map(|commitment| commitment.depends_on.as_slice()),
            )?,
        })
    }
}

/// The reference of appendix B: a plain integer forward pass over the
/// order and adjacency arrays, `finish = max(dependency finishes,
/// requested) + fixed duration`, then every commitment's latest finish plus
/// a fixed lead.
fn bare_pass(bare: &Bare, fin: &mut [i64], coms: &mut [i64]) {
    for &r in &bare.order {
        let r = r as usize;
        let mut ready = bare.requested[r];
        for &u in bare.deps.get(r) {
            ready = ready.max(fin[u as usize]);
        }
        fin[r] = ready + bare.durations[r];
    }
    for (c, out) in coms.iter_mut().enumerate() {
        let mut latest = NONE;
        for &u in bare.com_deps.get(c) {
            latest = latest.max(fin[u as usize]);
        }
        *out = latest.saturating_add(3600);
    }
}

fn best_of<F: FnMut() -> Result<(), ProjectionError>>(
    runs: usize,
    mut f: F,
) -> Result<f64, String> {
    let mut best = f64::INFINITY;
    for _ in 0..runs {
        let t = Instant::now();
        f().map_err(|e| e.to_string())?;
        best = best.min(t.elapsed().as_secs_f64());
    }
    Ok(best)
}

/// Whole-organisation projection: 1M requests, 3M dependencies, 100k
/// commitments (`quick`: 50k / 150k / 5k).
pub fn whole_org(quick: bool) -> Result<WholeOrgFigures, String> {
    let (n, m) = if quick {
        (50_000, 5_000)
    } else {
        (1_000_000, 100_000)
    };
    let runs = if quick { 3 } else { 5 };
    let input = synthetic_org(n, m, 7)?;
    let bare = Bare::new(&input)?;
    let as_of = at(bench_as_of());
    let mut no_hints = input.clone();
    no_hints.requests.iter_mut().for_each(|r| r.due_hint = None);

    let t = Instant::now();
    let graph = Graph::new(no_hints).map_err(|e| e.to_string())?;
    let build_seconds = t.elapsed().as_secs_f64();
    let dependencies = graph.dependency_count();

    // Bare pass over arrays laid out as the engine's.
    let mut fin = vec![0i64; bare.requested.len()];
    let mut coms = vec![0i64; bare.com_deps.nodes()];
    let bare_pass_seconds = best_of(runs, || {
        bare_pass(&bare, &mut fin, &mut coms);
        black_box((&fin, &coms));
        Ok(())
    })?;

    // Cold: a fresh projection (empty memo) every run.
    let mut cold_seconds = f64::INFINITY;
    for _ in 0..runs {
        let g = graph.clone();
        let t = Instant::now();
        let p = Projection::new(g, as_of).map_err(|e| e.to_string())?;
        cold_seconds = cold_seconds.min(t.elapsed().as_secs_f64());
        black_box(&p);
    }

    // Steady state: the memo of the previous projection (whose own first
    // pass started from the dues computed when the requests were logged).
    let mut warm = Projection::from_input(input, as_of).map_err(|e| e.to_string())?;
    let whole_org_seconds = best_of(runs, || warm.recompute_all())?;
    black_box(&warm);

    Ok(WholeOrgFigures {
        requests: n,
        dependencies,
        commitments: m,
        whole_org_seconds,
        bare_pass_seconds,
        ratio_to_bare_pass: bare_pass_seconds / whole_org_seconds,
        cold_seconds,
        cold_ratio_to_bare_pass: bare_pass_seconds / cold_seconds,
        build_seconds,
    })
}

/// Median milliseconds to re-project after one forecast on a request whose
/// downstream cone holds about 1,000 requests (in the whole-organisation
/// graph; `quick`: the 50k one). Returns `(cone size, milliseconds)`.
pub fn incremental_cone_1000_ms(quick: bool) -> Result<(usize, f64), String> {
    let (n, m) = if quick {
        (50_000, 5_000)
    } else {
        (1_000_000, 100_000)
    };
    let input = synthetic_org(n, m, 7)?;
    // Which requests are open, read from the input: the engine keeps its
    // statuses to itself.
    let undelivered: Vec<bool> = input
        .requests
        .iter()
        .map(|request| matches!(request.state, RequestState::Undelivered { .. }))
        .collect();
    let as_of = bench_as_of();
    let mut p = Projection::from_input(input, at(as_of)).map_err(|e| e.to_string())?;
    // Cones grow toward older requests; find an undelivered request whose
    // cone is closest to 1,000 by scanning back from the newest.
    let mut best: Option<(usize, usize)> = None;
    let mut r = n;
    while r > 0 {
        r -= 1;
        if !undelivered[r] {
            continue;
        }
        let size = p.cone_size(RequestIdx(r as u32));
        if best.is_none_or(|(_, s)| size.abs_diff(1000) < s.abs_diff(1000)) {
            best = Some((r, size));
        }
        if size > 1500 {
            break;
        }
    }
    let Some((target, size)) = best else {
        return Err("no undelivered request".into());
    };
    let mut times = Vec::new();
    for k in 0..201 {
        let forecast = as_of + 86_400 * (2 + (k % 2));
        let t = Instant::now();
        let touched = p
            .change(
                RequestIdx(target as u32),
                RequestChange::Forecast(Some(at(forecast))),
            )
            .map_err(|e| e.to_string())?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        black_box(touched);
    }
    times.sort_by(f64::total_cmp);
    Ok((size, times[times.len() / 2]))
}

/// Seconds for 10,000 Monte Carlo trials over a 1,000-request cone of open
/// requests (`quick`: 1,000 trials).
pub fn monte_carlo_10k_trials_1k_cone_seconds(quick: bool) -> Result<f64, String> {
    let trials = if quick { 1_000 } else { 10_000 };
    let calendars = calendars()?;
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let as_of = bench_as_of();
    let n = 1000usize;
    let mut requests = Vec::with_capacity(n);
    for i in 0..n {
        let mut deps = Vec::new();
        if i > 0 {
            deps.push(RequestIdx(i as u32 - 1));
            for _ in 0..rng.random_range(0..=2) {
                let d = rng.random_range(i.saturating_sub(50)..i) as u32;
                if !deps.contains(&RequestIdx(d)) {
                    deps.push(RequestIdx(d));
                }
            }
        }
        requests.push(RequestInput {
            id: i as i64 + 1,
            provider_department_id: rng.random_range(1..=10),
            customer_department_id: rng.random_range(1..=10),
            calendar: CalendarIdx(rng.random_range(0..4)),
            turnaround: random_turnaround(&mut rng)?,
            requested_at: at(as_of - rng.random_range(0..10 * 86_400)),
            state: RequestState::Undelivered { expected_at: None },
            pause_shift_seconds: 0,
            depends_on: deps,
            due_hint: None,
        });
    }
    let lead = Turnaround::from_quantity(TurnaroundUnit::BusinessHours, 8 * 60)
        .map_err(|e| e.to_string())?;
    let input = ProjectionInput {
        calendars,
        requests,
        commitments: vec![CommitmentInput {
            id: 1,
            owner_department_id: 1,
            calendar: CalendarIdx(1),
            lead_time: lead,
            promised_at: at(as_of + 400 * 86_400),
            depends_on: vec![RequestIdx(n as u32 - 1)],
            state: CommitmentState::Open,
        }],
        at_risk_threshold_minutes: 480,
    };
    let p = Projection::from_input(input, at(as_of)).map_err(|e| e.to_string())?;
    // 100 historical ratios per request, skewed late like real deliveries.
    let history: Vec<Vec<f64>> = (0..n)
        .map(|_| {
            (0..100)
                .map(|_| {
                    let u: f64 = rng.random_range(0.0..1.0);
                    0.5 + 1.5 * u * u
                })
                .collect()
        })
        .collect();
    let t = Instant::now();
    let forecast = p
        .monte_carlo(CommitmentIdx(0), trials, 42, |r| &history[r.0 as usize])
        .map_err(|e| e.to_string())?;
    let seconds = t.elapsed().as_secs_f64();
    black_box(forecast);
    Ok(seconds)
}
