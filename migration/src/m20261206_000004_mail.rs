//! Mail: the notifications table is the outbox.
//!
//! Every notice is already written in the transaction of the change that
//! causes it; a notice is also the mail it may become. These columns say
//! where that mail stands, so that nothing is queued outside the change's
//! transaction and nothing can be lost between the two:
//!
//! - `mail_state`: `pending` (to be mailed), `sent`, `failed` (given up
//!   after the last retry; the reason is in `mail_error`), `expired` (still
//!   pending a day after the notice: mail was off, and an old notice is not
//!   worth a mail any more) or `skipped` (the person is inactive);
//! - `mail_attempts`: tries so far;
//! - `mail_next_at`: not before then (a retry's backoff, the recipient's
//!   calendar closed, or a dispatcher's claim); none: at once;
//! - `mailed_at`: when the SMTP server took it.
//!
//! A notice may also be about a promise to an outside customer
//! (`commitment_id`), as when one turns at risk or late.
//!
//! `idx_notifications_mail` serves the dispatcher's question: pending
//! notices due now, in order.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Notifications {
    Table,
    MailState,
    MailAttempts,
    MailNextAt,
    MailError,
    MailedAt,
    CommitmentId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        let columns = [
            string(Notifications::MailState)
                .default("pending")
                .to_owned(),
            integer(Notifications::MailAttempts).default(0).to_owned(),
            timestamp_with_time_zone_null(Notifications::MailNextAt),
            text_null(Notifications::MailError),
            timestamp_with_time_zone_null(Notifications::MailedAt),
            big_integer_null(Notifications::CommitmentId),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Notifications::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_notifications_mail")
                    .table(Notifications::Table)
                    .col(Notifications::MailState)
                    .col(Notifications::MailNextAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_notifications_mail")
                    .table(Notifications::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Notifications::CommitmentId,
            Notifications::MailedAt,
            Notifications::MailError,
            Notifications::MailNextAt,
            Notifications::MailAttempts,
            Notifications::MailState,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Notifications::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
