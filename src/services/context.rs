//! What a use case runs with, gathered once per request: the database, the
//! compiled calendars, where SQLite's hot writes run, the group that writes
//! logged requests together, and who is acting. A use case that needs more
//! than the database and the actor takes one of these instead of a long
//! list of arguments that every caller assembles again.
//!
//! The HTTP layer builds it for the actor its guards let through
//! (`AppState::context`); the tools build theirs with [`Context::alone`].

use crate::db::Pool;
use crate::identity::AuthUser;
use crate::services::calendars::CalendarCache;
use crate::services::requests::LogGroup;
use crate::writer::{IN_PLACE, Writer};

pub struct Context<'a> {
    /// Reads through it as `&impl ConnectionTrait` share the read's
    /// connection; a transaction begins on the main pool (`db::Pool`).
    pub db: &'a Pool,
    pub calendars: &'a CalendarCache,
    pub writer: &'a Writer,
    /// The server's group that writes logged requests together; `None`
    /// writes each one alone.
    pub logging: Option<&'a LogGroup>,
    pub actor: AuthUser,
}

impl<'a> Context<'a> {
    /// For a tool that writes alone (the demo loader, a bench): work runs
    /// where it is awaited and each logged request is written by itself.
    pub fn alone(db: &'a Pool, calendars: &'a CalendarCache, actor: AuthUser) -> Self {
        Context {
            db,
            calendars,
            writer: &IN_PLACE,
            logging: None,
            actor,
        }
    }
}
