//! `GET /reports/health`: the health figures of every agreement, provider,
//! customer or provider–customer pair over a window (SPEC §6, appendix A).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use utoipa::ToSchema;

use super::queries::{self, AgreementInfo, Periods, RequestScope, Tallies};
use super::tally::RollUp;
use super::{DepartmentRef, Figures, GroupBy, GroupKey, Viewer, Window, code_of, departments};
use crate::entities::ids::DepartmentId;
use crate::error::ApiError;

/// One group's figures.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct HealthRow {
    /// `{agreement_id}`, `{provider_department_id}`, `{customer_department_id}`
    /// or both department ids, by `group_by`.
    pub key: GroupKey,
    /// Department codes (`LEGAL → SALES`), with the agreement's title when
    /// grouped by agreement.
    pub label: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct HealthReport {
    pub window: Window,
    /// `agreement | provider | customer | pair`
    pub group_by: String,
    /// Groups with a delivery in the window or open at its end, by key.
    pub rows: Vec<HealthRow>,
    /// The departments the rows name.
    pub departments: Vec<DepartmentRef>,
}

/// Which requests a viewer's rows are made of: leads and staff see only
/// rows of their own department, whole (all of its deliveries as a
/// provider when grouped by provider; every request touching it when
/// grouped by agreement or pair).
pub(super) fn scope_for(viewer: &Viewer, group_by: GroupBy) -> RequestScope {
    let mut scope = RequestScope::default();
    if let Some(own) = viewer.department_id {
        match group_by {
            GroupBy::Provider => scope.provider_department_id = Some(own),
            GroupBy::Customer => scope.customer_department_id = Some(own),
            GroupBy::Agreement | GroupBy::Pair => scope.touching_department_id = Some(own),
        }
    }
    scope
}

/// Rows from per-agreement tallies of one period.
pub(super) fn rows_of(
    group_by: GroupBy,
    tallies: &Tallies,
    period: usize,
    departments: &HashMap<DepartmentId, DepartmentRef>,
) -> Vec<HealthRow> {
    let mut groups: BTreeMap<GroupKey, (RollUp, &AgreementInfo)> = BTreeMap::new();
    for (info, _, tally) in tallies.with_agreements().filter(|(_, p, _)| *p == period) {
        let entry = groups
            .entry(group_by.key_of(&info.parties))
            .or_insert_with(|| (RollUp::default(), info));
        entry.0.add(tally, info.target_pct);
    }
    groups
        .into_iter()
        .map(|(key, (roll, info))| HealthRow {
            key,
            label: label(group_by, info, departments),
            figures: roll.figures(None),
        })
        .collect()
}

fn label(
    group_by: GroupBy,
    info: &AgreementInfo,
    departments: &HashMap<DepartmentId, DepartmentRef>,
) -> String {
    let provider = code_of(departments, info.parties.provider_department_id);
    let customer = code_of(departments, info.parties.customer_department_id);
    match group_by {
        GroupBy::Provider => provider,
        GroupBy::Customer => customer,
        GroupBy::Pair => format!("{provider} → {customer}"),
        GroupBy::Agreement => format!("{provider} → {customer}: {}", info.title),
    }
}

/// The health report of the viewer's organisation (their rows only, for
/// leads and staff).
#[tracing::instrument(skip(db))]
pub async fn health(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    window: Window,
    group_by: GroupBy,
    now: DateTime<Utc>,
) -> Result<HealthReport, ApiError> {
    let periods = Periods {
        from: window.from,
        ends: vec![window.to],
    };
    let tallies = queries::tally(
        db,
        viewer.organisation_id,
        scope_for(viewer, group_by),
        &periods,
        now,
    )
    .await?;
    let all_departments = departments(db, viewer.organisation_id).await?;
    let rows = rows_of(group_by, &tallies, 0, &all_departments);
    let mut named: Vec<DepartmentRef> = all_departments
        .into_values()
        .filter(|department| {
            tallies.agreements.values().any(|info| {
                info.parties.provider_department_id == department.id
                    || info.parties.customer_department_id == department.id
            })
        })
        .collect();
    named.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(HealthReport {
        window,
        group_by: group_by.as_str().into(),
        rows,
        departments: named,
    })
}
