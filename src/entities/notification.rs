use sea_orm::entity::prelude::*;

use super::ids::{CommitmentId, OrganisationId, RequestId, UserId};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: OrganisationId,
    pub user_id: UserId,
    pub kind: NotificationKind,
    pub request_id: Option<RequestId>,
    /// For a notice about a promise to an outside customer.
    pub commitment_id: Option<CommitmentId>,
    /// For a notice about a review; its mail carries the invitation.
    pub review_id: Option<i64>,
    pub message: String,
    pub created_at: DateTimeUtc,
    pub read_at: Option<DateTimeUtc>,
    /// Where the mail of this notice stands (see the mail migration).
    pub mail_state: MailState,
    pub mail_attempts: i32,
    pub mail_next_at: Option<DateTimeUtc>,
    pub mail_error: Option<String>,
    pub mailed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

closed_set! {
    /// What a notification is about.
    pub enum NotificationKind {
        ForecastLate = "forecast_late",
        Overdue = "overdue",
        ActionClosed = "action_closed",
        Assigned = "assigned",
        Mentioned = "mentioned",
        CommitmentEndangered = "commitment_endangered",
        DueSoon = "due_soon",
        Escalated = "escalated",
        ReviewScheduled = "review_scheduled",
        ReviewMoved = "review_moved",
        Thanked = "thanked",
        PulseOpened = "pulse_opened",
        PulseAnswered = "pulse_answered",
    }
}

closed_set! {
    /// Where a notice's mail stands (`digest`: waiting for the person's
    /// next daily digest).
    pub enum MailState {
        Pending = "pending",
        Sent = "sent",
        Failed = "failed",
        Expired = "expired",
        Skipped = "skipped",
        Digest = "digest",
    }
}
