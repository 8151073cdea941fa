//! The demonstration organisation of `baton --demo`: nine departments in
//! five time zones, agreements both ways, months of history with realistic
//! lateness, open work, commitments on track, at risk and late, and reviews
//! with action items — so that a newcomer sees a living organisation at once.
//!
//! Everything is written through the same services the API uses, so the
//! demo obeys every rule a real organisation does. The content comes from a
//! seeded random generator and its dates are relative to the moment of
//! loading: two loads on different days tell the same story.
//!
//! What lives where:
//! - [`calendars`]: the office calendars and their holidays;
//! - [`people`]: departments, their leads and staff, the leader;
//! - [`agreements`]: the handoff agreements, active and in negotiation;
//! - [`work`]: plays one request's life (log, start, pause, forecast, deliver,
//!   accept, reopen, rate, cancel) up to the present;
//! - [`clock`]: small calendar searches used to place work in time;
//! - [`history`]: months of routine requests;
//! - [`present`]: the work open now, staged so that every state is seen;
//! - [`commitments`]: customer deals that chain departments together;
//! - [`reviews`]: review meetings held and scheduled, with action items;
//! - [`inbox`]: settles the notifications that history left behind.

mod agreements;
mod calendars;
mod clock;
mod commitments;
mod contacts;
mod history;
mod inbox;
mod people;
mod present;
mod pulses;
mod reviews;
mod work;

use std::fmt;
use std::time::{Duration, Instant};

use chrono::Utc;
use rand::SeedableRng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use baton::entities::{review, user};
use baton::error::ApiError;
use baton::services::calendars::CalendarCache;

/// Every demo login shares this password (printed with the logins).
pub const DEMO_PASSWORD: &str = "baton-demo-2026";
/// The email domain of every demo user.
pub const DEMO_DOMAIN: &str = "demo.baton.test";
/// The admin whose presence means the demo is already loaded.
pub const DEMO_ADMIN_EMAIL: &str = "admin@demo.baton.test";
/// The organisation's name.
pub const DEMO_ORGANISATION: &str = "Meridian Group (demo)";

/// The same story on every load.
const SEED: u64 = 2026;

/// Why the demo could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DemoError(String);

impl DemoError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        DemoError(message.into())
    }

    /// Says which step of the load failed.
    fn during(self, step: &str) -> Self {
        DemoError(format!("{step}: {}", self.0))
    }
}

impl From<ApiError> for DemoError {
    /// Keeps the details an API answer would hide (internal causes, field
    /// errors): here they are the operator's only clue.
    fn from(error: ApiError) -> Self {
        match error {
            ApiError::Internal(cause) => DemoError(cause),
            ApiError::Validation { detail, errors } => DemoError(format!("{detail}: {errors:?}")),
            other => DemoError(other.to_string()),
        }
    }
}

impl From<DbErr> for DemoError {
    fn from(error: DbErr) -> Self {
        DemoError(format!("database: {error}"))
    }
}

impl From<baton::time::TimeError> for DemoError {
    fn from(error: baton::time::TimeError) -> Self {
        DemoError(format!("business time: {error}"))
    }
}

/// What a load did.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// False when the demo organisation was already there.
    pub created: bool,
    /// False when an earlier load was interrupted half-way.
    pub complete: bool,
    pub took: Duration,
    pub logins: Vec<Login>,
}

/// One login to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// "admin", "leader", "lead, Legal", …
    pub role: String,
    pub name: String,
    pub email: String,
}

/// Loads the demonstration organisation unless it is already there; either
/// way answers its logins. Run it on a migrated database before serving.
#[tracing::instrument(skip_all)]
pub async fn load(db: &DatabaseConnection, cache: &CalendarCache) -> Result<Loaded, DemoError> {
    let started = Instant::now();
    let admin = user::Entity::find()
        .filter(user::Column::Email.eq(DEMO_ADMIN_EMAIL))
        .one(db)
        .await?;
    let complete = match &admin {
        None => {
            build(db, cache).await?;
            true
        }
        // The loader cannot run in one transaction (the services open their
        // own), so a load killed half-way leaves a partial organisation;
        // reviews come last, so their absence gives it away.
        Some(admin) => review::Entity::find()
            .filter(review::Column::OrganisationId.eq(admin.organisation_id))
            .one(db)
            .await?
            .is_some(),
    };
    Ok(Loaded {
        created: admin.is_none(),
        complete,
        took: started.elapsed(),
        logins: people::logins(),
    })
}

/// Builds the whole organisation, step by step. Each step only reads what
/// the earlier ones made, so the order below is the story's order.
async fn build(db: &DatabaseConnection, cache: &CalendarCache) -> Result<(), DemoError> {
    let now = work::whole_second(Utc::now());
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let org = people::create(db, cache, now)
        .await
        .map_err(|error| error.during("creating departments and people"))?;
    let pacts = agreements::create(db, &org)
        .await
        .map_err(|error| error.during("creating agreements"))?;
    history::load(db, cache, &org, &pacts, &mut rng)
        .await
        .map_err(|error| error.during("playing the request history"))?;
    commitments::load(db, cache, &org, &pacts, &mut rng)
        .await
        .map_err(|error| error.during("creating commitments"))?;
    pulses::load(db, cache, &org, &pacts, &mut rng)
        .await
        .map_err(|error| error.during("asking customers in pulse checks"))?;
    contacts::load(db, cache, &org, &mut rng)
        .await
        .map_err(|error| error.during("making the leads' daily calls"))?;
    reviews::load(db, &org)
        .await
        .map_err(|error| error.during("holding reviews"))?;
    inbox::settle(db, &org)
        .await
        .map_err(|error| error.during("settling notifications"))?;
    Ok(())
}

impl Loaded {
    /// The block printed for the operator: where to go and who to be.
    pub fn banner(&self, url: &str) -> String {
        Banner { loaded: self, url }.to_string()
    }
}

struct Banner<'a> {
    loaded: &'a Loaded,
    url: &'a str,
}

impl fmt::Display for Banner<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = if self.loaded.created {
            format!("loaded in {:.1} s", self.loaded.took.as_secs_f64())
        } else {
            "already loaded".to_owned()
        };
        writeln!(f, "Demo organisation \"{DEMO_ORGANISATION}\" ({how})")?;
        writeln!(f, "  open {}/ and log in as", self.url)?;
        let width = self
            .loaded
            .logins
            .iter()
            .map(|login| login.role.len())
            .max()
            .unwrap_or(0);
        for login in &self.loaded.logins {
            writeln!(
                f,
                "    {:<width$}  {:<32}  {}",
                login.role, login.email, login.name
            )?;
        }
        if !self.loaded.complete {
            writeln!(
                f,
                "  warning: an earlier load was interrupted, so the demo is incomplete; \
                 start from an empty database to load it afresh"
            )?;
        }
        write!(
            f,
            "  password for every demo login: {DEMO_PASSWORD} (demonstration only: never on a shared server)"
        )
    }
}

/// One of `items`, or `fallback` when there are none.
pub(crate) fn pick<'a>(rng: &mut ChaCha8Rng, items: &[&'a str], fallback: &'a str) -> &'a str {
    items.choose(rng).copied().unwrap_or(fallback)
}
