//! `GET /reports/matrix`: provider × customer on-time figures for a
//! window — who keeps their promises to whom (SPEC §6).

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;

use super::health::{rows_of, scope_for};
use super::queries::{self, Periods};
use super::{DepartmentRef, Figures, GroupBy, Viewer, Window, departments};
use crate::entities::ids::DepartmentId;
use crate::error::ApiError;

/// One provider–customer cell.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MatrixCell {
    pub provider_department_id: DepartmentId,
    pub customer_department_id: DepartmentId,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MatrixReport {
    pub window: Window,
    /// Rows of the matrix: departments that provide in some cell, by code.
    pub providers: Vec<DepartmentRef>,
    /// Columns: departments that are customers in some cell, by code.
    pub customers: Vec<DepartmentRef>,
    /// Pairs with a delivery in the window or open at its end.
    pub cells: Vec<MatrixCell>,
}

/// The matrix of the viewer's organisation (leads and staff: the cells
/// where their department provides or receives).
#[tracing::instrument(skip(db))]
pub async fn matrix(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    window: Window,
    now: DateTime<Utc>,
) -> Result<MatrixReport, ApiError> {
    let periods = Periods {
        from: window.from,
        ends: vec![window.to],
    };
    let tallies = queries::tally(
        db,
        viewer.organisation_id,
        scope_for(viewer, GroupBy::Pair),
        &periods,
        now,
    )
    .await?;
    let all = departments(db, viewer.organisation_id).await?;
    let rows = rows_of(GroupBy::Pair, &tallies, 0, &all);
    let mut cells = Vec::with_capacity(rows.len());
    for row in rows {
        if let (Some(provider), Some(customer)) = (
            row.key.provider_department_id,
            row.key.customer_department_id,
        ) {
            cells.push(MatrixCell {
                provider_department_id: provider,
                customer_department_id: customer,
                figures: row.figures,
            });
        }
    }
    let axis = |pick: fn(&MatrixCell) -> DepartmentId| {
        let mut list: Vec<DepartmentRef> = all
            .values()
            .filter(|department| cells.iter().any(|cell| pick(cell) == department.id))
            .cloned()
            .collect();
        list.sort_by(|a, b| a.code.cmp(&b.code));
        list
    };
    Ok(MatrixReport {
        window,
        providers: axis(|cell| cell.provider_department_id),
        customers: axis(|cell| cell.customer_department_id),
        cells,
    })
}
