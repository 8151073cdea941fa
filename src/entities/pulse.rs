use sea_orm::entity::prelude::*;

use super::ids::{AgreementId, DepartmentId, OrganisationId, UserId};

/// One pulse check of an agreement: the customer department's people are
/// asked, from `opened_at` until `closes_at`, how well the provider serves
/// them; the provider's lead answers back.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pulses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: OrganisationId,
    pub agreement_id: AgreementId,
    pub provider_department_id: DepartmentId,
    pub customer_department_id: DepartmentId,
    /// 1 for the agreement's first pulse, and so on (unique per agreement).
    pub period: i32,
    pub opened_at: DateTimeUtc,
    pub closes_at: DateTimeUtc,
    pub response: Option<String>,
    pub responded_at: Option<DateTimeUtc>,
    pub responded_by_user_id: Option<UserId>,
    /// The action item the answer back became, kept with the pair's next review.
    pub action_item_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
