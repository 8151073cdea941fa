//! A review's attendees hear when it is scheduled or moved, and the mail
//! carries an invitation their calendar takes in (`METHOD:REQUEST`).
//!
//! The invitation's `UID` is the one the calendar feed uses
//! (`review-{id}@baton`) and its `SEQUENCE` is the review's version, so a
//! calendar holding the review from the feed, from an earlier invitation,
//! or both, updates one event rather than adding another. Whoever made the
//! change is not told: they know.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus, Property};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::attendees;
use crate::entities::ids::{DepartmentId, UserId};
use crate::entities::{department, review, user};
use crate::error::ApiError;
use crate::services::notifications::{self, Kind};

/// A review as its invitation shows it.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub review: review::Model,
    /// "Review: Legal ⇄ Sales"
    pub title: String,
    /// (name, address) of each attendee.
    pub attendees: Vec<(String, String)>,
}

impl Invitation {
    pub fn ends_at(&self) -> Option<DateTime<Utc>> {
        self.review
            .scheduled_at
            .checked_add_signed(TimeDelta::minutes(self.review.duration_minutes.into()))
    }

    /// The iCalendar text of the invitation, from `organizer` (an address).
    pub fn ics(&self, organizer: &str, now: DateTime<Utc>) -> Option<String> {
        let ends = self.ends_at()?;
        let mut event = Event::new();
        event
            .uid(&format!("review-{}@baton", self.review.id))
            .sequence(self.review.version.max(0) as u32)
            .timestamp(now)
            .summary(&self.title)
            .description(
                "How the two departments served each other since the last review; the agenda is in Baton.",
            )
            .starts(self.review.scheduled_at)
            .ends(ends)
            .status(EventStatus::Confirmed);
        let mut organizer = Property::new("ORGANIZER", format!("mailto:{organizer}"));
        organizer.add_parameter("CN", "Baton");
        event.append_property(organizer);
        for (name, address) in &self.attendees {
            let mut attendee = Property::new("ATTENDEE", format!("mailto:{address}"));
            attendee
                .add_parameter("CN", name)
                .add_parameter("ROLE", "REQ-PARTICIPANT")
                .add_parameter("PARTSTAT", "NEEDS-ACTION");
            event.append_multi_property(attendee);
        }
        let mut calendar = Calendar::new();
        calendar.append_property(Property::new("METHOD", "REQUEST"));
        calendar.push(event.done());
        Some(calendar.done().to_string())
    }
}

/// "Review: Legal ⇄ Sales"
fn title(names: &HashMap<DepartmentId, String>, row: &review::Model) -> String {
    let name = |id: DepartmentId| {
        names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("department {id}"))
    };
    format!(
        "Review: {} ⇄ {}",
        name(row.department_a_id),
        name(row.department_b_id)
    )
}

/// The invitations of the given reviews, by id.
pub async fn invitations(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<HashMap<i64, Invitation>, ApiError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = review::Entity::find()
        .filter(review::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    let departments: Vec<DepartmentId> = rows
        .iter()
        .flat_map(|row| [row.department_a_id, row.department_b_id])
        .collect();
    let names: HashMap<DepartmentId, String> = department::Entity::find()
        .filter(department::Column::Id.is_in(departments))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, row.name))
        .collect();
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        let people = attendees(db, row.id).await?;
        let attendees = user::Entity::find()
            .filter(user::Column::Id.is_in(people))
            .filter(user::Column::Active.eq(true))
            .all(db)
            .await?
            .into_iter()
            .map(|person| (person.name, person.email))
            .collect();
        out.insert(
            row.id,
            Invitation {
                title: title(&names, &row),
                review: row,
                attendees,
            },
        );
    }
    Ok(out)
}

/// Tells `people` (all attendees when `None`), but `actor`, that the review
/// was scheduled or moved.
pub async fn tell_attendees(
    db: &impl ConnectionTrait,
    actor: UserId,
    row: &review::Model,
    kind: Kind,
    people: Option<&[UserId]>,
) -> Result<(), ApiError> {
    let everyone = attendees(db, row.id).await?;
    let recipients: Vec<UserId> = everyone
        .into_iter()
        .filter(|person| *person != actor)
        .filter(|person| people.is_none_or(|only| only.contains(person)))
        .collect();
    if recipients.is_empty() {
        return Ok(());
    }
    let names: HashMap<DepartmentId, String> = department::Entity::find()
        .filter(department::Column::Id.is_in([row.department_a_id, row.department_b_id]))
        .all(db)
        .await?
        .into_iter()
        .map(|department| (department.id, department.name))
        .collect();
    let what = if kind == Kind::ReviewMoved {
        "moved"
    } else {
        "scheduled"
    };
    notifications::notify_review(
        db,
        row.organisation_id,
        &recipients,
        kind,
        row.id,
        &format!("{} {what}; you are invited", title(&names, row)),
    )
    .await
}
