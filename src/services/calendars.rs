//! Calendars: an IANA zone, working ranges per weekday and holidays. Stored
//! as the API shows them; compiled by the business-time engine for arithmetic
//! and kept compiled in a cache keyed by id and version.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

use crate::entities::ids::{DepartmentId, OrganisationId};
use crate::entities::{calendar, department, organisation};
use crate::error::{ApiError, FieldErrors};
use crate::identity::AuthUser;
use crate::pagination::PageRequest;
use crate::services::ExpectedVersion;
use crate::services::events::{self, Subject};
use crate::time::{CalendarSpec, CompiledCalendar};
use crate::validate::Checker;

/// Working ranges per weekday, each `["HH:MM", "HH:MM"]`; a missing day has none.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeeklyHours {
    #[serde(default)]
    pub mon: Vec<[String; 2]>,
    #[serde(default)]
    pub tue: Vec<[String; 2]>,
    #[serde(default)]
    pub wed: Vec<[String; 2]>,
    #[serde(default)]
    pub thu: Vec<[String; 2]>,
    #[serde(default)]
    pub fri: Vec<[String; 2]>,
    #[serde(default)]
    pub sat: Vec<[String; 2]>,
    #[serde(default)]
    pub sun: Vec<[String; 2]>,
}

impl WeeklyHours {
    /// Monday to Friday, 09:00–17:00 (SPEC §1).
    pub fn office() -> Self {
        let day = || vec![["09:00".to_owned(), "17:00".to_owned()]];
        WeeklyHours {
            mon: day(),
            tue: day(),
            wed: day(),
            thu: day(),
            fri: day(),
            sat: vec![],
            sun: vec![],
        }
    }

    fn days(&self) -> [Vec<(String, String)>; 7] {
        let pairs = |ranges: &Vec<[String; 2]>| {
            ranges
                .iter()
                .map(|[start, end]| (start.clone(), end.clone()))
                .collect::<Vec<_>>()
        };
        [
            pairs(&self.mon),
            pairs(&self.tue),
            pairs(&self.wed),
            pairs(&self.thu),
            pairs(&self.fri),
            pairs(&self.sat),
            pairs(&self.sun),
        ]
    }
}

/// A local date on which the whole day is closed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    pub date: NaiveDate,
    #[serde(default)]
    pub name: String,
}

pub struct CalendarInput {
    pub name: String,
    pub timezone: String,
    pub weekly: WeeklyHours,
    pub holidays: Vec<Holiday>,
}

/// Fields a `PATCH` may change.
#[derive(Default)]
pub struct CalendarChanges {
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub weekly: Option<WeeklyHours>,
    pub holidays: Option<Vec<Holiday>>,
}

/// Most holidays one calendar may list (about 25 a year for a century).
const MAX_HOLIDAYS: usize = 2_500;

/// Compiled calendars by (id, version): an edit bumps the version, so a stale
/// entry is never used.
#[derive(Default)]
pub struct CalendarCache {
    compiled: Mutex<HashMap<(i64, i32), Arc<CompiledCalendar>>>,
}

impl CalendarCache {
    /// The compiled calendar of this id and version, if compiled already.
    pub fn cached(&self, id: i64, version: i32) -> Option<Arc<CompiledCalendar>> {
        self.compiled
            .lock()
            .ok()
            .and_then(|map| map.get(&(id, version)).cloned())
    }

    pub fn get_or_compile(&self, row: &calendar::Model) -> Result<Arc<CompiledCalendar>, ApiError> {
        let key = (row.id, row.version);
        if let Some(hit) = self.cached(row.id, row.version) {
            return Ok(hit);
        }
        let (weekly, holidays) = decode(row)?;
        let compiled = Arc::new(
            compile(&row.timezone, &weekly, &holidays).map_err(|errors| {
                ApiError::Internal(format!("stored calendar {} is invalid: {errors:?}", row.id))
            })?,
        );
        if let Ok(mut map) = self.compiled.lock() {
            // Calendars are few; dropping everything now and then bounds memory
            // if an installation edits calendars very often.
            if map.len() > 1_000 {
                map.clear();
            }
            map.insert(key, compiled.clone());
        }
        Ok(compiled)
    }
}

/// Validates and compiles a calendar; field errors name the API's fields.
pub fn compile(
    timezone: &str,
    weekly: &WeeklyHours,
    holidays: &[Holiday],
) -> Result<CompiledCalendar, FieldErrors> {
    let to_field_errors = |errors: crate::time::CalendarErrors| errors.by_field();
    let dates = holidays.iter().map(|holiday| holiday.date).collect();
    let spec = CalendarSpec::new(timezone, weekly.days(), dates).map_err(to_field_errors)?;
    CompiledCalendar::compile(&spec).map_err(to_field_errors)
}

/// The calendar every new organisation starts with, recorded as its default.
pub async fn create_default(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    timezone: &str,
) -> Result<calendar::Model, ApiError> {
    let row = insert(
        db,
        organisation_id,
        CalendarInput {
            name: "Default (Mon–Fri 09:00–17:00)".into(),
            timezone: timezone.to_owned(),
            weekly: WeeklyHours::office(),
            holidays: vec![],
        },
    )
    .await?;
    organisation::Entity::update_many()
        .col_expr(
            organisation::Column::DefaultCalendarId,
            sea_orm::sea_query::Expr::value(row.id),
        )
        .filter(organisation::Column::Id.eq(organisation_id))
        .exec(db)
        .await?;
    Ok(row)
}

/// The organisation's default calendar.
pub async fn default_id(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
) -> Result<Option<i64>, ApiError> {
    Ok(organisation::Entity::find_by_id(organisation_id)
        .one(db)
        .await?
        .and_then(|row| row.default_calendar_id))
}

#[tracing::instrument(skip_all, fields(actor = %actor.id))]
pub async fn create(
    db: &DatabaseConnection,
    actor: &AuthUser,
    input: CalendarInput,
) -> Result<calendar::Model, ApiError> {
    actor.require_admin()?;
    let mut check = Checker::new();
    let name = check.line("name", &input.name, 200);
    check_shape(&mut check, &input.timezone, &input.weekly, &input.holidays);
    check.finish()?;
    let txn = crate::db::begin_write(db).await?;
    let row = insert(&txn, actor.organisation_id, CalendarInput { name, ..input }).await?;
    events::record(
        &txn,
        actor,
        Subject::Calendar(row.id),
        "calendar.created",
        serde_json::json!({"name": row.name, "timezone": row.timezone}),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Deletes a calendar nothing uses: 409 naming the departments still on it;
/// the organisation's default calendar is never deleted.
#[tracing::instrument(skip_all, fields(actor = %actor.id, calendar = %id))]
pub async fn delete(
    db: &DatabaseConnection,
    actor: &AuthUser,
    id: i64,
    if_match: ExpectedVersion,
) -> Result<(), ApiError> {
    actor.require_admin()?;
    let txn = crate::db::begin_write(db).await?;
    let current = get(&txn, actor, id).await?;
    if_match.check(current.version)?;
    if default_id(&txn, actor.organisation_id).await? == Some(id) {
        return Err(ApiError::Conflict(format!(
            "calendar {id} is the organisation's default calendar and cannot be deleted"
        )));
    }
    let departments_on: Vec<String> = department::Entity::find()
        .filter(department::Column::OrganisationId.eq(actor.organisation_id))
        .filter(department::Column::CalendarId.eq(id))
        .order_by_asc(department::Column::Id)
        .all(&txn)
        .await?
        .into_iter()
        .map(|row| row.code)
        .collect();
    if !departments_on.is_empty() {
        return Err(ApiError::Conflict(format!(
            "calendar {id} is still used by {} department{}: {}",
            departments_on.len(),
            if departments_on.len() == 1 { "" } else { "s" },
            departments_on.join(", ")
        )));
    }
    calendar::Entity::delete_by_id(id).exec(&txn).await?;
    events::record(
        &txn,
        actor,
        Subject::Calendar(id),
        "calendar.deleted",
        serde_json::json!({"name": current.name}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

async fn insert(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
    input: CalendarInput,
) -> Result<calendar::Model, ApiError> {
    let (weekly, holidays) = stored_json(&input.weekly, &input.holidays)?;
    Ok(calendar::ActiveModel {
        organisation_id: Set(organisation_id),
        name: Set(input.name),
        timezone: Set(input.timezone),
        weekly: Set(weekly),
        holidays: Set(holidays),
        version: Set(1),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn get(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: i64,
) -> Result<calendar::Model, ApiError> {
    calendar::Entity::find_by_id(id)
        .filter(calendar::Column::OrganisationId.eq(actor.organisation_id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("calendar"))
}

pub async fn list(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    page: PageRequest,
) -> Result<Vec<calendar::Model>, ApiError> {
    Ok(calendar::Entity::find()
        .filter(calendar::Column::OrganisationId.eq(actor.organisation_id))
        .filter(calendar::Column::Id.gt(page.after_id))
        .order_by_asc(calendar::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

#[tracing::instrument(skip_all, fields(actor = %actor.id, calendar = %id))]
pub async fn update(
    db: &DatabaseConnection,
    actor: &AuthUser,
    id: i64,
    if_match: ExpectedVersion,
    changes: CalendarChanges,
) -> Result<calendar::Model, ApiError> {
    actor.require_admin()?;
    let txn = crate::db::begin_write(db).await?;
    let current = get(&txn, actor, id).await?;
    if_match.check(current.version)?;
    let (weekly, holidays) = decode(&current)?;
    let mut check = Checker::new();
    let name = match &changes.name {
        Some(name) => check.line("name", name, 200),
        None => current.name.clone(),
    };
    let timezone = changes.timezone.unwrap_or_else(|| current.timezone.clone());
    let weekly = changes.weekly.unwrap_or(weekly);
    let holidays = changes.holidays.unwrap_or(holidays);
    check_shape(&mut check, &timezone, &weekly, &holidays);
    check.finish()?;
    let (weekly_json, holidays_json) = stored_json(&weekly, &holidays)?;
    let data = events::changes(&[
        ("name", current.name.clone().into(), name.clone().into()),
        (
            "timezone",
            current.timezone.clone().into(),
            timezone.clone().into(),
        ),
        ("weekly", json_of(&current.weekly), json_of(&weekly_json)),
        (
            "holidays",
            json_of(&current.holidays),
            json_of(&holidays_json),
        ),
    ]);
    let mut row: calendar::ActiveModel = current.clone().into();
    row.name = Set(name);
    row.timezone = Set(timezone);
    row.weekly = Set(weekly_json);
    row.holidays = Set(holidays_json);
    row.version = Set(current.version + 1);
    let result = calendar::Entity::update_many()
        .set(row)
        .filter(calendar::Column::Id.eq(id))
        .filter(calendar::Column::Version.eq(current.version))
        .exec(&txn)
        .await?;
    crate::services::stale_if_untouched(result.rows_affected)?;
    events::record(&txn, actor, Subject::Calendar(id), "calendar.updated", data).await?;
    let updated = get(&txn, actor, id).await?;
    txn.commit().await?;
    Ok(updated)
}

/// A stored JSON column as a value for an event (text if it is not JSON).
fn json_of(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| text.into())
}

/// The stored weekly hours and holidays of a calendar row.
pub fn decode(row: &calendar::Model) -> Result<(WeeklyHours, Vec<Holiday>), ApiError> {
    let weekly = serde_json::from_str(&row.weekly)
        .map_err(|error| ApiError::Internal(format!("calendar {} weekly: {error}", row.id)))?;
    let holidays = serde_json::from_str(&row.holidays)
        .map_err(|error| ApiError::Internal(format!("calendar {} holidays: {error}", row.id)))?;
    Ok((weekly, holidays))
}

fn check_shape(check: &mut Checker, timezone: &str, weekly: &WeeklyHours, holidays: &[Holiday]) {
    if holidays.len() > MAX_HOLIDAYS {
        check.add("holidays", format!("at most {MAX_HOLIDAYS} holidays"));
    }
    for (index, holiday) in holidays.iter().enumerate() {
        if holiday.name.chars().count() > 200 || holiday.name.chars().any(char::is_control) {
            check.add(
                &format!("holidays[{index}].name"),
                "must be at most 200 characters without control characters",
            );
        }
        // The engine would keep one outside its dates without effect; an
        // API input out of range is refused like every other date.
        check.date(&format!("holidays[{index}].date"), holiday.date);
    }
    if let Err(errors) = compile(timezone, weekly, holidays) {
        for (field, messages) in errors {
            for message in messages {
                check.add(&field, message);
            }
        }
    }
}

fn stored_json(weekly: &WeeklyHours, holidays: &[Holiday]) -> Result<(String, String), ApiError> {
    let mut holidays = holidays.to_vec();
    holidays.sort_by_key(|holiday| holiday.date);
    holidays.dedup_by_key(|holiday| holiday.date);
    let encode = |error: serde_json::Error| ApiError::Internal(format!("calendar json: {error}"));
    Ok((
        serde_json::to_string(weekly).map_err(encode)?,
        serde_json::to_string(&holidays).map_err(encode)?,
    ))
}

/// The compiled calendar of a department of the organisation.
pub async fn for_department(
    db: &impl ConnectionTrait,
    cache: &CalendarCache,
    organisation_id: OrganisationId,
    department_id: DepartmentId,
) -> Result<Arc<CompiledCalendar>, ApiError> {
    for_departments(db, cache, organisation_id, &[department_id])
        .await?
        .remove(&department_id)
        .ok_or_else(|| ApiError::not_found("department"))
}

/// The compiled calendar of each department, in one query while the cache
/// holds the calendars' current versions (a second one fetches the others).
/// Departments outside the organisation are left out.
pub async fn for_departments(
    db: &impl ConnectionTrait,
    cache: &CalendarCache,
    organisation_id: OrganisationId,
    department_ids: &[DepartmentId],
) -> Result<HashMap<DepartmentId, Arc<CompiledCalendar>>, ApiError> {
    #[derive(sea_orm::FromQueryResult)]
    struct Current {
        department_id: DepartmentId,
        calendar_id: i64,
        version: i32,
    }
    let mut found = HashMap::with_capacity(department_ids.len());
    if department_ids.is_empty() {
        return Ok(found);
    }
    let current = Current::find_by_statement(sea_orm::Statement::from_sql_and_values(
        db.get_database_backend(),
        format!(
            "SELECT d.id AS department_id, c.id AS calendar_id, c.version AS version \
             FROM departments d JOIN calendars c ON c.id = d.calendar_id \
             WHERE d.organisation_id = {} AND d.id IN ({})",
            placeholder(db, 1),
            (0..department_ids.len())
                .map(|i| placeholder(db, i + 2))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        std::iter::once(organisation_id.into())
            .chain(department_ids.iter().map(|&id| id.into()))
            .collect::<Vec<sea_orm::Value>>(),
    ))
    .all(db)
    .await?;
    let mut missing = Vec::new();
    for row in &current {
        match cache.cached(row.calendar_id, row.version) {
            Some(compiled) => {
                found.insert(row.department_id, compiled);
            }
            None => missing.push(row.calendar_id),
        }
    }
    if !missing.is_empty() {
        let rows = calendar::Entity::find()
            .filter(calendar::Column::OrganisationId.eq(organisation_id))
            .filter(calendar::Column::Id.is_in(missing))
            .all(db)
            .await?;
        for row in &rows {
            let compiled = cache.get_or_compile(row)?;
            for department in current.iter().filter(|c| c.calendar_id == row.id) {
                found.insert(department.department_id, compiled.clone());
            }
        }
    }
    Ok(found)
}

/// The `n`-th (from 1) bind placeholder of the connection's SQL dialect.
/// (SQLite's are anonymous: numbered ones cost a name lookup per value.)
pub fn placeholder(db: &impl ConnectionTrait, n: usize) -> String {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    }
}
