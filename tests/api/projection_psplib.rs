//! PSPLIB (SPEC-independent ground truth): every J30 (and J120) project
//! network run through the engine on a 24×7 calendar must finish exactly
//! `MPM-Time` hours after the common ready instant (tests/data/psplib).

use std::path::Path;
use std::sync::Arc;

use baton::projection::{
    CalendarIdx, CommitmentIdx, CommitmentInput, CommitmentState, Projection, ProjectionInput,
    RequestIdx, RequestInput, RequestState,
};
use baton::time::{CalendarSpec, CompiledCalendar, Turnaround, TurnaroundUnit};
use chrono::{Duration, TimeZone, Utc};

struct Instance {
    durations: Vec<i64>,
    successors: Vec<Vec<usize>>,
    mpm_time: i64,
}

/// Parses the parts of a `.sm` file the test needs.
fn parse(text: &str) -> Instance {
    let lines: Vec<&str> = text.lines().collect();
    let find = |prefix: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix}"))
    };
    let info = find("PROJECT INFORMATION");
    let fields: Vec<i64> = lines[info + 2]
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    let mpm_time = fields[5];
    let jobs_line = lines
        .iter()
        .find(|l| l.starts_with("jobs (incl. supersource/sink )"))
        .unwrap();
    let jobs: usize = jobs_line.split(':').nth(1).unwrap().trim().parse().unwrap();

    let prec = find("PRECEDENCE RELATIONS");
    let mut successors = vec![Vec::new(); jobs];
    for line in &lines[prec + 2..prec + 2 + jobs] {
        let v: Vec<usize> = line
            .split_whitespace()
            .map(|x| x.parse().unwrap())
            .collect();
        let job = v[0] - 1;
        let count = v[2];
        assert_eq!(v.len(), 3 + count, "successor count of job {}", v[0]);
        successors[job] = v[3..].iter().map(|s| s - 1).collect();
    }
    let dur = find("REQUESTS/DURATIONS");
    let mut durations = vec![0; jobs];
    for line in &lines[dur + 3..dur + 3 + jobs] {
        let v: Vec<i64> = line
            .split_whitespace()
            .map(|x| x.parse().unwrap())
            .collect();
        durations[(v[0] - 1) as usize] = v[2];
    }
    Instance {
        durations,
        successors,
        mpm_time,
    }
}

fn run(instance: &Instance, cal: &Arc<CompiledCalendar>, unit: TurnaroundUnit) -> i64 {
    let t = Utc.with_ymd_and_hms(2026, 3, 27, 22, 17, 0).unwrap();
    let n = instance.durations.len();
    let mut preds = vec![Vec::new(); n];
    for (j, succ) in instance.successors.iter().enumerate() {
        for &s in succ {
            preds[s].push(RequestIdx(j as u32));
        }
    }
    let requests = (0..n)
        .map(|j| RequestInput {
            id: j as i64 + 1,
            provider_department_id: 1,
            customer_department_id: 2,
            calendar: CalendarIdx(0),
            turnaround: Turnaround::from_quantity(unit, instance.durations[j] * 60).unwrap(),
            requested_at: t,
            state: RequestState::Undelivered { expected_at: None },
            pause_shift_seconds: 0,
            depends_on: preds[j].clone(),
            due_hint: None,
        })
        .collect();
    let input = ProjectionInput {
        calendars: vec![cal.clone()],
        requests,
        commitments: vec![CommitmentInput {
            id: 1,
            owner_department_id: 1,
            calendar: CalendarIdx(0),
            lead_time: Turnaround::from_quantity(TurnaroundUnit::BusinessHours, 0).unwrap(),
            promised_at: t,
            depends_on: vec![RequestIdx(n as u32 - 1)],
            state: CommitmentState::Open,
        }],
        at_risk_threshold_minutes: 480,
    };
    let projection = Projection::from_input(input, t).unwrap();
    let projected = projection
        .commitment(CommitmentIdx(0))
        .unwrap()
        .projected_at;
    let hours = (projected - t).num_seconds();
    assert_eq!(projected, t + Duration::seconds(hours));
    hours
}

fn check_set(dir: &str, expected_files: usize) {
    let spec = CalendarSpec::new(
        "UTC",
        std::array::from_fn(|_| vec![("00:00", "24:00")]),
        vec![],
    )
    .unwrap();
    let cal = Arc::new(CompiledCalendar::compile(&spec).unwrap());
    let mut files: Vec<_> = std::fs::read_dir(Path::new(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sm"))
        .collect();
    files.sort();
    assert_eq!(files.len(), expected_files, "files in {dir}");
    for path in files {
        let instance = parse(&std::fs::read_to_string(&path).unwrap());
        // Durations are hours; the engine must give exactly MPM-Time hours,
        // in elapsed hours and in business hours of a 24×7 calendar alike.
        for unit in [TurnaroundUnit::CalendarHours, TurnaroundUnit::BusinessHours] {
            let seconds = run(&instance, &cal, unit);
            assert_eq!(
                seconds,
                instance.mpm_time * 3600,
                "{} ({unit:?})",
                path.display()
            );
        }
    }
}

#[test]
fn every_j30_network_finishes_at_its_mpm_time() {
    check_set(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/psplib/j30"),
        480,
    );
}

#[test]
fn every_j120_network_finishes_at_its_mpm_time() {
    check_set(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/psplib/j120"),
        600,
    );
}
