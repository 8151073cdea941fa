//! On-time figures shown with every agreement: finished deliveries (status
//! `delivered` or `accepted`, so a reopened request counts again only once
//! it is delivered anew) and how many were on time. The database keeps both
//! counts on the agreement's row (migration `m20261206_000002`), so reading
//! them costs the same after five years as after five days.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryResult,
    QuerySelect, QueryTrait, Select,
};
use serde::Serialize;

use crate::entities::agreement;
use crate::entities::ids::{AgreementId, OrganisationId};
use crate::error::ApiError;
use crate::services::stats::round1;

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct OnTimeFigures {
    pub delivered: i64,
    pub on_time: i64,
    /// `null` until something was delivered.
    pub on_time_pct: Option<f64>,
}

impl OnTimeFigures {
    fn new(delivered: i64, on_time: i64) -> Self {
        OnTimeFigures {
            delivered,
            on_time,
            on_time_pct: (delivered > 0).then(|| round1(on_time as f64 * 100.0 / delivered as f64)),
        }
    }
}

/// `query` with each agreement's two counts beside its columns, read back
/// by [`read_with_figures`]: a page that lists agreements with their
/// figures reads them in one statement.
pub(super) fn with_figures(query: Select<agreement::Entity>) -> SelectStatement {
    query
        .column_as(Expr::cust("delivered_count"), "delivered")
        .column_as(Expr::cust("on_time_count"), "on_time")
        .into_query()
}

/// An agreement and its figures from a row of [`with_figures`].
pub(super) fn read_with_figures(
    row: &QueryResult,
) -> Result<(agreement::Model, OnTimeFigures), ApiError> {
    Ok((
        agreement::Model::from_query_result(row, "")?,
        OnTimeFigures::new(row.try_get("", "delivered")?, row.try_get("", "on_time")?),
    ))
}

/// Figures for each agreement id given, in one grouped query.
pub async fn on_time_figures(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    agreement_ids: &[AgreementId],
) -> Result<HashMap<AgreementId, OnTimeFigures>, ApiError> {
    if agreement_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(AgreementId, i64, i64)> = agreement::Entity::find()
        .select_only()
        .column(agreement::Column::Id)
        .column_as(Expr::cust("delivered_count"), "delivered")
        .column_as(Expr::cust("on_time_count"), "on_time")
        .filter(agreement::Column::OrganisationId.eq(organisation_id))
        .filter(agreement::Column::Id.is_in(agreement_ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, delivered, on_time)| (id, OnTimeFigures::new(delivered, on_time)))
        .collect())
}
