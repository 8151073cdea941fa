//! The append-only event log: every change to a request or an agreement
//! appends one row with its actor, declared time and server time.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::Value;

use crate::entities::event;
use crate::error::ApiError;

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Request(i64),
    Agreement(i64),
    Commitment(i64),
}

impl Subject {
    fn parts(self) -> (&'static str, i64) {
        match self {
            Subject::Request(id) => ("request", id),
            Subject::Agreement(id) => ("agreement", id),
            Subject::Commitment(id) => ("commitment", id),
        }
    }
}

/// One change to append.
pub struct NewEvent<'a> {
    pub organisation_id: i64,
    pub subject: Subject,
    pub kind: &'a str,
    /// `None` for changes the system makes itself (a due moved by upstream).
    pub actor_user_id: Option<i64>,
    /// The declared time; the server time when the actor declared none.
    pub at: Option<DateTime<Utc>>,
    pub data: Value,
}

pub async fn append(db: &impl ConnectionTrait, event: NewEvent<'_>) -> Result<(), ApiError> {
    append_many(db, std::iter::once(event)).await
}

/// Appends several events in as few statements as the database allows.
pub async fn append_many<'a>(
    db: &impl ConnectionTrait,
    events: impl IntoIterator<Item = NewEvent<'a>>,
) -> Result<(), ApiError> {
    let recorded_at = Utc::now();
    let rows: Vec<event::ActiveModel> = events
        .into_iter()
        .map(|event| {
            let (subject_type, subject_id) = event.subject.parts();
            event::ActiveModel {
                organisation_id: Set(event.organisation_id),
                subject_type: Set(subject_type.into()),
                subject_id: Set(subject_id),
                kind: Set(event.kind.into()),
                actor_user_id: Set(event.actor_user_id),
                at: Set(event.at.unwrap_or(recorded_at)),
                recorded_at: Set(recorded_at),
                data: Set(event.data.to_string()),
                ..Default::default()
            }
        })
        .collect();
    // Eight values a row: well inside every backend's limit of bound values.
    for chunk in rows.chunks(1_000) {
        event::Entity::insert_many(chunk.iter().cloned())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Every event of one subject, oldest first. The caller has already checked
/// that the subject is visible.
pub async fn of_subject(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    subject: Subject,
) -> Result<Vec<event::Model>, ApiError> {
    let (subject_type, subject_id) = subject.parts();
    Ok(event::Entity::find()
        .filter(event::Column::OrganisationId.eq(organisation_id))
        .filter(event::Column::SubjectType.eq(subject_type))
        .filter(event::Column::SubjectId.eq(subject_id))
        .order_by_asc(event::Column::Id)
        .all(db)
        .await?)
}
