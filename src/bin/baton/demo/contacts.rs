//! The leads' daily calls over the past two months: on most working days
//! each providing department's lead called the customer the plan offered
//! and wrote down what was said; some days were skipped. Played through the
//! contact service on each day as it was, so the plan carries on from there.

use chrono::TimeDelta;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sea_orm::DatabaseConnection;

use baton::services::calendars::CalendarCache;
use baton::services::contacts;

use super::DemoError;
use super::people::Org;

/// What customers tell a lead who calls.
const SAID: [&str; 6] = [
    "Happy overall; would like a heads-up earlier when something slips.",
    "The new checklist helped: fewer rounds of questions.",
    "Month end is tight for them; asked us to front-load their requests.",
    "They did not know whom to ask; introduced our named contacts.",
    "Asked for shorter turnaround on the small ones.",
    "Praised last week's quick delivery; nothing to add.",
];

/// Days of history.
const DAYS: i64 = 60;

pub(crate) async fn load(
    db: &DatabaseConnection,
    cache: &CalendarCache,
    org: &Org,
    rng: &mut ChaCha8Rng,
) -> Result<(), DemoError> {
    let mut departments: Vec<_> = org.departments.values().collect();
    departments.sort_by_key(|department| department.id);
    for department in departments {
        let lead = &department.lead.auth;
        for back in (1..=DAYS).rev() {
            // Mid-morning of that day, in UTC: inside every office's hours.
            let at = org.now - TimeDelta::days(back);
            let plan = contacts::plan(db, cache, lead, department.id, at).await?;
            let Some(suggestion) = plan.suggestion else {
                continue;
            };
            if plan.today.is_some() || !plan.working_day {
                continue;
            }
            let roll = rng.random_range(0..10);
            if roll < 6 {
                let said = SAID[rng.random_range(0..SAID.len())];
                contacts::record(
                    db,
                    cache,
                    lead,
                    department.id,
                    Some(suggestion.customer_department_id),
                    said,
                    at,
                )
                .await?;
            } else if roll < 8 {
                contacts::record(db, cache, lead, department.id, None, "", at).await?;
            }
        }
    }
    Ok(())
}
