//! Pulse checks: "on a scale of one to ten, how do you rank?" — asked of
//! the internal customer, on a schedule, and answered back.
//!
//! - **Schedule** ([`open_due`], from the background sweep): every
//!   `pulse_every_weeks` weeks of an active agreement (default 4; 0: never)
//!   a pulse opens: the first that many weeks after the agreement was
//!   made, each next one that many weeks after the previous opened (a
//!   server that was down opens one late, never several to catch up). It
//!   stays open for [`OPEN_WORKING_DAYS`] working days of the customer's
//!   calendar. The pulse of a period is one row, unique per agreement and
//!   period, inserted only if absent and told in the same transaction: it
//!   opens, and its people hear, exactly once however many instances sweep.
//! - **Answers**: each active lead or staff member of the customer
//!   department, once per pulse while it is open: a score from 1 to 10 and
//!   the one thing the provider could do better (may be left empty).
//! - **Who sees what**: the pulses of an agreement are read by its two
//!   departments, the leaders and admins. Answers are shown by department;
//!   who gave each is shown only to the provider's lead (and admins), and
//!   to the person who gave it.
//! - **Answer back**: the provider's lead (or an admin) responds once per
//!   pulse with what they will do; every member of the customer department
//!   hears it.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::entities::agreement::AgreementStatus;
use crate::entities::ids::{AgreementId, DepartmentId, UserId};
use crate::entities::review::{self, ReviewStatus};
use crate::entities::{agreement, department, pulse, pulse_answer};
use crate::error::ApiError;
use crate::identity::{AuthUser, Role};
use crate::pagination::NewestFirst;
use crate::services::calendars::{CalendarCache, for_department};
use crate::services::notifications;
use crate::services::reviews::{self, NewAction};
use crate::time::{Turnaround, TurnaroundUnit};
use crate::validate::Checker;

/// How long a pulse stays open: working days of the customer's calendar.
pub const OPEN_WORKING_DAYS: i64 = 5;
/// The longest "one thing", and the longest response, in characters.
pub const MAX_TEXT: usize = 2000;

/// One answer as its reader may see it: `user_id` only for those who may
/// see names (see the module's note).
#[derive(Debug, Clone)]
pub struct SeenAnswer {
    pub score: i32,
    pub one_thing: String,
    pub answered_at: DateTime<Utc>,
    pub user_id: Option<UserId>,
    /// The reader gave it.
    pub mine: bool,
}

/// A pulse with its answers, as its reader may see it.
#[derive(Debug, Clone)]
pub struct SeenPulse {
    pub row: pulse::Model,
    pub answers: Vec<SeenAnswer>,
    /// The reader may answer it now (customer side, open, not yet answered).
    pub may_answer: bool,
    /// The reader may respond to it now (provider's lead or admin, no response yet).
    pub may_respond: bool,
}

impl SeenPulse {
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        now < self.row.closes_at
    }

    /// Mean score, two decimals; none without answers.
    pub fn average(&self) -> Option<f64> {
        let sum: i64 = self.answers.iter().map(|a| i64::from(a.score)).sum();
        crate::services::stats::mean_score(sum, self.answers.len())
    }
}

fn reads(actor: &AuthUser, row: &pulse::Model) -> bool {
    match actor.role {
        Role::Admin | Role::Leader => true,
        Role::Lead | Role::Staff => actor.department_id.is_some_and(|own| {
            own == row.provider_department_id || own == row.customer_department_id
        }),
    }
}

fn customer_of(actor: &AuthUser, row: &pulse::Model) -> bool {
    matches!(actor.role, Role::Lead | Role::Staff)
        && actor.department_id == Some(row.customer_department_id)
}

fn provider_lead_of(actor: &AuthUser, row: &pulse::Model) -> bool {
    actor.role == Role::Admin
        || (actor.role == Role::Lead && actor.department_id == Some(row.provider_department_id))
}

/// Opens the pulses that are due at `now`; answers how many opened here.
pub async fn open_due(
    db: &DatabaseConnection,
    calendars: &CalendarCache,
    now: DateTime<Utc>,
) -> Result<u64, ApiError> {
    let agreements = agreement::Entity::find()
        .filter(agreement::Column::Status.eq(AgreementStatus::Active))
        .filter(agreement::Column::PulseEveryWeeks.gt(0))
        .all(db)
        .await?;
    // Each agreement's latest pulse, in one statement: periods and opening
    // times grow together, so the two maxima belong to the same pulse.
    let latest: HashMap<AgreementId, (i32, DateTime<Utc>)> = pulse::Entity::find()
        .select_only()
        .column(pulse::Column::AgreementId)
        .column_as(pulse::Column::Period.max(), "period")
        .column_as(pulse::Column::OpenedAt.max(), "opened_at")
        .group_by(pulse::Column::AgreementId)
        .into_tuple::<(AgreementId, i32, DateTime<Utc>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(agreement, period, opened_at)| (agreement, (period, opened_at)))
        .collect();
    let mut opened = 0;
    for row in agreements {
        let every = Duration::weeks(i64::from(row.pulse_every_weeks));
        let (period, due) = match latest.get(&row.id) {
            Some((period, opened_at)) => (period + 1, *opened_at + every),
            None => (1, row.created_at + every),
        };
        if due > now {
            continue;
        }
        if open_one(db, calendars, &row, period, now).await? {
            opened += 1;
        }
    }
    Ok(opened)
}

/// Opens period `period` of `agreement` at `now` unless another instance
/// did; whether this call did. (The sweep's step; the demonstration plays
/// past periods through it.)
pub async fn open_one(
    db: &DatabaseConnection,
    calendars: &CalendarCache,
    agreement: &agreement::Model,
    period: i32,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let calendar = for_department(
        db,
        calendars,
        agreement.organisation_id,
        agreement.customer_department_id,
    )
    .await?;
    let window = Turnaround::from_quantity(TurnaroundUnit::BusinessDays, OPEN_WORKING_DAYS)
        .map_err(|error| ApiError::Internal(format!("pulse window: {error}")))?;
    let closes_at = calendar
        .due(now, window)
        .map_err(|error| ApiError::Internal(format!("pulse window: {error}")))?
        .due;
    let txn = crate::db::begin_write(db).await?;
    let inserted = pulse::Entity::insert(pulse::ActiveModel {
        organisation_id: Set(agreement.organisation_id),
        agreement_id: Set(agreement.id),
        provider_department_id: Set(agreement.provider_department_id),
        customer_department_id: Set(agreement.customer_department_id),
        period: Set(period),
        opened_at: Set(now),
        closes_at: Set(closes_at),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([pulse::Column::AgreementId, pulse::Column::Period])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted == 0 {
        txn.rollback().await?;
        return Ok(false);
    }
    let provider = name_of(&txn, agreement.provider_department_id).await?;
    let people = notifications::members_of(
        &txn,
        agreement.organisation_id,
        agreement.customer_department_id,
    )
    .await?;
    notifications::notify_users(
        &txn,
        agreement.organisation_id,
        &people,
        notifications::Kind::PulseOpened,
        None,
        &format!(
            "On a scale of one to ten, how well does {provider} serve you (\"{}\")? And what is the one thing they could do better? Open until {}.",
            agreement.title,
            closes_at.format("%Y-%m-%d %H:%M UTC")
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

async fn name_of(db: &impl ConnectionTrait, id: DepartmentId) -> Result<String, ApiError> {
    Ok(department::Entity::find_by_id(id)
        .one(db)
        .await?
        .map_or_else(|| "the provider".to_owned(), |row| row.name))
}

async fn get(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: i64,
) -> Result<pulse::Model, ApiError> {
    pulse::Entity::find_by_id(id)
        .filter(pulse::Column::OrganisationId.eq(actor.organisation_id))
        .one(db)
        .await?
        .filter(|row| reads(actor, row))
        .ok_or_else(|| ApiError::not_found("pulse"))
}

/// Pulses the reader may read, newest first, optionally of one agreement
/// or touching one department.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    page: NewestFirst,
    agreement_id: Option<AgreementId>,
    department_id: Option<DepartmentId>,
    now: DateTime<Utc>,
) -> Result<Vec<SeenPulse>, ApiError> {
    let mut query = pulse::Entity::find()
        .filter(pulse::Column::OrganisationId.eq(actor.organisation_id))
        .filter(pulse::Column::Id.lt(page.before_id))
        .order_by_desc(pulse::Column::Id)
        .limit(page.fetch_limit());
    if let Some(id) = agreement_id {
        query = query.filter(pulse::Column::AgreementId.eq(id));
    }
    let touching = |id: DepartmentId| {
        sea_orm::Condition::any()
            .add(pulse::Column::ProviderDepartmentId.eq(id))
            .add(pulse::Column::CustomerDepartmentId.eq(id))
    };
    if let Some(id) = department_id {
        query = query.filter(touching(id));
    }
    if matches!(actor.role, Role::Lead | Role::Staff) {
        query = query.filter(touching(actor.department_id.unwrap_or(DepartmentId(-1))));
    }
    let rows = query.all(db).await?;
    seen(db, actor, rows, now).await
}

/// One pulse as its reader may see it.
pub async fn show(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: i64,
    now: DateTime<Utc>,
) -> Result<SeenPulse, ApiError> {
    let row = get(db, actor, id).await?;
    seen(db, actor, vec![row], now)
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found("pulse"))
}

async fn seen(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    rows: Vec<pulse::Model>,
    now: DateTime<Utc>,
) -> Result<Vec<SeenPulse>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let answers = if ids.is_empty() {
        Vec::new()
    } else {
        pulse_answer::Entity::find()
            .filter(pulse_answer::Column::PulseId.is_in(ids))
            .order_by_asc(pulse_answer::Column::Id)
            .all(db)
            .await?
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let names = provider_lead_of(actor, &row);
            let mine_answered = answers
                .iter()
                .any(|a| a.pulse_id == row.id && a.user_id == actor.id);
            let seen_answers = answers
                .iter()
                .filter(|a| a.pulse_id == row.id)
                .map(|a| SeenAnswer {
                    score: a.score,
                    one_thing: a.one_thing.clone(),
                    answered_at: a.answered_at,
                    user_id: (names || a.user_id == actor.id).then_some(a.user_id),
                    mine: a.user_id == actor.id,
                })
                .collect();
            SeenPulse {
                may_answer: customer_of(actor, &row) && now < row.closes_at && !mine_answered,
                may_respond: provider_lead_of(actor, &row) && row.response.is_none(),
                answers: seen_answers,
                row,
            }
        })
        .collect())
}

/// Answers pulse `id`: a score from 1 to 10 and the one thing the provider
/// could do better.
pub async fn answer(
    db: &DatabaseConnection,
    actor: &AuthUser,
    id: i64,
    score: i64,
    one_thing: &str,
    now: DateTime<Utc>,
) -> Result<pulse_answer::Model, ApiError> {
    let mut check = Checker::new();
    if !(1..=10).contains(&score) {
        check.add("score", "must be a whole number from 1 to 10");
    }
    let one_thing = check.text("one_thing", one_thing.trim(), MAX_TEXT);
    check.finish()?;
    let txn = crate::db::begin_write(db).await?;
    let row = get(&txn, actor, id).await?;
    if !customer_of(actor, &row) {
        return Err(ApiError::Forbidden(
            "a pulse is answered by the customer department's people".into(),
        ));
    }
    if now >= row.closes_at {
        return Err(ApiError::Conflict("this pulse has closed".into()));
    }
    let created = pulse_answer::ActiveModel {
        pulse_id: Set(row.id),
        organisation_id: Set(row.organisation_id),
        user_id: Set(actor.id),
        score: Set(score as i32),
        one_thing: Set(one_thing),
        answered_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|error| match ApiError::from(error) {
        ApiError::Conflict(_) => ApiError::Conflict("you have already answered this pulse".into()),
        other => other,
    })?;
    txn.commit().await?;
    Ok(created)
}

/// The provider's lead answers back: what they will do, and optionally an
/// action item for it. The action item is kept with the pair's next
/// scheduled review (none scheduled: `409`), so that it is followed up
/// there and its closing is reported back to the customer as every review
/// action's is.
pub async fn respond(
    db: &DatabaseConnection,
    actor: &AuthUser,
    id: i64,
    response: &str,
    action: Option<NewAction>,
    now: DateTime<Utc>,
) -> Result<pulse::Model, ApiError> {
    let mut check = Checker::new();
    let response = check.text("response", response.trim(), MAX_TEXT);
    if response.is_empty() {
        check.add("response", "must say what you will do");
    }
    check.finish()?;
    let txn = crate::db::begin_write(db).await?;
    let row = get(&txn, actor, id).await?;
    if !provider_lead_of(actor, &row) {
        return Err(ApiError::Forbidden(
            "the provider department's lead answers back".into(),
        ));
    }
    let action_item = match action {
        Some(action) => {
            let (a, b) = if row.provider_department_id < row.customer_department_id {
                (row.provider_department_id, row.customer_department_id)
            } else {
                (row.customer_department_id, row.provider_department_id)
            };
            let next = review::Entity::find()
                .filter(review::Column::OrganisationId.eq(row.organisation_id))
                .filter(review::Column::DepartmentAId.eq(a))
                .filter(review::Column::DepartmentBId.eq(b))
                .filter(review::Column::Status.eq(ReviewStatus::Scheduled))
                .order_by_asc(review::Column::ScheduledAt)
                .one(&txn)
                .await?
                .ok_or_else(|| {
                    ApiError::Conflict(
                        "an action item is followed up at the pair's next review: schedule one first"
                            .into(),
                    )
                })?;
            Some(reviews::add_action(&txn, actor, next.id, action).await?)
        }
        None => None,
    };
    let updated = pulse::Entity::update_many()
        .col_expr(pulse::Column::Response, Some(response.clone()).into())
        .col_expr(
            pulse::Column::ActionItemId,
            action_item.as_ref().map(|item| item.id).into(),
        )
        .col_expr(pulse::Column::RespondedAt, Some(now).into())
        .col_expr(pulse::Column::RespondedByUserId, Some(actor.id).into())
        .filter(pulse::Column::Id.eq(row.id))
        .filter(pulse::Column::Response.is_null())
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(ApiError::Conflict(
            "this pulse has been answered back already".into(),
        ));
    }
    let provider = name_of(&txn, row.provider_department_id).await?;
    let people =
        notifications::members_of(&txn, row.organisation_id, row.customer_department_id).await?;
    notifications::notify_users(
        &txn,
        row.organisation_id,
        &people,
        notifications::Kind::PulseAnswered,
        None,
        &match &action_item {
            Some(item) => format!(
                "{provider} answered what you said they could do better: {response} (action: \"{}\", due {})",
                item.title, item.due_on
            ),
            None => format!("{provider} answered what you said they could do better: {response}"),
        },
    )
    .await?;
    let answered = get(&txn, actor, id).await?;
    txn.commit().await?;
    Ok(answered)
}
