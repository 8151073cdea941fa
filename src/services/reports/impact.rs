//! `GET /reports/impact`: which external commitments are in danger, and
//! because of whom (SPEC §4, §6).
//!
//! Every open commitment is projected afresh as of `as_of` (the same pass
//! as `GET /commitments/{id}/projection`). Departments are then ranked by
//! the own slip they put on commitments that are late or at risk: the sum,
//! over those commitments, of the `own_slip` root causes attributed to the
//! department along each commitment's critical path. A slip that delays
//! two commitments counts for both, since both promises are hurt by it.
//! The customer waits a department caused are shown beside it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use utoipa::ToSchema;

use super::{DepartmentRef, Viewer, departments};
use crate::entities::commitment;
use crate::entities::commitment::CommitmentStatus;
use crate::entities::ids::{CommitmentId, DepartmentId, RequestId};
use crate::error::ApiError;
use crate::projection::{RootCause, RootCauseKind};
use crate::services::calendars::CalendarCache;
use crate::services::projection::{self, projection_error, risk_name};

/// An open commitment and its projection.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ImpactCommitment {
    pub commitment_id: CommitmentId,
    pub customer_name: String,
    pub title: String,
    pub owner_department_id: DepartmentId,
    pub promised_at: DateTime<Utc>,
    pub projected_at: DateTime<Utc>,
    pub baseline_at: DateTime<Utc>,
    /// Projected − baseline, elapsed minutes (never negative).
    pub slip_minutes: i64,
    /// Working minutes from projected to promised (negative when late).
    pub slack_minutes: i64,
    /// `late | at_risk | on_track`
    pub risk: String,
    /// Request ids, upstream first.
    pub critical_path: Vec<i64>,
    /// `{request_id, department_id, kind: own_slip | customer_wait, minutes}`
    #[schema(value_type = Vec<Object>)]
    pub root_causes: Vec<RootCause>,
}

/// What one department did to one endangered commitment.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Contribution {
    pub commitment_id: CommitmentId,
    pub customer_name: String,
    pub title: String,
    /// `late | at_risk`
    pub risk: String,
    pub own_slip_minutes: i64,
    pub customer_wait_minutes: i64,
    /// The requests on the critical path whose delay it is, upstream first.
    pub request_ids: Vec<RequestId>,
}

/// A department's weight on endangered commitments.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DepartmentImpact {
    /// 1 for the department whose slips weigh most.
    pub rank: i64,
    pub department_id: DepartmentId,
    pub code: String,
    pub name: String,
    /// Own slip put on late or at-risk commitments, elapsed minutes.
    pub own_slip_minutes: i64,
    /// Pauses it caused as a customer on their critical paths, elapsed minutes.
    pub customer_wait_minutes: i64,
    /// The commitments behind the figures, largest own slip first.
    pub commitments: Vec<Contribution>,
}

/// How many open commitments stand at each risk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct RiskCounts {
    pub late: i64,
    pub at_risk: i64,
    pub on_track: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ImpactReport {
    pub as_of: DateTime<Utc>,
    pub by_risk: RiskCounts,
    /// Open commitments: late first, then at risk, then on track; within
    /// each, least slack first.
    pub commitments: Vec<ImpactCommitment>,
    /// Departments with own slip or customer wait on late or at-risk
    /// commitments, by own slip (largest first), then customer wait, then id.
    /// Leads and staff see only their own department.
    pub departments: Vec<DepartmentImpact>,
}

fn risk_order(risk: &str) -> u8 {
    match risk {
        "late" => 0,
        "at_risk" => 1,
        _ => 2,
    }
}

/// The impact report of the viewer's organisation as of `as_of`.
#[tracing::instrument(skip(db, cache))]
pub async fn impact(
    db: &impl ConnectionTrait,
    cache: &CalendarCache,
    viewer: &Viewer,
    as_of: DateTime<Utc>,
) -> Result<ImpactReport, ApiError> {
    let open = commitment::Entity::find()
        .filter(commitment::Column::OrganisationId.eq(viewer.organisation_id))
        .filter(commitment::Column::Status.eq(CommitmentStatus::Open))
        .order_by_asc(commitment::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<CommitmentId> = open.iter().map(|row| row.id).collect();
    let projected =
        projection::project(db, cache, viewer.organisation_id, &ids, &[], as_of).await?;

    let mut commitments = Vec::with_capacity(open.len());
    let mut by_risk = RiskCounts::default();
    for row in open {
        let Some(&idx) = projected.commitments.get(&row.id) else {
            continue;
        };
        let Some(view) = projected
            .projection
            .commitment_projection(idx)
            .map_err(projection_error)?
        else {
            continue;
        };
        let risk = risk_name(view.risk);
        match risk {
            "late" => by_risk.late += 1,
            "at_risk" => by_risk.at_risk += 1,
            _ => by_risk.on_track += 1,
        }
        commitments.push(ImpactCommitment {
            commitment_id: row.id,
            customer_name: row.customer_name,
            title: row.title,
            owner_department_id: row.owner_department_id,
            promised_at: row.promised_at,
            projected_at: view.projected_at,
            baseline_at: view.baseline_at,
            slip_minutes: view.slip_minutes,
            slack_minutes: view.slack_minutes,
            risk: risk.into(),
            critical_path: view.critical_path,
            root_causes: view.root_causes,
        });
    }
    commitments.sort_by(|a, b| {
        risk_order(&a.risk)
            .cmp(&risk_order(&b.risk))
            .then(a.slack_minutes.cmp(&b.slack_minutes))
            .then(a.commitment_id.cmp(&b.commitment_id))
    });

    let names = departments(db, viewer.organisation_id).await?;
    let mut ranking = rank(&commitments, |id| {
        names.get(&id).cloned().unwrap_or_else(|| DepartmentRef {
            id,
            code: format!("#{id}"),
            name: String::new(),
        })
    });
    if let Some(own) = viewer.department_id {
        ranking.retain(|department| department.department_id == own);
    }
    Ok(ImpactReport {
        as_of,
        by_risk,
        commitments,
        departments: ranking,
    })
}

/// Ranks departments by the own slip they put on endangered commitments.
fn rank(
    commitments: &[ImpactCommitment],
    name_of: impl Fn(DepartmentId) -> DepartmentRef,
) -> Vec<DepartmentImpact> {
    // department → commitment id → contribution
    let mut shares: BTreeMap<DepartmentId, BTreeMap<CommitmentId, Contribution>> = BTreeMap::new();
    for commitment in commitments.iter().filter(|c| c.risk != "on_track") {
        for cause in &commitment.root_causes {
            let share = shares
                .entry(DepartmentId(cause.department_id))
                .or_default()
                .entry(commitment.commitment_id)
                .or_insert_with(|| Contribution {
                    commitment_id: commitment.commitment_id,
                    customer_name: commitment.customer_name.clone(),
                    title: commitment.title.clone(),
                    risk: commitment.risk.clone(),
                    own_slip_minutes: 0,
                    customer_wait_minutes: 0,
                    request_ids: Vec::new(),
                });
            match cause.kind {
                RootCauseKind::OwnSlip => share.own_slip_minutes += cause.minutes,
                RootCauseKind::CustomerWait => share.customer_wait_minutes += cause.minutes,
            }
            let request = RequestId(cause.request_id);
            if !share.request_ids.contains(&request) {
                share.request_ids.push(request);
            }
        }
    }
    let mut ranking: Vec<DepartmentImpact> = shares
        .into_iter()
        .map(|(department_id, contributions)| {
            let mut contributions: Vec<Contribution> = contributions.into_values().collect();
            contributions.sort_by(|a, b| {
                b.own_slip_minutes
                    .cmp(&a.own_slip_minutes)
                    .then(b.customer_wait_minutes.cmp(&a.customer_wait_minutes))
                    .then(a.commitment_id.cmp(&b.commitment_id))
            });
            let department = name_of(department_id);
            DepartmentImpact {
                rank: 0,
                department_id,
                code: department.code,
                name: department.name,
                own_slip_minutes: contributions.iter().map(|c| c.own_slip_minutes).sum(),
                customer_wait_minutes: contributions.iter().map(|c| c.customer_wait_minutes).sum(),
                commitments: contributions,
            }
        })
        .collect();
    ranking.sort_by(|a, b| {
        b.own_slip_minutes
            .cmp(&a.own_slip_minutes)
            .then(b.customer_wait_minutes.cmp(&a.customer_wait_minutes))
            .then(a.department_id.cmp(&b.department_id))
    });
    for (place, department) in ranking.iter_mut().enumerate() {
        department.rank = place as i64 + 1;
    }
    ranking
}
