//! `/webhooks`: an organisation's webhooks (admins), each webhook's
//! delivery log, sending a delivery again and a test ping. The secret is
//! shown in full in the answer that creates it, and only there.

use chrono::{DateTime, Utc};
use rocket::http::Status;
use rocket::{Route, State, delete, get, patch, post, routes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::entities::ids::{WebhookDeliveryId, WebhookId};
use crate::entities::webhook::{self, WebhookFormat};
use crate::entities::webhook_delivery::{self, DeliveryState};
use crate::error::ApiResult;
use crate::http::{Admin, Body, Reply};
use crate::pagination::{NewestFirst, Page, PageRequest};
use crate::services::ExpectedVersion;
use crate::services::webhooks::admin::{self, NewWebhook, WebhookChanges};
use crate::services::webhooks::deliveries;
use crate::services::webhooks::kinds::Wanted;
use crate::state::AppState;
use crate::validate::query_named;

pub fn routes() -> Vec<Route> {
    routes![
        create,
        list,
        show,
        update,
        remove,
        delivery_log,
        redeliver,
        ping
    ]
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhookBody {
    /// Where calls go: an `http://` or `https://` URL.
    pub url: String,
    /// The notice kinds to be told of (`forecast_late`, `due_soon`,
    /// `overdue`, `escalated`, `commitment_endangered`, `review_scheduled`,
    /// `review_moved`, `action_closed`, `assigned`, `mentioned`), or
    /// `["*"]` for every kind, those added later included.
    /// Default: `["*"]`.
    #[serde(default)]
    pub events: Option<Vec<String>>,
    /// The key that signs every call, 16 to 256 characters. Default: 32
    /// random bytes as hex, shown in this answer only.
    #[serde(default)]
    pub secret: Option<String>,
    /// `json` (the event; default) or `slack` (`{"text": …}`).
    #[serde(default)]
    #[schema(example = "json")]
    pub format: Option<String>,
    /// Default: true.
    #[serde(default)]
    pub active: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    /// A new key; the old one stops signing at once.
    pub secret: Option<String>,
    /// `json` or `slack`.
    pub format: Option<String>,
    pub active: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookOut {
    pub id: WebhookId,
    pub url: String,
    /// Notice kinds, or `["*"]` for every kind.
    pub events: Vec<String>,
    /// `json | slack`
    #[schema(value_type = String)]
    pub format: WebhookFormat,
    pub active: bool,
    /// `…` and the secret's last four characters, to tell which secret a
    /// receiver holds.
    pub secret_hint: String,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<webhook::Model> for WebhookOut {
    fn from(row: webhook::Model) -> Self {
        WebhookOut {
            id: row.id,
            url: row.url,
            events: Wanted::read(&row.events).names(),
            format: row.format,
            active: row.active,
            secret_hint: row.secret.hint(),
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A new webhook, with its secret: the only answer that shows it.
#[derive(Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: WebhookOut,
    /// Keep it with the receiver, which checks `Baton-Signature` with it.
    pub secret: String,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookDeliveryOut {
    /// Sent as `Baton-Delivery`, the same on every try.
    pub id: WebhookDeliveryId,
    pub webhook_id: WebhookId,
    /// A notice kind, or `ping`.
    pub event: String,
    /// `pending | sent | failed`
    #[schema(value_type = String)]
    pub state: DeliveryState,
    pub attempts: i32,
    /// Not before then (pending only): the next try, or a claim's lease.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// A try that fails after this is the last.
    pub retry_until: DateTime<Utc>,
    /// The receiver's status on the last try, when it answered.
    pub last_status: Option<i32>,
    /// Why the last try failed, or was refused.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<webhook_delivery::Model> for WebhookDeliveryOut {
    fn from(row: webhook_delivery::Model) -> Self {
        WebhookDeliveryOut {
            id: row.id,
            webhook_id: row.webhook_id,
            event: row.event,
            state: row.state,
            attempts: row.attempts,
            next_attempt_at: row.next_at,
            retry_until: row.retry_until,
            last_status: row.last_status,
            last_error: row.last_error,
            created_at: row.created_at,
            delivered_at: row.delivered_at,
        }
    }
}

fn reply(row: webhook::Model) -> Reply<WebhookOut> {
    let version = row.version;
    Reply::ok(WebhookOut::from(row)).versioned(version)
}

/// Sets up a webhook (admins); the answer holds its secret, shown only here.
#[utoipa::path(post, path = "/webhooks", tag = "webhooks", request_body = NewWebhookBody,
    security(("bearer" = [])),
    responses((status = 201, body = CreatedWebhook), (status = 403, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[post("/webhooks", data = "<body>")]
async fn create(
    app: &State<AppState>,
    actor: Admin,
    body: Body<NewWebhookBody>,
) -> ApiResult<Reply<CreatedWebhook>> {
    let body = body.0;
    let row = admin::create(
        app.db(),
        &actor,
        NewWebhook {
            url: body.url,
            events: body.events,
            secret: body.secret,
            format: body.format,
            active: body.active,
        },
    )
    .await?;
    let version = row.version;
    let secret = row.secret.0.clone();
    Ok(Reply::created(CreatedWebhook {
        webhook: WebhookOut::from(row),
        secret,
    })
    .versioned(version))
}

/// The organisation's webhooks, without their secrets (admins).
#[utoipa::path(get, path = "/webhooks", tag = "webhooks", security(("bearer" = [])),
    params(("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, description = "one page, by ascending id", body = Page<WebhookOut>),
              (status = 403, body = crate::error::Problem)))]
#[get("/webhooks?<limit>&<cursor>")]
async fn list(
    app: &State<AppState>,
    actor: Admin,
    limit: Option<&str>,
    cursor: Option<&str>,
) -> ApiResult<Reply<Page<WebhookOut>>> {
    let page = PageRequest::parse(limit, cursor)?;
    let rows = admin::list(app.db(), &actor, page).await?;
    Ok(Reply::ok(Page::from_rows(
        rows,
        page,
        |row| row.id,
        WebhookOut::from,
    )))
}

#[utoipa::path(get, path = "/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = WebhookOut), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem)))]
#[get("/webhooks/<id>")]
async fn show(app: &State<AppState>, actor: Admin, id: WebhookId) -> ApiResult<Reply<WebhookOut>> {
    Ok(reply(admin::get(app.db(), &actor, id).await?))
}

#[utoipa::path(patch, path = "/webhooks/{id}", tag = "webhooks", request_body = WebhookPatch,
    security(("bearer" = [])), params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = WebhookOut), (status = 403, body = crate::error::Problem),
              (status = 412, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
#[patch("/webhooks/<id>", data = "<body>")]
async fn update(
    app: &State<AppState>,
    actor: Admin,
    id: WebhookId,
    if_match: ExpectedVersion,
    body: Body<WebhookPatch>,
) -> ApiResult<Reply<WebhookOut>> {
    let body = body.0;
    let row = admin::update(
        app.db(),
        &actor,
        id,
        if_match,
        WebhookChanges {
            url: body.url,
            events: body.events,
            secret: body.secret,
            format: body.format,
            active: body.active,
        },
    )
    .await?;
    Ok(reply(row))
}

/// Deletes a webhook and its delivery log; nothing pending is sent.
#[utoipa::path(delete, path = "/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204, description = "deleted"), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 412, body = crate::error::Problem)))]
#[delete("/webhooks/<id>")]
async fn remove(
    app: &State<AppState>,
    actor: Admin,
    id: WebhookId,
    if_match: ExpectedVersion,
) -> ApiResult<Status> {
    admin::delete(app.db(), &actor, id, if_match).await?;
    Ok(Status::NoContent)
}

/// A webhook's deliveries, newest first (admins).
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path), ("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query),
           ("state" = Option<String>, Query, description = "pending, sent or failed")),
    responses((status = 200, description = "one page, newest first", body = Page<WebhookDeliveryOut>),
              (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[get("/webhooks/<id>/deliveries?<limit>&<cursor>&<state>")]
async fn delivery_log(
    app: &State<AppState>,
    actor: Admin,
    id: WebhookId,
    limit: Option<&str>,
    cursor: Option<&str>,
    state: Option<&str>,
) -> ApiResult<Reply<Page<WebhookDeliveryOut>>> {
    let page = NewestFirst::parse(limit, cursor)?;
    let state = query_named::<DeliveryState>("state", state)?;
    let rows = deliveries::list(app.db(), &actor, id, state, page).await?;
    Ok(Reply::ok(Page::newest_first(
        rows,
        page,
        |row| row.id.0,
        WebhookDeliveryOut::from,
    )))
}

/// Sends a delivery again now, with the same id and another 24 hours of
/// retries (admins).
#[utoipa::path(post, path = "/webhooks/deliveries/{id}/redeliver", tag = "webhooks",
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = WebhookDeliveryOut), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
#[post("/webhooks/deliveries/<id>/redeliver")]
async fn redeliver(
    app: &State<AppState>,
    actor: Admin,
    id: WebhookDeliveryId,
) -> ApiResult<Reply<WebhookDeliveryOut>> {
    let row = deliveries::redeliver(app.db(), &actor, id, Utc::now()).await?;
    Ok(Reply::ok(WebhookDeliveryOut::from(row)))
}

/// Queues a test call (`Baton-Event: ping`) to this webhook alone (admins).
#[utoipa::path(post, path = "/webhooks/{id}/ping", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 201, body = WebhookDeliveryOut), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
#[post("/webhooks/<id>/ping")]
async fn ping(
    app: &State<AppState>,
    actor: Admin,
    id: WebhookId,
) -> ApiResult<Reply<WebhookDeliveryOut>> {
    let row = admin::ping(app.db(), &actor, id, Utc::now()).await?;
    Ok(Reply::created(WebhookDeliveryOut::from(row)))
}
