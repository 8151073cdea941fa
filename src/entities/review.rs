use sea_orm::entity::prelude::*;

use super::ids::{DepartmentId, OrganisationId, UserId};

/// A review meeting between two departments.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reviews")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: OrganisationId,
    /// The pair, lower id first.
    pub department_a_id: DepartmentId,
    pub department_b_id: DepartmentId,
    pub scheduled_at: DateTimeUtc,
    pub duration_minutes: i32,
    /// 0: no next review is scheduled when this one is held.
    pub every_weeks: i32,
    pub status: ReviewStatus,
    pub held_at: Option<DateTimeUtc>,
    pub minutes: Option<String>,
    /// JSON array of strings.
    pub decisions: String,
    /// The review whose holding scheduled this one (unique).
    pub follows_review_id: Option<i64>,
    pub created_by_user_id: UserId,
    pub version: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

closed_set! {
    /// `scheduled → held`; `cancelled` is kept for reviews called off.
    pub enum ReviewStatus {
        Scheduled = "scheduled",
        Held = "held",
        Cancelled = "cancelled",
    }
}
