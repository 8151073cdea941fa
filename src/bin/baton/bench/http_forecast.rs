//! `http_forecast_p50_ms`: one forecast over HTTP on a request with a
//! downstream cone of 1,000 requests (SPEC appendix B), end to end: the
//! request re-schedules every due in the cone, re-projects and stores the
//! commitment at its end, all in one transaction, and answers.
//!
//! The cone is ten layers of a hundred requests; each depends on three of
//! the layer above (the first layer on the root), and one commitment waits
//! on the last layer. Each measured forecast is later than the one before,
//! so every one of them moves all 1,000 dues.

use std::net::SocketAddr;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::http_client::HttpClient;
use super::seed::{id_of, seed};
use super::server::on_sqlite;

const LAYERS: usize = 10;
const WIDTH: usize = 100;

/// The cone's size and the median latency of a forecast in milliseconds.
pub fn run(quick: bool) -> Result<(usize, f64), String> {
    let forecasts = if quick { 5 } else { 25 };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the async runtime: {error}"))?;
    let result = runtime.block_on(on_sqlite(4, async |addr| measure(addr, forecasts).await));
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    result
}

async fn measure(addr: SocketAddr, forecasts: usize) -> Result<(usize, f64), String> {
    let world = seed(addr, 1).await?;
    let root = world.seeded[0];
    let mut http = HttpClient::new(addr);
    let mut layer = vec![root];
    let mut cone = 0;
    for depth in 0..LAYERS {
        let mut next = Vec::with_capacity(WIDTH);
        for i in 0..WIDTH {
            let mut inputs: Vec<i64> = [i, i + 1, i + 7]
                .iter()
                .map(|k| layer[k % layer.len()])
                .collect();
            inputs.sort_unstable();
            inputs.dedup();
            let logged = http
                .expect(
                    201,
                    "POST",
                    "/api/v1/requests",
                    Some(&world.token),
                    &json!({"agreement_id": world.agreement_id, "title": format!("Layer {depth} #{i}"),
                            "details": "", "depends_on": inputs}),
                )
                .await?;
            next.push(id_of(&logged)?);
        }
        cone += next.len();
        layer = next;
    }
    http.expect(
        201,
        "POST",
        "/api/v1/commitments",
        Some(&world.customer_lead_token),
        &json!({"customer_name": "Globex", "title": "Launch", "promised_at": Utc::now() + Duration::days(3650),
                "owner_department_id": world.customer_department_id, "depends_on": layer}),
    )
    .await?;
    let root_row = http
        .send(
            "GET",
            &format!("/api/v1/requests/{root}"),
            Some(&world.provider_token),
            None,
        )
        .await?
        .json()?;
    let due: DateTime<Utc> = root_row
        .get("due_at")
        .and_then(Value::as_str)
        .and_then(|text| text.parse().ok())
        .ok_or("the root request has no due")?;

    let path = format!("/api/v1/requests/{root}/forecast");
    let mut latencies = Vec::with_capacity(forecasts);
    // One warm-up forecast, then the measured ones, each a day later.
    for k in 0..=forecasts {
        let expected_at = due + Duration::days(k as i64 + 1);
        let started = Instant::now();
        let answer = http
            .expect(
                200,
                "POST",
                &path,
                Some(&world.provider_token),
                &json!({"expected_at": expected_at, "reason": "Waiting on outside counsel"}),
            )
            .await?;
        let elapsed = started.elapsed().as_secs_f64() * 1e3;
        if answer
            .get("projected_finish")
            .and_then(Value::as_str)
            .is_none()
        {
            return Err(format!(
                "the forecast answered without a projected finish: {answer}"
            ));
        }
        if k > 0 {
            latencies.push(elapsed);
        }
    }
    latencies.sort_by(f64::total_cmp);
    Ok((cone, latencies[latencies.len() / 2]))
}
