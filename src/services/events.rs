//! The append-only event log: every change to a request, an agreement, a
//! commitment, and every administrative change (users, departments,
//! calendars, the organisation's settings) appends one row with its actor,
//! declared time and server time. Read per subject, or whole as the
//! organisation's audit log ([`audit_log`]).

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::Value;

use crate::entities::event;
use crate::entities::ids::{
    AgreementId, CommitmentId, DepartmentId, OrganisationId, RequestId, UserId, WebhookId,
};
use crate::error::ApiError;

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Request(RequestId),
    Agreement(AgreementId),
    Commitment(CommitmentId),
    Review(i64),
    User(UserId),
    Department(DepartmentId),
    Calendar(i64),
    Organisation(OrganisationId),
    Webhook(WebhookId),
}

/// The names `GET /events?entity=` takes, as stored in `subject_type`.
pub const ENTITIES: [&str; 9] = [
    "request",
    "agreement",
    "commitment",
    "review",
    "user",
    "department",
    "calendar",
    "organisation",
    "webhook",
];

impl Subject {
    /// What kind of thing it is, as stored in `subject_type`.
    pub fn kind(self) -> &'static str {
        self.parts().0
    }

    fn parts(self) -> (&'static str, i64) {
        match self {
            Subject::Request(id) => ("request", id.0),
            Subject::Agreement(id) => ("agreement", id.0),
            Subject::Commitment(id) => ("commitment", id.0),
            Subject::Review(id) => ("review", id),
            Subject::User(id) => ("user", id.0),
            Subject::Department(id) => ("department", id.0),
            Subject::Calendar(id) => ("calendar", id),
            Subject::Organisation(id) => ("organisation", id.0),
            Subject::Webhook(id) => ("webhook", id.0),
        }
    }
}

/// An administrative change by `actor`, now: `data` says what changed.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &crate::identity::AuthUser,
    subject: Subject,
    kind: &str,
    data: Value,
) -> Result<(), ApiError> {
    append(
        db,
        NewEvent {
            organisation_id: actor.organisation_id,
            subject,
            kind,
            actor_user_id: Some(actor.id),
            at: None,
            data,
        },
    )
    .await
}

/// `{"field": {"from": old, "to": new}}` for each field whose value differs:
/// what an administrative event records of an edit.
pub fn changes(fields: &[(&str, Value, Value)]) -> Value {
    Value::Object(
        fields
            .iter()
            .filter(|(_, from, to)| from != to)
            .map(|(name, from, to)| {
                (
                    (*name).to_owned(),
                    serde_json::json!({"from": from, "to": to}),
                )
            })
            .collect(),
    )
}

/// One change to append.
pub struct NewEvent<'a> {
    pub organisation_id: OrganisationId,
    pub subject: Subject,
    pub kind: &'a str,
    /// `None` for changes the system makes itself (a due moved by upstream).
    pub actor_user_id: Option<UserId>,
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
    organisation_id: OrganisationId,
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

/// What the audit log may be narrowed to; every filter is optional.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub kind: Option<String>,
    pub actor_user_id: Option<UserId>,
    /// One of [`ENTITIES`].
    pub entity: Option<String>,
    pub entity_id: Option<i64>,
    /// Recorded at or after.
    pub from: Option<DateTime<Utc>>,
    /// Recorded before.
    pub to: Option<DateTime<Utc>>,
}

/// Admins and leaders read the audit log; nobody else learns anything of it.
pub fn may_read_audit_log(actor: &crate::identity::AuthUser) -> Result<(), ApiError> {
    use crate::identity::Role;
    match actor.role {
        Role::Admin | Role::Leader => Ok(()),
        Role::Lead | Role::Staff => Err(ApiError::Forbidden(
            "the audit log is for admins and leaders".into(),
        )),
    }
}

/// The organisation's audit log, newest first, for admins and leaders: one
/// page of up to `limit + 1` rows with ids below `before_id`. The walk goes
/// down `idx_events_organisation`, so a page costs the same at any depth.
pub async fn audit_log(
    db: &impl ConnectionTrait,
    actor: &crate::identity::AuthUser,
    filter: &AuditFilter,
    page: crate::pagination::NewestFirst,
) -> Result<Vec<event::Model>, ApiError> {
    may_read_audit_log(actor)?;
    if let Some(entity) = filter.entity.as_deref().filter(|e| !ENTITIES.contains(e)) {
        return Err(ApiError::field(
            "entity",
            format!("{entity} is not one of {}", ENTITIES.join(", ")),
        ));
    }
    let mut query = event::Entity::find()
        .filter(event::Column::OrganisationId.eq(actor.organisation_id))
        .filter(event::Column::Id.lt(page.before_id));
    if let Some(kind) = &filter.kind {
        query = query.filter(event::Column::Kind.eq(kind.as_str()));
    }
    if let Some(actor_user_id) = filter.actor_user_id {
        query = query.filter(event::Column::ActorUserId.eq(actor_user_id));
    }
    if let Some(entity) = &filter.entity {
        query = query.filter(event::Column::SubjectType.eq(entity.as_str()));
    }
    if let Some(entity_id) = filter.entity_id {
        query = query.filter(event::Column::SubjectId.eq(entity_id));
    }
    if let Some(from) = filter.from {
        query = query.filter(event::Column::RecordedAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(event::Column::RecordedAt.lt(to));
    }
    Ok(query
        .order_by_desc(event::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}
