//! Playing one request's life through the request services: it is logged by
//! someone of the customer department at its (past) request time, then each
//! step of its [`Fate`] is applied by the side allowed to take it, with the
//! step's true time as `at` — up to the moment of loading. Steps that would
//! lie in the future are not taken, so work requested recently is still
//! open, in progress, waiting or overdue now, exactly as it would be.

use chrono::{DateTime, Utc};
use rand_chacha::ChaCha8Rng;
use sea_orm::DatabaseConnection;

use baton::db::Pool;
use baton::entities::ids::RequestId;
use baton::entities::request;
use baton::services::Context;
use baton::services::ExpectedVersion;
use baton::services::calendars::CalendarCache;
use baton::services::requests::{self, Action, NewRequest};
use baton::services::thanks;
use baton::time::CompiledCalendar;

use super::DemoError;
use super::agreements::Active;
use super::people::Org;

/// What happens to a request. Shares are of its agreed working time (from
/// clock start to due, in the provider's calendar).
#[derive(Debug, Clone, Default)]
pub(crate) struct Fate {
    /// When the provider starts; `None`: nobody has touched it yet.
    pub start: Option<f64>,
    /// When it is delivered: below 1 early, exactly 1 at the due, above 1 late.
    pub pace: f64,
    pub pause: Option<Pause>,
    /// The provider tells the customer when delivery will really be.
    pub forecast: Option<Forecast>,
    pub reopen: Option<Reopen>,
    pub cancel: Option<Cancel>,
    /// Working hours of the customer between delivery and acceptance.
    pub accept_after_hours: Option<f64>,
    pub rating: Option<(i64, String)>,
}

#[derive(Debug, Clone)]
pub(crate) struct Pause {
    pub at: f64,
    /// Working hours of the provider until the customer answers.
    pub hours: f64,
    pub reason: &'static str,
}

#[derive(Debug, Clone)]
pub(crate) struct Forecast {
    pub at: f64,
    pub reason: &'static str,
}

#[derive(Debug, Clone)]
pub(crate) struct Reopen {
    pub reason: &'static str,
    /// Working hours of rework.
    pub hours: f64,
}

#[derive(Debug, Clone)]
pub(crate) struct Cancel {
    pub at: f64,
    pub reason: &'static str,
}

/// A request to play.
pub(crate) struct Plan<'a> {
    pub pact: &'a Active,
    pub title: String,
    pub details: String,
    pub requested_at: DateTime<Utc>,
    pub depends_on: Vec<RequestId>,
    pub fate: Fate,
}

/// One change, by the side allowed to make it.
enum Step {
    Provider(Action),
    Customer(Action),
    /// The customer thanks the provider with this note.
    Thanks(&'static str),
}

/// What customers say when they thank (picked by request id).
const THANKS: [&str; 6] = [
    "Exactly what we needed, and in time for the client call.",
    "Thank you for turning this round so quickly.",
    "Clear, complete and early: thank you.",
    "You saved our deadline this week. Thank you!",
    "Thanks for walking us through the details.",
    "Much appreciated: the customer noticed.",
];

/// Logs the request and plays its fate up to the moment of loading;
/// answers the request as it stands now.
pub(crate) async fn play(
    db: &DatabaseConnection,
    cache: &CalendarCache,
    org: &Org,
    plan: Plan<'_>,
    rng: &mut ChaCha8Rng,
) -> Result<request::Model, DemoError> {
    let provider = org.dept(plan.pact.spec.provider)?;
    let customer = org.dept(plan.pact.spec.customer)?;
    let pool = Pool::main(db.clone());
    // The same two people see a request through, as they would.
    let requester = customer.anyone(rng);
    let worker = provider.anyone(rng);
    let logged = requests::log(
        &Context::alone(&pool, cache, requester.clone()),
        NewRequest {
            agreement_id: plan.pact.id,
            title: plan.title,
            details: plan.details,
            requested_at: Some(whole_second(plan.requested_at)),
            depends_on: plan.depends_on,
        },
        None,
    )
    .await?;
    let mut row = logged.request;
    let steps = plan
        .fate
        .steps(&row, &provider.calendar, &customer.calendar)?;
    for (at, step) in steps {
        let at = whole_second(at).max(row.last_event_at);
        if at > org.now {
            break;
        }
        let (actor, action) = match step {
            Step::Provider(action) => (worker, action),
            Step::Customer(action) => (requester, action),
            Step::Thanks(note) => {
                thanks::thank_at(db, requester, row.id, note, at).await?;
                row = requests::get(db, requester, row.id).await?;
                continue;
            }
        };
        row = requests::act(
            &Context::alone(&pool, cache, actor.clone()),
            row.id,
            ExpectedVersion(None),
            action,
            Some(at),
        )
        .await?;
    }
    Ok(row)
}

/// Drops sub-second parts: the engine counts whole seconds, and so do people.
pub(crate) fn whole_second(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

impl Fate {
    /// The steps with their times, in order.
    fn steps(
        &self,
        row: &request::Model,
        provider: &CompiledCalendar,
        customer: &CompiledCalendar,
    ) -> Result<Vec<(DateTime<Utc>, Step)>, DemoError> {
        let mut steps = Vec::new();
        let Some(start) = self.start else {
            return Ok(steps);
        };
        let clock_start = row.clock_start;
        // A zero-length span (a turnaround ending at its clock start) would
        // put every step at once; give the work half an hour at least.
        let span = provider
            .working_seconds(clock_start, row.due_at)?
            .max(1_800) as f64;
        let after = |share: f64, extra: i64| {
            provider.add_working(clock_start, (share.max(0.0) * span) as i64 + extra)
        };

        if let Some(cancel) = &self.cancel {
            if cancel.at > start {
                steps.push((after(start, 0)?, Step::Provider(Action::Start)));
            }
            steps.push((
                after(cancel.at, 0)?,
                Step::Customer(Action::Cancel {
                    reason: cancel.reason.into(),
                }),
            ));
            return Ok(steps);
        }

        steps.push((after(start, 0)?, Step::Provider(Action::Start)));
        let mut paused = 0;
        // A pause or forecast planned after the delivery would be refused.
        let pause = self
            .pause
            .as_ref()
            .filter(|pause| pause.at >= start && pause.at < self.pace);
        let forecast = self
            .forecast
            .as_ref()
            .filter(|forecast| forecast.at >= start && forecast.at < self.pace);
        if let Some(pause) = pause {
            let paused_at = after(pause.at, 0)?;
            paused = (pause.hours * 3_600.0) as i64;
            steps.push((
                paused_at,
                Step::Provider(Action::Pause {
                    reason: pause.reason.into(),
                }),
            ));
            steps.push((
                provider.add_working(paused_at, paused)?,
                Step::Provider(Action::Resume),
            ));
        }
        // Working time the pause took counts neither for nor against the
        // provider: the due moves by it, and so does the delivery.
        let delivered_at = after(self.pace, paused)?;
        if let Some(forecast) = forecast {
            let paused_before = match pause {
                Some(pause) if pause.at < forecast.at => paused,
                _ => 0,
            };
            steps.push((
                after(forecast.at, paused_before)?,
                Step::Provider(Action::Forecast {
                    expected_at: whole_second(delivered_at),
                    reason: forecast.reason.into(),
                }),
            ));
        }
        steps.push((delivered_at, Step::Provider(Action::Deliver)));
        let mut settled_at = delivered_at;
        if let Some(reopen) = &self.reopen {
            let reopened_at = customer.add_working(delivered_at, 2 * 3_600)?;
            let restarted_at = provider.add_working(reopened_at, 1_800)?;
            settled_at = provider.add_working(restarted_at, (reopen.hours * 3_600.0) as i64)?;
            steps.push((
                reopened_at,
                Step::Customer(Action::Reopen {
                    reason: reopen.reason.into(),
                }),
            ));
            steps.push((restarted_at, Step::Provider(Action::Start)));
            steps.push((settled_at, Step::Provider(Action::Deliver)));
        }
        if let Some(hours) = self.accept_after_hours {
            settled_at = customer.add_working(settled_at, (hours * 3_600.0) as i64)?;
            steps.push((settled_at, Step::Customer(Action::Accept)));
        }
        if let Some((score, comment)) = &self.rating {
            let rated_at = customer.add_working(settled_at, 900)?;
            steps.push((
                rated_at,
                Step::Customer(Action::Rate {
                    score: *score,
                    comment: comment.clone(),
                }),
            ));
            // Every 10 and every other 9 is thanked for, half an hour later.
            let id = row.id.0;
            if *score == 10 || (*score == 9 && id % 2 == 0) {
                steps.push((
                    customer.add_working(rated_at, 1_800)?,
                    Step::Thanks(THANKS[id.unsigned_abs() as usize % THANKS.len()]),
                ));
            }
        }
        // Stable: steps at the same instant keep their logical order.
        steps.sort_by_key(|(at, _)| *at);
        Ok(steps)
    }
}
