//! The work open at the moment of loading, staged on purpose so that every
//! state a newcomer should see is there: waiting on the customer, overdue,
//! forecast late, reopened for rework, delivered and awaiting acceptance,
//! in progress and not yet started.
//!
//! Each piece of work is placed by its due: "due in `h` working hours" (or
//! `h` ago when negative) in the provider's calendar, and the request time
//! is found backwards from it.

use chrono::TimeDelta;
use rand_chacha::ChaCha8Rng;
use sea_orm::DatabaseConnection;

use baton::services::calendars::CalendarCache;

use super::DemoError;
use super::agreements::{Active, Pact, Pacts};
use super::clock::{requested_for_due, working_before};
use super::people::Org;
use super::work::{self, Cancel, Fate, Forecast, Pause, Plan, Reopen};

const HOUR: i64 = 3_600;

/// Where a piece of open work stands now.
#[derive(Debug, Clone, Copy)]
pub(crate) enum State {
    /// Logged, nobody has started.
    Open,
    /// Started, on its way.
    InProgress,
    /// Started, then paused for the customer, who has not answered yet.
    Waiting(&'static str),
    /// Past its due and not delivered, with no word from the provider.
    Overdue,
    /// The provider said it will be late, and when.
    ForecastLate(&'static str),
    /// Delivered, not yet accepted.
    Delivered,
    /// Delivered, sent back by the customer, being reworked.
    Reopened(&'static str),
    /// Called off by the customer.
    Cancelled(&'static str),
}

/// A request placed relative to now.
pub(crate) struct Staged<'a> {
    pub pact: &'a Active,
    pub title: String,
    /// Working hours of the provider from now to the due (negative: past).
    pub due_in_hours: f64,
    pub state: State,
}

/// The request plan that brings `staged` to its state now.
pub(crate) fn plan<'a>(org: &Org, staged: Staged<'a>) -> Result<Plan<'a>, DemoError> {
    let calendar = &org.dept(staged.pact.spec.provider)?.calendar;
    let now = org.now;
    let seconds = (staged.due_in_hours.abs() * HOUR as f64) as i64;
    let due = if staged.due_in_hours >= 0.0 {
        calendar.add_working(now, seconds)?
    } else {
        working_before(calendar, now, seconds)?
    };
    // Never in the future, whatever the calendar says.
    let requested_at =
        requested_for_due(calendar, staged.pact.turnaround, due)?.min(now - TimeDelta::minutes(20));
    let planned = calendar.due(requested_at, staged.pact.turnaround)?;
    let span = calendar
        .working_seconds(planned.clock_start, planned.due)?
        .max(1_800) as f64;
    // How much of the agreed working time has already gone by.
    let gone = calendar.working_seconds(planned.clock_start, now)?.max(0) as f64 / span;
    let from_now = |hours: f64| gone + hours * HOUR as f64 / span;
    let fate = match staged.state {
        State::Open => Fate::default(),
        State::InProgress => Fate {
            start: Some(gone * 0.3),
            pace: from_now(2.0).max(0.9),
            ..Fate::default()
        },
        State::Waiting(reason) => Fate {
            start: Some(gone * 0.1),
            pace: 1.0,
            pause: Some(Pause {
                at: gone * 0.5,
                // Longer than the demo looks ahead: still waiting now.
                hours: 400.0,
                reason,
            }),
            ..Fate::default()
        },
        State::Overdue => Fate {
            start: Some(gone * 0.2),
            pace: from_now(16.0),
            ..Fate::default()
        },
        State::ForecastLate(reason) => Fate {
            start: Some(gone * 0.1),
            // Three working days after the due, whatever now is.
            pace: 1.0 + 24.0 * HOUR as f64 / span,
            forecast: Some(Forecast {
                at: gone * 0.6,
                reason,
            }),
            ..Fate::default()
        },
        State::Delivered => Fate {
            start: Some(gone * 0.1),
            pace: (gone * 0.8).min(0.9),
            ..Fate::default()
        },
        State::Reopened(reason) => Fate {
            start: Some(gone * 0.05),
            pace: gone * 0.4,
            reopen: Some(Reopen {
                reason,
                hours: 40.0,
            }),
            ..Fate::default()
        },
        State::Cancelled(reason) => Fate {
            start: Some(gone * 0.2),
            pace: 1.0,
            cancel: Some(Cancel {
                at: gone * 0.6,
                reason,
            }),
            ..Fate::default()
        },
    };
    Ok(Plan {
        pact: staged.pact,
        title: staged.title,
        details: staged.pact.spec.details.into(),
        requested_at,
        depends_on: Vec::new(),
        fate,
    })
}

/// Open requests outside the customer deals, one per interesting state.
const STAGED: [(Pact, &str, f64, State); 15] = [
    (
        Pact::ContractReview,
        "Northgate Telecom",
        -6.0,
        State::Overdue,
    ),
    (
        Pact::ContractReview,
        "Bluefin Analytics",
        10.0,
        State::Waiting("Waiting for the customer's redlines on the liability cap"),
    ),
    (
        Pact::PurchaseOrder,
        "barcode scanners",
        6.0,
        State::ForecastLate("Only two quotes so far; the third supplier answers on Monday"),
    ),
    (
        Pact::PurchaseOrder,
        "safety equipment",
        -12.0,
        State::Overdue,
    ),
    (
        Pact::ProductionAccess,
        "billing platform",
        3.0,
        State::InProgress,
    ),
    (
        Pact::ProposalDeck,
        "Silverline Retail",
        12.0,
        State::ForecastLate("Our designer is out sick; the deck needs two more days"),
    ),
    (Pact::NewStarterKit, "Yuki Tanaka", 20.0, State::InProgress),
    (Pact::IncidentReport, "portal outage", -4.0, State::Overdue),
    (
        Pact::SupplierContract,
        "Polar Cold Chain",
        16.0,
        State::Waiting("The supplier has not sent its data-processing terms"),
    ),
    (
        Pact::CustomerOnboarding,
        "Redwood Insurance",
        8.0,
        State::Reopened("Two depots are missing from the route plan"),
    ),
    (Pact::CreditCheck, "Lumen Pharma", 6.0, State::Delivered),
    (Pact::VendorSetup, "Ironbridge Security", 4.0, State::Open),
    (
        Pact::LeadFeedback,
        "logistics trade fair",
        -3.0,
        State::Overdue,
    ),
    (
        Pact::MaintenanceWindow,
        "EDI gateway",
        8.0,
        State::InProgress,
    ),
    (
        Pact::JobPosting,
        "Solutions Engineer",
        10.0,
        State::Cancelled("The role was frozen in the budget review"),
    ),
];

/// Plays the staged open work.
pub(crate) async fn load(
    db: &DatabaseConnection,
    cache: &CalendarCache,
    org: &Org,
    pacts: &Pacts,
    rng: &mut ChaCha8Rng,
) -> Result<(), DemoError> {
    for (pact, subject, due_in_hours, state) in STAGED {
        let pact = pacts.get(pact)?;
        let staged = Staged {
            pact,
            title: format!("{}: {subject}", pact.spec.prefix),
            due_in_hours,
            state,
        };
        work::play(db, cache, org, plan(org, staged)?, rng).await?;
    }
    Ok(())
}
