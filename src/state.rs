//! What every handler shares: the pools, the configuration read at start, the
//! token keys, the login limiter, the metrics registry, compiled calendars
//! and the attachments' store.

use crate::config::Config;
use crate::db::{Pool, reading};
use crate::identity::{AuthUser, TokenKeys};
use crate::login_limit::LoginLimiter;
use crate::metrics::Metrics;
use crate::services::Context;
use crate::services::calendars::CalendarCache;

pub struct AppState {
    /// The main pool: writes, and all that is not a read (`db`).
    pub pool: Pool,
    /// The pool reads draw from (`http::reads`); on SQLite the main one.
    /// A read's statements share one of its connections (`db::Pool`).
    pub read_pool: Pool,
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
    pub fn db(&self) -> &Pool {
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
