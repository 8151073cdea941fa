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
//! The clients are the small HTTP/1.1 client of `http_client.rs`.
//!
//! `BATON_BENCH_SQLITE_POOL` and `BATON_BENCH_POSTGRES_POOL` override the
//! database pool sizes (defaults [`SQLITE_POOL`] and [`POSTGRES_POOL`]);
//! `BATON_BENCH_LOG` (a `BATON_LOG` filter) turns the server's log on, for
//! diagnosis only: it writes to standard output beside the figures.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use baton::config::{Config, random_hex};

use super::http_client::HttpClient;

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

const SECRET: &str = "log-requests-benchmark-secret-0123456789abcdef";
const PASSWORD: &str = "correct horse battery staple";

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

/// Runs `work` against the application serving a fresh SQLite file under
/// the temporary directory, removed afterwards.
pub(super) async fn on_sqlite<T>(
    pool: u32,
    work: impl AsyncFnOnce(SocketAddr) -> Result<T, String>,
) -> Result<T, String> {
    let path = std::env::temp_dir().join(format!("baton-bench-{}.db", random_hex(8)));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let result = with_server(&url, pool, work).await;
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        // Best effort: a leftover file in the temporary directory is harmless.
        let _ = std::fs::remove_file(file);
    }
    result
}

/// A fresh schema in the PostgreSQL database at `base`, dropped afterwards.
async fn postgres_run(base: &str, plan: Plan) -> Result<Measured, String> {
    let schema = format!("bench_{}", random_hex(8));
    let admin = baton::db::connect(base, 1)
        .await
        .map_err(|error| format!("cannot reach PostgreSQL at BATON_BENCH_POSTGRES_URL: {error}"))?;
    admin
        .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
        .await
        .map_err(|error| format!("cannot create schema {schema}: {error}"))?;
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
    let measured = with_server(
        &url,
        pool_size("BATON_BENCH_POSTGRES_POOL", POSTGRES_POOL),
        async |addr| measure(addr, plan).await,
    )
    .await;
    let dropped = admin
        .execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE"))
        .await;
    admin.close().await.ok();
    let measured = measured?;
    dropped.map_err(|error| format!("cannot drop schema {schema}: {error}"))?;
    Ok(measured)
}

/// Seeds the organisation, then measures the clients.
async fn measure(addr: SocketAddr, plan: Plan) -> Result<Measured, String> {
    let world = seed(addr, plan.seeded).await?;
    load(addr, Arc::new(world), plan).await
}

/// Starts the application on `database_url`, runs `work` once it answers,
/// stops it.
async fn with_server<T>(
    database_url: &str,
    pool: u32,
    work: impl AsyncFnOnce(SocketAddr) -> Result<T, String>,
) -> Result<T, String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()?));
    let config = Config {
        address: addr.ip(),
        port: addr.port(),
        database_url: database_url.to_owned(),
        secret: Some(SECRET.into()),
        log: std::env::var("BATON_BENCH_LOG").unwrap_or_else(|_| "off".into()),
        db_max_connections: pool,
        overdue_sweep_seconds: 0,
        ..Config::default()
    };
    if config.log != "off" {
        baton::telemetry::init(&config);
    }
    let key = config.signing_key().map_err(|error| error.to_string())?;
    let db = baton::db::connect(database_url, pool)
        .await
        .map_err(|error| format!("cannot open the database: {error}"))?;
    baton::db::migrate(&db)
        .await
        .map_err(|error| format!("migration failed: {error}"))?;
    let rocket = baton::rocket(config, db, &key)
        .ignite()
        .await
        .map_err(|error| format!("the application does not start: {error}"))?;
    let shutdown = rocket.shutdown();
    let server = tokio::spawn(rocket.launch());

    let result = match wait_until_healthy(addr).await {
        Ok(()) => work(addr).await,
        Err(error) => Err(error),
    };

    shutdown.notify();
    // A Rocket error must be formatted (it panics when dropped unread).
    let stopped = match tokio::time::timeout(Duration::from_secs(10), server).await {
        Ok(Ok(Ok(_))) => Ok(()),
        Ok(Ok(Err(error))) => Err(format!("server failed: {error}")),
        Ok(Err(error)) => Err(format!("server task failed: {error}")),
        Err(_) => Err("the server did not shut down within 10 s".to_owned()),
    };
    let done = result?;
    stopped?;
    Ok(done)
}

/// A port on 127.0.0.1 that was free a moment ago.
fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|error| format!("cannot find a free port: {error}"))?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|error| format!("cannot find a free port: {error}"))
}

async fn wait_until_healthy(addr: SocketAddr) -> Result<(), String> {
    let give_up = Instant::now() + Duration::from_secs(15);
    let mut last_error = String::from("no answer");
    while Instant::now() < give_up {
        let mut client = HttpClient::new(addr);
        match client.send("GET", "/healthz", None, None).await {
            Ok(answer) if answer.status == 200 => return Ok(()),
            Ok(answer) => last_error = format!("status {}", answer.status),
            Err(error) => last_error = error,
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(format!("/healthz did not answer 200: {last_error}"))
}

/// What the clients need: who logs, under which agreement, depending on what.
#[derive(Debug)]
pub(super) struct World {
    /// Staff of the customer department (SALES), who log requests.
    pub token: String,
    /// The provider's (LEGAL's) lead, who works them.
    pub provider_token: String,
    /// The customer's lead, who makes commitments.
    pub customer_lead_token: String,
    pub customer_department_id: i64,
    pub agreement_id: i64,
    pub seeded: Vec<i64>,
}

/// Builds the organisation through the API, as a user would.
pub(super) async fn seed(addr: SocketAddr, requests: usize) -> Result<World, String> {
    let mut http = HttpClient::new(addr);
    let admin = http
        .expect(
            201,
            "POST",
            "/api/v1/auth/signup",
            None,
            &json!({"org_name": "Bench Ltd", "timezone": "Europe/Berlin", "name": "Ada Admin",
                    "email": "ada@bench.test", "password": PASSWORD}),
        )
        .await?;
    let admin = token_of(&admin)?;
    let calendars = http
        .send("GET", "/api/v1/calendars", Some(&admin), None)
        .await?;
    let calendar_id = calendars
        .json()?
        .pointer("/items/0/id")
        .and_then(Value::as_i64)
        .ok_or("the organisation has no default calendar")?;
    let mut department = async |code: &str| -> Result<i64, String> {
        let created = http
            .expect(
                201,
                "POST",
                "/api/v1/departments",
                Some(&admin),
                &json!({"name": format!("Department {code}"), "code": code,
                        "calendar_id": calendar_id}),
            )
            .await?;
        id_of(&created)
    };
    let legal = department("LEGAL").await?;
    let sales = department("SALES").await?;

    let mut user = async |email: &str, role: &str, department_id: i64| -> Result<String, String> {
        http.expect(
            201,
            "POST",
            "/api/v1/users",
            Some(&admin),
            &json!({"name": email, "email": email, "password": PASSWORD, "role": role,
                    "department_id": department_id}),
        )
        .await?;
        let login = http
            .expect(
                200,
                "POST",
                "/api/v1/auth/login",
                None,
                &json!({"email": email, "password": PASSWORD}),
            )
            .await?;
        token_of(&login)
    };
    let provider_lead = user("lena@bench.test", "lead", legal).await?;
    let customer_lead = user("sara@bench.test", "lead", sales).await?;
    let staff = user("sam@bench.test", "staff", sales).await?;

    let draft = http
        .expect(
            201,
            "POST",
            "/api/v1/agreements",
            Some(&provider_lead),
            &json!({"provider_department_id": legal, "customer_department_id": sales,
                    "title": "Contract review", "deliverable": "Marked-up contract",
                    "definition_of_done": "All clauses reviewed",
                    "turnaround": {"amount": 16.0, "unit": "business_hours"}}),
        )
        .await?;
    let agreement_id = id_of(&draft)?;
    http.expect(
        200,
        "POST",
        &format!("/api/v1/agreements/{agreement_id}/propose"),
        Some(&provider_lead),
        &json!({}),
    )
    .await?;
    http.expect(
        200,
        "POST",
        &format!("/api/v1/agreements/{agreement_id}/accept"),
        Some(&customer_lead),
        &json!({}),
    )
    .await?;

    let mut seeded = Vec::with_capacity(requests);
    for n in 0..requests {
        let logged = http
            .expect(
                201,
                "POST",
                "/api/v1/requests",
                Some(&staff),
                &json!({"agreement_id": agreement_id, "title": format!("Seeded request {n}"),
                        "details": "", "depends_on": []}),
            )
            .await?;
        seeded.push(id_of(&logged)?);
    }
    if seeded.is_empty() {
        return Err("no requests were seeded to depend on".into());
    }
    Ok(World {
        token: staff,
        provider_token: provider_lead,
        customer_lead_token: customer_lead,
        customer_department_id: sales,
        agreement_id,
        seeded,
    })
}

fn token_of(body: &Value) -> Result<String, String> {
    body.get("token")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| format!("no token in {body}"))
}

pub(super) fn id_of(body: &Value) -> Result<i64, String> {
    body.get("id")
        .and_then(Value::as_i64)
        .ok_or_else(|| format!("no id in {body}"))
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

/// The nearest-rank percentile of sorted, non-empty samples.
fn percentile(sorted: &[u64], fraction: f64) -> u64 {
    let rank = (fraction * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.saturating_sub(1).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
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
    fn nearest_rank_percentiles() {
        let samples: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&samples, 0.50), 50);
        assert_eq!(percentile(&samples, 0.99), 99);
        assert_eq!(percentile(&[7], 0.99), 7);
        assert_eq!(percentile(&[], 0.99), 0);
    }

    #[test]
    fn picks_stay_in_range() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        assert!((0..1000).all(|_| rng.below(7) < 7));
    }
}
