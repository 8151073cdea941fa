//! Mail: every notice may become a mail, sent by a dispatcher that any
//! number of instances run at once.
//!
//! - **The outbox is the notifications table.** A notice is written in the
//!   transaction of the change that causes it, with `mail_state = pending`
//!   (see the mail migration), so a change and its mail commit or vanish
//!   together, and a kill -9 at any moment loses nothing that committed.
//! - **Exactly one instance sends each mail.** [`dispatch_due`] claims each
//!   notice by a conditional update that moves its `mail_next_at` a lease
//!   ahead and counts the attempt; only the instance whose update changed
//!   the row sends it. On PostgreSQL a second instance's update waits for the
//!   first transaction and then finds the row no longer due; on SQLite
//!   writers take turns. The claim needs no `FOR UPDATE SKIP LOCKED`: the
//!   conditional update gives the same guarantee on both databases. A mail
//!   is marked sent once the SMTP server has taken it; should an instance
//!   die in between, the lease runs out and the mail goes again (at least
//!   once, never lost).
//! - **Quiet hours are the recipient's calendar.** A mail waits while the
//!   calendar of the person's department (the organisation's default
//!   calendar for people without one) is closed, and goes at its next
//!   opening. The in-app notice is there at once regardless.
//! - **Retries** back off exponentially (one minute, doubling, at most an
//!   hour between tries); after [`MAX_ATTEMPTS`] the mail is `failed` with
//!   the server's reason, and an admin may send it again.
//! - A notice never tried a day after it was made (mail was off) is
//!   `expired` rather than mailed late.
//! - **People choose** ([`preferences`]), per kind of notice: at once, in
//!   the daily digest ([`digest`]: set aside as `digest`, sent at the start
//!   of their working day), or off (`skipped`, as for an inactive person).
//!
//! What a mail says is [`compose`]'s job.

pub mod compose;
pub mod deliveries;
pub mod digest;
pub mod preferences;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use futures::{StreamExt, stream};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
    QuerySelect, UpdateMany,
};

use crate::entities::ids::{CommitmentId, DepartmentId, OrganisationId, RequestId, UserId};
use crate::entities::mail_preference::MailMode;
use crate::entities::notification::{self, MailState, NotificationKind};
use crate::entities::{calendar, commitment, organisation, request, user};
use crate::error::ApiError;
use crate::mailer::Mailer;
use crate::services::calendars::{self, CalendarCache};
use crate::services::projection;
use crate::time::CompiledCalendar;

/// Notices handled per dispatch; the next dispatch takes the rest.
const BATCH: u64 = 200;
/// Mails in flight at once per dispatch.
const SENDING: usize = 32;
/// How long a claim holds should the claiming instance die mid-send.
const LEASE: TimeDelta = TimeDelta::minutes(5);
/// Tries before a mail is given up as failed.
pub const MAX_ATTEMPTS: i32 = 8;
/// A notice older than this when mail could first be sent is not mailed.
const MAX_AGE: TimeDelta = TimeDelta::days(1);

/// What one dispatch did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Dispatched {
    pub sent: usize,
    /// Refused or unreachable; retried later, or failed for good.
    pub failed: usize,
    /// Waiting for the recipient's calendar to open.
    pub postponed: usize,
    pub expired: u64,
    /// Set aside for their person's daily digest.
    pub set_aside: usize,
    /// Daily digests sent.
    pub digests: usize,
}

/// Where links in mail point: `BATON_PUBLIC_URL`, without a trailing slash.
#[derive(Debug, Clone)]
pub struct Links {
    pub base: String,
}

impl Links {
    pub fn new(base: &str) -> Links {
        Links {
            base: base.trim_end_matches('/').to_owned(),
        }
    }
}

/// The delay before the next try after `failed` failed ones: one minute,
/// doubling, at most an hour.
pub fn backoff(failed: i32) -> TimeDelta {
    let doublings = Ord::clamp(failed, 1, 7) - 1;
    TimeDelta::minutes(std::cmp::min(1i64 << doublings, 60))
}

/// Sends the pending mail that is due at `now`; returns what was done.
pub async fn dispatch_due(
    db: &DatabaseConnection,
    calendars: &CalendarCache,
    mailer: &Mailer,
    links: &Links,
    now: DateTime<Utc>,
) -> Result<Dispatched, ApiError> {
    let mut done = Dispatched {
        expired: expire_old(db, now).await?,
        ..Default::default()
    };
    let mut opening = Openings::default();
    let claimed = claim(db, now).await?;
    if !claimed.is_empty() {
        send_claimed(
            db,
            calendars,
            mailer,
            links,
            now,
            claimed,
            &mut opening,
            &mut done,
        )
        .await?;
    }
    done.digests = digest::send_due(db, calendars, mailer, links, now, &mut opening).await?;
    Ok(done)
}

/// Mails each claimed notice, sets it aside for a digest, or leaves it, as
/// its person chose.
#[allow(clippy::too_many_arguments)]
async fn send_claimed(
    db: &DatabaseConnection,
    calendars: &CalendarCache,
    mailer: &Mailer,
    links: &Links,
    now: DateTime<Utc>,
    claimed: Vec<notification::Model>,
    opening: &mut Openings,
    done: &mut Dispatched,
) -> Result<(), ApiError> {
    let people = people_of(db, &claimed).await?;
    let chosen = preferences::chosen_by(db, claimed.iter().map(|notice| notice.user_id)).await?;
    let requests = requests_of(db, &claimed).await?;
    let endangered = endangered_by(db, &requests).await?;
    let promises = commitments_of(db, &claimed).await?;
    let reviews: Vec<i64> = claimed.iter().filter_map(invites_to).collect();
    let invitations = crate::services::reviews::invitations(db, &reviews).await?;
    let organisations = organisations_of(db, &claimed).await?;
    let mut outgoing = Vec::with_capacity(claimed.len());
    for notice in claimed {
        let Some(person) = people.get(&notice.user_id).filter(|person| person.active) else {
            settle(db, notice.id, MailState::Skipped, None, now).await?;
            continue;
        };
        let calendar = opening
            .calendar_of(db, calendars, notice.organisation_id, person.department_id)
            .await?;
        match chosen.get(&(person.id, notice.kind)) {
            Some(MailMode::Off) => {
                settle(db, notice.id, MailState::Skipped, None, now).await?;
                continue;
            }
            Some(MailMode::Digest) => {
                let next = digest::next_day_start(calendar.as_deref(), now);
                digest::set_aside(db, &notice, next).await?;
                done.set_aside += 1;
                continue;
            }
            Some(MailMode::Now) | None => {}
        }
        // Quiet hours: not while the person's calendar is closed.
        let opens = calendar
            .as_ref()
            .and_then(|calendar| calendar.clock_start(now).ok())
            .unwrap_or(now);
        // The engine works in whole seconds: within one, it is open now.
        if opens - now >= TimeDelta::seconds(1) {
            postpone(db, notice.id, opens).await?;
            done.postponed += 1;
            continue;
        }
        let zone = calendar.map_or(chrono_tz::UTC, |calendar| calendar.timezone());
        let letter = compose::Letter {
            notice: &notice,
            person,
            request: notice.request_id.and_then(|id| requests.get(&id)),
            endangers: notice
                .request_id
                .and_then(|id| endangered.get(&id))
                .map_or(&[], Vec::as_slice),
            commitment: notice.commitment_id.and_then(|id| promises.get(&id)),
            invitation: invites_to(&notice).and_then(|id| invitations.get(&id)),
            organisation: organisations
                .get(&notice.organisation_id)
                .map_or("", String::as_str),
            zone,
            links,
        };
        outgoing.push((
            notice.id,
            notice.mail_attempts,
            compose::message(&letter, &mailer.from),
        ));
    }
    // The SMTP conversation is a dozen round trips, and a server's delayed
    // acknowledgement of the message's last line adds some 40 ms more: one
    // after the other, a batch would take seconds. Sent side by side.
    let results: Vec<(i64, i32, Result<(), String>)> = stream::iter(outgoing)
        .map(|(id, attempts, message)| async move {
            let sent = match message {
                Ok(message) => mailer.send(message).await,
                Err(error) => Err(error),
            };
            (id, attempts, sent)
        })
        .buffer_unordered(SENDING)
        .collect()
        .await;
    let mut sent = Vec::new();
    for (id, attempts, result) in results {
        match result {
            Ok(()) => sent.push(id),
            Err(reason) => {
                tracing::warn!(notice = id, %reason, "mail not sent");
                // The claim counted this try.
                if attempts + 1 >= MAX_ATTEMPTS {
                    settle(db, id, MailState::Failed, Some(&reason), now).await?;
                } else {
                    retry_later(db, id, &reason, now + backoff(attempts + 1)).await?;
                }
                done.failed += 1;
            }
        }
    }
    done.sent += sent.len();
    settle_sent(db, &sent, now).await
}

/// The review whose invitation the notice's mail carries: only a review's
/// scheduling (or move) invites; an action item's closing just links to it.
fn invites_to(notice: &notification::Model) -> Option<i64> {
    notice.review_id.filter(|_| {
        matches!(
            notice.kind,
            NotificationKind::ReviewScheduled | NotificationKind::ReviewMoved
        )
    })
}

/// Marks the mails the SMTP server took as sent, in one statement.
async fn settle_sent(
    db: &DatabaseConnection,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if ids.is_empty() {
        return Ok(());
    }
    let txn = crate::db::begin_write(db).await?;
    notification::Entity::update_many()
        .col_expr(
            notification::Column::MailState,
            Expr::value(MailState::Sent.as_str()),
        )
        .col_expr(
            notification::Column::MailNextAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            notification::Column::MailError,
            Expr::value(Option::<String>::None),
        )
        .col_expr(notification::Column::MailedAt, Expr::value(now))
        .filter(notification::Column::Id.is_in(ids.iter().copied()))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

fn pending() -> Condition {
    Condition::all().add(notification::Column::MailState.eq(MailState::Pending))
}

fn due_at(now: DateTime<Utc>) -> Condition {
    pending().add(
        Condition::any()
            .add(notification::Column::MailNextAt.is_null())
            .add(notification::Column::MailNextAt.lte(now)),
    )
}

async fn expire_old(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, ApiError> {
    let stale = || {
        pending()
            // Never tried nor scheduled: made while mail was off. (One waiting
            // for its reader's calendar, or sent again by an admin, has a time.)
            .add(notification::Column::MailNextAt.is_null())
            .add(notification::Column::CreatedAt.lt(now - MAX_AGE))
    };
    // Asked first, so that an idle poll does not take the writer's turn.
    let any = notification::Entity::find()
        .select_only()
        .column(notification::Column::Id)
        .filter(stale())
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    if any.is_none() {
        return Ok(0);
    }
    let txn = crate::db::begin_write(db).await?;
    let expired = notification::Entity::update_many()
        .col_expr(
            notification::Column::MailState,
            Expr::value(MailState::Expired.as_str()),
        )
        .filter(stale())
        .exec(&txn)
        .await?
        .rows_affected;
    txn.commit().await?;
    Ok(expired)
}

/// The due notices this instance won, each with its attempt counted.
async fn claim(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<Vec<notification::Model>, ApiError> {
    let due: Vec<i64> = notification::Entity::find()
        .select_only()
        .column(notification::Column::Id)
        .filter(due_at(now))
        .order_by_asc(notification::Column::Id)
        .limit(BATCH)
        .into_tuple()
        .all(db)
        .await?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let txn = crate::db::begin_write(db).await?;
    let mut won = Vec::with_capacity(due.len());
    for id in due {
        let claim = notification::Entity::update_many()
            .col_expr(notification::Column::MailNextAt, Expr::value(now + LEASE))
            .col_expr(
                notification::Column::MailAttempts,
                Expr::col(notification::Column::MailAttempts).add(1),
            )
            .filter(notification::Column::Id.eq(id))
            .filter(due_at(now))
            .exec(&txn)
            .await?;
        if claim.rows_affected == 1 {
            won.push(id);
        }
    }
    let rows = notification::Entity::find()
        .filter(notification::Column::Id.is_in(won))
        .order_by_asc(notification::Column::Id)
        .all(&txn)
        .await?;
    txn.commit().await?;
    // The rows carry the attempt just counted; `mail_attempts` below means
    // the tries before this one.
    Ok(rows
        .into_iter()
        .map(|mut row| {
            row.mail_attempts -= 1;
            row
        })
        .collect())
}

async fn settle(
    db: &DatabaseConnection,
    id: i64,
    state: MailState,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let mut update = notification::Entity::update_many()
        .col_expr(notification::Column::MailState, Expr::value(state.as_str()))
        .col_expr(
            notification::Column::MailNextAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            notification::Column::MailError,
            Expr::value(reason.map(str::to_owned)),
        );
    if state == MailState::Sent {
        update = update.col_expr(notification::Column::MailedAt, Expr::value(now));
    }
    write_one(db, id, update).await
}

async fn retry_later(
    db: &DatabaseConnection,
    id: i64,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<(), ApiError> {
    let update = notification::Entity::update_many()
        .col_expr(notification::Column::MailNextAt, Expr::value(at))
        .col_expr(
            notification::Column::MailError,
            Expr::value(reason.to_owned()),
        );
    write_one(db, id, update).await
}

/// Waits for the calendar to open; waiting is not a try.
async fn postpone(db: &DatabaseConnection, id: i64, at: DateTime<Utc>) -> Result<(), ApiError> {
    let update = notification::Entity::update_many()
        .col_expr(notification::Column::MailNextAt, Expr::value(at))
        .col_expr(
            notification::Column::MailAttempts,
            Expr::col(notification::Column::MailAttempts).sub(1),
        );
    write_one(db, id, update).await
}

/// Applies `update` to notice `id` in a write transaction of its own.
async fn write_one(
    db: &DatabaseConnection,
    id: i64,
    update: UpdateMany<notification::Entity>,
) -> Result<(), ApiError> {
    let txn = crate::db::begin_write(db).await?;
    update
        .filter(notification::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

async fn people_of(
    db: &DatabaseConnection,
    notices: &[notification::Model],
) -> Result<HashMap<UserId, user::Model>, ApiError> {
    let ids: Vec<UserId> = notices.iter().map(|notice| notice.user_id).collect();
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect())
}

async fn requests_of(
    db: &DatabaseConnection,
    notices: &[notification::Model],
) -> Result<HashMap<RequestId, request::Model>, ApiError> {
    let ids: Vec<RequestId> = notices
        .iter()
        .filter_map(|notice| notice.request_id)
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(request::Entity::find()
        .filter(request::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect())
}

async fn commitments_of(
    db: &DatabaseConnection,
    notices: &[notification::Model],
) -> Result<HashMap<CommitmentId, commitment::Model>, ApiError> {
    let ids: Vec<CommitmentId> = notices
        .iter()
        .filter_map(|notice| notice.commitment_id)
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(commitment::Entity::find()
        .filter(commitment::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect())
}

/// The promises to outside customers each request endangers now (its
/// stored projection's critical paths), soonest promise first.
async fn endangered_by(
    db: &DatabaseConnection,
    requests: &HashMap<RequestId, request::Model>,
) -> Result<HashMap<RequestId, Vec<commitment::Model>>, ApiError> {
    let mut by_organisation: HashMap<OrganisationId, Vec<RequestId>> = HashMap::new();
    for row in requests.values() {
        by_organisation
            .entry(row.organisation_id)
            .or_default()
            .push(row.id);
    }
    let mut links: HashMap<RequestId, Vec<CommitmentId>> = HashMap::new();
    for (organisation, ids) in by_organisation {
        links.extend(projection::endangered_by(db, organisation, &ids).await?);
    }
    let wanted: Vec<CommitmentId> = links.values().flatten().copied().collect();
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let commitments: HashMap<CommitmentId, commitment::Model> = commitment::Entity::find()
        .filter(commitment::Column::Id.is_in(wanted))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect();
    Ok(links
        .into_iter()
        .map(|(request, ids)| {
            let mut promises: Vec<commitment::Model> = ids
                .iter()
                .filter_map(|id| commitments.get(id).cloned())
                .collect();
            promises.sort_by_key(|row| (row.promised_at, row.id));
            (request, promises)
        })
        .collect())
}

async fn organisations_of(
    db: &DatabaseConnection,
    notices: &[notification::Model],
) -> Result<HashMap<OrganisationId, String>, ApiError> {
    let ids: Vec<OrganisationId> = notices
        .iter()
        .map(|notice| notice.organisation_id)
        .collect();
    Ok(organisation::Entity::find()
        .filter(organisation::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, row.name))
        .collect())
}

/// The calendars met in one dispatch, each looked up once.
#[derive(Default)]
struct Openings {
    departments: HashMap<(OrganisationId, DepartmentId), Option<Arc<CompiledCalendar>>>,
    defaults: HashMap<OrganisationId, Option<Arc<CompiledCalendar>>>,
}

impl Openings {
    /// The calendar of `department`, or of the organisation when there is
    /// none; `None` when the organisation has no calendar at all.
    async fn calendar_of(
        &mut self,
        db: &DatabaseConnection,
        cache: &CalendarCache,
        organisation_id: OrganisationId,
        department: Option<DepartmentId>,
    ) -> Result<Option<Arc<CompiledCalendar>>, ApiError> {
        if let Some(department_id) = department {
            if let Some(known) = self.departments.get(&(organisation_id, department_id)) {
                return Ok(known.clone());
            }
            let found = calendars::for_departments(db, cache, organisation_id, &[department_id])
                .await?
                .remove(&department_id);
            self.departments
                .insert((organisation_id, department_id), found.clone());
            if found.is_some() {
                return Ok(found);
            }
        }
        if let Some(known) = self.defaults.get(&organisation_id) {
            return Ok(known.clone());
        }
        let found = match calendars::default_id(db, organisation_id).await? {
            Some(id) => match calendar::Entity::find_by_id(id).one(db).await? {
                Some(row) => Some(cache.get_or_compile(&row)?),
                None => None,
            },
            None => None,
        };
        self.defaults.insert(organisation_id, found.clone());
        Ok(found)
    }
}
