use sea_orm::entity::prelude::*;

use super::ids::{OrganisationId, WebhookDeliveryId, WebhookId};

/// One event on its way to one webhook: the outbox row and its line of the
/// delivery log (see the webhooks migration).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: WebhookDeliveryId,
    pub webhook_id: WebhookId,
    pub organisation_id: OrganisationId,
    /// A notice kind's name, or `ping`.
    pub event: String,
    /// The event's facts as JSON (`services::webhooks::render::Event`).
    pub payload: String,
    pub state: DeliveryState,
    pub attempts: i32,
    /// Not before then (pending only): a retry's backoff or a claim's lease.
    pub next_at: Option<DateTimeUtc>,
    /// A try that fails after this is the last.
    pub retry_until: DateTimeUtc,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

closed_set! {
    /// Where a delivery stands.
    pub enum DeliveryState {
        Pending = "pending",
        Sent = "sent",
        Failed = "failed",
    }
}
