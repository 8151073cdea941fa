//! `/mail/deliveries`: the mail delivery log of the organisation (admins),
//! and sending a notice's mail again; `/mail/preferences`: how the caller
//! takes the mail of each kind of notice.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rocket::{Route, State, get, patch, post, routes};
use serde::Serialize;
use utoipa::ToSchema;

use crate::entities::ids::{RequestId, UserId};
use crate::entities::mail_preference::MailMode;
use crate::entities::notification::{MailState, NotificationKind};
use crate::error::ApiResult;
use crate::http::{Admin, Body, Reply};
use crate::identity::AuthUser;
use crate::pagination::{NewestFirst, Page};
use crate::services::mail::deliveries::{self, Delivery};
use crate::services::mail::preferences;
use crate::state::AppState;
use crate::validate::query_named;

pub fn routes() -> Vec<Route> {
    routes![list, resend, show_preferences, set_preferences]
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryOut {
    /// The notice's id.
    pub id: i64,
    pub user_id: UserId,
    /// The recipient's address.
    pub to: String,
    #[schema(value_type = String)]
    pub kind: NotificationKind,
    pub request_id: Option<RequestId>,
    pub message: String,
    pub created_at: DateTime<Utc>,
    /// `pending | sent | failed | expired | skipped | digest` (waiting for
    /// the person's daily digest)
    #[schema(value_type = String)]
    pub state: MailState,
    pub attempts: i32,
    /// Not before then: a retry, the recipient's calendar opening, or a claim.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Why the last try failed.
    pub error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<Delivery> for DeliveryOut {
    fn from(delivery: Delivery) -> Self {
        let notice = delivery.notice;
        DeliveryOut {
            id: notice.id,
            user_id: notice.user_id,
            to: delivery.to,
            kind: notice.kind,
            request_id: notice.request_id,
            message: notice.message,
            created_at: notice.created_at,
            state: notice.mail_state,
            attempts: notice.mail_attempts,
            next_attempt_at: notice.mail_next_at,
            error: notice.mail_error,
            sent_at: notice.mailed_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<DeliveryOut>,
    /// Pass as `cursor` for the next (older) page; `null` on the last.
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Resent {
    pub id: i64,
    /// `pending`
    pub state: String,
}

/// The organisation's mail deliveries, newest first (admins).
#[utoipa::path(get, path = "/mail/deliveries", tag = "mail", security(("bearer" = [])),
    params(("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query),
           ("state" = Option<String>, Query, description = "pending, sent, failed, expired or skipped")),
    responses((status = 200, body = DeliveryPage), (status = 403, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[get("/mail/deliveries?<limit>&<cursor>&<state>")]
async fn list(
    app: &State<AppState>,
    actor: Admin,
    limit: Option<&str>,
    cursor: Option<&str>,
    state: Option<&str>,
) -> ApiResult<Reply<DeliveryPage>> {
    let page = NewestFirst::parse(limit, cursor)?;
    let state = query_named::<MailState>("state", state)?;
    let rows = deliveries::list(app.db(), &actor, state, page).await?;
    let page = Page::newest_first(rows, page, |row| row.notice.id, DeliveryOut::from);
    Ok(Reply::ok(DeliveryPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

/// Sends a notice's mail again, at the recipient's next opening hours (admins).
#[utoipa::path(post, path = "/mail/deliveries/{id}/resend", tag = "mail", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Resent), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem)))]
#[post("/mail/deliveries/<id>/resend")]
async fn resend(app: &State<AppState>, actor: Admin, id: i64) -> ApiResult<Reply<Resent>> {
    deliveries::resend(app.db(), &actor, id).await?;
    Ok(Reply::ok(Resent {
        id,
        state: MailState::Pending.as_str().into(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct MailPreferences {
    /// For every kind of notice: `now` (a mail at once), `digest` (in the
    /// daily digest at the start of the working day) or `off` (no mail; the
    /// notice still shows in Baton).
    #[schema(value_type = BTreeMap<String, String>)]
    pub preferences: BTreeMap<&'static str, MailMode>,
}

/// How the caller takes the mail of each kind of notice.
#[utoipa::path(get, path = "/mail/preferences", tag = "mail", security(("bearer" = [])),
    responses((status = 200, body = MailPreferences), (status = 401, body = crate::error::Problem)))]
#[get("/mail/preferences")]
async fn show_preferences(
    app: &State<AppState>,
    actor: AuthUser,
) -> ApiResult<Reply<MailPreferences>> {
    Ok(Reply::ok(MailPreferences {
        preferences: preferences::of_user(app.db(), actor.id).await?,
    }))
}

/// Changes the caller's choice for the kinds named, e.g.
/// `{"overdue": "now", "mentioned": "digest", "assigned": "off"}`; the
/// others stay as they are.
#[utoipa::path(patch, path = "/mail/preferences", tag = "mail", security(("bearer" = [])),
    request_body(content = BTreeMap<String, String>),
    responses((status = 200, body = MailPreferences), (status = 401, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[patch("/mail/preferences", data = "<body>")]
async fn set_preferences(
    app: &State<AppState>,
    actor: AuthUser,
    body: Body<BTreeMap<String, String>>,
) -> ApiResult<Reply<MailPreferences>> {
    Ok(Reply::ok(MailPreferences {
        preferences: preferences::set(app.db(), &actor, &body.0).await?,
    }))
}
