//! Operational endpoints outside the API: `/healthz`, `/readyz`, `/metrics`.

use rocket::http::{ContentType, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::{Route, State, get, routes};
use sea_orm::ConnectionTrait;

use crate::error::ApiError;
use crate::http::stash;
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![healthz, readyz, metrics]
}

/// The process is up.
#[get("/healthz")]
fn healthz() -> (ContentType, &'static str) {
    (ContentType::JSON, r#"{"status":"ok"}"#)
}

/// The database answers.
#[get("/readyz")]
async fn readyz(state: &State<AppState>) -> (Status, (ContentType, &'static str)) {
    let backend = state.db().get_database_backend();
    let probe = sea_orm::Statement::from_string(backend, "SELECT 1");
    match state.db().query_one_raw(probe).await {
        Ok(_) => (Status::Ok, (ContentType::JSON, r#"{"status":"ready"}"#)),
        Err(error) => {
            tracing::warn!(%error, "readiness probe failed");
            (
                Status::ServiceUnavailable,
                (ContentType::JSON, r#"{"status":"database unavailable"}"#),
            )
        }
    }
}

/// Prometheus text; needs `Authorization: Bearer <BATON_METRICS_TOKEN>` when set.
#[get("/metrics")]
fn metrics(state: &State<AppState>, _access: MetricsAccess) -> (ContentType, String) {
    (
        ContentType::new("text", "plain").with_params(("version", "0.0.4")),
        state.metrics.render(),
    )
}

struct MetricsAccess;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for MetricsAccess {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        let expected = request
            .rocket()
            .state::<AppState>()
            .and_then(|state| state.config.metrics_token.clone());
        let Some(expected) = expected else {
            return Outcome::Success(MetricsAccess);
        };
        let given = request
            .headers()
            .get_one("Authorization")
            .and_then(|header| header.strip_prefix("Bearer "));
        if given == Some(expected.as_str()) {
            Outcome::Success(MetricsAccess)
        } else {
            let error = ApiError::Unauthorized("the metrics token is required".into());
            Outcome::Error((stash(request, error), ()))
        }
    }
}
