//! The voice of the customer over the past months: every active agreement
//! has had a pulse check every four weeks for five months, answered by most
//! of the customer's people, most of them answered back by the provider's
//! lead; the latest is still open. Played through the pulse service at the
//! times it happened, so the schedule carries on from there.

use chrono::TimeDelta;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use baton::entities::{agreement, pulse};
use baton::services::calendars::CalendarCache;
use baton::services::pulses;

use super::DemoError;
use super::agreements::Pacts;
use super::people::Org;

/// What customers say they would like done better.
const ONE_THINGS: [&str; 8] = [
    "Tell us as soon as you know a date will slip.",
    "A first reply the same day, even if it is only 'we are on it'.",
    "One person to ask instead of the shared inbox.",
    "Say what you need from us up front, not halfway through.",
    "Fewer rounds of questions: one list, once.",
    "Keep the status in Baton current so we stop chasing.",
    "",
    "Shorter turnaround on the small ones.",
];

/// What providers answer back.
const ANSWERS: [&str; 5] = [
    "From next week every request gets a first reply within four working hours.",
    "We will forecast in Baton the moment a date moves, with the reason.",
    "A named contact per request from now on, shown as its assignee.",
    "We have written a checklist of what we need; it is on the agreement.",
    "Small requests go to a fast lane handled the same day.",
];

/// Pulses before the open one.
const PAST_PULSES: i32 = 5;

pub(crate) async fn load(
    db: &DatabaseConnection,
    cache: &CalendarCache,
    org: &Org,
    pacts: &Pacts,
    rng: &mut ChaCha8Rng,
) -> Result<(), DemoError> {
    for pact in pacts.all() {
        let Some(row) = agreement::Entity::find_by_id(pact.id).one(db).await? else {
            continue;
        };
        let provider = org.dept(pact.spec.provider)?;
        let customer = org.dept(pact.spec.customer)?;
        for period in 1..=PAST_PULSES + 1 {
            let weeks_ago = i64::from(PAST_PULSES + 1 - period) * 4;
            // The open one started two days ago; the others every four weeks before.
            let opened_at = org.now - TimeDelta::weeks(weeks_ago) - TimeDelta::days(2);
            if !pulses::open_one(db, cache, &row, period, opened_at).await? {
                continue;
            }
            let Some(opened) = pulse::Entity::find()
                .filter(pulse::Column::AgreementId.eq(row.id))
                .filter(pulse::Column::Period.eq(period))
                .one(db)
                .await?
            else {
                continue;
            };
            let mut answered_at = opened_at + TimeDelta::hours(3);
            let people = std::iter::once(&customer.lead).chain(customer.staff.iter());
            for member in people {
                if rng.random_bool(0.25) || answered_at >= org.now {
                    continue;
                }
                // Scores drift up over the months as providers act on what they hear.
                let base = 5 + i64::from(period) / 2;
                let score = (base + rng.random_range(-2..=3)).clamp(1, 10);
                let one_thing = ONE_THINGS[rng.random_range(0..ONE_THINGS.len())];
                pulses::answer(db, &member.auth, opened.id, score, one_thing, answered_at).await?;
                answered_at += TimeDelta::hours(5);
            }
            let closed = opened.closes_at < org.now;
            if closed && rng.random_bool(0.8) {
                let response = ANSWERS[rng.random_range(0..ANSWERS.len())];
                let at = opened.closes_at + TimeDelta::days(1);
                if at < org.now {
                    pulses::respond(db, &provider.lead.auth, opened.id, response, None, at).await?;
                }
            }
        }
    }
    Ok(())
}
