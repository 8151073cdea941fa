//! The delivery log admins read, and sending a mail again.
//!
//! Every notice of the organisation is a line, newest first, with where its
//! mail stands (`pending`, `sent`, `failed` with the server's reason,
//! `expired`, `skipped`), to whom it went and how many tries it took. An
//! admin may send any notice's mail again: it becomes pending with no tries
//! and goes at the recipient's next opening hours.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::entities::ids::UserId;
use crate::entities::notification::{self, MailState};
use crate::entities::user;
use crate::error::ApiError;
use crate::identity::{AuthUser, Role};
use crate::pagination::NewestFirst;

/// A notice with its recipient's address.
pub struct Delivery {
    pub notice: notification::Model,
    pub to: String,
}

fn admins_only(actor: &AuthUser) -> Result<(), ApiError> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only admins read the mail delivery log".into(),
        ))
    }
}

/// The organisation's deliveries newest first, of one state or all.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    state: Option<MailState>,
    page: NewestFirst,
) -> Result<Vec<Delivery>, ApiError> {
    admins_only(actor)?;
    let mut query = notification::Entity::find()
        .filter(notification::Column::OrganisationId.eq(actor.organisation_id))
        .filter(notification::Column::Id.lt(page.before_id));
    if let Some(state) = state {
        query = query.filter(notification::Column::MailState.eq(state));
    }
    let notices = query
        .order_by_desc(notification::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?;
    let mut ids: Vec<UserId> = notices.iter().map(|notice| notice.user_id).collect();
    ids.sort();
    ids.dedup();
    let addresses: HashMap<UserId, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|person| (person.id, person.email))
        .collect();
    Ok(notices
        .into_iter()
        .map(|notice| Delivery {
            to: addresses.get(&notice.user_id).cloned().unwrap_or_default(),
            notice,
        })
        .collect())
}

/// Queues notice `id`'s mail again.
pub async fn resend(db: &DatabaseConnection, actor: &AuthUser, id: i64) -> Result<(), ApiError> {
    admins_only(actor)?;
    let txn = crate::db::begin_write(db).await?;
    let queued = notification::Entity::update_many()
        .col_expr(
            notification::Column::MailState,
            Expr::value(MailState::Pending.as_str()),
        )
        .col_expr(notification::Column::MailAttempts, Expr::value(0))
        // Scheduled, so that a notice older than a day is sent, not expired.
        .col_expr(notification::Column::MailNextAt, Expr::value(Utc::now()))
        .col_expr(
            notification::Column::MailError,
            Expr::value(Option::<String>::None),
        )
        .filter(notification::Column::Id.eq(id))
        .filter(notification::Column::OrganisationId.eq(actor.organisation_id))
        .exec(&txn)
        .await?;
    if queued.rows_affected == 0 {
        return Err(ApiError::not_found("notification"));
    }
    txn.commit().await?;
    Ok(())
}
