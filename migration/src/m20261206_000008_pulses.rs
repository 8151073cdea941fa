//! Pulse checks: every `agreements.pulse_every_weeks` weeks (default 4;
//! 0 turns them off) Baton asks the customer department's people how well
//! the provider serves them (1–10) and the one thing it could do better.
//!
//! - `pulses`: one per agreement and `period` (1, 2, …), opened at
//!   `opened_at` and answerable until `closes_at`; the provider's lead
//!   answers back (`response`, `responded_at`, `responded_by_user_id`).
//!   `idx_pulses_period` (unique) is what makes a period's pulse open
//!   exactly once however many instances sweep at once.
//! - `pulse_answers`: one per person and pulse (`idx_pulse_answers_user`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Agreements {
    Table,
    Id,
    PulseEveryWeeks,
}

#[derive(DeriveIden)]
enum Pulses {
    Table,
    Id,
    OrganisationId,
    AgreementId,
    ProviderDepartmentId,
    CustomerDepartmentId,
    Period,
    OpenedAt,
    ClosesAt,
    Response,
    RespondedAt,
    RespondedByUserId,
}

#[derive(DeriveIden)]
enum PulseAnswers {
    Table,
    Id,
    PulseId,
    OrganisationId,
    UserId,
    Score,
    OneThing,
    AnsweredAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Agreements::Table)
                    .add_column(integer(Agreements::PulseEveryWeeks).default(4))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Pulses::Table)
                    .col(big_pk_auto(Pulses::Id))
                    .col(big_integer(Pulses::OrganisationId))
                    .col(big_integer(Pulses::AgreementId))
                    .col(big_integer(Pulses::ProviderDepartmentId))
                    .col(big_integer(Pulses::CustomerDepartmentId))
                    .col(integer(Pulses::Period))
                    .col(timestamp_with_time_zone(Pulses::OpenedAt))
                    .col(timestamp_with_time_zone(Pulses::ClosesAt))
                    .col(text_null(Pulses::Response))
                    .col(timestamp_with_time_zone_null(Pulses::RespondedAt))
                    .col(big_integer_null(Pulses::RespondedByUserId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Pulses::Table, Pulses::AgreementId)
                            .to(Agreements::Table, Agreements::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_pulses_period")
                    .table(Pulses::Table)
                    .col(Pulses::AgreementId)
                    .col(Pulses::Period)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_pulses_organisation")
                    .table(Pulses::Table)
                    .col(Pulses::OrganisationId)
                    .col(Pulses::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PulseAnswers::Table)
                    .col(big_pk_auto(PulseAnswers::Id))
                    .col(big_integer(PulseAnswers::PulseId))
                    .col(big_integer(PulseAnswers::OrganisationId))
                    .col(big_integer(PulseAnswers::UserId))
                    .col(integer(PulseAnswers::Score))
                    .col(text(PulseAnswers::OneThing))
                    .col(timestamp_with_time_zone(PulseAnswers::AnsweredAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PulseAnswers::Table, PulseAnswers::PulseId)
                            .to(Pulses::Table, Pulses::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PulseAnswers::Table, PulseAnswers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_pulse_answers_user")
                    .table(PulseAnswers::Table)
                    .col(PulseAnswers::PulseId)
                    .col(PulseAnswers::UserId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PulseAnswers::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Pulses::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Agreements::Table)
                    .drop_column(Agreements::PulseEveryWeeks)
                    .to_owned(),
            )
            .await
    }
}
