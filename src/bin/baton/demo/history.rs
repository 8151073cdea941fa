//! Five months of routine requests under every active agreement, in the
//! order they were made. Each provider is as reliable as its agreement's
//! profile says: most work on time (a good share early, some right at the
//! due), a long tail late, now and then a pause for the customer, a late
//! forecast, a rework or a cancellation; most deliveries are accepted and
//! rated, a few with a comment. Requests made in the last days are simply
//! not finished yet.

use chrono::TimeDelta;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sea_orm::DatabaseConnection;

use baton::services::calendars::CalendarCache;

use super::agreements::Pacts;
use super::people::Org;
use super::work::{self, Cancel, Fate, Forecast, Pause, Plan, Reopen};
use super::{DemoError, pick, present};

/// How far back the history goes.
const WEEKS: i64 = 22;

/// Plays the routine history, then stages the work open now.
pub(crate) async fn load(
    db: &DatabaseConnection,
    cache: &CalendarCache,
    org: &Org,
    pacts: &Pacts,
    rng: &mut ChaCha8Rng,
) -> Result<(), DemoError> {
    let first_week = org.now - TimeDelta::weeks(WEEKS);
    let mut plans = Vec::new();
    for pact in pacts.all() {
        let customer = &org.dept(pact.spec.customer)?.calendar;
        for week in 0..WEEKS {
            let count = (pact.spec.weekly * rng.random_range(0.4..1.6)).round() as i64;
            for _ in 0..count {
                let moment = first_week
                    + TimeDelta::weeks(week)
                    + TimeDelta::seconds(rng.random_range(0..7 * 86_400));
                // Requests are made while the customer is at work.
                let requested_at = customer.add_working(
                    customer.clock_start(moment)?,
                    rng.random_range(0..3 * 3_600),
                )?;
                if requested_at > org.now - TimeDelta::hours(1) {
                    continue;
                }
                let subject = pick(rng, pact.spec.subjects.list(), "misc");
                plans.push(Plan {
                    pact,
                    title: format!("{}: {subject}", pact.spec.prefix),
                    details: pact.spec.details.into(),
                    requested_at,
                    depends_on: Vec::new(),
                    fate: routine(rng, pact.spec.reliability, true),
                });
            }
        }
    }
    // Ids grow with time, as they would have.
    plans.sort_by_key(|plan| plan.requested_at);
    for plan in plans {
        work::play(db, cache, org, plan, rng).await?;
    }
    present::load(db, cache, org, pacts, rng).await
}

/// The fate of a routine request from a provider on time with probability
/// `reliability`.
pub(crate) fn routine(rng: &mut ChaCha8Rng, reliability: f64, cancellable: bool) -> Fate {
    if cancellable && rng.random_bool(0.03) {
        return Fate {
            start: Some(rng.random_range(0.0..0.2)),
            pace: 1.0,
            cancel: Some(Cancel {
                at: rng.random_range(0.05..0.6),
                reason: pick(rng, CANCEL_REASONS, "No longer needed"),
            }),
            ..Fate::default()
        };
    }
    let on_time = rng.random_bool(reliability.clamp(0.0, 1.0));
    let pace = if !on_time {
        // A long tail: mostly a little late, sometimes days.
        let u: f64 = rng.random_range(0.001..1.0);
        1.02 + (-u.ln() * 0.35).min(3.0)
    } else if rng.random_bool(0.25) {
        // Delivered at the deadline, to the minute: on time, not early.
        1.0
    } else {
        rng.random_range(0.3..0.97)
    };
    let start = rng.random_range(0.0..0.2) * pace.min(1.0);
    let pause = rng.random_bool(0.07).then(|| Pause {
        at: start + (pace - start) * 0.3,
        hours: rng.random_range(2.0..16.0),
        reason: pick(rng, PAUSE_REASONS, "Waiting for the customer"),
    });
    // "No surprises": most late providers warn before the due.
    let forecast = (!on_time && rng.random_bool(0.6)).then(|| Forecast {
        at: start + (1.0 - start) * rng.random_range(0.4..0.9),
        reason: pick(rng, FORECAST_REASONS, "More work than expected"),
    });
    let reopen = rng.random_bool(0.03).then(|| Reopen {
        reason: pick(rng, REOPEN_REASONS, "Not what we asked for"),
        hours: rng.random_range(2.0..10.0),
    });
    let accept_after_hours = rng.random_bool(0.85).then(|| rng.random_range(0.5..12.0));
    let rating = rng
        .random_bool(0.72)
        .then(|| rating(rng, on_time && reopen.is_none()));
    Fate {
        start: Some(start),
        pace,
        pause,
        forecast,
        reopen,
        cancel: None,
        accept_after_hours,
        rating,
    }
}

/// A score from 1 to 10 and, now and then, a comment.
fn rating(rng: &mut ChaCha8Rng, pleased: bool) -> (i64, String) {
    let (scores, comments): (&[i64], &[&str]) = if pleased {
        (&[10, 10, 9, 9, 9, 8, 8, 8, 8, 7, 7, 6], PLEASED)
    } else {
        (&[8, 7, 6, 6, 5, 5, 4, 4, 3, 2], DISAPPOINTED)
    };
    let score = scores
        .get(rng.random_range(0..scores.len()))
        .copied()
        .unwrap_or(7);
    let comment = if rng.random_bool(0.35) {
        pick(rng, comments, "")
    } else {
        ""
    };
    (score, comment.into())
}

const PAUSE_REASONS: &[&str] = &[
    "Waiting for the customer to send the missing documents",
    "Asked the requester to confirm the scope",
    "Waiting for the budget owner's approval",
    "Requester on leave; waiting for a deputy",
    "Need the signed order form first",
];

const FORECAST_REASONS: &[&str] = &[
    "More work than expected: the customer's paper deviates a lot from ours",
    "Two colleagues off sick this week",
    "Waiting on an external party we depend on",
    "Quarter-end close takes priority until Thursday",
    "Supplier has not confirmed the delivery date yet",
    "Queue is longer than usual after the release",
];

const REOPEN_REASONS: &[&str] = &[
    "The attachment is the old version",
    "Two items from the request are missing",
    "Not what we asked for: please re-read the scope",
];

const CANCEL_REASONS: &[&str] = &[
    "Duplicate of an earlier request",
    "The customer walked away from the deal",
    "No longer needed after the reorganisation",
];

const PLEASED: &[&str] = &[
    "Quick and thorough, thank you.",
    "Exactly what we needed.",
    "Clear mark-up, easy to follow.",
    "Ahead of time, which saved our customer call.",
    "Great summary at the top, very useful.",
];

const DISAPPOINTED: &[&str] = &[
    "Arrived after our customer call; we had to reschedule.",
    "Late again: please warn us earlier.",
    "Good quality, but two days late.",
    "We had to chase twice.",
    "Missing the signed appendix.",
];
