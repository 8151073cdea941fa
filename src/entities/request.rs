use sea_orm::entity::prelude::*;

use super::ids::{AgreementId, DepartmentId, OrganisationId, RequestId, UserId};

pub use super::unit::Unit;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: RequestId,
    pub organisation_id: OrganisationId,
    pub agreement_id: AgreementId,
    /// The agreement's terms version this request was logged under.
    pub agreement_version: i32,
    pub provider_department_id: DepartmentId,
    pub customer_department_id: DepartmentId,
    pub title: String,
    pub details: String,
    /// The turnaround of the terms it was logged under.
    pub turnaround_unit: Unit,
    pub turnaround_quantity: i64,
    pub status: RequestStatus,
    /// Where `resume` returns to.
    pub status_before_pause: Option<RequestStatus>,
    pub requested_at: DateTimeUtc,
    pub logged_at: DateTimeUtc,
    /// max(requested_at, finish of every dependency).
    pub ready_at: DateTimeUtc,
    pub clock_start: DateTimeUtc,
    /// Due from the clock start, moved later by finished pauses.
    pub due_at: DateTimeUtc,
    /// How far finished pauses moved the due: working seconds in the
    /// provider's calendar (elapsed seconds for calendar units).
    pub pause_shift_seconds: i64,
    pub paused_at: Option<DateTimeUtc>,
    pub expected_at: Option<DateTimeUtc>,
    pub delivered_at: Option<DateTimeUtc>,
    pub lateness_minutes: Option<i64>,
    pub on_time: Option<bool>,
    pub rating_score: Option<i32>,
    pub rating_comment: Option<String>,
    /// The declared time of the latest transition; a new `at` may not precede it.
    pub last_event_at: DateTimeUtc,
    pub overdue_notified_at: Option<DateTimeUtc>,
    /// When it has used its agreement's share of its working time (see the
    /// alerts migration); none until the sweep computes it.
    pub due_soon_at: Option<DateTimeUtc>,
    pub due_soon_notified_at: Option<DateTimeUtc>,
    /// When a lasting breach reaches the organisation's leaders.
    pub escalate_at: Option<DateTimeUtc>,
    pub escalated_at: Option<DateTimeUtc>,
    pub created_by_user_id: UserId,
    /// The provider's person who has it.
    pub assignee_user_id: Option<UserId>,
    /// Set at delivery: the time taken from the clock start, pauses
    /// excluded, and the time the agreement gave, in the agreement's own
    /// measure (working seconds for business units, elapsed for calendar).
    pub used_seconds: Option<i64>,
    pub agreed_seconds: Option<i64>,
    /// Someone of the customer side has thanked for it.
    pub thanked: bool,
    /// The level of service of a delivery (`services::requests::levels`).
    pub service_level: Option<ServiceLevel>,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

closed_set! {
    /// The states of SPEC §3.
    pub enum RequestStatus {
        Open = "open",
        InProgress = "in_progress",
        WaitingOnCustomer = "waiting_on_customer",
        Delivered = "delivered",
        Accepted = "accepted",
        Reopened = "reopened",
        Cancelled = "cancelled",
    }
}

closed_set! {
    /// How well a delivery served its customer (`services::requests::levels`).
    pub enum ServiceLevel {
        Missed = "missed",
        Satisfied = "satisfied",
        Exceeded = "exceeded",
        Delighted = "delighted",
        Amazed = "amazed",
    }
}

impl RequestStatus {
    /// The status as people say it, on pages and in mail.
    pub fn words(self) -> &'static str {
        match self {
            RequestStatus::Open => "Open",
            RequestStatus::InProgress => "In progress",
            RequestStatus::WaitingOnCustomer => "Waiting on the customer",
            RequestStatus::Delivered => "Delivered",
            RequestStatus::Accepted => "Accepted",
            RequestStatus::Reopened => "Reopened",
            RequestStatus::Cancelled => "Cancelled",
        }
    }

    /// Still owed by the provider: the members [`is_undelivered`](Self::is_undelivered) accepts.
    pub const UNDELIVERED: [RequestStatus; 4] = [
        RequestStatus::Open,
        RequestStatus::InProgress,
        RequestStatus::WaitingOnCustomer,
        RequestStatus::Reopened,
    ];

    /// Delivered and not reopened: its finish is its delivery.
    pub fn is_finished(self) -> bool {
        matches!(self, RequestStatus::Delivered | RequestStatus::Accepted)
    }

    /// Still owed by the provider.
    pub fn is_undelivered(self) -> bool {
        matches!(
            self,
            RequestStatus::Open
                | RequestStatus::InProgress
                | RequestStatus::WaitingOnCustomer
                | RequestStatus::Reopened
        )
    }
}
