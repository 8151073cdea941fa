use sea_orm::entity::prelude::*;

/// A follow-up agreed at a review.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "action_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub review_id: i64,
    pub title: String,
    pub owner_user_id: i64,
    pub due_on: Date,
    /// `open | done | dropped`.
    pub status: String,
    pub resolution_note: Option<String>,
    pub closed_at: Option<DateTimeUtc>,
    pub version: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
