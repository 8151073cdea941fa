//! Times as people read and type them, in the organisation's zone, and the
//! names pages show for ids.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

use crate::error::ApiError;

/// A `datetime-local` field ("2026-03-06T15:00"), read in the organisation's
/// time zone; an RFC 3339 instant is accepted as well.
pub fn local_instant(
    text: &str,
    zone: chrono_tz::Tz,
    field: &str,
) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|local| zone.from_local_datetime(&local).earliest())
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(|| ApiError::field(field, "must be a date and time such as 2026-03-06T15:00"))
}

/// Department names of the organisation, by id.
pub async fn department_names(
    db: &impl sea_orm::ConnectionTrait,
    organisation_id: i64,
) -> Result<std::collections::HashMap<i64, String>, ApiError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    Ok(crate::entities::department::Entity::find()
        .filter(crate::entities::department::Column::OrganisationId.eq(organisation_id))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, row.name))
        .collect())
}

/// The organisation's time zone, for reading and showing local times.
pub async fn organisation_zone(
    db: &impl sea_orm::ConnectionTrait,
    organisation_id: i64,
) -> Result<chrono_tz::Tz, ApiError> {
    use sea_orm::EntityTrait;
    Ok(
        crate::entities::organisation::Entity::find_by_id(organisation_id)
            .one(db)
            .await?
            .and_then(|row| row.timezone.parse().ok())
            .unwrap_or(chrono_tz::UTC),
    )
}

/// An instant as a `datetime-local` field shows it, in `zone`.
pub fn local_input(at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    at.with_timezone(&zone).format("%Y-%m-%dT%H:%M").to_string()
}

/// An instant as people read it: local time in the organisation's zone.
pub fn local(at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    at.with_timezone(&zone)
        .format("%a %Y-%m-%d %H:%M %Z")
        .to_string()
}
