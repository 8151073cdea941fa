//! How each person takes the mail of each kind of notice: at once, in a
//! daily digest, or not at all. The notice itself shows in Baton whatever
//! they choose; only its mail follows the choice. No row is "at once", so a
//! new kind of notice is mailed until someone says otherwise.

use std::collections::{BTreeMap, HashMap};

use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use crate::entities::Named;
use crate::entities::ids::UserId;
use crate::entities::mail_preference::{self, MailMode};
use crate::entities::notification::NotificationKind;
use crate::error::ApiError;
use crate::identity::AuthUser;
use crate::validate::Checker;

/// Every kind in the order the preferences page lists them: a request's
/// course first, then promises, then people, then reviews.
pub const IN_ORDER: [NotificationKind; 13] = [
    NotificationKind::ForecastLate,
    NotificationKind::DueSoon,
    NotificationKind::Overdue,
    NotificationKind::Escalated,
    NotificationKind::CommitmentEndangered,
    NotificationKind::Assigned,
    NotificationKind::Mentioned,
    NotificationKind::ReviewScheduled,
    NotificationKind::ReviewMoved,
    NotificationKind::ActionClosed,
    NotificationKind::Thanked,
    NotificationKind::PulseOpened,
    NotificationKind::PulseAnswered,
];

/// What a kind of notice is, in words for the preferences page.
pub fn describe(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::ForecastLate => "A request you asked for is expected late",
        NotificationKind::Overdue => "A request passed its due undelivered",
        NotificationKind::DueSoon => "A request you work is due soon",
        NotificationKind::Escalated => "A breach lasted and was escalated to the leaders",
        NotificationKind::ActionClosed => "An action item from a review was closed",
        NotificationKind::Assigned => "A request was given to you",
        NotificationKind::Mentioned => "Someone mentioned you in a comment",
        NotificationKind::CommitmentEndangered => "A promise to an outside customer is in danger",
        NotificationKind::ReviewScheduled => "You are invited to a review",
        NotificationKind::ReviewMoved => "A review you attend moved",
        NotificationKind::Thanked => "A customer thanked your department for a delivery",
        NotificationKind::PulseOpened => "You are asked how well a department serves yours",
        NotificationKind::PulseAnswered => {
            "A provider answered what your department said it could do better"
        }
    }
}

/// Every kind with the person's choice, in a stable order.
pub async fn of_user(
    db: &impl ConnectionTrait,
    user_id: UserId,
) -> Result<BTreeMap<&'static str, MailMode>, ApiError> {
    let chosen: HashMap<NotificationKind, MailMode> = mail_preference::Entity::find()
        .filter(mail_preference::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.kind, row.mode))
        .collect();
    Ok(NotificationKind::members()
        .into_iter()
        .map(|kind| {
            (
                kind.as_str(),
                chosen.get(&kind).copied().unwrap_or(MailMode::Now),
            )
        })
        .collect())
}

/// The choices of the given people that are not "at once".
pub async fn chosen_by(
    db: &impl ConnectionTrait,
    people: impl IntoIterator<Item = UserId>,
) -> Result<HashMap<(UserId, NotificationKind), MailMode>, ApiError> {
    Ok(mail_preference::Entity::find()
        .filter(mail_preference::Column::UserId.is_in(people))
        .all(db)
        .await?
        .into_iter()
        .map(|row| ((row.user_id, row.kind), row.mode))
        .collect())
}

/// Sets the caller's choices for the kinds named (by their API names);
/// every unknown kind or mode is one field error, and nothing changes.
pub async fn set(
    db: &DatabaseConnection,
    actor: &AuthUser,
    changes: &BTreeMap<String, String>,
) -> Result<BTreeMap<&'static str, MailMode>, ApiError> {
    let mut check = Checker::new();
    let mut rows = Vec::with_capacity(changes.len());
    for (kind, mode) in changes {
        let Some(kind) = NotificationKind::members()
            .into_iter()
            .find(|known| known.as_str() == kind)
        else {
            check.add(
                kind,
                format!(
                    "not a kind of notice; the kinds are {}",
                    NotificationKind::members()
                        .iter()
                        .map(|kind| kind.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            continue;
        };
        let Some(mode) = MailMode::members()
            .into_iter()
            .find(|known| known.as_str() == mode)
        else {
            check.add(kind.as_str(), "must be now, digest or off");
            continue;
        };
        rows.push(mail_preference::ActiveModel {
            user_id: Set(actor.id),
            kind: Set(kind),
            mode: Set(mode),
        });
    }
    check.finish()?;
    if !rows.is_empty() {
        let txn = crate::db::begin_write(db).await?;
        mail_preference::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([
                    mail_preference::Column::UserId,
                    mail_preference::Column::Kind,
                ])
                .update_column(mail_preference::Column::Mode)
                .to_owned(),
            )
            .exec(&txn)
            .await?;
        txn.commit().await?;
    }
    of_user(db, actor.id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_lists_every_kind_once() {
        let mut listed: Vec<&str> = IN_ORDER.iter().map(|kind| kind.as_str()).collect();
        let mut all: Vec<&str> = NotificationKind::members()
            .iter()
            .map(|kind| kind.as_str())
            .collect();
        listed.sort_unstable();
        all.sort_unstable();
        assert_eq!(listed, all);
    }
}
