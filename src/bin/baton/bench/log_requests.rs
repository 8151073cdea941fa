//! The `log-requests` benchmark of SPEC appendix B: logging a request over
//! HTTP (authentication, validation, due date, event, projection) at 32
//! concurrent connections.
//!
//! For each backend — a fresh SQLite file in WAL mode, and a fresh PostgreSQL
//! schema when `BATON_BENCH_POSTGRES_URL` is set — the real application is
//! started in-process on an ephemeral port of 127.0.0.1, seeded through the
//! HTTP API (an organisation, two departments, their people, one active
//! agreement and a few hundred requests), and then 32 clients, each on its
//! own keep-alive connection, `POST /api/v1/requests` with one dependency on
//! a random seeded request for a fixed time (2 s warm-up and 10 s measured;
//! 0.5 s and 2 s with `--quick`). The seeded requests have no dependencies
//! of their own, so each new request's upstream cone stays two deep and the
//! work per request is the same throughout. Every answer must be `201`; any
//! other answer fails the run. A line on standard error gives the CPU time
//! spent per request, for diagnosis.
//!
//! The clients are the small HTTP/1.1 client of `http_client.rs`; the
//! server is started by `server.rs` and the organisation built by
//! `seed.rs`, both shared with the HTTP forecast of `propagate`.
//!
//! `BATON_BENCH_SQLITE_POOL` and `BATON_BENCH_POSTGRES_POOL` override the
//! database pool sizes (defaults [`SQLITE_POOL`] and [`POSTGRES_POOL`]);
//! `BATON_BENCH_LOG` (a `BATON_LOG` filter) turns the server's log on, for
//! diagnosis only: it writes to standard output beside the figures.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::http_client::HttpClient;
use super::reads::percentile;
use super::seed::{World, seed};
use super::server::{in_fresh_schema, on_sqlite, with_server};

/// Concurrent client connections (SPEC appendix B).
pub const CLIENTS: usize = 32;
/// Database pool size for SQLite. Writers take their turn in-process (see
/// `writer.rs`), so the pool serves the reads around them: measured at 32
/// clients with group commit, 4 connections did best (4,174/s; 8: 3,499/s;
/// 16: 3,080/s, with longer tails).
pub const SQLITE_POOL: u32 = 4;
/// Database pool size for PostgreSQL: the logging groups need one
/// connection at a time, the reads around them (the caller, the agreement)
/// the rest; measured at 32 clients, 16 did best (2,432/s, p99 22 ms; 8:
/// 1,559/s; 4: 1,483/s).
pub const POSTGRES_POOL: u32 = 16;

/// How long and how large one run is.
#[derive(Debug, Clone, Copy)]
struct Plan {
    /// Requests logged before the clients start, to depend on.
    seeded: usize,
    /// Unmeasured time at the start (caches, statement caches, pool).
    warmup: Duration,
    /// Measured time.
    measure: Duration,
}

impl Plan {
    fn new(quick: bool) -> Plan {
        if quick {
            Plan {
                seeded: 100,
                warmup: Duration::from_millis(500),
                measure: Duration::from_secs(2),
            }
        } else {
            Plan {
                seeded: 500,
                warmup: Duration::from_secs(2),
                measure: Duration::from_secs(10),
            }
        }
    }
}

/// What one backend measured.
#[derive(Debug, Clone, Copy)]
struct Measured {
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// Runs the benchmark on SQLite and, when `BATON_BENCH_POSTGRES_URL` is set,
/// on PostgreSQL, handing each figure (name, value, unit) to `report` as soon
/// as its backend is done.
pub fn run(quick: bool, mut report: impl FnMut(&str, f64, &str)) -> Result<(), String> {
    let plan = Plan::new(quick);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the async runtime: {error}"))?;

    let sqlite = runtime.block_on(sqlite_run(plan))?;
    emit(&mut report, "sqlite", sqlite);

    if let Some(base) = std::env::var("BATON_BENCH_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
    {
        let postgres = runtime.block_on(postgres_run(&base, plan))?;
        emit(&mut report, "postgres", postgres);
    }
    runtime.shutdown_timeout(Duration::from_secs(1));
    Ok(())
}

fn emit(report: &mut impl FnMut(&str, f64, &str), backend: &str, measured: Measured) {
    report(
        &format!("{backend}_requests_per_second"),
        measured.requests_per_second.round(),
        "1/s",
    );
    report(&format!("{backend}_p50_ms"), round2(measured.p50_ms), "ms");
    report(&format!("{backend}_p99_ms"), round2(measured.p99_ms), "ms");
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn pool_size(variable: &str, default: u32) -> u32 {
    std::env::var(variable)
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .filter(|&size| size > 0)
        .unwrap_or(default)
}

/// A fresh SQLite file under the temporary directory, removed afterwards.
async fn sqlite_run(plan: Plan) -> Result<Measured, String> {
    on_sqlite(
        pool_size("BATON_BENCH_SQLITE_POOL", SQLITE_POOL),
        async |addr| measure(addr, plan).await,
    )
    .await
}

/// A fresh schema in the PostgreSQL database at `base`, dropped afterwards.
async fn postgres_run(base: &str, plan: Plan) -> Result<Measured, String> {
    in_fresh_schema(base, async |url| {
        with_server(
            url,
            pool_size("BATON_BENCH_POSTGRES_POOL", POSTGRES_POOL),
            async |addr| measure(addr, plan).await,
        )
        .await
    })
    .await
}

/// Seeds the organisation, then measures the clients.
async fn measure(addr: SocketAddr, plan: Plan) -> Result<Measured, String> {
    let world = seed(addr, plan.seeded).await?;
    load(addr, Arc::new(world), plan).await
}

/// What one client saw.
#[derive(Debug, Default)]
struct ClientTally {
    /// Latencies of the requests that started and finished inside the
    /// measured window, in microseconds.
    latencies_us: Vec<u64>,
    /// Answers `201`, warm-up included.
    logged: u64,
    failures: u64,
    first_failure: Option<String>,
}

impl ClientTally {
    fn fail(&mut self, why: String) {
        self.failures += 1;
        self.first_failure.get_or_insert(why);
    }
}

/// Runs the clients through warm-up and the measured window.
async fn load(addr: SocketAddr, world: Arc<World>, plan: Plan) -> Result<Measured, String> {
    let cpu_before = process_cpu_seconds();
    let start = Instant::now();
    let measured_from = start + plan.warmup;
    let stop_at = measured_from + plan.measure;
    let mut clients = Vec::with_capacity(CLIENTS);
    for index in 0..CLIENTS {
        let world = Arc::clone(&world);
        clients.push(tokio::spawn(client_loop(
            addr,
            world,
            index,
            measured_from,
            stop_at,
        )));
    }
    let mut latencies = Vec::new();
    let mut failures = 0;
    let mut logged = 0;
    let mut first_failure = None;
    for client in clients {
        let tally = client
            .await
            .map_err(|error| format!("a client task failed: {error}"))?;
        latencies.extend(tally.latencies_us);
        failures += tally.failures;
        logged += tally.logged;
        if first_failure.is_none() {
            first_failure = tally.first_failure;
        }
    }
    if failures > 0 {
        return Err(format!(
            "{failures} requests were not logged, {logged} were (first failure: {})",
            first_failure.unwrap_or_default()
        ));
    }
    if latencies.is_empty() {
        return Err("no request finished inside the measured window".into());
    }
    if let (Some(before), Some(after)) = (cpu_before, process_cpu_seconds()) {
        // The whole process (server and clients), warm-up included: a figure
        // for diagnosis, on standard error so the JSON lines stay clean.
        let seconds = start.elapsed().as_secs_f64();
        eprintln!(
            "log-requests: {logged} requests in {seconds:.1} s, {:.3} ms of CPU each (server and clients), {:.2} cores busy",
            (after - before) * 1000.0 / logged.max(1) as f64,
            (after - before) / seconds,
        );
    }
    latencies.sort_unstable();
    Ok(Measured {
        requests_per_second: latencies.len() as f64 / plan.measure.as_secs_f64(),
        p50_ms: percentile(&latencies, 0.50) as f64 / 1000.0,
        p99_ms: percentile(&latencies, 0.99) as f64 / 1000.0,
    })
}

/// User and system CPU time of this process so far (Linux only), assuming
/// the usual 100 clock ticks a second.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields of the whole line.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let mut fields = rest.split_ascii_whitespace().skip(11);
    let user: f64 = fields.next()?.parse().ok()?;
    let system: f64 = fields.next()?.parse().ok()?;
    Some((user + system) / 100.0)
}

/// One client: logs requests back to back on one keep-alive connection.
async fn client_loop(
    addr: SocketAddr,
    world: Arc<World>,
    index: usize,
    measured_from: Instant,
    stop_at: Instant,
) -> ClientTally {
    let mut tally = ClientTally::default();
    let mut http = HttpClient::new(addr);
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D ^ ((index as u64 + 1) << 32));
    let mut sent = 0u64;
    loop {
        let began = Instant::now();
        if began >= stop_at {
            break;
        }
        let depends_on = world.seeded[rng.below(world.seeded.len())];
        let body = format!(
            r#"{{"agreement_id":{},"title":"Bench request {index}-{sent}","details":"","depends_on":[{depends_on}]}}"#,
            world.agreement_id
        );
        sent += 1;
        match http
            .send(
                "POST",
                "/api/v1/requests",
                Some(&world.token),
                Some(body.as_bytes()),
            )
            .await
        {
            Ok(answer) if answer.status == 201 => {
                tally.logged += 1;
                let done = Instant::now();
                if began >= measured_from && done <= stop_at {
                    let micros = done.duration_since(began).as_micros();
                    tally
                        .latencies_us
                        .push(u64::try_from(micros).unwrap_or(u64::MAX));
                }
            }
            Ok(answer) => tally.fail(format!(
                "status {}: {}",
                answer.status,
                String::from_utf8_lossy(&answer.body)
            )),
            Err(error) => tally.fail(error),
        }
    }
    tally
}

/// Small deterministic generator for the dependency picks.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_stay_in_range() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        assert!((0..1000).all(|_| rng.below(7) < 7));
    }
}
