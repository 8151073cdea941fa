use sea_orm::entity::prelude::*;

use super::ids::{OrganisationId, UserId};

/// A follow-up agreed at a review.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "action_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: OrganisationId,
    pub review_id: i64,
    pub title: String,
    pub owner_user_id: UserId,
    pub due_on: Date,
    pub status: ActionStatus,
    pub resolution_note: Option<String>,
    pub closed_at: Option<DateTimeUtc>,
    pub version: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

closed_set! {
    /// `open → done | dropped`.
    pub enum ActionStatus {
        Open = "open",
        Done = "done",
        Dropped = "dropped",
    }
}
