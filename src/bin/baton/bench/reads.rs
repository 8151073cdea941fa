//! Reads under load: clients (32 for the appendix B load, 1 for the latency
//! one person sees), each on its own keep-alive connection, sending `GET`s
//! back to back from a shared list of paths for a warm-up and then a
//! measured window. What the read benchmarks share.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::http_client::HttpClient;

/// Clients at once, as in SPEC appendix B.
pub(super) const CLIENTS: usize = 32;

/// How long to warm up and how long to measure.
#[derive(Debug, Clone, Copy)]
pub(super) struct Window {
    pub(super) warmup: Duration,
    pub(super) measure: Duration,
}

/// What the clients saw in the measured window.
#[derive(Debug)]
pub(super) struct Load {
    pub(super) per_second: f64,
    pub(super) p50_ms: f64,
    pub(super) p99_ms: f64,
}

/// Sends the `paths` from `clients` clients at once (in turn, each client
/// starting at its own place) as `token`'s bearer; any answer but 200
/// fails the run.
pub(super) async fn hammer(
    addr: SocketAddr,
    token: &str,
    paths: Vec<String>,
    clients: usize,
    window: Window,
) -> Result<Load, String> {
    if paths.is_empty() {
        return Err("no paths to read".into());
    }
    let paths = Arc::new(paths);
    let token: Arc<str> = Arc::from(token);
    let measured_from = Instant::now() + window.warmup;
    let stop_at = measured_from + window.measure;
    let clients: Vec<_> = (0..clients)
        .map(|index| {
            let paths = Arc::clone(&paths);
            let token = Arc::clone(&token);
            tokio::spawn(async move {
                let mut http = HttpClient::new(addr);
                let mut latencies_us = Vec::new();
                let mut turn = index * paths.len() / clients;
                loop {
                    let started = Instant::now();
                    if started >= stop_at {
                        return Ok(latencies_us);
                    }
                    let path = &paths[turn % paths.len()];
                    turn += 1;
                    let answer = http.send("GET", path, Some(&token), None).await?;
                    if answer.status != 200 {
                        return Err(format!(
                            "GET {path} answered {}: {}",
                            answer.status,
                            String::from_utf8_lossy(&answer.body)
                        ));
                    }
                    let finished = Instant::now();
                    if started >= measured_from && finished <= stop_at {
                        latencies_us.push(finished.duration_since(started).as_micros() as u64);
                    }
                }
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for client in clients {
        let seen: Result<Vec<u64>, String> = client
            .await
            .map_err(|error| format!("a client task failed: {error}"))?;
        latencies.extend(seen?);
    }
    if latencies.is_empty() {
        return Err("no read finished inside the measured window".into());
    }
    latencies.sort_unstable();
    Ok(Load {
        per_second: latencies.len() as f64 / window.measure.as_secs_f64(),
        p50_ms: percentile(&latencies, 0.50) as f64 / 1000.0,
        p99_ms: percentile(&latencies, 0.99) as f64 / 1000.0,
    })
}

/// The nearest-rank percentile of sorted samples (0 for none).
pub(super) fn percentile(sorted: &[u64], fraction: f64) -> u64 {
    let rank = (fraction * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.saturating_sub(1).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}

/// Milliseconds to two decimals.
pub(super) fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&samples, 0.50), 50);
        assert_eq!(percentile(&samples, 0.99), 99);
        assert_eq!(percentile(&[7], 0.99), 7);
        assert_eq!(percentile(&[], 0.99), 0);
    }
}
