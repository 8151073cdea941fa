//! Indexes for the leadership reports (SPEC §6). Both carry every column
//! their queries read, so that a report over a year of an organisation's
//! requests reads one index and never the table.
//!
//! - `idx_requests_report_grouped` is in the order the health figures are
//!   grouped by (organisation, agreement, lateness, on time): SQLite then
//!   streams the groups straight out of the index instead of sorting a
//!   million rows in a temporary b-tree, and PostgreSQL can aggregate it
//!   with an index-only scan. The window filter on `delivered_at` is
//!   checked inside the index.
//! - `idx_requests_report_open` finds the requests open at the end of a
//!   window by delivery time: never delivered (`delivered_at IS NULL`) or
//!   delivered at or after the end, each one range of the index.
//!
//! No index on `requested_at`: every report filters on it only beside a
//! `delivered_at` range, and SQLite, without statistics, would otherwise
//! pick it and read the whole table through it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Requests {
    Table,
}

/// Name and columns of each index, in key order.
const INDEXES: [(&str, &[&str]); 2] = [
    (
        "idx_requests_report_grouped",
        &[
            "organisation_id",
            "agreement_id",
            "lateness_minutes",
            "on_time",
            "delivered_at",
            "status",
            "rating_score",
            "provider_department_id",
            "customer_department_id",
        ],
    ),
    (
        "idx_requests_report_open",
        &[
            "organisation_id",
            "delivered_at",
            "agreement_id",
            "status",
            "requested_at",
            "due_at",
            "provider_department_id",
            "customer_department_id",
        ],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, columns) in INDEXES {
            let mut index = Index::create();
            index.name(name).table(Requests::Table);
            for column in columns {
                index.col(Alias::new(*column));
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(Requests::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}
