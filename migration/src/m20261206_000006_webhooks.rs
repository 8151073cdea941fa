//! Webhooks: other systems told of every notice, as signed HTTP calls.
//!
//! - `webhooks`: per organisation, a target `url`, the notice kinds it
//!   wants (`events`, a JSON array of kind names; `["*"]` for every kind,
//!   those added later included), the `secret` that signs each call (kept as
//!   given: it must be read to sign, so it cannot be hashed), the body's
//!   `format` (`json`, or `slack` for a Slack-compatible `{"text": …}`),
//!   whether it is `active`, and the `version` a `PATCH` names in
//!   `If-Match`.
//! - `webhook_deliveries`: the outbox and the delivery log in one. A row is
//!   written in the transaction of the notice it tells of, one per
//!   subscribed webhook, with the event's facts in `payload` (JSON text).
//!   `state` is `pending` (to be sent at `next_at`: at once, after a
//!   retry's backoff, or when a dispatcher's claim runs out), `sent` (the
//!   receiver answered 2xx at `delivered_at`) or `failed` (refused by the
//!   address rule, or still failing at `retry_until`, 24 hours after it
//!   was made or sent again by hand); `attempts` counts the tries,
//!   `last_status` and `last_error` say how the last one went. Deleting a
//!   webhook deletes its deliveries.
//!
//! `idx_webhook_deliveries_due` serves the dispatcher's question (pending
//! deliveries due now, in order); `idx_webhook_deliveries_webhook` one
//! webhook's log, newest first; `idx_webhooks_organisation` the webhooks a
//! notice may go to.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Webhooks {
    Table,
    Id,
    OrganisationId,
    Url,
    Events,
    Secret,
    Format,
    Active,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    WebhookId,
    OrganisationId,
    Event,
    Payload,
    State,
    Attempts,
    NextAt,
    RetryUntil,
    LastStatus,
    LastError,
    CreatedAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Webhooks::Table)
                    .col(big_pk_auto(Webhooks::Id))
                    .col(big_integer(Webhooks::OrganisationId))
                    .col(text(Webhooks::Url))
                    .col(text(Webhooks::Events))
                    .col(text(Webhooks::Secret))
                    .col(string(Webhooks::Format))
                    .col(boolean(Webhooks::Active))
                    .col(integer(Webhooks::Version))
                    .col(timestamp_with_time_zone(Webhooks::CreatedAt))
                    .col(timestamp_with_time_zone(Webhooks::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Webhooks::Table, Webhooks::OrganisationId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhooks_organisation")
                    .table(Webhooks::Table)
                    .col(Webhooks::OrganisationId)
                    .col(Webhooks::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(big_pk_auto(WebhookDeliveries::Id))
                    .col(big_integer(WebhookDeliveries::WebhookId))
                    .col(big_integer(WebhookDeliveries::OrganisationId))
                    .col(string(WebhookDeliveries::Event))
                    .col(text(WebhookDeliveries::Payload))
                    .col(string(WebhookDeliveries::State))
                    .col(integer(WebhookDeliveries::Attempts))
                    .col(timestamp_with_time_zone_null(WebhookDeliveries::NextAt))
                    .col(timestamp_with_time_zone(WebhookDeliveries::RetryUntil))
                    .col(integer_null(WebhookDeliveries::LastStatus))
                    .col(text_null(WebhookDeliveries::LastError))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::DeliveredAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookDeliveries::Table, WebhookDeliveries::WebhookId)
                            .to(Webhooks::Table, Webhooks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_due")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::State)
                    .col(WebhookDeliveries::NextAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_webhook")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::WebhookId)
                    .col(WebhookDeliveries::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WebhookDeliveries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Webhooks::Table).to_owned())
            .await
    }
}
