//! The projection engine against a naive reference written straight from
//! SPEC §4 (memo-free recursion over `depends_on`, calling the time engine's
//! `due`), on random graphs, calendars, states and `as_of`; incremental
//! re-projection against a full recompute; and hand-worked cases in the
//! spec's words.

use std::sync::{Arc, OnceLock};

use baton::projection::{
    CalendarIdx, CommitmentIdx, CommitmentInput, CommitmentState, DueHint, Projection,
    ProjectionError, ProjectionInput, RequestChange, RequestIdx, RequestInput, RequestState, Risk,
    RootCause, RootCauseKind,
};
use baton::time::{CalendarSpec, CompiledCalendar, Turnaround, TurnaroundUnit};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;

// ---------------------------------------------------------------- calendars

fn calendars() -> &'static Vec<Arc<CompiledCalendar>> {
    static CALS: OnceLock<Vec<Arc<CompiledCalendar>>> = OnceLock::new();
    CALS.get_or_init(|| {
        let full = || vec![("00:00", "24:00")];
        let office = || vec![("09:00", "17:00")];
        let split = || vec![("08:00", "12:00"), ("13:00", "17:30")];
        let none = Vec::new;
        let specs = [
            // 24×7.
            CalendarSpec::new("UTC", std::array::from_fn(|_| full()), vec![]),
            // Mon–Fri 9–17 in a DST zone (Berlin changes on 2026-03-29).
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
                vec![NaiveDate::from_ymd_opt(2026, 3, 18).unwrap()],
            ),
            // Split days in New York (DST on 2026-03-08), Saturday morning.
            CalendarSpec::new(
                "America/New_York",
                [
                    split(),
                    split(),
                    split(),
                    split(),
                    split(),
                    vec![("09:00", "12:00")],
                    none(),
                ],
                vec![NaiveDate::from_ymd_opt(2026, 3, 20).unwrap()],
            ),
            // A night shift crossing midnight in Lord Howe (half-hour DST,
            // ends 2026-04-05).
            CalendarSpec::new(
                "Australia/Lord_Howe",
                [
                    vec![("00:00", "02:00"), ("22:00", "24:00")],
                    vec![("00:00", "02:00"), ("22:00", "24:00")],
                    vec![("01:30", "03:00")],
                    vec![("22:00", "24:00")],
                    vec![("00:00", "02:00")],
                    none(),
                    none(),
                ],
                vec![],
            ),
        ];
        specs
            .into_iter()
            .map(|s| Arc::new(CompiledCalendar::compile(&s.unwrap()).unwrap()))
            .collect()
    })
}

/// 2026-03-01T00:00Z: the random window spans the DST changes above.
fn window_start() -> i64 {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
        .unwrap()
        .timestamp()
}

fn at(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(s, 0).unwrap()
}

// ---------------------------------------------------------------- reference

/// SPEC §4 read literally, with no memo and no shortcuts.
struct Reference<'a> {
    input: &'a ProjectionInput,
    as_of: i64,
}

#[derive(Debug, PartialEq)]
struct RefCommitment {
    projected: i64,
    baseline: i64,
    slip_minutes: i64,
    slack_minutes: i64,
    risk: Risk,
    critical_path: Vec<i64>,
    root_causes: Vec<RootCause>,
}

impl Reference<'_> {
    fn cal(&self, i: CalendarIdx) -> &CompiledCalendar {
        &self.input.calendars[i.0 as usize]
    }

    fn due(&self, r: usize, ready: i64) -> i64 {
        let q = &self.input.requests[r];
        self.cal(q.calendar)
            .due(at(ready), q.turnaround)
            .unwrap()
            .due
            .timestamp()
    }

    /// `due` moved by the request's pauses.
    fn paused_due(&self, r: usize, due: i64) -> i64 {
        let q = &self.input.requests[r];
        if q.pause_shift_seconds == 0 {
            due
        } else if q.turnaround.unit().is_business() {
            self.cal(q.calendar)
                .add_working(at(due), q.pause_shift_seconds)
                .unwrap()
                .timestamp()
        } else {
            due + q.pause_shift_seconds
        }
    }

    fn ready(&self, r: usize, finish: &dyn Fn(usize) -> Option<i64>) -> i64 {
        let q = &self.input.requests[r];
        q.depends_on
            .iter()
            .filter_map(|u| finish(u.0 as usize))
            .fold(q.requested_at.timestamp(), i64::max)
    }

    fn finish(&self, r: usize) -> Option<i64> {
        let q = &self.input.requests[r];
        match q.state {
            RequestState::Cancelled => None,
            RequestState::Delivered { at } => Some(at.timestamp()),
            RequestState::Undelivered { expected_at } => {
                let ready = self.ready(r, &|u| self.finish(u));
                let due = self.paused_due(r, self.due(r, ready));
                let forecast = expected_at.map_or(i64::MIN, |t| t.timestamp());
                Some(due.max(forecast).max(self.as_of))
            }
        }
    }

    fn baseline(&self, r: usize) -> Option<i64> {
        let q = &self.input.requests[r];
        if q.state == RequestState::Cancelled {
            return None;
        }
        let ready = self.ready(r, &|u| self.baseline(u));
        let due = self.due(r, ready);
        match q.state {
            RequestState::Delivered { at } => Some(at.timestamp().min(due)),
            _ => Some(due),
        }
    }

    fn lead(&self, c: &CommitmentInput, latest: i64) -> i64 {
        let zero =
            c.lead_time.quantity() == 0 && c.lead_time.unit() != TurnaroundUnit::BusinessDays;
        if zero {
            latest
        } else {
            self.cal(c.calendar)
                .due(at(latest), c.lead_time)
                .unwrap()
                .due
                .timestamp()
        }
    }

    /// Of `candidates`, the latest finish, ties to the lowest id.
    fn latest(&self, candidates: &[RequestIdx]) -> Option<usize> {
        let mut best: Option<(i64, i64, usize)> = None;
        for u in candidates {
            let u = u.0 as usize;
            if let Some(f) = self.finish(u) {
                let id = self.input.requests[u].id;
                let better = match best {
                    None => true,
                    Some((bf, bid, _)) => f > bf || (f == bf && id < bid),
                };
                if better {
                    best = Some((f, id, u));
                }
            }
        }
        best.map(|(_, _, u)| u)
    }

    fn commitment(&self, ci: usize) -> Option<RefCommitment> {
        let c = &self.input.commitments[ci];
        if c.state == CommitmentState::Cancelled {
            return None;
        }
        let live: Vec<usize> = c
            .depends_on
            .iter()
            .map(|u| u.0 as usize)
            .filter(|&u| self.finish(u).is_some())
            .collect();
        let (latest_p, latest_b) = if live.is_empty() {
            (self.as_of, self.as_of)
        } else {
            (
                live.iter().filter_map(|&u| self.finish(u)).max().unwrap(),
                live.iter().filter_map(|&u| self.baseline(u)).max().unwrap(),
            )
        };
        let computed_b = self.lead(c, latest_b);
        let (projected, baseline) = match c.state {
            CommitmentState::Fulfilled { at } => (at.timestamp(), at.timestamp().min(computed_b)),
            _ => (self.lead(c, latest_p), computed_b),
        };
        let promised = c.promised_at.timestamp();
        let slack_minutes = self
            .cal(c.calendar)
            .working_seconds(at(projected), at(promised))
            .unwrap()
            / 60;
        let risk = if projected > promised {
            Risk::Late
        } else if slack_minutes < self.input.at_risk_threshold_minutes {
            Risk::AtRisk
        } else {
            Risk::OnTrack
        };

        let mut path = Vec::new();
        if let Some(first) = self.latest(&c.depends_on) {
            path.push(first);
            let mut r = first;
            while let Some(u) = self.latest(&self.input.requests[r].depends_on) {
                if self.finish(u).unwrap() < self.input.requests[r].requested_at.timestamp() {
                    break;
                }
                path.push(u);
                r = u;
            }
        }
        path.reverse();
        let mut root_causes = Vec::new();
        for &r in &path {
            let q = &self.input.requests[r];
            let ready = self.ready(r, &|u| self.finish(u));
            let plain = self.due(r, ready);
            let due = self.paused_due(r, plain);
            let own = (self.finish(r).unwrap() - due) / 60;
            if own > 0 {
                root_causes.push(RootCause {
                    request_id: q.id,
                    department_id: q.provider_department_id,
                    kind: RootCauseKind::OwnSlip,
                    minutes: own,
                });
            }
            let wait = (due - plain) / 60;
            if wait > 0 {
                root_causes.push(RootCause {
                    request_id: q.id,
                    department_id: q.customer_department_id,
                    kind: RootCauseKind::CustomerWait,
                    minutes: wait,
                });
            }
        }
        Some(RefCommitment {
            projected,
            baseline,
            slip_minutes: (projected - baseline).max(0) / 60,
            slack_minutes,
            risk,
            critical_path: path.iter().map(|&r| self.input.requests[r].id).collect(),
            root_causes,
        })
    }
}

/// Compares every figure of `p` with the reference for `input`.
fn assert_matches_reference(p: &Projection, input: &ProjectionInput) {
    let reference = Reference {
        input,
        as_of: p.as_of().timestamp(),
    };
    for r in 0..input.requests.len() {
        let idx = RequestIdx(r as u32);
        assert_eq!(
            p.finish(idx).map(|t| t.timestamp()),
            reference.finish(r),
            "finish of request {r}"
        );
        assert_eq!(
            p.baseline_finish(idx).map(|t| t.timestamp()),
            reference.baseline(r),
            "baseline of request {r}"
        );
    }
    for c in 0..input.commitments.len() {
        let got = p.commitment_projection(CommitmentIdx(c as u32)).unwrap();
        let want = reference.commitment(c);
        match (got, want) {
            (None, None) => {}
            (Some(got), Some(want)) => {
                let got = RefCommitment {
                    projected: got.projected_at.timestamp(),
                    baseline: got.baseline_at.timestamp(),
                    slip_minutes: got.slip_minutes,
                    slack_minutes: got.slack_minutes,
                    risk: got.risk,
                    critical_path: got.critical_path,
                    root_causes: got.root_causes,
                };
                assert_eq!(got, want, "commitment {c}");
            }
            (got, want) => panic!("commitment {c}: {got:?} vs {want:?}"),
        }
    }
}

// ---------------------------------------------------------------- strategies

/// Whole seconds, mostly on minute boundaries (to hit range ends exactly),
/// within the five-week window.
fn instant_in_window() -> impl Strategy<Value = i64> {
    (0i64..35 * 24 * 60, prop::bool::weighted(0.2), 0i64..60)
        .prop_map(|(m, odd, s)| window_start() + m * 60 + if odd { s } else { 0 })
}

fn turnaround() -> impl Strategy<Value = Turnaround> {
    prop_oneof![
        (0i64..=24 * 4).prop_map(|q| Turnaround::from_quantity(
            TurnaroundUnit::BusinessHours,
            q * 15
        )
        .unwrap()),
        (0i64..=3)
            .prop_map(|q| Turnaround::from_quantity(TurnaroundUnit::BusinessDays, q).unwrap()),
        (0i64..=48 * 2).prop_map(|q| Turnaround::from_quantity(
            TurnaroundUnit::CalendarHours,
            q * 30
        )
        .unwrap()),
        (0i64..=2)
            .prop_map(|q| Turnaround::from_quantity(TurnaroundUnit::CalendarDays, q).unwrap()),
    ]
}

#[derive(Debug, Clone)]
struct RawRequest {
    calendar: u32,
    turnaround: Turnaround,
    requested: i64,
    state: u8,
    moment: i64,
    has_forecast: bool,
    pause: i64,
    deps: Vec<usize>,
    hint: bool,
    dept: (i64, i64),
}

fn raw_request() -> impl Strategy<Value = RawRequest> {
    (
        0u32..4,
        turnaround(),
        instant_in_window(),
        0u8..10,
        instant_in_window(),
        any::<bool>(),
        prop_oneof![Just(0i64), 1i64..=12 * 3600],
        prop::collection::vec(0usize..64, 0..=3),
        any::<bool>(),
        (1i64..=4, 1i64..=4),
    )
        .prop_map(
            |(
                calendar,
                turnaround,
                requested,
                state,
                moment,
                has_forecast,
                pause,
                deps,
                hint,
                dept,
            )| {
                RawRequest {
                    calendar,
                    turnaround,
                    requested,
                    state,
                    moment,
                    has_forecast,
                    pause,
                    deps,
                    hint,
                    dept,
                }
            },
        )
}

#[derive(Debug, Clone)]
struct RawCommitment {
    calendar: u32,
    lead: Turnaround,
    promised: i64,
    deps: Vec<usize>,
    state: u8,
    moment: i64,
}

fn raw_commitment() -> impl Strategy<Value = RawCommitment> {
    (
        0u32..4,
        prop_oneof![
            Just(Turnaround::from_quantity(TurnaroundUnit::BusinessHours, 0).unwrap()),
            turnaround()
        ],
        instant_in_window(),
        prop::collection::vec(0usize..64, 0..=3),
        0u8..8,
        instant_in_window(),
    )
        .prop_map(
            |(calendar, lead, promised, deps, state, moment)| RawCommitment {
                calendar,
                lead,
                promised,
                deps,
                state,
                moment,
            },
        )
}

/// A random acyclic input: request `i` depends only on requests `< i`
/// (shuffled afterwards so that index order is not topological).
fn build_input(
    raw: &[RawRequest],
    coms: &[RawCommitment],
    threshold: i64,
    shuffle: u64,
) -> ProjectionInput {
    let n = raw.len();
    // A deterministic permutation: position of logical request i.
    let mut perm: Vec<usize> = (0..n).collect();
    let mut x = shuffle | 1;
    for i in (1..n).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        perm.swap(i, (x % (i as u64 + 1)) as usize);
    }
    let mut requests: Vec<Option<RequestInput>> = vec![None; n];
    for (i, r) in raw.iter().enumerate() {
        let state = match r.state {
            0..=2 => RequestState::Delivered { at: at(r.moment) },
            3 => RequestState::Cancelled,
            _ => RequestState::Undelivered {
                expected_at: r.has_forecast.then(|| at(r.moment)),
            },
        };
        let mut deps: Vec<RequestIdx> = if i == 0 {
            vec![]
        } else {
            r.deps
                .iter()
                .map(|d| RequestIdx(perm[d % i] as u32))
                .collect()
        };
        deps.dedup();
        let cal = &calendars()[r.calendar as usize];
        let hint = r.hint.then(|| DueHint {
            ready: at(r.requested),
            due: cal.due(at(r.requested), r.turnaround).unwrap().due,
        });
        requests[perm[i]] = Some(RequestInput {
            id: 100 + i as i64 * 7 % 50 + (i as i64 / 50) * 50,
            provider_department_id: r.dept.0,
            customer_department_id: r.dept.1,
            calendar: CalendarIdx(r.calendar),
            turnaround: r.turnaround,
            requested_at: at(r.requested),
            state,
            pause_shift_seconds: r.pause,
            depends_on: deps,
            due_hint: hint,
        });
    }
    let commitments = coms
        .iter()
        .enumerate()
        .map(|(j, c)| CommitmentInput {
            id: 9000 + j as i64,
            owner_department_id: 1,
            calendar: CalendarIdx(c.calendar),
            lead_time: c.lead,
            promised_at: at(c.promised),
            depends_on: if n == 0 {
                vec![]
            } else {
                c.deps.iter().map(|d| RequestIdx((d % n) as u32)).collect()
            },
            state: match c.state {
                0 => CommitmentState::Cancelled,
                1 => CommitmentState::Fulfilled { at: at(c.moment) },
                _ => CommitmentState::Open,
            },
        })
        .collect();
    ProjectionInput {
        calendars: calendars().clone(),
        requests: requests.into_iter().map(Option::unwrap).collect(),
        commitments,
        at_risk_threshold_minutes: threshold,
    }
}

#[derive(Debug, Clone)]
enum RawChange {
    Forecast(Option<i64>),
    Pause(i64),
    Deliver(i64),
    Reopen,
    Cancel,
    Deps(Vec<usize>),
}

fn raw_change() -> impl Strategy<Value = (usize, RawChange)> {
    (
        0usize..64,
        prop_oneof![
            prop::option::of(instant_in_window()).prop_map(RawChange::Forecast),
            (0i64..=20 * 3600).prop_map(RawChange::Pause),
            instant_in_window().prop_map(RawChange::Deliver),
            Just(RawChange::Reopen),
            Just(RawChange::Cancel),
            prop::collection::vec(0usize..64, 0..=3).prop_map(RawChange::Deps),
        ],
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn engine_agrees_with_the_naive_reference(
        raw in prop::collection::vec(raw_request(), 0..9),
        coms in prop::collection::vec(raw_commitment(), 0..4),
        as_of in instant_in_window(),
        threshold in prop_oneof![Just(480i64), 0i64..3000],
        shuffle in any::<u64>(),
    ) {
        let input = build_input(&raw, &coms, threshold, shuffle);
        let p = Projection::from_input(input.clone(), at(as_of)).unwrap();
        assert_matches_reference(&p, &input);
    }

    #[test]
    fn incremental_equals_full_recompute(
        raw in prop::collection::vec(raw_request(), 1..9),
        coms in prop::collection::vec(raw_commitment(), 1..4),
        as_of in instant_in_window(),
        shuffle in any::<u64>(),
        changes in prop::collection::vec(raw_change(), 1..6),
    ) {
        let mut input = build_input(&raw, &coms, 480, shuffle);
        let mut p = Projection::from_input(input.clone(), at(as_of)).unwrap();
        let n = input.requests.len();
        for (target, change) in changes {
            let r = target % n;
            let req = &input.requests[r];
            let change = match change {
                RawChange::Forecast(t) => RequestChange::Forecast(t.map(at)),
                RawChange::Pause(s) => RequestChange::PauseShift(s),
                RawChange::Deliver(t) => RequestChange::Delivered(at(t)),
                RawChange::Reopen => RequestChange::Reopened,
                RawChange::Cancel => RequestChange::Cancelled,
                RawChange::Deps(d) => RequestChange::DependsOn(
                    d.iter().map(|x| RequestIdx((x % n) as u32)).collect(),
                ),
            };
            let cancelled = req.state == RequestState::Cancelled;
            let undelivered = matches!(req.state, RequestState::Undelivered { .. });
            match p.change(RequestIdx(r as u32), change.clone()) {
                Ok(touched) => {
                    // Mirror the change on the plain input.
                    let req = &mut input.requests[r];
                    match change {
                        RequestChange::Forecast(t) => {
                            prop_assert!(undelivered);
                            req.state = RequestState::Undelivered { expected_at: t };
                        }
                        RequestChange::PauseShift(s) => req.pause_shift_seconds = s,
                        RequestChange::Delivered(t) => req.state = RequestState::Delivered { at: t },
                        RequestChange::Reopened => {
                            req.state = RequestState::Undelivered { expected_at: None };
                        }
                        RequestChange::Cancelled => req.state = RequestState::Cancelled,
                        RequestChange::DependsOn(d) => req.depends_on = d,
                    }
                    prop_assert!(touched.windows(2).all(|w| w[0] < w[1]));
                }
                Err(ProjectionError::Cycle { cycle }) => {
                    // The cycle must be real: r first, each depending on the
                    // next (r through its proposed set), the last on r.
                    let RequestChange::DependsOn(proposed) = change else {
                        panic!("cycle from a non-dependency change");
                    };
                    let id_of = |i: &RequestIdx| input.requests[i.0 as usize].id;
                    prop_assert_eq!(cycle[0], input.requests[r].id);
                    let index_of = |id: i64| input.requests.iter().position(|q| q.id == id).unwrap();
                    for k in 0..cycle.len() {
                        let from = index_of(cycle[k]);
                        let to = cycle[(k + 1) % cycle.len()];
                        let deps = if from == r { &proposed } else { &input.requests[from].depends_on };
                        prop_assert!(deps.iter().any(|d| id_of(d) == to), "{:?}", cycle);
                        prop_assert!(input.requests[from].state != RequestState::Cancelled);
                    }
                }
                Err(ProjectionError::InvalidChange { .. }) => {
                    prop_assert!(cancelled || !undelivered);
                }
                Err(e) => panic!("unexpected {e}"),
            }
        }
        let full = Projection::from_input(input.clone(), at(as_of)).unwrap();
        for r in 0..n {
            let idx = RequestIdx(r as u32);
            prop_assert_eq!(p.finish(idx), full.finish(idx));
            prop_assert_eq!(p.baseline_finish(idx), full.baseline_finish(idx));
        }
        for c in 0..input.commitments.len() {
            let idx = CommitmentIdx(c as u32);
            prop_assert_eq!(
                p.commitment_projection(idx).unwrap(),
                full.commitment_projection(idx).unwrap()
            );
        }
        assert_matches_reference(&p, &input);
        // And a full pass over the incrementally maintained graph agrees.
        p.recompute_all().unwrap();
        assert_matches_reference(&p, &input);
    }

    #[test]
    fn monte_carlo_is_ordered_bounded_and_reproducible(
        raw in prop::collection::vec(raw_request(), 1..9),
        coms in prop::collection::vec(raw_commitment(), 1..3),
        as_of in instant_in_window(),
        seed in any::<u64>(),
    ) {
        let input = build_input(&raw, &coms, 480, seed);
        let p = Projection::from_input(input.clone(), at(as_of)).unwrap();
        let ratios = [0.5, 0.8, 1.0, 1.0, 1.3, 2.5];
        for c in 0..input.commitments.len() {
            let idx = CommitmentIdx(c as u32);
            let a = p.monte_carlo(idx, 200, seed, |_| &ratios[..]).unwrap();
            let b = p.monte_carlo(idx, 200, seed, |_| &ratios[..]).unwrap();
            prop_assert_eq!(a, b);
            if let Some(f) = a {
                prop_assert!(f.p50 <= f.p80 && f.p80 <= f.p90);
                prop_assert!((0.0..=1.0).contains(&f.probability_on_time));
            }
            // With every ratio 1 each trial is the deterministic projection.
            let one = p.monte_carlo(idx, 20, seed, |_| &[1.0][..]).unwrap();
            let fig = p.commitment(idx);
            prop_assert_eq!(one.map(|f| (f.p50, f.p90)), fig.map(|f| (f.projected_at, f.projected_at)));
        }
    }
}

// ---------------------------------------------------------------- hand-worked

/// Berlin wall time in March 2026 (before the DST change: UTC+1).
fn berlin(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour - 1, 0, 0).unwrap()
}

const SALES: i64 = 1;
const LEGAL: i64 = 2;
const FINANCE: i64 = 3;
const OPS: i64 = 4;

fn office() -> Arc<CompiledCalendar> {
    let spec = CalendarSpec::default_office("Europe/Berlin").unwrap();
    Arc::new(CompiledCalendar::compile(&spec).unwrap())
}

fn hours(h: f64) -> Turnaround {
    Turnaround::new(h, TurnaroundUnit::BusinessHours).unwrap()
}

/// Sales is owed a contract by Legal (R1, 8 h), Legal is owed a budget by
/// Finance that needs the contract (R2, 8 h), Finance is owed a rollout plan
/// by Ops that needs the budget (R3, 4 h); Sales promised the customer
/// Thursday 5 March 17:00 with 4 h of its own work after the plan arrives.
/// Everything requested Monday 2 March 09:00 on the 09–17 office calendar.
fn four_department_chain() -> ProjectionInput {
    let request = |id, provider, customer, h, deps: Vec<u32>| RequestInput {
        id,
        provider_department_id: provider,
        customer_department_id: customer,
        calendar: CalendarIdx(0),
        turnaround: hours(h),
        requested_at: berlin(2, 9),
        state: RequestState::Undelivered { expected_at: None },
        pause_shift_seconds: 0,
        depends_on: deps.into_iter().map(RequestIdx).collect(),
        due_hint: None,
    };
    ProjectionInput {
        calendars: vec![office()],
        requests: vec![
            request(101, LEGAL, SALES, 8.0, vec![]),
            request(102, FINANCE, LEGAL, 8.0, vec![0]),
            request(103, OPS, FINANCE, 4.0, vec![1]),
        ],
        commitments: vec![CommitmentInput {
            id: 500,
            owner_department_id: SALES,
            calendar: CalendarIdx(0),
            lead_time: hours(4.0),
            promised_at: berlin(5, 17),
            depends_on: vec![RequestIdx(2)],
            state: CommitmentState::Open,
        }],
        at_risk_threshold_minutes: 480,
    }
}

const C: CommitmentIdx = CommitmentIdx(0);

#[test]
fn a_chain_kept_to_its_word_is_on_track_with_no_slip() {
    let p = Projection::from_input(four_department_chain(), berlin(2, 10)).unwrap();
    let view = p.commitment_projection(C).unwrap().unwrap();
    // R1 Mon 17:00, R2 Tue 17:00, R3 Wed 13:00, + 4 h = Wed 17:00.
    assert_eq!(view.projected_at, berlin(4, 17));
    assert_eq!(view.baseline_at, berlin(4, 17));
    assert_eq!(view.slip_minutes, 0);
    assert_eq!(view.slack_minutes, 480); // all of Thursday
    assert_eq!(view.risk, Risk::OnTrack); // 480 is not below 480
    assert_eq!(view.critical_path, vec![101, 102, 103]);
    assert!(view.root_causes.is_empty());
}

#[test]
fn a_late_forecast_upstream_slips_the_commitment_and_blames_its_provider() {
    let mut p = Projection::from_input(four_department_chain(), berlin(2, 10)).unwrap();
    // Legal says the contract comes Tuesday 13:00, 20 h after its due.
    let touched = p
        .change(RequestIdx(0), RequestChange::Forecast(Some(berlin(3, 13))))
        .unwrap();
    assert_eq!(touched, vec![C]);
    let view = p.commitment_projection(C).unwrap().unwrap();
    // R2 Tue 13:00 → Wed 13:00; R3 → Wed 17:00; + 4 h = Thu 13:00.
    assert_eq!(p.finish(RequestIdx(1)), Some(berlin(4, 13)));
    assert_eq!(view.projected_at, berlin(5, 13));
    assert_eq!(view.baseline_at, berlin(4, 17));
    assert_eq!(view.slip_minutes, 20 * 60);
    assert_eq!(view.slack_minutes, 240);
    assert_eq!(view.risk, Risk::AtRisk);
    assert_eq!(view.critical_path, vec![101, 102, 103]);
    // Finance and Ops are late only because their input came late.
    assert_eq!(
        view.root_causes,
        vec![RootCause {
            request_id: 101,
            department_id: LEGAL,
            kind: RootCauseKind::OwnSlip,
            minutes: 20 * 60,
        }]
    );
    assert_eq!(p.endangered_commitments(RequestIdx(0)), vec![C]);

    // A day later still: past the promise.
    p.change(RequestIdx(0), RequestChange::Forecast(Some(berlin(4, 17))))
        .unwrap();
    let view = p.commitment_projection(C).unwrap().unwrap();
    // R2 Thu 17:00, R3 Fri 13:00, + 4 h = Fri 17:00.
    assert_eq!(view.projected_at, berlin(6, 17));
    assert_eq!(view.risk, Risk::Late);
    assert_eq!(view.slack_minutes, -480);
    assert_eq!(view.slip_minutes, 48 * 60);
}

#[test]
fn delivery_upstream_moves_everything_back() {
    let mut p = Projection::from_input(four_department_chain(), berlin(2, 10)).unwrap();
    p.change(RequestIdx(0), RequestChange::Forecast(Some(berlin(4, 17))))
        .unwrap();
    assert_eq!(p.commitment(C).unwrap().risk, Risk::Late);
    // Legal delivers after all, Monday 15:00 (early).
    p.change(RequestIdx(0), RequestChange::Delivered(berlin(2, 15)))
        .unwrap();
    let view = p.commitment_projection(C).unwrap().unwrap();
    // R2 Tue 15:00, R3 Wed 11:00, + 4 h = Wed 15:00; the baseline uses the
    // early delivery too (min(delivered_at, due)).
    assert_eq!(p.finish(RequestIdx(1)), Some(berlin(3, 15)));
    assert_eq!(view.projected_at, berlin(4, 15));
    assert_eq!(view.baseline_at, berlin(4, 15));
    assert_eq!(view.slip_minutes, 0);
    assert_eq!(view.slack_minutes, 600);
    assert_eq!(view.risk, Risk::OnTrack);
    assert!(p.endangered_commitments(RequestIdx(0)).is_empty());
}

#[test]
fn a_paused_request_attributes_the_wait_to_its_customer() {
    let mut input = four_department_chain();
    // Finance waited 2 working hours on Legal (its customer) for a signed
    // draft: its due moves from Tue 17:00 to Wed 11:00.
    input.requests[1].pause_shift_seconds = 2 * 3600;
    let p = Projection::from_input(input, berlin(2, 10)).unwrap();
    let view = p.commitment_projection(C).unwrap().unwrap();
    // R3 Wed 11:00 → 15:00; + 4 h = Thu 11:00.
    assert_eq!(view.projected_at, berlin(5, 11));
    assert_eq!(view.baseline_at, berlin(4, 17)); // pauses ignored
    assert_eq!(view.slip_minutes, 18 * 60);
    assert_eq!(
        view.root_causes,
        vec![RootCause {
            request_id: 102,
            department_id: LEGAL,
            kind: RootCauseKind::CustomerWait,
            minutes: 18 * 60,
        }]
    );
}

#[test]
fn the_critical_path_stops_at_inputs_that_arrived_before_the_request() {
    let mut input = four_department_chain();
    // Ops only asked on Wednesday 14:00, after the budget was due (Tue 17:00).
    input.requests[2].requested_at = berlin(4, 14);
    let p = Projection::from_input(input, berlin(2, 10)).unwrap();
    let view = p.commitment_projection(C).unwrap().unwrap();
    assert_eq!(view.critical_path, vec![103]);
    // Wed 14:00 + 4 h = Thu 10:00, + 4 h = Thu 14:00.
    assert_eq!(view.projected_at, berlin(5, 14));
}

#[test]
fn cancelling_a_request_frees_what_waited_for_it() {
    let mut p = Projection::from_input(four_department_chain(), berlin(2, 10)).unwrap();
    p.change(RequestIdx(0), RequestChange::Forecast(Some(berlin(4, 17))))
        .unwrap();
    p.change(RequestIdx(0), RequestChange::Cancelled).unwrap();
    assert_eq!(p.finish(RequestIdx(0)), None);
    // R2 ready at its requested time again: Mon 17:00; R3 Tue 13:00; C Tue 17:00.
    assert_eq!(p.commitment(C).unwrap().projected_at, berlin(3, 17));
    assert_eq!(
        p.commitment_projection(C).unwrap().unwrap().critical_path,
        vec![102, 103]
    );
}

#[test]
fn a_dependency_closing_a_cycle_is_rejected_naming_the_cycle() {
    let mut p = Projection::from_input(four_department_chain(), berlin(2, 10)).unwrap();
    let before = p.commitment(C);
    // Legal's contract would wait for Ops's plan, which waits for Finance's
    // budget, which waits for Legal's contract.
    let err = p
        .change(RequestIdx(0), RequestChange::DependsOn(vec![RequestIdx(2)]))
        .unwrap_err();
    assert_eq!(
        err,
        ProjectionError::Cycle {
            cycle: vec![101, 103, 102]
        }
    );
    assert_eq!(
        p.graph().would_close_cycle(RequestIdx(1), &[RequestIdx(1)]),
        Some(vec![102])
    );
    assert_eq!(
        p.graph().would_close_cycle(RequestIdx(2), &[RequestIdx(0)]),
        None
    );
    assert_eq!(p.commitment(C), before, "a rejected change changes nothing");

    // A cyclic input is rejected as a whole, naming the cycle.
    let mut input = four_department_chain();
    input.requests[0].depends_on = vec![RequestIdx(2)];
    let err = Projection::from_input(input, berlin(2, 10)).unwrap_err();
    assert_eq!(
        err,
        ProjectionError::Cycle {
            cycle: vec![101, 103, 102]
        }
    );
}

#[test]
fn as_of_is_a_floor_for_everything_undelivered() {
    // Projected on Thursday 12:00 with nothing delivered: R1 finishes "now".
    let p = Projection::from_input(four_department_chain(), berlin(5, 12)).unwrap();
    assert_eq!(p.finish(RequestIdx(0)), Some(berlin(5, 12)));
    // R2 Thu 12:00 + 8 h = Fri 12:00; R3 Fri 16:00; + 4 h = Mon 12:00.
    assert_eq!(p.commitment(C).unwrap().projected_at, berlin(9, 12));
    let view = p.commitment_projection(C).unwrap().unwrap();
    assert_eq!(view.risk, Risk::Late);
    // Legal overran its due by Mon 17:00 → Thu 12:00.
    assert_eq!(view.root_causes[0].request_id, 101);
    assert_eq!(view.root_causes[0].minutes, (3 * 24 - 5) * 60);
}

fn forecast_input() -> ProjectionInput {
    let mut input = four_department_chain();
    // A wider cone: two more inputs for Ops.
    let mut extra = input.requests[0].clone();
    extra.id = 104;
    input.requests.push(extra.clone());
    extra.id = 105;
    extra.depends_on = vec![RequestIdx(3)];
    input.requests.push(extra);
    input.requests[2].depends_on.push(RequestIdx(4));
    input
}

#[test]
fn monte_carlo_same_seed_same_answer_different_seeds_differ() {
    let p = Projection::from_input(forecast_input(), berlin(2, 10)).unwrap();
    let history: Vec<f64> = (0..100).map(|i| 0.4 + f64::from(i) * 0.02).collect();
    let run = |seed| {
        p.monte_carlo(C, 2000, seed, |_| &history[..])
            .unwrap()
            .unwrap()
    };
    let a = run(42);
    assert_eq!(a, run(42));
    let b = run(43);
    assert_ne!(a, b);
    for f in [a, b] {
        assert!(f.p50 <= f.p80 && f.p80 <= f.p90, "{f:?}");
        assert!((0.0..=1.0).contains(&f.probability_on_time));
        assert!(
            f.probability_on_time > 0.0 && f.probability_on_time < 1.0,
            "{f:?}"
        );
        assert_eq!(f.trials, 2000);
    }
    // Always late history: never on time and later than the plan.
    let slow = p.monte_carlo(C, 500, 1, |_| &[3.0][..]).unwrap().unwrap();
    assert_eq!(slow.probability_on_time, 0.0);
    assert!(slow.p50 > p.commitment(C).unwrap().projected_at);
    assert_eq!(
        p.monte_carlo(C, 0, 1, |_| &[1.0][..]),
        Err(ProjectionError::NoTrials)
    );
}

#[test]
fn adding_requests_and_commitments_projects_them() {
    let mut p = Projection::from_input(four_department_chain(), berlin(2, 10)).unwrap();
    let mut extra = four_department_chain().requests[2].clone();
    extra.id = 106;
    extra.depends_on = vec![RequestIdx(2)];
    let r = p.add_request(extra).unwrap();
    // Ready Wed 13:00 + 4 h = Wed 17:00.
    assert_eq!(p.finish(r), Some(berlin(4, 17)));
    let c = p
        .add_commitment(CommitmentInput {
            id: 501,
            owner_department_id: OPS,
            calendar: CalendarIdx(0),
            lead_time: hours(0.0),
            promised_at: berlin(4, 17),
            depends_on: vec![r],
            state: CommitmentState::Open,
        })
        .unwrap();
    assert_eq!(p.commitment(c).unwrap().projected_at, berlin(4, 17));
    assert_eq!(p.commitment(c).unwrap().risk, Risk::AtRisk);
    // A forecast on R1 now reaches both commitments.
    let touched = p
        .change(RequestIdx(0), RequestChange::Forecast(Some(berlin(3, 13))))
        .unwrap();
    assert_eq!(touched, vec![C, c]);
    assert_eq!(p.commitment(c).unwrap().risk, Risk::Late);
    assert_eq!(
        p.commitment(c).unwrap().projected_at,
        berlin(5, 9) + Duration::hours(4)
    );
}
