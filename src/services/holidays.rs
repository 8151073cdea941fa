//! A calendar's holidays one at a time, and imported from an iCalendar
//! (`.ics`) file such as a public-holiday feed: every change goes through
//! [`calendars::update`], so it is checked, versioned and recorded like an
//! edit through the API. And the due date of a turnaround in a calendar,
//! for previewing an edit.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use icalendar::{CalendarComponent, Component, DatePerhapsTime, EventStatus};
use sea_orm::DatabaseConnection;

use crate::entities::calendar;
use crate::error::{ApiError, FieldErrors};
use crate::identity::AuthUser;
use crate::services::ExpectedVersion;
use crate::services::calendars::{self, CalendarCache, CalendarChanges, Holiday};
use crate::time::{Due, Turnaround};

/// The largest `.ics` file read; public-holiday feeds are a few kilobytes.
pub const MAX_ICS_BYTES: usize = 1024 * 1024;

/// The most days one event may close: a longer one is a mistake, not a holiday.
const MAX_EVENT_DAYS: i64 = 366;

/// Adds a holiday, or renames the one already on that date.
pub async fn add(
    db: &DatabaseConnection,
    actor: &AuthUser,
    calendar_id: i64,
    if_match: ExpectedVersion,
    holiday: Holiday,
) -> Result<calendar::Model, ApiError> {
    actor.require_admin()?;
    let current = calendars::get(db, actor, calendar_id).await?;
    let (_, mut holidays) = calendars::decode(&current)?;
    holidays.retain(|existing| existing.date != holiday.date);
    holidays.push(holiday);
    save(db, actor, &current, if_match, holidays).await
}

/// Removes the holiday on `date`; a date that is no holiday changes nothing.
pub async fn remove(
    db: &DatabaseConnection,
    actor: &AuthUser,
    calendar_id: i64,
    if_match: ExpectedVersion,
    date: NaiveDate,
) -> Result<calendar::Model, ApiError> {
    actor.require_admin()?;
    let current = calendars::get(db, actor, calendar_id).await?;
    let (_, mut holidays) = calendars::decode(&current)?;
    holidays.retain(|existing| existing.date != date);
    save(db, actor, &current, if_match, holidays).await
}

/// What an import did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Imported {
    /// Dates that were not holidays before.
    pub added: usize,
    /// Dates of the file already holidays of the calendar (their names kept).
    pub already: usize,
    /// Events with a time of day: appointments, not closed days.
    pub timed_skipped: usize,
    /// Repeating events, of which only the first day was imported.
    pub repeating: usize,
}

/// Imports the all-day events of an iCalendar file as holidays: an event
/// over several days closes each of them (its end date is exclusive, as in
/// the format). A file that cannot be read, or has no all-day event, is a
/// 422 on `file` and changes nothing.
pub async fn import_ics(
    db: &DatabaseConnection,
    actor: &AuthUser,
    calendar_id: i64,
    if_match: ExpectedVersion,
    bytes: &[u8],
) -> Result<(calendar::Model, Imported), ApiError> {
    actor.require_admin()?;
    let current = calendars::get(db, actor, calendar_id).await?;
    let (found, mut imported) = read_ics(bytes)?;
    let (_, mut holidays) = calendars::decode(&current)?;
    for holiday in found {
        if holidays
            .iter()
            .any(|existing| existing.date == holiday.date)
        {
            imported.already += 1;
        } else {
            imported.added += 1;
            holidays.push(holiday);
        }
    }
    let saved = save(db, actor, &current, if_match, holidays)
        .await
        .map_err(|error| match error {
            // The holidays' own errors name list positions the file does not
            // have: they are the file's.
            ApiError::Validation { errors, .. } => {
                let mut mapped = FieldErrors::new();
                for (field, messages) in errors {
                    let field = if field.starts_with("holidays") {
                        "file".to_owned()
                    } else {
                        field
                    };
                    mapped.entry(field).or_default().extend(messages);
                }
                ApiError::invalid(mapped)
            }
            other => other,
        })?;
    Ok((saved, imported))
}

async fn save(
    db: &DatabaseConnection,
    actor: &AuthUser,
    current: &calendar::Model,
    if_match: ExpectedVersion,
    holidays: Vec<Holiday>,
) -> Result<calendar::Model, ApiError> {
    // The version read here, unless the page's is older: a change made
    // meanwhile is refused rather than overwritten.
    let version = ExpectedVersion(if_match.0.or(Some(current.version)));
    calendars::update(
        db,
        actor,
        current.id,
        version,
        CalendarChanges {
            holidays: Some(holidays),
            ..Default::default()
        },
    )
    .await
}

fn unreadable(why: impl std::fmt::Display) -> ApiError {
    ApiError::field(
        "file",
        format!("cannot be read as an iCalendar (.ics) file: {why}"),
    )
}

/// The holidays of an iCalendar file, one per closed date, first name wins.
pub fn read_ics(bytes: &[u8]) -> Result<(Vec<Holiday>, Imported), ApiError> {
    if bytes.len() > MAX_ICS_BYTES {
        return Err(ApiError::field(
            "file",
            format!("is larger than {} KiB", MAX_ICS_BYTES / 1024),
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| unreadable("it is not text (UTF-8)"))?;
    let text = text.trim_start_matches('\u{feff}');
    if !text.trim_start().starts_with("BEGIN:VCALENDAR") {
        return Err(unreadable("it does not start with BEGIN:VCALENDAR"));
    }
    let calendar: icalendar::Calendar = text.parse().map_err(|error: String| {
        // The parser's message quotes the whole offending line; its first
        // line says where.
        unreadable(error.lines().take(2).collect::<Vec<_>>().join(" ").trim())
    })?;
    let mut imported = Imported::default();
    let mut holidays: Vec<Holiday> = Vec::new();
    for (index, component) in calendar.components.iter().enumerate() {
        let CalendarComponent::Event(event) = component else {
            continue;
        };
        if event.get_status() == Some(EventStatus::Cancelled) {
            continue;
        }
        let name: String = event
            .get_summary()
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        let which = if name.is_empty() {
            format!("event {}", index + 1)
        } else {
            format!("event “{name}”")
        };
        let start = match event.get_start() {
            Some(DatePerhapsTime::Date(date)) => date,
            Some(DatePerhapsTime::DateTime(_)) => {
                imported.timed_skipped += 1;
                continue;
            }
            None => return Err(unreadable(format!("{which} has no start date (DTSTART)"))),
        };
        let end = match event.get_end() {
            Some(DatePerhapsTime::Date(end)) => end,
            Some(DatePerhapsTime::DateTime(_)) => {
                return Err(unreadable(format!(
                    "{which} starts on a date but ends at a time"
                )));
            }
            None => start + duration_days(event.property_value("DURATION")),
        };
        // The end is exclusive; an end on the start date is one day all the same.
        let days = (end - start).num_days().max(1);
        if days > MAX_EVENT_DAYS {
            return Err(unreadable(format!(
                "{which} lasts {days} days; a holiday lasts at most {MAX_EVENT_DAYS}"
            )));
        }
        if event.property_value("RRULE").is_some() {
            imported.repeating += 1;
        }
        for offset in 0..days {
            let date = start + Duration::days(offset);
            if !holidays.iter().any(|holiday| holiday.date == date) {
                holidays.push(Holiday {
                    date,
                    name: name.clone(),
                });
            }
        }
    }
    if holidays.is_empty() {
        return Err(ApiError::field(
            "file",
            "has no all-day events, so there are no holidays in it to import",
        ));
    }
    Ok((holidays, imported))
}

/// The whole days of an all-day event's `DURATION` (`P1D`, `P2W`); one day
/// when it is missing or not in days or weeks.
fn duration_days(duration: Option<&str>) -> Duration {
    let days = duration
        .and_then(|text| text.trim().strip_prefix('P'))
        .and_then(|text| {
            if let Some(weeks) = text.strip_suffix('W') {
                weeks.parse::<i64>().ok()?.checked_mul(7)
            } else {
                text.strip_suffix('D')?.parse::<i64>().ok()
            }
        })
        .filter(|days| *days > 0)
        .unwrap_or(1);
    Duration::days(days.min(MAX_EVENT_DAYS + 1))
}

/// When a turnaround started at `from` is due in the calendar `row`, by the
/// business-time engine (as `GET /calendars/{id}/due` answers).
pub fn due_in(
    cache: &CalendarCache,
    row: &calendar::Model,
    from: DateTime<Utc>,
    turnaround: Turnaround,
) -> Result<Due, ApiError> {
    cache
        .get_or_compile(row)?
        .due(from, turnaround)
        .map_err(|error| ApiError::field("from", error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ics(events: &str) -> Vec<u8> {
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{events}END:VCALENDAR\r\n")
            .into_bytes()
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn all_day_events_become_holidays_and_a_long_one_closes_every_day() {
        let file = ics(
            "BEGIN:VEVENT\r\nUID:1\r\nDTSTART;VALUE=DATE:20300101\r\nSUMMARY:New Year\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:2\r\nDTSTART;VALUE=DATE:20301224\r\nDTEND;VALUE=DATE:20301227\r\nSUMMARY:Christmas\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:3\r\nDTSTART:20300105T100000Z\r\nDTEND:20300105T110000Z\r\nSUMMARY:Meeting\r\nEND:VEVENT\r\n",
        );
        let (holidays, imported) = read_ics(&file).unwrap();
        let dates: Vec<NaiveDate> = holidays.iter().map(|h| h.date).collect();
        assert_eq!(
            dates,
            [
                date("2030-01-01"),
                date("2030-12-24"),
                date("2030-12-25"),
                date("2030-12-26")
            ]
        );
        assert_eq!(holidays[0].name, "New Year");
        assert_eq!(imported.timed_skipped, 1);
    }

    #[test]
    fn a_file_that_is_no_calendar_is_refused_on_its_field() {
        for bad in [&b"hello"[..], b"\xff\xfe", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:2030-99-99\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"] {
            let error = read_ics(bad).unwrap_err();
            assert!(error.problem().errors.contains_key("file"), "{error:?}");
        }
        let empty = read_ics(&ics("")).unwrap_err();
        assert!(format!("{:?}", empty.problem().errors).contains("no all-day events"));
    }

    #[test]
    fn a_duration_in_days_or_weeks_is_counted_and_anything_else_is_one_day() {
        assert_eq!(duration_days(Some("P3D")), Duration::days(3));
        assert_eq!(duration_days(Some("P1W")), Duration::days(7));
        assert_eq!(duration_days(Some("PT4H")), Duration::days(1));
        assert_eq!(duration_days(None), Duration::days(1));
        assert_eq!(
            duration_days(Some("P2000000000000000000W")),
            Duration::days(1)
        );
    }
}
