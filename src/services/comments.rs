//! The conversation on a request: both sides, and anyone else who may read
//! the request, talk under it ("clarify, don't assume").
//!
//! - A comment is part of the record: never deleted. Its author may correct
//!   it for [`EDIT_MINUTES`] minutes; the earlier text stays in the
//!   request's events (`comment_edited`), so the history shows what was
//!   said first.
//! - `@` followed by a person's email or their name (as written in Baton,
//!   any case) mentions them, when they may read the request: they get a
//!   notification. Where names overlap the longest wins ("@Ada Lovelace"
//!   over "@Ada"); an `@` inside a word (an email address in the text) is
//!   no mention.
//! - Each comment is an event of the request (`commented`).

use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use crate::entities::ids::{RequestId, UserId};
use crate::entities::{comment, request, user};
use crate::error::ApiError;
use crate::identity::{AuthUser, Role};
use crate::pagination::PageRequest;
use crate::services::events::{self, NewEvent, Subject};
use crate::services::{notifications, requests};
use crate::validate::Checker;

/// How long after writing it the author may still correct a comment.
pub const EDIT_MINUTES: i64 = 15;
/// The longest comment, in characters.
pub const MAX_CHARS: usize = 20_000;

fn checked_body(body: &str) -> Result<String, ApiError> {
    let mut check = Checker::new();
    let body = check.text("body", body.trim(), MAX_CHARS);
    if body.is_empty() {
        check.add("body", "must not be empty");
    }
    check.finish()?;
    Ok(body)
}

/// Adds a comment to a request the caller may read.
#[tracing::instrument(skip_all, fields(actor = %actor.id, request = %request_id))]
pub async fn add(
    db: &sea_orm::DatabaseConnection,
    actor: &AuthUser,
    request_id: RequestId,
    body: &str,
) -> Result<comment::Model, ApiError> {
    let body = checked_body(body)?;
    let txn = crate::db::begin_write(db).await?;
    let row = requests::get(&txn, actor, request_id).await?;
    let created = comment::ActiveModel {
        organisation_id: Set(actor.organisation_id),
        request_id: Set(request_id),
        author_user_id: Set(actor.id),
        body: Set(body),
        created_at: Set(Utc::now()),
        edited_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    events::append(
        &txn,
        NewEvent {
            organisation_id: actor.organisation_id,
            subject: Subject::Request(request_id),
            kind: "commented",
            actor_user_id: Some(actor.id),
            at: None,
            data: json!({"comment_id": created.id}),
        },
    )
    .await?;
    let mentioned = mentions(&txn, &row, &created.body).await?;
    notify_mentioned(&txn, actor, &row, mentioned).await?;
    txn.commit().await?;
    Ok(created)
}

/// Corrects a comment: its author, within [`EDIT_MINUTES`] of writing it.
/// People mentioned only by the new text are told.
#[tracing::instrument(skip_all, fields(actor = %actor.id, request = %request_id, comment = comment_id))]
pub async fn edit(
    db: &sea_orm::DatabaseConnection,
    actor: &AuthUser,
    request_id: RequestId,
    comment_id: i64,
    body: &str,
) -> Result<comment::Model, ApiError> {
    let body = checked_body(body)?;
    let txn = crate::db::begin_write(db).await?;
    let row = requests::get(&txn, actor, request_id).await?;
    let earlier = comment::Entity::find_by_id(comment_id)
        .filter(comment::Column::RequestId.eq(request_id))
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("comment"))?;
    if earlier.author_user_id != actor.id {
        return Err(ApiError::Forbidden(
            "only its author corrects a comment".into(),
        ));
    }
    let now = Utc::now();
    if now - earlier.created_at > Duration::minutes(EDIT_MINUTES) {
        return Err(ApiError::Conflict(format!(
            "a comment can be corrected for {EDIT_MINUTES} minutes after it was written; add another instead"
        )));
    }
    let mut next: comment::ActiveModel = earlier.clone().into();
    next.body = Set(body);
    next.edited_at = Set(Some(now));
    let updated = next.update(&txn).await?;
    events::append(
        &txn,
        NewEvent {
            organisation_id: actor.organisation_id,
            subject: Subject::Request(request_id),
            kind: "comment_edited",
            actor_user_id: Some(actor.id),
            at: None,
            data: json!({"comment_id": comment_id, "earlier_body": earlier.body}),
        },
    )
    .await?;
    let before = mentions(&txn, &row, &earlier.body).await?;
    let after = mentions(&txn, &row, &updated.body).await?;
    notify_mentioned(
        &txn,
        actor,
        &row,
        after.difference(&before).copied().collect(),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// One page of a request's conversation, oldest first.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    request_id: RequestId,
    page: PageRequest,
) -> Result<Vec<comment::Model>, ApiError> {
    let row = requests::get(db, actor, request_id).await?;
    list_of(db, &row, page).await
}

/// One page of the conversation on `row`, a request the caller has already
/// read (and so may read), oldest first.
pub async fn list_of(
    db: &impl ConnectionTrait,
    row: &request::Model,
    page: PageRequest,
) -> Result<Vec<comment::Model>, ApiError> {
    Ok(comment::Entity::find()
        .filter(comment::Column::RequestId.eq(row.id))
        .filter(comment::Column::Id.gt(page.after_id))
        .order_by_asc(comment::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

async fn notify_mentioned(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    row: &request::Model,
    mentioned: BTreeSet<UserId>,
) -> Result<(), ApiError> {
    let recipients: Vec<UserId> = mentioned.into_iter().filter(|&p| p != actor.id).collect();
    if recipients.is_empty() {
        return Ok(());
    }
    let author = user::Entity::find_by_id(actor.id)
        .one(db)
        .await?
        .map_or_else(|| "Someone".to_owned(), |person| person.name);
    let message = format!(
        "{author} mentioned you on request #{} \"{}\"",
        row.id, row.title
    );
    notifications::notify_users(
        db,
        row.organisation_id,
        &recipients,
        notifications::Kind::Mentioned,
        Some(row.id),
        &message,
    )
    .await
}

/// The people a text mentions among those who may read the request.
async fn mentions(
    db: &impl ConnectionTrait,
    row: &request::Model,
    text: &str,
) -> Result<BTreeSet<UserId>, ApiError> {
    if !text.contains('@') {
        return Ok(BTreeSet::new());
    }
    let readers: Vec<(UserId, String, String)> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::Name)
        .column(user::Column::Email)
        .filter(user::Column::OrganisationId.eq(row.organisation_id))
        .filter(user::Column::Active.eq(true))
        .filter(
            Condition::any()
                .add(user::Column::Role.is_in([Role::Admin, Role::Leader]))
                .add(
                    user::Column::DepartmentId
                        .is_in([row.provider_department_id, row.customer_department_id]),
                ),
        )
        .into_tuple()
        .all(db)
        .await?;
    Ok(mentioned_in(text, &readers))
}

/// The pure part of [`mentions`]: who of `people` (id, name, email) the
/// text mentions.
pub fn mentioned_in(text: &str, people: &[(UserId, String, String)]) -> BTreeSet<UserId> {
    let lower = text.to_lowercase();
    let mut found = BTreeSet::new();
    let mut previous: Option<char> = None;
    for (at, c) in lower.char_indices() {
        let starts_mention = c == '@' && !previous.is_some_and(char::is_alphanumeric);
        previous = Some(c);
        if !starts_mention {
            continue;
        }
        let rest = &lower[at + 1..];
        let best = people
            .iter()
            .filter_map(|(id, name, email)| {
                [email.to_lowercase(), name.to_lowercase()]
                    .into_iter()
                    .filter(|handle| !handle.is_empty() && ends_at_boundary(rest, handle))
                    .map(|handle| handle.len())
                    .max()
                    .map(|length| (length, *id))
            })
            .max();
        if let Some((_, id)) = best {
            found.insert(id);
        }
    }
    found
}

/// Whether `rest` begins with `handle` followed by the end or by a
/// character that cannot continue a name or an address.
fn ends_at_boundary(rest: &str, handle: &str) -> bool {
    let Some(after) = rest.strip_prefix(handle) else {
        return false;
    };
    let mut after = after.chars();
    match after.next() {
        None => true,
        Some(next) if next.is_alphanumeric() => false,
        // "ada@example.org.uk", "ada-marie": the handle goes on.
        Some('@' | '_' | '-' | '.') => !after.next().is_some_and(char::is_alphanumeric),
        Some(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people() -> Vec<(UserId, String, String)> {
        vec![
            (UserId(1), "Ada".into(), "ada@example.org".into()),
            (
                UserId(2),
                "Ada Lovelace".into(),
                "lovelace@example.org".into(),
            ),
            (UserId(3), "Grace Hopper".into(), "grace@example.org".into()),
        ]
    }

    fn ids(text: &str) -> Vec<i64> {
        mentioned_in(text, &people())
            .into_iter()
            .map(|id| id.0)
            .collect()
    }

    #[test]
    fn a_mention_is_an_email_or_a_name_and_the_longest_name_wins() {
        assert_eq!(ids("@ada@example.org please look"), [1]);
        assert_eq!(ids("@Ada Lovelace, the draft is here"), [2]);
        assert_eq!(ids("@ada: the draft"), [1]);
        assert_eq!(ids("@GRACE HOPPER and @lovelace@example.org."), [2, 3]);
    }

    #[test]
    fn an_at_inside_a_word_or_a_name_that_goes_on_is_no_mention() {
        assert!(ids("write to ada@example.org").is_empty());
        assert!(ids("@Adam was here").is_empty());
        assert!(ids("@ada@example.org.uk is someone else").is_empty());
        assert!(ids("no mention at all").is_empty());
    }
}
