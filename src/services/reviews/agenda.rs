//! The agenda of a review, built from the data when asked (SPEC §5): for
//! the window since the pair's previous held review (or the last 90 days),
//! how each agreement between the two departments was served, the open
//! action items of earlier reviews, the commitments whose critical path
//! crosses the pair, and what the customer said (`voice`).

use crate::entities::ids::{
    AgreementId, CommitmentId, DepartmentId, OrganisationId, RequestId, UserId,
};
use crate::entities::{
    action_item::ActionStatus, agreement::AgreementStatus, commitment::CommitmentStatus,
    review::ReviewStatus,
};
use crate::services::Context;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;

use super::get;
use crate::entities::{action_item, agreement, event, request, review};
use crate::error::ApiError;
use crate::services::calendars::CalendarCache;
use crate::services::projection;
use crate::services::requests::RequestStatus;
use crate::services::stats::{nearest_rank, round1};

/// How far back the first review of a pair looks.
const FIRST_WINDOW: TimeDelta = TimeDelta::days(90);
const WORST_MISSES: usize = 5;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Miss {
    pub request_id: RequestId,
    pub title: String,
    pub lateness_minutes: i64,
    /// Reasons given along the way: forecasts, pauses, reopenings.
    pub reasons: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgendaAgreement {
    pub agreement_id: AgreementId,
    pub title: String,
    pub provider_department_id: DepartmentId,
    pub customer_department_id: DepartmentId,
    pub delivered: usize,
    pub on_time: usize,
    pub on_time_pct: Option<f64>,
    pub target_pct: i32,
    pub meets_target: Option<bool>,
    /// Nearest-rank median of signed lateness (working minutes).
    pub median_lateness_minutes: Option<i64>,
    pub worst_lateness_minutes: Option<i64>,
    pub avg_rating: Option<f64>,
    pub worst_misses: Vec<Miss>,
    pub comments: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgendaAction {
    pub id: i64,
    pub review_id: i64,
    pub title: String,
    pub owner_user_id: UserId,
    pub due_on: NaiveDate,
    pub overdue: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgendaCommitment {
    pub commitment_id: CommitmentId,
    pub title: String,
    /// `on_track | at_risk | late`
    pub risk: String,
    pub slip_minutes: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Agenda {
    pub review_id: i64,
    pub window: Window,
    pub agreements: Vec<AgendaAgreement>,
    pub open_actions: Vec<AgendaAction>,
    pub commitments: Vec<AgendaCommitment>,
    /// What the customer said between the two in the window: pulse checks
    /// and their answers back, and thanks.
    pub voice: super::voice::AgendaVoice,
}

pub async fn agenda(cx: &Context<'_>, review_id: i64) -> Result<Agenda, ApiError> {
    let (db, calendars, actor) = (cx.db, cx.calendars, &cx.actor);
    let review = get(db, actor, review_id).await?;
    let now = Utc::now();
    let to = review.held_at.unwrap_or(now);
    let pair = Condition::all()
        .add(review::Column::OrganisationId.eq(review.organisation_id))
        .add(review::Column::DepartmentAId.eq(review.department_a_id))
        .add(review::Column::DepartmentBId.eq(review.department_b_id));
    let previous = review::Entity::find()
        .filter(pair.clone())
        .filter(review::Column::Id.ne(review.id))
        .filter(review::Column::Status.eq(ReviewStatus::Held))
        .filter(review::Column::HeldAt.lt(to))
        .order_by_desc(review::Column::HeldAt)
        .one(db)
        .await?;
    // `to` is a stored held_at, which predates the range check for older rows.
    let from = match previous.and_then(|earlier| earlier.held_at) {
        Some(held_at) => held_at,
        None => to
            .checked_sub_signed(FIRST_WINDOW)
            .ok_or_else(|| ApiError::field("held_at", "lies too early for an agenda window"))?,
    };

    let (a, b) = (review.department_a_id, review.department_b_id);
    let agreements = agreement::Entity::find()
        .filter(agreement::Column::OrganisationId.eq(review.organisation_id))
        .filter(agreement::Column::Status.eq(AgreementStatus::Active))
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(agreement::Column::ProviderDepartmentId.eq(a))
                        .add(agreement::Column::CustomerDepartmentId.eq(b)),
                )
                .add(
                    Condition::all()
                        .add(agreement::Column::ProviderDepartmentId.eq(b))
                        .add(agreement::Column::CustomerDepartmentId.eq(a)),
                ),
        )
        .order_by_asc(agreement::Column::Id)
        .all(db)
        .await?;
    let agreement_ids: Vec<AgreementId> = agreements.iter().map(|row| row.id).collect();
    let delivered = request::Entity::find()
        .filter(request::Column::AgreementId.is_in(agreement_ids.iter().copied()))
        .filter(request::Column::Status.is_in([RequestStatus::Delivered, RequestStatus::Accepted]))
        .filter(request::Column::DeliveredAt.gte(from))
        .filter(request::Column::DeliveredAt.lt(to))
        .order_by_asc(request::Column::Id)
        .all(db)
        .await?;
    let reasons = reasons_of(db, &delivered).await?;
    let mut figures = Vec::with_capacity(agreements.len());
    for agreement in &agreements {
        let rows: Vec<&request::Model> = delivered
            .iter()
            .filter(|row| row.agreement_id == agreement.id)
            .collect();
        figures.push(served(agreement, &rows, &reasons));
    }

    let earlier_reviews: Vec<i64> = review::Entity::find()
        .select_only()
        .column(review::Column::Id)
        .filter(pair)
        .filter(review::Column::ScheduledAt.lt(review.scheduled_at))
        .into_tuple()
        .all(db)
        .await?;
    let today = now.date_naive();
    let open_actions = action_item::Entity::find()
        .filter(action_item::Column::ReviewId.is_in(earlier_reviews))
        .filter(action_item::Column::Status.eq(ActionStatus::Open))
        .order_by_asc(action_item::Column::DueOn)
        .all(db)
        .await?
        .into_iter()
        .map(|item| AgendaAction {
            overdue: item.due_on < today,
            id: item.id,
            review_id: item.review_id,
            title: item.title,
            owner_user_id: item.owner_user_id,
            due_on: item.due_on,
        })
        .collect();

    let commitments = crossing_commitments(
        db,
        calendars,
        review.organisation_id,
        &agreement_ids,
        from,
        now,
    )
    .await?;
    let voice = super::voice::of_pair(db, review.organisation_id, (a, b), from, to).await?;
    Ok(Agenda {
        review_id: review.id,
        window: Window { from, to },
        agreements: figures,
        open_actions,
        commitments,
        voice,
    })
}

fn served(
    agreement: &agreement::Model,
    rows: &[&request::Model],
    reasons: &HashMap<RequestId, Vec<String>>,
) -> AgendaAgreement {
    let delivered = rows.len();
    let on_time = rows.iter().filter(|row| row.on_time == Some(true)).count();
    let mut lateness: Vec<i64> = rows.iter().filter_map(|row| row.lateness_minutes).collect();
    lateness.sort_unstable();
    let ratings: Vec<i32> = rows.iter().filter_map(|row| row.rating_score).collect();
    let mut misses: Vec<&&request::Model> = rows
        .iter()
        .filter(|row| row.on_time == Some(false))
        .collect();
    misses.sort_by_key(|row| (std::cmp::Reverse(row.lateness_minutes.unwrap_or(0)), row.id));
    let on_time_pct = (delivered > 0).then(|| round1(on_time as f64 * 100.0 / delivered as f64));
    AgendaAgreement {
        agreement_id: agreement.id,
        title: agreement.title.clone(),
        provider_department_id: agreement.provider_department_id,
        customer_department_id: agreement.customer_department_id,
        delivered,
        on_time,
        on_time_pct,
        target_pct: agreement.on_time_target_pct,
        meets_target: on_time_pct.map(|pct| pct >= f64::from(agreement.on_time_target_pct)),
        median_lateness_minutes: nearest_rank(&lateness, 50),
        worst_lateness_minutes: lateness.last().copied(),
        avg_rating: (!ratings.is_empty()).then(|| {
            round1(ratings.iter().map(|&r| f64::from(r)).sum::<f64>() / ratings.len() as f64)
        }),
        worst_misses: misses
            .into_iter()
            .take(WORST_MISSES)
            .map(|row| Miss {
                request_id: row.id,
                title: row.title.clone(),
                lateness_minutes: row.lateness_minutes.unwrap_or(0),
                reasons: reasons.get(&row.id).cloned().unwrap_or_default(),
            })
            .collect(),
        comments: rows
            .iter()
            .filter_map(|row| row.rating_comment.clone())
            .filter(|comment| !comment.trim().is_empty())
            .collect(),
    }
}

/// The reasons recorded on each request's forecasts, pauses and reopenings.
async fn reasons_of(
    db: &impl ConnectionTrait,
    rows: &[request::Model],
) -> Result<HashMap<RequestId, Vec<String>>, ApiError> {
    let late: Vec<RequestId> = rows
        .iter()
        .filter(|row| row.on_time == Some(false))
        .map(|row| row.id)
        .collect();
    let mut out: HashMap<RequestId, Vec<String>> = HashMap::new();
    if late.is_empty() {
        return Ok(out);
    }
    let events = event::Entity::find()
        .filter(event::Column::SubjectType.eq("request"))
        .filter(event::Column::SubjectId.is_in(late))
        .filter(event::Column::Kind.is_in(["forecast", "paused", "reopened"]))
        .order_by_asc(event::Column::Id)
        .all(db)
        .await?;
    for event in events {
        let data: serde_json::Value = serde_json::from_str(&event.data).unwrap_or_default();
        if let Some(reason) = data.get("reason").and_then(|reason| reason.as_str()) {
            out.entry(RequestId(event.subject_id))
                .or_default()
                .push(format!("{}: {reason}", event.kind));
        }
    }
    Ok(out)
}

/// Open commitments whose critical path runs through a request between the
/// pair (undelivered, or delivered inside the window).
async fn crossing_commitments(
    db: &impl ConnectionTrait,
    calendars: &CalendarCache,
    organisation_id: OrganisationId,
    agreement_ids: &[AgreementId],
    from: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<AgendaCommitment>, ApiError> {
    if agreement_ids.is_empty() {
        return Ok(Vec::new());
    }
    let undelivered = [
        RequestStatus::Open,
        RequestStatus::InProgress,
        RequestStatus::WaitingOnCustomer,
        RequestStatus::Reopened,
    ];
    let between: Vec<RequestId> = request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .filter(request::Column::AgreementId.is_in(agreement_ids.iter().copied()))
        .filter(
            Condition::any()
                .add(request::Column::Status.is_in(undelivered))
                .add(request::Column::DeliveredAt.gte(from)),
        )
        .into_tuple()
        .all(db)
        .await?;
    let candidates = projection::commitments_downstream(db, organisation_id, &between).await?;
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let projected =
        projection::project(db, calendars, organisation_id, &candidates, &[], now).await?;
    let between: HashSet<RequestId> = between.into_iter().collect();
    let titles: HashMap<CommitmentId, String> = crate::entities::commitment::Entity::find()
        .filter(crate::entities::commitment::Column::Id.is_in(candidates.iter().copied()))
        .filter(crate::entities::commitment::Column::Status.eq(CommitmentStatus::Open))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, row.title))
        .collect();
    let mut out = Vec::new();
    for id in candidates {
        let (Some(&idx), Some(title)) = (projected.commitments.get(&id), titles.get(&id)) else {
            continue;
        };
        let Some(view) = projected
            .projection
            .commitment_projection(idx)
            .map_err(projection::projection_error)?
        else {
            continue;
        };
        if view
            .critical_path
            .iter()
            .any(|&request| between.contains(&RequestId(request)))
        {
            out.push(AgendaCommitment {
                commitment_id: id,
                title: title.clone(),
                risk: projection::risk_name(view.risk).into(),
                slip_minutes: view.slip_minutes,
            });
        }
    }
    Ok(out)
}
