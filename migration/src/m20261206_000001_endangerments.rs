//! Reads that cost what the page shows, however much waits downstream.
//!
//! - `endangerments(request_id, commitment_id)`: for every open commitment
//!   at risk or late, the requests on its critical path, as its projection
//!   was last stored (by every change that moves it, and by the risk
//!   refresh as time passes). A request's `endangered_commitment_ids` is
//!   then one lookup by the primary key's first column instead of a walk of
//!   everything downstream of it; `idx_endangerments_commitment` serves the
//!   rewrite of one commitment's rows.
//! - `commitments.refresh_at`: the moment the stored projection of an open
//!   commitment may next change with time alone (an input falls due, a
//!   pause runs); the risk refresh re-projects the commitments whose moment
//!   has come (`idx_commitments_refresh`). Existing commitments start with
//!   none, which counts as due: the first refresh fills their endangerments.
//! - Request lists by id, filtered, without sorting what the filter keeps:
//!   `idx_requests_org_status_id` (`?status=`, and the open-work queries)
//!   and `idx_requests_agreement_id` (`?agreement=`); provider, customer
//!   and assignee already have theirs.
//! - A department's page: its open requests both ways, soonest due first
//!   (`idx_requests_provider_open`, `idx_requests_customer_open`), and the
//!   open commitments it owns (`idx_commitments_owner_status`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Endangerments {
    Table,
    RequestId,
    CommitmentId,
    OrganisationId,
}

#[derive(DeriveIden)]
enum Commitments {
    Table,
    Id,
    Status,
    RefreshAt,
    OwnerDepartmentId,
}

#[derive(DeriveIden)]
enum Requests {
    Table,
    Id,
    OrganisationId,
    Status,
    AgreementId,
    ProviderDepartmentId,
    CustomerDepartmentId,
    DueAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Endangerments::Table)
                    .col(big_integer(Endangerments::RequestId))
                    .col(big_integer(Endangerments::CommitmentId))
                    .col(big_integer(Endangerments::OrganisationId))
                    .primary_key(
                        Index::create()
                            .col(Endangerments::RequestId)
                            .col(Endangerments::CommitmentId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Endangerments::Table, Endangerments::RequestId)
                            .to(Requests::Table, Requests::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Endangerments::Table, Endangerments::CommitmentId)
                            .to(Commitments::Table, Commitments::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_endangerments_commitment")
                    .table(Endangerments::Table)
                    .col(Endangerments::CommitmentId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Commitments::Table)
                    .add_column(timestamp_with_time_zone_null(Commitments::RefreshAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_commitments_refresh")
                    .table(Commitments::Table)
                    .col(Commitments::Status)
                    .col(Commitments::RefreshAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_requests_org_status_id")
                    .table(Requests::Table)
                    .col(Requests::OrganisationId)
                    .col(Requests::Status)
                    .col(Requests::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_requests_agreement_id")
                    .table(Requests::Table)
                    .col(Requests::AgreementId)
                    .col(Requests::Id)
                    .to_owned(),
            )
            .await?;
        for (name, side) in [
            ("idx_requests_provider_open", Requests::ProviderDepartmentId),
            ("idx_requests_customer_open", Requests::CustomerDepartmentId),
        ] {
            manager
                .create_index(
                    // The organisation first, so that SQLite, planning
                    // without statistics, prefers it to the organisation's
                    // open requests of every department.
                    Index::create()
                        .name(name)
                        .table(Requests::Table)
                        .col(Requests::OrganisationId)
                        .col(side)
                        .col(Requests::Status)
                        .col(Requests::DueAt)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_commitments_owner_status")
                    .table(Commitments::Table)
                    .col(Commitments::OwnerDepartmentId)
                    .col(Commitments::Status)
                    .col(Commitments::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_commitments_owner_status")
                    .table(Commitments::Table)
                    .to_owned(),
            )
            .await?;
        for name in [
            "idx_requests_agreement_id",
            "idx_requests_org_status_id",
            "idx_requests_provider_open",
            "idx_requests_customer_open",
        ] {
            manager
                .drop_index(Index::drop().name(name).table(Requests::Table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_commitments_refresh")
                    .table(Commitments::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Commitments::Table)
                    .drop_column(Commitments::RefreshAt)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Endangerments::Table).to_owned())
            .await
    }
}
