//! Review meetings: four department pairs have met regularly over the past
//! months — minutes, decisions, action items closed, dropped, still open and
//! one overdue — and each has its next meeting scheduled (the service
//! schedules it when one is held); a fifth pair is about to meet for the
//! first time.

use chrono::{Datelike, Days, NaiveDate, TimeDelta, Weekday};
use sea_orm::DatabaseConnection;

use baton::identity::AuthUser;
use baton::services::ExpectedVersion;
use baton::services::reviews::{self, ActionChanges, HoldInput, NewAction, NewReview};

use super::DemoError;
use super::people::{Dept, Org};

/// Who owns an action item, relative to the pair.
#[derive(Clone, Copy)]
enum Owner {
    LeadA,
    LeadB,
    StaffA,
    StaffB,
}

/// What became of an action item by now (items of the latest meeting are
/// all still open).
#[derive(Clone, Copy)]
enum Outcome {
    Done(&'static str),
    Dropped(&'static str),
    /// Left open past its due date.
    Overdue,
}

struct Meeting {
    minutes: &'static str,
    decisions: &'static [&'static str],
    actions: &'static [(&'static str, Owner, Outcome)],
}

/// The meetings of one pair, oldest first.
struct Series {
    a: Dept,
    b: Dept,
    every_weeks: i64,
    duration_minutes: i64,
    /// Days from now to the next meeting (moved off weekends).
    next_in_days: u64,
    /// Meeting time in UTC, chosen to fall inside both offices' hours.
    utc: (u32, u32),
    held: &'static [Meeting],
}

const DONE: Outcome = Outcome::Done("Done and announced in the team channel.");

const SERIES: [Series; 5] = [
    Series {
        a: Dept::Legal,
        b: Dept::Sales,
        every_weeks: 4,
        duration_minutes: 45,
        next_in_days: 6,
        utc: (14, 0),
        held: &[
            Meeting {
                minutes: "Contract reviews ran below the 90% target. Most misses were long \
                          customer papers that arrived without a deal brief; the deal briefs \
                          Sales owes Legal were on time. Ratings were good where reviews \
                          were on time.",
                decisions: &[
                    "Sales attaches the deal brief to every contract review request",
                    "Legal flags papers over 30 pages on the day they arrive and forecasts at once",
                ],
                actions: &[
                    (
                        "Add 'deal brief attached?' to the contract review request template",
                        Owner::StaffB,
                        DONE,
                    ),
                    (
                        "Publish the playbook's fallback clauses on the intranet",
                        Owner::LeadA,
                        Outcome::Done("Published; linked from the request form."),
                    ),
                ],
            },
            Meeting {
                minutes: "On-time delivery improved. Two reviews were reopened because the \
                          wrong contract version was attached. Sales asks for a one-line risk \
                          summary at the top of every mark-up.",
                decisions: &[
                    "A risk summary goes in the first line of every mark-up",
                    "The 3-business-day turnaround stays; revisit at the next review",
                ],
                actions: &[
                    (
                        "Agree a version naming rule for contract drafts",
                        Owner::StaffA,
                        Outcome::Overdue,
                    ),
                    (
                        "Walk new account executives through the request form",
                        Owner::LeadB,
                        Outcome::Done("Covered in the onboarding session for three new starters."),
                    ),
                ],
            },
            Meeting {
                minutes: "Close to target. Late forecasts now arrive before the due in most \
                          cases and Sales can plan around them. The Marigold Clinics contract \
                          is waiting for the customer's signed NDA.",
                decisions: &[
                    "Forecast as soon as a paper is known to be non-standard",
                    "Framework agreements get their own turnaround, proposed by Legal",
                ],
                actions: &[
                    (
                        "Propose a separate turnaround for framework agreements",
                        Owner::LeadA,
                        DONE,
                    ),
                    (
                        "Collect customer NDAs before requesting the contract review",
                        Owner::StaffB,
                        DONE,
                    ),
                ],
            },
        ],
    },
    Series {
        a: Dept::Procurement,
        b: Dept::Operations,
        every_weeks: 2,
        duration_minutes: 30,
        next_in_days: 3,
        utc: (4, 30),
        held: &[
            Meeting {
                minutes: "Purchase orders are far below the 85% target. Waiting for a third \
                          quote takes the most time, and Operations often asks for hardware \
                          without a specification.",
                decisions: &[
                    "Operations attaches a specification to every purchase request",
                    "Procurement sets up framework agreements with two server suppliers",
                ],
                actions: &[
                    (
                        "Specification template for hardware requests",
                        Owner::StaffB,
                        DONE,
                    ),
                    (
                        "Shortlist two framework suppliers for servers",
                        Owner::LeadA,
                        Outcome::Dropped(
                            "Replaced by one framework agreement, see the next review.",
                        ),
                    ),
                ],
            },
            Meeting {
                minutes: "Slightly better. Supplier delays are now forecast, but often only \
                          after the due has passed.",
                decisions: &["Forecast on the day a supplier misses its quote date"],
                actions: &[(
                    "Share a weekly supplier chase list with Operations",
                    Owner::StaffA,
                    DONE,
                )],
            },
            Meeting {
                minutes: "Improving. The server framework agreement is with Legal for review.",
                decisions: &["Quotes older than three days go to the Procurement lead"],
                actions: &[
                    (
                        "Get the server framework agreement signed",
                        Owner::LeadA,
                        Outcome::Done("Signed with Stellar Components."),
                    ),
                    (
                        "Report purchase orders waiting for quotes every Monday",
                        Owner::StaffA,
                        DONE,
                    ),
                ],
            },
            Meeting {
                minutes: "Orion Freight's server order slipped a week at the supplier; \
                          Procurement forecast it, and the go-live Customer Success promised \
                          is now late. Both sides agreed to re-plan with Customer Success.",
                decisions: &[
                    "Orders that feed a customer go-live are forecast within a day of any slip",
                    "Operations marks go-live orders as such in the request title",
                ],
                actions: &[
                    (
                        "Re-plan the Orion Freight go-live with Customer Success",
                        Owner::LeadB,
                        DONE,
                    ),
                    (
                        "Second supplier quote for the Orion Freight servers",
                        Owner::StaffA,
                        DONE,
                    ),
                ],
            },
        ],
    },
    Series {
        a: Dept::It,
        b: Dept::Operations,
        every_weeks: 6,
        duration_minutes: 45,
        next_in_days: 10,
        utc: (5, 0),
        held: &[
            Meeting {
                minutes: "Production access is on target. Maintenance windows are confirmed \
                          on time but late in the day, which leaves the shift leads little \
                          notice.",
                decisions: &["Access requests are approved by the manager before they are logged"],
                actions: &[(
                    "Self-service approval link in the access request",
                    Owner::StaffA,
                    Outcome::Done("Live since the last release."),
                )],
            },
            Meeting {
                minutes: "Steady. Two access requests were paused for approvals; no other \
                          misses.",
                decisions: &["Look at a 4-hour access turnaround for incidents"],
                actions: &[("Propose an incident access turnaround", Owner::LeadA, DONE)],
            },
        ],
    },
    Series {
        a: Dept::Finance,
        b: Dept::Procurement,
        every_weeks: 4,
        duration_minutes: 30,
        next_in_days: 12,
        utc: (9, 0),
        held: &[
            Meeting {
                minutes: "Supplier payments are on target. Vendor set-ups miss theirs, mostly \
                          because bank letters are missing from the request.",
                decisions: &["No vendor set-up request without a bank letter"],
                actions: &[("Checklist for vendor set-up requests", Owner::StaffB, DONE)],
            },
            Meeting {
                minutes: "Vendor set-ups improved. Call-back verification takes a day when the \
                          supplier is abroad.",
                decisions: &["Call-back verification may start before the form is complete"],
                actions: &[(
                    "Measure call-back delays for foreign suppliers",
                    Owner::LeadA,
                    DONE,
                )],
            },
        ],
    },
    Series {
        a: Dept::Marketing,
        b: Dept::Sales,
        every_weeks: 4,
        duration_minutes: 45,
        next_in_days: 5,
        utc: (15, 0),
        held: &[],
    },
];

/// Creates, holds and schedules every series.
pub(crate) async fn load(db: &DatabaseConnection, org: &Org) -> Result<(), DemoError> {
    for series in &SERIES {
        play(db, org, series).await?;
    }
    Ok(())
}

/// Holds a series' meetings in turn, each with its action items, and
/// leaves the next one scheduled.
async fn play(db: &DatabaseConnection, org: &Org, series: &Series) -> Result<(), DemoError> {
    let a = org.dept(series.a)?;
    let b = org.dept(series.b)?;
    let chair = &a.lead.auth;
    let owner = |who: Owner| -> &AuthUser {
        match who {
            Owner::LeadA => &a.lead.auth,
            Owner::LeadB => &b.lead.auth,
            Owner::StaffA => &a.first_staff().auth,
            Owner::StaffB => &b.first_staff().auth,
        }
    };
    let next_day = weekday_on_or_after(
        org.now
            .date_naive()
            .checked_add_days(Days::new(series.next_in_days))
            .ok_or_else(|| DemoError::new("date out of range"))?,
    );
    let (hour, minute) = series.utc;
    let next_at = next_day
        .and_hms_opt(hour, minute, 0)
        .ok_or_else(|| DemoError::new("meeting time out of range"))?
        .and_utc();
    let meetings = series.held.len() as i64;
    let first_at = next_at - TimeDelta::weeks(series.every_weeks * meetings);
    let mut review = reviews::create(
        db,
        chair,
        NewReview {
            department_ids: vec![a.id, b.id],
            scheduled_at: first_at,
            duration_minutes: series.duration_minutes,
            every_weeks: series.every_weeks,
            attendee_user_ids: vec![
                a.lead.auth.id,
                b.lead.auth.id,
                a.first_staff().auth.id,
                b.first_staff().auth.id,
            ],
        },
    )
    .await?;
    for (index, meeting) in series.held.iter().enumerate() {
        let held_at = review.scheduled_at + TimeDelta::minutes(series.duration_minutes);
        let held = reviews::hold(
            db,
            chair,
            review.id,
            HoldInput {
                minutes: meeting.minutes.into(),
                decisions: meeting.decisions.iter().map(|&d| d.to_owned()).collect(),
                at: Some(held_at),
            },
        )
        .await?;
        let next = held
            .next
            .ok_or_else(|| DemoError::new("holding a recurring review scheduled no next one"))?;
        let latest = index + 1 == series.held.len();
        let held_on = held_at.date_naive();
        for &(title, who, outcome) in meeting.actions {
            let due_on = if latest {
                // "By the next review."
                next.scheduled_at.date_naive() - Days::new(1)
            } else if matches!(outcome, Outcome::Overdue) {
                held_on + Days::new(10)
            } else {
                held_on + Days::new(14)
            };
            let item = reviews::add_action(
                db,
                chair,
                review.id,
                NewAction {
                    title: title.into(),
                    owner_user_id: owner(who).id,
                    due_on,
                },
            )
            .await?;
            let closing = match outcome {
                _ if latest => None,
                Outcome::Done(note) => Some(("done", note)),
                Outcome::Dropped(note) => Some(("dropped", note)),
                Outcome::Overdue => None,
            };
            if let Some((status, note)) = closing {
                // Closed by its owner, as the other side is told.
                reviews::update_action(
                    db,
                    owner(who),
                    item.id,
                    ExpectedVersion(None),
                    ActionChanges {
                        status: Some(status.into()),
                        resolution_note: Some(note.into()),
                        ..Default::default()
                    },
                )
                .await?;
            }
        }
        review = next;
    }
    Ok(())
}

/// `date`, or the Monday after when it falls on a weekend.
fn weekday_on_or_after(date: NaiveDate) -> NaiveDate {
    match date.weekday() {
        Weekday::Sat => date + Days::new(2),
        Weekday::Sun => date + Days::new(1),
        _ => date,
    }
}
