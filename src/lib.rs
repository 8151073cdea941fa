//! Baton: handoff agreements between departments, the requests made under
//! them, and how an internal delay travels to an external promise.
//!
//! [`rocket`] assembles the whole application from a [`Config`]; `main.rs`
//! only parses the command line.

pub mod auth;
pub mod bench;
pub mod browser_headers;
pub mod client;
pub mod config;
pub mod db;
pub mod demo;
pub mod entities;
pub mod error;
pub mod front;
pub mod http;
pub mod login_limit;
pub mod metrics;
pub mod pages;
pub mod pagination;
pub mod projection;
pub mod routes;
pub mod services;
pub mod state;
pub mod telemetry;
pub mod time;
pub mod validate;
pub mod views;
pub mod writer;

use std::time::Duration;

use rocket::data::{Limits, ToByteUnit};
use rocket::fairing::AdHoc;
use rocket::http::Status;
use rocket::{Build, Request, Rocket, catch, catchers};
use sea_orm::DatabaseConnection;

pub use config::Config;

use crate::auth::TokenKeys;
use crate::error::{ApiError, take_stashed};
use crate::login_limit::LoginLimiter;
use crate::services::calendars::CalendarCache;
use crate::services::requests::LogGroup;
use crate::state::AppState;

/// Builds the application on an open, migrated database.
pub fn rocket(config: Config, db: DatabaseConnection, signing_key: &[u8]) -> Rocket<Build> {
    let figment = rocket::Config::figment()
        .merge(("address", config.address))
        .merge(("port", config.port))
        .merge(("ident", "Baton"))
        // Rocket's own banner and per-request lines duplicate our tracing.
        .merge(("log_level", rocket::config::LogLevel::Off))
        .merge(("cli_colors", false))
        // Rocket would believe any client's X-Real-IP; the client address
        // is found in `client.rs` instead.
        .merge(("ip_header", false))
        .merge((
            "limits",
            Limits::default()
                .limit("json", 1.mebibytes())
                .limit("data-form", 1.mebibytes())
                .limit("form", 1.mebibytes()),
        ));
    let calendars = std::sync::Arc::new(CalendarCache::default());
    let writer = writer::Writer::for_backend(db.get_database_backend());
    let logging = LogGroup::new(&db, calendars.clone(), &writer);
    let state = AppState {
        keys: TokenKeys::new(signing_key, config.token_hours),
        login_limiter: LoginLimiter::new(
            config.login_max_failures,
            config.login_max_failures_per_address,
            Duration::from_secs(config.login_window_seconds),
        ),
        signup_limiter: login_limit::SignupLimiter::new(
            config.signup_max_per_address,
            Duration::from_secs(config.signup_window_seconds),
        ),
        // Checked when the configuration was read; a list that no longer
        // parses here trusts nobody.
        trusted_proxies: config.trusted_proxy_list().unwrap_or_default(),
        metrics: Default::default(),
        calendars,
        writer,
        logging,
        // Templates are compiled in: a broken one stops the start, loudly.
        views: views::Views::new().unwrap_or_else(|error| panic!("templates: {error:?}")),
        db,
        config,
    };
    let sweep_every = state.config.overdue_sweep_seconds;
    let browser_headers =
        browser_headers::BrowserHeaders::for_public_url(state.config.public_url.as_deref());
    rocket::custom(figment)
        .manage(state)
        .attach(metrics::RequestTelemetry)
        .attach(browser_headers)
        .attach(AdHoc::on_liftoff("overdue sweep", move |rocket| {
            Box::pin(async move {
                if let (Some(state), true) = (rocket.state::<AppState>(), sweep_every > 0) {
                    tokio::spawn(sweep_overdue_forever(
                        state.db.clone(),
                        state.calendars.clone(),
                        Duration::from_secs(sweep_every),
                    ));
                }
            })
        }))
        .mount("/", routes::system::routes())
        .mount("/", pages::routes())
        .mount("/api/v1", routes::api_routes())
        .mount("/api/docs", routes::docs::page_routes())
        .register("/", catchers![problem_catcher])
}

/// Notifies customers of requests that pass their due, every `period`.
async fn sweep_overdue_forever(
    db: DatabaseConnection,
    calendars: std::sync::Arc<services::calendars::CalendarCache>,
    period: Duration,
) {
    let mut ticks = tokio::time::interval(period);
    loop {
        ticks.tick().await;
        match services::requests::sweep_overdue(&db, &calendars).await {
            Ok(0) => {}
            Ok(notified) => tracing::info!(notified, "overdue requests notified"),
            Err(error) => tracing::warn!(%error, "overdue sweep failed"),
        }
    }
}

/// Every error without a handler-made body answers problem+json: the error a
/// guard stashed when there is one, else a generic one for the status.
#[catch(default)]
fn problem_catcher(status: Status, request: &Request<'_>) -> ApiError {
    take_stashed(request).unwrap_or_else(|| match status.code {
        // Rocket answers 422 itself when a path or query value has the wrong type.
        422 => ApiError::field(
            "query",
            "a path or query parameter has the wrong type or format",
        ),
        _ => ApiError::from_status(status),
    })
}
