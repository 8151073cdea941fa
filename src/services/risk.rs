//! Keeping the stored risk of commitments true while time passes.
//!
//! A commitment's projection is stored by every change that moves it, but
//! time alone moves it too: an input falls due undelivered, a pause runs.
//! Each stored projection says when that can first happen
//! (`commitments.refresh_at`, see `projection::holds`); this refresh
//! re-projects the open commitments whose moment has come, and only those.
//!
//! Several instances run it at once: each commitment is claimed by a
//! conditional update that moves its `refresh_at` a lease ahead, so only the
//! instance whose update changed the row re-projects it (on PostgreSQL the
//! other's update waits for the first transaction and then finds the row no
//! longer due; on SQLite writers take turns).

use std::collections::BTreeMap;

use chrono::{TimeDelta, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::entities::commitment::{self, CommitmentStatus};
use crate::entities::ids::{CommitmentId, OrganisationId};
use crate::error::ApiError;
use crate::services::calendars::CalendarCache;
use crate::services::projection;

/// Most commitments re-projected by one refresh; the next takes the rest.
const BATCH: u64 = 500;
/// How long a claim holds should the claiming instance die mid-refresh.
const LEASE: TimeDelta = TimeDelta::minutes(5);

/// Re-projects the open commitments whose stored projection may have moved
/// with time; returns how many this instance re-projected.
pub async fn refresh_due(
    db: &DatabaseConnection,
    calendars: &CalendarCache,
) -> Result<usize, ApiError> {
    let now = Utc::now();
    let due_now = || {
        Condition::any()
            .add(commitment::Column::RefreshAt.is_null())
            .add(commitment::Column::RefreshAt.lte(now))
    };
    let due: Vec<(CommitmentId, OrganisationId)> = commitment::Entity::find()
        .select_only()
        .column(commitment::Column::Id)
        .column(commitment::Column::OrganisationId)
        .filter(commitment::Column::Status.eq(CommitmentStatus::Open))
        .filter(due_now())
        .order_by_asc(commitment::Column::RefreshAt)
        .limit(BATCH)
        .into_tuple()
        .all(db)
        .await?;
    let mut by_organisation: BTreeMap<OrganisationId, Vec<CommitmentId>> = BTreeMap::new();
    for (id, organisation) in due {
        by_organisation.entry(organisation).or_default().push(id);
    }
    let mut refreshed = 0;
    for (organisation, ids) in by_organisation {
        let txn = crate::db::begin_write(db).await?;
        let mut claimed = Vec::with_capacity(ids.len());
        for id in ids {
            let claim = commitment::Entity::update_many()
                .col_expr(commitment::Column::RefreshAt, Expr::value(now + LEASE))
                .filter(commitment::Column::Id.eq(id))
                .filter(commitment::Column::Status.eq(CommitmentStatus::Open))
                .filter(due_now())
                .exec(&txn)
                .await?;
            if claim.rows_affected == 1 {
                claimed.push(id);
            }
        }
        projection::store(&txn, calendars, organisation, &claimed).await?;
        txn.commit().await?;
        refreshed += claimed.len();
    }
    Ok(refreshed)
}
