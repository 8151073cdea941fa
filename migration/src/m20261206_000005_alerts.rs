//! Alerts before and after a breach, people's say over their mail, review
//! invitations and password resets.
//!
//! - `requests.due_soon_at`: when the request has used its agreement's
//!   share of its working time (`agreements.due_soon_percent`, default 80):
//!   the moment whoever works it hears it is due soon. Computed by a sweep
//!   (it needs the provider's calendar and the agreement's share) and
//!   cleared whenever the due moves, so that it is computed again;
//!   `due_soon_notified_at` says the warning went.
//! - `requests.escalate_at`: at a breach, when the breach reaches the
//!   organisation's leaders if it lasts (`organisations.escalation_minutes`
//!   of the provider's working time after the due; null: never);
//!   `escalated_at` says it went. Both are cleared when the due moves into
//!   the future, as the overdue notice is, so each level goes once per due.
//! - Three partial indexes serve the sweeps: each holds only the rows its
//!   sweep has yet to handle, by status first so that delivered requests
//!   are skipped by the index rather than read.
//! - `notifications.review_id`: a notice about a review (scheduled, moved),
//!   whose mail carries the invitation.
//! - `mail_preferences`: per person and kind of notice, `now`, `digest` or
//!   `off`; no row is `now`.
//! - `mail_digests`: per person taking a digest, when the next one goes
//!   (the start of their next working day) and when the last one went.
//! - `password_resets`: single-use links; only the token's SHA-256 is kept.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Requests {
    Table,
    DueSoonAt,
    DueSoonNotifiedAt,
    EscalateAt,
    EscalatedAt,
}

#[derive(DeriveIden)]
enum Agreements {
    Table,
    DueSoonPercent,
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    EscalationMinutes,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    ReviewId,
}

#[derive(DeriveIden)]
enum MailPreferences {
    Table,
    UserId,
    Kind,
    Mode,
}

#[derive(DeriveIden)]
enum MailDigests {
    Table,
    UserId,
    NextAt,
    LastSentAt,
}

#[derive(DeriveIden)]
enum PasswordResets {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

async fn add_column(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    mut column: ColumnDef,
) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(table)
                .add_column(&mut column)
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [
            Requests::DueSoonAt,
            Requests::DueSoonNotifiedAt,
            Requests::EscalateAt,
            Requests::EscalatedAt,
        ] {
            add_column(
                manager,
                Requests::Table,
                timestamp_with_time_zone_null(column).to_owned(),
            )
            .await?;
        }
        add_column(
            manager,
            Agreements::Table,
            integer(Agreements::DueSoonPercent).default(80).to_owned(),
        )
        .await?;
        add_column(
            manager,
            Organisations::Table,
            integer_null(Organisations::EscalationMinutes)
                .default(480)
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            Notifications::Table,
            big_integer_null(Notifications::ReviewId).to_owned(),
        )
        .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX idx_requests_due_soon_unplanned ON requests (status) \
             WHERE due_soon_at IS NULL",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX idx_requests_due_soon ON requests (status, due_soon_at) \
             WHERE due_soon_notified_at IS NULL",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX idx_requests_escalate ON requests (status, escalate_at) \
             WHERE escalated_at IS NULL",
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(MailPreferences::Table)
                    .col(big_integer(MailPreferences::UserId))
                    .col(string(MailPreferences::Kind))
                    .col(string(MailPreferences::Mode))
                    .primary_key(
                        Index::create()
                            .col(MailPreferences::UserId)
                            .col(MailPreferences::Kind),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(MailPreferences::Table, MailPreferences::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MailDigests::Table)
                    .col(big_integer(MailDigests::UserId).primary_key())
                    .col(timestamp_with_time_zone(MailDigests::NextAt))
                    .col(timestamp_with_time_zone_null(MailDigests::LastSentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(MailDigests::Table, MailDigests::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mail_digests_next")
                    .table(MailDigests::Table)
                    .col(MailDigests::NextAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PasswordResets::Table)
                    .col(big_pk_auto(PasswordResets::Id))
                    .col(big_integer(PasswordResets::UserId))
                    .col(string(PasswordResets::TokenHash).unique_key())
                    .col(timestamp_with_time_zone(PasswordResets::CreatedAt))
                    .col(timestamp_with_time_zone(PasswordResets::ExpiresAt))
                    .col(timestamp_with_time_zone_null(PasswordResets::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PasswordResets::Table, PasswordResets::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_password_resets_user")
                    .table(PasswordResets::Table)
                    .col(PasswordResets::UserId)
                    .col(PasswordResets::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PasswordResets::Table.into_iden(),
            MailDigests::Table.into_iden(),
            MailPreferences::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        let db = manager.get_connection();
        for index in [
            "idx_requests_escalate",
            "idx_requests_due_soon",
            "idx_requests_due_soon_unplanned",
        ] {
            db.execute_unprepared(&format!("DROP INDEX {index}"))
                .await?;
        }
        let drops: [(DynIden, DynIden); 7] = [
            (
                Notifications::Table.into_iden(),
                Notifications::ReviewId.into_iden(),
            ),
            (
                Organisations::Table.into_iden(),
                Organisations::EscalationMinutes.into_iden(),
            ),
            (
                Agreements::Table.into_iden(),
                Agreements::DueSoonPercent.into_iden(),
            ),
            (
                Requests::Table.into_iden(),
                Requests::EscalatedAt.into_iden(),
            ),
            (
                Requests::Table.into_iden(),
                Requests::EscalateAt.into_iden(),
            ),
            (
                Requests::Table.into_iden(),
                Requests::DueSoonNotifiedAt.into_iden(),
            ),
            (Requests::Table.into_iden(), Requests::DueSoonAt.into_iden()),
        ];
        for (table, column) in drops {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
