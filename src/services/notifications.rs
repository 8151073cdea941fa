//! In-app notifications per user: the customer department's lead and whoever
//! logged a request hear at once when its provider forecasts late; when it
//! passes its due, the provider's lead too ("no surprises"). Each notice is
//! also a mail (`services::mail`).

use chrono::Utc;
use sea_orm::ExprTrait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::entities::ids::{CommitmentId, DepartmentId, OrganisationId, RequestId, UserId};
use crate::entities::{commitment, department, notification, request, user};
use crate::error::ApiError;
use crate::identity::{AuthUser, Role};

pub use crate::entities::notification::NotificationKind as Kind;

/// What a notice is about: a request, a promise to an outside customer or
/// a review (at most one, in practice).
#[derive(Debug, Default, Clone, Copy)]
struct About {
    request: Option<RequestId>,
    commitment: Option<CommitmentId>,
    review: Option<i64>,
}

/// Notifies every active user of a department about a review (an action
/// item of it closed).
pub async fn notify_department(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    department_id: DepartmentId,
    kind: Kind,
    review_id: i64,
    message: &str,
) -> Result<(), ApiError> {
    let recipients = members_of(db, organisation_id, department_id).await?;
    notify_review(db, organisation_id, &recipients, kind, review_id, message).await
}

/// The active people of a department.
pub async fn members_of(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    department_id: DepartmentId,
) -> Result<Vec<UserId>, ApiError> {
    Ok(user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::OrganisationId.eq(organisation_id))
        .filter(user::Column::DepartmentId.eq(department_id))
        .filter(user::Column::Active.eq(true))
        .order_by_asc(user::Column::Id)
        .into_tuple()
        .all(db)
        .await?)
}

/// The lead a department answers through: the one it names
/// (`departments.lead_user_id`), or, while it names none, every active
/// member with the lead role.
pub async fn leads_of(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    department_id: DepartmentId,
) -> Result<Vec<UserId>, ApiError> {
    let named = department::Entity::find_by_id(department_id)
        .filter(department::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?
        .and_then(|row| row.lead_user_id);
    let mut query = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::OrganisationId.eq(organisation_id))
        .filter(user::Column::DepartmentId.eq(department_id))
        .filter(user::Column::Active.eq(true));
    query = match named {
        Some(lead) => query.filter(user::Column::Id.eq(lead)),
        None => query.filter(user::Column::Role.eq(Role::Lead)),
    };
    Ok(query.into_tuple().all(db).await?)
}

/// Who hears about a request going wrong (issue: "no surprises"): the
/// customer department's lead and whoever logged it; with `provider_lead`,
/// the provider department's lead too. Each once, active people only.
pub async fn notify_request_people(
    db: &impl ConnectionTrait,
    row: &request::Model,
    provider_lead: bool,
    kind: Kind,
    message: &str,
) -> Result<(), ApiError> {
    let organisation_id = row.organisation_id;
    let mut people = leads_of(db, organisation_id, row.customer_department_id).await?;
    people.push(row.created_by_user_id);
    if provider_lead {
        people.extend(leads_of(db, organisation_id, row.provider_department_id).await?);
    }
    people.sort();
    people.dedup();
    let active: Vec<UserId> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Id.is_in(people))
        .filter(user::Column::OrganisationId.eq(organisation_id))
        .filter(user::Column::Active.eq(true))
        .order_by_asc(user::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    notify_users(db, organisation_id, &active, kind, Some(row.id), message).await
}

/// Notifies each of the given people once.
pub async fn notify_users(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    recipients: &[UserId],
    kind: Kind,
    request_id: Option<RequestId>,
    message: &str,
) -> Result<(), ApiError> {
    insert(
        db,
        organisation_id,
        recipients,
        kind,
        About {
            request: request_id,
            ..About::default()
        },
        message,
    )
    .await
}

/// Tells the given people about a review (scheduled, moved, an action item
/// closed); the mail of its scheduling carries the invitation.
pub async fn notify_review(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    recipients: &[UserId],
    kind: Kind,
    review_id: i64,
    message: &str,
) -> Result<(), ApiError> {
    insert(
        db,
        organisation_id,
        recipients,
        kind,
        About {
            review: Some(review_id),
            ..About::default()
        },
        message,
    )
    .await
}

/// Tells the owner department's lead and the organisation's leaders that a
/// promise to an outside customer has turned at risk or late.
pub async fn notify_commitment_endangered(
    db: &impl ConnectionTrait,
    row: &commitment::Model,
    message: &str,
) -> Result<(), ApiError> {
    let mut people = leads_of(db, row.organisation_id, row.owner_department_id).await?;
    people.extend(
        user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .filter(user::Column::OrganisationId.eq(row.organisation_id))
            .filter(user::Column::Role.eq(Role::Leader))
            .filter(user::Column::Active.eq(true))
            .into_tuple::<UserId>()
            .all(db)
            .await?,
    );
    people.sort();
    people.dedup();
    insert(
        db,
        row.organisation_id,
        &people,
        Kind::CommitmentEndangered,
        About {
            commitment: Some(row.id),
            ..About::default()
        },
        message,
    )
    .await
}

async fn insert(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    recipients: &[UserId],
    kind: Kind,
    about: About,
    message: &str,
) -> Result<(), ApiError> {
    if recipients.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let rows = recipients.iter().map(|&user_id| notification::ActiveModel {
        organisation_id: Set(organisation_id),
        user_id: Set(user_id),
        kind: Set(kind),
        request_id: Set(about.request),
        commitment_id: Set(about.commitment),
        review_id: Set(about.review),
        message: Set(message.to_owned()),
        created_at: Set(now),
        read_at: Set(None),
        mail_state: Set(notification::MailState::Pending),
        mail_attempts: Set(0),
        mail_next_at: Set(None),
        mail_error: Set(None),
        mailed_at: Set(None),
        ..Default::default()
    });
    notification::Entity::insert_many(rows).exec(db).await?;
    // Once per event, not per recipient, in the notice's transaction.
    crate::services::webhooks::enqueue(
        db,
        crate::services::webhooks::Notice {
            organisation_id,
            kind,
            request_id: about.request,
            commitment_id: about.commitment,
            review_id: about.review,
            message,
            at: now,
        },
    )
    .await
}

/// The caller's notifications: unread first, newest first within each group.
pub async fn list_for(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    unread_only: bool,
    limit: u64,
) -> Result<Vec<notification::Model>, ApiError> {
    let mut query = notification::Entity::find()
        .filter(notification::Column::UserId.eq(actor.id))
        .filter(notification::Column::OrganisationId.eq(actor.organisation_id));
    if unread_only {
        query = query.filter(notification::Column::ReadAt.is_null());
    }
    Ok(query
        .order_by_desc(Expr::col(notification::Column::ReadAt).is_null())
        .order_by_desc(notification::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// How many of the notifications of the person of a `users` row are
/// unread, as an expression over that row (every page shows the count).
pub fn unread_count_of_account() -> Expr {
    super::count_of_account(
        notification::Entity::find()
            .filter(
                Expr::col((notification::Entity, notification::Column::OrganisationId))
                    .equals((user::Entity, user::Column::OrganisationId)),
            )
            .filter(notification::Column::ReadAt.is_null()),
        notification::Column::UserId,
    )
}

/// Marks one of the caller's notifications read; another user's is 404.
pub async fn mark_read(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: i64,
) -> Result<notification::Model, ApiError> {
    let found = notification::Entity::find_by_id(id)
        .filter(notification::Column::UserId.eq(actor.id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("notification"))?;
    if found.read_at.is_some() {
        return Ok(found);
    }
    let mut row: notification::ActiveModel = found.into();
    row.read_at = Set(Some(Utc::now()));
    Ok(row.update(db).await?)
}

/// Marks all of the caller's notifications read; returns how many changed.
pub async fn mark_all_read(db: &impl ConnectionTrait, actor: &AuthUser) -> Result<u64, ApiError> {
    let result = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(Utc::now()))
        .filter(notification::Column::UserId.eq(actor.id))
        .filter(notification::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
