//! Alerts before and after a breach, beside the overdue notice
//! (`overdue.rs`): nobody should learn of a breach from the breach.
//!
//! - **Due soon**: once a request has used its agreement's share of its
//!   working time (`due_soon_percent`, default 80 %), whoever works it hears
//!   it: the assignee, or the provider's lead while nobody has it.
//! - **Escalation**: the breach itself reaches the provider's lead (the
//!   overdue notice); if it lasts `escalation_minutes` more of the
//!   provider's working time (per organisation, default 480, null: never),
//!   it reaches the organisation's leaders.
//!
//! Each moment is worked out once per due, by [`plan`]: it needs the
//! provider's calendar, the agreement's share and the organisation's
//! setting, so it is stored (`due_soon_at`, `escalate_at`) rather than
//! recomputed on every sweep. Every write that moves a due clears
//! `due_soon_at` (and `escalate_at`), so the next sweep plans again; a
//! level already told is told again only if the new moment lies ahead, so
//! a pause or a rework that moves the due arms it afresh, and nothing else
//! repeats it. Moments already past when planned are told at once, except
//! a due-soon warning for a request already overdue (the overdue notice
//! says more) and an escalation whose moment passed more than a day ago
//! (an upgrade must not wake the leaders for last year's breaches).
//!
//! Firing is claimed per request by a conditional update, as the overdue
//! sweep does, so that with any number of instances each level goes once.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect,
};
use serde_json::json;
use std::collections::HashMap;

use super::RequestStatus;
use super::schedule::{ProviderCalendars, turnaround_of_request};
use crate::entities::ids::{AgreementId, OrganisationId, UserId};
use crate::entities::{agreement, organisation, request, user};
use crate::error::ApiError;
use crate::identity::Role;
use crate::services::calendars::CalendarCache;
use crate::services::events::{self, NewEvent, Subject};
use crate::services::notifications::{self, Kind};
use crate::time::{CompiledCalendar, TimeError};

/// Most requests handled by one step of a sweep; the next sweep takes the rest.
const BATCH: u64 = 500;
/// An escalation whose moment passed longer ago than this when it was
/// planned is recorded as told rather than sent.
const STALE: TimeDelta = TimeDelta::days(1);

/// The statuses whose clock runs: a paused request's due is still moving.
const RUNNING: [RequestStatus; 3] = [
    RequestStatus::Open,
    RequestStatus::InProgress,
    RequestStatus::Reopened,
];

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Alerted {
    pub planned: usize,
    pub due_soon: usize,
    pub escalated: usize,
}

/// The moment a request running from `clock_start` to `due_at` has used
/// `percent` of its time: working time in the provider's calendar for
/// business units, elapsed time for calendar units. The share is of the
/// time the request has, pauses included, rounded up to the second.
pub fn due_soon_moment(
    calendar: &CompiledCalendar,
    business: bool,
    clock_start: DateTime<Utc>,
    due_at: DateTime<Utc>,
    percent: i32,
) -> Result<DateTime<Utc>, TimeError> {
    let percent = i64::from(percent.clamp(0, 100));
    let share = |seconds: i64| (seconds.max(0) * percent + 99) / 100;
    if business {
        let seconds = calendar.working_seconds(clock_start, due_at)?;
        calendar.add_working(clock_start, share(seconds))
    } else {
        Ok(clock_start + TimeDelta::seconds(share((due_at - clock_start).num_seconds())))
    }
}

/// The moment a breach of `due_at` has lasted `minutes` of the provider's
/// working time.
pub fn escalation_moment(
    calendar: &CompiledCalendar,
    due_at: DateTime<Utc>,
    minutes: i32,
) -> Result<DateTime<Utc>, TimeError> {
    calendar.add_working(due_at, i64::from(minutes.max(0)) * 60)
}

/// Plans the requests whose moments are unknown, then tells whoever is
/// due a warning or an escalation.
pub async fn sweep_alerts(
    db: &DatabaseConnection,
    calendars: &CalendarCache,
    now: DateTime<Utc>,
) -> Result<Alerted, ApiError> {
    Ok(Alerted {
        planned: plan(db, calendars, now).await?,
        due_soon: fire(db, now, Level::DueSoon).await?,
        escalated: fire(db, now, Level::Escalation).await?,
    })
}

/// Works out `due_soon_at` and `escalate_at` for running requests that have
/// none (new, or their due moved).
async fn plan(
    db: &DatabaseConnection,
    cache: &CalendarCache,
    now: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let rows: Vec<request::Model> = request::Entity::find()
        .filter(request::Column::Status.is_in(RUNNING))
        .filter(request::Column::DueSoonAt.is_null())
        .limit(BATCH)
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let shares: HashMap<AgreementId, i32> = agreement::Entity::find()
        .select_only()
        .column(agreement::Column::Id)
        .column(agreement::Column::DueSoonPercent)
        .filter(agreement::Column::Id.is_in(rows.iter().map(|row| row.agreement_id)))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let escalations: HashMap<OrganisationId, Option<i32>> = organisation::Entity::find()
        .select_only()
        .column(organisation::Column::Id)
        .column(organisation::Column::EscalationMinutes)
        .filter(organisation::Column::Id.is_in(rows.iter().map(|row| row.organisation_id)))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut by_organisation: HashMap<OrganisationId, ProviderCalendars<'_>> = HashMap::new();
    let mut planned = 0;
    for row in rows {
        let calendars = by_organisation
            .entry(row.organisation_id)
            .or_insert_with(|| ProviderCalendars::new(cache, row.organisation_id));
        let calendar = calendars.of(db, row.provider_department_id).await?;
        let business = turnaround_of_request(&row)?.unit().is_business();
        let percent = shares
            .get(&row.agreement_id)
            .copied()
            .unwrap_or(crate::services::agreements::DEFAULT_DUE_SOON_PERCENT);
        // A stored instant out of the calendar's range cannot be planned:
        // the due itself then stands for the warning, and no escalation.
        let due_soon_at =
            due_soon_moment(&calendar, business, row.clock_start, row.due_at, percent)
                .unwrap_or(row.due_at);
        let escalate_at = escalations
            .get(&row.organisation_id)
            .copied()
            .flatten()
            .and_then(|minutes| escalation_moment(&calendar, row.due_at, minutes).ok());
        let due_soon_told = if due_soon_at > now {
            None
        } else if row.due_at <= now {
            row.due_soon_notified_at.or(Some(now))
        } else {
            row.due_soon_notified_at
        };
        let escalation_told = match escalate_at {
            Some(at) if at > now => None,
            Some(at) if now - at > STALE => row.escalated_at.or(Some(now)),
            _ => row.escalated_at,
        };
        // Only if the due is still the one planned from, and nobody planned
        // it meanwhile.
        let written = request::Entity::update_many()
            .col_expr(request::Column::DueSoonAt, Expr::value(due_soon_at))
            .col_expr(
                request::Column::DueSoonNotifiedAt,
                Expr::value(due_soon_told),
            )
            .col_expr(request::Column::EscalateAt, Expr::value(escalate_at))
            .col_expr(request::Column::EscalatedAt, Expr::value(escalation_told))
            .filter(request::Column::Id.eq(row.id))
            .filter(request::Column::DueSoonAt.is_null())
            .filter(request::Column::DueAt.eq(row.due_at))
            .filter(request::Column::ClockStart.eq(row.clock_start))
            .exec(db)
            .await?;
        planned += written.rows_affected as usize;
    }
    Ok(planned)
}

/// The two levels told before and after a breach, each with the column of
/// its moment and the column saying it was told.
#[derive(Debug, Clone, Copy)]
enum Level {
    DueSoon,
    Escalation,
}

impl Level {
    fn columns(self) -> (request::Column, request::Column) {
        match self {
            Level::DueSoon => (
                request::Column::DueSoonAt,
                request::Column::DueSoonNotifiedAt,
            ),
            Level::Escalation => (request::Column::EscalateAt, request::Column::EscalatedAt),
        }
    }
}

/// Tells each running request's people whose `level` has come; returns how
/// many requests. Each is claimed by a conditional update on its "told"
/// column, so that one instance tells it.
async fn fire(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    level: Level,
) -> Result<usize, ApiError> {
    let (moment, told_at) = level.columns();
    let due = || {
        Condition::all()
            .add(request::Column::Status.is_in(RUNNING))
            .add(told_at.is_null())
            .add(moment.lte(now))
    };
    let rows: Vec<request::Model> = request::Entity::find()
        .filter(due())
        .limit(BATCH)
        .all(db)
        .await?;
    let mut told = 0;
    for row in rows {
        let txn = crate::db::begin_write(db).await?;
        let claimed = request::Entity::update_many()
            .col_expr(told_at, Expr::value(now))
            .filter(request::Column::Id.eq(row.id))
            .filter(due())
            .exec(&txn)
            .await?;
        if claimed.rows_affected == 1 {
            match level {
                Level::DueSoon => tell_due_soon(&txn, &row).await?,
                Level::Escalation => tell_leaders(&txn, &row).await?,
            }
            told += 1;
        }
        txn.commit().await?;
    }
    Ok(told)
}

/// Whoever works it hears it is due soon: its assignee, or the provider's
/// lead while nobody (active) has it.
async fn tell_due_soon(db: &impl ConnectionTrait, row: &request::Model) -> Result<(), ApiError> {
    let mut people = match row.assignee_user_id {
        Some(assignee) => active(db, row.organisation_id, vec![assignee]).await?,
        None => Vec::new(),
    };
    if people.is_empty() {
        people =
            notifications::leads_of(db, row.organisation_id, row.provider_department_id).await?;
    }
    notifications::notify_users(
        db,
        row.organisation_id,
        &people,
        Kind::DueSoon,
        Some(row.id),
        &format!(
            "Request #{} \"{}\" is due soon and not yet delivered",
            row.id, row.title
        ),
    )
    .await
}

/// The organisation's leaders hear of a breach that lasted, and the
/// request's history says so.
async fn tell_leaders(db: &impl ConnectionTrait, row: &request::Model) -> Result<(), ApiError> {
    let leaders: Vec<UserId> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::OrganisationId.eq(row.organisation_id))
        .filter(user::Column::Role.eq(Role::Leader))
        .filter(user::Column::Active.eq(true))
        .into_tuple()
        .all(db)
        .await?;
    notifications::notify_users(
        db,
        row.organisation_id,
        &leaders,
        Kind::Escalated,
        Some(row.id),
        &format!(
            "Request #{} \"{}\" is still undelivered well past its due: escalated to the organisation's leaders",
            row.id, row.title
        ),
    )
    .await?;
    events::append(
        db,
        NewEvent {
            organisation_id: row.organisation_id,
            subject: Subject::Request(row.id),
            kind: "escalated",
            actor_user_id: None,
            at: row.escalate_at,
            data: json!({"due_at": row.due_at, "leaders": leaders}),
        },
    )
    .await
}

/// Those of `people` who are active members of the organisation.
async fn active(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    people: Vec<UserId>,
) -> Result<Vec<UserId>, ApiError> {
    Ok(user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Id.is_in(people))
        .filter(user::Column::OrganisationId.eq(organisation_id))
        .filter(user::Column::Active.eq(true))
        .into_tuple()
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::CalendarSpec;
    use chrono::TimeZone;

    /// Monday to Friday, 09:00–17:00 in Berlin.
    fn office() -> CompiledCalendar {
        CompiledCalendar::compile(&CalendarSpec::default_office("Europe/Berlin").unwrap()).unwrap()
    }

    fn berlin(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        chrono_tz::Europe::Berlin
            .with_ymd_and_hms(2026, 12, day, hour, minute, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn eighty_percent_of_ten_working_hours_from_monday_nine_is_tuesday_eleven() {
        // Mon 7 Dec 09:00 + 10 h of work = Tue 11:00; 8 h of work = Mon 17:00.
        let at = due_soon_moment(&office(), true, berlin(7, 9, 0), berlin(8, 11, 0), 80).unwrap();
        assert_eq!(at, berlin(7, 17, 0));
    }

    #[test]
    fn the_share_skips_the_weekend_like_the_due_does() {
        // Fri 11 Dec 13:00 to Tue 15 Dec 13:00 is 16 working hours; half is
        // Monday 13:00, not Sunday.
        let at =
            due_soon_moment(&office(), true, berlin(11, 13, 0), berlin(15, 13, 0), 50).unwrap();
        assert_eq!(at, berlin(14, 13, 0));
    }

    #[test]
    fn calendar_units_take_the_share_of_elapsed_time() {
        let start = berlin(12, 10, 0);
        let at =
            due_soon_moment(&office(), false, start, start + TimeDelta::hours(10), 80).unwrap();
        assert_eq!(at, start + TimeDelta::hours(8));
    }

    #[test]
    fn the_share_rounds_up_to_the_second_so_the_warning_is_never_early() {
        // 3 working seconds at 50 % is 1.5 s: the warning goes at 2 s.
        let start = berlin(7, 9, 0);
        let at =
            due_soon_moment(&office(), true, start, start + TimeDelta::seconds(3), 50).unwrap();
        assert_eq!(at, start + TimeDelta::seconds(2));
    }

    #[test]
    fn a_due_before_its_clock_start_warns_at_the_clock_start() {
        let start = berlin(7, 9, 0);
        let at = due_soon_moment(&office(), true, start, start - TimeDelta::hours(1), 80).unwrap();
        assert_eq!(at, start);
    }

    #[test]
    fn an_escalation_counts_working_time_after_the_due() {
        // Due Fri 11 Dec 16:00: one working hour on Friday, seven on
        // Monday, so 480 working minutes later is Mon 16:00.
        let at = escalation_moment(&office(), berlin(11, 16, 0), 480).unwrap();
        assert_eq!(at, berlin(14, 16, 0));
    }

    #[test]
    fn a_split_day_counts_only_its_working_ranges() {
        let split = || vec![("09:00", "12:00"), ("13:00", "17:00")];
        let spec = CalendarSpec::new(
            "Europe/Berlin",
            [split(), split(), split(), split(), split(), vec![], vec![]],
            Vec::new(),
        )
        .unwrap();
        let calendar = CompiledCalendar::compile(&spec).unwrap();
        // Mon 09:00 to 17:00 holds 7 working hours; half of them have
        // passed at 13:30, after the lunch break.
        let at = due_soon_moment(&calendar, true, berlin(7, 9, 0), berlin(7, 17, 0), 50).unwrap();
        assert_eq!(at, berlin(7, 13, 30));
    }
}
