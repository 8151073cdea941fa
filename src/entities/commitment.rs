use sea_orm::entity::prelude::*;

use super::ids::{CommitmentId, DepartmentId, OrganisationId, UserId};

pub use super::unit::Unit;
pub use crate::projection::Risk;

/// A promise made to an outside customer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commitments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: CommitmentId,
    pub organisation_id: OrganisationId,
    pub customer_name: String,
    pub title: String,
    pub promised_at: DateTimeUtc,
    pub owner_department_id: DepartmentId,
    /// Business time the owner needs after the last handoff arrives.
    pub lead_time_unit: Unit,
    pub lead_time_quantity: i64,
    pub status: CommitmentStatus,
    pub fulfilled_at: Option<DateTimeUtc>,
    pub cancel_reason: Option<String>,
    /// The projection stored at the last change upstream (for lists and
    /// filtering by risk; reads of one commitment project afresh).
    pub projected_at: Option<DateTimeUtc>,
    pub baseline_at: Option<DateTimeUtc>,
    pub slip_minutes: Option<i64>,
    pub slack_minutes: Option<i64>,
    pub risk: Option<StoredRisk>,
    pub projected_as_of: Option<DateTimeUtc>,
    /// When the stored projection may next change with time alone; the
    /// risk refresh re-projects it then (none yet: at the next refresh).
    pub refresh_at: Option<DateTimeUtc>,
    pub created_by_user_id: UserId,
    pub version: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

closed_set! {
    /// `open → fulfilled | cancelled`.
    pub enum CommitmentStatus {
        Open = "open",
        Fulfilled = "fulfilled",
        Cancelled = "cancelled",
    }
}

closed_set! {
    /// The stored twin of the projection's [`Risk`].
    pub enum StoredRisk {
        OnTrack = "on_track",
        AtRisk = "at_risk",
        Late = "late",
    }
}

impl From<Risk> for StoredRisk {
    fn from(risk: Risk) -> Self {
        match risk {
            Risk::OnTrack => StoredRisk::OnTrack,
            Risk::AtRisk => StoredRisk::AtRisk,
            Risk::Late => StoredRisk::Late,
        }
    }
}

impl From<StoredRisk> for Risk {
    fn from(risk: StoredRisk) -> Self {
        match risk {
            StoredRisk::OnTrack => Risk::OnTrack,
            StoredRisk::AtRisk => Risk::AtRisk,
            StoredRisk::Late => Risk::Late,
        }
    }
}
