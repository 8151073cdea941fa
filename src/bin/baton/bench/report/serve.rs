//! The HTTP half of the `report` benchmark: the real application started
//! in-process on an ephemeral port, the health report fetched over a plain
//! HTTP/1.1 connection, and the process's resident memory read while the
//! server is up.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use baton::config::Config;
use baton::entities::user;
use baton::identity::TokenKeys;
use baton::services::reports::Window;

use super::{SECRET, median};

/// Starts the application on the seeded database, fetches the report over
/// HTTP three times, and reads the resident memory while it is up.
pub(super) async fn serve_and_fetch(
    database_url: &str,
    admin: &user::Model,
    window: Window,
) -> Result<(f64, f64), String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()?));
    let config = Config {
        address: addr.ip(),
        port: addr.port(),
        database_url: database_url.to_owned(),
        secret: Some(SECRET.into()),
        log: "off".into(),
        db_max_connections: 4,
        overdue_sweep_seconds: 0,
        ..Config::default()
    };
    let key = config.signing_key().map_err(|error| error.to_string())?;
    let (token, _) = TokenKeys::new(&key, config.token_hours)
        .issue(admin)
        .map_err(|error| error.to_string())?;
    let db = baton::db::connect(database_url, config.db_max_connections)
        .await
        .map_err(|error| format!("cannot open the database: {error}"))?;
    let rocket = baton::rocket(config, db, &key)
        .ignite()
        .await
        .map_err(|error| format!("the application does not start: {error}"))?;
    let shutdown = rocket.shutdown();
    let server = tokio::spawn(rocket.launch());

    let path = format!(
        "/api/v1/reports/health?from={}&to={}&group_by=pair",
        window.from.format("%Y-%m-%dT%H:%M:%SZ"),
        window.to.format("%Y-%m-%dT%H:%M:%SZ"),
    );
    let result = async {
        let mut timings = Vec::new();
        for attempt in 0..4 {
            let started = Instant::now();
            let (status, body) = get(addr, &path, &token).await?;
            let elapsed = started.elapsed().as_secs_f64();
            if status != 200 {
                return Err(format!(
                    "GET {path} answered {status}: {}",
                    String::from_utf8_lossy(&body)
                ));
            }
            // The first call also waits for the server to come up.
            if attempt > 0 {
                timings.push(elapsed);
            }
        }
        let rss = resident_mb().unwrap_or_default();
        Ok((median(&mut timings), rss))
    }
    .await;

    shutdown.notify();
    // A Rocket error must be formatted (it panics when dropped unread).
    match tokio::time::timeout(Duration::from_secs(10), server).await {
        Ok(Ok(Ok(_))) => {}
        Ok(Ok(Err(error))) => return Err(format!("server failed: {error}")),
        Ok(Err(error)) => return Err(format!("server task failed: {error}")),
        Err(_) => return Err("the server did not shut down within 10 s".into()),
    }
    result
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

/// One `GET` on a fresh connection that the server closes after answering;
/// retries the connection for a while, since the server may still be
/// starting. Returns the status and the body as sent (chunked or not: only
/// the status matters to the benchmark).
async fn get(addr: SocketAddr, path: &str, token: &str) -> Result<(u16, Vec<u8>), String> {
    let give_up = Instant::now() + Duration::from_secs(15);
    let mut stream = loop {
        match TcpStream::connect(addr).await {
            Ok(stream) => break stream,
            Err(error) if Instant::now() > give_up => {
                return Err(format!("cannot connect to {addr}: {error}"));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|error| format!("cannot send GET {path}: {error}"))?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .await
        .map_err(|error| format!("cannot read the answer: {error}"))?;
    let head_end = answer
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or("the answer has no header end")?;
    let status = std::str::from_utf8(&answer[..head_end])
        .ok()
        .and_then(|head| head.split_ascii_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or("the answer has no status line")?;
    Ok((status, answer[head_end + 4..].to_vec()))
}

/// Resident memory of this process in MB (Linux `VmRSS`).
fn resident_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kilobytes: f64 = line.split_ascii_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes / 1024.0)
}
