//! An organisation's webhooks, as its admins set them up: a URL, the notice
//! kinds it wants, a secret, a format, on or off. Every change is an event
//! of the audit log, which names the target by its origin only (a path
//! may hold a token, and leaders read the log) and never the secret.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use super::enqueue;
use super::kinds::Wanted;
use crate::entities::Named;
use crate::entities::ids::WebhookId;
use crate::entities::webhook::{self, WebhookFormat, WebhookSecret};
use crate::entities::webhook_delivery;
use crate::error::ApiError;
use crate::identity::AuthUser;
use crate::pagination::PageRequest;
use crate::services::events::{self, Subject};
use crate::services::{ExpectedVersion, stale_if_untouched};
use crate::validate::{Checker, one_of};

/// The longest URL accepted.
const URL_MAX: usize = 2048;
/// Random bytes in a generated secret (written as hex).
const SECRET_BYTES: usize = 32;
const SECRET_MIN: usize = 16;
const SECRET_MAX: usize = 256;

pub struct NewWebhook {
    pub url: String,
    /// `None`: every kind.
    pub events: Option<Vec<String>>,
    /// `None`: one is generated.
    pub secret: Option<String>,
    /// `None`: `json`.
    pub format: Option<String>,
    /// `None`: on.
    pub active: Option<bool>,
}

/// Fields a `PATCH` may change; a new `secret` replaces the old at once.
#[derive(Default)]
pub struct WebhookChanges {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub secret: Option<String>,
    pub format: Option<String>,
    pub active: Option<bool>,
}

#[tracing::instrument(skip_all, fields(actor = %actor.id))]
pub async fn create(
    db: &DatabaseConnection,
    actor: &AuthUser,
    input: NewWebhook,
) -> Result<webhook::Model, ApiError> {
    actor.require_admin()?;
    let mut check = Checker::new();
    let url = check_url(&mut check, "url", &input.url);
    let wanted = match &input.events {
        Some(names) => Wanted::check(&mut check, "events", names),
        None => Wanted::All,
    };
    let secret = match &input.secret {
        Some(secret) => check_secret(&mut check, "secret", secret),
        None => crate::config::random_hex(SECRET_BYTES),
    };
    let format = match &input.format {
        Some(name) => check_format(&mut check, "format", name),
        None => WebhookFormat::Json,
    };
    check.finish()?;
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    let row = webhook::ActiveModel {
        organisation_id: Set(actor.organisation_id),
        url: Set(url),
        events: Set(wanted.stored()),
        secret: Set(WebhookSecret(secret)),
        format: Set(format),
        active: Set(input.active.unwrap_or(true)),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    events::record(
        &txn,
        actor,
        Subject::Webhook(row.id),
        "webhook.created",
        json!({"target": origin(&row.url), "events": wanted.names(),
               "format": row.format, "active": row.active}),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// The organisation's webhooks by ascending id.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    page: PageRequest,
) -> Result<Vec<webhook::Model>, ApiError> {
    actor.require_admin()?;
    Ok(webhook::Entity::find()
        .filter(webhook::Column::OrganisationId.eq(actor.organisation_id))
        .filter(webhook::Column::Id.gt(page.after_id))
        .order_by_asc(webhook::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?)
}

/// One of the organisation's webhooks; another organisation's is 404.
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: WebhookId,
) -> Result<webhook::Model, ApiError> {
    actor.require_admin()?;
    webhook::Entity::find_by_id(id)
        .filter(webhook::Column::OrganisationId.eq(actor.organisation_id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook"))
}

#[tracing::instrument(skip_all, fields(actor = %actor.id, webhook = %id))]
pub async fn update(
    db: &DatabaseConnection,
    actor: &AuthUser,
    id: WebhookId,
    if_match: ExpectedVersion,
    changes: WebhookChanges,
) -> Result<webhook::Model, ApiError> {
    let txn = crate::db::begin_write(db).await?;
    let current = get(&txn, actor, id).await?;
    if_match.check(current.version)?;
    let mut check = Checker::new();
    let mut row: webhook::ActiveModel = current.clone().into();
    if let Some(url) = &changes.url {
        row.url = Set(check_url(&mut check, "url", url));
    }
    if let Some(names) = &changes.events {
        row.events = Set(Wanted::check(&mut check, "events", names).stored());
    }
    if let Some(secret) = &changes.secret {
        row.secret = Set(WebhookSecret(check_secret(&mut check, "secret", secret)));
    }
    if let Some(name) = &changes.format {
        row.format = Set(check_format(&mut check, "format", name));
    }
    if let Some(active) = changes.active {
        row.active = Set(active);
    }
    check.finish()?;
    row.version = Set(current.version + 1);
    row.updated_at = Set(Utc::now());
    // Guarded on the version read above, so a concurrent edit is not lost.
    let result = webhook::Entity::update_many()
        .set(row)
        .filter(webhook::Column::Id.eq(id))
        .filter(webhook::Column::Version.eq(current.version))
        .exec(&txn)
        .await?;
    stale_if_untouched(result.rows_affected)?;
    let updated = get(&txn, actor, id).await?;
    let mut data = events::changes(&[
        (
            "target",
            json!(origin(&current.url)),
            json!(origin(&updated.url)),
        ),
        (
            "events",
            json!(Wanted::read(&current.events).names()),
            json!(Wanted::read(&updated.events).names()),
        ),
        ("format", json!(current.format), json!(updated.format)),
        ("active", json!(current.active), json!(updated.active)),
    ]);
    if let Some(fields) = data.as_object_mut() {
        if current.url != updated.url {
            // The origin may stay while the path (and its token) changes.
            fields.insert("url_changed".into(), json!(true));
        }
        if current.secret != updated.secret {
            fields.insert("secret_changed".into(), json!(true));
        }
    }
    events::record(&txn, actor, Subject::Webhook(id), "webhook.updated", data).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Deletes a webhook and its delivery log; what was pending is not sent.
#[tracing::instrument(skip_all, fields(actor = %actor.id, webhook = %id))]
pub async fn delete(
    db: &DatabaseConnection,
    actor: &AuthUser,
    id: WebhookId,
    if_match: ExpectedVersion,
) -> Result<(), ApiError> {
    let txn = crate::db::begin_write(db).await?;
    let current = get(&txn, actor, id).await?;
    if_match.check(current.version)?;
    // Said explicitly rather than left to the foreign key's cascade.
    webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::WebhookId.eq(id))
        .exec(&txn)
        .await?;
    webhook::Entity::delete_by_id(id).exec(&txn).await?;
    events::record(
        &txn,
        actor,
        Subject::Webhook(id),
        "webhook.deleted",
        json!({"target": origin(&current.url)}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Queues a test call (`ping`) to an active webhook.
#[tracing::instrument(skip_all, fields(actor = %actor.id, webhook = %id))]
pub async fn ping(
    db: &DatabaseConnection,
    actor: &AuthUser,
    id: WebhookId,
    now: DateTime<Utc>,
) -> Result<webhook_delivery::Model, ApiError> {
    let txn = crate::db::begin_write(db).await?;
    let hook = get(&txn, actor, id).await?;
    if !hook.active {
        return Err(ApiError::Conflict(
            "the webhook is inactive: set active to true before pinging it".into(),
        ));
    }
    let delivery = enqueue::ping(&txn, &hook, now).await?;
    txn.commit().await?;
    Ok(delivery)
}

/// `http://` or `https://` with a host; trimmed.
fn check_url(check: &mut Checker, field: &str, value: &str) -> String {
    let value = value.trim();
    if value.chars().count() > URL_MAX {
        check.add(field, format!("must be at most {URL_MAX} characters"));
        return value.to_owned();
    }
    match url::Url::parse(value) {
        Ok(url) if !matches!(url.scheme(), "http" | "https") => {
            check.add(field, "must be an http:// or https:// URL");
        }
        Ok(url) if url.host().is_none() => check.add(field, "must name a host"),
        Ok(_) if value.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            check.add(field, "must not contain spaces or control characters");
        }
        Ok(_) => {}
        Err(_) => check.add(
            field,
            "must be an http:// or https:// URL such as https://example.org/hooks/baton",
        ),
    }
    value.to_owned()
}

fn check_secret(check: &mut Checker, field: &str, value: &str) -> String {
    let length = value.chars().count();
    if !(SECRET_MIN..=SECRET_MAX).contains(&length)
        || value.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        check.add(
            field,
            format!(
                "must be {SECRET_MIN} to {SECRET_MAX} characters without spaces; \
                 leave it out to have one generated"
            ),
        );
    }
    value.to_owned()
}

fn check_format(check: &mut Checker, field: &str, name: &str) -> WebhookFormat {
    WebhookFormat::named(name).unwrap_or_else(|| {
        check.add(field, format!("must be {}", one_of::<WebhookFormat>()));
        WebhookFormat::Json
    })
}

/// `https://host[:port]`: what the audit log names a target by.
fn origin(url: &str) -> String {
    url::Url::parse(url)
        .map(|url| url.origin().ascii_serialization())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url_errors(value: &str) -> bool {
        let mut check = Checker::new();
        check_url(&mut check, "url", value);
        check.finish().is_err()
    }

    #[test]
    fn only_http_and_https_urls_with_a_host_are_accepted() {
        for good in [
            "https://hooks.slack.com/services/T0/B0/xyz",
            "http://127.0.0.1:8080/hook",
            "  https://example.org/  ",
            "https://[2001:db8::1]/hook",
        ] {
            assert!(!url_errors(good), "{good}");
        }
        for bad in [
            "",
            "example.org/hook",
            "ftp://example.org/",
            "file:///etc/passwd",
            "gopher://example.org/",
            "javascript:alert(1)",
            "http://",
            "https://exa mple.org/",
        ] {
            assert!(url_errors(bad), "{bad}");
        }
        assert!(url_errors(&format!(
            "https://example.org/{}",
            "a".repeat(URL_MAX)
        )));
    }

    #[test]
    fn the_audit_log_names_a_target_by_its_origin_only() {
        assert_eq!(
            origin("https://hooks.slack.com/services/T0/B0/secret-token"),
            "https://hooks.slack.com"
        );
        assert_eq!(
            origin("http://example.org:8080/x?token=1"),
            "http://example.org:8080"
        );
    }

    #[test]
    fn a_given_secret_must_be_long_enough_and_without_spaces() {
        for (secret, ok) in [
            ("0123456789abcdef", true),
            ("short", false),
            ("0123456789 abcdef", false),
            (&"x".repeat(257)[..], false),
        ] {
            let mut check = Checker::new();
            check_secret(&mut check, "secret", secret);
            assert_eq!(check.finish().is_ok(), ok, "{secret}");
        }
    }
}
