use sea_orm::entity::prelude::*;

/// A promise made to an outside customer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commitments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    pub customer_name: String,
    pub title: String,
    pub promised_at: DateTimeUtc,
    pub owner_department_id: i64,
    /// Business time the owner needs after the last handoff arrives.
    pub lead_time_unit: String,
    pub lead_time_quantity: i64,
    /// `open | fulfilled | cancelled`.
    pub status: String,
    pub fulfilled_at: Option<DateTimeUtc>,
    pub cancel_reason: Option<String>,
    /// The projection stored at the last change upstream (for lists and
    /// filtering by risk; reads of one commitment project afresh).
    pub projected_at: Option<DateTimeUtc>,
    pub baseline_at: Option<DateTimeUtc>,
    pub slip_minutes: Option<i64>,
    pub slack_minutes: Option<i64>,
    pub risk: Option<String>,
    pub projected_as_of: Option<DateTimeUtc>,
    pub created_by_user_id: i64,
    pub version: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
