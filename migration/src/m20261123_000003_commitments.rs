//! External commitments (promises to outside customers) and the requests
//! each depends on, with the last stored projection for filtering by risk.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Commitments {
    Table,
    Id,
    OrganisationId,
    CustomerName,
    Title,
    PromisedAt,
    OwnerDepartmentId,
    LeadTimeUnit,
    LeadTimeQuantity,
    Status,
    FulfilledAt,
    CancelReason,
    ProjectedAt,
    BaselineAt,
    SlipMinutes,
    SlackMinutes,
    Risk,
    ProjectedAsOf,
    CreatedByUserId,
    Version,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CommitmentDependencies {
    Table,
    CommitmentId,
    RequestId,
    OrganisationId,
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
enum Requests {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Commitments::Table)
                    .col(big_pk_auto(Commitments::Id))
                    .col(big_integer(Commitments::OrganisationId))
                    .col(string(Commitments::CustomerName))
                    .col(string(Commitments::Title))
                    .col(timestamp_with_time_zone(Commitments::PromisedAt))
                    .col(big_integer(Commitments::OwnerDepartmentId))
                    .col(string(Commitments::LeadTimeUnit))
                    .col(big_integer(Commitments::LeadTimeQuantity))
                    .col(string(Commitments::Status))
                    .col(timestamp_with_time_zone_null(Commitments::FulfilledAt))
                    .col(text_null(Commitments::CancelReason))
                    .col(timestamp_with_time_zone_null(Commitments::ProjectedAt))
                    .col(timestamp_with_time_zone_null(Commitments::BaselineAt))
                    .col(big_integer_null(Commitments::SlipMinutes))
                    .col(big_integer_null(Commitments::SlackMinutes))
                    .col(string_null(Commitments::Risk))
                    .col(timestamp_with_time_zone_null(Commitments::ProjectedAsOf))
                    .col(big_integer(Commitments::CreatedByUserId))
                    .col(integer(Commitments::Version))
                    .col(timestamp_with_time_zone(Commitments::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Commitments::Table, Commitments::OrganisationId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Commitments::Table, Commitments::OwnerDepartmentId)
                            .to(Departments::Table, Departments::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_commitments_org_risk")
                    .table(Commitments::Table)
                    .col(Commitments::OrganisationId)
                    .col(Commitments::Risk)
                    .col(Commitments::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CommitmentDependencies::Table)
                    .col(big_integer(CommitmentDependencies::CommitmentId))
                    .col(big_integer(CommitmentDependencies::RequestId))
                    .col(big_integer(CommitmentDependencies::OrganisationId))
                    .primary_key(
                        Index::create()
                            .col(CommitmentDependencies::CommitmentId)
                            .col(CommitmentDependencies::RequestId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                CommitmentDependencies::Table,
                                CommitmentDependencies::CommitmentId,
                            )
                            .to(Commitments::Table, Commitments::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                CommitmentDependencies::Table,
                                CommitmentDependencies::RequestId,
                            )
                            .to(Requests::Table, Requests::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_commitment_dependencies_request")
                    .table(CommitmentDependencies::Table)
                    .col(CommitmentDependencies::RequestId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(CommitmentDependencies::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Commitments::Table).to_owned())
            .await
    }
}
