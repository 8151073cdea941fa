//! What every handler shares: the pools, the configuration read at start, the
//! token keys, the login limiter, the metrics registry, compiled calendars
//! and the attachments' store.

use sea_orm::DatabaseConnection;

use crate::config::Config;
use crate::identity::{AuthUser, TokenKeys};
use crate::login_limit::LoginLimiter;
use crate::metrics::Metrics;
use crate::services::Context;
use crate::services::calendars::CalendarCache;

pub struct AppState {
    /// The main pool: writes, and all that is not a read (`db`).
    pub pool: DatabaseConnection,
    /// The pool reads draw from (`http::reads`); on SQLite the main one.
    pub read_pool: DatabaseConnection,
    pub config: Config,
    pub keys: TokenKeys,
    pub login_limiter: LoginLimiter,
    pub signup_limiter: crate::login_limit::SignupLimiter,
    /// Whose `X-Forwarded-For` names the client.
    pub trusted_proxies: crate::client::TrustedProxies,
    pub metrics: Metrics,
    /// The department names pages show, per organisation and version.
    pub directory: crate::services::departments::Directory,
    /// Shared with background tasks (the overdue sweep).
    pub calendars: std::sync::Arc<CalendarCache>,
    /// Where SQLite's hot write transactions run.
    pub writer: crate::writer::Writer,
    /// Logged requests written together.
    pub logging: crate::services::requests::LogGroup,
    /// The compiled HTML templates.
    pub views: crate::views::Views,
    /// Where attachments' bytes are kept (`file_store.rs`).
    pub files: std::sync::Arc<dyn object_store::ObjectStore>,
    /// The SMTP server mail goes through; none while mail is off.
    pub mailer: Option<std::sync::Arc<crate::mailer::Mailer>>,
    /// Where links in mail point (`BATON_PUBLIC_URL`).
    pub links: crate::services::mail::Links,
}

impl AppState {
    /// The pool of the work at hand: the read pool while a read's handler
    /// runs, otherwise the main pool (`http::reads`).
    pub fn db(&self) -> &DatabaseConnection {
        if reading() {
            &self.read_pool
        } else {
            &self.pool
        }
    }

    /// What a use case of `actor` runs with.
    pub fn context(&self, actor: AuthUser) -> Context<'_> {
        Context {
            db: self.db(),
            calendars: &self.calendars,
            writer: &self.writer,
            logging: Some(&self.logging),
            actor,
        }
    }
}

tokio::task_local! {
    static READING: ();
}

/// Runs `work` as a read: while it runs, [`AppState::db`] is the read pool
/// (`http::reads` runs the handlers of the GET routes so).
pub async fn as_read<F: std::future::Future>(work: F) -> F::Output {
    READING.scope((), work).await
}

/// Whether the code running is a read's ([`as_read`]).
pub fn reading() -> bool {
    READING.try_with(|_| ()).is_ok()
}
