//! How events are shown, and `/events`: the organisation's audit log. A
//! subject's own history is read through it (`/requests/{id}/events`,
//! `/agreements/{id}/events`, `/commitments/{id}/events`).

use chrono::{DateTime, Utc};
use rocket::{Route, State, get, routes};
use serde::Serialize;
use utoipa::ToSchema;

use crate::entities::event;
use crate::entities::ids::UserId;
use crate::error::ApiResult;
use crate::http::{Reply, query_id};
use crate::identity::AuthUser;
use crate::pagination::{NewestFirst, Page};
use crate::services::events::{self, AuditFilter};
use crate::state::AppState;
use crate::validate::optional_query_instant;

pub fn routes() -> Vec<Route> {
    routes![audit_log]
}

#[derive(Serialize, ToSchema)]
pub struct EventOut {
    pub id: i64,
    /// What the event is about: `request`, `agreement`, `commitment`,
    /// `review`, `user`, `department`, `calendar`, `organisation` or
    /// `webhook`.
    pub entity: String,
    pub entity_id: i64,
    pub kind: String,
    /// `null` for changes Baton made itself (a due moved by an upstream delay).
    pub actor_user_id: Option<UserId>,
    /// When it happened, as declared.
    pub at: DateTime<Utc>,
    /// When the server recorded it.
    pub recorded_at: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl From<event::Model> for EventOut {
    fn from(row: event::Model) -> Self {
        EventOut {
            id: row.id,
            entity: row.subject_type,
            entity_id: row.subject_id,
            kind: row.kind,
            actor_user_id: row.actor_user_id,
            at: row.at,
            recorded_at: row.recorded_at,
            data: serde_json::from_str(&row.data).unwrap_or(serde_json::Value::Null),
        }
    }
}

/// One page of the audit log.
#[derive(Serialize, ToSchema)]
pub struct EventPage {
    pub items: Vec<EventOut>,
    /// Pass as `cursor` for the next (older) page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// The organisation's audit log, newest first (admins and leaders): every
/// change to requests, agreements, commitments, reviews, and every
/// administrative change (users, departments, calendars, settings).
#[utoipa::path(get, path = "/events", tag = "events", security(("bearer" = [])),
    params(("limit" = Option<u64>, Query), ("cursor" = Option<String>, Query),
           ("kind" = Option<String>, Query, description = "e.g. `user.created`, `started`"),
           ("actor_user_id" = Option<i64>, Query),
           ("entity" = Option<String>, Query, description = "request, agreement, commitment, review, user, department, calendar, organisation or webhook"),
           ("entity_id" = Option<i64>, Query),
           ("from" = Option<String>, Query, description = "recorded at or after (RFC 3339)"),
           ("to" = Option<String>, Query, description = "recorded before (RFC 3339)")),
    responses((status = 200, body = EventPage), (status = 403, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
#[allow(clippy::too_many_arguments)]
#[get("/events?<limit>&<cursor>&<kind>&<actor_user_id>&<entity>&<entity_id>&<from>&<to>")]
async fn audit_log(
    state: &State<AppState>,
    actor: AuthUser,
    limit: Option<&str>,
    cursor: Option<&str>,
    kind: Option<&str>,
    actor_user_id: Option<&str>,
    entity: Option<&str>,
    entity_id: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
) -> ApiResult<Reply<Page<EventOut>>> {
    events::may_read_audit_log(&actor)?;
    let page = NewestFirst::parse(limit, cursor)?;
    let filter = AuditFilter {
        kind: kind.map(str::to_owned),
        actor_user_id: query_id("actor_user_id", actor_user_id)?,
        entity: entity.map(str::to_owned),
        entity_id: query_id("entity_id", entity_id)?,
        from: optional_query_instant("from", from)?,
        to: optional_query_instant("to", to)?,
    };
    let rows = events::audit_log(state.db(), &actor, &filter, page).await?;
    Ok(Reply::ok(Page::newest_first(
        rows,
        page,
        |row| row.id,
        EventOut::from,
    )))
}
