//! Benchmarks of the projection engine (SPEC appendix B, scenarios
//! `propagate` and `forecast`): deterministic synthetic organisations, timed
//! in memory on one thread. Each function returns its figure; `quick` runs a
//! small size in seconds.
//!
//! What lives where:
//! - this file: the benchmarks and their figures;
//! - [`synthetic`]: the seeded organisations they run on;
//! - [`bare`]: the bare forward pass the whole-organisation figure is
//!   measured against.

mod bare;
mod synthetic;

use std::hint::black_box;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use baton::projection::{
    CalendarIdx, CommitmentIdx, CommitmentInput, CommitmentState, Graph, Projection,
    ProjectionError, ProjectionInput, RequestChange, RequestIdx, RequestInput, RequestState,
};
use baton::time::{Turnaround, TurnaroundUnit};

use bare::{Bare, bare_pass};
use synthetic::{at, bench_as_of, calendars, random_turnaround, synthetic_org};

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
    let mut fin = vec![0i64; bare.requests()];
    let mut coms = vec![0i64; bare.commitments()];
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
