//! The fairing that times each request, records it in the metrics and logs
//! it inside a `request` span.

use std::time::Instant;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Data, Request, Response};

use crate::state::AppState;

/// Times each request, records it in [`Metrics`] and logs it inside a
/// `request` span carrying method, route, status and duration.
pub struct RequestTelemetry;

struct StartedAt(Instant);

#[rocket::async_trait]
impl Fairing for RequestTelemetry {
    fn info(&self) -> Info {
        Info {
            name: "request telemetry",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, request: &mut Request<'_>, _: &mut Data<'_>) {
        request.local_cache(|| StartedAt(Instant::now()));
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        let seconds = request
            .local_cache(|| StartedAt(Instant::now()))
            .0
            .elapsed()
            .as_secs_f64();
        // The route's pattern, not the concrete path, keeps label cardinality low.
        let route = request
            .route()
            .map(|route| route.uri.to_string())
            .unwrap_or_else(|| "unmatched".into());
        let method = request.method().as_str();
        let status = response.status().code;
        if let Some(state) = request.rocket().state::<AppState>() {
            state.metrics.observe(method, &route, status, seconds);
        }
        let span = tracing::info_span!(
            "request",
            method,
            route = %route,
            status,
            duration_ms = seconds * 1000.0
        );
        span.in_scope(|| tracing::info!("handled"));
    }
}
