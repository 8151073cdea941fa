use chrono::NaiveDate;
use sea_orm::entity::prelude::*;

use super::ids::{DepartmentId, OrganisationId, UserId};

/// A providing department's daily contact with one internal customer, or
/// the day it skipped (one row per department and day).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contacts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: OrganisationId,
    pub provider_department_id: DepartmentId,
    /// Whom it called; for a skipped day, whom it was offered.
    pub customer_department_id: Option<DepartmentId>,
    pub user_id: UserId,
    /// The provider's local working day.
    pub day: NaiveDate,
    pub outcome: ContactOutcome,
    /// What was said (empty for a skipped day).
    pub note: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

closed_set! {
    /// What became of a day's contact.
    pub enum ContactOutcome {
        Contacted = "contacted",
        Skipped = "skipped",
    }
}
