//! Handoff agreements, internal requests and their dependencies, the
//! append-only event log, in-app notifications and idempotency keys.

use sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Agreements {
    Table,
    Id,
    OrganisationId,
    ProviderDepartmentId,
    CustomerDepartmentId,
    Title,
    Deliverable,
    DefinitionOfDone,
    TurnaroundUnit,
    TurnaroundQuantity,
    OnTimeTargetPct,
    ReviewEveryWeeks,
    Status,
    TermsVersion,
    PendingTurnaroundUnit,
    PendingTurnaroundQuantity,
    PendingOnTimeTargetPct,
    DeclineReason,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Requests {
    Table,
    Id,
    OrganisationId,
    AgreementId,
    AgreementVersion,
    ProviderDepartmentId,
    CustomerDepartmentId,
    Title,
    Details,
    TurnaroundUnit,
    TurnaroundQuantity,
    Status,
    StatusBeforePause,
    RequestedAt,
    LoggedAt,
    ReadyAt,
    ClockStart,
    DueAt,
    PauseShiftSeconds,
    PausedAt,
    ExpectedAt,
    DeliveredAt,
    LatenessMinutes,
    OnTime,
    RatingScore,
    RatingComment,
    LastEventAt,
    OverdueNotifiedAt,
    CreatedByUserId,
    Version,
}

#[derive(DeriveIden)]
enum RequestDependencies {
    Table,
    RequestId,
    DependsOnId,
    OrganisationId,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    OrganisationId,
    SubjectType,
    SubjectId,
    Kind,
    ActorUserId,
    At,
    RecordedAt,
    Data,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    OrganisationId,
    UserId,
    Kind,
    RequestId,
    Message,
    CreatedAt,
    ReadAt,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Id,
    UserId,
    Key,
    BodyHash,
    RequestId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

fn index(name: &str, table: impl IntoIden, columns: &[&'static str]) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement.name(name).table(table);
    for column in columns {
        statement.col(Alias::new(*column));
    }
    statement.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Agreements::Table)
                    .col(big_pk_auto(Agreements::Id))
                    .col(big_integer(Agreements::OrganisationId))
                    .col(big_integer(Agreements::ProviderDepartmentId))
                    .col(big_integer(Agreements::CustomerDepartmentId))
                    .col(string(Agreements::Title))
                    .col(text(Agreements::Deliverable))
                    .col(text(Agreements::DefinitionOfDone))
                    .col(string(Agreements::TurnaroundUnit))
                    .col(big_integer(Agreements::TurnaroundQuantity))
                    .col(integer(Agreements::OnTimeTargetPct))
                    .col(integer(Agreements::ReviewEveryWeeks))
                    .col(string(Agreements::Status))
                    .col(integer(Agreements::TermsVersion))
                    .col(string_null(Agreements::PendingTurnaroundUnit))
                    .col(big_integer_null(Agreements::PendingTurnaroundQuantity))
                    .col(integer_null(Agreements::PendingOnTimeTargetPct))
                    .col(text_null(Agreements::DeclineReason))
                    .col(integer(Agreements::Version))
                    .col(timestamp_with_time_zone(Agreements::CreatedAt))
                    .col(timestamp_with_time_zone(Agreements::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Agreements::Table, Agreements::OrganisationId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Agreements::Table, Agreements::ProviderDepartmentId)
                            .to(Departments::Table, Departments::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Agreements::Table, Agreements::CustomerDepartmentId)
                            .to(Departments::Table, Departments::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_agreements_organisation",
                Agreements::Table,
                &["organisation_id", "id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Requests::Table)
                    .col(big_pk_auto(Requests::Id))
                    .col(big_integer(Requests::OrganisationId))
                    .col(big_integer(Requests::AgreementId))
                    .col(integer(Requests::AgreementVersion))
                    .col(big_integer(Requests::ProviderDepartmentId))
                    .col(big_integer(Requests::CustomerDepartmentId))
                    .col(string(Requests::Title))
                    .col(text(Requests::Details))
                    .col(string(Requests::TurnaroundUnit))
                    .col(big_integer(Requests::TurnaroundQuantity))
                    .col(string(Requests::Status))
                    .col(string_null(Requests::StatusBeforePause))
                    .col(timestamp_with_time_zone(Requests::RequestedAt))
                    .col(timestamp_with_time_zone(Requests::LoggedAt))
                    .col(timestamp_with_time_zone(Requests::ReadyAt))
                    .col(timestamp_with_time_zone(Requests::ClockStart))
                    .col(timestamp_with_time_zone(Requests::DueAt))
                    .col(big_integer(Requests::PauseShiftSeconds).default(0))
                    .col(timestamp_with_time_zone_null(Requests::PausedAt))
                    .col(timestamp_with_time_zone_null(Requests::ExpectedAt))
                    .col(timestamp_with_time_zone_null(Requests::DeliveredAt))
                    .col(big_integer_null(Requests::LatenessMinutes))
                    .col(boolean_null(Requests::OnTime))
                    .col(integer_null(Requests::RatingScore))
                    .col(text_null(Requests::RatingComment))
                    .col(timestamp_with_time_zone(Requests::LastEventAt))
                    .col(timestamp_with_time_zone_null(Requests::OverdueNotifiedAt))
                    .col(big_integer(Requests::CreatedByUserId))
                    .col(integer(Requests::Version))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Requests::Table, Requests::OrganisationId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Requests::Table, Requests::AgreementId)
                            .to(Agreements::Table, Agreements::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // The list filters: by organisation (keyset on id), provider, customer,
        // agreement, status and due.
        for (name, columns) in [
            ("idx_requests_org_id", &["organisation_id", "id"][..]),
            ("idx_requests_provider", &["provider_department_id", "id"]),
            ("idx_requests_customer", &["customer_department_id", "id"]),
            ("idx_requests_agreement", &["agreement_id", "delivered_at"]),
            (
                "idx_requests_org_status_due",
                &["organisation_id", "status", "due_at"],
            ),
        ] {
            manager
                .create_index(index(name, Requests::Table, columns))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(RequestDependencies::Table)
                    .col(big_integer(RequestDependencies::RequestId))
                    .col(big_integer(RequestDependencies::DependsOnId))
                    .col(big_integer(RequestDependencies::OrganisationId))
                    .primary_key(
                        Index::create()
                            .col(RequestDependencies::RequestId)
                            .col(RequestDependencies::DependsOnId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RequestDependencies::Table, RequestDependencies::RequestId)
                            .to(Requests::Table, Requests::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RequestDependencies::Table, RequestDependencies::DependsOnId)
                            .to(Requests::Table, Requests::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_request_dependencies_upstream",
                RequestDependencies::Table,
                &["depends_on_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(big_pk_auto(Events::Id))
                    .col(big_integer(Events::OrganisationId))
                    .col(string(Events::SubjectType))
                    .col(big_integer(Events::SubjectId))
                    .col(string(Events::Kind))
                    .col(big_integer_null(Events::ActorUserId))
                    .col(timestamp_with_time_zone(Events::At))
                    .col(timestamp_with_time_zone(Events::RecordedAt))
                    .col(text(Events::Data))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_events_subject",
                Events::Table,
                &["subject_type", "subject_id", "id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(big_pk_auto(Notifications::Id))
                    .col(big_integer(Notifications::OrganisationId))
                    .col(big_integer(Notifications::UserId))
                    .col(string(Notifications::Kind))
                    .col(big_integer_null(Notifications::RequestId))
                    .col(text(Notifications::Message))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .col(timestamp_with_time_zone_null(Notifications::ReadAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Notifications::Table, Notifications::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_notifications_user",
                Notifications::Table,
                &["user_id", "id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(big_pk_auto(IdempotencyKeys::Id))
                    .col(big_integer(IdempotencyKeys::UserId))
                    .col(string(IdempotencyKeys::Key))
                    .col(string(IdempotencyKeys::BodyHash))
                    .col(big_integer(IdempotencyKeys::RequestId))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "uq_idempotency_user_key",
                    IdempotencyKeys::Table,
                    &["user_id", "key"],
                )
                .unique()
                .to_owned(),
            )
            .await?;

        // The event log is append-only for everyone, admins and the
        // application included: the database itself refuses changes.
        let connection = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                connection
                    .execute_unprepared(
                        "CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
                         BEGIN RAISE EXCEPTION 'events are append-only'; END $$; \
                         CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events \
                         FOR EACH ROW EXECUTE FUNCTION events_append_only();",
                    )
                    .await?;
            }
            _ => {
                connection
                    .execute_unprepared(
                        "CREATE TRIGGER events_no_update BEFORE UPDATE ON events \
                         BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;",
                    )
                    .await?;
                connection
                    .execute_unprepared(
                        "CREATE TRIGGER events_no_delete BEFORE DELETE ON events \
                         BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;",
                    )
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP FUNCTION IF EXISTS events_append_only() CASCADE")
                .await?;
        }
        for table in [
            IdempotencyKeys::Table.into_iden(),
            Notifications::Table.into_iden(),
            Events::Table.into_iden(),
            RequestDependencies::Table.into_iden(),
            Requests::Table.into_iden(),
            Agreements::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
