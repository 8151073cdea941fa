//! Baton: handoff agreements between departments, the requests made under
//! them, and how an internal delay travels to an external promise.
//!
//! [`rocket`] assembles the whole application from a [`Config`]. The
//! `baton` binary (`src/bin/baton`) parses the command line and carries the
//! operator's tools, the demo loader and the benchmarks, which use this
//! library from outside like any other front end.

pub mod browser_headers;
pub mod client;
pub mod config;
pub mod db;
pub mod entities;
pub mod error;
pub mod file_store;
pub mod front;
pub mod http;
pub mod identity;
pub mod login_limit;
pub mod mailer;
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

use crate::error::ApiError;
use crate::http::take_stashed;
use crate::identity::TokenKeys;
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
    // Like the templates: a store that cannot be opened stops the start.
    let files = file_store::open(&config).unwrap_or_else(|error| panic!("{error}"));
    tracing::info!(
        max_bytes = config.attachment_max_bytes,
        "attachments are kept in {}",
        files.description
    );
    // Like the store: a mail configuration that cannot be used stops the start.
    let mailer = mailer::Mailer::from_config(&config)
        .unwrap_or_else(|error| panic!("{error}"))
        .map(std::sync::Arc::new);
    let links = services::mail::Links::new(
        &config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}:{}", config.address, config.port)),
    );
    let state = AppState {
        mailer: mailer.clone(),
        links: links.clone(),
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
        directory: Default::default(),
        calendars,
        writer,
        logging,
        // Templates are compiled in: a broken one stops the start, loudly.
        views: views::Views::new().unwrap_or_else(|error| panic!("templates: {error:?}")),
        files: files.store,
        read_pool: db::Pool::reads(db::read_pool(&db, config.read_connections()), db.clone()),
        pool: db::Pool::main(db),
        config,
    };
    let mail = match mailer {
        Some(mailer) if state.config.mail_poll_seconds == 0 => {
            tracing::info!(
                "mail goes through {}, sent by other instances (BATON_MAIL_POLL_SECONDS=0)",
                mailer.description
            );
            None
        }
        Some(mailer) => {
            tracing::info!("mail goes through {}", mailer.description);
            Some((
                mailer,
                links,
                Duration::from_secs(state.config.mail_poll_seconds),
            ))
        }
        None => {
            tracing::info!("mail is off: BATON_SMTP_URL is not set");
            None
        }
    };
    let webhooks = webhook_settings(&state.config);
    let sweep_every = state.config.overdue_sweep_seconds;
    let browser_headers =
        browser_headers::BrowserHeaders::for_public_url(state.config.public_url.as_deref());
    rocket::custom(figment)
        .manage(state)
        .attach(http::telemetry::RequestTelemetry)
        .attach(browser_headers)
        .attach(http::RepeatedQueryParameters)
        .attach(AdHoc::on_liftoff("overdue sweep", move |rocket| {
            Box::pin(async move {
                if let (Some(state), true) = (rocket.state::<AppState>(), sweep_every > 0) {
                    tokio::spawn(sweep_overdue_forever(
                        state.pool.clone(),
                        state.calendars.clone(),
                        Duration::from_secs(sweep_every),
                    ));
                }
            })
        }))
        .attach(AdHoc::on_liftoff("mail dispatcher", move |rocket| {
            Box::pin(async move {
                if let (Some(state), Some((mailer, links, period))) =
                    (rocket.state::<AppState>(), mail)
                {
                    tokio::spawn(dispatch_mail_forever(
                        state.pool.clone(),
                        state.calendars.clone(),
                        mailer,
                        links,
                        period,
                    ));
                }
            })
        }))
        .attach(AdHoc::on_liftoff("webhook dispatcher", move |rocket| {
            Box::pin(async move {
                if let (Some(state), (settings, Some(period))) =
                    (rocket.state::<AppState>(), webhooks)
                {
                    tokio::spawn(dispatch_webhooks_forever(
                        state.pool.clone(),
                        settings,
                        period,
                    ));
                }
            })
        }))
        .mount("/", routes::system::routes())
        .mount("/", http::reads::mark(pages::routes()))
        .mount("/api/v1", http::reads::mark(routes::api_routes()))
        .mount("/api/docs", routes::docs::page_routes())
        .register("/", catchers![problem_catcher, pages::sign_in_first])
}

/// Notifies customers of requests that pass their due, warns of requests due
/// soon and escalates lasting breaches, then re-projects the commitments
/// whose stored risk time may have moved, every `period`.
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
        match services::requests::sweep_alerts(&db, &calendars, chrono::Utc::now()).await {
            Ok(done) if done == services::requests::Alerted::default() => {}
            Ok(done) => tracing::info!(
                planned = done.planned,
                due_soon = done.due_soon,
                escalated = done.escalated,
                "request alerts"
            ),
            Err(error) => tracing::warn!(%error, "alert sweep failed"),
        }
        match services::pulses::open_due(&db, &calendars, chrono::Utc::now()).await {
            Ok(0) => {}
            Ok(opened) => tracing::info!(opened, "pulse checks opened"),
            Err(error) => tracing::warn!(%error, "pulse sweep failed"),
        }
        match services::risk::refresh_due(&db, &calendars).await {
            Ok(0) => {}
            Ok(refreshed) => tracing::debug!(refreshed, "stored risk refreshed"),
            Err(error) => tracing::warn!(%error, "risk refresh failed"),
        }
    }
}

/// Hands pending notices to the SMTP server every `period`
/// (`services::mail`), on every instance: each mail is claimed by one.
async fn dispatch_mail_forever(
    db: DatabaseConnection,
    calendars: std::sync::Arc<services::calendars::CalendarCache>,
    mailer: std::sync::Arc<mailer::Mailer>,
    links: services::mail::Links,
    period: Duration,
) {
    let mut ticks = tokio::time::interval(period);
    loop {
        ticks.tick().await;
        match services::mail::dispatch_due(&db, &calendars, &mailer, &links, chrono::Utc::now())
            .await
        {
            Ok(done) if done == services::mail::Dispatched::default() => {}
            Ok(done) => tracing::info!(
                sent = done.sent,
                failed = done.failed,
                postponed = done.postponed,
                expired = done.expired,
                "mail dispatched"
            ),
            Err(error) => tracing::warn!(%error, "mail dispatch failed"),
        }
    }
}

/// What the webhook dispatcher needs, and how often it looks (`None`: not
/// on this instance). Webhooks are set up in the database, not in the
/// configuration, so the dispatcher runs on every instance unless told not to.
fn webhook_settings(config: &Config) -> (services::webhooks::Settings, Option<Duration>) {
    let base = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}:{}", config.address, config.port));
    if config.webhook_allow_private {
        tracing::warn!(
            "webhooks may call loopback, private and link-local addresses \
             (BATON_WEBHOOK_ALLOW_PRIVATE)"
        );
    }
    (
        services::webhooks::Settings::new(&base, config.webhook_allow_private),
        (config.webhook_poll_seconds > 0).then(|| Duration::from_secs(config.webhook_poll_seconds)),
    )
}

/// Calls the webhooks whose deliveries are due every `period`
/// (`services::webhooks`), on every instance: each delivery is claimed by one.
async fn dispatch_webhooks_forever(
    db: DatabaseConnection,
    settings: services::webhooks::Settings,
    period: Duration,
) {
    let mut ticks = tokio::time::interval(period);
    loop {
        ticks.tick().await;
        match services::webhooks::dispatch_due(&db, &settings, chrono::Utc::now()).await {
            Ok(done) if done == services::webhooks::Dispatched::default() => {}
            Ok(done) => tracing::info!(
                sent = done.sent,
                retrying = done.retrying,
                failed = done.failed,
                "webhooks dispatched"
            ),
            Err(error) => tracing::warn!(%error, "webhook dispatch failed"),
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
        // Rocket answers 400 before routing to a method it does not know
        // (QUERY, say), handing over the request as a GET; where the path
        // exists, that method is simply not one it answers.
        400 if request.route().is_none() => match methods_of_path(request) {
            methods if !methods.is_empty() => ApiError::MethodNotAllowed {
                allow: methods.join(", "),
            },
            _ => ApiError::from_status(status.code),
        },
        // Rocket answers 404 when no route has the method asked for, even
        // where the path exists under another method.
        404 => match methods_of_path(request) {
            methods if !methods.is_empty() && !methods.contains(&request.method().as_str()) => {
                ApiError::MethodNotAllowed {
                    allow: methods.join(", "),
                }
            }
            _ => ApiError::from_status(status.code),
        },
        _ => ApiError::from_status(status.code),
    })
}

/// The methods of the routes whose path matches the request's path, sorted
/// and without duplicates (GET brings HEAD, which Rocket answers for it).
fn methods_of_path(request: &Request<'_>) -> Vec<&'static str> {
    let asked: Vec<&str> = request
        .uri()
        .path()
        .segments()
        .filter(|segment| !segment.is_empty())
        .collect();
    let mut methods: Vec<&'static str> = request
        .rocket()
        .routes()
        .filter(|route| path_matches(route.uri.path(), &asked))
        .flat_map(|route| match route.method {
            rocket::http::Method::Get => vec!["GET", "HEAD"],
            method => vec![method.as_str()],
        })
        .collect();
    methods.sort_unstable();
    methods.dedup();
    methods
}

/// Whether a route path such as `/api/v1/users/<id>` matches the segments
/// of a request path (`<rest..>` matches any remainder).
fn path_matches(route_path: &str, asked: &[&str]) -> bool {
    let pattern: Vec<&str> = route_path
        .split('/')
        .filter(|segment| !segment.is_empty())
        .collect();
    let mut asked = asked.iter();
    for segment in pattern {
        if segment.starts_with('<') && segment.ends_with("..>") {
            return true;
        }
        let Some(given) = asked.next() else {
            return false;
        };
        let dynamic = segment.starts_with('<') && segment.ends_with('>');
        if !dynamic && segment != *given {
            return false;
        }
    }
    asked.next().is_none()
}
