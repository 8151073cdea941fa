//! Saved views: a person's named filter and search over the request list,
//! shown in their navigation. A view is the list's query string, checked
//! when saved by the same reading the list uses, so that it opens to what
//! it meant; it is the saver's alone.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

use crate::entities::saved_view;
use crate::error::ApiError;
use crate::identity::AuthUser;
use crate::services::requests::query::{filter_of, filter_pairs, query_string};
use crate::validate::Checker;

/// The most views one person keeps.
pub const MAX_VIEWS: u64 = 50;

/// Saves a view under a name the person has not used yet.
pub async fn save(
    db: &sea_orm::DatabaseConnection,
    actor: &AuthUser,
    name: &str,
    query: &str,
) -> Result<saved_view::Model, ApiError> {
    let mut check = Checker::new();
    let name = check.line("name", name, 100);
    if query.chars().count() > 2_000 {
        check.add("query", "must be at most 2000 characters");
    }
    check.finish()?;
    let pairs = filter_pairs(query)?;
    // Read as the list would, so a view that the list would refuse is refused now.
    filter_of(actor, |key| {
        pairs
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    })
    .map_err(|error| match error {
        ApiError::Validation { errors, .. } => ApiError::field(
            "query",
            errors
                .iter()
                .flat_map(|(field, messages)| {
                    messages
                        .iter()
                        .map(move |message| format!("{field} {message}"))
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
        other => other,
    })?;
    let txn = crate::db::begin_write(db).await?;
    let mine = saved_view::Entity::find().filter(saved_view::Column::UserId.eq(actor.id));
    if mine
        .clone()
        .filter(saved_view::Column::Name.eq(name.as_str()))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict(format!(
            "you already have a view named {name}"
        )));
    }
    if mine.count(&txn).await? >= MAX_VIEWS {
        return Err(ApiError::Conflict(format!(
            "you already keep {MAX_VIEWS} views; delete one first"
        )));
    }
    let created = saved_view::ActiveModel {
        organisation_id: Set(actor.organisation_id),
        user_id: Set(actor.id),
        name: Set(name),
        query: Set(query_string(&pairs)),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// The caller's views, by name.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
) -> Result<Vec<saved_view::Model>, ApiError> {
    Ok(saved_view::Entity::find()
        .filter(saved_view::Column::UserId.eq(actor.id))
        .order_by_asc(saved_view::Column::Name)
        .order_by_asc(saved_view::Column::Id)
        .all(db)
        .await?)
}

/// How many views the person of a `users` row has saved, as an expression
/// over that row: most have none, and then [`list`] need not be asked.
pub fn count_of_account() -> Expr {
    super::count_of_account(saved_view::Entity::find(), saved_view::Column::UserId)
}

/// Deletes one of the caller's views; anyone else's is 404.
pub async fn delete(
    db: &sea_orm::DatabaseConnection,
    actor: &AuthUser,
    id: i64,
) -> Result<(), ApiError> {
    let txn = crate::db::begin_write(db).await?;
    let deleted = saved_view::Entity::delete_many()
        .filter(saved_view::Column::Id.eq(id))
        .filter(saved_view::Column::UserId.eq(actor.id))
        .exec(&txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(ApiError::not_found("view"));
    }
    txn.commit().await?;
    Ok(())
}
