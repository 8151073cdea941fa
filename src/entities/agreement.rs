use sea_orm::entity::prelude::*;

use super::ids::{AgreementId, DepartmentId, OrganisationId};

pub use super::unit::Unit;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agreements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: AgreementId,
    pub organisation_id: OrganisationId,
    pub provider_department_id: DepartmentId,
    pub customer_department_id: DepartmentId,
    pub title: String,
    pub deliverable: String,
    pub definition_of_done: String,
    /// The accepted terms: unit and quantity (minutes for hour units, days
    /// for day units), and the on-time target.
    pub turnaround_unit: Unit,
    pub turnaround_quantity: i64,
    pub on_time_target_pct: i32,
    /// The share of a request's working time after which whoever works it
    /// hears it is due soon.
    pub due_soon_percent: i32,
    /// Every how many weeks the customer's people are asked how well the
    /// provider serves them (a pulse check); 0: never.
    pub pulse_every_weeks: i32,
    pub review_every_weeks: i32,
    pub status: AgreementStatus,
    /// Bumped each time the customer accepts new terms; requests keep the
    /// terms version they were logged under.
    pub terms_version: i32,
    /// A change of turnaround or target to an active agreement, waiting for
    /// the customer to accept it.
    pub pending_turnaround_unit: Option<Unit>,
    pub pending_turnaround_quantity: Option<i64>,
    pub pending_on_time_target_pct: Option<i32>,
    pub decline_reason: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

closed_set! {
    /// `draft → proposed → active → retired`; `proposed → draft` on decline.
    pub enum AgreementStatus {
        Draft = "draft",
        Proposed = "proposed",
        Active = "active",
        Retired = "retired",
    }
}
