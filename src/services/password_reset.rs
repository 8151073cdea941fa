//! A forgotten password: a single-use link, valid for an hour, mailed to the
//! account's address.
//!
//! - The answer to asking is the same whether the address has an account
//!   or not, and the mail goes after the answer (a spawned task), so
//!   neither the words nor the time tell who has an account.
//! - Only the token's SHA-256 is kept; the link holds the token itself.
//!   The mail is therefore not in the outbox (which would have to keep the
//!   token in clear): if it is lost, the person asks again.
//! - At most [`MOST_PER_HOUR`] links per account an hour; more asks are
//!   answered the same and send nothing.
//! - Setting the new password uses the link up, and every other link of the
//!   account with it.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, ExprTrait, PaginatorTrait,
    QueryFilter, Set,
};

use crate::config::random_hex;
use crate::entities::{password_reset, user};
use crate::error::ApiError;
use crate::identity::token_hash;
use crate::mailer::Mailer;
use crate::services::accounts::hash_off_thread;
use crate::services::mail::{Links, compose};
use crate::validate::Checker;

/// How long a link works.
pub const VALID_FOR: TimeDelta = TimeDelta::hours(1);
/// Links per account and hour.
pub const MOST_PER_HOUR: u64 = 3;

/// Makes a link for the account with this address, if there is an active
/// one, and mails it; answers the same either way.
pub async fn ask(
    db: &DatabaseConnection,
    mailer: Option<Arc<Mailer>>,
    links: &Links,
    email: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let email = email.trim().to_lowercase();
    let Some(person) = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .filter(user::Column::Active.eq(true))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let recent = password_reset::Entity::find()
        .filter(password_reset::Column::UserId.eq(person.id))
        .filter(password_reset::Column::CreatedAt.gt(now - TimeDelta::hours(1)))
        .count(db)
        .await?;
    if recent >= MOST_PER_HOUR {
        tracing::info!(
            user = person.id.0,
            "password reset asked too often; no link sent"
        );
        return Ok(());
    }
    let token = random_hex(32);
    let txn = crate::db::begin_write(db).await?;
    password_reset::ActiveModel {
        user_id: Set(person.id),
        token_hash: Set(token_hash(&token)),
        created_at: Set(now),
        expires_at: Set(now + VALID_FOR),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    let Some(mailer) = mailer else {
        tracing::warn!(
            user = person.id.0,
            "a password reset was asked for but mail is off (BATON_SMTP_URL)"
        );
        return Ok(());
    };
    let link = format!("{}/password/reset?token={token}", links.base);
    let message = compose::reset_message(&person, &link, &mailer.from, links);
    tokio::spawn(async move {
        let sent = match message {
            Ok(message) => mailer.send(message).await,
            Err(error) => Err(error),
        };
        if let Err(reason) = sent {
            tracing::warn!(user = person.id.0, %reason, "password reset mail not sent");
        }
    });
    Ok(())
}

/// Sets a new password with a link's token; the link is used up.
pub async fn confirm(
    db: &DatabaseConnection,
    token: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let mut check = Checker::new();
    check.password("password", password);
    check.finish()?;
    let unusable = || {
        ApiError::field(
            "token",
            "this link is unknown, expired or already used: ask for a new one",
        )
    };
    let hashed = hash_off_thread(password.to_owned()).await?;
    let txn = crate::db::begin_write(db).await?;
    let link = password_reset::Entity::find()
        .filter(password_reset::Column::TokenHash.eq(token_hash(token.trim())))
        .one(&txn)
        .await?
        .ok_or_else(unusable)?;
    // Only the first of two concurrent uses goes through.
    let used = password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::Id.eq(link.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .filter(password_reset::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if used.rows_affected != 1 {
        return Err(unusable());
    }
    let changed = user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hashed))
        .col_expr(
            user::Column::Version,
            Expr::col(user::Column::Version).add(1),
        )
        .filter(user::Column::Id.eq(link.user_id))
        .filter(user::Column::Active.eq(true))
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Err(unusable());
    }
    password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::UserId.eq(link.user_id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}
