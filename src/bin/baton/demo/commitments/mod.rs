//! Promises to outside customers and the chains of handoffs behind them.
//!
//! A customer go-live needs Legal's contract review and Finance's credit
//! check for Sales, Procurement's purchase order and IT's production access
//! for Operations, and Operations' onboarding environment (which waits for
//! both) for Customer Success, who promises the date. Deals of the past
//! months ran through such chains and were fulfilled; the deals open now are
//! on track, at risk or late — each promise is set against the projection
//! of its chain so that every class is there, and checked afterwards.
//!
//! What lives where:
//! - this file: [`load`], and [`Deals`], what every step of a deal needs;
//! - [`past`]: the go-lives of the past months, played out and fulfilled;
//! - [`open`]: the deals open now, one chain each, staged relative to now;
//! - [`promise`]: a promise made with the risk it is meant to have, set
//!   against the projection of its chain.

mod open;
mod past;
mod promise;

use rand_chacha::ChaCha8Rng;
use sea_orm::DatabaseConnection;

use baton::db::Pool;
use baton::services::calendars::CalendarCache;
use baton::time::{Turnaround, TurnaroundUnit};

use super::DemoError;
use super::agreements::Pacts;
use super::people::Org;

/// What every step of a deal needs.
struct Deals<'a> {
    db: &'a DatabaseConnection,
    /// The same database as the use cases take it (`Context::alone`).
    pool: Pool,
    cache: &'a CalendarCache,
    org: &'a Org,
    pacts: &'a Pacts,
}

/// The past go-lives, then the deals open now.
pub(crate) async fn load(
    db: &DatabaseConnection,
    cache: &CalendarCache,
    org: &Org,
    pacts: &Pacts,
    rng: &mut ChaCha8Rng,
) -> Result<(), DemoError> {
    let deals = Deals {
        db,
        pool: Pool::main(db.clone()),
        cache,
        org,
        pacts,
    };
    deals.past(rng).await?;
    deals.open(rng).await
}

/// A lead time of whole business hours.
fn business_hours(hours: i64) -> Result<Turnaround, DemoError> {
    Turnaround::from_quantity(TurnaroundUnit::BusinessHours, hours * 60)
        .map_err(|error| DemoError::new(format!("lead time: {error}")))
}
