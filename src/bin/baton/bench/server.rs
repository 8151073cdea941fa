//! The application under benchmark, started in-process on an ephemeral
//! port of 127.0.0.1 and built the way `baton serve` builds it (migrations,
//! then [`baton::rocket`]), on a fresh SQLite file or any database URL; the
//! HTTP benchmarks (`log-requests`, the forecast of `propagate`) run their
//! work against it and stop it afterwards. Its log is off unless
//! `BATON_BENCH_LOG` (a `BATON_LOG` filter) turns it on.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use baton::config::{Config, random_hex};
use sea_orm::ConnectionTrait;

use super::http_client::HttpClient;
use super::log_requests::{POSTGRES_POOL, SQLITE_POOL};

/// The benchmarked server's signing key: tokens are only minted by its
/// own login, so any long enough constant does.
const SECRET: &str = "log-requests-benchmark-secret-0123456789abcdef";

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

/// Starts the application on `database_url`, runs `work` once it answers,
/// stops it.
pub(super) async fn with_server<T>(
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

/// A bearer token of the benchmarked server for `user` (seeded straight
/// into the database, so without a password to log in with).
pub(super) fn token_for(user: &baton::entities::user::Model) -> Result<String, String> {
    let config = Config {
        secret: Some(SECRET.into()),
        ..Config::default()
    };
    let key = config.signing_key().map_err(|error| error.to_string())?;
    baton::identity::TokenKeys::new(&key, config.token_hours)
        .issue(user)
        .map(|(token, _)| token)
        .map_err(|error| error.to_string())
}

/// Runs `work` on the URL of a fresh schema of the PostgreSQL database at
/// `base`, dropped afterwards.
pub(super) async fn in_fresh_schema<T>(
    base: &str,
    work: impl AsyncFnOnce(&str) -> Result<T, String>,
) -> Result<T, String> {
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
    let done = work(&url).await;
    // `BATON_BENCH_KEEP=1` keeps the schema, to look at the plans.
    if std::env::var("BATON_BENCH_KEEP").as_deref() == Ok("1") {
        eprintln!("the schema {schema} is kept");
        admin.close().await.ok();
        return done;
    }
    let dropped = admin
        .execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE"))
        .await;
    admin.close().await.ok();
    let done = done?;
    dropped.map_err(|error| format!("cannot drop schema {schema}: {error}"))?;
    Ok(done)
}

/// Runs `measure(database_url, pool)` on a fresh SQLite file under the
/// temporary directory and, when `BATON_BENCH_POSTGRES_URL` is set, on a
/// fresh PostgreSQL schema, handing each result to `emit` with its backend
/// (`sqlite`, `postgres`). `BATON_BENCH_KEEP=1` keeps both databases, to
/// look at the plans afterwards.
pub(super) fn on_each_backend<T>(
    bench: &str,
    measure: impl AsyncFn(&str, u32) -> Result<T, String>,
    mut emit: impl FnMut(&str, &T),
) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the async runtime: {error}"))?;
    let path = std::env::temp_dir().join(format!("baton-bench-{bench}-{}.db", random_hex(8)));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let sqlite = runtime.block_on(measure(&url, SQLITE_POOL));
    let keep = std::env::var("BATON_BENCH_KEEP").as_deref() == Ok("1");
    if keep {
        eprintln!("{bench}: the database is kept at {}", path.display());
    } else {
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.clone().into_os_string();
            file.push(suffix);
            // Best effort: a leftover file in the temporary directory is harmless.
            let _ = std::fs::remove_file(file);
        }
    }
    emit("sqlite", &sqlite?);
    if let Some(base) = std::env::var("BATON_BENCH_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
    {
        let postgres = runtime.block_on(in_fresh_schema(&base, async |url| {
            measure(url, POSTGRES_POOL).await
        }))?;
        emit("postgres", &postgres);
    }
    runtime.shutdown_timeout(Duration::from_secs(1));
    Ok(())
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

/// Waits until `/healthz` answers 200, for up to 15 s.
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
