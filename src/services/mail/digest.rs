//! The daily digest: one mail at the start of a person's working day with
//! every notice they chose to take that way since the last one.
//!
//! - A notice for a person who takes its kind as a digest is not mailed by
//!   itself: the dispatcher moves it to `mail_state = digest` and makes
//!   sure the person has a `mail_digests` row, whose `next_at` is the start
//!   of their next working day (the first opening of their department's
//!   calendar, the organisation's default calendar without one).
//! - A digest whose moment has come is claimed by moving `next_at` on to
//!   the next working day with a conditional update, so one instance sends
//!   it. Its notices are marked sent when the SMTP server has taken it; on
//!   failure they stay and the digest is tried again in a few minutes.
//! - A day with nothing to tell sends nothing.

use chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::{Links, Openings, compose};
use crate::entities::ids::UserId;
use crate::entities::notification::{self, MailState};
use crate::entities::{mail_digest, organisation, user};
use crate::error::ApiError;
use crate::mailer::Mailer;
use crate::services::calendars::CalendarCache;
use crate::time::CompiledCalendar;

/// Digests handled per dispatch.
const BATCH: u64 = 50;
/// Notices listed in one digest; the rest wait for the next.
const MOST: u64 = 200;
/// How long a digest the SMTP server refused waits before the next try.
const RETRY: TimeDelta = TimeDelta::minutes(10);

/// The start of the first working day that begins after `now` in
/// `calendar`: its first opening. Without a calendar, 09:00 UTC.
pub fn next_day_start(calendar: Option<&CompiledCalendar>, now: DateTime<Utc>) -> DateTime<Utc> {
    let Some(calendar) = calendar else {
        let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default();
        let today = now.date_naive().and_time(nine).and_utc();
        return if today > now {
            today
        } else {
            today + TimeDelta::days(1)
        };
    };
    let zone = calendar.timezone();
    let today = now.with_timezone(&zone).date_naive();
    // The first working instant from a local midnight is the opening of
    // that day (or of the next working day): today's if it is still ahead,
    // else tomorrow's.
    for offset in 0..=1 {
        let Some(date) = today.checked_add_days(chrono::Days::new(offset)) else {
            break;
        };
        // A midnight skipped by a clock change: its first hour instead.
        let midnight = date
            .and_hms_opt(0, 0, 0)
            .and_then(|at| at.and_local_timezone(zone).earliest())
            .or_else(|| {
                date.and_hms_opt(1, 0, 0)
                    .and_then(|at| at.and_local_timezone(zone).earliest())
            });
        if let Some(opening) = midnight
            .and_then(|at| calendar.clock_start(at.with_timezone(&Utc)).ok())
            .filter(|opening| *opening > now)
        {
            return opening;
        }
    }
    now + TimeDelta::days(1)
}

/// Sets the notice aside for its person's digest, and schedules the digest
/// if none is waiting.
pub(super) async fn set_aside(
    db: &DatabaseConnection,
    notice: &notification::Model,
    next_at: DateTime<Utc>,
) -> Result<(), ApiError> {
    let txn = crate::db::begin_write(db).await?;
    notification::Entity::update_many()
        .col_expr(
            notification::Column::MailState,
            Expr::value(MailState::Digest.as_str()),
        )
        .col_expr(
            notification::Column::MailNextAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        // The claim counted a try; setting aside is not one.
        .col_expr(notification::Column::MailAttempts, Expr::value(0))
        .filter(notification::Column::Id.eq(notice.id))
        .exec(&txn)
        .await?;
    mail_digest::Entity::insert(mail_digest::ActiveModel {
        user_id: Set(notice.user_id),
        next_at: Set(next_at),
        last_sent_at: Set(None),
    })
    // A digest already waiting keeps its moment.
    .on_conflict_do_nothing()
    .exec(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Sends the digests whose moment has come; returns how many went.
pub(super) async fn send_due(
    db: &DatabaseConnection,
    cache: &CalendarCache,
    mailer: &Mailer,
    links: &Links,
    now: DateTime<Utc>,
    openings: &mut Openings,
) -> Result<usize, ApiError> {
    let due: Vec<mail_digest::Model> = mail_digest::Entity::find()
        .filter(mail_digest::Column::NextAt.lte(now))
        .order_by_asc(mail_digest::Column::NextAt)
        .limit(BATCH)
        .all(db)
        .await?;
    let mut sent = 0;
    for digest in due {
        let Some(person) = user::Entity::find_by_id(digest.user_id).one(db).await? else {
            continue;
        };
        let calendar = openings
            .calendar_of(db, cache, person.organisation_id, person.department_id)
            .await?;
        let next = next_day_start(calendar.as_deref(), now);
        let claimed = mail_digest::Entity::update_many()
            .col_expr(mail_digest::Column::NextAt, Expr::value(next))
            .filter(mail_digest::Column::UserId.eq(digest.user_id))
            .filter(mail_digest::Column::NextAt.eq(digest.next_at))
            .exec(db)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let notices = waiting(db, person.id, now).await?;
        if notices.is_empty() {
            continue;
        }
        if !person.active {
            settle(db, &notices, MailState::Skipped, now).await?;
            continue;
        }
        let organisation = organisation::Entity::find_by_id(person.organisation_id)
            .one(db)
            .await?
            .map(|row| row.name)
            .unwrap_or_default();
        let zone = calendar.map_or(chrono_tz::UTC, |calendar| calendar.timezone());
        let digest_letter = compose::Digest {
            person: &person,
            notices: &notices,
            organisation: &organisation,
            zone,
            links,
            since: digest.last_sent_at,
        };
        let outcome = match compose::digest_message(&digest_letter, &mailer.from) {
            Ok(message) => mailer.send(message).await,
            Err(error) => Err(error),
        };
        match outcome {
            Ok(()) => {
                settle(db, &notices, MailState::Sent, now).await?;
                mail_digest::Entity::update_many()
                    .col_expr(mail_digest::Column::LastSentAt, Expr::value(now))
                    .filter(mail_digest::Column::UserId.eq(person.id))
                    .exec(db)
                    .await?;
                sent += 1;
            }
            Err(reason) => {
                tracing::warn!(user = person.id.0, %reason, "digest not sent");
                mail_digest::Entity::update_many()
                    .col_expr(mail_digest::Column::NextAt, Expr::value(now + RETRY))
                    .filter(mail_digest::Column::UserId.eq(person.id))
                    .exec(db)
                    .await?;
            }
        }
    }
    Ok(sent)
}

/// The notices set aside for `person`'s digest, oldest first.
async fn waiting(
    db: &DatabaseConnection,
    person: UserId,
    now: DateTime<Utc>,
) -> Result<Vec<notification::Model>, ApiError> {
    Ok(notification::Entity::find()
        .filter(notification::Column::UserId.eq(person))
        .filter(notification::Column::MailState.eq(MailState::Digest))
        .filter(notification::Column::CreatedAt.lte(now))
        .order_by_asc(notification::Column::Id)
        .limit(MOST)
        .all(db)
        .await?)
}

async fn settle(
    db: &DatabaseConnection,
    notices: &[notification::Model],
    state: MailState,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let mut update = notification::Entity::update_many()
        .col_expr(notification::Column::MailState, Expr::value(state.as_str()));
    if state == MailState::Sent {
        update = update.col_expr(notification::Column::MailedAt, Expr::value(now));
    }
    update
        .filter(notification::Column::Id.is_in(notices.iter().map(|notice| notice.id)))
        .filter(notification::Column::MailState.eq(MailState::Digest))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::CalendarSpec;
    use chrono::TimeZone;

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
    fn before_the_opening_the_digest_goes_at_todays_opening() {
        assert_eq!(
            next_day_start(Some(&office()), berlin(7, 6, 0)),
            berlin(7, 9, 0)
        );
    }

    #[test]
    fn during_the_day_it_goes_at_the_next_days_opening() {
        assert_eq!(
            next_day_start(Some(&office()), berlin(7, 9, 0)),
            berlin(8, 9, 0)
        );
        assert_eq!(
            next_day_start(Some(&office()), berlin(7, 16, 0)),
            berlin(8, 9, 0)
        );
    }

    #[test]
    fn on_friday_evening_it_goes_on_monday_morning() {
        assert_eq!(
            next_day_start(Some(&office()), berlin(11, 18, 0)),
            berlin(14, 9, 0)
        );
        assert_eq!(
            next_day_start(Some(&office()), berlin(12, 10, 0)),
            berlin(14, 9, 0)
        );
    }

    #[test]
    fn without_a_calendar_it_goes_at_nine_utc() {
        let at = Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap();
        assert_eq!(
            next_day_start(None, at),
            Utc.with_ymd_and_hms(2026, 12, 8, 9, 0, 0).unwrap()
        );
    }
}
